/**
 * Signal system calls, bookkeeping only: `rt_sigaction`, `rt_sigprocmask`,
 * `rt_sigpending` and `sigaltstack` store and report state with Linux's
 * checks; `kill`, `tkill` and `tgkill` aimed at the guest itself queue the
 * signal in `SignalState` (whose `onRaise` hook the delivery code uses).
 * Other host processes are out of the sandbox's reach: they are reported
 * as absent (`ESRCH`).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { readStruct, StructBuf } from "./guest_struct.ts";
import { hostSession } from "./host_info.ts";
import type { Process } from "./process.ts";
import {
  NSIG,
  SI_TKILL,
  SI_USER,
  SIGKILL,
  SIGSTOP,
  SS_AUTODISARM,
  SS_DISABLE,
  SS_ONSTACK,
  UNBLOCKABLE,
} from "./signals.ts";
import { fmtPointer } from "./strace.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

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
  if (a[2] !== 0) new StructBuf(24).i64(0, old.handler).i64(8, old.flags).i64(16, old.mask).writeTo(proc.mem, a[2]);
  if (next) proc.signals.actions[sig] = { ...next, mask: next.mask & ~UNBLOCKABLE };
  return 0;
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
  const tid = proc.tidOf(cpu);
  let set = 0n;
  for (const s of proc.signals.pending) if (s.tid === 0 || s.tid === tid) set |= 1n << BigInt(s.signo - 1);
  const b = new StructBuf(8).i64(0, set & proc.thread(cpu).blocked);
  proc.mem.writeBytes(a[0], b.bytes.subarray(0, size));
  return 0;
}

function sysSigaltstack(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const t = proc.thread(cpu);
  const sp = cpu.getXNumber(2);
  const disabled = (t.altStackFlags & SS_DISABLE) !== 0;
  const onStack = !disabled && sp >= t.altStackSp && sp < t.altStackSp + t.altStackSize;
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
  if (sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad signal ${sig}`);
  let self: boolean;
  if (pid === -1) {
    // Every process but the caller: none that plume may touch.
    return 0;
  } else if (pid === 0 || pid === proc.pid) self = true;
  else if (pid < -1) self = -pid === hostSession().pgrp;
  else self = false;
  // Other host processes are invisible from the sandbox (Deno refuses /proc and kill without --allow-run).
  if (!self) throw new SyscallError(E.ESRCH, `No process ${pid} in plume's view`);
  if (sig !== 0) proc.signals.raise({ signo: sig, code: SI_USER, pid: proc.pid, uid: proc.creds.uid.real, tid: 0 });
  return 0;
}

/** Queues `sig` for thread `tid` of the guest (`tkill`, `tgkill`). */
function signalThread(proc: Process, cpu: Cpu, tid: number, sig: number): number {
  if (tid !== proc.tidOf(cpu) && !proc.threads.has(tid)) throw new SyscallError(E.ESRCH, `No thread ${tid}`);
  if (sig !== 0) proc.signals.raise({ signo: sig, code: SI_TKILL, pid: proc.pid, uid: proc.creds.uid.real, tid });
  return 0;
}

function sysTkill(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const tid = a[0] | 0, sig = a[1] | 0;
  if (tid <= 0 || sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, `Bad tid ${tid} or signal ${sig}`);
  return signalThread(proc, cpu, tid, sig);
}

function sysTgkill(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const tgid = a[0] | 0, tid = a[1] | 0, sig = a[2] | 0;
  if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG) throw new SyscallError(E.EINVAL, "Bad tgkill arguments");
  if (tgid !== proc.pid) throw new SyscallError(E.ESRCH, `No thread group ${tgid}`);
  return signalThread(proc, cpu, tid, sig);
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
];
