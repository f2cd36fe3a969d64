/**
 * The contract between WebAssembly region modules and the JavaScript
 * around them: which memory is which and the index of each function a
 * module calls.
 *
 * @module
 */

import { recordOf } from "../../util/record_of.ts";

/**
 * Memory indices of the region modules' imports: the guest memory, its page
 * flags, and the register arena (`core/cpu/register_arena.ts`), where the
 * running vCPU's slot is the region function's one parameter.
 */
export const MEM = { guest: 0, pages: 1, regs: 2, plugins: 3 } as const;

/**
 * Imported helpers that may raise a fault. Each returns an i32 status, 0 or
 * 1 when it raised a fault, which the runtime keeps to throw once the
 * region has left (a JavaScript exception must not unwind a WebAssembly
 * frame whose registers are in locals).
 *
 * - `ld(lo, hi, imm, size, signed)`: slow-path load; the value lands at the slot's `SLOT.value`.
 * - `st(lo, hi, imm, size)`: slow-path store of the value at the slot's `SLOT.value`.
 * - `lr(lo, hi, size)`: load-reserved; the value lands at `SLOT.value`.
 * - `sc(lo, hi, size)`: store-conditional of the value at `SLOT.value`, which its result (0 or 1) replaces.
 * - `amo(op, lo, hi, size)`: the `AMO_OPS[op]` of the value at `SLOT.value`; the old value replaces it.
 * - `csr(num, op, write, lo)`: a Zicsr access (`CSR_OP[op]`, low word `lo` of
 *   the source); the CSR's old value lands at `SLOT.value`.
 * - `cboZero(lo, hi)`: Zicboz's `cbo.zero` of the block holding the address.
 * - `wrs()`: Zawrs's `wrs.nto`/`wrs.sto`, which drop the reservation (it
 *   lives on the JavaScript `Cpu`); it cannot fault, its status is always 0.
 * - `badRm()`: raises the illegal-instruction fault of a dynamic rounding
 *   mode that `frm` makes reserved (the region checks `frm` itself).
 * - `record(ring, id, vcpu)`: a plugin's block record (`PluginHooks.record`),
 *   which fails only with a plugin error that ends plume (`-plugin-errors fatal`).
 * - `memRecord(ring, id, vcpu, addrLo, addrHi, info, valueLo, valueHi)`: a
 *   memory record, likewise; `record` and `memRecord` serve only where the
 *   ring's batch store could not move into the plugin memory.
 * - `batchFull(ring)`: publishes ring `ring`'s batch store, which a region
 *   found full before appending a record in place (`PluginHooks.publishBatch`).
 * - `vector(raw, lo1, hi1, lo2, hi2)`: vector instruction word `raw` through
 *   its general executor (`../vector.ts`), with x[rs1]'s words (f[rs1]'s for
 *   the .vf forms) and x[rs2]'s; its result (x[rd]'s or, for vfmv.f.s,
 *   f[rd]'s) lands at `SLOT.value`.
 */
const FAULTING = [
  "ld",
  "st",
  "lr",
  "sc",
  "amo",
  "csr",
  "badRm",
  "cboZero",
  "wrs",
  "record",
  "memRecord",
  "batchFull",
  "vector",
] as const;

/**
 * How an imported `core/fpu/` helper is called: its arguments after the
 * CPU state (register numbers, `rm`, the low and high words of an integer
 * source), and whether it returns the low word of an integer result. They
 * never fault: a region calls them with a valid `rm` only.
 */
export type FpShape =
  | "rd,rs1,rs2,rs3,rm"
  | "rd,rs1,rs2,rm"
  | "rd,rs1,rs2"
  | "rd,rs1,rm"
  | "rs1,rs2->x"
  | "rs1->x"
  | "rs1,rm->x"
  /** A 64-bit result, which the runtime leaves at `SLOT.value`. */
  | "rs1,rm->x64"
  | "rd,lo,rm"
  | "rd,lo,hi,rm";

