/**
 * Fused multiply-add: fmadd, fmsub, fnmsub, fnmadd for binary32 and
 * binary64, each with a single rounding.
 *
 * The four forms negate operands as QEMU's softfloat does: fmsub negates the
 * addend, fnmsub the product, fnmadd both (so exact zero results get the
 * sign rules of `-(a*b) - c`).
 *
 * binary64 fast path (RNE): Dekker's product and TwoSum turn `a*b + c`
 * exactly into `s + se + pl` with `s = RN(a*b + c)`. When the tail
 * `se + pl` lies strictly inside s's rounding interval (half an ulp above,
 * half of the smaller ulp below a power of two), s is the correctly
 * rounded result; that is checked on the rounded sum of the tail, which
 * cannot cross the power-of-two threshold unless the exact tail does.
 * Otherwise `r = RN(s + tail)` is certified the same way with its exact
 * remainder. Near ties, zero results and extreme magnitudes fall back to
 * the exact path.
 *
 * binary32 fast path (RNE): the product of two singles is exact in binary64,
 * the sum is rounded to binary64 and then to binary32. That double rounding
 * can only go wrong when the binary64 sum lands exactly on the midpoint of
 * two singles (any other single midpoint between the sum and its rounding
 * would have been the nearer double); TwoSum's error then picks the side.
 *
 * @module
 */

import { FFLAG_NX, type FpuState, resolveRm } from "./fpu_state.ts";
import * as exact from "./_exact.ts";
import { BINARY32, BINARY64, type Exact } from "./_exact.ts";
import { EFT_HUGE, EFT_SPLIT_MAX, EFT_TINY, MIN_NORMAL_S, NEIGHBOUR_STEP, splitHigh, twoSumErr } from "./_eft.ts";
import { readSingle, writeDoubleBig, writeSingle, writeSingleBits } from "./_regs.ts";
import { unpackD, unpackS } from "./arith.ts";

/** Results below this take the exact path: keeps every half-ulp threshold a normal double. */
export const FMA_RESULT_TINY = 2 ** -960;

/** Which operands a form negates: bit 0 the product, bit 1 the addend. */
const NEG_PRODUCT = 1;
const NEG_ADDEND = 2;

function negated(x: Exact, neg: boolean): Exact {
  return neg ? { ...x, sign: x.sign ^ 1 } : x;
}

/**
 * Whether `r + e` (e != 0, a tail far below r: exact, or the rounding of an
 * exact tail) lies strictly inside r's round-to-nearest interval: |e| below
 * half the gap to r's neighbour on e's side (that gap halves below a power
 * of two). The threshold is a power of two, so by monotonicity of rounding
 * the answer holds for the exact tail too. The neighbours come from Rump et
 * al.'s successor formula rather than from the bits of r: reinterpreting a
 * double through a scratch buffer stalls store forwarding, and measured 7 ns
 * here. Needs 2^-960 <= |r| < 2^1020.
 */
function insideHalfUlp(r: number, e: number): boolean {
  const ar = Math.abs(r);
  const q = NEIGHBOUR_STEP * ar;
  const gap = e > 0 === r > 0 ? ar + q - ar : ar - (ar - q);
  return Math.abs(e) < gap * 0.5;
}

/** Fast path of the binary64 forms; false when the exact path must decide. */
function fmaD(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number, neg: number): boolean {
  if (rm !== 0 && (rm !== 7 || c.frm !== 0)) return false;
  const f = c.f;
  const a = (neg & NEG_PRODUCT) !== 0 ? -f[rs1] : f[rs1];
  const b = f[rs2];
  const d = (neg & NEG_ADDEND) !== 0 ? -f[rs3] : f[rs3];
  const ph = a * b;
  const aph = Math.abs(ph);
  // Comparisons are false for NaN, so NaN and infinite operands fail here too.
  if (!(aph < EFT_HUGE && Math.abs(a) < EFT_SPLIT_MAX && Math.abs(b) < EFT_SPLIT_MAX && Math.abs(d) < EFT_HUGE)) {
    return false;
  }
  if (aph < EFT_TINY && a !== 0 && b !== 0) return false;
  // a*b + d == s + se + pl exactly.
  const ah = splitHigh(a), bh = splitHigh(b);
  const al = a - ah, bl = b - bh;
  const pl = ah * bh - ph + ah * bl + al * bh + al * bl;
  const s = ph + d;
  const se = twoSumErr(ph, d, s);
  const u = se + pl;
  if (!(Math.abs(s) >= FMA_RESULT_TINY)) {
    // d == -RN(a*b) (the product-error idiom) leaves exactly pl, a double.
    if (s !== 0 || pl === 0) return false;
    f[rd] = pl;
    return true;
  }
  // Usually the tail is well inside s's rounding interval and s is the answer.
  if (u === 0 || insideHalfUlp(s, u)) {
    if (u !== 0) c.fflags |= FFLAG_NX;
    f[rd] = s;
    return true;
  }
  // Otherwise round s + u, and certify with the exact remainder re + te.
  const r = s + u;
  if (!(Math.abs(r) >= FMA_RESULT_TINY)) return false;
  const e = twoSumErr(s, u, r) + twoSumErr(se, pl, u);
  if (e !== 0) {
    if (!insideHalfUlp(r, e)) return false;
    c.fflags |= FFLAG_NX;
  }
  f[rd] = r;
  return true;
}

