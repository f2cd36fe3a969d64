/**
 * fadd, fsub, fmul, fdiv and fsqrt for binary32 (`_s`) and binary64 (`_d`).
 *
 * Fast path (round to nearest even, result in the normal range): the host's
 * double arithmetic gives the correctly rounded result; an error-free
 * transformation (TwoSum, Dekker's product, the residual of a quotient or a
 * root) decides NX, and is skipped when NX is already accrued since flags
 * are sticky. Singles are computed in double and rounded with Math.fround:
 * for +, -, *, / and sqrt of binary32 operands binary64 has more than
 * 2*24+2 bits, so that double rounding is innocuous.
 *
 * Directed rounding of doubles reuses the same error term: it gives the
 * direction from the round-to-nearest result to the exact one, and the
 * result moves one ulp when the mode asks for it.
 *
 * Everything else (directed rounding of singles, NaN and infinity operands,
 * results near the underflow or overflow thresholds, operands where the
 * error-free transformation could overflow) takes the exact path of
 * `_exact.ts`.
 *
 * @module
 */

import { FFLAG_NX, type FpuState, resolveRm } from "./fpu_state.ts";
import * as exact from "./_exact.ts";
import { BINARY32, BINARY64, type Exact } from "./_exact.ts";
import {
  EFT_HUGE,
  EFT_SPLIT_MAX,
  EFT_TINY,
  MAX_D,
  MIN_NORMAL_D,
  MIN_NORMAL_S,
  roundDirected,
  splitHigh,
  twoProductErr,
  twoSumErr,
} from "./_eft.ts";
import { doubleBitsBig, readSingle, singleBits, writeDoubleBig, writeSingle, writeSingleBits } from "./_regs.ts";

type BinaryOp = (c: FpuState, fmt: exact.Format, a: Exact, b: Exact, rm: number) => bigint;

const sub: BinaryOp = (c, fmt, a, b, rm) => exact.add(c, fmt, a, { ...b, sign: b.sign ^ 1 }, rm);

/** Unpacks double register `r`. */
export function unpackD(fi: Int32Array, r: number): Exact {
  return exact.unpack(BINARY64, doubleBitsBig(fi, r));
}

/** Unpacks single register `r` (an improperly boxed value is the canonical NaN). */
export function unpackS(fi: Int32Array, r: number): Exact {
  return exact.unpack(BINARY32, BigInt(singleBits(fi, r)));
}

function slowD(c: FpuState, rd: number, rs1: number, rs2: number, rm: number, op: BinaryOp): void {
  const m = resolveRm(c, rm);
  const fi = c.fi;
  writeDoubleBig(fi, rd, op(c, BINARY64, unpackD(fi, rs1), unpackD(fi, rs2), m));
}

function slowS(c: FpuState, rd: number, rs1: number, rs2: number, rm: number, op: BinaryOp): void {
  const m = resolveRm(c, rm);
  const fi = c.fi;
  writeSingleBits(fi, rd, Number(op(c, BINARY32, unpackS(fi, rs1), unpackS(fi, rs2), m)));
}

/** The directed mode (1..4) that `rm` selects, or -1 for RNE or a reserved mode (the exact path decides). */
function directedMode(c: FpuState, rm: number): number {
  const m = rm === 7 ? c.frm : rm;
  return m >= 1 && m <= 4 ? m : -1;
}

/**
 * Whether a round-to-nearest result leaves room for a directed step without
 * reaching UF or OF, and is large enough for {@link roundDirected}'s
 * neighbour formula (which needs |r| >= 2^-970).
 */
function directedSafe(r: number): boolean {
  const ar = Math.abs(r);
  return ar >= EFT_TINY && ar < MAX_D;
}

/**
 * Double sum fast path shared by fadd.d and fsub.d (`neg` = 1 negates rs2).
 * Internal fast paths take register numbers, not doubles: should V8 not
 * inline one into its caller, double arguments would be boxed on the heap.
 */
