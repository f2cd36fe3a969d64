/**
 * Conversions: FP to integer (fcvt.w/wu/l/lu.s/d), integer to FP
 * (fcvt.s/d.w/wu/l/lu) and between formats (fcvt.s.d, fcvt.d.s).
 *
 * To integer: every binary32/binary64 value is a double, and rounding a
 * double to an integral double is exact in every mode, so all modes run on
 * doubles. Out-of-range results saturate with NV and no NX; a NaN gives the
 * largest value (2^31-1, 2^32-1, 2^63-1, 2^64-1) as the RISC-V
 * specification's table says; -inf and negative overflow give the smallest
 * (0 for the unsigned forms). A negative value that rounds to 0 converts to
 * 0 with NX only. 32-bit results are returned as int32 (the caller
 * sign-extends, also for fcvt.wu); 64-bit ones as the low word with the high
 * word in `c.retHi`.
 *
 * To FP: exact conversions are plain stores; 64-bit integers to double round
 * once on the host with TwoSum's error for NX and directed modes; to single,
 * integers below 2^53 round once with Math.fround (RNE) and anything else
 * takes the exact path.
 *
 * @module
 */

import { FFLAG_NV, FFLAG_NX, type FpuState, resolveRm, RM_RDN, RM_RNE, RM_RTZ, RM_RUP } from "./fpu_state.ts";
import * as exact from "./_exact.ts";
import { BINARY32 } from "./_exact.ts";
import { MIN_NORMAL_S, roundDirected, twoSumErr } from "./_eft.ts";
import { isSNaNSReg, readSingle, writeNaND, writeSingle, writeSingleBits } from "./_regs.ts";
import { unpackD } from "./arith.ts";

const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/**
 * Rounds a double to an integral double in mode `m` (exact in every mode).
 *
 * @param x a non-NaN double
 * @param m rounding mode 0..4
 * @returns the integral value (possibly -0 or infinite)
 */
export function roundToIntegral(x: number, m: number): number {
  switch (m) {
    case RM_RNE: {
      if (!(Math.abs(x) < TWO52)) return x;
      const fl = Math.floor(x);
      const frac = x - fl; // exact below 2^52
      if (frac !== 0.5) return frac < 0.5 ? fl : fl + 1;
      return fl % 2 === 0 ? fl : fl + 1;
    }
    case RM_RTZ:
      return Math.trunc(x);
    case RM_RDN:
      return Math.floor(x);
    case RM_RUP:
      return Math.ceil(x);
    default: {
      if (!(Math.abs(x) < TWO52)) return x;
      const t = Math.trunc(x);
      const frac = x - t;
      return frac >= 0.5 ? t + 1 : frac <= -0.5 ? t - 1 : t;
    }
  }
}

/** fcvt.w: `x` (any F, D or Zfh value, exactly as a double) to int32, saturating. */
export function toW(c: FpuState, x: number, m: number): number {
  if (x !== x) {
    c.fflags |= FFLAG_NV;
    return 0x7fffffff;
  }
  const v = roundToIntegral(x, m);
  if (v > 2147483647) {
    c.fflags |= FFLAG_NV;
    return 0x7fffffff;
  }
  if (v < -2147483648) {
    c.fflags |= FFLAG_NV;
    return -2147483648;
  }
  if (v !== x) c.fflags |= FFLAG_NX;
  return v | 0;
}

/** fcvt.wu: to uint32 returned as int32 bits, saturating. */
export function toWU(c: FpuState, x: number, m: number): number {
  if (x !== x) {
    c.fflags |= FFLAG_NV;
    return -1;
  }
  const v = roundToIntegral(x, m);
  if (v > 4294967295) {
    c.fflags |= FFLAG_NV;
    return -1;
  }
  if (v < 0) {
    c.fflags |= FFLAG_NV;
    return 0;
  }
  if (v !== x) c.fflags |= FFLAG_NX;
  return v | 0;
}

/** fcvt.l: to int64, low word returned, high word in retHi. */
export function toL(c: FpuState, x: number, m: number): number {
  if (x !== x) {
    c.fflags |= FFLAG_NV;
    c.retHi = 0x7fffffff;
    return -1;
  }
  const v = roundToIntegral(x, m);
  if (v >= TWO63) {
    c.fflags |= FFLAG_NV;
    c.retHi = 0x7fffffff;
    return -1;
  }
  if (v < -TWO63) {
    c.fflags |= FFLAG_NV;
    c.retHi = -2147483648;
    return 0;
  }
  if (v !== x) c.fflags |= FFLAG_NX;
  const hi = Math.floor(v / TWO32);
  c.retHi = hi | 0;
  return (v - hi * TWO32) | 0;
}

