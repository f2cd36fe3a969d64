/**
 * Fast paths of the frequent vector instructions, each made for one shape:
 * one instruction word under one `vtype` and one `vl`, with `vstart` 0 and
 * no plugin watching its accesses. A vectorized loop runs the same words
 * under the same shape thousands of times; the general executors decide
 * SEW, LMUL, the mask and the element walk at every run (20–40 ns an
 * instruction, twice the time of the scalar build of the same loops), while
 * a fast path is straight-line code with every register offset and element
 * count a constant.
 *
 * A fast path is made for the shape its word last ran in without throwing
 * (inlined in compiled code), or once its general executor has run
 * {@link VECTOR_FAST_POLICY}`.runs` times in a row under one shape: the
 * encoding is then legal under that `vtype` (legality depends
 * on the word and `vtype`, and for FP instructions on `frm`, which their
 * fast paths test), so the fast path checks nothing of it. What
 * depends on the data is checked on every run, and the fast path declines
 * (returns false, having written nothing) when the general executor must
 * decide: memory that is not mapped with the access's permission in one
 * piece, a store into translated code or under a write watch, an address
 * not word-aligned, an FP operation whose flags or rounding the host cannot
 * give (a rounding mode other than nearest-even, NX not yet accrued, a
 * result that is not a normal number: zero, subnormal, infinite or NaN).
 * Tail and masked-off elements stay undisturbed, as the general executors
 * leave them (QEMU 10's default).
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { type AddressSpace, PAGE_CODE, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { MIN_NORMAL_D, MIN_NORMAL_S } from "../../fpu/_eft.ts";
import type { Op } from "../../isa/ops_generated.ts";
import { type Executor, fields, lmulLog2, simm5, VLENB } from "./element.ts";
import { popcount32 } from "./integer.ts";

/**
 * Runs of one word under one shape before its executor takes a fast path of
 * its own (0: never). Compiled code inlines fast paths (so hot words rarely
 * reach their executor); the executor's own serves interpreted blocks and
 * words that keep running in a shape compiled code did not inline. Building
 * one (`new Function`, 30-60 µs) costs what about 1,000 runs of the general
 * executor save: at 64 runs, `rva23 1` spent 6.7 ms building fast paths for
 * blocks about to be compiled.
 */
export const VECTOR_FAST_POLICY: { runs: number } = { runs: 1000 };

/** Most fast paths one word builds (a word whose shape keeps changing keeps its general executor). */
const MAX_BUILDS = 4;

/** Most elements written straight-line; longer vectors keep the general executor. */
const MAX_ELEMENTS = 64;

/** A fast path: true when it ran the instruction, false when it declined and changed nothing. */
export type FastPath = (c: Cpu, lo1: number, hi1: number) => boolean;

/** Element views of `VectorState` by element bytes. */
const VIEW: Record<number, string> = { 1: "s.v", 2: "s.u16", 4: "s.u32", 8: "s.u32" };

/** All ones of an element of `bytes` bytes (at most 4). */
const ONES: Record<number, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

/** `e` (an unsigned element of `bytes` bytes, at most 4) as a signed number. */
function signed(e: string, bytes: number): string {
  return bytes === 4 ? `(${e} | 0)` : `((${e} << ${32 - 8 * bytes}) >> ${32 - 8 * bytes})`;
}

/** A value of at most 32 bits, unsigned, with its signed reading. */
interface Small {
  u: string;
  s: string;
}

/** A 64-bit value as two unsigned words. */
interface Pair {
  lo: string;
  hi: string;
}

/** Single-width integer operations on elements of at most 32 bits: the result, taken modulo 2^SEW when stored. */
const SMALL_OPS: Record<string, (a: Small, b: Small, w: number) => string> = {
  vadd: (a, b) => `${a.u} + ${b.u}`,
  vsub: (a, b) => `${a.u} - ${b.u}`,
  vrsub: (a, b) => `${b.u} - ${a.u}`,
  vand: (a, b) => `${a.u} & ${b.u}`,
  vor: (a, b) => `${a.u} | ${b.u}`,
  vxor: (a, b) => `${a.u} ^ ${b.u}`,
  vandn: (a, b) => `${a.u} & ~${b.u}`,
  vminu: (a, b) => `${a.u} < ${b.u} ? ${a.u} : ${b.u}`,
  vmaxu: (a, b) => `${a.u} > ${b.u} ? ${a.u} : ${b.u}`,
  vmin: (a, b) => `${a.s} < ${b.s} ? ${a.u} : ${b.u}`,
  vmax: (a, b) => `${a.s} > ${b.s} ? ${a.u} : ${b.u}`,
  vmul: (a, b) => `Math.imul(${a.u}, ${b.u})`,
  vsll: (a, b, w) => `${a.u} << (${b.u} & ${w - 1})`,
  vsrl: (a, b, w) => `${a.u} >>> (${b.u} & ${w - 1})`,
  vsra: (a, b, w) => `${a.s} >> (${b.u} & ${w - 1})`,
  "vmv.v": (_a, b) => b.u,
};

/** `a < b` (or `<=` with `orEqual`) of two 64-bit values, signed or not. */
function pairLess(a: Pair, b: Pair, signedHi: boolean, orEqual: boolean): string {
  const ah = signedHi ? `(${a.hi} | 0)` : a.hi, bh = signedHi ? `(${b.hi} | 0)` : b.hi;
  return `(${ah} < ${bh} || (${a.hi} === ${b.hi} && ${a.lo} ${orEqual ? "<=" : "<"} ${b.lo}))`;
}