function addD(c: FpuState, rd: number, rs1: number, rs2: number, rm: number, neg: number): boolean {
  const f = c.f;
  const a = f[rs1];
  const b = neg ? -f[rs2] : f[rs2];
  const r = a + b;
  // A finite sum of finite operands; subnormal sums are always exact, so UF cannot arise.
  if (r - r !== 0) return false;
  if (rm !== 0 && (rm !== 7 || c.frm !== 0)) return addDirectedD(c, rd, rs1, rs2, rm, neg);
  if ((c.fflags & FFLAG_NX) === 0) {
    const err = twoSumErr(a, b, r);
    if (err !== 0) {
      if (err - err !== 0) return false;
      c.fflags |= FFLAG_NX;
    }
  }
  f[rd] = r;
  return true;
}

function addDirectedD(c: FpuState, rd: number, rs1: number, rs2: number, rm: number, neg: number): boolean {
  const a = c.f[rs1];
  const b = neg ? -c.f[rs2] : c.f[rs2];
  const r = a + b;
  const m = directedMode(c, rm);
  if (m < 0 || !directedSafe(r)) return false;
  const err = twoSumErr(a, b, r);
  if (err - err !== 0) return false;
  if (err !== 0) c.fflags |= FFLAG_NX;
  c.f[rd] = roundDirected(r, err, m, true);
  return true;
}

/**
 * fadd.d: `rd = rs1 + rs2`.
 *
 * @param c state (registers, fflags, frm)
 * @param rd destination FP register
 * @param rs1 first source FP register
 * @param rs2 second source FP register
 * @param rm rounding-mode field (7 = dynamic)
 *
 * @example Add 0.1 and 0.2 and see NX
 * ```ts
 * import { fadd_d } from "./arith.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 0.1, f[2] = 0.2;
 * fadd_d(c, 3, 1, 2, 7);
 * strictEqual(f[3], 0.30000000000000004);
 * strictEqual(c.fflags, 1); // NX
 * ```
 */
export function fadd_d(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (!addD(c, rd, rs1, rs2, rm, 0)) slowD(c, rd, rs1, rs2, rm, exact.add);
}

/** fsub.d: `rd = rs1 - rs2`. */
export function fsub_d(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (!addD(c, rd, rs1, rs2, rm, 1)) slowD(c, rd, rs1, rs2, rm, sub);
}

/** Whether Dekker's product of `a` and `b` (rounded product `p`) is trusted. */
function productSafe(a: number, b: number, p: number): boolean {
  const ap = Math.abs(p);
  return ap >= EFT_TINY && ap < EFT_HUGE && Math.abs(a) < EFT_SPLIT_MAX && Math.abs(b) < EFT_SPLIT_MAX;
}

/** fmul.d: `rd = rs1 * rs2`. */
export function fmul_d(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  const f = c.f;
  const a = f[rs1], b = f[rs2];
  const r = a * b;
  if (rm === 0 || (rm === 7 && c.frm === 0)) {
    const ar = Math.abs(r);
    if (ar > MIN_NORMAL_D && ar < Infinity) {
      if ((c.fflags & FFLAG_NX) === 0) {
        if (!productSafe(a, b, r)) return slowD(c, rd, rs1, rs2, rm, exact.mul);
        const ah = splitHigh(a), bh = splitHigh(b);
        const al = a - ah, bl = b - bh;
        if (ah * bh - r + ah * bl + al * bh + al * bl !== 0) c.fflags |= FFLAG_NX;
      }
      f[rd] = r;
      return;
    }
    if (r === 0 && (a === 0 || b === 0)) {
      f[rd] = r;
      return;
    }
  } else if (mulDirectedD(c, rd, rs1, rs2, rm)) {
    return;
  }
  slowD(c, rd, rs1, rs2, rm, exact.mul);
}

function mulDirectedD(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): boolean {
  const a = c.f[rs1], b = c.f[rs2];
  const r = a * b;
  const m = directedMode(c, rm);
  if (m < 0 || !directedSafe(r) || !productSafe(a, b, r)) return false;
  const err = twoProductErr(a, b, r);
  if (err !== 0) c.fflags |= FFLAG_NX;
  c.f[rd] = roundDirected(r, err, m, true);
  return true;
}

/** Whether the residual of quotient `q` of `a / b` can be computed exactly. */
function quotientSafe(a: number, b: number, q: number): boolean {
  const aa = Math.abs(a);
  return aa >= EFT_TINY && aa < EFT_HUGE && Math.abs(q) < EFT_SPLIT_MAX && Math.abs(b) < EFT_SPLIT_MAX;
}

