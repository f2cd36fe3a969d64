/**
 * Signal state of the guest process: dispositions (`rt_sigaction`), the
 * process-directed pending queue, and Linux's signal numbers, codes and
 * default actions. Thread-directed signals wait in each thread's own queue
 * (`thread.ts`); generating, choosing and delivering signals is
 * `signal_delivery.ts`.
 *
 * @module
 */

/** Highest signal number (`_NSIG`). */
export const NSIG = 64;

/** `SIGHUP`. */
export const SIGHUP = 1;
/** `SIGINT`. */
export const SIGINT = 2;
/** `SIGQUIT`. */
export const SIGQUIT = 3;
/** `SIGILL`. */
export const SIGILL = 4;
/** `SIGTRAP`. */
export const SIGTRAP = 5;
/** `SIGABRT`. */
const SIGABRT = 6;
/** `SIGBUS`. */
export const SIGBUS = 7;
/** `SIGFPE`. */
export const SIGFPE = 8;
/** `SIGKILL`: cannot be caught, blocked or ignored. */
export const SIGKILL = 9;
/** `SIGSEGV`. */
export const SIGSEGV = 11;
/** `SIGPIPE`: write to a pipe with no reader. */
export const SIGPIPE = 13;
/** `SIGALRM`: `ITIMER_REAL` expired. */
export const SIGALRM = 14;
/** `SIGTERM`. */
export const SIGTERM = 15;
/** `SIGCHLD`. */
export const SIGCHLD = 17;
/** `SIGCONT`. */
export const SIGCONT = 18;
/** `SIGSTOP`: cannot be caught, blocked or ignored. */
export const SIGSTOP = 19;
/** `SIGXFSZ`: a write past the file-size limit. */
export const SIGXFSZ = 25;
/** `SIGTSTP`. */
const SIGTSTP = 20;
/** `SIGTTIN`. */
const SIGTTIN = 21;
/** `SIGTTOU`. */
const SIGTTOU = 22;
/** `SIGURG`. */
const SIGURG = 23;
/** `SIGVTALRM`: `ITIMER_VIRTUAL` expired. */
export const SIGVTALRM = 26;
/** `SIGPROF`: `ITIMER_PROF` expired. */
export const SIGPROF = 27;
/** `SIGWINCH`. */
export const SIGWINCH = 28;
/** `SIGSYS`. */
export const SIGSYS = 31;

/**
 * Linux's signal numbers by name (the guest's, and a Linux host's: the
 * names Deno uses for a child's death and for `kill`).
 *
 * @example
 * ```ts
 * import { SIGNAL_NUMBERS } from "./signals.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(SIGNAL_NUMBERS.SIGTERM, 15);
 * ```
 */
export const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** `si_code` of a signal sent by `kill`. */
export const SI_USER = 0;
/** `si_code` of a signal the kernel raised (e.g. `SIGPIPE`, `SIGALRM`). */
export const SI_KERNEL = 0x80;
/** `si_code` of a signal sent by `sigqueue`. */
export const SI_QUEUE = -1;
/** `si_code` of a signal sent by `tkill`/`tgkill`. */
export const SI_TKILL = -6;

/** `sa_flags`: run the handler on the alternate stack. */
export const SA_ONSTACK = 0x0800_0000;
/** `sa_flags`: restart interrupted system calls. */
export const SA_RESTART = 0x1000_0000;
/** `sa_flags`: do not block the signal while its handler runs. */
export const SA_NODEFER = 0x4000_0000;
/** `sa_flags`: reset the disposition to the default once the handler runs. */
export const SA_RESETHAND = 0x8000_0000;

/** Bits of `SIGKILL` and `SIGSTOP` in a signal mask. */
export const UNBLOCKABLE: bigint = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

/** The handler value of the default action. */
export const SIG_DFL = 0n;
/** The handler value that ignores the signal. */
export const SIG_IGN = 1n;

/** The bit of signal `signo` in a mask. */
export function sigbit(signo: number): bigint {
  return 1n << BigInt(signo - 1);
}

/** What the default action of a signal does (stopping is treated as ignoring, see {@link defaultAction}). */
export type DefaultAction = "term" | "core" | "ignore";

