/**
 * Comparisons and classification: fmin, fmax, feq, flt, fle and fclass for
 * binary32 and binary64.
 *
 * fmin/fmax are IEEE 754-2019 minimumNumber/maximumNumber as RISC-V
 * (ratified F 2.2) defines them: a NaN operand is ignored unless both are
 * NaN (then the canonical NaN), -0 orders below +0, and a signaling NaN
 * raises NV. feq is a quiet comparison (NV only for signaling NaNs); flt
 * and fle are signaling (NV for any NaN). An improperly NaN-boxed single
 * reads as the canonical (quiet) NaN.
 *
 * @module
 */

import { FFLAG_NV, type FpuState } from "./fpu_state.ts";
import { isSNaND, isSNaNSReg, readSingle, singleBits, writeNaND, writeNaNS, writeSingle } from "./_regs.ts";

/** fclass result bits. */
const CLASS_NEG_INF = 1 << 0;
const CLASS_NEG_NORMAL = 1 << 1;
const CLASS_NEG_SUBNORMAL = 1 << 2;
const CLASS_NEG_ZERO = 1 << 3;
const CLASS_POS_ZERO = 1 << 4;
const CLASS_POS_SUBNORMAL = 1 << 5;
const CLASS_POS_NORMAL = 1 << 6;
const CLASS_POS_INF = 1 << 7;
const CLASS_SNAN = 1 << 8;
const CLASS_QNAN = 1 << 9;

/** Shared body of fmin.d/fmax.d; `max` selects maximumNumber. */
function minMaxD(c: FpuState, rd: number, rs1: number, rs2: number, max: boolean): void {
  const f = c.f;
  const fi = c.fi;
  const a = f[rs1], b = f[rs2];
  if (a < b) {
    f[rd] = max ? b : a;
  } else if (b < a) {
    f[rd] = max ? a : b;
  } else if (a === b) {
    // Equal, possibly +0 and -0: the sign bit decides (min prefers -0, max +0).
    const aNeg = fi[2 * rs1 + 1] < 0;
    f[rd] = aNeg === max ? b : a;
  } else {
    if (isSNaND(fi, rs1) || isSNaND(fi, rs2)) c.fflags |= FFLAG_NV;
    if (a !== a && b !== b) writeNaND(fi, rd);
    else f[rd] = a !== a ? b : a;
  }
}

/** Shared body of fmin.s/fmax.s. */
function minMaxS(c: FpuState, rd: number, rs1: number, rs2: number, max: boolean): void {
  const fi = c.fi;
  const a = readSingle(fi, rs1);
  const b = readSingle(fi, rs2);
  let r: number;
  if (a < b) {
    r = max ? b : a;
  } else if (b < a) {
    r = max ? a : b;
  } else if (a === b) {
    const aNeg = fi[2 * rs1] < 0;
    r = aNeg === max ? b : a;
  } else {
    if (isSNaNSReg(fi, rs1) || isSNaNSReg(fi, rs2)) c.fflags |= FFLAG_NV;
    if (a !== a && b !== b) return writeNaNS(fi, rd);
    r = a !== a ? b : a;
  }
  // r is one of the operands and not a NaN: the float store reproduces its bits.
  writeSingle(fi, rd, r);
}

/**
 * fmin.d: minimumNumber(rs1, rs2).
 *
 * @example -0 is below +0; a quiet NaN is ignored
 * ```ts
 * import { fmin_d } from "./compare.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 0, f[2] = -0, f[3] = NaN;
 * fmin_d(c, 4, 1, 2);
 * fmin_d(c, 5, 3, 1);
 * strictEqual(f[4], -0); // -0 is below +0
 * strictEqual(f[5], 0); // a quiet NaN loses
 * strictEqual(c.fflags, 0);
 * ```
 */
export function fmin_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxD(c, rd, rs1, rs2, false);
}

/** fmax.d: maximumNumber(rs1, rs2). */
export function fmax_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxD(c, rd, rs1, rs2, true);
}

/** fmin.s: minimumNumber(rs1, rs2). */
export function fmin_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxS(c, rd, rs1, rs2, false);
}

/** fmax.s: maximumNumber(rs1, rs2). */
export function fmax_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxS(c, rd, rs1, rs2, true);
}

/**
 * feq.d: 1 when rs1 == rs2 (quiet: NV only for a signaling NaN), else 0.
 *
 * @returns 0 or 1
 */
export function feq_d(c: FpuState, rs1: number, rs2: number): number {
  const a = c.f[rs1], b = c.f[rs2];
  if (a === b) return 1;
  if ((a !== a || b !== b) && (isSNaND(c.fi, rs1) || isSNaND(c.fi, rs2))) c.fflags |= FFLAG_NV;
  return 0;
}

