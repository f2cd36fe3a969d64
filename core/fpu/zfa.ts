/**
 * The Zfa extension's additional floating-point instructions for binary32,
 * binary64 and binary16: the `fli` constants, IEEE 754-2019
 * minimum/maximum (`fminm`, `fmaxm`), rounding to an integral value
 * (`fround`, which never raises NX, and `froundnx`, which does), the
 * modular conversion `fcvtmod.w.d`, and the quiet comparisons `fleq`,
 * `fltq`. Same calling convention as the F, D and Zfh helpers: the CPU
 * state, register numbers, then the rm field (7 = dynamic).
 *
 * NaNs as RISC-V (and QEMU 10) have them: every NaN result is the canonical
 * one of its format, a signaling NaN operand raises NV, and an improperly
 * NaN-boxed single or half reads as the canonical (quiet) NaN. Every value
 * of the three formats is a double, and rounding a double to an integral
 * value is exact, so everything here runs on doubles.
 *
 * @example fround keeps fflags' NX clear, froundnx sets it
 * ```ts
 * import { fround_d, froundnx_d } from "./zfa.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = -2.5;
 * fround_d(c, 2, 1, 0); // RNE: a tie, to even
 * strictEqual(f[2], -2);
 * strictEqual(c.fflags, 0);
 * froundnx_d(c, 3, 1, 4); // RMM: a tie, away from zero
 * strictEqual(f[3], -3);
 * strictEqual(c.fflags, 1); // NX
 * ```
 *
 * @module
 */

import { FFLAG_NV, FFLAG_NX, type FpuState, resolveRm } from "./fpu_state.ts";
import { isSNaND, isSNaNSReg, readSingle, writeNaND, writeNaNS, writeSingle } from "./_regs.ts";
import { CANONICAL_NAN_H, halfBits, halfToNumber, writeHalfBits } from "./half.ts";
import { roundToIntegral } from "./convert.ts";

// ---- fli ----------------------------------------------------------------

/**
 * The values of the 32 `fli` entries (rs1 is the index), as the Zfa
 * specification lists them; `"min"` is the format's smallest positive
 * normal number.
 */
const FLI_VALUES: readonly (number | "min")[] = [
  -1,
  "min",
  2 ** -16,
  2 ** -15,
  2 ** -8,
  2 ** -7,
  2 ** -4,
  2 ** -3,
  0.25,
  0.3125,
  0.375,
  0.4375,
  0.5,
  0.625,
  0.75,
  0.875,
  1,
  1.25,
  1.5,
  1.75,
  2,
  2.5,
  3,
  4,
  8,
  16,
  2 ** 7,
  2 ** 8,
  2 ** 15,
  2 ** 16,
  Infinity,
  NaN,
];

/** A format's width in bits: half (16), single (32) or double (64). */
export type FpWidth = 16 | 32 | 64;

const SCRATCH = new Float64Array(1);
const SCRATCH_WORDS = new Int32Array(SCRATCH.buffer);
const SCRATCH_F32 = new Float32Array(1);
const SCRATCH_F32_BITS = new Int32Array(SCRATCH_F32.buffer);

/**
 * The bits of half `v`, a value binary16 represents exactly (or one beyond
 * its range, which is infinite, as 2^16 is for `fli.h`); NaN is the
 * canonical one.
 */
function numberToHalf(v: number): number {
  if (v !== v) return CANONICAL_NAN_H;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a > 65504) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | (a * 2 ** 24); // zero or subnormal: a multiple of 2^-24
  const e = Math.floor(Math.log2(a));
  const biased = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e; // log2 may be off by one
  return sign | ((biased + 15) << 10) | (a / 2 ** biased * 1024 - 1024);
}

/** Each width's 32 `fli` constants, NaN-boxed, as int32 pairs (low word first). */
const FLI_WORDS: Readonly<Record<FpWidth, Int32Array>> = {
  16: fliTable(16),
  32: fliTable(32),
  64: fliTable(64),
};

