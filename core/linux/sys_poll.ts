/**
 * Waiting for descriptors: `ppoll` and `pselect6` (riscv64 has neither
 * `poll` nor `select`; glibc builds them, and `pause`, on these). Readiness
 * comes from each open file (`OpenFile.pollEvents`): plume's pipes know
 * theirs, files are always ready, and the host's standard streams are
 * asked with a host `poll`. A call that finds nothing ready blocks its
 * thread until something is, the timeout passes, or a signal arrives; both
 * calls can wait with a temporary signal mask, as `sigsuspend` does.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { readStruct, readValidTimespec, writeTimespec } from "./guest_struct.ts";
import { type HostPollFd, POLL } from "./host_poll.ts";
import type { OpenFile } from "./open_file.ts";
import type { Process } from "./process.ts";
import { RLIMIT_NOFILE } from "./rlimits.ts";
import { UNBLOCKABLE } from "./signals.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import { Blocked } from "./wait.ts";

/** Events always reported, whether asked for or not. */
const ALWAYS = POLL.ERR | POLL.HUP | POLL.NVAL;
/** `select` sets as Linux maps them onto poll events (`fs/select.c`). */
const SELECT_IN = POLL.IN | POLL.RDNORM | POLL.RDBAND | POLL.HUP | POLL.ERR;
const SELECT_OUT = POLL.OUT | POLL.WRNORM | POLL.WRBAND | POLL.ERR;
const SELECT_EX = POLL.PRI;
/** Linux's `FD_SETSIZE` limit for `select` is the descriptor table size; `__FD_SETSIZE` bits per set in glibc. */
const SIGSET_SIZE = 8;

/** One descriptor of a poll: the file (undefined for a closed one) and the events asked for. */
interface Watch {
  fd: number;
  file: OpenFile | undefined;
  events: number;
}

/** Events of `w` that hold now (`POLLNVAL` for a descriptor that is not open). */
function ready(w: Watch): number {
  if (w.file === undefined) return POLL.NVAL;
  return w.file.pollEvents() & (w.events | ALWAYS);
}

/** Host descriptors the watched files' readiness depends on. */
function hostFdsOf(watches: readonly Watch[]): HostPollFd[] {
  const out: HostPollFd[] = [];
  for (const w of watches) {
    const fd = w.file?.hostPollFd();
    if (fd !== undefined) out.push({ fd, events: w.events & (POLL.IN | POLL.OUT | POLL.PRI) });
  }
  return out;
}

/** `performance.now()` deadline of an optional relative timespec (undefined: wait forever). */
function deadlineOf(proc: Process, addr: number): number {
  if (addr === 0) return Infinity;
  const ts = readValidTimespec(proc.mem, addr);
  return performance.now() + ts.sec * 1000 + ts.nsec / 1e6;
}

/** Writes the time left before `deadline` back to the timespec, as both calls do on return. */
function writeRemaining(proc: Process, addr: number, deadline: number): void {
  if (addr === 0) return;
  const ns = BigInt(Math.max(0, Math.round((deadline - performance.now()) * 1e6)));
  try {
    writeTimespec(proc.mem, addr, ns);
  } catch {
    // Linux ignores a fault here (the result is already decided).
  }
}

/** Installs the temporary mask of `ppoll`/`pselect6`; the old one comes back when the call is over. */
function useMask(proc: Process, cpu: Cpu, addr: number, size: number): void {
  if (addr === 0) return;
  if (size !== SIGSET_SIZE) throw new SyscallError(E.EINVAL, `Bad sigset size ${size}`);
  const mask = readStruct(proc.mem, addr, 8).getBigUint64(0, true);
  const t = proc.thread(cpu);
  t.savedMask = t.blocked;
  t.blocked = mask & ~UNBLOCKABLE;
}

/**
 * Evaluates `check` now; if nothing is ready and time remains, blocks the
 * thread, re-evaluating it on each poll. `finish` writes results back.
 */
function waitFor(
  what: string,
  watches: readonly Watch[],
  deadline: number,
  check: () => number,
  finish: (n: number) => number,
): number {
  const n = check();
  if (n > 0 || deadline <= performance.now()) return finish(n);
  const hostFds = hostFdsOf(watches);
  throw new Blocked({
    what,
    deadline,
    // Linux's ERESTARTNOHAND: a handler makes these fail with EINTR.
    restart: "eintr",
    hostFds: hostFds.length ? hostFds : undefined,
    poll(now) {
      const k = check();
      if (k > 0 || now >= deadline) return finish(k);
      return undefined;
    },
    cancel() {},
  });
}