/** fdiv.d: `rd = rs1 / rs2` (DZ for a finite nonzero dividend over ±0). */
export function fdiv_d(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  const f = c.f;
  const a = f[rs1], b = f[rs2];
  const q = a / b;
  if (rm === 0 || (rm === 7 && c.frm === 0)) {
    const aq = Math.abs(q);
    if (aq > MIN_NORMAL_D && aq < Infinity) {
      if ((c.fflags & FFLAG_NX) === 0) {
        if (!quotientSafe(a, b, q)) return slowD(c, rd, rs1, rs2, rm, exact.div);
        // q*b == a exactly iff the rounded product is a and its error is 0.
        const p = q * b;
        const qh = splitHigh(q), bh = splitHigh(b);
        const ql = q - qh, bl = b - bh;
        if (p !== a || qh * bh - p + qh * bl + ql * bh + ql * bl !== 0) c.fflags |= FFLAG_NX;
      }
      f[rd] = q;
      return;
    }
    if (q === 0 && a === 0) {
      f[rd] = q;
      return;
    }
  } else if (divDirectedD(c, rd, rs1, rs2, rm)) {
    return;
  }
  slowD(c, rd, rs1, rs2, rm, exact.div);
}

function divDirectedD(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): boolean {
  const a = c.f[rs1], b = c.f[rs2];
  const q = a / b;
  const m = directedMode(c, rm);
  if (m < 0 || !directedSafe(q) || !quotientSafe(a, b, q)) return false;
  // The residual a - q*b is representable and computed exactly; a/b - q has its sign times b's.
  const p = q * b;
  const res = a - p - twoProductErr(q, b, p);
  if (res !== 0) c.fflags |= FFLAG_NX;
  const err = res === 0 ? 0 : res > 0 === b > 0 ? 1 : -1;
  c.f[rd] = roundDirected(q, err, m, false);
  return true;
}

/** fsqrt.d: `rd = sqrt(rs1)` (NV for a negative operand; sqrt(-0) = -0). */
export function fsqrt_d(c: FpuState, rd: number, rs1: number, rm: number): void {
  const f = c.f;
  const a = f[rs1];
  const r = Math.sqrt(a);
  if (rm === 0 || (rm === 7 && c.frm === 0)) {
    if (r > 0 && r < Infinity) {
      if ((c.fflags & FFLAG_NX) === 0) {
        if (a < EFT_TINY || a >= EFT_HUGE) return sqrtSlowD(c, rd, rs1, rm);
        const p = r * r;
        const rh = splitHigh(r), rl = r - rh;
        if (p !== a || rh * rh - p + 2 * rh * rl + rl * rl !== 0) c.fflags |= FFLAG_NX;
      }
      f[rd] = r;
      return;
    }
    if (r === 0) {
      f[rd] = r;
      return;
    }
  } else if (sqrtDirectedD(c, rd, rs1, rm)) {
    return;
  }
  sqrtSlowD(c, rd, rs1, rm);
}

function sqrtDirectedD(c: FpuState, rd: number, rs1: number, rm: number): boolean {
  const a = c.f[rs1];
  const r = Math.sqrt(a);
  const m = directedMode(c, rm);
  if (m < 0 || !(a >= EFT_TINY && a < EFT_HUGE)) return false;
  // sqrt(a) - r has the sign of the exactly computed residual a - r*r.
  const p = r * r;
  const res = a - p - twoProductErr(r, r, p);
  if (res !== 0) c.fflags |= FFLAG_NX;
  c.f[rd] = roundDirected(r, res, m, false);
  return true;
}

function sqrtSlowD(c: FpuState, rd: number, rs1: number, rm: number): void {
  const m = resolveRm(c, rm);
  writeDoubleBig(c.fi, rd, exact.sqrt(c, BINARY64, unpackD(c.fi, rs1), m));
}

