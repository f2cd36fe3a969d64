/**
 * Event descriptors: `eventfd2` (a 64-bit counter one thread can post to
 * and another wait on) and `epoll` (`epoll_create1`, `epoll_ctl`,
 * `epoll_pwait`, `epoll_pwait2`), which event loops (libuv, GLib, Python's
 * selectors) are built on.
 *
 * An epoll instance keeps its interest list by descriptor and asks each
 * file's `pollEvents` when waited on, level-triggered; `EPOLLET` is
 * treated as level-triggered too (a program that drains a descriptor
 * until `EAGAIN`, as edge-triggered ones must, sees no difference beyond
 * an extra wake-up) and `EPOLLONESHOT` disables an entry once it is
 * reported. A wait blocks its thread in the scheduler like `ppoll`.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { readStruct, readValidTimespec, StructBuf } from "./guest_struct.ts";
import { type HostPollFd, POLL } from "./host_poll.ts";
import { HostFile, O_CLOEXEC, O_NONBLOCK, O_RDWR, OpenFile } from "./open_file.ts";
import { StdioFile } from "./stdio.ts";
import type { Process } from "./process.ts";
import { RLIMIT_NOFILE } from "./rlimits.ts";
import { type FileStat, S_IFDIR, S_IFMT, S_IFREG } from "./stat.ts";
import { UNBLOCKABLE } from "./signals.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import { Blocked } from "./wait.ts";

/** `eventfd` flag: reads take 1 at a time. */
const EFD_SEMAPHORE = 1;
/** Largest value an eventfd counter holds. */
const EVENTFD_MAX = 0xffff_ffff_ffff_fffen;

let nextAnonIno = 0x20000n;

/** What `fstat` shows for plume's anonymous inodes (Linux's `anon_inode:` files). */
function anonStat(ino: bigint): FileStat {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    dev: 0xen,
    ino,
    // Linux's anonymous inodes carry no file type bits.
    mode: 0o600,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0n,
    size: 0n,
    blksize: 4096,
    blocks: 0n,
    atimeNs: now,
    mtimeNs: now,
    ctimeNs: now,
    birthtimeNs: null,
  };
}

/**
 * An eventfd: reads take the counter (or 1 with `EFD_SEMAPHORE`), writes
 * add to it; a read of 0 or a write that would overflow fails with
 * `EAGAIN`, which the read/write calls turn into a wait unless
 * `O_NONBLOCK`.
 *
 * @example
 * ```ts
 * import { EventFd } from "./sys_event.ts";
 * import { strictEqual } from "node:assert";
 * const e = new EventFd(0n, 0);
 * e.write(new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
 * const b = new Uint8Array(8);
 * strictEqual(e.read(b), 8);
 * strictEqual(b[0], 3); // the counter, reset by the read
 * ```
 */
export class EventFd extends OpenFile {
  /** The counter. */
  counter: bigint;
  private readonly semaphore: boolean;
  private readonly ino = nextAnonIno++;

  /**
   * @param initval initial counter
   * @param flags `EFD_SEMAPHORE`, `EFD_NONBLOCK` (= `O_NONBLOCK`)
   */
  constructor(initval: bigint, flags: number) {
    super(O_RDWR | (flags & O_NONBLOCK), "anon_inode:[eventfd]");
    this.counter = initval;
    this.semaphore = (flags & EFD_SEMAPHORE) !== 0;
  }

  read(dst: Uint8Array): number {
    if (dst.length < 8) throw new SyscallError(E.EINVAL, "eventfd reads 8 bytes");
    if (this.counter === 0n) throw new SyscallError(E.EAGAIN, "eventfd counter is 0");
    const v = this.semaphore ? 1n : this.counter;
    this.counter -= v;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, v, true);
    return 8;
  }

  write(src: Uint8Array): number {
    if (src.length < 8) throw new SyscallError(E.EINVAL, "eventfd writes 8 bytes");
    const v = new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true);
    if (v === 0xffff_ffff_ffff_ffffn) throw new SyscallError(E.EINVAL, "eventfd value 2^64-1");
    if (this.counter + v > EVENTFD_MAX) throw new SyscallError(E.EAGAIN, "eventfd counter would overflow");
    this.counter += v;
    return 8;
  }

  /** An eventfd has no offsets but takes any seek, staying at 0 (Linux's noop_llseek). */
  override seek(_offset: number, _whence: number): number {
    return 0;
  }

  override pollEvents(): number {
    return (this.counter > 0n ? POLL.IN | POLL.RDNORM : 0) |
      (this.counter < EVENTFD_MAX ? POLL.OUT | POLL.WRNORM : 0);
  }

  override waitable(): boolean {
    return true;
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }
}

