/**
 * Translation of guest instructions to WebAssembly, one row per operation.
 * The tier covers RV64IMAFD, Zicsr, Zba, Zbb, Zbc, Zbs and Zicond (the
 * carry-less products in module functions): atomics go through the JavaScript
 * tier's helpers (which keep the reservation), and so does every F/D
 * computation that is not inline below, through the exact IEEE helpers of
 * `core/fpu/`. `region.ts` checks {@link wasmTranslatable} before emitting.
 *
 * Each translator pushes operands (`e.get(r)` is an i64), computes with
 * the i64 instructions the operation maps to, and pops the result into
 * `rd` (`e.set(rd)`, a drop for x0). Loads and stores take an inline fast
 * path, checked as the JavaScript tier checks it (address below 4 GiB,
 * naturally aligned, page flag allows it), and call the runtime's slow
 * path otherwise.
 *
 * FP registers, `fflags` and `frm` stay in the vCPU's slot (never in
 * locals), where the `core/fpu/` helpers read and write them too. Inline:
 * FP loads and stores (the integer fast path, NaN-boxing flw), bit moves,
 * fsgnj*.d, feq/flt/fle.d on non-NaN operands, Zicsr on fflags, frm and
 * fcsr, and fadd/fsub/fmul/fdiv/fsqrt of doubles and singles when the
 * helper's own fast path would store the host's result and accrue nothing
 * ({@link fpFast}, {@link fpFastS}), and the fused multiply-adds of doubles
 * when the first branch of their helper's fast path decides ({@link fmaFast}).
 * A helper with a rounding mode is called with rm 7 only when `frm` is
 * valid (a reserved one leaves through the fault exit, as the helper's
 * throw would), so the F/D helpers never fault and return no status.
 * Blocks mostly made of helper calls stay in JavaScript ({@link WASM_POLICY}).
 *
 * @module
 */

import type { Insn } from "../../isa/insn.ts";
import { ARG_SETS, type Op, OP_INFO } from "../../isa/ops_generated.ts";
import { PAGE_CODE, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I } from "../emitter.ts";
import { AMO_OPS, CSR, CSR_OP, csrWrites } from "../runtime.ts";
import {
  EFT_HUGE,
  EFT_SPLIT_MAX,
  EFT_TINY,
  MIN_NORMAL_D,
  MIN_NORMAL_S,
  NEIGHBOUR_STEP,
  SPLITTER,
} from "../../fpu/_eft.ts";
import { FMA_RESULT_TINY } from "../../fpu/fused.ts";
import { fliWords, type FpWidth } from "../../fpu/zfa.ts";
import { RM_DYN, RM_RNE } from "../../fpu/fpu_state.ts";
import { I32, I64, OP, VOID } from "./encoding.ts";
import type { GroupCheck, WasmEmitter } from "./emitter.ts";
import { SLOT } from "../../cpu/register_arena.ts";
import { type ArithHelper, FN, FP_HELPERS, type FpHelper, MEM } from "./layout.ts";
import { type ScalarOp, VECTOR_OPS } from "../vector_ops.ts";
import { emitVector, inlinesVector } from "./vector.ts";
import type { VectorTier } from "./runtime.ts";
import { memInfo } from "../plugin_actions.ts";
import { recordOf } from "../../util/record_of.ts";

/** Emits one instruction; false means illegal (the caller exits with `EXIT_ILLEGAL`). */
export type WasmTrans = (e: WasmEmitter, i: Insn) => boolean;

const LOG2: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** The i64 loads of 1, 2, 4 and 8 bytes: [signed, unsigned]. */
export const LOAD_OPS: Record<number, [signed: number, unsigned: number]> = {
  1: [OP.i64_load8_s, OP.i64_load8_u],
  2: [OP.i64_load16_s, OP.i64_load16_u],
  4: [OP.i64_load32_s, OP.i64_load32_u],
  8: [OP.i64_load, OP.i64_load],
};

/** The i64 stores of 1, 2, 4 and 8 bytes. */
export const STORE_OPS: Record<number, number> = {
  1: OP.i64_store8,
  2: OP.i64_store16,
  4: OP.i64_store32,
  8: OP.i64_store,
};

/**
 * What a load and a store need of their page's flags (`(flags & mask) ==
 * want`): a store into a page holding translated code takes the slow
 * path, which invalidates that code. An access group needs both of what
 * its loads and stores need (`region.ts`).
 */
export const PAGE_NEEDS = {
  load: { mask: PROT_READ, want: PROT_READ },
  store: { mask: PROT_WRITE | PAGE_CODE, want: PROT_WRITE },
} as const;

/**
 * Pushes an i32 that is non-zero when a lone access of `size` bytes at
 * `rs1 + imm` must take the slow path: the address is at or above 4 GiB,
 * it is not aligned to `size`, or its page's flags do not meet `need`
 * ({@link PAGE_NEEDS}, {@link rangeCondition}). Returns the i32 local holding the
 * address's low word, and the i64 local holding it whole, for the plugins'
 * memory actions.
 */
function slowPathCondition(e: WasmEmitter, i: Insn, size: number, need: { mask: number; want: number }) {
  return rangeCondition(e, { base: i.rs1, lo: i.imm, length: size, mask: need.mask, want: need.want });
}

/**
 * Emits an access of an access group (`accessGroups` in `region.ts`), or
 * returns false when the access is in none. `inline` emits the access
 * without a check, `full` as a lone access checks it, `slow` its helper
 * call alone; each leaves a value of `type` (or none). The group's first
 * access checks the whole group (see {@link rangeCondition}) and sets the
 * group's local to 1 when all of its accesses may run inline, else to 0;
 * the others branch on it. The constants in both arms let V8 thread the
 * later branches through: sieve's store of the byte it loaded then follows
 * the load with no branch at all, as long as the first access's failed
 * arm is a plain call, which it is when the group is one address (its
 * check is then the first access's own); a wider group's first access
 * checks for itself when the group's check fails (its range may only
 * cross a page), as the helper costs tens of times an inline access.
 */
function groupAccess(
  e: WasmEmitter,
  type: number,
  inline: (at?: InlineAddress) => void,
  full: () => void,
  slow: () => void,
): boolean {
  const ok = e.groupOk, group = e.groupFirst;
  if (ok < 0) return false;
  if (group) {
    const { a } = rangeCondition(e, group);
    e.code.unlikely();
    e.if(type);
    e.code.i32Const(0).localSet(ok);
    if (group.oneAddress) slow();
    else full();
    e.else();
    e.code.i32Const(1).localSet(ok);
    inline({ local: a, lo: group.lo });
  } else {
    e.code.localGet(ok).likely();
    e.if(type);
    inline();
    e.else();
    full();
  }
  e.end();
  return true;
}

/**
 * Pushes an i32 that is non-zero unless the `length` bytes from base
 * register `base` + `lo` lie below 4 GiB on one page whose flags masked by
 * `mask` are `want`. A range of 1, 2, 4 or 8 bytes (one access's) must be
 * aligned instead, a cheaper test. Returns the i32 local holding the low
 * word of `base + lo`, and the i64 local holding it whole.
 */
function rangeCondition(e: WasmEmitter, range: Omit<GroupCheck, "oneAddress">): { a: number; a64: number } {
  const { base, lo, length, mask, want } = range;
  const c = e.code, a64 = e.tempI64(), a = e.tempI32();
  e.get(base);
  c.i64Const(lo).op(OP.i64_add).localTee(a64).op(OP.i32_wrap_i64).localSet(a);
  c.localGet(a64).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  if (length <= 8 && (length & (length - 1)) === 0) {
    // One access's bytes: aligned, they cannot cross a page (a byte never does).
    if (length > 1) c.localGet(a).i32Const(length - 1).op(OP.i32_and).op(OP.i32_or);
  } else {
    // Further into its page than `PAGE - length`: the range ends on the next page.
    c.localGet(a).i32Const(PAGE - 1).op(OP.i32_and).i32Const(PAGE - length).op(OP.i32_gt_u).op(OP.i32_or);
  }
  c.localGet(a).i32Const(PAGE_SHIFT).op(OP.i32_shr_u).mem(OP.i32_load8_u, MEM.pages, 0);
  // `(flags & mask) ^ want` is non-zero exactly when they differ: one instruction where `!=` made V8 emit a
  // compare, a set and a zero-extension before the `or`.
  c.i32Const(mask).op(OP.i32_and).i32Const(want).op(OP.i32_xor).op(OP.i32_or);
  return { a, a64 };
}

/** Where the group's first access finds its address: the low word of `base + lo` in i32 local `local`. */
interface InlineAddress {
  readonly local: number;
  readonly lo: number;
}