/** Single sum fast path shared by fadd.s and fsub.s (`neg` = 1 negates the second operand). */
function addS(c: FpuState, rd: number, rs1: number, rs2: number, rm: number, neg: number): boolean {
  if (rm !== 0 && (rm !== 7 || c.frm !== 0)) return false;
  const fi = c.fi;
  const a = readSingle(fi, rs1);
  const b0 = readSingle(fi, rs2);
  const b = neg ? -b0 : b0;
  const d = a + b;
  const r = Math.fround(d);
  // Sums of singles in the subnormal range are exact: no UF; overflow gives Infinity.
  if (r - r !== 0) return false;
  if ((c.fflags & FFLAG_NX) === 0 && (r !== d || twoSumErr(a, b, d) !== 0)) c.fflags |= FFLAG_NX;
  writeSingle(fi, rd, r);
  return true;
}

/**
 * fadd.s: `rd = rs1 + rs2` on NaN-boxed singles.
 *
 * @example 1 + 2^-30 rounds to 1 with NX
 * ```ts
 * import { fadd_s } from "./arith.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32), fi = new Int32Array(f.buffer);
 * const c = { f, fi, fflags: 0, frm: 0, retHi: 0 };
 * fi[2] = 0x3f800000, fi[3] = -1; // f1 = 1.0f
 * fi[4] = 0x30800000, fi[5] = -1; // f2 = 2^-30
 * fadd_s(c, 3, 1, 2, 0);
 * strictEqual(fi[6], 0x3f800000); // f3 = 1.0f
 * strictEqual(c.fflags, 1); // NX
 * ```
 */
export function fadd_s(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (!addS(c, rd, rs1, rs2, rm, 0)) slowS(c, rd, rs1, rs2, rm, exact.add);
}

/** fsub.s: `rd = rs1 - rs2`. */
export function fsub_s(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (!addS(c, rd, rs1, rs2, rm, 1)) slowS(c, rd, rs1, rs2, rm, sub);
}

/** fmul.s: `rd = rs1 * rs2`. */
export function fmul_s(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (rm === 0 || (rm === 7 && c.frm === 0)) {
    const fi = c.fi;
    const a = readSingle(fi, rs1);
    const b = readSingle(fi, rs2);
    const d = a * b; // exact: 48-bit significand, exponent well inside binary64
    const r = Math.fround(d);
    if (r - r === 0 && (r === d || Math.abs(r) > MIN_NORMAL_S)) {
      if (r !== d) c.fflags |= FFLAG_NX;
      writeSingle(fi, rd, r);
      return;
    }
  }
  slowS(c, rd, rs1, rs2, rm, exact.mul);
}

/** fdiv.s: `rd = rs1 / rs2`. */
export function fdiv_s(c: FpuState, rd: number, rs1: number, rs2: number, rm: number): void {
  if (rm === 0 || (rm === 7 && c.frm === 0)) {
    const fi = c.fi;
    const a = readSingle(fi, rs1);
    const b = readSingle(fi, rs2);
    const d = a / b;
    const r = Math.fround(d);
    if (r - r === 0) {
      // r*b is exact in binary64 (24 + 24 bits), so it decides exactness.
      if (Math.abs(r) > MIN_NORMAL_S) {
        if ((c.fflags & FFLAG_NX) === 0 && (r !== d || r * b !== a)) c.fflags |= FFLAG_NX;
        writeSingle(fi, rd, r);
        return;
      }
      if (a === 0 || (r === d && r * b === a)) {
        writeSingle(fi, rd, r);
        return;
      }
    }
  }
  slowS(c, rd, rs1, rs2, rm, exact.div);
}

/** fsqrt.s: `rd = sqrt(rs1)`. */
export function fsqrt_s(c: FpuState, rd: number, rs1: number, rm: number): void {
  const fi = c.fi;
  if (rm === 0 || (rm === 7 && c.frm === 0)) {
    const a = readSingle(fi, rs1);
    const d = Math.sqrt(a);
    const r = Math.fround(d);
    // Roots of singles are never subnormal; r*r is exact in binary64.
    if (r - r === 0) {
      if ((c.fflags & FFLAG_NX) === 0 && (r !== d || r * r !== a)) c.fflags |= FFLAG_NX;
      writeSingle(fi, rd, r);
      return;
    }
  }
  const m = resolveRm(c, rm);
  writeSingleBits(fi, rd, Number(exact.sqrt(c, BINARY32, unpackS(fi, rs1), m)));
}
