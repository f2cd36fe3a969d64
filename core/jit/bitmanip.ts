/**
 * The bit-manipulation extensions (Zba, Zbb, Zbc, Zbs) and Zicond on int32
 * pairs, for the JavaScript tiers. Every function takes the two operands as
 * `(al, ah, bl, bh)` (an immediate as `bl` with `bh` 0; one-operand
 * instructions ignore `b`), returns the low word and leaves the high word in
 * `RH[0]`, as the helpers of `int64.ts` do. The interpreter runs them as they
 * are; the translator (`trans_rvb.ts`) emits the short ones inline and calls
 * these for the rest (counts, carry-less products, rotates by a register).
 *
 * Semantics follow the RISC-V unprivileged specification, chapter "B"
 * (version 1.0.0) and chapter "Zicond" (1.0).
 *
 * @module
 */

import { RH } from "./int64.ts";

/** Number of set bits of a 32-bit value. */
function cpop32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Count of trailing zero bits of a 32-bit value (32 for 0). */
function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}

/**
 * `orc.b` of one 32-bit word: each byte becomes 0xff when it is not zero.
 *
 * @example
 * ```ts
 * import { orcb32 } from "./bitmanip.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(orcb32(0x00120003) >>> 0, 0x00ff00ff);
 * ```
 */
