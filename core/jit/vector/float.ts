/**
 * Vector floating point (SEW 32 and 64, the SEW-16 conversions between
 * 16-bit integers and singles that V has; when the run has them, Zvfhmin's
 * conversions between halves and singles and Zvfh's half-precision
 * arithmetic at SEW 16, widening from it and narrowing to it): each operation is a line in one of the tables below, run by
 * a shared driver — single-width and widening arithmetic ({@link ARITH}),
 * mask-producing compares ({@link COMPARE}), unary operations and
 * conversions ({@link UNARY}), reductions ({@link REDUCE}) — and the moves,
 * merge and slides by scalar.
 *
 * Each element goes through the scalar helpers of `core/fpu/` (the same
 * exact IEEE arithmetic, NaN canonicalization and flags as F, D and Zfh), on
 * a scratch register file: the operands are put in scratch registers
 * {@link A} (vs2), {@link B} (vs1 or the scalar), {@link D} (vd's old
 * value), the result read from {@link R}. The flags the elements raise are
 * OR-ed into `fflags` once the instruction is done; `frm` gives the rounding
 * mode, and a reserved `frm` makes the instruction illegal as under QEMU 10.
 *
 * A scalar operand f[rs1] is NaN-unboxed at SEW as QEMU does: a single or
 * half whose upper bits are not all ones reads as the canonical NaN.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { IllegalInstruction } from "../../cpu/trap.ts";
import type { FpuState } from "../../fpu/fpu_state.ts";
import { FFLAG_DZ, FFLAG_NV, FFLAG_NX, FFLAG_OF, RM_RDN, RM_RTZ, RM_RUP } from "../../fpu/fpu_state.ts";
import * as fpu from "../../fpu/mod.ts";
import * as nearest from "../../fpu/nearest.ts";
import type { Extension } from "../../isa/ops_generated.ts";
import {
  copiedLater,
  type Executor,
  fields,
  groupRegs,
  lmulLog2,
  maskBit,
  requireAligned,
  requireMaskNotSource,
  requireVm,
  requireVtype,
  sewBytes,
  type VectorGroup,
  VLENB,
} from "./element.ts";

// ---------------------------------------------------------------- the scratch register file

const SCRATCH_F = new Float64Array(8);
/** The scratch FP state the scalar helpers run on (its flags are the instruction's). */
const S: FpuState = { f: SCRATCH_F, fi: new Int32Array(SCRATCH_F.buffer), fflags: 0, frm: 0, retHi: 0 };
const FI = S.fi;
/** The value of a half's last significand bit by its biased exponent (that of 1 for subnormals): 2^(e - 25). */
const HALF_ULP = Float64Array.from({ length: 31 }, (_, e) => 2 ** (Math.max(e, 1) - 25));
/** The scratch registers as singles (register `r`'s low word at `2 * r`). */
const SCRATCH_F32 = new Float32Array(SCRATCH_F.buffer);
/** Scratch registers: the result, vs2's element, vs1's element (or the scalar), vd's old element. */
const R = 0, A = 1, B = 2, D = 3;

/** Puts the `bytes`-wide element bits (lo, hi) in scratch register `r`, NaN-boxed as the scalar helpers want. */
function put(r: number, bytes: number, lo: number, hi: number): void {
  FI[2 * r] = bytes === 2 ? lo | 0xffff0000 : lo;
  FI[2 * r + 1] = bytes === 8 ? hi : -1;
}

/** Loads element `i` (`bytes` wide) of the group at `reg` into scratch register `r` (a byte: an integer). */
function load(c: Cpu, reg: number, i: number, bytes: number, r: number): void {
  const at = reg * VLENB + i * bytes, view = c.vec.view;
  if (bytes === 1) put(r, 4, view.getUint8(at), 0);
  else if (bytes === 2) put(r, 2, view.getUint16(at, true), 0);
  else put(r, bytes, view.getInt32(at, true), bytes === 8 ? view.getInt32(at + 4, true) : 0);
}

/** Stores scratch register `r`'s low `bytes` bytes as element `i` of the group at `reg`. */
function store(c: Cpu, reg: number, i: number, bytes: number, r: number): void {
  const at = reg * VLENB + i * bytes, view = c.vec.view;
  if (bytes === 1) view.setUint8(at, FI[2 * r] & 0xff);
  else if (bytes === 2) view.setUint16(at, FI[2 * r] & 0xffff, true);
  else {
    view.setInt32(at, FI[2 * r], true);
    if (bytes === 8) view.setInt32(at + 4, FI[2 * r + 1], true);
  }
}

/** f[rs1] (words lo, hi) unboxed at `bytes`: an improperly boxed single or half is the canonical NaN. */
function putScalar(r: number, bytes: number, lo: number, hi: number): void {
  if (bytes === 4 && hi !== -1) lo = 0x7fc00000;
  if (bytes === 2 && (hi !== -1 || lo >>> 16 !== 0xffff)) lo = 0x7e00;
  put(r, bytes, lo, hi);
}

// ---------------------------------------------------------------- the scalar operations by width

/** The scalar operations of one FP format, on scratch registers. */
interface Format {
  add(c: FpuState, rd: number, a: number, b: number, rm: number): void;
  sub(c: FpuState, rd: number, a: number, b: number, rm: number): void;
  mul(c: FpuState, rd: number, a: number, b: number, rm: number): void;
  div(c: FpuState, rd: number, a: number, b: number, rm: number): void;
  sqrt(c: FpuState, rd: number, a: number, rm: number): void;
  madd(c: FpuState, rd: number, a: number, b: number, d: number, rm: number): void;
  msub(c: FpuState, rd: number, a: number, b: number, d: number, rm: number): void;
  nmadd(c: FpuState, rd: number, a: number, b: number, d: number, rm: number): void;
  nmsub(c: FpuState, rd: number, a: number, b: number, d: number, rm: number): void;
  min(c: FpuState, rd: number, a: number, b: number): void;
  max(c: FpuState, rd: number, a: number, b: number): void;
  sgnj(c: FpuState, rd: number, a: number, b: number): void;
  sgnjn(c: FpuState, rd: number, a: number, b: number): void;
  sgnjx(c: FpuState, rd: number, a: number, b: number): void;
  eq(c: FpuState, a: number, b: number): number;
  lt(c: FpuState, a: number, b: number): number;
  le(c: FpuState, a: number, b: number): number;
  fclass(c: FpuState, a: number): number;
  /** Converts register `a` of the next narrower format to this one, in place (exact; NV for a signaling NaN). */
  widen?(c: FpuState, rd: number, a: number, rm: number): void;
}

