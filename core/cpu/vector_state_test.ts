import { assertEquals } from "../../tests/assert.ts";
import { Cpu } from "./state.ts";
import { VectorState } from "./vector_state.ts";
import { makeVectorHelper } from "../jit/vector.ts";
import { AddressSpace } from "../mem/address_space.ts";

/** `vsetvl a0, a1, a2`. */
const VSETVL_A0_A1_A2 = (0b1000000 << 25) | (12 << 20) | (11 << 15) | (7 << 12) | (10 << 7) | 0x57;

Deno.test("setConfig (rt_sigreturn's vsetvl) sets vl, vtype and vill as the vsetvl instruction does", () => {
  const vector = makeVectorHelper(new AddressSpace(1 << 20), new Int32Array(1), new Set(["v"]));
  const c = new Cpu(), s = new VectorState();
  for (let vtype = 0; vtype < 0x200; vtype++) {
    for (const hi of [0, 1 << 31]) {
      for (const avl of [0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 32, 33, 64, 100, 2 ** 31]) {
        vector(c, VSETVL_A0_A1_A2, avl | 0, 0, vtype, hi);
        s.setConfig(avl, vtype, hi);
        const where = `vtype 0x${vtype.toString(16)}${hi ? " with vill" : ""}, AVL ${avl}`;
        assertEquals([s.vl, s.vtype, s.vill], [c.vec.vl, c.vec.vtype, c.vec.vill], where);
      }
    }
  }
});
