/**
 * Fused multiply-add: fmadd, fmsub, fnmsub, fnmadd for binary32 and
 * binary64, each with a single rounding.
 *
 * The four forms negate operands as QEMU's softfloat does: fmsub negates the
 * addend, fnmsub the product, fnmadd both (so exact zero results get the
 * sign rules of `-(a*b) - c`).
 *
 * binary64 fast path (RNE): Dekker's product and two TwoSums turn
 * `a*b + c` exactly into `r + re + te` with `r` the double sum of the high
 * parts. `r` is the correctly rounded result when `re + te` stays strictly
 * inside r's rounding interval (half an ulp above, half of the smaller ulp
 * below a power of two); that is checked on the rounded sum of the two
 * tails, which cannot cross a power-of-two boundary that the exact sum does
 * not. Near ties, zero results and extreme magnitudes fall back to the
 * exact path.
 *
 * binary32 fast path (RNE): the product of two singles is exact in binary64;
 * the sum is made round-to-odd in binary64 from TwoSum's error, and rounding
 * a round-to-odd value with at least p+2 bits to p bits is correct
 * (Boldo and Melquiond, 2008).
 *
 * @module
 */

import { FFLAG_NX } from "../cpu/state.ts";
import * as exact from "./_exact.ts";
import { BINARY32, BINARY64, type Exact } from "./_exact.ts";
import { EFT_HUGE, EFT_SPLIT_MAX, EFT_TINY, MIN_NORMAL_S, twoProductErr, twoSumErr } from "./_eft.ts";
import { type FpuState, resolveRm } from "./fpu_state.ts";
import { f32Of, SCRATCH_F64, SCRATCH_I32, writeDoubleBig, writeSingleBits } from "./_regs.ts";
import { unpackD, unpackS } from "./arith.ts";

/** Results below this take the exact path: keeps every half-ulp threshold a normal double. */
const FMA_RESULT_TINY = 2 ** -960;

/** Which operands a form negates: bit 0 the product, bit 1 the addend. */
const NEG_PRODUCT = 1;
const NEG_ADDEND = 2;

function negated(x: Exact, neg: boolean): Exact {
  return neg ? { ...x, sign: x.sign ^ 1 } : x;
}

/** Fast path of the binary64 forms; false when the exact path must decide. */
function fmaD(c: FpuState, rd: number, a: number, b: number, d: number, rm: number): boolean {
  if (rm !== 0 && (rm !== 7 || c.frm !== 0)) return false;
  const ph = a * b;
  const aph = Math.abs(ph);
  // Comparisons are false for NaN, so NaN and infinite operands fail here too.
  if (!(aph < EFT_HUGE && Math.abs(a) < EFT_SPLIT_MAX && Math.abs(b) < EFT_SPLIT_MAX && Math.abs(d) < EFT_HUGE)) {
    return false;
  }
  if (aph < EFT_TINY && a !== 0 && b !== 0) return false;
  const pl = twoProductErr(a, b, ph);
  const s = ph + d;
  const se = twoSumErr(ph, d, s);
  const t = se + pl;
  const te = twoSumErr(se, pl, t);
  const r = s + t;
  if (!(Math.abs(r) >= FMA_RESULT_TINY)) return false;
  const e = twoSumErr(s, t, r) + te;
  if (e !== 0) {
    // Half an ulp of r, or a quarter when stepping down from a power of two.
    SCRATCH_F64[0] = r;
    const hi = SCRATCH_I32[1];
    const biased = (hi >>> 20) & 0x7ff;
    const pow2 = (hi & 0xfffff) === 0 && SCRATCH_I32[0] === 0;
    SCRATCH_I32[1] = (biased - (pow2 && e < 0 !== r < 0 ? 54 : 53)) << 20;
    SCRATCH_I32[0] = 0;
    if (!(Math.abs(e) < SCRATCH_F64[0])) return false;
    c.fflags |= FFLAG_NX;
  }
  c.f[rd] = r;
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
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 1 + 2 ** -30, f[2] = 1 - 2 ** -30, f[3] = -1;
 * fmadd_d(c, 4, 1, 2, 3, 0);
 * console.log(f[4] === -(2 ** -60), c.fflags); // true 0
 * ```
 */
export function fmadd_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const f = c.f;
  if (!fmaD(c, rd, f[rs1], f[rs2], f[rs3], rm)) slowD(c, rd, rs1, rs2, rs3, rm, 0);
}

/** fmsub.d: `rd = rs1 * rs2 - rs3` with one rounding. */
export function fmsub_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const f = c.f;
  if (!fmaD(c, rd, f[rs1], f[rs2], -f[rs3], rm)) slowD(c, rd, rs1, rs2, rs3, rm, NEG_ADDEND);
}

/** fnmsub.d: `rd = -(rs1 * rs2) + rs3` with one rounding. */
export function fnmsub_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const f = c.f;
  if (!fmaD(c, rd, -f[rs1], f[rs2], f[rs3], rm)) slowD(c, rd, rs1, rs2, rs3, rm, NEG_PRODUCT);
}

/** fnmadd.d: `rd = -(rs1 * rs2) - rs3` with one rounding. */
export function fnmadd_d(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number): void {
  const f = c.f;
  if (!fmaD(c, rd, -f[rs1], f[rs2], -f[rs3], rm)) slowD(c, rd, rs1, rs2, rs3, rm, NEG_PRODUCT | NEG_ADDEND);
}

/** Fast path of the binary32 forms; false when the exact path must decide. */
function fmaS(c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number, neg: number): boolean {
  if (rm !== 0 && (rm !== 7 || c.frm !== 0)) return false;
  const fi = c.fi;
  const f32 = f32Of(c);
  const a = fi[2 * rs1 + 1] === -1 ? f32[2 * rs1] : NaN;
  const b = fi[2 * rs2 + 1] === -1 ? f32[2 * rs2] : NaN;
  const d = fi[2 * rs3 + 1] === -1 ? f32[2 * rs3] : NaN;
  const p = (neg & NEG_PRODUCT) !== 0 ? -(a * b) : a * b; // exact
  const addend = (neg & NEG_ADDEND) !== 0 ? -d : d;
  let x = p + addend;
  if (x - x !== 0) return false;
  const e = twoSumErr(p, addend, x);
  if (e !== 0) {
    // Round to odd: if x is even, step to the odd neighbour on e's side.
    SCRATCH_F64[0] = x;
    const lo = SCRATCH_I32[0];
    if ((lo & 1) === 0) {
      if (e > 0 === x > 0) {
        SCRATCH_I32[0] = lo | 1;
      } else if (lo === 0) {
        SCRATCH_I32[0] = -1;
        SCRATCH_I32[1]--;
      } else {
        SCRATCH_I32[0] = lo - 1;
      }
      x = SCRATCH_F64[0];
    }
  }
  const r = Math.fround(x);
  if (r - r !== 0) return false;
  if (r !== x || e !== 0) {
    if (!(Math.abs(r) > MIN_NORMAL_S)) return false; // maybe UF: let the exact path decide tininess
    c.fflags |= FFLAG_NX;
  }
  f32[2 * rd] = r;
  fi[2 * rd + 1] = -1;
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