const HALF: Format = {
  add: fpu.fadd_h,
  sub: fpu.fsub_h,
  mul: fpu.fmul_h,
  div: fpu.fdiv_h,
  sqrt: fpu.fsqrt_h,
  madd: fpu.fmadd_h,
  msub: fpu.fmsub_h,
  nmadd: fpu.fnmadd_h,
  nmsub: fpu.fnmsub_h,
  min: fpu.fmin_h,
  max: fpu.fmax_h,
  sgnj: fpu.fsgnj_h,
  sgnjn: fpu.fsgnjn_h,
  sgnjx: fpu.fsgnjx_h,
  eq: fpu.feq_h,
  lt: fpu.flt_h,
  le: fpu.fle_h,
  fclass: fpu.fclass_h,
};

const SINGLE: Format = {
  add: fpu.fadd_s,
  sub: fpu.fsub_s,
  mul: fpu.fmul_s,
  div: fpu.fdiv_s,
  sqrt: fpu.fsqrt_s,
  madd: fpu.fmadd_s,
  msub: fpu.fmsub_s,
  nmadd: fpu.fnmadd_s,
  nmsub: fpu.fnmsub_s,
  min: fpu.fmin_s,
  max: fpu.fmax_s,
  sgnj: fpu.fsgnj_s,
  sgnjn: fpu.fsgnjn_s,
  sgnjx: fpu.fsgnjx_s,
  eq: fpu.feq_s,
  lt: fpu.flt_s,
  le: fpu.fle_s,
  fclass: fpu.fclass_s,
  widen: fpu.fcvt_s_h,
};

const DOUBLE: Format = {
  add: fpu.fadd_d,
  sub: fpu.fsub_d,
  mul: fpu.fmul_d,
  div: fpu.fdiv_d,
  sqrt: fpu.fsqrt_d,
  madd: fpu.fmadd_d,
  msub: fpu.fmsub_d,
  nmadd: fpu.fnmadd_d,
  nmsub: fpu.fnmsub_d,
  min: fpu.fmin_d,
  max: fpu.fmax_d,
  sgnj: fpu.fsgnj_d,
  sgnjn: fpu.fsgnjn_d,
  sgnjx: fpu.fsgnjx_d,
  eq: fpu.feq_d,
  lt: fpu.flt_d,
  le: fpu.fle_d,
  fclass: fpu.fclass_d,
  widen: fpu.fcvt_d_s,
};

/** The format of `bytes`-wide elements. */
const FORMATS: Readonly<Record<number, Format>> = { 2: HALF, 4: SINGLE, 8: DOUBLE };

// ---------------------------------------------------------------- legality

/**
 * The SEW an FP operation may run at (bytes): 4 and 8 (Zve32f, Zve64d), 2
 * in a run with Zvfh; SEW 8 has no format.
 */
function requireFpSew(bytes: number, extensions: ReadonlySet<Extension>): void {
  if (bytes !== 4 && bytes !== 8 && !(bytes === 2 && extensions.has("zvfh"))) {
    throw new IllegalInstruction(`Vector FP operation at SEW ${bytes * 8}`);
  }
}

/** The dynamic rounding mode; a reserved `frm` (5…7) makes the instruction illegal, as QEMU 10 checks it. */
function dynamicRm(c: Cpu): number {
  const rm = c.frm;
  if (rm > 4) throw new IllegalInstruction(`Vector FP operation with reserved frm=${rm}`);
  return rm;
}

/** Whether register groups [a, a+an) and [b, b+bn) share a register. */
function overlaps(a: number, an: number, b: number, bn: number): boolean {
  return a < b + bn && b < a + an;
}

/**
 * A destination group of `dn` registers may not overlap a source group of
 * `sn`, except (a wider destination) when the source is the destination's
 * highest-numbered part and the source LMUL is at least 1 (QEMU's
 * `require_noover`).
 */
function requireNoOverlap(dst: number, dn: number, src: number, sn: number, srcLog2: number): void {
  if (!overlaps(dst, dn, src, sn)) return;
  if (dn > sn && dst < src && srcLog2 >= 0 && !overlaps(dst, dn, src + sn, sn)) return;
  throw new IllegalInstruction(`Vector register v${dst} overlaps source v${src}`);
}

/**
 * Two sources read at different EEWs may not share a register (QEMU 10's
 * `vext_check_input_eew`): the wide vs2 and vs1 of .wv, vd and the narrow
 * sources of the widening multiply-adds.
 */
function requireApart(a: number, an: number, b: number, bn: number): void {
  if (overlaps(a, an, b, bn)) throw new IllegalInstruction(`Vector sources v${a} and v${b} of different EEWs overlap`);
}

// ---------------------------------------------------------------- single-width and widening arithmetic

/**
 * The arithmetic, one line each on scratch registers: A = vs2[i], B = vs1[i]
 * or f[rs1], D = vd[i]; the result goes to R. The widening forms (vfw*) run
 * the line of the same name without the `w` at 2·SEW on operands widened
 * first.
 */
const ARITH: Readonly<Record<string, (f: Format, rm: number) => void>> = {
  vfadd: (f, rm) => f.add(S, R, A, B, rm),
  vfsub: (f, rm) => f.sub(S, R, A, B, rm),
  vfrsub: (f, rm) => f.sub(S, R, B, A, rm),
  vfmul: (f, rm) => f.mul(S, R, A, B, rm),
  vfdiv: (f, rm) => f.div(S, R, A, B, rm),
  vfrdiv: (f, rm) => f.div(S, R, B, A, rm),
  // vd = ±(vs1 · vs2) ± vd
  vfmacc: (f, rm) => f.madd(S, R, B, A, D, rm),
  vfnmacc: (f, rm) => f.nmadd(S, R, B, A, D, rm),
  vfmsac: (f, rm) => f.msub(S, R, B, A, D, rm),
  vfnmsac: (f, rm) => f.nmsub(S, R, B, A, D, rm),
  // vd = ±(vs1 · vd) ± vs2
  vfmadd: (f, rm) => f.madd(S, R, B, D, A, rm),
  vfnmadd: (f, rm) => f.nmadd(S, R, B, D, A, rm),
  vfmsub: (f, rm) => f.msub(S, R, B, D, A, rm),
  vfnmsub: (f, rm) => f.nmsub(S, R, B, D, A, rm),
  vfmin: (f) => f.min(S, R, A, B),
  vfmax: (f) => f.max(S, R, A, B),
  vfsgnj: (f) => f.sgnj(S, R, A, B),
  vfsgnjn: (f) => f.sgnjn(S, R, A, B),
  vfsgnjx: (f) => f.sgnjx(S, R, A, B),
};

