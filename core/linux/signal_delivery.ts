/**
 * Generating and delivering signals, as Linux does on the way back to user
 * mode: a raised signal waits in its thread's queue or the process's; when
 * a thread returns from a system call or is about to run, the lowest
 * pending signal it does not block is taken (synchronous faults first)
 * and either its default action happens (ignore, or end the process) or a
 * frame (`signal_frame.ts`) is pushed and the handler runs, returning
 * through the trampoline to `rt_sigreturn`.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { DISCON, type VcpuHooks } from "../cpu/vcpu_hooks.ts";
import { GuestMemoryError } from "../mem/address_space.ts";
import { E, errnoResult } from "./errno.ts";
import type { Process } from "./process.ts";
import {
  defaultAction,
  NSIG,
  type PendingSignal,
  SA_NODEFER,
  SA_ONSTACK,
  SA_RESETHAND,
  SI_KERNEL,
  SIG_DFL,
  SIG_IGN,
  type SigAction,
  sigbit,
  SIGCHLD,
  SIGCONT,
  SIGKILL,
  SIGSEGV,
  STOP_SIGNALS,
  UNBLOCKABLE,
} from "./signals.ts";
import {
  BadFrame,
  encodeSiginfo,
  frameSize,
  isFault,
  readSigframe,
  SIGINFO_SIZE,
  type StackT,
  writeSigframe,
} from "./signal_frame.ts";
import { fmtSiginfo, fmtSignal } from "./strace.ts";
import { RLIMIT_SIGPENDING } from "./rlimits.ts";
import { SS_AUTODISARM, SS_DISABLE, type ThreadState } from "./thread.ts";

/** Host `strsignal` texts, which QEMU prints for uncaught signals. */
const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: "Hangup",
  2: "Interrupt",
  3: "Quit",
  4: "Illegal instruction",
  5: "Trace/breakpoint trap",
  6: "Aborted",
  7: "Bus error",
  8: "Floating point exception",
  9: "Killed",
  10: "User defined signal 1",
  11: "Segmentation fault",
  12: "User defined signal 2",
  13: "Broken pipe",
  14: "Alarm clock",
  15: "Terminated",
  16: "Stack fault",
  24: "CPU time limit exceeded",
  25: "File size limit exceeded",
  26: "Virtual timer expired",
  27: "Profiling timer expired",
  29: "I/O possible",
  30: "Power failure",
  31: "Bad system call",
};

/**
 * Ends the process for an uncaught signal as qemu-user does: status
 * 128 + signal, and for a core-dumping signal the line
 * `plume: uncaught target signal 11 (Segmentation fault) - core dumped`
 * (qemu prints it only when it dumped a core, so never for the others).
 * Shared file mappings are written back and files closed, as at any exit.
 */
function dieOfSignal(proc: Process, signo: number): void {
  if (proc.exitStatus !== null) return;
  if (defaultAction(signo) === "core") {
    const name = SIGNAL_NAMES[signo] ?? `Signal ${signo}`;
    proc.log.error(`plume: uncaught target signal ${signo} (${name}) - core dumped\n`);
  }
  proc.killedBy = signo;
  proc.exitStatus = 128 + signo;
  proc.releaseResources();
}

/** The thread a process-directed signal wakes: the main thread if it takes it, else the first that does. */
function targetThread(proc: Process, signo: number): ThreadState | undefined {
  const bit = sigbit(signo);
  for (const t of proc.threads.values()) if (!t.exited && (t.blocked & bit) === 0n) return t;
  return undefined;
}

/**
 * Raises a signal (`kill`, `tgkill`, a timer, `SIGPIPE`): queues it on its
 * thread (`sig.tid`) or on the process. As in Linux, a signal whose
 * disposition ignores it is dropped unless the target blocks it, and a
 * standard signal (below 32) already pending in the same queue is not
 * queued twice.
 *
 * @example
 * ```ts
 * import { sendSignal } from "./signal_delivery.ts";
 * import { Process } from "./process.ts";
 * import { SI_USER, SIGTERM } from "./signals.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * sendSignal(proc, { signo: SIGTERM, code: SI_USER, pid: 1, uid: 0, tid: 0 });
 * strictEqual(proc.signals.pending.length, 1); // queued on the process: no thread named
 * ```
 */
