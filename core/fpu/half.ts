/**
 * IEEE-754 binary16 for the RISC-V Zfh and Zfhmin extensions: NaN-boxing of
 * halves in the 64-bit FP registers, one rounding to binary16 in any mode,
 * and the instruction helpers (same calling convention as the F and D ones:
 * the CPU state, register numbers, then the rm field, 7 = dynamic).
 *
 * Every computation has the exact path of `_exact.ts` with the binary16
 * format: the exact result is rounded once, tininess is detected after
 * rounding (as RISC-V and SoftFloat do), every NaN result is the canonical
 * 0x7e00. A half is boxed with ones in bits 63..16; an operand that is not
 * properly boxed reads as the canonical NaN (only the moves and `fsh` see
 * the raw bits).
 *
 * In round-to-nearest-even, the arithmetic and the narrowing conversions
 * first try a fast path on numbers ({@link roundNearest}): the operation in
 * double precision, then a store into a `Float16Array` (which rounds as
 * `Math.f16round` does). Sums, differences and products of
 * halves are exact in a double, a quotient or square root rounded to double
 * and then to half is the correctly rounded half (double rounding is
 * innocuous for these operations when the wider format has at least 2p + 2
 * bits: 53 against 2 × 11 + 2), and a fused multiply-add whose double result
 * is exact (checked with an error-free sum) is rounded once. Results that
 * may raise a flag other than NX (NaNs, a zero divisor, overflow, anything
 * below the smallest normal half, where tininess decides UF) take the exact
 * path. Measured: the rv64gc build of `tests/guest/src/rva23.c`, whose
 * `_Float16` loops compile to `fcvt.h.s` and `fmul.h`, spent a third of its
 * time in the exact path's BigInt arithmetic and the garbage it left.
 *
 * The register and rounding helpers ({@link halfBits}, {@link writeHalfBits},
 * {@link roundToHalf}, {@link halfToNumber}) are exported for other
 * half-precision instructions (Zfa's) to build on.
 *
 * @example fadd.h rounds to binary16
 * ```ts
 * import { fadd_h, halfBits, writeHalfBits } from "./half.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * writeHalfBits(c.fi, 1, 0x3c00); // 1.0
 * writeHalfBits(c.fi, 2, 0x1000); // 2^-11, half an ulp of 1.0
 * fadd_h(c, 3, 1, 2, 0); // RNE: a tie, to even
 * strictEqual(halfBits(c.fi, 3), 0x3c00);
 * strictEqual(c.fflags, 1); // NX
 * ```
 *
 * @module
 */

import * as exact from "./_exact.ts";
import { BINARY32, BINARY64, type Exact, type FlagSink, type Format } from "./_exact.ts";
import { FFLAG_NV, FFLAG_NX, type FpuState, resolveRm } from "./fpu_state.ts";
import { doubleBitsBig, readSingle, singleBits, writeNaND, writeNaNS, writeSingle } from "./_regs.ts";
import { twoSumErr } from "./_eft.ts";
import { toL, toLU, toW, toWU } from "./convert.ts";

/** IEEE-754 binary16 (RISC-V Zfh). */
export const BINARY16: Format = { p: 11, emin: -14, emax: 15, width: 16 };

/** The canonical half NaN. */
export const CANONICAL_NAN_H = 0x7e00;

/**
 * The half in register `r` as unsigned bits; an improperly boxed value (bits
 * 63..16 not all ones) reads as the canonical NaN 0x7e00.
 *
 * @param fi the register file's int32 view
 * @param r register number
 * @returns bits 0..0xffff
 */
export function halfBits(fi: Int32Array, r: number): number {
  return fi[2 * r + 1] === -1 && (fi[2 * r] >>> 16) === 0xffff ? fi[2 * r] & 0xffff : CANONICAL_NAN_H;
}

/**
 * Writes a half from its bits, NaN-boxed.
 *
 * @param fi the register file's int32 view
 * @param rd register number
 * @param bits the half's bits (only the low 16 are used)
 */
export function writeHalfBits(fi: Int32Array, rd: number, bits: number): void {
  fi[2 * rd] = (bits & 0xffff) | 0xffff0000;
  fi[2 * rd + 1] = -1;
}

/**
 * A `Float16Array` over one half's bits: a read gives the half's value
 * exactly, a store rounds a number to half as `Math.f16round` does (which V8
 * does not inline: 15 ns a call against 2 for the store).
 */
const F16 = new Float16Array(1), F16_BITS = new Uint16Array(F16.buffer);

/**
 * The value of half `bits` as a number (exact: every half is a double).
 *
 * @param bits unsigned half bits
 * @returns the value; NaN for any NaN
 */