/** Single-width integer operations on 64-bit elements: the result's two words (each taken modulo 2^32 when stored). */
const PAIR_OPS: Record<string, (a: Pair, b: Pair, t: string) => [string, string, string?]> = {
  // The third entry is a statement run first; `t` is a name free for it.
  vadd: (a, b, t) => [t, `${a.hi} + ${b.hi} + (${t} > 4294967295 ? 1 : 0)`, `const ${t} = ${a.lo} + ${b.lo};`],
  vsub: (a, b, t) => [t, `${a.hi} - ${b.hi} - (${t} < 0 ? 1 : 0)`, `const ${t} = ${a.lo} - ${b.lo};`],
  vrsub: (a, b, t) => [t, `${b.hi} - ${a.hi} - (${t} < 0 ? 1 : 0)`, `const ${t} = ${b.lo} - ${a.lo};`],
  vand: (a, b) => [`${a.lo} & ${b.lo}`, `${a.hi} & ${b.hi}`],
  vor: (a, b) => [`${a.lo} | ${b.lo}`, `${a.hi} | ${b.hi}`],
  vxor: (a, b) => [`${a.lo} ^ ${b.lo}`, `${a.hi} ^ ${b.hi}`],
  vandn: (a, b) => [`${a.lo} & ~${b.lo}`, `${a.hi} & ~${b.hi}`],
  vminu: (
    a,
    b,
    t,
  ) => [`${t} ? ${a.lo} : ${b.lo}`, `${t} ? ${a.hi} : ${b.hi}`, `const ${t} = ${pairLess(a, b, false, false)};`],
  vmaxu: (
    a,
    b,
    t,
  ) => [`${t} ? ${a.lo} : ${b.lo}`, `${t} ? ${a.hi} : ${b.hi}`, `const ${t} = ${pairLess(b, a, false, false)};`],
  vmin: (
    a,
    b,
    t,
  ) => [`${t} ? ${a.lo} : ${b.lo}`, `${t} ? ${a.hi} : ${b.hi}`, `const ${t} = ${pairLess(a, b, true, false)};`],
  vmax: (
    a,
    b,
    t,
  ) => [`${t} ? ${a.lo} : ${b.lo}`, `${t} ? ${a.hi} : ${b.hi}`, `const ${t} = ${pairLess(b, a, true, false)};`],
  "vmv.v": (_a, b) => [b.lo, b.hi],
};

/** Integer compares into a mask bit, on elements of at most 32 bits. */
const SMALL_COMPARES: Record<string, (a: Small, b: Small) => string> = {
  vmseq: (a, b) => `${a.u} === ${b.u}`,
  vmsne: (a, b) => `${a.u} !== ${b.u}`,
  vmsltu: (a, b) => `${a.u} < ${b.u}`,
  vmslt: (a, b) => `${a.s} < ${b.s}`,
  vmsleu: (a, b) => `${a.u} <= ${b.u}`,
  vmsle: (a, b) => `${a.s} <= ${b.s}`,
  vmsgtu: (a, b) => `${a.u} > ${b.u}`,
  vmsgt: (a, b) => `${a.s} > ${b.s}`,
};

/** Integer compares into a mask bit, on 64-bit elements. */
const PAIR_COMPARES: Record<string, (a: Pair, b: Pair) => string> = {
  vmseq: (a, b) => `(${a.lo} === ${b.lo} && ${a.hi} === ${b.hi})`,
  vmsne: (a, b) => `(${a.lo} !== ${b.lo} || ${a.hi} !== ${b.hi})`,
  vmsltu: (a, b) => pairLess(a, b, false, false),
  vmslt: (a, b) => pairLess(a, b, true, false),
  vmsleu: (a, b) => pairLess(a, b, false, true),
  vmsle: (a, b) => pairLess(a, b, true, true),
  vmsgtu: (a, b) => pairLess(b, a, false, false),
  vmsgt: (a, b) => pairLess(b, a, true, false),
};

/** FP operations, `a` vs2's element and `b` vs1's or f[rs1]; the host's result, rounded to the element's format. */
const FP_OPS: Record<string, (a: string, b: string) => string> = {
  vfadd: (a, b) => `${a} + ${b}`,
  vfsub: (a, b) => `${a} - ${b}`,
  vfrsub: (a, b) => `${b} - ${a}`,
  vfmul: (a, b) => `${a} * ${b}`,
  vfdiv: (a, b) => `${a} / ${b}`,
  vfrdiv: (a, b) => `${b} / ${a}`,
};

/** The shape a fast path is made for and the instruction's fields. */
export interface Shape {
  vd: number;
  vs1: number;
  vs2: number;
  vm: boolean;
  /** SEW in bytes. */
  sew: number;
  /** log2 LMUL. */
  lmul: number;
  vl: number;
}

/** Unit-stride loads and stores of one EEW (`vle32.v`, `vse8.v`…). */
const UNIT_STRIDE = /^v[ls]e(8|16|32|64)\.v$/;
/** Whole-register loads and stores (`vl2re32.v`, `vs4r.v`…), the registers' count captured. */
const WHOLE_ACCESS = /^v(?:l([1248])re\d+|s([1248])r)\.v$/;
/** Whole-register moves (`vmv2r.v`…), the registers' count captured. */
const WHOLE_MOVE = /^vmv([1248])r\.v$/;

