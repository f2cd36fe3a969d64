/**
 * POSIX per-process timers (`timer_create`, `timer_settime`,
 * `timer_gettime`, `timer_getoverrun`, `timer_delete`): coreutils'
 * `timeout` arms one for a fraction of a second, and with them missing
 * (ENOSYS) fell back to `alarm`, whole seconds (`timeout 0.3 sleep 5` ran
 * 1.2 s). A timer counts wall-clock time (`CLOCK_REALTIME`,
 * `CLOCK_MONOTONIC`, `CLOCK_BOOTTIME`, `CLOCK_TAI`) or the time the guest
 * runs (the CPU-time clocks, as `ITIMER_PROF` does: `itimers.ts`), and on
 * expiry queues its signal with `si_code` `SI_TIMER`, its id, its overrun
 * and its `sigev_value` — to the process, or with `SIGEV_THREAD_ID` to one
 * thread (glibc's `SIGEV_THREAD` is that, to a helper thread it starts) —
 * or nothing (`SIGEV_NONE`). The scheduler asks {@link PosixTimers.expire}
 * between time slices, as for the interval timers. `execve` deletes them,
 * and a forked child has none, as in Linux.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import type { PendingSignal } from "./signals.ts";

/** `si_code` of a timer's signal. */
const SI_TIMER = -2;
/** `sigev_notify`: a signal to the process. */
export const SIGEV_SIGNAL = 0;
/** `sigev_notify`: nothing (the timer is only read). */
export const SIGEV_NONE = 1;
/** `sigev_notify`: a signal to thread `sigev_notify_thread_id`. */
export const SIGEV_THREAD_ID = 4;
/** Most timers a process may have (Linux bounds them by the pending-signal limit; this is its usual default). */
export const MAX_TIMERS = 63_459;

/** How a new timer notifies: its signal, to whom, and the value its signal carries. */
export interface TimerEvent {
  notify: number;
  signo: number;
  /** Target thread for `SIGEV_THREAD_ID`, else 0. */
  tid: number;
  /** `sigev_value`: undefined for the timer's id (a timer made without a `sigevent`). */
  value?: bigint;
}

interface PosixTimer extends TimerEvent {
  value: bigint;
  /** The clock's id, or "cpu" for the guest's run time (the CPU-time clocks). */
  clock: number | "cpu";
  /** True for a CPU-time clock, false for wall-clock time. */
  cpu: boolean;
  /** Expiry on the timer's clock in ms (`performance.now()` or the run time); 0 when disarmed. */
  at: number;
  /** Reload interval in ms; 0 for a one-shot timer. */
  interval: number;
  /** Expirations beyond the one signalled, at the last expiry (`timer_getoverrun`). */
  overrun: number;
  /** Its last signal, while it may still be pending: expiries meanwhile add to its overrun instead. */
  queued: PendingSignal | undefined;
}

/**
 * A process's POSIX timers, by id.
 *
 * @example A one-shot wall-clock timer
 * ```ts
 * import { PosixTimers, SIGEV_SIGNAL } from "./posix_timers.ts";
 * import { strictEqual } from "node:assert";
 * const timers = new PosixTimers();
 * const id = timers.create(1, { notify: SIGEV_SIGNAL, signo: 14, tid: 0, value: 7n }); // CLOCK_MONOTONIC
 * timers.set(id, 300, 0, 1000, 0);
 * strictEqual(timers.expire(1299, 0).length, 0);
 * strictEqual(timers.expire(1300, 0)[0].signo, 14); // SIGALRM, carrying 7
 * ```
 */
export class PosixTimers {
  private readonly timers = new Map<number, PosixTimer>();
  private nextId = 0;
  /** Wall-clock time (`performance.now()`) at which a wall-clock timer fires next, `Infinity` when none is armed. */
  next = Infinity;
  /** True while a CPU-time timer is armed: the scheduler then accounts run time. */
  counting = false;

  /** A new disarmed timer on wall clock `clock` or the guest's run time ("cpu"); returns its id. */
  create(clock: number | "cpu", event: TimerEvent): number {
    if (this.timers.size >= MAX_TIMERS) throw new SyscallError(E.EAGAIN, "Too many POSIX timers");
    // Linux gives ids from 0 up, going on after the highest given (not reusing a freed one at once).
    while (this.timers.has(this.nextId)) this.nextId = (this.nextId + 1) & 0x7fffffff;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0x7fffffff;
    const value = event.value ?? BigInt(id);
    this.timers.set(id, {
      ...event,
      value,
      clock,
      cpu: clock === "cpu",
      at: 0,
      interval: 0,
      overrun: 0,
      queued: undefined,
    });
    return id;
  }

