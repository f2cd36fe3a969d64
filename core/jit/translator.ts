/**
 * From guest code to JavaScript functions, in three stages:
 *
 * 1. {@link decodeBlock} reads and decodes guest instructions from `pc` up to a
 *    control transfer, a page end or {@link MAX_BLOCK_INSNS};
 * 2. {@link emitBlock} runs each instruction's `trans_*` function to get the
 *    block's JavaScript;
 * 3. {@link compileBlock} wraps it with register load/store code and
 *    makes the function.
 *
 * `tb_cache.ts` keeps the blocks by guest pc; `region.ts` compiles hot
 * groups of blocks together.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { decode, insnLength } from "../isa/decoder.ts";
import { DEFAULT_EXTENSIONS, hasCsr, hasInsn } from "../isa/extensions.ts";
import type { Insn } from "../isa/insn.ts";
import { type Extension, type Op, OP_INFO, OPS } from "../isa/ops_generated.ts";
import { type AddressSpace, GuestMemoryError, PAGE_SHIFT, PROT_EXEC } from "../mem/address_space.ts";
import { Emitter, EXIT_ILLEGAL } from "./emitter.ts";
import { emitExecActions } from "./instrument.ts";
import { type BlockInstrumentation, streamsRecords } from "./plugin_actions.ts";
import type { Runtime } from "./runtime.ts";
import { TRANS_RVA, TRANS_ZICSR } from "./trans_rva.ts";
import { TRANS_RVV } from "./trans_rvv.ts";
import { TRANS_RVB } from "./trans_rvb.ts";
import { TRANS_RVZIMOP } from "./trans_rvzimop.ts";
import { TRANS_RVF } from "./trans_rvf.ts";
import { type Trans, TRANS_RVI } from "./trans_rvi.ts";
import { TRANS_RVM } from "./trans_rvm.ts";

/**
 * Longest block, in instructions. Longer blocks mean fewer dispatches but
 * more code compiled that may never run; QEMU uses 512.
 */
export const MAX_BLOCK_INSNS = 256;

/**
 * All translators, by mnemonic. Typed `Record<Op, Trans>`: an operation
 * added to `rv64gc.decode` fails `deno check` here until an extension's table
 * translates it. Merged by `Object.assign`, not spread into a literal: V8
 * copies the 655 entries that way in 0.1 ms where the literal took 1.2–1.7
 * ms of every run's start-up.
 */
const TRANS: Readonly<Record<Op, Trans>> = Object.assign(
  {},
  TRANS_RVI,
  TRANS_RVM,
  TRANS_RVA,
  TRANS_ZICSR,
  TRANS_RVF,
  TRANS_RVB,
  TRANS_RVZIMOP,
  TRANS_RVV,
) as (
  & typeof TRANS_RVI
  & typeof TRANS_RVM
  & typeof TRANS_RVA
  & typeof TRANS_ZICSR
  & typeof TRANS_RVF
  & typeof TRANS_RVB
  & typeof TRANS_RVZIMOP
  & typeof TRANS_RVV
);

/** A compiled block: takes the vCPU, returns the next pc or a negative `EXIT_*` code. */
export type BlockFn = (c: Cpu) => number;

/** One translation block. */
export interface TranslationBlock {
  /** Guest address of the first instruction. */
  readonly pc: number;
  /** Decoded instructions; `null` marks an illegal one (always last). */
  readonly insns: readonly (Insn | null)[];
  /** Guest address of each instruction. */
  readonly pcs: readonly number[];
  /** Raw bits of each instruction (also for illegal ones). */
  readonly raws: readonly number[];
  /** Address after the last instruction. */
  readonly end: number;
  /** The compiled code: the block alone, or the region it heads once hot. */
  fn: BlockFn;
  /** False once the block's code pages changed; it must not run again. */
  valid: boolean;
  /** Number of the block in its cache, in translation order (from 1). */
  id: number;
  /** Times the dispatcher entered this block (counts up to the region threshold; from below 0 during the warm-up). */
  hits: number;
  /** What plugins asked to run in this block, if anything. */
  instr?: BlockInstrumentation;
}

/** Instructions that end a block: jumps, branches and exits to the CPU loop (`!jump`, `!branch`, `!exit` in `rv64gc.decode`). */
export const CONTROL_FLOW: ReadonlySet<Op> = new Set(OPS.filter((op) => OP_INFO[op].flow !== undefined));

const DEFAULT_SET: ReadonlySet<Extension> = new Set(DEFAULT_EXTENSIONS);

