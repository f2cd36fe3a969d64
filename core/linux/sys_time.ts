/**
 * Clocks and sleeping: `clock_gettime`, `clock_getres`, `gettimeofday`,
 * `nanosleep`, `clock_nanosleep`, the process's CPU accounting (`times`,
 * `getrusage`), and POSIX timers on those clocks (`timer_create` and the
 * rest: `posix_timers.ts`).
 *
 * The realtime clock is `performance.timeOrigin + performance.now()`
 * (sub-microsecond resolution); the monotonic clock counts from the host's
 * boot, anchored once to `/proc/uptime` and advanced by
 * `performance.now()`, so it never goes back. CPU time and resource usage
 * are the host process's (its C library's `clock_gettime` and `getrusage`,
 * else `/proc/self/stat`), which include the translator's work.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { readStruct, readValidTimespec, StructBuf, writeI32, writeTimespec, writeTimeval } from "./guest_struct.ts";
import { SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, type TimerEvent } from "./posix_timers.ts";
import { NSIG, SIGALRM } from "./signals.ts";
import { uptimeNow } from "./host_info.ts";
import type { Process } from "./process.ts";
import { Blocked } from "./wait.ts";
import { libc } from "./host_libc.ts";
import { CLOCK_IDS, fmtTimeval, fmtTimezone, retTimespecArg } from "./strace.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** Clock ids. */
export const CLOCK_REALTIME = 0;
/** Monotonic clock. */
export const CLOCK_MONOTONIC = 1;
/** CPU time of the process. */
const CLOCK_PROCESS_CPUTIME_ID = 2;
/** CPU time of the thread. */
const CLOCK_THREAD_CPUTIME_ID = 3;
/** Monotonic, not slewed. */
const CLOCK_MONOTONIC_RAW = 4;
/** Realtime at tick resolution. */
const CLOCK_REALTIME_COARSE = 5;
/** Monotonic at tick resolution. */
const CLOCK_MONOTONIC_COARSE = 6;
/** Monotonic including suspend. */
const CLOCK_BOOTTIME = 7;
/** The alarm clocks (realtime and boottime that would wake a suspended machine). */
const CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9;
/** International atomic time. */
const CLOCK_TAI = 11;
/** `clock_nanosleep` flag: the time is absolute. */
const TIMER_ABSTIME = 1;

/** Tick length of the coarse clocks (Linux with `HZ=250`). */
const COARSE_RESOLUTION_NS = 4_000_000n;
/** `sysconf(_SC_CLK_TCK)`: unit of `times` and `struct tms`. */
const USER_HZ = 100;

/** Nanoseconds since the epoch. */
export function realtimeNs(): bigint {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return BigInt(sec) * 1_000_000_000n + BigInt(Math.floor((ms - sec * 1000) * 1e6));
}

/** Nanoseconds since the host booted; never decreases. */
export function monotonicNs(): bigint {
  return BigInt(Math.floor(uptimeNow() * 1e9));
}

/** CPU time used by the process (user + system), in nanoseconds. */
function cpuTimeNs(): bigint {
  const c = libc();
  if (c !== null) {
    const ts = new Uint8Array(16);
    if (c.clock_gettime(CLOCK_PROCESS_CPUTIME_ID, ts) === 0) {
      const v = new DataView(ts.buffer);
      return v.getBigInt64(0, true) * 1_000_000_000n + v.getBigInt64(8, true);
    }
  }
  const u = hostRusage();
  return BigInt(u.userUs + u.systemUs) * 1000n;
}

/** Size of `struct rusage` (the same on x86-64 and riscv64). */
const RUSAGE_SIZE = 144;
const processStart = performance.now();

/**
 * The host process's resource usage: the C library's `getrusage` bytes
 * (which the guest's `struct rusage` shares), else user and system time
 * from `/proc/self/stat` (10 ms ticks) and the peak resident size, or at
 * worst the time since plume started.
 */
function hostRusage(): { userUs: number; systemUs: number; bytes?: Uint8Array } {
  const c = libc();
  if (c !== null) {
    const bytes = new Uint8Array(RUSAGE_SIZE);
    if (c.getrusage(0, bytes) === 0) {
      const v = new DataView(bytes.buffer);
      const tv = (off: number) => Number(v.getBigInt64(off, true)) * 1e6 + Number(v.getBigInt64(off + 8, true));
      return { userUs: tv(0), systemUs: tv(16), bytes };
    }
  }
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { userUs: Number(f[11]) * (1e6 / USER_HZ), systemUs: Number(f[12]) * (1e6 / USER_HZ) };
  } catch {
    return { userUs: Math.max(1, Math.round((performance.now() - processStart) * 1000)), systemUs: 0 };
  }
}

