/**
 * Vector integer arithmetic: each binary operation is a line in
 * {@link BINARY_OPS} with a small element function, run by the shared
 * element-wise driver; moves between vector and integer registers.
 *
 * @module
 */

import {
  type ElementOp,
  elementwise,
  getElement,
  operandFor,
  requireVtype,
  setElement,
  sewBytes,
  type VectorGroup,
  xValue,
} from "./element.ts";

/**
 * The integer operations `vd[i] = op(vs2[i], vs1[i] | x[rs1] | simm5)`,
 * one line each: the driver (`elementwise`) does SEW, LMUL, mask and vstart.
 */
const BINARY_OPS: Readonly<Record<string, ElementOp>> = {
  vadd: (a, b) => a + b,
  vsub: (a, b) => a - b,
  vand: (a, b) => a & b,
  vor: (a, b) => a | b,
  vxor: (a, b) => a ^ b,
};

/** The integer operations and moves. */
export const integerGroup: VectorGroup = (op, raw, { hi }) => {
  switch (op) {
    case "vmv.v.v":
    case "vmv.v.x":
    case "vmv.v.i":
      return elementwise(raw, operandFor(`v${op.slice(-1)}`, raw), (_a, b) => b, false, op === "vmv.v.v");
    case "vmv.x.s": {
      const vs2 = (raw >>> 20) & 31;
      return (c) => {
        requireVtype(c);
        const bytes = sewBytes(c);
        const v = BigInt.asIntN(bytes * 8, getElement(c, vs2, 0, bytes));
        c.vec.vstart = 0;
        hi[0] = Number(BigInt.asIntN(32, v >> 32n));
        return Number(BigInt.asIntN(32, v));
      };
    }
    case "vmv.s.x": {
      const vd = (raw >>> 7) & 31;
      return (c, lo1, hi1) => {
        requireVtype(c);
        const s = c.vec, bytes = sewBytes(c);
        if (s.vstart < s.vl) setElement(c, vd, 0, bytes, xValue(lo1, hi1));
        s.vstart = 0;
        return 0;
      };
    }
  }
  const m = /^(v[a-z]+)\.(vv|vx|vi)$/.exec(op);
  if (m && BINARY_OPS[m[1]]) return elementwise(raw, operandFor(m[2], raw), BINARY_OPS[m[1]], true, m[2] === "vv");
  return undefined;
};
