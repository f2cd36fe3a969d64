/**
 * Signals sent to plume itself (Ctrl-C, `kill`), passed on to the guest.
 *
 * As long as the guest leaves `SIGINT`, `SIGTERM`, `SIGHUP`, `SIGQUIT`,
 * `SIGUSR1`, `SIGUSR2` and `SIGWINCH` at their default action, plume does
 * not listen: the host's default action (ending plume, or ignoring
 * `SIGWINCH`) is what the guest's would be, and listening costs the run
 * loop its synchronous speed. While the guest catches or ignores one of
 * them, plume listens for it with `Deno.addSignalListener`. Listener
 * callbacks only run when the event loop does, which the synchronous CPU
 * loop never lets happen, so the scheduler then returns to the event loop
 * every 50 ms (a `setTimeout` of about 1 ms) and sleeps asynchronously
 * when all vCPUs wait; received signals are queued here and raised for the
 * guest between time slices. (A `Worker` listening and setting a flag in shared memory would
 * avoid the yields, but starting one costs about 25 ms of the main
 * thread: more than most runs.)
 *
 * @module
 */

import { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH } from "./signals.ts";

/** Host signals plume passes on, by guest (= Linux host) number. */
export const FORWARDED_SIGNALS: Readonly<Record<number, Deno.Signal>> = {
  [SIGHUP]: "SIGHUP",
  [SIGINT]: "SIGINT",
  [SIGQUIT]: "SIGQUIT",
  10: "SIGUSR1",
  12: "SIGUSR2",
  [SIGTERM]: "SIGTERM",
  [SIGWINCH]: "SIGWINCH",
};

/**
 * The host signals plume listens for and those received so far.
 *
 * @example
 * ```ts
 * import { HostSignals } from "./host_signals.ts";
 * import { deepStrictEqual } from "node:assert";
 * const h = new HostSignals();
 * h.listen(28); // SIGWINCH now reaches the guest
 * Deno.kill(Deno.pid, "SIGWINCH");
 * await new Promise((resolve) => setTimeout(resolve, 100)); // the event loop delivers it
 * deepStrictEqual(h.take(), [28]); // signal numbers received since the last take()
 * h.dispose();
 * ```
 */
export class HostSignals {
  private readonly listeners = new Map<number, () => void>();
  private received: number[] = [];
  /** Called when a signal arrives (wakes an idle scheduler). */
  onSignal: () => void = () => {};

  /** True once plume listens for any host signal: the scheduler must then let the event loop run. */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  /** Starts passing host signal `signo` on, if plume forwards it (idempotent). */
  listen(signo: number): void {
    const name = FORWARDED_SIGNALS[signo];
    if (name === undefined || this.listeners.has(signo)) return;
    const fn = () => {
      this.received.push(signo);
      this.onSignal();
    };
    try {
      Deno.addSignalListener(name, fn);
    } catch {
      // Not available on this host: the signal keeps its host default.
      return;
    }
    this.listeners.set(signo, fn);
  }

  /**
   * Stops passing host signal `signo` on (the guest set it back to its
   * default action, which the host's default does the same as).
   */
  unlisten(signo: number): void {
    const fn = this.listeners.get(signo);
    if (fn === undefined) return;
    Deno.removeSignalListener(FORWARDED_SIGNALS[signo], fn);
    this.listeners.delete(signo);
  }

  /** True when signals wait to be taken. */
  get pending(): boolean {
    return this.received.length > 0;
  }

  /** The signals received since the last call, in arrival order. */
  take(): number[] {
    const r = this.received;
    this.received = [];
    return r;
  }

  /** Stops listening: the host defaults apply again (at exit). */
  dispose(): void {
    for (const [signo, fn] of this.listeners) Deno.removeSignalListener(FORWARDED_SIGNALS[signo], fn);
    this.listeners.clear();
  }
}

/**
 * Keeps the host's `SIGXFSZ` from ending plume: a write past the host's
 * file-size limit then fails with `EFBIG` (the guest gets its own
 * `SIGXFSZ`: `syscalls.ts`), as qemu-user's handler keeps such a signal for
 * its guest. A listener, not the signal ignored: a handled signal is back to
 * its default in a host program plume starts (`execve` of one), an ignored
 * one would stay ignored there. Listened for in every run: the limit may be
 * set from outside once plume runs (`prlimit`).
 */
export function catchHostFileSizeSignal(): void {
  try {
    Deno.addSignalListener("SIGXFSZ", () => {});
  } catch {
    // Not available on this host: the signal keeps its host default.
  }
}