function fliTable(width: FpWidth): Int32Array {
  const words = new Int32Array(64);
  FLI_VALUES.forEach((entry, k) => {
    const v = entry === "min" ? (width === 16 ? 2 ** -14 : width === 32 ? 2 ** -126 : 2 ** -1022) : entry;
    if (width === 64) {
      SCRATCH[0] = v;
      words[2 * k] = v !== v ? 0 : SCRATCH_WORDS[0];
      words[2 * k + 1] = v !== v ? 0x7ff80000 : SCRATCH_WORDS[1];
    } else if (width === 32) {
      SCRATCH_F32[0] = v;
      words[2 * k] = v !== v ? 0x7fc00000 : SCRATCH_F32_BITS[0];
      words[2 * k + 1] = -1;
    } else {
      words[2 * k] = numberToHalf(v) | 0xffff0000;
      words[2 * k + 1] = -1;
    }
  });
  return words;
}

/**
 * The register contents `fli.h`, `fli.s` or `fli.d` writes for entry
 * `index` (NaN-boxed), which the translators store as constants.
 *
 * @param width the format: 16 (`fli.h`), 32 (`fli.s`) or 64 (`fli.d`)
 * @param index the instruction's rs1 field, 0..31
 * @returns the low and high words of the 64-bit register
 *
 * @example 0.25 and the smallest normal single
 * ```ts
 * import { fliWords } from "./zfa.ts";
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(fliWords(64, 8), [0, 0x3fd00000]);
 * deepStrictEqual(fliWords(32, 1), [0x00800000, -1]);
 * ```
 */
export function fliWords(width: FpWidth, index: number): [lo: number, hi: number] {
  const words = FLI_WORDS[width];
  return [words[2 * index], words[2 * index + 1]];
}

// ---- fminm, fmaxm ---------------------------------------------------------

/**
 * Whether `a` is IEEE 754-2019's minimum (or maximum, `max`) of the non-NaN
 * values `a` and `b`, -0 ordered below +0 (equal values: the sign decides).
 */
function firstIsMinMax(a: number, b: number, max: boolean): boolean {
  if (a === b) return (a < 0 || Object.is(a, -0)) !== max;
  return (a < b) !== max;
}

function minMaxD(c: FpuState, rd: number, rs1: number, rs2: number, max: boolean): void {
  const a = c.f[rs1], b = c.f[rs2];
  if (a !== a || b !== b) {
    if (isSNaND(c.fi, rs1) || isSNaND(c.fi, rs2)) c.fflags |= FFLAG_NV;
    return writeNaND(c.fi, rd);
  }
  c.f[rd] = firstIsMinMax(a, b, max) ? a : b;
}

function minMaxS(c: FpuState, rd: number, rs1: number, rs2: number, max: boolean): void {
  const a = readSingle(c.fi, rs1), b = readSingle(c.fi, rs2);
  if (a !== a || b !== b) {
    if (isSNaNSReg(c.fi, rs1) || isSNaNSReg(c.fi, rs2)) c.fflags |= FFLAG_NV;
    return writeNaNS(c.fi, rd);
  }
  writeSingle(c.fi, rd, firstIsMinMax(a, b, max) ? a : b);
}

function minMaxH(c: FpuState, rd: number, rs1: number, rs2: number, max: boolean): void {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isNaNH(ab) || isNaNH(bb)) {
    if (isSNaNH(ab) || isSNaNH(bb)) c.fflags |= FFLAG_NV;
    return writeHalfBits(c.fi, rd, CANONICAL_NAN_H);
  }
  writeHalfBits(c.fi, rd, firstIsMinMax(halfToNumber(ab), halfToNumber(bb), max) ? ab : bb);
}

function isNaNH(bits: number): boolean {
  return (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
}

function isSNaNH(bits: number): boolean {
  return isNaNH(bits) && (bits & 0x200) === 0;
}

/**
 * fminm.d: minimum(rs1, rs2): a NaN operand gives the canonical NaN (NV
 * when signaling); -0 is below +0.
 *
 * @example A quiet NaN wins, unlike fmin.d
 * ```ts
 * import { fminm_d } from "./zfa.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32), fi = new Int32Array(f.buffer);
 * const c = { f, fi, fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 1, f[2] = NaN;
 * fminm_d(c, 3, 1, 2);
 * strictEqual(fi[7], 0x7ff80000); // the canonical NaN
 * strictEqual(c.fflags, 0); // quiet: no NV
 * ```
 */
export function fminm_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxD(c, rd, rs1, rs2, false);
}

