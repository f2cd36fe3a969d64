/**
 * Signal system calls: dispositions and masks (`rt_sigaction`,
 * `rt_sigprocmask`, `rt_sigpending`, `sigaltstack`), sending (`kill`,
 * `tkill`, `tgkill`, `rt_sigqueueinfo`, `rt_tgsigqueueinfo`) to the
 * guest itself, waiting (`rt_sigsuspend`, `rt_sigtimedwait`), returning
 * from a handler (`rt_sigreturn`) and the interval timers (`setitimer`,
 * `getitimer`). Delivery itself is `signal_delivery.ts`, after each
 * system call and before each time slice. Other host processes are out of
 * the sandbox's reach: they are reported as absent (`ESRCH`).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { readStruct, readValidTimespec, StructBuf } from "./guest_struct.ts";
import { signalHostProgram } from "./host_exec.ts";
import { groupExists, groupMembers, pgrpOf } from "./process_groups.ts";
import { type Process, processOfId } from "./process.ts";
import { FORWARDED_SIGNALS } from "./host_signals.ts";
import { ITIMER_PROF, ITIMER_REAL } from "./itimers.ts";
import { dequeueSignal, sendSignal, sigreturn } from "./signal_delivery.ts";
import { encodeSiginfo, SIGINFO_SIZE } from "./signal_frame.ts";
import { NSIG, SI_TKILL, SI_USER, SIG_DFL, sigbit, SIGKILL, SIGSTOP, UNBLOCKABLE } from "./signals.ts";
import { fmtD, fmtPointer, fmtSiginfo, fmtSignal } from "./strace.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import { SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from "./thread.ts";
import { Blocked } from "./wait.ts";
import { RLIMIT_SIGPENDING } from "./rlimits.ts";

/** Size of the kernel's `sigset_t`. */
const SIGSET_SIZE = 8;
/** riscv64 `MINSIGSTKSZ`. */
const MINSIGSTKSZ = 2048;

