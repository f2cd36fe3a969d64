/**
 * plume's scheduler: every guest thread is a vCPU, and all of them run on
 * the one JavaScript thread, one time slice after another.
 *
 * - **Deterministic by default.** Threads run round-robin in creation
 *   order, each for a fixed number of dispatched blocks ({@link QUANTUM}),
 *   so the same program with the same input interleaves the same way on
 *   every run (wall-clock time only enters through timers, sleeps and
 *   host input). With `-seed`, slice lengths vary by a generator seeded
 *   with it: other interleavings, each reproducible.
 * - **Blocked threads do not run.** A thread in a futex wait, a sleep or a
 *   read from an empty pipe (see `linux/wait.ts`) is asked between slices
 *   whether its wait is over, or interrupted by a signal.
 * - **Idle means sleep.** When every thread waits, the process sleeps
 *   until the earliest timeout or timer (or a host signal); when they all
 *   wait for something no timeout, timer or signal can bring, that is a
 *   deadlock: plume says so and ends the run (status 1) instead of
 *   hanging.
 * - **Events between slices.** Interval timers and host signals become
 *   guest signals there, and each thread's pending signals are delivered
 *   before it runs.
 * - **Recorded and replayed runs** (`proc.runLog`) count every slice, a lone
 *   thread's too, once anything could interrupt them (`RunLog.counting`);
 *   signals from outside and the ends of waits are written down with the
 *   slice they came before, and a replay takes them from the recording
 *   instead of the clock (`linux/record_replay.ts`).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import type { TbCache } from "../jit/tb_cache.ts";
import { type HostPollFd, pollHost } from "../linux/host_poll.ts";
import type { HostSignals } from "../linux/host_signals.ts";
import type { Process } from "../linux/process.ts";
import { deliverSignals, sendSignal, signalEffect } from "../linux/signal_delivery.ts";
import { type PendingSignal, SA_RESTART, SI_KERNEL, SI_USER } from "../linux/signals.ts";
import { finishBlockedCall, interruptBlockedCall, pollBlockedCall } from "../linux/syscalls.ts";
import type { ThreadState } from "../linux/thread.ts";
import { runSlice } from "./cpu_loop.ts";
import { type Debugger, runDebugSlice } from "./debug_loop.ts";
import { HOUSEKEEPING_MS, type VcpuHooks } from "../cpu/vcpu_hooks.ts";
import type { RaisedSignal } from "../linux/run_log.ts";

/**
 * Dispatched blocks per time slice while several threads run. A dispatch
 * runs one block (tens of nanoseconds) or one pass of a region (up to
 * `REGION_BUDGET` loop iterations), so a slice is typically a fraction of
 * a millisecond: long enough that switching costs under 1 %, short enough
 * that a thread spinning on a lock held by another wastes little.
 */
const QUANTUM = 8192;
/**
 * Wall-clock length of a slice while only one thread exists: there is no
 * interleaving to keep deterministic, so the slice ends by time, which
 * bounds how late timers and host signals are seen.
 */
const SOLO_SLICE_MS = 5;
/**
 * How often the scheduler returns to the event loop while host signals are
 * listened for, in ms: each return costs about a millisecond (a
 * `setTimeout`), so this keeps the cost near 2 % and a signal's delay
 * under a tenth of a second.
 */
export const YIELD_INTERVAL_MS = 50;
/** Dispatch budget of a slice ended by time. */
const SOLO_BUDGET = 1 << 30;
/** Exit status of a run ended because every thread waits forever. */
export const DEADLOCK_STATUS = 1;

/** What {@link Scheduler.step} stopped for. */
export type StepResult =
  /** The process exited. */
  | { kind: "exit"; status: number }
  /**
   * Every thread waits: nothing can happen before `ms` milliseconds
   * (Infinity: only a host signal), unless one of `hostFds` gets ready.
   * `ran`: a thread ran during the step before they all came to wait (what
   * it did, a write into a pipe, may be what another process waits for).
   */
  | { kind: "idle"; ms: number; hostFds: HostPollFd[]; ran?: boolean }
  /** The event loop should run (host signal listeners). */
  | { kind: "yield" };