export function halfToNumber(bits: number): number {
  F16_BITS[0] = bits;
  return F16[0];
}

/**
 * Rounds the exact value `(-1)^sign * sig * 2^exp` to binary16 once in mode
 * `rm`, OR-ing NX, UF (tininess after rounding) and OF into `c.fflags`.
 *
 * @param c flag accumulator
 * @param sign 1 when negative
 * @param sig positive significand
 * @param exp exponent of its least significant bit
 * @param rm rounding mode 0..4 (already resolved)
 * @returns the half's bits
 */
export function roundToHalf(c: FlagSink, sign: number, sig: bigint, exp: number, rm: number): number {
  return Number(exact.roundPack(c, BINARY16, sign, sig, exp, rm));
}

/** The exact value of the half in register `r`. */
function unpackH(c: FpuState, r: number): Exact {
  return exact.unpack(BINARY16, BigInt(halfBits(c.fi, r)));
}

function negate(v: Exact): Exact {
  return { ...v, sign: v.sign ^ 1 };
}

function put(c: FpuState, rd: number, bits: bigint): void {
  writeHalfBits(c.fi, rd, Number(bits));
}

// ---- the fast path in round-to-nearest-even --------------------------------

/** The smallest normal half, 2^-14: below it, the exact path decides UF (tininess after rounding). */
const MIN_NORMAL_H = 2 ** -14;

/**
 * Writes `r` rounded to half in round-to-nearest-even to register `rd`,
 * with NX when that changed it, and returns true; returns false, writing
 * nothing, when the exact path must decide: `r` is a NaN (an invalid
 * operation or a NaN operand), nonzero below the smallest normal half, or
 * finite and rounds to an infinity (OF). `r` must be the exact result, or
 * the exact result of a division or square root of halves rounded to
 * double (see the module's documentation).
 */
function roundNearest(c: FpuState, rd: number, r: number): boolean {
  if (!(Math.abs(r) >= MIN_NORMAL_H) && r !== 0) return false;
  F16[0] = r;
  const h = F16[0];
  if (h - h !== 0 && r - r === 0) return false;
  if (h !== r) c.fflags |= FFLAG_NX;
  writeHalfBits(c.fi, rd, F16_BITS[0]);
  return true;
}

/** The value of the half in register `r` (NaN for any NaN, the fast path's results then go the exact way). */
function valueH(c: FpuState, r: number): number {
  return halfToNumber(halfBits(c.fi, r));
}

// ---- arithmetic ---------------------------------------------------------

/** fadd.h: rs1 + rs2. */
export function fadd_h(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, valueH(c, rs1) + valueH(c, rs2))) return;
  put(c, rd, exact.add(c, BINARY16, unpackH(c, rs1), unpackH(c, rs2), m));
}

/** fsub.h: rs1 - rs2. */
export function fsub_h(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, valueH(c, rs1) - valueH(c, rs2))) return;
  put(c, rd, exact.add(c, BINARY16, unpackH(c, rs1), negate(unpackH(c, rs2)), m));
}

/** fmul.h: rs1 * rs2. */
export function fmul_h(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, valueH(c, rs1) * valueH(c, rs2))) return;
  put(c, rd, exact.mul(c, BINARY16, unpackH(c, rs1), unpackH(c, rs2), m));
}

/** fdiv.h: rs1 / rs2 (DZ for a finite nonzero dividend over zero). */
export function fdiv_h(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  const m = resolveRm(c, rm);
  const b = valueH(c, rs2);
  // A zero divisor raises DZ (or NV) on the exact path.
  if (m === 0 && b !== 0 && roundNearest(c, rd, valueH(c, rs1) / b)) return;
  put(c, rd, exact.div(c, BINARY16, unpackH(c, rs1), unpackH(c, rs2), m));
}

/** fsqrt.h: the square root of rs1. */
export function fsqrt_h(c: FpuState, rd: number, rs1: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, Math.sqrt(valueH(c, rs1)))) return;
  put(c, rd, exact.sqrt(c, BINARY16, unpackH(c, rs1), m));
}

/** Shared body of the fused forms: (±(rs1 * rs2)) ± rs3 with one rounding. */
function fused(
  c: FpuState,
  rd: number,
  rs1: number,
  rs2: number,
  rs3: number,
  rm: number,
  negProduct: boolean,
  negAddend: boolean,
): void {
  const m = resolveRm(c, rm);
  if (m === 0) {
    // The product of two halves is exact in a double; their sum is when the error-free sum says so.
    const p = valueH(c, rs1) * valueH(c, rs2), d = valueH(c, rs3);
    const x = negProduct ? -p : p, y = negAddend ? -d : d, s = x + y;
    if (twoSumErr(x, y, s) === 0 && roundNearest(c, rd, s)) return;
  }
  const a = unpackH(c, rs1), d = unpackH(c, rs3);
  put(c, rd, exact.fma(c, BINARY16, negProduct ? negate(a) : a, unpackH(c, rs2), negAddend ? negate(d) : d, m));
}