function checkSignal(sig: number): void {
  if (sig < 1 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad signal ${sig}`);
}

function readSigset(proc: Process, addr: number): bigint {
  return readStruct(proc.mem, addr, 8).getBigUint64(0, true);
}

function sysRtSigaction(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const sig = a[0] | 0;
  if (a[3] !== SIGSET_SIZE) throw new SyscallError(E.EINVAL, `Bad sigset size ${a[3]}`);
  checkSignal(sig);
  let next: { handler: bigint; flags: bigint; mask: bigint } | undefined;
  if (a[1] !== 0) {
    // riscv64's kernel struct sigaction: handler, flags, mask (no restorer).
    const v = readStruct(proc.mem, a[1], 24);
    next = { handler: v.getBigUint64(0, true), flags: v.getBigUint64(8, true), mask: v.getBigUint64(16, true) };
    if (sig === SIGKILL || sig === SIGSTOP) throw new SyscallError(E.EINVAL, `Signal ${sig} cannot be caught`);
  }
  const old = proc.signals.actions[sig];
  if (a[2] !== 0) StructBuf.scratch(24).i64(0, old.handler).i64(8, old.flags).i64(16, old.mask).writeTo(proc.mem, a[2]);
  if (next) {
    proc.signals.actions[sig] = { ...next, mask: next.mask & ~UNBLOCKABLE };
    // A caught or ignored host signal must stop ending plume and reach the guest instead.
    if (FORWARDED_SIGNALS[sig] !== undefined) {
      if (next.handler !== SIG_DFL) proc.hostSignals.listen(sig);
      else proc.hostSignals.unlisten(sig);
    }
    // Linux discards pending instances of a signal that becomes ignored.
    if (proc.signals.ignores(sig)) discardPending(proc, sig);
  }
  return 0;
}

/** Drops every pending instance of `signo` (it became ignored). */
function discardPending(proc: Process, signo: number): void {
  const queues = [proc.signals.pending, ...[...proc.threads.values()].map((t) => t.pending)];
  for (const q of queues) {
    for (let i = q.length - 1; i >= 0 && q.has(signo); i--) {
      if (q.at(i)!.signo === signo) {
        q.removeAt(i);
        proc.signals.count--;
      }
    }
  }
}

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

function sysRtSigprocmask(proc: Process, cpu: Cpu, a: readonly number[]): number {
  if (a[3] !== SIGSET_SIZE) throw new SyscallError(E.EINVAL, `Bad sigset size ${a[3]}`);
  const t = proc.thread(cpu);
  const old = t.blocked;
  if (a[1] !== 0) {
    const set = readSigset(proc, a[1]);
    const how = a[0] | 0;
    if (how === SIG_BLOCK) t.blocked |= set;
    else if (how === SIG_UNBLOCK) t.blocked &= ~set;
    else if (how === SIG_SETMASK) t.blocked = set;
    else throw new SyscallError(E.EINVAL, `Bad how ${how}`);
    t.blocked &= ~UNBLOCKABLE;
  }
  if (a[2] !== 0) proc.mem.writeU64(a[2], old);
  return 0;
}

function sysRtSigpending(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const size = a[1];
  if (size < 0 || size > SIGSET_SIZE) throw new SyscallError(E.EINVAL, `Bad sigset size ${size}`);
  const t = proc.thread(cpu);
  let set = 0n;
  for (let signo = 1; signo <= NSIG; signo++) {
    if (proc.signals.pending.has(signo) || t.pending.has(signo)) set |= sigbit(signo);
  }
  const b = StructBuf.scratch(8).i64(0, set & t.blocked);
  proc.mem.writeBytes(a[0], b.bytes.subarray(0, size));
  return 0;
}

function sysSigaltstack(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const t = proc.thread(cpu);
  const onStack = t.onAltStack(cpu.getXNumber(2));
  const old = new StructBuf(24)
    .i64(0, t.altStackSp)
    .u32(8, onStack ? SS_ONSTACK : t.altStackFlags)
    .i64(16, t.altStackSize);
  if (a[1] !== 0) proc.mem.check(a[1], 24, "write");
  if (a[0] !== 0) {
    const v = readStruct(proc.mem, a[0], 24);
    const ssSp = Number(v.getBigUint64(0, true)), flags = v.getInt32(8, true) >>> 0;
    const size = Number(v.getBigUint64(16, true));
    if (onStack) throw new SyscallError(E.EPERM, "Changing the alternate stack while on it");
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) {
      throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
    }
    if (mode === SS_DISABLE) {
      t.altStackSp = 0;
      t.altStackSize = 0;
      t.altStackFlags = SS_DISABLE;
    } else {
      if (size < MINSIGSTKSZ) throw new SyscallError(E.ENOMEM, `Alternate stack of ${size} bytes is too small`);
      t.altStackSp = ssSp;
      t.altStackSize = size;
      t.altStackFlags = flags & SS_AUTODISARM;
    }
  }
  if (a[1] !== 0) old.writeTo(proc.mem, a[1]);
  return 0;
}

function sysKill(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const pid = a[0] | 0, sig = a[1] | 0;
  // Linux checks the signal once it found a target, for each: no target is ESRCH whatever the signal.
  const checkSignal = () => {
    if (sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad signal ${sig}`);
  };
  if (pid > 0) {
    // The caller or one of plume's processes (made by fork), by a thread's id too; else a host process, invisible
    // from the sandbox.
    const target = processOfId(proc, pid);
    if (target === undefined) throw new SyscallError(E.ESRCH, `No process ${pid} in plume's view`);
    checkSignal();
    signalProcess(proc, target, sig);
    return 0;
  }
  // -INT_MIN is no group (Linux refuses it before anything).
  if (pid === -0x8000_0000) throw new SyscallError(E.ESRCH, "No process group 2^31");
  // -1: every process but the caller (of plume's: the host's are out of sight, but there always are some, so a bad
  // signal is EINVAL); else a group, 0 the caller's.
  const targets = pid === -1
    ? [...proc.family.processes.values()].filter((p) => p !== proc)
    : groupMembers(proc, pid === 0 ? pgrpOf(proc) : -pid);
  if (targets.length === 0 && pid !== -1 && !groupExists(proc, -pid)) {
    throw new SyscallError(E.ESRCH, `No process group ${-pid}`);
  }
  checkSignal();
  for (const target of targets) signalProcess(proc, target, sig);
  return 0;
}

/** Sends `sig` (0: none) from `proc` to `target`, unless `target` has ended (a zombie ignores signals). */
function signalProcess(proc: Process, target: Process, sig: number): void {
  if (sig === 0 || target.exitStatus !== null || signalHostProgram(target, sig)) return;
  sendSignal(target, { signo: sig, code: SI_USER, pid: proc.pid, uid: proc.creds.uid.real, tid: 0 });
}

/**
 * The process of plume's whose thread `tid` is (in thread group `tgid`, when
 * given): the caller's own or another made by `fork` (`processOfId`).
 * Undefined when there is none, or the thread ended; a process that ended
 * but was not collected yet (a zombie) still has its main thread, whose
 * signals go nowhere.
 */
