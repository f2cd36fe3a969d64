import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_NX, FFLAG_OF, FFLAG_UF } from "./fpu_state.ts";
import { BINARY32, BINARY64, canonicalNaN, FINITE, isqrt, NAN, roundPack, unpack, ZERO } from "./_exact.ts";

Deno.test("unpack decodes normals, subnormals, zeros and NaNs", () => {
  assertEquals(unpack(BINARY64, 0x3ff0000000000000n), { cls: FINITE, sign: 0, sig: 1n << 52n, exp: -52, snan: false });
  assertEquals(unpack(BINARY64, 0x8000000000000001n), { cls: FINITE, sign: 1, sig: 1n, exp: -1074, snan: false });
  assertEquals(unpack(BINARY32, 0x80000000n).cls, ZERO);
  assertEquals(unpack(BINARY32, 0x7f800001n), { cls: NAN, sign: 0, sig: 0n, exp: 0, snan: true });
  assertEquals(unpack(BINARY32, 0x7fc00000n).snan, false);
});

Deno.test("canonicalNaN is 0x7fc00000 and 0x7ff8000000000000", () => {
  assertEquals(canonicalNaN(BINARY32), 0x7fc00000n);
  assertEquals(canonicalNaN(BINARY64), 0x7ff8000000000000n);
});

Deno.test("roundPack rounds, detects tininess after rounding and overflows per mode", () => {
  // [format, sign, sig, exp, rm, expected bits, expected flags]
  const cases: [typeof BINARY32, number, bigint, number, number, bigint, number][] = [
    // 1 + 2^-24 is a tie in binary32: even down, RMM away, RUP up.
    [BINARY32, 0, (1n << 24n) + 1n, -24, 0, 0x3f800000n, FFLAG_NX],
    [BINARY32, 0, (1n << 24n) + 1n, -24, 4, 0x3f800001n, FFLAG_NX],
    [BINARY32, 0, (1n << 24n) + 1n, -24, 3, 0x3f800001n, FFLAG_NX],
    [BINARY32, 1, (1n << 24n) + 1n, -24, 2, 0xbf800001n, FFLAG_NX],
    [BINARY32, 1, (1n << 24n) + 1n, -24, 1, 0xbf800000n, FFLAG_NX],
    // (2^24 - 1) * 2^-150 is tiny before rounding; rounding to 24 bits reaches 2^-126: not tiny after.
    [BINARY32, 0, (1n << 25n) - 1n, -151, 0, 0x00800000n, FFLAG_NX],
    // The same in RTZ stays below 2^-126: tiny and inexact, so UF.
    [BINARY32, 0, (1n << 25n) - 1n, -151, 1, 0x007fffffn, FFLAG_NX | FFLAG_UF],
    // Exact subnormal: no flags at all.
    [BINARY64, 0, 3n, -1074, 0, 3n, 0],
    // Half the smallest subnormal rounds to 0 (even) with UF|NX; RUP gives the smallest subnormal.
    [BINARY64, 0, 1n, -1075, 0, 0n, FFLAG_NX | FFLAG_UF],
    [BINARY64, 0, 1n, -1075, 3, 1n, FFLAG_NX | FFLAG_UF],
    // 2^1024 overflows: infinity in RNE, the largest finite in RTZ, -largest for negative RUP.
    [BINARY64, 0, 1n, 1024, 0, 0x7ff0000000000000n, FFLAG_OF | FFLAG_NX],
    [BINARY64, 0, 1n, 1024, 1, 0x7fefffffffffffffn, FFLAG_OF | FFLAG_NX],
    [BINARY64, 1, 1n, 1024, 3, 0xffefffffffffffffn, FFLAG_OF | FFLAG_NX],
  ];
  for (const [fmt, sign, sig, exp, rm, bits, flags] of cases) {
    const c = { fflags: 0 };
    const got = roundPack(c, fmt, sign, sig, exp, rm);
    assertEquals([got.toString(16), c.fflags], [bits.toString(16), flags], `${sign} ${sig} 2^${exp} rm=${rm}`);
  }
});

Deno.test("isqrt returns the floor square root", () => {
  for (const v of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 106n) - 1n, 1n << 106n, 12345678901234567890123n]) {
    const r = isqrt(v);
    assertEquals(r * r <= v && (r + 1n) * (r + 1n) > v, true, `isqrt(${v}) = ${r}`);
  }
});