/** The `core/fpu/` helpers a region may call, with their shapes. */
export const FP_HELPERS = {
  fmadd_s: "rd,rs1,rs2,rs3,rm",
  fmsub_s: "rd,rs1,rs2,rs3,rm",
  fnmsub_s: "rd,rs1,rs2,rs3,rm",
  fnmadd_s: "rd,rs1,rs2,rs3,rm",
  fadd_s: "rd,rs1,rs2,rm",
  fsub_s: "rd,rs1,rs2,rm",
  fmul_s: "rd,rs1,rs2,rm",
  fdiv_s: "rd,rs1,rs2,rm",
  fsqrt_s: "rd,rs1,rm",
  fsgnj_s: "rd,rs1,rs2",
  fsgnjn_s: "rd,rs1,rs2",
  fsgnjx_s: "rd,rs1,rs2",
  fmin_s: "rd,rs1,rs2",
  fmax_s: "rd,rs1,rs2",
  fcvt_w_s: "rs1,rm->x",
  fcvt_wu_s: "rs1,rm->x",
  fcvt_l_s: "rs1,rm->x64",
  fcvt_lu_s: "rs1,rm->x64",
  fclass_s: "rs1->x",
  feq_s: "rs1,rs2->x",
  flt_s: "rs1,rs2->x",
  fle_s: "rs1,rs2->x",
  fcvt_s_w: "rd,lo,rm",
  fcvt_s_wu: "rd,lo,rm",
  fcvt_s_l: "rd,lo,hi,rm",
  fcvt_s_lu: "rd,lo,hi,rm",
  fmadd_d: "rd,rs1,rs2,rs3,rm",
  fmsub_d: "rd,rs1,rs2,rs3,rm",
  fnmsub_d: "rd,rs1,rs2,rs3,rm",
  fnmadd_d: "rd,rs1,rs2,rs3,rm",
  fadd_d: "rd,rs1,rs2,rm",
  fsub_d: "rd,rs1,rs2,rm",
  fmul_d: "rd,rs1,rs2,rm",
  fdiv_d: "rd,rs1,rs2,rm",
  fsqrt_d: "rd,rs1,rm",
  fmin_d: "rd,rs1,rs2",
  fmax_d: "rd,rs1,rs2",
  fcvt_s_d: "rd,rs1,rm",
  fcvt_d_s: "rd,rs1,rm",
  feq_d: "rs1,rs2->x",
  flt_d: "rs1,rs2->x",
  fle_d: "rs1,rs2->x",
  fclass_d: "rs1->x",
  fcvt_w_d: "rs1,rm->x",
  fcvt_wu_d: "rs1,rm->x",
  fcvt_l_d: "rs1,rm->x64",
  fcvt_lu_d: "rs1,rm->x64",
  fcvt_d_w: "rd,lo,rm",
  fcvt_d_wu: "rd,lo,rm",
  fcvt_d_l: "rd,lo,hi,rm",
  fcvt_d_lu: "rd,lo,hi,rm",
  fcvt_s_h: "rd,rs1,rm",
  fcvt_h_s: "rd,rs1,rm",
  fcvt_d_h: "rd,rs1,rm",
  fcvt_h_d: "rd,rs1,rm",
  fmadd_h: "rd,rs1,rs2,rs3,rm",
  fmsub_h: "rd,rs1,rs2,rs3,rm",
  fnmsub_h: "rd,rs1,rs2,rs3,rm",
  fnmadd_h: "rd,rs1,rs2,rs3,rm",
  fadd_h: "rd,rs1,rs2,rm",
  fsub_h: "rd,rs1,rs2,rm",
  fmul_h: "rd,rs1,rs2,rm",
  fdiv_h: "rd,rs1,rs2,rm",
  fsqrt_h: "rd,rs1,rm",
  fsgnj_h: "rd,rs1,rs2",
  fsgnjn_h: "rd,rs1,rs2",
  fsgnjx_h: "rd,rs1,rs2",
  fmin_h: "rd,rs1,rs2",
  fmax_h: "rd,rs1,rs2",
  fcvt_w_h: "rs1,rm->x",
  fcvt_wu_h: "rs1,rm->x",
  fcvt_l_h: "rs1,rm->x64",
  fcvt_lu_h: "rs1,rm->x64",
  fclass_h: "rs1->x",
  feq_h: "rs1,rs2->x",
  flt_h: "rs1,rs2->x",
  fle_h: "rs1,rs2->x",
  fcvt_h_w: "rd,lo,rm",
  fcvt_h_wu: "rd,lo,rm",
  fcvt_h_l: "rd,lo,hi,rm",
  fcvt_h_lu: "rd,lo,hi,rm",
  fminm_s: "rd,rs1,rs2",
  fmaxm_s: "rd,rs1,rs2",
  fminm_d: "rd,rs1,rs2",
  fmaxm_d: "rd,rs1,rs2",
  fminm_h: "rd,rs1,rs2",
  fmaxm_h: "rd,rs1,rs2",
  fround_s: "rd,rs1,rm",
  froundnx_s: "rd,rs1,rm",
  fround_d: "rd,rs1,rm",
  froundnx_d: "rd,rs1,rm",
  fround_h: "rd,rs1,rm",
  froundnx_h: "rd,rs1,rm",
  fcvtmod_w_d: "rs1->x",
  fleq_s: "rs1,rs2->x",
  fltq_s: "rs1,rs2->x",
  fleq_d: "rs1,rs2->x",
  fltq_d: "rs1,rs2->x",
  fleq_h: "rs1,rs2->x",
  fltq_h: "rs1,rs2->x",
} as const satisfies Record<string, FpShape>;

/** The name of an imported `core/fpu/` helper. */
export type FpHelper = keyof typeof FP_HELPERS;

/** The module's own helpers, `(i64, i64) -> i64` (`region.ts` defines them). */
const ARITH = [
  "mulhu",
  "mulh",
  "mulhsu",
  "div",
  "divu",
  "rem",
  "remu",
  "divw",
  "divuw",
  "remw",
  "remuw",
  "clmul",
  "clmulr",
  "clmulh",
] as const;

/** Module helpers of `(i64, i64) -> i64`, by name, in function-index order. */
export type ArithHelper = typeof ARITH[number];

/** The imported functions, in function-index order: the faulting helpers, then the `core/fpu/` ones. */
export const IMPORTED_NAMES: readonly (typeof FAULTING[number] | FpHelper)[] = [
  ...FAULTING,
  ...Object.keys(FP_HELPERS) as FpHelper[],
];

/** Function indices: the imported helpers, then the module's own ({@link ArithHelper}). */
export const FN: Readonly<Record<typeof FAULTING[number] | FpHelper | ArithHelper, number>> = recordOf(
  [...IMPORTED_NAMES, ...ARITH],
  (_, index) => index,
);

/** What a region returns when a helper raised a fault: not a pc, and none of the dispatcher's `EXIT_*` codes. */
export const WASM_FAULT = -64;
