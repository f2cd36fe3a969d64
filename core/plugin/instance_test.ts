/**
 * The emulator's end of a channel against a plugin side that breaks the
 * protocol. The plugin side is scripted in this process: the channel's
 * waiter runs it whenever the emulator wakes the plugin, so each step is
 * deterministic.
 */

import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { Cpu } from "../cpu/state.ts";
import { Log } from "../util/log.ts";
import {
  ACT,
  type Channel,
  CTL,
  EV,
  EVENT_RING_WORDS,
  inProcessChannel,
  OP,
  PAYLOAD,
  PluginFailure,
  REQ,
  RING,
  STATE,
} from "./channel.ts";
import { PluginCore, PluginFatalError } from "./core.ts";
import { PluginInstance, type PluginProcess } from "./instance.ts";

/** A plugin side that runs `step` each time the emulator wakes it (a new call, or the answer to a request). */
function scripted(step: (ci: Int32Array) => void, gone = () => false): PluginProcess {
  const base = inProcessChannel();
  const ci = new Int32Array(base.ctl);
  // Marked asleep, so that every wake reaches the script.
  ci[CTL.SLEEPING] = 1;
  const channel: Channel = {
    ...base,
    waiter: {
      wait: () => {},
      wake: (view, index) => {
        if (view.buffer !== base.ctl) return;
        const s = Atomics.load(ci, CTL.STATE);
        if ((index === CTL.DOORBELL && s === STATE.CALL) || (index === CTL.STATE && s === STATE.RESPONSE)) step(ci);
      },
    },
  };
  return {
    channel,
    gone,
    deathMessage: () => "died",
    deathReason: () => "its process exited with status 3",
    kill: () => {},
  };
}

function done(ci: Int32Array, r1 = 0, r2 = 0): void {
  ci[CTL.ARGS] = 0;
  ci[CTL.ARGS + 1] = r1;
  ci[CTL.ARGS + 2] = r2;
  Atomics.store(ci, CTL.STATE, STATE.DONE);
}

const instance = (p: PluginProcess, watchdogMs = 10_000) => new PluginInstance(0, "test", 1n, watchdogMs, () => {}, p);

Deno.test("PluginInstance refuses a channel the plugin put in a state of its own", () => {
  const early = instance(scripted(done));
  Atomics.store(early.ci, CTL.STATE, STATE.DONE);
  assertThrows(() => early.call(OP.FLUSH, []), PluginFailure, "the channel is in state 4, not idle");
  const odd = instance(scripted((ci) => Atomics.store(ci, CTL.STATE, 77)));
  assertThrows(() => odd.call(OP.FLUSH, []), PluginFailure, "set its channel to state 77 during a call");
});

Deno.test("PluginInstance refuses requests where none may be made, and counts a call's whole time", () => {
  const asks = (ci: Int32Array) => {
    ci[CTL.OP] = REQ.READ_REG;
    Atomics.store(ci, CTL.STATE, STATE.REQUEST);
  };
  assertThrows(() => instance(scripted(asks)).call(OP.INSTALL, []), PluginFailure, "a request where none may be made");
  // Every request is answered at once and the plugin asks again: progress that never ends the call.
  const t0 = performance.now();
  const nagging = instance(scripted(asks), 100);
  assertThrows(() => nagging.call(OP.EXEC, [], undefined, () => true), PluginFailure, "no answer for 0.1 s (watchdog)");
  assert(performance.now() - t0 < 5000);
});

Deno.test("PluginInstance names a process that ended, and a text ring the plugin broke", () => {
  let alive = true;
  const p = instance(scripted(() => (alive = false), () => !alive));
  assertThrows(() => p.call(OP.ATEXIT, []), PluginFailure, "atexit callback: its process exited with status 3");
  const text = instance(scripted(done));
  Atomics.store(new Int32Array(text.channel.text), RING.HEAD, -7);
  text.drainText();
  assertThrows(() => text.call(OP.FLUSH, []), PluginFailure, "text ring: write position -7");
});

Deno.test("PluginCore unloads a plugin that changes the pc from a callback without RW_REGS", () => {
  // Translation: one synchronous (R_REGS) callback on the block's only instruction; execution: a forged pc change.
  const proc = scripted((ci) => {
    if (ci[CTL.OP] === OP.TB_TRANS) {
      ci.set([ACT.SYNC, 0, 5, 0], PAYLOAD);
      done(ci, 4);
    } else done(ci, 1, 0x4000);
  });
  Atomics.store(new Int32Array(proc.channel.ctl), CTL.EVENTS, EV.TB_TRANS);
  const core = new PluginCore(new Log(), true);
  core.add(instance(proc));
  const tb = { pc: 0x1000, pcs: [0x1000], raws: [0x13], insns: [{ op: "addi", size: 4 }] } as never;
  const instr = core.instrument(tb)!;
  const sync = instr.insn[0][0];
  assertEquals(sync.kind, "sync");
  const cpu = new Cpu();
  cpu.pc = 0x1000;
  assertThrows(
    () => core.hooks.sync(cpu, (sync as { id: number }).id),
    PluginFatalError,
    "changed the pc from a callback without QEMU_PLUGIN_CB_RW_REGS",
  );
  assertEquals(cpu.pc, 0x1000);
});

Deno.test("PluginInstance: a plugin that moves its ring position back and forth without freeing room meets the watchdog", () => {
  const p = instance(scripted(done), 200);
  // The plugin's process, as the emulator sees it: at every look, the ring full by none or by one word, in turn
  // (another core writing as fast as it can). Scripted through the loads, so that nothing is left to timing.
  const load = Atomics.load;
  let looks = 0;
  const full = -EVENT_RING_WORDS; // the consumer's position when the ring (nothing published yet) is full
  Atomics.load = ((view: Int32Array, index: number) => {
    if (view !== p.ring.w || index !== RING.TAIL) return load(view, index);
    // Before, each wait ended at once when the position moved, and the deadline was read only after a quiet
    // spin: the publish went on forever.
    if (++looks > 20_000_000) throw new Error("the watchdog never ended the wait");
    return (full + (looks & 1)) | 0;
  }) as typeof Atomics.load;
  try {
    p.ring.put2(1, 2);
    assertThrows(
      () => p.ring.publish(),
      PluginFailure,
      "the guest waited 0.2 s for the plugin to make room (watchdog)",
    );
  } finally {
    Atomics.load = load;
  }
});
