import { assertEquals } from "../../tests/assert.ts";
import type { Insn } from "../isa/insn.ts";
import { blockExits, formRegion, successors } from "./region.ts";
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

Deno.test("blockExits and successors follow each operation's flow in the table: branch, jump, call, indirect, exit", () => {
  const end = 0x1004;
  const cases: [string, Partial<Insn> | null, number[], boolean, number[]][] = [
    // what, last instruction, targets, indirect, successors
    ["a branch: its target, then the fall-through", { op: "beq", imm: -16 }, [0xff0, end], false, [0xff0, end]],
    ["a jump", { op: "jal", imm: 0x100 }, [0x1100], false, [0x1100]],
    ["a call: its return site is a successor too", { op: "jal", rd: 1, imm: 0x100 }, [0x1100], false, [0x1100, end]],
    ["an indirect jump", { op: "jalr", rs1: 1 }, [], true, []],
    ["an indirect call", { op: "jalr", rd: 1, rs1: 5 }, [], true, [end]],
    ["a system call: an exit to the CPU loop", { op: "ecall" }, [], false, []],
    ["fence.i: an exit to the CPU loop", { op: "fence.i" }, [], false, []],
    ["an illegal instruction", null, [], false, []],
    ["a block cut short (page end, length limit)", { op: "add" }, [end], false, [end]],
  ];
  for (const [what, insn, targets, indirect, next] of cases) {
    const tb = insn ? block(0x1000, insn) : { ...block(0x1000, {}), insns: [null] };
    assertEquals(blockExits(tb), { targets, indirect }, what);
    assertEquals(successors(tb), next, what);
  }
});
