/**
 * Thread system calls: `clone` of a thread (a new vCPU in the same address
 * space, scheduled by plume), `exit` of one thread and `exit_group` of all,
 * `set_tid_address`, robust futex lists, `gettid` and `sched_yield`.
 *
 * A `clone` without `CLONE_THREAD` makes a new process ({@link forkProcess}).
 * Both fail with `EAGAIN` once the run has `RLIMIT_NPROC` tasks, as Linux
 * fails them for a user ({@link checkTaskLimit}).
 * `clone3` is left unimplemented (`ENOSYS`) as in qemu-user: glibc then
 * falls back to `clone`.
 *
 * @module
 */

import { Cpu } from "../cpu/state.ts";
import { type AddressSpace, GuestMemoryError } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { readStruct } from "./guest_struct.ts";
import { Process } from "./process.ts";
import { RLIMIT_NPROC } from "./rlimits.ts";
import { fmtFlags, type Named } from "./strace.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import type { ThreadState } from "./thread.ts";

/** `clone` flags. */
export const CLONE = {
  VM: 0x100,
  FS: 0x200,
  FILES: 0x400,
  SIGHAND: 0x800,
  PIDFD: 0x1000,
  PTRACE: 0x2000,
  VFORK: 0x4000,
  PARENT: 0x8000,
  THREAD: 0x10000,
  NEWNS: 0x20000,
  SYSVSEM: 0x40000,
  SETTLS: 0x80000,
  PARENT_SETTID: 0x100000,
  CHILD_CLEARTID: 0x200000,
  DETACHED: 0x400000,
  UNTRACED: 0x800000,
  CHILD_SETTID: 0x1000000,
  NEWCGROUP: 0x2000000,
  NEWUTS: 0x4000000,
  NEWIPC: 0x8000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  IO: 0x80000000,
} as const;

/** qemu's `clone_flags` table, in its order. */
const CLONE_FLAG_NAMES: readonly Named[] = Object.entries(CLONE).map(([k, v]) => [v, `CLONE_${k}`]);

/** qemu's `print_clone` for riscv64: flags, then the four pointers by name. */
function cloneStrace(args: readonly bigint[]): string {
  const hex = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, "0");
  return `${fmtFlags(CLONE_FLAG_NAMES, args[0])},child_stack=0x${hex(args[1])},parent_tidptr=0x${hex(args[2])},tls=0x${
    hex(args[3])
  },child_tidptr=0x${hex(args[4])}`;
}

/** The vCPU index a new thread gets: one above the highest in use, as QEMU's `cpu_get_free_index`. */
function nextVcpuIndex(proc: Process): number {
  let max = -1;
  for (const t of proc.threads.values()) if (!t.exited) max = Math.max(max, t.cpu.vcpuIndex);
  return max + 1;
}

/**
 * The tasks of the run as Linux counts them against `RLIMIT_NPROC`: every
 * thread of every guest process, and each zombie, until its parent
 * collects it.
 */
function liveTasks(proc: Process): number {
  let n = 0;
  for (const p of proc.family.processes.values()) {
    let threads = 0;
    if (p.exitStatus === null) {
      for (const t of p.threads.values()) if (!t.exited) threads++;
    }
    n += Math.max(threads, 1);
  }
  return n;
}

/**
 * Linux's `RLIMIT_NPROC` check in `copy_process`: a new task fails with
 * `EAGAIN` when the tasks already running reach the caller's soft limit.
 * Every guest process of a plume run counts (they are all the user's),
 * and the limit holds for root too, which Linux exempts: it is what keeps
 * a fork bomb from taking plume down (`-nproc`).
 */
function checkTaskLimit(proc: Process): void {
  const limit = proc.rlimits.soft(RLIMIT_NPROC);
  if (liveTasks(proc) >= limit) throw new SyscallError(E.EAGAIN, `${limit} tasks already (RLIMIT_NPROC)`);
}

