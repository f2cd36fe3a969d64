/**
 * The plugin side's replay of streamed records, in-process: block records
 * replay instruction callbacks lazily, memory records come after the
 * instruction's callbacks, and a fault record stops the replay at the
 * faulting instruction (inclusive, as QEMU's callbacks run before it).
 */

import { assertEquals } from "../../tests/assert.ts";
import { inProcessChannel, RingWriter, TAG } from "./channel.ts";
import * as api from "./runtime/api.ts";
import { bind, consumeForTest } from "./runtime/dispatcher.ts";
import { replayBeforeSlot } from "./runtime/replay.ts";
import { finishBlockSlots } from "./runtime/block_slots.ts";
import { beginTranslation, endTranslation } from "./runtime/handles.ts";
import { instance } from "./runtime/state.ts";

const bufs = inProcessChannel();
bind(bufs);
const ring = new RingWriter(bufs.ring, () => {}, () => {
  throw new Error("full");
});
const log: string[] = [];

/** Translates a fake block of `n` instructions at `pc` with a tb callback, insn callbacks and a memory callback on insn 1. */
function translate(pc: number, n: number): number {
  const block = instance.blocks.length;
  instance.blocks.push(undefined);
  const pcs = Array.from({ length: n }, (_, k) => pc + 4 * k);
  const tb = beginTranslation(block, pc, pcs, pcs.map(() => 0x13), pcs.map(() => 4));
  api.qemu_plugin_register_vcpu_tb_exec_cb(tb, (v: number) => log.push(`tb ${pc.toString(16)} v${v}`), 0, null);
  for (let k = 0; k < n; k++) {
    const insn = api.qemu_plugin_tb_get_insn(tb, k);
    api.qemu_plugin_register_vcpu_insn_exec_cb(
      insn,
      (_v: number, at: unknown) => log.push(`insn ${(at as number).toString(16)}`),
      0,
      pcs[k],
    );
    if (k === 1) {
      api.qemu_plugin_register_vcpu_mem_cb(
        insn,
        (_v: number, info: number, addr: number) => {
          log.push(
            `mem ${addr.toString(16)} ${api.qemu_plugin_mem_is_store(info) ? "st" : "ld"} ${
              api.qemu_plugin_mem_get_value(info).data.u64
            }`,
          );
        },
        0,
        3,
        null,
      );
    }
  }
  finishBlockSlots(block, pcs);
  endTranslation();
  return block;
}

const a = translate(0x1000, 3), b = translate(0x2000, 2);
const memSlot = (block: number) => instance.memSlots.findIndex((m) => m.block === block);

function consume(): string[] {
  ring.publish();
  consumeForTest();
  return log.splice(0);
}

/** Ends the pending block (a record of a block this plugin does not know) and returns what ran. */
function settle(): string[] {
  ring.put2(TAG.BLOCK | 100000, 0);
  return consume();
}

Deno.test("replay runs a block's callbacks when the next record shows how far it got", () => {
  ring.put2(TAG.BLOCK | a, 0);
  // Nothing follows yet: the block may still stop early, so its callbacks wait.
  assertEquals(consume(), []);
  ring.put2(TAG.BLOCK | b, 1);
  assertEquals(consume(), ["tb 1000 v0", "insn 1000", "insn 1004", "insn 1008"]);
  assertEquals(settle(), ["tb 2000 v1", "insn 2000", "insn 2004"]);
});

Deno.test("a memory record comes after its instruction's callbacks and before the next one's", () => {
  ring.put2(TAG.BLOCK | a, 0);
  ring.put5(TAG.MEM | memSlot(a), 3 | (1 << 16), 0x5000, 42, 0);
  ring.put2(TAG.BLOCK | a, 0);
  ring.put5(TAG.MEM | memSlot(a), 3, 0x5008, 7, 0);
  assertEquals(settle(), [
    "tb 1000 v0",
    "insn 1000",
    "insn 1004",
    "mem 5000 st 42",
    "insn 1008",
    "tb 1000 v0",
    "insn 1000",
    "insn 1004",
    "mem 5008 ld 7",
    "insn 1008",
  ]);
});

