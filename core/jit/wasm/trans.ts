/**
 * Translation of guest instructions to WebAssembly, one row per operation.
 * The tier covers RV64I, RV64M and RV64A (atomics through the JavaScript
 * tier's helpers, which keep the reservation); a region with any other
 * operation (the F and D extensions, Zicsr) stays in the JavaScript tier, which
 * `region.ts` checks with {@link wasmTranslatable} before emitting.
 *
 * Each translator pushes operands (`e.get(r)` is an i64), computes with
 * the i64 instructions the operation maps to, and pops the result into
 * `rd` (`e.set(rd)`, a drop for x0). Loads and stores take an inline fast
 * path, checked as the JavaScript tier checks it (address below 4 GiB,
 * naturally aligned, page flag allows it), and call the runtime's slow
 * path otherwise.
 *
 * @module
 */

import type { Insn } from "../../isa/insn.ts";
import type { Op } from "../../isa/ops_generated.ts";
import { PAGE_CODE, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I } from "../emitter.ts";
import { AMO_OPS } from "../runtime.ts";
import { I64, OP } from "./encoding.ts";
import type { WasmEmitter } from "./emitter.ts";
import { SLOT } from "../../cpu/register_arena.ts";
import { type ArithHelper, FN, MEM } from "./layout.ts";

/** Emits one instruction; false means illegal (the caller exits with `EXIT_ILLEGAL`). */
export type WasmTrans = (e: WasmEmitter, i: Insn) => boolean;

const LOG2: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

const LOAD_OPS: Record<number, [signed: number, unsigned: number]> = {
  1: [OP.i64_load8_s, OP.i64_load8_u],
  2: [OP.i64_load16_s, OP.i64_load16_u],
  4: [OP.i64_load32_s, OP.i64_load32_u],
  8: [OP.i64_load, OP.i64_load],
};

const STORE_OPS: Record<number, number> = { 1: OP.i64_store8, 2: OP.i64_store16, 4: OP.i64_store32, 8: OP.i64_store };

/**
 * Computes `rs1 + imm` into i64 local `a64` and its low word into i32
 * local `a`, and pushes an i32 that is non-zero when the access must take
 * the slow path: the address is at or above 4 GiB, it is not aligned to
 * `size`, or its page's flags masked by `mask` are not `want`.
 */
function slowPathCondition(e: WasmEmitter, i: Insn, size: number, mask: number, want: number) {
  const c = e.code, a64 = e.tempI64(), a = e.tempI32();
  e.get(i.rs1);
  c.i64Const(i.imm).op(OP.i64_add).localTee(a64).op(OP.i32_wrap_i64).localSet(a);
  c.localGet(a64).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  if (size > 1) c.localGet(a).i32Const(size - 1).op(OP.i32_and).op(OP.i32_or);
  c.localGet(a).i32Const(PAGE_SHIFT).op(OP.i32_shr_u).mem(OP.i32_load8_u, MEM.pages, 0);
  c.i32Const(mask).op(OP.i32_and).i32Const(want).op(OP.i32_ne).op(OP.i32_or);
  return a;
}

/** Pushes the i64 a helper left in the slot's value word (a loaded value, an old value, sc's result). */
function pushResult(e: WasmEmitter): void {
  e.code.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, SLOT.value);
}

/** Pushes the base register as the (low, high) int32 pair and the offset, as the slow-path helpers take them. */
function pushBase(e: WasmEmitter, i: Insn): void {
  e.get(i.rs1).code.op(OP.i32_wrap_i64);
  e.get(i.rs1).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32Const(i.imm);
}

function load(size: 1 | 2 | 4 | 8, signed: boolean): WasmTrans {
  return (e, i) => {
    const a = slowPathCondition(e, i, size, PROT_READ, PROT_READ);
    e.if(I64);
    pushBase(e, i);
    e.code.i32Const(size).i32Const(signed ? 1 : 0).call(FN.ld);
    e.checkStatus();
    pushResult(e);
    e.else();
    e.code.localGet(a).mem(LOAD_OPS[size][signed ? 0 : 1], MEM.guest, LOG2[size]);
    e.end();
    e.set(i.rd);
    return true;
  };
}

