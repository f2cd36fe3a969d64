/**
 * Translation of RV64I: one `trans` function per instruction, each a line
 * or two that calls a shared generator (as QEMU's `trans_rvi.c.inc`).
 *
 * A `trans` function emits JavaScript for one decoded instruction through
 * the {@link Emitter} and returns false when the instruction is illegal.
 *
 * @module
 */

import type { Insn } from "../isa/insn.ts";
import type { Op } from "../isa/ops_generated.ts";
import { type Emitter, EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, type RegPair } from "./emitter.ts";
import { emitLoad, emitStore } from "./memory_access.ts";
import type { RuntimeHelper } from "./runtime.ts";

/** Emits one instruction; false means illegal. */
export type Trans = (e: Emitter, i: Insn) => boolean;

/**
 * The entry a table gives an operation plume decodes but does not translate
 * (none today): the instruction traps as illegal when reached. Naming it keeps
 * the table a `Record<Op, Trans>`; leaving the operation out fails `deno check`.
 */
export const unsupported: Trans = () => false;

/** `(cond ? 1 : 0)` */
export function bit(cond: string): string {
  return `((${cond}) ? 1 : 0)`;
}

/** Unsigned less-than of two int32 expressions. */
function ltu32(a: string, b: string): string {
  return `((${a}) >>> 0) < ((${b}) >>> 0)`;
}

/** Signed 64-bit a < b. */
export function lt64(a: RegPair, b: RegPair): string {
  return `(${a.hi} < ${b.hi} || (${a.hi} === ${b.hi} && ${ltu32(a.lo, b.lo)}))`;
}

/** Unsigned 64-bit a < b. */
export function ltu64(a: RegPair, b: RegPair): string {
  return `(${ltu32(a.hi, b.hi)} || (${a.hi} === ${b.hi} && ${ltu32(a.lo, b.lo)}))`;
}

/** A constant as a register pair. */
function imm64(v: number): RegPair {
  return { lo: String(v | 0), hi: String(Math.floor(v / 4294967296) | 0) };
}

/** rd = a + b (64-bit). */
export function emitAdd(e: Emitter, rd: number, a: RegPair, b: RegPair): void {
  if (b.lo === "0" && b.hi === "0") return e.setX(rd, a.lo, a.hi);
  if (a.lo === "0" && a.hi === "0") return e.setX(rd, b.lo, b.hi); // c.mv is add rd, x0, rs2
  e.setX(rd, `(${a.lo} + ${b.lo}) | 0`, `(${a.hi} + ${b.hi} + ${bit(ltu32("$lo", a.lo))}) | 0`);
}

/** rd = a - b (64-bit). */
function emitSub(e: Emitter, rd: number, a: RegPair, b: RegPair): void {
  e.setX(rd, `(${a.lo} - ${b.lo}) | 0`, `(${a.hi} - ${b.hi} - ${bit(ltu32(a.lo, b.lo))}) | 0`);
}

function logic(op: string): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    e.setX(i.rd, `${a.lo} ${op} ${b.lo}`, `${a.hi} ${op} ${b.hi}`);
    return true;
  };
}

function logicImm(op: string): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = imm64(i.imm);
    e.setX(i.rd, `${a.lo} ${op} ${b.lo}`, `${a.hi} ${op} ${b.hi}`);
    return true;
  };
}

/** Constant 64-bit shift of a register pair. */
function emitShiftImm(e: Emitter, rd: number, a: RegPair, kind: "sll" | "srl" | "sra", s: number): void {
  if (s === 0) return e.setX(rd, a.lo, a.hi);
  if (kind === "sll") {
    if (s < 32) return e.setX(rd, `${a.lo} << ${s}`, `(${a.hi} << ${s}) | (${a.lo} >>> ${32 - s})`);
    return e.setX(rd, "0", s === 32 ? a.lo : `${a.lo} << ${s - 32}`);
  }
  if (s < 32) {
    return e.setX(
      rd,
      `(${a.lo} >>> ${s}) | (${a.hi} << ${32 - s})`,
      kind === "srl" ? `(${a.hi} >>> ${s}) | 0` : `${a.hi} >> ${s}`,
    );
  }
  if (kind === "srl") return e.setX(rd, s === 32 ? a.hi : `(${a.hi} >>> ${s - 32}) | 0`, "0");
  return e.setX(rd, s === 32 ? a.hi : `${a.hi} >> ${s - 32}`, `${a.hi} >> 31`);
}

function shiftImm(kind: "sll" | "srl" | "sra"): Trans {
  return (e, i) => {
    if (i.imm < 0 || i.imm > 63) return false;
    emitShiftImm(e, i.rd, e.x(i.rs1), kind, i.imm);
    return true;
  };
}

function shiftImmW(op: string): Trans {
  return (e, i) => {
    if (i.imm < 0 || i.imm > 31) return false;
    const a = e.x(i.rs1);
    e.setX32(i.rd, op === ">>>" ? `(${a.lo} >>> ${i.imm}) | 0` : `${a.lo} ${op} ${i.imm}`);
    return true;
  };
}

function shiftReg(helper: RuntimeHelper): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    e.setX(i.rd, `${e.rt(helper)}(${a.lo}, ${a.hi}, ${b.lo})`, e.rh);
    return true;
  };
}