/** Options of the scheduler. */
export interface SchedulerOptions {
  /** `-seed`: vary slice lengths reproducibly. @default undefined (fixed slices) */
  seed?: number;
  /** Dispatched blocks per slice. @default QUANTUM */
  quantum?: number;
  /** The debugger (`-g`) that controls this process's threads. @default undefined */
  debug?: Debugger;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** How long a sleep on host descriptors lasts at most when plume cannot poll the host (it then re-checks). */
const HOST_RECHECK_MS = 10;

/**
 * Lets the event loop run for `ms` milliseconds (at least 1: a
 * `setTimeout(0)` did not let signal listeners run, measured), or until a
 * host signal arrives. The time is an `AbortSignal.timeout`, not a
 * `setTimeout`: Deno's global `setTimeout` is Node's, and its first call
 * loads `node:timers` and what that imports (4.7–7.6 ms, measured in an
 * empty script, against 0.3–0.5 ms). A timer a host signal made
 * pointless runs out unheard.
 */
export function eventLoop(host: HostSignals, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = AbortSignal.timeout(Math.min(Math.max(ms || 0, 1), 2 ** 31 - 1)); // NaN: at once, as setTimeout
    timer.addEventListener("abort", done);
    host.onSignal = done;
    function done() {
      timer.removeEventListener("abort", done);
      host.onSignal = () => {};
      resolve();
    }
  });
}

/** Sleeps `ms` milliseconds, or until one of `hostFds` is ready. */
export function sleep(ms: number, hostFds: readonly HostPollFd[]): void {
  if (hostFds.length > 0 && pollHost(hostFds, Math.min(ms, 0x7fff_ffff)) !== undefined) return;
  Atomics.wait(sleepCell, 0, 0, hostFds.length > 0 ? Math.min(ms, HOST_RECHECK_MS) : ms);
}

/**
 * Runs the threads of one process.
 *
 * @example A three-instruction guest that exits (plugins' hooks would be the third argument)
 * ```ts
 * import { Scheduler } from "./scheduler.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { ecall, emit, li } from "../cpu/_asm_testing.ts";
 * import { makeRuntime } from "../jit/runtime.ts";
 * import { TbCache } from "../jit/tb_cache.ts";
 * import { Process } from "../linux/process.ts";
 * import { AddressSpace, PROT_EXEC, PROT_READ } from "../mem/address_space.ts";
 * import { Log } from "../util/log.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const cpu = new Cpu();
 * cpu.pc = mem.mmap(0, 4096, PROT_READ | PROT_EXEC, { name: "code" });
 * emit(mem, cpu.pc, [li(10, 7), li(17, 94), ecall]); // exit_group(7)
 * const proc = new Process(mem, new Log());
 * const cache = new TbCache(mem, makeRuntime(mem));
 * proc.thread(cpu);
 * strictEqual(await new Scheduler(proc, cache).run(), 7);
 * ```
 */
export class Scheduler {
  private readonly quantum: number;
  private rng: number;
  private readonly seeded: boolean;
  /** Threads whose vCPU was announced to plugins. */
  private readonly started = new Set<ThreadState>();
  /** The thread that ran last (round-robin continues after it). */
  private last: ThreadState | undefined;
  private readonly debug: Debugger | undefined;

  /**
   * @param proc the process (its main thread must exist: `proc.thread(cpu)`)
   * @param cache translations shared by all vCPUs
   * @param hooks vCPU events for plugins
   * @param opts seed and quantum
   */
  constructor(
    readonly proc: Process,
    readonly cache: TbCache,
    readonly hooks?: VcpuHooks,
    opts: SchedulerOptions = {},
  ) {
    this.quantum = Math.max(1, opts.quantum ?? QUANTUM);
    this.seeded = opts.seed !== undefined;
    this.rng = ((opts.seed ?? 0) ^ 0x2545f491) | 1;
    this.debug = opts.debug;
    // The cache tells plugins itself (its onFlush) that every translation is gone.
    proc.onExec = () => cache.flush();
    proc.onThreadGone = (t) => {
      if (this.started.delete(t)) hooks?.vcpuExit(t.cpu);
    };
    proc.onThreadMade = () => this.announce();
  }

  /** Length of the next slice: fixed, or varied by the seeded generator (xorshift32). */
  private sliceLength(): number {
    if (!this.seeded) return this.quantum;
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return (this.quantum >> 1) + ((x >>> 0) % this.quantum);
  }

  /** Runs to the end, sleeping synchronously when idle (host signals are not seen). */
  runSync(): number {
    for (;;) {
      const r = this.step(false);
      if (r.kind === "exit") return r.status;
      if (r.kind === "idle") sleep(this.waitMs(r.ms), r.hostFds);
      this.hooks?.housekeeping?.();
    }
  }