function store(size: 1 | 2 | 4 | 8): WasmTrans {
  return (e, i) => {
    // Stores into pages holding translated code take the slow path, which invalidates that code.
    const a = slowPathCondition(e, i, size, PROT_WRITE | PAGE_CODE, PROT_WRITE);
    e.if(0x40);
    e.code.localGet(e.slot);
    e.get(i.rs2).code.mem(OP.i64_store, MEM.regs, 3, SLOT.value);
    pushBase(e, i);
    e.code.i32Const(size).call(FN.st);
    e.checkStatus();
    e.else();
    e.code.localGet(a);
    e.get(i.rs2).code.mem(STORE_OPS[size], MEM.guest, LOG2[size]);
    e.end();
    return true;
  };
}

/** Pushes rs1 as the (low, high) int32 pair the atomic helpers take (their offset is always 0). */
function pushAddress(e: WasmEmitter, i: Insn): void {
  e.get(i.rs1).code.op(OP.i32_wrap_i64);
  e.get(i.rs1).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
}

/** Stores rs2 to the slot's value word, where `sc` and `amo` take their operand. */
function storeOperand(e: WasmEmitter, i: Insn): void {
  e.code.localGet(e.slot);
  e.get(i.rs2).code.mem(OP.i64_store, MEM.regs, 3, SLOT.value);
}

/** `lr.w`/`lr.d` through the JavaScript tier's helper (which keeps the reservation). */
function lr(size: 4 | 8): WasmTrans {
  return (e, i) => {
    if (i.rs2 !== 0) return false;
    pushAddress(e, i);
    e.code.i32Const(size).call(FN.lr);
    e.checkStatus();
    pushResult(e);
    e.set(i.rd);
    return true;
  };
}

function sc(size: 4 | 8): WasmTrans {
  return (e, i) => {
    storeOperand(e, i);
    pushAddress(e, i);
    e.code.i32Const(size).call(FN.sc);
    e.checkStatus();
    pushResult(e);
    e.set(i.rd);
    return true;
  };
}

function amo(op: typeof AMO_OPS[number], size: 4 | 8): WasmTrans {
  const code = AMO_OPS.indexOf(op);
  return (e, i) => {
    storeOperand(e, i);
    e.code.i32Const(code);
    pushAddress(e, i);
    e.code.i32Const(size).call(FN.amo);
    e.checkStatus();
    pushResult(e);
    e.set(i.rd);
    return true;
  };
}

/** rd = rs1 OP rs2 on i64. */
function binary(op: number): WasmTrans {
  return (e, i) => (e.get(i.rs1).get(i.rs2).code.op(op), e.set(i.rd), true);
}

/** rd = rs1 OP sign-extended imm on i64. */
function binaryImm(op: number): WasmTrans {
  return (e, i) => (e.get(i.rs1).code.i64Const(i.imm).op(op), e.set(i.rd), true);
}

/** rd = (rs1 CMP rs2 or imm) as 0 or 1. */
function compare(op: number, immediate: boolean): WasmTrans {
  return (e, i) => {
    e.get(i.rs1);
    if (immediate) e.code.i64Const(i.imm);
    else e.get(i.rs2);
    e.code.op(op).op(OP.i64_extend_i32_u);
    e.set(i.rd);
    return true;
  };
}

function shiftImm(op: number): WasmTrans {
  return (e, i) => {
    if (i.imm < 0 || i.imm > 63) return false;
    return binaryImm(op)(e, i);
  };
}

/** rd = sign-extended 32-bit (rs1 OP rs2-or-imm) on the low words. */
function word(op: number, immediate: "imm" | "shamt" | false): WasmTrans {
  return (e, i) => {
    if (immediate === "shamt" && (i.imm < 0 || i.imm > 31)) return false;
    e.get(i.rs1).code.op(OP.i32_wrap_i64);
    if (immediate) e.code.i32Const(i.imm);
    else e.get(i.rs2).code.op(OP.i32_wrap_i64);
    e.code.op(op).op(OP.i64_extend_i32_s);
    e.set(i.rd);
    return true;
  };
}

/** rd = helper(rs1, rs2), a function of the module (`region.ts`). */
function arith(helper: ArithHelper): WasmTrans {
  return (e, i) => (e.get(i.rs1).get(i.rs2).code.call(FN[helper]), e.set(i.rd), true);
}

function branch(op: number): WasmTrans {
  return (e, i) => {
    e.get(i.rs1).get(i.rs2).code.op(op);
    e.branch(e.pc + i.imm, e.pc + i.size);
    return true;
  };
}