function shiftRegW(op: string): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    // JavaScript masks 32-bit shift counts to 5 bits, as sllw/srlw/sraw do.
    e.setX32(i.rd, op === ">>>" ? `(${a.lo} >>> ${b.lo}) | 0` : `${a.lo} ${op} ${b.lo}`);
    return true;
  };
}

function branch(cond: (a: RegPair, b: RegPair) => string): Trans {
  return (e, i) => {
    e.branch(cond(e.x(i.rs1), e.x(i.rs2)), e.pc + i.imm, e.pc + i.size);
    return true;
  };
}

/** A load of `size` bytes, sign-extended when `signed`. */
function load(size: 1 | 2 | 4 | 8, signed: boolean): Trans {
  return (e, i) => {
    const v = emitLoad(e, e.x(i.rs1), i.imm, size, signed);
    e.setX(i.rd, v.lo, v.hi);
    return true;
  };
}

function store(size: 1 | 2 | 4 | 8): Trans {
  return (e, i) => (emitStore(e, e.x(i.rs1), i.imm, size, e.x(i.rs2)), true);
}

/**
 * RV64I translators by mnemonic. Each extension's table names only its own
 * operations; `TRANS` in `translator.ts` joins them into a `Record<Op, Trans>`,
 * so that the type checker names any operation none of them translates.
 */
export const TRANS_RVI = {
  lui: (e, i) => (e.setX(i.rd, String(i.imm | 0), String(i.imm >> 31)), true),
  auipc: (e, i) => (e.setXConst(i.rd, e.pc + i.imm), true),
  jal: (e, i) => {
    e.setXConst(i.rd, e.pc + i.size);
    e.jump(e.pc + i.imm);
    return true;
  },
  jalr: (e, i) => {
    const a = e.x(i.rs1), lo = e.temp(), hi = e.temp();
    e.line(
      `${lo} = (${a.lo} + ${i.imm}) & -2; ${hi} = (${a.hi} + ${i.imm < 0 ? -1 : 0} + ${
        bit(ltu32(`(${a.lo} + ${i.imm}) | 0`, a.lo))
      }) | 0;`,
    );
    e.setXConst(i.rd, e.pc + i.size);
    e.jumpDynamic(lo, hi);
    return true;
  },
  beq: branch((a, b) => `${a.lo} === ${b.lo} && ${a.hi} === ${b.hi}`),
  bne: branch((a, b) => `${a.lo} !== ${b.lo} || ${a.hi} !== ${b.hi}`),
  blt: branch((a, b) => lt64(a, b)),
  bge: branch((a, b) => `!${lt64(a, b)}`),
  bltu: branch((a, b) => ltu64(a, b)),
  bgeu: branch((a, b) => `!${ltu64(a, b)}`),
  lb: load(1, true),
  lh: load(2, true),
  lw: load(4, true),
  ld: load(8, true),
  lbu: load(1, false),
  lhu: load(2, false),
  lwu: load(4, false),
  sb: store(1),
  sh: store(2),
  sw: store(4),
  sd: store(8),
  addi: (e, i) => (emitAdd(e, i.rd, e.x(i.rs1), imm64(i.imm)), true),
  slti: (e, i) => (e.setX(i.rd, bit(lt64(e.x(i.rs1), imm64(i.imm))), "0"), true),
  sltiu: (e, i) => (e.setX(i.rd, bit(ltu64(e.x(i.rs1), imm64(i.imm))), "0"), true),
  xori: logicImm("^"),
  ori: logicImm("|"),
  andi: logicImm("&"),
  slli: shiftImm("sll"),
  srli: shiftImm("srl"),
  srai: shiftImm("sra"),
  add: (e, i) => (emitAdd(e, i.rd, e.x(i.rs1), e.x(i.rs2)), true),
  sub: (e, i) => (emitSub(e, i.rd, e.x(i.rs1), e.x(i.rs2)), true),
  sll: shiftReg("sll64"),
  slt: (e, i) => (e.setX(i.rd, bit(lt64(e.x(i.rs1), e.x(i.rs2))), "0"), true),
  sltu: (e, i) => (e.setX(i.rd, bit(ltu64(e.x(i.rs1), e.x(i.rs2))), "0"), true),
  xor: logic("^"),
  srl: shiftReg("srl64"),
  sra: shiftReg("sra64"),
  or: logic("|"),
  and: logic("&"),
  addiw: (e, i) => (e.setX32(i.rd, `(${e.x(i.rs1).lo} + ${i.imm}) | 0`), true),
  slliw: shiftImmW("<<"),
  srliw: shiftImmW(">>>"),
  sraiw: shiftImmW(">>"),
  addw: (e, i) => (e.setX32(i.rd, `(${e.x(i.rs1).lo} + ${e.x(i.rs2).lo}) | 0`), true),
  subw: (e, i) => (e.setX32(i.rd, `(${e.x(i.rs1).lo} - ${e.x(i.rs2).lo}) | 0`), true),
  sllw: shiftRegW("<<"),
  srlw: shiftRegW(">>>"),
  sraw: shiftRegW(">>"),
  fence: () => true,
  "fence.tso": () => true,
  "fence.i": (e, i) => (e.exit(EXIT_FENCE_I, e.pc + i.size), true),
  ecall: (e) => (e.exit(EXIT_ECALL, e.pc), true),
  ebreak: (e) => (e.exit(EXIT_EBREAK, e.pc), true),
} satisfies Partial<Record<Op, Trans>>;
