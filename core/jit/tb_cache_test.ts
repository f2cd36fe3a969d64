import { assert, assertEquals } from "../../tests/assert.ts";
import { addi, andi, bne, ecall, emit, j, li, lw, slli, sltu } from "../cpu/_asm_testing.ts";
import { Scheduler } from "../exec/scheduler.ts";
import { Cpu } from "../cpu/state.ts";
import { Process } from "../linux/process.ts";
import { SYS } from "../linux/syscall_names.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { Log } from "../util/log.ts";
import { makeRuntime, NO_PLUGIN_HOOKS } from "./runtime.ts";
import type { PluginHooks } from "./plugin_actions.ts";
import { TbCache, WARMUP_EXTRA_RUNS, WASM_REGION_THRESHOLD } from "./tb_cache.ts";
import { ScannedBlock } from "./translator.ts";

const CODE = 0x10000;

/** A process whose one thread runs `words` (at `CODE`), and a translation cache for it. */
function processRunning(words: readonly number[]): { proc: Process; cache: TbCache } {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  emit(mem, CODE, words);
  const proc = new Process(mem, new Log());
  const cpu = new Cpu();
  cpu.pc = CODE;
  proc.thread(cpu);
  return { proc, cache: new TbCache(mem, makeRuntime(mem)) };
}

/** A process whose code counts x5 down from 2^`log2` in a one-block loop, then exits with status 7. */
function countdown(log2: number): { proc: Process; cache: TbCache } {
  return processRunning([
    li(5, 1),
    slli(5, 5, log2),
    // loop: x5 -= 1; if (x5 != 0) goto loop
    addi(5, 5, -1),
    bne(5, 0, -4),
    li(10, 7),
    li(17, SYS.exit_group),
    ecall,
  ]);
}

/** Spins until `ms` have passed (the warm-up is measured with `performance.now()`). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* wait */ }
}

Deno.test("TbCache: blocks translated during the warm-up start their count below zero, later ones at zero unless the WebAssembly interpreter runs them", () => {
  for (const wasm of ["hot", "off"] as const) {
    const { cache } = countdown(0);
    cache.wasm = wasm;
    cache.warmupMs = 20;
    assertEquals(cache.get(CODE).hits, -WARMUP_EXTRA_RUNS);
    spin(30);
    assertEquals(cache.get(CODE + 8).hits, wasm === "hot" ? -WARMUP_EXTRA_RUNS : 0, wasm);
  }
});

Deno.test("TbCache: -jit-warmup 0 counts every block from zero", () => {
  const { cache } = countdown(0);
  cache.warmupMs = 0;
  assertEquals(cache.get(CODE).hits, 0);
});

Deno.test("TbCache: a loop that runs long enough is made a region during the warm-up too", () => {
  assert(2 ** 12 < WARMUP_EXTRA_RUNS && 2 ** 15 > WARMUP_EXTRA_RUNS * 2);
  // A warm-up far longer than the runs, so that both loops run inside it whatever the machine's speed.
  const cold = countdown(12);
  cold.cache.warmupMs = 60_000;
  assertEquals(new Scheduler(cold.proc, cold.cache).runSync(), 7);
  assertEquals(cold.cache.regions, 0);
  const hot = countdown(15);
  hot.cache.warmupMs = 60_000;
  assertEquals(new Scheduler(hot.proc, hot.cache).runSync(), 7);
  assert(hot.cache.regions > 0, "the loop stayed interpreted");
});

Deno.test("TbCache: past its translation budget, the next translation flushes everything first, plugins' flush callbacks too", () => {
  const { proc, cache } = countdown(10);
  cache.warmupMs = 0;
  // Blocks: the entry (4 instructions, to the first bne), the loop (2), the tail (3). Over 2 after the
  // entry: translating the loop flushes first; the loop alone is not over it.
  cache.translationBudget = 2;
  let flushed = 0;
  cache.onFlush = () => void flushed++;
  assertEquals(new Scheduler(proc, cache).runSync(), 7);
  assertEquals([cache.flushes, flushed], [1, 1]);
  // 4 + 2 instructions before the tail: not over a budget of 6.
  const again = countdown(10);
  again.cache.translationBudget = 6;
  assertEquals(new Scheduler(again.proc, again.cache).runSync(), 7);
  assertEquals(again.cache.flushes, 0);
});

