import { assertEquals } from "../../tests/assert.ts";
import * as i64 from "./int64.ts";

const M64 = (1n << 64n) - 1n;

function split(v: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
}

function join(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo >>> 0);
}

/** Interesting 64-bit values: boundaries, small numbers, and a fixed pseudo-random sample. */
function values(): bigint[] {
  const v = [0n, 1n, -1n, 2n, -2n, 3n, 7n, -7n, 10n, 0x7fffffffn, 0x80000000n, -0x80000000n, 0xffffffffn, 0x100000000n];
  v.push((1n << 63n) - 1n, -(1n << 63n), (1n << 53n) + 1n, -(1n << 53n) - 1n, 0x123456789abcdef0n);
  let s = 0x243f6a8885a308d3n;
  for (let i = 0; i < 60; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & M64;
    v.push(BigInt.asIntN(64, s >> BigInt(i % 40)));
  }
  return v;
}

function check(
  name: string,
  f: (a: number, b: number, c: number, d: number) => number,
  ref: (a: bigint, b: bigint) => bigint,
) {
  Deno.test(`${name} matches BigInt reference on boundary and random values`, () => {
    for (const a of values()) {
      for (const b of values()) {
        const [al, ah] = split(a), [bl, bh] = split(b);
        const lo = f(al, ah, bl, bh);
        assertEquals(join(lo, i64.RH[0]), BigInt.asIntN(64, ref(a, b)), `${name}(${a}, ${b})`);
      }
    }
  });
}

const u = (x: bigint) => BigInt.asUintN(64, x);
const MIN = -(1n << 63n);
check("mul64", i64.mul64, (a, b) => a * b);
check("mulhu64", i64.mulhu64, (a, b) => (u(a) * u(b)) >> 64n);
check("mulh64", i64.mulh64, (a, b) => (a * b) >> 64n);
check("mulhsu64", i64.mulhsu64, (a, b) => (a * u(b)) >> 64n);
check("div64", i64.div64, (a, b) => (b === 0n ? -1n : a === MIN && b === -1n ? MIN : a / b));
check("divu64", i64.divu64, (a, b) => (b === 0n ? -1n : u(a) / u(b)));
check("rem64", i64.rem64, (a, b) => (b === 0n ? a : a === MIN && b === -1n ? 0n : a % b));
check("remu64", i64.remu64, (a, b) => (b === 0n ? a : u(a) % u(b)));

Deno.test("shifts by every amount match BigInt", () => {
  for (const a of values().slice(0, 30)) {
    const [lo, hi] = split(a);
    for (let s = 0; s < 128; s++) {
      const k = BigInt(s & 63);
      assertEquals(join(i64.sll64(lo, hi, s), i64.RH[0]), BigInt.asIntN(64, a << k), `sll ${a} ${s}`);
      assertEquals(join(i64.srl64(lo, hi, s), i64.RH[0]), BigInt.asIntN(64, u(a) >> k), `srl ${a} ${s}`);
      assertEquals(join(i64.sra64(lo, hi, s), i64.RH[0]), a >> k, `sra ${a} ${s}`);
    }
  }
});

Deno.test("32-bit division helpers follow the M extension's special cases", () => {
  const I32_MIN = -0x80000000;
  const cases: [string, (a: number, b: number) => number, number, number, number][] = [
    ["divw", i64.divw, 7, 0, -1],
    ["divw", i64.divw, I32_MIN, -1, I32_MIN],
    ["divw", i64.divw, -7, 2, -3],
    ["divuw", i64.divuw, 7, 0, -1],
    ["divuw", i64.divuw, -1, 2, 0x7fffffff],
    ["remw", i64.remw, 7, 0, 7],
    ["remw", i64.remw, I32_MIN, -1, 0],
    ["remw", i64.remw, -7, 2, -1],
    ["remuw", i64.remuw, -1, 10, 5],
    ["remuw", i64.remuw, 9, 0, 9],
  ];
  for (const [name, f, a, b, want] of cases) assertEquals(f(a, b), want, `${name}(${a}, ${b})`);
});

Deno.test("mulhu32 is the high word of the unsigned product", () => {
  for (const a of [0, 1, -1, 0x12345678, 0x80000000 | 0, 0xffff, 0x10000]) {
    for (const b of [0, 1, -1, 0x9abcdef0 | 0, 0x7fffffff, 0x10001]) {
      const want = Number(((BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n) & 0xffffffffn) | 0;
      assertEquals(i64.mulhu32(a, b), want);
    }
  }
});
