import { assertEquals } from "../../tests/assert.ts";
import type { Insn } from "../isa/insn.ts";
import { formRegion } from "./region.ts";
import type { TranslationBlock } from "./translator.ts";

/** A translated block of one instruction `insn` at `pc`. */
function block(pc: number, insn: Partial<Insn>): TranslationBlock {
  const i = { rd: 0, rs1: 0, rs2: 0, imm: 0, size: 4, ...insn } as Insn;
  return { pc, insns: [i], pcs: [pc], raws: [0], end: pc + 4, fn: () => 0, valid: true, id: 1, hits: 0 };
}

Deno.test("a leaf function called from a loop is on the loop's cycle: its return leads back to the return site", () => {
  // 0x1000: jal ra, 0x2000 (the call); 0x1004: bne a0, a1, 0x1000 (the loop); 0x2000: ret (jalr x0, 0(ra)).
  const blocks = new Map([
    block(0x1000, { op: "jal", rd: 1, imm: 0x1000 }),
    block(0x1004, { op: "bne", rs1: 10, rs2: 11, imm: -4 }),
    block(0x2000, { op: "jalr", rd: 0, rs1: 1 }),
  ].map((tb) => [tb.pc, tb]));
  const region = formRegion(blocks.get(0x1004)!, (pc) => blocks.get(pc));
  assertEquals(region.map((tb) => tb.pc).sort(), [0x1000, 0x1004, 0x2000]);
  // An indirect jump through another register is no return: the function is not taken in (the call is, as the
  // block whose return site is the loop).
  blocks.set(0x2000, block(0x2000, { op: "jalr", rd: 0, rs1: 6 }));
  assertEquals(formRegion(blocks.get(0x1004)!, (pc) => blocks.get(pc)).map((tb) => tb.pc).sort(), [0x1000, 0x1004]);
});
