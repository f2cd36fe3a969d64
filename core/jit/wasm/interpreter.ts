/**
 * The WebAssembly interpreter: runs a new block from its first execution,
 * as the JavaScript interpreter (`../interpreter.ts`) does, but in one
 * WebAssembly function made once per address space, where 64-bit
 * arithmetic is one instruction and the code runs at Liftoff's speed from
 * the start, instead of V8's bytecode interpreter running the JavaScript
 * handlers of int32 pairs until they are hot.
 *
 * Why: a program's start-up runs most of its instructions in blocks that
 * are still interpreted (busybox `echo hi`: 243,485 instructions in 922
 * blocks, none compiled; lua5.4 `-e 'print(1)'`: 1.07 M in 3,983), and
 * compiling those blocks sooner costs more than it saves (tried, measured:
 * ARCHITECTURE.md, "The WebAssembly interpreter").
 *
 * A block the interpreter takes is written as fixed-size records into the
 * code memory (one per instruction, then one that ends the block), and runs
 * as a call of the interpreter function with the record's address: a loop
 * that reads a record, `br_table`s on its operation and works on the
 * registers in the vCPU's slot of the register arena. Loads and stores
 * check their page's flags as the WebAssembly regions do and call the same
 * slow-path helpers; the function returns as a region does (the next pc,
 * an exit code, or a fault with its pc in the slot). Blocks with any other
 * instruction stay with the JavaScript interpreter, and so do blocks whose
 * plugin actions are more than records; a plugin's records (its callbacks
 * that may not look at registers: `bb`'s and `insn`'s block records,
 * `mem`'s memory records) are records of the block that append them to
 * the ring's batch store in the plugin memory, as the regions do. The
 * module is `interpreter_module.ts`'s, built beforehand.
 *
 * A block given a credit of runs (its lead before compiling: `tb_cache.ts`)
 * also goes into the chain table: a block that ends looks its next pc up
 * there and goes on into that block while it has credit, instead of
 * returning to the CPU loop (whose dispatches cost more than the block). A
 * block out of credit returns, and the loop's dispatches count towards
 * compiling it as before.
 *
 * @module
 */

import { INTERPRETER_MODULE } from "./interpreter_module_generated.ts";
import {
  CHAIN_LIMIT,
  CODE_MAX_PAGES,
  CODE_PAGES,
  DISCARD,
  INTERPRETED_LOADS,
  INTERPRETED_STORES,
  NUMBER,
  RECORD,
  TABLE_BYTES,
  TABLE_ENTRIES,
  WRITES,
} from "./interpreter_module.ts";
import { WASM_FAULT } from "./layout.ts";
import type { WasmRuntime } from "./runtime.ts";
import { SLOT } from "../../cpu/register_arena.ts";
import type { Cpu } from "../../cpu/state.ts";
import type { Insn } from "../../isa/insn.ts";
import { type InterpreterRecords, memInfo, type RingRecord } from "../plugin_actions.ts";
import { TAG } from "../record_format.ts";

let interpreterModule: WebAssembly.Module | undefined;

/** No records (for blocks without). */
const NONE: readonly RingRecord[] = [];

/** The empty memory every interpreter without plugins' records imports as theirs. */
let noPlugins: WebAssembly.Memory | undefined;

/** The operation numbers of a block record's record, and of a load's and a store's memory record. */
const RECORD_OP = NUMBER.get("record")!, LOAD_RECORD_OP = NUMBER.get("record.load")!;
const STORE_RECORD_OP = NUMBER.get("record.store")!;

/**
 * The loads and stores the interpreter runs, by operation: whether it is a
 * store, and the meminfo its memory record gives, as the other tiers give
 * it (a store's without the store bit, which its record's operation adds).
 */
const ACCESSES = new Map<string, { readonly store: boolean; readonly info: number }>([
  ...INTERPRETED_LOADS.map(([op, size, signed]) =>
    [op, { store: false, info: memInfo(Math.log2(size), signed && size < 8, false) }] as const
  ),
  ...INTERPRETED_STORES.map(([op, size]) =>
    [op, { store: true, info: memInfo(Math.log2(size), false, false) }] as const
  ),
]);

/** The interpreter of one address space's WebAssembly runtime, and the memory its blocks' records are in. */
export class WasmInterpreter {
  private readonly code = new WebAssembly.Memory({ initial: CODE_PAGES, maximum: CODE_MAX_PAGES });
  private words = new Int32Array(this.code.buffer);
  /** Bytes of the code memory (read from the memory only when it grows: its `buffer` getter is slow). */
  private capacity = this.words.byteLength;
  /** Bytes of the code memory in use. */
  private top = TABLE_BYTES;
  private run!: (slot: number, code: number, pc: number, chain: number) => number;
  private scanBlock!: (
    pc: number,
    at: number,
    max: number,
    limit: number,
    credit: number,
    raws: number,
  ) => number;
  /** The memory the instance appends plugins' records in (`m.plugins`): an empty one until a ring's batch moved. */
  private plugins: WebAssembly.Memory | undefined;