function threadOwner(proc: Process, cpu: Cpu, tid: number, tgid?: number): Process | undefined {
  const own = tid === proc.tidOf(cpu);
  const p = own ? proc : processOfId(proc, tid);
  if (p === undefined || (tgid !== undefined && p.pid !== tgid)) return undefined;
  if (p.exitStatus !== null) return tid === p.pid ? p : undefined;
  const t = own ? proc.thread(cpu) : p.threads.get(tid);
  return t !== undefined && !t.exited ? p : undefined;
}

/**
 * Queues `sig` for thread `tid` (`tkill`, `tgkill`), of this process or
 * another of plume's: the thread is looked for first, then the signal
 * checked (Linux's order).
 */
function signalThread(proc: Process, cpu: Cpu, tid: number, sig: number, tgid?: number): number {
  const target = threadOwner(proc, cpu, tid, tgid);
  if (target === undefined) throw new SyscallError(E.ESRCH, `No thread ${tid}`);
  if (sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad signal ${sig}`);
  if (sig === 0 || target.exitStatus !== null) return 0;
  if (target !== proc && tid === target.pid && signalHostProgram(target, sig)) return 0;
  sendSignal(target, { signo: sig, code: SI_TKILL, pid: proc.pid, uid: proc.creds.uid.real, tid });
  return 0;
}

function sysTkill(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const tid = a[0] | 0, sig = a[1] | 0;
  if (tid <= 0) throw new SyscallError(E.EINVAL, `Bad tid ${tid}`);
  return signalThread(proc, cpu, tid, sig);
}

function sysTgkill(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const tgid = a[0] | 0, tid = a[1] | 0, sig = a[2] | 0;
  if (tgid <= 0 || tid <= 0) throw new SyscallError(E.EINVAL, "Bad tgkill arguments");
  return signalThread(proc, cpu, tid, sig, tgid);
}

/** The first real-time signal number (the kernel's; glibc keeps two for itself above it). */
const SIGRTMIN_KERNEL = 32;

/** A `siginfo_t` a sender gave (`rt_sigqueueinfo`), as read from the guest. */
interface SenderInfo {
  readonly info: Uint8Array;
  readonly v: DataView;
}

/** Reads the sender's `siginfo_t`: first, as Linux does (a bad pointer is `EFAULT`, for signal 0 too). */
function readSenderInfo(proc: Process, addr: number): SenderInfo {
  const info = proc.mem.readBytes(addr, SIGINFO_SIZE);
  return { info, v: new DataView(info.buffer) };
}

/**
 * Only the kernel may claim kernel or kill() origins, except a thread
 * towards itself or its process (`named`, the pid or thread id the call
 * names); checked before the target is looked for.
 */
function checkOrigin(proc: Process, cpu: Cpu, given: SenderInfo, named: number): void {
  const code = given.v.getInt32(8, true);
  if ((code >= 0 || code === SI_TKILL) && proc.tidOf(cpu) !== named) {
    throw new SyscallError(E.EPERM, `si_code ${code} is reserved`);
  }
}

/** Queues the checked `siginfo_t` to `target` (nothing for signal 0 or a process that ended). */
function queueInfo(target: Process, sig: number, tid: number, given: SenderInfo): void {
  if (sig === 0 || target.exitStatus !== null) return;
  const { info, v } = given;
  const code = v.getInt32(8, true);
  v.setInt32(0, sig, true);
  // A queued real-time signal counts against RLIMIT_SIGPENDING (Linux counts per user; plume per receiving process):
  // past it, EAGAIN. Without a bound a loop of sigqueue calls with the signal blocked held any number.
  if (sig >= SIGRTMIN_KERNEL && code < 0 && target.signals.count >= target.rlimits.soft(RLIMIT_SIGPENDING)) {
    throw new SyscallError(E.EAGAIN, `${target.signals.count} signals pending (RLIMIT_SIGPENDING)`);
  }
  sendSignal(target, { signo: sig, code, pid: v.getInt32(16, true), uid: v.getUint32(20, true), tid, info });
}

function sysRtSigqueueinfo(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const pid = a[0] | 0, sig = a[1] | 0;
  // Linux's order: the information, its origin, the process, the signal.
  const given = readSenderInfo(proc, a[2]);
  checkOrigin(proc, cpu, given, pid);
  // A thread's id names its process too (Linux's kill_proc_info).
  const target = processOfId(proc, pid);
  if (target === undefined) throw new SyscallError(E.ESRCH, `No process ${pid} in plume's view`);
  if (sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad signal ${sig}`);
  queueInfo(target, sig, 0, given);
  return 0;
}

function sysRtTgsigqueueinfo(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const tgid = a[0] | 0, tid = a[1] | 0, sig = a[2] | 0;
  // Linux's order: the information, the ids, its origin (towards the sender's own thread id), the thread, the signal.
  const given = readSenderInfo(proc, a[3]);
  if (tgid <= 0 || tid <= 0) throw new SyscallError(E.EINVAL, "Bad ids");
  checkOrigin(proc, cpu, given, tid);
  const target = threadOwner(proc, cpu, tid, tgid);
  if (target === undefined) throw new SyscallError(E.ESRCH, `No thread ${tid}`);
  if (sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad signal ${sig}`);
  queueInfo(target, sig, tid, given);
  return 0;
}

function sysRtSigreturn(proc: Process, cpu: Cpu): number {
  sigreturn(proc, proc.thread(cpu), cpu);
  return 0;
}

function sysRtSigsuspend(proc: Process, cpu: Cpu, a: readonly number[]): number {
  if (a[1] !== SIGSET_SIZE) throw new SyscallError(E.EINVAL, `Bad sigset size ${a[1]}`);
  const mask = readSigset(proc, a[0]);
  const t = proc.thread(cpu);
  t.savedMask = t.blocked;
  t.blocked = mask & ~UNBLOCKABLE;
  // Only a signal ends it: the scheduler interrupts the wait with EINTR and the handler returns to the saved mask.
  throw new Blocked({
    what: "rt_sigsuspend",
    deadline: Infinity,
    restart: "eintr",
    poll: () => undefined,
    cancel() {},
  });
}

function sysRtSigtimedwait(proc: Process, cpu: Cpu, a: readonly number[]): number {
  if (a[3] !== SIGSET_SIZE) throw new SyscallError(E.EINVAL, `Bad sigset size ${a[3]}`);
  const set = readSigset(proc, a[0]) & ~UNBLOCKABLE;
  let deadline = Infinity;
  if (a[2] !== 0) {
    const ts = readValidTimespec(proc.mem, a[2]);
    deadline = performance.now() + ts.sec * 1000 + ts.nsec / 1e6;
  }
  const t = proc.thread(cpu);
  const take = (): number | undefined => {
    // Dequeue as if only the awaited signals were unblocked.
    const saved = t.blocked;
    t.blocked = ~set;
    const sig = dequeueSignal(proc, t);
    t.blocked = saved;
    if (sig === undefined) return undefined;
    if (a[1] !== 0) proc.mem.writeBytes(a[1], encodeSiginfo(sig));
    return sig.signo;
  };
  const now = take();
  if (now !== undefined) return now;
  if (deadline <= performance.now()) throw new SyscallError(E.EAGAIN, "No signal before the timeout");
  throw new Blocked({
    what: "rt_sigtimedwait",
    deadline,
    restart: "eintr",
    endsOnStop: true,
    poll: (at) => take() ?? (at >= deadline ? -E.EAGAIN : undefined),
    cancel() {},
  });
}

/** Linux's longest time (`KTIME_MAX`, 2^63-1 ns) in milliseconds: a longer timeval is taken as it. */
const KTIME_MAX_MS = 9223372036854.775;

/** Reads a `struct itimerval` (two timevals) as milliseconds. */
function readItimerval(proc: Process, addr: number): { interval: number; value: number } {
  const v = readStruct(proc.mem, addr, 32);
  const tv = (off: number) => {
    const sec = Number(v.getBigInt64(off, true)), usec = Number(v.getBigInt64(off + 8, true));
    if (sec < 0 || usec < 0 || usec > 999_999) throw new SyscallError(E.EINVAL, `Bad timeval ${sec}.${usec}`);
    return Math.min(sec * 1000 + usec / 1000, KTIME_MAX_MS);
  };
  return { interval: tv(0), value: tv(16) };
}

function writeItimerval(proc: Process, addr: number, t: { interval: number; value: number }): void {
  const b = new StructBuf(32);
  const tv = (off: number, ms: number) => {
    // KTIME_MAX exactly (its microseconds are past a number's precision).
    if (ms >= KTIME_MAX_MS) return void b.i64(off, 9223372036).i64(off + 8, 854775);
    // Round up to the microsecond, so an armed timer never reads as disarmed.
    const us = Math.ceil(ms * 1000);
    b.i64(off, Math.floor(us / 1e6)).i64(off + 8, us % 1e6);
  };
  tv(0, t.interval);
  tv(16, t.value);
  b.writeTo(proc.mem, addr);
}

function sysSetitimer(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const which = a[0] | 0;
  if (which < ITIMER_REAL || which > ITIMER_PROF) throw new SyscallError(E.EINVAL, `Bad timer ${which}`);
  const next = a[1] !== 0 ? readItimerval(proc, a[1]) : { interval: 0, value: 0 };
  if (a[2] !== 0) proc.mem.check(a[2], 32, "write");
  const old = proc.timers.set(which, next.value, next.interval, performance.now(), proc.runTime);
  if (a[2] !== 0) writeItimerval(proc, a[2], old);
  return 0;
}

function sysGetitimer(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const which = a[0] | 0;
  if (which < ITIMER_REAL || which > ITIMER_PROF) throw new SyscallError(E.EINVAL, `Bad timer ${which}`);
  writeItimerval(proc, a[1], proc.timers.get(which, performance.now(), proc.runTime));
  return 0;
}

const ITIMER_NAMES: Readonly<Record<string, string>> = {
  "0": "ITIMER_REAL",
  "1": "ITIMER_VIRTUAL",
  "2": "ITIMER_PROF",
};

/** qemu's `print_itimerval`. */
function fmtItimerval(addr: bigint, mem: AddressSpace): string {
  if (addr === 0n) return "NULL";
  try {
    const v = readStruct(mem, Number(addr), 32);
    const tv = (off: number) => `{tv_sec = ${v.getBigInt64(off, true)},tv_usec = ${v.getBigInt64(off + 8, true)}}`;
    return `{it_interval=${tv(0)},it_value=${tv(16)},}`;
  } catch {
    return fmtPointer(addr);
  }
}

function fmtWhich(v: bigint): string {
  return ITIMER_NAMES[String(v)] ?? String(Number(BigInt.asIntN(32, v)));
}

/** qemu's `print_rt_sigqueueinfo`: the siginfo the caller passes. */
function fmtQueuedInfo(addr: bigint, mem: AddressSpace): string {
  try {
    return fmtSiginfo(mem.readBytes(Number(addr), SIGINFO_SIZE), false);
  } catch {
    return fmtPointer(addr);
  }
}

const HOW_NAMES: Readonly<Record<string, string>> = { "0": "SIG_BLOCK", "1": "SIG_UNBLOCK", "2": "SIG_SETMASK" };

/** Signal system calls. */
export const SIGNAL_SYSCALLS: readonly SyscallDef[] = [
  def("rt_sigaction", sysRtSigaction, { args: ["sig", "ptr", "ptr"] }),
  def("rt_sigprocmask", sysRtSigprocmask, {
    args: (args) => `${HOW_NAMES[String(args[0])] ?? "UNKNOWN"},${fmtPointer(args[1])},${fmtPointer(args[2])}`,
  }),
  def("rt_sigpending", sysRtSigpending),
  def("sigaltstack", sysSigaltstack, { args: ["p", "p"] }),
  def("kill", sysKill, { args: ["d", "sig"] }),
  def("tkill", sysTkill, { args: ["d", "sig"] }),
  def("tgkill", sysTgkill, { args: ["d", "d", "sig"] }),
  def("rt_sigqueueinfo", sysRtSigqueueinfo, {
    args: (a, mem) => `${fmtD(a[0])},${fmtSignal(a[1])},${fmtQueuedInfo(a[2], mem)}`,
  }),
  def("rt_tgsigqueueinfo", sysRtTgsigqueueinfo),
  // qemu shows its internal "return from sigreturn" code as the result.
  def("rt_sigreturn", sysRtSigreturn, { ret: () => "-1 errno=513 (Successful exit from sigreturn)" }, true),
  def("rt_sigsuspend", sysRtSigsuspend),
  def("rt_sigtimedwait", sysRtSigtimedwait),
  def("setitimer", sysSetitimer, {
    args: (a, mem) => `${fmtWhich(a[0])},${fmtItimerval(a[1], mem)},${fmtPointer(a[2])}`,
    ret: (ret, a, mem) => `${ret} (old_value = ${fmtItimerval(a[2], mem)})`,
  }),
  def("getitimer", sysGetitimer, {
    args: (a) => `${fmtWhich(a[0])},${fmtPointer(a[1])}`,
    ret: (ret, a, mem) => `${ret} (${fmtItimerval(a[1], mem)})`,
  }),
];
