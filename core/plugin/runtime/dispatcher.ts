/**
 * The plugin side's event loop, run by the plugin process's thread: it
 * evaluates the plugin, reports the load, then serves the channel until
 * the process is killed, as a list of stages in {@link start}. Serving is
 * two things, each in a module of its own: consuming the event ring
 * (`replay.ts`: streamed block executions replayed as per-instruction
 * callbacks, in order) and answering synchronous calls from the emulator
 * (`calls.ts`); any exception of the plugin becomes a clean death the
 * emulator reports (`failure.ts`).
 *
 * Every runtime module is imported (through this one) by the sandbox's
 * host before it empties the global object: what they capture when they
 * load, such as {@link now} and the `Function` constructor here, is taken
 * before the plugin can replace it.
 *
 * @module
 */

import { type Channel, CTL, type LoadReport, PAYLOAD, putString, STATE } from "../channel.ts";
import type { QemuInfo } from "./api.ts";
import { handleCall } from "./calls.ts";
import { Died, errorText, markDead } from "./failure.ts";
import { bindRing, bindStats, consumeRing, dieInReplay, hasRecords } from "./replay.ts";
import { restock } from "./spare_bytes.ts";
import { type AnyFn, ForkedChild, type Forker, instance } from "./state.ts";

/** What the emulator sends a plugin's process once it booted (JSON on its standard input). */
export interface RuntimeInit {
  /** Plugin name for messages. */
  name: string;
  /** The bundled plugin (CommonJS). */
  code: string;
  /** The instance id, as a decimal string (JSON has no 64-bit integers). */
  id: string;
  /** Plugin arguments (`key=value`). */
  argv: string[];
  /** `qemu_info_t`. */
  info: QemuInfo;
  /** True when `qemu_plugin_outs` text is shown. */
  outs: boolean;
  /** Guest program facts. */
  program: { path: string; start: number; end: number; entry: number };
  /** True with `-plugin-allow guest=write`: the plugin may change the guest. */
  guestWrite: boolean;
}

/**
 * How long the plugin's thread keeps spinning after its last work before it
 * sleeps (ms). Waking it costs both sides a futex call and the scheduler's
 * latency, tens of microseconds on a loaded machine: a guest that
 * translates a block every few hundred microseconds (most of a short run)
 * would pay that at every translation. The plugin has a core of its own
 * while it spins; an idle plugin sleeps.
 */
const IDLE_SPIN_MS = 2;

/** The clock (milliseconds), taken before the plugin runs: only ECMAScript's is left in its global object. */
const now = Date.now;

/** Captured when this module loads, before the plugin can replace anything: the plugin is compiled with it. */
const FunctionCtor = Function;

/** Evaluates the plugin's bundle with the API as its only import; returns its exports. */
function evaluate(code: string, api: Record<string, unknown>): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const run = new FunctionCtor("module", "exports", "__plume_api__", `"use strict";\n${code}`);
  run(module, module.exports, api);
  return module.exports;
}

/** What the plugin's exports say, read without trusting them (getters may throw, values may be anything). */
function loadReport(exports: Record<string, unknown>): LoadReport {
  try {
    const version = exports.qemu_plugin_version;
    return {
      ok: true,
      // JSON has no NaN or Infinity: those are described by their text.
      version: typeof version === "number" && Number.isFinite(version) ? version : undefined,
      versionType: typeof version === "number" && !Number.isFinite(version) ? String(version) : typeof version,
      hasInstall: typeof exports.qemu_plugin_install === "function",
    };
  } catch (err) {
    return { ok: false, error: `reading the plugin's exports: ${errorText(err)}` };
  }
}

/** Publishes the load report and tells the emulator. */
function report(r: LoadReport): void {
  if (!r.ok && r.error.length > 4096) r = { ok: false, error: r.error.slice(0, 4096) + "…" };
  putString(instance.ctl, PAYLOAD, JSON.stringify(r));
  Atomics.store(instance.ci, CTL.STATE, STATE.LOADED);
  instance.waiter.wake(instance.ci, CTL.STATE);
}