/** fmadd.h: rs1 * rs2 + rs3. */
export function fmadd_h(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  fused(c, rd, rs1, rs2, rs3, rm, false, false);
}

/** fmsub.h: rs1 * rs2 - rs3. */
export function fmsub_h(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  fused(c, rd, rs1, rs2, rs3, rm, false, true);
}

/** fnmsub.h: -(rs1 * rs2) + rs3. */
export function fnmsub_h(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  fused(c, rd, rs1, rs2, rs3, rm, true, false);
}

/** fnmadd.h: -(rs1 * rs2) - rs3. */
export function fnmadd_h(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  fused(c, rd, rs1, rs2, rs3, rm, true, true);
}

// ---- sign injection, min/max, comparisons, class ------------------------

/** fsgnj.h: rs1's magnitude, rs2's sign. */
export function fsgnj_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  writeHalfBits(c.fi, rd, (halfBits(c.fi, rs1) & 0x7fff) | (halfBits(c.fi, rs2) & 0x8000));
}

/** fsgnjn.h: rs1's magnitude, the opposite of rs2's sign. */
export function fsgnjn_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  writeHalfBits(c.fi, rd, (halfBits(c.fi, rs1) & 0x7fff) | (~halfBits(c.fi, rs2) & 0x8000));
}

/** fsgnjx.h: rs1 with its sign xor rs2's. */
export function fsgnjx_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  writeHalfBits(c.fi, rd, halfBits(c.fi, rs1) ^ (halfBits(c.fi, rs2) & 0x8000));
}

function isNaNH(bits: number): boolean {
  return (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
}

function isSNaNH(bits: number): boolean {
  return isNaNH(bits) && (bits & 0x200) === 0;
}

/** Shared body of fmin.h/fmax.h (minimumNumber/maximumNumber; -0 below +0). */
function minMax(c: FpuState, rd: number, rs1: number, rs2: number, max: boolean): void {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isSNaNH(ab) || isSNaNH(bb)) c.fflags |= FFLAG_NV;
  let r: number;
  if (isNaNH(ab)) r = isNaNH(bb) ? CANONICAL_NAN_H : bb;
  else if (isNaNH(bb)) r = ab;
  else {
    const a = halfToNumber(ab), b = halfToNumber(bb);
    if (a === b) r = ((ab & 0x8000) !== 0) === max ? bb : ab;
    else r = (a < b) !== max ? ab : bb;
  }
  writeHalfBits(c.fi, rd, r);
}

/** fmin.h: minimumNumber(rs1, rs2). */
export function fmin_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMax(c, rd, rs1, rs2, false);
}

/** fmax.h: maximumNumber(rs1, rs2). */
export function fmax_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMax(c, rd, rs1, rs2, true);
}

/**
 * feq.h: 1 when rs1 == rs2 (quiet: NV only for a signaling NaN), else 0.
 *
 * @returns 0 or 1
 */
export function feq_h(c: FpuState, rs1: number, rs2: number): number {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isSNaNH(ab) || isSNaNH(bb)) c.fflags |= FFLAG_NV;
  return halfToNumber(ab) === halfToNumber(bb) ? 1 : 0;
}

/**
 * flt.h: 1 when rs1 < rs2 (signaling: NV for any NaN), else 0.
 *
 * @returns 0 or 1
 */
export function flt_h(c: FpuState, rs1: number, rs2: number): number {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isNaNH(ab) || isNaNH(bb)) c.fflags |= FFLAG_NV;
  return halfToNumber(ab) < halfToNumber(bb) ? 1 : 0;
}

/**
 * fle.h: 1 when rs1 <= rs2 (signaling: NV for any NaN), else 0.
 *
 * @returns 0 or 1
 */
export function fle_h(c: FpuState, rs1: number, rs2: number): number {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isNaNH(ab) || isNaNH(bb)) c.fflags |= FFLAG_NV;
  return halfToNumber(ab) <= halfToNumber(bb) ? 1 : 0;
}

/**
 * fclass.h: the one-hot class mask of rs1 (bit 0 -inf ... bit 9 quiet NaN).
 *
 * @returns the mask
 */