export function sendSignal(proc: Process, sig: PendingSignal): void {
  const t = sig.tid ? proc.threads.get(sig.tid) : undefined;
  if (sig.tid && t === undefined) return;
  // Job control acts when the signal is sent, whatever the receiver does with it (Linux's prepare_signal): SIGCONT
  // continues a stopped process and drops its pending stops, a stop drops a pending SIGCONT, SIGKILL wakes the
  // stopped to die.
  if (sig.signo === SIGCONT) {
    discardPending(proc, STOP_SIGNALS);
    if (proc.stopSignal !== 0) {
      proc.stopSignal = 0;
      proc.waitEvent = "continued";
      notifyParent(proc, CLD_CONTINUED, SIGCONT);
    }
  } else if (STOP_SIGNALS.has(sig.signo)) discardPending(proc, CONT_SIGNAL);
  else if (sig.signo === SIGKILL) proc.stopSignal = 0;
  const blocker = t ?? targetThread(proc, sig.signo) ?? proc.threads.values().next().value;
  const blocked = blocker !== undefined && (blocker.blocked & sigbit(sig.signo)) !== 0n;
  if (sig.signo !== SIGKILL && proc.signals.ignores(sig.signo) && !blocked && !stops(proc, sig.signo)) return;
  const queue = t ? t.pending : proc.signals.pending;
  if (sig.signo < 32 && queue.has(sig.signo)) return;
  // Past RLIMIT_SIGPENDING a real-time signal already pending is not queued again: it stays pending, its
  // information is lost (Linux's __send_signal_locked for kill(); sigqueue gets EAGAIN before coming here).
  if (proc.signals.count >= proc.rlimits.soft(RLIMIT_SIGPENDING) && queue.has(sig.signo)) return;
  queue.push(sig);
  proc.signals.count++;
  proc.signals.onRaise(sig);
}

/** `si_code`s of a child's stop and continuation. */
const CLD_STOPPED = 5, CLD_CONTINUED = 6;
/** `sa_flags` of `SIGCHLD`: no signal when a child stops or continues. */
const SA_NOCLDSTOP = 1n;
const CONT_SIGNAL: ReadonlySet<number> = new Set([SIGCONT]);

/** Whether taking `signo` now stops `proc`: a stop signal left to its default action, in a process that can stop. */
function stops(proc: Process, signo: number): boolean {
  return STOP_SIGNALS.has(signo) && proc.signals.actions[signo].handler === SIG_DFL && proc.canStop();
}

/** Stops `proc` on `signo`: its threads run no more until `SIGCONT` or `SIGKILL`; its parent hears of it. */
function stopProcess(proc: Process, signo: number): void {
  proc.stopSignal = signo;
  proc.waitEvent = "stopped";
  // A wait a stop ends gets its result now: what was there before the stop (a reviewing helper's find: events ready
  // when the stop came were thrown away), else EINTR, even if what it waits for comes while the process is stopped.
  for (const t of proc.threads.values()) {
    const call = t.call;
    if (!call?.waiter.endsOnStop || call.resultAtStop !== undefined) continue;
    let result: number | undefined;
    try {
      result = call.waiter.poll(performance.now());
    } catch (err) {
      result = errnoResult(err);
    }
    if (result === undefined) call.waiter.cancel();
    call.resultAtStop = result ?? -E.EINTR;
  }
  // The running thread leaves its slice now: a signal taken on the way back from a system call (raise(SIGSTOP))
  // was followed by the rest of the slice, and the child ran on (a reviewing helper's finding).
  proc.reschedule = true;
  notifyParent(proc, CLD_STOPPED, signo);
}

/** Sends `proc`'s parent `SIGCHLD` for a stop or continuation, unless it asked not to hear of those. */
function notifyParent(proc: Process, code: number, status: number): void {
  const parent = proc.parent;
  if (parent === undefined || parent.exitStatus !== null) return;
  if ((parent.signals.actions[SIGCHLD].flags & SA_NOCLDSTOP) !== 0n) return;
  sendSignal(parent, { signo: SIGCHLD, code, pid: proc.pid, uid: proc.creds.uid.real, tid: 0, status });
}

/** Drops the pending signals numbered in `signos`, the process's and each thread's. */
function discardPending(proc: Process, signos: ReadonlySet<number>): void {
  for (const queue of [proc.signals.pending, ...[...proc.threads.values()].map((t) => t.pending)]) {
    for (let i = queue.length - 1; i >= 0; i--) {
      if (!signos.has(queue.at(i)!.signo)) continue;
      queue.removeAt(i);
      proc.signals.count--;
    }
  }
}

