import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_NV } from "./fpu_state.ts";
import { fclass_d, fclass_s, feq_d, feq_s, fle_d, flt_d, flt_s, fmax_d, fmax_s, fmin_d, fmin_s } from "./compare.ts";
import { bitsOf, getD, newState, setD, setS } from "./_testing.ts";

const QNAN = 0x7ff8000000000000n;
const SNAN = 0x7ff4000000000000n;
const NEG0 = 1n << 63n;

Deno.test("fmin_d and fmax_d follow minimumNumber/maximumNumber", () => {
  // [a, b, min, max, flags]
  const cases: [bigint, bigint, bigint, bigint, number][] = [
    [NEG0, 0n, NEG0, 0n, 0],
    [0n, NEG0, NEG0, 0n, 0],
    [QNAN, bitsOf(1), bitsOf(1), bitsOf(1), 0],
    [bitsOf(-2), SNAN, bitsOf(-2), bitsOf(-2), FFLAG_NV],
    [QNAN, 0xfff8000000001234n, QNAN, QNAN, 0],
    [SNAN, QNAN, QNAN, QNAN, FFLAG_NV],
    [bitsOf(-Infinity), bitsOf(3), bitsOf(-Infinity), bitsOf(3), 0],
  ];
  for (const [a, b, min, max, flags] of cases) {
    const c = newState();
    setD(c, 1, a);
    setD(c, 2, b);
    fmin_d(c, 3, 1, 2);
    fmax_d(c, 4, 1, 2);
    assertEquals(
      [getD(c, 3).toString(16), getD(c, 4).toString(16), c.fflags],
      [min.toString(16), max.toString(16), flags],
      `${a.toString(16)} ${b.toString(16)}`,
    );
  }
});

Deno.test("fmin_s and fmax_s order -0 below +0 and ignore one NaN", () => {
  const c = newState();
  setS(c, 1, 0x80000000);
  setS(c, 2, 0);
  setD(c, 3, 0x3f800000n); // improperly boxed: the canonical (quiet) NaN
  fmin_s(c, 4, 1, 2);
  fmax_s(c, 5, 1, 2);
  fmin_s(c, 6, 3, 2);
  assertEquals([c.fi[8] >>> 0, c.fi[10], c.fi[12], c.fi[13], c.fflags], [0x80000000, 0, 0, -1, 0]);
});

Deno.test("feq_d is quiet, flt_d and fle_d signal on any NaN", () => {
  // [op, a, b, result, flags]
  const cases: [typeof feq_d, bigint, bigint, number, number][] = [
    [feq_d, 0n, NEG0, 1, 0],
    [feq_d, QNAN, QNAN, 0, 0],
    [feq_d, SNAN, bitsOf(1), 0, FFLAG_NV],
    [flt_d, QNAN, bitsOf(1), 0, FFLAG_NV],
    [flt_d, NEG0, 0n, 0, 0],
    [fle_d, NEG0, 0n, 1, 0],
    [fle_d, bitsOf(1), QNAN, 0, FFLAG_NV],
    [flt_d, bitsOf(-1), bitsOf(1), 1, 0],
  ];
  for (const [op, a, b, want, flags] of cases) {
    const c = newState();
    setD(c, 1, a);
    setD(c, 2, b);
    assertEquals([op(c, 1, 2), c.fflags], [want, flags], `${op.name} ${a.toString(16)} ${b.toString(16)}`);
  }
});

Deno.test("feq_s and flt_s read an improperly boxed operand as a quiet NaN", () => {
  const c = newState();
  setD(c, 1, 0n);
  setS(c, 2, 0);
  assertEquals([feq_s(c, 1, 2), c.fflags], [0, 0]);
  assertEquals([flt_s(c, 1, 2), c.fflags], [0, FFLAG_NV]);
});

Deno.test("fclass_d and fclass_s set exactly one class bit", () => {
  const d: [bigint, number][] = [
    [0xfff0000000000000n, 1 << 0],
    [bitsOf(-1), 1 << 1],
    [0x8000000000000001n, 1 << 2],
    [NEG0, 1 << 3],
    [0n, 1 << 4],
    [1n, 1 << 5],
    [bitsOf(1), 1 << 6],
    [0x7ff0000000000000n, 1 << 7],
    [SNAN, 1 << 8],
    [QNAN, 1 << 9],
  ];
  for (const [bits, mask] of d) {
    const c = newState();
    setD(c, 1, bits);
    assertEquals(fclass_d(c, 1), mask, bits.toString(16));
  }
  const s: [bigint, number][] = [
    [0xffffffff7f800001n, 1 << 8],
    [0xffffffff80000000n, 1 << 3],
    [0xffffffff00000001n, 1 << 5],
    [0x00000000ff800000n, 1 << 9], // not boxed: canonical NaN
  ];
  for (const [bits, mask] of s) {
    const c = newState();
    setD(c, 1, bits);
    assertEquals(fclass_s(c, 1), mask, bits.toString(16));
  }
});