/** Signals whose default action dumps core (Linux `SIG_KERNEL_COREDUMP_MASK`). */
const CORE_SIGNALS = new Set([SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, 24, 25, SIGSYS]);
/** The stop signals (`SIG_KERNEL_STOP_MASK`). */
export const STOP_SIGNALS: ReadonlySet<number> = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);
/** Signals ignored by default (`SIG_KERNEL_IGNORE_MASK`) and the stop signals. */
const IGNORED_SIGNALS = new Set([SIGCHLD, SIGCONT, SIGURG, SIGWINCH, ...STOP_SIGNALS]);

/**
 * Linux's default action for `signo`. The stop signals (`SIGSTOP`,
 * `SIGTSTP`, `SIGTTIN`, `SIGTTOU`) stop a process until a `SIGCONT`: a
 * child process stops (`signal_delivery.ts`), the first process ignores
 * them, as nothing outside the sandbox could continue the guest (qemu-user
 * stops its whole host process instead), so this says "ignore".
 *
 * @example
 * ```ts
 * import { defaultAction } from "./signals.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(defaultAction(11), "core"); // SIGSEGV
 * strictEqual(defaultAction(15), "term"); // SIGTERM
 * strictEqual(defaultAction(17), "ignore"); // SIGCHLD
 * ```
 */
export function defaultAction(signo: number): DefaultAction {
  if (CORE_SIGNALS.has(signo)) return "core";
  if (IGNORED_SIGNALS.has(signo)) return "ignore";
  return "term";
}

/** One signal's disposition (riscv64 kernel `struct sigaction`: no restorer). */
export interface SigAction {
  /** Handler address, or {@link SIG_DFL} / {@link SIG_IGN}. */
  handler: bigint;
  /** `SA_*` flags. */
  flags: bigint;
  /** Signals blocked while the handler runs. */
  mask: bigint;
}

/** A raised signal waiting for delivery: the fields of the `siginfo_t` it will carry. */
export interface PendingSignal {
  /** Signal number. */
  signo: number;
  /** `si_code`. */
  code: number;
  /** Sender's pid (`si_pid`). */
  pid: number;
  /** Sender's uid (`si_uid`). */
  uid: number;
  /** Target thread for `tgkill`/`tkill` and faults, or 0 for the whole process. */
  tid: number;
  /** `si_addr` of a fault. */
  addr?: number;
  /** `si_value` of `sigqueue`. */
  value?: bigint;
  /** `si_status` of a `SIGCHLD` for a child's end: its exit code, or the signal that killed it. */
  status?: number;
  /** A whole `siginfo_t` given by the sender (`rt_sigqueueinfo`): used as is. */
  info?: Uint8Array;
}

/**
 * Signals taken before others of the same thread (Linux `SYNCHRONOUS_MASK`: faults), as a 32-bit word: bit s−1
 * for signal s (all of them are below 32).
 */
const SYNCHRONOUS_LO = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS].reduce((m, s) => m | 1 << (s - 1), 0);

/**
 * Pending signals in the order they came, with the set of signal numbers
 * present kept beside them, so that finding the next deliverable signal
 * looks at two words rather than the queue: a guest may queue up to
 * RLIMIT_SIGPENDING real-time signals it blocks (`kill` and `sigqueue`
 * floods), and the check runs after every system call.
 *
 * @example
 * ```ts
 * import { SignalQueue } from "./signals.ts";
 * import { strictEqual } from "node:assert";
 * const q = new SignalQueue();
 * q.push({ signo: 40, code: 0, pid: 1, uid: 0, tid: 0 });
 * q.push({ signo: 10, code: 0, pid: 1, uid: 0, tid: 0 });
 * strictEqual(q.next(0n), 1); // the lowest number first
 * strictEqual(q.next(1n << 9n), 0); // SIGUSR1 blocked: the real-time one
 * ```
 */
export class SignalQueue {
  #items: PendingSignal[] = [];
  /** How many of each signal number are queued. */
  readonly #counts = new Int32Array(NSIG + 1);
  /** Numbers present: bit s−1 of `#lo` for s ≤ 32, bit s−33 of `#hi`. */
  #lo = 0;
  #hi = 0;

