import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_DZ, FFLAG_NV, FFLAG_NX, FFLAG_OF, FFLAG_UF } from "./fpu_state.ts";
import { fadd_d, fadd_s, fdiv_d, fdiv_s, fmul_d, fmul_s, fsqrt_d, fsqrt_s, fsub_d } from "./arith.ts";
import { bitsOf, getD, newState, sBitsOf, setD, setS } from "./_testing.ts";

const QNAN_D = 0x7ff8000000000000n;
const SNAN_D = 0x7ff0000000000001n;
const PAYLOAD_NAN_D = 0xfffc00000000abcdn;
const MAX_D = 0x7fefffffffffffffn;
const MIN_NORMAL_D = 0x0010000000000000n;
const MIN_SUB_D = 1n;

type Binary = typeof fadd_d;

Deno.test("fadd_d, fsub_d, fmul_d, fdiv_d handle the documented special cases", () => {
  // [name, op, a, b, rm, expected bits, expected flags]
  const cases: [string, Binary, bigint, bigint, number, bigint, number][] = [
    ["1/+0 is +inf with DZ", fdiv_d, bitsOf(1), 0n, 0, 0x7ff0000000000000n, FFLAG_DZ],
    ["-1/+0 is -inf with DZ", fdiv_d, bitsOf(-1), 0n, 0, 0xfff0000000000000n, FFLAG_DZ],
    ["1/-0 is -inf with DZ", fdiv_d, bitsOf(1), bitsOf(-0), 0, 0xfff0000000000000n, FFLAG_DZ],
    ["0/0 is the canonical NaN with NV", fdiv_d, 0n, 0n, 0, QNAN_D, FFLAG_NV],
    ["inf/inf is NV", fdiv_d, 0x7ff0000000000000n, 0xfff0000000000000n, 0, QNAN_D, FFLAG_NV],
    ["inf/0 is inf without DZ", fdiv_d, 0x7ff0000000000000n, 0n, 0, 0x7ff0000000000000n, 0],
    ["inf - inf is NV", fsub_d, 0x7ff0000000000000n, 0x7ff0000000000000n, 0, QNAN_D, FFLAG_NV],
    ["inf + -inf is NV", fadd_d, 0x7ff0000000000000n, 0xfff0000000000000n, 0, QNAN_D, FFLAG_NV],
    ["inf * 0 is NV", fmul_d, 0x7ff0000000000000n, 0n, 0, QNAN_D, FFLAG_NV],
    ["a signaling NaN operand gives the canonical NaN and NV", fadd_d, SNAN_D, bitsOf(1), 0, QNAN_D, FFLAG_NV],
    ["a quiet NaN payload is not propagated and raises nothing", fmul_d, PAYLOAD_NAN_D, bitsOf(2), 3, QNAN_D, 0],
    ["x - x is +0 in RNE", fsub_d, bitsOf(1.5), bitsOf(1.5), 0, 0n, 0],
    ["x - x is -0 in RDN", fsub_d, bitsOf(1.5), bitsOf(1.5), 2, 0x8000000000000000n, 0],
    ["-0 + -0 is -0", fadd_d, bitsOf(-0), bitsOf(-0), 0, 0x8000000000000000n, 0],
    ["0.1 + 0.2 is inexact", fadd_d, bitsOf(0.1), bitsOf(0.2), 0, bitsOf(0.30000000000000004), FFLAG_NX],
    ["0.1 + 0.2 rounds down in RTZ", fadd_d, bitsOf(0.1), bitsOf(0.2), 1, bitsOf(0.3), FFLAG_NX],
    ["MAX * 2 overflows to inf in RNE", fmul_d, MAX_D, bitsOf(2), 0, 0x7ff0000000000000n, FFLAG_OF | FFLAG_NX],
    ["MAX * 2 overflows to MAX in RTZ", fmul_d, MAX_D, bitsOf(2), 1, MAX_D, FFLAG_OF | FFLAG_NX],
    ["-MAX * 2 overflows to -MAX in RUP", fmul_d, MAX_D | (1n << 63n), bitsOf(2), 3, MAX_D | (1n << 63n), 5],
    ["an exact subnormal product raises nothing", fmul_d, MIN_NORMAL_D, bitsOf(0.5), 0, 0x0008000000000000n, 0],
    ["an inexact tiny product raises UF and NX", fmul_d, MIN_SUB_D, bitsOf(0.75), 0, 1n, FFLAG_UF | FFLAG_NX],
    ["min subnormal / 2 rounds to +0 (even) with UF", fdiv_d, MIN_SUB_D, bitsOf(2), 0, 0n, FFLAG_UF | FFLAG_NX],
    ["min subnormal / 2 rounds up to it in RUP", fdiv_d, MIN_SUB_D, bitsOf(2), 3, 1n, FFLAG_UF | FFLAG_NX],
  ];
  for (const [name, op, a, b, rm, bits, flags] of cases) {
    const c = newState();
    setD(c, 1, a);
    setD(c, 2, b);
    op(c, 3, 1, 2, rm);
    assertEquals([getD(c, 3).toString(16), c.fflags], [bits.toString(16), flags], name);
  }
});

