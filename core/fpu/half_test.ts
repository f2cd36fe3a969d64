import { assertEquals } from "../../tests/assert.ts";
import { bitsOf, getD, newState, setD } from "./_testing.ts";
import {
  BINARY16,
  fadd_h,
  fclass_h,
  fcvt_d_h,
  fcvt_h_d,
  fcvt_h_s,
  fcvt_h_w,
  fcvt_h_wu,
  fcvt_s_h,
  fdiv_h,
  fmadd_h,
  fmsub_h,
  fmul_h,
  fnmadd_h,
  fnmsub_h,
  fsgnjn_h,
  fsqrt_h,
  fsub_h,
  halfBits,
  writeHalfBits,
} from "./half.ts";
import * as exact from "./_exact.ts";
import { BINARY32 } from "./_exact.ts";
import { FFLAG_NV, FFLAG_NX, FFLAG_OF, FFLAG_UF, type FpuState } from "./fpu_state.ts";

// An oracle written apart from half.ts and _exact.ts: the value of every half by its definition, and rounding by
// searching the sorted list of all finite halves for the neighbours of the exact value.

/** The value of half `h` by the definition of binary16 (NaN for every NaN). */
function valueOf(h: number): number {
  const sign = h >> 15 ? -1 : 1, e = (h >> 10) & 31, f = h & 1023;
  if (e === 31) return f ? NaN : sign * Infinity;
  return e === 0 ? sign * f / 1024 * 2 ** -14 : sign * (1 + f / 1024) * 2 ** (e - 15);
}

/** Every non-negative finite half's value, ascending (bits 0 to 0x7bff), then 2^16: where +infinity starts. */
const LADDER = [...Array.from({ length: 0x7c00 }, (_, h) => valueOf(h)), 65536];

/** Rounds a magnitude to 11 significant bits with an unbounded exponent (to decide tininess after rounding). */
function roundUnbounded(x: number, up: (loOdd: boolean, frac: number) => boolean): number {
  const ulp = 2 ** (Math.floor(Math.log2(x)) - 10);
  const q = x / ulp, lo = Math.floor(q);
  return (lo === q ? lo : up(lo % 2 === 1, q - lo) ? lo + 1 : lo) * ulp;
}

/** The half nearest `x` (a finite double) in mode `rm`, with the flags IEEE 754 gives, found by search. */
function referenceRound(x: number, rm: number): { bits: number; flags: number } {
  const sign = x < 0 || Object.is(x, -0) ? 1 : 0, m = Math.abs(x);
  // Rounding a magnitude: towards zero, away, or to nearest with ties to even (`even`) or away.
  const away = rm === 3 ? sign === 0 : rm === 2 ? sign === 1 : false;
  // Whether a magnitude `frac` (0 < frac < 1) of the way from one neighbour to the next rounds to the upper one.
  const up = (loOdd: boolean, frac: number) => {
    if (rm === 0 || rm === 4) return frac > 0.5 || (frac === 0.5 && (rm === 4 || loOdd));
    return away;
  };
  let k = 0, hiK = LADDER.length - 1;
  while (k < hiK) { // first index with LADDER[index] >= m
    const mid = (k + hiK) >> 1;
    if (LADDER[mid] < m) k = mid + 1;
    else hiK = mid;
  }
  if (m >= 65536) k = LADDER.length; // 2^16 and beyond: past every finite half
  let pick: number;
  if (k < LADDER.length && LADDER[k] === m) pick = k;
  else if (k >= LADDER.length) pick = rm === 0 || rm === 4 || away ? LADDER.length - 1 : LADDER.length - 2;
  else {
    const lo = LADDER[k - 1], hi = LADDER[k];
    // Neighbours differ by a power of two and m - lo is exact (Sterbenz), so the fraction is exact; lo is bits k - 1.
    pick = up((k - 1) % 2 === 1, (m - lo) / (hi - lo)) ? k : k - 1;
  }
  let flags = 0;
  const inexact = pick >= LADDER.length || LADDER[pick] !== m;
  if (inexact) flags |= FFLAG_NX;
  // Overflow: the value rounded with an unbounded exponent is beyond the largest half, whatever the mode picks.
  if (m > 65504 && roundUnbounded(m, up) > 65504) {
    return { bits: (sign << 15) | (pick === LADDER.length - 1 ? 0x7c00 : 0x7bff), flags: FFLAG_OF | FFLAG_NX };
  }
  if (inexact && m !== 0 && roundUnbounded(m, up) < 2 ** -14) flags |= FFLAG_UF;
  return { bits: (sign << 15) | pick, flags };
}

const MODES = [0, 1, 2, 3, 4];

