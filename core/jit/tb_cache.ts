/**
 * The cache of translated blocks, by guest pc, with a direct-mapped cache
 * in front (as QEMU's `tb_jmp_cache`), a per-page index for invalidation,
 * and promotion of hot blocks to regions.
 *
 * @module
 */

import { type AddressSpace, PAGE_CODE, PAGE_SHIFT } from "../mem/address_space.ts";
import { compileRegion, formRegion, JS_REGION_LIMITS, successors } from "./region.ts";
import { compileWasmRegion, WASM_REGION_LIMITS, wasmRegionSupported } from "./wasm/region.ts";
import type { Runtime } from "./runtime.ts";
import type { Cpu } from "../cpu/state.ts";
import { DEFAULT_EXTENSIONS } from "../isa/extensions.ts";
import type { Extension } from "../isa/ops_generated.ts";
import { COMPILE_THRESHOLD, interpretBlock } from "./interpreter.ts";
import { type WasmInterpreter, wasmInterpreterOf } from "./wasm/interpreter.ts";
import {
  type BlockInstrumentation,
  interpreterRecords,
  needsRegisterFile,
  onlyAtEntry,
  withEntryActions,
} from "./plugin_actions.ts";
import {
  type BlockFn,
  compileBlock,
  decodeBlock,
  MAX_BLOCK_INSNS,
  ScannedBlock,
  type TranslationBlock,
} from "./translator.ts";
import { hasVector } from "./vector_ops.ts";

/**
 * How long (ms) after its first translation a cache is warming up: blocks
 * first translated then are compiled only after {@link WARMUP_EXTRA_RUNS}
 * more runs than usual (blocks the WebAssembly interpreter runs get them
 * whenever they are translated: `TbCache.interpreted`). Compiling a block
 * costs about 150 µs when plume has just started (V8 compiles the code,
 * which then starts in V8's own interpreter), worth thousands of
 * interpreted guest instructions, and a program's first milliseconds (its
 * dynamic loader, libc's start-up, option parsing) run most of their blocks
 * only tens of times. Measured, medians of
 * 7-21 interleaved runs (0 ms against 200 ms): busybox `echo hi`'s guest
 * part 57 → 40 ms (the same as compiling nothing: 38-41 ms), `lua5.4 -e
 * 'print(1)'` 411-564 → 238-317 ms, sqlite3 inserting and grouping 20,000
 * rows 2.66 → 2.23-2.35 s; fib, nbody and gzip unchanged within the noise.
 * Counting in guest instructions instead (a block compiles once it ran
 * 10,000 of them) gained less on echo and sqlite.
 */
const DEFAULT_WARMUP_MS = 200;
/** Extra runs before a block first translated during the warm-up is compiled. */
export const WARMUP_EXTRA_RUNS = 10_000;
/**
 * How many times the WebAssembly interpreter may go on into a block with
 * the warm-up's lead without a dispatch of the CPU loop (its chain
 * credit); once spent, the block compiles at its next dispatch. Before, a
 * block had the lead as credit and then the same lead to run down in
 * dispatches, each returning to the loop for it: `python3.13 -c pass`
 * made 1.27 M of its 4.1 M dispatches of such blocks. Twice the lead in
 * credit compiles a block that only chained after as many runs as before,
 * without those dispatches.
 */
export const CHAIN_CREDIT = 2 * WARMUP_EXTRA_RUNS;
/**
 * The same for a block with vector instructions: none. Interpreted, each
 * costs tens of ns to µs through its general executor, against a few ns
 * inline in a WebAssembly region (`wasm/vector.ts`), which such a block
 * becomes at its compile threshold where the tier covers it; a loop's
 * prologue, which holds its first iteration and runs once per call, would
 * otherwise stay interpreted for as many calls. Measured on `rva23 300`
 * (medians of 15 interleaved runs): 257 ms with 500 extra runs, 252 with
 * none (its rv64gc build 254), and 71,488 calls of general executors
 * against 13,941. (Before the WebAssembly tier ran vector instructions,
 * 10,000 / 1,000 / 100 took 520 / 521 / 471 ms.)
 */
