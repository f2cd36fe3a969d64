/**
 * `futex` for a process with one thread: glibc calls it even then (lazy
 * initialization, stdio locks, name service), and aborts on `ENOSYS`.
 *
 * With no other thread there is never a waiter to wake and nobody to wake
 * a waiter: `FUTEX_WAKE` wakes 0, `FUTEX_WAIT` returns `EAGAIN` when the
 * word changed, sleeps out a timeout, and otherwise returns `EAGAIN` too
 * (Linux would sleep forever). The threads work (`clone`) replaces the
 * waiting and waking with real queues.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { readTimespec } from "./guest_struct.ts";
import type { Process } from "./process.ts";
import { fmtD, fmtHex32, fmtPointer } from "./strace.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, clockNs, sleepNs } from "./sys_time.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** `futex` commands. */
const FUTEX = {
  WAIT: 0,
  WAKE: 1,
  REQUEUE: 3,
  CMP_REQUEUE: 4,
  WAKE_OP: 5,
  WAIT_BITSET: 9,
  WAKE_BITSET: 10,
} as const;
const FUTEX_PRIVATE_FLAG = 128;
const FUTEX_CLOCK_REALTIME = 256;

/** Applies `FUTEX_WAKE_OP`'s operation to the word at `addr` and returns the old value. */
function wakeOp(mem: AddressSpace, addr: number, encoded: number): number {
  const op = (encoded >>> 28) & 0xf;
  let arg = (encoded >>> 12) & 0xfff;
  if (op & 8) arg = 1 << (arg & 31);
  const old = mem.readU32(addr);
  const next = [arg, old + arg, old | arg, old & ~arg, old ^ arg][op & 7];
  if (next === undefined) throw new SyscallError(E.ENOSYS, `Unknown FUTEX_WAKE_OP operation ${op & 7}`);
  mem.writeU32(addr, next);
  return old;
}

function sysFutex(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const addr = a[0], op = a[1] | 0, val = a[2] >>> 0;
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (addr % 4 !== 0) throw new SyscallError(E.EINVAL, `Unaligned futex 0x${addr.toString(16)}`);
  switch (cmd) {
    case FUTEX.WAIT:
    case FUTEX.WAIT_BITSET: {
      if (cmd === FUTEX.WAIT_BITSET && a[5] >>> 0 === 0) throw new SyscallError(E.EINVAL, "Empty bitset");
      if (proc.mem.readU32(addr) !== val) throw new SyscallError(E.EAGAIN);
      if (a[3] === 0) throw new SyscallError(E.EAGAIN, "Waiting with no other thread to wake the waiter");
      const ts = readTimespec(proc.mem, a[3]);
      if (ts.sec < 0 || ts.nsec < 0 || ts.nsec > 999_999_999) throw new SyscallError(E.EINVAL);
      const ns = BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec);
      // FUTEX_WAIT's timeout is relative; FUTEX_WAIT_BITSET's is absolute on the chosen clock.
      const clock = op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      sleepNs(cmd === FUTEX.WAIT ? ns : ns - clockNs(proc, cpu, clock)!);
      throw new SyscallError(E.ETIMEDOUT);
    }
    case FUTEX.WAKE:
    case FUTEX.WAKE_BITSET:
    case FUTEX.REQUEUE:
      proc.mem.check(addr, 4, "read");
      return 0;
    case FUTEX.CMP_REQUEUE:
      if (proc.mem.readU32(addr) !== a[5] >>> 0) throw new SyscallError(E.EAGAIN);
      return 0;
    case FUTEX.WAKE_OP:
      proc.mem.check(addr, 4, "read");
      wakeOp(proc.mem, a[4], a[5] >>> 0);
      return 0;
    default:
      throw new SyscallError(E.ENOSYS, `Unsupported futex operation ${cmd}`);
  }
}

const FUTEX_OP_NAMES = [
  "FUTEX_WAIT",
  "FUTEX_WAKE",
  "FUTEX_FD",
  "FUTEX_REQUEUE",
  "FUTEX_CMP_REQUEUE",
  "FUTEX_WAKE_OP",
  "FUTEX_LOCK_PI",
  "FUTEX_UNLOCK_PI",
  "FUTEX_TRYLOCK_PI",
  "FUTEX_WAIT_BITSET",
  "FUTEX_WAKE_BITSET",
];

/** qemu's `print_futex`: it prints the fifth argument twice, as pointer and as `%d`. */
function futexStrace(args: readonly bigint[]): string {
  const op = Number(args[1] & 0xffff_ffffn);
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  let opText = fmtHex32(args[1]);
  if (cmd < FUTEX_OP_NAMES.length) {
    opText = (op & FUTEX_PRIVATE_FLAG ? "FUTEX_PRIVATE_FLAG|" : "") +
      (op & FUTEX_CLOCK_REALTIME ? "FUTEX_CLOCK_REALTIME|" : "") + FUTEX_OP_NAMES[cmd];
  }
  return [fmtPointer(args[0]), opText, fmtD(args[2]), fmtPointer(args[3]), fmtPointer(args[4]), fmtD(args[4])]
    .join(",");
}

/** The single-thread `futex`. */
export const FUTEX_SYSCALLS: readonly SyscallDef[] = [def("futex", sysFutex, { args: futexStrace })];