/**
 * Pushes the i32 address of an access that runs inline in its group: from
 * `at` for the group's first access (its offset past `lo` then goes in the
 * access's offset), else computed from its base register.
 */
function inlineAddress(e: WasmEmitter, i: Insn, at: InlineAddress | undefined): void {
  if (at) e.code.localGet(at.local);
  else e.get(i.rs1).code.i64Const(i.imm).op(OP.i64_add).op(OP.i32_wrap_i64);
}

/** The size of a guest page. */
const PAGE = 1 << PAGE_SHIFT;

/**
 * Runs the plugins' actions after an access whose i64 value is on the
 * stack (left there), when the instruction has any: as the other tiers
 * report it, with `info` the access's meminfo; `extend` turns the value
 * into what they report (flw's is sign-extended, as theirs goes through
 * the signed load path).
 */
function accessActions(e: WasmEmitter, info: number, a64: number, extend?: () => void): void {
  if (!e.afterAccess) return;
  const value = e.tempI64();
  e.code.localTee(value);
  if (extend) e.code.localGet(value), extend(), e.code.localSet(value);
  e.afterAccess(info, a64, value);
}

/** Pushes the i64 a helper left in the slot's value word (a loaded value, an old value, sc's result). */
function pushResult(e: WasmEmitter): void {
  e.code.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, SLOT.value);
}

/** Pushes the base register as the (low, high) int32 pair and the offset, as the slow-path helpers take them. */
function pushBase(e: WasmEmitter, i: Insn): void {
  e.get(i.rs1).code.op(OP.i32_wrap_i64);
  e.get(i.rs1).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32Const(i.imm);
}

/** Byte offset of FP register `r` in the slot. */
function freg(r: number): number {
  return SLOT.fregs + 8 * r;
}

/** Pushes the bits of FP register `r` as an i64. */
function getF(e: WasmEmitter, r: number): void {
  e.code.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, freg(r));
}

/** The high word of a NaN-boxed single. */
const BOX = -(2n ** 32n);
/** The NaN-boxing of a half: bits 63..16 set. */
const BOX_H = -(2n ** 16n);

/**
 * A load into integer register rd, or into FP register rd (`fp`: `fld`,
 * and `flw` and `flh`, whose values are NaN-boxed).
 */
function load(size: 1 | 2 | 4 | 8, signed: boolean, fp = false): WasmTrans {
  return (e, i) => {
    if (fp) e.code.localGet(e.slot); // the address of the store into the FP register, below the value
    let a64 = -1;
    const slow = () => {
      pushBase(e, i);
      e.code.i32Const(size).i32Const(signed ? 1 : 0).call(FN.ld);
      e.checkStatus();
      pushResult(e);
    };
    const full = () => {
      const checked = slowPathCondition(e, i, size, PAGE_NEEDS.load);
      a64 = checked.a64;
      e.code.unlikely();
      e.if(I64);
      slow();
      e.else();
      e.code.localGet(checked.a).mem(LOAD_OPS[size][signed ? 0 : 1], MEM.guest, LOG2[size]);
      e.end();
    };
    const inline = (at?: InlineAddress) => {
      inlineAddress(e, i, at);
      e.code.mem(LOAD_OPS[size][signed ? 0 : 1], MEM.guest, 0, at ? i.imm - at.lo : 0);
    };
    if (!groupAccess(e, I64, inline, full, slow)) full();
    // flw and fld report as signed loads (the other tiers load them through the signed path).
    const reported = fp ? size !== 2 : signed;
    accessActions(
      e,
      memInfo(LOG2[size], reported && size < 8, false),
      a64,
      fp && size === 4
        ? () => {
          e.code.op(OP.i64_extend32_s);
        }
        : undefined,
    );
    if (!fp) e.set(i.rd);
    else {
      if (size === 4) e.code.i64Const(BOX).op(OP.i64_or);
      if (size === 2) e.code.i64Const(BOX_H).op(OP.i64_or);
      e.code.mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    }
    return true;
  };
}

/**
 * A store of integer register rs2, or of FP register rs2 (`fp`: `fsd`,
 * `fsw`, `fsh`). Plugins see the value as the other tiers report it: the
 * whole integer register, the low word of a single's or half's register.
 */
function store(size: 1 | 2 | 4 | 8, fp = false): WasmTrans {
  const value = (e: WasmEmitter, i: Insn) => fp ? getF(e, i.rs2) : e.get(i.rs2);
  const info = memInfo(LOG2[size], false, true);
  return (e, i) => {
    let a64 = -1;
    const slow = () => {
      e.code.localGet(e.slot);
      value(e, i);
      e.code.mem(OP.i64_store, MEM.regs, 3, SLOT.value);
      pushBase(e, i);
      e.code.i32Const(size).call(FN.st);
      e.checkStatus();
    };
    const full = () => {
      const checked = slowPathCondition(e, i, size, PAGE_NEEDS.store);
      a64 = checked.a64;
      e.code.unlikely();
      e.if(VOID);
      slow();
      e.else();
      e.code.localGet(checked.a);
      value(e, i);
      e.code.mem(STORE_OPS[size], MEM.guest, LOG2[size]);
      e.end();
    };
    const inline = (at?: InlineAddress) => {
      inlineAddress(e, i, at);
      value(e, i);
      e.code.mem(STORE_OPS[size], MEM.guest, 0, at ? i.imm - at.lo : 0);
    };
    if (!groupAccess(e, VOID, inline, full, slow)) full();
    if (e.afterAccess) {
      value(e, i);
      if (fp && size < 8) e.code.i64Const(0xffffffffn).op(OP.i64_and);
      accessActions(e, info, a64);
      e.code.op(OP.drop);
    }
    return true;
  };
}

/** Pushes rs1 as the (low, high) int32 pair the atomic helpers take (their offset is always 0). */
function pushAddress(e: WasmEmitter, i: Insn): void {
  e.get(i.rs1).code.op(OP.i32_wrap_i64);
  e.get(i.rs1).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
}

/** Stores rs2 to the slot's value word, where `sc` and `amo` take their operand. */
function storeOperand(e: WasmEmitter, i: Insn): void {
  e.code.localGet(e.slot);
  e.get(i.rs2).code.mem(OP.i64_store, MEM.regs, 3, SLOT.value);
}

/** `lr.w`/`lr.d` through the JavaScript tier's helper (which keeps the reservation). */
function lr(size: 4 | 8): WasmTrans {
  return (e, i) => {
    if (i.rs2 !== 0) return false;
    pushAddress(e, i);
    e.code.i32Const(size).call(FN.lr);
    e.checkStatus();
    pushResult(e);
    e.set(i.rd);
    return true;
  };
}

function sc(size: 4 | 8): WasmTrans {
  return (e, i) => {
    storeOperand(e, i);
    pushAddress(e, i);
    e.code.i32Const(size).call(FN.sc);
    e.checkStatus();
    pushResult(e);
    e.set(i.rd);
    return true;
  };
}

function amo(op: typeof AMO_OPS[number], size: 4 | 8): WasmTrans {
  const code = AMO_OPS.indexOf(op);
  return (e, i) => {
    storeOperand(e, i);
    e.code.i32Const(code);
    pushAddress(e, i);
    e.code.i32Const(size).call(FN.amo);
    e.checkStatus();
    pushResult(e);
    e.set(i.rd);
    return true;
  };
}

/** rd = rs1 OP rs2 on i64. */
function binary(op: number): WasmTrans {
  return (e, i) => (e.get(i.rs1).get(i.rs2).code.op(op), e.set(i.rd), true);
}

/** rd = rs1 OP sign-extended imm on i64. */
function binaryImm(op: number): WasmTrans {
  return (e, i) => (e.get(i.rs1).code.i64Const(i.imm).op(op), e.set(i.rd), true);
}

/**
 * The i32 operation that gives the low word of the i64 one's result when
 * both operands are sign-extended 32-bit values, a sign-extended result
 * too: bitwise operations, and comparisons (sign extension keeps both the
 * signed and the unsigned order).
 */
const WORD_OF: Readonly<Record<number, number>> = {
  [OP.i64_and]: OP.i32_and,
  [OP.i64_or]: OP.i32_or,
  [OP.i64_xor]: OP.i32_xor,
  [OP.i64_eq]: OP.i32_eq,
  [OP.i64_ne]: OP.i32_ne,
  [OP.i64_lt_s]: OP.i32_lt_s,
  [OP.i64_ge_s]: OP.i32_ge_s,
  [OP.i64_lt_u]: OP.i32_lt_u,
  [OP.i64_ge_u]: OP.i32_ge_u,
};