Deno.test("fsqrt_d: sqrt(-1) is NV, sqrt(-0) is -0, sqrt(2) is inexact", () => {
  const cases: [number, bigint, number][] = [
    [-1, 0x7ff8000000000000n, FFLAG_NV],
    [-0, 0x8000000000000000n, 0],
    [Infinity, 0x7ff0000000000000n, 0],
    [4, bitsOf(2), 0],
    [2, bitsOf(Math.SQRT2), FFLAG_NX],
  ];
  for (const [x, bits, flags] of cases) {
    const c = newState();
    c.f[1] = x;
    fsqrt_d(c, 2, 1, 7);
    assertEquals([getD(c, 2).toString(16), c.fflags], [bits.toString(16), flags], `sqrt(${x})`);
  }
});

Deno.test("fadd_s treats an improperly boxed operand as the canonical NaN", () => {
  const c = newState();
  setD(c, 1, 0x000000003f800000n); // 1.0f without the box
  setS(c, 2, 0x3f800000);
  fadd_s(c, 3, 1, 2, 0);
  assertEquals([getD(c, 3).toString(16), c.fflags], ["ffffffff7fc00000", 0]);
});

Deno.test("fadd_s, fmul_s, fdiv_s NaN-box results and raise the documented flags", () => {
  // [name, op, a, b, expected single bits, expected flags]
  const cases: [string, typeof fadd_s, number, number, number, number][] = [
    ["1f/0f is inf with DZ", fdiv_s, 0x3f800000, 0, 0x7f800000, FFLAG_DZ],
    ["0f/0f is NV", fdiv_s, 0, 0, 0x7fc00000, FFLAG_NV],
    ["sNaN * 1 is NV", fmul_s, 0x7f800001, 0x3f800000, 0x7fc00000, FFLAG_NV],
    ["1 + 2^-30 is inexact", fadd_s, 0x3f800000, 0x30800000, 0x3f800000, FFLAG_NX],
    ["2^-126 * 0.5 is exact", fmul_s, 0x00800000, 0x3f000000, 0x00400000, 0],
    ["2^-149 * 0.5 underflows to 0", fmul_s, 1, 0x3f000000, 0, FFLAG_UF | FFLAG_NX],
    ["FLT_MAX * 2 overflows", fmul_s, 0x7f7fffff, 0x40000000, 0x7f800000, FFLAG_OF | FFLAG_NX],
    ["1/3", fdiv_s, 0x3f800000, 0x40400000, sBitsOf(1 / 3), FFLAG_NX],
  ];
  for (const [name, op, a, b, bits, flags] of cases) {
    const c = newState();
    setS(c, 1, a);
    setS(c, 2, b);
    op(c, 3, 1, 2, 0);
    assertEquals([c.fi[7], c.fi[6] >>> 0, c.fflags], [-1, bits >>> 0, flags], name);
  }
});

Deno.test("fsqrt_s of a negative single is the canonical NaN with NV", () => {
  const c = newState();
  setS(c, 1, 0xbf800000);
  fsqrt_s(c, 2, 1, 0);
  assertEquals([getD(c, 2).toString(16), c.fflags], ["ffffffff7fc00000", FFLAG_NV]);
});

Deno.test("fdiv_d and fmul_d read their sources before writing rd", () => {
  const c = newState();
  c.f[1] = 3;
  c.f[2] = 4;
  fdiv_d(c, 1, 1, 2, 1);
  fmul_d(c, 2, 1, 2, 2);
  assertEquals([c.f[1], c.f[2], c.fflags], [0.75, 3, 0]);
});