Deno.test("a fault record stops the replay at the faulting instruction, which counts as QEMU's does", () => {
  ring.put2(TAG.BLOCK | a, 0);
  ring.put3(TAG.TRUNC | 1, 0, 0x1004);
  assertEquals(settle(), ["tb 1000 v0", "insn 1000", "insn 1004"]);
  // A fault on another vCPU, or outside the pending block, changes nothing.
  ring.put2(TAG.BLOCK | b, 0);
  ring.put3(TAG.TRUNC | 1, 3, 0x2000);
  ring.put3(TAG.TRUNC | 1, 0, 0x9000);
  assertEquals(settle(), ["tb 2000 v0", "insn 2000", "insn 2004"]);
  // A stop before an instruction (the pc was changed there) runs the callbacks before it only.
  ring.put2(TAG.BLOCK | a, 0);
  ring.put3(TAG.TRUNC, 0, 0x1004);
  assertEquals(settle(), ["tb 1000 v0", "insn 1000"]);
});

// Edge cases of the runs and their shortcuts (one callback with one user data kept on the block, a memory
// callback's slot holding its block's replay): user data that compares equal without being the same value, a
// synchronous slot after a run, a memory callback between runs, a reset from inside a streamed callback.

/** Translates `n` instructions at `pc`, `register` registering what it wants; returns the block id. */
function translateWith(pc: number, n: number, register: (tb: api.Tb) => void): number {
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
    const block = translateWith(0x5000, uds.length, (tb) => {
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
  const block = translateWith(0x6000, 3, (tb) => {
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
  const block = translateWith(0x8000, 4, (tb) => {
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
  const block = translateWith(0x9000, 6, (tb) => {
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

Deno.test("one callback with user data that changes along the block gets each instruction's, also when cut short", () => {
  const cb = (_v: number, ud: unknown) => log.push(`ud ${ud}`);
  const uds = [1, 1, 2, 3, 3, 3, 4, 5, 6];
  const block = translateWith(0x3000, 9, (tb) => {
    uds.forEach((ud, k) => api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, k), cb, 0, ud));
    api.qemu_plugin_register_vcpu_mem_cb(
      api.qemu_plugin_tb_get_insn(tb, 4),
      (_v: number, _info: number, addr: number) => log.push(`mem ${addr.toString(16)}`),
      0,
      3,
      null,
    );
  });
  // One run of nine slots: the user data is read per slot.
  assertEquals(instance.blocks[block]!.runStart.length, 1);
  const all = uds.map((u) => `ud ${u}`), mem = instance.memSlots.findIndex((m) => m.block === block);
  ring.put2(TAG.BLOCK | block, 0);
  assertEquals(settle(), all);
  // A memory access splits the run after its instruction's callback.
  ring.put2(TAG.BLOCK | block, 0);
  ring.put5(TAG.MEM | mem, 3, 0x6000, 0, 0);
  assertEquals(settle(), [...all.slice(0, 5), "mem 6000", ...all.slice(5)]);
  // A fault at the seventh instruction: its callback runs, the rest do not.
  ring.put2(TAG.BLOCK | block, 0);
  ring.put3(TAG.TRUNC | 1, 0, 0x3018);
  assertEquals(settle(), all.slice(0, 7));
});

Deno.test("a block of one callback with one user data replays whole from its fields, and in part through its runs", () => {
  const cb = (v: number, ud: unknown) => log.push(`v${v} ${ud}`);
  const block = translateWith(0x4000, 5, (tb) => {
    for (let k = 0; k < 5; k++) {
      api.qemu_plugin_register_vcpu_insn_exec_cb(api.qemu_plugin_tb_get_insn(tb, k), cb, 0, "u");
    }
    api.qemu_plugin_register_vcpu_mem_cb(
      api.qemu_plugin_tb_get_insn(tb, 1),
      (_v: number, _info: number, addr: number) => log.push(`mem ${addr.toString(16)}`),
      0,
      3,
      null,
    );
  });
  const b = instance.blocks[block]!, mem = instance.memSlots.findIndex((m) => m.block === block);
  assertEquals([b.soloFn, b.soloUd, b.soloN, b.slots], [cb, "u", 5, 5]);
  const calls = (n: number, v = 2) => Array.from({ length: n }, () => `v${v} u`);
  ring.put2(TAG.BLOCK | block, 2);
  ring.put2(TAG.BLOCK | block, 3);
  assertEquals(settle(), [...calls(5), ...calls(5, 3)]);
  ring.put2(TAG.BLOCK | block, 2);
  ring.put4(TAG.MEM | mem, 2 << 17, 0x7000, 0);
  assertEquals(settle(), [...calls(2), "mem 7000", ...calls(3)]);
  ring.put2(TAG.BLOCK | block, 2);
  ring.put3(TAG.TRUNC | 1, 2, 0x4008);
  assertEquals(settle(), calls(3));
});

Deno.test("a memory record for a block dropped by a reset calls nothing, though its slot still holds the block's replay", () => {
  const cb = (_v: number, _i: number, a: number) => log.push(`mem ${a}`);
  const block = translateWith(
    0xa000,
    2,
    (tb) => api.qemu_plugin_register_vcpu_mem_cb(api.qemu_plugin_tb_get_insn(tb, 1), cb, 0, 3, null),
  );
  const mem = instance.memSlots.findIndex((m) => m.block === block);
  assertEquals(instance.memSlots[mem].replay, instance.blocks[block]);
  ring.put5(TAG.MEM | mem, 3, 1, 0, 0);
  assertEquals(settle(), ["mem 1"]);
  // What a completed reset leaves: every block translated so far is invalid.
  const validFrom = instance.validFrom;
  instance.validFrom = instance.blocks.length;
  try {
    ring.put5(TAG.MEM | mem, 3, 2, 0, 0);
    assertEquals(settle(), []);
  } finally {
    instance.validFrom = validFrom;
  }
});

Deno.test("a REPEAT record replays the pending block as many more block records would: a fault cuts the last run", () => {
  // A block of a tb callback and three instruction callbacks (several runs of slots), translated since the resets
  // of the tests before.
  const r = translate(0x1000, 3);
  ring.put2(TAG.BLOCK | r, 0);
  ring.put2(TAG.REPEAT | 2, 0);
  const run = ["tb 1000 v0", "insn 1000", "insn 1004", "insn 1008"];
  assertEquals(settle(), [...run, ...run, ...run]);
  ring.put2(TAG.BLOCK | r, 0);
  ring.put2(TAG.REPEAT | 3, 0);
  ring.put3(TAG.TRUNC | 1, 0, 0x1004);
  assertEquals(settle(), [...run, ...run, ...run, ...run.slice(0, 3)]);
  // One callback a run (a block counter), and one callback with one user data per instruction.
  const counter = translateWith(0xb000, 4, (tb) => {
    api.qemu_plugin_register_vcpu_tb_exec_cb(tb, (v: number, ud: unknown) => log.push(`bb v${v} ${ud}`), 0, 4);
  });
  const solo = translateWith(0xc000, 3, (tb) => {
    for (let k = 0; k < 3; k++) {
      api.qemu_plugin_register_vcpu_insn_exec_cb(
        api.qemu_plugin_tb_get_insn(tb, k),
        (v: number) => log.push(`i${v}`),
        0,
        0,
      );
    }
  });
  ring.put2(TAG.BLOCK | counter, 1);
  ring.put2(TAG.REPEAT | 4, 1);
  ring.put2(TAG.BLOCK | solo, 1);
  ring.put2(TAG.REPEAT | 1, 1);
  ring.put3(TAG.TRUNC, 1, 0xc004);
  assertEquals(settle(), [...Array(5).fill("bb v1 4"), "i1", "i1", "i1", "i1"]);
  // A REPEAT for another vCPU than the pending block's, or after a block the plugin does not know, runs nothing.
  ring.put2(TAG.BLOCK | counter, 1);
  ring.put2(TAG.REPEAT | 4, 2);
  ring.put2(TAG.BLOCK | 100001, 1);
  ring.put2(TAG.REPEAT | 4, 1);
  assertEquals(settle(), ["bb v1 4"]);
});

Deno.test("a reset from a callback of a REPEAT's runs stops them", () => {
  let calls = 0;
  const block = translateWith(0xd000, 2, (tb) => {
    api.qemu_plugin_register_vcpu_tb_exec_cb(
      tb,
      () => {
        log.push("bb");
        if (++calls === 3) api.qemu_plugin_reset(instance.id as api.PluginId, () => {});
      },
      0,
      null,
    );
  });
  ring.put2(TAG.BLOCK | block, 0);
  ring.put2(TAG.REPEAT | 100, 0);
  ring.put2(TAG.BLOCK | block, 0);
  ring.put2(TAG.REPEAT | 100, 0);
  assertEquals(settle(), ["bb", "bb", "bb"]);
  instance.pending = undefined;
});