/** Whether rs1 and rs2 (or the immediate) of `i` are both sign-extended words ({@link WasmEmitter.isWord}). */
function wordOperands(e: WasmEmitter, i: Insn, immediate: boolean): boolean {
  return e.isWord(i.rs1) && (immediate || e.isWord(i.rs2));
}

/**
 * Pushes the operands rs1 and rs2 (or imm) of `op`, as i32 low words when
 * `words` (both are sign-extended words: {@link wordOperands}), and
 * returns the operation to apply to them.
 */
function pushOperands(e: WasmEmitter, i: Insn, op: number, immediate: boolean, words: boolean): number {
  if (words) {
    e.getWord(i.rs1);
    if (immediate) e.code.i32Const(i.imm);
    else e.getWord(i.rs2);
    return WORD_OF[op];
  }
  e.get(i.rs1);
  if (immediate) e.code.i64Const(i.imm);
  else e.get(i.rs2);
  return op;
}

/**
 * rd = rs1 OP rs2 (or sign-extended imm), a bitwise operation. On sign-
 * extended words the result is one too (and an \`andi\` with a
 * non-negative mask leaves one whatever rs1 is); it is computed on the low
 * words when the block lets it stay one (`e.wordResult`, see
 * {@link wordResults}), else on the i64 values, which the next blocks and
 * the exits need anyway (measured: sieve's \`or\` of two words, kept
 * from one pass to the next, took 8% longer on the words).
 */
function bitwise(op: number, immediate: boolean): WasmTrans {
  return (e, i) => {
    if (op === OP.i64_and && immediate && i.imm >= 0 && e.isWord(i.rs1)) {
      // A non-negative mask of a word: the low word's AND, zero-extended (which costs x64 nothing). Not of other
      // values: that made sieve's loop 8% slower (V8 stopped threading its load-and-store group's branch).
      e.getWord(i.rs1).code.i32Const(i.imm).op(OP.i32_and).op(OP.i64_extend_i32_u);
      e.set(i.rd);
      return true;
    }
    const words = wordOperands(e, i, immediate), onWords = words && e.wordResult;
    e.code.op(pushOperands(e, i, op, immediate, onWords));
    if (onWords) e.setFrom32(i.rd);
    else e.set(i.rd);
    return true;
  };
}

/** The vector operations, whose register fields name vector registers. */
export const VECTOR_SET: ReadonlySet<string> = new Set(VECTOR_OPS);

/** The bitwise operations ({@link bitwise}). */
const BITWISE: ReadonlySet<Op> = new Set<Op>(["and", "or", "xor", "andi", "ori", "xori"]);

/** Operations that read only the low words of their integer operands rs1 and rs2 (a bitwise one on words does). */
const WORD_READERS: ReadonlySet<Op> = new Set<Op>([
  ...BITWISE,
  "addw",
  "addiw",
  "subw",
  "sllw",
  "srlw",
  "sraw",
  "slliw",
  "srliw",
  "sraiw",
  "mulw",
]);

/** Stores that write only the low bytes of rs2 (rs1 is a 64-bit address). */
const NARROW_STORES: ReadonlySet<Op> = new Set<Op>(["sb", "sh", "sw"]);

/** The integer registers that instruction `i`'s fields name (FP ones aside), as bits: those it reads, and rd. */
function integerFields(i: Insn): { reads: number; rd: number } {
  const info = OP_INFO[i.op], fields = ARG_SETS[info.args];
  let reads = 0;
  for (const f of ["rs1", "rs2", "rs3"] as const) if (fields.includes(f) && !info.fp.includes(f)) reads |= 1 << i[f];
  return { reads: reads & ~1, rd: fields.includes("rd") && !info.fp.includes("rd") ? i.rd : 0 };
}

/** The word operations: their results are sign-extended from i32 ones ({@link word}). */
const WORD_OPS: ReadonlySet<Op> = new Set<Op>([...WORD_READERS].filter((op) => !BITWISE.has(op)));

/** Loads whose result is a sign-extended word: bytes and halves either way, signed words. */
const WORD_LOADS: ReadonlySet<Op> = new Set<Op>(["lb", "lh", "lw", "lbu", "lhu"]);

/**
 * The registers (bit i for x_i) holding sign-extended 32-bit values after
 * instruction `i`, given those that did before (`words`): what the
 * emitter knows of the values ({@link WasmEmitter.isWord}), the one rule
 * both it and the region's analysis of each block's start follow. Word
 * operations, byte, half and signed word loads, comparisons, \`lui\` and
 * \`li\` make words, \`mv\` copies what is known of its source, a bitwise
 * operation on words makes one (and \`andi\` with a non-negative mask
 * whatever its operand); \`add\` of x0 copies too (\`c.mv\` is \`add rd,
 * x0, rs2\`); any other write to the register named rd (or a
 * field named rd naming another kind of register) forgets it.
 */
export function wordsAfter(i: Insn, words: number): number {
  const rd = i.rd, word = (r: number) => r === 0 || (words & (1 << r)) !== 0;
  if (rd === 0) return words;
  let made: boolean;
  if (WORD_OPS.has(i.op) || WORD_LOADS.has(i.op) || i.op === "lui") made = true;
  else if (i.op === "slt" || i.op === "sltu" || i.op === "slti" || i.op === "sltiu") made = true;
  else if (i.op === "addi") made = i.rs1 === 0 || (i.imm === 0 && word(i.rs1));
  // \`c.mv\` is \`add rd, x0, rs2\`.
  else if (i.op === "add") made = (i.rs1 === 0 && word(i.rs2)) || (i.rs2 === 0 && word(i.rs1));
  else if (i.op === "and" || i.op === "or" || i.op === "xor") made = word(i.rs1) && word(i.rs2);
  else if (i.op === "andi") made = i.imm >= 0 || word(i.rs1);
  else if (i.op === "ori" || i.op === "xori") made = word(i.rs1);
  else made = false;
  return made ? words | (1 << rd) : words & ~(1 << rd);
}

/**
 * What the rest of a block does with the value instruction `j` writes to
 * its integer rd: `"dies"` when rd is written again later in the block and
 * read in between only by operations that take its low word (no i64 of it
 * is needed then but on a fault's path, where V8 moves the sign
 * extension); `"words"` when such reads of it go to the end of the block
 * (at least one); `"i64"` otherwise. Vector instructions (whose fields
 * name vector registers) end the look.
 */
function wordUse(insns: readonly (Insn | null)[], j: number): "dies" | "words" | "i64" {
  const i = insns[j];
  const rd = i === null ? 0 : integerFields(i).rd, bit = 1 << rd;
  if (rd === 0) return "i64";
  let read = false;
  for (let k = j + 1; k < insns.length; k++) {
    const next = insns[k];
    if (next === null || VECTOR_SET.has(next.op)) return "i64";
    const { reads, rd: written } = integerFields(next);
    if ((reads & bit) !== 0) {
      if (!WORD_READERS.has(next.op) && !(NARROW_STORES.has(next.op) && next.rs1 !== rd)) return "i64";
      read = true;
    }
    if (written === rd) return "dies";
  }
  return read ? "words" : "i64";
}

/**
 * For each instruction of a block, whether it is a bitwise operation best
 * computed on low words ({@link bitwise}), when its operands are words.
 * The i32 operation costs the sign extension of its result when that is
 * needed as an i64 (after the block); the i64 one costs the sign
 * extensions of operands that word operations made and nothing else needs,
 * and puts them on the way to the next word operations that read its
 * result. So: when the result dies as a word, when two operands'
 * extensions are saved, or one and word operations read the result
 * (measured on own sha256: 402 → 377 ms with every bitwise operation of
 * words on words, but sieve's \`or\`, whose result and second operand go
 * to the next pass, 235 → 255 ms).
 */
export function wordResults(insns: readonly (Insn | null)[]): boolean[] {
  const lastWrite = new Array<number>(32).fill(-1);
  const onWords: boolean[] = [];
  insns.forEach((i, j) => {
    onWords[j] = false;
    if (i === null) return;
    if (BITWISE.has(i.op) && i.rd !== 0) {
      const operands = i.op.endsWith("i") ? [i.rs1] : [...new Set([i.rs1, i.rs2])];
      let saved = 0;
      for (const r of operands) {
        const d = r === 0 ? -1 : lastWrite[r];
        if (d >= 0 && (WORD_OPS.has(insns[d]!.op) || onWords[d]) && wordUse(insns, d) === "dies") saved++;
      }
      const use = wordUse(insns, j);
      onWords[j] = use === "dies" || saved >= 2 || (saved === 1 && use === "words");
    }
    if (!VECTOR_SET.has(i.op)) {
      const rd = integerFields(i).rd;
      if (rd !== 0) lastWrite[rd] = j;
    }
  });
  return onWords;
}

