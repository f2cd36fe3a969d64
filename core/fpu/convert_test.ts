import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_NV, FFLAG_NX, FFLAG_OF, FFLAG_UF } from "./fpu_state.ts";
import {
  fcvt_d_l,
  fcvt_d_lu,
  fcvt_d_s,
  fcvt_d_wu,
  fcvt_l_d,
  fcvt_lu_d,
  fcvt_lu_s,
  fcvt_s_d,
  fcvt_s_l,
  fcvt_s_lu,
  fcvt_s_w,
  fcvt_w_d,
  fcvt_w_s,
  fcvt_wu_d,
  roundToIntegral,
} from "./convert.ts";
import { bitsOf, getD, newState, sBitsOf, setD, setS } from "./_testing.ts";

const NV = FFLAG_NV, NX = FFLAG_NX;

Deno.test("fcvt_w_d and fcvt_wu_d saturate, and return the spec's values for NaN", () => {
  // [op, x, rm, int32 result, flags]
  const cases: [typeof fcvt_w_d, number, number, number, number][] = [
    [fcvt_w_d, NaN, 0, 0x7fffffff, NV],
    [fcvt_w_d, Infinity, 0, 0x7fffffff, NV],
    [fcvt_w_d, -Infinity, 0, -0x80000000, NV],
    [fcvt_w_d, 2147483647.5, 1, 0x7fffffff, NX],
    [fcvt_w_d, 2147483647.5, 0, 0x7fffffff, NV],
    [fcvt_w_d, -2147483648.75, 3, -0x80000000, NX],
    [fcvt_w_d, -2147483648.75, 1, -0x80000000, NX],
    [fcvt_w_d, -2147483648.75, 2, -0x80000000, NV],
    [fcvt_w_d, -0.5, 1, 0, NX],
    [fcvt_w_d, -2.5, 0, -2, NX],
    [fcvt_w_d, -2.5, 4, -3, NX],
    [fcvt_w_d, 3.5, 0, 4, NX],
    [fcvt_wu_d, NaN, 0, -1, NV],
    [fcvt_wu_d, -1, 0, 0, NV],
    [fcvt_wu_d, -0.5, 1, 0, NX],
    [fcvt_wu_d, -0.5, 2, 0, NV],
    [fcvt_wu_d, 4294967295, 0, -1, 0],
    [fcvt_wu_d, 4294967295.5, 0, -1, NV],
    [fcvt_wu_d, 3e9, 0, 3000000000 | 0, 0],
  ];
  for (const [op, x, rm, want, flags] of cases) {
    const c = newState();
    c.f[1] = x;
    assertEquals([op(c, 1, rm), c.fflags], [want, flags], `${op.name}(${x}) rm=${rm}`);
  }
});

Deno.test("fcvt_l_d and fcvt_lu_d return 64-bit results as low word plus retHi", () => {
  // [op, x, rm, result as bigint (two's complement for l), flags]
  const cases: [typeof fcvt_l_d, number, number, bigint, number][] = [
    [fcvt_l_d, NaN, 0, 0x7fffffffffffffffn, NV],
    [fcvt_l_d, 2 ** 63, 0, 0x7fffffffffffffffn, NV],
    [fcvt_l_d, -(2 ** 63), 0, 0x8000000000000000n, 0],
    [fcvt_l_d, -Infinity, 0, 0x8000000000000000n, NV],
    [fcvt_l_d, -1.5, 0, 0xfffffffffffffffen, NX],
    [fcvt_l_d, 2 ** 62 + 2 ** 40, 0, (1n << 62n) + (1n << 40n), 0],
    [fcvt_lu_d, NaN, 0, 0xffffffffffffffffn, NV],
    [fcvt_lu_d, 2 ** 64, 0, 0xffffffffffffffffn, NV],
    [fcvt_lu_d, 2 ** 64 - 2048, 0, 0xfffffffffffff800n, 0],
    [fcvt_lu_d, -1, 0, 0n, NV],
    [fcvt_lu_d, -0.25, 4, 0n, NX],
  ];
  for (const [op, x, rm, want, flags] of cases) {
    const c = newState();
    c.f[1] = x;
    const lo = op(c, 1, rm);
    const got = (BigInt(c.retHi >>> 0) << 32n) | BigInt(lo >>> 0);
    assertEquals([got.toString(16), c.fflags], [want.toString(16), flags], `${op.name}(${x}) rm=${rm}`);
  }
});

