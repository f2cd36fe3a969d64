/**
 * Signal bookkeeping of the guest: dispositions (`rt_sigaction`), each
 * thread's blocked mask and alternate stack, and the signals raised with
 * `kill`/`tgkill`/`tkill` or by the kernel side (`SIGPIPE`).
 *
 * Nothing here delivers a signal. Raised signals are queued in
 * {@link SignalState.pending} and announced through
 * {@link SignalState.onRaise}: that is the hook for the delivery code.
 *
 * @module
 */

/** Highest signal number (`_NSIG`). */
export const NSIG = 64;
/** `SIGKILL`: cannot be caught, blocked or ignored. */
export const SIGKILL = 9;
/** `SIGPIPE`: write to a pipe with no reader. */
export const SIGPIPE = 13;
/** `SIGSTOP`: cannot be caught, blocked or ignored. */
export const SIGSTOP = 19;

/** `si_code` of a signal sent by `kill`. */
export const SI_USER = 0;
/** `si_code` of a signal sent by `tkill`/`tgkill`. */
export const SI_TKILL = -6;
/** `si_code` of a signal the kernel raised (e.g. `SIGPIPE`). */
export const SI_KERNEL = 0x80;

/** Bits of `SIGKILL` and `SIGSTOP` in a signal mask. */
export const UNBLOCKABLE: bigint = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

/** The handler value of the default action. */
export const SIG_DFL = 0n;
/** The handler value that ignores the signal. */
export const SIG_IGN = 1n;

/** One signal's disposition (riscv64 kernel `struct sigaction`: no restorer). */
export interface SigAction {
  /** Handler address, or {@link SIG_DFL} / {@link SIG_IGN}. */
  handler: bigint;
  /** `SA_*` flags. */
  flags: bigint;
  /** Signals blocked while the handler runs. */
  mask: bigint;
}

/** A raised signal waiting for delivery. */
export interface PendingSignal {
  /** Signal number. */
  signo: number;
  /** `si_code`. */
  code: number;
  /** Sender's pid (`si_pid`). */
  pid: number;
  /** Sender's uid (`si_uid`). */
  uid: number;
  /** Target thread for `tgkill`/`tkill`, or 0 for the whole process. */
  tid: number;
}

/**
 * Process-wide signal state.
 *
 * @example Record a signal and observe it through the hook
 * ```ts
 * import { SignalState, SI_TKILL } from "./signals.ts";
 * const s = new SignalState();
 * const seen: number[] = [];
 * s.onRaise = (sig) => seen.push(sig.signo);
 * s.raise({ signo: 6, code: SI_TKILL, pid: 100, uid: 0, tid: 100 });
 * console.log(seen, s.pending.length); // [ 6 ] 1
 * ```
 */
export class SignalState {
  /** Dispositions, indexed by signal number (index 0 unused). */
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: 0n, flags: 0n, mask: 0n }));
  /** Raised signals not yet delivered, oldest first. */
  readonly pending: PendingSignal[] = [];
  /** Called after each signal is queued; the delivery code replaces it. */
  onRaise: (sig: PendingSignal) => void = () => {};

  /** Queues a signal and calls {@link onRaise}. */
  raise(sig: PendingSignal): void {
    this.pending.push(sig);
    this.onRaise(sig);
  }
}

/** `sigaltstack` flag: the thread is running on the alternate stack. */
export const SS_ONSTACK = 1;
/** `sigaltstack` flag: no alternate stack. */
export const SS_DISABLE = 2;
/** `sigaltstack` flag: disarm the stack while a handler runs on it. */
export const SS_AUTODISARM = 0x8000_0000;

/** State Linux keeps per thread, as far as system calls see it. */
export class ThreadState {
  /** Thread id. */
  readonly tid: number;
  /** Blocked signals. */
  blocked = 0n;
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

  /** @param tid thread id */
  constructor(tid: number) {
    this.tid = tid;
  }
}