/** The generated statements of the fast path of `op` under `shape`, or undefined if it has none. */
export function fastSource(op: Op, raw: number, shape: Shape): string | undefined {
  const dot = op.lastIndexOf("."), name = op.slice(0, dot), form = op.slice(dot + 1);
  if (UNIT_STRIDE.test(op)) return unitStride(op[1] === "s", Number(op.slice(3, -2)) / 8, raw, shape);
  const whole = WHOLE_ACCESS.exec(op);
  if (whole) return wholeRegisters(op[1] === "s", Number(whole[1] ?? whole[2]), shape);
  const move = WHOLE_MOVE.exec(op);
  if (move) return copyRegisters(shape.vs2, shape.vd, Number(move[1]));
  if (shape.vl > MAX_ELEMENTS) return undefined;
  if (name in FP_OPS && (form === "vv" || form === "vf")) return floatOp(FP_OPS[name], form === "vf", shape);
  if (op === "vfredosum.vs" || op === "vfredusum.vs") return orderedSum(shape);
  if (op === "vfwcvt.f.f.v") return widenFloat(shape);
  if (op === "vfmv.s.f") return floatToElement(shape);
  if (op === "vfmv.f.s") return elementToFloat(raw, shape);
  const extension = /^v([zs])ext\.vf([248])$/.exec(op);
  if (extension) return extend(extension[1] === "s", Number(extension[2]), shape);
  const widening = /^vw(add|sub)(u?)\.([vw])([vx])$/.exec(op);
  if (widening) {
    return widen(widening[1] === "add", widening[2] === "", widening[3] === "w", widening[4] === "x", shape);
  }
  if (op === "vcpop.v") return unary(shape);
  const vmv = op.startsWith("vmv.v.");
  // vmv.v.v, vmv.v.x and vmv.v.i take their operand as the .vv, .vx and .vi forms do.
  const base = vmv ? "vmv.v" : name, operandForm = vmv ? `v${op.slice(6)}` : form;
  if (operandForm !== "vv" && operandForm !== "vx" && operandForm !== "vi") return undefined;
  if (base in SMALL_COMPARES) return compare(base, operandForm, raw, shape);
  if (base in SMALL_OPS) return single(base, operandForm, raw, shape);
  return undefined;
}

/** Elements of SEW `sew` bytes per register. */
function perReg(sew: number): number {
  return VLENB / sew;
}

/** The test of mask bit `k` (of v0). */
function maskTest(k: number): string {
  return `(s.v[${k >> 3}] & ${1 << (k & 7)}) !== 0`;
}

/** The second operand, once (x[rs1] or the immediate), for elements of `sew` bytes. */
function scalarOperand(
  form: string,
  raw: number,
  sew: number,
  shifts: boolean,
): { decl: string; small: Small; pair: Pair } {
  if (form === "vx") {
    if (sew === 8) {
      return { decl: "const xl = lo1 >>> 0, xh = hi1 >>> 0;", small: { u: "", s: "" }, pair: { lo: "xl", hi: "xh" } };
    }
    return {
      decl: `const xu = ${sew === 4 ? "lo1 >>> 0" : `lo1 & ${ONES[sew]}`}, xs = ${signed("xu", sew)};`,
      small: { u: "xu", s: "xs" },
      pair: { lo: "", hi: "" },
    };
  }
  // The shifts take the immediate unsigned (uimm5), everything else sign-extends it.
  const imm = shifts ? (raw >>> 15) & 31 : simm5(raw);
  return {
    decl: "",
    small: { u: String(sew === 4 ? imm >>> 0 : imm & ONES[sew]), s: String(imm) },
    pair: { lo: String(imm >>> 0), hi: imm < 0 ? "4294967295" : "0" },
  };
}

/** Single-width integer operations: vd[k] = op(vs2[k], vs1[k] | x[rs1] | imm) for k < vl, masked as vm says. */
function single(base: string, form: string, raw: number, sh: Shape): string | undefined {
  const lines: string[] = [], stores: string[] = [];
  const shifts = base === "vsll" || base === "vsrl" || base === "vsra";
  if (sh.sew === 8) {
    const op = PAIR_OPS[base];
    if (!op) return undefined;
    const scalar = form === "vv" ? undefined : scalarOperand(form, raw, 8, shifts);
    if (scalar?.decl) lines.push(scalar.decl);
    lines.push("const U = s.u32;");
    const n = perReg(8);
    for (let k = 0; k < sh.vl; k++) {
      const a = { lo: `U[${2 * (sh.vs2 * n + k)}]`, hi: `U[${2 * (sh.vs2 * n + k) + 1}]` };
      const b = scalar ? scalar.pair : { lo: `U[${2 * (sh.vs1 * n + k)}]`, hi: `U[${2 * (sh.vs1 * n + k) + 1}]` };
      const [lo, hi, first] = op(a, b, `t${k}`);
      if (first) lines.push(first);
      lines.push(`const l${k} = ${lo}, h${k} = ${hi};`);
      const at = 2 * (sh.vd * n + k);
      const store = `U[${at}] = l${k}; U[${at + 1}] = h${k};`;
      stores.push(sh.vm ? store : `if (${maskTest(k)}) { ${store} }`);
    }
    return [...lines, ...stores, "return true;"].join("\n");
  }
  const op = SMALL_OPS[base], n = perReg(sh.sew);
  const scalar = form === "vv" ? undefined : scalarOperand(form, raw, sh.sew, shifts);
  if (scalar?.decl) lines.push(scalar.decl);
  lines.push(`const U = ${VIEW[sh.sew]};`);
  for (let k = 0; k < sh.vl; k++) {
    const a = `U[${sh.vs2 * n + k}]`, b = scalar ? scalar.small : undefined;
    lines.push(`const a${k} = ${a};`);
    let bs = b;
    if (!bs) {
      lines.push(`const b${k} = U[${sh.vs1 * n + k}];`);
      bs = { u: `b${k}`, s: signed(`b${k}`, sh.sew) };
    }
    lines.push(`const r${k} = ${op({ u: `a${k}`, s: signed(`a${k}`, sh.sew) }, bs, 8 * sh.sew)};`);
    const store = `U[${sh.vd * n + k}] = r${k};`;
    stores.push(sh.vm ? store : `if (${maskTest(k)}) ${store}`);
  }
  return [...lines, ...stores, "return true;"].join("\n");
}

