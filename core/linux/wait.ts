/**
 * Blocking system calls. Every guest thread runs on plume's one JavaScript
 * thread, so a call that would sleep in Linux (a futex wait, a read from an
 * empty pipe, `nanosleep`) must not stop the host: its handler throws
 * {@link Blocked} with a {@link Waiter}, the thread leaves the run queue,
 * and the scheduler asks the waiter from time to time whether the call is
 * over. A signal that interrupts the wait ends it the way Linux's restart
 * codes say ({@link RestartPolicy}).
 *
 * @module
 */

import type { HostPollFd } from "./host_poll.ts";

/**
 * What a signal handler does to an interrupted call, after Linux's
 * `-ERESTART*` codes:
 * - `"restart"` (`ERESTARTSYS`): the call starts again after the handler
 *   when the handler has `SA_RESTART`, else it fails with `EINTR`;
 * - `"eintr"` (`ERESTARTNOHAND`, `ERESTART_RESTARTBLOCK`): it fails with
 *   `EINTR` whenever a handler runs.
 *
 * A signal whose action is to ignore it never interrupts anything.
 */
export type RestartPolicy = "restart" | "eintr";

/** A system call waiting for something. */
export interface Waiter {
  /** What the thread waits for, in words (for the deadlock report). */
  readonly what: string;
  /** `performance.now()` time at which the wait times out; `Infinity` for none. */
  readonly deadline: number;
  /** How a signal handler ends the wait. */
  readonly restart: RestartPolicy;
  /**
   * True for the calls Linux fails with `EINTR` once their process was
   * stopped and continued, even without a handler (signal(7): `epoll_wait`,
   * `sigtimedwait`, `sigwaitinfo`): a stop ends the wait.
   */
  readonly endsOnStop?: boolean;
  /**
   * Host descriptors whose readiness may end the wait (a read of the
   * host's stdin): when every thread waits, the scheduler sleeps in a host
   * `poll` on them instead of calling this a deadlock.
   */
  readonly hostFds?: readonly HostPollFd[];
  /**
   * The call's result (a non-negative value or `-errno`) once the wait is
   * over, or undefined to go on waiting. `now` is `performance.now()`; a
   * waiter whose deadline has passed must return its timeout result.
   */
  poll(now: number): number | undefined;
  /**
   * The wait is abandoned (a signal interrupted it, or the thread is going
   * away): undo what waiting registered (a futex queue entry) and do what
   * Linux does on interruption (write the remaining time of a sleep).
   */
  cancel(): void;
  /**
   * The call's result when a signal handler interrupts it after part of it
   * was done (a stream `send` that sent some bytes returns their count, as
   * Linux's does, neither `EINTR` nor a restart that would send them
   * again); undefined, or absent, when nothing was done.
   */
  partial?(): number | undefined;
}

/**
 * Thrown by a system-call handler to say that its thread must wait.
 *
 * @example A handler that sleeps for 5 ms
 * ```ts
 * import { Blocked } from "./wait.ts";
 * import { strictEqual } from "node:assert";
 * const until = performance.now() + 5;
 * const err = new Blocked({
 *   what: "nanosleep", deadline: until, restart: "eintr",
 *   poll: (now) => (now >= until ? 0 : undefined), cancel() {},
 * });
 * strictEqual(err.waiter.what, "nanosleep");
 * ```
 */
export class Blocked extends Error {
  /** The wait. */
  readonly waiter: Waiter;
  /** @param waiter what the thread waits for */
  constructor(waiter: Waiter) {
    super(`Blocked: ${waiter.what}`);
    this.name = "Blocked";
    this.waiter = waiter;
  }
}

/**
 * A waiter for a condition another thread brings about: `ready()` is asked
 * first, then `result()` gives the call's result (typically the call done
 * again now that it can succeed).
 *
 * @param what description for the deadlock report
 * @param ready true once the call can complete
 * @param result the call's result once ready (may throw `SyscallError`, which the caller turns into `-errno`)
 * @param restart how signal handlers end the wait
 * @param deadline timeout (`performance.now()` time), with `timeoutResult` then
 */
export function waitUntil(
  what: string,
  ready: () => boolean,
  result: () => number,
  restart: RestartPolicy,
  deadline = Infinity,
  timeoutResult = 0,
  hostFds?: readonly HostPollFd[],
): Waiter {
  return {
    what,
    deadline,
    restart,
    hostFds,
    poll: (now) => (ready() ? result() : now >= deadline ? timeoutResult : undefined),
    cancel() {},
  };
}
