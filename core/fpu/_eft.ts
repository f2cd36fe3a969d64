/**
 * Error-free transformations on doubles and the magnitude windows in which
 * the fast paths may trust them.
 *
 * Dekker's product (with Veltkamp's split) returns the exact rounding error
 * of a double product when nothing overflows and the product is far enough
 * from the subnormal range that the error's bits are representable
 * (S. Boldo, "Pitfalls of a full floating-point proof", 2006, gives the
 * precise condition; the windows below keep a wide margin).
 *
 * @module
 */

/** Veltkamp's splitter for binary64: 2^27 + 1. */
export const SPLITTER = 134217729;

/** Smallest normal binary64 (2^-1022). */
export const MIN_NORMAL_D = 2.2250738585072014e-308;
/** Smallest normal binary32 (2^-126). */
export const MIN_NORMAL_S = 1.1754943508222875e-38;
/** Largest finite binary64. */
export const MAX_D = 1.7976931348623157e308;
/**
 * Smallest product magnitude for which {@link twoProductErr} is trusted
 * (2^-900; the exponent sum must stay well above -1074 + 2*52).
 */
export const EFT_TINY = 2 ** -900;
/** Largest operand magnitude {@link twoProductErr} may split without overflow (2^995). */
export const EFT_SPLIT_MAX = 2 ** 995;
/** Largest product magnitude whose partial products cannot overflow (2^1000). */
export const EFT_HUGE = 2 ** 1000;

/**
 * The high half of Veltkamp's split of `x` (26 significant bits); the low
 * half is `x - splitHigh(x)`, exactly. Kept tiny on purpose: V8 always
 * inlines functions this small, so hot paths pay no call (and no boxing of
 * double arguments) whatever the inlining budget left in the caller.
 */
export function splitHigh(x: number): number {
  const t = SPLITTER * x;
  return t - (t - x);
}

/**
 * The exact error `a*b - p` of `p = a*b` (Dekker), provided
 * |a|, |b| < {@link EFT_SPLIT_MAX} and {@link EFT_TINY} <= |p| < {@link EFT_HUGE}
 * (or a or b is zero). Hot paths spell this out with {@link splitHigh}.
 *
 * @example The error of a rounded product
 * ```ts
 * import { twoProductErr } from "./_eft.ts";
 * import { strictEqual } from "node:assert";
 * const a = 1 + 2 ** -30, p = a * a;
 * strictEqual(twoProductErr(a, a, p), 2 ** -60); // the part of a * a that p rounded away
 * ```
 */
export function twoProductErr(a: number, b: number, p: number): number {
  const ah = splitHigh(a), bh = splitHigh(b);
  const al = a - ah, bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * The exact error `a + b - s` of `s = a + b` (Knuth's TwoSum, no ordering
 * needed). Exact whenever no intermediate overflows; an overflow shows up
 * as a non-finite result.
 */
export function twoSumErr(a: number, b: number, s: number): number {
  const bv = s - a;
  return a - (s - bv) + (b - bv);
}

/**
 * Rump, Zimmermann, Boldo and Melquiond's constant (2009): for
 * 2^-970 <= |x| < 2^1024, RN(x + RN(NEIGHBOUR_STEP*|x|)) is x's successor and
 * RN(x - …) its predecessor (below 2^-970 the step itself loses bits).
 */
export const NEIGHBOUR_STEP = 2 ** -53 + 2 ** -105;

/**
 * Rounds in a directed mode, given `r = RN(x)` and `err` with the sign of
 * `x - r` (0 when x = r): steps r one ulp towards x when the mode asks for
 * it. The neighbours come from Rump et al.'s successor formula: arithmetic
 * only, no bit reinterpretation (which stalls store forwarding).
 *
 * @param r the round-to-nearest-even result, with 2^-970 <= |r| < MAX_D
 * @param err exact `x - r`, or just its sign when `exactErr` is false
 * @param m rounding mode 1..4 (RTZ, RDN, RUP, RMM)
 * @param exactErr whether `err` is exact, so that RMM can detect ties (a
 *   quotient or square root is never a tie, so those pass false)
 * @returns the rounding of x in mode m
 */
export function roundDirected(r: number, err: number, m: number, exactErr: boolean): number {
  if (err === 0) return r;
  const q = NEIGHBOUR_STEP * Math.abs(r);
  switch (m) {
    case 1: // RTZ
      return err > 0 === r > 0 ? r : r > 0 ? r - q : r + q;
    case 2: // RDN
      return err < 0 ? r - q : r;
    case 3: // RUP
      return err > 0 ? r + q : r;
    default: { // RMM: differs from RNE only on a tie that RNE resolved towards zero
      if (!exactErr || err > 0 !== r > 0) return r;
      const away = r > 0 ? r + q : r - q;
      return 2 * err === away - r ? away : r;
    }
  }
}