/**
 * The time of `clock` in nanoseconds, or undefined for a clock Linux would
 * refuse. Negative ids are the CPU clocks of a pid or tid (`MAKE_PROCESS_CPUCLOCK`):
 * only the guest's own are known.
 */
export function clockNs(proc: Process, cpu: Cpu, clock: number): bigint | undefined {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
      return realtimeNs();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
      return monotonicNs();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return cpuTimeNs();
  }
  if (clock < 0 && (clock & 3) !== 3) {
    const id = ~(clock >> 3);
    if (id === 0 || id === proc.pid || id === proc.tidOf(cpu)) return cpuTimeNs();
  }
  return undefined;
}

function sysClockGettime(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const ns = clockNs(proc, cpu, a[0] | 0);
  if (ns === undefined) throw new SyscallError(E.EINVAL, `Unknown clock ${a[0] | 0}`);
  writeTimespec(proc.mem, a[1], ns);
  return 0;
}

function sysClockGetres(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const clock = a[0] | 0;
  if (clockNs(proc, cpu, clock) === undefined) throw new SyscallError(E.EINVAL, `Unknown clock ${clock}`);
  const coarse = clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE;
  if (a[1] !== 0) writeTimespec(proc.mem, a[1], coarse ? COARSE_RESOLUTION_NS : 1n);
  return 0;
}

function sysGettimeofday(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  if (a[0] !== 0) writeTimeval(proc.mem, a[0], realtimeNs());
  // The kernel's timezone is UTC unless something set it.
  if (a[1] !== 0) StructBuf.scratch(8).writeTo(proc.mem, a[1]);
  return 0;
}

/**
 * Blocks the calling thread for `ms` milliseconds in the scheduler (other
 * threads run meanwhile). A signal handler ends the sleep with `EINTR`;
 * `onInterrupt` gets the time left then (to write `rem`).
 */
function sleepFor(what: string, ms: number, onInterrupt: (leftMs: number) => void): number {
  if (!(ms > 0)) return 0;
  const deadline = performance.now() + ms;
  throw new Blocked({
    what,
    deadline,
    // Linux's ERESTART_RESTARTBLOCK: a handler makes the sleep fail with EINTR.
    restart: "eintr",
    poll: (now) => (now >= deadline ? 0 : undefined),
    cancel: () => onInterrupt(Math.max(0, deadline - performance.now())),
  });
}

/** Writes a remaining time to a `struct timespec` (as `nanosleep`'s `rem`), ignoring faults. */
function writeRemaining(proc: Process, addr: number, ms: number): void {
  if (addr === 0) return;
  try {
    writeTimespec(proc.mem, addr, BigInt(Math.round(ms * 1e6)));
  } catch {
    // Linux reports EFAULT for a bad rem, which the interrupted call cannot return any more.
  }
}

function sysNanosleep(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const ts = readValidTimespec(proc.mem, a[0]);
  return sleepFor("nanosleep", ts.sec * 1000 + ts.nsec / 1e6, (left) => writeRemaining(proc, a[1], left));
}

function sysClockNanosleep(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const clock = a[0] | 0, flags = a[1] | 0;
  if (
    clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== CLOCK_BOOTTIME && clock !== CLOCK_TAI
  ) {
    // Linux's raw and coarse clocks and the calling thread's CPU clock have no sleep, nor have the alarm clocks without
    // a real-time clock device, which a guest never has (EOPNOTSUPP); sleeping on the process's CPU clock is not
    // modelled; unknown clocks are invalid.
    const noSleep = clock === CLOCK_MONOTONIC_RAW || clock === CLOCK_REALTIME_COARSE ||
      clock === CLOCK_MONOTONIC_COARSE || clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM ||
      clock === CLOCK_THREAD_CPUTIME_ID;
    throw new SyscallError(noSleep ? E.EOPNOTSUPP : E.EINVAL, `Cannot sleep on clock ${clock}`);
  }
  const ts = readValidTimespec(proc.mem, a[2]);
  const req = ts.sec * 1000 + ts.nsec / 1e6;
  const abs = (flags & TIMER_ABSTIME) !== 0;
  const ms = abs ? req - Number(clockNs(proc, cpu, clock)!) / 1e6 : req;
  // An absolute sleep has no remaining time to report.
  return sleepFor("clock_nanosleep", ms, (left) => abs || writeRemaining(proc, a[3], left));
}