/**
 * Raises a synchronous fault on thread `t` (Linux `force_sig_fault`): a
 * handler that is blocked or ignored cannot help, so the signal is then
 * unblocked and its default action restored, and it is taken before any
 * other.
 */
export function forceSignal(proc: Process, t: ThreadState, sig: PendingSignal): void {
  const bit = sigbit(sig.signo);
  const action = proc.signals.actions[sig.signo];
  if (action.handler === SIG_IGN || (t.blocked & bit) !== 0n) {
    proc.signals.actions[sig.signo] = { handler: SIG_DFL, flags: 0n, mask: 0n };
    t.blocked &= ~bit;
  }
  t.pending.unshift({ ...sig, tid: t.tid });
  proc.signals.count++;
}

/** Removes and returns the next signal thread `t` takes, or undefined when none is deliverable. */
export function dequeueSignal(proc: Process, t: ThreadState): PendingSignal | undefined {
  // The mask that counts is the one the thread runs with while it waits (sigsuspend's).
  for (const queue of [t.pending, proc.signals.pending]) {
    const i = queue.next(t.blocked);
    if (i >= 0) {
      proc.signals.count--;
      return queue.removeAt(i);
    }
  }
  return undefined;
}

/** True when thread `t` has a signal it would take now. */
export function hasDeliverable(proc: Process, t: ThreadState): boolean {
  if (proc.signals.count === 0) return false;
  if (t.pending.next(t.blocked) >= 0) return true;
  if (proc.signals.pending.length === 0) return false;
  // A process-directed signal wakes one thread: the one Linux would choose.
  const i = proc.signals.pending.next(t.blocked);
  return i >= 0 && targetThread(proc, proc.signals.pending.at(i)!.signo) === t;
}

/**
 * What taking the next signal would do to a thread blocked in a system
 * call: run a handler (its disposition is returned: the call is
 * interrupted), "die", or nothing (undefined; ignored signals are dropped
 * here, as they never wake a sleeping thread in Linux).
 */
export function signalEffect(proc: Process, t: ThreadState): SigAction | "die" | undefined {
  while (hasDeliverable(proc, t)) {
    const own = t.pending.next(t.blocked);
    const queue = own >= 0 ? t.pending : proc.signals.pending;
    const i = own >= 0 ? own : queue.next(t.blocked);
    const sig = queue.at(i)!;
    const action = proc.signals.actions[sig.signo];
    if (action.handler !== SIG_DFL && action.handler !== SIG_IGN) return action;
    if (sig.signo === SIGKILL || (action.handler === SIG_DFL && defaultAction(sig.signo) !== "ignore")) return "die";
    queue.removeAt(i);
    proc.signals.count--;
    // A stop leaves the call waiting, in a process that runs no more until it is continued.
    if (stops(proc, sig.signo)) {
      stopProcess(proc, sig.signo);
      return undefined;
    }
  }
  return undefined;
}

/**
 * Delivers the signals thread `t` can take now, as on a return to user
 * mode: ignored ones are dropped, a fatal one ends the process, and each
 * one with a handler gets a frame (the last one set up runs first). When
 * no handler ran, a mask saved by `sigsuspend`/`ppoll` is put back.
 * Returns true when a handler was set up.
 */
export function deliverSignals(proc: Process, t: ThreadState, hooks?: VcpuHooks): boolean {
  let handled = false;
  for (let guard = 0; guard <= NSIG * 4 && proc.exitStatus === null; guard++) {
    const sig = dequeueSignal(proc, t);
    if (sig === undefined) break;
    const action = proc.signals.actions[sig.signo];
    if (proc.strace && action.handler !== SIG_IGN) {
      proc.log.write(`--- ${fmtSignal(BigInt(sig.signo))} ${fmtSiginfo(encodeSiginfo(sig), isFault(sig))} ---\n`);
    }
    if (sig.signo === SIGKILL) {
      dieOfSignal(proc, SIGKILL);
      break;
    }
    if (action.handler === SIG_IGN) continue;
    if (action.handler === SIG_DFL) {
      if (stops(proc, sig.signo)) {
        stopProcess(proc, sig.signo);
        break;
      }
      if (defaultAction(sig.signo) === "ignore") continue;
      dieOfSignal(proc, sig.signo);
      break;
    }
    if (!setupFrame(proc, t, sig, hooks)) {
      // Linux's force_sigsegv: a frame that cannot be written kills with SIGSEGV.
      dieOfSignal(proc, SIGSEGV);
      break;
    }
    handled = true;
  }
  if (!handled && t.savedMask !== undefined) {
    t.blocked = t.savedMask;
    t.savedMask = undefined;
  }
  return handled;
}

