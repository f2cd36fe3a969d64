import { assertEquals, assertThrows } from "../../tests/assert.ts";
import type { BlockInstrumentation, ExecAction } from "../jit/plugin_actions.ts";
import type { Insn } from "../isa/insn.ts";
import type { Op } from "../isa/ops_generated.ts";
import { decodeRegistrations, mergeInlineAdds } from "./registrations.ts";
import { ACT, ACT_WORDS, PAYLOAD, PluginFailure } from "./channel.ts";
import type { PluginInstance } from "./instance.ts";

const ref = { arena: 0, index: 4, stride: 2 };
const add = (value: bigint, r = ref): ExecAction => ({ kind: "inline", op: 0, ref: r, value });
const op = (name: Op) => ({ op: name } as Insn);

Deno.test("mergeInlineAdds sums adds over instructions that cannot stop the block", () => {
  const cases: [string, Op[], ExecAction[][], ExecAction[][]][] = [
    ["all ALU", ["addi", "xor", "add", "beq"], [[add(1n)], [add(1n)], [add(1n)], [add(1n)]], [[add(4n)], [], [], []]],
    [
      "a load ends a stretch (its add stays before it)",
      ["addi", "ld", "addi", "sd", "jal"],
      [[add(1n)], [add(1n)], [add(1n)], [add(1n)], [add(1n)]],
      [[add(2n)], [], [add(2n)], [], [add(1n)]],
    ],
    [
      "atomics, CSR accesses, system calls and FP operations with a rounding mode end a stretch",
      ["addi", "amoswap.w", "addi", "csrrs", "addi", "fadd.d", "addi", "fsgnj.d", "ecall"],
      [[add(1n)], [add(1n)], [add(1n)], [add(1n)], [add(1n)], [add(1n)], [add(1n)], [add(1n)], [add(1n)]],
      [[add(2n)], [], [add(2n)], [], [add(2n)], [], [add(3n)], [], []],
    ],
    [
      "other counters and stores are kept apart",
      ["addi", "addi"],
      [[add(1n)], [add(2n, { arena: 1, index: 4, stride: 2 }), { kind: "inline", op: 1, ref, value: 9n }]],
      [[add(1n), add(2n, { arena: 1, index: 4, stride: 2 })], [{ kind: "inline", op: 1, ref, value: 9n }]],
    ],
    [
      "an instruction with a conditional callback is left alone",
      ["addi", "addi", "addi"],
      [[add(1n)], [add(1n), { kind: "cond", cond: 2, ref, value: 3n, then: { kind: "record", ring: 0, id: 1 } }], [
        add(1n),
      ]],
      [[add(1n)], [add(1n), { kind: "cond", cond: 2, ref, value: 3n, then: { kind: "record", ring: 0, id: 1 } }], [
        add(1n),
      ]],
    ],
  ];
  for (const [label, ops, insn, expected] of cases) {
    const instr: BlockInstrumentation = { block: [], insn, mem: ops.map(() => []) };
    mergeInlineAdds(instr, { insns: ops.map(op) });
    assertEquals(instr.insn, expected, label);
  }
});

Deno.test("a forged registration whose entry's high word lies past the arena is refused (the WebAssembly tier checks entries whole)", () => {
  const arena = new Int32Array(16);
  const decode = (index: number) => {
    const ci = new Int32Array(PAYLOAD + ACT_WORDS[ACT.INLINE]);
    // An inline add of 1 at block entry (instruction -1) on entry `index`, stride 0.
    ci.set([ACT.INLINE, -1, 0, index, 0, 1, 0], PAYLOAD);
    const inst = { ci, index: 0, arena, registrations: 0, guestWrite: false } as unknown as PluginInstance;
    const out: BlockInstrumentation = { block: [], insn: [[]], mem: [[]] };
    decodeRegistrations(inst, [0, ACT_WORDS[ACT.INLINE], 0, 0], 1, out, () => 0);
    return out.block;
  };
  assertEquals(decode(14), [{ kind: "inline", op: 0, ref: { arena: 0, index: 14, stride: 0 }, value: 1n }]);
  assertThrows(() => decode(15), PluginFailure, "malformed registration (entry 15/0)");
  assertThrows(() => decode(-2), PluginFailure, "malformed registration (entry -2/0)");
});
