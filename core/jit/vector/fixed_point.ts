/**
 * Vector fixed-point arithmetic: saturating add and subtract, averaging add
 * and subtract, the fractional multiply `vsmul`, scaling shifts and the
 * narrowing clips. Each operation is a line in {@link FIXED_OPS} that gives
 * the exact (unbounded) result of one element; the driver reads the
 * operands at their width and signedness, rounds by `vxrm` where the line
 * says, and saturates to SEW bits (setting `vxsat`) or wraps.
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
  requireMaskNotSource,
  requireVm,
  requireVtype,
  setElement,
  sewBytes,
  simm5,
  type VectorGroup,
  xValue,
} from "./element.ts";

/**
 * `v` shifted right by `d` bits (arithmetically) and rounded by `vxrm`, as
 * the spec's `roundoff`: 0 rounds to nearest, ties up (rnu); 1 to nearest,
 * ties to even (rne); 2 down (rdn, truncation); 3 to odd (rod: jam the lost
 * bits into the lowest kept one).
 *
 * @example 0b1011 (11) shifted by 2 is 2.75: rnu 3, rne 3, rdn 2, rod 3; 0b1010 (2.5): rnu 3, rne 2, rdn 2, rod 3.
 * ```ts
 * import { roundoff } from "./fixed_point.ts";
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual([0, 1, 2, 3].map((rm) => roundoff(11n, 2n, rm)), [3n, 3n, 2n, 3n]);
 * deepStrictEqual([0, 1, 2, 3].map((rm) => roundoff(10n, 2n, rm)), [3n, 2n, 2n, 3n]);
 * deepStrictEqual(roundoff(-5n, 1n, 0), -2n); // -2.5 ties up
 * ```
 */
export function roundoff(v: bigint, d: bigint, vxrm: number): bigint {
  const kept = v >> d;
  if (d === 0n) return kept;
  const lost = v & ((1n << d) - 1n), half = 1n << (d - 1n), odd = kept & 1n;
  switch (vxrm) {
    case 0:
      return kept + (lost >= half ? 1n : 0n);
    case 1:
      return kept + (lost > half || (lost === half && odd === 1n) ? 1n : 0n);
    case 2:
      return kept;
    default:
      return kept | (lost !== 0n ? 1n : 0n);
  }
}

/** One fixed-point operation: how its operands are read and its result bounded. */
interface FixedOp {
  /** Operands and result are signed (two's complement) rather than unsigned integers. */
  signed: boolean;
  /** The result saturates to SEW bits' range, setting `vxsat`; otherwise it wraps modulo 2^SEW. */
  saturate: boolean;
  /** vs2 has 2·SEW-bit elements (the narrowing clips, `.wv`/`.wx`/`.wi`). */
  narrow?: boolean;
  /**
   * The second operand is a shift amount: its low log2(width of vs2's
   * elements) bits count, and the immediate form's is uimm5 (simm5 otherwise).
   */
  shift?: boolean;
  /** The exact result from vs2's element `a` (`width` bits), the operand `b` and `vxrm`. */
  exact: (a: bigint, b: bigint, width: bigint, vxrm: number) => bigint;
}

/** The fixed-point operations, one line each. */
const FIXED_OPS: Readonly<Record<string, FixedOp>> = {
  vsaddu: { signed: false, saturate: true, exact: (a, b) => a + b },
  vsadd: { signed: true, saturate: true, exact: (a, b) => a + b },
  vssubu: { signed: false, saturate: true, exact: (a, b) => a - b },
  vssub: { signed: true, saturate: true, exact: (a, b) => a - b },
  vaaddu: { signed: false, saturate: false, exact: (a, b, _w, rm) => roundoff(a + b, 1n, rm) },
  vaadd: { signed: true, saturate: false, exact: (a, b, _w, rm) => roundoff(a + b, 1n, rm) },
  vasubu: { signed: false, saturate: false, exact: (a, b, _w, rm) => roundoff(a - b, 1n, rm) },
  vasub: { signed: true, saturate: false, exact: (a, b, _w, rm) => roundoff(a - b, 1n, rm) },
  // The product of two SEW-bit fractions (1.SEW-1 bits each) back to SEW-1 fraction bits.
  vsmul: { signed: true, saturate: true, exact: (a, b, w, rm) => roundoff(a * b, w - 1n, rm) },
  vssrl: { signed: false, saturate: false, shift: true, exact: (a, b, _w, rm) => roundoff(a, b, rm) },
  vssra: { signed: true, saturate: false, shift: true, exact: (a, b, _w, rm) => roundoff(a, b, rm) },
  vnclipu: { signed: false, saturate: true, narrow: true, shift: true, exact: (a, b, _w, rm) => roundoff(a, b, rm) },
  vnclip: { signed: true, saturate: true, narrow: true, shift: true, exact: (a, b, _w, rm) => roundoff(a, b, rm) },
};