  constructor(private readonly w: WasmRuntime) {
    // Compiled once per run: each forked process's interpreter is another instance of it.
    interpreterModule ??= new WebAssembly.Module(Uint8Array.fromBase64(INTERPRETER_MODULE));
    this.instantiate(
      w.pluginMemory ?? (noPlugins ??= new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true })),
    );
  }

  /**
   * (Re)makes the module's instance over `plugins`: at first with the
   * plugin memory if a region made it, else an empty one, and again once a
   * block has records to append (their ring's batch store moved into the
   * plugin memory then). Making the plugin memory for every run with a
   * plugin, records or not, cost a forked guest under `-plugin syscall`
   * twice the full collections (V8 counts it as external memory). The code
   * memory is the instance's import, so nothing of the blocks is lost.
   */
  private instantiate(plugins: WebAssembly.Memory): void {
    const imports = {
      h: { ld: this.w.faulting.ld, st: this.w.faulting.st, batchFull: this.w.faulting.batchFull },
      m: { ...this.w.memories, code: this.code, plugins },
    };
    const instance = new WebAssembly.Instance(interpreterModule!, imports);
    this.run = instance.exports.run as (slot: number, code: number, pc: number, chain: number) => number;
    this.scanBlock = instance.exports.scan as typeof this.scanBlock;
    this.plugins = plugins;
  }

  /**
   * The code of a block the interpreter runs (the same contract as a
   * compiled block's), or undefined when it has an instruction the
   * interpreter does not run, or the code memory is full. With `credit`,
   * calls that run alone (`Cpu.runsAlone`) may go on into the block that
   * many times without returning to the CPU loop (whose dispatches count
   * towards compiling it): until {@link unchain}. Without `chainsOut`, the
   * block itself returns to the CPU loop at its end (its plugin actions run
   * around its code: `withEntryActions`). `records` are plugins' records
   * it appends itself, each to its ring's batch store
   * (`WasmRuntime.recordBatch`, which the caller made sure of): block
   * records where it starts, memory records after its loads' and stores'
   * accesses; a fault in a block with records is reported to the plugins
   * (`WasmRuntime.reportFault`), whichever block the call began with.
   */
  block(
    tb: {
      readonly pc: number;
      readonly insns: readonly (Insn | null)[];
      readonly pcs: readonly number[];
      readonly end: number;
    },
    credit = 0,
    chainsOut = true,
    records?: InterpreterRecords,
  ): ((c: Cpu) => number) | undefined {
    if (!this.takes(tb) || tb.end - tb.pc > 0xffff) return undefined;
    const insns = tb.insns, n = insns.length, pc0 = tb.pc, pcs = tb.pcs;
    // Each instruction's memory records that its access makes (a load's for reads, a store's for writes); nothing
    // is made for a block without records: a forked process's cache makes all its parent's blocks again here.
    let total = n, accesses: (readonly RingRecord[])[] | undefined;
    if (records !== undefined) {
      total += records.block.length;
      accesses = [];
      for (let k = 0; k < n; k++) {
        const access = ACCESSES.get(insns[k]!.op), mem = records.mem[k];
        accesses.push(access && mem ? mem.filter((a) => a.rw & (access.store ? 2 : 1)) : []);
        total += accesses[k].length;
      }
    }
    const bytes = (total + 1) * RECORD;
    if (!this.reserve(bytes)) return undefined;
    const at = this.top, words = this.words;
    this.top += bytes;
    let r = at >> 2;
    for (const { ring, id } of records?.block ?? NONE) {
      // The ring in the size byte, the record's id as the immediate, at the block's first instruction.
      words[r] = RECORD_OP | (ring << 8) | (DISCARD << 16);
      words[r + 1] = 0;
      words[r + 2] = id;
      words[r + 3] = 0;
      r += RECORD / 4;
    }
    for (let k = 0; k < n; k++, r += RECORD / 4) {
      const i = insns[k]!, op = NUMBER.get(i.op)!;
      words[r] = op | (i.size << 8) | ((WRITES[op] && i.rd !== 0 ? 8 * i.rd : DISCARD) << 16);
      words[r + 1] = 8 * i.rs1 | (8 * i.rs2) << 16;
      words[r + 2] = i.imm;
      words[r + 3] = pcs[k] - pc0;
      const mem = accesses?.[k];
      if (mem === undefined || mem.length === 0) continue;
      const access = ACCESSES.get(i.op)!;
      for (const { ring, id } of mem) {
        // The meminfo's size and sign in the rd field (the store bit is the operation's); a store's rs2, whose
        // value the record reports.
        r += RECORD / 4;
        words[r] = (access.store ? STORE_RECORD_OP : LOAD_RECORD_OP) | (ring << 8) | (access.info << 16);
        words[r + 1] = access.store ? (8 * i.rs2) << 16 : 0;
        words[r + 2] = TAG.MEM | id;
        words[r + 3] = pcs[k] - pc0;
      }
    }
    words[r] = 0;
    words[r + 2] = credit;
    words[r + 3] = tb.end - pc0;
    if (records !== undefined) {
      // Records go to batch stores in the plugin memory, which recordBatch made (the caller asked it).
      const memory = this.w.pluginMemory;
      if (memory !== undefined && memory !== this.plugins) this.instantiate(memory);
      this.recording = true;
      this.recordsAt.add(at);
    } else if (this.recording) this.recordsAt.delete(at);
    return this.blockCode(tb, at, total, credit, chainsOut);
  }

  /** True once a block with plugins' records was made: every call then writes the vCPU's index into its slot. */
  private recording = false;

  /**
   * Where the blocks with plugins' records (see {@link block}) begin in the
   * code memory, whose fault is reported to the plugins: all the plugins'
   * tiers report a fault of a block that streams records, matching records
   * or not. By address, not pc: a block may be dropped while it runs (a
   * store into its own page, a flush during a publish) and fault after, and
   * the address holds its records until a later block is written there.
   */
  private readonly recordsAt = new Set<number>();

  /**
   * Decodes the block at `pc` and writes its records in WebAssembly (the
   * module's `scan`, generated from the encoding table), so that a new
   * block costs no JavaScript decoding: at start-up, in V8's interpreter,
   * that was most of a translation (ARCHITECTURE.md, "The WebAssembly
   * interpreter"). At most `maxInsns` instructions, from guest memory below
   * `limit`; the block gets chain credit `credit` (see {@link block}).
   * Returns the block's length, end and words (as `decodeBlock` reads
   * them), with where its records are for {@link blockCode}; undefined when the
   * block has an instruction the interpreter does not run, or none that
   * can be fetched, or the code memory is full: the JavaScript path then
   * decodes it, as before.
   */
  scan(
    pc: number,
    maxInsns: number,
    limit: number,
    credit: number,
  ): { readonly at: number; readonly n: number; readonly end: number; readonly raws: number[] } | undefined {
    if (pc >= limit || pc >= 2 ** 32 - 4) return undefined;
    const records = (maxInsns + 1) * RECORD;
    if (!this.reserve(records + 4 * maxInsns)) return undefined;
    const at = this.top, rawsAt = at + records;
    const got = this.scanBlock(pc, at, maxInsns, Math.min(limit, 2 ** 32 - 1), credit, rawsAt);
    if (got === 0) return undefined;
    if (this.recording) this.recordsAt.delete(at); // a block of no plugin's: no fault of it is reported
    const n = got & 511, words = this.words, raws = new Array<number>(n);
    for (let k = 0; k < n; k++) raws[k] = words[(rawsAt >> 2) + k] >>> 0;
    this.top += (n + 1) * RECORD;
    return { at, n, end: pc + (got >>> 9), raws };
  }

  /**
   * The code of the block `tb` whose `n` records (and end record) are at
   * `at`: it goes into the chain table with `credit`, and may go on into
   * other blocks unless `chainsOut` is false ({@link block}).
   */
  blockCode(tb: { readonly pc: number }, at: number, n: number, credit: number, chainsOut = true): (c: Cpu) => number {
    const pc0 = tb.pc, r = (at >> 2) + n * (RECORD / 4);
    const e = tableEntry(pc0), key = (pc0 % 4294967296) | 1, last = at + n * RECORD, creditAt = r + 2;
    if (credit > 0) {
      this.enter(e, pc0, at, last);
      this.credits.set(tb, { at: creditAt, given: credit });
    }
    const w = this.w;
    return (cpu: Cpu) => {
      if (credit > 0) {
        if (this.words[creditAt] <= 0) {
          // Chained into as often as its credit allowed: no dispatch gets it chained into again, so it should compile.
          this.creditSpent?.(tb);
        } else if (this.words[e] !== key && this.chains) {
          // A block translated later may have taken the entry (collisions): this one takes it back when it runs with
          // credit left. Before blocks took their entries back, `python3.13 -c pass` made 3.7 M of its 5.0 M
          // dispatches of blocks with their lead for blocks that had lost theirs to later ones (32,768 entries).
          this.enter(e, pc0, at, last);
        }
      }
      w.cpu = cpu;
      if (this.recording) w.noteVcpuIndex(cpu);
      // The instance's `run` now: it is made again once blocks have records (instantiate).
      const nx = this.run(cpu.slot, at, pc0, chainsOut && cpu.runsAlone ? CHAIN_LIMIT : 0);
      if (nx >= 0) return nx;
      if (nx === WASM_FAULT) {
        cpu.pc = w.pcOf(cpu, SLOT.ip);
        const err = w.fault;
        w.fault = undefined;
        // The block the fault is in (the exit pc's word holds its first record then) streams records: their replay
        // stops here.
        if (this.recording && this.recordsAt.has(w.pcOf(cpu, SLOT.exitPc))) w.reportFault(cpu, cpu.pc);
        throw err;
      }
      cpu.pc = w.pcOf(cpu, SLOT.exitPc);
      return nx;
    };
  }

  /**
   * Called when the CPU loop runs a block given credit that it has spent
   * (the cache then compiles it at its next dispatch).
   */
  creditSpent: ((tb: { readonly pc: number }) => void) | undefined;

  /** Bytes of the code memory in use (where the next block's records go), for tests and diagnostics. */
  get codeBytes(): number {
    return this.top;
  }

  /** A copy of `count` words of the code memory from byte `at`, for tests and diagnostics. */
  codeWords(at: number, count: number): Int32Array {
    return this.words.slice(at >> 2, (at >> 2) + count);
  }

  /** Makes entry `e` of the chain table the block at `pc` (first record at `at`, end record at `last`). */
  private enter(e: number, pc: number, at: number, last: number): void {
    const words = this.words;
    words[e] = (pc % 4294967296) | 1;
    words[e + 1] = Math.floor(pc / 4294967296);
    words[e + 2] = at;
    words[e + 3] = last;
  }

  /** Whether blocks go on into one another at all (false while a debugger is attached: the table stays empty). */
  private chains = true;

  /**
   * Turns chaining off (emptying the table) or on again (blocks with credit
   * enter the table as they run). The debugger's loop turns it off at every
   * slice: only a change empties the table (512 KiB).
   */
  set chaining(on: boolean) {
    if (on === this.chains) return;
    this.chains = on;
    if (!on) this.unchainAll();
  }

  /** Whether the interpreter runs `tb` (every instruction one it has). */
  takes(tb: { readonly insns: readonly (Insn | null)[] }): boolean {
    const insns = tb.insns;
    for (let k = 0; k < insns.length; k++) {
      const insn = insns[k];
      if (insn === null || !NUMBER.has(insn.op)) return false;
    }
    return true;
  }

  /** Blocks run from here on no longer go on into the block at `pc` (it was dropped, compiled or made a region's head). */
  unchain(pc: number): void {
    const e = tableEntry(pc), words = this.words;
    if (words[e] === ((pc % 4294967296) | 1) && words[e + 1] === (Math.floor(pc / 4294967296) | 0)) {
      words[e] = words[e + 1] = 0;
    }
  }

  /** No block goes on into another from here on (until blocks are given credit again). */
  unchainAll(): void {
    this.words.fill(0, 0, TABLE_BYTES / 4);
  }

  /** Forgets every block's records (all translations were flushed: none of their code runs again). */
  reset(): void {
    this.top = TABLE_BYTES;
    this.unchainAll();
    this.credits = new WeakMap();
  }

  /**
   * How many times blocks went on into `tb` through the chain table: its
   * runs that no dispatch of the CPU loop counted (0 for a block given no
   * credit).
   */
  chainedRuns(tb: object): number {
    const c = this.credits.get(tb);
    return c === undefined ? 0 : c.given - this.words[c.at];
  }

  /** Where in the code memory's words each block given credit keeps what is left of it, and how much it was given. */
  private credits = new WeakMap<object, { readonly at: number; readonly given: number }>();

  /** Makes room for `bytes` more, growing the code memory; false when it cannot grow that far. */
  private reserve(bytes: number): boolean {
    if (this.top + bytes <= this.capacity) return true;
    const have = this.capacity;
    const pages = Math.ceil((this.top + bytes - have) / 65536);
    if (have / 65536 + pages > CODE_MAX_PAGES) return false;
    this.code.grow(Math.max(pages, Math.min(have / 65536, CODE_MAX_PAGES - have / 65536)));
    this.words = new Int32Array(this.code.buffer);
    this.capacity = this.words.byteLength;
    return true;
  }
}

/** The index in the code memory's words of the chain table's entry for `pc`. */
function tableEntry(pc: number): number {
  return (((pc / 2) >>> 0) & (TABLE_ENTRIES - 1)) * 4;
}

/** Each WebAssembly runtime's interpreter, made at its first block. */
const interpreters = new WeakMap<WasmRuntime, WasmInterpreter>();

/** The interpreter of `w`'s address space. */
export function wasmInterpreterOf(w: WasmRuntime): WasmInterpreter {
  let it = interpreters.get(w);
  if (!it) interpreters.set(w, it = new WasmInterpreter(w));
  return it;
}