  /** How long to wait for the guest at once: at most {@link HOUSEKEEPING_MS} when the hooks keep house. */
  private waitMs(ms: number): number {
    return this.hooks?.housekeeping ? Math.min(ms, HOUSEKEEPING_MS) : ms;
  }

  /**
   * Runs to the end, letting the event loop run between slices and while
   * idle when host signals are listened for.
   */
  async run(): Promise<number> {
    const host = this.proc.hostSignals;
    for (;;) {
      const r = this.step(true);
      if (r.kind === "exit") return r.status;
      if (!host.active) {
        if (r.kind === "idle") sleep(this.waitMs(r.ms), r.hostFds);
      } else if (r.kind === "idle" && r.hostFds.length > 0) {
        // A host poll blocks the event loop: keep it short so that host signals still get through.
        sleep(Math.min(r.ms, YIELD_INTERVAL_MS), r.hostFds);
        await eventLoop(host, 1);
      } else {
        await eventLoop(host, r.kind === "idle" ? this.waitMs(r.ms) : 1);
      }
      this.hooks?.housekeeping?.();
    }
  }

  /**
   * Runs slices until the process exits, every thread waits, or (when
   * `mayYield` and host signals are listened for) {@link YIELD_INTERVAL_MS}
   * have passed.
   */
  step(mayYield: boolean): StepResult {
    const proc = this.proc;
    const start = performance.now();
    if (this.started.size !== proc.threads.size) this.announce();
    let ran = false;
    for (;;) {
      if (proc.exitStatus !== null) return this.finish();
      // Stopped by a signal (job control): nothing runs, not even its timers, until SIGCONT or SIGKILL comes.
      if (proc.stopSignal !== 0) return { kind: "idle", ms: Infinity, hostFds: [], ran };
      // A debugger that stopped the guest is served by the process runner, between steps.
      if (this.debug?.attached && this.debug.stopped) return { kind: "yield" };
      const now = performance.now();
      this.raiseEvents(now);
      const t = this.pick(now);
      if (proc.exitStatus !== null) return this.finish();
      // With other processes about (fork), one of them may end this one's wait: only all of them can deadlock.
      const alone = proc.family.running === 1;
      if (t === undefined) {
        // A replay never waits for the outside world: the recording says what ends every wait.
        if (proc.runLog?.replaying) {
          if (proc.runLog.stalled()) return { kind: "idle", ms: Infinity, hostFds: [] };
          return this.deadlock();
        }
        const ms = this.idleTime(now);
        const hostFds = this.hostFds();
        if (ms === Infinity && hostFds.length === 0 && !proc.hostSignals.active && alone && !proc.hostChild) {
          return this.deadlock();
        }
        return { kind: "idle", ms, hostFds, ran };
      }
      this.runThread(t);
      ran = true;
      const took = performance.now() - start;
      if (this.debug?.attached && (this.debug.stopped || took >= SOLO_SLICE_MS)) return { kind: "yield" };
      if (mayYield && ((proc.hostSignals.active && took >= YIELD_INTERVAL_MS) || (!alone && took >= SOLO_SLICE_MS))) {
        return { kind: "yield" };
      }
    }
  }

  /**
   * Turns expired interval timers and received host signals into guest
   * signals (a replay takes them from the recording, and a recording writes
   * them down).
   */
  private raiseEvents(now: number): void {
    const proc = this.proc;
    const log = proc.runLog;
    if (log?.replaying) {
      if (proc.hostSignals.pending) log.interrupted(proc.hostSignals.take());
      for (const sig of log.recordedSignals()) sendSignal(proc, sig);
      return;
    }
    // Signals from other processes a recording held for a process that waits (see RunLog.recordedSignals).
    if (log) { for (const sig of log.recordedSignals()) sendSignal(proc, sig); }
    const raised: RaisedSignal[] = [];
    if (proc.timers.next <= now || proc.timers.counting) {
      for (const signo of proc.timers.expire(now, proc.runTime)) raised.push({ signo, code: SI_KERNEL });
    }
    // POSIX timers' signals carry their own siginfo (the timer's id, overrun and value), and may go to one thread.
    if (proc.posixTimers.next <= now || proc.posixTimers.counting) {
      // A timer's signal still queued (to the process, or to a thread that still lives) takes its overrun instead.
      const pending = (sig: PendingSignal) => {
        const queue = sig.tid ? proc.threads.get(sig.tid)?.pending : proc.signals.pending;
        return queue !== undefined && queue.indexOf(sig) >= 0;
      };
      for (const full of proc.posixTimers.expire(now, proc.runTime, pending)) {
        raised.push({ signo: full.signo, code: full.code, full });
      }
    }
    if (proc.hostSignals.pending) {
      for (const signo of proc.hostSignals.take()) raised.push({ signo, code: SI_USER });
    }
    if (raised.length > 0) log?.raised(raised);
    for (const { signo, code, full } of raised) sendSignal(proc, full ?? { signo, code, pid: 0, uid: 0, tid: 0 });
  }

