import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { IllegalInstruction } from "../cpu/trap.ts";
import { resolveRm, RM_DYN } from "./fpu_state.ts";
import { fadd_d } from "./arith.ts";
import { fcvt_d_s } from "./convert.ts";
import { newState } from "./_testing.ts";

Deno.test("resolveRm returns static modes and reads frm for the dynamic one", () => {
  const c = newState();
  c.frm = 4;
  assertEquals([0, 1, 2, 3, 4, RM_DYN].map((rm) => resolveRm(c, rm)), [0, 1, 2, 3, 4, 4]);
});

Deno.test("resolveRm throws IllegalInstruction for reserved modes, naming the value", () => {
  const c = newState();
  assertThrows(() => resolveRm(c, 5), IllegalInstruction, "rm=5");
  assertThrows(() => resolveRm(c, 6), IllegalInstruction, "rm=6");
  for (const frm of [5, 6, 7]) {
    c.frm = frm;
    assertThrows(() => resolveRm(c, RM_DYN), IllegalInstruction, `frm=${frm}`);
  }
});

Deno.test("helpers trap on a reserved dynamic mode even when the result is exact", () => {
  const c = newState();
  c.frm = 6;
  c.f[1] = 1;
  assertThrows(() => fadd_d(c, 2, 1, 1, RM_DYN), IllegalInstruction);
  assertThrows(() => fcvt_d_s(c, 2, 1, RM_DYN), IllegalInstruction);
  assertEquals([c.f[2], c.fflags], [0, 0]);
});
