/**
 * The exact slow path: IEEE-754 binary32/binary64 arithmetic on BigInt
 * significands, with one rounding per operation and the exception flags
 * RISC-V (and Berkeley SoftFloat, which QEMU uses) define: tininess is
 * detected after rounding, UF only with NX, every NaN result canonical.
 *
 * Every finite value is held exactly as `(-1)^sign * sig * 2^exp`; an
 * operation computes its exact result (or, for division and square root,
 * enough quotient bits plus a sticky bit) and {@link roundPack} rounds it
 * once. The fast paths in the public modules fall back here for directed
 * rounding, the underflow and overflow boundaries and anything they cannot
 * prove exact, so this module defines what "correct" means for all of them.
 *
 * @module
 */

import {
  FFLAG_DZ,
  FFLAG_NV,
  FFLAG_NX,
  FFLAG_OF,
  FFLAG_UF,
  RM_RDN,
  RM_RMM,
  RM_RNE,
  RM_RTZ,
  RM_RUP,
} from "./fpu_state.ts";

/** Parameters of a binary interchange format. */
export interface Format {
  /** Precision in bits, the hidden bit included. */
  readonly p: number;
  /** Exponent of the smallest normal number. */
  readonly emin: number;
  /** Exponent of the largest finite number. */
  readonly emax: number;
  /** Width of the encoding in bits. */
  readonly width: number;
}

/** IEEE-754 binary32 (RISC-V F). */
export const BINARY32: Format = { p: 24, emin: -126, emax: 127, width: 32 };
/** IEEE-754 binary64 (RISC-V D). */
export const BINARY64: Format = { p: 53, emin: -1022, emax: 1023, width: 64 };

/** Class of an unpacked value: ±0. */
export const ZERO = 0;
/** Class of an unpacked value: nonzero finite (normal or subnormal). */
export const FINITE = 1;
/** Class of an unpacked value: ±infinity. */
const INF = 2;
/** Class of an unpacked value: NaN. */
export const NAN = 3;

/** A decoded value: `(-1)^sign * sig * 2^exp` when finite. */
export interface Exact {
  /** {@link ZERO}, {@link FINITE}, {@link INF} or {@link NAN}. */
  cls: number;
  /** 1 when negative. */
  sign: number;
  /** Integer significand (0n unless finite). */
  sig: bigint;
  /** Exponent of the significand's least significant bit. */
  exp: number;
  /** True for a signaling NaN. */
  snan: boolean;
}

/** Flag accumulator the slow path writes to. */
export interface FlagSink {
  /** Accrued exception flags. */
  fflags: number;
}

function expBits(fmt: Format): number {
  return fmt.width - fmt.p;
}

/** Bit length of a positive BigInt. */
function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/**
 * Decodes an encoding of `fmt`.
 *
 * @param fmt the format
 * @param bits the encoding, unsigned (`0n <= bits < 2^width`)
 * @returns the exact value
 */
export function unpack(fmt: Format, bits: bigint): Exact {
  const fracBits = fmt.p - 1;
  const sign = Number(bits >> BigInt(fmt.width - 1)) & 1;
  const maxBiased = (1 << expBits(fmt)) - 1;
  const biased = Number(bits >> BigInt(fracBits)) & maxBiased;
  const frac = bits & ((1n << BigInt(fracBits)) - 1n);
  const bias = fmt.emax;
  if (biased === maxBiased) {
    if (frac === 0n) return { cls: INF, sign, sig: 0n, exp: 0, snan: false };
    return { cls: NAN, sign, sig: 0n, exp: 0, snan: (frac >> BigInt(fracBits - 1)) === 0n };
  }
  if (biased === 0) {
    if (frac === 0n) return { cls: ZERO, sign, sig: 0n, exp: 0, snan: false };
    return { cls: FINITE, sign, sig: frac, exp: fmt.emin - fracBits, snan: false };
  }
  return { cls: FINITE, sign, sig: frac | (1n << BigInt(fracBits)), exp: biased - bias - fracBits, snan: false };
}

