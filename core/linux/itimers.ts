/**
 * Interval timers (`setitimer`, `getitimer`; glibc's `alarm` is
 * `setitimer(ITIMER_REAL)`). `ITIMER_REAL` counts wall-clock time and
 * raises `SIGALRM`. `ITIMER_VIRTUAL` (`SIGVTALRM`) and `ITIMER_PROF`
 * (`SIGPROF`) count the time the guest runs: plume measures that as the
 * wall time its vCPUs spend executing, system calls included, which is
 * what the process's user (and system) CPU time amounts to on one thread.
 * The scheduler checks {@link IntervalTimers.next} between time slices.
 *
 * @module
 */

import { SIGALRM, SIGPROF, SIGVTALRM } from "./signals.ts";

/** `which` of `setitimer`: wall-clock time. */
export const ITIMER_REAL = 0;
/** `which`: the guest's user time. */
export const ITIMER_VIRTUAL = 1;
/** `which`: the guest's user and system time. */
export const ITIMER_PROF = 2;

/** Signals the three timers raise. */
const TIMER_SIGNALS = [SIGALRM, SIGVTALRM, SIGPROF];

/** One timer: when it expires next (0 = disarmed) and its reload interval, in milliseconds. */
interface Timer {
  /** Expiry on the timer's clock; 0 when disarmed. */
  at: number;
  /** Reload interval; 0 for a one-shot timer. */
  interval: number;
}

/**
 * The three interval timers of a process.
 *
 * @example A one-shot real timer
 * ```ts
 * import { IntervalTimers, ITIMER_REAL } from "./itimers.ts";
 * import { deepStrictEqual } from "node:assert";
 * const t = new IntervalTimers();
 * t.set(ITIMER_REAL, 5, 0, 100, 0);
 * deepStrictEqual(t.expire(104, 0), []);
 * deepStrictEqual(t.expire(105, 0), [14]); // SIGALRM
 * ```
 */
export class IntervalTimers {
  private readonly timers: Timer[] = [{ at: 0, interval: 0 }, { at: 0, interval: 0 }, { at: 0, interval: 0 }];
  /** Wall-clock time (`performance.now()`) at which the real timer fires next, `Infinity` when disarmed. */
  next = Infinity;
  /** True while a virtual or profiling timer is armed: the scheduler then accounts run time. */
  counting = false;

  private clock(which: number, now: number, runTime: number): number {
    return which === ITIMER_REAL ? now : runTime;
  }

  /** Remaining time and interval of timer `which`, in ms. */
  get(which: number, now: number, runTime: number): { value: number; interval: number } {
    const t = this.timers[which];
    const value = t.at === 0 ? 0 : Math.max(t.at - this.clock(which, now, runTime), 0.001);
    return { value, interval: t.interval };
  }

  /** Arms (value > 0) or disarms timer `which`; returns its old setting, as `get`. */
  set(
    which: number,
    value: number,
    interval: number,
    now: number,
    runTime: number,
  ): { value: number; interval: number } {
    const old = this.get(which, now, runTime);
    // Disarming ITIMER_REAL forgets its interval too (Linux's do_setitimer); the CPU-time timers keep theirs.
    this.timers[which] = {
      at: value > 0 ? this.clock(which, now, runTime) + value : 0,
      interval: which === ITIMER_REAL && !(value > 0) ? 0 : interval,
    };
    this.update();
    return old;
  }

  private update(): void {
    this.next = this.timers[ITIMER_REAL].at || Infinity;
    this.counting = this.timers[ITIMER_VIRTUAL].at !== 0 || this.timers[ITIMER_PROF].at !== 0;
  }

  /** Signals of the timers that expired by `now` / `runTime`; periodic ones are reloaded. */
  expire(now: number, runTime: number): number[] {
    const fired: number[] = [];
    for (let which = 0; which < 3; which++) {
      const t = this.timers[which];
      const clock = this.clock(which, now, runTime);
      if (t.at === 0 || clock < t.at) continue;
      fired.push(TIMER_SIGNALS[which]);
      // A late periodic timer fires once and keeps its phase, as Linux's hrtimer forwarding does.
      t.at = t.interval > 0 ? t.at + Math.ceil((clock - t.at + 1e-9) / t.interval) * t.interval : 0;
    }
    if (fired.length) this.update();
    return fired;
  }

  /** Disarms every timer (not done by `execve`: timers survive it, as in Linux). */
  clear(): void {
    for (const t of this.timers) t.at = t.interval = 0;
    this.update();
  }
}
