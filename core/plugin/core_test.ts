import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { type BlockInstrumentation, type ExecAction, NO_ACTIONS } from "../jit/plugin_actions.ts";
import type { Insn } from "../isa/insn.ts";
import type { Op } from "../isa/ops_generated.ts";
import { decodeRegistrations, mergeInlineAdds } from "./registrations.ts";
import { ACT, ACT_WORDS, ATTN, CTL, EV, PAYLOAD, PluginFailure, REGS } from "./channel.ts";
import type { PluginInstance } from "./instance.ts";
import { PluginCore } from "./core.ts";
import { Log } from "../util/log.ts";

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

Deno.test("instructions without actions share NO_ACTIONS: registering and merging give the others lists of their own", () => {
  const ci = new Int32Array(PAYLOAD + ACT_WORDS[ACT.INLINE] + ACT_WORDS[ACT.MEM_RECORD]);
  // An inline add of 1 before instruction 1 and a memory record of reads and writes after instruction 0's accesses.
  ci.set([ACT.INLINE, 1, 0, 4, 0, 1, 0, ACT.MEM_RECORD, 0, 3, 7], PAYLOAD);
  const inst = {
    ci,
    index: 0,
    arena: new Int32Array(16),
    registrations: 0,
    guestWrite: false,
  } as unknown as PluginInstance;
  const out: BlockInstrumentation = {
    block: [],
    insn: [NO_ACTIONS, NO_ACTIONS, NO_ACTIONS],
    mem: [NO_ACTIONS, NO_ACTIONS, NO_ACTIONS],
  };
  decodeRegistrations(inst, [0, ci.length - PAYLOAD, 0, 0], 3, out, () => 0);
  assertEquals(out.insn, [[], [{ kind: "inline", op: 0, ref: { arena: 0, index: 4, stride: 0 }, value: 1n }], []]);
  assertEquals(out.mem, [[{ rw: 3, kind: "record", ring: 0, id: 7 }], [], []]);
  assert(out.insn[0] === NO_ACTIONS && out.insn[2] === NO_ACTIONS && out.mem[1] === NO_ACTIONS);
  // Merging adds over ALU instructions moves instruction 1's add to instruction 0, which had none.
  mergeInlineAdds(out, { insns: [op("addi"), op("addi"), op("jal")] });
  assertEquals(out.insn, [[{ kind: "inline", op: 0, ref: { arena: 0, index: 4, stride: 0 }, value: 1n }], [], []]);
  // The instruction whose add moved has none left: it shares the empty list again.
  assert(out.insn[1] === NO_ACTIONS && out.insn[2] === NO_ACTIONS);
  assertEquals([NO_ACTIONS.length, Object.isFrozen(NO_ACTIONS)], [0, true]);
});

Deno.test("new blocks are shown to plugins while one subscribes to translations or waits for a translation to complete an uninstall, a reset or a flush; otherwise not", () => {
  const core = new PluginCore(new Log(), false);
  assertEquals(core.watchesTranslation(), false);
  const ci = new Int32Array(CTL.ARGS + 8);
  const inst = {
    index: 0,
    ci,
    alive: true,
    completionDue: false,
    arena: new Int32Array(4),
    regs: new Int32Array(REGS.VLENB + 1),
    registrations: 0,
    // As PluginInstance.wants: the word the plugin's side writes, read at each question.
    wants: (bit: number) => inst.alive && (Atomics.load(ci, CTL.EVENTS) & bit) !== 0,
  };
  core.add(inst as unknown as PluginInstance);
  const watches = (label: string, expected: boolean) => assertEquals(core.watchesTranslation(), expected, label);
  Atomics.store(ci, CTL.EVENTS, EV.SYSCALL | EV.DISCON | EV.ATEXIT);
  watches("system calls and discontinuities only", false);
  Atomics.or(ci, CTL.EVENTS, EV.TB_TRANS);
  watches("subscribed to translations later", true);
  Atomics.and(ci, CTL.EVENTS, ~EV.TB_TRANS);
  Atomics.store(ci, CTL.ATTENTION, ATTN.UNINSTALL);
  watches("an uninstall asked for", true);
  Atomics.store(ci, CTL.ATTENTION, ATTN.RESET);
  watches("a reset asked for", true);
  Atomics.store(ci, CTL.ATTENTION, 0);
  inst.completionDue = true;
  watches("a completion due", true);
  inst.completionDue = false;
  core.flush();
  watches("a flush not yet reclaimed", true);
  core.instrument({ pc: 0, insns: [], pcs: [], raws: [] } as unknown as Parameters<PluginCore["instrument"]>[0]);
  watches("reclaimed by the next translation", false);
  Atomics.or(ci, CTL.EVENTS, EV.TB_TRANS);
  inst.alive = false;
  watches("an unloaded plugin's subscription", false);
});
