/**
 * The drivers of the vector integer operations, one per shape: where the
 * element of each operand and of the result is (its EEW: SEW, 2·SEW, a
 * fraction of SEW, or a mask bit), how v0 takes part (a mask, or a carry
 * and merge selector), and the checks that make an encoding reserved under
 * the current `vtype`, as QEMU 10.0's `trans_rvv.c.inc` makes them (register
 * groups aligned to their EMUL, destination and sources overlapping only as
 * section 5.2 allows, sources of different EEW or a masked source v0 not at
 * all, SEW 64 and LMUL 8 out of reach of widening and narrowing).
 *
 * Tail and masked-off elements are left undisturbed (QEMU's default), mask
 * results included: a compare writes bits [vstart, vl) of vd and no other.
 *
 * @module
 */

import { IllegalInstruction } from "../../cpu/trap.ts";
import {
  copiedLater,
  type Executor,
  fields,
  getElement,
  isAligned,
  lmulLog2,
  maskBit,
  mayOverlap,
  requireVtype,
  setElement,
  setMaskBit,
  simm5,
  sourcesAgree,
  VLENB,
  xValue,
} from "./element.ts";

/**
 * One integer operation on one element: `a` is vs2's element (at its EEW),
 * `b` the second operand (vs1's element, x[rs1] or simm5, at SEW bits,
 * unsigned), `d` vd's old element (the multiply-adds), `w` SEW in bits and
 * `m` v0's bit (the carry forms); the result is taken modulo 2^EEW of the
 * destination, or as a mask bit (nonzero is 1).
 */
export type IntOp = (a: bigint, b: bigint, d: bigint, w: number, m: bigint) => bigint;

/**
 * The same operation on elements of at most 32 bits as numbers (unsigned;
 * `m` 0 or 1): the result is taken modulo 2^EEW of the destination (a mask
 * bit: nonzero is 1), so it may be any integer below 2^53. It saves the
 * bigints of the general path where every operand and the result fit in 32
 * bits.
 */
export type SmallIntOp = (a: number, b: number, d: number, w: number, m: number) => number;

/** The shapes of the integer operations. */
export type Shape =
  | "single"
  | "unary"
  | "multiplyAdd"
  | "carry"
  | "merge"
  | "carryOut"
  | "compare"
  | "widening"
  | "wideSource"
  | "wideningMultiplyAdd"
  | "narrowing"
  | "extension2"
  | "extension4"
  | "extension8";

/** The register fields and the current LMUL and SEW (log2) a check looks at. */
interface Operands {
  vd: number;
  vs1: number;
  vs2: number;
  vm: boolean;
  /** Whether the second operand is vs1 (the .vv forms). */
  vv: boolean;
  /** log2 LMUL. */
  l: number;
  /** log2 SEW/8. */
  sew: number;
}

/** Where a shape's elements are and how it reads v0. */
interface Layout {
  /** log2 of vd's EEW over SEW, or "mask" for a mask result. */
  vd: number | "mask";
  /** log2 of vs2's EEW over SEW. */
  vs2: number;
  /** Whether the operation reads vd's old element. */
  readsVd: boolean;
  /** v0 as the mask (vm = 0 skips inactive elements), always as carry or selector, or as carry when vm = 0. */
  v0: "mask" | "carry" | "carryIfMasked";
  /** Whether the encoding is legal under the current vtype. */
  legal: (o: Operands) => boolean;
}

/** A masked instruction does not write v0 (for a result that is not a mask). */
const vmOk = (o: Operands) => o.vm || o.vd !== 0;

/** QEMU's vext_check_ss and vext_check_sss: every group aligned to LMUL, no masked source v0. */
const singleLegal = (o: Operands) =>
  vmOk(o) && isAligned(o.vd, o.l) && isAligned(o.vs2, o.l) && sourcesAgree(o.l, o.vm, o.vs2, 0, -1, 0) &&
  (!o.vv || (sourcesAgree(o.l, o.vm, o.vs1, 0, o.vs2, 0) && isAligned(o.vs1, o.l)));

