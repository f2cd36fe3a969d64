/**
 * Events of the vCPUs that plugins can observe, called by the CPU loop and
 * the emulator. With no plugin loaded there are no hooks and the loop pays
 * one `undefined` test per system call.
 *
 * @module
 */

import type { Cpu } from "./state.ts";

/** Kinds of control-flow discontinuity, with QEMU's `QEMU_PLUGIN_DISCON_*` values. */
export const DISCON = { INTERRUPT: 1, EXCEPTION: 2, HOSTCALL: 4 } as const;

/**
 * Callbacks from the vCPUs to the plugin core. All run on the vCPU's thread
 * while the vCPU waits, in program order.
 */
export interface VcpuHooks {
  /** A vCPU was created (the main thread at start, later each new thread). */
  vcpuInit(cpu: Cpu): void;
  /** A vCPU is about to go away (its thread exited, or the process ends). */
  vcpuExit(cpu: Cpu): void;
  /**
   * A system call is about to run: `args` are a0..a7 (QEMU passes eight).
   * Returns a value to use as the result instead of running the call (a
   * plugin's syscall filter took it), or undefined to run it.
   */
  syscall(cpu: Cpu, num: number, args: readonly bigint[]): bigint | undefined;
  /** A system call returned `ret`. */
  syscallRet(cpu: Cpu, num: number, ret: bigint): void;
  /** Control left the straight path: an exception, a host call (`ecall`). */
  discon(cpu: Cpu, type: number, fromPc: number, toPc: number): void;
  /** All translations were dropped (plugins may free per-block data). */
  flush(): void;
  /** The process is ending, with this exit status: last chance for plugins to report. */
  atexit(status: number): void;
  /**
   * Called between slices and at least every {@link HOUSEKEEPING_MS} while
   * the guest waits, whatever it does: for checks that must happen now and
   * then (plugins' processes looked at for copies plume did not ask for).
   */
  housekeeping?(): void;
}

/** How long the scheduler's sleeps last at most when the hooks do {@link VcpuHooks.housekeeping}. */
export const HOUSEKEEPING_MS = 100;