function sysTimes(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  if (a[0] !== 0) {
    const u = hostRusage();
    const ticks = (us: number) => Math.floor(us / (1e6 / USER_HZ));
    StructBuf.scratch(32).i64(0, ticks(u.userUs)).i64(8, ticks(u.systemUs)).writeTo(proc.mem, a[0]);
  }
  // Linux counts from an arbitrary origin; ticks since boot serve the same purpose.
  return Number(monotonicNs() / BigInt(1e9 / USER_HZ));
}

const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

function sysGetrusage(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const who = a[0] | 0;
  if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) {
    throw new SyscallError(E.EINVAL, `Bad who ${who}`);
  }
  const b = new StructBuf(RUSAGE_SIZE);
  if (who !== RUSAGE_CHILDREN) {
    // The guest's threads all run on the host's main thread: the whole process is what they used.
    const r = hostRusage();
    if (r.bytes) b.bytes.set(r.bytes);
    else {
      const tv = (off: number, us: number) => b.i64(off, Math.floor(us / 1e6)).i64(off + 8, Math.round(us % 1e6));
      tv(0, r.userUs);
      tv(16, r.systemUs);
      b.i64(32, Math.ceil(Deno.memoryUsage().rss / 1024));
    }
  }
  b.writeTo(proc.mem, a[1]);
  return 0;
}

/** `sigev_notify` of glibc's `SIGEV_THREAD`, which the kernel takes as a signal to the process. */
const SIGEV_THREAD = 2;

/** Whether `clock` is a CPU-time clock of the guest's own (its timers count the guest's run time). */
function cpuClock(proc: Process, cpu: Cpu, clock: number): boolean {
  return clock === CLOCK_PROCESS_CPUTIME_ID || clock === CLOCK_THREAD_CPUTIME_ID ||
    (clock < 0 && clockNs(proc, cpu, clock) !== undefined);
}

/** `timer_create(clockid, sevp, timerid)`: a new disarmed timer; `sevp` NULL is `SIGALRM` carrying the timer's id. */
function sysTimerCreate(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const clock = a[0] | 0;
  if (clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) {
    throw new SyscallError(E.EPERM, "Alarm clocks need CAP_WAKE_ALARM");
  }
  const wall = clock === CLOCK_REALTIME || clock === CLOCK_MONOTONIC || clock === CLOCK_BOOTTIME ||
    clock === CLOCK_TAI;
  const onCpu = cpuClock(proc, cpu, clock);
  if (clock === CLOCK_MONOTONIC_RAW || clock === CLOCK_REALTIME_COARSE || clock === CLOCK_MONOTONIC_COARSE) {
    throw new SyscallError(E.EOPNOTSUPP, `Clock ${clock} has no timers`);
  }
  if (!wall && !onCpu) throw new SyscallError(E.EINVAL, `No timers on clock ${clock}`);
  let event: TimerEvent = { notify: SIGEV_SIGNAL, signo: SIGALRM, tid: 0 };
  if (a[1] !== 0) {
    // struct sigevent: sigev_value (8 bytes), sigev_signo, sigev_notify, then sigev_notify_thread_id.
    const v = readStruct(proc.mem, a[1], 20);
    const notify = v.getInt32(12, true), signo = v.getInt32(8, true), tid = v.getInt32(16, true);
    const signals = notify === SIGEV_SIGNAL || notify === SIGEV_THREAD || notify === SIGEV_THREAD_ID;
    if (notify !== SIGEV_NONE && !signals) throw new SyscallError(E.EINVAL, `Bad sigev_notify ${notify}`);
    if (signals && (signo <= 0 || signo > NSIG)) throw new SyscallError(E.EINVAL, `Bad sigev_signo ${signo}`);
    if (notify === SIGEV_THREAD_ID && !proc.threads.has(tid)) {
      throw new SyscallError(E.EINVAL, `Thread ${tid} is not the process's`);
    }
    event = {
      notify: notify === SIGEV_NONE ? SIGEV_NONE : SIGEV_SIGNAL,
      signo,
      tid: notify === SIGEV_THREAD_ID ? tid : 0,
      value: v.getBigUint64(0, true),
    };
  }
  proc.mem.check(a[2], 4, "write");
  const id = proc.posixTimers.create(onCpu ? "cpu" : clock, event);
  writeI32(proc.mem, a[2], id);
  return 0;
}