export const WARMUP_EXTRA_RUNS_VECTOR = 0;

/** Number of entries of the direct-mapped jump cache (a power of two). */
const JMP_CACHE_SIZE = 1 << 14;

/**
 * Translated blocks by guest pc, with a small direct-mapped cache in front
 * (as QEMU's `tb_jmp_cache`) and a per-page index for invalidation.
 *
 * @example Find (or translate) the block at the entry point
 * ```ts
 * import { TbCache } from "./tb_cache.ts";
 * import { makeRuntime } from "./runtime.ts";
 * import { ecall, emit, li } from "../cpu/_asm_testing.ts";
 * import { AddressSpace, PROT_EXEC, PROT_READ } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const entry = mem.mmap(0, 4096, PROT_READ | PROT_EXEC, { name: "code" });
 * emit(mem, entry, [li(10, 7), li(17, 94), ecall]); // exit_group(7)
 * const cache = new TbCache(mem, makeRuntime(mem));
 * const tb = cache.get(entry);
 * strictEqual(tb.insns.length, 3); // the ecall ends the block
 * strictEqual(cache.get(entry), tb); // found this time, not translated again
 * strictEqual(cache.translated, 1);
 * ```
 */
/** When regions are compiled to WebAssembly: see {@link TbCache.wasm}. */
export type WasmPolicy = "off" | "hot" | "always";

/**
 * With the `hot` policy, a region the WebAssembly tier covers is made
 * only once its head has had this many dispatcher entries, and made in
 * WebAssembly at once; until then its blocks run as compiled JavaScript
 * blocks. Regions the tier does not cover (instrumented by a plugin)
 * become JavaScript regions at `REGION_THRESHOLD` entries as before.
 *
 * Measured (user CPU seconds, best of 2–3 on the shared 2-core machine at
 * a load of 6–8, against the policy before: a JavaScript region at 50
 * entries, compiled again in WebAssembly after 4 budget exits or 20,000
 * entries): busybox gzip -6 of 4 MB 2.5 → 1.5 s (peak RSS 197–286 → 92–105
 * MB: TurboFan compiling large JavaScript regions was most of it), own
 * sha256 of 16 MiB 1.3 → 0.8–1.0 s, nbody 0.74 → 0.6–0.77 s, lua5.4 `-e
 * 'print(1)'` 0.35 → 0.33–0.41 s, fib unchanged; Python's start-up
 * (`python3.13 -S -c pass`, ~870 regions entered a few hundred times each)
 * 12.8–14.7 s before, 13.4–13.6 s with 1,000 entries, 12.0–14.5 s with
 * 2,000 and 9.8–12.2 s with 3,000, while gzip took 1.46, 1.41–1.45 and
 * 1.54–1.60 s (ARCHITECTURE.md, "The WebAssembly tier").
 */
export const WASM_REGION_THRESHOLD = 3_000;

/**
 * A block that has run fewer than 1/`COLD_RATIO` times as often as the
 * head of the WebAssembly region being made is left out of it: every guest
 * register a block touches is a local live across the region's loop, and
 * a rare path's registers and exits made TurboFan spill the loop's own
 * values (ARCHITECTURE.md, "Rare blocks stay out"). Leaving the region for
 * a rare block costs a dispatch or two when it runs. The counts are totals
 * since translation, taken before the region exists (a head has run 3,000
 * to 23,000 times by then, so "rare" means a handful of runs), and a
 * block's count stops when it joins a region (it runs inside it): members
 * of other regions are never rare. A block that turns hot later is
 * entered from the CPU loop each time it runs, until it heads a region of
 * its own, with the loop in it.
 */
const COLD_RATIO = 1024;

