/**
 * Process system calls: ids and credentials, process
 * groups and sessions, `uname` and `sysinfo`, resource limits, thread
 * scheduling (affinity, priority), `prctl`, `membarrier`, `getcpu`,
 * `personality`, and `wait4` (there are no children).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { NGROUPS_MAX } from "./credentials.ts";
import { readStruct, StructBuf } from "./guest_struct.ts";
import { CAP_LAST_CAP, hostCapabilities, hostLoad, hostUname, hostUptime } from "./host_info.ts";
import {
  COMM_LEN,
  commBytes,
  DEFAULT_TIMER_SLACK_NS,
  type Process,
  processOfId,
  SCHED_RESET_ON_FORK,
} from "./process.ts";
import {
  childrenInGroup,
  groupMembers,
  newSession,
  pgrpOf,
  sessionOf,
  setProcessGroup,
  waitableChildren,
} from "./process_groups.ts";
import { childEndCode, childEndStatus, waitStatus } from "./process_table.ts";
import { SIGINFO_SIZE } from "./signal_frame.ts";
import { SIGCHLD, SIGCONT } from "./signals.ts";
import { Blocked } from "./wait.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** True when `pid` names the guest itself (0 meaning "the caller"). */
function isSelf(proc: Process, cpu: Cpu, pid: number): boolean {
  return pid === 0 || pid === proc.pid || pid === proc.tidOf(cpu);
}

/**
 * The guest process `pid` names for calls on a process (limits, priority,
 * scheduling): the caller's own (0, its pid, one of its threads' ids) or
 * another of plume's, made by `fork`, by its pid or one of its threads'
 * ids, ended but not collected yet too (Linux's `find_task_by_vpid`).
 * Undefined when there is none (`ESRCH`).
 */
function processNamed(proc: Process, cpu: Cpu, pid: number): Process | undefined {
  if (isSelf(proc, cpu, pid)) return proc;
  return processOfId(proc, pid);
}

function sysGetgroups(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const size = a[0] | 0;
  const groups = proc.creds.groups;
  if (size < 0) throw new SyscallError(E.EINVAL, `Bad size ${size}`);
  if (size === 0) return groups.length;
  if (size < groups.length) throw new SyscallError(E.EINVAL, `${size} slots for ${groups.length} groups`);
  const b = new StructBuf(groups.length * 4);
  groups.forEach((g, i) => b.u32(i * 4, g));
  b.writeTo(proc.mem, a[1]);
  return groups.length;
}

function sysSetgroups(_proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const size = a[0] | 0;
  if (size < 0 || size > NGROUPS_MAX) throw new SyscallError(E.EINVAL, `Bad size ${size}`);
  throw new SyscallError(E.EPERM, "Setting groups needs CAP_SETGID");
}

/** Writes three ids to three guest pointers (`getresuid`, `getresgid`). */
function writeIds(proc: Process, a: readonly number[], ids: [number, number, number]): number {
  for (let i = 0; i < 3; i++) proc.mem.writeU32(a[i], ids[i]);
  return 0;
}

/** The process group and session of process `pid` (0: the caller): one of the run's, or else the host's. */
function groupAndSession(proc: Process, cpu: Cpu, pid: number): { pgrp: number; session: number } {
  if (pid < 0) throw new SyscallError(E.ESRCH);
  const p = processNamed(proc, cpu, pid);
  if (p !== undefined) return { pgrp: pgrpOf(p), session: sessionOf(p) };
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pgrp: Number(rest[2]), session: Number(rest[3]) };
  } catch {
    throw new SyscallError(E.ESRCH, `No process ${pid}`);
  }
}

const UTS_FIELD = 65;

function sysUname(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const u = hostUname();
  const b = new StructBuf(6 * UTS_FIELD);
  ["Linux", u.nodename, u.release, u.version, "riscv64", u.domainname].forEach((s, i) =>
    b.cstr(i * UTS_FIELD, s, UTS_FIELD)
  );
  b.writeTo(proc.mem, a[0]);
  return 0;
}