/** The canonical quiet NaN of `fmt` (0x7fc00000, 0x7ff8000000000000). */
export function canonicalNaN(fmt: Format): bigint {
  return ((1n << BigInt(expBits(fmt) + 1)) - 1n) << BigInt(fmt.p - 2);
}

/** ±infinity in `fmt`. */
function packInf(fmt: Format, sign: number): bigint {
  return (BigInt(sign) << BigInt(fmt.width - 1)) | (((1n << BigInt(expBits(fmt))) - 1n) << BigInt(fmt.p - 1));
}

/** ±0 in `fmt`. */
function packZero(fmt: Format, sign: number): bigint {
  return BigInt(sign) << BigInt(fmt.width - 1);
}

function packMaxFinite(fmt: Format, sign: number): bigint {
  return packInf(fmt, sign) - 1n;
}

/** Whether rounding `sig` (remainder `rem` of `half*2`) in mode `rm` goes up in magnitude. */
function roundsUp(q: bigint, rem: bigint, half: bigint, sign: number, rm: number): boolean {
  if (rem === 0n) return false;
  switch (rm) {
    case RM_RNE:
      return rem > half || (rem === half && (q & 1n) === 1n);
    case RM_RTZ:
      return false;
    case RM_RDN:
      return sign === 1;
    case RM_RUP:
      return sign === 0;
    default:
      return rem >= half;
  }
}

/** Drops `shift` (> 0) low bits of `sig`, rounding in mode `rm`; reports inexactness in `inexactOut[0]`. */
function shiftRound(sig: bigint, shift: number, sign: number, rm: number, inexactOut: boolean[]): bigint {
  const s = BigInt(shift);
  const q = sig >> s;
  const rem = sig & ((1n << s) - 1n);
  inexactOut[0] = rem !== 0n;
  return roundsUp(q, rem, 1n << (s - 1n), sign, rm) ? q + 1n : q;
}

const inexactBox = [false];

/**
 * Rounds the exact value `(-1)^sign * sig * 2^exp` (`sig > 0`) to `fmt` in
 * mode `rm`, OR-ing NX, UF and OF into `c.fflags`.
 *
 * A value that is not exact (division, square root) must be passed with at
 * least `p + 2` significant bits and its sticky bit OR-ed into bit 0: the
 * rounding then sees the same round and sticky information as the exact
 * value would give.
 *
 * @param c flag accumulator
 * @param fmt destination format
 * @param sign 1 when negative
 * @param sig positive significand
 * @param exp exponent of the significand's least significant bit
 * @param rm rounding mode 0..4
 * @returns the encoding, unsigned
 */
export function roundPack(c: FlagSink, fmt: Format, sign: number, sig: bigint, exp: number, rm: number): bigint {
  const p = fmt.p;
  const n = bitLength(sig);
  const top = exp + n - 1;
  // Tininess after rounding: the value rounded to p bits with an unbounded
  // exponent is below 2^emin. Only a carry out of the top can lift it there.
  let tiny = top < fmt.emin;
  if (top === fmt.emin - 1 && n > p) {
    tiny = bitLength(shiftRound(sig, n - p, sign, rm, inexactBox)) <= p;
  }
  const lsb = Math.max(top - (p - 1), fmt.emin - (p - 1));
  let q: bigint;
  let inexact = false;
  if (lsb > exp) {
    q = shiftRound(sig, lsb - exp, sign, rm, inexactBox);
    inexact = inexactBox[0];
  } else {
    q = sig << BigInt(exp - lsb);
  }
  let e = lsb;
  if (q >> BigInt(p) !== 0n) {
    q >>= 1n;
    e++;
  }
  if (inexact) c.fflags |= tiny ? FFLAG_NX | FFLAG_UF : FFLAG_NX;
  const signBit = BigInt(sign) << BigInt(fmt.width - 1);
  if (q === 0n) return signBit;
  const hidden = 1n << BigInt(p - 1);
  if (q < hidden) return signBit | q; // subnormal: biased exponent 0
  const topExp = e + p - 1;
  if (topExp > fmt.emax) {
    c.fflags |= FFLAG_OF | FFLAG_NX;
    const toInf = rm === RM_RNE || rm === RM_RMM || (rm === RM_RUP && sign === 0) || (rm === RM_RDN && sign === 1);
    return toInf ? packInf(fmt, sign) : packMaxFinite(fmt, sign);
  }
  return signBit | (BigInt(topExp + fmt.emax) << BigInt(p - 1)) | (q - hidden);
}

