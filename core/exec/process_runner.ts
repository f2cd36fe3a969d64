/**
 * Runs the guest's processes: the first one and those `fork` makes, each
 * with its own {@link Scheduler}, all on plume's one JavaScript thread.
 * While there is one process this is exactly its scheduler's loop; with
 * several, each runs for a few milliseconds in turn, and plume sleeps only
 * when every one of them waits.
 *
 * The run ends when the first process ends (with its status); processes
 * it leaves behind end with it. A process that ends before its parent
 * stays a zombie, holding its status, until the parent collects it with
 * `wait4`/`waitid`; the parent gets the signal its child was made with
 * (`SIGCHLD` for `fork`). A parent that ignores `SIGCHLD` (or set
 * `SA_NOCLDWAIT`) leaves no zombies: its children are collected as they
 * end, as Linux reaps them itself.
 *
 * @module
 */

import type { Process } from "../linux/process.ts";
import { childEndCode, childEndStatus } from "../linux/process_table.ts";
import { sendSignal } from "../linux/signal_delivery.ts";
import { SI_USER, SIG_IGN, SIGCHLD } from "../linux/signals.ts";
import type { Cpu } from "../cpu/state.ts";
import { HOUSEKEEPING_MS } from "../cpu/vcpu_hooks.ts";
import { eventLoop, type Scheduler, sleep, YIELD_INTERVAL_MS } from "./scheduler.ts";
import type { DebugServer } from "./debug_loop.ts";

/** Longest synchronous sleep while a debugger is attached: its packets are read between sleeps. */
const DEBUG_POLL_MS = 20;

/** Longest sleep while a host program runs for a guest process (its end arrives as a promise). */
const HOST_CHILD_POLL_MS = 20;

/**
 * The processes of one run and their schedulers.
 *
 * @example A three-instruction guest that exits (a child of `fork` would get a scheduler and cache of its own)
 * ```ts
 * import { ProcessRunner } from "./process_runner.ts";
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
 * const forked = (child: Process) => new Scheduler(child, new TbCache(child.mem, makeRuntime(child.mem)));
 * strictEqual(await new ProcessRunner(new Scheduler(proc, cache), forked).run(), 7);
 * ```
 */
export class ProcessRunner {
  private readonly runs: Scheduler[];

  /**
   * @param first the scheduler of the first process
   * @param schedulerFor makes the scheduler of a process `fork` made
   * @param debug the debugger of the first process (`-g`)
   */
  constructor(
    first: Scheduler,
    schedulerFor: (child: Process) => Scheduler,
    private readonly debug?: DebugServer,
  ) {
    this.runs = [first];
    first.proc.family.onFork = (child: Process, _cpu: Cpu) => this.runs.push(schedulerFor(child));
  }

