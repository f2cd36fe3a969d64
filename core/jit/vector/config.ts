/**
 * Configuration: `vsetvli`, `vsetivli` and `vsetvl`, which set `vtype` and
 * `vl` from the requested type and AVL.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { ELEN, type VectorGroup, vlmax } from "./element.ts";

/**
 * vset{i}vl{i}: the new `vtype` (low word `tlo`, high word `thi`) and AVL
 * (`avl`, or -1 for "VLMAX", or -2 for "keep vl") give `vl`, as QEMU's
 * `helper_vsetvl`: an illegal `vtype` (reserved bits, vill, SEW > ELEN,
 * LMUL 4, a fractional LMUL with ELEN · LMUL < SEW) sets `vill` and vl = 0.
 * Returns the new vl.
 */
function vsetvl(c: Cpu, avl: number, tlo: number, thi: number): number {
  const s = c.vec;
  const vlmul = tlo & 7, sew = 8 << ((tlo >> 3) & 7);
  let ill = thi !== 0 || (tlo & ~0xff) !== 0 || sew > ELEN || vlmul === 4;
  // A fractional LMUL needs SEW <= ELEN · LMUL (measured: QEMU 10 refuses e64,mf2 and e16,mf8 at VLEN 128).
  if (vlmul > 4 && ELEN >> (8 - vlmul) < sew) ill = true;
  s.vstart = 0;
  if (ill) {
    s.vill = true;
    s.vtype = 0;
    s.vl = 0;
    return 0;
  }
  const max = vlmax(tlo);
  if (avl === -2) avl = s.vl;
  s.vl = avl < 0 || avl > max ? max : avl;
  s.vtype = tlo;
  s.vill = false;
  return s.vl;
}

/** An AVL from rs1: unsigned, so past 2^53 (and any high word) it is at least VLMAX. */
function avlOf(lo: number, hi: number): number {
  return hi !== 0 ? Number.MAX_SAFE_INTEGER : lo >>> 0;
}

/** The vset* instructions; rs1 = x0 asks for VLMAX (rd ≠ x0) or keeps vl (rd = x0). */
export const configGroup: VectorGroup = (op, raw) => {
  const rs1 = (raw >>> 15) & 31, rd = (raw >>> 7) & 31;
  const avl = (lo: number, hi: number) => rs1 !== 0 ? avlOf(lo, hi) : rd !== 0 ? -1 : -2;
  switch (op) {
    case "vsetvli":
      return (c, lo1, hi1) => vsetvl(c, avl(lo1, hi1), (raw >>> 20) & 0x7ff, 0);
    case "vsetivli":
      return (c) => vsetvl(c, (raw >>> 15) & 31, (raw >>> 20) & 0x3ff, 0);
    case "vsetvl":
      return (c, lo1, hi1, lo2, hi2) => vsetvl(c, avl(lo1, hi1), lo2, hi2);
  }
  return undefined;
};