/** Reads 16 bits of code at `addr`, checking execute permission. */
function fetch16(mem: AddressSpace, addr: number): number {
  if (addr < 0 || addr + 2 > mem.size || (mem.pages[addr >>> PAGE_SHIFT] & PROT_EXEC) === 0) {
    mem.check(addr, 2, "exec");
  }
  return mem.u8[addr] | (mem.u8[addr + 1] << 8);
}

/**
 * Instructions already decoded, by their bits (a compressed one by its 16
 * bits), per set of extensions (outside it an instruction decodes as
 * illegal, `null`). Programs repeat instruction words (busybox `echo hi`
 * decodes 4,761 instructions of 2,848 distinct words, lua5.4's start-up
 * 21,681 of 9,996), and at start-up, before V8 has optimized the decoder,
 * a lookup costs a fraction of decoding again (about 1.5 µs a word then).
 * Measured in-process, means of 10 alternating runs: decoding took 22.2
 * → 14.8 ms of lua5.4 `-e 'print(1)'`, 7.1 → 6.5 ms of `echo hi`.
 * {@link Insn}s are immutable and carry no address, so blocks share them.
 */
const decoded = new WeakMap<ReadonlySet<Extension>, Map<number, Insn | null>>();
/** Words one memo holds before it starts again (a guest generating code without end must not grow it). */
const DECODED_WORDS = 1 << 16;

function decodedFor(extensions: ReadonlySet<Extension>): Map<number, Insn | null> {
  let memo = decoded.get(extensions);
  if (memo === undefined) decoded.set(extensions, memo = new Map());
  return memo;
}

/** The instruction `bits` encode with `extensions`, from `memo` (that set's decoded words) or decoded now. */
function decodeFor(bits: number, extensions: ReadonlySet<Extension>, memo: Map<number, Insn | null>): Insn | null {
  const known = memo.get(bits);
  if (known !== undefined) return known;
  let insn = decode(bits);
  if (insn !== null && !(hasInsn(insn, extensions) && hasCsr(insn, extensions))) insn = null;
  if (memo.size >= DECODED_WORDS) memo.clear();
  memo.set(bits, insn);
  return insn;
}

/**
 * Decodes the block starting at `pc`. Throws {@link GuestMemoryError} when the
 * first instruction cannot be fetched; a later unfetchable instruction just
 * ends the block before it (the fault happens when it is reached). An
 * instruction of an extension outside `extensions` (`-cpu`) is illegal.
 */
export function decodeBlock(
  mem: AddressSpace,
  pc: number,
  maxInsns = MAX_BLOCK_INSNS,
  extensions: ReadonlySet<Extension> = DEFAULT_SET,
): {
  insns: (Insn | null)[];
  pcs: number[];
  raws: number[];
  end: number;
} {
  const insns = SCRATCH_INSNS, pcs = SCRATCH_PCS, raws = SCRATCH_RAWS;
  const memo = decodedFor(extensions);
  let at = pc, n = 0;
  const page = pc >>> PAGE_SHIFT;
  while (n < maxInsns) {
    let bits: number;
    try {
      const lo = fetch16(mem, at);
      const len = insnLength(lo);
      bits = len === 4 ? (lo | (fetch16(mem, at + 2) << 16)) >>> 0 : lo;
    } catch (err) {
      if (n > 0 && err instanceof GuestMemoryError) break;
      throw err;
    }
    const insn = decodeFor(bits, extensions, memo);
    insns[n] = insn;
    pcs[n] = at;
    raws[n++] = bits;
    if (insn === null) {
      at += insnLength(bits & 0xffff) || 2;
      break;
    }
    at += insn.size;
    if (CONTROL_FLOW.has(insn.op)) break;
    // Blocks stay within one page (an instruction may straddle the end), so
    // that invalidating a page drops exactly the blocks made from it.
    if (at >>> PAGE_SHIFT !== page) break;
  }
  return { insns: insns.slice(0, n), pcs: pcs.slice(0, n), raws: raws.slice(0, n), end: at };
}

/**
 * Where {@link decodeBlock} decodes, before it copies a block's arrays out
 * at their length. Arrays grown by `push` keep room for 16 or more
 * elements: a block holds 5 instructions on average (lua5.4's start-up
 * decodes 21,681 in 3,983 blocks), and its three arrays live as long as the
 * block, so their spare room was most of what translation allocated.
 */