/** rd = (rs1 CMP rs2 or imm) as 0 or 1. */
function compare(op: number, immediate: boolean): WasmTrans {
  return (e, i) => {
    e.code.op(pushOperands(e, i, op, immediate, wordOperands(e, i, immediate))).op(OP.i64_extend_i32_u);
    e.set(i.rd);
    return true;
  };
}

function shiftImm(op: number): WasmTrans {
  return (e, i) => {
    if (i.imm < 0 || i.imm > 63) return false;
    return binaryImm(op)(e, i);
  };
}

/** rd = sign-extended 32-bit (rs1 OP rs2-or-imm) on the low words. */
function word(op: number, immediate: "imm" | "shamt" | false): WasmTrans {
  return (e, i) => {
    if (immediate === "shamt" && (i.imm < 0 || i.imm > 31)) return false;
    // \`sext.w\` of a word copies it.
    if (op === OP.i32_add && immediate && i.imm === 0 && e.isWord(i.rs1)) return e.get(i.rs1).set(i.rd), true;
    e.getWord(i.rs1);
    if (immediate) e.code.i32Const(i.imm);
    else e.getWord(i.rs2);
    e.code.op(op);
    e.setFrom32(i.rd);
    return true;
  };
}

/** rd = helper(rs1, rs2), a function of the module (`region.ts`). */
function arith(helper: ArithHelper): WasmTrans {
  return (e, i) => (e.get(i.rs1).get(i.rs2).code.call(FN[helper]), e.set(i.rd), true);
}

function branch(op: number): WasmTrans {
  return (e, i) => {
    e.code.op(pushOperands(e, i, op, false, wordOperands(e, i, false)));
    e.branch(e.pc + i.imm, e.pc + i.size);
    return true;
  };
}

/** Rounding-mode fields 5 and 6 are reserved: the instruction is illegal. */
function validRm(rm: number): boolean {
  return rm !== 5 && rm !== 6;
}

/** Pushes the vCPU's `frm` (i32). */
function pushFrm(e: WasmEmitter): void {
  e.code.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.frm);
}

/** Before a helper that takes the dynamic rounding mode: a reserved `frm` (5…7) is an illegal instruction. */
function checkFrm(e: WasmEmitter): void {
  pushFrm(e);
  e.code.i32Const(4).op(OP.i32_gt_u).unlikely();
  e.if(VOID);
  e.code.call(FN.badRm);
  e.checkStatus();
  e.end();
}

/** Calls `core/fpu/` helper `helper` with the arguments its shape names; an integer result goes to rd. */
function fpCall(e: WasmEmitter, i: Insn, helper: FpHelper): void {
  const [args, result] = FP_HELPERS[helper].split("->");
  if (i.rm === RM_DYN && args.endsWith("rm")) checkFrm(e);
  for (const a of args.split(",")) {
    if (a === "lo") e.get(i.rs1).code.op(OP.i32_wrap_i64);
    else if (a === "hi") e.get(i.rs1).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
    else e.code.i32Const(i[a as "rd" | "rs1" | "rs2" | "rs3" | "rm"]);
  }
  e.code.call(FN[helper]);
  if (result === "x") e.code.op(OP.i64_extend_i32_s), e.set(i.rd);
  else if (result === "x64") pushResult(e), e.set(i.rd);
}

/** An F or D operation through its `core/fpu/` helper. */
function fp(helper: FpHelper): WasmTrans {
  const rounded = FP_HELPERS[helper].includes("rm");
  const trans: WasmTrans = (e, i) => {
    if (rounded && !validRm(i.rm)) return false;
    fpCall(e, i, helper);
    return true;
  };
  helperOnly.add(trans);
  return trans;
}

/** fli.h, fli.s, fli.d: the constant of entry rs1, NaN-boxed, stored to the slot. */
function fli(width: FpWidth): WasmTrans {
  return (e, i) => {
    const [lo, hi] = fliWords(width, i.rs1);
    e.code.localGet(e.slot).i64Const((BigInt(hi) << 32n) | BigInt(lo >>> 0));
    e.code.mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    return true;
  };
}

/** Translators of operations that always call their helper ({@link fp}). */
const helperOnly = new Set<WasmTrans>();

/** Operations of {@link fpFast}, with the f64 instruction of each. */
const FAST_OPS = { add: OP.f64_add, sub: OP.f64_sub, mul: OP.f64_mul, div: OP.f64_div, sqrt: OP.f64_sqrt } as const;

/**
 * fadd.d, fsub.d, fmul.d, fdiv.d and fsqrt.d, inline when the helper's own
 * fast path would store the host's result and accrue nothing new: the mode
 * is round-to-nearest-even (rm = 0, or dynamic with `frm` = 0), and either
 * NX is already accrued (flags are sticky, so the inexact test is moot) and
 * the result is in the range where the helper trusts the host (finite for a
 * sum; normal and finite for a product or quotient; positive and finite
 * for a root), or the result is an exact zero the helper stores as it is
 * (a product with a zero factor, a quotient of a zero dividend, the root
 * of a zero). A NaN operand fails every such test. Anything else calls
 * the helper, which decides exactly.
 */
function fpFast(op: keyof typeof FAST_OPS, helper: FpHelper): WasmTrans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    if (i.rm !== RM_RNE && i.rm !== RM_DYN) return fpCall(e, i, helper), true;
    const c = e.code, r = e.tempF64(), a = e.tempF64(), b = e.tempF64();
    c.localGet(e.slot).mem(OP.f64_load, MEM.regs, 3, freg(i.rs1)).localTee(a);
    if (op !== "sqrt") c.localGet(e.slot).mem(OP.f64_load, MEM.regs, 3, freg(i.rs2)).localTee(b);
    c.op(FAST_OPS[op]).localSet(r);
    if (op === "add" || op === "sub") {
      c.localGet(r).localGet(r).op(OP.f64_sub).f64Const(0).op(OP.f64_eq);
    } else if (op === "sqrt") {
      c.localGet(r).f64Const(0).op(OP.f64_gt).localGet(r).f64Const(Infinity).op(OP.f64_lt).op(OP.i32_and);
    } else {
      const t = e.tempF64();
      c.localGet(r).op(OP.f64_abs).localTee(t).f64Const(MIN_NORMAL_D).op(OP.f64_gt);
      c.localGet(t).f64Const(Infinity).op(OP.f64_lt).op(OP.i32_and);
    }
    // The condition is 0 or 1, and NX is bit 0 of fflags.
    c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.fflags).op(OP.i32_and);
    // An exact zero needs no NX: a product with a zero factor, a zero dividend's quotient, the root of a zero.
    if (op === "mul" || op === "div" || op === "sqrt") {
      c.localGet(r).f64Const(0).op(OP.f64_eq);
      if (op === "mul") c.localGet(a).f64Const(0).op(OP.f64_eq).localGet(b).f64Const(0).op(OP.f64_eq).op(OP.i32_or);
      if (op === "div") c.localGet(a).f64Const(0).op(OP.f64_eq);
      if (op !== "sqrt") c.op(OP.i32_and);
      c.op(OP.i32_or);
    }
    if (i.rm === RM_DYN) pushFrm(e), c.op(OP.i32_eqz).op(OP.i32_and);
    c.likely();
    e.if(VOID);
    c.localGet(e.slot).localGet(r).mem(OP.f64_store, MEM.regs, 3, freg(i.rd));
    e.else();
    fpCall(e, i, helper);
    e.end();
    return true;
  };
}

/**
 * feq.d, flt.d, fle.d: inline when neither operand is a NaN (then no flag
 * is raised and the host's comparison is IEEE's); the helper decides NV
 * otherwise.
 */
function compareD(op: number, helper: FpHelper): WasmTrans {
  return (e, i) => {
    const c = e.code, a = e.tempF64(), b = e.tempF64();
    c.localGet(e.slot).mem(OP.f64_load, MEM.regs, 3, freg(i.rs1)).localTee(a);
    c.localGet(a).op(OP.f64_eq);
    c.localGet(e.slot).mem(OP.f64_load, MEM.regs, 3, freg(i.rs2)).localTee(b);
    c.localGet(b).op(OP.f64_eq).op(OP.i32_and);
    c.likely();
    e.if(I32);
    c.localGet(a).localGet(b).op(op);
    e.else();
    c.i32Const(i.rs1).i32Const(i.rs2).call(FN[helper]);
    e.end();
    c.op(OP.i64_extend_i32_u);
    e.set(i.rd);
    return true;
  };
}