/**
 * Integer compares: bit k of vd = cmp(vs2[k], vs1[k] | x[rs1] | imm) for
 * k < vl (active ones when masked); every bit is found before vd, which may
 * be a source, is written.
 */
function compare(base: string, form: string, raw: number, sh: Shape): string {
  const lines: string[] = [], n = perReg(sh.sew);
  const scalar = form === "vv" ? undefined : scalarOperand(form, raw, sh.sew, false);
  if (scalar?.decl) lines.push(scalar.decl);
  lines.push(`const U = ${VIEW[sh.sew]};`);
  const bytes = Math.ceil(sh.vl / 8);
  for (let j = 0; j < bytes; j++) lines.push(`let m${j} = 0;`);
  for (let k = 0; k < sh.vl; k++) {
    let cond: string;
    if (sh.sew === 8) {
      const a = { lo: `U[${2 * (sh.vs2 * n + k)}]`, hi: `U[${2 * (sh.vs2 * n + k) + 1}]` };
      const b = scalar ? scalar.pair : { lo: `U[${2 * (sh.vs1 * n + k)}]`, hi: `U[${2 * (sh.vs1 * n + k) + 1}]` };
      cond = PAIR_COMPARES[base](a, b);
    } else {
      lines.push(`const a${k} = U[${sh.vs2 * n + k}];`);
      let b = scalar?.small;
      if (!b) {
        lines.push(`const b${k} = U[${sh.vs1 * n + k}];`);
        b = { u: `b${k}`, s: signed(`b${k}`, sh.sew) };
      }
      cond = SMALL_COMPARES[base]({ u: `a${k}`, s: signed(`a${k}`, sh.sew) }, b);
    }
    lines.push(`if (${cond}) m${k >> 3} |= ${1 << (k & 7)};`);
  }
  for (let j = 0; j < bytes; j++) {
    const body = Math.min(8, sh.vl - 8 * j) === 8 ? 0xff : (1 << (sh.vl - 8 * j)) - 1, at = sh.vd * VLENB + j;
    if (sh.vm) lines.push(`s.v[${at}] = (s.v[${at}] & ${~body & 0xff}) | m${j};`);
    else lines.push(`{ const on = s.v[${j}] & ${body}; s.v[${at}] = (s.v[${at}] & ~on) | (m${j} & on); }`);
  }
  lines.push("return true;");
  return lines.join("\n");
}

/** vcpop.v: the set bits of each element. */
function unary(sh: Shape): string {
  const lines: string[] = [], stores: string[] = [], n = perReg(sh.sew);
  lines.push(`const U = ${VIEW[sh.sew]};`);
  for (let k = 0; k < sh.vl; k++) {
    if (sh.sew === 8) {
      const a = 2 * (sh.vs2 * n + k), d = 2 * (sh.vd * n + k);
      lines.push(`const r${k} = P(U[${a}]) + P(U[${a + 1}]);`);
      const store = `U[${d}] = r${k}; U[${d + 1}] = 0;`;
      stores.push(sh.vm ? store : `if (${maskTest(k)}) { ${store} }`);
    } else {
      lines.push(`const r${k} = P(U[${sh.vs2 * n + k}]);`);
      const store = `U[${sh.vd * n + k}] = r${k};`;
      stores.push(sh.vm ? store : `if (${maskTest(k)}) ${store}`);
    }
  }
  return [...lines, ...stores, "return true;"].join("\n");
}

/** vzext.vfN / vsext.vfN: vd[k] (SEW) = vs2[k] (SEW/N), extended. */
function extend(sign: boolean, factor: number, sh: Shape): string | undefined {
  const from = sh.sew / factor;
  if (from < 1) return undefined;
  const lines = [`const S = ${VIEW[from]}, U = ${VIEW[sh.sew]};`], stores: string[] = [];
  for (let k = 0; k < sh.vl; k++) {
    const src = `S[${sh.vs2 * perReg(from) + k}]`;
    if (sh.sew === 8) {
      lines.push(`const l${k} = ${sign ? signed(src, from) : src};`);
      const d = 2 * (sh.vd * perReg(8) + k);
      const store = `U[${d}] = l${k}; U[${d + 1}] = ${sign ? `l${k} < 0 ? 4294967295 : 0` : "0"};`;
      stores.push(sh.vm ? store : `if (${maskTest(k)}) { ${store} }`);
    } else {
      lines.push(`const r${k} = ${sign ? signed(src, from) : src};`);
      const store = `U[${sh.vd * perReg(sh.sew) + k}] = r${k};`;
      stores.push(sh.vm ? store : `if (${maskTest(k)}) ${store}`);
    }
  }
  return [...lines, ...stores, "return true;"].join("\n");
}