/** QEMU's vext_check_ms and vext_check_mss: a mask result overlaps a source group only at the same register. */
const maskLegal = (o: Operands) =>
  isAligned(o.vs2, o.l) && (o.vd === o.vs2 || mayOverlap(o.vd, 0, o.vs2, o.l)) &&
  (!o.vv || (isAligned(o.vs1, o.l) && (o.vd === o.vs1 || mayOverlap(o.vd, 0, o.vs1, o.l))));

/** What widening and narrowing share: 2·SEW ≤ 64 and 2·LMUL ≤ 8, no masked write of v0. */
const doubledLegal = (o: Operands) => o.l <= 2 && o.sew < 3 && vmOk(o);

/** QEMU's vext_check_ds for source `vs` of SEW under a destination of 2·SEW. */
const wideOverSingle = (o: Operands, vs: number) =>
  sourcesAgree(o.l, o.vm, vs, 0, -1, 0) && isAligned(vs, o.l) && mayOverlap(o.vd, o.l + 1, vs, o.l);

/** QEMU's vext_check_dss (.vv) and vext_check_ds (.vx). */
const wideningLegal = (o: Operands) =>
  doubledLegal(o) && isAligned(o.vd, o.l + 1) && wideOverSingle(o, o.vs2) &&
  (!o.vv || (sourcesAgree(o.l, o.vm, o.vs1, 0, o.vs2, 0) && wideOverSingle(o, o.vs1)));

/** QEMU's vext_check_dds (.wv) and vext_check_dd (.wx): vs2 is as wide as vd. */
const wideSourceLegal = (o: Operands) =>
  doubledLegal(o) && isAligned(o.vd, o.l + 1) && isAligned(o.vs2, o.l + 1) &&
  (o.vv
    ? wideOverSingle(o, o.vs1) && sourcesAgree(o.l, o.vm, o.vs1, 0, o.vs2, 1)
    : sourcesAgree(o.l, o.vm, o.vs2, 1, -1, 0));

/** The widening multiply-adds read vd too: it may not overlap a source of SEW at all. */
const wideningMultiplyAddLegal = (o: Operands) =>
  wideningLegal(o) && sourcesAgree(o.l, o.vm, o.vd, 1, o.vs2, 0) &&
  (!o.vv || sourcesAgree(o.l, o.vm, o.vd, 1, o.vs1, 0));

/** QEMU's vext_check_sds (.wv) and vext_check_sd (.wx, .wi): vd may be the lowest part of vs2. */
const narrowingLegal = (o: Operands) =>
  doubledLegal(o) && isAligned(o.vs2, o.l + 1) && isAligned(o.vd, o.l) && sourcesAgree(o.l, o.vm, o.vs2, 1, -1, 0) &&
  (o.vd === o.vs2 || mayOverlap(o.vd, o.l, o.vs2, o.l + 1)) &&
  (!o.vv || (sourcesAgree(o.l, o.vm, o.vs1, 0, o.vs2, 1) && isAligned(o.vs1, o.l)));

/** QEMU's int_ext_check for vs2 of SEW/2^`k`: at least 8 bits, vd not vs2. */
const extensionLegal = (k: number) => (o: Operands) =>
  o.sew >= k && o.vd !== o.vs2 && isAligned(o.vd, o.l) && isAligned(o.vs2, o.l - k) && vmOk(o) &&
  mayOverlap(o.vd, o.l, o.vs2, o.l - k) && sourcesAgree(o.l, o.vm, -1, 0, o.vs2, -k);

