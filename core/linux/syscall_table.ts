/**
 * The shape of a system-call definition: number, name, handler and how
 * `-strace` prints it. Each `sys_*.ts` module exports a list of these;
 * `syscalls.ts` assembles them into the dispatch table.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import type { Process } from "./process.ts";
import type { StraceSpec } from "./strace.ts";
import { SYS } from "./syscall_names.ts";

/**
 * A handler: the six argument registers a0..a5 as numbers (signed 64-bit,
 * exact below 2^53, which covers every address and size the guest can
 * use). Returns the non-negative result; failures throw `SyscallError`.
 */
export type SyscallHandler = (proc: Process, cpu: Cpu, a: readonly number[]) => number;

/** One system call. */
export interface SyscallDef {
  /** Number (riscv64). */
  readonly nr: number;
  /** Name. */
  readonly name: string;
  /** Implementation. */
  readonly handler: SyscallHandler;
  /** `-strace` format (qemu's default when absent). */
  readonly strace?: StraceSpec;
  /**
   * The handler sets the guest's registers itself when it succeeds
   * (`rt_sigreturn`, `execve`): a0 is left alone unless it fails.
   */
  readonly setsRegisters?: boolean;
}

/**
 * Builds a definition from a system-call name.
 *
 * @example
 * ```ts
 * import { def } from "./syscall_table.ts";
 * import { strictEqual } from "node:assert";
 * const d = def("getpid", (proc) => proc.pid, { args: [] });
 * strictEqual(d.nr, 172);
 * ```
 */
export function def(
  name: keyof typeof SYS,
  handler: SyscallHandler,
  strace?: StraceSpec,
  setsRegisters?: boolean,
): SyscallDef {
  return { nr: SYS[name], name, handler, strace, setsRegisters };
}
