/**
 * The emulated Linux process: its address space, files, program break,
 * identity and exit state. System calls (`syscalls.ts`) act on it.
 *
 * @module
 */

import { AddressSpace } from "../mem/address_space.ts";
import { Log } from "../util/log.ts";

/**
 * State of one guest process shared by all its threads.
 *
 * @example Create a process over a fresh address space
 * ```ts
 * import { Process } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * const proc = new Process(new AddressSpace(1 << 24));
 * console.log(proc.exitStatus); // null
 * ```
 */
export class Process {
  /** The guest address space. */
  readonly mem: AddressSpace;
  /** Debug log (`-d`, `-D`). */
  log: Log;
  /** Print system calls as `-strace` does. */
  strace = false;
  /** Sysroot given with `-L` (absolute host path), or "" for none. */
  sysroot = "";
  /** Absolute host path of the running executable (`/proc/self/exe`). */
  exePath = "";
  /** Start of the program break area (end of the loaded image, page aligned). */
  brkStart = 0;
  /** Current program break. */
  brk = 0;
  /** Lowest address of the loaded program's code. */
  startCode = 0;
  /** End of the loaded program's code. */
  endCode = 0;
  /** Entry point of the program (not of the interpreter). */
  entry = 0;
  /** Process id the guest sees. */
  pid: number = 1;
  /** Exit status once the guest called `exit_group` (or died of a signal), else null. */
  exitStatus: number | null = null;

  /**
   * @param mem the guest address space
   * @param log debug log
   */
  constructor(mem: AddressSpace, log: Log = new Log()) {
    this.mem = mem;
    this.log = log;
  }
}
