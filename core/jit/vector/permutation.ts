/**
 * Vector permutation instructions: slides (by x[rs1] or uimm5, and by one
 * with x[rs1] slid in), register gathers (indices from vs1 at SEW or 16
 * bits, or one index from x[rs1] or uimm5), vcompress.vm and the
 * whole-register moves. Each slide or gather is a source-index function in
 * {@link SOURCES} run by one driver; legality (alignment, overlaps,
 * vstart) as QEMU 10's `trans_rvv.c.inc` checks it.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { IllegalInstruction } from "../../cpu/trap.ts";
import {
  type Executor,
  fields,
  getElement,
  groupRegs,
  lmulLog2,
  maskBit,
  maskBitOf,
  overlaps,
  requireAligned,
  requireMaskNotSource,
  requireVm,
  requireVstartZero,
  requireVtype,
  setElement,
  sewBytes,
  type VectorGroup,
  VLENB,
  vlmax,
  xValue,
} from "./element.ts";

/**
 * Where element i of vd comes from: an element of vs2 (`index`, which reads
 * as 0 at or past VLMAX), x[rs1] (`"x"`), or nothing (`"keep"`: left
 * undisturbed, as the elements below a slide-up's offset).
 */
type Source = number | bigint | "x" | "keep";

/** What a source-index function knows: the element, vl, the offset or index operand, vs1 and SEW. */
interface Where {
  i: number;
  vl: number;
  /** x[rs1] or the immediate, unsigned. */
  scalar: bigint;
  c: Cpu;
  vs1: number;
  bytes: number;
}

/**
 * A slide or gather: the source of each active body element; whether vd
 * may not be vs2 (`distinct`: the slides up and the gathers); where the
 * gathers' vs1 indices are (`indices`: SEW or 16 bits wide).
 */
interface Permutation {
  source: (w: Where) => Source;
  distinct?: true;
  indices?: "sew" | "ei16";
}

/** The slides and gathers, a line each. */
const SOURCES: Readonly<Record<string, Permutation>> = {
  "vslideup": { source: (w) => BigInt(w.i) < w.scalar ? "keep" : w.i - Number(w.scalar), distinct: true },
  "vslidedown": { source: (w) => BigInt(w.i) + w.scalar },
  "vslide1up": { source: (w) => w.i === 0 ? "x" : w.i - 1, distinct: true },
  "vslide1down": { source: (w) => w.i === w.vl - 1 ? "x" : w.i + 1 },
  "vrgather.vx": { source: (w) => w.scalar, distinct: true },
  "vrgather.vv": { source: (w) => getElement(w.c, w.vs1, w.i, w.bytes), distinct: true, indices: "sew" },
  "vrgatherei16": { source: (w) => getElement(w.c, w.vs1, w.i, 2), distinct: true, indices: "ei16" },
};

/** The checks of a slide or gather, as QEMU 10's `vext_check_slide` and vrgather checks. */
function checkPermute(c: Cpu, raw: number, kind: Permutation, name: string): void {
  const { vd, vs1, vs2, vm } = fields(raw);
  requireVtype(c);
  const lmul = lmulLog2(c.vec.vtype), regs = groupRegs(lmul);
  requireAligned(vd, regs);
  requireAligned(vs2, regs);
  requireVm(vm, vd);
  // A masked one may not read v0 as data or as indices (QEMU 10.0.13's vext_check_input_eew).
  requireMaskNotSource(vm, vs2);
  if (kind.indices) requireMaskNotSource(vm, vs1);
  if (kind.distinct && vd === vs2) throw new IllegalInstruction(`${name} with vd = vs2 (v${vd})`);
  if (kind.indices && vd === vs1) throw new IllegalInstruction(`${name} with vd = vs1 (v${vd})`);
  if (kind.indices === "sew") requireAligned(vs1, regs);
  if (kind.indices === "ei16") {
    // The indices' EMUL = 16 / SEW · LMUL.
    const emul = 1 - ((c.vec.vtype >> 3) & 7) + lmul, indexRegs = groupRegs(emul);
    if (emul < -3 || emul > 3) throw new IllegalInstruction(`vrgatherei16.vv with index EMUL 2^${emul}`);
    requireAligned(vs1, indexRegs);
    if (overlaps(vd, regs, vs1, indexRegs) || overlaps(vd, regs, vs2, regs)) {
      throw new IllegalInstruction(`vrgatherei16.vv v${vd} overlaps a source`);
    }
  }
}