/**
 * The operations with a fast path on numbers under RNE ({@link nearest}),
 * by SEW in bytes: the sums and products, and the sum reductions.
 */
const NEAREST: Readonly<Record<string, Readonly<Record<number, (c: nearest.Flags, a: number, b: number) => number>>>> =
  {
    vfadd: { 4: nearest.addS, 8: nearest.addD },
    vfsub: { 4: (c, a, b) => nearest.addS(c, a, -b), 8: (c, a, b) => nearest.addD(c, a, -b) },
    vfrsub: { 4: (c, a, b) => nearest.addS(c, b, -a), 8: (c, a, b) => nearest.addD(c, b, -a) },
    vfmul: { 4: nearest.mulS, 8: nearest.mulD },
    vfredusum: { 4: nearest.addS, 8: nearest.addD },
    vfredosum: { 4: nearest.addS, 8: nearest.addD },
  };

/** The operations that read vd (the fused multiply-adds). */
const READS_VD = /^vfw?n?m(acc|sac|add|sub)$/;

/**
 * The driver of the arithmetic: vd[i] = line(vs2[i], vs1[i] | f[rs1], vd[i])
 * over the body's active elements. `wide` is 0 for single width, 1 for the
 * widening .vv/.vf forms (vd at 2·SEW), 2 for .wv/.wf (vd and vs2 at 2·SEW).
 */
function arithDriver(
  lib: typeof DRIVER_LIB,
  raw: number,
  name: string,
  line: (f: Format, rm: number) => void,
  scalar: boolean,
  wide: number,
  extensions: ReadonlySet<Extension>,
): Executor {
  const {
    requireVtype,
    sewBytes,
    lmulLog2,
    groupRegs,
    requireFpSew,
    IllegalInstruction,
    requireAligned,
    requireVm,
    requireNoOverlap,
    requireApart,
    requireMaskNotSource,
    dynamicRm,
    FORMATS,
    S,
    maskBit,
    load,
    putScalar,
    store,
    fields,
    READS_VD,
    A,
    B,
    D,
    R,
    NEAREST,
    VLENB,
    SCRATCH_F,
    SCRATCH_F32,
  } = lib;
  const { vd, vs1, vs2, vm } = fields(raw);
  const readsVd = READS_VD.test(name), nearest = NEAREST[name];
  /** The checks that depend on vtype (SEW and LMUL), run when it changes. */
  const check = (vtype: number): void => {
    const bytes = 1 << ((vtype >> 3) & 7), log2 = lmulLog2(vtype), regs = groupRegs(log2);
    requireFpSew(bytes, extensions);
    if (wide) {
      // Widening: SEW < ELEN, LMUL <= 4, vd aligned to 2·LMUL, narrow sources not in vd but its top half.
      if (bytes === 8 || log2 > 2) throw new IllegalInstruction("Widening FP operation at SEW 64 or LMUL 8");
      const wregs = groupRegs(log2 + 1);
      requireAligned(vd, wregs);
      requireVm(vm, vd);
      if (wide === 2) requireAligned(vs2, wregs);
      else {
        requireAligned(vs2, regs);
        requireNoOverlap(vd, wregs, vs2, regs, log2);
      }
      if (!scalar) {
        requireAligned(vs1, regs);
        requireNoOverlap(vd, wregs, vs1, regs, log2);
        if (wide === 2) requireApart(vs2, wregs, vs1, regs);
      }
      if (readsVd) {
        requireApart(vd, wregs, vs2, regs);
        if (!scalar) requireApart(vd, wregs, vs1, regs);
      }
    } else {
      requireAligned(vd, regs);
      requireAligned(vs2, regs);
      if (!scalar) requireAligned(vs1, regs);
      requireVm(vm, vd);
    }
    requireMaskNotSource(vm, vs2);
    if (!scalar) requireMaskNotSource(vm, vs1);
  };
  // The vtype last found legal.
  let checkedFor = -1;
  return (c, lo1, hi1) => {
    requireVtype(c);
    const s = c.vec;
    if (s.vtype !== checkedFor) {
      check(s.vtype);
      checkedFor = s.vtype;
    }
    const bytes = sewBytes(c), dBytes = wide ? 2 * bytes : bytes, aBytes = wide === 2 ? 2 * bytes : bytes;
    const rm = dynamicRm(c), f = FORMATS[dBytes];
    S.fflags = 0;
    // Under RNE, a sum or product at SEW 32 or 64 runs on the elements as numbers; an element its fast path
    // declines (NaN: a NaN or infinite operand, overflow, a tiny result) goes the exact way below.
    const fast = rm === 0 && !wide && nearest !== undefined ? nearest[bytes] : undefined;
    let i = s.vstart;
    if (fast !== undefined) {
      const xs = bytes === 8 ? s.f64 : s.f32, per = VLENB / bytes, a0 = vs2 * per, b0 = vs1 * per, d0 = vd * per;
      if (scalar) putScalar(B, bytes, lo1, hi1);
      const x = bytes === 8 ? SCRATCH_F[B] : SCRATCH_F32[2 * B];
      for (; i < s.vl; i++) {
        if (!vm && !maskBit(s.v, i)) continue;
        const r = fast(S, xs[a0 + i], scalar ? x : xs[b0 + i]);
        if (r !== r) break;
        xs[d0 + i] = r;
      }
    }
    for (; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      load(c, vs2, i, aBytes, A);
      if (scalar) putScalar(B, bytes, lo1, hi1);
      else load(c, vs1, i, bytes, B);
      if (wide) {
        if (wide === 1) f.widen!(S, A, A, 0);
        f.widen!(S, B, B, 0);
      }
      if (readsVd) load(c, vd, i, dBytes, D);
      line(f, rm);
      store(c, vd, i, dBytes, R);
    }
    c.fflags |= S.fflags;
    s.vstart = 0;
    return 0;
  };
}

// ---------------------------------------------------------------- compares

/** The compares, one line each: the mask bit of element i from A = vs2[i] and B = vs1[i] or f[rs1]. */
const COMPARE: Readonly<Record<string, (f: Format) => number>> = {
  vmfeq: (f) => f.eq(S, A, B),
  vmfne: (f) => f.eq(S, A, B) ^ 1,
  vmflt: (f) => f.lt(S, A, B),
  vmfle: (f) => f.le(S, A, B),
  vmfgt: (f) => f.lt(S, B, A),
  vmfge: (f) => f.le(S, B, A),
};