/**
 * fadd.s, fsub.s, fmul.s, fdiv.s and fsqrt.s, inline as {@link fpFast} is
 * for doubles and as the helpers' own fast paths compute singles: in
 * double, rounded once to single (`f32.demote_f64` is `Math.fround`; for
 * these operations binary64 holds more than twice binary32's precision
 * plus two bits, so the double rounding is innocuous). Inline when both
 * operands are NaN-boxed, the mode is round-to-nearest-even, NX is already
 * accrued and the result is finite (and, for a product or quotient, normal
 * or exact: the helper's conditions); the helper decides everything else.
 */
function fpFastS(op: keyof typeof FAST_OPS, helper: FpHelper): WasmTrans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    if (i.rm !== RM_RNE && i.rm !== RM_DYN) return fpCall(e, i, helper), true;
    const c = e.code, d = e.tempF64(), r = e.tempF64();
    const single = (reg: number) => c.localGet(e.slot).mem(OP.f32_load, MEM.regs, 2, freg(reg)).op(OP.f64_promote_f32);
    const boxed = (reg: number) =>
      c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, freg(reg) + 4).i32Const(-1).op(OP.i32_eq);
    single(i.rs1);
    if (op !== "sqrt") single(i.rs2);
    c.op(FAST_OPS[op]).localTee(d).op(OP.f32_demote_f64).op(OP.f64_promote_f32).localTee(r);
    c.localGet(r).op(OP.f64_sub).f64Const(0).op(OP.f64_eq); // finite
    if (op === "mul") {
      // Exact, or normal (then inexact: NX must be accrued already).
      c.localGet(r).localGet(d).op(OP.f64_eq);
      c.localGet(r).op(OP.f64_abs).f64Const(MIN_NORMAL_S).op(OP.f64_gt);
      c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.fflags).op(OP.i32_and).op(OP.i32_or).op(OP.i32_and);
    } else {
      if (op === "div") c.localGet(r).op(OP.f64_abs).f64Const(MIN_NORMAL_S).op(OP.f64_gt).op(OP.i32_and);
      c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.fflags).op(OP.i32_and);
    }
    boxed(i.rs1);
    c.op(OP.i32_and);
    if (op !== "sqrt") boxed(i.rs2), c.op(OP.i32_and);
    if (i.rm === RM_DYN) pushFrm(e), c.op(OP.i32_eqz).op(OP.i32_and);
    c.likely();
    e.if(VOID);
    c.localGet(e.slot).localGet(r).op(OP.f32_demote_f64).op(OP.i32_reinterpret_f32).op(OP.i64_extend_i32_u);
    c.i64Const(BOX).op(OP.i64_or).mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    e.else();
    fpCall(e, i, helper);
    e.end();
    return true;
  };
}

/**
 * fmadd.d, fmsub.d, fnmsub.d, fnmadd.d (`neg`: bit 0 negates the product,
 * bit 1 the addend, as `core/fpu/fused.ts` does), inline on the first
 * branch of that helper's fast path: Dekker's product and TwoSum make
 * `a*b + d` exactly `s + u` with `s` its round-to-nearest sum, and when the
 * tail `u` is 0, or lies strictly inside s's rounding interval with NX
 * already accrued, `s` is the result. The same magnitude windows as the
 * helper's; everything else (other modes, NaNs and infinities, tiny or huge
 * values, a tail that needs the second rounding) calls the helper.
 */
function fmaFast(neg: number, helper: FpHelper): WasmTrans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    if (i.rm !== RM_RNE && i.rm !== RM_DYN) return fpCall(e, i, helper), true;
    const c = e.code, t = () => e.tempF64();
    const [a, b, d, ph, ah, bh, pl, s, u, q] = [t(), t(), t(), t(), t(), t(), t(), t(), t(), t()];
    const load = (reg: number, to: number, negate: boolean) => {
      c.localGet(e.slot).mem(OP.f64_load, MEM.regs, 3, freg(reg));
      if (negate) c.op(OP.f64_neg);
      c.localSet(to);
    };
    load(i.rs1, a, (neg & 1) !== 0);
    load(i.rs2, b, false);
    load(i.rs3, d, (neg & 2) !== 0);
    const abs = (x: number) => c.localGet(x).op(OP.f64_abs);
    const below = (x: number, limit: number) => (abs(x), c.f64Const(limit).op(OP.f64_lt));
    // Veltkamp's split: high = t - (t - x) with t = SPLITTER * x.
    const split = (x: number, high: number) => {
      c.f64Const(SPLITTER).localGet(x).op(OP.f64_mul).localTee(q);
      c.localGet(q).localGet(x).op(OP.f64_sub).op(OP.f64_sub).localSet(high);
    };
    c.localGet(a).localGet(b).op(OP.f64_mul).localSet(ph);
    split(a, ah);
    split(b, bh);
    // pl = ah*bh - ph + ah*bl + al*bh + al*bl, in the helper's order (al = a - ah, bl = b - bh).
    c.localGet(ah).localGet(bh).op(OP.f64_mul).localGet(ph).op(OP.f64_sub);
    c.localGet(ah).localGet(b).localGet(bh).op(OP.f64_sub).op(OP.f64_mul).op(OP.f64_add);
    c.localGet(a).localGet(ah).op(OP.f64_sub).localGet(bh).op(OP.f64_mul).op(OP.f64_add);
    c.localGet(a).localGet(ah).op(OP.f64_sub).localGet(b).localGet(bh).op(OP.f64_sub).op(OP.f64_mul).op(OP.f64_add);
    c.localSet(pl);
    // s = ph + d; u = TwoSum's error + pl = (ph - (s - bv) + (d - bv)) + pl with bv = s - ph.
    c.localGet(ph).localGet(d).op(OP.f64_add).localSet(s);
    c.localGet(s).localGet(ph).op(OP.f64_sub).localSet(q); // bv
    c.localGet(ph).localGet(s).localGet(q).op(OP.f64_sub).op(OP.f64_sub);
    c.localGet(d).localGet(q).op(OP.f64_sub).op(OP.f64_add);
    c.localGet(pl).op(OP.f64_add).localSet(u);
    // The helper's windows (every comparison is false for a NaN).
    below(ph, EFT_HUGE), below(a, EFT_SPLIT_MAX), c.op(OP.i32_and);
    below(b, EFT_SPLIT_MAX), c.op(OP.i32_and), below(d, EFT_HUGE), c.op(OP.i32_and);
    // Not a tiny product of nonzero factors.
    below(ph, EFT_TINY), c.localGet(a).f64Const(0).op(OP.f64_ne).op(OP.i32_and);
    c.localGet(b).f64Const(0).op(OP.f64_ne).op(OP.i32_and).op(OP.i32_eqz).op(OP.i32_and);
    abs(s), c.f64Const(FMA_RESULT_TINY).op(OP.f64_ge).op(OP.i32_and);
    // u == 0, or NX accrued and |u| below half the gap to s's neighbour on u's side (Rump et al.'s successor).
    c.localGet(u).f64Const(0).op(OP.f64_eq);
    abs(s), c.f64Const(NEIGHBOUR_STEP).op(OP.f64_mul).localSet(q);
    abs(u);
    abs(s), c.localGet(q).op(OP.f64_add), abs(s), c.op(OP.f64_sub); // the gap above |s|
    abs(s), abs(s), c.localGet(q).op(OP.f64_sub).op(OP.f64_sub); // the gap below |s|
    c.localGet(u).f64Const(0).op(OP.f64_gt).localGet(s).f64Const(0).op(OP.f64_gt).op(OP.i32_eq).op(OP.select);
    c.f64Const(0.5).op(OP.f64_mul).op(OP.f64_lt);
    c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.fflags).op(OP.i32_and).op(OP.i32_or).op(OP.i32_and);
    if (i.rm === RM_DYN) pushFrm(e), c.op(OP.i32_eqz).op(OP.i32_and);
    c.likely();
    e.if(VOID);
    c.localGet(e.slot).localGet(s).mem(OP.f64_store, MEM.regs, 3, freg(i.rd));
    e.else();
    fpCall(e, i, helper);
    e.end();
    return true;
  };
}

const SIGN = -(2n ** 63n);

/** fsgnj.d (`how` 0), fsgnjn.d (1), fsgnjx.d (2): bit operations on the registers, as `core/fpu/sign_inject.ts`. */
function sgnjD(how: 0 | 1 | 2): WasmTrans {
  return (e, i) => {
    const c = e.code;
    c.localGet(e.slot);
    getF(e, i.rs1);
    if (how === 2) {
      getF(e, i.rs2);
      c.i64Const(SIGN).op(OP.i64_and).op(OP.i64_xor);
    } else {
      c.i64Const(~SIGN).op(OP.i64_and);
      getF(e, i.rs2);
      if (how === 1) c.i64Const(SIGN).op(OP.i64_xor);
      c.i64Const(SIGN).op(OP.i64_and).op(OP.i64_or);
    }
    c.mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    return true;
  };
}

