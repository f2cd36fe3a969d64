/**
 * Exact IEEE-754 arithmetic for the RISC-V F, D, Zfh and Zfa extensions, called by
 * translated code once per F/D computational instruction.
 *
 * Every helper takes the CPU state first (see {@link FpuState}), then
 * register numbers, then the instruction's rounding-mode field (7 =
 * dynamic). Results land in the FP register file's bit view; exception
 * flags are OR-ed into `fflags` as the RISC-V specification (and Berkeley
 * SoftFloat) define them.
 *
 * @example Divide by zero
 * ```ts
 * import { fdiv_d, type FpuState } from "./mod.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c: FpuState = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 1;
 * fdiv_d(c, 2, 1, 0, 7);
 * strictEqual(f[2], Infinity);
 * strictEqual(c.fflags, 8); // DZ
 * ```
 *
 * @module
 */

export type { FpuState } from "./fpu_state.ts";
export { fadd_d, fadd_s, fdiv_d, fdiv_s, fmul_d, fmul_s, fsqrt_d, fsqrt_s, fsub_d, fsub_s } from "./arith.ts";
export { fmadd_d, fmadd_s, fmsub_d, fmsub_s, fnmadd_d, fnmadd_s, fnmsub_d, fnmsub_s } from "./fused.ts";
export {
  fclass_d,
  fclass_s,
  feq_d,
  feq_s,
  fle_d,
  fle_s,
  flt_d,
  flt_s,
  fmax_d,
  fmax_s,
  fmin_d,
  fmin_s,
} from "./compare.ts";
export { fsgnj_d, fsgnj_s, fsgnjn_d, fsgnjn_s, fsgnjx_d, fsgnjx_s } from "./sign_inject.ts";
export {
  fcvt_d_l,
  fcvt_d_lu,
  fcvt_d_s,
  fcvt_d_w,
  fcvt_d_wu,
  fcvt_l_d,
  fcvt_l_s,
  fcvt_lu_d,
  fcvt_lu_s,
  fcvt_s_d,
  fcvt_s_l,
  fcvt_s_lu,
  fcvt_s_w,
  fcvt_s_wu,
  fcvt_w_d,
  fcvt_w_s,
  fcvt_wu_d,
  fcvt_wu_s,
} from "./convert.ts";
export { fmv_d_x, fmv_w_x, fmv_x_d, fmv_x_w } from "./move.ts";
export {
  fadd_h,
  fclass_h,
  fcvt_d_h,
  fcvt_h_d,
  fcvt_h_l,
  fcvt_h_lu,
  fcvt_h_s,
  fcvt_h_w,
  fcvt_h_wu,
  fcvt_l_h,
  fcvt_lu_h,
  fcvt_s_h,
  fcvt_w_h,
  fcvt_wu_h,
  fdiv_h,
  feq_h,
  fle_h,
  flt_h,
  fmadd_h,
  fmax_h,
  fmin_h,
  fmsub_h,
  fmul_h,
  fnmadd_h,
  fnmsub_h,
  fsgnj_h,
  fsgnjn_h,
  fsgnjx_h,
  fsqrt_h,
  fsub_h,
} from "./half.ts";
export {
  fcvtmod_w_d,
  fleq_d,
  fleq_h,
  fleq_s,
  fltq_d,
  fltq_h,
  fltq_s,
  fmaxm_d,
  fmaxm_h,
  fmaxm_s,
  fminm_d,
  fminm_h,
  fminm_s,
  fround_d,
  fround_h,
  fround_s,
  froundnx_d,
  froundnx_h,
  froundnx_s,
} from "./zfa.ts";