/**
 * Widening adds and subtracts with a result of at most 32 bits: vd[k]
 * (2·SEW) = vs2[k] (2·SEW for .w forms, else SEW extended) ± vs1[k] or
 * x[rs1] (SEW, extended).
 */
function widen(add: boolean, sign: boolean, wide: boolean, scalar: boolean, sh: Shape): string | undefined {
  const wsew = 2 * sh.sew;
  if (wsew > 4) return undefined;
  const lines = [`const N = ${VIEW[sh.sew]}, W = ${VIEW[wsew]};`], stores: string[] = [];
  const ext = (e: string) => sign ? signed(e, sh.sew) : e;
  if (scalar) lines.push(`const x = ${ext(`(lo1 & ${ONES[sh.sew]})`)};`);
  for (let k = 0; k < sh.vl; k++) {
    const a = wide ? `W[${sh.vs2 * perReg(wsew) + k}]` : ext(`N[${sh.vs2 * perReg(sh.sew) + k}]`);
    const b = scalar ? "x" : ext(`N[${sh.vs1 * perReg(sh.sew) + k}]`);
    lines.push(`const r${k} = ${a} ${add ? "+" : "-"} ${b};`);
    const store = `W[${sh.vd * perReg(wsew) + k}] = r${k};`;
    stores.push(sh.vm ? store : `if (${maskTest(k)}) ${store}`);
  }
  return [...lines, ...stores, "return true;"].join("\n");
}

/** The guard of every FP fast path that rounds: the host's rounding is the guest's, and no flag but NX can be new. */
const FP_GUARD = "if (c.frm !== 0 || (c.fflags & 1) === 0) return false;";

/**
 * The guard of the FP fast paths that do not round: a reserved `frm` (5…7)
 * makes every vector FP instruction illegal, as under QEMU 10, whatever the
 * encoding (legality that depends on the state, not only on the word and
 * `vtype`).
 */
const FRM_GUARD = "if (c.frm > 4) return false;";

/** The test that `r` is a normal number (a fast path declines otherwise: the exact helpers decide its flags). */
function normal(r: string, sew: number): string {
  const min = sew === 4 ? MIN_NORMAL_S : MIN_NORMAL_D;
  return `{ const m = Math.abs(${r}); if (!(m > ${min} && m < Infinity)) return false; }`;
}

/** The FP scalar f[rs1] of a .vf form as a number: NaN-boxed for SEW 32 (else the fast path declines). */
function fpScalar(sew: number): string {
  return sew === 4
    ? "if (hi1 !== -1) return false; B32[0] = lo1; const f = BF32[0];"
    : "B32[0] = lo1; B32[1] = hi1; const f = BF64[0];";
}

/** FP element-wise operations at SEW 32 and 64, unmasked. */
function floatOp(op: (a: string, b: string) => string, vf: boolean, sh: Shape): string | undefined {
  if ((sh.sew !== 4 && sh.sew !== 8) || !sh.vm) return undefined;
  const round = (e: string) => sh.sew === 4 ? `Math.fround(${e})` : e, n = perReg(sh.sew);
  const lines = [FP_GUARD, `const F = ${sh.sew === 4 ? "s.f32" : "s.f64"};`];
  if (vf) lines.push(fpScalar(sh.sew));
  const stores: string[] = [];
  for (let k = 0; k < sh.vl; k++) {
    const b = vf ? "f" : `F[${sh.vs1 * n + k}]`;
    lines.push(`const r${k} = ${round(op(`F[${sh.vs2 * n + k}]`, b))};`, normal(`r${k}`, sh.sew));
    stores.push(`F[${sh.vd * n + k}] = r${k};`);
  }
  return [...lines, ...stores, "return true;"].join("\n");
}

/** vfredosum.vs and vfredusum.vs (QEMU sums both in order): vd[0] = vs1[0] + vs2[0] + … + vs2[vl-1], unmasked. */
function orderedSum(sh: Shape): string | undefined {
  if ((sh.sew !== 4 && sh.sew !== 8) || !sh.vm) return undefined;
  if (sh.vl === 0) return `${FRM_GUARD}\nreturn true;`;
  const round = (e: string) => sh.sew === 4 ? `Math.fround(${e})` : e, n = perReg(sh.sew);
  const lines = [FP_GUARD, `const F = ${sh.sew === 4 ? "s.f32" : "s.f64"};`, `let r = F[${sh.vs1 * n}];`];
  for (let k = 0; k < sh.vl; k++) lines.push(`r = ${round(`r + F[${sh.vs2 * n + k}]`)};`, normal("r", sh.sew));
  lines.push(`F[${sh.vd * n}] = r;`, "return true;");
  return lines.join("\n");
}

/**
 * vfwcvt.f.f.v, unmasked: half to single (SEW 16) or single to double
 * (SEW 32), exact; a NaN or an infinity is the general executor's (a
 * signaling NaN raises NV).
 */