  /**
   * The next thread to run, round-robin after the last one: blocked
   * threads whose wait is over (or that a signal interrupts) become
   * runnable on the way.
   */
  private pick(now: number): ThreadState | undefined {
    const proc = this.proc;
    const threads = [...proc.threads.values()];
    const from = this.last === undefined ? 0 : threads.indexOf(this.last) + 1;
    for (let i = 0; i < threads.length; i++) {
      const t = threads[(from + i) % threads.length];
      if (t.exited) {
        this.remove(t);
        continue;
      }
      if (t.call !== undefined && !this.wake(t, now)) continue;
      if (proc.exitStatus !== null) return undefined;
      return t;
    }
    return undefined;
  }

  /** Ends thread `t`'s wait if it is over or a signal interrupts it; true when it can run. */
  private wake(t: ThreadState, now: number): boolean {
    const proc = this.proc;
    const call = t.call!;
    const effect = signalEffect(proc, t);
    if (effect === "die") {
      t.call = undefined;
      call.waiter.cancel();
      return true;
    }
    // A call a stop ended returns what the stop found once the process runs again (EINTR, handler or not, if nothing).
    if (call.resultAtStop !== undefined) {
      finishBlockedCall(proc, t, call.resultAtStop);
      this.hooks?.syscallRet(t.cpu, call.nr, t.cpu.getX(10));
      return true;
    }
    // A wait that is over ends with its result even when a signal came meanwhile (whose handler then runs on the
    // way back, as Linux does): a waitpid whose child's SIGCHLD has a handler returns the child, not EINTR.
    if (pollBlockedCall(proc, t, now)) {
      this.hooks?.syscallRet(t.cpu, call.nr, t.cpu.getX(10));
      return true;
    }
    if (effect !== undefined) {
      const restart = call.waiter.restart === "restart" && (effect.flags & BigInt(SA_RESTART)) !== 0n;
      if (!interruptBlockedCall(proc, t, restart)) this.hooks?.syscallRet(t.cpu, call.nr, t.cpu.getX(10));
      return true;
    }
    return false;
  }

  /** Delivers `t`'s signals and runs it for one slice; accounts its run time and its exit. */
  private runThread(t: ThreadState): void {
    const proc = this.proc;
    // Like the kernel on a context switch, switching threads breaks any LR reservation.
    if (this.last !== t && this.last !== undefined) t.cpu.reservation = -1;
    this.last = t;
    proc.runLog?.slice();
    let t0 = performance.now();
    if (this.debug?.attached) {
      // Signals too go through the debugger's slice: it sees each one before it is delivered.
      proc.reschedule = false;
      runDebugSlice(proc, t, this.cache, this.hooks, this.debug);
    } else {
      if (proc.signals.count !== 0 || t.savedMask !== undefined) deliverSignals(proc, t, this.hooks);
      if (proc.exitStatus !== null || proc.stopSignal !== 0) return;
      proc.reschedule = false;
      t0 = performance.now();
      // Once a recorded or replayed run counts, its slices only count, even with one thread: signals from outside
      // arrive between slices, which must end at the same instruction when the run is replayed, whatever tier
      // (and plugins) the replay runs each block in. From then on regions count every block they finish.
      const log = proc.runLog;
      if (log?.counting && !this.cache.countedSlices) {
        this.cache.countedSlices = true;
        this.cache.flush();
      } else if (this.cache.countedSlices && !log?.counting) {
        // Counting stopped (a process of a family no longer catches a signal): new regions need not count.
        this.cache.countedSlices = false;
      }
      t.cpu.runsAlone = proc.threads.size === 1 && !log?.counting;
      if (t.cpu.runsAlone) {
        runSlice(proc, t, this.cache, this.hooks, SOLO_BUDGET, t0 + SOLO_SLICE_MS, this.quantum);
      } else runSlice(proc, t, this.cache, this.hooks, this.sliceLength(), Infinity);
    }
    proc.runTime += performance.now() - t0;
    if (t.exited) this.remove(t);
    // Threads made during the slice (clone ends it) are announced now, as QEMU does when it creates their vCPU.
    if (this.started.size !== proc.threads.size) this.announce();
  }