/** Pushes the frame for `sig` and points `t`'s vCPU at the handler; false when the frame cannot be written. */
function setupFrame(proc: Process, t: ThreadState, sig: PendingSignal, hooks: VcpuHooks | undefined): boolean {
  const cpu = t.cpu;
  const action = proc.signals.actions[sig.signo];
  const onStack = t.onAltStack(cpu.getXNumber(2));
  let sp = cpu.getXNumber(2);
  const vector = proc.extensions.has("v"), size = frameSize(vector);
  if (onStack && !t.onAltStack(sp - size)) return false;
  if ((action.flags & BigInt(SA_ONSTACK)) !== 0n && t.altStackSize !== 0 && !onStack) {
    sp = t.altStackSp + t.altStackSize;
  }
  const frame = Math.floor((sp - size) / 16) * 16;
  const stack: StackT = { sp: t.altStackSp, flags: t.altStackFlags, size: t.altStackSize };
  const mask = t.savedMask ?? t.blocked;
  try {
    if (frame < 0) throw new GuestMemoryError(frame, "write", false);
    writeSigframe(proc.mem, frame, cpu, encodeSiginfo(sig), stack, mask, vector);
  } catch (err) {
    if (err instanceof GuestMemoryError) return false;
    throw err;
  }
  t.savedMask = undefined;
  if (t.altStackFlags & SS_AUTODISARM) {
    t.altStackSp = 0;
    t.altStackSize = 0;
    t.altStackFlags = SS_DISABLE;
  }
  const from = cpu.pc, handler = Number(BigInt.asUintN(64, action.handler));
  cpu.setXNumber(1, proc.sigreturnAddr);
  cpu.setXNumber(2, frame);
  cpu.setXNumber(10, sig.signo);
  cpu.setXNumber(11, frame);
  cpu.setXNumber(12, frame + SIGINFO_SIZE);
  cpu.pc = handler;
  // Like the kernel's return to user mode, a signal breaks any LR reservation.
  cpu.reservation = -1;
  const flags = action.flags;
  t.blocked = (t.blocked | action.mask | ((flags & BigInt(SA_NODEFER)) ? 0n : sigbit(sig.signo))) & ~UNBLOCKABLE;
  if (flags & BigInt(SA_RESETHAND)) proc.signals.actions[sig.signo] = { ...action, handler: SIG_DFL };
  hooks?.discon(cpu, DISCON.EXCEPTION, from, handler);
  return true;
}

/**
 * `rt_sigreturn`: restores the registers, mask and alternate stack saved
 * in the frame at the stack pointer. A frame that cannot be read (or
 * whose reserved word is set) kills the thread's process with SIGSEGV, as
 * Linux's `force_sig(SIGSEGV)` does.
 */
export function sigreturn(proc: Process, t: ThreadState, cpu: Cpu): void {
  let saved: { mask: bigint; stack: StackT };
  try {
    saved = readSigframe(proc.mem, cpu.getXNumber(2), cpu, proc.extensions.has("v"));
  } catch (err) {
    if (!(err instanceof GuestMemoryError || err instanceof BadFrame)) throw err;
    forceSignal(proc, t, { signo: SIGSEGV, code: SI_KERNEL, pid: 0, uid: 0, tid: t.tid });
    return;
  }
  t.blocked = saved.mask & ~UNBLOCKABLE;
  restoreAltStack(t, saved.stack, cpu.getXNumber(2));
}

/** `restore_altstack`: `sigaltstack` with the saved values, its errors ignored. */
function restoreAltStack(t: ThreadState, ss: StackT, sp: number): void {
  if (t.onAltStack(sp)) return;
  const mode = ss.flags & ~SS_AUTODISARM;
  if (mode === SS_DISABLE) {
    t.altStackSp = 0;
    t.altStackSize = 0;
    t.altStackFlags = SS_DISABLE;
  } else if (mode === 0 || mode === 1) {
    t.altStackSp = ss.sp;
    t.altStackSize = ss.size;
    t.altStackFlags = (ss.flags & SS_AUTODISARM) >>> 0;
  }
}
