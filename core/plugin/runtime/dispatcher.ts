/**
 * The plugin side's event loop, run by the plugin process's thread: it
 * consumes the event ring (`replay.ts`: streamed block executions
 * replayed as per-instruction callbacks, in order), answers synchronous
 * calls from the emulator, and turns any exception of the plugin into a
 * clean death the emulator reports (`failure.ts`).
 *
 * @module
 */

import {
  type Channel,
  CTL,
  DEATH,
  ID_MASK,
  type LoadReport,
  OP,
  PAYLOAD,
  putString,
  REPLY,
  STATE,
  type Waiter,
} from "../channel.ts";
import { beginTranslation, endTranslation, type QemuInfo } from "./api.ts";
import { finishBlockSlots } from "./block_slots.ts";
import { die, Died, errorText, fnName, isA, markDead } from "./failure.ts";
import {
  bindRing,
  consumeRing,
  dieInReplay,
  dropPending,
  finishPending,
  hasRecords,
  replayBeforeAccess,
  replayBeforeSlot,
} from "./replay.ts";
import { ACCESS, type AnyFn, CB, instance, MEMV, PluginApiError, publishEvents, SetPcSignal } from "./state.ts";

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

let plugin: { qemu_plugin_install?: AnyFn } = {};
let ci: Int32Array;
let waiter: Waiter;

// ---------------------------------------------------------------- synchronous calls

function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function i64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, u64(lo, hi));
}

/** Runs `body` as a synchronous callback on `vcpu` with guest-state access `access`. */
function inCallback<T>(vcpu: number, access: number, setPc: boolean, body: () => T): T {
  instance.vcpu = vcpu;
  instance.access = access;
  instance.inCall = true;
  instance.setPcOk = setPc;
  try {
    return body();
  } finally {
    instance.access = ACCESS.NONE;
    instance.inCall = false;
    instance.setPcOk = false;
  }
}

/** Calls each callback of an event list (a snapshot: callbacks may change the list). */
function each(list: [AnyFn, unknown, ...unknown[]][], what: string, args: (ud: unknown) => unknown[]): void {
  for (const [fn, ud] of list) {
    if (instance.pending && what !== "uninstall/reset completion callback") return;
    try {
      fn(...args(ud));
    } catch (err) {
      die(`${what} ${fnName(fn)}`, err);
    }
  }
}

function withUd(args: unknown[], ud: unknown): unknown[] {
  return ud === undefined ? args : [...args, ud];
}

function handleTrans(): void {
  finishPending();
  const vaddr = ci[CTL.ARGS + 1] >>> 0, n = ci[CTL.ARGS + 2];
  const pcs: number[] = [], raws: number[] = [], sizes: number[] = [];
  for (let k = 0; k < n; k++) {
    pcs.push(ci[PAYLOAD + 3 * k] >>> 0);
    raws.push(ci[PAYLOAD + 3 * k + 1] >>> 0);
    sizes.push(ci[PAYLOAD + 3 * k + 2]);
  }
  const block = instance.blocks.length;
  if (block > ID_MASK) die("translation", new PluginApiError("Too many translated blocks for one plugin"));
  instance.blocks.push(undefined);
  const tb = beginTranslation(block, vaddr, pcs, raws, sizes);
  try {
    // Translation happens between blocks, with no vCPU state to show: queries only (disassembly, symbols).
    inCallback(
      0,
      ACCESS.NONE,
      false,
      () => each(CB.tbTrans, "tb trans callback", (ud) => withUd([instance.id, tb], ud)),
    );
    finishBlockSlots(block, pcs);
  } finally {
    endTranslation();
  }
  // The reply must fit the payload (the emulator bounds registrations far below this anyway).
  if (PAYLOAD + instance.nActs > DEATH) {
    die("tb trans callback", new PluginApiError(`Too many registrations for one block (${instance.nActs} words)`));
  }
  ci.set(instance.acts.subarray(0, instance.nActs), PAYLOAD);
}

