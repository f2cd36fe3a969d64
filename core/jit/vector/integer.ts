/**
 * Vector integer arithmetic: each operation is a line in {@link OPS}, an
 * element function run by the driver of its shape (`integer_shapes.ts`:
 * single-width, widening, narrowing, extension, mask-producing, carry);
 * moves between vector and integer registers (the shared element-wise
 * driver).
 *
 * @module
 */

import {
  elementwise,
  getElement,
  operandFor,
  requireVtype,
  setElement,
  sewBytes,
  type VectorGroup,
  xValue,
} from "./element.ts";
import { type IntOp, runShape, type Shape, type SmallIntOp } from "./integer_shapes.ts";

/** `v` as a signed `bits`-bit integer. */
const s = BigInt.asIntN;

/** `v` (below 2^32) as a signed `bits`-bit integer (bits ≤ 32). */
const sn = (bits: number, v: number) => (v << (32 - bits)) >> (32 - bits);

/** A shift amount: the low log2(`bits`) bits of `b`. */
const amount = (b: bigint, bits: number) => b & BigInt(bits - 1);

/**
 * The integer operations, one line each, by their name without the
 * form: `a` is vs2's element (at its EEW), `b` the second operand (vs1's
 * element, x[rs1] or the immediate, at SEW, unsigned), `d` vd's old
 * element, `w` SEW in bits, `m` v0's bit for the carry forms. The shape
 * (the second field) says how the driver reads and writes them. A third
 * field is the same operation on numbers, which the driver prefers (no
 * bigints) where every element fits in 32 bits: the frequent operations
 * have one.
 */
