/**
 * The record/replay rows of `deno task bench`: each workload run plain,
 * with `-record` and with `-replay` of that recording, alternately, so that
 * all three see the same machine; prints the medians, the ratios to the
 * plain run (issue 12's targets: recording at most 1.2×, replay 1.1×) and
 * the recording's size.
 *
 * @module
 */

/** One workload: a guest command line, and its `-L` sysroot when dynamic. */
export interface RecordWorkload {
  name: string;
  argv: string[];
  sysroot?: string;
}

/** Wall time of one run of `cmd` (its output discarded). */
async function seconds(cmd: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-500)}`);
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Prints one row per workload: plain, `-record` and `-replay` medians of
 * `runs` alternating runs under `plume` (a command line), their ratios, and
 * the recording's size.
 *
 * @param plume the command that runs plume, options after it
 * @param workloads what to run
 * @param runs runs of each kind
 */
export async function recordReplayRows(plume: string[], workloads: RecordWorkload[], runs: number): Promise<void> {
  if (workloads.length === 0) return;
  const dir = await Deno.makeTempDir({ prefix: "plume-bench-rr-" });
  try {
    console.log(`\nrecord and replay, ${runs} alternating runs each, medians (wall time)\n`);
    console.log(
      ["workload", "plain s", "-record s", "-replay s", "record/plain", "replay/plain", "recording"].join(" | "),
    );
    for (const w of workloads) {
      const L = w.sysroot ? ["-L", w.sysroot] : [];
      const rec = `${dir}/run.rec`;
      const plain: number[] = [], recorded: number[] = [], replayed: number[] = [];
      for (let i = 0; i < runs; i++) {
        plain.push(await seconds([...plume, ...L, ...w.argv]));
        recorded.push(await seconds([...plume, "-record", rec, ...L, ...w.argv]));
        replayed.push(await seconds([...plume, "-replay", rec]));
      }
      const [p, r, y] = [median(plain), median(recorded), median(replayed)];
      const size = Deno.statSync(rec).size;
      const kb = size >= 1 << 20 ? `${(size / (1 << 20)).toFixed(1)} MiB` : `${(size / 1024).toFixed(1)} KiB`;
      console.log(
        [w.name, p.toFixed(3), r.toFixed(3), y.toFixed(3), (r / p).toFixed(2), (y / p).toFixed(2), kb].join(" | "),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