/** fcvt.lu: to uint64, low word returned, high word in retHi. */
export function toLU(c: FpuState, x: number, m: number): number {
  if (x !== x) {
    c.fflags |= FFLAG_NV;
    c.retHi = -1;
    return -1;
  }
  const v = roundToIntegral(x, m);
  if (v >= TWO64) {
    c.fflags |= FFLAG_NV;
    c.retHi = -1;
    return -1;
  }
  if (v < 0) {
    c.fflags |= FFLAG_NV;
    c.retHi = 0;
    return 0;
  }
  if (v !== x) c.fflags |= FFLAG_NX;
  const hi = Math.floor(v / TWO32);
  c.retHi = hi | 0;
  return (v - hi * TWO32) | 0;
}

/**
 * fcvt.w.d: rs1 rounded to a signed 32-bit integer, saturating with NV.
 *
 * @returns the int32 result
 *
 * @example Saturation and NaN
 * ```ts
 * import { fcvt_w_d } from "./convert.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = -2.5, f[2] = NaN;
 * strictEqual(fcvt_w_d(c, 1, 0), -2); // RNE
 * strictEqual(fcvt_w_d(c, 1, 4), -3); // RMM
 * strictEqual(fcvt_w_d(c, 2, 1), 2147483647); // NaN converts to the largest int32
 * strictEqual(c.fflags, 17); // NV | NX
 * ```
 */
export function fcvt_w_d(c: FpuState, rs1: number, rm: number): number {
  return toW(c, c.f[rs1], resolveRm(c, rm));
}

/** fcvt.wu.d: rs1 rounded to an unsigned 32-bit integer, returned as int32 bits. */
export function fcvt_wu_d(c: FpuState, rs1: number, rm: number): number {
  return toWU(c, c.f[rs1], resolveRm(c, rm));
}

/** fcvt.l.d: rs1 rounded to a signed 64-bit integer; low word returned, high word in `c.retHi`. */
export function fcvt_l_d(c: FpuState, rs1: number, rm: number): number {
  return toL(c, c.f[rs1], resolveRm(c, rm));
}

/** fcvt.lu.d: rs1 rounded to an unsigned 64-bit integer; low word returned, high word in `c.retHi`. */
export function fcvt_lu_d(c: FpuState, rs1: number, rm: number): number {
  return toLU(c, c.f[rs1], resolveRm(c, rm));
}

/** fcvt.w.s: single rs1 rounded to a signed 32-bit integer. */
export function fcvt_w_s(c: FpuState, rs1: number, rm: number): number {
  return toW(c, readSingle(c.fi, rs1), resolveRm(c, rm));
}

/** fcvt.wu.s: single rs1 rounded to an unsigned 32-bit integer, returned as int32 bits. */
export function fcvt_wu_s(c: FpuState, rs1: number, rm: number): number {
  return toWU(c, readSingle(c.fi, rs1), resolveRm(c, rm));
}

/** fcvt.l.s: single rs1 rounded to a signed 64-bit integer; high word in `c.retHi`. */
export function fcvt_l_s(c: FpuState, rs1: number, rm: number): number {
  return toL(c, readSingle(c.fi, rs1), resolveRm(c, rm));
}

/** fcvt.lu.s: single rs1 rounded to an unsigned 64-bit integer; high word in `c.retHi`. */
export function fcvt_lu_s(c: FpuState, rs1: number, rm: number): number {
  return toLU(c, readSingle(c.fi, rs1), resolveRm(c, rm));
}

/** Writes an integral double `v` (|v| < 2^53, so exact as a double) as a single rounded in mode `m`. */
function intToS(c: FpuState, rd: number, v: number, m: number): void {
  if (m === RM_RNE) {
    const r = Math.fround(v);
    if (r !== v) c.fflags |= FFLAG_NX;
    writeSingle(c.fi, rd, r);
    return;
  }
  writeSingleBits(c.fi, rd, Number(exact.fromInteger(c, BINARY32, BigInt(v), m)));
}

/**
 * fcvt.s.w: the int32 `v` as a single.
 *
 * @example 2^24 + 1 rounds to even
 * ```ts
 * import { fcvt_s_w } from "./convert.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * fcvt_s_w(c, 1, 16777217, 0);
 * strictEqual(c.fi[2], 0x4b800000); // 2^24: 2^24 + 1 has no float
 * strictEqual(c.fflags, 1); // NX
 * ```
 */
export function fcvt_s_w(c: FpuState, rd: number, v: number, rm: number): void {
  intToS(c, rd, v | 0, resolveRm(c, rm));
}

