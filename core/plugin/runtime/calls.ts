/**
 * The synchronous calls: what the plugin side does when the emulator calls
 * it and waits (install, a block's translation, a synchronous execution or
 * memory callback, vCPU, system call and discontinuity events, flush,
 * exit, completion of an uninstall or reset). One handler per operation,
 * in {@link CALLS}; {@link handleCall} replays what was streamed before
 * the call, runs the handler and writes the reply.
 *
 * A call is a point in the guest's execution: what was streamed before it
 * replays first, and the handlers that run at a block boundary finish the
 * pending block (`replay.ts`). A plugin's exception in a callback becomes
 * its death, named after that callback (`failure.ts`).
 *
 * @module
 */

import { CTL, DEATH, ID_MASK, OP, PAYLOAD, putString, REPLY, STATE } from "../channel.ts";
import type { QemuInfo } from "./api.ts";
import { beginTranslation, endTranslation } from "./handles.ts";
import { finishBlockSlots } from "./block_slots.ts";
import { die, fnName } from "./failure.ts";
import { consumeRing, dropPending, finishPending, replayBeforeAccess, replayBeforeSlot } from "./replay.ts";
import {
  ACCESS,
  type AnyFn,
  CB,
  ForkedChild,
  instance,
  MEMV,
  PluginApiError,
  publishEvents,
  SetPcSignal,
} from "./state.ts";

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
  const ci = instance.ci;
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
  // A loop, not `set` of a `subarray`: a typed array made at every translation costs more than the copy.
  const acts = instance.acts, nActs = instance.nActs;
  for (let i = 0; i < nActs; i++) ci[PAYLOAD + i] = acts[i];
}

/**
 * Runs the synchronous slot the call names (its first argument word) on
 * the call's vCPU (the second); memory callbacks get their access.
 * Returns the new pc, or -1 when the pc stays.
 */
function handleSync(mem: boolean): number {
  const ci = instance.ci;
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
        // Called as a function: the callback must not get the runtime's slot as `this`.
        const fn = m.fn;
        inCallback(vcpu, m.regs, true, () => fn(vcpu, info, addr, m.ud));
      } catch (err) {
        if (SetPcSignal.is(err)) throw err;
        die(`mem callback ${fnName(m.fn)}`, err);
      } finally {
        MEMV[0] = -1;
      }
      return -1;
    }
    const b = replayBeforeSlot(s.block, vcpu, s.slot);
    if (!b) return -1;
    try {
      // As above: not `b.fns[s.slot](…)`, which would call it with the runtime's array as `this`.
      const fn = b.fns[s.slot];
      inCallback(vcpu, b.regs[s.slot], true, () => fn(vcpu, b.uds[s.slot]));
    } catch (err) {
      if (SetPcSignal.is(err)) throw err;
      die(`${s.slot < b.insnStart[0] ? "tb" : "insn"} exec callback ${fnName(b.fns[s.slot])}`, err);
    }
    return -1;
  } catch (err) {
    if (!SetPcSignal.is(err)) throw err;
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
const callVcpu = () => instance.ci[CTL.ARGS + 1];

/** `qemu_plugin_install`: only the integer 0 is success (as QEMU's int); anything else fails the load, named. */
function callInstall(): void {
  instance.installing = true;
  let ret: unknown;
  try {
    ret = inCallback(
      0,
      ACCESS.NONE,
      false,
      () => instance.plugin.qemu_plugin_install!(instance.id, instance.info, instance.argv),
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
  const ci = instance.ci;
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
  const ci = instance.ci;
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
  const ci = instance.ci;
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
    instance.completingReset = !p.uninstall;
    try {
      each(list, "uninstall/reset completion callback", (ud) => withUd([instance.id], ud));
    } finally {
      instance.completingReset = false;
    }
  }
  publishEvents();
}

/**
 * The guest forked: the process copies itself, its plugin's state with
 * it, for the child (QEMU's user mode forks with its plugins). The copy
 * serves a channel of its own, made here holding this one's control block
 * header and scoreboards; the reply gives plume the copy's pid and its
 * descriptors of that channel and of its standard error. Everything
 * streamed before the fork was replayed first, so both copies start from
 * the same point. A process that cannot copy itself replies pid 0.
 */
function callFork(): void {
  finishPending();
  const fork = instance.fork;
  if (fork === undefined) return;
  // The header words (events, discontinuity types, vCPUs); arguments and payloads belong to calls.
  const words = instance.ci.slice(0, CTL.ARGS);
  // Not idle until the copy serves it: plume waits for that before its first call.
  words[CTL.STATE] = STATE.BOOTED;
  words[CTL.SLEEPING] = words[CTL.EMULATOR_WAITING] = 0;
  const ctl = new Uint8Array(words.buffer);
  const used = Math.min(instance.arenaUsed, instance.arena.byteLength);
  const arena = new Uint8Array(instance.arena.buffer, instance.arena.byteOffset, used);
  const pid = instance.ci[CTL.ARGS + 1];
  const r = fork({ ctl, arena });
  if (r.pid === 0) {
    // The copy follows the child: the info object its plugin was installed with says so (the plugin may have frozen it,
    // or made its pid a throwing setter: the copy fails then, in the fork, not in whatever callback ran last).
    try {
      if (pid > 0) (instance.info as QemuInfo).pid = pid;
    } catch (err) {
      die("fork: the child's pid could not be set in the info object qemu_plugin_install was given", err);
    }
    throw new ForkedChild();
  }
  reply[0] = r.pid;
  reply[1] = r.channelFd;
  reply[2] = r.stderrFd;
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
  [OP.FORK]: callFork,
};

/**
 * Answers the emulator's call: replays what was streamed before it, runs
 * its handler, replies. A streamed callback's exception goes through (see
 * `dieInReplay` in `replay.ts`).
 */
export function handleCall(): void {
  const ci = instance.ci;
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
  if (Atomics.load(ci, CTL.EMULATOR_WAITING)) instance.waiter.wake(ci, CTL.STATE);
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