/**
 * The driver of the compares: bit i of vd is line(vs2[i], vs1[i] | f[rs1])
 * for the body's active elements; the other bits stay. vd may be a
 * source's first register, not elsewhere in its group.
 */
function compare(
  raw: number,
  line: (f: Format) => number,
  scalar: boolean,
  extensions: ReadonlySet<Extension>,
): Executor {
  const { vd, vs1, vs2, vm } = fields(raw);
  return (c, lo1, hi1) => {
    requireVtype(c);
    const s = c.vec, bytes = sewBytes(c), log2 = lmulLog2(s.vtype), regs = groupRegs(log2);
    requireFpSew(bytes, extensions);
    requireAligned(vs2, regs);
    if (vd !== vs2) requireNoOverlap(vd, 1, vs2, regs, log2);
    if (!scalar) {
      requireAligned(vs1, regs);
      if (vd !== vs1) requireNoOverlap(vd, 1, vs1, regs, log2);
    }
    dynamicRm(c);
    const f = FORMATS[bytes];
    S.fflags = 0;
    const v = s.v, at = vd * VLENB;
    for (let i = s.vstart; i < s.vl; i++) {
      if (!vm && !maskBit(v, i)) continue;
      load(c, vs2, i, bytes, A);
      if (scalar) putScalar(B, bytes, lo1, hi1);
      else load(c, vs1, i, bytes, B);
      const bit = 1 << (i & 7);
      if (line(f)) v[at + (i >> 3)] |= bit;
      else v[at + (i >> 3)] &= ~bit;
    }
    c.fflags |= S.fflags;
    s.vstart = 0;
    return 0;
  };
}

// ---------------------------------------------------------------- unary operations and conversions

/** A unary element operation: A holds the source element, the result goes to R. */
type UnaryLine = (f: Format, rm: number) => void;

/** Writes an integer result (low word `lo`, high word `hi`) to R. */
function int(lo: number, hi = lo >> 31): void {
  FI[2 * R] = lo;
  FI[2 * R + 1] = hi;
}

/** The source element (A) as an integer: its low word. */
function aLo(): number {
  return FI[2 * A];
}

/** The source element (A) as an integer: its high word (SEW 64). */
function aHi(): number {
  return FI[2 * A + 1];
}

/**
 * Converts A (a single, or a half when `fromHalf`) to a `bits`-bit integer
 * (16 or 8) with saturation: as QEMU's float32_to_int16 and
 * float16_to_int8, an out-of-range value raises only NV.
 */
function toNarrowInt(rm: number, signed: boolean, bits: number, fromHalf = false): void {
  const flags = S.fflags;
  S.fflags = 0;
  let v = signed
    ? (fromHalf ? fpu.fcvt_w_h : fpu.fcvt_w_s)(S, A, rm)
    : (fromHalf ? fpu.fcvt_wu_h : fpu.fcvt_wu_s)(S, A, rm) >>> 0;
  const half = 1 << (bits - 1), [lo, hi] = signed ? [-half, half - 1] : [0, 2 * half - 1];
  if (v < lo || v > hi) {
    v = v < lo ? lo : hi;
    S.fflags = FFLAG_NV;
  }
  S.fflags |= flags;
  int(v);
}

/**
 * Double A rounded to odd as a single, or single A as a half when
 * `toHalf` (vfncvt.rod.f.f.w): truncated, then the lowest bit set when the
 * truncation was inexact.
 */
function roundToOdd(toHalf = false): void {
  const flags = S.fflags;
  S.fflags = 0;
  (toHalf ? fpu.fcvt_h_s : fpu.fcvt_s_d)(S, R, A, RM_RTZ);
  if (S.fflags & FFLAG_NX) FI[2 * R] |= 1;
  S.fflags |= flags;
}

/** Zvfh's SEW-16 lines (a half operand or result), and its SEW-8 ones (between halves and 8-bit integers). */
const ZVFH_AT_16: Partial<Record<number, Extension>> = { 2: "zvfh" };
const ZVFH_AT_8: Partial<Record<number, Extension>> = { 1: "zvfh" };

/**
 * The unary operations: `ratio` is vd's EEW over vs2's (1 same width, 2
 * widening, 0.5 narrowing); `at` gives the line by SEW in bytes (a SEW
 * missing is illegal); `needs` the extension a SEW's line needs beyond V
 * (a run without it finds that SEW illegal, as QEMU 10); `rm` a static
 * rounding mode (rtz, rod) that frm does not replace.
 */
interface Unary {
  ratio: number;
  at: Partial<Record<number, UnaryLine>>;
  needs?: Partial<Record<number, Extension>>;
  rm?: number;
}