/** Whether a region headed by `tb` pays: a lone block that does not loop to itself gains nothing from one. */
function worthRegion(tb: TranslationBlock, region: readonly TranslationBlock[]): boolean {
  const last = tb.insns[tb.insns.length - 1];
  return region.length >= 2 || (last !== null && last !== undefined && successors(tb).includes(tb.pc));
}

/**
 * Guest instructions translated after which everything is flushed (and
 * translated again as it runs), so that a program whose code keeps
 * changing or growing (a JIT inside the guest, code loaded without end)
 * cannot make plume's memory grow without bound. What a translated
 * instruction costs is mostly JavaScript heap (its block's record, decoded
 * instructions, the interpreted or compiled function): Python's start-up
 * (`python3.13 -S -c pass`) translates 37,744 blocks of 160,625
 * instructions and ends with 149–165 MB of heap in use, 322–350 MB
 * resident; busybox gzip -6 translates 1,429 blocks of 7,674. A budget of
 * 512 Ki instructions, three times Python's start-up, bounds the heap near
 * 0.5 GB.
 */
const TRANSLATION_BUDGET = 1 << 19;

export class TbCache {
  /** Fast lookup by `(pc >> 1) & mask`; entries must be checked against pc. */
  readonly jmpCache: (TranslationBlock | undefined)[] = new Array(JMP_CACHE_SIZE).fill(undefined);
  private readonly blocks = new Map<number, TranslationBlock>();
  private readonly byPage = new Map<number, Set<TranslationBlock>>();
  /** Instructions per block (1 for `-one-insn-per-tb`). */
  maxInsns = MAX_BLOCK_INSNS;
  /** The optional extensions the guest has (`-cpu`); others' instructions are illegal. */
  extensions: ReadonlySet<Extension> = new Set(DEFAULT_EXTENSIONS);
  /**
   * Called before each block executes (`-d exec`, `-d cpu`); while set, no
   * regions are made, so that every block execution is seen.
   */
  trace: ((tb: TranslationBlock, cpu: Cpu) => void) | undefined;
  /** Called after every flush of all translations (plugins' flush callbacks). */
  onFlush: (() => void) | undefined;
  /** No regions (`-d nochain`). */
  noChain = false;
  /**
   * Whether blocks the WebAssembly interpreter runs may go on into one
   * another without returning to the CPU loop while they have their lead
   * (off while a debugger is attached: its loop must see every block).
   */
  get chainInterpreted(): boolean {
    return this.chaining;
  }
  set chainInterpreted(on: boolean) {
    this.chaining = on;
    if (this.wasmInterpreter) this.wasmInterpreter.chaining = on;
  }
  private chaining = true;
  /** Whether a new block the WebAssembly interpreter runs gets chain credit: not while traced, unchained or counted. */
  private get chainsNewBlocks(): boolean {
    return this.chaining && !this.trace && !this.noChain && !this.countedSlices;
  }
  /**
   * Regions count the blocks they finish against the vCPU's `blocksLeft`
   * (`compileRegion`), for slices of an exact number of blocks in every
   * tier (recorded and replayed runs). Set before any region is made, or
   * after a flush.
   */
  countedSlices = false;
  /**
   * When regions become WebAssembly where the tier covers them (`-jit-wasm`):
   * `hot`, once their head is hot ({@link WASM_REGION_THRESHOLD});
   * `always`, at once (the tests' forced mode); `off`, never.
   */
  wasm: WasmPolicy = "hot";
  /** Number of regions compiled to WebAssembly so far. */
  wasmRegions = 0;
  /** Called for each new block before it is compiled (`-d in_asm`). */
  onTranslate: ((tb: TranslationBlock) => void) | undefined;
  /** Asks plugins how to instrument each new block (undefined: no plugins). */
  instrument: ((tb: TranslationBlock) => BlockInstrumentation | undefined) | undefined;
  /**
   * Whether the plugins' instrumentation since the last flush asks for a
   * flush before the next translation (their synchronous callbacks'
   * budget: `PluginCore.overBudget`), as the translation budget does.
   */
  overBudget: (() => boolean) | undefined = undefined;
  /**
   * Whether the plugins must see a new block now: when this says no, the
   * block is decoded and run by the WebAssembly interpreter alone, as
   * without plugins ({@link scanned}). Undefined: they always must.
   */
  watchesTranslation: (() => boolean) | undefined = undefined;
  /** Number of blocks translated so far. */
  translated = 0;
  /** Number of flushes of all translations so far. */
  flushes = 0;
  /** Number of regions compiled so far. */
  regions = 0;
  /**
   * Guest instructions translated since the last flush after which the
   * next translation first flushes every translation, as QEMU flushes when
   * its code buffer is full ({@link TRANSLATION_BUDGET}).
   */
  translationBudget = TRANSLATION_BUDGET;
  /** Guest instructions translated since the last flush. */
  private insnsSinceFlush = 0;
  /** Length of the warm-up in ms ({@link DEFAULT_WARMUP_MS}; `-jit-warmup`, 0 for none). */
  warmupMs = DEFAULT_WARMUP_MS;
  /** When the warm-up ends (`performance.now()`), set at the first translation. */
  private warmupEnd = -1;