/**
 * Zicsr. `fflags`, `frm` and `fcsr` live in the slot and are read and
 * written inline, as `../runtime.ts`'s `csr` helper does it; the counters
 * and unknown CSRs (which fault) go through that helper.
 */
function csr(op: number, immediate: boolean): WasmTrans {
  return (e, i) => {
    const c = e.code;
    const pushSource = () => immediate ? c.i32Const(i.imm) : e.get(i.rs1).code.op(OP.i32_wrap_i64);
    if (i.csr !== CSR.fflags && i.csr !== CSR.frm && i.csr !== CSR.fcsr) {
      c.i32Const(i.csr).i32Const(op).i32Const(csrWrites(op, immediate, i) ? 1 : 0);
      pushSource();
      c.call(FN.csr);
      e.checkStatus();
      pushResult(e);
      e.set(i.rd);
      return true;
    }
    const old = e.tempI32(), v = e.tempI32();
    const word = (offset: number) => c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, offset);
    if (i.csr === CSR.fflags) word(SLOT.fflags);
    else if (i.csr === CSR.frm) word(SLOT.frm);
    else word(SLOT.frm), c.i32Const(5).op(OP.i32_shl), word(SLOT.fflags), c.op(OP.i32_or);
    c.localSet(old);
    if (csrWrites(op, immediate, i)) {
      if (op === CSR_OP.write) pushSource();
      else if (op === CSR_OP.set) c.localGet(old), pushSource(), c.op(OP.i32_or);
      else c.localGet(old), pushSource(), c.i32Const(-1).op(OP.i32_xor).op(OP.i32_and);
      c.localSet(v);
      const store = (offset: number, shift: number, mask: number) => {
        c.localGet(e.slot).localGet(v);
        if (shift) c.i32Const(shift).op(OP.i32_shr_u);
        c.i32Const(mask).op(OP.i32_and).mem(OP.i32_store, MEM.regs, 2, offset);
      };
      if (i.csr === CSR.fflags) store(SLOT.fflags, 0, 31);
      else if (i.csr === CSR.frm) store(SLOT.frm, 0, 7);
      else store(SLOT.frm, 5, 7), store(SLOT.fflags, 0, 31);
    }
    c.localGet(old).op(OP.i64_extend_i32_u);
    e.set(i.rd);
    return true;
  };
}

// ---- Zba, Zbb, Zbc, Zbs, Zicond ------------------------------------------

const LOW_WORD = 0xffffffffn;

/** rd = (rs1 << s) + rs2, rs1 zero-extended from 32 bits first when `uw` (sh*add, sh*add.uw, add.uw). */
function shiftAdd(s: number, uw: boolean): WasmTrans {
  return (e, i) => {
    e.get(i.rs1);
    if (uw) e.code.i64Const(LOW_WORD).op(OP.i64_and);
    if (s) e.code.i64Const(s).op(OP.i64_shl);
    e.get(i.rs2).code.op(OP.i64_add);
    e.set(i.rd);
    return true;
  };
}

/** rd = rs1 OP ~rs2 (andn, orn), or ~(rs1 ^ rs2) (xnor: `op` is xor). */
function logicNot(op: number): WasmTrans {
  return (e, i) => {
    e.get(i.rs1).get(i.rs2).code.i64Const(-1).op(OP.i64_xor).op(op);
    e.set(i.rd);
    return true;
  };
}

/** rd = OP(rs1) on i64 (clz, ctz, cpop, sext.b, sext.h). */
function unary(op: number): WasmTrans {
  return (e, i) => (e.get(i.rs1).code.op(op), e.set(i.rd), true);
}

/** rd = OP(low word of rs1), a count (clzw, ctzw, cpopw). */
function unaryWord(op: number): WasmTrans {
  return (e, i) => (e.get(i.rs1).code.op(OP.i32_wrap_i64).op(op).op(OP.i64_extend_i32_u), e.set(i.rd), true);
}

/** max, maxu, min, minu: `select` on one comparison (`op` true when rs1 is the result). */
function minMax(op: number): WasmTrans {
  return (e, i) => {
    e.get(i.rs1).get(i.rs2).get(i.rs1).get(i.rs2).code.op(op).op(OP.select);
    e.set(i.rd);
    return true;
  };
}

const BYTES_7F = 0x7f7f7f7f7f7f7f7fn;

/** orc.b: the high bit of each nonzero byte (as its 7 low bits plus 0x7f carry into it), spread over the byte. */
const orcB: WasmTrans = (e, i) => {
  const c = e.code, v = e.tempI64();
  e.get(i.rs1).code.localTee(v).i64Const(BYTES_7F).op(OP.i64_and).i64Const(BYTES_7F).op(OP.i64_add);
  c.localGet(v).op(OP.i64_or).i64Const(~BYTES_7F).op(OP.i64_and);
  c.i64Const(7).op(OP.i64_shr_u).i64Const(0xff).op(OP.i64_mul);
  e.set(i.rd);
  return true;
};

/** rev8: bytes swapped within halfwords, then halfwords within words, then the words (a rotate by 32). */
const rev8: WasmTrans = (e, i) => {
  const c = e.code, v = e.tempI64();
  e.get(i.rs1).code.localSet(v);
  for (const [s, mask] of [[8, 0x00ff00ff00ff00ffn], [16, 0x0000ffff0000ffffn]] as const) {
    c.localGet(v).i64Const(s).op(OP.i64_shr_u).i64Const(mask).op(OP.i64_and);
    c.localGet(v).i64Const(mask).op(OP.i64_and).i64Const(s).op(OP.i64_shl).op(OP.i64_or).localSet(v);
  }
  c.localGet(v).i64Const(32).op(OP.i64_rotl);
  e.set(i.rd);
  return true;
};

/** rd = rs1 with bit (rs2 or imm) & 63 cleared (`op` and, with the bit inverted), set (or) or inverted (xor). */
function singleBit(op: number, immediate: boolean): WasmTrans {
  return (e, i) => {
    e.get(i.rs1).code.i64Const(1);
    if (immediate) e.code.i64Const(i.imm);
    else e.get(i.rs2);
    e.code.op(OP.i64_shl); // WebAssembly takes the count modulo 64
    if (op === OP.i64_and) e.code.i64Const(-1).op(OP.i64_xor);
    e.code.op(op);
    e.set(i.rd);
    return true;
  };
}

/** bext, bexti: bit (rs2 or imm) & 63 of rs1. */
function bitExtract(immediate: boolean): WasmTrans {
  return (e, i) => {
    e.get(i.rs1);
    if (immediate) e.code.i64Const(i.imm);
    else e.get(i.rs2);
    e.code.op(OP.i64_shr_u).i64Const(1).op(OP.i64_and);
    e.set(i.rd);
    return true;
  };
}

/** czero.eqz (`zeroIfZero`) and czero.nez: `select` between rs1 and 0 on rs2 == 0. */
function czero(zeroIfZero: boolean): WasmTrans {
  return (e, i) => {
    if (zeroIfZero) e.code.i64Const(0), e.get(i.rs1);
    else e.get(i.rs1).code.i64Const(0);
    e.get(i.rs2).code.op(OP.i64_eqz).op(OP.select);
    e.set(i.rd);
    return true;
  };
}

/**
 * What {@link WASM_TRANS} names for an operation the tier does not
 * translate: a block holding one stays in the JavaScript tier.
 */
export const LEFT_TO_JAVASCRIPT = "left to the JavaScript tier";

/** Any vector instruction (`vector.ts`). */
const vectorOp: WasmTrans = (e, i) => (emitVector(e, i, e.vector), true);

