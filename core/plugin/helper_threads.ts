/**
 * plume's V8 helper threads (background compilation, the collector's
 * helpers) at a lower priority while plugin processes run. On two cores
 * they took turns with the vCPU's thread and the plugin's process, and a
 * synchronous call then waited for a core for milliseconds: `perf sched`
 * on `plume -plugin insn busybox echo hi` counted 148 waits of the two
 * for a core, 0.32 ms on average and 6.6 ms at most, while V8's helpers
 * ran 67 ms; 18–49 of the 929 translation calls took over 0.3 ms, 25–55
 * ms in all. Ten nice values lower, the helpers still get a tenth of a
 * busy core, so that plume's own code is still optimized under a plugin
 * that keeps the other core busy. Where the kernel groups processes by
 * session (`sched_autogroup_enabled`, on here), a plugin process, which
 * starts a session of its own, shares the cores with plume's group as a
 * whole: the helpers then yield to plume's main thread only. Measured side by side (2026-12-06):
 * that `echo hi` 219 → 192 ms, `python3.13 -c pass` under `bb` 5.47 →
 * 4.88 s; busybox gzip -6 of 4 MB under `insn`, `bb` and
 * `mem,callback=on`, sha256 of 20 MB under the same and a synchronous
 * callback per block the same within the noise; peak RSS 2–19 MB higher
 * in the long runs (not investigated). An earlier trial (docs/plugins.md)
 * saw long instrumented runs up to twice as slow: not seen at this value.
 * A lowered priority cannot be raised again without privileges: plume's
 * helpers stay lowered when its plugins are gone.
 *
 * @module
 */

import { os } from "./sandbox/os.ts";

/** How much lower than the main thread's the helpers' priority is (nice values). */
export const HELPER_NICE = 10;

/** The nice value of this process's thread `tid`, from field 19 of its `stat` (read after the name's parenthesis). */
function niceOf(tid: string): number {
  const stat = Deno.readTextFileSync(`/proc/self/task/${tid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/**
 * Lowers the priority of this process's V8 helper threads (named `V8
 * DefaultWorker`, cut to 15 characters) to {@link HELPER_NICE} below this
 * process's (at most nice 19); returns how many it lowered (none where
 * `/proc` or the FFI cannot be used).
 *
 * @example
 * ```ts
 * import { lowerHelperThreads } from "./helper_threads.ts";
 * lowerHelperThreads(); // the helpers of this process now yield to its main thread
 * ```
 */
export function lowerHelperThreads(): number {
  let lowered = 0, nice: number, tasks: Deno.DirEntry[];
  try {
    nice = Math.min(19, niceOf(String(Deno.pid)) + HELPER_NICE);
    tasks = [...Deno.readDirSync("/proc/self/task")];
  } catch {
    return 0; // no /proc: the helpers keep their priority
  }
  for (const task of tasks) {
    try {
      const comm = Deno.readTextFileSync(`/proc/self/task/${task.name}/comm`);
      if (comm.startsWith("V8 ") && niceOf(task.name) < nice && os().setNice(Number(task.name), nice)) lowered++;
    } catch {
      // The thread ended since the listing, or no FFI here: the next.
    }
  }
  return lowered;
}