/** The unary operations but the rtz forms, which {@link UNARY} derives. */
const PLAIN_UNARY: Readonly<Record<string, Unary>> = {
  "vfsqrt.v": {
    ratio: 1,
    at: { 2: (f, rm) => f.sqrt(S, R, A, rm), 4: (f, rm) => f.sqrt(S, R, A, rm), 8: (f, rm) => f.sqrt(S, R, A, rm) },
    needs: ZVFH_AT_16,
  },
  "vfclass.v": {
    ratio: 1,
    at: { 2: (f) => int(f.fclass(S, A), 0), 4: (f) => int(f.fclass(S, A), 0), 8: (f) => int(f.fclass(S, A), 0) },
    needs: ZVFH_AT_16,
  },
  "vfrec7.v": {
    ratio: 1,
    at: {
      2: (_f, rm) => rec7(HALF_BITS, rm),
      4: (_f, rm) => rec7(SINGLE_BITS, rm),
      8: (_f, rm) => rec7(DOUBLE_BITS, rm),
    },
    needs: ZVFH_AT_16,
  },
  "vfrsqrt7.v": {
    ratio: 1,
    at: { 2: () => rsqrt7(HALF_BITS), 4: () => rsqrt7(SINGLE_BITS), 8: () => rsqrt7(DOUBLE_BITS) },
    needs: ZVFH_AT_16,
  },
  "vfcvt.xu.f.v": {
    ratio: 1,
    at: {
      2: (_f, rm) => toNarrowInt(rm, false, 16, true),
      4: (_f, rm) => int(fpu.fcvt_wu_s(S, A, rm)),
      8: (_f, rm) => int(fpu.fcvt_lu_d(S, A, rm), S.retHi),
    },
    needs: ZVFH_AT_16,
  },
  "vfcvt.x.f.v": {
    ratio: 1,
    at: {
      2: (_f, rm) => toNarrowInt(rm, true, 16, true),
      4: (_f, rm) => int(fpu.fcvt_w_s(S, A, rm)),
      8: (_f, rm) => int(fpu.fcvt_l_d(S, A, rm), S.retHi),
    },
    needs: ZVFH_AT_16,
  },
  "vfcvt.f.xu.v": {
    ratio: 1,
    at: {
      2: (_f, rm) => fpu.fcvt_h_wu(S, R, aLo() & 0xffff, rm),
      4: (_f, rm) => fpu.fcvt_s_wu(S, R, aLo(), rm),
      8: (_f, rm) => fpu.fcvt_d_lu(S, R, aLo(), aHi(), rm),
    },
    needs: ZVFH_AT_16,
  },
  "vfcvt.f.x.v": {
    ratio: 1,
    at: {
      2: (_f, rm) => fpu.fcvt_h_w(S, R, (aLo() << 16) >> 16, rm),
      4: (_f, rm) => fpu.fcvt_s_w(S, R, aLo(), rm),
      8: (_f, rm) => fpu.fcvt_d_l(S, R, aLo(), aHi(), rm),
    },
    needs: ZVFH_AT_16,
  },
  "vfwcvt.xu.f.v": {
    ratio: 2,
    at: { 2: (_f, rm) => int(fpu.fcvt_wu_h(S, A, rm)), 4: (_f, rm) => int(fpu.fcvt_lu_s(S, A, rm), S.retHi) },
    needs: ZVFH_AT_16,
  },
  "vfwcvt.x.f.v": {
    ratio: 2,
    at: { 2: (_f, rm) => int(fpu.fcvt_w_h(S, A, rm)), 4: (_f, rm) => int(fpu.fcvt_l_s(S, A, rm), S.retHi) },
    needs: ZVFH_AT_16,
  },
  "vfwcvt.f.xu.v": {
    ratio: 2,
    at: {
      1: (_f, rm) => fpu.fcvt_h_wu(S, R, aLo() & 0xff, rm),
      2: (_f, rm) => fpu.fcvt_s_wu(S, R, aLo() & 0xffff, rm),
      4: (_f, rm) => fpu.fcvt_d_wu(S, R, aLo(), rm),
    },
    needs: ZVFH_AT_8,
  },
  "vfwcvt.f.x.v": {
    ratio: 2,
    at: {
      1: (_f, rm) => fpu.fcvt_h_w(S, R, (aLo() << 24) >> 24, rm),
      2: (_f, rm) => fpu.fcvt_s_w(S, R, (aLo() << 16) >> 16, rm),
      4: (_f, rm) => fpu.fcvt_d_w(S, R, aLo(), rm),
    },
    needs: ZVFH_AT_8,
  },
  "vfwcvt.f.f.v": {
    ratio: 2,
    at: { 2: () => fpu.fcvt_s_h(S, R, A, 0), 4: () => fpu.fcvt_d_s(S, R, A, 0) },
    needs: { 2: "zvfhmin" },
  },
  "vfncvt.xu.f.w": {
    ratio: 0.5,
    at: {
      1: (_f, rm) => toNarrowInt(rm, false, 8, true),
      2: (_f, rm) => toNarrowInt(rm, false, 16),
      4: (_f, rm) => int(fpu.fcvt_wu_d(S, A, rm)),
    },
    needs: ZVFH_AT_8,
  },
  "vfncvt.x.f.w": {
    ratio: 0.5,
    at: {
      1: (_f, rm) => toNarrowInt(rm, true, 8, true),
      2: (_f, rm) => toNarrowInt(rm, true, 16),
      4: (_f, rm) => int(fpu.fcvt_w_d(S, A, rm)),
    },
    needs: ZVFH_AT_8,
  },
  "vfncvt.f.xu.w": {
    ratio: 0.5,
    at: {
      2: (_f, rm) => fpu.fcvt_h_wu(S, R, aLo(), rm),
      4: (_f, rm) => fpu.fcvt_s_lu(S, R, aLo(), aHi(), rm),
    },
    needs: ZVFH_AT_16,
  },
  "vfncvt.f.x.w": {
    ratio: 0.5,
    at: { 2: (_f, rm) => fpu.fcvt_h_w(S, R, aLo(), rm), 4: (_f, rm) => fpu.fcvt_s_l(S, R, aLo(), aHi(), rm) },
    needs: ZVFH_AT_16,
  },
  "vfncvt.f.f.w": {
    ratio: 0.5,
    at: { 2: (_f, rm) => fpu.fcvt_h_s(S, R, A, rm), 4: (_f, rm) => fpu.fcvt_s_d(S, R, A, rm) },
    needs: { 2: "zvfhmin" },
  },
  "vfncvt.rod.f.f.w": {
    ratio: 0.5,
    at: { 2: () => roundToOdd(true), 4: () => roundToOdd() },
    rm: RM_RTZ,
    needs: ZVFH_AT_16,
  },
};

/** The unary operations: the rtz forms are their plain form's line with the rounding mode towards zero. */
const UNARY: Readonly<Record<string, Unary>> = {
  ...PLAIN_UNARY,
  ...Object.fromEntries(
    [
      "vfcvt.rtz.xu.f.v",
      "vfcvt.rtz.x.f.v",
      "vfwcvt.rtz.xu.f.v",
      "vfwcvt.rtz.x.f.v",
      "vfncvt.rtz.xu.f.w",
      "vfncvt.rtz.x.f.w",
    ]
      .map((name) => [name, { ...PLAIN_UNARY[name.replace("rtz.", "")], rm: RM_RTZ }]),
  ),
};

/**
 * The driver of the unary operations: vd[i] = line(vs2[i]) over the body's
 * active elements, at vd's and vs2's EEW (SEW or 2·SEW by `ratio`), in a
 * run with extensions `extensions`.
 */