/** Canonical NaN, with NV when any operand is signaling or the operation is invalid. */
function nanResult(c: FlagSink, fmt: Format, invalid: boolean, ...ops: Exact[]): bigint {
  if (invalid || ops.some((o) => o.snan)) c.fflags |= FFLAG_NV;
  return canonicalNaN(fmt);
}

/** Exact sum of two finite-or-zero values, rounded once. */
function addFinite(c: FlagSink, fmt: Format, a: Exact, b: Exact, rm: number): bigint {
  const ea = a.cls === ZERO ? b.exp : a.exp;
  const eb = b.cls === ZERO ? a.exp : b.exp;
  const e = Math.min(ea, eb);
  const va = (a.sign ? -a.sig : a.sig) << BigInt(ea - e);
  const vb = (b.sign ? -b.sig : b.sig) << BigInt(eb - e);
  const sum = va + vb;
  if (sum === 0n) {
    // An exact zero sum is +0 except in RDN, or when both addends are -0.
    const sign = a.cls === ZERO && b.cls === ZERO && a.sign === b.sign ? a.sign : rm === RM_RDN ? 1 : 0;
    return packZero(fmt, sign);
  }
  return sum < 0n ? roundPack(c, fmt, 1, -sum, e, rm) : roundPack(c, fmt, 0, sum, e, rm);
}

/**
 * `a + b` rounded once.
 *
 * @returns the encoding, unsigned
 */
export function add(c: FlagSink, fmt: Format, a: Exact, b: Exact, rm: number): bigint {
  if (a.cls === NAN || b.cls === NAN) return nanResult(c, fmt, false, a, b);
  if (a.cls === INF) {
    if (b.cls === INF && a.sign !== b.sign) return nanResult(c, fmt, true);
    return packInf(fmt, a.sign);
  }
  if (b.cls === INF) return packInf(fmt, b.sign);
  return addFinite(c, fmt, a, b, rm);
}

/**
 * `a * b` rounded once.
 *
 * @returns the encoding, unsigned
 */
export function mul(c: FlagSink, fmt: Format, a: Exact, b: Exact, rm: number): bigint {
  if (a.cls === NAN || b.cls === NAN) return nanResult(c, fmt, false, a, b);
  const sign = a.sign ^ b.sign;
  if (a.cls === INF || b.cls === INF) {
    if (a.cls === ZERO || b.cls === ZERO) return nanResult(c, fmt, true);
    return packInf(fmt, sign);
  }
  if (a.cls === ZERO || b.cls === ZERO) return packZero(fmt, sign);
  return roundPack(c, fmt, sign, a.sig * b.sig, a.exp + b.exp, rm);
}

/**
 * `a / b` rounded once; DZ for a finite nonzero dividend over zero.
 *
 * @returns the encoding, unsigned
 */
export function div(c: FlagSink, fmt: Format, a: Exact, b: Exact, rm: number): bigint {
  if (a.cls === NAN || b.cls === NAN) return nanResult(c, fmt, false, a, b);
  const sign = a.sign ^ b.sign;
  if (a.cls === INF) return b.cls === INF ? nanResult(c, fmt, true) : packInf(fmt, sign);
  if (b.cls === INF) return packZero(fmt, sign);
  if (b.cls === ZERO) {
    if (a.cls === ZERO) return nanResult(c, fmt, true);
    c.fflags |= FFLAG_DZ;
    return packInf(fmt, sign);
  }
  if (a.cls === ZERO) return packZero(fmt, sign);
  // Scale the dividend so the quotient has at least p + 3 bits; the
  // remainder becomes the sticky bit.
  const k = Math.max(0, fmt.p + 3 + bitLength(b.sig) - bitLength(a.sig));
  const num = a.sig << BigInt(k);
  let q = num / b.sig;
  if (q * b.sig !== num) q |= 1n;
  return roundPack(c, fmt, sign, q, a.exp - b.exp - k, rm);
}

