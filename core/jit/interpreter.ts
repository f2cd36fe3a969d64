/**
 * The interpreter: runs a decoded block without compiling it.
 *
 * Creating a JavaScript function for a block costs tens of microseconds
 * (measured: 70 ms for the 930 blocks `busybox echo hi` runs, most of its
 * time), and most blocks of a program's start-up run only a few times. So
 * a new block is interpreted first; the dispatcher compiles it once it has
 * run {@link COMPILE_THRESHOLD} times (more during the JIT warm-up:
 * `tb_cache.ts`). Most blocks go to the WebAssembly interpreter instead
 * (`wasm/interpreter.ts`, all RV64IM); this one runs the others, and every
 * block plugins instrument: their instrumentation runs here as closures
 * built once per block (`plugin_actions.ts`).
 *
 * Each instruction runs through a handler chosen once per block at
 * translation time (no decoding or lookup per execution). A handler
 * returns undefined to go on with the next instruction, or the next pc (or
 * a negative `EXIT_*` code with `c.pc` set) to end the block. The
 * semantics are the same as the translators' (`trans_*.ts`); a test runs
 * random instruction sequences through both and compares the state.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { PAGE_CODE, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import * as fpu from "../fpu/mod.ts";
import { fliWords, type FpWidth } from "../fpu/zfa.ts";
import type { Insn } from "../isa/insn.ts";
import type { MemOp, Op } from "../isa/ops_generated.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, EXIT_ILLEGAL, wrapPc } from "./emitter.ts";
import * as int64 from "./int64.ts";
import * as bm from "./bitmanip.ts";
import { AMO_OPS, CSR_OP, csrWrites, type Runtime } from "./runtime.ts";
import {
  isVectorAccess,
  READS_FS1,
  type ScalarOp,
  VECTOR_OPS,
  type VectorOp,
  WRITES_FD,
  WRITES_RD,
} from "./vector_ops.ts";
import type { Executor } from "./vector/element.ts";
import {
  accessActions,
  type ActionsFn,
  type BlockInstrumentation,
  execActions,
  type MemAction,
  memInfo,
  type PluginHooks,
  streamsRecords,
} from "./plugin_actions.ts";
import { recordOf } from "../util/record_of.ts";

/**
 * Executions after which an interpreted block gets compiled. Measured
 * (median wall time, 8 / 16 / 32 / 64): `lua5.4 -e 'print(1)'` 0.28 /
 * 0.26 / 0.24 / 0.30 s; `python3.13 -S -c …` run 3.7 / 3.4 / 3.0 / 3.4 s,
 * compile time 0.9 / 0.8 / 0.6 / 0.7 s; busybox `sha256sum` and `gzip` over
 * 16 MB unchanged (their hot code becomes regions either way).
 */
export const COMPILE_THRESHOLD = 32;

/** Runs one instruction; undefined means "continue with the next one". */
export type Handler = (c: Cpu, x: Int32Array, i: Insn, pc: number, rt: Runtime) => number | undefined;

const RH = int64.RH;

function set(x: Int32Array, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = hi;
  }
}

function set32(x: Int32Array, rd: number, lo: number): void {
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = lo >> 31;
  }
}

function add64(x: Int32Array, rd: number, al: number, ah: number, bl: number, bh: number): void {
  const lo = (al + bl) | 0;
  set(x, rd, lo, (ah + bh + ((lo >>> 0) < (al >>> 0) ? 1 : 0)) | 0);
}

function lt(ah: number, al: number, bh: number, bl: number): boolean {
  return ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0));
}

function ltu(ah: number, al: number, bh: number, bl: number): boolean {
  return (ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0));
}

/** The value of the last instruction's target, as a pc: outside 2 GiB it is returned exactly as a double. */
function target(lo: number, hi: number): number {
  return hi === 0 && lo >= 0 ? lo : (hi >>> 0) * 4294967296 + (lo >>> 0);
}

function branch(cond: (ah: number, al: number, bh: number, bl: number) => boolean): Handler {
  return (_c, x, i, pc) => {
    const a = 2 * i.rs1, b = 2 * i.rs2;
    return cond(x[a + 1], x[a], x[b + 1], x[b]) ? wrapPc(pc + i.imm) : pc + i.size;
  };
}

function logic(op: (a: number, b: number) => number, imm: boolean): Handler {
  return (_c, x, i) => {
    const a = 2 * i.rs1;
    const bl = imm ? i.imm | 0 : x[2 * i.rs2], bh = imm ? i.imm >> 31 : x[2 * i.rs2 + 1];
    set(x, i.rd, op(x[a], bl), op(x[a + 1], bh));
    return undefined;
  };
}