/** WebAssembly translators of the operations this tier covers. */
export const WASM_TRANS: Readonly<Partial<Record<Op, WasmTrans>>> = {
  lui: (e, i) => (e.code.i64Const(i.imm | 0), e.set(i.rd), true),
  auipc: (e, i) => (e.code.i64Const(e.pc + i.imm), e.set(i.rd), true),
  jal: (e, i) => {
    e.code.i64Const(e.pc + i.size);
    e.set(i.rd);
    e.jump(e.pc + i.imm);
    return true;
  },
  jalr: (e, i) => {
    // The target is computed before rd is written (rd may be rs1).
    const t = e.tempI64();
    e.get(i.rs1).code.i64Const(i.imm).op(OP.i64_add).i64Const(-2).op(OP.i64_and).localSet(t);
    e.code.i64Const(e.pc + i.size);
    e.set(i.rd);
    e.jumpDynamic(t);
    return true;
  },
  beq: branch(OP.i64_eq),
  bne: branch(OP.i64_ne),
  blt: branch(OP.i64_lt_s),
  bge: branch(OP.i64_ge_s),
  bltu: branch(OP.i64_lt_u),
  bgeu: branch(OP.i64_ge_u),
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
  addi: binaryImm(OP.i64_add),
  slti: compare(OP.i64_lt_s, true),
  sltiu: compare(OP.i64_lt_u, true),
  xori: binaryImm(OP.i64_xor),
  ori: binaryImm(OP.i64_or),
  andi: binaryImm(OP.i64_and),
  slli: shiftImm(OP.i64_shl),
  srli: shiftImm(OP.i64_shr_u),
  srai: shiftImm(OP.i64_shr_s),
  add: binary(OP.i64_add),
  sub: binary(OP.i64_sub),
  // WebAssembly takes 64-bit shift counts modulo 64, as RISC-V does.
  sll: binary(OP.i64_shl),
  slt: compare(OP.i64_lt_s, false),
  sltu: compare(OP.i64_lt_u, false),
  xor: binary(OP.i64_xor),
  srl: binary(OP.i64_shr_u),
  sra: binary(OP.i64_shr_s),
  or: binary(OP.i64_or),
  and: binary(OP.i64_and),
  addiw: word(OP.i32_add, "imm"),
  slliw: word(OP.i32_shl, "shamt"),
  srliw: word(OP.i32_shr_u, "shamt"),
  sraiw: word(OP.i32_shr_s, "shamt"),
  addw: word(OP.i32_add, false),
  subw: word(OP.i32_sub, false),
  // 32-bit shift counts are taken modulo 32, as sllw/srlw/sraw do.
  sllw: word(OP.i32_shl, false),
  srlw: word(OP.i32_shr_u, false),
  sraw: word(OP.i32_shr_s, false),
  fence: () => true,
  "fence.tso": () => true,
  "fence.i": (e, i) => (e.exit(EXIT_FENCE_I, e.pc + i.size), true),
  ecall: (e) => (e.exit(EXIT_ECALL, e.pc), true),
  ebreak: (e) => (e.exit(EXIT_EBREAK, e.pc), true),
  mul: binary(OP.i64_mul),
  mulh: arith("mulh"),
  mulhsu: arith("mulhsu"),
  mulhu: arith("mulhu"),
  div: arith("div"),
  divu: arith("divu"),
  rem: arith("rem"),
  remu: arith("remu"),
  mulw: word(OP.i32_mul, false),
  divw: arith("divw"),
  divuw: arith("divuw"),
  remw: arith("remw"),
  remuw: arith("remuw"),
  "lr.w": lr(4),
  "sc.w": sc(4),
  "amoswap.w": amo("swap", 4),
  "amoadd.w": amo("add", 4),
  "amoxor.w": amo("xor", 4),
  "amoand.w": amo("and", 4),
  "amoor.w": amo("or", 4),
  "amomin.w": amo("min", 4),
  "amomax.w": amo("max", 4),
  "amominu.w": amo("minu", 4),
  "amomaxu.w": amo("maxu", 4),
  "lr.d": lr(8),
  "sc.d": sc(8),
  "amoswap.d": amo("swap", 8),
  "amoadd.d": amo("add", 8),
  "amoxor.d": amo("xor", 8),
  "amoand.d": amo("and", 8),
  "amoor.d": amo("or", 8),
  "amomin.d": amo("min", 8),
  "amomax.d": amo("max", 8),
  "amominu.d": amo("minu", 8),
  "amomaxu.d": amo("maxu", 8),
};

/** Whether every instruction of `insns` has a WebAssembly translation (`null`, an illegal one, has: an exit). */
export function wasmTranslatable(insns: readonly (Insn | null)[]): boolean {
  return insns.every((i) => i === null || WASM_TRANS[i.op] !== undefined);
}
