/**
 * The fast paths against the exact path, on many more pseudo-random
 * operands than the oracle vectors hold: operands built to land on ties,
 * midpoints, cancellations, powers of two and the underflow/overflow
 * thresholds, in every rounding mode, with NX clear and already set. The
 * exact path itself is checked against QEMU by fpu_test.ts.
 */

import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_NX, type FpuState } from "./fpu_state.ts";
import * as exact from "./_exact.ts";
import { BINARY32, BINARY64, type Exact, type Format } from "./_exact.ts";
import * as fpu from "./mod.ts";

/** Deterministic xorshift64* generator. */
class Rng {
  #s = 0x9e3779b97f4a7c15n;
  next(): bigint {
    let s = this.#s;
    s ^= s >> 12n;
    s ^= (s << 25n) & 0xffffffffffffffffn;
    s ^= s >> 27n;
    this.#s = s;
    return (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
}

const rng = new Rng();
const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function dbits(x: number): bigint {
  F64[0] = x;
  return U64[0];
}
function dval(b: bigint): number {
  U64[0] = b;
  return F64[0];
}
function sbits(x: number): bigint {
  F32[0] = x;
  return BigInt(U32[0]);
}
function sval(b: bigint): number {
  U32[0] = Number(b & 0xffffffffn);
  return F32[0];
}

/** Per-format helpers: random encodings and conversions between bits and values. */
interface Fmt {
  fmt: Format;
  bits(x: number): bigint;
  val(b: bigint): number;
  random(): bigint;
}

function randomBits(fmt: Format): bigint {
  const p = BigInt(fmt.p - 1), w = fmt.width;
  const sign = BigInt(rng.int(2)) << BigInt(w - 1);
  let frac = rng.next() & ((1n << p) - 1n);
  const bias = fmt.emax, maxE = 2 * fmt.emax;
  let e: number;
  switch (rng.int(8)) {
    case 0:
      return rng.next() & ((1n << BigInt(w)) - 1n);
    case 1:
      e = bias - 30 + rng.int(60);
      break;
    case 2:
      e = bias - 30 + rng.int(60);
      frac &= ~0n << BigInt(rng.int(fmt.p));
      break;
    case 3:
      e = rng.int(fmt.p + 8);
      break;
    case 4:
      e = maxE - rng.int(fmt.p);
      break;
    case 5:
      e = (bias >> 1) + rng.int(fmt.p) - (fmt.p >> 1);
      break;
    case 6:
      e = bias + (bias >> 1) + rng.int(fmt.p) - (fmt.p >> 1);
      break;
    default:
      e = 1 + rng.int(maxE);
  }
  return sign | (BigInt(e) << p) | frac;
}

const FD: Fmt = { fmt: BINARY64, bits: dbits, val: dval, random: () => randomBits(BINARY64) };
const FS: Fmt = { fmt: BINARY32, bits: sbits, val: (b) => sval(b), random: () => randomBits(BINARY32) };

/** A second operand related to `a`: cancellation, neighbours, exponent gaps, boundaries. */
function related(t: Fmt, a: bigint): bigint {
  const x = t.val(a);
  const signBit = 1n << BigInt(t.fmt.width - 1);
  const minNormal = 2 ** t.fmt.emin;
  switch (rng.int(6)) {
    case 0:
      return a ^ signBit ^ BigInt(rng.int(64));
    case 1:
      return a ^ BigInt(rng.int(16));
    case 2:
      return t.bits(x * 2 ** -(rng.int(t.fmt.p + 4)));
    case 3:
      return t.bits(minNormal / x) ^ BigInt(rng.int(4));
    case 4:
      return t.bits(x / minNormal) ^ BigInt(rng.int(4));
    default:
      return t.random();
  }
}

/** An addend for a*b: cancelling, a near tie, a power of two, or random. */
function addendFor(t: Fmt, a: bigint, b: bigint): bigint {
  const p = t.val(a) * t.val(b);
  switch (rng.int(5)) {
    case 0:
      return t.bits(-p) ^ BigInt(rng.int(4));
    case 1: {
      const u = Math.abs(t.val(t.bits(p))) * 2 ** -(t.fmt.p - 1);
      return t.bits(-p + (rng.int(2) ? 1 : -1) * u * (0.5 + rng.int(3)));
    }
    case 2:
      return t.bits((rng.int(2) ? 1 : -1) * 2 ** (Math.floor(Math.log2(Math.abs(p) || 1)) + t.fmt.p - 1 + rng.int(4)));
    default:
      return t.random();
  }
}

function newState(): FpuState {
  const f = new Float64Array(32);
  return { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
}

function setReg(c: FpuState, t: Fmt, r: number, bits: bigint): void {
  if (t.fmt === BINARY64) {
    c.fi[2 * r] = Number(bits & 0xffffffffn) | 0;
    c.fi[2 * r + 1] = Number(bits >> 32n) | 0;
  } else {
    c.fi[2 * r] = Number(bits) | 0;
    c.fi[2 * r + 1] = -1;
  }
}

function getReg(c: FpuState, t: Fmt, r: number): bigint {
  const lo = BigInt(c.fi[2 * r] >>> 0);
  return t.fmt === BINARY64 ? (BigInt(c.fi[2 * r + 1] >>> 0) << 32n) | lo : lo;
}

const neg = (x: Exact): Exact => ({ ...x, sign: x.sign ^ 1 });

// deno-lint-ignore no-explicit-any
type Helper = (...args: any[]) => void;

interface Case {
  name: string;
  t: Fmt;
  arity: number;
  fn: Helper;
  ref(c: { fflags: number }, fmt: Format, o: Exact[], m: number): bigint;
}

function casesFor(t: Fmt, sfx: string): Case[] {
  const h = fpu as unknown as Record<string, Helper>;
  const op = (name: string, arity: number, ref: Case["ref"]): Case => ({ name, t, arity, fn: h[name + sfx], ref });
  return [
    op("fadd", 2, (c, f, o, m) => exact.add(c, f, o[0], o[1], m)),
    op("fsub", 2, (c, f, o, m) => exact.add(c, f, o[0], neg(o[1]), m)),
    op("fmul", 2, (c, f, o, m) => exact.mul(c, f, o[0], o[1], m)),
    op("fdiv", 2, (c, f, o, m) => exact.div(c, f, o[0], o[1], m)),
    op("fsqrt", 1, (c, f, o, m) => exact.sqrt(c, f, o[0], m)),
    op("fmadd", 3, (c, f, o, m) => exact.fma(c, f, o[0], o[1], o[2], m)),
    op("fmsub", 3, (c, f, o, m) => exact.fma(c, f, o[0], o[1], neg(o[2]), m)),
    op("fnmsub", 3, (c, f, o, m) => exact.fma(c, f, neg(o[0]), o[1], o[2], m)),
    op("fnmadd", 3, (c, f, o, m) => exact.fma(c, f, neg(o[0]), o[1], neg(o[2]), m)),
  ];
}

const SAMPLES = 10000;

for (const kase of [...casesFor(FD, "_d"), ...casesFor(FS, "_s")]) {
  const { t, arity } = kase;
  Deno.test(`${kase.name}${t.fmt === BINARY64 ? "_d" : "_s"} fast paths agree with the exact path`, () => {
    const c = newState();
    const mismatches: string[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const a = t.random();
      const b = i & 1 ? related(t, a) : t.random();
      const ops = arity === 1 ? [i & 1 ? a & ~(1n << BigInt(t.fmt.width - 1)) : a] : arity === 2 ? [a, b] : [
        a,
        b,
        addendFor(t, a, b),
      ];
      for (let m = 0; m < 5; m++) {
        const want = { fflags: 0 };
        const bits = kase.ref(want, t.fmt, ops.map((o) => exact.unpack(t.fmt, o)), m);
        for (const preset of [0, FFLAG_NX]) {
          ops.forEach((o, k) => setReg(c, t, k + 1, o));
          c.fflags = preset;
          if (arity === 1) kase.fn(c, 4, 1, m);
          else if (arity === 2) kase.fn(c, 4, 1, 2, m);
          else kase.fn(c, 4, 1, 2, 3, m);
          const got = getReg(c, t, 4);
          if (got !== bits || c.fflags !== (want.fflags | preset)) {
            mismatches.push(
              `rm=${m} preset=${preset} [${ops.map((o) => o.toString(16)).join(" ")}]: ` +
                `expected ${bits.toString(16)}:${want.fflags | preset}, got ${got.toString(16)}:${c.fflags}`,
            );
          }
        }
      }
    }
    assertEquals(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
  });
}