Deno.test("fcvt.h.d rounds like a search of all halves, in every mode, at every half, midpoint and quarter point", () => {
  const c = newState();
  const xs: number[] = [];
  for (let h = 0; h < 0x7c00; h++) {
    const v = valueOf(h), next = LADDER[h + 1];
    xs.push(v, -v, (v + next) / 2, -(v + next) / 2, v + (next - v) / 4, v + 3 * (next - v) / 4);
  }
  xs.push(2 ** -30, -(2 ** -26), 2 ** -25, 3 * 2 ** -26, 70000, -1e10, 65519.99, 65520, 65536, 1e300);
  let checked = 0;
  for (const rm of MODES) {
    for (const x of xs) {
      setD(c, 1, bitsOf(x));
      c.fflags = 0;
      fcvt_h_d(c, 2, 1, rm);
      const want = referenceRound(x, rm);
      assertEquals([halfBits(c.fi, 2).toString(16), c.fflags], [want.bits.toString(16), want.flags], `${x} rm=${rm}`);
      checked++;
    }
  }
  assertEquals(checked > 900_000, true);
});

Deno.test("fadd.h, fsub.h and fmul.h round like the search (their exact results are doubles)", () => {
  const c = newState();
  let seed = 0x1234567;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  const edges = [0, 1, 2, 0x3ff, 0x400, 0x401, 0x3c00, 0x3bff, 0x3c01, 0x7bff, 0x7bfe, 0x0800, 0x1400, 0x5000];
  const pool = [...edges, ...edges.map((h) => h | 0x8000), ...Array.from({ length: 100 }, () => next() & 0xfbff)];
  for (const rm of MODES) {
    for (const a of pool) {
      for (const b of pool) {
        for (
          const [f, op] of [[fadd_h, (x: number, y: number) => x + y], [fsub_h, (x: number, y: number) => x - y], [
            fmul_h,
            (x: number, y: number) => x * y,
          ]] as const
        ) {
          writeHalfBits(c.fi, 1, a), writeHalfBits(c.fi, 2, b);
          c.fflags = 0;
          f(c, 3, 1, 2, rm);
          const exact = op(valueOf(a), valueOf(b));
          // An exact zero result is not rounded: its sign follows IEEE 754's rules, checked by the QEMU vectors.
          if (exact === 0) continue;
          const want = referenceRound(exact, rm);
          assertEquals([halfBits(c.fi, 3), c.fflags], [want.bits, want.flags], `${f.name} ${a} ${b} rm=${rm}`);
        }
      }
    }
  }
});

Deno.test("fcvt.s.h and fcvt.d.h are exact for all 65,536 halves; a NaN becomes the canonical one, NV when signaling", () => {
  const c = newState();
  const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  for (let h = 0; h < 0x10000; h++) {
    writeHalfBits(c.fi, 1, h);
    c.fflags = 0;
    fcvt_s_h(c, 2, 1, 7);
    fcvt_d_h(c, 3, 1, 7);
    const v = valueOf(h), nan = v !== v, snan = nan && (h & 0x200) === 0;
    f32[0] = v;
    assertEquals(c.fi[5], -1, "single boxed");
    assertEquals(c.fi[4] >>> 0, nan ? 0x7fc00000 : u32[0], `fcvt.s.h ${h}`);
    assertEquals(getD(c, 3), nan ? 0x7ff8000000000000n : bitsOf(v), `fcvt.d.h ${h}`);
    assertEquals(c.fflags, snan ? FFLAG_NV : 0, `flags ${h}`);
    // And back: the single and the double round to the same half, exactly (NaNs to the canonical one).
    c.fflags = 0;
    fcvt_h_s(c, 4, 2, 0);
    fcvt_h_d(c, 5, 3, 0);
    assertEquals([halfBits(c.fi, 4), halfBits(c.fi, 5), c.fflags], nan ? [0x7e00, 0x7e00, 0] : [h, h, 0]);
  }
});

Deno.test("A half not boxed with ones in bits 63..16 reads as the canonical NaN; results are boxed", () => {
  const c = newState();
  for (const bits of [0x3c00n, 0xffffffff00003c00n, 0xfffffffffffe3c00n, 0x7fff_ffff_ffff_3c00n]) {
    setD(c, 1, bits);
    writeHalfBits(c.fi, 2, 0x3c00);
    c.fflags = 0;
    fadd_h(c, 3, 1, 2, 0);
    assertEquals([getD(c, 3), c.fflags], [0xffffffffffff7e00n, 0], `fadd.h of ${bits.toString(16)}`);
    fsgnjn_h(c, 4, 1, 1);
    assertEquals(getD(c, 4), 0xfffffffffffffe00n, "fneg.h of the canonical NaN");
    assertEquals(fclass_h(c, 1), 1 << 9, "a quiet NaN");
  }
  setD(c, 1, 0xffffffffffff3c00n);
  assertEquals(fclass_h(c, 1), 1 << 6, "a boxed +1.0 is a positive normal");
});

