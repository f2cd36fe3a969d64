/**
 * `futex`: the wait queues glibc builds mutexes, condition variables,
 * joins and `pthread_once` on. Waiting blocks the calling thread in the
 * scheduler (see `wait.ts`) until a wake, the timeout or a signal; queues
 * are `futex_table.ts`. PI futexes (`FUTEX_LOCK_PI`…) are not implemented
 * and answer `ENOSYS` (glibc only uses them for priority-inheriting
 * mutexes).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { FUTEX_BITSET_MATCH_ANY } from "./futex_table.ts";
import { readValidTimespec } from "./guest_struct.ts";
import type { Process } from "./process.ts";
import { fmtD, fmtHex32, fmtPointer } from "./strace.ts";
import { CLOCK_MONOTONIC, CLOCK_REALTIME, clockNs } from "./sys_time.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import { Blocked } from "./wait.ts";

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

/** A sign-extended 12-bit field of a `FUTEX_WAKE_OP` operation. */
function field12(v: number): number {
  return (v << 20) >> 20;
}

/**
 * Applies `FUTEX_WAKE_OP`'s operation to the word at `addr`; returns
 * whether its comparison of the old value holds.
 */
export function wakeOp(mem: AddressSpace, addr: number, encoded: number): boolean {
  const op = (encoded >>> 28) & 0xf, cmp = (encoded >>> 24) & 0xf;
  let arg = field12(encoded >>> 12);
  const cmpArg = field12(encoded);
  if (op & 8) arg = 1 << (arg & 31);
  if (addr % 4 !== 0) throw new SyscallError(E.EINVAL, `Unaligned futex 0x${addr.toString(16)}`);
  mem.check(addr, 4, "write");
  const old = mem.view.getInt32(addr, true);
  const next = [arg, old + arg, old | arg, old & ~arg, old ^ arg][op & 7];
  if (next === undefined) throw new SyscallError(E.ENOSYS, `Unknown FUTEX_WAKE_OP operation ${op & 7}`);
  const holds = [old === cmpArg, old !== cmpArg, old < cmpArg, old <= cmpArg, old > cmpArg, old >= cmpArg][cmp];
  if (holds === undefined) throw new SyscallError(E.ENOSYS, `Unknown FUTEX_WAKE_OP comparison ${cmp}`);
  mem.view.setInt32(addr, next | 0, true);
  mem.noteWrite(addr, 4);
  return holds;
}

/** `performance.now()` time at which a futex wait with timeout `ts` (guest pointer, 0 for none) ends. */
function deadlineOf(proc: Process, cpu: Cpu, op: number, cmd: number, ts: number): number {
  if (ts === 0) return Infinity;
  const t = readValidTimespec(proc.mem, ts);
  const ms = t.sec * 1000 + t.nsec / 1e6;
  // FUTEX_WAIT's timeout is relative; FUTEX_WAIT_BITSET's is absolute on the chosen clock.
  if (cmd === FUTEX.WAIT) return performance.now() + ms;
  const clock = op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  return performance.now() + (ms - Number(clockNs(proc, cpu, clock)!) / 1e6);
}

function futexWait(proc: Process, cpu: Cpu, addr: number, op: number, cmd: number, a: readonly number[]): number {
  const bitset = cmd === FUTEX.WAIT_BITSET ? a[5] >>> 0 : FUTEX_BITSET_MATCH_ANY;
  if (bitset === 0) throw new SyscallError(E.EINVAL, "Empty bitset");
  const deadline = deadlineOf(proc, cpu, op, cmd, a[3]);
  if (proc.mem.readU32(addr) !== a[2] >>> 0) throw new SyscallError(E.EAGAIN);
  if (deadline <= performance.now()) throw new SyscallError(E.ETIMEDOUT);
  const w = proc.futexes.enqueue(addr, proc.tidOf(cpu), bitset);
  throw new Blocked({
    what: `futex wait on 0x${addr.toString(16)}`,
    deadline,
    // Linux restarts an untimed wait after a SA_RESTART handler, a timed one fails with EINTR.
    restart: deadline === Infinity ? "restart" : "eintr",
    poll(now) {
      if (w.woken) return 0;
      if (now < deadline) return undefined;
      proc.futexes.remove(w);
      return -E.ETIMEDOUT;
    },
    cancel: () => proc.futexes.remove(w),
  });
}

function sysFutex(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const addr = a[0], op = a[1] | 0, val = a[2] >>> 0;
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (addr % 4 !== 0) throw new SyscallError(E.EINVAL, `Unaligned futex 0x${addr.toString(16)}`);
  // As Linux's do_futex: the real-time clock only for FUTEX_WAIT_BITSET (and the PI waits plume does not have);
  // FUTEX_WAIT's timeout is relative, whatever the clock.
  if (op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX.WAIT_BITSET) {
    // After the timeout is read and checked, as Linux's sys_futex does before do_futex.
    if (cmd === FUTEX.WAIT && a[3] !== 0) readValidTimespec(proc.mem, a[3]);
    throw new SyscallError(E.ENOSYS, "FUTEX_CLOCK_REALTIME with a command other than FUTEX_WAIT_BITSET");
  }
  const fut = proc.futexes;
  // The count arguments are ints: Linux treats negative ones as 0 for requeues.
  const count = (v: number) => Math.max(v | 0, 0);
  switch (cmd) {
    case FUTEX.WAIT:
    case FUTEX.WAIT_BITSET:
      return futexWait(proc, cpu, addr, op, cmd, a);
    case FUTEX.WAKE:
    case FUTEX.WAKE_BITSET: {
      const bitset = cmd === FUTEX.WAKE_BITSET ? a[5] >>> 0 : FUTEX_BITSET_MATCH_ANY;
      if (bitset === 0) throw new SyscallError(E.EINVAL, "Empty bitset");
      proc.mem.check(addr, 4, "read");
      return fut.wake(addr, val, bitset);
    }
    case FUTEX.REQUEUE:
    case FUTEX.CMP_REQUEUE: {
      const addr2 = a[4];
      if (addr2 % 4 !== 0) throw new SyscallError(E.EINVAL, `Unaligned futex 0x${addr2.toString(16)}`);
      if ((a[2] | 0) < 0 || (a[3] | 0) < 0) throw new SyscallError(E.EINVAL, "Negative count");
      proc.mem.check(addr2, 4, "read");
      if (cmd === FUTEX.CMP_REQUEUE && proc.mem.readU32(addr) !== a[5] >>> 0) throw new SyscallError(E.EAGAIN);
      proc.mem.check(addr, 4, "read");
      return fut.requeue(addr, addr2, count(a[2]), count(a[3]));
    }
    case FUTEX.WAKE_OP: {
      const addr2 = a[4];
      proc.mem.check(addr, 4, "read");
      const holds = wakeOp(proc.mem, addr2, a[5] >>> 0);
      let n = fut.wake(addr, count(a[2]));
      if (holds) n += fut.wake(addr2, count(a[3]));
      return n;
    }
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

/** The `futex` system call. */
export const FUTEX_SYSCALLS: readonly SyscallDef[] = [def("futex", sysFutex, { args: futexStrace })];
