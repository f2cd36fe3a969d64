/**
 * Start-up of plume itself, step by step, against qemu-riscv64 on a
 * command that does little (`busybox echo hi`, 243,299 guest
 * instructions): interleaved runs of Deno alone (an empty module), plume's
 * command-line front (`plume -version`), the emulator's modules and a
 * guest's set-up (`hello_asm`, a few instructions), and the whole command;
 * wall times are medians, peak RSS comes from `/usr/bin/time` where it
 * exists. `deno task bench:plugins` prints these rows; this module runs on
 * its own too.
 *
 * Usage: `deno run -A build/bench_startup.ts [RUNS]` (default 15).
 *
 * @module
 */

import { join } from "node:path";
import { fileUrlToPath } from "../core/util/file_url.ts";

const ROOT = fileUrlToPath(new URL("../", import.meta.url));
const BUSYBOX = Deno.env.get("PLUME_BUSYBOX") ?? join(ROOT, ".cache/debian/busybox-static/usr/bin/busybox");
const HELLO = join(ROOT, "tests/guest/bin/hello_asm");
const PLUME = [Deno.execPath(), "run", "-A", join(ROOT, "main.ts")];

/** One run's wall time (ms) and peak RSS (KiB, when `/usr/bin/time` exists). */
async function run(
  cmd: string[],
  timeTool: boolean,
  env?: Record<string, string>,
): Promise<{ ms: number; kb?: number }> {
  const full = timeTool ? ["/usr/bin/time", "-f", "%M", ...cmd] : cmd;
  const t0 = performance.now();
  const out = await new Deno.Command(full[0], { args: full.slice(1), env, stdout: "null", stderr: "piped" }).output();
  const ms = performance.now() - t0;
  const err = new TextDecoder().decode(out.stderr).trim();
  if (!out.success && !cmd.includes(HELLO)) throw new Error(`${cmd.join(" ")} failed: ${err.slice(-500)}`);
  if (!timeTool) return { ms };
  const lines = err.split("\n");
  return { ms, kb: Number(lines[lines.length - 1]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The start-up rows: `[what, figure, comparison]`. */
export async function startupRows(runs: number): Promise<[string, string, string][]> {
  const have = (p: string) => Deno.stat(p).then(() => true, () => false);
  if (!await have(BUSYBOX)) return [["plume start-up", "skipped", "run build/fetch_debian.sh busybox-static"]];
  const qemu = await new Deno.Command("qemu-riscv64", { args: ["-version"], stdout: "null" }).output().then(
    (r) => r.success,
    () => false,
  );
  if (!qemu) return [["plume start-up", "skipped", "needs qemu-riscv64"]];
  const timeTool = await have("/usr/bin/time");
  const dir = await Deno.makeTempDir({ prefix: "plume-bench-startup-" });
  try {
    const empty = join(dir, "empty.ts");
    await Deno.writeTextFile(empty, "export {};\n");
    const steps: [string, string[]][] = [
      ["deno", [Deno.execPath(), "run", "-A", empty]],
      ["front", [...PLUME, "-version"]],
      ["hello", [...PLUME, HELLO]],
      ["plume", [...PLUME, BUSYBOX, "echo", "hi"]],
      ["sources", [...PLUME, BUSYBOX, "echo", "hi"]],
      ["qemu", ["qemu-riscv64", BUSYBOX, "echo", "hi"]],
    ];
    // The same command with plume's modules loaded one by one from the sources instead of its own bundle.
    const env = (k: string) => k === "sources" ? { PLUME_OWN_BUNDLE: "off" } : undefined;
    // A first run builds the bundle, if the sources changed since the last.
    await run([...PLUME, "-version"], false);
    const ms = new Map<string, number[]>(steps.map(([k]) => [k, []]));
    const kb = new Map<string, number[]>(steps.map(([k]) => [k, []]));
    for (let i = 0; i < runs; i++) {
      for (const [k, cmd] of steps) {
        // Every step runs under /usr/bin/time, so that the differences between steps do not include its start-up.
        const r = await run(cmd, timeTool, env(k));
        ms.get(k)!.push(r.ms);
        if (r.kb) kb.get(k)!.push(r.kb);
      }
    }
    const m = (k: string) => median(ms.get(k)!);
    const f = (x: number) => `${x.toFixed(0)} ms`;
    const rows: [string, string, string][] = [
      ["qemu-riscv64 busybox echo hi", f(m("qemu")), ""],
      [
        "plume busybox echo hi (no plugin)",
        f(m("plume")),
        `${(m("plume") / m("qemu")).toFixed(1)}x qemu (target <= 3x)`,
      ],
      ["  Deno alone (an empty module)", f(m("deno")), ""],
      ["  + plume's front (plume -version)", `+${f(m("front") - m("deno"))}`, ""],
      ["  + emulator modules, guest set-up (hello_asm)", `+${f(m("hello") - m("front"))}`, ""],
      ["  + busybox echo hi's 243k instructions", `+${f(m("plume") - m("hello"))}`, ""],
      [
        "  the same, plume's modules from the sources",
        f(m("sources")),
        `(PLUME_OWN_BUNDLE=off: ${(m("sources") / m("plume")).toFixed(2)}x the bundled run)`,
      ],
    ];
    if (kb.get("plume")!.length > 0 && kb.get("qemu")!.length > 0) {
      const p = median(kb.get("plume")!), q = median(kb.get("qemu")!);
      rows.push([
        "  peak RSS (plume / qemu)",
        `${(p / 1024).toFixed(0)} MiB`,
        `${(p / q).toFixed(1)}x qemu's ${(q / 1024).toFixed(0)} MiB (target <= 4x)`,
      ]);
    }
    return rows;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const rows = await startupRows(Number(Deno.args[0] ?? 15));
  const w0 = Math.max(...rows.map((r) => r[0].length)), w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);
}
