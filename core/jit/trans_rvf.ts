/**
 * Translation of the F, D, Zfhmin, Zfh and Zfa extensions. Loads, stores and bit moves are
 * inline on the register file's bit view `F` (so NaN payloads survive);
 * arithmetic calls the exact IEEE helpers of `core/fpu/`, which read and
 * write FP registers themselves and accrue `fflags`.
 *
 * @module
 */

import { fliWords, type FpWidth } from "../fpu/zfa.ts";
import type { Insn } from "../isa/insn.ts";
import type { Op } from "../isa/ops_generated.ts";
import type { Emitter } from "./emitter.ts";
import { emitLoad, emitStore } from "./memory_access.ts";
import type { RuntimeHelper } from "./runtime.ts";
import type { Trans } from "./trans_rvi.ts";

/** Rounding-mode fields 5 and 6 are reserved: the instruction is illegal. */
function validRm(rm: number): boolean {
  return rm !== 5 && rm !== 6;
}

/** fop rd, rs1, rs2 [, rm] writing an FP register, through the `core/fpu/` helper `helper`. */
function fpArith(helper: RuntimeHelper, args: "rs1" | "rs1,rs2" | "rs1,rs2,rs3", rounded: boolean): Trans {
  return (e, i) => {
    if (rounded && !validRm(i.rm)) return false;
    const regs = args.split(",").map((r) => String(i[r as "rs1" | "rs2" | "rs3"]));
    e.mayThrow();
    e.line(`${e.rt(helper)}(c, ${i.rd}, ${regs.join(", ")}${rounded ? `, ${i.rm}` : ""});`);
    return true;
  };
}

/** Comparisons and fclass: FP sources, integer result (0/1 or a class mask). */
function fpToIntSmall(helper: RuntimeHelper, args: "rs1" | "rs1,rs2"): Trans {
  return (e, i) => {
    const regs = args === "rs1" ? `${i.rs1}` : `${i.rs1}, ${i.rs2}`;
    e.setXEffect(i.rd, `${e.rt(helper)}(c, ${regs})`, "0");
    return true;
  };
}

/** fcvt.{w,wu,l,lu}.{s,d}: FP to integer; `wide` for the 64-bit results. */
function fpToInt(helper: RuntimeHelper, wide: boolean): Trans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    e.mayThrow();
    e.setXEffect(i.rd, `${e.rt(helper)}(c, ${i.rs1}, ${i.rm})`, wide ? "c.retHi" : "$lo >> 31");
    return true;
  };
}

/** fcvt.{s,d}.{w,wu,l,lu}: integer to FP; `wide` for the 64-bit sources. */
function intToFp(helper: RuntimeHelper, wide: boolean): Trans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    const a = e.x(i.rs1);
    e.mayThrow();
    e.line(`${e.rt(helper)}(c, ${i.rd}, ${a.lo}${wide ? `, ${a.hi}` : ""}, ${i.rm});`);
    return true;
  };
}

function flw(e: Emitter, i: Insn): boolean {
  const v = emitLoad(e, e.x(i.rs1), i.imm, 4, true);
  e.line(`F[${2 * i.rd}] = ${v.lo}; F[${2 * i.rd + 1}] = -1;`);
  return true;
}

function fld(e: Emitter, i: Insn): boolean {
  const v = emitLoad(e, e.x(i.rs1), i.imm, 8, true);
  e.line(`F[${2 * i.rd}] = ${v.lo}; F[${2 * i.rd + 1}] = ${v.hi};`);
  return true;
}

function flh(e: Emitter, i: Insn): boolean {
  const v = emitLoad(e, e.x(i.rs1), i.imm, 2, false);
  e.line(`F[${2 * i.rd}] = ${v.lo} | 0xffff0000; F[${2 * i.rd + 1}] = -1;`);
  return true;
}

/** fli.h, fli.s, fli.d: the constant of entry rs1, NaN-boxed, stored as it is. */
function fli(width: FpWidth): Trans {
  return (e, i) => {
    const [lo, hi] = fliWords(width, i.rs1);
    e.line(`F[${2 * i.rd}] = ${lo}; F[${2 * i.rd + 1}] = ${hi};`);
    return true;
  };
}