  /** Tells plugins about vCPUs they have not seen yet. */
  private announce(): void {
    for (const t of this.proc.threads.values()) {
      if (t.exited || this.started.has(t)) continue;
      this.started.add(t);
      this.hooks?.vcpuInit(t.cpu);
    }
  }

  private remove(t: ThreadState): void {
    const proc = this.proc;
    proc.threads.delete(t.tid);
    // The last thread's exit ended the process: in a recorded or replayed run its vCPU goes at the process's end
    // (finish), when the run log lets it, so that its plugins' results come out at the recorded end's turn.
    if (proc.exitStatus !== null && proc.runLog !== undefined) return;
    if (this.started.delete(t)) this.hooks?.vcpuExit(t.cpu);
  }

  /** Milliseconds until a waiting thread's timeout or the real-time timer. */
  private idleTime(now: number): number {
    let until = Math.min(this.proc.timers.next, this.proc.posixTimers.next);
    for (const t of this.proc.threads.values()) if (t.call) until = Math.min(until, t.call.waiter.deadline);
    return Math.max(until - now, 0);
  }

  /** Host descriptors waiting threads depend on. */
  private hostFds(): HostPollFd[] {
    const fds: HostPollFd[] = [];
    for (const t of this.proc.threads.values()) if (t.call?.waiter.hostFds) fds.push(...t.call.waiter.hostFds);
    return fds;
  }

  /**
   * The process is over: the remaining vCPUs go away. A recorded or replayed
   * run may hold it back (a replay lets processes end in the recorded order).
   */
  private finish(): StepResult {
    const log = this.proc.runLog;
    if (log === undefined) this.end();
    // A replay ends the process (its plugins print their results) at the recorded end's turn.
    else if (!log.ending(this.proc.exitStatus ?? 0, () => this.end())) {
      return { kind: "idle", ms: Infinity, hostFds: [] };
    }
    return { kind: "exit", status: this.proc.exitStatus ?? 0 };
  }

  /** The process's end: its waits are abandoned, its vCPUs go (a forked process's plugins report then). */
  private end(): void {
    for (const t of this.proc.threads.values()) {
      if (t.call) {
        t.call.waiter.cancel();
        t.call = undefined;
      }
    }
    // Every vCPU still announced: the remaining threads', and the last thread's when it ended the process with exit
    // (see remove), in the order they were announced.
    for (const t of [...this.started]) {
      this.started.delete(t);
      this.hooks?.vcpuExit(t.cpu);
    }
  }

  /** Every thread waits for something that cannot happen: report and end the run. */
  deadlock(): StepResult {
    const proc = this.proc;
    const waits = [...proc.threads.values()].filter((t) => t.call).map((t) =>
      `  thread ${t.tid} (pc 0x${t.cpu.pc.toString(16)}): ${t.call!.waiter.what}\n`
    );
    proc.log.error(`plume: deadlock: every thread of the guest waits forever\n${waits.join("")}`);
    proc.exitStatus = DEADLOCK_STATUS;
    proc.releaseResources();
    return this.finish();
  }
}

/**
 * Runs the process whose main thread is `cpu` until it exits (every
 * thread included, synchronously: host signals are not passed on); returns
 * its exit status.
 *
 * @example A three-instruction guest that exits
 * ```ts
 * import { cpuLoop } from "./scheduler.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { ecall, emit, li } from "../cpu/_asm_testing.ts";
 * import { makeRuntime } from "../jit/runtime.ts";
 * import { TbCache } from "../jit/tb_cache.ts";
 * import { Process } from "../linux/process.ts";
 * import { AddressSpace, PROT_EXEC, PROT_READ } from "../mem/address_space.ts";
 * import { Log } from "../util/log.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const cpu = new Cpu();
 * cpu.pc = mem.mmap(0, 4096, PROT_READ | PROT_EXEC, { name: "code" });
 * emit(mem, cpu.pc, [li(10, 7), li(17, 94), ecall]); // exit_group(7)
 * const proc = new Process(mem, new Log());
 * const cache = new TbCache(mem, makeRuntime(mem));
 * strictEqual(cpuLoop(proc, cpu, cache), 7);
 * ```
 */
export function cpuLoop(proc: Process, cpu: Cpu, cache: TbCache, hooks?: VcpuHooks): number {
  proc.thread(cpu);
  return new Scheduler(proc, cache, hooks).runSync();
}
