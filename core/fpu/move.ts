/**
 * Bit moves between integer and FP registers: fmv.x.w, fmv.w.x, fmv.x.d,
 * fmv.d.x. No flags, no NaN canonicalization, no NaN-box check on reads
 * (fmv.x.w returns the low word whatever the high word holds).
 *
 * @module
 */

import type { FpuState } from "./fpu_state.ts";

/**
 * fmv.x.w: the low 32 bits of rs1 (the caller sign-extends them).
 *
 * @returns the bits as an int32
 *
 * @example Read the bits of 1.0f
 * ```ts
 * import { fmv_w_x, fmv_x_w } from "./move.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * fmv_w_x(c, 1, 0x3f800000);
 * strictEqual(fmv_x_w(c, 1), 0x3f800000);
 * strictEqual(c.fi[3], -1); // NaN-boxed
 * ```
 */
export function fmv_x_w(c: FpuState, rs1: number): number {
  return c.fi[2 * rs1];
}

/** fmv.w.x: writes the 32 bits `v` (int32) to rd, NaN-boxed. */
export function fmv_w_x(c: FpuState, rd: number, v: number): void {
  c.fi[2 * rd] = v;
  c.fi[2 * rd + 1] = -1;
}

/**
 * fmv.x.d: the 64 bits of rs1; returns the low word and stores the high word in `c.retHi`.
 *
 * @returns the low word as an int32
 */
export function fmv_x_d(c: FpuState, rs1: number): number {
  c.retHi = c.fi[2 * rs1 + 1];
  return c.fi[2 * rs1];
}

/** fmv.d.x: writes the 64 bits `hi:lo` (two int32 words) to rd. */
export function fmv_d_x(c: FpuState, rd: number, lo: number, hi: number): void {
  c.fi[2 * rd] = lo;
  c.fi[2 * rd + 1] = hi;
}
