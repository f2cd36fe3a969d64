/**
 * plume's main thread (the vCPUs) and the plugin processes on different
 * cores while plugin processes run. A synchronous call hands the vCPU's
 * work to the plugin's thread and back, each side spinning for the
 * other's answer; where the scheduler had put both threads on one core
 * (it tends to wake a thread where its waker runs), the plugin's thread
 * could not run until plume's stopped spinning: timed on both sides, the
 * first translation calls of `plume -plugin insn busybox echo hi` each
 * waited 0.55–0.7 ms for the plugin to see them (plume spins 0.5 ms before
 * it sleeps) and were answered in 0.02–0.05 ms, and `perf sched` showed
 * the two threads taking turns on one core.
 *
 * So plume's main thread is kept on the core it runs on when the first
 * plugin process starts, and each plugin process on the other cores
 * plume may use (a forked copy inherits its process's); both go back to
 * what they were once the last plugin process is gone. V8's helper
 * threads stay free (Deno's I/O threads started meanwhile share the main
 * thread's core), a host program the guest runs meanwhile gets all of
 * plume's cores back at its start, and nothing else runs on plume's main
 * thread: a guest's processes and threads all run there anyway. Nothing
 * changes with fewer than two cores allowed, or where the kernel refuses.
 *
 * @module
 */

import { os } from "./os.ts";
import { hostChildren } from "../../linux/host_children.ts";

/** The cores of a split: where plugin processes run, and how to undo it. */
export interface CpuSplit {
  /** The cores plugin processes may run on: all plume may use but its main thread's. */
  readonly plugins: readonly number[];
  /** Lets plume's main thread run anywhere it could before (called on that thread). */
  restore(): void;
}

/**
 * Keeps plume's main thread (the caller: the thread of plume's
 * JavaScript) on the core it runs on now;
 * returns the cores left for plugin processes, or undefined when there is
 * nothing to split (one core allowed, no FFI, the kernel refuses).
 *
 * @example
 * ```ts
 * import { splitCpus } from "./cpus.ts";
 * const split = splitCpus(); // on a machine with two cores: this thread on one, plugin processes on the other
 * split?.restore();
 * ```
 */
export function splitCpus(): CpuSplit | undefined {
  try {
    const o = os();
    const allowed = o.cpusOf(0), cpu = o.currentCpu();
    if (allowed === undefined || allowed.length < 2 || !allowed.includes(cpu)) return undefined;
    if (!o.setCpus(0, [cpu])) return undefined;
    // A host program the guest runs would inherit the one core: it gets them all back.
    hostChildren.started = (pid) => void o.setCpus(pid, allowed);
    // plume's JavaScript runs on this one thread (the process's main thread under `deno run`, another under
    // `deno test`), which also undoes it.
    return {
      plugins: allowed.filter((c) => c !== cpu),
      restore: () => {
        hostChildren.started = undefined;
        o.setCpus(0, allowed);
      },
    };
  } catch {
    return undefined; // no FFI here: the scheduler places the threads
  }
}