/** `epoll_ctl` operations. */
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
/** `epoll_event.events` bits beyond the poll ones. */
const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
/** Events always reported. */
const ALWAYS = POLL.ERR | POLL.HUP;
/** Size of `struct epoll_event` on riscv64 (not packed: the data word is 8-aligned). */
const EVENT_SIZE = 16;
/** Linux's `EP_MAX_EVENTS`. */
const EP_MAX_EVENTS = 0x7fff_ffff / EVENT_SIZE;

/** One registered descriptor. */
interface Interest {
  fd: number;
  file: OpenFile;
  events: number;
  data: bigint;
  /** Disabled after one report (`EPOLLONESHOT`), until `EPOLL_CTL_MOD`. */
  disabled: boolean;
  /** Added with `EPOLLEXCLUSIVE`: Linux then refuses `EPOLL_CTL_MOD` of it. */
  exclusive: boolean;
}

/** What of a registration's events its file has now (disabled or not). */
function readyEvents(it: Interest): number {
  return it.file.pollEvents() & (it.events | ALWAYS);
}

/** How deep epoll sets may nest (Linux's `EP_MAX_NESTS`). */
const EP_MAX_NESTS = 4;

/**
 * An epoll instance: its interest list, asked for readiness when waited on.
 *
 * @example
 * ```ts
 * import { EpollFile, EventFd } from "./sys_event.ts";
 * import { POLL } from "./host_poll.ts";
 * import { Process } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { deepStrictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * const efd = new EventFd(1n, 0); // readable: its counter is 1
 * const fd = proc.fds.install(efd, { limit: 1024 });
 * const ep = new EpollFile();
 * ep.add({ fd, file: efd, events: POLL.IN, data: 7n, disabled: false, exclusive: false });
 * deepStrictEqual(ep.collect(8), [{ events: POLL.IN, data: 7n }]);
 * ```
 */
export class EpollFile extends OpenFile {
  /**
   * Registrations by the number each was added under, one per file: Linux
   * keys them by file and number and keeps each until its file's last
   * descriptor (a duplicate, a copy in a child, a mapping) is gone, so a
   * number closed and reused while its old file stays open holds two.
   */
  private readonly byNumber = new Map<number, Interest[]>();
  /**
   * The registrations in the order they are looked at: one reported goes to
   * the end, as Linux's ready list moves an entry it reported and that stays
   * ready, so that a wait for fewer events than are ready gets to them all.
   */
  private readonly order = new Set<Interest>();
  /** How many registrations the set holds. */
  size = 0;
  private readonly ino = nextAnonIno++;

  constructor() {
    super(O_RDWR, "anon_inode:[eventpoll]");
  }

  /** An epoll set answers `ioctl`s it does not know with EINVAL (Linux's `ep_eventpoll_ioctl`), `FIONREAD` too. */
  override available(): number {
    throw new SyscallError(E.EINVAL, "FIONREAD of an epoll set");
  }

  /** The registration of `file` under number `fd`, if any. */
  registration(fd: number, file: OpenFile): Interest | undefined {
    return this.byNumber.get(fd)?.find((it) => it.file === file);
  }

  /** Adds a registration (the caller checked there is none for its file and number). */
  add(it: Interest): void {
    const list = this.byNumber.get(it.fd);
    if (list === undefined) this.byNumber.set(it.fd, [it]);
    else list.push(it);
    this.order.add(it);
    this.size++;
  }

  /** Removes a registration. */
  remove(it: Interest): void {
    const list = this.byNumber.get(it.fd) ?? [];
    const i = list.indexOf(it);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.byNumber.delete(it.fd);
    this.order.delete(it);
    this.size--;
  }