function sysSysinfo(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const l = hostLoad();
  const b = new StructBuf(112);
  b.i64(0, Math.floor(hostUptime()));
  l.loads.forEach((v, i) => b.i64(8 + 8 * i, Math.round(v * 65536)));
  b.i64(32, l.totalram).i64(40, l.freeram).i64(48, l.sharedram).i64(56, l.bufferram);
  b.i64(64, l.totalswap).i64(72, l.freeswap).u16(80, Math.min(l.procs, 0xffff)).u32(104, 1);
  b.writeTo(proc.mem, a[0]);
  return 0;
}

function readRlimit(proc: Process, addr: number): { cur: bigint; max: bigint } {
  const v = readStruct(proc.mem, addr, 16);
  return { cur: v.getBigUint64(0, true), max: v.getBigUint64(8, true) };
}

function writeRlimit(proc: Process, addr: number, l: { cur: bigint; max: bigint }): void {
  StructBuf.scratch(16).i64(0, l.cur).i64(8, l.max).writeTo(proc.mem, addr);
}

function sysPrlimit64(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const pid = a[0] | 0, resource = a[1] >>> 0;
  const next = a[2] !== 0 ? readRlimit(proc, a[2]) : undefined;
  const target = processNamed(proc, cpu, pid);
  if (target === undefined) throw new SyscallError(E.ESRCH, `No process ${pid} to limit`);
  const old = target.rlimits.get(resource);
  if (next) target.rlimits.set(resource, next);
  if (a[3] !== 0) writeRlimit(proc, a[3], old);
  return 0;
}

function sysGetrlimit(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  writeRlimit(proc, a[1], proc.rlimits.get(a[0] >>> 0));
  return 0;
}

function sysSetrlimit(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const next = readRlimit(proc, a[1]);
  proc.rlimits.set(a[0] >>> 0, next);
  return 0;
}

/**
 * Bytes of the CPU mask plume reports, one `unsigned long`: one CPU, since
 * the guest's threads run one at a time (a program sizing a thread pool
 * from it makes one worker, as it would on a single-core machine).
 */
const CPUMASK_SIZE = 8;

function sysSchedGetaffinity(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const len = a[1] >>> 0;
  if (!processNamed(proc, cpu, a[0] | 0)) throw new SyscallError(E.ESRCH, `No thread ${a[0] | 0}`);
  if (len < CPUMASK_SIZE || len % 8 !== 0) throw new SyscallError(E.EINVAL, `Bad mask size ${len}`);
  new StructBuf(CPUMASK_SIZE).u8(0, 1).writeTo(proc.mem, a[2]);
  return CPUMASK_SIZE;
}

function sysSchedSetaffinity(proc: Process, cpu: Cpu, a: readonly number[]): number {
  if (!processNamed(proc, cpu, a[0] | 0)) throw new SyscallError(E.ESRCH, `No thread ${a[0] | 0}`);
  const len = Math.min(a[1] >>> 0, CPUMASK_SIZE);
  const mask = proc.mem.readBytes(a[2], len);
  if (len === 0 || (mask[0] & 1) === 0) throw new SyscallError(E.EINVAL, "The mask excludes the only CPU");
  return 0;
}

const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

/**
 * The processes `which`/`who` of the priority calls name, ended ones not
 * collected yet included: one of the run's for a process id, the run's
 * processes in a process group (0: the caller's) or of a user (0: the
 * caller's real one). Other host processes are out of sight.
 */
function priorityTargets(proc: Process, cpu: Cpu, which: number, who: number): Process[] {
  if (which !== PRIO_PROCESS && which !== PRIO_PGRP && which !== PRIO_USER) {
    throw new SyscallError(E.EINVAL, `Bad which ${which}`);
  }
  let targets: Process[];
  if (which === PRIO_PROCESS) {
    const p = processNamed(proc, cpu, who);
    targets = p === undefined ? [] : [p];
  } else if (which === PRIO_PGRP) targets = groupMembers(proc, who === 0 ? pgrpOf(proc) : who);
  else {
    const uid = who === 0 ? proc.creds.uid.real : who >>> 0;
    targets = [...proc.family.processes.values()].filter((p) => p.creds.uid.real === uid);
  }
  if (targets.length === 0) throw new SyscallError(E.ESRCH, `No target ${who}`);
  return targets;
}