Deno.test("TbCache, default policy: a loop the WebAssembly tier covers becomes a region only at WASM_REGION_THRESHOLD entries, in WebAssembly", () => {
  const run = (log2: number, wasm: "hot" | "off") => {
    const { proc, cache } = countdown(log2);
    cache.warmupMs = 0;
    cache.wasm = wasm;
    assertEquals(new Scheduler(proc, cache).runSync(), 7);
    return [cache.regions, cache.wasmRegions];
  };
  assert(2 ** 11 < WASM_REGION_THRESHOLD && 2 ** 13 > WASM_REGION_THRESHOLD);
  // Fewer entries: the loop stays a compiled block (no JavaScript region on the way).
  assertEquals(run(11, "hot"), [0, 0]);
  assertEquals(run(13, "hot"), [1, 1]);
  // Without the tier, a JavaScript region at REGION_THRESHOLD entries, as before it.
  assertEquals(run(11, "off"), [1, 0]);
});

Deno.test("TbCache: a block whose plugin actions run where it starts runs in the WebAssembly interpreter, and returns to the loop at its end", () => {
  // x7 walks a data page 256 bytes at a time: B (instrumented) adds, A (not) loads and jumps back to B; the 16th load
  // is past the page and faults, in A.
  const B = CODE + 12, DATA = 0x20000;
  const run = (wasm: "hot" | "off") => {
    const mem = new AddressSpace(1 << 24);
    mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
    mem.mmap(DATA, 0x1000, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
    emit(mem, CODE, [li(7, 1), slli(7, 7, 17), j(4), addi(7, 7, 256), j(4), lw(6, 7, 0), j(-12)]);
    const events: string[] = [];
    const hooks: PluginHooks = {
      ...NO_PLUGIN_HOOKS,
      record: (_ring, id) => void events.push(`record ${id}`),
      fault: (_c, pc) => void events.push(`fault ${pc - CODE}`),
    };
    const proc = new Process(mem, new Log());
    const cpu = new Cpu();
    cpu.pc = CODE;
    proc.thread(cpu);
    const cache = new TbCache(mem, makeRuntime(mem, hooks));
    cache.wasm = wasm;
    cache.instrument = (tb) =>
      tb.pc === B
        ? { block: [{ kind: "record", ring: 0, id: 1 }], insn: tb.insns.map(() => []), mem: tb.insns.map(() => []) }
        : undefined;
    new Scheduler(proc, cache).runSync();
    return { events };
  };
  const off = run("off"), hot = run("hot");
  // Every execution of B recorded, and the fault (in A, which no plugin instruments) reported to nobody: B, run by the
  // WebAssembly interpreter, did not go on into A (in its chain table) in the same call (letting it reports
  // "fault 20" from B's code).
  assertEquals(off.events, Array(16).fill("record 1"));
  assertEquals(hot.events, off.events);
});

Deno.test("TbCache: while no plugin watches translations, new blocks are decoded by the WebAssembly interpreter alone; once one does, they are shown to it again", () => {
  const { cache } = countdown(0);
  let watching = false;
  const shown: number[] = [];
  cache.instrument = (tb) => void shown.push(tb.pc - CODE);
  cache.watchesTranslation = () => watching;
  const first = cache.get(CODE);
  assert(first instanceof ScannedBlock, "scanned while no plugin watches");
  assertEquals(shown, []);
  watching = true;
  const second = cache.get(CODE + 8);
  assert(!(second instanceof ScannedBlock), "translated in JavaScript for a plugin that watches");
  assertEquals(shown, [8]);
  // Without the question, plugins always watch (as before it existed).
  cache.watchesTranslation = undefined;
  cache.get(CODE + 12);
  assertEquals(shown, [8, 12]);
});

/**
 * A process whose loop counts x5 down from 2^16 to 0 and takes a side path
 * (x6 += 1) where the low `bits` bits of x5 are 0, or everywhere once x5 <
 * 2^`fromLog2` (never when undefined), then exits with x6's low byte; the
 * side path's block is at `SIDE`.
 */
function sidePath(bits: number, fromLog2?: number): { proc: Process; cache: TbCache } {
  return processRunning([
    li(5, 1),
    slli(5, 5, 16),
    addi(5, 5, 1),
    li(8, fromLog2 === undefined ? 0 : 1),
    slli(8, 8, fromLog2 ?? 0),
    li(6, 0),
    // loop: x5 -= 1; if (!(x5 < x8) && (x5 << (64 - bits)) != 0) goto skip
    addi(5, 5, -1),
    sltu(9, 5, 8),
    slli(7, 5, 64 - bits),
    bne(9, 0, 8),
    bne(7, 0, 8),
    // SIDE: x6 += 1
    addi(6, 6, 1),
    // skip: if (x5 != 0) goto loop
    bne(5, 0, -24),
    andi(10, 6, 255),
    li(17, SYS.exit_group),
    ecall,
  ]);
}
const SIDE = CODE + 44;

Deno.test("TbCache: a WebAssembly region leaves out a block that ran rarely beside its head, which heads a region of its own once it turns hot", () => {
  const run = (bits: number, fromLog2?: number) => {
    const { proc, cache } = sidePath(bits, fromLog2);
    cache.warmupMs = 0;
    const status = new Scheduler(proc, cache).runSync();
    return { status, sideEntries: cache.get(SIDE).hits, regions: cache.wasmRegions };
  };
  // Once every 16 runs of the loop: in the region, entered from the CPU loop only until the region was made.
  const often = run(4);
  assertEquals(often.status, 4097 & 255);
  assert(often.sideEntries <= WASM_REGION_THRESHOLD / 16 + 1, `${often.sideEntries}`);
  // Once every 8,192 runs (once before the region was made): left out of every region, so each of its 9 runs is an
  // entry from the CPU loop.
  const rarely = run(13);
  assertEquals(rarely.status, 9);
  assertEquals(rarely.sideEntries, 9);
  // Rare, then on every run for the last 2^14: an entry each time, until it heads a region of its own (the loop in it).
  const late = run(13, 14);
  assertEquals(late.status, ((1 << 14) + 7) & 255);
  assert(
    late.sideEntries >= WASM_REGION_THRESHOLD && late.sideEntries < WASM_REGION_THRESHOLD + 16,
    `${late.sideEntries}`,
  );
  assert(late.regions > rarely.regions, `${late.regions} regions`);
});

Deno.test("TbCache: a block left out of a region heads one of its own once hot, though the loop's other blocks stopped being counted in another region", () => {
  // HB, the loop's head, has an instruction the WebAssembly interpreter does not run, so (translated after the
  // warm-up) it counts from zero, while Z and Y, which that interpreter runs, have its lead. Z runs on 1 turn in 512
  // and Y on 1 in 2,048 until x5 < 2^19, then both on every turn. HB's region keeps Z and leaves Y out; when Y turns
  // hot and heads a region, Z's count has been still since it joined HB's: Y's region must keep it all the same (it
  // used to be left out, Y's region was just Y, and Y was entered from the CPU loop on each of its 2^19 turns).
  const FADD_D = 0x02107053; // fadd.d f0, f0, f1
  const Z = CODE + 52, Y = CODE + 64;
  const { proc, cache } = processRunning([
    li(5, 1),
    slli(5, 5, 20),
    addi(5, 5, 1),
    li(8, 1),
    slli(8, 8, 19),
    li(6, 0),
    FADD_D, // HB
    addi(5, 5, -1),
    sltu(9, 5, 8),
    slli(7, 5, 55),
    slli(11, 5, 53),
    bne(9, 0, 8), // to Z
    bne(7, 0, 20), // to L2
    addi(12, 12, 1), // Z
    bne(9, 0, 8), // to Y
    bne(11, 0, 8), // to L2
    addi(6, 6, 1), // Y
    bne(5, 0, -44), // L2: to HB
    andi(10, 6, 255),
    li(17, SYS.exit_group),
    ecall,
  ]);
  cache.warmupMs = 1;
  cache.get(CODE + 72); // starts the warm-up, which is over before the loop's blocks are translated
  spin(5);
  assertEquals(new Scheduler(proc, cache).runSync(), ((1 << 19) + 257) & 255);
  // Y and Z count their entries from the CPU loop up from -WARMUP_EXTRA_RUNS (the interpreter's lead).
  const entries = (pc: number) => cache.get(pc).hits + WARMUP_EXTRA_RUNS;
  assert(entries(Y) < WARMUP_EXTRA_RUNS + 2 * WASM_REGION_THRESHOLD, `Y entered from the CPU loop ${entries(Y)} times`);
  assert(entries(Z) < WARMUP_EXTRA_RUNS + WASM_REGION_THRESHOLD, `Z entered ${entries(Z)} times`);
  assertEquals(cache.wasmRegions, 2);
});
