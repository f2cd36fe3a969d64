import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_NV, FFLAG_NX, FFLAG_UF } from "./fpu_state.ts";
import { fmadd_d, fmadd_s, fmsub_d, fnmadd_d, fnmadd_s, fnmsub_d } from "./fused.ts";
import { bitsOf, getD, newState, setD, setS } from "./_testing.ts";

const INF = 0x7ff0000000000000n;
const QNAN = 0x7ff8000000000000n;

Deno.test("fmadd_d and friends round once and raise the spec's flags", () => {
  // [name, op, a, b, c, rm, expected bits, expected flags]
  const cases: [string, typeof fmadd_d, bigint, bigint, bigint, number, bigint, number][] = [
    ["inf*0 + qNaN is NV (the spec's exception to NaN quietness)", fmadd_d, INF, 0n, QNAN, 0, QNAN, FFLAG_NV],
    ["inf*0 + 1 is NV", fmadd_d, 0n, INF, bitsOf(1), 0, QNAN, FFLAG_NV],
    ["inf*1 - inf is NV", fmsub_d, INF, bitsOf(1), INF, 0, QNAN, FFLAG_NV],
    ["qNaN*1 + 1 is quiet", fmadd_d, QNAN, bitsOf(1), bitsOf(1), 0, QNAN, 0],
    ["1*1 + sNaN is NV", fmadd_d, bitsOf(1), bitsOf(1), 0x7ff0000000000001n, 0, QNAN, FFLAG_NV],
    // (1+2^-30)(1-2^-30) - 1 = -2^-60 exactly: a separate multiply would give 0.
    [
      "the product is not rounded before the addition",
      fmadd_d,
      bitsOf(1 + 2 ** -30),
      bitsOf(1 - 2 ** -30),
      bitsOf(-1),
      0,
      bitsOf(-(2 ** -60)),
      0,
    ],
    ["fmadd(1,1,-1) is +0 in RNE", fmadd_d, bitsOf(1), bitsOf(1), bitsOf(-1), 0, 0n, 0],
    ["fmadd(1,1,-1) is -0 in RDN", fmadd_d, bitsOf(1), bitsOf(1), bitsOf(-1), 2, 1n << 63n, 0],
    ["fnmadd(0,1,0) is -(+0) - (+0) = -0", fnmadd_d, 0n, bitsOf(1), 0n, 0, 1n << 63n, 0],
    ["fnmsub(1,1,1) is -1 + 1 = +0", fnmsub_d, bitsOf(1), bitsOf(1), bitsOf(1), 0, 0n, 0],
    ["1 + tiny is inexact", fmadd_d, bitsOf(2 ** -600), bitsOf(2 ** -600), bitsOf(1), 0, bitsOf(1), FFLAG_NX],
    ["1 + tiny rounds up in RUP", fmadd_d, bitsOf(2 ** -600), bitsOf(2 ** -600), bitsOf(1), 3, bitsOf(1) + 1n, 1],
    ["a tiny inexact result underflows", fmadd_d, 1n, bitsOf(0.75), 0n, 0, 1n, FFLAG_UF | FFLAG_NX],
  ];
  for (const [name, op, a, b, d, rm, bits, flags] of cases) {
    const c = newState();
    setD(c, 1, a);
    setD(c, 2, b);
    setD(c, 3, d);
    op(c, 4, 1, 2, 3, rm);
    assertEquals([getD(c, 4).toString(16), c.fflags], [bits.toString(16), flags], name);
  }
});

Deno.test("fmadd_s rounds once where rounding through binary64 would not", () => {
  // (1 + 2^-23) * ((1 - 2^-23) * 2^-24) + (1 + 2^-23) = 1 + 2^-23 + 2^-24 - 2^-70 is just
  // below a midpoint of singles; its binary64 rounding is the midpoint, which would round up to even.
  const c = newState();
  setS(c, 1, 0x3f800001);
  setS(c, 2, 0x337ffffe);
  setS(c, 3, 0x3f800001);
  fmadd_s(c, 4, 1, 2, 3, 0);
  assertEquals([c.fi[8] >>> 0, c.fflags], [0x3f800001, FFLAG_NX]);
});

Deno.test("fnmadd_s negates both product and addend", () => {
  const c = newState();
  setS(c, 1, 0x40000000); // 2
  setS(c, 2, 0x40400000); // 3
  setS(c, 3, 0x3f800000); // 1
  fnmadd_s(c, 4, 1, 2, 3, 7);
  assertEquals([c.fi[8] >>> 0, c.fi[9], c.fflags], [0xc0e00000, -1, 0]); // -7
});