function sysGetpriority(proc: Process, cpu: Cpu, a: readonly number[]): number {
  // The system call returns 20 - nice so that the result is never negative; of several processes, the highest.
  return 20 - Math.min(...priorityTargets(proc, cpu, a[0] | 0, a[1] | 0).map((p) => p.nice));
}

function sysSetpriority(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const nice = Math.max(-20, Math.min(19, a[2] | 0));
  // Linux sets each target it may, and answers the last refusal if there was one.
  let refused = false;
  for (const target of priorityTargets(proc, cpu, a[0] | 0, a[1] | 0)) {
    if (nice < target.nice) refused = true;
    else target.nice = nice;
  }
  if (refused) throw new SyscallError(E.EACCES, `Lowering nice to ${nice} needs CAP_SYS_NICE`);
  return 0;
}

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4;
const PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_SET_NAME = 15, PR_GET_NAME = 16;
const PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;
const PR_GET_TIMING = 13, PR_CAPBSET_READ = 23, PR_GET_SECUREBITS = 27, PR_MCE_KILL_GET = 34, PR_CAP_AMBIENT = 47;
const PR_GET_IO_FLUSHER = 58;
const PR_CAP_AMBIENT_IS_SET = 1, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_LOWER = 3, PR_CAP_AMBIENT_CLEAR_ALL = 4;
/** `PR_MCE_KILL_GET`'s answer when no policy was set: the system's (`PR_MCE_KILL_DEFAULT`). */
const PR_MCE_KILL_DEFAULT = 2;

/** A capability number of a `prctl` argument: `EINVAL` past the last one. */
function capArg(v: number): bigint {
  if (!(v >= 0 && v <= CAP_LAST_CAP)) throw new SyscallError(E.EINVAL, `Bad capability ${v}`);
  return 1n << BigInt(v);
}

/** `prctl`: names, the parent-death signal, and the flags programs read back (Linux's checks of each argument). */
function sysPrctl(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const flag = (value: number) => {
    if (value !== 0 && value !== 1) throw new SyscallError(E.EINVAL, `prctl flag ${value}`);
    return value;
  };
  switch (a[0] | 0) {
    case PR_SET_PDEATHSIG:
      if (!(a[1] >= 0 && a[1] <= 64)) throw new SyscallError(E.EINVAL, `Bad signal ${a[1]}`);
      proc.deathSignal = a[1];
      return 0;
    case PR_GET_PDEATHSIG:
      proc.mem.writeU32(a[1], proc.deathSignal);
      return 0;
    case PR_GET_DUMPABLE:
      return proc.dumpable;
    case PR_SET_DUMPABLE:
      proc.dumpable = flag(a[1]);
      return 0;
    case PR_GET_KEEPCAPS:
      return proc.keepCaps;
    case PR_SET_KEEPCAPS:
      proc.keepCaps = flag(a[1]);
      return 0;
    case PR_GET_TIMERSLACK:
      // Linux answers the low 32 bits, as an int (what qemu shows): a slack of 2^60 reads back as 0.
      return proc.timerSlack | 0;
    case PR_SET_TIMERSLACK:
      proc.timerSlack = a[1] === 0 ? DEFAULT_TIMER_SLACK_NS : a[1];
      return 0;
    case PR_SET_NO_NEW_PRIVS:
      if (a[1] !== 1 || (a[2] | a[3] | a[4]) !== 0) throw new SyscallError(E.EINVAL, "PR_SET_NO_NEW_PRIVS takes 1");
      proc.noNewPrivs = 1;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if ((a[1] | a[2] | a[3] | a[4]) !== 0) throw new SyscallError(E.EINVAL, "PR_GET_NO_NEW_PRIVS takes no argument");
      return proc.noNewPrivs;
    case PR_SET_NAME: {
      // Up to 15 bytes, stopping at a NUL; reading past them is not required.
      const bytes: number[] = [];
      for (let i = 0; i < COMM_LEN - 1; i++) {
        const c = proc.mem.readBytes(a[1] + i, 1)[0];
        if (c === 0) break;
        bytes.push(c);
      }
      // Each thread has its own name; the first thread's is the process's (its /proc/PID/comm).
      const name = new TextDecoder().decode(new Uint8Array(bytes)), t = proc.thread(cpu);
      if (t.tid === proc.pid) proc.threadName = name;
      else t.name = name;
      return 0;
    }
    case PR_GET_NAME: {
      const b = new StructBuf(COMM_LEN);
      const name = commBytes(proc.threadComm(proc.thread(cpu)));
      b.bytes.set(name);
      b.writeTo(proc.mem, a[1]);
      return 0;
    }
    // What the process has of capabilities, securebits and machine-check policy is its host process's, read only:
    // plume's guests get no privilege plume lacks.
    case PR_CAPBSET_READ:
      return hostCapabilities().bounding & capArg(a[1]) ? 1 : 0;
    case PR_CAP_AMBIENT:
      if ((a[3] | a[4]) !== 0) throw new SyscallError(E.EINVAL, "PR_CAP_AMBIENT takes no more arguments");
      switch (a[1] | 0) {
        case PR_CAP_AMBIENT_IS_SET:
          return hostCapabilities().ambient & capArg(a[2]) ? 1 : 0;
        case PR_CAP_AMBIENT_RAISE:
          capArg(a[2]);
          throw new SyscallError(E.EPERM, "No capability may be raised");
        case PR_CAP_AMBIENT_LOWER:
          capArg(a[2]);
          return 0;
        case PR_CAP_AMBIENT_CLEAR_ALL:
          if (a[2] !== 0) throw new SyscallError(E.EINVAL, "PR_CAP_AMBIENT_CLEAR_ALL takes no capability");
          return 0;
        default:
          throw new SyscallError(E.EINVAL, `Bad PR_CAP_AMBIENT operation ${a[1] | 0}`);
      }
    case PR_GET_SECUREBITS:
      return 0;
    case PR_GET_TIMING:
      return 0; // PR_TIMING_STATISTICAL, the only timing there is
    case PR_MCE_KILL_GET:
      if ((a[1] | a[2] | a[3] | a[4]) !== 0) throw new SyscallError(E.EINVAL, "PR_MCE_KILL_GET takes no argument");
      return PR_MCE_KILL_DEFAULT;
    case PR_GET_IO_FLUSHER:
      throw new SyscallError(E.EPERM, "PR_GET_IO_FLUSHER needs CAP_SYS_RESOURCE");
    default:
      throw new SyscallError(E.EINVAL, `Unsupported prctl option ${a[0] | 0}`);
  }
}