/** fcvt.s.wu: the 32 bits of `v` (given as int32) as an unsigned integer, to single. */
export function fcvt_s_wu(c: FpuState, rd: number, v: number, rm: number): void {
  intToS(c, rd, v >>> 0, resolveRm(c, rm));
}

/** fcvt.s.l: the signed 64-bit integer `hi:lo` to single. */
export function fcvt_s_l(c: FpuState, rd: number, lo: number, hi: number, rm: number): void {
  const m = resolveRm(c, rm);
  // Up to 2^53 the pair is exact as a double and one rounding remains.
  if (hi >= -0x200000 && hi < 0x200000) return intToS(c, rd, hi * TWO32 + (lo >>> 0), m);
  const v = (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
  writeSingleBits(c.fi, rd, Number(exact.fromInteger(c, BINARY32, v, m)));
}

/** fcvt.s.lu: the unsigned 64-bit integer `hi:lo` to single. */
export function fcvt_s_lu(c: FpuState, rd: number, lo: number, hi: number, rm: number): void {
  const m = resolveRm(c, rm);
  const uhi = hi >>> 0;
  if (uhi < 0x200000) return intToS(c, rd, uhi * TWO32 + (lo >>> 0), m);
  const v = (BigInt(uhi) << 32n) | BigInt(lo >>> 0);
  writeSingleBits(c.fi, rd, Number(exact.fromInteger(c, BINARY32, v, m)));
}

/** fcvt.d.w: the int32 `v` as a double (exact). */
export function fcvt_d_w(c: FpuState, rd: number, v: number, rm: number): void {
  resolveRm(c, rm);
  c.f[rd] = v | 0;
}

/** fcvt.d.wu: the 32 bits of `v` as an unsigned integer, to double (exact). */
export function fcvt_d_wu(c: FpuState, rd: number, v: number, rm: number): void {
  resolveRm(c, rm);
  c.f[rd] = v >>> 0;
}

/**
 * Writes `hiPart + loPart` (exact doubles: a multiple of 2^32 and a 32-bit
 * value, |sum| >= 2^53) rounded to double in mode `m`: one rounding, and
 * TwoSum's exact error gives NX and the direction for the directed modes.
 */
function pairToD(c: FpuState, rd: number, hiPart: number, loPart: number, m: number): void {
  const r = hiPart + loPart;
  const err = twoSumErr(hiPart, loPart, r);
  if (err !== 0) c.fflags |= FFLAG_NX;
  c.f[rd] = m === RM_RNE ? r : roundDirected(r, err, m, true);
}

/** fcvt.d.l: the signed 64-bit integer `hi:lo` to double. */
export function fcvt_d_l(c: FpuState, rd: number, lo: number, hi: number, rm: number): void {
  const m = resolveRm(c, rm);
  if (hi >= -0x200000 && hi < 0x200000) {
    c.f[rd] = hi * TWO32 + (lo >>> 0);
    return;
  }
  pairToD(c, rd, hi * TWO32, lo >>> 0, m);
}

/** fcvt.d.lu: the unsigned 64-bit integer `hi:lo` to double. */
export function fcvt_d_lu(c: FpuState, rd: number, lo: number, hi: number, rm: number): void {
  const m = resolveRm(c, rm);
  const uhi = hi >>> 0;
  if (uhi < 0x200000) {
    c.f[rd] = uhi * TWO32 + (lo >>> 0);
    return;
  }
  pairToD(c, rd, uhi * TWO32, lo >>> 0, m);
}

/** fcvt.s.d: double rs1 rounded to single (NaN → canonical, NV if signaling). */
export function fcvt_s_d(c: FpuState, rd: number, rs1: number, rm: number): void {
  const m = resolveRm(c, rm);
  const x = c.f[rs1];
  if (m === RM_RNE) {
    const r = Math.fround(x);
    if (r - r === 0 && (r === x || Math.abs(r) > MIN_NORMAL_S)) {
      if (r !== x) c.fflags |= FFLAG_NX;
      writeSingle(c.fi, rd, r);
      return;
    }
  }
  writeSingleBits(c.fi, rd, Number(exact.convert(c, BINARY32, unpackD(c.fi, rs1), m)));
}

/** fcvt.d.s: single rs1 to double (exact; NaN → canonical, NV if signaling). */
export function fcvt_d_s(c: FpuState, rd: number, rs1: number, rm: number): void {
  resolveRm(c, rm);
  const x = readSingle(c.fi, rs1);
  if (x === x) {
    c.f[rd] = x;
    return;
  }
  if (isSNaNSReg(c.fi, rs1)) c.fflags |= FFLAG_NV;
  writeNaND(c.fi, rd);
}