function widenFloat(sh: Shape): string | undefined {
  if ((sh.sew !== 2 && sh.sew !== 4) || !sh.vm) return undefined;
  const lines: string[] = [], stores: string[] = [];
  lines.push(FRM_GUARD, sh.sew === 2 ? "const S = s.u16, U = s.u32, W = s.f32;" : "const S = s.f32, W = s.f64;");
  for (let k = 0; k < sh.vl; k++) {
    const e = `S[${sh.vs2 * perReg(sh.sew) + k}]`, d = sh.vd * perReg(2 * sh.sew) + k;
    if (sh.sew === 2) {
      // A normal half's bits become a single's by moving its fields (the exponent rebiased by 127 - 15); a
      // subnormal one (or zero) is its fraction times 2^-24.
      lines.push(`const h${k} = ${e}; if ((h${k} & 31744) === 31744) return false;`);
      stores.push(
        `if ((h${k} & 31744) !== 0) U[${d}] = ((h${k} & 32768) << 16) | (((h${k} & 32767) + 114688) << 13);`,
        `else W[${d}] = (h${k} & 32768 ? -1 : 1) * (h${k} & 1023) * ${2 ** -24};`,
      );
    } else {
      lines.push(`const r${k} = ${e}; if (r${k} !== r${k} || Math.abs(r${k}) === Infinity) return false;`);
      stores.push(`W[${d}] = r${k};`);
    }
  }
  return [...lines, ...stores, "return true;"].join("\n");
}

/** vfmv.s.f: vd[0] = f[rs1] at SEW 16, 32 or 64 when vl > 0; a scalar not NaN-boxed is the general executor's. */
function floatToElement(sh: Shape): string | undefined {
  const at = sh.vd * VLENB;
  const body = sh.vl === 0 ? "return true;" : {
    2: `if (hi1 !== -1 || (lo1 >>> 16) !== 65535) return false;\ns.u16[${at / 2}] = lo1;\nreturn true;`,
    4: `if (hi1 !== -1) return false;\ns.i32[${at / 4}] = lo1;\nreturn true;`,
    8: `s.i32[${at / 4}] = lo1;\ns.i32[${at / 4 + 1}] = hi1;\nreturn true;`,
  }[sh.sew];
  return body === undefined ? undefined : `${FRM_GUARD}\n${body}`;
}

/** vfmv.f.s: f[rd] = vs2[0] at SEW 16, 32 or 64, NaN-boxed to 64 bits (whatever vl is). */
function elementToFloat(raw: number, sh: Shape): string | undefined {
  const rd = (raw >>> 7) & 31, at = sh.vs2 * VLENB;
  const body = {
    2: `c.fi[${2 * rd}] = s.u16[${at / 2}] | -65536;\nc.fi[${2 * rd + 1}] = -1;\nreturn true;`,
    4: `c.fi[${2 * rd}] = s.i32[${at / 4}];\nc.fi[${2 * rd + 1}] = -1;\nreturn true;`,
    8: `c.fi[${2 * rd}] = s.i32[${at / 4}];\nc.fi[${2 * rd + 1}] = s.i32[${at / 4 + 1}];\nreturn true;`,
  }[sh.sew];
  return body === undefined ? undefined : `${FRM_GUARD}\n${body}`;
}

/** The address in x[rs1] and the test that `len` bytes there allow `need` (at most two pages: len ≤ 128). */
function addressCheck(len: number, store: boolean): string {
  const lines = [
    "const a = hi1 * 4294967296 + (lo1 >>> 0);",
    `if (a < 0 || a + ${len} > M.size || (a & 3) !== 0) return false;`,
    `const pg = M.pages, f0 = pg[a >>> ${PAGE_SHIFT}], f1 = pg[(a + ${len - 1}) >>> ${PAGE_SHIFT}];`,
  ];
  // A store into translated code, or one a write watch sees, is the general executor's.
  if (store) {
    const mask = PROT_WRITE | PAGE_CODE;
    lines.push(
      `if ((f0 & ${mask}) !== ${PROT_WRITE} || (f1 & ${mask}) !== ${PROT_WRITE} || M.writeTap !== undefined) return false;`,
    );
  } else lines.push(`if ((f0 & ${PROT_READ}) === 0 || (f1 & ${PROT_READ}) === 0) return false;`);
  return lines.join("\n");
}

/** `words` 32-bit words from memory word `a >> 2` into the register file at `at` bytes, or back. */
function copyWords(store: boolean, at: number, words: number, from = 0): string[] {
  const lines: string[] = [];
  for (let j = 0; j < words; j++) {
    const r = `R[${at / 4 + j}]`, m = `G[w + ${from + j}]`;
    lines.push(store ? `${m} = ${r};` : `${r} = ${m};`);
  }
  return lines;
}

/** Unit-stride loads and stores of EEW `eew` bytes, one field: vl elements, masked loads only for EEW ≥ 4. */
function unitStride(store: boolean, eew: number, raw: number, sh: Shape): string | undefined {
  if (((raw >>> 29) & 7) !== 0) return undefined;
  const len = sh.vl * eew;
  if (len === 0) return "return true;";
  if (len % 4 !== 0 || len > 8 * VLENB) return undefined;
  const lines = [addressCheck(len, store), "const R = s.i32, G = M.i32, w = a >> 2;"];
  if (sh.vm) lines.push(...copyWords(store, sh.vd * VLENB, len / 4));
  else {
    if (store || eew < 4) return undefined;
    for (let k = 0; k < sh.vl; k++) {
      lines.push(
        `if (${maskTest(k)}) { ${copyWords(false, sh.vd * VLENB + k * eew, eew / 4, (k * eew) / 4).join(" ")} }`,
      );
    }
  }
  lines.push("return true;");
  return lines.join("\n");
}