/** Whether register groups [a, a + na) and [b, b + nb) share a register. */
function overlaps(a: number, na: number, b: number, nb: number): boolean {
  return a < b + nb && b < a + na;
}

/**
 * The checks of one form, as QEMU 10's `trans_rvv.c.inc` makes them: vd,
 * vs2 (and vs1 for `.vv`/`.wv`) aligned to their groups, v0 neither written
 * nor read as a source when masked; a narrowing one needs LMUL ≤ 4 and
 * SEW < 64, its vd may overlap vs2's wider group only by being vs2 itself,
 * and its vs1 may not overlap vs2 at all (one register read at two EEWs).
 */
function check(
  lmul: number,
  bytes: number,
  vd: number,
  vs2: number,
  vs1: number | undefined,
  vm: boolean,
  narrow: boolean,
) {
  const regs = groupRegs(lmul), wide = narrow ? groupRegs(lmul + 1) : regs;
  if (narrow) {
    if (lmul > 2 || bytes === 8) throw new IllegalInstruction("Narrowing at LMUL 8 or SEW 64");
    if (vd !== vs2 && overlaps(vd, regs, vs2, wide)) {
      throw new IllegalInstruction("Narrowing destination overlaps its source");
    }
    if (vs1 !== undefined && overlaps(vs1, regs, vs2, wide)) {
      throw new IllegalInstruction("Narrowing sources overlap");
    }
  }
  requireAligned(vs2, wide);
  requireAligned(vd, regs);
  requireVm(vm, vd);
  requireMaskNotSource(vm, vs2);
  if (vs1 !== undefined) {
    requireAligned(vs1, regs);
    requireMaskNotSource(vm, vs1);
  }
}

/**
 * The driver of every fixed-point operation: for each body element i in
 * [vstart, vl) the mask leaves active, `vd[i] = bound(exact(vs2[i], b))`
 * where b is vs1[i], x[rs1] or the immediate, taken to SEW bits.
 */
function fixedPoint(raw: number, form: string, row: FixedOp): Executor {
  const { vd, vs1, vs2, vm } = fields(raw);
  const vector = form[1] === "v", scalar = form[1] === "x";
  const imm = BigInt(row.shift ? (raw >>> 15) & 31 : simm5(raw));
  return (c, lo1, hi1) => {
    requireVtype(c);
    const s = c.vec, bytes = sewBytes(c), aBytes = row.narrow ? 2 * bytes : bytes;
    check(lmulLog2(s.vtype), bytes, vd, vs2, vector ? vs1 : undefined, vm, row.narrow === true);
    const sew = bytes * 8, width = BigInt(aBytes * 8);
    const read = (v: bigint, bits: number) => row.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
    const max = row.signed ? (1n << BigInt(sew - 1)) - 1n : (1n << BigInt(sew)) - 1n;
    const min = row.signed ? -(1n << BigInt(sew - 1)) : 0n;
    const x = scalar ? xValue(lo1, hi1) : imm;
    for (let i = s.vstart; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      const a = read(getElement(c, vs2, i, aBytes), aBytes * 8);
      let b = read(vector ? getElement(c, vs1, i, bytes) : x, sew);
      if (row.shift) b &= width - 1n;
      let r = row.exact(a, b, width, s.vxrm);
      if (row.saturate && (r > max || r < min)) {
        r = r > max ? max : min;
        s.vxsat = 1;
      }
      setElement(c, vd, i, bytes, r);
    }
    s.vstart = 0;
    return 0;
  };
}

/** The fixed-point instructions: `<op>.vv|vx|vi` and the clips' `.wv|wx|wi`. */
export const fixedPointGroup: VectorGroup = (op, raw) => {
  const m = /^(v[a-z]+)\.([vw][vxi])$/.exec(op);
  const row = m ? FIXED_OPS[m[1]] : undefined;
  return row && m ? fixedPoint(raw, m[2], row) : undefined;
};