  /** Runs every process until the first one ends; returns its exit status. */
  async run(): Promise<number> {
    const first = this.runs[0];
    const host = first.proc.hostSignals;
    let lastTurn = performance.now();
    for (;;) {
      if (this.debug?.attached) {
        const end = await this.debug.serve();
        if (end !== undefined) return end;
      }
      let ms = Infinity;
      const hostFds = [];
      const round = [...this.runs];
      // A process made during the round has not run yet: it is not waiting.
      let idle = true;
      for (const s of round) {
        let r = s.step(true);
        // A process that ended during its turn is finished at once, so that its parent hears of it
        // (SIGCHLD) before it can see it as a zombie.
        if (r.kind !== "exit" && s.proc.exitStatus !== null) r = s.step(true);
        if (r.kind === "exit") {
          if (s === first) return r.status;
          this.ended(s);
          // Its end may be what another process waits for: look again before sleeping.
          idle = false;
        } else if (r.kind === "idle") {
          ms = Math.min(ms, r.ms);
          hostFds.push(...r.hostFds);
          // It ran before it came to wait: what it did (a write into a pipe) may let a process that had its turn
          // before it go on. (A grandchild that wrote to its parent and then paused was taken for a deadlock.)
          if (r.ran) idle = false;
        } else {
          idle = false;
        }
      }
      for (const s of this.runs) s.hooks?.housekeeping?.();
      if (this.runs.some((s) => !round.includes(s))) idle = false;
      // A replay never waits for the outside world: a round in which no process could go on is a divergence.
      if (idle && first.proc.runLog?.replaying) first.proc.runLog.stuck();
      // A host program run in place of a guest one (host_exec.ts) ends, and its output is copied, through the
      // event loop: it gets a turn every HOST_CHILD_POLL_MS even while guest processes keep running.
      const hostChildren = this.runs.some((s) => s.proc.hostChild !== undefined);
      if (!idle) {
        // While processes keep running, the event loop gets a turn (a millisecond at least) only now and then,
        // as a lone process's scheduler gives it: after every round, a shell's loop of subshells, whose rounds are
        // short, spent a third of its time in those turns.
        const since = performance.now() - lastTurn;
        if ((host.active && since >= YIELD_INTERVAL_MS) || (hostChildren && since >= HOST_CHILD_POLL_MS)) {
          await eventLoop(host, 1);
          lastTurn = performance.now();
        }
        continue;
      }
      if (hostChildren) {
        await eventLoop(host, Math.min(ms, HOST_CHILD_POLL_MS));
        continue;
      }
      if (this.runs.length > 1 && ms === Infinity && hostFds.length === 0 && !this.listening()) {
        // Every process waits for another: only the first one's threads are listed.
        const r = first.deadlock();
        return r.kind === "exit" ? r.status : 1;
      }
      // Housekeeping goes on while every process waits (a plugin's process could copy itself meanwhile).
      if (this.runs.some((s) => s.hooks?.housekeeping)) ms = Math.min(ms, HOUSEKEEPING_MS);
      if (this.debug?.attached) sleep(Math.min(ms, DEBUG_POLL_MS), hostFds);
      else if (!host.active) sleep(ms, hostFds);
      else if (hostFds.length > 0) {
        // A host poll blocks the event loop: keep it short so that host signals still get through.
        sleep(Math.min(ms, 50), hostFds);
        await eventLoop(host, 1);
      } else await eventLoop(host, ms);
    }
  }

  /** True when some process listens for host signals (one may come and end a wait). */
  private listening(): boolean {
    return this.runs.some((s) => s.proc.hostSignals.active);
  }

  /**
   * A process other than the first ended: it becomes a zombie, and its
   * parent hears of it; or it is gone at once (Linux's `do_notify_parent`)
   * when nobody will collect it: its parent ended before it, or ignores
   * `SIGCHLD` (no signal then) or set `SA_NOCLDWAIT` on it.
   */
  private ended(s: Scheduler): void {
    this.runs.splice(this.runs.indexOf(s), 1);
    const child = s.proc, parent = child.parent;
    // Its memory goes back at once, as Linux frees a process's memory before its parent collects it.
    child.mem.release();
    // Its children that asked (prctl PR_SET_PDEATHSIG) hear of its end.
    for (const orphan of child.children) {
      if (orphan.exitStatus !== null || orphan.deathSignal === 0) continue;
      signalFrom(child, orphan, orphan.deathSignal, SI_USER);
    }
    // A replayed parent's wait4 may have collected the child before it ended here.
    if (parent === undefined || parent.exitStatus !== null || child.collected) {
      forget(child);
      return;
    }
    const action = parent.signals.actions[SIGCHLD];
    const autoreap = child.exitSignal === SIGCHLD &&
      (action.handler === SIG_IGN || (action.flags & SA_NOCLDWAIT) !== 0n);
    if (child.exitSignal !== 0 && !(autoreap && action.handler === SIG_IGN)) {
      signalFrom(child, parent, child.exitSignal, childEndCode(child), childEndStatus(child));
    }
    if (autoreap) {
      parent.children.splice(parent.children.indexOf(child), 1);
      forget(child);
    }
  }
}

/**
 * Sends `to` signal `signo` (with `si_code` `code`) from process `from`, which ended: a recorded run writes it down
 * in the receiver's stream, and a replay finds it there.
 */
function signalFrom(from: Process, to: Process, signo: number, code: number, status?: number): void {
  const sig = { signo, code, pid: from.pid, uid: from.creds.uid.real, tid: 0, status };
  if (to.runLog !== undefined) to.runLog.fromProcess(sig);
  else sendSignal(to, sig);
}

/** `sa_flags`: the children of a process with this on `SIGCHLD` leave no zombies. */
const SA_NOCLDWAIT = 2n;

/** Removes a process that nobody collects from the run, with its zombies (nobody collects those either). */
function forget(proc: Process): void {
  proc.family.processes.delete(proc.pid);
  for (const orphan of proc.children) if (orphan.exitStatus !== null) proc.family.processes.delete(orphan.pid);
}