  /**
   * @param mem guest memory (its `onCodeChange` is taken over)
   * @param rt runtime for compiled code
   */
  constructor(readonly mem: AddressSpace, readonly rt: Runtime) {
    mem.onCodeChange = (first, last) => this.invalidatePages(first, last);
  }

  /** The block at `pc`, translating it if needed. */
  get(pc: number): TranslationBlock {
    const slot = (pc >>> 1) & (JMP_CACHE_SIZE - 1);
    let tb = this.jmpCache[slot];
    if (tb !== undefined && tb.pc === pc) return tb;
    tb = this.blocks.get(pc);
    if (tb === undefined) tb = this.translate(pc);
    this.jmpCache[slot] = tb;
    return tb;
  }

  private translate(pc: number): TranslationBlock {
    if (this.insnsSinceFlush > this.translationBudget || this.overBudget?.()) this.flush();
    const scanned = this.scanned(pc);
    if (scanned !== undefined) return scanned;
    const block = decodeBlock(this.mem, pc, this.maxInsns, this.extensions);
    const now = performance.now();
    if (this.warmupEnd < 0) this.warmupEnd = now + this.warmupMs;
    const tb: TranslationBlock = {
      pc,
      ...block,
      id: this.translated + 1,
      fn: undefined as unknown as BlockFn,
      valid: true,
      // Counting up from below zero delays both the compile and the region thresholds.
      hits: now < this.warmupEnd ? -(hasVector(block.insns) ? WARMUP_EXTRA_RUNS_VECTOR : WARMUP_EXTRA_RUNS) : 0,
    };
    this.onTranslate?.(tb);
    if (this.instrument) {
      // Instrumenting may flush everything (a plugin fails, uninstalls or resets): the block's
      // instrumentation then belongs to the generation just dropped, so it is asked for again.
      for (let tries = 0;; tries++) {
        const before = this.flushes;
        tb.instr = this.instrument(tb);
        if (this.flushes === before) break;
        // Plugins that flush at every translation get their block run once, uninstrumented and uncached.
        if (tries === 2) {
          const plain: TranslationBlock = { ...tb, instr: undefined, valid: false };
          plain.fn = interpretBlock(plain, this.rt);
          return plain;
        }
      }
    }
    // New blocks are interpreted until they have run a few times (see interpreter.ts).
    this.startInterpreted(tb);
    this.add(tb, block.insns.length);
    return tb;
  }

