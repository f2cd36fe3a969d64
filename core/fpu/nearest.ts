/**
 * Round-to-nearest-even sums and products of operands held as host numbers
 * (vector elements read from typed arrays), for callers that run many of
 * them: each returns the IEEE result when its fast path can vouch for it —
 * a finite result whose inexactness it can tell exactly, with no underflow
 * or overflow — and NaN when the caller must run the element through the
 * exact helpers (`arith.ts`), which also handle NaN operands, infinities
 * and tiny results. NX is OR-ed into `c.fflags`; no other flag can arise
 * on these paths. They are the fast paths of `fadd_d`, `fmul_d`, `fadd_s`
 * and `fmul_s` under RNE, on numbers instead of registers.
 *
 * @example 0.1 + 0.2 is inexact; a NaN operand needs the exact path
 * ```ts
 * import { addD } from "./nearest.ts";
 * import { strictEqual } from "node:assert";
 * const c = { fflags: 0 };
 * strictEqual(addD(c, 0.1, 0.2), 0.30000000000000004);
 * strictEqual(c.fflags, 1); // NX
 * strictEqual(Number.isNaN(addD(c, NaN, 1)), true);
 * ```
 *
 * @module
 */

import { EFT_HUGE, EFT_SPLIT_MAX, EFT_TINY, MIN_NORMAL_D, MIN_NORMAL_S, splitHigh, twoSumErr } from "./_eft.ts";
import { FFLAG_NX } from "./fpu_state.ts";

/** Where the flags go. */
export interface Flags {
  fflags: number;
}

/** `a + b` in binary64, or NaN when the exact path must decide. */
export function addD(c: Flags, a: number, b: number): number {
  const r = a + b;
  // A finite sum of finite operands; subnormal sums are always exact, so UF cannot arise.
  if (r - r !== 0) return NaN;
  if ((c.fflags & FFLAG_NX) === 0) {
    const err = twoSumErr(a, b, r);
    if (err !== 0) {
      if (err - err !== 0) return NaN;
      c.fflags |= FFLAG_NX;
    }
  }
  return r;
}

/** `a * b` in binary64, or NaN when the exact path must decide. */
export function mulD(c: Flags, a: number, b: number): number {
  const r = a * b, ar = Math.abs(r);
  if (ar > MIN_NORMAL_D && ar < Infinity) {
    if ((c.fflags & FFLAG_NX) === 0) {
      // Dekker's product, where it is trusted, tells whether r lost bits.
      if (!(ar >= EFT_TINY && ar < EFT_HUGE && Math.abs(a) < EFT_SPLIT_MAX && Math.abs(b) < EFT_SPLIT_MAX)) return NaN;
      const ah = splitHigh(a), bh = splitHigh(b);
      const al = a - ah, bl = b - bh;
      if (ah * bh - r + ah * bl + al * bh + al * bl !== 0) c.fflags |= FFLAG_NX;
    }
    return r;
  }
  return r === 0 && (a === 0 || b === 0) ? r : NaN;
}

/** `a + b` in binary32 (`a`, `b` singles), or NaN when the exact path must decide. */
export function addS(c: Flags, a: number, b: number): number {
  const d = a + b, r = Math.fround(d);
  // Sums of singles in the subnormal range are exact: no UF; overflow gives Infinity.
  if (r - r !== 0) return NaN;
  if ((c.fflags & FFLAG_NX) === 0 && (r !== d || twoSumErr(a, b, d) !== 0)) c.fflags |= FFLAG_NX;
  return r;
}

/** `a * b` in binary32 (`a`, `b` singles), or NaN when the exact path must decide. */
export function mulS(c: Flags, a: number, b: number): number {
  // Exact in binary64: a 48-bit significand, the exponent well inside its range.
  const d = a * b, r = Math.fround(d);
  if (r - r === 0 && (r === d || Math.abs(r) > MIN_NORMAL_S)) {
    if (r !== d) c.fflags |= FFLAG_NX;
    return r;
  }
  return NaN;
}