/**
 * flt.d: 1 when rs1 < rs2 (signaling: NV for any NaN), else 0.
 *
 * @returns 0 or 1
 */
export function flt_d(c: FpuState, rs1: number, rs2: number): number {
  const a = c.f[rs1], b = c.f[rs2];
  if (a < b) return 1;
  if (a !== a || b !== b) c.fflags |= FFLAG_NV;
  return 0;
}

/**
 * fle.d: 1 when rs1 <= rs2 (signaling: NV for any NaN), else 0.
 *
 * @returns 0 or 1
 */
export function fle_d(c: FpuState, rs1: number, rs2: number): number {
  const a = c.f[rs1], b = c.f[rs2];
  if (a <= b) return 1;
  if (a !== a || b !== b) c.fflags |= FFLAG_NV;
  return 0;
}

/**
 * feq.s: 1 when rs1 == rs2 (quiet), else 0.
 *
 * @returns 0 or 1
 */
export function feq_s(c: FpuState, rs1: number, rs2: number): number {
  const a = readSingle(c.fi, rs1), b = readSingle(c.fi, rs2);
  if (a === b) return 1;
  if ((a !== a || b !== b) && (isSNaNSReg(c.fi, rs1) || isSNaNSReg(c.fi, rs2))) c.fflags |= FFLAG_NV;
  return 0;
}

/**
 * flt.s: 1 when rs1 < rs2 (signaling), else 0.
 *
 * @returns 0 or 1
 */
export function flt_s(c: FpuState, rs1: number, rs2: number): number {
  const a = readSingle(c.fi, rs1), b = readSingle(c.fi, rs2);
  if (a < b) return 1;
  if (a !== a || b !== b) c.fflags |= FFLAG_NV;
  return 0;
}

/**
 * fle.s: 1 when rs1 <= rs2 (signaling), else 0.
 *
 * @returns 0 or 1
 */
export function fle_s(c: FpuState, rs1: number, rs2: number): number {
  const a = readSingle(c.fi, rs1), b = readSingle(c.fi, rs2);
  if (a <= b) return 1;
  if (a !== a || b !== b) c.fflags |= FFLAG_NV;
  return 0;
}

/** The fclass mask from sign, biased exponent, whether the fraction is 0, and its top bit. */
function classify(neg: boolean, biased: number, maxBiased: number, fracZero: boolean, quietBit: boolean): number {
  if (biased === maxBiased) {
    if (!fracZero) return quietBit ? CLASS_QNAN : CLASS_SNAN;
    return neg ? CLASS_NEG_INF : CLASS_POS_INF;
  }
  if (biased === 0) {
    if (fracZero) return neg ? CLASS_NEG_ZERO : CLASS_POS_ZERO;
    return neg ? CLASS_NEG_SUBNORMAL : CLASS_POS_SUBNORMAL;
  }
  return neg ? CLASS_NEG_NORMAL : CLASS_POS_NORMAL;
}

/**
 * fclass.d: the one-hot class mask of rs1 (bit 0 -inf … bit 9 quiet NaN).
 *
 * @returns the mask
 *
 * @example Classify -0 and a signaling NaN
 * ```ts
 * import { fclass_d } from "./compare.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32), fi = new Int32Array(f.buffer);
 * const c = { f, fi, fflags: 0, frm: 0, retHi: 0 };
 * f[1] = -0;
 * fi[4] = 1, fi[5] = 0x7ff00000; // f2 = sNaN
 * strictEqual(fclass_d(c, 1), 8); // bit 3: -0
 * strictEqual(fclass_d(c, 2), 256); // bit 8: signaling NaN
 * ```
 */
export function fclass_d(c: FpuState, rs1: number): number {
  const hi = c.fi[2 * rs1 + 1], lo = c.fi[2 * rs1];
  return classify(hi < 0, (hi >>> 20) & 0x7ff, 0x7ff, (hi & 0xfffff) === 0 && lo === 0, (hi & 0x80000) !== 0);
}

/**
 * fclass.s: the class mask of rs1 (an improperly boxed value is a quiet NaN).
 *
 * @returns the mask
 */
export function fclass_s(c: FpuState, rs1: number): number {
  const bits = singleBits(c.fi, rs1);
  return classify(
    (bits & 0x80000000) !== 0,
    (bits >>> 23) & 0xff,
    0xff,
    (bits & 0x7fffff) === 0,
    (bits & 0x400000) !== 0,
  );
}