export function orcb32(v: number): number {
  const high = (((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v) & 0x80808080;
  return Math.imul(high >>> 7, 0xff);
}

/** The bytes of a 32-bit word in reverse order. */
export function bswap32(v: number): number {
  return (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

function pair(lo: number, hi: number): number {
  RH[0] = hi;
  return lo;
}

/** A count (a value below 2^32) as a pair. */
function small(v: number): number {
  RH[0] = 0;
  return v;
}

/** rd = a + b, 64-bit. */
function add(al: number, ah: number, bl: number, bh: number): number {
  const lo = (al + bl) | 0;
  return pair(lo, (ah + bh + ((lo >>> 0) < (al >>> 0) ? 1 : 0)) | 0);
}

/** `add.uw`: the zero-extended low word of a plus b. */
export function add_uw(al: number, _ah: number, bl: number, bh: number): number {
  return add(al, 0, bl, bh);
}

/** `sh<s>add` (s in 1..3), of the zero-extended low word of a for `uw`: (a << s) + b, shifted without an array. */
function shadd(s: number, uw: boolean) {
  return (al: number, ah: number, bl: number, bh: number): number => {
    const h = ((uw ? 0 : ah) << s) | (al >>> (32 - s));
    return add(al << s, h, bl, bh);
  };
}

/** `sh1add`: (a << 1) + b. */
export const sh1add: (al: number, ah: number, bl: number, bh: number) => number = shadd(1, false);
/** `sh2add`: (a << 2) + b. */
export const sh2add: (al: number, ah: number, bl: number, bh: number) => number = shadd(2, false);
/** `sh3add`: (a << 3) + b. */
export const sh3add: (al: number, ah: number, bl: number, bh: number) => number = shadd(3, false);
/** `sh1add.uw`: (zext32(a) << 1) + b. */
export const sh1add_uw: (al: number, ah: number, bl: number, bh: number) => number = shadd(1, true);
/** `sh2add.uw`: (zext32(a) << 2) + b. */
export const sh2add_uw: (al: number, ah: number, bl: number, bh: number) => number = shadd(2, true);
/** `sh3add.uw`: (zext32(a) << 3) + b. */
export const sh3add_uw: (al: number, ah: number, bl: number, bh: number) => number = shadd(3, true);

/** `slli.uw`: zext32(a) << (b & 63). */
export function slli_uw(al: number, _ah: number, bl: number, _bh: number): number {
  const s = bl & 63;
  if (s === 0) return pair(al, 0);
  if (s < 32) return pair(al << s, al >>> (32 - s) | 0);
  return pair(0, al << (s - 32));
}

/** `andn`: a & ~b. */
export function andn(al: number, ah: number, bl: number, bh: number): number {
  return pair(al & ~bl, ah & ~bh);
}

/** `orn`: a | ~b. */
export function orn(al: number, ah: number, bl: number, bh: number): number {
  return pair(al | ~bl, ah | ~bh);
}

/** `xnor`: ~(a ^ b). */
export function xnor(al: number, ah: number, bl: number, bh: number): number {
  return pair(~(al ^ bl), ~(ah ^ bh));
}

/** `clz`: leading zero bits of the 64-bit value. */
export function clz(al: number, ah: number): number {
  return small(ah !== 0 ? Math.clz32(ah) : 32 + Math.clz32(al));
}

/** `ctz`: trailing zero bits of the 64-bit value. */
export function ctz(al: number, ah: number): number {
  return small(al !== 0 ? ctz32(al) : 32 + ctz32(ah));
}

/** `cpop`: set bits of the 64-bit value. */
export function cpop(al: number, ah: number): number {
  return small(cpop32(al) + cpop32(ah));
}

/** `clzw`: leading zero bits of the low word. */
export function clzw(al: number): number {
  return small(Math.clz32(al));
}

/** `ctzw`: trailing zero bits of the low word. */
export function ctzw(al: number): number {
  return small(ctz32(al));
}

/** `cpopw`: set bits of the low word. */
export function cpopw(al: number): number {
  return small(cpop32(al));
}

/** `sext.b`: the low byte, sign-extended. */
export function sext_b(al: number): number {
  const v = (al << 24) >> 24;
  return pair(v, v >> 31);
}

/** `sext.h`: the low halfword, sign-extended. */
export function sext_h(al: number): number {
  const v = (al << 16) >> 16;
  return pair(v, v >> 31);
}

/** `zext.h`: the low halfword, zero-extended. */
export function zext_h(al: number): number {
  return pair(al & 0xffff, 0);
}

function less(al: number, ah: number, bl: number, bh: number, signed: boolean): boolean {
  if (ah !== bh) return signed ? ah < bh : (ah >>> 0) < (bh >>> 0);
  return (al >>> 0) < (bl >>> 0);
}

/** `max`: the signed maximum. */
export function max(al: number, ah: number, bl: number, bh: number): number {
  return less(al, ah, bl, bh, true) ? pair(bl, bh) : pair(al, ah);
}

/** `maxu`: the unsigned maximum. */
export function maxu(al: number, ah: number, bl: number, bh: number): number {
  return less(al, ah, bl, bh, false) ? pair(bl, bh) : pair(al, ah);
}

/** `min`: the signed minimum. */
export function min(al: number, ah: number, bl: number, bh: number): number {
  return less(al, ah, bl, bh, true) ? pair(al, ah) : pair(bl, bh);
}

/** `minu`: the unsigned minimum. */
export function minu(al: number, ah: number, bl: number, bh: number): number {
  return less(al, ah, bl, bh, false) ? pair(al, ah) : pair(bl, bh);
}

/** `orc.b`: each byte becomes 0xff when it is not zero, else stays 0. */
export function orc_b(al: number, ah: number): number {
  return pair(orcb32(al), orcb32(ah));
}

/** `rev8`: the eight bytes in reverse order. */
export function rev8(al: number, ah: number): number {
  return pair(bswap32(ah), bswap32(al));
}

/** `ror`, `rori`: rotate right by `b & 63`. */
export function ror(al: number, ah: number, bl: number, _bh?: number): number {
  let s = bl & 63;
  if (s >= 32) {
    const t = al;
    al = ah;
    ah = t;
    s -= 32;
  }
  if (s === 0) return pair(al, ah);
  return pair((al >>> s) | (ah << (32 - s)), (ah >>> s) | (al << (32 - s)));
}

/** `rol`: rotate left by `b & 63`. */
export function rol(al: number, ah: number, bl: number, _bh?: number): number {
  return ror(al, ah, 64 - (bl & 63));
}

/** `rorw`, `roriw`: rotate the low word right by `b & 31`, sign-extended. */
export function rorw(al: number, _ah: number, bl: number): number {
  const v = (al >>> bl) | (al << (32 - bl));
  return pair(v, v >> 31);
}

/** `rolw`: rotate the low word left by `b & 31`, sign-extended. */
export function rolw(al: number, _ah: number, bl: number): number {
  const v = (al << bl) | (al >>> (32 - bl));
  return pair(v, v >> 31);
}

/**
 * The 128-bit carry-less product of two 64-bit values, as four words from
 * the least significant, into `out`.
 */
function clmulFull(al: number, ah: number, bl: number, bh: number, out: Int32Array): void {
  let r0 = 0, r1 = 0, r2 = 0, r3 = 0;
  // a shifted left by i, as three words (a << 63 reaches into bits 64..126).
  for (let i = 0; i < 64; i++) {
    const bit = i < 32 ? (bl >>> i) & 1 : (bh >>> (i - 32)) & 1;
    if (bit === 0) continue;
    const w = i >>> 5, s = i & 31;
    const s0 = al << s;
    const s1 = s === 0 ? ah : (ah << s) | (al >>> (32 - s));
    const s2 = s === 0 ? 0 : ah >>> (32 - s);
    if (w === 0) r0 ^= s0, r1 ^= s1, r2 ^= s2;
    else r1 ^= s0, r2 ^= s1, r3 ^= s2;
  }
  out[0] = r0, out[1] = r1, out[2] = r2, out[3] = r3;
}

const PRODUCT = new Int32Array(4);

/** `clmul`: the low 64 bits of the carry-less product. */
export function clmul(al: number, ah: number, bl: number, bh: number): number {
  clmulFull(al, ah, bl, bh, PRODUCT);
  return pair(PRODUCT[0], PRODUCT[1]);
}

/** `clmulh`: the high 64 bits of the carry-less product. */
export function clmulh(al: number, ah: number, bl: number, bh: number): number {
  clmulFull(al, ah, bl, bh, PRODUCT);
  return pair(PRODUCT[2], PRODUCT[3]);
}

/** `clmulr`: bits 63..126 of the carry-less product (the reversed product). */
export function clmulr(al: number, ah: number, bl: number, bh: number): number {
  clmulFull(al, ah, bl, bh, PRODUCT);
  return pair((PRODUCT[1] >>> 31) | (PRODUCT[2] << 1), (PRODUCT[2] >>> 31) | (PRODUCT[3] << 1));
}

/** A pair with only bit `b & 63` set, combined with a by `op`. */
function singleBit(al: number, ah: number, bl: number, op: (x: number, bit: number) => number): number {
  const s = bl & 63;
  return s < 32 ? pair(op(al, 1 << s), op(ah, 0)) : pair(op(al, 0), op(ah, 1 << s));
}

/** `bclr`, `bclri`: clears bit `b & 63`. */
export function bclr(al: number, ah: number, bl: number, _bh?: number): number {
  return singleBit(al, ah, bl, (x, bit) => x & ~bit);
}

/** `bset`, `bseti`: sets bit `b & 63`. */
export function bset(al: number, ah: number, bl: number, _bh?: number): number {
  return singleBit(al, ah, bl, (x, bit) => x | bit);
}

/** `binv`, `binvi`: inverts bit `b & 63`. */
export function binv(al: number, ah: number, bl: number, _bh?: number): number {
  return singleBit(al, ah, bl, (x, bit) => x ^ bit);
}

/** `bext`, `bexti`: bit `b & 63` of a, as 0 or 1. */
export function bext(al: number, ah: number, bl: number, _bh?: number): number {
  const s = bl & 63;
  return small(((s < 32 ? al : ah) >>> s) & 1);
}

/** `czero.eqz`: 0 when b is 0, else a. */
export function czero_eqz(al: number, ah: number, bl: number, bh: number): number {
  return (bl | bh) === 0 ? pair(0, 0) : pair(al, ah);
}

/** `czero.nez`: 0 when b is not 0, else a. */
export function czero_nez(al: number, ah: number, bl: number, bh: number): number {
  return (bl | bh) !== 0 ? pair(0, 0) : pair(al, ah);
}