/** Runs synchronous slot `syncId` on `vcpu`; memory callbacks get their access. Returns the new pc or -1. */
function handleSync(mem: boolean): number {
  const s = instance.syncSlots[ci[CTL.ARGS + 1]], vcpu = ci[CTL.ARGS + 2];
  if (!s || s.block < instance.validFrom || instance.pending) return -1;
  try {
    if (mem && s.mem) {
      const m = s.mem;
      replayBeforeAccess(m, vcpu);
      const addr = ci[CTL.ARGS + 3] >>> 0, info = ci[CTL.ARGS + 4];
      MEMV[0] = info;
      MEMV[1] = ci[CTL.ARGS + 5];
      MEMV[2] = ci[CTL.ARGS + 6];
      try {
        inCallback(vcpu, m.regs, true, () => m.fn(vcpu, info, addr, m.ud));
      } catch (err) {
        if (isA(err, SetPcSignal)) throw err;
        die(`mem callback ${fnName(m.fn)}`, err);
      } finally {
        MEMV[0] = -1;
      }
      return -1;
    }
    const b = replayBeforeSlot(s.block, vcpu, s.slot);
    if (!b) return -1;
    try {
      inCallback(vcpu, b.regs[s.slot], true, () => b.fns[s.slot](vcpu, b.uds[s.slot]));
    } catch (err) {
      if (isA(err, SetPcSignal)) throw err;
      die(`${s.slot < b.insnStart[0] ? "tb" : "insn"} exec callback ${fnName(b.fns[s.slot])}`, err);
    }
    return -1;
  } catch (err) {
    if (!isA(err, SetPcSignal)) throw err;
    // The rest of this block does not run: drop its remaining streamed slots.
    dropPending();
    return err.pc;
  }
}

function growScoreboards(vcpu: number): boolean {
  if (vcpu < instance.capacity) return false;
  let cap = instance.capacity;
  while (cap <= vcpu) cap *= 2;
  const scale = cap / instance.capacity;
  if (instance.arenaUsed * scale > instance.arena.byteLength) {
    die("vcpu init", new PluginApiError(`Scoreboards do not fit ${cap} vCPUs in the arena`));
  }
  const a = instance.arena;
  for (let i = instance.boards.length - 1; i >= 0; i--) {
    const b = instance.boards[i];
    const oldBytes = b.size * instance.capacity, to = b.offset * scale;
    a.copyWithin(to >> 2, b.offset >> 2, (b.offset + oldBytes) >> 2);
    a.fill(0, (to + oldBytes) >> 2, (to + b.size * cap) >> 2);
    b.offset = to;
  }
  instance.arenaUsed *= scale;
  instance.capacity = cap;
  return true;
}

/** The words of a call's reply after its status: what each call handler sets (zero unless it does). */
const reply = new Int32Array(3);

/** The vCPU index of a vCPU event's call. */
const callVcpu = () => ci[CTL.ARGS + 1];

/** `qemu_plugin_install`: only the integer 0 is success (as QEMU's int); anything else fails the load, named. */
function callInstall(): void {
  instance.installing = true;
  let ret: unknown;
  try {
    ret = inCallback(
      0,
      ACCESS.NONE,
      false,
      () => plugin.qemu_plugin_install!(instance.id, instance.info, instance.argv),
    );
  } catch (err) {
    die("qemu_plugin_install", err);
  } finally {
    instance.installing = false;
  }
  if (ret !== 0) {
    reply[0] = 1;
    putString(instance.ctl, PAYLOAD, valueText(ret));
  }
}

/** A block's translation: the reply holds the number of registration words. */
function callTbTrans(): void {
  handleTrans();
  reply[0] = instance.nActs;
}

/** A synchronous execution or memory callback: the reply says whether it moved the pc, and where. */
function callSync(mem: boolean): void {
  const pc = handleSync(mem);
  reply[0] = pc >= 0 ? 1 : 0;
  reply[1] = pc;
}