/** Milliseconds of a `struct timespec` (checked as Linux does). */
function timespecMs(proc: Process, addr: number): number {
  const ts = readValidTimespec(proc.mem, addr);
  return ts.sec * 1000 + ts.nsec / 1e6;
}

/** Writes a timer's setting as a `struct itimerspec` (interval, then value). */
function writeItimerspec(proc: Process, addr: number, t: { value: number; interval: number }): void {
  // At most KTIME_MAX, as Linux reports a timer set further.
  const ns = (ms: number) => ms * 1e6 >= 2 ** 63 ? 2n ** 63n - 1n : BigInt(Math.round(ms * 1e6));
  const b = StructBuf.scratch(32);
  const put = (off: number, ms: number) => {
    const v = ns(ms);
    b.i64(off, v / 1_000_000_000n).i64(off + 8, v % 1_000_000_000n);
  };
  put(0, t.interval);
  put(16, t.value);
  b.writeTo(proc.mem, addr);
}

/** `timer_settime(timerid, flags, new, old)`: arms (or with a zero value disarms) the timer, relative or absolute. */
function sysTimerSettime(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const id = a[0] | 0, now = performance.now();
  const clock = proc.posixTimers.clockOf(id);
  if (a[2] === 0) throw new SyscallError(E.EINVAL, "No new setting");
  const interval = timespecMs(proc, a[2]), given = timespecMs(proc, a[2] + 16);
  let value = given;
  if ((a[1] & TIMER_ABSTIME) !== 0 && given > 0) {
    // Time left until the absolute time on the timer's clock: one in the past fires at once.
    const clockMs = clock === "cpu" ? Number(cpuTimeNs()) / 1e6 : Number(clockNs(proc, cpu, clock)!) / 1e6;
    value = Math.max(given - clockMs, 0.000001);
  }
  if (a[3] !== 0) proc.mem.check(a[3], 32, "write");
  const old = proc.posixTimers.set(id, value, value > 0 ? interval : 0, now, proc.runTime);
  if (a[3] !== 0) writeItimerspec(proc, a[3], old);
  return 0;
}

/** `timer_gettime(timerid, curr)`: the time left and the interval. */
function sysTimerGettime(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  writeItimerspec(proc, a[1], proc.posixTimers.get(a[0] | 0, performance.now(), proc.runTime));
  return 0;
}

/** Time system calls. */
export const TIME_SYSCALLS: readonly SyscallDef[] = [
  def("clock_gettime", sysClockGettime, { args: [{ enums: CLOCK_IDS }, "ptr"], ret: retTimespecArg(1) }),
  def("clock_getres", sysClockGetres, { args: [{ enums: CLOCK_IDS }, "ptr"], ret: retTimespecArg(1) }),
  def("gettimeofday", sysGettimeofday, {
    args: ["ptr", "ptr"],
    ret: (ret, args, mem) => `${ret} (${fmtTimeval(args[0], mem)},${fmtTimezone(args[1], mem)})`,
  }),
  def("nanosleep", sysNanosleep),
  def("clock_nanosleep", sysClockNanosleep, {
    args: [{ enums: CLOCK_IDS }, "d", "timespec", "timespec"],
  }),
  def("times", sysTimes),
  def("getrusage", sysGetrusage),
  def("timer_create", sysTimerCreate, { args: [{ enums: CLOCK_IDS }, "ptr", "ptr"] }),
  def("timer_settime", sysTimerSettime, { args: ["d", "d", "ptr", "ptr"] }),
  def("timer_gettime", sysTimerGettime, { args: ["d", "ptr"] }),
  def("timer_getoverrun", (proc, _cpu, a) => proc.posixTimers.overrun(a[0] | 0), { args: ["d"] }),
  def("timer_delete", (proc, _cpu, a) => (proc.posixTimers.delete(a[0] | 0), 0), { args: ["d"] }),
];