/** The WebAssembly translator of every operation but the vector ones (see {@link WASM_TRANS}). */
const SCALAR_TRANS: Readonly<Record<ScalarOp, WasmTrans | typeof LEFT_TO_JAVASCRIPT>> = {
  lui: (e, i) => (e.code.i64Const(i.imm | 0), e.set(i.rd), true),
  auipc: (e, i) => (e.code.i64Const(e.pc + i.imm), e.set(i.rd), true),
  jal: (e, i) => {
    e.code.i64Const(e.pc + i.size);
    e.set(i.rd);
    e.jump(e.pc + i.imm);
    return true;
  },
  jalr: (e, i) => {
    // The target is computed before rd is written (rd may be rs1).
    const t = e.tempI64();
    e.get(i.rs1).code.i64Const(i.imm).op(OP.i64_add).i64Const(-2).op(OP.i64_and).localSet(t);
    e.code.i64Const(e.pc + i.size);
    e.set(i.rd);
    e.jumpDynamic(t);
    return true;
  },
  beq: branch(OP.i64_eq),
  bne: branch(OP.i64_ne),
  blt: branch(OP.i64_lt_s),
  bge: branch(OP.i64_ge_s),
  bltu: branch(OP.i64_lt_u),
  bgeu: branch(OP.i64_ge_u),
  lb: load(1, true),
  lh: load(2, true),
  lw: load(4, true),
  ld: load(8, true),
  lbu: load(1, false),
  lhu: load(2, false),
  lwu: load(4, false),
  sb: store(1),
  sh: store(2),
  sw: store(4),
  sd: store(8),
  addi: binaryImm(OP.i64_add),
  slti: compare(OP.i64_lt_s, true),
  sltiu: compare(OP.i64_lt_u, true),
  xori: bitwise(OP.i64_xor, true),
  ori: bitwise(OP.i64_or, true),
  andi: bitwise(OP.i64_and, true),
  slli: shiftImm(OP.i64_shl),
  srli: shiftImm(OP.i64_shr_u),
  srai: shiftImm(OP.i64_shr_s),
  add: binary(OP.i64_add),
  sub: binary(OP.i64_sub),
  // WebAssembly takes 64-bit shift counts modulo 64, as RISC-V does.
  sll: binary(OP.i64_shl),
  slt: compare(OP.i64_lt_s, false),
  sltu: compare(OP.i64_lt_u, false),
  xor: bitwise(OP.i64_xor, false),
  srl: binary(OP.i64_shr_u),
  sra: binary(OP.i64_shr_s),
  or: bitwise(OP.i64_or, false),
  and: bitwise(OP.i64_and, false),
  addiw: word(OP.i32_add, "imm"),
  slliw: word(OP.i32_shl, "shamt"),
  srliw: word(OP.i32_shr_u, "shamt"),
  sraiw: word(OP.i32_shr_s, "shamt"),
  addw: word(OP.i32_add, false),
  subw: word(OP.i32_sub, false),
  // 32-bit shift counts are taken modulo 32, as sllw/srlw/sraw do.
  sllw: word(OP.i32_shl, false),
  srlw: word(OP.i32_shr_u, false),
  sraw: word(OP.i32_shr_s, false),
  fence: () => true,
  "fence.tso": () => true,
  "fence.i": (e, i) => (e.exit(EXIT_FENCE_I, e.pc + i.size), true),
  ecall: (e) => (e.exit(EXIT_ECALL, e.pc), true),
  ebreak: (e) => (e.exit(EXIT_EBREAK, e.pc), true),
  mul: binary(OP.i64_mul),
  mulh: arith("mulh"),
  mulhsu: arith("mulhsu"),
  mulhu: arith("mulhu"),
  div: arith("div"),
  divu: arith("divu"),
  rem: arith("rem"),
  remu: arith("remu"),
  mulw: word(OP.i32_mul, false),
  divw: arith("divw"),
  divuw: arith("divuw"),
  remw: arith("remw"),
  remuw: arith("remuw"),
  "lr.w": lr(4),
  "sc.w": sc(4),
  "amoswap.w": amo("swap", 4),
  "amoadd.w": amo("add", 4),
  "amoxor.w": amo("xor", 4),
  "amoand.w": amo("and", 4),
  "amoor.w": amo("or", 4),
  "amomin.w": amo("min", 4),
  "amomax.w": amo("max", 4),
  "amominu.w": amo("minu", 4),
  "amomaxu.w": amo("maxu", 4),
  "lr.d": lr(8),
  "sc.d": sc(8),
  "amoswap.d": amo("swap", 8),
  "amoadd.d": amo("add", 8),
  "amoxor.d": amo("xor", 8),
  "amoand.d": amo("and", 8),
  "amoor.d": amo("or", 8),
  "amomin.d": amo("min", 8),
  "amomax.d": amo("max", 8),
  "amominu.d": amo("minu", 8),
  "amomaxu.d": amo("maxu", 8),
  csrrw: csr(CSR_OP.write, false),
  csrrs: csr(CSR_OP.set, false),
  csrrc: csr(CSR_OP.clear, false),
  csrrwi: csr(CSR_OP.write, true),
  csrrsi: csr(CSR_OP.set, true),
  csrrci: csr(CSR_OP.clear, true),
  flw: load(4, false, true),
  fsw: store(4, true),
  "fmadd.s": fp("fmadd_s"),
  "fmsub.s": fp("fmsub_s"),
  "fnmsub.s": fp("fnmsub_s"),
  "fnmadd.s": fp("fnmadd_s"),
  "fadd.s": fpFastS("add", "fadd_s"),
  "fsub.s": fpFastS("sub", "fsub_s"),
  "fmul.s": fpFastS("mul", "fmul_s"),
  "fdiv.s": fpFastS("div", "fdiv_s"),
  "fsqrt.s": fpFastS("sqrt", "fsqrt_s"),
  "fsgnj.s": fp("fsgnj_s"),
  "fsgnjn.s": fp("fsgnjn_s"),
  "fsgnjx.s": fp("fsgnjx_s"),
  "fmin.s": fp("fmin_s"),
  "fmax.s": fp("fmax_s"),
  "fcvt.w.s": fp("fcvt_w_s"),
  "fcvt.wu.s": fp("fcvt_wu_s"),
  "fcvt.l.s": fp("fcvt_l_s"),
  "fcvt.lu.s": fp("fcvt_lu_s"),
  "fmv.x.w": (e, i) => (e.code.localGet(e.slot).mem(OP.i64_load32_s, MEM.regs, 2, freg(i.rs1)), e.set(i.rd), true),
  "fclass.s": fp("fclass_s"),
  "feq.s": fp("feq_s"),
  "flt.s": fp("flt_s"),
  "fle.s": fp("fle_s"),
  "fcvt.s.w": fp("fcvt_s_w"),
  "fcvt.s.wu": fp("fcvt_s_wu"),
  "fcvt.s.l": fp("fcvt_s_l"),
  "fcvt.s.lu": fp("fcvt_s_lu"),
  "fmv.w.x": (e, i) => {
    e.code.localGet(e.slot);
    e.get(i.rs1).code.i64Const(0xffffffff).op(OP.i64_and).i64Const(BOX).op(OP.i64_or);
    e.code.mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    return true;
  },
  fld: load(8, true, true),
  fsd: store(8, true),
  "fmadd.d": fmaFast(0, "fmadd_d"),
  "fmsub.d": fmaFast(2, "fmsub_d"),
  "fnmsub.d": fmaFast(1, "fnmsub_d"),
  "fnmadd.d": fmaFast(3, "fnmadd_d"),
  "fadd.d": fpFast("add", "fadd_d"),
  "fsub.d": fpFast("sub", "fsub_d"),
  "fmul.d": fpFast("mul", "fmul_d"),
  "fdiv.d": fpFast("div", "fdiv_d"),
  "fsqrt.d": fpFast("sqrt", "fsqrt_d"),
  "fsgnj.d": sgnjD(0),
  "fsgnjn.d": sgnjD(1),
  "fsgnjx.d": sgnjD(2),
  "fmin.d": fp("fmin_d"),
  "fmax.d": fp("fmax_d"),
  "fcvt.s.d": fp("fcvt_s_d"),
  "fcvt.d.s": fp("fcvt_d_s"),
  "feq.d": compareD(OP.f64_eq, "feq_d"),
  "flt.d": compareD(OP.f64_lt, "flt_d"),
  "fle.d": compareD(OP.f64_le, "fle_d"),
  "fclass.d": fp("fclass_d"),
  "fcvt.w.d": fp("fcvt_w_d"),
  "fcvt.wu.d": fp("fcvt_wu_d"),
  "fcvt.l.d": fp("fcvt_l_d"),
  "fcvt.lu.d": fp("fcvt_lu_d"),
  "fmv.x.d": (e, i) => (getF(e, i.rs1), e.set(i.rd), true),
  "fcvt.d.w": fp("fcvt_d_w"),
  "fcvt.d.wu": fp("fcvt_d_wu"),
  "fcvt.d.l": fp("fcvt_d_l"),
  "fcvt.d.lu": fp("fcvt_d_lu"),
  "fmv.d.x": (e, i) => {
    e.code.localGet(e.slot);
    e.get(i.rs1).code.mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    return true;
  },
  flh: load(2, false, true),
  fsh: store(2, true),
  "fmv.x.h": (e, i) => (e.code.localGet(e.slot).mem(OP.i64_load16_s, MEM.regs, 1, freg(i.rs1)), e.set(i.rd), true),
  "fmv.h.x": (e, i) => {
    e.code.localGet(e.slot);
    e.get(i.rs1).code.i64Const(0xffff).op(OP.i64_and).i64Const(BOX_H).op(OP.i64_or);
    e.code.mem(OP.i64_store, MEM.regs, 3, freg(i.rd));
    return true;
  },
  "fcvt.s.h": fp("fcvt_s_h"),
  "fcvt.h.s": fp("fcvt_h_s"),
  "fcvt.d.h": fp("fcvt_d_h"),
  "fcvt.h.d": fp("fcvt_h_d"),
  "fmadd.h": fp("fmadd_h"),
  "fmsub.h": fp("fmsub_h"),
  "fnmsub.h": fp("fnmsub_h"),
  "fnmadd.h": fp("fnmadd_h"),
  "fadd.h": fp("fadd_h"),
  "fsub.h": fp("fsub_h"),
  "fmul.h": fp("fmul_h"),
  "fdiv.h": fp("fdiv_h"),
  "fsqrt.h": fp("fsqrt_h"),
  "fsgnj.h": fp("fsgnj_h"),
  "fsgnjn.h": fp("fsgnjn_h"),
  "fsgnjx.h": fp("fsgnjx_h"),
  "fmin.h": fp("fmin_h"),
  "fmax.h": fp("fmax_h"),
  "fcvt.w.h": fp("fcvt_w_h"),
  "fcvt.wu.h": fp("fcvt_wu_h"),
  "fcvt.l.h": fp("fcvt_l_h"),
  "fcvt.lu.h": fp("fcvt_lu_h"),
  "fclass.h": fp("fclass_h"),
  "feq.h": fp("feq_h"),
  "flt.h": fp("flt_h"),
  "fle.h": fp("fle_h"),
  "fcvt.h.w": fp("fcvt_h_w"),
  "fcvt.h.wu": fp("fcvt_h_wu"),
  "fcvt.h.l": fp("fcvt_h_l"),
  "fcvt.h.lu": fp("fcvt_h_lu"),
  "fli.s": fli(32),
  "fli.d": fli(64),
  "fli.h": fli(16),
  "fminm.s": fp("fminm_s"),
  "fmaxm.s": fp("fmaxm_s"),
  "fminm.d": fp("fminm_d"),
  "fmaxm.d": fp("fmaxm_d"),
  "fminm.h": fp("fminm_h"),
  "fmaxm.h": fp("fmaxm_h"),
  "fround.s": fp("fround_s"),
  "froundnx.s": fp("froundnx_s"),
  "fround.d": fp("fround_d"),
  "froundnx.d": fp("froundnx_d"),
  "fround.h": fp("fround_h"),
  "froundnx.h": fp("froundnx_h"),
  "fcvtmod.w.d": fp("fcvtmod_w_d"),
  "fleq.s": fp("fleq_s"),
  "fltq.s": fp("fltq_s"),
  "fleq.d": fp("fleq_d"),
  "fltq.d": fp("fltq_d"),
  "fleq.h": fp("fleq_h"),
  "fltq.h": fp("fltq_h"),
  "add.uw": shiftAdd(0, true),
  sh1add: shiftAdd(1, false),
  sh2add: shiftAdd(2, false),
  sh3add: shiftAdd(3, false),
  "sh1add.uw": shiftAdd(1, true),
  "sh2add.uw": shiftAdd(2, true),
  "sh3add.uw": shiftAdd(3, true),
  "slli.uw": (e, i) => {
    e.get(i.rs1).code.i64Const(LOW_WORD).op(OP.i64_and).i64Const(i.imm).op(OP.i64_shl);
    e.set(i.rd);
    return true;
  },
  andn: logicNot(OP.i64_and),
  orn: logicNot(OP.i64_or),
  xnor: (e, i) => (e.get(i.rs1).get(i.rs2).code.op(OP.i64_xor).i64Const(-1).op(OP.i64_xor), e.set(i.rd), true),
  clz: unary(OP.i64_clz),
  ctz: unary(OP.i64_ctz),
  cpop: unary(OP.i64_popcnt),
  "sext.b": unary(OP.i64_extend8_s),
  "sext.h": unary(OP.i64_extend16_s),
  clzw: unaryWord(OP.i32_clz),
  ctzw: unaryWord(OP.i32_ctz),
  cpopw: unaryWord(OP.i32_popcnt),
  max: minMax(OP.i64_gt_s),
  maxu: minMax(OP.i64_gt_u),
  min: minMax(OP.i64_lt_s),
  minu: minMax(OP.i64_lt_u),
  "orc.b": orcB,
  rev8,
  "zext.h": (e, i) => (e.get(i.rs1).code.i64Const(0xffff).op(OP.i64_and), e.set(i.rd), true),
  // Rotate counts are taken modulo 64 (32 for the word forms), as RISC-V takes them.
  rol: binary(OP.i64_rotl),
  ror: binary(OP.i64_rotr),
  rolw: word(OP.i32_rotl, false),
  rorw: word(OP.i32_rotr, false),
  rori: binaryImm(OP.i64_rotr),
  roriw: word(OP.i32_rotr, "shamt"),
  clmul: arith("clmul"),
  clmulr: arith("clmulr"),
  clmulh: arith("clmulh"),
  bclr: singleBit(OP.i64_and, false),
  bclri: singleBit(OP.i64_and, true),
  bext: bitExtract(false),
  bexti: bitExtract(true),
  binv: singleBit(OP.i64_xor, false),
  binvi: singleBit(OP.i64_xor, true),
  bset: singleBit(OP.i64_or, false),
  bseti: singleBit(OP.i64_or, true),
  "cbo.zero": (e, i) => {
    pushAddress(e, i);
    e.code.call(FN.cboZero);
    e.checkStatus();
    return true;
  },
  "czero.eqz": czero(true),
  "czero.nez": czero(false),
  // Zimop and Zcmop: mops write 0 to rd, c.mop.n nothing; Zawrs: no wait, the reservation dropped by the runtime
  "mop.r.n": (e, i) => (e.code.i64Const(0), e.set(i.rd), true),
  "mop.rr.n": (e, i) => (e.code.i64Const(0), e.set(i.rd), true),
  "c.mop.n": () => true,
  "wrs.nto": (e) => (e.code.call(FN.wrs).op(OP.drop), true),
  "wrs.sto": (e) => (e.code.call(FN.wrs).op(OP.drop), true),
};

