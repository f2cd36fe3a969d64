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
const SPLITTER = 134217729;

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
 * The exact error `a*b - p` of `p = a*b` (Dekker), provided
 * |a|, |b| < {@link EFT_SPLIT_MAX} and {@link EFT_TINY} <= |p| < {@link EFT_HUGE}
 * (or a or b is zero).
 *
 * @example The error of a rounded product
 * ```ts
 * import { twoProductErr } from "./_eft.ts";
 * const a = 1 + 2 ** -30, p = a * a;
 * console.log(twoProductErr(a, a, p) === 2 ** -60); // true
 * ```
 */
export function twoProductErr(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
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
