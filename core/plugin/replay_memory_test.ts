/**
 * The replay of memory records for a plugin without streamed execution
 * callbacks (`mem`, `hotpages`): its runs of memory records take a loop
 * that keeps no replay state. A file of its own: the replay takes that
 * loop only until some block had streamed slots, which `replay_test.ts`
 * registers from its start.
 */

import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { inProcessChannel, RingWriter, TAG } from "./channel.ts";
import * as api from "./runtime/api.ts";
import { bind, consumeForTest } from "./runtime/dispatcher.ts";
import { finishBlockSlots } from "./runtime/block_slots.ts";
import { beginTranslation, endTranslation } from "./runtime/handles.ts";
import { instance, PluginApiError } from "./runtime/state.ts";

const bufs = inProcessChannel();
bind(bufs);
const ring = new RingWriter(bufs.ring, () => {}, () => {
  throw new Error("full");
});
const log: string[] = [];

/** Translates `n` instructions at `pc` with memory callback `cb` on each; returns the block's memory slot ids. */
function translate(pc: number, n: number, cb: api.MemCb): number[] {
  const block = instance.blocks.length, first = instance.memSlots.length;
  instance.blocks.push(undefined);
  const pcs = Array.from({ length: n }, (_, k) => pc + 4 * k);
  const tb = beginTranslation(block, pc, pcs, pcs.map(() => 0x13), pcs.map(() => 4));
  for (let k = 0; k < n; k++) {
    api.qemu_plugin_register_vcpu_mem_cb(
      api.qemu_plugin_tb_get_insn(tb, k),
      cb,
      0,
      api.QEMU_PLUGIN_MEM_RW,
      `${pc + 4 * k}`,
    );
  }
  finishBlockSlots(block, pcs);
  endTranslation();
  return Array.from({ length: n }, (_, k) => first + k);
}

/**
 * A memory callback that logs what it gets. A `function`, not an arrow: its `this` (the receiver the replay calls it
 * with) must be undefined, never one of the runtime's objects.
 */
const access = function (this: unknown, v: number, info: number, addr: number, ud: unknown) {
  const value = api.qemu_plugin_mem_get_value(info).data.u64;
  const receiver = this === undefined ? "" : ` this=${typeof this}`;
  log.push(
    `v${v} ${ud} ${api.qemu_plugin_mem_is_store(info) ? "st" : "ld"} ${addr.toString(16)} ${value.toString(16)}` +
      receiver,
  );
};

function consume(): string[] {
  ring.publish();
  consumeForTest();
  return log.splice(0);
}

Deno.test("memory records alone: each callback gets its vCPU, access, address and value", () => {
  const a = translate(0x1000, 3, access), b = translate(0x2000, 2, access);
  assert(!instance.streamedSlots, "a block had streamed slots: this file tests the loop without them");
  // Words (shift 2, the value's low word alone) and doublewords (shift 3, both), loads and stores, two vCPUs,
  // a slot id nobody registered, and a run of records split across the ring's publications.
  ring.put4(TAG.MEM | a[0], 2, 0x5000, -1);
  ring.put5(TAG.MEM | a[1], 3 | (1 << 16) | (1 << 17), 0xfffff008, 0x89abcdef, 0x01234567);
  ring.put4(TAG.MEM | 0x1fffffff, 2, 0x6000, 1);
  ring.put5(TAG.MEM | b[1], 3, 0x7000, 5, -2);
  assertEquals(consume(), [
    "v0 4096 ld 5000 ffffffff",
    "v1 4100 st fffff008 123456789abcdef",
    "v0 8196 ld 7000 fffffffe00000005",
  ]);
  ring.put4(TAG.MEM | b[0], 0 | (1 << 16), 0x7001, 0x1ff);
  assertEquals(consume(), ["v0 8192 st 7001 ff"]);
  assert(!instance.streamedSlots);
  // Outside the callbacks there is no access to read, whatever meminfo is passed.
  for (const info of [2, -1]) {
    assertThrows(() => api.qemu_plugin_mem_get_value(info), PluginApiError, "outside the memory callback");
  }
});