Deno.test("In round-to-nearest-even, the fast paths give the exact path's bits and flags, NaNs, zeros, infinities, subnormals and overflow included", () => {
  const c = newState();
  let seed = 0x2468ace;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  // Signed zeros, subnormals, the normal boundary, 1 and its neighbours, the largest halves, infinities, quiet and
  // signaling NaNs, then random halves of every class.
  const edges = [0, 1, 2, 0x3ff, 0x400, 0x401, 0x3c00, 0x3bff, 0x3c01, 0x3800, 0x4000, 0x7bff, 0x7bfe, 0x7c00, 0x7e00];
  const pool = [
    ...edges,
    0x7d00,
    ...edges.map((h) => h | 0x8000),
    ...Array.from({ length: 60 }, () => next() & 0xffff),
  ];
  const h = (bits: number) => exact.unpack(BINARY16, BigInt(bits));
  const neg = (v: exact.Exact) => ({ ...v, sign: v.sign ^ 1 });
  /** Runs `fast` (an instruction with rm 0) and `slow` (the exact path) on fresh flags; compares bits and flags. */
  const same = (what: string, fast: (c: FpuState) => void, slow: (c: FpuState) => bigint) => {
    c.fflags = 0;
    fast(c);
    const got = [halfBits(c.fi, 3), c.fflags];
    c.fflags = 0;
    const want = [Number(slow(c)), c.fflags];
    assertEquals(got, want, what);
  };
  let fastTaken = 0;
  for (const a of pool) {
    for (const b of pool) {
      writeHalfBits(c.fi, 1, a), writeHalfBits(c.fi, 2, b);
      same(`fadd.h ${a} ${b}`, (c) => fadd_h(c, 3, 1, 2, 0), (c) => exact.add(c, BINARY16, h(a), h(b), 0));
      same(`fsub.h ${a} ${b}`, (c) => fsub_h(c, 3, 1, 2, 0), (c) => exact.add(c, BINARY16, h(a), neg(h(b)), 0));
      same(`fmul.h ${a} ${b}`, (c) => fmul_h(c, 3, 1, 2, 0), (c) => exact.mul(c, BINARY16, h(a), h(b), 0));
      same(`fdiv.h ${a} ${b}`, (c) => fdiv_h(c, 3, 1, 2, 7), (c) => exact.div(c, BINARY16, h(a), h(b), 0));
      const d = pool[(a * 31 + b) % pool.length];
      writeHalfBits(c.fi, 4, d);
      const fused = [[fmadd_h, false, false], [fmsub_h, false, true], [fnmsub_h, true, false], [fnmadd_h, true, true]];
      for (const [f, np, na] of fused as [typeof fmadd_h, boolean, boolean][]) {
        same(
          `${f.name} ${a} ${b} ${d}`,
          (c) => f(c, 3, 1, 2, 4, 0),
          (c) => exact.fma(c, BINARY16, np ? neg(h(a)) : h(a), h(b), na ? neg(h(d)) : h(d), 0),
        );
      }
      if (Number.isFinite(valueOf(a)) && Number.isFinite(valueOf(b)) && valueOf(b) !== 0) fastTaken++;
    }
    writeHalfBits(c.fi, 1, a);
    same(`fsqrt.h ${a}`, (c) => fsqrt_h(c, 3, 1, 0), (c) => exact.sqrt(c, BINARY16, h(a), 0));
  }
  // Narrowing conversions: singles around every half's neighbourhood and beyond its range, and integers.
  const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  for (let k = 0; k < 20_000; k++) {
    const bits = k < 200
      ? [0, 0x80000000, 0x7f800000, 0x7fc00000, 0x7fa00000, 0x477ff000, 0x477fefff, 0x38800000][k % 8]
      : (next() << 8 | next() & 0xff) >>> 0;
    // Mostly exponents near binary16's range, so that rounding, not overflow, is what is compared.
    u32[0] = k % 4 === 0 ? bits : (bits & 0x807fffff) | ((103 + (next() % 50)) << 23);
    c.fi[2] = u32[0] | 0, c.fi[3] = -1;
    same(
      `fcvt.h.s ${u32[0].toString(16)}`,
      (c) => fcvt_h_s(c, 3, 1, 0),
      (c) => exact.convert(c, BINARY16, exact.unpack(BINARY32, BigInt(u32[0])), 0),
    );
    const w = k < 100
      ? [0, 1, -1, 65504, 65519, 65520, 2047, 2049, 4097, -2147483648][k % 10]
      : next() >> (next() % 24);
    same(`fcvt.h.w ${w}`, (c) => fcvt_h_w(c, 3, w, 0), (c) => exact.fromInteger(c, BINARY16, BigInt(w | 0), 0));
    same(`fcvt.h.wu ${w}`, (c) => fcvt_h_wu(c, 3, w, 0), (c) => exact.fromInteger(c, BINARY16, BigInt(w >>> 0), 0));
  }
  assertEquals(fastTaken > 5000, true);
});