/** `membarrier` commands (bits of the `MEMBARRIER_CMD_QUERY` answer). */
const MB = {
  QUERY: 0,
  GLOBAL: 1,
  GLOBAL_EXPEDITED: 2,
  REGISTER_GLOBAL_EXPEDITED: 4,
  PRIVATE_EXPEDITED: 8,
  REGISTER_PRIVATE_EXPEDITED: 16,
  PRIVATE_EXPEDITED_SYNC_CORE: 32,
  REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: 64,
  PRIVATE_EXPEDITED_RSEQ: 128,
  REGISTER_PRIVATE_EXPEDITED_RSEQ: 256,
  GET_REGISTRATIONS: 512,
} as const;
const MB_SUPPORTED = 1023, MEMBARRIER_CMD_FLAG_CPU = 1;
const membarrierRegistrations = new WeakMap<Process, number>();

function sysMembarrier(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const cmd = a[0] | 0, flags = a[1] | 0;
  // Flags are checked first: only the rseq barrier takes one (MEMBARRIER_CMD_FLAG_CPU).
  if (flags !== 0 && !(cmd === MB.PRIVATE_EXPEDITED_RSEQ && flags === MEMBARRIER_CMD_FLAG_CPU)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  if (cmd === MB.QUERY) return MB_SUPPORTED;
  if (cmd <= 0 || cmd & (cmd - 1) || !(cmd & MB_SUPPORTED)) throw new SyscallError(E.EINVAL, `Bad command ${cmd}`);
  const reg = membarrierRegistrations.get(proc) ?? 0;
  // Running a private expedited barrier needs its registration first.
  const needs: Record<number, number> = {
    [MB.PRIVATE_EXPEDITED]: MB.REGISTER_PRIVATE_EXPEDITED,
    [MB.PRIVATE_EXPEDITED_SYNC_CORE]: MB.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
    [MB.PRIVATE_EXPEDITED_RSEQ]: MB.REGISTER_PRIVATE_EXPEDITED_RSEQ,
    [MB.GLOBAL_EXPEDITED]: 0,
  };
  if (cmd === MB.GET_REGISTRATIONS) return reg;
  if (cmd in needs) {
    if (needs[cmd] && !(reg & needs[cmd])) throw new SyscallError(E.EPERM, `Command ${cmd} not registered`);
    return 0;
  }
  membarrierRegistrations.set(proc, reg | cmd);
  return 0;
}

function sysGetcpu(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  if (a[0] !== 0) proc.mem.writeU32(a[0], 0);
  if (a[1] !== 0) proc.mem.writeU32(a[1], 0);
  return 0;
}

const personalities = new WeakMap<Process, number>();

function sysPersonality(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const old = personalities.get(proc) ?? 0;
  if (a[0] >>> 0 !== 0xffff_ffff) personalities.set(proc, a[0] >>> 0);
  return old;
}

const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
/**
 * The most random bytes one call returns: Linux's MAX_RW_COUNT (its
 * getrandom fills a user buffer as `read` does; 32 MiB - 1 before 5.18).
 */
const GETRANDOM_MAX = 0x7fff_f000;
/** `crypto.getRandomValues` fills at most 64 KiB at a time. */
const ENTROPY_CHUNK = 65536;

function sysGetrandom(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[2] >>> 0;
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) || (flags & GRND_RANDOM && flags & GRND_INSECURE)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  const len = a[1] < 0 ? GETRANDOM_MAX : Math.min(a[1], GETRANDOM_MAX);
  const dst = proc.mem.bytes(a[0], len, "write");
  // Guest memory is a SharedArrayBuffer, which getRandomValues refuses: fill a copy.
  const chunk = new Uint8Array(Math.min(len, ENTROPY_CHUNK));
  for (let off = 0; off < len; off += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, len - off));
    crypto.getRandomValues(part);
    dst.set(part, off);
  }
  proc.mem.noteWrite(a[0], len);
  return len;
}