const LAYOUTS: Readonly<Record<Shape, Layout>> = {
  single: { vd: 0, vs2: 0, readsVd: false, v0: "mask", legal: singleLegal },
  unary: { vd: 0, vs2: 0, readsVd: false, v0: "mask", legal: singleLegal },
  multiplyAdd: { vd: 0, vs2: 0, readsVd: true, v0: "mask", legal: singleLegal },
  // vadc, vsbc: v0 is the carry, vd is not v0, a source may be (QEMU decodes them with vm = 1; measured).
  carry: { vd: 0, vs2: 0, readsVd: false, v0: "carry", legal: (o) => o.vd !== 0 && singleLegal({ ...o, vm: true }) },
  // vmerge: v0 selects; checked as the masked instruction it is encoded as (no source v0; measured).
  merge: { vd: 0, vs2: 0, readsVd: false, v0: "carry", legal: singleLegal },
  carryOut: { vd: "mask", vs2: 0, readsVd: false, v0: "carryIfMasked", legal: maskLegal },
  compare: { vd: "mask", vs2: 0, readsVd: false, v0: "mask", legal: maskLegal },
  widening: { vd: 1, vs2: 0, readsVd: false, v0: "mask", legal: wideningLegal },
  wideSource: { vd: 1, vs2: 1, readsVd: false, v0: "mask", legal: wideSourceLegal },
  wideningMultiplyAdd: { vd: 1, vs2: 0, readsVd: true, v0: "mask", legal: wideningMultiplyAddLegal },
  narrowing: { vd: 0, vs2: 1, readsVd: false, v0: "mask", legal: narrowingLegal },
  extension2: { vd: 0, vs2: -1, readsVd: false, v0: "mask", legal: extensionLegal(1) },
  extension4: { vd: 0, vs2: -2, readsVd: false, v0: "mask", legal: extensionLegal(2) },
  extension8: { vd: 0, vs2: -3, readsVd: false, v0: "mask", legal: extensionLegal(3) },
};

/**
 * The executor of integer operation `op` of shape `shape` (instruction word
 * `raw`, named `name`) with its second operand from vs1 (`v`), x[rs1] (`x`),
 * simm5 (`i`), uimm5 (`u`) or none: for each body element i in [vstart, vl) that v0
 * leaves active, `vd[i] = op(vs2[i], operand, vd[i])`; `small` is `op` on
 * numbers, used where every element fits in 32 bits.
 */
export function runShape(
  raw: number,
  name: string,
  shape: Shape,
  operand: "v" | "x" | "i" | "u" | "none",
  op: IntOp,
  small?: SmallIntOp,
): Executor {
  const { vd, vs1, vs2, vm } = fields(raw);
  const layout = LAYOUTS[shape], vv = operand === "v";
  // uimm5, and for vror.vi uimm6 (bit 26 is its high bit; it is part of funct6 elsewhere).
  const uimm = ((raw >>> 15) & 31) | (name === "vror.vi" ? ((raw >>> 26) & 1) << 5 : 0);
  const smallImm = operand === "u" ? uimm : simm5(raw), imm = BigInt(smallImm);
  const maskOut = layout.vd === "mask", dLog2 = maskOut ? 0 : layout.vd as number;
  const widest = Math.max(dLog2, layout.vs2);
  const masked = !vm && layout.v0 === "mask", carries = layout.v0 === "carry" || (!vm && layout.v0 !== "mask");
  return copiedLater(shapeExecutor, name, [
    SHAPE_LIB,
    vd,
    vs1,
    vs2,
    vm,
    name,
    layout,
    vv,
    operand,
    smallImm,
    imm,
    maskOut,
    dLog2,
    widest,
    masked,
    carries,
    op,
    small,
  ]);
}

/** What {@link shapeExecutor} uses from this module: its copies see no module's names ({@link copyOf}). */
const SHAPE_LIB = {
  requireVtype,
  lmulLog2,
  IllegalInstruction,
  xValue,
  maskBit,
  getElement,
  setElement,
  setMaskBit,
  VLENB,
};

/**
 * The executor of one instruction of {@link runShape}, copied per
 * instruction word ({@link copyOf}) so that its element function and the
 * typed arrays it reads are one each at every site.
 */
