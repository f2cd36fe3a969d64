/**
 * Signal numbers as GDB's remote protocol spells them (`enum gdb_signal`,
 * the same on every host), against Linux's riscv64 numbers: they agree for
 * the classic ones and differ for the rest (Linux's SIGBUS 7 is GDB's 10,
 * SIGUSR1 10 is 30, SIGCHLD 17 is 20, the real-time ones are moved).
 *
 * @module
 */

/** GDB's number for a signal it has no name for (`GDB_SIGNAL_UNKNOWN`). */
const GDB_UNKNOWN = 143;

/** GDB's numbers of Linux signals 1..31 (index = Linux number). */
const LINUX_TO_GDB: readonly number[] = [
  0, // no signal
  1, // SIGHUP
  2, // SIGINT
  3, // SIGQUIT
  4, // SIGILL
  5, // SIGTRAP
  6, // SIGABRT
  10, // SIGBUS
  8, // SIGFPE
  9, // SIGKILL
  30, // SIGUSR1
  11, // SIGSEGV
  31, // SIGUSR2
  13, // SIGPIPE
  14, // SIGALRM
  15, // SIGTERM
  GDB_UNKNOWN, // SIGSTKFLT
  20, // SIGCHLD
  19, // SIGCONT
  17, // SIGSTOP
  18, // SIGTSTP
  21, // SIGTTIN
  22, // SIGTTOU
  16, // SIGURG
  24, // SIGXCPU
  25, // SIGXFSZ
  26, // SIGVTALRM
  27, // SIGPROF
  28, // SIGWINCH
  23, // SIGIO
  32, // SIGPWR
  12, // SIGSYS
];

/**
 * GDB's number of Linux signal `signo`.
 *
 * @param signo a Linux signal number, 0..64
 * @returns GDB's number (143, unknown, for one GDB has no name for)
 *
 * @example
 * ```ts
 * import { gdbSignal } from "./signals.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(gdbSignal(11), 11); // SIGSEGV
 * strictEqual(gdbSignal(7), 10); // SIGBUS
 * ```
 */
export function gdbSignal(signo: number): number {
  if (signo >= 0 && signo < 32) return LINUX_TO_GDB[signo];
  if (signo === 32) return 77; // GDB_SIGNAL_REALTIME_32
  if (signo >= 33 && signo <= 63) return 45 + (signo - 33); // GDB_SIGNAL_REALTIME_33..63
  if (signo === 64) return 78; // GDB_SIGNAL_REALTIME_64
  return GDB_UNKNOWN;
}

/**
 * Linux's number of GDB signal `sig` (from `C`/`vCont;C` packets).
 *
 * @param sig GDB's number
 * @returns the Linux number, or undefined when Linux has none
 *
 * @example
 * ```ts
 * import { linuxSignal } from "./signals.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(linuxSignal(10), 7); // SIGBUS
 * ```
 */
export function linuxSignal(sig: number): number | undefined {
  if (sig === 0) return 0;
  for (let s = 1; s <= 64; s++) if (gdbSignal(s) === sig && sig !== GDB_UNKNOWN) return s;
  return undefined;
}