const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5;

/** The guest's threads run under plume's own scheduler: Linux's view of them is "SCHED_OTHER, priority 0". */
function schedTarget(proc: Process, cpu: Cpu, pid: number): Process {
  if (pid < 0) throw new SyscallError(E.EINVAL, `Bad pid ${pid}`);
  const target = processNamed(proc, cpu, pid);
  if (target === undefined) throw new SyscallError(E.ESRCH, `No thread ${pid}`);
  return target;
}

function sysSchedGetparam(proc: Process, cpu: Cpu, a: readonly number[]): number {
  // Linux refuses a null pointer before it looks for the process.
  if (a[1] === 0) throw new SyscallError(E.EINVAL, "No sched_param");
  schedTarget(proc, cpu, a[0] | 0);
  proc.mem.writeU32(a[1], 0);
  return 0;
}

function sysSchedSetparam(proc: Process, cpu: Cpu, a: readonly number[]): number {
  if (a[1] === 0) throw new SyscallError(E.EINVAL, "No sched_param");
  schedTarget(proc, cpu, a[0] | 0);
  const prio = proc.mem.readU32(a[1]) | 0;
  if (prio !== 0) throw new SyscallError(E.EINVAL, `Priority ${prio} under SCHED_OTHER`);
  return 0;
}

function sysSchedSetscheduler(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const target = schedTarget(proc, cpu, a[0] | 0);
  const policy = (a[1] | 0) & ~SCHED_RESET_ON_FORK;
  const prio = proc.mem.readU32(a[2]) | 0;
  if (![SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE].includes(policy)) {
    throw new SyscallError(E.EINVAL, `Bad policy ${policy}`);
  }
  const realtime = policy === SCHED_FIFO || policy === SCHED_RR;
  if (realtime ? prio < 1 || prio > 99 : prio !== 0) throw new SyscallError(E.EINVAL, `Bad priority ${prio}`);
  // Real-time policies need CAP_SYS_NICE; the others change nothing plume does, but are reported back.
  if (realtime) throw new SyscallError(E.EPERM, "Real-time scheduling needs CAP_SYS_NICE");
  target.schedPolicy = a[1] | 0;
  return 0;
}