Deno.test("fcvt_lu_s of -0.5 is 0 with NX in RTZ and 0 with NV in RDN", () => {
  for (const [rm, flags] of [[1, NX], [2, NV], [0, NX], [3, NX]]) {
    const c = newState();
    setS(c, 1, 0xbf000000);
    const lo = fcvt_lu_s(c, 1, rm);
    assertEquals([lo, c.retHi, c.fflags], [0, 0, flags], `rm=${rm}`);
  }
});

Deno.test("fcvt_w_s reads an improperly boxed operand as NaN", () => {
  const c = newState();
  setD(c, 1, 0x3f800000n);
  assertEquals([fcvt_w_s(c, 1, 0), c.fflags], [0x7fffffff, NV]);
});

Deno.test("roundToIntegral rounds halfway cases per mode", () => {
  // x, then results for RNE, RTZ, RDN, RUP, RMM
  const table: [number, number[]][] = [
    [2.5, [2, 2, 2, 3, 3]],
    [-2.5, [-2, -2, -3, -2, -3]],
    [3.5, [4, 3, 3, 4, 4]],
    [-0.5, [0, 0, -1, 0, -1]],
    [0.49999999999999994, [0, 0, 0, 1, 0]],
    [4503599627370495.5, [4503599627370496, 4503599627370495, 4503599627370495, 4503599627370496, 4503599627370496]],
  ];
  // The sign of a zero result does not matter to the integer conversions: compare with +0.
  for (const [x, want] of table) assertEquals(want.map((_, m) => roundToIntegral(x, m) + 0), want, `${x}`);
});

Deno.test("fcvt_s_w, fcvt_s_l and fcvt_s_lu round integers to single", () => {
  const c = newState();
  fcvt_s_w(c, 1, 16777217, 0); // 2^24 + 1: a tie, to even
  fcvt_s_w(c, 2, 16777217, 3);
  fcvt_s_l(c, 3, -1, 0x7fffffff, 1); // 2^63 - 1 towards zero
  fcvt_s_lu(c, 4, -1, -1, 0); // 2^64 - 1 rounds up to 2^64
  assertEquals(
    [1, 2, 3, 4].map((r) => c.fi[2 * r] >>> 0),
    [0x4b800000, 0x4b800001, sBitsOf(2 ** 63) - 1, sBitsOf(2 ** 64)],
  );
  assertEquals(c.fflags, NX);
});

Deno.test("fcvt_d_l, fcvt_d_lu and fcvt_d_wu convert 64- and 32-bit integers", () => {
  const c = newState();
  fcvt_d_l(c, 1, 1, 0x00200000, 0); // 2^53 + 1: a tie, to even
  fcvt_d_l(c, 2, 1, 0x00200000, 3); // RUP
  fcvt_d_lu(c, 3, -1, -1, 1); // 2^64 - 1 towards zero
  fcvt_d_wu(c, 4, -1, 0); // 4294967295, exact
  assertEquals([c.f[1], c.f[2], c.f[3], c.f[4]], [2 ** 53, 2 ** 53 + 2, 2 ** 64 - 2048, 4294967295]);
  assertEquals(c.fflags, NX);
});

Deno.test("fcvt_s_d rounds, overflows, underflows and canonicalizes NaNs", () => {
  // [double bits, rm, single bits, flags]
  const cases: [bigint, number, number, number][] = [
    [bitsOf(0.1), 0, sBitsOf(0.1), NX],
    [bitsOf(1e300), 0, 0x7f800000, FFLAG_OF | NX],
    [bitsOf(1e300), 1, 0x7f7fffff, FFLAG_OF | NX],
    [bitsOf(1e-50), 0, 0, FFLAG_UF | NX],
    [bitsOf(2 ** -149), 0, 1, 0],
    [0x7ff0000000000001n, 0, 0x7fc00000, NV],
    [0xfff8000012345678n, 0, 0x7fc00000, 0],
  ];
  for (const [x, rm, bits, flags] of cases) {
    const c = newState();
    setD(c, 1, x);
    fcvt_s_d(c, 2, 1, rm);
    assertEquals([c.fi[4] >>> 0, c.fi[5], c.fflags], [bits, -1, flags], `${x.toString(16)} rm=${rm}`);
  }
});

Deno.test("fcvt_d_s widens exactly and canonicalizes NaNs", () => {
  const c = newState();
  setS(c, 1, 0x3dcccccd);
  setS(c, 2, 0x7f800001);
  fcvt_d_s(c, 3, 1, 0);
  assertEquals([c.f[3], c.fflags], [Math.fround(0.1), 0]);
  fcvt_d_s(c, 4, 2, 0);
  assertEquals([getD(c, 4).toString(16), c.fflags], ["7ff8000000000000", NV]);
});