/** fmaxm.d: maximum(rs1, rs2). */
export function fmaxm_d(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxD(c, rd, rs1, rs2, true);
}

/** fminm.s: minimum(rs1, rs2). */
export function fminm_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxS(c, rd, rs1, rs2, false);
}

/** fmaxm.s: maximum(rs1, rs2). */
export function fmaxm_s(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxS(c, rd, rs1, rs2, true);
}

/** fminm.h: minimum(rs1, rs2). */
export function fminm_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxH(c, rd, rs1, rs2, false);
}

/** fmaxm.h: maximum(rs1, rs2). */
export function fmaxm_h(c: FpuState, rd: number, rs1: number, rs2: number): void {
  minMaxH(c, rd, rs1, rs2, true);
}

// ---- fround, froundnx -----------------------------------------------------

/**
 * `x` (not a NaN) rounded to an integral value in mode `m`; a zero result
 * keeps `x`'s sign (-0.25 rounds to -0), as IEEE's roundToIntegral. With
 * `inexact`, NX when the result differs from `x`.
 */
function integral(c: FpuState, x: number, m: number, inexact: boolean): number {
  let r = roundToIntegral(x, m);
  if (r === 0) r = x < 0 || Object.is(x, -0) ? -0 : 0;
  if (inexact && r !== x) c.fflags |= FFLAG_NX;
  return r;
}

function roundD(c: FpuState, rd: number, rs1: number, rm: number, inexact: boolean): void {
  const m = resolveRm(c, rm);
  const x = c.f[rs1];
  if (x !== x) {
    if (isSNaND(c.fi, rs1)) c.fflags |= FFLAG_NV;
    return writeNaND(c.fi, rd);
  }
  c.f[rd] = integral(c, x, m, inexact);
}

function roundS(c: FpuState, rd: number, rs1: number, rm: number, inexact: boolean): void {
  const m = resolveRm(c, rm);
  const x = readSingle(c.fi, rs1);
  if (x !== x) {
    if (isSNaNSReg(c.fi, rs1)) c.fflags |= FFLAG_NV;
    return writeNaNS(c.fi, rd);
  }
  // An integral value no larger than a single's magnitude rounded up is a single too.
  writeSingle(c.fi, rd, integral(c, x, m, inexact));
}

function roundH(c: FpuState, rd: number, rs1: number, rm: number, inexact: boolean): void {
  const m = resolveRm(c, rm);
  const bits = halfBits(c.fi, rs1);
  if (isNaNH(bits)) {
    if (isSNaNH(bits)) c.fflags |= FFLAG_NV;
    return writeHalfBits(c.fi, rd, CANONICAL_NAN_H);
  }
  writeHalfBits(c.fi, rd, numberToHalf(integral(c, halfToNumber(bits), m, inexact)));
}

/** fround.d: rs1 rounded to an integral value in mode rm, without raising NX. */
export function fround_d(c: FpuState, rd: number, rs1: number, rm: number): void {
  roundD(c, rd, rs1, rm, false);
}

/** froundnx.d: rs1 rounded to an integral value in mode rm, NX when inexact. */
export function froundnx_d(c: FpuState, rd: number, rs1: number, rm: number): void {
  roundD(c, rd, rs1, rm, true);
}

/** fround.s: rs1 rounded to an integral value in mode rm, without raising NX. */
export function fround_s(c: FpuState, rd: number, rs1: number, rm: number): void {
  roundS(c, rd, rs1, rm, false);
}

/** froundnx.s: rs1 rounded to an integral value in mode rm, NX when inexact. */
export function froundnx_s(c: FpuState, rd: number, rs1: number, rm: number): void {
  roundS(c, rd, rs1, rm, true);
}

/** fround.h: rs1 rounded to an integral value in mode rm, without raising NX. */
export function fround_h(c: FpuState, rd: number, rs1: number, rm: number): void {
  roundH(c, rd, rs1, rm, false);
}

/** froundnx.h: rs1 rounded to an integral value in mode rm, NX when inexact. */
export function froundnx_h(c: FpuState, rd: number, rs1: number, rm: number): void {
  roundH(c, rd, rs1, rm, true);
}

// ---- fcvtmod.w.d ----------------------------------------------------------

