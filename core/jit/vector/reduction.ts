/**
 * Vector integer reductions: `vd[0] = vs1[0] op vs2[0] op … op vs2[vl-1]`
 * over the active elements, and the widening sums, whose scalar and result
 * are 2·SEW bits wide. Each operation is a line in {@link REDUCTIONS}, run
 * by one driver.
 *
 * As QEMU 10 runs them: vstart ≠ 0 is illegal (the spec lets an
 * implementation refuse it), vl = 0 leaves vd untouched, and only vd[0] is
 * written (the rest of vd is tail, left undisturbed).
 *
 * @module
 */

import { IllegalInstruction } from "../../cpu/trap.ts";
import {
  type Executor,
  fields,
  getElement,
  groupRegs,
  lmulLog2,
  maskBit,
  requireAligned,
  requireVtype,
  setElement,
  sewBytes,
  type VectorGroup,
} from "./element.ts";

/** One reduction: how elements are read and folded into the accumulator. */
interface Reduction {
  /** Elements (and the scalar) are signed: for min and max, and the widening sum's sign extension. */
  signed: boolean;
  /** The scalar vs1[0] and the result vd[0] are 2·SEW bits wide (SEW < 64). */
  widen?: boolean;
  /** The accumulator after element `e`. */
  fold: (acc: bigint, e: bigint) => bigint;
}

const min = (a: bigint, b: bigint) => a < b ? a : b;
const max = (a: bigint, b: bigint) => a > b ? a : b;

/** The integer reductions, one line each. */
const REDUCTIONS: Readonly<Record<string, Reduction>> = {
  vredsum: { signed: false, fold: (a, e) => a + e },
  vredand: { signed: false, fold: (a, e) => a & e },
  vredor: { signed: false, fold: (a, e) => a | e },
  vredxor: { signed: false, fold: (a, e) => a ^ e },
  vredminu: { signed: false, fold: min },
  vredmin: { signed: true, fold: min },
  vredmaxu: { signed: false, fold: max },
  vredmax: { signed: true, fold: max },
  vwredsumu: { signed: false, widen: true, fold: (a, e) => a + e },
  vwredsum: { signed: true, widen: true, fold: (a, e) => a + e },
};

/**
 * The driver of every reduction. Its checks are QEMU 10's: vtype legal, vs2
 * aligned to LMUL, vstart = 0, and SEW < 64 to widen; vd and vs1 are single
 * registers, and a masked one may write v0.
 */
function reduce(raw: number, row: Reduction): Executor {
  const { vd, vs1, vs2, vm } = fields(raw);
  return (c) => {
    requireVtype(c);
    const s = c.vec, bytes = sewBytes(c), accBytes = row.widen ? 2 * bytes : bytes;
    if (row.widen && bytes === 8) throw new IllegalInstruction("Widening reduction at SEW 64");
    requireAligned(vs2, groupRegs(lmulLog2(s.vtype)));
    if (s.vstart !== 0) throw new IllegalInstruction("Reduction with vstart ≠ 0");
    if (s.vl === 0) return 0;
    const read = (v: bigint, b: number) => row.signed ? BigInt.asIntN(b * 8, v) : v;
    let acc = read(getElement(c, vs1, 0, accBytes), accBytes);
    for (let i = 0; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      acc = row.fold(acc, read(getElement(c, vs2, i, bytes), bytes));
    }
    setElement(c, vd, 0, accBytes, acc);
    return 0;
  };
}

/** The integer reductions `<op>.vs`. */
export const reductionGroup: VectorGroup = (op, raw) => {
  const m = /^(v[a-z]+)\.vs$/.exec(op);
  const row = m ? REDUCTIONS[m[1]] : undefined;
  return row ? reduce(raw, row) : undefined;
};