function sysPpoll(proc: Process, cpu: Cpu, a: readonly number[]): number {
  // An unsigned int: Linux ignores the register's upper half.
  const addr = a[0], nfds = a[1] >>> 0;
  if (nfds > proc.rlimits.soft(RLIMIT_NOFILE)) throw new SyscallError(E.EINVAL, `Bad nfds ${nfds}`);
  const deadline = deadlineOf(proc, a[2]);
  const v = readStruct(proc.mem, addr, nfds * 8);
  proc.mem.check(addr, nfds * 8, "write");
  const watches: Watch[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = v.getInt32(8 * i, true);
    watches.push({ fd, file: fd < 0 ? undefined : proc.fds.lookup(fd), events: v.getUint16(8 * i + 4, true) });
  }
  useMask(proc, cpu, a[3], a[4]);
  const revents = new Uint16Array(nfds);
  const check = () => {
    let n = 0;
    watches.forEach((w, i) => {
      revents[i] = w.fd < 0 ? 0 : ready(w);
      if (revents[i]) n++;
    });
    return n;
  };
  const finish = (n: number) => {
    revents.forEach((r, i) => proc.mem.view.setUint16(addr + 8 * i + 6, r, true));
    proc.mem.noteWrite(addr, nfds * 8);
    writeRemaining(proc, a[2], deadline);
    return n;
  };
  return waitFor(`ppoll of ${nfds} descriptor(s)`, watches, deadline, check, finish);
}

/** Reads an `fd_set` of `n` bits (undefined for a null pointer). */
function readFdSet(proc: Process, addr: number, n: number): Uint8Array | undefined {
  if (addr === 0) return undefined;
  const bytes = Math.ceil(n / 64) * 8;
  proc.mem.check(addr, bytes, "write");
  return proc.mem.readBytes(addr, bytes);
}

function sysPselect6(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const n = a[0] | 0;
  if (n < 0) throw new SyscallError(E.EINVAL, `Bad nfds ${n}`);
  const sets = [readFdSet(proc, a[1], n), readFdSet(proc, a[2], n), readFdSet(proc, a[3], n)];
  const deadline = deadlineOf(proc, a[4]);
  const masks = [SELECT_IN, SELECT_OUT, SELECT_EX];
  const watches: Watch[] = [];
  for (let fd = 0; fd < n; fd++) {
    let events = 0;
    sets.forEach((s, k) => {
      if (s && s[fd >> 3] & (1 << (fd & 7))) events |= masks[k];
    });
    if (events === 0) continue;
    const file = proc.fds.lookup(fd);
    if (file === undefined) throw new SyscallError(E.EBADF, `fd ${fd} in a select set is not open`);
    watches.push({ fd, file, events });
  }
  if (a[5] !== 0) {
    const sig = readStruct(proc.mem, a[5], 16);
    useMask(proc, cpu, Number(sig.getBigUint64(0, true)), Number(sig.getBigUint64(8, true)));
  }
  const out = sets.map((s) => (s ? new Uint8Array(s.length) : undefined));
  const check = () => {
    out.forEach((o) => o?.fill(0));
    let count = 0;
    for (const w of watches) {
      const r = w.file!.pollEvents();
      sets.forEach((s, k) => {
        if (s && s[w.fd >> 3] & (1 << (w.fd & 7)) && r & masks[k]) {
          out[k]![w.fd >> 3] |= 1 << (w.fd & 7);
          count++;
        }
      });
    }
    return count;
  };
  const finish = (count: number) => {
    out.forEach((o, k) => {
      if (o) proc.mem.writeBytes(a[1 + k], o);
    });
    writeRemaining(proc, a[4], deadline);
    return count;
  };
  return waitFor(`pselect6 of ${watches.length} descriptor(s)`, watches, deadline, check, finish);
}

/** `ppoll` and `pselect6`. */
export const POLL_SYSCALLS: readonly SyscallDef[] = [
  def("ppoll", sysPpoll, { args: ["p", "d", "p", "p", "d"] }),
  def("pselect6", sysPselect6),
];