Deno.test("memory records alone replay as the main loop does, among conditional, truncation and block records", () => {
  // Conditional callbacks are not streamed slots: the loop of memory records alone stays in use. The same records,
  // in batches of 12,000 (across the hand-back of space every 4,096 records), go through it and, with the flag
  // forced, through consumeRing's main loop: the callbacks, their arguments and values must be the same.
  const board = api.qemu_plugin_scoreboard_u64(api.qemu_plugin_scoreboard_new(8));
  const translated = [[0x1000, 3], [0x2000, 4], [0x3000, 1]].map(([pc, n]) => {
    const block = instance.blocks.length, mem = instance.memSlots.length, cond = instance.condSlots.length / 2;
    instance.blocks.push(undefined);
    const pcs = Array.from({ length: n }, (_, k) => pc + 4 * k);
    const tb = beginTranslation(block, pc, pcs, pcs.map(() => 0x13), pcs.map(() => 4));
    for (let k = 0; k < n; k++) {
      const insn = api.qemu_plugin_tb_get_insn(tb, k);
      const cb = function (this: unknown, v: number, ud: unknown) {
        log.push(`cond v${v} ${ud}${this === undefined ? "" : ` this=${typeof this}`}`);
      };
      api.qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, cb, 0, api.QEMU_PLUGIN_COND_EQ, board, 0n, pcs[k]);
      api.qemu_plugin_register_vcpu_mem_cb(insn, access, 0, api.QEMU_PLUGIN_MEM_RW, pcs[k]);
    }
    finishBlockSlots(block, pcs);
    endTranslation();
    return { block, mem: pcs.map((_, k) => mem + k), cond: pcs.map((_, k) => cond + k) };
  });
  const mems = translated.flatMap((b) => b.mem), conds = translated.flatMap((b) => b.cond);
  let seed = 12345;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const records: (() => void)[] = [];
  for (let i = 0; i < 20000; i++) {
    const r = rnd(20), vcpu = rnd(3);
    if (r < 14) {
      const id = rnd(30) === 0 ? 0x1ffffff : mems[rnd(mems.length)], shift = rnd(4);
      const info = shift | (rnd(2) << 16) | (rnd(2) << 4) | (vcpu << 17);
      const addr = rnd(1 << 30), lo = rnd(1 << 30), hi = rnd(1 << 30);
      records.push(() =>
        shift === 3 ? ring.put5(TAG.MEM | id, info, addr, lo, hi) : ring.put4(TAG.MEM | id, info, addr, lo)
      );
    } else if (r < 17) {
      const id = conds[rnd(conds.length)];
      records.push(() => ring.put2(TAG.COND | id, vcpu));
    } else if (r < 18) {
      const inclusive = rnd(2), pc = 0x1000 + 4 * rnd(3);
      records.push(() => ring.put3(TAG.TRUNC | inclusive, vcpu, pc));
    } else {
      const block = translated[rnd(3)].block;
      records.push(() => ring.put2(TAG.BLOCK | block, vcpu));
    }
  }
  const replayAll = () => {
    const out: string[] = [];
    for (let i = 0; i < records.length; i += 12000) {
      records.slice(i, i + 12000).forEach((put) => put());
      out.push(...consume());
    }
    return out;
  };
  assert(!instance.streamedSlots);
  const alone = replayAll();
  instance.streamedSlots = true;
  const main = replayAll();
  instance.streamedSlots = false;
  assert(alone.length > 15000, `${alone.length} callbacks`);
  assertEquals(alone, main);
  assert(!alone.some((line) => line.includes("this=")), "a callback got a receiver");
});

Deno.test("memory records alone: more than a run's 4,096 records, in order, and none after a reset from a callback", () => {
  const seen: number[] = [];
  const ids = translate(0x3000, 1, (_v, _info, addr) => {
    if (seen.push(addr) === 5000) api.qemu_plugin_reset(instance.id as api.PluginId, () => {});
  });
  for (let k = 0; k < 6000; k++) ring.put4(TAG.MEM | ids[0], 2, 0x8000 + 4 * k, k);
  consume();
  assertEquals(seen, Array.from({ length: 5000 }, (_, k) => 0x8000 + 4 * k));
  assert(instance.pending !== undefined);
});
