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
 * The {@link TbCache} keeps blocks by guest pc and drops them when their code
 * pages change.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { decode, insnLength } from "../isa/decoder.ts";
import type { Insn } from "../isa/insn.ts";
import { type AddressSpace, GuestMemoryError, PAGE_CODE, PAGE_SHIFT, PROT_EXEC } from "../mem/address_space.ts";
import { Emitter, EXIT_ILLEGAL, WRITEBACK } from "./emitter.ts";
import type { Runtime } from "./runtime.ts";
import { TRANS_RVA, TRANS_ZICSR } from "./trans_rva.ts";
import { TRANS_RVF } from "./trans_rvf.ts";
import { type Trans, TRANS_RVI } from "./trans_rvi.ts";
import { TRANS_RVM } from "./trans_rvm.ts";

/**
 * Longest block, in instructions. Longer blocks mean fewer dispatches but
 * more code compiled that may never run; QEMU uses 512.
 */
export const MAX_BLOCK_INSNS = 256;

/** All translators, by mnemonic. */
export const TRANS: Readonly<Record<string, Trans>> = {
  ...TRANS_RVI,
  ...TRANS_RVM,
  ...TRANS_RVA,
  ...TRANS_ZICSR,
  ...TRANS_RVF,
};

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
  /** The compiled code. */
  fn: BlockFn;
  /** False once the block's code pages changed; it must not run again. */
  valid: boolean;
}

const CONTROL_FLOW = new Set([
  "jal",
  "jalr",
  "beq",
  "bne",
  "blt",
  "bge",
  "bltu",
  "bgeu",
  "ecall",
  "ebreak",
  "fence.i",
]);

/** Reads 16 bits of code at `addr`, checking execute permission. */
function fetch16(mem: AddressSpace, addr: number): number {
  if (addr < 0 || addr + 2 > mem.size || (mem.pages[addr >>> PAGE_SHIFT] & PROT_EXEC) === 0) {
    mem.check(addr, 2, "exec");
  }
  return mem.u8[addr] | (mem.u8[addr + 1] << 8);
}

/**
 * Decodes the block starting at `pc`. Throws {@link GuestMemoryError} when the
 * first instruction cannot be fetched; a later unfetchable instruction just
 * ends the block before it (the fault happens when it is reached).
 */
export function decodeBlock(mem: AddressSpace, pc: number, maxInsns = MAX_BLOCK_INSNS): {
  insns: (Insn | null)[];
  pcs: number[];
  raws: number[];
  end: number;
} {
  const insns: (Insn | null)[] = [], pcs: number[] = [], raws: number[] = [];
  let at = pc;
  const page = pc >>> PAGE_SHIFT;
  while (insns.length < maxInsns) {
    let bits: number;
    try {
      const lo = fetch16(mem, at);
      const len = insnLength(lo);
      bits = len === 4 ? (lo | (fetch16(mem, at + 2) << 16)) >>> 0 : lo;
    } catch (err) {
      if (insns.length > 0 && err instanceof GuestMemoryError) break;
      throw err;
    }
    const insn = decode(bits);
    insns.push(insn);
    pcs.push(at);
    raws.push(bits);
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
  return { insns, pcs, raws, end: at };
}

/** Emits the body of a block; the caller wraps it with {@link compileBlock}. */
export function emitBlock(e: Emitter, block: { insns: readonly (Insn | null)[]; pcs: readonly number[]; end: number }) {
  for (let k = 0; k < block.insns.length; k++) {
    const insn = block.insns[k];
    e.pc = block.pcs[k];
    e.size = insn?.size ?? 4;
    const trans = insn && TRANS[insn.op];
    if (!insn || !trans || !trans(e, insn)) {
      e.exit(EXIT_ILLEGAL, e.pc);
      return;
    }
    if (e.ended) return;
  }
  e.jump(block.end);
}

/** Wraps emitted code into the source of a function factory taking the runtime. */
export function functionSource(e: Emitter, name: string, rt: Runtime): string {
  const idents = new Set(e.body.match(/[A-Za-z_$][\w$]*/g));
  const names = Object.keys(rt).filter((k) => idents.has(k));
  const wb = e.writeback();
  const body = e.body.replaceAll(WRITEBACK, wb);
  return `"use strict";\nconst { ${names.join(", ")} } = rt;\n` +
    `return function ${name}(c) {\nconst x = c.x, F = c.fi;\nlet ip = 0;\n${e.prologue()}` +
    `try {\n${body}} catch (err) {\n${wb}c.pc = ip;\nthrow err;\n}\n};\n`;
}

/** Compiles a decoded block into a function. */
export function compileBlock(
  block: { pc: number; insns: readonly (Insn | null)[]; pcs: readonly number[]; end: number },
  rt: Runtime,
): BlockFn {
  const e = new Emitter();
  emitBlock(e, block);
  const src = functionSource(e, `tb_${block.pc.toString(16)}`, rt);
  return new Function("rt", src)(rt) as BlockFn;
}

/** Number of entries of the direct-mapped jump cache (a power of two). */
const JMP_CACHE_SIZE = 1 << 14;

/**
 * Translated blocks by guest pc, with a small direct-mapped cache in front
 * (as QEMU's `tb_jmp_cache`) and a per-page index for invalidation.
 *
 * @example Find (or translate) the block at the entry point
 * ```ts ignore
 * const cache = new TbCache(mem, makeRuntime(mem));
 * const tb = cache.get(entry);
 * ```
 */
export class TbCache {
  /** Fast lookup by `(pc >> 1) & mask`; entries must be checked against pc. */
  readonly jmpCache: (TranslationBlock | undefined)[] = new Array(JMP_CACHE_SIZE).fill(undefined);
  private readonly blocks = new Map<number, TranslationBlock>();
  private readonly byPage = new Map<number, Set<TranslationBlock>>();
  /** Instructions per block (1 for `-one-insn-per-tb`). */
  maxInsns = MAX_BLOCK_INSNS;
  /** Called for each new block before it is compiled (`-d in_asm`, plugins). */
  onTranslate: ((tb: TranslationBlock) => void) | undefined;
  /** Number of blocks translated so far. */
  translated = 0;

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
    const block = decodeBlock(this.mem, pc, this.maxInsns);
    const tb: TranslationBlock = { pc, ...block, fn: undefined as unknown as BlockFn, valid: true };
    this.onTranslate?.(tb);
    tb.fn = compileBlock(tb, this.rt);
    this.blocks.set(pc, tb);
    const first = pc >>> PAGE_SHIFT, last = (block.end - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      this.mem.pages[p] |= PAGE_CODE;
      let set = this.byPage.get(p);
      if (!set) this.byPage.set(p, set = new Set());
      set.add(tb);
    }
    this.translated++;
    return tb;
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
    for (const tb of this.blocks.values()) tb.valid = false;
    this.blocks.clear();
    for (const p of this.byPage.keys()) this.mem.pages[p] &= ~PAGE_CODE;
    this.byPage.clear();
    this.jmpCache.fill(undefined);
  }

  private drop(tb: TranslationBlock): void {
    if (!tb.valid) return;
    tb.valid = false;
    this.blocks.delete(tb.pc);
    const slot = (tb.pc >>> 1) & (JMP_CACHE_SIZE - 1);
    if (this.jmpCache[slot] === tb) this.jmpCache[slot] = undefined;
    // A block may span two pages; the other page's index still lists it,
    // harmlessly: drop() is idempotent.
  }
}