function shapeExecutor(
  lib: typeof SHAPE_LIB,
  vd: number,
  vs1: number,
  vs2: number,
  vm: boolean,
  name: string,
  layout: Layout,
  vv: boolean,
  operand: string,
  smallImm: number,
  imm: bigint,
  maskOut: boolean,
  dLog2: number,
  widest: number,
  masked: boolean,
  carries: boolean,
  op: IntOp,
  small: SmallIntOp | undefined,
): Executor {
  const { requireVtype, lmulLog2, IllegalInstruction, xValue, maskBit, getElement, setElement, setMaskBit, VLENB } =
    lib;
  // The vtype last found legal: the checks depend only on it and on the word (most runs meet the same one).
  let legalFor = -1;
  return (c, lo1, hi1) => {
    const st = c.vec;
    requireVtype(c);
    if (st.vtype !== legalFor) {
      const l = lmulLog2(st.vtype), sew = (st.vtype >> 3) & 7;
      if (!layout.legal({ vd, vs1, vs2, vm, vv, l, sew })) {
        throw new IllegalInstruction(
          `Vector ${name} v${vd}, v${vs2}, v${vs1} reserved under vtype 0x${st.vtype.toString(16)}`,
        );
      }
      legalFor = st.vtype;
    }
    const bytes = 1 << ((st.vtype >> 3) & 7), w = bytes * 8;
    const aBytes = layout.vs2 >= 0 ? bytes << layout.vs2 : bytes >> -layout.vs2, dBytes = bytes << dLog2;
    if (small !== undefined && bytes << widest <= 4) {
      // The scalar operand at SEW bits, unsigned.
      const x = ((operand === "x" ? lo1 : smallImm) & (w === 32 ? -1 : (1 << w) - 1)) >>> 0, readsVd = layout.readsVd;
      // Each operand's elements as a typed array of its width, and the index of the group's element 0 in it.
      const v = st.v, as = aBytes === 1 ? v : aBytes === 2 ? st.u16 : st.u32, a0 = (vs2 * VLENB) / aBytes;
      const bs = bytes === 1 ? v : bytes === 2 ? st.u16 : st.u32, b0 = (vs1 * VLENB) / bytes;
      const ds = dBytes === 1 ? v : dBytes === 2 ? st.u16 : st.u32, d0 = (vd * VLENB) / dBytes;
      for (let i = st.vstart, vl = st.vl; i < vl; i++) {
        const bit = (v[i >> 3] >> (i & 7)) & 1;
        if (masked && bit === 0) continue;
        const r = small(as[a0 + i], vv ? bs[b0 + i] : x, readsVd ? ds[d0 + i] : 0, w, carries ? bit : 0);
        if (maskOut) setMaskBit(c, vd, i, r !== 0);
        else ds[d0 + i] = r;
      }
      st.vstart = 0;
      return 0;
    }
    const scalar = operand === "x" ? BigInt.asUintN(w, xValue(lo1, hi1)) : BigInt.asUintN(w, imm);
    if (bytes === 8 && aBytes === 8 && (maskOut || dBytes === 8)) {
      // Single width at SEW 64, as a BigUint64Array (its store takes the result modulo 2^64).
      const xs = st.u64, a0 = vs2 * 2, b0 = vs1 * 2, d0 = vd * 2, readsVd = layout.readsVd, v = st.v;
      for (let i = st.vstart, vl = st.vl; i < vl; i++) {
        const bit = (v[i >> 3] >> (i & 7)) & 1;
        if (masked && bit === 0) continue;
        const r = op(xs[a0 + i], vv ? xs[b0 + i] : scalar, readsVd ? xs[d0 + i] : 0n, 64, carries && bit ? 1n : 0n);
        if (maskOut) setMaskBit(c, vd, i, r !== 0n);
        else xs[d0 + i] = r;
      }
      st.vstart = 0;
      return 0;
    }
    for (let i = st.vstart; i < st.vl; i++) {
      const bit = maskBit(st.v, i);
      if (masked && !bit) continue;
      const a = getElement(c, vs2, i, aBytes), b = vv ? getElement(c, vs1, i, bytes) : scalar;
      const m = carries && bit ? 1n : 0n;
      if (maskOut) setMaskBit(c, vd, i, op(a, b, 0n, w, m) !== 0n);
      else setElement(c, vd, i, dBytes, op(a, b, layout.readsVd ? getElement(c, vd, i, dBytes) : 0n, w, m));
    }
    st.vstart = 0;
    return 0;
  };
}