/** A vCPU starts: scoreboards grow to hold it (the reply says so), then the init callbacks run. */
function callVcpuInit(): void {
  finishPending();
  const vcpu = callVcpu();
  reply[0] = growScoreboards(vcpu) ? 1 : 0;
  inCallback(
    vcpu,
    ACCESS.WRITE,
    false,
    () => each(CB.vcpuInit, "vcpu init callback", (ud) => withUd([instance.id, vcpu], ud)),
  );
}

function callVcpuExit(): void {
  finishPending();
  const vcpu = callVcpu();
  inCallback(
    vcpu,
    ACCESS.WRITE,
    false,
    () => each(CB.vcpuExit, "vcpu exit callback", (ud) => withUd([instance.id, vcpu], ud)),
  );
}

/**
 * A system call: the syscall callbacks, then (when the emulator says this
 * plugin may filter) the filters until one returns a bigint, which the
 * reply carries as the call's result instead of running it.
 */
function callSyscall(): void {
  finishPending();
  const vcpu = callVcpu(), num = i64(ci[CTL.ARGS + 2], ci[CTL.ARGS + 3]);
  const args: bigint[] = [];
  for (let i = 0; i < 8; i++) args.push(u64(ci[CTL.ARGS + 4 + 2 * i], ci[CTL.ARGS + 5 + 2 * i]));
  const filters = ci[CTL.ARGS + 20] !== 0;
  inCallback(vcpu, ACCESS.WRITE, false, () => {
    each(CB.syscall, "syscall callback", (ud) => withUd([instance.id, vcpu, num, ...args], ud));
    if (!filters) return;
    for (const [fn, ud] of CB.syscallFilter) {
      let ret: unknown;
      try {
        ret = fn(...withUd([instance.id, vcpu, num, ...args], ud));
      } catch (err) {
        die(`syscall filter callback ${fnName(fn)}`, err);
      }
      if (typeof ret === "bigint") {
        const v = BigInt.asUintN(64, ret);
        reply[0] = 1;
        reply[1] = Number(BigInt.asIntN(32, v));
        reply[2] = Number(BigInt.asIntN(32, v >> 32n));
        return;
      }
    }
  });
}

function callSyscallRet(): void {
  const vcpu = callVcpu(), num = i64(ci[CTL.ARGS + 2], ci[CTL.ARGS + 3]);
  const ret = i64(ci[CTL.ARGS + 4], ci[CTL.ARGS + 5]);
  inCallback(
    vcpu,
    ACCESS.WRITE,
    false,
    () => each(CB.syscallRet, "syscall return callback", (ud) => withUd([instance.id, vcpu, num, ret], ud)),
  );
}

/** A discontinuity (interrupt, exception, host call): the callbacks registered for its type. */
function callDiscon(): void {
  finishPending();
  const vcpu = callVcpu(), type = ci[CTL.ARGS + 2];
  const from = ci[CTL.ARGS + 3] >>> 0, to = ci[CTL.ARGS + 4] >>> 0;
  const wanted = CB.discon.filter((d) => (d[2] & type) !== 0);
  inCallback(
    vcpu,
    ACCESS.WRITE,
    false,
    () => each(wanted, "discon callback", (ud) => withUd([instance.id, vcpu, type, from, to], ud)),
  );
}

function callFlush(): void {
  finishPending();
  each(CB.flush, "flush callback", (ud) => withUd([instance.id], ud));
}

function callAtexit(): void {
  finishPending();
  each(CB.atexit, "atexit callback", (ud) => [instance.id, ud]);
}

/** An uninstall or reset completed on the emulator's side: its completion callback, then the events anew. */
function callComplete(): void {
  finishPending();
  const p = instance.pending;
  instance.pending = undefined;
  if (p) {
    const list: [AnyFn, unknown][] = [[p.cb, p.ud]];
    each(list, "uninstall/reset completion callback", (ud) => withUd([instance.id], ud));
  }
  publishEvents();
}

