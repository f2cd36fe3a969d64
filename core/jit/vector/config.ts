/**
 * Configuration: `vsetvli`, `vsetivli` and `vsetvl`, which set `vtype` and
 * `vl` from the requested type and AVL.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import type { VectorGroup } from "./element.ts";

/**
 * vset{i}vl{i}: the new `vtype` (low word `tlo`, high word `thi`) and AVL
 * (`avl`, or -1 for "VLMAX", or -2 for "keep vl") give `vl` by
 * `VectorState.setConfig` (QEMU's `helper_vsetvl` rules, which
 * `rt_sigreturn` applies too); vstart is 0. Returns the new vl.
 */
function vsetvl(c: Cpu, avl: number, tlo: number, thi: number): number {
  const s = c.vec;
  s.vstart = 0;
  s.setConfig(avl === -2 ? s.vl : avl < 0 ? Number.MAX_SAFE_INTEGER : avl, tlo, thi);
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
