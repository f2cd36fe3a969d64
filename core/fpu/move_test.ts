import { assertEquals } from "../../tests/assert.ts";
import { fmv_d_x, fmv_w_x, fmv_x_d, fmv_x_w } from "./move.ts";
import { getD, newState } from "./_testing.ts";

Deno.test("fmv_d_x and fmv_x_d round-trip every bit, signaling NaNs included", () => {
  const c = newState();
  fmv_d_x(c, 5, 0x00000001, 0x7ff00000 | 0);
  assertEquals(getD(c, 5).toString(16), "7ff0000000000001");
  assertEquals([fmv_x_d(c, 5), c.retHi], [1, 0x7ff00000]);
});

Deno.test("fmv_w_x NaN-boxes and fmv_x_w returns the low word without checking the box", () => {
  const c = newState();
  fmv_w_x(c, 1, 0x7f800001);
  assertEquals(getD(c, 1).toString(16), "ffffffff7f800001");
  c.fi[3] = 0; // unbox it
  assertEquals(fmv_x_w(c, 1), 0x7f800001);
  assertEquals(c.fflags, 0);
});
