/**
 * Translation of the F and D extensions. Loads, stores and bit moves are
 * inline on the register file's bit view `F` (so NaN payloads survive);
 * arithmetic calls the exact IEEE helpers of `core/fpu/`, which read and
 * write FP registers themselves and accrue `fflags`.
 *
 * @module
 */

import type { Insn } from "../isa/insn.ts";
import type { Emitter } from "./emitter.ts";
import { emitLoad, emitStore } from "./memory_access.ts";
import type { Trans } from "./trans_rvi.ts";

/** Rounding-mode fields 5 and 6 are reserved: the instruction is illegal. */
function validRm(rm: number): boolean {
  return rm !== 5 && rm !== 6;
}

function helperName(op: string): string {
  return op.replaceAll(".", "_");
}

/** fop rd, rs1, rs2 [, rm] writing an FP register. */
function fpArith(args: "rs1" | "rs1,rs2" | "rs1,rs2,rs3", rounded: boolean): Trans {
  return (e, i) => {
    if (rounded && !validRm(i.rm)) return false;
    const regs = args.split(",").map((r) => String(i[r as "rs1" | "rs2" | "rs3"]));
    e.mayThrow();
    e.line(`${e.rt(helperName(i.op))}(c, ${i.rd}, ${regs.join(", ")}${rounded ? `, ${i.rm}` : ""});`);
    return true;
  };
}

/** Comparisons and fclass: FP sources, integer result (0/1 or a class mask). */
function fpToIntSmall(args: "rs1" | "rs1,rs2"): Trans {
  return (e, i) => {
    const regs = args === "rs1" ? `${i.rs1}` : `${i.rs1}, ${i.rs2}`;
    e.setXEffect(i.rd, `${e.rt(helperName(i.op))}(c, ${regs})`, "0");
    return true;
  };
}

/** fcvt.{w,wu,l,lu}.{s,d}: FP to integer. */
function fpToInt(wide: boolean): Trans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    e.mayThrow();
    e.setXEffect(i.rd, `${e.rt(helperName(i.op))}(c, ${i.rs1}, ${i.rm})`, wide ? "c.retHi" : "$lo >> 31");
    return true;
  };
}

/** fcvt.{s,d}.{w,wu,l,lu}: integer to FP. */
function intToFp(wide: boolean): Trans {
  return (e, i) => {
    if (!validRm(i.rm)) return false;
    const a = e.x(i.rs1);
    e.mayThrow();
    e.line(`${e.rt(helperName(i.op))}(c, ${i.rd}, ${a.lo}${wide ? `, ${a.hi}` : ""}, ${i.rm});`);
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

/** F and D translators by mnemonic. */
export const TRANS_RVF: Record<string, Trans> = {
  flw,
  fld,
  fsw: (e, i) => (emitStore(e, e.x(i.rs1), i.imm, 4, { lo: `F[${2 * i.rs2}]`, hi: "0" }), true),
  fsd: (e, i) => (emitStore(e, e.x(i.rs1), i.imm, 8, { lo: `F[${2 * i.rs2}]`, hi: `F[${2 * i.rs2 + 1}]` }), true),
  "fmv.x.w": (e, i) => (e.setX32(i.rd, `F[${2 * i.rs1}]`), true),
  "fmv.w.x": (e, i) => (e.line(`F[${2 * i.rd}] = ${e.x(i.rs1).lo}; F[${2 * i.rd + 1}] = -1;`), true),
  "fmv.x.d": (e, i) => (e.setX(i.rd, `F[${2 * i.rs1}]`, `F[${2 * i.rs1 + 1}]`), true),
  "fmv.d.x": (e, i) => {
    const a = e.x(i.rs1);
    e.line(`F[${2 * i.rd}] = ${a.lo}; F[${2 * i.rd + 1}] = ${a.hi};`);
    return true;
  },
};

for (const t of ["s", "d"]) {
  for (const op of ["fadd", "fsub", "fmul", "fdiv"]) TRANS_RVF[`${op}.${t}`] = fpArith("rs1,rs2", true);
  TRANS_RVF[`fsqrt.${t}`] = fpArith("rs1", true);
  for (const op of ["fmadd", "fmsub", "fnmsub", "fnmadd"]) TRANS_RVF[`${op}.${t}`] = fpArith("rs1,rs2,rs3", true);
  for (const op of ["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"]) TRANS_RVF[`${op}.${t}`] = fpArith("rs1,rs2", false);
  for (const op of ["feq", "flt", "fle"]) TRANS_RVF[`${op}.${t}`] = fpToIntSmall("rs1,rs2");
  TRANS_RVF[`fclass.${t}`] = fpToIntSmall("rs1");
  TRANS_RVF[`fcvt.w.${t}`] = fpToInt(false);
  TRANS_RVF[`fcvt.wu.${t}`] = fpToInt(false);
  TRANS_RVF[`fcvt.l.${t}`] = fpToInt(true);
  TRANS_RVF[`fcvt.lu.${t}`] = fpToInt(true);
  TRANS_RVF[`fcvt.${t}.w`] = intToFp(false);
  TRANS_RVF[`fcvt.${t}.wu`] = intToFp(false);
  TRANS_RVF[`fcvt.${t}.l`] = intToFp(true);
  TRANS_RVF[`fcvt.${t}.lu`] = intToFp(true);
}
TRANS_RVF["fcvt.s.d"] = fpArith("rs1", true);
TRANS_RVF["fcvt.d.s"] = fpArith("rs1", true);