/** The calls the emulator makes, by operation. */
const CALLS: Readonly<Record<number, () => void>> = {
  [OP.INSTALL]: callInstall,
  [OP.TB_TRANS]: callTbTrans,
  [OP.EXEC]: () => callSync(false),
  [OP.MEM]: () => callSync(true),
  [OP.VCPU_INIT]: callVcpuInit,
  [OP.VCPU_EXIT]: callVcpuExit,
  [OP.SYSCALL]: callSyscall,
  [OP.SYSCALL_RET]: callSyscallRet,
  [OP.DISCON]: callDiscon,
  [OP.FLUSH]: callFlush,
  [OP.ATEXIT]: callAtexit,
  [OP.COMPLETE]: callComplete,
  [OP.DRAIN]: finishPending,
};

/** Answers the emulator's call: replays what was streamed before it, runs its handler, replies. */
function handleCall(): void {
  consumeRing();
  const op = ci[CTL.OP];
  reply.fill(0);
  const call = Object.hasOwn(CALLS, op) ? CALLS[op] : undefined;
  if (call === undefined) die("call", new Error(`Unknown call ${op}`));
  call();
  ci[CTL.ARGS] = REPLY.OK;
  ci[CTL.ARGS + 1] = reply[0];
  ci[CTL.ARGS + 2] = reply[1];
  ci[CTL.ARGS + 3] = reply[2];
  Atomics.store(ci, CTL.STATE, STATE.DONE);
  if (Atomics.load(ci, CTL.EMULATOR_WAITING)) waiter.wake(ci, CTL.STATE);
}

/** A value the plugin returned, described for a message (the emulator escapes it). */
function valueText(v: unknown): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "string":
      return JSON.stringify(v.length > 60 ? v.slice(0, 60) + "…" : v);
    case "undefined":
      return "undefined (no return value)";
    case "object":
      return v === null ? "null" : "an object";
    default:
      return `a ${typeof v}`;
  }
}

// ---------------------------------------------------------------- start

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
  Atomics.store(ci, CTL.STATE, STATE.LOADED);
  waiter.wake(ci, CTL.STATE);
}

/**
 * Starts the plugin side in the plugin's process: evaluates the plugin,
 * reports the result in the control block, then serves the channel until
 * the process is killed. `idle` runs whenever the thread wakes from an idle
 * sleep (the host checks that plume still lives).
 */
export function start(init: RuntimeInit, channel: Channel, api: Record<string, unknown>, idle: () => void): void {
  bind(channel);
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
  plugin = exports as { qemu_plugin_install?: AnyFn };
  const r = loadReport(exports);
  report(r);
  if (!r.ok) return;
  try {
    serve(idle);
  } catch (err) {
    if (!isA(err, Died)) markDead(`plugin runtime: ${errorText(err)}`);
  }
}

/** Binds the plugin side's state to a channel. */
export function bind(channel: Channel): void {
  instance.ctl = channel.ctl;
  instance.ci = ci = new Int32Array(channel.ctl);
  instance.ring = new Int32Array(channel.ring);
  instance.text = channel.text;
  instance.arena = new Int32Array(channel.arena);
  instance.waiter = waiter = channel.waiter;
  bindRing(instance.ring);
}

function serve(idle: () => void): never {
  let spins = 0, idleSince = 0;
  for (;;) {
    try {
      if (hasRecords()) {
        consumeRing();
        spins = 0;
        continue;
      }
      if (Atomics.load(ci, CTL.STATE) === STATE.CALL) {
        handleCall();
        spins = 0;
        continue;
      }
    } catch (err) {
      dieInReplay(err);
    }
    // Look at the clock now and then only: spinning should stay a load or two.
    if ((++spins & 1023) !== 0) continue;
    if (spins === 1024) idleSince = now();
    if (now() - idleSince <= IDLE_SPIN_MS) continue;
    const bell = Atomics.load(ci, CTL.DOORBELL);
    Atomics.store(ci, CTL.SLEEPING, 1);
    if (!hasRecords() && Atomics.load(ci, CTL.STATE) !== STATE.CALL) {
      waiter.wait(ci, CTL.DOORBELL, bell, 100);
      if (Atomics.load(ci, CTL.DOORBELL) === bell) idle();
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
