/**
 * Sign injection: fsgnj, fsgnjn, fsgnjx for binary32 and binary64. Pure bit
 * operations: no flags, NaN payloads preserved. For singles, an improperly
 * NaN-boxed operand is taken as the canonical NaN (as the F extension
 * specifies for every single-precision operand), and the result is boxed.
 *
 * @module
 */

import type { FpuState } from "./fpu_state.ts";
import { singleBits, writeSingleBits } from "./_regs.ts";

/** How the sign of rs2 becomes the sign of rd. */
const INJECT = 0;
const INJECT_NEGATED = 1;
const INJECT_XOR = 2;

function injectD(c: FpuState, rd: number, rs1: number, rs2: number, how: number): void {
  const fi = c.fi;
  const lo = fi[2 * rs1], hi = fi[2 * rs1 + 1];
  const s2 = fi[2 * rs2 + 1] & 0x80000000;
  const sign = how === INJECT ? s2 : how === INJECT_NEGATED ? s2 ^ 0x80000000 : (hi & 0x80000000) ^ s2;
  fi[2 * rd] = lo;
  fi[2 * rd + 1] = (hi & 0x7fffffff) | sign;
}

function injectS(c: FpuState, rd: number, rs1: number, rs2: number, how: number): void {
  const fi = c.fi;
  const a = singleBits(fi, rs1);
  const s2 = singleBits(fi, rs2) & 0x80000000;
  const sign = how === INJECT ? s2 : how === INJECT_NEGATED ? s2 ^ 0x80000000 : (a & 0x80000000) ^ s2;
  writeSingleBits(fi, rd, (a & 0x7fffffff) | sign);
}

/**
 * fsgnj.d: rs1's magnitude with rs2's sign (`fmv.d` when rs1 = rs2).
 *
 * @example Copy a sign onto a NaN without touching its payload
 * ```ts
 * import { fsgnj_d } from "./sign_inject.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32), fi = new Int32Array(f.buffer);
 * const c = { f, fi, fflags: 0, frm: 0, retHi: 0 };
 * fi[2] = 0x123, fi[3] = 0x7ff00000; // f1 = sNaN with payload 0x123
 * f[2] = -1;
 * fsgnj_d(c, 3, 1, 2);
 * strictEqual(fi[7] >>> 0, 0xfff00000); // f3 = f1 with f2's sign
 * strictEqual(fi[6], 0x123); // payload kept
 * ```
 */
export function fsgnj_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  injectD(c, rd, rs1, rs2, INJECT);
}

/** fsgnjn.d: rs1's magnitude with the opposite of rs2's sign (`fneg.d`). */
export function fsgnjn_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  injectD(c, rd, rs1, rs2, INJECT_NEGATED);
}

/** fsgnjx.d: rs1 with its sign XOR-ed with rs2's (`fabs.d` when rs1 = rs2). */
export function fsgnjx_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  injectD(c, rd, rs1, rs2, INJECT_XOR);
}

/** fsgnj.s: rs1's magnitude with rs2's sign. */
export function fsgnj_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  injectS(c, rd, rs1, rs2, INJECT);
}

/** fsgnjn.s: rs1's magnitude with the opposite of rs2's sign. */
export function fsgnjn_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  injectS(c, rd, rs1, rs2, INJECT_NEGATED);
}

/** fsgnjx.s: rs1 with its sign XOR-ed with rs2's. */
export function fsgnjx_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  injectS(c, rd, rs1, rs2, INJECT_XOR);
}