function shift(f: (lo: number, hi: number, s: number) => number, imm: boolean): Handler {
  return (_c, x, i) => {
    const a = 2 * i.rs1;
    const lo = f(x[a], x[a + 1], imm ? i.imm : x[2 * i.rs2]);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}

function word(op: (a: number, b: number) => number, imm: boolean): Handler {
  return (_c, x, i) => {
    set32(x, i.rd, op(x[2 * i.rs1], imm ? i.imm : x[2 * i.rs2]));
    return undefined;
  };
}

function pair(f: (al: number, ah: number, bl: number, bh: number) => number): Handler {
  return (_c, x, i) => {
    const a = 2 * i.rs1, b = 2 * i.rs2;
    const lo = f(x[a], x[a + 1], x[b], x[b + 1]);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}

/** rd = f(rs1, imm) for the `bitmanip.ts` functions with an immediate operand. */
function pairImm(f: (al: number, ah: number, bl: number, bh: number) => number): Handler {
  return (_c, x, i) => {
    const a = 2 * i.rs1;
    const lo = f(x[a], x[a + 1], i.imm, 0);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}

/**
 * The fast path's read of an aligned value of up to 4 bytes at byte `a`,
 * as compiled code reads it (the typed arrays extend it).
 */
const FAST_READ: Readonly<Record<string, (rt: Runtime, a: number) => number>> = {
  "1s": (rt, a) => rt.i8[a],
  "1u": (rt, a) => rt.u8[a],
  "2s": (rt, a) => rt.i16[a >> 1],
  "2u": (rt, a) => rt.u16[a >> 1],
  "4s": (rt, a) => rt.i32[a >> 2],
  "4u": (rt, a) => rt.i32[a >> 2],
};

/**
 * A load of `size` bytes, sign-extended when `signed`. An aligned access
 * below 4 GiB to a readable page reads the memory directly, as compiled
 * code does; anything else goes through the runtime's `ld`, which faults.
 * (Dynamic programs' start-up runs mostly interpreted: `ld` was 6% of
 * lua5.4's.)
 */
function load(size: 1 | 2 | 4 | 8, signed: boolean): Handler {
  const read = FAST_READ[`${size}${signed ? "s" : "u"}`], mask = size - 1;
  return (c, x, i, _pc, rt) => {
    const r = 2 * i.rs1, hi = x[r + 1], a = (x[r] + i.imm) | 0;
    let lo: number;
    if (hi === 0 && (a & mask) === 0 && (rt.pg[a >>> PAGE_SHIFT] & PROT_READ) !== 0) {
      if (size === 8) {
        lo = rt.i32[a >> 2];
        RH[0] = rt.i32[(a >> 2) + 1];
      } else lo = read(rt, a);
    } else lo = rt.ld(c, x[r], hi, i.imm, size, signed);
    if (size === 8) set(x, i.rd, lo, RH[0]);
    else set(x, i.rd, lo, signed ? lo >> 31 : 0);
    return undefined;
  };
}

/**
 * A store of the low `size` bytes of rs2. As for loads, an aligned store
 * below 4 GiB to a writable page without translated code writes directly;
 * the runtime's `st` takes the rest (faults, and invalidating code).
 */
function store(size: 1 | 2 | 4 | 8): Handler {
  const mask = size - 1;
  return (c, x, i, _pc, rt) => {
    const r = 2 * i.rs1, b = 2 * i.rs2, hi = x[r + 1], a = (x[r] + i.imm) | 0;
    if (hi !== 0 || (a & mask) !== 0 || (rt.pg[a >>> PAGE_SHIFT] & (PROT_WRITE | PAGE_CODE)) !== PROT_WRITE) {
      rt.st(c, x[r], hi, i.imm, size, x[b], x[b + 1]);
    } else if (size === 1) rt.u8[a] = x[b];
    else if (size === 2) rt.u16[a >> 1] = x[b];
    else {
      rt.i32[a >> 2] = x[b];
      if (size === 8) rt.i32[(a >> 2) + 1] = x[b + 1];
    }
    return undefined;
  };
}

function lr(size: 4 | 8): Handler {
  return (c, x, i, _pc, rt) => {
    const lo = rt.lr(c, x[2 * i.rs1], x[2 * i.rs1 + 1], size);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}

function sc(size: 4 | 8): Handler {
  return (c, x, i, _pc, rt) => {
    const r = rt.sc(c, x[2 * i.rs1], x[2 * i.rs1 + 1], size, x[2 * i.rs2], x[2 * i.rs2 + 1]);
    set(x, i.rd, r, 0);
    return undefined;
  };
}

function amo(op: typeof AMO_OPS[number], size: 4 | 8): Handler {
  const code = AMO_OPS.indexOf(op);
  return (c, x, i, _pc, rt) => {
    const lo = rt.amo(c, code, x[2 * i.rs1], x[2 * i.rs1 + 1], size, x[2 * i.rs2], x[2 * i.rs2 + 1]);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}

function csr(op: number, immediate: boolean): Handler {
  return (c, x, i, _pc, rt) => {
    const lo = rt.csr(c, i.csr, op, csrWrites(op, immediate, i), immediate ? i.imm : x[2 * i.rs1]);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}

const nop: Handler = () => undefined;

// ---- F and D ----------------------------------------------------------
//
// Arithmetic calls the `core/fpu/` helper itself (the same function the
// runtime hands compiled code), chosen here once per operation.

/** Rounding-mode fields 5 and 6 are reserved: the instruction is illegal. */
function rounded(rm: number): boolean {
  return rm !== 5 && rm !== 6;
}

function illegal(c: Cpu, pc: number): number {
  c.pc = pc;
  return EXIT_ILLEGAL;
}

const flw: Handler = (c, x, i, _pc, rt) => {
  const v = rt.ld(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, 4, true);
  c.fi[2 * i.rd] = v;
  c.fi[2 * i.rd + 1] = -1;
  return undefined;
};

const fld: Handler = (c, x, i, _pc, rt) => {
  const lo = rt.ld(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, 8, true);
  c.fi[2 * i.rd] = lo;
  c.fi[2 * i.rd + 1] = RH[0];
  return undefined;
};

function fpStore(size: 2 | 4 | 8): Handler {
  return (c, x, i, _pc, rt) => {
    rt.st(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, size, c.fi[2 * i.rs2], c.fi[2 * i.rs2 + 1]);
    return undefined;
  };
}

/** fop rd, rs1, rs2, rs3, rm (fused multiply-add). */
function fp3Rm(f: (c: Cpu, rd: number, rs1: number, rs2: number, rs3: number, rm: number) => void): Handler {
  return (c, _x, i, pc) => rounded(i.rm) ? (f(c, i.rd, i.rs1, i.rs2, i.rs3, i.rm), undefined) : illegal(c, pc);
}

/** fop rd, rs1, rs2, rm. */
function fp2Rm(f: (c: Cpu, rd: number, rs1: number, rs2: number, rm: number) => void): Handler {
  return (c, _x, i, pc) => (rounded(i.rm) ? (f(c, i.rd, i.rs1, i.rs2, i.rm), undefined) : illegal(c, pc));
}

/** fop rd, rs1, rm (square root, conversion between formats). */
function fp1Rm(f: (c: Cpu, rd: number, rs1: number, rm: number) => void): Handler {
  return (c, _x, i, pc) => (rounded(i.rm) ? (f(c, i.rd, i.rs1, i.rm), undefined) : illegal(c, pc));
}

/** fop rd, rs1, rs2 without a rounding mode (sign injection, min, max). */
function fp2(f: (c: Cpu, rd: number, rs1: number, rs2: number) => void): Handler {
  return (c, _x, i) => (f(c, i.rd, i.rs1, i.rs2), undefined);
}

/** Comparisons: FP sources, integer rd of 0 or 1. */
function fpCompare(f: (c: Cpu, rs1: number, rs2: number) => number): Handler {
  return (c, x, i) => (set(x, i.rd, f(c, i.rs1, i.rs2), 0), undefined);
}

function fpClass(f: (c: Cpu, rs1: number) => number): Handler {
  return (c, x, i) => (set(x, i.rd, f(c, i.rs1), 0), undefined);
}

/** fli.h, fli.s, fli.d: the constant of entry rs1, NaN-boxed. */
function fli(width: FpWidth): Handler {
  return (c, _x, i) => {
    [c.fi[2 * i.rd], c.fi[2 * i.rd + 1]] = fliWords(width, i.rs1);
    return undefined;
  };
}

/** fcvt.{w,wu,l,lu}.{s,d}: w/wu are sign-extended 32-bit results, l/lu (`wide`) 64-bit with the high word in c.retHi. */
function fpToInt(f: (c: Cpu, rs1: number, rm: number) => number, wide: boolean): Handler {
  return (c, x, i, pc) => {
    if (!rounded(i.rm)) return illegal(c, pc);
    const lo = f(c, i.rs1, i.rm);
    set(x, i.rd, lo, wide ? c.retHi : lo >> 31);
    return undefined;
  };
}

/** fcvt.{s,d}.{w,wu}: from a 32-bit integer. */
function intToFp(f: (c: Cpu, rd: number, v: number, rm: number) => void): Handler {
  return (c, x, i, pc) => {
    if (!rounded(i.rm)) return illegal(c, pc);
    f(c, i.rd, x[2 * i.rs1], i.rm);
    return undefined;
  };
}

/** fcvt.{s,d}.{l,lu}: from a 64-bit integer. */
function longToFp(f: (c: Cpu, rd: number, lo: number, hi: number, rm: number) => void): Handler {
  return (c, x, i, pc) => {
    if (!rounded(i.rm)) return illegal(c, pc);
    const a = 2 * i.rs1;
    f(c, i.rd, x[a], x[a + 1], i.rm);
    return undefined;
  };
}

/**
 * The handler of an instruction that traps as illegal: a reserved encoding,
 * or the entry a table gives an operation plume decodes but does not
 * interpret (none today), named rather than left out so that the table stays
 * a `Record<Op, Handler>`.
 */
export const unsupported: Handler = (c, _x, _i, pc) => illegal(c, pc);

/** Every operation's handler but the vector ones' (see {@link HANDLERS}). */
const SCALAR_HANDLERS: Readonly<Record<ScalarOp, Handler>> = {
  // RV64I
  lui: (_c, x, i) => (set(x, i.rd, i.imm | 0, i.imm >> 31), undefined),
  auipc: (_c, x, i, pc) => {
    const v = pc + i.imm;
    set(x, i.rd, v | 0, Math.floor(v / 4294967296) | 0);
    return undefined;
  },
  jal: (_c, x, i, pc) => {
    const link = pc + i.size;
    set(x, i.rd, link | 0, Math.floor(link / 4294967296) | 0);
    return wrapPc(pc + i.imm);
  },
  jalr: (_c, x, i, pc) => {
    const a = 2 * i.rs1, al = x[a];
    const sum = (al + i.imm) | 0;
    const hi = (x[a + 1] + (i.imm < 0 ? -1 : 0) + ((sum >>> 0) < (al >>> 0) ? 1 : 0)) | 0;
    const link = pc + i.size;
    set(x, i.rd, link | 0, Math.floor(link / 4294967296) | 0);
    return target(sum & -2, hi);
  },
  beq: branch((ah, al, bh, bl) => al === bl && ah === bh),
  bne: branch((ah, al, bh, bl) => al !== bl || ah !== bh),
  blt: branch(lt),
  bge: branch((ah, al, bh, bl) => !lt(ah, al, bh, bl)),
  bltu: branch(ltu),
  bgeu: branch((ah, al, bh, bl) => !ltu(ah, al, bh, bl)),
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
  addi: (_c, x, i) => (add64(x, i.rd, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm | 0, i.imm >> 31), undefined),
  slti: (_c, x, i) => (set(x, i.rd, lt(x[2 * i.rs1 + 1], x[2 * i.rs1], i.imm >> 31, i.imm | 0) ? 1 : 0, 0), undefined),
  sltiu: (
    _c,
    x,
    i,
  ) => (set(x, i.rd, ltu(x[2 * i.rs1 + 1], x[2 * i.rs1], i.imm >> 31, i.imm | 0) ? 1 : 0, 0), undefined),
  xori: logic((a, b) => a ^ b, true),
  ori: logic((a, b) => a | b, true),
  andi: logic((a, b) => a & b, true),
  slli: shift(int64.sll64, true),
  srli: shift(int64.srl64, true),
  srai: shift(int64.sra64, true),
  add: (_c, x, i) => (add64(x, i.rd, x[2 * i.rs1], x[2 * i.rs1 + 1], x[2 * i.rs2], x[2 * i.rs2 + 1]), undefined),
  sub: (_c, x, i) => {
    const al = x[2 * i.rs1], bl = x[2 * i.rs2];
    set(x, i.rd, (al - bl) | 0, (x[2 * i.rs1 + 1] - x[2 * i.rs2 + 1] - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0);
    return undefined;
  },
  sll: shift(int64.sll64, false),
  slt: (
    _c,
    x,
    i,
  ) => (set(x, i.rd, lt(x[2 * i.rs1 + 1], x[2 * i.rs1], x[2 * i.rs2 + 1], x[2 * i.rs2]) ? 1 : 0, 0), undefined),
  sltu: (
    _c,
    x,
    i,
  ) => (set(x, i.rd, ltu(x[2 * i.rs1 + 1], x[2 * i.rs1], x[2 * i.rs2 + 1], x[2 * i.rs2]) ? 1 : 0, 0), undefined),
  xor: logic((a, b) => a ^ b, false),
  srl: shift(int64.srl64, false),
  sra: shift(int64.sra64, false),
  or: logic((a, b) => a | b, false),
  and: logic((a, b) => a & b, false),
  addiw: word((a, b) => (a + b) | 0, true),
  slliw: word((a, s) => a << s, true),
  srliw: word((a, s) => (a >>> s) | 0, true),
  sraiw: word((a, s) => a >> s, true),
  addw: word((a, b) => (a + b) | 0, false),
  subw: word((a, b) => (a - b) | 0, false),
  sllw: word((a, s) => a << s, false),
  srlw: word((a, s) => (a >>> s) | 0, false),
  sraw: word((a, s) => a >> s, false),
  fence: nop,
  "fence.tso": nop,
  "fence.i": (c, _x, i, pc) => ((c.pc = pc + i.size), EXIT_FENCE_I),
  ecall: (c, _x, _i, pc) => ((c.pc = pc), EXIT_ECALL),
  ebreak: (c, _x, _i, pc) => ((c.pc = pc), EXIT_EBREAK),
  // Zicsr
  csrrw: csr(CSR_OP.write, false),
  csrrs: csr(CSR_OP.set, false),
  csrrc: csr(CSR_OP.clear, false),
  csrrwi: csr(CSR_OP.write, true),
  csrrsi: csr(CSR_OP.set, true),
  csrrci: csr(CSR_OP.clear, true),
  // M
  mul: pair(int64.mul64),
  mulh: pair(int64.mulh64),
  mulhsu: pair(int64.mulhsu64),
  mulhu: pair(int64.mulhu64),
  div: pair(int64.div64),
  divu: pair(int64.divu64),
  rem: pair(int64.rem64),
  remu: pair(int64.remu64),
  mulw: word(Math.imul, false),
  divw: word(int64.divw, false),
  divuw: word(int64.divuw, false),
  remw: word(int64.remw, false),
  remuw: word(int64.remuw, false),
  // A
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
  // F
  flw,
  fsw: fpStore(4),
  "fmadd.s": fp3Rm(fpu.fmadd_s),
  "fmsub.s": fp3Rm(fpu.fmsub_s),
  "fnmsub.s": fp3Rm(fpu.fnmsub_s),
  "fnmadd.s": fp3Rm(fpu.fnmadd_s),
  "fadd.s": fp2Rm(fpu.fadd_s),
  "fsub.s": fp2Rm(fpu.fsub_s),
  "fmul.s": fp2Rm(fpu.fmul_s),
  "fdiv.s": fp2Rm(fpu.fdiv_s),
  "fsqrt.s": fp1Rm(fpu.fsqrt_s),
  "fsgnj.s": fp2(fpu.fsgnj_s),
  "fsgnjn.s": fp2(fpu.fsgnjn_s),
  "fsgnjx.s": fp2(fpu.fsgnjx_s),
  "fmin.s": fp2(fpu.fmin_s),
  "fmax.s": fp2(fpu.fmax_s),
  "fcvt.w.s": fpToInt(fpu.fcvt_w_s, false),
  "fcvt.wu.s": fpToInt(fpu.fcvt_wu_s, false),
  "fcvt.l.s": fpToInt(fpu.fcvt_l_s, true),
  "fcvt.lu.s": fpToInt(fpu.fcvt_lu_s, true),
  "fmv.x.w": (c, x, i) => (set32(x, i.rd, c.fi[2 * i.rs1]), undefined),
  "fclass.s": fpClass(fpu.fclass_s),
  "feq.s": fpCompare(fpu.feq_s),
  "flt.s": fpCompare(fpu.flt_s),
  "fle.s": fpCompare(fpu.fle_s),
  "fcvt.s.w": intToFp(fpu.fcvt_s_w),
  "fcvt.s.wu": intToFp(fpu.fcvt_s_wu),
  "fcvt.s.l": longToFp(fpu.fcvt_s_l),
  "fcvt.s.lu": longToFp(fpu.fcvt_s_lu),
  "fmv.w.x": (c, x, i) => ((c.fi[2 * i.rd] = x[2 * i.rs1]), (c.fi[2 * i.rd + 1] = -1), undefined),
  // D
  fld,
  fsd: fpStore(8),
  "fmadd.d": fp3Rm(fpu.fmadd_d),
  "fmsub.d": fp3Rm(fpu.fmsub_d),
  "fnmsub.d": fp3Rm(fpu.fnmsub_d),
  "fnmadd.d": fp3Rm(fpu.fnmadd_d),
  "fadd.d": fp2Rm(fpu.fadd_d),
  "fsub.d": fp2Rm(fpu.fsub_d),
  "fmul.d": fp2Rm(fpu.fmul_d),
  "fdiv.d": fp2Rm(fpu.fdiv_d),
  "fsqrt.d": fp1Rm(fpu.fsqrt_d),
  "fsgnj.d": fp2(fpu.fsgnj_d),
  "fsgnjn.d": fp2(fpu.fsgnjn_d),
  "fsgnjx.d": fp2(fpu.fsgnjx_d),
  "fmin.d": fp2(fpu.fmin_d),
  "fmax.d": fp2(fpu.fmax_d),
  "fcvt.s.d": fp1Rm(fpu.fcvt_s_d),
  "fcvt.d.s": fp1Rm(fpu.fcvt_d_s),
  "feq.d": fpCompare(fpu.feq_d),
  "flt.d": fpCompare(fpu.flt_d),
  "fle.d": fpCompare(fpu.fle_d),
  "fclass.d": fpClass(fpu.fclass_d),
  "fcvt.w.d": fpToInt(fpu.fcvt_w_d, false),
  "fcvt.wu.d": fpToInt(fpu.fcvt_wu_d, false),
  "fcvt.l.d": fpToInt(fpu.fcvt_l_d, true),
  "fcvt.lu.d": fpToInt(fpu.fcvt_lu_d, true),
  "fmv.x.d": (c, x, i) => (set(x, i.rd, c.fi[2 * i.rs1], c.fi[2 * i.rs1 + 1]), undefined),
  "fcvt.d.w": intToFp(fpu.fcvt_d_w),
  "fcvt.d.wu": intToFp(fpu.fcvt_d_wu),
  "fcvt.d.l": longToFp(fpu.fcvt_d_l),
  "fcvt.d.lu": longToFp(fpu.fcvt_d_lu),
  "fmv.d.x": (c, x, i) => ((c.fi[2 * i.rd] = x[2 * i.rs1]), (c.fi[2 * i.rd + 1] = x[2 * i.rs1 + 1]), undefined),
  // Zfhmin, Zfh
  flh: (c, x, i, _pc, rt) => {
    const v = rt.ld(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, 2, false);
    c.fi[2 * i.rd] = v | 0xffff0000;
    c.fi[2 * i.rd + 1] = -1;
    return undefined;
  },
  fsh: fpStore(2),
  "fmv.x.h": (c, x, i) => (set32(x, i.rd, c.fi[2 * i.rs1] << 16 >> 16), undefined),
  "fmv.h.x": (c, x, i) => ((c.fi[2 * i.rd] = x[2 * i.rs1] | 0xffff0000), (c.fi[2 * i.rd + 1] = -1), undefined),
  "fcvt.s.h": fp1Rm(fpu.fcvt_s_h),
  "fcvt.h.s": fp1Rm(fpu.fcvt_h_s),
  "fcvt.d.h": fp1Rm(fpu.fcvt_d_h),
  "fcvt.h.d": fp1Rm(fpu.fcvt_h_d),
  "fmadd.h": fp3Rm(fpu.fmadd_h),
  "fmsub.h": fp3Rm(fpu.fmsub_h),
  "fnmsub.h": fp3Rm(fpu.fnmsub_h),
  "fnmadd.h": fp3Rm(fpu.fnmadd_h),
  "fadd.h": fp2Rm(fpu.fadd_h),
  "fsub.h": fp2Rm(fpu.fsub_h),
  "fmul.h": fp2Rm(fpu.fmul_h),
  "fdiv.h": fp2Rm(fpu.fdiv_h),
  "fsqrt.h": fp1Rm(fpu.fsqrt_h),
  "fsgnj.h": fp2(fpu.fsgnj_h),
  "fsgnjn.h": fp2(fpu.fsgnjn_h),
  "fsgnjx.h": fp2(fpu.fsgnjx_h),
  "fmin.h": fp2(fpu.fmin_h),
  "fmax.h": fp2(fpu.fmax_h),
  "fcvt.w.h": fpToInt(fpu.fcvt_w_h, false),
  "fcvt.wu.h": fpToInt(fpu.fcvt_wu_h, false),
  "fcvt.l.h": fpToInt(fpu.fcvt_l_h, true),
  "fcvt.lu.h": fpToInt(fpu.fcvt_lu_h, true),
  "fclass.h": fpClass(fpu.fclass_h),
  "feq.h": fpCompare(fpu.feq_h),
  "flt.h": fpCompare(fpu.flt_h),
  "fle.h": fpCompare(fpu.fle_h),
  "fcvt.h.w": intToFp(fpu.fcvt_h_w),
  "fcvt.h.wu": intToFp(fpu.fcvt_h_wu),
  "fcvt.h.l": longToFp(fpu.fcvt_h_l),
  "fcvt.h.lu": longToFp(fpu.fcvt_h_lu),
  // Zfa
  "fli.s": fli(32),
  "fli.d": fli(64),
  "fli.h": fli(16),
  "fminm.s": fp2(fpu.fminm_s),
  "fmaxm.s": fp2(fpu.fmaxm_s),
  "fminm.d": fp2(fpu.fminm_d),
  "fmaxm.d": fp2(fpu.fmaxm_d),
  "fminm.h": fp2(fpu.fminm_h),
  "fmaxm.h": fp2(fpu.fmaxm_h),
  "fround.s": fp1Rm(fpu.fround_s),
  "froundnx.s": fp1Rm(fpu.froundnx_s),
  "fround.d": fp1Rm(fpu.fround_d),
  "froundnx.d": fp1Rm(fpu.froundnx_d),
  "fround.h": fp1Rm(fpu.fround_h),
  "froundnx.h": fp1Rm(fpu.froundnx_h),
  "fcvtmod.w.d": (c, x, i) => {
    const lo = fpu.fcvtmod_w_d(c, i.rs1);
    set(x, i.rd, lo, lo >> 31);
    return undefined;
  },
  "fleq.s": fpCompare(fpu.fleq_s),
  "fltq.s": fpCompare(fpu.fltq_s),
  "fleq.d": fpCompare(fpu.fleq_d),
  "fltq.d": fpCompare(fpu.fltq_d),
  "fleq.h": fpCompare(fpu.fleq_h),
  "fltq.h": fpCompare(fpu.fltq_h),
  // Zba
  "add.uw": pair(bm.add_uw),
  sh1add: pair(bm.sh1add),
  sh2add: pair(bm.sh2add),
  sh3add: pair(bm.sh3add),
  "sh1add.uw": pair(bm.sh1add_uw),
  "sh2add.uw": pair(bm.sh2add_uw),
  "sh3add.uw": pair(bm.sh3add_uw),
  "slli.uw": pairImm(bm.slli_uw),
  // Zbb
  andn: pair(bm.andn),
  orn: pair(bm.orn),
  xnor: pair(bm.xnor),
  clz: pair(bm.clz),
  ctz: pair(bm.ctz),
  cpop: pair(bm.cpop),
  "sext.b": pair(bm.sext_b),
  "sext.h": pair(bm.sext_h),
  clzw: pair(bm.clzw),
  ctzw: pair(bm.ctzw),
  cpopw: pair(bm.cpopw),
  max: pair(bm.max),
  maxu: pair(bm.maxu),
  min: pair(bm.min),
  minu: pair(bm.minu),
  "orc.b": pair(bm.orc_b),
  rev8: pair(bm.rev8),
  "zext.h": pair(bm.zext_h),
  rol: pair(bm.rol),
  ror: pair(bm.ror),
  rolw: pair(bm.rolw),
  rorw: pair(bm.rorw),
  rori: pairImm(bm.ror),
  roriw: pairImm(bm.rorw),
  // Zbc
  clmul: pair(bm.clmul),
  clmulr: pair(bm.clmulr),
  clmulh: pair(bm.clmulh),
  // Zbs
  bclr: pair(bm.bclr),
  bclri: pairImm(bm.bclr),
  bext: pair(bm.bext),
  bexti: pairImm(bm.bext),
  binv: pair(bm.binv),
  binvi: pairImm(bm.binv),
  bset: pair(bm.bset),
  bseti: pairImm(bm.bset),
  // Zicboz
  "cbo.zero": (c, x, i, _pc, rt) => (rt.cboZero(c, x[2 * i.rs1], x[2 * i.rs1 + 1]), undefined),
  // Zicond
  "czero.eqz": pair(bm.czero_eqz),
  "czero.nez": pair(bm.czero_nez),
  // Zimop, Zcmop, Zawrs
  "mop.r.n": (_c, x, i) => (set(x, i.rd, 0, 0), undefined),
  "mop.rr.n": (_c, x, i) => (set(x, i.rd, 0, 0), undefined),
  "c.mop.n": nop,
  "wrs.nto": (c) => ((c.reservation = -1), undefined),
  "wrs.sto": (c) => ((c.reservation = -1), undefined),
};

/**
 * Every operation's handler. Typed `Record<Op, Handler>`: an operation
 * added to `rv64gc.decode` fails `deno check` here until it has one. V: the
 * helper the JavaScript tier calls. (Merged, not spread into a literal:
 * `core/util/record_of.ts`.)
 */
const HANDLERS: Readonly<Record<Op, Handler>> = Object.assign(
  recordOf(VECTOR_OPS, (): Handler => vector),
  SCALAR_HANDLERS,
);

/** Any vector instruction, through the runtime's `vector` helper (`vector.ts`). */
function vector(c: Cpu, x: Int32Array, i: Insn, _pc: number, rt: Runtime): undefined {
  // The .vf forms' rs1 is an FP register; vfmv.f.s writes one.
  const r1 = READS_FS1.has(i.op) ? c.fi : x;
  const lo = rt.vector(c, i.raw, r1[2 * i.rs1], r1[2 * i.rs1 + 1], x[2 * i.rs2], x[2 * i.rs2 + 1]);
  if (WRITES_RD.has(i.op) && i.rd !== 0) {
    x[2 * i.rd] = lo;
    x[2 * i.rd + 1] = RH[0];
  } else if (WRITES_FD.has(i.op)) {
    c.fi[2 * i.rd] = lo;
    c.fi[2 * i.rd + 1] = RH[0];
  }
  return undefined;
}

/**
 * A vector instruction's own handler, which keeps its executor (the
 * runtime's `vectorExecutor`, made at its first run) as compiled code's
 * call site does: through the `vector` helper, the lookup by word and the
 * tests by operation on every run cost more than most executors.
 */
function vectorHandler(insn: Insn): Handler {
  const fs1 = READS_FS1.has(insn.op), rd = WRITES_RD.has(insn.op) ? insn.rd : 0, fd = WRITES_FD.has(insn.op);
  let run: Executor | undefined;
  return (c, x, i, _pc, rt) => {
    const r1 = fs1 ? c.fi : x;
    // Executors leave a result's high word in RH[0] only when they have one (vset* do not).
    if (rd !== 0 || fd) RH[0] = 0;
    const lo = (run ??= rt.vectorExecutor(i.raw))(c, r1[2 * i.rs1], r1[2 * i.rs1 + 1], x[2 * i.rs2], x[2 * i.rs2 + 1]);
    if (rd !== 0) {
      x[2 * rd] = lo;
      x[2 * rd + 1] = RH[0];
    } else if (fd) {
      c.fi[2 * i.rd] = lo;
      c.fi[2 * i.rd + 1] = RH[0];
    }
    return undefined;
  };
}

/** The handler for a decoded instruction ({@link unsupported} for `null`, a reserved encoding). */
function handlerFor(insn: Insn | null): Handler {
  if (insn === null) return unsupported;
  const handler = HANDLERS[insn.op];
  return handler === vector ? vectorHandler(insn) : handler;
}

/** A block prepared for the interpreter. */
export interface InterpretedBlock {
  insns: readonly (Insn | null)[];
  pcs: readonly number[];
  end: number;
  /** Plugin instrumentation, when plugins asked for some. */
  instr?: BlockInstrumentation;
}

/**
 * Makes the interpreter's code for a block: a function with the same
 * contract as a compiled block (`BlockFn`).
 */
export function interpretBlock(block: InterpretedBlock, rt: Runtime): (c: Cpu) => number {
  if (block.instr) return interpretInstrumented(block, block.instr, rt);
  const insns = block.insns, pcs = block.pcs, end = block.end;
  const handlers = insns.map(handlerFor);
  const n = insns.length;
  return (c: Cpu) => {
    const x = c.x;
    let k = 0;
    try {
      for (; k < n; k++) {
        const next = handlers[k](c, x, insns[k]!, pcs[k], rt);
        if (next !== undefined) return next;
      }
    } catch (err) {
      c.pc = pcs[k];
      throw err;
    }
    return end;
  };
}

// ---- Plugin instrumentation ---------------------------------------------
//
// The same actions as compiled code runs (`instrument.ts`), at the same
// points, so that instrumented blocks are interpreted for their first runs
// like any other: compiling every instrumented block at once cost an
// instrumented `busybox echo hi` 180 ms of its 600 (930 blocks, most run a
// few times). `interpreter_test.ts` checks that both tiers run the actions
// alike.

const SIZE_SHIFT: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** The memory actions of one instruction, run after each of its accesses. */
type AccessFn = ReturnType<typeof accessActions>;

/**
 * Makes the handler of a memory instruction with memory actions: the access
 * through the runtime's exact slow path, then the actions (with the base
 * register read before the instruction and the value the access moved, as
 * compiled code reports them), then the register write. A synchronous action
 * that moves the pc ends the block there.
 */
type AccessHandler = (after: AccessFn) => Handler;

function loadAccess(size: 1 | 2 | 4 | 8, signed: boolean): AccessHandler {
  const info = memInfo(SIZE_SHIFT[size], signed && size < 8, false);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
    const lo = rt.ld(c, bl, bh, i.imm, size, signed);
    const hi = size === 8 ? RH[0] : signed ? lo >> 31 : 0;
    if (after(c, pc, bl, bh, i.imm, info, lo, hi)) return c.pc;
    set(x, i.rd, lo, hi);
    return undefined;
  };
}

function storeAccess(size: 1 | 2 | 4 | 8): AccessHandler {
  const info = memInfo(SIZE_SHIFT[size], false, true);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = x[2 * i.rs2], vh = x[2 * i.rs2 + 1];
    rt.st(c, bl, bh, i.imm, size, vl, vh);
    return after(c, pc, bl, bh, i.imm, info, vl, vh) ? c.pc : undefined;
  };
}

/** As compiled code: FP loads go through the signed load path. */
/** flw, fld, and flh (zero-extended, as QEMU loads it). */
function fpLoadAccess(size: 2 | 4 | 8): AccessHandler {
  const info = memInfo(SIZE_SHIFT[size], size === 4, false);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
    const lo = rt.ld(c, bl, bh, i.imm, size, size !== 2);
    const hi = size === 8 ? RH[0] : size === 4 ? lo >> 31 : 0;
    if (after(c, pc, bl, bh, i.imm, info, lo, hi)) return c.pc;
    c.fi[2 * i.rd] = size === 2 ? lo | 0xffff0000 : lo;
    c.fi[2 * i.rd + 1] = size === 8 ? hi : -1;
    return undefined;
  };
}

function fpStoreAccess(size: 2 | 4 | 8): AccessHandler {
  const info = memInfo(SIZE_SHIFT[size], false, true);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = c.fi[2 * i.rs2], vh = size === 8 ? c.fi[2 * i.rs2 + 1] : 0;
    rt.st(c, bl, bh, i.imm, size, vl, vh);
    return after(c, pc, bl, bh, i.imm, info, vl, vh) ? c.pc : undefined;
  };
}

/** The access infos of an atomic of `size` bytes: its load (sign-extended for .w) and its store. */
function atomicInfos(size: 4 | 8): { loadInfo: number; storeInfo: number } {
  const shift = SIZE_SHIFT[size];
  return { loadInfo: memInfo(shift, size === 4, false), storeInfo: memInfo(shift, false, true) };
}

function lrAccess(size: 4 | 8): AccessHandler {
  const { loadInfo } = atomicInfos(size);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
    const lo = rt.lr(c, bl, bh, size), hi = RH[0];
    if (after(c, pc, bl, bh, 0, loadInfo, lo, hi)) return c.pc;
    set(x, i.rd, lo, hi);
    return undefined;
  };
}

function scAccess(size: 4 | 8): AccessHandler {
  const { loadInfo, storeInfo } = atomicInfos(size);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = x[2 * i.rs2], vh = x[2 * i.rs2 + 1];
    const r = rt.sc(c, bl, bh, size, vl, vh), ol = RH[1], oh = RH[2];
    if (after(c, pc, bl, bh, 0, loadInfo, ol, oh) || after(c, pc, bl, bh, 0, storeInfo, vl, vh)) return c.pc;
    set(x, i.rd, r, 0);
    return undefined;
  };
}

function amoAccess(op: typeof AMO_OPS[number], size: 4 | 8): AccessHandler {
  const code = AMO_OPS.indexOf(op);
  const { loadInfo, storeInfo } = atomicInfos(size);
  return (after) => (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
    const lo = rt.amo(c, code, bl, bh, size, x[2 * i.rs2], x[2 * i.rs2 + 1]), hi = RH[0], sl = RH[1], sh = RH[2];
    if (after(c, pc, bl, bh, 0, loadInfo, lo, hi) || after(c, pc, bl, bh, 0, storeInfo, sl, sh)) return c.pc;
    set(x, i.rd, lo, hi);
    return undefined;
  };
}

/**
 * The memory instructions' handlers with memory actions, by mnemonic. Typed
 * `Record<MemOp, …>`: an operation `rv64gc.decode` gives a memory access
 * fails `deno check` here until it has one.
 */
const ACCESS_HANDLERS: Readonly<Record<MemOp, AccessHandler>> = {
  lb: loadAccess(1, true),
  lh: loadAccess(2, true),
  lw: loadAccess(4, true),
  ld: loadAccess(8, true),
  lbu: loadAccess(1, false),
  lhu: loadAccess(2, false),
  lwu: loadAccess(4, false),
  sb: storeAccess(1),
  sh: storeAccess(2),
  sw: storeAccess(4),
  sd: storeAccess(8),
  "lr.w": lrAccess(4),
  "sc.w": scAccess(4),
  "amoswap.w": amoAccess("swap", 4),
  "amoadd.w": amoAccess("add", 4),
  "amoxor.w": amoAccess("xor", 4),
  "amoand.w": amoAccess("and", 4),
  "amoor.w": amoAccess("or", 4),
  "amomin.w": amoAccess("min", 4),
  "amomax.w": amoAccess("max", 4),
  "amominu.w": amoAccess("minu", 4),
  "amomaxu.w": amoAccess("maxu", 4),
  "lr.d": lrAccess(8),
  "sc.d": scAccess(8),
  "amoswap.d": amoAccess("swap", 8),
  "amoadd.d": amoAccess("add", 8),
  "amoxor.d": amoAccess("xor", 8),
  "amoand.d": amoAccess("and", 8),
  "amoor.d": amoAccess("or", 8),
  "amomin.d": amoAccess("min", 8),
  "amomax.d": amoAccess("max", 8),
  "amominu.d": amoAccess("minu", 8),
  "amomaxu.d": amoAccess("maxu", 8),
  flw: fpLoadAccess(4),
  fsw: fpStoreAccess(4),
  fld: fpLoadAccess(8),
  fsd: fpStoreAccess(8),
  flh: fpLoadAccess(2),
  fsh: fpStoreAccess(2),
};

/**
 * A vector load or store with memory actions: the runtime's `vector` helper
 * runs them after each element access.
 */
const vectorAccess: AccessHandler = (after) => (c, x, i, pc, rt) =>
  rt.vector(c, i.raw, x[2 * i.rs1], x[2 * i.rs1 + 1], x[2 * i.rs2], x[2 * i.rs2 + 1], after, pc) !== 0
    ? c.pc
    : undefined;

/**
 * The handler of a memory instruction with memory actions (see
 * {@link AccessHandler}); undefined for an instruction that does not access
 * memory.
 */
function memoryHandler(insn: Insn, actions: readonly MemAction[], P: PluginHooks): Handler | undefined {
  const byOp: Partial<Record<Op, AccessHandler>> = ACCESS_HANDLERS;
  const handler = VECTOR_OPS.includes(insn.op as VectorOp) && isVectorAccess(insn.raw) ? vectorAccess : byOp[insn.op];
  return handler?.(accessActions(actions, P));
}

/**
 * An instrumented block: block actions at entry, each instruction's
 * actions before it, memory actions after each access, as compiled code
 * runs them; a fault is reported to the plugins that stream records.
 */
function interpretInstrumented(block: InterpretedBlock, instr: BlockInstrumentation, rt: Runtime): (c: Cpu) => number {
  const insns = block.insns, pcs = block.pcs, end = block.end, n = insns.length, P = rt.P;
  const entry = execActions(instr.block, P);
  const before: (ActionsFn | undefined)[] = insns.map((_, k) => execActions(instr.insn[k], P));
  const handlers = insns.map((insn, k) => {
    const mem = instr.mem[k];
    return (insn && mem?.length ? memoryHandler(insn, mem, P) : undefined) ?? handlerFor(insn);
  });
  const records = streamsRecords(instr);
  return (c: Cpu) => {
    const x = c.x;
    let k = 0;
    try {
      if (entry !== undefined && entry(c, pcs[0])) return c.pc;
      for (; k < n; k++) {
        const pre = before[k];
        if (pre !== undefined && pre(c, pcs[k])) return c.pc;
        const next = handlers[k](c, x, insns[k]!, pcs[k], rt);
        if (next !== undefined) return next;
      }
    } catch (err) {
      c.pc = pcs[k];
      if (records) P.fault(c, pcs[k]);
      throw err;
    }
    return end;
  };
}