const OPS: Readonly<Record<string, readonly [Shape, IntOp, SmallIntOp?]>> = {
  vadd: ["single", (a, b) => a + b, (a, b) => a + b],
  vsub: ["single", (a, b) => a - b, (a, b) => a - b],
  vrsub: ["single", (a, b) => b - a, (a, b) => b - a],
  vand: ["single", (a, b) => a & b, (a, b) => a & b],
  vor: ["single", (a, b) => a | b, (a, b) => a | b],
  vxor: ["single", (a, b) => a ^ b, (a, b) => a ^ b],
  vminu: ["single", (a, b) => a < b ? a : b, (a, b) => a < b ? a : b],
  vmin: ["single", (a, b, _d, w) => s(w, a) < s(w, b) ? a : b, (a, b, _d, w) => sn(w, a) < sn(w, b) ? a : b],
  vmaxu: ["single", (a, b) => a > b ? a : b, (a, b) => a > b ? a : b],
  vmax: ["single", (a, b, _d, w) => s(w, a) > s(w, b) ? a : b, (a, b, _d, w) => sn(w, a) > sn(w, b) ? a : b],
  vsll: ["single", (a, b, _d, w) => a << amount(b, w), (a, b, _d, w) => a << (b & (w - 1))],
  vsrl: ["single", (a, b, _d, w) => a >> amount(b, w), (a, b, _d, w) => a >>> (b & (w - 1))],
  vsra: ["single", (a, b, _d, w) => s(w, a) >> amount(b, w), (a, b, _d, w) => sn(w, a) >> (b & (w - 1))],
  vmul: ["single", (a, b) => a * b, (a, b) => Math.imul(a, b)],
  vmulh: ["single", (a, b, _d, w) => (s(w, a) * s(w, b)) >> BigInt(w)],
  vmulhu: ["single", (a, b, _d, w) => (a * b) >> BigInt(w)],
  vmulhsu: ["single", (a, b, _d, w) => (s(w, a) * b) >> BigInt(w)],
  // Division by zero gives all ones (quotient) or the dividend (remainder); the most negative
  // number over -1 overflows back to itself, remainder 0, as BigInt's truncating division gives.
  vdivu: ["single", (a, b) => b === 0n ? -1n : a / b],
  vdiv: ["single", (a, b, _d, w) => b === 0n ? -1n : s(w, a) / s(w, b)],
  vremu: ["single", (a, b) => b === 0n ? a : a % b],
  vrem: ["single", (a, b, _d, w) => b === 0n ? a : s(w, a) % s(w, b)],
  vmacc: ["multiplyAdd", (a, b, d) => d + b * a, (a, b, d) => d + Math.imul(b, a)],
  vnmsac: ["multiplyAdd", (a, b, d) => d - b * a, (a, b, d) => d - Math.imul(b, a)],
  vmadd: ["multiplyAdd", (a, b, d) => b * d + a, (a, b, d) => Math.imul(b, d) + a],
  vnmsub: ["multiplyAdd", (a, b, d) => a - b * d, (a, b, d) => a - Math.imul(b, d)],
  vadc: ["carry", (a, b, _d, _w, m) => a + b + m, (a, b, _d, _w, m) => a + b + m],
  vsbc: ["carry", (a, b, _d, _w, m) => a - b - m, (a, b, _d, _w, m) => a - b - m],
  vmerge: ["merge", (a, b, _d, _w, m) => m ? b : a, (a, b, _d, _w, m) => m ? b : a],
  vmadc: ["carryOut", (a, b, _d, w, m) => (a + b + m) >> BigInt(w), (a, b, _d, w, m) => a + b + m >= 2 ** w ? 1 : 0],
  vmsbc: ["carryOut", (a, b, _d, _w, m) => a - b - m < 0n ? 1n : 0n, (a, b, _d, _w, m) => a - b - m < 0 ? 1 : 0],
  vmseq: ["compare", (a, b) => a === b ? 1n : 0n, (a, b) => a === b ? 1 : 0],
  vmsne: ["compare", (a, b) => a !== b ? 1n : 0n, (a, b) => a !== b ? 1 : 0],
  vmsltu: ["compare", (a, b) => a < b ? 1n : 0n, (a, b) => a < b ? 1 : 0],
  vmslt: ["compare", (a, b, _d, w) => s(w, a) < s(w, b) ? 1n : 0n, (a, b, _d, w) => sn(w, a) < sn(w, b) ? 1 : 0],
  vmsleu: ["compare", (a, b) => a <= b ? 1n : 0n, (a, b) => a <= b ? 1 : 0],
  vmsle: ["compare", (a, b, _d, w) => s(w, a) <= s(w, b) ? 1n : 0n, (a, b, _d, w) => sn(w, a) <= sn(w, b) ? 1 : 0],
  vmsgtu: ["compare", (a, b) => a > b ? 1n : 0n, (a, b) => a > b ? 1 : 0],
  vmsgt: ["compare", (a, b, _d, w) => s(w, a) > s(w, b) ? 1n : 0n, (a, b, _d, w) => sn(w, a) > sn(w, b) ? 1 : 0],
  vwaddu: ["widening", (a, b) => a + b, (a, b) => a + b],
  vwadd: ["widening", (a, b, _d, w) => s(w, a) + s(w, b), (a, b, _d, w) => sn(w, a) + sn(w, b)],
  vwsubu: ["widening", (a, b) => a - b, (a, b) => a - b],
  vwsub: ["widening", (a, b, _d, w) => s(w, a) - s(w, b), (a, b, _d, w) => sn(w, a) - sn(w, b)],
  "vwaddu.w": ["wideSource", (a, b) => a + b, (a, b) => a + b],
  "vwadd.w": ["wideSource", (a, b, _d, w) => s(2 * w, a) + s(w, b), (a, b, _d, w) => sn(2 * w, a) + sn(w, b)],
  "vwsubu.w": ["wideSource", (a, b) => a - b, (a, b) => a - b],
  "vwsub.w": ["wideSource", (a, b, _d, w) => s(2 * w, a) - s(w, b), (a, b, _d, w) => sn(2 * w, a) - sn(w, b)],
  vwmulu: ["widening", (a, b) => a * b, (a, b) => a * b],
  vwmul: ["widening", (a, b, _d, w) => s(w, a) * s(w, b), (a, b, _d, w) => sn(w, a) * sn(w, b)],
  vwmulsu: ["widening", (a, b, _d, w) => s(w, a) * b, (a, b, _d, w) => sn(w, a) * b],
  vwmaccu: ["wideningMultiplyAdd", (a, b, d) => d + b * a, (a, b, d) => d + b * a],
  vwmacc: ["wideningMultiplyAdd", (a, b, d, w) => d + s(w, b) * s(w, a), (a, b, d, w) => d + sn(w, b) * sn(w, a)],
  vwmaccsu: ["wideningMultiplyAdd", (a, b, d, w) => d + s(w, b) * a, (a, b, d, w) => d + sn(w, b) * a],
  vwmaccus: ["wideningMultiplyAdd", (a, b, d, w) => d + b * s(w, a), (a, b, d, w) => d + b * sn(w, a)],
  vnsrl: ["narrowing", (a, b, _d, w) => a >> amount(b, 2 * w), (a, b, _d, w) => a >>> (b & (2 * w - 1))],
  vnsra: [
    "narrowing",
    (a, b, _d, w) => s(2 * w, a) >> amount(b, 2 * w),
    (a, b, _d, w) => sn(2 * w, a) >> (b & (2 * w - 1)),
  ],
  "vzext.vf2": ["extension2", (a) => a, (a) => a],
  "vsext.vf2": ["extension2", (a, _b, _d, w) => s(w / 2, a), (a, _b, _d, w) => sn(w / 2, a)],
  "vzext.vf4": ["extension4", (a) => a, (a) => a],
  "vsext.vf4": ["extension4", (a, _b, _d, w) => s(w / 4, a), (a, _b, _d, w) => sn(w / 4, a)],
  "vzext.vf8": ["extension8", (a) => a],
  "vsext.vf8": ["extension8", (a, _b, _d, w) => s(w / 8, a)],
  // Zvbb
  vandn: ["single", (a, b) => a & ~b, (a, b) => a & ~b],
  vrol: [
    "single",
    (a, b, _d, w) => a << amount(b, w) | a >> BigInt(w) - amount(b, w),
    (a, b, _d, w) => a << (b & (w - 1)) | a >>> (w - (b & (w - 1))),
  ],
  vror: [
    "single",
    (a, b, _d, w) => a >> amount(b, w) | a << BigInt(w) - amount(b, w),
    (a, b, _d, w) => a >>> (b & (w - 1)) | a << (w - (b & (w - 1))),
  ],
  vwsll: ["widening", (a, b, _d, w) => a << amount(b, 2 * w), (a, b, _d, w) => a << (b & (2 * w - 1))],
  "vbrev8.v": ["unary", (a, _b, _d, w) => reverseBitsInBytes(a, w)],
  "vrev8.v": ["unary", (a, _b, _d, w) => reverseBytes(a, w), (a, _b, _d, w) => reverseBytesSmall(a, w)],
  "vbrev.v": ["unary", (a, _b, _d, w) => reverseBytes(reverseBitsInBytes(a, w), w)],
  "vclz.v": [
    "unary",
    (a, _b, _d, w) => BigInt(a === 0n ? w : w - a.toString(2).length),
    (a, _b, _d, w) => a === 0 ? w : Math.clz32(a) - (32 - w),
  ],
  "vctz.v": [
    "unary",
    (a, _b, _d, w) => BigInt(a === 0n ? w : a.toString(2).length - 1 - a.toString(2).lastIndexOf("1")),
    (a, _b, _d, w) => a === 0 ? w : 31 - Math.clz32(a & -a),
  ],
  "vcpop.v": ["unary", (a) => BigInt(a.toString(2).replaceAll("0", "").length), popcount32],
};