function slowD(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number, neg: number): void {
  const m = resolveRm(c, rm);
  const fi = c.fi;
  const a = negated(unpackD(fi, rs1), (neg & NEG_PRODUCT) !== 0);
  const d = negated(unpackD(fi, rs3), (neg & NEG_ADDEND) !== 0);
  writeDoubleBig(fi, rd, exact.fma(c, BINARY64, a, unpackD(fi, rs2), d, m));
}

/**
 * fmadd.d: `rd = rs1 * rs2 + rs3` with one rounding.
 *
 * @param c state (registers, fflags, frm)
 * @param rd destination FP register
 * @param rs1 multiplicand register
 * @param rs2 multiplier register
 * @param rs3 addend register
 * @param rm rounding-mode field (7 = dynamic)
 *
 * @example The fused result keeps the product's low bits
 * ```ts
 * import { fmadd_d } from "./fused.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 1 + 2 ** -30, f[2] = 1 - 2 ** -30, f[3] = -1;
 * fmadd_d(c, 4, 1, 2, 3, 0);
 * strictEqual(f[4], -(2 ** -60)); // exact: one rounding, not two
 * strictEqual(c.fflags, 0);
 * ```
 */
export function fmadd_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  if (!fmaD(c, rd, rs1, rs2, rs3, rm, 0)) slowD(c, rd, rs1, rs2, rs3, rm, 0);
}

/** fmsub.d: `rd = rs1 * rs2 - rs3` with one rounding. */
export function fmsub_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  if (!fmaD(c, rd, rs1, rs2, rs3, rm, NEG_ADDEND)) slowD(c, rd, rs1, rs2, rs3, rm, NEG_ADDEND);
}

/** fnmsub.d: `rd = -(rs1 * rs2) + rs3` with one rounding. */
export function fnmsub_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  if (!fmaD(c, rd, rs1, rs2, rs3, rm, NEG_PRODUCT)) slowD(c, rd, rs1, rs2, rs3, rm, NEG_PRODUCT);
}

/** fnmadd.d: `rd = -(rs1 * rs2) - rs3` with one rounding. */
export function fnmadd_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const neg = NEG_PRODUCT | NEG_ADDEND;
  if (!fmaD(c, rd, rs1, rs2, rs3, rm, neg)) slowD(c, rd, rs1, rs2, rs3, rm, neg);
}

/** Fast path of the binary32 forms; false when the exact path must decide. */
function fmaS(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number, neg: number): boolean {
  if (rm !== 0 && (rm !== 7 || c.frm !== 0)) return false;
  const fi = c.fi;
  const a = readSingle(fi, rs1);
  const b = readSingle(fi, rs2);
  const d = readSingle(fi, rs3);
  const p = (neg & NEG_PRODUCT) !== 0 ? -(a * b) : a * b; // exact
  const addend = (neg & NEG_ADDEND) !== 0 ? -d : d;
  const s = p + addend;
  let r = Math.fround(s);
  if (r - r !== 0) return false;
  const e = twoSumErr(p, addend, s); // p + addend == s + e exactly
  if (e !== 0) {
    // Rounding twice differs from rounding once only when s fell exactly on
    // the midpoint of two singles; then e says which side the exact sum is.
    const other = 2 * s - r;
    if (other !== r && Math.fround(other) === other && e > 0 === other > r) r = other;
  }
  if (r !== s || e !== 0) {
    if (!(Math.abs(r) > MIN_NORMAL_S)) return false; // maybe UF: let the exact path decide tininess
    c.fflags |= FFLAG_NX;
  }
  writeSingle(fi, rd, r);
  return true;
}

function slowS(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number, neg: number): void {
  const m = resolveRm(c, rm);
  const fi = c.fi;
  const a = negated(unpackS(fi, rs1), (neg & NEG_PRODUCT) !== 0);
  const d = negated(unpackS(fi, rs3), (neg & NEG_ADDEND) !== 0);
  writeSingleBits(fi, rd, Number(exact.fma(c, BINARY32, a, unpackS(fi, rs2), d, m)));
}

/** fmadd.s: `rd = rs1 * rs2 + rs3` with one rounding. */
export function fmadd_s(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  if (!fmaS(c, rd, rs1, rs2, rs3, rm, 0)) slowS(c, rd, rs1, rs2, rs3, rm, 0);
}

/** fmsub.s: `rd = rs1 * rs2 - rs3` with one rounding. */
export function fmsub_s(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  if (!fmaS(c, rd, rs1, rs2, rs3, rm, NEG_ADDEND)) slowS(c, rd, rs1, rs2, rs3, rm, NEG_ADDEND);
}

/** fnmsub.s: `rd = -(rs1 * rs2) + rs3` with one rounding. */
export function fnmsub_s(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  if (!fmaS(c, rd, rs1, rs2, rs3, rm, NEG_PRODUCT)) slowS(c, rd, rs1, rs2, rs3, rm, NEG_PRODUCT);
}

/** fnmadd.s: `rd = -(rs1 * rs2) - rs3` with one rounding. */
export function fnmadd_s(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const neg = NEG_PRODUCT | NEG_ADDEND;
  if (!fmaS(c, rd, rs1, rs2, rs3, rm, neg)) slowS(c, rd, rs1, rs2, rs3, rm, neg);
}