/** The riscv64 `clone(flags, newsp, parent_tid, tls, child_tid)`. */
function sysClone(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const flags = a[0] >>> 0, newsp = a[1], parentTid = a[2], tls = a[3], childTid = a[4];
  if ((flags & CLONE.THREAD && !(flags & CLONE.SIGHAND)) || (flags & CLONE.SIGHAND && !(flags & CLONE.VM))) {
    throw new SyscallError(E.EINVAL, `Inconsistent clone flags 0x${flags.toString(16)}`);
  }
  const threadFlags = CLONE.VM | CLONE.THREAD | CLONE.SIGHAND;
  if ((flags & threadFlags) !== threadFlags) return forkProcess(proc, cpu, flags, newsp, parentTid, childTid);
  if (flags & CLONE.VFORK) throw new SyscallError(E.ENOSYS, "A thread made with CLONE_VFORK");
  if (flags & (CLONE.NEWNS | CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWUTS | CLONE.NEWIPC)) {
    throw new SyscallError(E.EINVAL, "Namespaces of a thread");
  }
  checkTaskLimit(proc);
  const parent = proc.thread(cpu);
  const child = new Cpu();
  child.x.set(cpu.x);
  child.fi.set(cpu.fi);
  child.fcsr = cpu.fcsr;
  child.vec.copyFrom(cpu.vec);
  child.pc = cpu.pc;
  child.vcpuIndex = nextVcpuIndex(proc);
  if (newsp !== 0) child.setXNumber(2, newsp);
  if (flags & CLONE.SETTLS) child.setXNumber(4, tls);
  child.setXNumber(10, 0);
  const t = proc.addThread(child);
  t.blocked = parent.blocked;
  // A new thread starts with its creator's name, and keeps it whatever the creator is called later.
  t.name = proc.threadComm(parent);
  if (flags & CLONE.CHILD_CLEARTID) t.clearChildTid = childTid;
  if (flags & CLONE.PARENT_SETTID) storeTid(proc.mem, parentTid, t.tid);
  if (flags & CLONE.CHILD_SETTID) storeTid(proc.mem, childTid, t.tid);
  // The thread no longer runs alone: no more chaining, and the rest of its slice counts dispatches (runSlice), where
  // the clock decided how long it went on and so which thread ran first after the clone.
  cpu.runsAlone = false;
  proc.onThreadMade();
  return t.tid;
}

/** Flags of a new process that plume can give it (the rest ask for sharing or namespaces it cannot do). */
const FORK_FLAGS = CLONE.VFORK | CLONE.PARENT_SETTID | CLONE.CHILD_SETTID | CLONE.CHILD_CLEARTID | CLONE.VM | 0xff;

/**
 * A new process (`fork`, `vfork`, `clone` without `CLONE_THREAD`): a copy
 * of the caller's address space, descriptors and signal dispositions, with
 * one thread that continues from the call with a0 = 0. It runs beside the
 * parent in plume's scheduler (`core/exec/process_runner.ts`).
 *
 * `vfork` (`CLONE_VM | CLONE_VFORK`, as glibc's `posix_spawn` and
 * `system` use) is run as a `fork`: the child gets a copy of the memory
 * instead of sharing it until it calls `execve`, which is what every
 * correct vfork child sees anyway, and the parent goes on at once.
 */
function forkProcess(
  proc: Process,
  cpu: Cpu,
  flags: number,
  newsp: number,
  parentTid: number,
  childTid: number,
): number {
  if (flags & ~FORK_FLAGS || (flags & CLONE.VM && !(flags & CLONE.VFORK))) {
    if (proc.log.on("unimp")) {
      proc.log.write(`plume: clone flags 0x${flags.toString(16)} ask for sharing plume cannot give a new process\n`);
    }
    throw new SyscallError(E.ENOSYS, `clone flags 0x${flags.toString(16)}`);
  }
  // The signal the parent gets at the child's end, one past 64 refused as qemu-riscv64 refuses it (it takes SIGCHLD
  // alone; Linux takes it and never sends it; plume ended with an internal error when it sent one).
  if ((flags & 0xff) > 64) throw new SyscallError(E.EINVAL, `clone exit signal ${flags & 0xff}`);
  const start = proc.family.onFork;
  if (start === undefined) throw new SyscallError(E.ENOSYS, "Nothing here runs a second process");
  checkTaskLimit(proc);
  let mem;
  try {
    mem = proc.mem.copy();
  } catch (err) {
    // The host would not give another address space.
    if (err instanceof RangeError) throw new SyscallError(E.ENOMEM, err.message);
    throw err;
  }
  const child = new Process(mem, proc.log, proc);
  child.exitSignal = flags & 0xff;
  const t = new Cpu();
  t.x.set(cpu.x);
  t.fi.set(cpu.fi);
  t.fcsr = cpu.fcsr;
  t.vec.copyFrom(cpu.vec);
  t.pc = cpu.pc;
  t.tid = child.pid;
  if (newsp !== 0) t.setXNumber(2, newsp);
  t.setXNumber(10, 0);
  const thread = child.thread(t), parent = proc.thread(cpu);
  thread.blocked = parent.blocked;
  // The new process is named as the thread that forked it.
  if (parent.tid !== proc.pid) child.threadName = proc.threadComm(parent);
  // The alternate signal stack too (Linux resets it only for a CLONE_VM process that is no vfork, refused above).
  thread.altStackSp = parent.altStackSp;
  thread.altStackSize = parent.altStackSize;
  thread.altStackFlags = parent.altStackFlags;
  if (flags & CLONE.CHILD_CLEARTID) thread.clearChildTid = childTid;
  if (flags & CLONE.CHILD_SETTID) storeTid(child.mem, childTid, child.pid);
  if (flags & CLONE.PARENT_SETTID) storeTid(proc.mem, parentTid, child.pid);
  start(child, t);
  proc.reschedule = true;
  return child.pid;
}

/**
 * Writes a new task's id for `CLONE_PARENT_SETTID` or `CLONE_CHILD_SETTID`
 * where the guest asked, if it can be written: Linux ignores a failed store
 * there (the task is made all the same), and qemu does too (a null pointer
 * made plume's clone EFAULT; found by a differential helper).
 */