/**
 * The driver of slides and gathers: each active body element of vd gets
 * vs2's element named by `source` (0 at or past VLMAX) or x[rs1] at SEW.
 * vs2 is read before vd is written, element by element upwards, which the
 * overlap rules make the same as reading it all first.
 */
function permute(raw: number, name: string, scalarOf: (lo: number, hi: number) => bigint): Executor {
  const kind = SOURCES[name], { vd, vs1, vs2, vm } = fields(raw);
  return (c, lo1, hi1) => {
    checkPermute(c, raw, kind, name);
    const s = c.vec, bytes = sewBytes(c), max = vlmax(s.vtype);
    const w: Where = { i: 0, vl: s.vl, scalar: scalarOf(lo1, hi1), c, vs1, bytes };
    for (let i = s.vstart; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      w.i = i;
      const from = kind.source(w);
      if (from === "keep") continue;
      const value = from === "x" ? xValue(lo1, hi1) : from < max ? getElement(c, vs2, Number(from), bytes) : 0n;
      setElement(c, vd, i, bytes, value);
    }
    s.vstart = 0;
    return 0;
  };
}

/** vcompress.vm: the elements of vs2 whose bit of vs1 is set, packed at the bottom of vd. */
function compress(raw: number): Executor {
  const { vd, vs1, vs2 } = fields(raw);
  return (c) => {
    requireVtype(c);
    const s = c.vec, regs = groupRegs(lmulLog2(s.vtype)), bytes = sewBytes(c);
    requireAligned(vd, regs);
    requireAligned(vs2, regs);
    if (vd === vs2 || overlaps(vd, regs, vs1, 1)) throw new IllegalInstruction(`vcompress.vm v${vd} overlaps a source`);
    requireVstartZero(c);
    let n = 0;
    for (let i = 0; i < s.vl; i++) {
      if (maskBitOf(c, vs1, i)) setElement(c, vd, n++, bytes, getElement(c, vs2, i, bytes));
    }
    return 0;
  };
}

/**
 * vmv<nr>r.v: copies `nr` whole registers, from byte vstart · SEW / 8 on
 * (QEMU 10 counts vstart in SEW elements; past the group nothing is copied).
 * It needs a legal vtype, as in QEMU 10.
 */
function moveWhole(raw: number, nr: number): Executor {
  const { vd, vs2 } = fields(raw);
  return (c) => {
    requireVtype(c);
    requireAligned(vd, nr);
    requireAligned(vs2, nr);
    const s = c.vec, from = s.vstart * sewBytes(c), end = nr * VLENB;
    if (from === 0) {
      // Word by word: a call of copyWithin cost more than the copy of a few registers.
      const w = s.i32, d = vd * (VLENB / 4), v = vs2 * (VLENB / 4);
      for (let k = 0; k < end / 4; k++) w[d + k] = w[v + k];
    } else if (from < end) s.v.copyWithin(vd * VLENB + from, vs2 * VLENB + from, vs2 * VLENB + end);
    s.vstart = 0;
    return 0;
  };
}

/** x[rs1] as an unsigned offset or index. */
const scalarX = (lo: number, hi: number) => xValue(lo, hi);

/** The permutation instructions. */
export const permutationGroup: VectorGroup = (op, raw) => {
  const whole = /^vmv([1248])r\.v$/.exec(op);
  if (whole) return moveWhole(raw, Number(whole[1]));
  if (op === "vcompress.vm") return compress(raw);
  const m = /^(v[a-z0-9]+)\.(vv|vx|vi)$/.exec(op);
  if (m === null) return undefined;
  const [, base, form] = m;
  const name = base.startsWith("vrgather") && base !== "vrgatherei16"
    ? `vrgather.${form === "vi" ? "vx" : form}`
    : base;
  if (!SOURCES[name]) return undefined;
  // The .vi forms' immediate is unsigned (uimm5), used as the .vx forms' x[rs1].
  const uimm = BigInt((raw >>> 15) & 31);
  return permute(raw, name, form === "vi" ? () => uimm : scalarX);
};