/** F and D translators by mnemonic; the arithmetic names its `core/fpu/` helper. */
export const TRANS_RVF = {
  flw,
  fsw: (e, i) => (emitStore(e, e.x(i.rs1), i.imm, 4, { lo: `F[${2 * i.rs2}]`, hi: "0" }), true),
  "fmadd.s": fpArith("fmadd_s", "rs1,rs2,rs3", true),
  "fmsub.s": fpArith("fmsub_s", "rs1,rs2,rs3", true),
  "fnmsub.s": fpArith("fnmsub_s", "rs1,rs2,rs3", true),
  "fnmadd.s": fpArith("fnmadd_s", "rs1,rs2,rs3", true),
  "fadd.s": fpArith("fadd_s", "rs1,rs2", true),
  "fsub.s": fpArith("fsub_s", "rs1,rs2", true),
  "fmul.s": fpArith("fmul_s", "rs1,rs2", true),
  "fdiv.s": fpArith("fdiv_s", "rs1,rs2", true),
  "fsqrt.s": fpArith("fsqrt_s", "rs1", true),
  "fsgnj.s": fpArith("fsgnj_s", "rs1,rs2", false),
  "fsgnjn.s": fpArith("fsgnjn_s", "rs1,rs2", false),
  "fsgnjx.s": fpArith("fsgnjx_s", "rs1,rs2", false),
  "fmin.s": fpArith("fmin_s", "rs1,rs2", false),
  "fmax.s": fpArith("fmax_s", "rs1,rs2", false),
  "fcvt.w.s": fpToInt("fcvt_w_s", false),
  "fcvt.wu.s": fpToInt("fcvt_wu_s", false),
  "fcvt.l.s": fpToInt("fcvt_l_s", true),
  "fcvt.lu.s": fpToInt("fcvt_lu_s", true),
  "fmv.x.w": (e, i) => (e.setX32(i.rd, `F[${2 * i.rs1}]`), true),
  "fclass.s": fpToIntSmall("fclass_s", "rs1"),
  "feq.s": fpToIntSmall("feq_s", "rs1,rs2"),
  "flt.s": fpToIntSmall("flt_s", "rs1,rs2"),
  "fle.s": fpToIntSmall("fle_s", "rs1,rs2"),
  "fcvt.s.w": intToFp("fcvt_s_w", false),
  "fcvt.s.wu": intToFp("fcvt_s_wu", false),
  "fcvt.s.l": intToFp("fcvt_s_l", true),
  "fcvt.s.lu": intToFp("fcvt_s_lu", true),
  "fmv.w.x": (e, i) => (e.line(`F[${2 * i.rd}] = ${e.x(i.rs1).lo}; F[${2 * i.rd + 1}] = -1;`), true),

  fld,
  fsd: (e, i) => (emitStore(e, e.x(i.rs1), i.imm, 8, { lo: `F[${2 * i.rs2}]`, hi: `F[${2 * i.rs2 + 1}]` }), true),
  "fmadd.d": fpArith("fmadd_d", "rs1,rs2,rs3", true),
  "fmsub.d": fpArith("fmsub_d", "rs1,rs2,rs3", true),
  "fnmsub.d": fpArith("fnmsub_d", "rs1,rs2,rs3", true),
  "fnmadd.d": fpArith("fnmadd_d", "rs1,rs2,rs3", true),
  "fadd.d": fpArith("fadd_d", "rs1,rs2", true),
  "fsub.d": fpArith("fsub_d", "rs1,rs2", true),
  "fmul.d": fpArith("fmul_d", "rs1,rs2", true),
  "fdiv.d": fpArith("fdiv_d", "rs1,rs2", true),
  "fsqrt.d": fpArith("fsqrt_d", "rs1", true),
  "fsgnj.d": fpArith("fsgnj_d", "rs1,rs2", false),
  "fsgnjn.d": fpArith("fsgnjn_d", "rs1,rs2", false),
  "fsgnjx.d": fpArith("fsgnjx_d", "rs1,rs2", false),
  "fmin.d": fpArith("fmin_d", "rs1,rs2", false),
  "fmax.d": fpArith("fmax_d", "rs1,rs2", false),
  "fcvt.s.d": fpArith("fcvt_s_d", "rs1", true),
  "fcvt.d.s": fpArith("fcvt_d_s", "rs1", true),
  "feq.d": fpToIntSmall("feq_d", "rs1,rs2"),
  "flt.d": fpToIntSmall("flt_d", "rs1,rs2"),
  "fle.d": fpToIntSmall("fle_d", "rs1,rs2"),
  "fclass.d": fpToIntSmall("fclass_d", "rs1"),
  "fcvt.w.d": fpToInt("fcvt_w_d", false),
  "fcvt.wu.d": fpToInt("fcvt_wu_d", false),
  "fcvt.l.d": fpToInt("fcvt_l_d", true),
  "fcvt.lu.d": fpToInt("fcvt_lu_d", true),
  "fmv.x.d": (e, i) => (e.setX(i.rd, `F[${2 * i.rs1}]`, `F[${2 * i.rs1 + 1}]`), true),
  "fcvt.d.w": intToFp("fcvt_d_w", false),
  "fcvt.d.wu": intToFp("fcvt_d_wu", false),
  "fcvt.d.l": intToFp("fcvt_d_l", true),
  "fcvt.d.lu": intToFp("fcvt_d_lu", true),
  "fmv.d.x": (e, i) => {
    const a = e.x(i.rs1);
    e.line(`F[${2 * i.rd}] = ${a.lo}; F[${2 * i.rd + 1}] = ${a.hi};`);
    return true;
  },

  flh,
  fsh: (e, i) => (emitStore(e, e.x(i.rs1), i.imm, 2, { lo: `F[${2 * i.rs2}]`, hi: "0" }), true),
  "fmv.x.h": (e, i) => (e.setX32(i.rd, `F[${2 * i.rs1}] << 16 >> 16`), true),
  "fmv.h.x": (e, i) => (e.line(`F[${2 * i.rd}] = ${e.x(i.rs1).lo} | 0xffff0000; F[${2 * i.rd + 1}] = -1;`), true),
  "fcvt.s.h": fpArith("fcvt_s_h", "rs1", true),
  "fcvt.h.s": fpArith("fcvt_h_s", "rs1", true),
  "fcvt.d.h": fpArith("fcvt_d_h", "rs1", true),
  "fcvt.h.d": fpArith("fcvt_h_d", "rs1", true),
  "fmadd.h": fpArith("fmadd_h", "rs1,rs2,rs3", true),
  "fmsub.h": fpArith("fmsub_h", "rs1,rs2,rs3", true),
  "fnmsub.h": fpArith("fnmsub_h", "rs1,rs2,rs3", true),
  "fnmadd.h": fpArith("fnmadd_h", "rs1,rs2,rs3", true),
  "fadd.h": fpArith("fadd_h", "rs1,rs2", true),
  "fsub.h": fpArith("fsub_h", "rs1,rs2", true),
  "fmul.h": fpArith("fmul_h", "rs1,rs2", true),
  "fdiv.h": fpArith("fdiv_h", "rs1,rs2", true),
  "fsqrt.h": fpArith("fsqrt_h", "rs1", true),
  "fsgnj.h": fpArith("fsgnj_h", "rs1,rs2", false),
  "fsgnjn.h": fpArith("fsgnjn_h", "rs1,rs2", false),
  "fsgnjx.h": fpArith("fsgnjx_h", "rs1,rs2", false),
  "fmin.h": fpArith("fmin_h", "rs1,rs2", false),
  "fmax.h": fpArith("fmax_h", "rs1,rs2", false),
  "fcvt.w.h": fpToInt("fcvt_w_h", false),
  "fcvt.wu.h": fpToInt("fcvt_wu_h", false),
  "fcvt.l.h": fpToInt("fcvt_l_h", true),
  "fcvt.lu.h": fpToInt("fcvt_lu_h", true),
  "fclass.h": fpToIntSmall("fclass_h", "rs1"),
  "feq.h": fpToIntSmall("feq_h", "rs1,rs2"),
  "flt.h": fpToIntSmall("flt_h", "rs1,rs2"),
  "fle.h": fpToIntSmall("fle_h", "rs1,rs2"),
  "fcvt.h.w": intToFp("fcvt_h_w", false),
  "fcvt.h.wu": intToFp("fcvt_h_wu", false),
  "fcvt.h.l": intToFp("fcvt_h_l", true),
  "fcvt.h.lu": intToFp("fcvt_h_lu", true),

  "fli.s": fli(32),
  "fli.d": fli(64),
  "fli.h": fli(16),
  "fminm.s": fpArith("fminm_s", "rs1,rs2", false),
  "fmaxm.s": fpArith("fmaxm_s", "rs1,rs2", false),
  "fminm.d": fpArith("fminm_d", "rs1,rs2", false),
  "fmaxm.d": fpArith("fmaxm_d", "rs1,rs2", false),
  "fminm.h": fpArith("fminm_h", "rs1,rs2", false),
  "fmaxm.h": fpArith("fmaxm_h", "rs1,rs2", false),
  "fround.s": fpArith("fround_s", "rs1", true),
  "froundnx.s": fpArith("froundnx_s", "rs1", true),
  "fround.d": fpArith("fround_d", "rs1", true),
  "froundnx.d": fpArith("froundnx_d", "rs1", true),
  "fround.h": fpArith("fround_h", "rs1", true),
  "froundnx.h": fpArith("froundnx_h", "rs1", true),
  "fcvtmod.w.d": (e, i) => (e.setXEffect(i.rd, `${e.rt("fcvtmod_w_d")}(c, ${i.rs1})`, "$lo >> 31"), true),
  "fleq.s": fpToIntSmall("fleq_s", "rs1,rs2"),
  "fltq.s": fpToIntSmall("fltq_s", "rs1,rs2"),
  "fleq.d": fpToIntSmall("fleq_d", "rs1,rs2"),
  "fltq.d": fpToIntSmall("fltq_d", "rs1,rs2"),
  "fleq.h": fpToIntSmall("fleq_h", "rs1,rs2"),
  "fltq.h": fpToIntSmall("fltq_h", "rs1,rs2"),
} satisfies Partial<Record<Op, Trans>>;