/**
 * fcvtmod.w.d: rs1 truncated to an integer, modulo 2^32 (the low 32 bits
 * of its two's complement), with fcvt.w.d's flags: NV and 0 for a NaN or
 * an infinity, NV alone when the integer is outside the int32 range,
 * otherwise NX when the value was not integral.
 *
 * @returns the int32 result (rd gets it sign-extended)
 *
 * @example 2^32 + 5.5 wraps to 5, with NV
 * ```ts
 * import { fcvtmod_w_d } from "./zfa.ts";
 * import { strictEqual } from "node:assert";
 * const f = new Float64Array(32);
 * const c = { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
 * f[1] = 2 ** 32 + 5.5;
 * strictEqual(fcvtmod_w_d(c, 1), 5);
 * strictEqual(c.fflags, 16); // NV, and no NX
 * ```
 */
export function fcvtmod_w_d(c: FpuState, rs1: number): number {
  const x = c.f[rs1];
  if (x !== x || x === Infinity || x === -Infinity) {
    c.fflags |= FFLAG_NV;
    return 0;
  }
  const t = Math.trunc(x);
  if (t >= 2147483648 || t < -2147483648) c.fflags |= FFLAG_NV;
  else if (t !== x) c.fflags |= FFLAG_NX;
  // ToInt32 takes an integral double modulo 2^32 exactly, however large.
  return t | 0;
}

// ---- fleq, fltq -------------------------------------------------------------

/**
 * fleq.d: 1 when rs1 <= rs2, else 0; quiet (NV only for a signaling NaN).
 *
 * @returns 0 or 1
 */
export function fleq_d(c: FpuState, rs1: number, rs2: number): number {
  const a = c.f[rs1], b = c.f[rs2];
  if ((a !== a || b !== b) && (isSNaND(c.fi, rs1) || isSNaND(c.fi, rs2))) c.fflags |= FFLAG_NV;
  return a <= b ? 1 : 0;
}

/**
 * fltq.d: 1 when rs1 < rs2, else 0; quiet.
 *
 * @returns 0 or 1
 */
export function fltq_d(c: FpuState, rs1: number, rs2: number): number {
  const a = c.f[rs1], b = c.f[rs2];
  if ((a !== a || b !== b) && (isSNaND(c.fi, rs1) || isSNaND(c.fi, rs2))) c.fflags |= FFLAG_NV;
  return a < b ? 1 : 0;
}

/**
 * fleq.s: 1 when rs1 <= rs2, else 0; quiet.
 *
 * @returns 0 or 1
 */
export function fleq_s(c: FpuState, rs1: number, rs2: number): number {
  const a = readSingle(c.fi, rs1), b = readSingle(c.fi, rs2);
  if ((a !== a || b !== b) && (isSNaNSReg(c.fi, rs1) || isSNaNSReg(c.fi, rs2))) c.fflags |= FFLAG_NV;
  return a <= b ? 1 : 0;
}

/**
 * fltq.s: 1 when rs1 < rs2, else 0; quiet.
 *
 * @returns 0 or 1
 */
export function fltq_s(c: FpuState, rs1: number, rs2: number): number {
  const a = readSingle(c.fi, rs1), b = readSingle(c.fi, rs2);
  if ((a !== a || b !== b) && (isSNaNSReg(c.fi, rs1) || isSNaNSReg(c.fi, rs2))) c.fflags |= FFLAG_NV;
  return a < b ? 1 : 0;
}

/**
 * fleq.h: 1 when rs1 <= rs2, else 0; quiet.
 *
 * @returns 0 or 1
 */
export function fleq_h(c: FpuState, rs1: number, rs2: number): number {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isSNaNH(ab) || isSNaNH(bb)) c.fflags |= FFLAG_NV;
  return halfToNumber(ab) <= halfToNumber(bb) ? 1 : 0;
}

/**
 * fltq.h: 1 when rs1 < rs2, else 0; quiet.
 *
 * @returns 0 or 1
 */
export function fltq_h(c: FpuState, rs1: number, rs2: number): number {
  const ab = halfBits(c.fi, rs1), bb = halfBits(c.fi, rs2);
  if (isSNaNH(ab) || isSNaNH(bb)) c.fflags |= FFLAG_NV;
  return halfToNumber(ab) < halfToNumber(bb) ? 1 : 0;
}
