import { assertEquals } from "../../tests/assert.ts";
import { fsgnj_d, fsgnj_s, fsgnjn_d, fsgnjn_s, fsgnjx_d, fsgnjx_s } from "./sign_inject.ts";
import { getD, newState, setD } from "./_testing.ts";

Deno.test("fsgnj_d, fsgnjn_d and fsgnjx_d move only the sign bit, NaN payloads intact", () => {
  const snan = 0x7ff0000000000abcn, neg = 0xbff0000000000000n;
  // [op, a, b, expected]
  const cases: [typeof fsgnj_d, bigint, bigint, bigint][] = [
    [fsgnj_d, snan, neg, snan | (1n << 63n)],
    [fsgnjn_d, snan, neg, snan],
    [fsgnjx_d, neg, neg, 0x3ff0000000000000n],
    [fsgnjx_d, snan, neg, snan | (1n << 63n)],
  ];
  for (const [op, a, b, want] of cases) {
    const c = newState();
    setD(c, 1, a);
    setD(c, 2, b);
    op(c, 3, 1, 2);
    assertEquals([getD(c, 3).toString(16), c.fflags], [want.toString(16), 0], op.name);
  }
});

Deno.test("fsgnj_s and friends take improperly boxed operands as the canonical NaN", () => {
  // [op, a, b, expected]
  const cases: [typeof fsgnj_s, bigint, bigint, bigint][] = [
    [fsgnj_s, 0xffffffff3f800000n, 0xffffffffbf800000n, 0xffffffffbf800000n],
    [fsgnjn_s, 0x000000003f800000n, 0xffffffff3f800000n, 0xffffffffffc00000n],
    [fsgnjx_s, 0xffffffffbf800000n, 0x00000000bf800000n, 0xffffffffbf800000n],
    [fsgnj_s, 0xffffffff7f800001n, 0xffffffff80000000n, 0xffffffffff800001n],
  ];
  for (const [op, a, b, want] of cases) {
    const c = newState();
    setD(c, 1, a);
    setD(c, 2, b);
    op(c, 3, 1, 2);
    assertEquals(getD(c, 3).toString(16), want.toString(16), `${op.name} ${a.toString(16)} ${b.toString(16)}`);
  }
});