function unaryDriver(
  lib: typeof DRIVER_LIB,
  raw: number,
  name: string,
  u: Unary,
  extensions: ReadonlySet<Extension>,
): Executor {
  const {
    requireVtype,
    sewBytes,
    lmulLog2,
    groupRegs,
    IllegalInstruction,
    requireAligned,
    requireVm,
    requireNoOverlap,
    requireMaskNotSource,
    dynamicRm,
    FORMATS,
    S,
    maskBit,
    load,
    store,
    fields,
    A,
    R,
    VLENB,
    HALF_ULP,
  } = lib;
  const { vd, vs2, vm } = fields(raw);
  return (c) => {
    requireVtype(c);
    const s = c.vec, bytes = sewBytes(c), log2 = lmulLog2(s.vtype), regs = groupRegs(log2);
    const line = u.at[bytes], needs = u.needs?.[bytes];
    if (line === undefined || (needs !== undefined && !extensions.has(needs))) {
      throw new IllegalInstruction(`Vector FP conversion at SEW ${bytes * 8}`);
    }
    const dBytes = u.ratio === 2 ? 2 * bytes : bytes, aBytes = u.ratio === 0.5 ? 2 * bytes : bytes;
    if (u.ratio === 1) {
      requireAligned(vd, regs);
      requireAligned(vs2, regs);
    } else {
      if (log2 > 2) throw new IllegalInstruction("Widening or narrowing FP conversion at LMUL 8");
      const wregs = groupRegs(log2 + 1);
      if (u.ratio === 2) {
        requireAligned(vd, wregs);
        requireAligned(vs2, regs);
        requireNoOverlap(vd, wregs, vs2, regs, log2);
      } else {
        requireAligned(vs2, wregs);
        requireAligned(vd, regs);
        if (vd !== vs2) requireNoOverlap(vd, regs, vs2, wregs, log2 + 1);
      }
    }
    requireVm(vm, vd);
    requireMaskNotSource(vm, vs2);
    // QEMU 10 checks frm even for the forms with a static rounding mode (rtz, rod).
    const frm = dynamicRm(c), rm = u.rm ?? frm, f = FORMATS[aBytes];
    S.fflags = 0;
    let i = s.vstart;
    if (name === "vfwcvt.f.f.v") {
      // Widening a half or a single is exact and raises nothing but for a NaN, which goes the exact way below.
      const a0 = vs2 * (VLENB / bytes), d0 = vd * (VLENB / dBytes);
      if (bytes === 2) {
        for (const hs = s.u16, fs = s.f32; i < s.vl; i++) {
          if (!vm && !maskBit(s.v, i)) continue;
          const h = hs[a0 + i], e = (h >> 10) & 31;
          if (e === 31) break;
          const magnitude = (e === 0 ? h & 0x3ff : (h & 0x3ff) + 0x400) * HALF_ULP[e];
          fs[d0 + i] = h & 0x8000 ? -magnitude : magnitude;
        }
      } else {
        for (const ss = s.f32, ds = s.f64; i < s.vl; i++) {
          if (!vm && !maskBit(s.v, i)) continue;
          const v = ss[a0 + i];
          if (v !== v) break;
          ds[d0 + i] = v;
        }
      }
    }
    for (; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      load(c, vs2, i, aBytes, A);
      line(f, rm);
      store(c, vd, i, dBytes, R);
    }
    c.fflags |= S.fflags;
    s.vstart = 0;
    return 0;
  };
}

// ---------------------------------------------------------------- vfrec7 and vfrsqrt7

/** A binary format's field widths, for the estimate instructions. */
interface Bits {
  /** Fraction bits. */
  frac: number;
  /** Exponent bits. */
  exp: number;
  /** The bytes of an element. */
  bytes: number;
}
const HALF_BITS: Bits = { frac: 10, exp: 5, bytes: 2 };
const SINGLE_BITS: Bits = { frac: 23, exp: 8, bytes: 4 };
const DOUBLE_BITS: Bits = { frac: 52, exp: 11, bytes: 8 };

/**
 * The spec's 7-bit estimate tables, computed rather than transcribed: entry
 * i is the 7 fraction bits of the estimate at the middle of input interval
 * i, rounded to nearest for 1/x and down for 1/sqrt(x) (each rule found to
 * give every entry of the spec's table, checked against QEMU 10 on all 128).
 */
const REC7_TABLE = Array.from({ length: 128 }, (_, i) => Math.round((2 / (1 + (i + 0.5) / 128) - 1) * 128));
const RSQRT7_TABLE = Array.from({ length: 128 }, (_, i) => {
  // Index bit 6 is the exponent's low bit: 0 for inputs 2·[1, 2) (an odd unbiased exponent), 1 for [1, 2).
  const m = 1 + ((i & 63) + 0.5) / 64, x = i & 64 ? m : 2 * m;
  return Math.round((2 / Math.sqrt(x) - 1) * 128);
});

/** A's element as sign, biased exponent and fraction (bigint). */
function unpackA(b: Bits): { sign: number; exp: number; frac: bigint } {
  const lo = BigInt(FI[2 * A] >>> 0);
  const bits = b.bytes === 8 ? (BigInt(FI[2 * A + 1] >>> 0) << 32n) | lo : b.bytes === 2 ? lo & 0xffffn : lo;
  const total = b.frac + b.exp;
  return {
    sign: Number((bits >> BigInt(total)) & 1n),
    exp: Number((bits >> BigInt(b.frac)) & ((1n << BigInt(b.exp)) - 1n)),
    frac: bits & ((1n << BigInt(b.frac)) - 1n),
  };
}

/** Writes sign, biased exponent and fraction to R. */
function packR(b: Bits, sign: number, exp: number, frac: bigint): void {
  const bits = (BigInt(sign) << BigInt(b.frac + b.exp)) | (BigInt(exp) << BigInt(b.frac)) | frac;
  FI[2 * R] = Number(BigInt.asIntN(32, bits));
  FI[2 * R + 1] = b.bytes === 8 ? Number(BigInt.asIntN(32, bits >> 32n)) : -1;
}

/** Writes the canonical NaN of `b`'s format to R. */
function canonicalNaN(b: Bits): void {
  packR(b, 0, (1 << b.exp) - 1, 1n << BigInt(b.frac - 1));
}

/**
 * The special operands of the estimates: NaNs (NV if signaling) become the
 * canonical NaN; returns the class from fclass (bit 0 -inf … bit 9 qNaN), or
 * -1 when the result is written.
 */
function estimateClass(b: Bits): number {
  const cls = (b.bytes === 8 ? fpu.fclass_d : b.bytes === 2 ? fpu.fclass_h : fpu.fclass_s)(S, A);
  if (cls & 0x300) {
    if (cls & 0x100) S.fflags |= FFLAG_NV;
    canonicalNaN(b);
    return -1;
  }
  return cls;
}

/** A positive-or-negative normal or subnormal A normalized: exponent (≤ 0 for subnormals) and the fraction's top bits. */
function normalize(b: Bits, exp: number, frac: bigint): { exp: number; frac: bigint } {
  if (exp === 0) {
    const top = 1n << BigInt(b.frac - 1);
    while ((frac & top) === 0n) {
      exp--;
      frac <<= 1n;
    }
    frac = (frac << 1n) & ((1n << BigInt(b.frac)) - 1n);
  }
  return { exp, frac };
}

