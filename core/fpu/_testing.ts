/**
 * Helpers for the fpu tests: a fresh register file and register access by
 * hex bit pattern.
 *
 * @module
 */

import type { FpuState } from "./fpu_state.ts";

/** A zeroed FP state with `frm` = RNE. */
export function newState(): FpuState {
  const f = new Float64Array(32);
  return { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
}

/** Sets register `r` to the 64-bit pattern `bits`. */
export function setD(c: FpuState, r: number, bits: bigint): void {
  c.fi[2 * r] = Number(bits & 0xffffffffn) | 0;
  c.fi[2 * r + 1] = Number((bits >> 32n) & 0xffffffffn) | 0;
}

/** Sets register `r` to the NaN-boxed single `bits`. */
export function setS(c: FpuState, r: number, bits: number): void {
  c.fi[2 * r] = bits | 0;
  c.fi[2 * r + 1] = -1;
}

/** Register `r` as a 64-bit pattern. */
export function getD(c: FpuState, r: number): bigint {
  return (BigInt(c.fi[2 * r + 1] >>> 0) << 32n) | BigInt(c.fi[2 * r] >>> 0);
}

/** The 64-bit pattern of a double. */
export function bitsOf(x: number): bigint {
  return new BigUint64Array(new Float64Array([x]).buffer)[0];
}

/** The bits of a single (`Math.fround(x)`), unsigned. */
export function sBitsOf(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}