export function fclass_h(c: FpuState, rs1: number): number {
  const bits = halfBits(c.fi, rs1);
  const neg = (bits & 0x8000) !== 0;
  const biased = (bits >> 10) & 0x1f, frac = bits & 0x3ff;
  if (biased === 0x1f) {
    if (frac !== 0) return (frac & 0x200) !== 0 ? 1 << 9 : 1 << 8;
    return neg ? 1 << 0 : 1 << 7;
  }
  if (biased === 0) {
    if (frac === 0) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}

// ---- conversions ----------------------------------------------------------

/**
 * The value of half `h` as a number (exact: every half is a single and a
 * double), or undefined for a NaN, after NV for a signaling one. A
 * widening conversion needs no rounding, so it needs none of `_exact.ts`'s
 * BigInt arithmetic (which made `(float)h` a third of a loop summing halves).
 */
function widenHalf(c: FpuState, h: number): number | undefined {
  if (isNaNH(h)) {
    if (isSNaNH(h)) c.fflags |= FFLAG_NV;
    return undefined;
  }
  return halfToNumber(h);
}

/** fcvt.s.h: half rs1 to single (exact; a NaN becomes the canonical one, NV if signaling). */
export function fcvt_s_h(c: FpuState, rd: number, rs1: number, rm: number): void {
  resolveRm(c, rm);
  const v = widenHalf(c, halfBits(c.fi, rs1));
  if (v === undefined) writeNaNS(c.fi, rd);
  else writeSingle(c.fi, rd, v);
}

/** fcvt.d.h: half rs1 to double (exact). */
export function fcvt_d_h(c: FpuState, rd: number, rs1: number, rm: number): void {
  resolveRm(c, rm);
  const v = widenHalf(c, halfBits(c.fi, rs1));
  if (v === undefined) writeNaND(c.fi, rd);
  else c.f[rd] = v;
}

/** fcvt.h.s: single rs1 rounded to half. */
export function fcvt_h_s(c: FpuState, rd: number, rs1: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, readSingle(c.fi, rs1))) return;
  const a = exact.unpack(BINARY32, BigInt(singleBits(c.fi, rs1)));
  put(c, rd, exact.convert(c, BINARY16, a, m));
}

/** fcvt.h.d: double rs1 rounded to half. */
export function fcvt_h_d(c: FpuState, rd: number, rs1: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, c.f[rs1])) return;
  put(c, rd, exact.convert(c, BINARY16, exact.unpack(BINARY64, doubleBitsBig(c.fi, rs1)), m));
}

/** fcvt.w.h: half rs1 rounded to a signed 32-bit integer, saturating with NV. */
export function fcvt_w_h(c: FpuState, rs1: number, rm: number): number {
  return toW(c, halfToNumber(halfBits(c.fi, rs1)), resolveRm(c, rm));
}

/** fcvt.wu.h: half rs1 rounded to an unsigned 32-bit integer, returned as int32 bits. */
export function fcvt_wu_h(c: FpuState, rs1: number, rm: number): number {
  return toWU(c, halfToNumber(halfBits(c.fi, rs1)), resolveRm(c, rm));
}

/** fcvt.l.h: half rs1 rounded to a signed 64-bit integer; low word returned, high word in `c.retHi`. */
export function fcvt_l_h(c: FpuState, rs1: number, rm: number): number {
  return toL(c, halfToNumber(halfBits(c.fi, rs1)), resolveRm(c, rm));
}

/** fcvt.lu.h: half rs1 rounded to an unsigned 64-bit integer; low word returned, high word in `c.retHi`. */
export function fcvt_lu_h(c: FpuState, rs1: number, rm: number): number {
  return toLU(c, halfToNumber(halfBits(c.fi, rs1)), resolveRm(c, rm));
}

/** fcvt.h.w: int32 `lo` rounded to half. */
export function fcvt_h_w(c: FpuState, rd: number, lo: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, lo | 0)) return;
  put(c, rd, exact.fromInteger(c, BINARY16, BigInt(lo | 0), m));
}

/** fcvt.h.wu: uint32 `lo` rounded to half. */
export function fcvt_h_wu(c: FpuState, rd: number, lo: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (m === 0 && roundNearest(c, rd, lo >>> 0)) return;
  put(c, rd, exact.fromInteger(c, BINARY16, BigInt(lo >>> 0), m));
}

/** fcvt.h.l: int64 `hi:lo` rounded to half. */
export function fcvt_h_l(c: FpuState, rd: number, lo: number, hi: number, rm: number): void {
  const m = resolveRm(c, rm);
  put(c, rd, exact.fromInteger(c, BINARY16, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0), m));
}

/** fcvt.h.lu: uint64 `hi:lo` rounded to half. */
export function fcvt_h_lu(c: FpuState, rd: number, lo: number, hi: number, rm: number): void {
  const m = resolveRm(c, rm);
  put(c, rd, exact.fromInteger(c, BINARY16, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), m));
}
