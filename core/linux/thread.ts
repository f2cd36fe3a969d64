/**
 * A guest thread: the vCPU that runs it and what Linux keeps per task —
 * signal mask and thread-directed pending signals, alternate signal stack,
 * `set_tid_address` and robust-list pointers, and the system call it is
 * blocked in, if any.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { SignalQueue } from "./signals.ts";
import type { Waiter } from "./wait.ts";

/** `sigaltstack` flag: the thread is running on the alternate stack. */
export const SS_ONSTACK = 1;
/** `sigaltstack` flag: no alternate stack. */
export const SS_DISABLE = 2;
/** `sigaltstack` flag: disarm the stack while a handler runs on it. */
export const SS_AUTODISARM = 0x8000_0000;

/** A system call a thread is blocked in, kept to finish it later. */
export interface BlockedCall {
  /** What it waits for. */
  readonly waiter: Waiter;
  /** The call's number (its definition is the system-call table's entry for it). */
  readonly nr: number;
  /** Raw argument registers, for the `-strace` result (undefined without `-strace`). */
  readonly straceArgs: readonly bigint[] | undefined;
  /**
   * For a wait a stop ends (`Waiter.endsOnStop`), what the stop found: the
   * call's result when it had one already (events ready, the signal
   * pending), else `-EINTR`, the result once the process runs again.
   */
  resultAtStop?: number;
}

/**
 * State of one thread.
 *
 * @example
 * ```ts
 * import { ThreadState } from "./thread.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { strictEqual } from "node:assert";
 * const t = new ThreadState(100, new Cpu());
 * strictEqual(t.tid, 100);
 * strictEqual(t.blocked, 0n); // no signal blocked
 * strictEqual(t.call, undefined); // not in a blocking call
 * ```
 */
export class ThreadState {
  /** Thread id (a thread that calls `execve` takes the pid). */
  tid: number;
  /** The vCPU running it. */
  readonly cpu: Cpu;
  /** Blocked signals. */
  blocked = 0n;
  /**
   * Mask to put back once the current system call is over (`sigsuspend`,
   * `ppoll` and `pselect6` wait with a temporary mask; a handler run in
   * between returns to this one), or undefined.
   */
  savedMask: bigint | undefined;
  /** Signals sent to this thread (`tgkill`, faults), oldest first. */
  readonly pending: SignalQueue = new SignalQueue();
  /** Alternate signal stack base. */
  altStackSp = 0;
  /** Alternate signal stack size. */
  altStackSize = 0;
  /** `SS_DISABLE` or `SS_AUTODISARM` as set by `sigaltstack`. */
  altStackFlags = SS_DISABLE;
  /** `set_tid_address` pointer, cleared and woken when the thread exits. */
  clearChildTid = 0;
  /** `set_robust_list` head. */
  robustListHead = 0;
  /** `set_robust_list` length. */
  robustListLen = 0;
  /** The system call the thread is blocked in, or undefined while it can run. */
  call: BlockedCall | undefined;
  /** Set by `exit`: the thread is gone once its system call returns to the scheduler. */
  exited = false;
  /**
   * The name of a thread other than the process's first (`PR_SET_NAME`,
   * given each thread on its own): its creator's when it was made. The
   * first thread's is the process's (`Process.comm`).
   */
  name: string | undefined = undefined;

  /**
   * @param tid thread id
   * @param cpu its vCPU
   */
  constructor(tid: number, cpu: Cpu) {
    this.tid = tid;
    this.cpu = cpu;
  }

  /**
   * True when `sp` lies on this thread's alternate signal stack (Linux's
   * `on_sig_stack`: never with `SS_AUTODISARM`, which disarms the stack
   * while a handler runs on it).
   */
  onAltStack(sp: number): boolean {
    if (this.altStackFlags & (SS_DISABLE | SS_AUTODISARM)) return false;
    return sp > this.altStackSp && sp - this.altStackSp <= this.altStackSize;
  }
}