/** vfrec7: 1/x to 7 bits, as the spec's table and rules say. */
function rec7(b: Bits, rm: number): void {
  const cls = estimateClass(b);
  if (cls < 0) return;
  const { sign, exp: e0, frac: f0 } = unpackA(b);
  const bias = (1 << (b.exp - 1)) - 1, maxExp = (1 << b.exp) - 1;
  if (cls & 0x81) return packR(b, sign, 0, 0n); // ±inf → ±0
  if (cls & 0x18) {
    S.fflags |= FFLAG_DZ; // ±0 → ±inf
    return packR(b, sign, maxExp, 0n);
  }
  const { exp, frac } = normalize(b, e0, f0);
  const outExp = 2 * bias - 1 - exp;
  if (outExp >= maxExp) {
    // A tiny subnormal: overflow to infinity or the largest finite by the rounding direction.
    S.fflags |= FFLAG_OF | FFLAG_NX;
    const toMax = rm === RM_RTZ || (rm === RM_RDN && sign === 0) || (rm === RM_RUP && sign === 1);
    return toMax ? packR(b, sign, maxExp - 1, (1n << BigInt(b.frac)) - 1n) : packR(b, sign, maxExp, 0n);
  }
  const idx = Number(frac >> BigInt(b.frac - 7));
  let outFrac = BigInt(REC7_TABLE[idx]) << BigInt(b.frac - 7);
  let e = outExp;
  if (e <= 0) {
    // A subnormal result: the significand with its leading one, shifted right by 1 - outExp.
    outFrac = ((1n << BigInt(b.frac)) | outFrac) >> BigInt(1 - e);
    e = 0;
  }
  packR(b, sign, e, outFrac);
}

/** vfrsqrt7: 1/sqrt(x) to 7 bits, as the spec's table and rules say. */
function rsqrt7(b: Bits): void {
  const cls = estimateClass(b);
  if (cls < 0) return;
  const { sign, exp: e0, frac: f0 } = unpackA(b);
  const bias = (1 << (b.exp - 1)) - 1, maxExp = (1 << b.exp) - 1;
  if (cls & 0x8) { // -0 → -inf
    S.fflags |= FFLAG_DZ;
    return packR(b, 1, maxExp, 0n);
  }
  if (cls & 0x10) { // +0 → +inf
    S.fflags |= FFLAG_DZ;
    return packR(b, 0, maxExp, 0n);
  }
  if (cls & 0x80) return packR(b, 0, 0, 0n); // +inf → +0
  if (sign) { // negative non-zero, -inf
    S.fflags |= FFLAG_NV;
    return canonicalNaN(b);
  }
  const { exp, frac } = normalize(b, e0, f0);
  const idx = ((exp & 1) << 6) | Number(frac >> BigInt(b.frac - 6));
  const outExp = Math.floor((3 * bias - 1 - exp) / 2);
  packR(b, 0, outExp, BigInt(RSQRT7_TABLE[idx]) << BigInt(b.frac - 7));
}

// ---------------------------------------------------------------- reductions

/** The reductions, one line each: the accumulator in D takes A = vs2[i]. */
const REDUCE: Readonly<Record<string, (f: Format, rm: number) => void>> = {
  vfredusum: (f, rm) => f.add(S, D, D, A, rm),
  vfredosum: (f, rm) => f.add(S, D, D, A, rm),
  vfredmin: (f) => f.min(S, D, D, A),
  vfredmax: (f) => f.max(S, D, D, A),
};

/**
 * The driver of the reductions: vd[0] = vs1[0] combined with each active
 * vs2[i] of the body in order (QEMU 10 sums the unordered vfredusum in
 * element order too); at 2·SEW for the widening ones. Nothing happens at
 * vl = 0; vstart must be 0.
 */
function reduceDriver(
  lib: typeof DRIVER_LIB,
  raw: number,
  name: string,
  line: (f: Format, rm: number) => void,
  widening: boolean,
  extensions: ReadonlySet<Extension>,
): Executor {
  const {
    requireVtype,
    sewBytes,
    lmulLog2,
    groupRegs,
    requireFpSew,
    IllegalInstruction,
    requireAligned,
    dynamicRm,
    FORMATS,
    S,
    maskBit,
    load,
    store,
    fields,
    A,
    D,
    NEAREST,
    VLENB,
    SCRATCH_F,
    SCRATCH_F32,
    FI,
  } = lib;
  const { vd, vs1, vs2, vm } = fields(raw);
  return (c) => {
    requireVtype(c);
    const s = c.vec, bytes = sewBytes(c), log2 = lmulLog2(s.vtype);
    requireFpSew(bytes, extensions);
    requireAligned(vs2, groupRegs(log2));
    if (s.vstart !== 0) throw new IllegalInstruction("Vector reduction with vstart > 0");
    if (widening && bytes === 8) throw new IllegalInstruction("Widening FP reduction at SEW 64");
    const rm = dynamicRm(c), accBytes = widening ? 2 * bytes : bytes, f = FORMATS[accBytes];
    if (s.vl === 0) return 0;
    S.fflags = 0;
    load(c, vs1, 0, accBytes, D);
    // Under RNE, a sum at SEW 32 or 64 runs on the elements as numbers until an element its fast path declines
    // (NaN: see `arith`), from which on the exact way goes on from the sum so far.
    const fast = rm === 0 && !widening ? NEAREST[name]?.[bytes] : undefined;
    let i = 0;
    if (fast !== undefined) {
      const xs = bytes === 8 ? s.f64 : s.f32, a0 = vs2 * (VLENB / bytes);
      let acc = bytes === 8 ? SCRATCH_F[D] : SCRATCH_F32[2 * D];
      // The accumulator read as a number is a NaN's bits only if the fast path would decline it anyway.
      if (acc === acc) {
        for (; i < s.vl; i++) {
          if (!vm && !maskBit(s.v, i)) continue;
          const r = fast(S, acc, xs[a0 + i]);
          if (r !== r) break;
          acc = r;
        }
        if (bytes === 8) SCRATCH_F[D] = acc;
        else (SCRATCH_F32[2 * D] = acc, FI[2 * D + 1] = -1);
      }
    }
    for (; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      load(c, vs2, i, bytes, A);
      if (widening) f.widen!(S, A, A, 0);
      line(f, rm);
    }
    store(c, vd, 0, accBytes, D);
    c.fflags |= S.fflags;
    return 0;
  };
}