function sysSchedPriority(a: readonly number[], max: boolean): number {
  const policy = a[0] | 0;
  if (policy === SCHED_FIFO || policy === SCHED_RR) return max ? 99 : 1;
  if (policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE) return 0;
  throw new SyscallError(E.EINVAL, `Bad policy ${policy}`);
}

function sysSchedRrGetInterval(proc: Process, cpu: Cpu, a: readonly number[]): number {
  schedTarget(proc, cpu, a[0] | 0);
  // Linux reports the round-robin quantum (100 ms by default) whatever the policy.
  new StructBuf(16).i64(0, 0).i64(8, 100_000_000).writeTo(proc.mem, a[1]);
  return 0;
}

// idtype values of waitid.
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
/** waitid's options besides WNOHANG. */
const WEXITED = 4, WNOWAIT = 0x0100_0000;
/** `si_code`s of a child's stop and continuation as `waitid` reports them. */
const CLD_STOPPED = 5, CLD_CONTINUED = 6;

/** What a wait reports of a child: its end, or a stop or continuation (job control). */
type ChildEvent = "ended" | "stopped" | "continued";

/**
 * Waits for one of `children` to end, or (as `events` asks: `WEXITED`,
 * `WUNTRACED`, `WCONTINUED`) to stop or continue; throws {@link Blocked}
 * until one has, unless `noHang`. Hands it and what happened to `report`;
 * ECHILD when there is none to wait for. Children are looked at in order,
 * each for its end first, as Linux's `wait_consider_task` does.
 */
function waitChild(
  children: () => Process[],
  noHang: boolean,
  events: number,
  report: (child: Process, event: ChildEvent) => number,
  noChild: () => number,
): number {
  const attempt = (): number | undefined => {
    const list = children();
    if (list.length === 0) return -E.ECHILD;
    for (const c of list) {
      if (c.exitStatus !== null) {
        if (events & WEXITED) return report(c, "ended");
      } else if (events & WUNTRACED && c.waitEvent === "stopped" && c.stopSignal !== 0) {
        return report(c, "stopped");
      } else if (events & WCONTINUED && c.waitEvent === "continued") return report(c, "continued");
    }
    return noHang ? noChild() : undefined;
  };
  const r = attempt();
  if (r === undefined) {
    throw new Blocked({ what: "wait for a child", deadline: Infinity, restart: "restart", poll: attempt, cancel() {} });
  }
  if (r < 0) throw new SyscallError(-r);
  return r;
}

/** Removes an ended child from its parent's list (it is collected: no longer a zombie). */
function reap(proc: Process, child: Process): void {
  proc.children.splice(proc.children.indexOf(child), 1);
  proc.family.processes.delete(child.pid);
  // Its own children are nobody's now (Linux gives them to init, which collects them).
  for (const orphan of child.children) if (orphan.exitStatus !== null) proc.family.processes.delete(orphan.pid);
}

/** Takes a child's event: an ended child is collected, a stop or continuation is reported once. */
function takeEvent(proc: Process, child: Process, event: ChildEvent): void {
  if (event === "ended") reap(proc, child);
  else child.waitEvent = undefined;
}

/** Writes a child's resource usage, which is not counted: all zero. */
function writeRusage(proc: Process, addr: number): void {
  proc.mem.writeBytes(addr, new Uint8Array(RUSAGE_SIZE));
}