  /** How many signals are queued. */
  get length(): number {
    return this.#items.length;
  }

  /** The signal at position `i` (0 is the oldest). */
  at(i: number): PendingSignal | undefined {
    return this.#items[i];
  }

  /** Whether a `signo` is queued. */
  has(signo: number): boolean {
    return this.#counts[signo] > 0;
  }

  /** Queues `sig` last. */
  push(sig: PendingSignal): void {
    this.#items.push(sig);
    this.#added(sig.signo);
  }

  /** Queues `sig` first (a fault, or a signal given back). */
  unshift(sig: PendingSignal): void {
    this.#items.unshift(sig);
    this.#added(sig.signo);
  }

  /** Removes and returns the signal at position `i`. */
  removeAt(i: number): PendingSignal {
    const [sig] = this.#items.splice(i, 1);
    if (--this.#counts[sig.signo] === 0) {
      if (sig.signo <= 32) this.#lo &= ~(1 << (sig.signo - 1));
      else this.#hi &= ~(1 << (sig.signo - 33));
    }
    return sig;
  }

  /** Removes every signal; returns how many there were. */
  clear(): number {
    const n = this.#items.length;
    this.#items = [];
    this.#counts.fill(0);
    this.#lo = this.#hi = 0;
    return n;
  }

  /** Position of `sig` itself, or −1. */
  indexOf(sig: PendingSignal): number {
    return this.#items.indexOf(sig);
  }

  /**
   * Position of the signal Linux's `next_signal` takes with mask `blocked`:
   * synchronous faults first, then the lowest number, the oldest of that
   * number; −1 when every queued signal is blocked.
   */
  next(blocked: bigint): number {
    const lo = this.#lo & ~(Number(blocked & 0xffff_ffffn) | 0);
    const hi = this.#hi & ~(Number((blocked >> 32n) & 0xffff_ffffn) | 0);
    if ((lo | hi) === 0) return -1;
    const sync = lo & SYNCHRONOUS_LO;
    const word = sync !== 0 ? sync : lo !== 0 ? lo : hi;
    const signo = 31 - Math.clz32(word & -word) + (sync !== 0 || lo !== 0 ? 1 : 33);
    for (let i = 0; i < this.#items.length; i++) if (this.#items[i].signo === signo) return i;
    return -1; // not reached: the counts say one is queued
  }

  [Symbol.iterator](): Iterator<PendingSignal> {
    return this.#items[Symbol.iterator]();
  }

  #added(signo: number): void {
    if (this.#counts[signo]++ === 0) {
      if (signo <= 32) this.#lo |= 1 << (signo - 1);
      else this.#hi |= 1 << (signo - 33);
    }
  }
}

/**
 * Process-wide signal state.
 *
 * @example A disposition and the pending counter
 * ```ts
 * import { SignalState } from "./signals.ts";
 * import { strictEqual } from "node:assert";
 * const s = new SignalState();
 * strictEqual(s.actions[2].handler, 0n); // SIG_DFL
 * strictEqual(s.count, 0);
 * ```
 */
export class SignalState {
  /** Dispositions, indexed by signal number (index 0 unused). */
  readonly actions: SigAction[] = Array.from({ length: NSIG + 1 }, () => ({ handler: 0n, flags: 0n, mask: 0n }));
  /** Process-directed signals not yet delivered, oldest first. */
  readonly pending: SignalQueue = new SignalQueue();
  /**
   * Signals pending anywhere in the process (this queue and every
   * thread's): while it is 0, the check after each system call is one
   * comparison.
   */
  count = 0;
  /** Called after a signal is queued, for observers (tests watch what was raised). */
  onRaise: (sig: PendingSignal) => void = () => {};

  /** The dispositions `fork` gives the child (no pending signals: those stay with the parent). */
  copy(): SignalState {
    const c = new SignalState();
    this.actions.forEach((a, i) => c.actions[i] = { ...a });
    return c;
  }

  /** True when the disposition of `signo` makes the kernel drop it: ignored explicitly or by default. */
  ignores(signo: number): boolean {
    const h = this.actions[signo].handler;
    return h === SIG_IGN || (h === SIG_DFL && defaultAction(signo) === "ignore");
  }
}