  /**
   * The new block at `pc` when the WebAssembly interpreter decodes and runs
   * it all by itself (`WasmInterpreter.scan`): a run without `-d in_asm`
   * and without plugins that look at translations now
   * ({@link watchesTranslation}), a block of instructions that interpreter
   * has. Its
   * instructions are decoded in JavaScript only if something asks for
   * them ({@link ScannedBlock}). It keeps the warm-up's lead as
   * {@link interpreted} gives it. Undefined otherwise: {@link translate}
   * goes on as before.
   */
  private scanned(pc: number): TranslationBlock | undefined {
    const w = this.rt.wasm;
    const watched = this.instrument !== undefined && (this.watchesTranslation?.() ?? true);
    if (watched || this.onTranslate || this.wasm === "off" || !w) return undefined;
    if (this.warmupEnd < 0) this.warmupEnd = performance.now() + this.warmupMs;
    const it = this.interpreterOf(w);
    const hits = this.warmupMs > 0 ? -WARMUP_EXTRA_RUNS : 0;
    const credit = this.chainsNewBlocks && hits < 0 ? CHAIN_CREDIT : 0;
    const got = it.scan(pc, this.maxInsns, this.mem.size, credit);
    if (got === undefined) return undefined;
    const tb = new ScannedBlock(pc, got.raws, got.end, this.translated + 1, hits, this.extensions);
    tb.fn = this.traced(tb, it.blockCode(tb, got.at, got.n, credit));
    this.hitsFrom.set(tb, hits);
    this.add(tb, got.n);
    return tb;
  }

  /** Enters new block `tb` of `insns` instructions into the cache and its pages' index. */
  private add(tb: TranslationBlock, insns: number): void {
    this.blocks.set(tb.pc, tb);
    const first = tb.pc >>> PAGE_SHIFT, last = (tb.end - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      this.mem.pages[p] |= PAGE_CODE;
      let set = this.byPage.get(p);
      if (!set) this.byPage.set(p, set = new Set());
      set.add(tb);
    }
    this.translated++;
    this.insnsSinceFlush += insns;
  }

  /** Gives a new block its interpreted code, and notes the count its runs start from ({@link runs}). */
  private startInterpreted(tb: TranslationBlock): void {
    tb.fn = this.traced(tb, this.interpreted(tb));
    this.hitsFrom.set(tb, tb.hits);
  }

  /**
   * The interpreter's code for a new block: the WebAssembly interpreter's
   * where it runs the block (every instruction one it has; plugin actions,
   * if any, only when the block starts), else the JavaScript interpreter's.
   */
  private interpreted(tb: TranslationBlock): BlockFn {
    const instr = tb.instr;
    const wasm = this.wasm !== "off" ? this.rt.wasm : undefined;
    // Records alone (`bb`'s, `insn`'s, `mem`'s callbacks): the interpreter appends them itself, so the block chains as
    // one without plugins does. `python3.13 -c pass` under `bb` made 18.2 M dispatches, one a block run.
    const records = instr && wasm && interpreterRecords(instr, (ring) => wasm.recordBatch(ring) !== undefined);
    const w = instr === undefined || records !== undefined || onlyAtEntry(instr) ? wasm : undefined;
    if (w) {
      const it = this.interpreterOf(w);
      // A block this interpreter runs keeps the warm-up's lead whenever it is translated (unless -jit-warmup 0): it
      // runs there nearly as fast as compiled, and compiling it costs as much as ever. Python's start-up (37,744
      // blocks, translated over seconds) took 4.36 -> 1.95 s (peak RSS 328 -> 236 MB), sqlite3 grouping
      // 20,000 rows 1.37 -> 1.23 s; the CPU-bound rows of `deno task bench` the same or 3-5% faster (medians of 3-7).
      const lead = this.warmupMs > 0 && tb.hits === 0 && it.takes(tb);
      if (lead) tb.hits = -WARMUP_EXTRA_RUNS;
      if (records !== undefined) {
        const fn = it.block(tb, this.chainsNewBlocks && tb.hits < 0 ? CHAIN_CREDIT : 0, true, records);
        if (fn) return fn;
      } else if (instr !== undefined) {
        // Its actions run before its code, which is never chained into nor goes on into other blocks: under the
        // insn plugin, 896 of busybox `echo hi`'s 922 blocks; lua5.4 -e 'print(1)' 392 -> 336 ms.
        const fn = it.block(tb, 0, false);
        if (fn) return withEntryActions(tb.pc, instr, this.rt.P, fn, tb.pcs);
      } else {
        // Only blocks still far from their compile threshold may be chained into (see wasm/interpreter.ts).
        const fn = it.block(tb, this.chainsNewBlocks && tb.hits < 0 ? CHAIN_CREDIT : 0);
        if (fn) return fn;
      }
      if (lead) tb.hits = 0; // the JavaScript interpreter runs it after all (its code memory is full)
    }
    return interpretBlock(tb, this.rt);
  }