/** vl<n>re<eew>.v and vs<n>r.v: n whole registers, whatever vtype and vl. */
function wholeRegisters(store: boolean, n: number, sh: Shape): string {
  const len = n * VLENB;
  return [
    addressCheck(len, store),
    "const R = s.i32, G = M.i32, w = a >> 2;",
    ...copyWords(store, sh.vd * VLENB, len / 4),
    "return true;",
  ]
    .join("\n");
}

/** vmv<n>r.v: n whole registers from vs2 to vd (equal or apart: both are aligned groups of n). */
function copyRegisters(from: number, to: number, n: number): string {
  const lines = ["const R = s.i32;"];
  for (let j = 0; j < (n * VLENB) / 4; j++) lines.push(`R[${(to * VLENB) / 4 + j}] = R[${(from * VLENB) / 4 + j}];`);
  lines.push("return true;");
  return lines.join("\n");
}

/** Scratch words for an FP scalar's bits, and the same bytes as a single and a double. */
const SCRATCH = new Int32Array(2);
const SCRATCH_F32 = new Float32Array(SCRATCH.buffer);
const SCRATCH_F64 = new Float64Array(SCRATCH.buffer);

/**
 * The fast path of word `raw` (operation `op`) under `vtype` and `vl`, or
 * undefined if it has none: a function of its own, compiled from
 * {@link fastSource}, named after the operation in profiles.
 */
export function makeFastPath(op: Op, raw: number, vtype: number, vl: number, mem: AddressSpace): FastPath | undefined {
  const body = fastSource(op, raw, shapeOf(raw, vtype, vl));
  if (body === undefined) return undefined;
  const name = op.replace(/\W/g, "_");
  const source = `"use strict";\nreturn function ${name}(c, lo1, hi1) {\nconst s = c.vec;\n${body}\n};\n` +
    `//# sourceURL=vector/fast/${name}`;
  return new Function("M", "P", "B32", "BF32", "BF64", source)(mem, popcount32, SCRATCH, SCRATCH_F32, SCRATCH_F64);
}

/** What {@link inlineFastPath} needs of a word's executor: its operation and word, memory, its last legal shape. */
interface FastWord {
  op: Op;
  raw: number;
  mem: AddressSpace;
  /** The shape (vtype, -1 with `vill`; vl) in which it last ran without throwing, if it has run. */
  shape(): readonly [vtype: number, vl: number] | undefined;
  /** Fast paths' sources made so far, by `vtype/vl` (a word's block, then its regions, inline the same). */
  sources: Map<string, string | undefined>;
}

/** The words with fast paths, by their executors. */
const fastWords = new WeakMap<Executor, FastWord>();

/**
 * `generic`, the general executor of word `raw`, with fast paths: once it
 * has run {@link VECTOR_FAST_POLICY}`.runs` times in a row under one shape,
 * later runs under that shape take its fast path (up to
 * {@link MAX_BUILDS} shapes in turn, the latest kept). Operations without
 * fast paths are wrapped only to record their shape. Hot code runs its fast path inlined in
 * compiled code ({@link inlineFastPath}); the wrapper serves interpreted
 * blocks and shapes other than the inlined one. It is one function literal
 * for every word (a copy per word, as the drivers are, cost more to compile
 * than it saved: `rva23 300`, medians of 8 interleaved runs, 503 against
 * 478 ms).
 */
export function withFastPaths(op: Op, raw: number, generic: Executor, mem: AddressSpace): Executor {
  // vfmv.f.s's executor returns f[rd] for its caller to write: its fast path, which writes f[rd] itself, is
  // compiled code's only (inlined where the caller's write is skipped). Operations without fast paths are wrapped
  // too, for the shape they last ran in, which the WebAssembly tier inlines code for (`../wasm/vector.ts`).
  const make = op === "vfmv.f.s" || !hasFastPath(op)
    ? undefined
    : (vtype: number, vl: number) => makeFastPath(op, raw, vtype, vl, mem);
  const { run, shape } = fastPathWrapper(generic, make, VECTOR_FAST_POLICY, MAX_BUILDS, shapeFree(op));
  fastWords.set(run, { op, raw, mem, shape, sources: new Map() });
  return run;
}

/** The wrapper of {@link withFastPaths}. */
function fastPathWrapper(
  generic: Executor,
  make: ((vtype: number, vl: number) => FastPath | undefined) | undefined,
  policy: { runs: number },
  maxBuilds: number,
  anyShape: boolean,
): { run: Executor; shape: () => readonly [number, number] | undefined } {
  // The shape of the fast path (vtype, -1 with vill; vl), and the one being counted.
  let fastType = -2, fastVl = -1, fast: FastPath | undefined;
  let seenType = -2, seenVl = -1, runs = 0, builds = 0;
  const run: Executor = (c, lo1, hi1, lo2, hi2, after, pc) => {
    const s = c.vec;
    if (after !== undefined || s.vstart !== 0 || builds > maxBuilds) return generic(c, lo1, hi1, lo2, hi2, after, pc);
    const type = s.vill ? -1 : s.vtype, vl = s.vl;
    if ((anyShape || (type === fastType && vl === fastVl)) && fast !== undefined && fast(c, lo1, hi1)) return 0;
    const result = generic(c, lo1, hi1, lo2, hi2);
    if (type !== seenType || vl !== seenVl) {
      seenType = type;
      seenVl = vl;
      runs = 0;
    }
    runs++;
    // A shape-free word needs one fast path; others one per shape, the latest kept.
    const wanted = anyShape ? fast === undefined : type !== fastType || vl !== fastVl;
    if (make !== undefined && policy.runs > 0 && runs === policy.runs && wanted) {
      builds++;
      const made = make(type, vl);
      if (made) {
        fast = made;
        fastType = type;
        fastVl = vl;
      } else builds = maxBuilds + 1;
    }
    return result;
  };
  const shape = (): readonly [number, number] | undefined =>
    runs > 0 ? [seenType, seenVl] : fast !== undefined ? [fastType, fastVl] : undefined;
  return { run, shape };
}