  /** Every registration whose file is still open (those of closed files leave the set now). */
  private *watched(): Generator<Interest> {
    // A set's iteration goes on past entries deleted meanwhile.
    for (const it of this.order) {
      if (it.file.refs > 0) yield it;
      else this.remove(it);
    }
  }

  /** Moves a registration to the end of the order (reported, or modified while ready: Linux's ready list). */
  moveToBack(it: Interest): void {
    if (this.order.delete(it)) this.order.add(it);
  }

  /** The epoll sets this one watches (open ones). */
  private nested(): EpollFile[] {
    const out: EpollFile[] = [];
    for (const it of this.order) if (it.file instanceof EpollFile && it.file.refs > 0) out.push(it.file);
    return out;
  }

  /**
   * Whether watching `inner` would close a loop back to this set or nest
   * sets deeper than Linux allows (`ep_loop_check`: the levels below `inner`,
   * itself, and the sets above this one, at most {@link EP_MAX_NESTS}).
   * Sets above are found among `sets`, the open epoll sets of the guest's
   * processes. Each
   * set's depth is found once, as Linux marks the sets it visited: a tree of
   * sets, each in every set of the level above, has paths by the million (a
   * reviewing helper's 120 sets took over a minute).
   */
  loopsOrNestsTooDeep(inner: EpollFile, sets: readonly EpollFile[]): boolean {
    const below = new Map<EpollFile, number>();
    const depthBelow = (ep: EpollFile, level: number): number => {
      const known = below.get(ep);
      if (known !== undefined) return known;
      let most = 0;
      for (const n of ep.nested()) {
        if (n === this || level > EP_MAX_NESTS) {
          most = EP_MAX_NESTS + 1;
          break;
        }
        most = Math.max(most, depthBelow(n, level + 1) + 1);
        if (most > EP_MAX_NESTS) break;
      }
      below.set(ep, most);
      return most;
    };
    const depth = depthBelow(inner, 0);
    if (depth > EP_MAX_NESTS) return true;
    const parents = new Map<EpollFile, EpollFile[]>();
    for (const s of sets) for (const n of s.nested()) parents.set(n, [...parents.get(n) ?? [], s]);
    const above = new Map<EpollFile, number>();
    const depthAbove = (ep: EpollFile, level: number): number => {
      const known = above.get(ep);
      if (known !== undefined) return known;
      let most = 0;
      if (level <= EP_MAX_NESTS) {
        for (const p of parents.get(ep) ?? []) most = Math.max(most, depthAbove(p, level + 1) + 1);
      }
      above.set(ep, most);
      return most;
    };
    return depth + 1 + depthAbove(this, 0) > EP_MAX_NESTS;
  }

  read(_dst: Uint8Array): number {
    throw new SyscallError(E.EINVAL, "epoll descriptors cannot be read");
  }

  write(_src: Uint8Array): number {
    throw new SyscallError(E.EINVAL, "epoll descriptors cannot be written");
  }

  /** The ready entries (at most `max`), as `epoll_wait` reports them, disabling one-shot ones. */
  collect(max: number): { events: number; data: bigint }[] {
    const out: { events: number; data: bigint }[] = [];
    const reported: Interest[] = [];
    for (const it of this.watched()) {
      if (out.length >= max) break;
      if (it.disabled) continue;
      const r = readyEvents(it);
      if (r === 0) continue;
      out.push({ events: r, data: it.data });
      reported.push(it);
      if (it.events & EPOLLONESHOT) it.disabled = true;
    }
    for (const it of reported) this.moveToBack(it);
    return out;
  }

  /** An epoll descriptor is readable when something in its set is ready (nested epoll). */
  override pollEvents(): number {
    for (const it of this.watched()) {
      if (!it.disabled && readyEvents(it)) return POLL.IN | POLL.RDNORM;
    }
    return 0;
  }