function sysWaitid(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const idtype = a[0] | 0, id = a[1] | 0, infop = a[2], options = a[3] >>> 0, rusage = a[4];
  if (options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE)) {
    throw new SyscallError(E.EINVAL, `Bad options ${a[3]}`);
  }
  if (!(options & (WEXITED | WUNTRACED | WCONTINUED))) throw new SyscallError(E.EINVAL, "No event to wait for");
  if (idtype < P_ALL || idtype > P_PIDFD) throw new SyscallError(E.EINVAL, `Bad idtype ${idtype}`);
  if (idtype === P_PGID && id < 0) throw new SyscallError(E.EINVAL);
  if (idtype === P_PIDFD) throw new SyscallError(E.EINVAL, "pidfds are not supported");
  if (idtype === P_PID && id <= 0) throw new SyscallError(E.EINVAL, `Bad pid ${id}`);
  // After the child was collected (a bad pointer is EFAULT with the child gone all the same), Linux writes the
  // (uncounted, all zero) resource usage of a child found, then these fields of the siginfo alone: signo, errno, code,
  // pid, uid, status.
  const writeInfo = (child: Process | undefined, event: ChildEvent) => {
    if (child !== undefined && rusage !== 0) writeRusage(proc, rusage);
    if (infop !== 0) {
      // The whole siginfo_t is checked, some of its fields written.
      proc.mem.check(infop, SIGINFO_SIZE, "write");
      const fields = child === undefined ? [0, 0, 0, 0, 0, 0] : [
        SIGCHLD,
        0,
        event === "ended" ? childEndCode(child) : event === "stopped" ? CLD_STOPPED : CLD_CONTINUED,
        child.pid,
        child.creds.uid.real,
        event === "ended" ? childEndStatus(child) : event === "stopped" ? child.stopSignal : SIGCONT,
      ];
      // At 0, 4, 8 and (after the union's alignment) 16, 20, 24: the padding at 12 is left as it was.
      fields.forEach((v, i) => proc.mem.writeU32(infop + (i < 3 ? 4 * i : 4 * i + 4), v >>> 0));
    }
  };
  return waitChild(
    () =>
      byCloneKind(
        idtype === P_PID
          ? waitableChildren(proc, id)
          : idtype === P_PGID
          ? childrenInGroup(proc, id || pgrpOf(proc))
          : proc.children,
        options,
      ),
    (options & WNOHANG) !== 0,
    options,
    (child, event) => {
      if (!(options & WNOWAIT)) takeEvent(proc, child, event);
      writeInfo(child, event);
      return 0;
    },
    () => (writeInfo(undefined, "ended"), 0),
  );
}

function sysMincore(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const addr = a[0], len = a[1];
  if (addr % 4096 !== 0) throw new SyscallError(E.EINVAL, `Unaligned address 0x${addr.toString(16)}`);
  // A negative length is a huge unsigned one: past the end of the space, as Linux's access_ok finds (ENOMEM).
  if (len < 0) throw new SyscallError(E.ENOMEM, `Length ${len} past the address space`);
  const pages = Math.ceil(len / 4096);
  if (!proc.mem.inRange(addr, pages * 4096)) throw new SyscallError(E.ENOMEM, "Outside the address space");
  for (let p = 0; p < pages; p++) {
    if ((proc.mem.pages[(addr >>> 12) + p] & 8) === 0) throw new SyscallError(E.ENOMEM, "Unmapped page");
  }
  // Every mapped page counts as resident.
  proc.mem.writeBytes(a[2], new Uint8Array(pages).fill(1));
  return 0;
}

const WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, WNOTHREAD = 0x2000_0000, WALL = 0x4000_0000, WCLONE = 0x8000_0000;

function sysWait4(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const pid = a[0] | 0, wstatus = a[1], options = a[2] >>> 0, rusage = a[3];
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE)) {
    throw new SyscallError(E.EINVAL, `Bad options ${a[2]}`);
  }
  const events = WEXITED | (options & (WUNTRACED | WCONTINUED));
  if (pid === -0x8000_0000) throw new SyscallError(E.ESRCH, "No process group 2^31");
  return waitChild(() => byCloneKind(waitableChildren(proc, pid), options), (options & WNOHANG) !== 0, events, (
    child,
    event,
  ) => {
    // A stopped child's status is its signal and 0x7f, a continued one's 0xffff.
    const status = event === "ended"
      ? waitStatus(child)
      : event === "stopped"
      ? (child.stopSignal << 8) | 0x7f
      : 0xffff;
    // Collected first, then told (Linux's order: a bad pointer is EFAULT with the child gone all the same).
    takeEvent(proc, child, event);
    if (wstatus !== 0) proc.mem.writeU32(wstatus, status);
    if (rusage !== 0) writeRusage(proc, rusage);
    return child.pid;
  }, () => 0);
}

/**
 * The children a wait with `options` may see (Linux's eligible_child):
 * all with `__WALL`, else those that signal their end with `SIGCHLD` (made
 * by `fork`), or with `__WCLONE` only the others ("clone" children).
 */
function byCloneKind(children: Process[], options: number): Process[] {
  if (options & WALL) return children;
  const clones = (options & WCLONE) !== 0;
  return children.filter((c) => (c.exitSignal !== SIGCHLD) === clones);
}