/**
 * Starts the plugin side in the plugin's process: evaluates the plugin,
 * reports the result in the control block, then serves the channel until
 * the process is killed. `idle` runs whenever the thread wakes from an idle
 * sleep (the host checks that plume still lives).
 */
export function start(
  init: RuntimeInit,
  channel: Channel,
  api: Record<string, unknown>,
  idle: () => void,
  fork?: Forker,
): void {
  bind(channel);
  instance.fork = fork;
  instance.id = BigInt(init.id);
  instance.name = init.name;
  instance.outs = init.outs;
  instance.program = init.program;
  instance.argv = init.argv;
  instance.info = init.info;
  instance.guestWrite = init.guestWrite === true;
  let exports;
  try {
    exports = evaluate(init.code, api);
  } catch (err) {
    report({ ok: false, error: errorText(err) });
    return;
  }
  instance.plugin = exports as { qemu_plugin_install?: AnyFn };
  const r = loadReport(exports);
  report(r);
  if (!r.ok) return;
  try {
    serve(idle);
  } catch (err) {
    if (!Died.is(err)) markDead(`plugin runtime: ${errorText(err)}`);
  }
}

/** Binds the plugin side's state to a channel. */
export function bind(channel: Channel): void {
  instance.ctl = channel.ctl;
  instance.ci = new Int32Array(channel.ctl);
  instance.ring = new Int32Array(channel.ring);
  instance.text = channel.text;
  instance.arena = new Int32Array(channel.arena);
  instance.regs = new Int32Array(channel.regs);
  instance.waiter = channel.waiter;
  bindRing(instance.ring);
  bindStats(channel.ctl);
}

/**
 * Serves the channel: replays published records, answers calls, and
 * sleeps on the doorbell once idle for {@link IDLE_SPIN_MS}.
 */
function serve(idle: () => void): never {
  let ci = instance.ci, waiter = instance.waiter;
  let spins = 0, idleSince = 0;
  /**
   * Woken by the end of its 100 ms sleep alone: nothing came for a whole one,
   * so sleep again at once. Spinning after every timeout kept each idle
   * process on a core 2% of the time, and a guest has a copy of every
   * plugin per process: 40 idle forked processes under one plugin took 0.6
   * of a core while plume and the guest did nothing.
   */
  let dozing = false;
  for (;;) {
    try {
      if (hasRecords()) {
        consumeRing();
        spins = 0, dozing = false;
        continue;
      }
      if (Atomics.load(ci, CTL.STATE) === STATE.CALL) {
        handleCall();
        spins = 0, dozing = false;
        continue;
      }
    } catch (err) {
      if (!ForkedChild.is(err)) dieInReplay(err);
      // This is the copy made for a forked guest: its channel is a new one, in the same place.
      bindRing(instance.ring);
      bindStats(instance.ctl);
      ci = instance.ci;
      waiter = instance.waiter;
      Atomics.store(ci, CTL.STATE, STATE.IDLE);
      waiter.wake(ci, CTL.STATE);
      spins = 0, dozing = false;
      continue;
    }
    if (!dozing) {
      // Nothing to do: make what the next calls may need (one array at a time, so work is seen at once).
      restock();
      // Look at the clock now and then only: spinning should stay a load or two.
      if ((++spins & 1023) !== 0) continue;
      if (spins === 1024) idleSince = now();
      if (now() - idleSince <= IDLE_SPIN_MS) continue;
    }
    const bell = Atomics.load(ci, CTL.DOORBELL);
    Atomics.store(ci, CTL.SLEEPING, 1);
    dozing = false;
    if (!hasRecords() && Atomics.load(ci, CTL.STATE) !== STATE.CALL) {
      waiter.wait(ci, CTL.DOORBELL, bell, 100);
      if (Atomics.load(ci, CTL.DOORBELL) === bell) idle(), dozing = true;
    }
    Atomics.store(ci, CTL.SLEEPING, 0);
    spins = 0;
  }
}

/** Test access: consumes what was published on the bound channel's ring (no process needed). */
export function consumeForTest(): void {
  try {
    consumeRing();
  } catch (err) {
    dieInReplay(err);
  }
}
