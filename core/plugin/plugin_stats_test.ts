import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { GUEST_BIN, runPlume } from "../../tests/harness.ts";
import { CTL_BYTES, STAT, STATS } from "./channel.ts";
import { replayFigures, statsLine } from "./plugin_stats.ts";
import { fileUrlToPath } from "../util/file_url.ts";

Deno.test("replayFigures shows what the plugin's side wrote only when it is a count or a time", () => {
  const ctl = new SharedArrayBuffer(CTL_BYTES);
  const words = new Float64Array(ctl, STATS * 4, 5);
  words[STAT.BLOCKS] = 12, words[STAT.MEMS] = 0, words[STAT.BUSY_MS] = 1.5;
  words[STAT.OTHERS] = -1, words[STAT.CALLBACKS] = Infinity;
  assertEquals(replayFigures(ctl), { blocks: 12, mems: 0, others: NaN, callbacks: NaN, busyMs: 1.5 });
  words[STAT.BLOCKS] = NaN, words[STAT.MEMS] = 2 ** 60;
  const forged = replayFigures(ctl);
  assertEquals([forged.blocks, forged.mems], [NaN, NaN]);
  const line = statsLine("p", { ...forged, ringMs: 0, callMs: 0, calls: 0, requests: 0, runMs: 1 });
  assertStringIncludes(line, "? records (? block, ? memory, ? other)");
  assertEquals(line.split("\n").length, 2, "one line");
});

Deno.test("statsLine: the overlap is the replay the guest did not wait for", () => {
  const base = { blocks: 1, mems: 0, others: 0, callbacks: 4, calls: 0, requests: 0, callMs: 0, runMs: 1 };
  assertStringIncludes(statsLine("p", { ...base, busyMs: 2, ringMs: 0.5 }), "75% of the replay ran beside the guest");
  assertStringIncludes(statsLine("p", { ...base, busyMs: 2, ringMs: 3 }), "0% of the replay ran beside the guest");
  assertEquals(statsLine("p", { ...base, busyMs: 0, ringMs: 0 }).includes("beside"), false);
});

/** `-d plugin_stats`'s figures for plugin `name` in `stderr`. */
function figures(stderr: string, name: string) {
  const m = new RegExp(
    `plume: plugin '${name}': (\\d+) records \\((\\d+) block, (\\d+) memory, (\\d+) other\\) replayed in [0-9.]+ ms, ` +
      `(\\d+) streamed callbacks .* in (\\d+) synchronous calls`,
  ).exec(stderr);
  if (!m) throw new Error(`no line for ${name} in:\n${stderr}`);
  const [records, blocks, mems, others, callbacks, calls] = m.slice(1).map(Number);
  return { records, blocks, mems, others, callbacks, calls };
}

Deno.test("-d plugin_stats counts what the plugins count themselves, in every tier", async () => {
  for (const flags of [["-jit-wasm", "off"], ["-jit-wasm", "always"]]) {
    const r = await runPlume(
      [
        "-d",
        "plugin,plugin_stats",
        "-plugin",
        "bb",
        "-plugin",
        "insn",
        "-plugin",
        "mem,callback=on",
        `${GUEST_BIN}/sha256`,
        "1000",
      ],
      { flags },
    );
    const err = new TextDecoder().decode(r.stderr);
    assertEquals(r.status, 0, err);
    const [, bbs, insns] = /^Total: bb's: (\d+), insns: (\d+)$/m.exec(err)!.map(Number);
    const accesses = Number(/^mem accesses: (\d+)$/m.exec(err)![1]);
    const bb = figures(err, "bb"), insn = figures(err, "insn"), mem = figures(err, "mem");
    // bb: a record and a callback per block executed; insn: a callback per instruction; mem: one per access.
    assertEquals([bb.blocks, bb.callbacks, bb.mems], [bbs, bbs, 0], flags.join(" "));
    assertEquals([insn.blocks, insn.callbacks], [bbs, insns], flags.join(" "));
    assertEquals([mem.mems, mem.callbacks, mem.blocks], [accesses, accesses, 0], flags.join(" "));
    // Every plugin is asked about every translation: the same synchronous calls for each.
    assertEquals(bb.calls > 0 && bb.calls === insn.calls && insn.calls === mem.calls, true, err);
  }
});

Deno.test("-d plugin_stats counts requests: a plugin's first register read is one, later ones read the call's snapshot", async () => {
  const plugin = fileUrlToPath(new URL("../../tests/plugins/sync_per_block.ts", import.meta.url));
  for (const [args, requests] of [["", 0], [",read=on", 1]] as const) {
    const r = await runPlume(["-d", "plugin,plugin_stats", "-plugin", plugin + args, `${GUEST_BIN}/sha256`, "1000"]);
    const err = new TextDecoder().decode(r.stderr);
    assertEquals(r.status, 0, err);
    const calls = Number(/^calls (\d+)$/m.exec(err)![1]);
    const m = /in (\d+) synchronous calls \((\d+) requests\)/.exec(err)!;
    // Each executed block is a call, and each translation another.
    assertEquals(Number(m[1]) > calls && calls > 1000, true, err);
    assertEquals(Number(m[2]), requests, err);
  }
});