  /** Host descriptors whose readiness the set depends on. */
  hostFds(): HostPollFd[] {
    const out: HostPollFd[] = [];
    for (const it of this.watched()) {
      // Not a disabled one (EPOLLONESHOT that fired): a hung-up FIFO's POLLHUP, which poll reports whatever is asked,
      // woke the host's poll at once, and a wait for nothing else spun.
      const fd = it.disabled ? undefined : it.file.hostPollFd();
      if (fd !== undefined) out.push({ fd, events: it.events & (POLL.IN | POLL.OUT | POLL.PRI) });
    }
    return out;
  }

  stat(): FileStat {
    return anonStat(this.ino);
  }
}

function sysEventfd2(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[1] | 0;
  if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const f = new EventFd(BigInt(a[0] >>> 0), flags);
  return proc.fds.install(f, { cloexec: (flags & O_CLOEXEC) !== 0, limit: proc.rlimits.soft(RLIMIT_NOFILE) });
}

function sysEpollCreate1(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[0] | 0;
  if (flags & ~O_CLOEXEC) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  return proc.fds.install(new EpollFile(), {
    cloexec: (flags & O_CLOEXEC) !== 0,
    limit: proc.rlimits.soft(RLIMIT_NOFILE),
  });
}

function epollOf(proc: Process, fd: number): EpollFile {
  const f = proc.fds.get(fd);
  if (!(f instanceof EpollFile)) throw new SyscallError(E.EINVAL, `fd ${fd} is not an epoll descriptor`);
  return f;
}

/** The events `EPOLLEXCLUSIVE` may come with (Linux's `EPOLLEXCLUSIVE_OK_BITS`). */
const EXCLUSIVE_OK = POLL.IN | POLL.OUT | POLL.ERR | POLL.HUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

function sysEpollCtl(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const epfd = a[0] | 0, op = a[1] | 0, fd = a[2] | 0;
  // Linux's order: the event is read first, then both descriptors are looked up, then the set checked.
  const hasEvent = op === EPOLL_CTL_ADD || op === EPOLL_CTL_MOD;
  // Linux reads it for every operation but DEL (ep_op_has_event), an unknown one too.
  const v = op !== EPOLL_CTL_DEL ? readStruct(proc.mem, a[3], EVENT_SIZE) : undefined;
  const events = v?.getUint32(0, true) ?? 0, data = v?.getBigUint64(8, true) ?? 0n;
  const epFile = proc.fds.opened(epfd), file = proc.fds.opened(fd);
  // Regular files and directories are always ready: Linux refuses to watch them.
  if (file instanceof HostFile || file instanceof StdioFile) {
    const type = file.stat().mode & S_IFMT;
    if (type === S_IFREG || type === S_IFDIR) throw new SyscallError(E.EPERM, `fd ${fd} does not support epoll`);
  }
  if (!(epFile instanceof EpollFile)) throw new SyscallError(E.EINVAL, `fd ${epfd} is not an epoll descriptor`);
  const ep = epFile;
  if (file === ep) throw new SyscallError(E.EINVAL, "An epoll descriptor cannot watch itself");
  if (hasEvent && events & EPOLLEXCLUSIVE) {
    if (op === EPOLL_CTL_MOD) throw new SyscallError(E.EINVAL, "EPOLLEXCLUSIVE with MOD");
    if (file instanceof EpollFile || events & ~EXCLUSIVE_OK) {
      throw new SyscallError(E.EINVAL, "EPOLLEXCLUSIVE on an epoll set or with other events");
    }
  }
  if (op === EPOLL_CTL_ADD && file instanceof EpollFile) {
    // The sets above may be held by any of the guest's processes (a forked child keeps one its parent closed).
    const sets = new Set<EpollFile>();
    for (const p of [proc, ...proc.family.processes.values()]) {
      for (const n of p.fds.openIn(0, Number.MAX_SAFE_INTEGER)) {
        const f = p.fds.lookup(n);
        if (f instanceof EpollFile) sets.add(f);
      }
    }
    if (ep.loopsOrNestsTooDeep(file, [...sets])) {
      throw new SyscallError(E.ELOOP, `epoll set ${fd} in ${epfd}: a loop, or nested too deep`);
    }
  }
  const existing = ep.registration(fd, file);
  if (op === EPOLL_CTL_DEL) {
    if (!existing) throw new SyscallError(E.ENOENT, `fd ${fd} is not in the set`);
    ep.remove(existing);
    return 0;
  }
  if (!hasEvent) throw new SyscallError(E.EINVAL, `Bad op ${op}`);
  if (op === EPOLL_CTL_ADD && existing) throw new SyscallError(E.EEXIST, `fd ${fd} is already in the set`);
  if (op === EPOLL_CTL_MOD && !existing) throw new SyscallError(E.ENOENT, `fd ${fd} is not in the set`);
  if (existing?.exclusive) throw new SyscallError(E.EINVAL, `fd ${fd} was added with EPOLLEXCLUSIVE`);
  const kept = events & ~(EPOLLET | EPOLLWAKEUP | EPOLLEXCLUSIVE);
  if (existing) {
    const wasReady = !existing.disabled && readyEvents(existing) !== 0;
    Object.assign(existing, { events: kept, data, disabled: false });
    // Linux puts an entry that becomes ready by the change at the end of its ready list; one on it stays where it is.
    if (!wasReady && readyEvents(existing)) ep.moveToBack(existing);
  } else ep.add({ fd, file, events: kept, data, disabled: false, exclusive: (events & EPOLLEXCLUSIVE) !== 0 });
  return 0;
}