/** `sizeof(struct rusage)` on riscv64. */
const RUSAGE_SIZE = 144;

/** Process and thread system calls. */
export const PROC_SYSCALLS: readonly SyscallDef[] = [
  def("getpid", (p) => p.pid, { args: [] }),
  def("getppid", (p) => p.parent?.pid ?? Deno.ppid, { args: [] }),
  def("getuid", (p) => p.creds.uid.real, { args: [] }),
  def("geteuid", (p) => p.creds.uid.effective, { args: [] }),
  def("getgid", (p) => p.creds.gid.real, { args: [] }),
  def("getegid", (p) => p.creds.gid.effective, { args: [] }),
  def("getgroups", sysGetgroups),
  def("setgroups", sysSetgroups),
  def("setuid", (p, _c, a) => (p.creds.uid.set(a[0] >>> 0), 0)),
  def("setgid", (p, _c, a) => (p.creds.gid.set(a[0] >>> 0), 0), { args: ["u"] }),
  def("setreuid", (p, _c, a) => (p.creds.uid.setRe(a[0] >>> 0, a[1] >>> 0), 0), { args: ["u", "u"] }),
  def("setregid", (p, _c, a) => (p.creds.gid.setRe(a[0] >>> 0, a[1] >>> 0), 0)),
  def("setresuid", (p, _c, a) => (p.creds.uid.setRes(a[0] >>> 0, a[1] >>> 0, a[2] >>> 0), 0), {
    args: ["u", "u", "u"],
  }),
  def("setresgid", (p, _c, a) => (p.creds.gid.setRes(a[0] >>> 0, a[1] >>> 0, a[2] >>> 0), 0), {
    args: ["u", "u", "u"],
  }),
  def("getresuid", (p, _c, a) => writeIds(p, a, [p.creds.uid.real, p.creds.uid.effective, p.creds.uid.saved])),
  def("getresgid", (p, _c, a) => writeIds(p, a, [p.creds.gid.real, p.creds.gid.effective, p.creds.gid.saved])),
  def("setfsuid", (p, _c, a) => p.creds.uid.setFs(a[0] >>> 0), { args: ["u"] }),
  def("setfsgid", (p, _c, a) => p.creds.gid.setFs(a[0] >>> 0), { args: ["u"] }),
  def("getpgid", (p, c, a) => groupAndSession(p, c, a[0] | 0).pgrp, { args: ["u"] }),
  def("setpgid", (p, _c, a) => setProcessGroup(p, a[0] | 0, a[1] | 0), { args: ["u", "u"] }),
  def("getsid", (p, c, a) => groupAndSession(p, c, a[0] | 0).session, { args: ["d"] }),
  def("setsid", (p) => newSession(p), { args: [] }),
  def("uname", sysUname, { args: ["p"] }),
  def("sysinfo", sysSysinfo),
  def("prlimit64", sysPrlimit64),
  def("getrlimit", sysGetrlimit),
  def("setrlimit", sysSetrlimit),
  def("sched_getaffinity", sysSchedGetaffinity),
  def("sched_setaffinity", sysSchedSetaffinity),
  def("getpriority", sysGetpriority, { args: ["x", "x"] }),
  def("setpriority", sysSetpriority),
  def("prctl", sysPrctl),
  def("membarrier", sysMembarrier),
  def("getcpu", sysGetcpu, { args: ["p", "d"] }),
  def("personality", sysPersonality),
  def("wait4", sysWait4),
  def("waitid", sysWaitid),
  def("sched_getparam", sysSchedGetparam),
  def("sched_setparam", sysSchedSetparam),
  def("sched_getscheduler", (p, c, a) => schedTarget(p, c, a[0] | 0).schedPolicy),
  def("sched_setscheduler", sysSchedSetscheduler),
  def("sched_get_priority_max", (_p, _c, a) => sysSchedPriority(a, true)),
  def("sched_get_priority_min", (_p, _c, a) => sysSchedPriority(a, false)),
  def("sched_rr_get_interval", sysSchedRrGetInterval),
  def("mincore", sysMincore),
  def("getrandom", sysGetrandom, { args: ["p", "u", "u"] }),
];
