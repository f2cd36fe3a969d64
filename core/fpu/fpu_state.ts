/**
 * The slice of CPU state the floating-point helpers use, rounding-mode
 * numbers and their resolution. The translator calls the helpers with the
 * instruction's `rm` field; 7 means "dynamic", read from `frm` at run time.
 *
 * @module
 */

import { IllegalInstruction } from "../cpu/trap.ts";

/**
 * What the F/D helpers read and write. The `Cpu` class satisfies it; tests
 * and benchmarks use a plain object. `f` and `fi` must alias the same bytes
 * (`fi` low word of register i at `2*i`, high word at `2*i+1`).
 */
export interface FpuState {
  /** FP registers as doubles (aliases `fi`). */
  f: Float64Array;
  /** FP registers as int32 pairs (bit patterns); singles are NaN-boxed (high word -1). */
  fi: Int32Array;
  /** Accrued exception flags (`FFLAG_*`). */
  fflags: number;
  /** Dynamic rounding mode. */
  frm: number;
  /** High word of a 64-bit integer result; the helper returns the low word. */
  retHi: number;
}

/** fflags bit: inexact. */
export const FFLAG_NX = 1;
/** fflags bit: underflow. */
export const FFLAG_UF = 2;
/** fflags bit: overflow. */
export const FFLAG_OF = 4;
/** fflags bit: divide by zero. */
export const FFLAG_DZ = 8;
/** fflags bit: invalid operation. */
export const FFLAG_NV = 16;

/** Round to nearest, ties to even. */
export const RM_RNE = 0;
/** Round towards zero. */
export const RM_RTZ = 1;
/** Round down (towards -infinity). */
export const RM_RDN = 2;
/** Round up (towards +infinity). */
export const RM_RUP = 3;
/** Round to nearest, ties to max magnitude. */
export const RM_RMM = 4;
/** The instruction's rm field value meaning "use frm". */
export const RM_DYN = 7;

/**
 * Resolves an instruction's rounding-mode field to a mode 0..4.
 *
 * @param c state whose `frm` applies when `rm` is {@link RM_DYN}
 * @param rm the instruction's rm field (0..7)
 * @returns the effective rounding mode
 * @throws {IllegalInstruction} for the reserved modes 5 and 6, or a dynamic `frm` of 5..7
 *
 * @example Dynamic mode reads frm
 * ```ts
 * import { resolveRm, RM_DYN } from "./fpu_state.ts";
 * import { strictEqual } from "node:assert";
 * const c = { f: new Float64Array(32), fi: new Int32Array(64), fflags: 0, frm: 3, retHi: 0 };
 * strictEqual(resolveRm(c, RM_DYN), 3); // the dynamic mode is frm's
 * ```
 */
export function resolveRm(c: FpuState, rm: number): number {
  const m = rm === RM_DYN ? c.frm : rm;
  if (m >= 0 && m <= 4) return m;
  throw new IllegalInstruction(
    rm === RM_DYN ? `Reserved dynamic rounding mode frm=${m}` : `Reserved rounding mode rm=${rm}`,
  );
}