/** The common body of `epoll_pwait` and `epoll_pwait2`. */
function epollWait(
  proc: Process,
  cpu: Cpu,
  a: readonly number[],
  deadline: number,
): number {
  // Linux's order: the signal mask, the count, the buffer, then the descriptor.
  let mask: bigint | undefined;
  if (a[4] !== 0) {
    if (a[5] !== 8) throw new SyscallError(E.EINVAL, `Bad sigset size ${a[5]}`);
    mask = readStruct(proc.mem, a[4], 8).getBigUint64(0, true) & ~UNBLOCKABLE;
  }
  const addr = a[1], max = a[2] | 0;
  if (max <= 0 || max > EP_MAX_EVENTS) throw new SyscallError(E.EINVAL, `Bad maxevents ${max}`);
  proc.mem.check(addr, max * EVENT_SIZE, "write");
  const ep = epollOf(proc, a[0] | 0);
  if (mask !== undefined) {
    const t = proc.thread(cpu);
    t.savedMask = t.blocked;
    t.blocked = mask;
  }
  const deliver = (): number => {
    const ready = ep.collect(max);
    ready.forEach((e, i) =>
      StructBuf.scratch(EVENT_SIZE).u32(0, e.events).i64(8, e.data).writeTo(proc.mem, addr + EVENT_SIZE * i)
    );
    return ready.length;
  };
  const n = deliver();
  if (n > 0 || deadline <= performance.now()) return n;
  const hostFds = ep.hostFds();
  throw new Blocked({
    what: `epoll_pwait on ${ep.size} descriptor(s)`,
    deadline,
    // Linux's EINTR whenever a handler runs, and after a stop.
    restart: "eintr",
    endsOnStop: true,
    hostFds: hostFds.length ? hostFds : undefined,
    poll(now) {
      const k = deliver();
      return k > 0 || now >= deadline ? k : undefined;
    },
    cancel() {},
  });
}

function sysEpollPwait(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const timeout = a[3] | 0;
  return epollWait(proc, cpu, a, timeout < 0 ? Infinity : performance.now() + timeout);
}

function sysEpollPwait2(proc: Process, cpu: Cpu, a: readonly number[]): number {
  let deadline = Infinity;
  if (a[3] !== 0) {
    const ts = readValidTimespec(proc.mem, a[3]);
    deadline = performance.now() + ts.sec * 1000 + ts.nsec / 1e6;
  }
  return epollWait(proc, cpu, a, deadline);
}

/** Event descriptor system calls. */
export const EVENT_SYSCALLS: readonly SyscallDef[] = [
  def("eventfd2", sysEventfd2),
  def("epoll_create1", sysEpollCreate1),
  def("epoll_ctl", sysEpollCtl),
  def("epoll_pwait", sysEpollPwait),
  def("epoll_pwait2", sysEpollPwait2),
];
