/**
 * 64-bit integer operations on int32 pairs that are too long to emit inline:
 * the M extension's high multiplies, division and remainder, and variable
 * shifts. Each returns the low word and leaves the high word in `RH[0]`
 * (a typed array rather than an object field so that V8 keeps the values
 * unboxed).
 *
 * Semantics follow the RISC-V unprivileged spec, chapter "M": division by zero
 * gives all ones (quotient) or the dividend (remainder); signed overflow gives
 * the dividend (quotient) or zero (remainder). No operation traps.
 *
 * @module
 */

/**
 * High word of the last pair-valued result in `RH[0]`; atomics also leave
 * the value they stored (`RH[1]`, `RH[2]`) or, for SC, the value memory held
 * (the load half of its read-modify-write) for plugins.
 */
export const RH: Int32Array = new Int32Array(4);

const TWO32 = 4294967296;

/**
 * High 32 bits of the unsigned product of two 32-bit values.
 *
 * @example
 * ```ts
 * import { mulhu32 } from "./int64.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(mulhu32(-1, -1) >>> 0, 0xfffffffe); // (2^32 - 1)^2 = 0xfffffffe_00000001
 * ```
 */
export function mulhu32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

/** Low 64 bits of a 64×64 product (`mul`). */
export function mul64(al: number, ah: number, bl: number, bh: number): number {
  RH[0] = (mulhu32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
  return Math.imul(al, bl);
}

/** High 64 bits of the unsigned 128-bit product (`mulhu`). */
export function mulhu64(al: number, ah: number, bl: number, bh: number): number {
  const lo1 = Math.imul(al, bh) >>> 0, hi1 = mulhu32(al, bh) >>> 0;
  const lo2 = Math.imul(ah, bl) >>> 0, hi2 = mulhu32(ah, bl) >>> 0;
  const lo3 = Math.imul(ah, bh) >>> 0, hi3 = mulhu32(ah, bh) >>> 0;
  const w1 = (mulhu32(al, bl) >>> 0) + lo1 + lo2;
  const w2 = hi1 + hi2 + lo3 + Math.floor(w1 / TWO32);
  RH[0] = (hi3 + Math.floor(w2 / TWO32)) | 0;
  return w2 | 0;
}

/** High 64 bits of the signed×signed product (`mulh`). */
export function mulh64(al: number, ah: number, bl: number, bh: number): number {
  let lo = mulhu64(al, ah, bl, bh), hi = RH[0];
  // Signed correction: subtract b when a < 0 and a when b < 0 (mod 2^64).
  if (ah < 0) [lo, hi] = sub64(lo, hi, bl, bh);
  if (bh < 0) [lo, hi] = sub64(lo, hi, al, ah);
  RH[0] = hi;
  return lo;
}

/** High 64 bits of the signed×unsigned product (`mulhsu`). */
export function mulhsu64(al: number, ah: number, bl: number, bh: number): number {
  let lo = mulhu64(al, ah, bl, bh), hi = RH[0];
  if (ah < 0) [lo, hi] = sub64(lo, hi, bl, bh);
  RH[0] = hi;
  return lo;
}

function sub64(al: number, ah: number, bl: number, bh: number): [number, number] {
  const lo = (al - bl) | 0;
  const hi = (ah - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
  return [lo, hi];
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

function fromBig(v: bigint): number {
  RH[0] = Number(BigInt.asIntN(32, v >> 32n));
  return Number(BigInt.asIntN(32, v));
}

/** True when the pair is a sign-extended 32-bit value. */
function isInt32(lo: number, hi: number): boolean {
  return hi === lo >> 31;
}

/** Signed 64-bit division (`div`). */
export function div64(al: number, ah: number, bl: number, bh: number): number {
  if ((bl | bh) === 0) {
    RH[0] = -1;
    return -1;
  }
  if (isInt32(al, ah) && isInt32(bl, bh)) {
    // Exact in doubles for 32-bit operands, including -2^31 / -1 = 2^31.
    const q = Math.trunc(al / bl);
    RH[0] = q < 0 ? -1 : 0;
    return q | 0;
  }
  if (ah === -0x80000000 && al === 0 && bl === -1 && bh === -1) {
    RH[0] = ah;
    return 0;
  }
  return fromBig(toBig(al, ah) / toBig(bl, bh));
}

/** Unsigned 64-bit division (`divu`). */
export function divu64(al: number, ah: number, bl: number, bh: number): number {
  if ((bl | bh) === 0) {
    RH[0] = -1;
    return -1;
  }
  if (ah === 0 && bh === 0) {
    RH[0] = 0;
    return Math.floor((al >>> 0) / (bl >>> 0)) | 0;
  }
  return fromBig(BigInt.asUintN(64, toBig(al, ah)) / BigInt.asUintN(64, toBig(bl, bh)));
}

/** Signed 64-bit remainder (`rem`). */
export function rem64(al: number, ah: number, bl: number, bh: number): number {
  if ((bl | bh) === 0) {
    RH[0] = ah;
    return al;
  }
  if (isInt32(al, ah) && isInt32(bl, bh)) {
    const r = al % bl; // may be -0, which is 0 here
    RH[0] = r < 0 ? -1 : 0;
    return r | 0;
  }
  if (ah === -0x80000000 && al === 0 && bl === -1 && bh === -1) {
    RH[0] = 0;
    return 0;
  }
  return fromBig(toBig(al, ah) % toBig(bl, bh));
}

/** Unsigned 64-bit remainder (`remu`). */
export function remu64(al: number, ah: number, bl: number, bh: number): number {
  if ((bl | bh) === 0) {
    RH[0] = ah;
    return al;
  }
  if (ah === 0 && bh === 0) {
    RH[0] = 0;
    return ((al >>> 0) % (bl >>> 0)) | 0;
  }
  return fromBig(BigInt.asUintN(64, toBig(al, ah)) % BigInt.asUintN(64, toBig(bl, bh)));
}

/** Signed 32-bit division (`divw`), result sign-extended by the caller. */
export function divw(a: number, b: number): number {
  if (b === 0) return -1;
  if (a === -0x80000000 && b === -1) return a;
  return (a / b) | 0;
}

/** Unsigned 32-bit division (`divuw`), result as int32 bits. */
export function divuw(a: number, b: number): number {
  if (b === 0) return -1;
  return ((a >>> 0) / (b >>> 0)) | 0;
}

/** Signed 32-bit remainder (`remw`). */
export function remw(a: number, b: number): number {
  if (b === 0) return a;
  if (a === -0x80000000 && b === -1) return 0;
  return (a % b) | 0;
}

/** Unsigned 32-bit remainder (`remuw`). */
export function remuw(a: number, b: number): number {
  if (b === 0) return a;
  return ((a >>> 0) % (b >>> 0)) | 0;
}

/** Logical left shift of a pair by `s & 63` (`sll`). */
export function sll64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) {
    RH[0] = hi;
    return lo;
  }
  if (s < 32) {
    RH[0] = (hi << s) | (lo >>> (32 - s));
    return lo << s;
  }
  RH[0] = lo << (s - 32);
  return 0;
}

/** Logical right shift of a pair by `s & 63` (`srl`). */
export function srl64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) {
    RH[0] = hi;
    return lo;
  }
  if (s < 32) {
    RH[0] = hi >>> s;
    return (lo >>> s) | (hi << (32 - s));
  }
  RH[0] = 0;
  return (hi >>> (s - 32)) | 0;
}

/** Arithmetic right shift of a pair by `s & 63` (`sra`). */
export function sra64(lo: number, hi: number, s: number): number {
  s &= 63;
  if (s === 0) {
    RH[0] = hi;
    return lo;
  }
  if (s < 32) {
    RH[0] = hi >> s;
    return (lo >>> s) | (hi << (32 - s));
  }
  RH[0] = hi >> 31;
  return hi >> (s - 32);
}