/**
 * The set bits of the 32-bit `v` (vcpop.v on numbers: as a bigint's string
 * it was 10% of a vectorized program; `fast.ts`'s fast paths call it too).
 */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The bytes of the `w`-bit (8, 16 or 32) `a` in reverse order. */
function reverseBytesSmall(a: number, w: number): number {
  if (w === 8) return a;
  if (w === 16) return ((a & 0xff) << 8) | (a >>> 8);
  return ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24);
}

/** Each byte's bits reversed. */
const BYTE_REVERSED = Uint8Array.from({ length: 256 }, (_, b) => {
  let r = 0;
  for (let k = 0; k < 8; k++) r |= ((b >> k) & 1) << (7 - k);
  return r;
});

/** The bits of each byte of the `w`-bit `a` reversed in place (vbrev8). */
function reverseBitsInBytes(a: bigint, w: number): bigint {
  let r = 0n;
  for (let k = w - 8; k >= 0; k -= 8) r = (r << 8n) | BigInt(BYTE_REVERSED[Number((a >> BigInt(k)) & 0xffn)]);
  return r;
}

/** The bytes of the `w`-bit `a` in reverse order (vrev8). */
function reverseBytes(a: bigint, w: number): bigint {
  let r = 0n;
  for (let k = 0; k < w; k += 8) r = (r << 8n) | ((a >> BigInt(k)) & 0xffn);
  return r;
}

/**
 * The shifts, whose immediate is uimm5 (shift amounts are not signed; measured under QEMU 10); vror.vi's is
 * uimm6, bit 5 in bit 26 of the word.
 */
const UIMM_OPS: ReadonlySet<string> = new Set(["vsll", "vsrl", "vsra", "vnsrl", "vnsra", "vwsll", "vror"]);

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
  // The name without its form (vwadd.wv is vwadd.w, vnsrl.wv vnsrl, vmadc.vvm vmadc; vzext.vf2 whole), and the operand.
  const f = /^(v[a-z]+)\.(?:(w)|v)([vxi])m?$/.exec(op);
  const entry = f ? (f[2] && OPS[`${f[1]}.w`]) || OPS[f[1]] : OPS[op];
  if (entry === undefined) return undefined;
  const operand = !f ? "none" : f[3] === "i" && UIMM_OPS.has(f[1]) ? "u" : f[3] as "v" | "x" | "i";
  return runShape(raw, op, entry[0], operand, entry[1], entry[2]);
};