  /**
   * How many times `tb` has run as far as plume counted: dispatches of the
   * CPU loop since it was translated, and runs the WebAssembly interpreter
   * chained into it; not its runs inside regions. Infinity when unknown.
   */
  private runs(tb: TranslationBlock): number {
    const from = this.hitsFrom.get(tb);
    if (from === undefined) return Infinity;
    return tb.hits - from + (this.wasmInterpreter?.chainedRuns(tb) ?? 0);
  }

  /** Each block's `hits` when it was translated (below zero during the warm-up). */
  private readonly hitsFrom = new WeakMap<TranslationBlock, number>();

  /**
   * The blocks of a WebAssembly region headed by `head` (`formRegion`),
   * less those that ran rarely beside it ({@link COLD_RATIO}); all of them
   * when leaving those out leaves no region worth making.
   */
  private wasmRegionOf(head: TranslationBlock): TranslationBlock[] {
    const all = (pc: number) => this.blocks.get(pc);
    const least = this.runs(head) / COLD_RATIO;
    if (!Number.isFinite(least)) return formRegion(head, all, WASM_REGION_LIMITS);
    const common = (pc: number) => {
      const tb = this.blocks.get(pc);
      return tb === undefined || this.regionMembers.has(tb) || this.runs(tb) >= least ? tb : undefined;
    };
    const region = formRegion(head, common, WASM_REGION_LIMITS);
    return worthRegion(head, region) ? region : formRegion(head, all, WASM_REGION_LIMITS);
  }

  /** The WebAssembly interpreter, once a block went to it. */
  private wasmInterpreter: WasmInterpreter | undefined;

  /** The WebAssembly interpreter of runtime `w`, made to have a block compile once its chain credit is spent. */
  private interpreterOf(w: NonNullable<Runtime["wasm"]>): WasmInterpreter {
    if (this.wasmInterpreter === undefined) {
      const it = this.wasmInterpreter = wasmInterpreterOf(w);
      it.creditSpent = (tb) => this.compileNext(tb as TranslationBlock);
    }
    return this.wasmInterpreter;
  }

  /** Makes `tb` compile at its next dispatch (its count one short of the threshold), its count of runs kept. */
  private compileNext(tb: TranslationBlock): void {
    const up = COMPILE_THRESHOLD - 1 - tb.hits;
    if (up <= 0) return;
    tb.hits += up;
    const from = this.hitsFrom.get(tb);
    if (from !== undefined) this.hitsFrom.set(tb, from + up);
  }

  private traced(tb: TranslationBlock, fn: BlockFn): BlockFn {
    const trace = this.trace;
    if (!trace) return fn;
    return (c) => {
      trace(tb, c);
      return fn(c);
    };
  }

  /** Replaces an interpreted block's code by compiled code. */
  compile(tb: TranslationBlock): void {
    if (!tb.valid) return;
    // A block with vector instructions becomes a WebAssembly region at once where the tier covers it: as a
    // JavaScript block it would run them through fast paths V8 must first compile and tier up.
    if (hasVector(tb.insns) && this.earlyWasm(tb)) return;
    this.unchain(tb);
    tb.fn = this.traced(tb, compileBlock(tb, this.rt));
  }