/**
 * The WebAssembly translator of every operation, or {@link LEFT_TO_JAVASCRIPT}.
 * Typed `Record<Op, …>`: an operation added to `rv64gc.decode` fails
 * `deno check` here until it is translated or explicitly left to the
 * JavaScript tier. V: inline where the shape a word last ran in allows it,
 * else its executor through an import (`vector.ts`). (Merged, not spread into
 * a literal: `core/util/record_of.ts`.)
 */
export const WASM_TRANS: Readonly<Record<Op, WasmTrans | typeof LEFT_TO_JAVASCRIPT>> = Object.assign(
  recordOf(VECTOR_OPS, (): WasmTrans => vectorOp),
  SCALAR_TRANS,
);

/**
 * What decides whether a block is worth WebAssembly beyond having a
 * translation. An F/D operation with no inline path calls its helper
 * through an import, about 20 ns more than the JavaScript tier's direct
 * call (measured: a loop of fmul.s, fadd.s and fmadd.d, 5 M iterations,
 * 0.33 s in JavaScript against 0.62 s in WebAssembly), while each integer
 * instruction gains a few ns from i64; a block where such calls are more
 * than `helperShare` of the instructions stays in JavaScript. Tests set it
 * to 1 to run every block in the tier. A vector instruction without inline
 * code keeps its block in JavaScript, unless tests set `vectorCalls`.
 */
export const WASM_POLICY: { helperShare: number; vectorCalls: boolean } = { helperShare: 1 / 8, vectorCalls: false };

/**
 * Whether every instruction of `insns` has a WebAssembly translation
 * (`null`, an illegal one, has: an exit) and few enough of them only call
 * a helper ({@link WASM_POLICY}); a vector instruction only where it runs
 * inline (`vector.ts`'s `inlinesVector`, with `vector` the tier's view of
 * vector words: without one, blocks with vector instructions stay in
 * JavaScript).
 */
export function wasmTranslatable(insns: readonly (Insn | null)[], vector?: VectorTier): boolean {
  let calls = 0;
  for (const i of insns) {
    if (i === null) continue;
    const trans = WASM_TRANS[i.op];
    if (trans === LEFT_TO_JAVASCRIPT) return false;
    if (trans === vectorOp && (vector === undefined || (!WASM_POLICY.vectorCalls && !inlinesVector(i, vector)))) {
      return false;
    }
    if (helperOnly.has(trans)) calls++;
  }
  return calls <= insns.length * WASM_POLICY.helperShare;
}