/** Integer square root (floor) of `v >= 0`. */
export function isqrt(v: bigint): bigint {
  if (v < 2n) return v;
  // Newton from an overestimate converges downwards monotonically.
  let x = 1n << BigInt((bitLength(v) >> 1) + 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * Square root rounded once; NV for a negative nonzero operand, sqrt(-0) = -0.
 *
 * @returns the encoding, unsigned
 */
export function sqrt(c: FlagSink, fmt: Format, a: Exact, rm: number): bigint {
  if (a.cls === NAN) return nanResult(c, fmt, false, a);
  if (a.cls === ZERO) return packZero(fmt, a.sign);
  if (a.sign === 1) return nanResult(c, fmt, true);
  if (a.cls === INF) return packInf(fmt, 0);
  // Make the exponent even and the radicand at least 2(p + 3) bits long so
  // the root has p + 3 bits; an inexact root gets its sticky bit.
  let k = Math.max(0, 2 * (fmt.p + 3) - bitLength(a.sig));
  if (((a.exp - k) & 1) !== 0) k++;
  const v = a.sig << BigInt(k);
  let r = isqrt(v);
  if (r * r !== v) r |= 1n;
  return roundPack(c, fmt, 0, r, (a.exp - k) / 2, rm);
}

/**
 * Fused `a * b + d` with one rounding. NV for inf*0 even when `d` is a
 * quiet NaN, as the RISC-V specification requires.
 *
 * @returns the encoding, unsigned
 */
export function fma(c: FlagSink, fmt: Format, a: Exact, b: Exact, d: Exact, rm: number): bigint {
  const infZero = (a.cls === INF && b.cls === ZERO) || (a.cls === ZERO && b.cls === INF);
  if (a.cls === NAN || b.cls === NAN || d.cls === NAN) return nanResult(c, fmt, infZero, a, b, d);
  if (infZero) return nanResult(c, fmt, true);
  const sign = a.sign ^ b.sign;
  if (a.cls === INF || b.cls === INF) {
    if (d.cls === INF && d.sign !== sign) return nanResult(c, fmt, true);
    return packInf(fmt, sign);
  }
  if (d.cls === INF) return packInf(fmt, d.sign);
  const zeroProduct = a.cls === ZERO || b.cls === ZERO;
  const product: Exact = {
    cls: zeroProduct ? ZERO : FINITE,
    sign,
    sig: a.sig * b.sig,
    exp: a.exp + b.exp,
    snan: false,
  };
  return addFinite(c, fmt, product, d, rm);
}

/**
 * Converts between formats (binary32 <-> binary64) with one rounding; a NaN
 * becomes the canonical NaN (NV if it was signaling).
 *
 * @returns the encoding of `to`, unsigned
 */
export function convert(c: FlagSink, to: Format, a: Exact, rm: number): bigint {
  if (a.cls === NAN) return nanResult(c, to, false, a);
  if (a.cls === INF) return packInf(to, a.sign);
  if (a.cls === ZERO) return packZero(to, a.sign);
  return roundPack(c, to, a.sign, a.sig, a.exp, rm);
}

/**
 * Converts an integer to `fmt` with one rounding.
 *
 * @param v the integer (any size)
 * @returns the encoding, unsigned
 */
export function fromInteger(c: FlagSink, fmt: Format, v: bigint, rm: number): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(c, fmt, 1, -v, 0, rm) : roundPack(c, fmt, 0, v, 0, rm);
}