// ---------------------------------------------------------------- moves, merge, slides

/**
 * The driver of the element moves by scalar: vd[i] = pick(i) over the
 * body's elements (active ones, or all for the merge, which picks by the
 * mask), where pick loads R from f[rs1] or a vs2 element.
 */
function move(
  raw: number,
  pick: (c: Cpu, i: number, bytes: number, lo1: number, hi1: number) => void,
  opts: { merge?: boolean; slideUp?: boolean; usesVs2: boolean },
  extensions: ReadonlySet<Extension>,
): Executor {
  const { vd, vs2, vm } = fields(raw);
  return (c, lo1, hi1) => {
    requireVtype(c);
    const s = c.vec, bytes = sewBytes(c), log2 = lmulLog2(s.vtype), regs = groupRegs(log2);
    requireFpSew(bytes, extensions);
    requireAligned(vd, regs);
    if (opts.usesVs2) requireAligned(vs2, regs);
    requireVm(vm, vd);
    if (opts.slideUp) requireNoOverlap(vd, regs, vs2, regs, -1);
    if (opts.usesVs2) requireMaskNotSource(vm, vs2);
    dynamicRm(c);
    for (let i = s.vstart; i < s.vl; i++) {
      if (!opts.merge && !vm && !maskBit(s.v, i)) continue;
      pick(c, i, bytes, lo1, hi1);
      store(c, vd, i, bytes, R);
    }
    s.vstart = 0;
    return 0;
  };
}

/**
 * What the drivers use from this module (their copies see no module's
 * names, {@link copyOf}): {@link arith},
 * {@link reduce} and {@link unary} run a copy of their driver per
 * instruction word ({@link copyOf}), so that its element line, the scalar
 * helpers the line calls and the element widths are one each at every site.
 */
const DRIVER_LIB = {
  requireVtype,
  sewBytes,
  lmulLog2,
  groupRegs,
  requireFpSew,
  IllegalInstruction,
  requireAligned,
  requireVm,
  requireNoOverlap,
  requireApart,
  requireMaskNotSource,
  dynamicRm,
  FORMATS,
  S,
  maskBit,
  load,
  putScalar,
  store,
  fields,
  READS_VD,
  A,
  B,
  D,
  R,
  NEAREST,
  VLENB,
  SCRATCH_F,
  SCRATCH_F32,
  FI,
  HALF_ULP,
};

/** A driver's signature without its first parameter, the module's names it uses. */
type WithoutLib<F> = F extends (lib: typeof DRIVER_LIB, ...rest: infer R) => Executor ? (...rest: R) => Executor
  : never;

/** The single-width and widening arithmetic (see {@link arithDriver}), a copy per instruction once it has run a few times. */
const arith: WithoutLib<typeof arithDriver> = (...args) => copiedLater(arithDriver, args[1], [DRIVER_LIB, ...args]);
/** The reductions (see {@link reduceDriver}), a copy per instruction once it has run a few times. */
const reduce: WithoutLib<typeof reduceDriver> = (...args) => copiedLater(reduceDriver, args[1], [DRIVER_LIB, ...args]);
/** The unary operations and conversions (see {@link unaryDriver}), a copy per instruction once it has run a few times. */
const unary: WithoutLib<typeof unaryDriver> = (...args) => copiedLater(unaryDriver, args[1], [DRIVER_LIB, ...args]);

/** The FP operations, moves and conversions. */
export const floatGroup: VectorGroup = (op, raw, { hi, extensions }) => {
  const vs2 = (raw >>> 20) & 31;
  switch (op) {
    case "vfmv.v.f":
      return move(raw, (_c, _i, bytes, lo1, hi1) => putScalar(R, bytes, lo1, hi1), { usesVs2: false }, extensions);
    case "vfmerge.vfm":
      return move(
        raw,
        (c, i, bytes, lo1, hi1) => {
          if (maskBit(c.vec.v, i)) putScalar(R, bytes, lo1, hi1);
          else load(c, vs2, i, bytes, R);
        },
        { merge: true, usesVs2: true },
        extensions,
      );
    case "vfslide1up.vf":
      return move(
        raw,
        (c, i, bytes, lo1, hi1) => {
          if (i === 0) putScalar(R, bytes, lo1, hi1);
          else load(c, vs2, i - 1, bytes, R);
        },
        { slideUp: true, usesVs2: true },
        extensions,
      );
    case "vfslide1down.vf":
      return move(
        raw,
        (c, i, bytes, lo1, hi1) => {
          if (i === c.vec.vl - 1) putScalar(R, bytes, lo1, hi1);
          else load(c, vs2, i + 1, bytes, R);
        },
        { usesVs2: true },
        extensions,
      );
    case "vfmv.s.f": {
      const vd = (raw >>> 7) & 31;
      return (c, lo1, hi1) => {
        requireVtype(c);
        const s = c.vec, bytes = sewBytes(c);
        requireFpSew(bytes, extensions);
        dynamicRm(c);
        if (s.vstart < s.vl) {
          putScalar(R, bytes, lo1, hi1);
          store(c, vd, 0, bytes, R);
        }
        s.vstart = 0;
        return 0;
      };
    }
    case "vfmv.f.s":
      // f[rd] = vs2[0], NaN-boxed at SEW (whatever vl and vstart are).
      return (c) => {
        requireVtype(c);
        const bytes = sewBytes(c);
        requireFpSew(bytes, extensions);
        dynamicRm(c);
        load(c, vs2, 0, bytes, R);
        c.vec.vstart = 0;
        hi[0] = FI[2 * R + 1];
        return FI[2 * R];
      };
  }
  if (UNARY[op]) return unary(raw, op, UNARY[op], extensions);
  const m = /^(vf|vm)(w?)([a-z0-9]+)\.(vv|vf|wv|wf|vs)$/.exec(op);
  if (!m) return undefined;
  const [, prefix, w, base, form] = m;
  const scalar = form.endsWith("f");
  if (form === "vs") {
    const line = REDUCE[`vfred${base.replace(/^red/, "")}`];
    return line ? reduce(raw, op.replace(/\.vs$/, ""), line, w === "w", extensions) : undefined;
  }
  if (prefix === "vm") {
    return COMPARE[`vm${base}`] ? compare(raw, COMPARE[`vm${base}`], scalar, extensions) : undefined;
  }
  const line = ARITH[`vf${base}`];
  if (!line) return undefined;
  return arith(raw, `vf${w}${base}`, line, scalar, w ? (form.startsWith("w") ? 2 : 1) : 0, extensions);
};
