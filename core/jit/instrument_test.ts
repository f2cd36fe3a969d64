import { assert, assertEquals } from "../../tests/assert.ts";
import { cpuLoop } from "../exec/scheduler.ts";
import { createGuest } from "../emulator.ts";
import { Log } from "../util/log.ts";
import { type BlockInstrumentation, INLINE_ADD, type PluginHooks } from "./plugin_actions.ts";
import { NO_PLUGIN_HOOKS } from "./runtime.ts";
import type { TranslationBlock } from "./translator.ts";
import { fileUrlToPath } from "../util/file_url.ts";

const BIN = fileUrlToPath(new URL("../../tests/guest/bin/", import.meta.url));

/** Runs a guest program in-process with the given instrumentation; returns its exit status. */
function run(
  program: string,
  args: string[],
  hooks: PluginHooks,
  instrument: (tb: TranslationBlock) => BlockInstrumentation,
  oneInsnPerTb = false,
): number {
  const path = BIN + program;
  const g = createGuest({
    program: path,
    argv: [path, ...args],
    envp: [],
    sysroot: "",
    log: new Log(),
    strace: false,
    oneInsnPerTb,
    seed: 1,
    // Compiled blocks and regions are what these tests compare: no warm-up that would keep the guest interpreted.
    jitWarmupMs: 0,
    instrumentation: { hooks, instrument },
  });
  return cpuLoop(g.proc, g.cpu, g.cache);
}

function arenaValue(a: Int32Array, i: number): bigint {
  return (BigInt(a[i + 1]) << 32n) | BigInt(a[i] >>> 0);
}

/**
 * Counts instructions three independent ways: an inline add of the block's
 * length per block, an inline add of 1 per instruction, and block records
 * pushed to a fake ring (times the block's length).
 */
function countThreeWays(program: string, args: string[], oneInsnPerTb = false) {
  const arena = new Int32Array(8);
  const lengths = new Map<number, number>();
  let recorded = 0n;
  const hooks: PluginHooks = {
    ...NO_PLUGIN_HOOKS,
    arenas: [arena],
    record(_ring, id) {
      recorded += BigInt(lengths.get(id)!);
    },
  };
  let nextId = 1;
  const status = run(program, args, hooks, (tb) => {
    const id = nextId++;
    lengths.set(id, tb.insns.length);
    return {
      block: [
        { kind: "inline", op: INLINE_ADD, ref: { arena: 0, index: 0, stride: 0 }, value: BigInt(tb.insns.length) },
        { kind: "record", ring: 0, id },
      ],
      insn: tb.insns.map(() => [{ kind: "inline", op: INLINE_ADD, ref: { arena: 0, index: 2, stride: 0 }, value: 1n }]),
      mem: [],
    };
  }, oneInsnPerTb);
  return { status, perBlock: arenaValue(arena, 0), perInsn: arenaValue(arena, 2), recorded };
}

Deno.test("instrumentation counts the same instructions per block, per instruction and by records", () => {
  for (const [program, args] of [["sha256", ["20000"]], ["memstr", []], ["atomics", []]] as const) {
    const r = countThreeWays(program, [...args]);
    assertEquals(r.status, 0, program);
    assert(r.perBlock > 100000n, `${program}: ${r.perBlock} instructions`);
    assertEquals(r.perInsn, r.perBlock, program);
    assertEquals(r.recorded, r.perBlock, program);
  }
});

Deno.test("instrumentation counts do not depend on block size", () => {
  const big = countThreeWays("fib", ["18"]);
  const single = countThreeWays("fib", ["18"], true);
  assertEquals(single.perInsn, big.perInsn);
  assertEquals(single.perBlock, big.perBlock);
});

Deno.test("memory actions see every load and store with its size", () => {
  const arena = new Int32Array(16);
  const seen = new Map<number, number>();
  const hooks: PluginHooks = {
    ...NO_PLUGIN_HOOKS,
    arenas: [arena],
    memRecord(_ring, _id, _vcpu, _bl, _bh, _imm, info) {
      seen.set(info, (seen.get(info) ?? 0) + 1);
    },
  };
  const status = run("memstr", [], hooks, (tb) => ({
    block: [],
    insn: [],
    mem: tb.insns.map(() => [
      { rw: 1, kind: "inline", op: INLINE_ADD, ref: { arena: 0, index: 0, stride: 0 }, value: 1n },
      { rw: 2, kind: "inline", op: INLINE_ADD, ref: { arena: 0, index: 2, stride: 0 }, value: 1n },
      { rw: 3, kind: "record", ring: 0, id: 0 },
    ]),
  }));
  assertEquals(status, 0);
  const loads = arenaValue(arena, 0), stores = arenaValue(arena, 2);
  let recLoads = 0n, recStores = 0n;
  for (const [info, n] of seen) info & (1 << 16) ? (recStores += BigInt(n)) : (recLoads += BigInt(n));
  assert(loads > 10000n && stores > 10000n, `${loads} loads, ${stores} stores`);
  assertEquals([recLoads, recStores], [loads, stores]);
  // Every size appears (memstr copies bytes, halves, words and doublewords).
  for (const shift of [0, 1, 2, 3]) assert([...seen.keys()].some((i) => (i & 15) === shift), `size shift ${shift}`);
});