function storeTid(mem: AddressSpace, addr: number, tid: number): void {
  try {
    mem.writeU32(addr, tid);
  } catch (err) {
    if (!(err instanceof GuestMemoryError)) throw err;
  }
}

/** Robust futex bits (`linux/futex.h`). */
const FUTEX_WAITERS = 0x8000_0000, FUTEX_OWNER_DIED = 0x4000_0000, FUTEX_TID_MASK = 0x3fff_ffff;
/** Most entries walked on a robust list, as Linux's `ROBUST_LIST_LIMIT`. */
const ROBUST_LIST_LIMIT = 2048;

/** Marks a robust futex held by the dead thread `tid` as such and wakes one waiter. */
function releaseRobust(proc: Process, addr: number, tid: number): void {
  const word = proc.mem.readU32(addr);
  if ((word & FUTEX_TID_MASK) !== tid) return;
  proc.mem.writeU32(addr, (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
  if (word & FUTEX_WAITERS) proc.futexes.wake(addr, 1);
}

/** Linux's `exit_robust_list`: every robust mutex the thread still holds is released as "owner died". */
function exitRobustList(proc: Process, t: ThreadState): void {
  if (t.robustListHead === 0) return;
  try {
    const head = readStruct(proc.mem, t.robustListHead, 24);
    const offset = Number(head.getBigInt64(8, true));
    const pending = Number(head.getBigUint64(16, true));
    let entry = Number(head.getBigUint64(0, true));
    for (let n = 0; entry !== t.robustListHead && n < ROBUST_LIST_LIMIT; n++) {
      const next = Number(proc.mem.readU64(entry));
      // Bit 0 marks a PI futex, which plume does not have.
      if (entry !== pending) releaseRobust(proc, (entry & ~1) + offset, t.tid);
      entry = next;
    }
    if (pending !== 0) releaseRobust(proc, (pending & ~1) + offset, t.tid);
  } catch {
    // A broken list is abandoned, as Linux does.
  }
}

/**
 * Ends thread `t` as Linux's `do_exit` does for a thread: robust futexes
 * released, the `set_tid_address` word cleared and woken (that is how
 * `pthread_join` learns of it). The last thread's exit ends the process
 * with `status`.
 */
function exitThread(proc: Process, t: ThreadState, status: number): void {
  exitRobustList(proc, t);
  if (t.clearChildTid !== 0) {
    try {
      proc.mem.writeU32(t.clearChildTid, 0);
      proc.futexes.wake(t.clearChildTid, 1);
    } catch {
      // Linux ignores a fault here.
    }
  }
  t.exited = true;
  // Signals sent to the thread die with it (Linux's flush_sigqueue in exit_signals): they no longer count.
  proc.signals.count -= t.pending.clear();
  proc.reschedule = true;
  for (const other of proc.threads.values()) if (!other.exited) return;
  proc.exitStatus = status & 0xff;
  proc.releaseResources();
}

function sysExit(proc: Process, cpu: Cpu, a: readonly number[]): number {
  exitThread(proc, proc.thread(cpu), a[0]);
  return 0;
}

/** Ends every thread of the process. */
function sysExitGroup(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  proc.exitStatus = a[0] & 0xff;
  proc.releaseResources();
  return 0;
}

/** Size of `struct robust_list_head`. */
const ROBUST_LIST_HEAD_SIZE = 24;

function sysSetRobustList(proc: Process, cpu: Cpu, a: readonly number[]): number {
  if (a[1] !== ROBUST_LIST_HEAD_SIZE) throw new SyscallError(E.EINVAL, `Bad robust list size ${a[1]}`);
  const t = proc.thread(cpu);
  t.robustListHead = a[0];
  t.robustListLen = a[1];
  return 0;
}

function sysGetRobustList(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const pid = a[0] | 0;
  const t = pid === 0 ? proc.thread(cpu) : proc.threads.get(pid);
  if (t === undefined || t.exited) throw new SyscallError(E.ESRCH, `No thread ${pid}`);
  proc.mem.writeU64(a[1], BigInt(t.robustListHead));
  proc.mem.writeU64(a[2], BigInt(ROBUST_LIST_HEAD_SIZE));
  return 0;
}

function sysSchedYield(proc: Process): number {
  proc.reschedule = true;
  return 0;
}

/** Thread system calls. */
export const THREAD_SYSCALLS: readonly SyscallDef[] = [
  def("clone", sysClone, { args: cloneStrace }),
  def("exit", sysExit, { args: ["d"], noReturn: true }),
  def("exit_group", sysExitGroup, { args: ["d"], noReturn: true }),
  def("gettid", (p, c) => p.tidOf(c), { args: [] }),
  def("set_tid_address", (p, c, a) => {
    p.thread(c).clearChildTid = a[0];
    return p.tidOf(c);
  }),
  def("set_robust_list", sysSetRobustList),
  def("get_robust_list", sysGetRobustList),
  def("sched_yield", sysSchedYield),
];
