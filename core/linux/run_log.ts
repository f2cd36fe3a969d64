/**
 * What the rest of plume asks of a run being recorded (`-record`) or
 * replayed (`-replay`): the points where the outside world enters a run.
 * The implementation is `record_replay.ts`; this interface keeps the
 * process, the system-call dispatcher and the scheduler free of it (and
 * of an import cycle through `Process`).
 *
 * @module
 */

import type { PendingSignal } from "./signals.ts";

/** A system call as the dispatcher hands it over. */
export interface LoggedCall {
  /** Thread id of the caller. */
  readonly tid: number;
  /** Number (riscv64) and name. */
  readonly nr: number;
  readonly name: string;
  /** a0..a5. */
  readonly args: readonly number[];
}

/** A signal raised from outside the guest (an interval timer, a host signal). */
export interface RaisedSignal {
  signo: number;
  /** `si_code`: `SI_KERNEL` for interval timers, `SI_USER` for host signals, `SI_TIMER` for POSIX timers. */
  code: number;
  /** The whole signal when it carries more (a POSIX timer's: its thread, id, overrun and value). */
  full?: PendingSignal;
}

/** A run being recorded or replayed. */
export interface RunLog {
  /** True while replaying (no input is taken from outside). */
  readonly replaying: boolean;
  /**
   * Performs a system call: `run(args)` runs its handler (the result or
   * `-errno`; throws `Blocked` when the thread must wait). Recording runs it
   * and writes down what came in; replaying runs again only the calls that
   * change nothing but the emulator's own state, and gives every other one
   * its recorded result and memory writes.
   */
  syscall(call: LoggedCall, run: (args: readonly number[]) => number): number;
  /**
   * True while slices must count blocks: from the first system call after
   * which something can interrupt the guest from outside or another thread
   * can run (a second thread, `setitimer`, a handler for a signal plume
   * listens for), and in a process that forked or was forked while it
   * catches a signal. Otherwise nothing depends on where a slice ends, and
   * the run goes at full speed (regions, slices by time). The call that
   * starts or stops counting ends its slice, so counting changes at the
   * same instruction in the recording and the replay.
   */
  readonly counting: boolean;
  /** The scheduler is about to run a slice (counted only while {@link counting}). */
  slice(): void;
  /** Recording: signals raised from outside before the next slice (written down). */
  raised(signals: readonly RaisedSignal[]): void;
  /**
   * Signals from outside that reach the process before the next slice, for the scheduler to raise. Replaying: those
   * the recording has there (timers', host signals, other processes': `kill`, `SIGCHLD`), in the order they came.
   * Recording: other processes' signals held for a process that does not count, now that it waits.
   */
  recordedSignals(): PendingSignal[];
  /**
   * A signal plume raises in this process for another one (`SIGCHLD` when a child ends): recording, it is sent
   * and written down with the slice it came before; replaying, it is not sent (the recording has it).
   */
  fromProcess(sig: PendingSignal): void;
  /** Replaying: signals were sent to plume (Ctrl-C): the replay stops (throws), since the recording has none there. */
  interrupted(signos: readonly number[]): never;
  /**
   * Replaying: no thread can run. True when the process is to wait (the recorded run ended while it still ran);
   * false for a deadlock that was recorded; throws when the recording has the process going on.
   */
  stalled(): boolean;
  /** Replaying: no process can go on: the recording lacks what would end a wait (throws). */
  stuck(): never;
  /**
   * The process has ended (`status`) and is about to go: true when it may go now, having called `end` (which takes
   * its vCPUs away: its plugins print their results). A replay lets the ends of processes go in the recorded order,
   * each at its turn: after the output recorded before it, and before the output recorded after it.
   */
  ending(status: number, end: () => void): boolean;
  /** Reads of `time`/`cycle`/`instret`: `real` is the host's value; returns the one the guest gets. */
  counter(real: number): number;
}