  /**
   * With the `hot` policy, makes `tb` the head of a WebAssembly region now,
   * when the tier covers the region and it pays ({@link worthRegion});
   * returns whether it did. For blocks with vector instructions, at their
   * compile threshold instead of {@link WASM_REGION_THRESHOLD}: measured on
   * `rva23 300`, medians of 15 interleaved runs, 322 → 306 ms wall (the
   * rv64gc build: 274 ms); its hot loops went from compiled JavaScript
   * blocks to WebAssembly after some 3,000 dispatches each before.
   */
  private earlyWasm(tb: TranslationBlock): boolean {
    const w = this.rt.wasm;
    if (this.wasm !== "hot" || !w || !this.regionsAllowed(tb)) return false;
    const region = this.wasmRegionOf(tb);
    if (!worthRegion(tb, region) || !wasmRegionSupported(region, w)) return false;
    this.wasmTried.add(tb);
    this.install(tb, region, compileWasmRegion(region, w, this.countedSlices)!, true);
    return true;
  }

  /**
   * Makes `tb` the head of a region of hot blocks around it, in JavaScript,
   * or in WebAssembly with the `always` policy where that tier covers the
   * region; with the `hot` policy, a region the WebAssembly tier covers is
   * left to {@link promoteWasm}. The region is dropped with the head when
   * any of its pages changes.
   */
  promote(tb: TranslationBlock): void {
    if (!this.regionsAllowed(tb)) return;
    const lookup = (pc: number) => this.blocks.get(pc);
    const w = this.rt.wasm;
    if (w && this.wasm !== "off") {
      // The WebAssembly tier takes larger regions.
      const region = formRegion(tb, lookup, WASM_REGION_LIMITS);
      if (wasmRegionSupported(region, w)) {
        if (this.wasm === "always" && worthRegion(tb, region)) {
          this.install(tb, region, compileWasmRegion(region, w, this.countedSlices)!, true);
        }
        return;
      }
    }
    const region = formRegion(tb, lookup, JS_REGION_LIMITS);
    if (worthRegion(tb, region)) this.install(tb, region, compileRegion(region, this.rt, this.countedSlices), false);
  }

  /**
   * With the `hot` policy, makes `tb` the head of a WebAssembly region once
   * it is hot ({@link WASM_REGION_THRESHOLD}), when the tier covers the
   * region, or else of a JavaScript region if it heads none yet (once).
   */
  promoteWasm(tb: TranslationBlock): void {
    const w = this.rt.wasm;
    if (this.wasm !== "hot" || !w || !tb.valid || !this.regionsAllowed(tb) || this.wasmTried.has(tb)) return;
    this.wasmTried.add(tb);
    const lookup = (pc: number) => this.blocks.get(pc);
    const region = this.wasmRegionOf(tb);
    if (!worthRegion(tb, region)) return;
    if (wasmRegionSupported(region, w)) {
      this.install(tb, region, compileWasmRegion(region, w, this.countedSlices)!, true);
    } else if (!this.regionHeads.has(tb)) {
      // Blocks the tier does not cover joined the region since promote() left it to this tier.
      const js = formRegion(tb, lookup, JS_REGION_LIMITS);
      if (worthRegion(tb, js)) this.install(tb, js, compileRegion(js, this.rt, this.countedSlices), false);
    }
  }

  /** Whether `tb` may head a region: not while tracing, nor with `-d nochain`, nor for synchronous plugin callbacks. */
  private regionsAllowed(tb: TranslationBlock): boolean {
    // Synchronous plugin callbacks see registers in the register file: such blocks stay alone.
    return !this.trace && !this.noChain && !needsRegisterFile(tb.instr);
  }