/**
 * Whether the fast path of `op` is the same under every shape, `vill`
 * included (whole-register loads and stores): only `vstart` must be 0.
 * (Whole-register moves are not: `vill` makes them illegal.)
 */
export function shapeFree(op: Op): boolean {
  return WHOLE_ACCESS.test(op);
}

/**
 * The fast path of the word executor `run` runs, inlined in compiled code
 * (`trans_rvv.ts`) for the shape it last ran in without throwing (the
 * shape a loop keeps): the opening of a labelled block `label` that reads
 * rs1's words (`lo`, `hi`, JavaScript expressions) once, tests the shape
 * and runs the fast path, leaving the block when done; the caller emits the
 * general executor's call after it, for when the fast path declines, and
 * closes the block. `datum` names a constant of the compiled function.
 * Undefined when the word has no fast path, has not run, or has none under
 * that shape.
 */
export function inlineFastPath(
  run: Executor,
  code: { lo: string; hi: string; label: string; datum: (value: unknown) => string },
): string | undefined {
  const word = fastWords.get(run), shape = word?.shape();
  if (!word || !shape || VECTOR_FAST_POLICY.runs === 0) return undefined;
  const [vtype, vl] = shape, { op, raw } = word;
  if (vtype === -1 && !shapeFree(op)) return undefined;
  const key = `${vtype}/${vl}`;
  if (!word.sources.has(key)) word.sources.set(key, fastSource(op, raw, shapeOf(raw, vtype, vl)));
  const body = word.sources.get(key);
  if (body === undefined) return undefined;
  const { label } = code, declined = `${label}x`;
  const env: string[] = [];
  if (/\bM\./.test(body)) env.push(`M = ${code.datum(word.mem)}`);
  if (/\bP\(/.test(body)) env.push(`P = ${code.datum(popcount32)}`);
  if (/\bB32\b/.test(body)) env.push(`B32 = ${code.datum(SCRATCH)}`);
  if (/\bBF32\b/.test(body)) env.push(`BF32 = ${code.datum(SCRATCH_F32)}`);
  if (/\bBF64\b/.test(body)) env.push(`BF64 = ${code.datum(SCRATCH_F64)}`);
  const test = shapeFree(op) ? "s.vstart !== 0" : `s.vstart !== 0 || s.vill || s.vtype !== ${vtype} || s.vl !== ${vl}`;
  return [
    `${label}: {`,
    `const ${label}l = ${code.lo}, ${label}h = ${code.hi};`,
    `${declined}: {`,
    "const s = c.vec;",
    `if (${test}) break ${declined};`,
    ...(env.length ? [`const ${env.join(", ")};`] : []),
    body.replace(/\blo1\b/g, `${label}l`).replace(/\bhi1\b/g, `${label}h`).replace(/return true;/g, `break ${label};`)
      .replace(/return false;/g, `break ${declined};`),
    "}",
  ].join("\n");
}

/**
 * The shape (`vtype`, -1 with `vill`; `vl`) word executor `run` last ran in
 * without throwing, which WebAssembly regions inline code for
 * (`../wasm/vector.ts`); undefined for a word without fast paths, one that
 * has not run, or while fast paths are off.
 */
export function lastShape(run: Executor): readonly [number, number] | undefined {
  return VECTOR_FAST_POLICY.runs === 0 ? undefined : fastWords.get(run)?.shape();
}

/** The fields of word `raw` and the shape (vtype, vl) as a fast path's generator takes them. */
export function shapeOf(raw: number, vtype: number, vl: number): Shape {
  const { vd, vs1, vs2, vm } = fields(raw);
  return { vd, vs1, vs2, vm, sew: 1 << ((vtype >> 3) & 7), lmul: lmulLog2(vtype), vl };
}

/** Operations that may have a fast path (under some shapes). */
const FAST_OPS = new Set<string>([
  ...Object.keys(SMALL_OPS),
  ...Object.keys(SMALL_COMPARES),
  ...Object.keys(FP_OPS),
  "vfredosum",
  "vfredusum",
  "vzext",
  "vsext",
  "vwadd",
  "vwaddu",
  "vwsub",
  "vwsubu",
  "vcpop",
  "vfwcvt",
]);

/** Whether `op` may have a fast path under some shape. */
export function hasFastPath(op: Op): boolean {
  if (UNIT_STRIDE.test(op) || WHOLE_ACCESS.test(op) || WHOLE_MOVE.test(op)) return true;
  if (op.startsWith("vmv.v.")) return true;
  if (op.startsWith("vfwcvt.")) return op === "vfwcvt.f.f.v";
  if (op === "vfmv.s.f" || op === "vfmv.f.s") return true;
  return FAST_OPS.has(op.slice(0, op.indexOf("."))) && op !== "vcpop.m";
}
