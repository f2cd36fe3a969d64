/**
 * The system-call entry point the CPU loop calls on `ecall`: dispatch by
 * number (a7), arguments from a0..a5, result or `-errno` to a0, with
 * qemu-user's `-strace` lines and `-d unimp` messages.
 *
 * Error policy (see `errno.ts`): `SyscallError` becomes `-errno`, a guest
 * pointer that does not map (`GuestMemoryError`) becomes `-EFAULT`, and
 * anything else is a bug in plume and propagates to the caller.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, errnoResult } from "./errno.ts";
import type { Process } from "./process.ts";
import { fileSizeLimited } from "../util/file_size_limit.ts";
import { sendSignal } from "./signal_delivery.ts";
import { SI_USER, SIGXFSZ } from "./signals.ts";
import { formatCall, formatResult } from "./strace.ts";
import { syscallName } from "./syscall_names.ts";
import type { SyscallDef } from "./syscall_table.ts";
import type { ThreadState } from "./thread.ts";
import { Blocked } from "./wait.ts";
import { EVENT_SYSCALLS } from "./sys_event.ts";
import { EXEC_SYSCALLS } from "./sys_execve.ts";
import { FS_SYSCALLS } from "./sys_fs.ts";
import { FUTEX_SYSCALLS } from "./sys_futex.ts";
import { IO_SYSCALLS } from "./sys_io.ts";
import { MEM_SYSCALLS } from "./sys_mem.ts";
import { POLL_SYSCALLS } from "./sys_poll.ts";
import { PROC_SYSCALLS } from "./sys_proc.ts";
import { RISCV_SYSCALLS } from "./sys_riscv.ts";
import { SIGNAL_SYSCALLS } from "./sys_signal.ts";
import { SOCKET_SYSCALLS } from "./sys_socket.ts";
import { THREAD_SYSCALLS } from "./sys_thread.ts";
import { TIME_SYSCALLS } from "./sys_time.ts";

/** Every implemented system call, indexed by number. */
const TABLE: readonly (SyscallDef | undefined)[] = (() => {
  const t: (SyscallDef | undefined)[] = [];
  for (
    const d of [
      FS_SYSCALLS,
      IO_SYSCALLS,
      MEM_SYSCALLS,
      TIME_SYSCALLS,
      PROC_SYSCALLS,
      SIGNAL_SYSCALLS,
      FUTEX_SYSCALLS,
      THREAD_SYSCALLS,
      POLL_SYSCALLS,
      EXEC_SYSCALLS,
      RISCV_SYSCALLS,
      EVENT_SYSCALLS,
      SOCKET_SYSCALLS,
    ].flat()
  ) {
    if (t[d.nr] !== undefined) throw new Error(`System call ${d.nr} (${d.name}) is defined twice`);
    t[d.nr] = d;
  }
  return t;
})();

/** The implemented system call with number `nr`, if any. */
export function syscallDef(nr: number): SyscallDef | undefined {
  return Number.isInteger(nr) && nr >= 0 ? TABLE[nr] : undefined;
}

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/**
 * Numbers qemu 7.2's `-strace` has no name for (it prints `Unknown syscall N`
 * and no result), found by running every number under `qemu-riscv64 -strace`.
 */
const QEMU_STRACE_UNNAMED: ReadonlySet<number> = new Set([
  ...range(244, 258),
  265,
  274,
  ...range(286, 290),
  ...range(292, 294),
  ...range(425, 433),
  437,
  ...range(440, 462),
]);

/** The name `-strace` shows for `nr`, or undefined for qemu's `Unknown syscall`. */
function straceName(nr: number): string | undefined {
  return QEMU_STRACE_UNNAMED.has(nr) ? undefined : syscallName(nr);
}

/** Runs `op` under the error policy: `SyscallError` and `GuestMemoryError` become `-errno`. */
function errnoOf(op: () => number, name: string): number {
  try {
    const ret = op();
    if (!Number.isSafeInteger(ret)) throw new Error(`System call ${name} returned ${ret}`);
    return ret;
  } catch (err) {
    return errnoResult(err);
  }
}

/** Writes a finished call's result to a0 and its `-strace` result, unless the handler set the registers itself. */
function complete(proc: Process, cpu: Cpu, d: SyscallDef | undefined, ret: number, raw: readonly bigint[] | undefined) {
  if (!(d?.setsRegisters && ret >= 0)) cpu.setXNumber(10, ret);
  // A call that put a temporary signal mask in place (ppoll, pselect6, epoll_pwait) gives the old one back as it
  // returns, unless a signal interrupted it (then the handler runs under the temporary one first): Linux's
  // restore_saved_sigmask_unless(ret == -EINTR). A signal only the temporary mask let through stays pending.
  if (ret !== -E.EINTR) {
    const t = proc.thread(cpu);
    if (t.savedMask !== undefined) {
      t.blocked = t.savedMask;
      t.savedMask = undefined;
    }
  }
  if (raw !== undefined && !d?.strace?.noReturn) proc.log.write(formatResult(d?.strace, BigInt(ret), raw, proc.mem));
}

