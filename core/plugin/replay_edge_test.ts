/**
 * Edge cases of the replay's runs (review of the run, solo and memory-slot
 * shortcuts): user data that compares equal without being the same value,
 * a synchronous slot after a run, a memory callback between runs, a reset from inside a streamed callback.
 */

import { assertEquals } from "../../tests/assert.ts";
import { inProcessChannel, RingWriter, TAG } from "./channel.ts";
import * as api from "./runtime/api.ts";
import { bind, consumeForTest } from "./runtime/dispatcher.ts";
import { finishBlockSlots } from "./runtime/block_slots.ts";
import { beginTranslation, endTranslation } from "./runtime/handles.ts";
import { replayBeforeSlot } from "./runtime/replay.ts";
import { instance } from "./runtime/state.ts";

const bufs = inProcessChannel();
bind(bufs);
const ring = new RingWriter(bufs.ring, () => {}, () => {
  throw new Error("full");
});
const log: string[] = [];

function consume(): string[] {
  ring.publish();
  consumeForTest();
  return log.splice(0);
}

function settle(): string[] {
  ring.put2(TAG.BLOCK | 100000, 0);
  return consume();
}

/** Translates `n` instructions at `pc`, `register` registering what it wants; returns the block id. */
function translate(pc: number, n: number, register: (tb: api.Tb) => void): number {
  const block = instance.blocks.length;
  instance.blocks.push(undefined);
  const pcs = Array.from({ length: n }, (_, k) => pc + 4 * k);
  const tb = beginTranslation(block, pc, pcs, pcs.map(() => 0x13), pcs.map(() => 4));
  register(tb);
  finishBlockSlots(block, pcs);
  endTranslation();
  return block;
}

const show = (ud: unknown) => Object.is(ud, -0) ? "-0" : String(ud);

Deno.test("an instruction's callback gets the user data registered with it, 0 and -0 told apart", () => {
  const cb = (_v: number, ud: unknown) => log.push(show(ud));
  for (const uds of [[0, -0, 0, -0], [-0, 0, 0], [-0, -0, -0], [NaN, NaN, 1], [undefined, null, undefined]]) {
    const block = translate(0x5000, uds.length, (tb) => {
      uds.forEach((ud, k) => api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, k), cb, 0, ud));
    });
    ring.put2(TAG.BLOCK | block, 0);
    assertEquals(settle(), uds.map(show), uds.map(show).join(" "));
    // Cut short after the second instruction.
    ring.put2(TAG.BLOCK | block, 0);
    ring.put3(TAG.TRUNC | 1, 0, 0x5004);
    assertEquals(settle(), uds.slice(0, 2).map(show));
  }
});

Deno.test("a synchronous callback after a solo run: the run replays before it, once", () => {
  const cb = (v: number, ud: unknown) => log.push(`v${v} ${ud}`);
  const sync = (v: number) => log.push(`sync v${v}`);
  const block = translate(0x6000, 3, (tb) => {
    for (let k = 0; k < 3; k++) {
      api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, k), cb, 0, "u");
    }
    api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, 2), sync, api.QEMU_PLUGIN_CB_R_REGS, 0);
  });
  const b = instance.blocks[block]!;
  assertEquals([b.soloN, b.slots], [3, 4]);
  const run = ["v1 u", "v1 u", "v1 u", "sync v1"];
  // The synchronous call (as handleSync makes it): what was streamed before it, then the slot.
  ring.put2(TAG.BLOCK | block, 1);
  assertEquals(consume(), []);
  replayBeforeSlot(block, 1, 3);
  sync(1);
  // The block's next execution: the first one's slots are all done.
  ring.put2(TAG.BLOCK | block, 1);
  assertEquals(consume(), run);
  replayBeforeSlot(block, 1, 3);
  sync(1);
  assertEquals(settle(), run);
});

Deno.test("a memory callback on an instruction without exec callbacks, in a block whose runs skip it", () => {
  const cb = (_v: number, ud: unknown) => log.push(`insn ${ud}`);
  const block = translate(0x8000, 4, (tb) => {
    api.qemu_plugin_register_vcpu_tb_exec_cb(tb, cb, 0, "tb");
    // Nothing on instruction 0 and 2 but a memory callback on 0.
    api.qemu_plugin_register_vcpu_mem_cb(
      api.qemu_plugin_tb_get_insn(tb, 0),
      (_v: number, _i: number, a: number) => log.push(`mem ${a}`),
      0,
      3,
      0,
    );
    api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, 1), cb, 0, "tb");
    api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, 3), cb, 0, "tb");
  });
  assertEquals(instance.blocks[block]!.soloN, 3);
  const mem = instance.memSlots.findIndex((m) => m.block === block);
  ring.put2(TAG.BLOCK | block, 0);
  ring.put5(TAG.MEM | mem, 3, 1, 0, 0);
  ring.put5(TAG.MEM | mem, 3, 2, 0, 0);
  ring.put2(TAG.BLOCK | block, 0);
  assertEquals(settle(), ["insn tb", "mem 1", "mem 2", "insn tb", "insn tb", "insn tb", "insn tb", "insn tb"]);
});

Deno.test("a reset from inside a solo run: the block finishes, later executions of old blocks do not replay", () => {
  let calls = 0;
  const cb = (_v: number, ud: unknown) => {
    log.push(`insn ${ud}`);
    if (++calls === 2) api.qemu_plugin_reset(instance.id as api.PluginId, () => {});
  };
  const block = translate(0x9000, 6, (tb) => {
    for (let k = 0; k < 6; k++) {
      api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, k), cb, 0, "u");
    }
  });
  ring.put2(TAG.BLOCK | block, 0);
  ring.put2(TAG.BLOCK | block, 0);
  ring.put2(TAG.BLOCK | block, 0);
  assertEquals(settle(), Array.from({ length: 6 }, () => "insn u"));
  instance.pending = undefined;
});