const SCRATCH_INSNS: (Insn | null)[] = [], SCRATCH_PCS: number[] = [], SCRATCH_RAWS: number[] = [];

/**
 * A block the WebAssembly interpreter decoded itself (`WasmInterpreter.scan`):
 * its words were read at translation, and its instructions are decoded
 * from them only when something asks (a compile, a region, a fault's
 * report), as most blocks of a start-up run a few times and are never
 * compiled. The words are those {@link decodeBlock} would read (a valid
 * block's code pages never changed: a change drops it), so the
 * instructions are the same.
 */
export class ScannedBlock implements TranslationBlock {
  fn: BlockFn = undefined as unknown as BlockFn;
  valid = true;
  instr: BlockInstrumentation | undefined = undefined;
  #insns: (Insn | null)[] | undefined = undefined;
  #pcs: number[] | undefined = undefined;

  /**
   * @param pc its first instruction's address
   * @param raws its instructions' words
   * @param end the address after its last instruction
   * @param id its number in its cache
   * @param hits its dispatcher count's start
   * @param extensions the run's extensions (`-cpu`), which decode it
   */
  constructor(
    readonly pc: number,
    readonly raws: readonly number[],
    readonly end: number,
    public id: number,
    public hits: number,
    private readonly extensions: ReadonlySet<Extension>,
  ) {}

  get insns(): readonly (Insn | null)[] {
    if (this.#insns === undefined) this.decode();
    return this.#insns!;
  }

  get pcs(): readonly number[] {
    if (this.#pcs === undefined) this.decode();
    return this.#pcs!;
  }

  /** The same block for another cache (a forked process's), with number `id`, counted from `hits`. */
  copy(id: number, hits: number): ScannedBlock {
    return new ScannedBlock(this.pc, this.raws, this.end, id, hits, this.extensions);
  }

  private decode(): void {
    const memo = decodedFor(this.extensions), raws = this.raws;
    const insns = new Array<Insn | null>(raws.length), pcs = new Array<number>(raws.length);
    for (let k = 0, at = this.pc; k < raws.length; k++) {
      const insn = decodeFor(raws[k], this.extensions, memo);
      insns[k] = insn;
      pcs[k] = at;
      at += insn?.size ?? 4;
    }
    this.#insns = insns;
    this.#pcs = pcs;
  }
}

/** What {@link emitBlock} needs of a block. */
export type BlockSource = Pick<TranslationBlock, "pc" | "insns" | "pcs" | "end" | "instr">;

/** Emits the body of a block; the caller wraps it with {@link compileBlock}. */
export function emitBlock(e: Emitter, block: BlockSource) {
  const instr = block.instr;
  if (instr) {
    e.startInsn(block.pc, 0);
    emitExecActions(e, instr.block);
    if (streamsRecords(instr)) e.reportsFaults = e.rt("P") === "P";
  }
  for (let k = 0; k < block.insns.length; k++) {
    const insn = block.insns[k];
    e.startInsn(block.pcs[k], insn?.size ?? 4);
    if (instr) {
      emitExecActions(e, instr.insn[k]);
      if (instr.mem[k]?.length) e.memActions = instr.mem[k];
    }
    if (!insn || !TRANS[insn.op](e, insn)) {
      e.exit(EXIT_ILLEGAL, e.pc);
      return;
    }
    if (e.ended) return;
  }
  e.jump(block.end);
}

/**
 * Wraps emitted code into a parenthesized function expression for
 * `Runtime.compile`. `locals` declares extra locals (region state);
 * `epilogue` runs before the function returns (not when it throws).
 */
export function functionSource(e: Emitter, name: string, locals = "", epilogue = ""): string {
  const wb = e.writeback();
  const fault = e.reportsFaults ? "P.fault(c, ip);\n" : "";
  return `(function ${name}(c) {\nconst x = c.x, F = c.fi;\nlet ip = 0, nx = 0;\n${locals}${e.prologue()}` +
    `try {\nexit: {\n${e.body}}\n} catch (err) {\n${wb}c.pc = ip;\n${fault}throw err;\n}\n${wb}\n${epilogue}return nx;\n});\n`;
}

/** Compiles a decoded block into a function. */
export function compileBlock(block: BlockSource, rt: Runtime): BlockFn {
  const e = new Emitter();
  e.hooks = rt.P;
  e.vectorExecutor = rt.vectorExecutor;
  emitBlock(e, block);
  return rt.compile(e.uses, functionSource(e, `tb_${block.pc.toString(16)}`), e.data);
}
