/**
 * The interpreter: runs a decoded block without compiling it.
 *
 * Creating a JavaScript function for a block costs tens of microseconds
 * (measured: 70 ms for the 930 blocks `busybox echo hi` runs, most of its
 * time), and most blocks of a program's start-up run only a few times. So
 * a new block is interpreted first; the dispatcher compiles it once it has
 * run {@link COMPILE_THRESHOLD} times (more during the JIT warm-up:
 * `tb_cache.ts`). Plugin
 * instrumentation runs here too, as closures built once per block
 * (`plugin_actions.ts`).
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
import type { Insn } from "../isa/insn.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, EXIT_ILLEGAL } from "./emitter.ts";
import * as int64 from "./int64.ts";
import { LOADS, STORES } from "./memory_access.ts";
import { AMO_OPS, CSR_INSNS, csrWrites, type Runtime } from "./runtime.ts";
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
  return hi === 0 && lo >= 0 ? lo : hi * 4294967296 + (lo >>> 0);
}

function branch(cond: (ah: number, al: number, bh: number, bl: number) => boolean): Handler {
  return (_c, x, i, pc) => {
    const a = 2 * i.rs1, b = 2 * i.rs2;
    return cond(x[a + 1], x[a], x[b + 1], x[b]) ? pc + i.imm : pc + i.size;
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

function load(op: string): Handler {
  const { size, signed } = LOADS[op];
  return (c, x, i, _pc, rt) => {
    const a = 2 * i.rs1;
    const lo = rt.ld(c, x[a], x[a + 1], i.imm, size, signed);
    if (size === 8) set(x, i.rd, lo, RH[0]);
    else set(x, i.rd, lo, signed ? lo >> 31 : 0);
    return undefined;
  };
}

function store(op: string): Handler {
  const size = STORES[op];
  return (c, x, i, _pc, rt) => {
    const a = 2 * i.rs1, b = 2 * i.rs2;
    rt.st(c, x[a], x[a + 1], i.imm, size, x[b], x[b + 1]);
    return undefined;
  };
}

const nop: Handler = () => undefined;

/** RV64I, M, A and Zicsr handlers by mnemonic. */
const INTEGER: Record<string, Handler> = {
  lui: (_c, x, i) => (set(x, i.rd, i.imm | 0, i.imm >> 31), undefined),
  auipc: (_c, x, i, pc) => {
    const v = pc + i.imm;
    set(x, i.rd, v | 0, Math.floor(v / 4294967296) | 0);
    return undefined;
  },
  jal: (_c, x, i, pc) => {
    const link = pc + i.size;
    set(x, i.rd, link | 0, Math.floor(link / 4294967296) | 0);
    return pc + i.imm;
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
  pause: nop,
  "fence.i": (c, _x, i, pc) => ((c.pc = pc + i.size), EXIT_FENCE_I),
  ecall: (c, _x, _i, pc) => ((c.pc = pc), EXIT_ECALL),
  ebreak: (c, _x, _i, pc) => ((c.pc = pc), EXIT_EBREAK),
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
};
for (const op of Object.keys(LOADS)) INTEGER[op] = load(op);
for (const op of Object.keys(STORES)) INTEGER[op] = store(op);

for (const [suffix, size] of [["w", 4], ["d", 8]] as const) {
  INTEGER[`lr.${suffix}`] = (c, x, i, _pc, rt) => {
    const lo = rt.lr(c, x[2 * i.rs1], x[2 * i.rs1 + 1], size);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
  INTEGER[`sc.${suffix}`] = (c, x, i, _pc, rt) => {
    const r = rt.sc(c, x[2 * i.rs1], x[2 * i.rs1 + 1], size, x[2 * i.rs2], x[2 * i.rs2 + 1]);
    set(x, i.rd, r, 0);
    return undefined;
  };
  AMO_OPS.forEach((op, code) => {
    INTEGER[`amo${op}.${suffix}`] = (c, x, i, _pc, rt) => {
      const lo = rt.amo(c, code, x[2 * i.rs1], x[2 * i.rs1 + 1], size, x[2 * i.rs2], x[2 * i.rs2 + 1]);
      set(x, i.rd, lo, RH[0]);
      return undefined;
    };
  });
}

function csr(op: number, immediate: boolean): Handler {
  return (c, x, i, _pc, rt) => {
    const lo = rt.csr(c, i.csr, op, csrWrites(op, immediate, i), immediate ? i.imm : x[2 * i.rs1]);
    set(x, i.rd, lo, RH[0]);
    return undefined;
  };
}
for (const [name, [op, immediate]] of Object.entries(CSR_INSNS)) INTEGER[name] = csr(op, immediate);

// ---- F and D ----------------------------------------------------------

type FpHelper = (...args: number[] | [Cpu, ...number[]]) => number;

function fp(rt: Runtime, op: string): FpHelper {
  return (rt as unknown as Record<string, FpHelper>)[op.replaceAll(".", "_")];
}

/** Builds the F/D handler for `op`, or undefined when `op` is not F/D. */
function fpHandler(op: string): Handler | undefined {
  if (op === "flw") {
    return (c, x, i, _pc, rt) => {
      const v = rt.ld(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, 4, true);
      c.fi[2 * i.rd] = v;
      c.fi[2 * i.rd + 1] = -1;
      return undefined;
    };
  }
  if (op === "fld") {
    return (c, x, i, _pc, rt) => {
      const lo = rt.ld(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, 8, true);
      c.fi[2 * i.rd] = lo;
      c.fi[2 * i.rd + 1] = RH[0];
      return undefined;
    };
  }
  if (op === "fsw" || op === "fsd") {
    const size = op === "fsw" ? 4 : 8;
    return (c, x, i, _pc, rt) => {
      rt.st(c, x[2 * i.rs1], x[2 * i.rs1 + 1], i.imm, size, c.fi[2 * i.rs2], c.fi[2 * i.rs2 + 1]);
      return undefined;
    };
  }
  switch (op) {
    case "fmv.x.w":
      return (c, x, i) => (set32(x, i.rd, c.fi[2 * i.rs1]), undefined);
    case "fmv.w.x":
      return (c, x, i) => ((c.fi[2 * i.rd] = x[2 * i.rs1]), (c.fi[2 * i.rd + 1] = -1), undefined);
    case "fmv.x.d":
      return (c, x, i) => (set(x, i.rd, c.fi[2 * i.rs1], c.fi[2 * i.rs1 + 1]), undefined);
    case "fmv.d.x":
      return (c, x, i) => ((c.fi[2 * i.rd] = x[2 * i.rs1]), (c.fi[2 * i.rd + 1] = x[2 * i.rs1 + 1]), undefined);
  }
  const m = /^(f[a-z]+)\.([sdwlu]+)(?:\.([sdwlu]+))?$/.exec(op);
  if (!m) return undefined;
  const [, base, t1, t2] = m;
  const rounded = (rm: number) => rm !== 5 && rm !== 6;
  if (["fadd", "fsub", "fmul", "fdiv"].includes(base)) {
    return (
      c,
      _x,
      i,
      pc,
      rt,
    ) => (rounded(i.rm) ? (fp(rt, op)(c, i.rd, i.rs1, i.rs2, i.rm), undefined) : illegal(c, pc));
  }
  if (base === "fsqrt" || (base === "fcvt" && (t1 === "s" || t1 === "d") && (t2 === "s" || t2 === "d"))) {
    return (c, _x, i, pc, rt) => (rounded(i.rm) ? (fp(rt, op)(c, i.rd, i.rs1, i.rm), undefined) : illegal(c, pc));
  }
  if (["fmadd", "fmsub", "fnmsub", "fnmadd"].includes(base)) {
    return (c, _x, i, pc, rt) =>
      rounded(i.rm) ? (fp(rt, op)(c, i.rd, i.rs1, i.rs2, i.rs3, i.rm), undefined) : illegal(c, pc);
  }
  if (["fmin", "fmax", "fsgnj", "fsgnjn", "fsgnjx"].includes(base)) {
    return (c, _x, i, _pc, rt) => (fp(rt, op)(c, i.rd, i.rs1, i.rs2), undefined);
  }
  if (["feq", "flt", "fle"].includes(base)) {
    return (c, x, i, _pc, rt) => (set(x, i.rd, fp(rt, op)(c, i.rs1, i.rs2), 0), undefined);
  }
  if (base === "fclass") return (c, x, i, _pc, rt) => (set(x, i.rd, fp(rt, op)(c, i.rs1), 0), undefined);
  if (base === "fcvt" && (t2 === "s" || t2 === "d")) {
    // To integer: w/wu are sign-extended 32-bit results, l/lu 64-bit with the high word in c.retHi.
    const wide = t1 === "l" || t1 === "lu";
    return (c, x, i, pc, rt) => {
      if (!rounded(i.rm)) return illegal(c, pc);
      const lo = fp(rt, op)(c, i.rs1, i.rm);
      set(x, i.rd, lo, wide ? c.retHi : lo >> 31);
      return undefined;
    };
  }
  if (base === "fcvt") {
    // From integer.
    const wide = t2 === "l" || t2 === "lu";
    return (c, x, i, pc, rt) => {
      if (!rounded(i.rm)) return illegal(c, pc);
      const a = 2 * i.rs1;
      if (wide) fp(rt, op)(c, i.rd, x[a], x[a + 1], i.rm);
      else fp(rt, op)(c, i.rd, x[a], i.rm);
      return undefined;
    };
  }
  return undefined;
}

function illegal(c: Cpu, pc: number): number {
  c.pc = pc;
  return EXIT_ILLEGAL;
}

const illegalHandler: Handler = (c, _x, _i, pc) => illegal(c, pc);

const cache = new Map<string, Handler>(Object.entries(INTEGER));

/** The handler for a decoded instruction (an illegal-instruction handler for `null` or unknown ops). */
export function handlerFor(insn: Insn | null): Handler {
  if (!insn) return illegalHandler;
  let h = cache.get(insn.op);
  if (!h) {
    h = fpHandler(insn.op) ?? illegalHandler;
    cache.set(insn.op, h);
  }
  return h;
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

/**
 * The handler of a memory instruction with memory actions: the access
 * through the runtime's exact slow path, then the actions (with the base
 * register read before the instruction and the value the access moved,
 * as compiled code reports them), then the register write. A synchronous
 * action that moves the pc ends the block there. Undefined for an
 * instruction that does not access memory.
 */
export function memoryHandler(op: string, actions: readonly MemAction[], P: PluginHooks): Handler | undefined {
  const after = accessActions(actions, P);
  const load = LOADS[op];
  if (load) {
    const { size, signed } = load, info = memInfo(SIZE_SHIFT[size], signed && size < 8, false);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
      const lo = rt.ld(c, bl, bh, i.imm, size, signed);
      const hi = size === 8 ? RH[0] : signed ? lo >> 31 : 0;
      if (after(c, pc, bl, bh, i.imm, info, lo, hi)) return c.pc;
      set(x, i.rd, lo, hi);
      return undefined;
    };
  }
  const store = STORES[op];
  if (store) {
    const info = memInfo(SIZE_SHIFT[store], false, true);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = x[2 * i.rs2], vh = x[2 * i.rs2 + 1];
      rt.st(c, bl, bh, i.imm, store, vl, vh);
      return after(c, pc, bl, bh, i.imm, info, vl, vh) ? c.pc : undefined;
    };
  }
  if (op === "flw" || op === "fld") {
    // As compiled code: FP loads go through the signed load path.
    const size = op === "flw" ? 4 : 8, info = memInfo(SIZE_SHIFT[size], size < 8, false);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
      const lo = rt.ld(c, bl, bh, i.imm, size, true);
      const hi = size === 8 ? RH[0] : lo >> 31;
      if (after(c, pc, bl, bh, i.imm, info, lo, hi)) return c.pc;
      c.fi[2 * i.rd] = lo;
      c.fi[2 * i.rd + 1] = size === 8 ? hi : -1;
      return undefined;
    };
  }
  if (op === "fsw" || op === "fsd") {
    const size = op === "fsw" ? 4 : 8, info = memInfo(SIZE_SHIFT[size], false, true);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = c.fi[2 * i.rs2], vh = size === 8 ? c.fi[2 * i.rs2 + 1] : 0;
      rt.st(c, bl, bh, i.imm, size, vl, vh);
      return after(c, pc, bl, bh, i.imm, info, vl, vh) ? c.pc : undefined;
    };
  }
  const atomic = /^(lr|sc|amo\w+)\.([wd])$/.exec(op);
  if (!atomic) return undefined;
  const size = atomic[2] === "w" ? 4 : 8, shift = SIZE_SHIFT[size];
  const loadInfo = memInfo(shift, size === 4, false), storeInfo = memInfo(shift, false, true);
  if (atomic[1] === "lr") {
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
      const lo = rt.lr(c, bl, bh, size), hi = RH[0];
      if (after(c, pc, bl, bh, 0, loadInfo, lo, hi)) return c.pc;
      set(x, i.rd, lo, hi);
      return undefined;
    };
  }
  if (atomic[1] === "sc") {
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = x[2 * i.rs2], vh = x[2 * i.rs2 + 1];
      const r = rt.sc(c, bl, bh, size, vl, vh), ol = RH[1], oh = RH[2];
      if (after(c, pc, bl, bh, 0, loadInfo, ol, oh) || after(c, pc, bl, bh, 0, storeInfo, vl, vh)) return c.pc;
      set(x, i.rd, r, 0);
      return undefined;
    };
  }
  const code = AMO_OPS.indexOf(atomic[1].slice(3) as typeof AMO_OPS[number]);
  if (code < 0) return undefined;
  return (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
    const lo = rt.amo(c, code, bl, bh, size, x[2 * i.rs2], x[2 * i.rs2 + 1]), hi = RH[0], sl = RH[1], sh = RH[2];
    if (after(c, pc, bl, bh, 0, loadInfo, lo, hi) || after(c, pc, bl, bh, 0, storeInfo, sl, sh)) return c.pc;
    set(x, i.rd, lo, hi);
    return undefined;
  };
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
    return (insn && mem?.length ? memoryHandler(insn.op, mem, P) : undefined) ?? handlerFor(insn);
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