  /** The clock of timer `id` (`EINVAL` for no such timer). */
  clockOf(id: number): number | "cpu" {
    return this.timer(id).clock;
  }

  private timer(id: number): PosixTimer {
    const t = this.timers.get(id);
    if (t === undefined) throw new SyscallError(E.EINVAL, `No timer ${id}`);
    return t;
  }

  /** Remaining time and interval of timer `id` in ms (`EINVAL` for no such timer). */
  get(id: number, now: number, runTime: number): { value: number; interval: number } {
    const t = this.timer(id);
    const value = t.at === 0 ? 0 : Math.max(t.at - (t.cpu ? runTime : now), 0.000001);
    return { value, interval: t.interval };
  }

  /** Arms timer `id` to fire `value` ms from now (0: disarms it), then every `interval` ms; returns its old setting. */
  set(id: number, value: number, interval: number, now: number, runTime: number): { value: number; interval: number } {
    const old = this.get(id, now, runTime);
    const t = this.timer(id);
    t.at = value > 0 ? (t.cpu ? runTime : now) + value : 0;
    t.interval = interval;
    t.overrun = 0;
    this.update();
    return old;
  }

  /** Expirations timer `id` missed at its last signal (`EINVAL` for no such timer). */
  overrun(id: number): number {
    return this.timer(id).overrun;
  }

  /** Deletes timer `id` (`EINVAL` for no such timer). */
  delete(id: number): void {
    this.timer(id);
    this.timers.delete(id);
    this.update();
  }

  /** Deletes every timer (`execve`). */
  clear(): void {
    this.timers.clear();
    this.update();
  }

  private update(): void {
    let next = Infinity, counting = false;
    for (const t of this.timers.values()) {
      if (t.at === 0) continue;
      if (t.cpu) counting = true;
      else next = Math.min(next, t.at);
    }
    this.next = next;
    this.counting = counting;
  }

  /**
   * The signals of the timers that expired by `now` (wall clock) or
   * `runTime` (the guest's run time); periodic ones are reloaded, counting
   * the periods they missed as overruns. A timer whose last signal is
   * still pending (`pending` says) queues no other: its expiries add to
   * that signal's overrun, as Linux's.
   */
  expire(now: number, runTime: number, pending: (sig: PendingSignal) => boolean = () => false): PendingSignal[] {
    const raised: PendingSignal[] = [];
    let changed = false;
    for (const [id, t] of this.timers) {
      const clock = t.cpu ? runTime : now;
      if (t.at === 0 || clock < t.at) continue;
      changed = true;
      // A late periodic timer fires once and keeps its phase, the periods it missed its overrun.
      const periods = t.interval > 0 ? Math.ceil((clock - t.at + 1e-9) / t.interval) : 1;
      t.at = t.interval > 0 ? t.at + periods * t.interval : 0;
      if (t.queued !== undefined && pending(t.queued)) {
        t.overrun = Math.min(t.overrun + periods, 0x7fffffff);
        new DataView(t.queued.info!.buffer).setInt32(20, t.overrun, true);
        continue;
      }
      t.overrun = Math.min(periods - 1, 0x7fffffff);
      if (t.notify === SIGEV_NONE) continue;
      t.queued = { signo: t.signo, code: SI_TIMER, pid: 0, uid: 0, tid: t.tid, info: timerInfo(t, id) };
      raised.push(t.queued);
    }
    if (changed) this.update();
    return raised;
  }
}

/** A timer signal's `siginfo_t`: signo, errno, `SI_TIMER`, then `si_tid` (the timer's id), `si_overrun`, `si_value`. */
function timerInfo(t: PosixTimer, id: number): Uint8Array {
  const info = new Uint8Array(128), v = new DataView(info.buffer);
  v.setInt32(0, t.signo, true);
  v.setInt32(8, SI_TIMER, true);
  v.setInt32(16, id, true);
  v.setInt32(20, t.overrun, true);
  v.setBigUint64(24, BigInt.asUintN(64, t.value), true);
  return info;
}