/**
 * Executes the system call the guest asked for with `ecall`. `cpu.pc`
 * already points after the `ecall`; handlers that change control flow set
 * it. `exit`/`exit_group` set `proc.exitStatus`.
 *
 * Returns true when the call is over (its result is in a0), false when the
 * thread blocked in it: the thread's `call` then holds the wait, and the
 * scheduler finishes the call with {@link pollBlockedCall} or
 * {@link interruptBlockedCall}.
 *
 * @example Call getpid
 * ```ts
 * import { doSyscall } from "./syscalls.ts";
 * import { Process } from "./process.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * proc.pid = 42;
 * const cpu = new Cpu();
 * cpu.setXNumber(17, 172); // a7: getpid
 * doSyscall(proc, cpu);
 * strictEqual(cpu.getXNumber(10), 42); // a0
 * ```
 */
export function doSyscall(proc: Process, cpu: Cpu): boolean {
  // Linux takes the whole register; qemu (and its messages) the low 32 bits.
  const nrLow = cpu.x[34];
  const nr = cpu.x[35] === 0 && nrLow >= 0 ? nrLow : -1;
  const d = nr >= 0 ? TABLE[nr] : undefined;
  const args = [
    cpu.getXArg(10),
    cpu.getXArg(11),
    cpu.getXArg(12),
    cpu.getXArg(13),
    cpu.getXArg(14),
    cpu.getXArg(15),
  ];
  let raw: bigint[] | undefined;
  if (proc.strace && !d?.strace?.hidden) {
    const name = straceName(nrLow);
    if (name === undefined) proc.log.write(`${proc.pid} Unknown syscall ${nrLow}\n`);
    else {
      raw = [10, 11, 12, 13, 14, 15].map((r) => cpu.getX(r));
      const call = formatCall(name, d?.strace, raw, proc.mem);
      proc.log.write(`${proc.pid} ${call}${d?.strace?.noReturn ? "\n" : ""}`);
    }
  }
  if (d === undefined) {
    if (proc.log.on("unimp")) proc.log.write(`Unsupported syscall: ${nrLow}\n`);
    complete(proc, cpu, d, -E.ENOSYS, raw);
    return true;
  }
  let ret: number;
  try {
    const log = proc.runLog;
    if (log === undefined) ret = errnoOf(() => d.handler(proc, cpu, args), d.name);
    else {
      const call = { tid: proc.tidOf(cpu), nr, name: d.name, args };
      ret = log.syscall(call, (a) => errnoOf(() => d.handler(proc, cpu, a), d.name));
    }
  } catch (err) {
    if (!(err instanceof Blocked)) throw err;
    proc.thread(cpu).call = { waiter: err.waiter, nr, straceArgs: raw };
    return false;
  }
  if (ret === -E.EFBIG && WRITES_FILES.has(d.name) && fileSizeLimited()) {
    // Past the file-size limit (the host's, which plume's process has, as it is now): Linux also sends SIGXFSZ.
    sendSignal(proc, { signo: SIGXFSZ, code: SI_USER, pid: proc.pid, uid: proc.creds.uid.real, tid: 0 });
  }
  complete(proc, cpu, d, ret, raw);
  return true;
}

/** The calls that write or extend files, which a file-size limit fails with `EFBIG` and `SIGXFSZ`. */
const WRITES_FILES: ReadonlySet<string> = new Set([
  "write",
  "writev",
  "pwrite64",
  "pwritev",
  "pwritev2",
  "sendfile",
  "copy_file_range",
  "truncate",
  "ftruncate",
  "fallocate",
]);

/**
 * Asks the system call thread `t` is blocked in whether it is over; if so,
 * finishes it (result in a0, `-strace` result) and returns true.
 */
export function pollBlockedCall(proc: Process, t: ThreadState, now: number): boolean {
  // A blocked call is one the table defines: its handler blocked.
  const call = t.call!, def = TABLE[call.nr]!;
  let over = true;
  const ret = errnoOf(() => {
    const r = call.waiter.poll(now);
    if (r === undefined) over = false;
    return r ?? 0;
  }, def.name);
  if (!over) return false;
  finishBlockedCall(proc, t, ret);
  return true;
}

/** Ends the system call thread `t` is blocked in, its wait over, with `ret` (its waiter's, or `resultAtStop`). */
export function finishBlockedCall(proc: Process, t: ThreadState, ret: number): void {
  const call = t.call!;
  t.call = undefined;
  complete(proc, t.cpu, TABLE[call.nr], ret, call.straceArgs);
}

/**
 * Ends the system call thread `t` is blocked in because a signal handler
 * is about to run: with `restart` the `ecall` runs again when the handler
 * returns (a0 still holds the first argument), otherwise the call fails
 * with `EINTR`; a call that had done part of its work returns that
 * (`Waiter.partial`). Returns whether the call is to run again.
 */
export function interruptBlockedCall(proc: Process, t: ThreadState, restart: boolean): boolean {
  const call = t.call!;
  t.call = undefined;
  call.waiter.cancel();
  const partial = call.waiter.partial?.();
  if (partial !== undefined) {
    complete(proc, t.cpu, TABLE[call.nr], partial, call.straceArgs);
    return false;
  }
  if (restart) {
    t.cpu.pc -= 4;
    // qemu shows the kernel's ERESTARTSYS.
    if (call.straceArgs !== undefined) proc.log.write(" = -1 errno=512 (To be restarted)\n");
  } else {
    complete(proc, t.cpu, TABLE[call.nr], -E.EINTR, call.straceArgs);
  }
  return restart;
}
