/**
 * Vector mask instructions: the logical operations on mask registers (one
 * line each in {@link LOGICAL_OPS}), vcpop.m and vfirst.m (which write
 * x[rd]), vmsbf/vmsif/vmsof.m (one driver, told which bits to set), viota.m
 * and vid.v. Legality as QEMU 10's `trans_rvv.c.inc`: vcpop, vfirst,
 * vmsbf/vmsif/vmsof and viota need vstart = 0; mask destinations' tails stay
 * undisturbed (QEMU's `rvv_ta_all_1s` is off).
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { IllegalInstruction } from "../../cpu/trap.ts";
import {
  type Executor,
  fields,
  groupRegs,
  lmulLog2,
  maskBit,
  maskBitOf,
  overlaps,
  requireAligned,
  requireVm,
  requireVstartZero,
  requireVtype,
  setElement,
  setMaskBit,
  sewBytes,
  type VectorGroup,
} from "./element.ts";

/** `vd.mask[i] = op(vs2.mask[i], vs1.mask[i])`, one line per instruction. */
const LOGICAL_OPS: Readonly<Record<string, (a: boolean, b: boolean) => boolean>> = {
  "vmand.mm": (a, b) => a && b,
  "vmnand.mm": (a, b) => !(a && b),
  "vmandn.mm": (a, b) => a && !b,
  "vmxor.mm": (a, b) => a !== b,
  "vmor.mm": (a, b) => a || b,
  "vmnor.mm": (a, b) => !(a || b),
  "vmorn.mm": (a, b) => a || !b,
  "vmxnor.mm": (a, b) => a === b,
};

/**
 * What vmsbf/vmsif/vmsof write for an active element, given whether it is
 * the first set bit (`first`) or comes after it (`after`).
 */
const SET_FIRST_OPS: Readonly<Record<string, (first: boolean, after: boolean) => boolean>> = {
  "vmsbf.m": (first, after) => !first && !after,
  "vmsif.m": (_first, after) => !after,
  "vmsof.m": (first) => first,
};

/** Whether element `i` is active: unmasked, or its bit of v0 set. */
function active(c: Cpu, vm: boolean, i: number): boolean {
  return vm || maskBit(c.vec.v, i);
}

/** The mask-register logical operations over body bits [vstart, vl). */
function logical(raw: number, op: (a: boolean, b: boolean) => boolean): Executor {
  const { vd, vs1, vs2 } = fields(raw);
  return (c) => {
    requireVtype(c);
    const s = c.vec;
    for (let i = s.vstart; i < s.vl; i++) setMaskBit(c, vd, i, op(maskBitOf(c, vs2, i), maskBitOf(c, vs1, i)));
    s.vstart = 0;
    return 0;
  };
}

/**
 * vcpop.m (`first` false: the number of active set bits) and vfirst.m
 * (`first` true: the index of the first, or -1), written to x[rd].
 */
function countBits(raw: number, first: boolean, hi: Int32Array): Executor {
  const { vs2, vm } = fields(raw);
  return (c) => {
    requireVtype(c);
    requireVstartZero(c);
    let n = 0;
    for (let i = 0; i < c.vec.vl; i++) {
      if (!active(c, vm, i) || !maskBitOf(c, vs2, i)) continue;
      if (first) return i;
      n++;
    }
    if (!first) return n;
    hi[0] = -1;
    return -1;
  };
}

/** vmsbf.m, vmsif.m, vmsof.m: bits before, up to, or at the first active set bit of vs2. */
function setFirst(raw: number, op: (first: boolean, after: boolean) => boolean): Executor {
  const { vd, vs2, vm } = fields(raw);
  return (c) => {
    requireVtype(c);
    requireVm(vm, vd);
    if (vd === vs2) throw new IllegalInstruction(`vmsbf/vmsif/vmsof.m with vd = vs2 (v${vd})`);
    requireVstartZero(c);
    let found = false;
    for (let i = 0; i < c.vec.vl; i++) {
      if (!active(c, vm, i)) continue;
      const first: boolean = !found && maskBitOf(c, vs2, i);
      setMaskBit(c, vd, i, op(first, found));
      found ||= first;
    }
    return 0;
  };
}

/**
 * viota.m (`iota` true: each active element gets the number of set bits of
 * vs2 among the active elements before it) and vid.v (its index).
 */
function indexes(raw: number, iota: boolean): Executor {
  const { vd, vs2, vm } = fields(raw);
  return (c) => {
    requireVtype(c);
    const s = c.vec, regs = groupRegs(lmulLog2(s.vtype)), bytes = sewBytes(c);
    requireAligned(vd, regs);
    requireVm(vm, vd);
    if (iota) {
      if (overlaps(vd, regs, vs2, 1)) throw new IllegalInstruction(`viota.m v${vd} overlaps its source v${vs2}`);
      requireVstartZero(c);
    }
    let sum = 0;
    for (let i = s.vstart; i < s.vl; i++) {
      if (!active(c, vm, i)) continue;
      setElement(c, vd, i, bytes, BigInt(iota ? sum : i));
      if (iota && maskBitOf(c, vs2, i)) sum++;
    }
    s.vstart = 0;
    return 0;
  };
}

/** The mask instructions. */
export const maskGroup: VectorGroup = (op, raw, { hi }) => {
  if (LOGICAL_OPS[op]) return logical(raw, LOGICAL_OPS[op]);
  if (SET_FIRST_OPS[op]) return setFirst(raw, SET_FIRST_OPS[op]);
  switch (op) {
    case "vcpop.m":
      return countBits(raw, false, hi);
    case "vfirst.m":
      return countBits(raw, true, hi);
    case "viota.m":
      return indexes(raw, true);
    case "vid.v":
      return indexes(raw, false);
  }
  return undefined;
};
