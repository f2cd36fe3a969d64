/**
 * The guest processes of one plume run: the first one and those it (or
 * they) made with `fork`. plume runs them all in its one host process,
 * each with its own address space, files and threads; this table gives
 * them process ids, keeps who is whose child, and lets a parent collect a
 * child's exit status (`wait4`, `waitid`) as Linux does.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { FileLocks } from "./file_locks.ts";

/**
 * What the table reads of a process: how it ended. (`Process`, in
 * `process.ts`, holds its table; the table names only this much of it.)
 */
export interface ProcessEnd {
  /** Exit status once it exited, else null. */
  readonly exitStatus: number | null;
  /** Signal that killed it, or 0. */
  readonly killedBy: number;
}

/**
 * Distance between the pids plume gives forked processes, above the host's
 * pid of plume: a process's threads take the ids right above its pid.
 */
const PID_STRIDE = 1000;

/**
 * The processes of one run.
 *
 * @example
 * ```ts
 * import { ProcessTable } from "./process_table.ts";
 * import { strictEqual } from "node:assert";
 * const table = new ProcessTable(4000);
 * strictEqual(table.newPid(), 5000);
 * strictEqual(table.newPid(), 6000);
 * ```
 */
export class ProcessTable<P extends ProcessEnd = ProcessEnd> {
  /** Live processes (not yet collected by their parent), by pid. */
  readonly processes: Map<number, P> = new Map();
  /** The advisory file locks of the run's processes. */
  readonly locks: FileLocks = new FileLocks();
  /**
   * Starts a forked process running: set by whoever schedules the
   * processes (`core/exec/process_runner.ts`); while unset, `fork` fails
   * with `ENOSYS`. `cpu` is the new process's only thread.
   */
  onFork: ((child: P, cpu: Cpu) => void) | undefined;
  /** The pid the next process gets instead of a new one (a replay gives the recorded pids). */
  forcedPid: number | undefined;
  /**
   * The terminal's foreground process group as the run's processes set it
   * (`tcsetpgrp`, which plume does not pass to the host: its groups are
   * plume's own); undefined until one does, when the host's is reported.
   */
  foreground: number | undefined;
  private lastPid: number;

  /** @param firstPid pid of the first process (the host's pid of plume) */
  constructor(firstPid: number) {
    this.lastPid = firstPid;
  }

  /** A pid for a new process. */
  newPid(): number {
    if (this.forcedPid !== undefined) return this.forcedPid;
    this.lastPid += PID_STRIDE;
    return this.lastPid;
  }

  /** Number of processes that have not exited. */
  get running(): number {
    let n = 0;
    for (const p of this.processes.values()) if (p.exitStatus === null) n++;
    return n;
  }
}

/**
 * `wait4` status word of a process that ended (exit code, or the signal
 * that killed it). Never with the core-dump bit (0x80): under qemu-user a
 * guest killed by a core-dumping signal writes its own core (or not), sets
 * its host `RLIMIT_CORE` to 0 and kills itself with the signal, so the
 * parent's host `wait` sees no dump (busybox sh printed `Aborted (core
 * dumped)` under plume where qemu's printed `Aborted`; found by a
 * differential helper).
 */
export function waitStatus(proc: ProcessEnd): number {
  if (proc.killedBy !== 0) return proc.killedBy;
  return ((proc.exitStatus ?? 0) & 0xff) << 8;
}

/** `si_code` values of a child's end (`CLD_*`). */
const CLD_EXITED = 1, CLD_KILLED = 2;

/** `si_code` of a child's end as `SIGCHLD` and `waitid` report it: exited or killed (never dumped: {@link waitStatus}). */
export function childEndCode(proc: ProcessEnd): number {
  return proc.killedBy === 0 ? CLD_EXITED : CLD_KILLED;
}

/** `si_status` of a child's end as `SIGCHLD` and `waitid` report it: its exit code, or the signal that killed it. */
export function childEndStatus(proc: ProcessEnd): number {
  return proc.killedBy === 0 ? (proc.exitStatus ?? 0) & 0xff : proc.killedBy;
}