  /** Makes `fn`, the code of `region` (in WebAssembly if `wasm`), the code of its head `tb`. */
  private install(tb: TranslationBlock, region: readonly TranslationBlock[], fn: BlockFn, wasm: boolean): void {
    this.unchain(tb);
    tb.fn = fn;
    this.addRegion(tb, region);
    this.regions++;
    if (wasm) this.wasmRegions++;
  }

  /** Region heads {@link promoteWasm} has tried. */
  private readonly wasmTried = new WeakSet<TranslationBlock>();

  /** Heads of regions: dropped with their head when a page of any member changes. */
  private readonly regionHeads = new WeakSet<TranslationBlock>();

  /** Blocks of regions, whose counts stopped when they joined one (they run inside it): {@link wasmRegionOf}. */
  private readonly regionMembers = new WeakSet<TranslationBlock>();

  private addRegion(head: TranslationBlock, region: readonly TranslationBlock[]): void {
    this.regionHeads.add(head);
    for (const member of region) {
      this.regionMembers.add(member);
      const first = member.pc >>> PAGE_SHIFT, last = (member.end - 1) >>> PAGE_SHIFT;
      for (let p = first; p <= last; p++) this.byPage.get(p)?.add(head);
    }
  }

  /** Drops every block made from pages `first..last`. */
  invalidatePages(first: number, last: number): void {
    for (let p = first; p <= last; p++) {
      const set = this.byPage.get(p);
      if (!set) continue;
      this.byPage.delete(p);
      for (const tb of set) this.drop(tb);
    }
  }

  /** Drops every block (`fence.i`, `execve`). */
  flush(): void {
    this.flushes++;
    this.insnsSinceFlush = 0;
    for (const tb of this.blocks.values()) tb.valid = false;
    this.blocks.clear();
    for (const p of this.byPage.keys()) this.mem.pages[p] &= ~PAGE_CODE;
    this.byPage.clear();
    this.jmpCache.fill(undefined);
    this.wasmInterpreter?.reset();
    this.onFlush?.();
  }

  /**
   * Starts with the blocks of `parent`, the cache of the process this one's
   * was forked from (the same code at the same addresses), as QEMU's child
   * keeps its parent's translations: instrumentation and all, so that
   * plugins that followed the fork see no block translated twice. Each
   * block runs interpreted again, on this cache's runtime.
   */
  inherit(parent: TbCache): void {
    for (const from of parent.blocks.values()) {
      if (!from.valid) continue;
      const id = ++this.translated;
      const tb: TranslationBlock = from instanceof ScannedBlock
        ? from.copy(id, 0)
        : { ...from, id, valid: true, hits: 0 };
      this.startInterpreted(tb);
      this.blocks.set(tb.pc, tb);
      this.insnsSinceFlush += tb.insns.length; // inherited translations count against the budget too
      const first = tb.pc >>> PAGE_SHIFT, last = (tb.end - 1) >>> PAGE_SHIFT;
      for (let p = first; p <= last; p++) {
        this.mem.pages[p] |= PAGE_CODE;
        let set = this.byPage.get(p);
        if (!set) this.byPage.set(p, set = new Set());
        set.add(tb);
      }
    }
  }

  /** Blocks the WebAssembly interpreter runs no longer go on into `tb` (its code changed or was dropped). */
  private unchain(tb: TranslationBlock): void {
    this.wasmInterpreter?.unchain(tb.pc);
  }

  private drop(tb: TranslationBlock): void {
    if (!tb.valid) return;
    tb.valid = false;
    this.unchain(tb);
    this.blocks.delete(tb.pc);
    const slot = (tb.pc >>> 1) & (JMP_CACHE_SIZE - 1);
    if (this.jmpCache[slot] === tb) this.jmpCache[slot] = undefined;
    // A block may span two pages; the other page's index still lists it,
    // harmlessly: drop() is idempotent.
  }
}
