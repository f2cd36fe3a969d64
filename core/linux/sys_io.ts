/**
 * System calls on file descriptors: reading and writing (plain, vectored,
 * positional, `sendfile`, `copy_file_range`), seeking, the descriptor table
 * (`close`, `close_range`, `dup`, `dup3`, `fcntl`), `ioctl`, `pipe2`,
 * syncing and truncating.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { GuestMemoryError } from "../mem/address_space.ts";
import { E, hostCall, SyscallError } from "./errno.ts";
import { accessiblePrefix, readI32, readPath, readStruct, writeI32 } from "./guest_struct.ts";
import { hostSession } from "./host_info.ts";
import {
  fileIdentity,
  HostFile,
  kindOf,
  MAX_OFFSET,
  MAX_RW_COUNT,
  O_APPEND,
  O_ASYNC,
  O_CLOEXEC,
  O_DIRECT,
  O_NONBLOCK,
  type OpenFile,
  SETFL_MASK,
} from "./open_file.ts";
import { PipeEnd } from "./pipe.ts";
import { HostFifo } from "./host_fifo.ts";
import { S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, statPath } from "./stat.ts";
/** Bytes a pipe's write takes whole when a page of it is free. */
const PIPE_BUF = 4096;
import type { Process } from "./process.ts";
import { groupExists, setForeground } from "./process_groups.ts";
import { RLIMIT_NOFILE } from "./rlimits.ts";
import { sendSignal } from "./signal_delivery.ts";
import { SI_USER, SIGPIPE } from "./signals.ts";
import { Blocked, waitUntil } from "./wait.ts";
import type { RangeLock } from "./file_locks.ts";
import { POLL } from "./host_poll.ts";
import { AT_FDCWD, resolvePath } from "./paths.ts";
import { SEEK_WHENCE, type StraceSpec } from "./strace.ts";
import { FCNTL_STRACE, IOCTL_STRACE } from "./strace_ioctl.ts";
import { SocketFile } from "./socket_file.ts";
import { socketIoctl } from "./sys_socket.ts";
import { StdioFile, TERMIOS_SIZE } from "./stdio.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** A `size_t` argument: a negative register value is a huge size. */
function sizeArg(v: number): number {
  return v < 0 ? Number.MAX_SAFE_INTEGER : v;
}

/** Linux's `UIO_MAXIOV`. */
const UIO_MAXIOV = 1024;

function readableFile(proc: Process, fd: number): OpenFile {
  const f = proc.fds.get(fd);
  if (!f.readable) throw new SyscallError(E.EBADF, `fd ${fd} is not open for reading`);
  return f;
}

function writableFile(proc: Process, fd: number): OpenFile {
  const f = proc.fds.get(fd);
  if (!f.writable) throw new SyscallError(E.EBADF, `fd ${fd} is not open for writing`);
  return f;
}

/** Makes shared mappings of `f`'s file current before reading it. */
function beforeRead(proc: Process, f: OpenFile): void {
  if (proc.sharedMaps.size > 0 && f instanceof HostFile && f.kind === "reg") proc.sharedMaps.syncFile(proc.mem, f);
}

/** Shows a write of `[pos, pos+n)` to `f`'s file in its shared mappings. */
function afterWrite(proc: Process, f: OpenFile, pos: number, n: number): void {
  if (proc.sharedMaps.size > 0 && f instanceof HostFile && f.kind === "reg") {
    proc.sharedMaps.refreshFile(proc.mem, f, pos, n);
  }
}

/** Writes to `f`, raising `SIGPIPE` as Linux does when the reader is gone. */
function writeRaisingSigpipe(proc: Process, cpu: Cpu, f: OpenFile, src: Uint8Array, pos?: number): number {
  try {
    return pos === undefined ? f.write(src) : f.pwrite(src, pos);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === E.EPIPE) raiseSigpipe(proc, cpu);
    throw err;
  }
}

/** Linux's send_sig(SIGPIPE, current) for a write without a reader: to the writing thread. */
function raiseSigpipe(proc: Process, cpu: Cpu): void {
  sendSignal(proc, { signo: SIGPIPE, code: SI_USER, pid: proc.pid, uid: proc.creds.uid.real, tid: proc.tidOf(cpu) });
}

/** A pipe or FIFO of any kind: plume's own, a named one, or the host's behind an inherited or standard descriptor. */
function isPipe(f: OpenFile): boolean {
  if (f instanceof PipeEnd || f instanceof HostFifo) return true;
  if (f instanceof HostFile) return f.kind === "fifo";
  return f instanceof StdioFile && (f.stat().mode & S_IFMT) === S_IFIFO;
}

/** Where the next sequential write to `f` lands, for shared-mapping coherence. */
function writePosition(f: OpenFile): number {
  return f instanceof HostFile ? f.offset : 0;
}

/**
 * Runs a read of `f`. A read from an empty pipe whose write end is open, an
 * eventfd at 0, or the host's stdin before input arrives, waits (the thread blocks
 * in the scheduler until data or end of file come, restarting after a
 * `SA_RESTART` handler) unless the description is non-blocking.
 */
function blockingRead(f: OpenFile, read: () => number): number {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof SyscallError && err.errno === E.EAGAIN) || f.flags & O_NONBLOCK) throw err;
    const fd = f.hostPollFd();
    if (fd === undefined && !f.waitable()) throw err;
    const ready = () => (f.pollEvents() & (POLL.IN | POLL.HUP | POLL.ERR)) !== 0;
    const hostFds = fd === undefined ? undefined : [{ fd, events: POLL.IN }];
    throw new Blocked(waitUntil(`read from ${f.path}`, ready, read, "restart", Infinity, 0, hostFds));
  }
}

function sysRead(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = readableFile(proc, a[0] | 0);
  return blockingRead(f, () => {
    const dst = accessiblePrefix(proc.mem, a[1], Math.min(sizeArg(a[2]), MAX_RW_COUNT), "write");
    beforeRead(proc, f);
    const n = f.read(dst);
    proc.mem.noteWrite(a[1], n);
    return n;
  });
}

/**
 * Writes `src` at `f`'s position. A pipe with too little room takes what
 * it can, and a blocking write then waits for the reader to make room
 * until all is written, as Linux's `pipe_write`: a signal handler that
 * interrupts it after some bytes went makes the count the result (no
 * restart, which would write them again).
 */
function streamWrite(proc: Process, cpu: Cpu, f: OpenFile, src: Uint8Array): number {
  if (!(f instanceof PipeEnd) && !(f instanceof HostFifo)) return writeRaisingSigpipe(proc, cpu, f, src);
  let done = 0;
  /** The result when the call is over, or undefined while it must wait for room. */
  const step = (): number | undefined => {
    for (;;) {
      try {
        done += writeRaisingSigpipe(proc, cpu, f, src.subarray(done));
      } catch (err) {
        if (done > 0 && err instanceof SyscallError && (err.errno !== E.EAGAIN || f.flags & O_NONBLOCK)) return done;
        if (err instanceof SyscallError && err.errno === E.EAGAIN && !(f.flags & O_NONBLOCK)) return undefined;
        throw err;
      }
      if (done >= src.length || f.flags & O_NONBLOCK) return done;
    }
  };
  const first = step();
  if (first !== undefined) return first;
  throw new Blocked({
    what: `write to ${f.path}`,
    deadline: Infinity,
    restart: "restart",
    hostFds: f instanceof HostFifo ? [{ fd: f.hostPollFd(), events: POLL.OUT }] : undefined,
    poll() {
      // Woken once half the pipe is free, or room enough for the rest, not at each page the reader frees: a thread
      // switch costs plume tens of microseconds, and a writer woken per page made `dd | wc -c` of 300 MB take 8.1 s
      // against 5.2. A reader that stops reading keeps the writer waiting as under Linux, where the rest would not
      // fit either.
      if (f instanceof PipeEnd) {
        const p = f.pipe;
        if (p.readers > 0 && p.room < Math.min(src.length - done, p.capacity / 2)) return undefined;
      } else if (!(f.pollEvents() & (POLL.OUT | POLL.ERR))) return undefined; // the host's FIFO: room, or no reader
      try {
        return step();
      } catch (err) {
        if (err instanceof SyscallError) return -err.errno;
        throw err;
      }
    },
    cancel() {},
    partial: () => done > 0 ? done : undefined,
  });
}

function sysWrite(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = writableFile(proc, a[0] | 0);
  const src = accessiblePrefix(proc.mem, a[1], Math.min(sizeArg(a[2]), MAX_RW_COUNT), "read");
  const n = streamWrite(proc, cpu, f, src);
  afterWrite(proc, f, writePosition(f) - n, n);
  return n;
}

/**
 * The `struct iovec` array at `addr`: base and length pairs, checked like
 * Linux, which moves the bytes up to the first one it cannot reach: a
 * buffer after the first that cannot be reached (whole or in part) ends
 * the list where it stops being reachable, as under qemu (whose
 * `lock_iovec` makes the buffers after a bad one empty); only a first
 * buffer that cannot be reached at all is `EFAULT`.
 */
function readIovecs(proc: Process, addr: number, count: number, access: "read" | "write"): [number, number][] {
  // The count is an unsigned long: one above 2^31 is not a small one (a cast to int made 2^56 zero buffers).
  if (count < 0 || count > UIO_MAXIOV) throw new SyscallError(E.EINVAL, `Bad iovec count ${count}`);
  if (count === 0) return [];
  const v = readStruct(proc.mem, addr, count * 16);
  const out: [number, number][] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = Number(v.getBigUint64(i * 16, true));
    const len = Number(v.getBigInt64(i * 16 + 8, true));
    if (len < 0) throw new SyscallError(E.EINVAL, `Negative iovec length ${len}`);
    // Linux stops at MAX_RW_COUNT in total.
    const take = Math.min(len, MAX_RW_COUNT - total);
    total += take;
    if (i === 0 || take === 0) {
      proc.mem.check(base, take, access);
      out.push([base, take]);
      continue;
    }
    let reach: number;
    try {
      reach = accessiblePrefix(proc.mem, base, take, access).length;
    } catch (err) {
      if (!(err instanceof GuestMemoryError)) throw err;
      reach = 0;
    }
    if (reach > 0) out.push([base, reach]);
    if (reach < take) break;
  }
  return out;
}

function sysReadv(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = readableFile(proc, a[0] | 0);
  // The array is read once, as Linux copies it before the read (and before it waits).
  const iov = readIovecs(proc, a[1], a[2], "write");
  // Nothing to read from a pipe or a socket is 0 at once, data or not (a datagram stays queued).
  if (iov.every(([, len]) => len === 0) && (f instanceof PipeEnd || f instanceof SocketFile)) return 0;
  return blockingRead(f, () => readvOnce(proc, f, iov));
}

function readvOnce(proc: Process, f: OpenFile, iov: readonly [number, number][]): number {
  if (f instanceof SocketFile) {
    // One receive for all the buffers: a datagram must not be split across several.
    const n = f.readVector(iov.map(([base, len]) => proc.mem.bytes(base, len, "write")));
    let left = n;
    for (const [base, len] of iov) {
      if (left > 0) proc.mem.noteWrite(base, Math.min(left, len));
      left -= Math.min(left, len);
    }
    return n;
  }
  beforeRead(proc, f);
  let total = 0;
  for (const [base, len] of iov) {
    if (len === 0) continue;
    let n: number;
    try {
      n = f.read(proc.mem.bytes(base, len, "write"));
    } catch (err) {
      // Data already read is returned; the error shows on the next call.
      if (total > 0 && err instanceof SyscallError) break;
      throw err;
    }
    proc.mem.noteWrite(base, n);
    total += n;
    if (n < len) break;
  }
  return total;
}

/** Gathers the buffers of an iovec array into one (a single write keeps pipe writes atomic). */
function gather(proc: Process, iov: [number, number][]): Uint8Array {
  const total = iov.reduce((s, [, len]) => s + len, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const [base, len] of iov) {
    out.set(proc.mem.bytes(base, len, "read"), off);
    off += len;
  }
  return out;
}

function sysWritev(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = writableFile(proc, a[0] | 0);
  const data = gather(proc, readIovecs(proc, a[1], a[2], "read"));
  if (data.length === 0) return 0;
  const n = streamWrite(proc, cpu, f, data);
  afterWrite(proc, f, writePosition(f) - n, n);
  return n;
}

/**
 * The file of a positioned read or write (`pread64`, `pwrite64`, `preadv`,
 * `pwritev`), checked in Linux's order: a negative offset (EINVAL), the
 * descriptor (EBADF), a file without offsets (ESPIPE), then its access mode
 * (EBADF).
 */
function positionedFile(proc: Process, a: readonly number[], write: boolean): OpenFile {
  if (a[3] < 0) throw new SyscallError(E.EINVAL, `Negative offset ${a[3]}`);
  const f = proc.fds.opened(a[0] | 0);
  if (!f.seekable()) throw new SyscallError(E.ESPIPE, `fd ${a[0] | 0} has no offsets`);
  if (!(write ? f.writable : f.readable)) {
    throw new SyscallError(E.EBADF, `fd ${a[0] | 0} is not open for ${write ? "writing" : "reading"}`);
  }
  return f;
}

/**
 * Linux's `rw_verify_area` for a positioned read or write of `count` bytes
 * at the offset in argument register `arg` (its exact 64-bit value: an
 * argument past 2^53 reaches the handler as 2^52 plus its low word): a
 * range whose end passes 2^63 - 1 is EINVAL, where the file system would
 * answer EFBIG; an empty one is fine. After the buffers are checked.
 */
function checkRange(cpu: Cpu, arg: number, count: number): void {
  if (count > 0 && cpu.getX(10 + arg) + BigInt(count) > MAX_LOFF) {
    throw new SyscallError(E.EINVAL, `A range of ${count} bytes at ${cpu.getX(10 + arg)} ends past 2^63 - 1`);
  }
}

/** The largest file offset (`loff_t`). */
const MAX_LOFF = (1n << 63n) - 1n;

/**
 * Whether the offset in argument register `arg` is past {@link MAX_OFFSET},
 * the largest plume passes on exactly: a file of its host (ext4's largest
 * is 16 TiB) ends before, so a read there is at the end and a write too
 * large. (The rounded offset would have read and written elsewhere.)
 */
function pastOffsets(cpu: Cpu, arg: number, f: OpenFile): boolean {
  return f instanceof HostFile && f.kind !== "chr" && cpu.getX(10 + arg) > BigInt(MAX_OFFSET);
}

function sysPread64(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = positionedFile(proc, a, false);
  const dst = accessiblePrefix(proc.mem, a[1], Math.min(sizeArg(a[2]), MAX_RW_COUNT), "write");
  checkRange(cpu, 3, sizeArg(a[2]));
  if (pastOffsets(cpu, 3, f)) return 0;
  beforeRead(proc, f);
  const n = f.pread(dst, a[3]);
  proc.mem.noteWrite(a[1], n);
  return n;
}

function sysPwrite64(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = positionedFile(proc, a, true);
  const src = accessiblePrefix(proc.mem, a[1], Math.min(sizeArg(a[2]), MAX_RW_COUNT), "read");
  checkRange(cpu, 3, sizeArg(a[2]));
  if (src.length > 0 && pastOffsets(cpu, 3, f)) throw new SyscallError(E.EFBIG, `Offset past ${MAX_OFFSET}`);
  const n = writeRaisingSigpipe(proc, cpu, f, src, a[3]);
  afterWrite(proc, f, a[3], n);
  return n;
}

/** `RWF_*` flags of `preadv2`/`pwritev2`: hints plume has nothing to do for, but `RWF_APPEND`. */
const RWF_KNOWN = 0x1f, RWF_APPEND = 0x10;

/** `preadv`, and `preadv2` (`v2`) with its offset -1 meaning the file position. */
function preadv(proc: Process, cpu: Cpu, a: readonly number[], v2: boolean): number {
  if (v2 && a[5] & ~RWF_KNOWN) throw new SyscallError(E.EOPNOTSUPP, `Bad flags ${a[5]}`);
  if (v2 && a[3] === -1) return sysReadv(proc, cpu, a);
  // A stream has no offsets to read at (Linux: no FMODE_PREAD), before its buffers are looked at.
  const f = positionedFile(proc, a, false);
  const iov = readIovecs(proc, a[1], a[2], "write");
  checkRange(cpu, 3, iov.reduce((n, [, len]) => n + len, 0));
  if (pastOffsets(cpu, 3, f)) return 0;
  beforeRead(proc, f);
  let total = 0;
  for (const [base, len] of iov) {
    if (len === 0) continue;
    const n = f.pread(proc.mem.bytes(base, len, "write"), a[3] + total);
    proc.mem.noteWrite(base, n);
    total += n;
    if (n < len) break;
  }
  return total;
}

/** `pwritev`, and `pwritev2` (`v2`) with its offset -1 meaning the file position. */
function pwritev(proc: Process, cpu: Cpu, a: readonly number[], v2: boolean): number {
  if (v2 && a[5] & ~RWF_KNOWN) throw new SyscallError(E.EOPNOTSUPP, `Bad flags ${a[5]}`);
  if (v2 && a[5] & RWF_APPEND) return appendv(proc, cpu, a);
  if (v2 && a[3] === -1) return sysWritev(proc, cpu, a);
  const f = positionedFile(proc, a, true);
  const data = gather(proc, readIovecs(proc, a[1], a[2], "read"));
  if (data.length === 0) return 0;
  checkRange(cpu, 3, data.length);
  if (pastOffsets(cpu, 3, f)) throw new SyscallError(E.EFBIG, `Offset past ${MAX_OFFSET}`);
  const n = writeRaisingSigpipe(proc, cpu, f, data, a[3]);
  afterWrite(proc, f, a[3], n);
  return n;
}

/**
 * `pwritev2` with `RWF_APPEND`: this one write goes to the end of the file,
 * as under `O_APPEND`, and moves the file position when the offset is -1
 * (the position's), as Linux's `generic_write_checks`.
 */
function appendv(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = writableFile(proc, a[0] | 0);
  if (!(f instanceof HostFile && f.kind === "reg")) {
    return a[3] === -1 ? sysWritev(proc, cpu, a) : pwritev(proc, cpu, a, false);
  }
  if (a[3] < -1) throw new SyscallError(E.EINVAL, `Negative offset ${a[3]}`);
  const data = gather(proc, readIovecs(proc, a[1], a[2], "read"));
  if (data.length === 0) return 0;
  // The offset given is judged though the data goes to the end (rw_verify_area comes first).
  if (a[3] !== -1) checkRange(cpu, 3, data.length);
  const end = Number(f.stat().size);
  const n = writeRaisingSigpipe(proc, cpu, f, data, end);
  afterWrite(proc, f, end, n);
  if (a[3] === -1) f.offset = end + n;
  return n;
}

function sysLseek(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  return proc.fds.opened(a[0] | 0).seek(a[1], a[2] >>> 0);
}

function sysClose(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  proc.fds.close(a[0] | 0);
  return 0;
}

const CLOSE_RANGE_UNSHARE = 2;
const CLOSE_RANGE_CLOEXEC = 4;

function sysCloseRange(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const first = a[0] >>> 0, last = a[1] >>> 0, flags = a[2] >>> 0;
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  if (first > last) throw new SyscallError(E.EINVAL, `Range ${first} > ${last}`);
  for (const fd of proc.fds.openIn(first, last)) {
    if (flags & CLOSE_RANGE_CLOEXEC) proc.fds.setCloexec(fd, true);
    else {
      try {
        proc.fds.close(fd);
      } catch (err) {
        // close_range reports no per-descriptor errors.
        if (!(err instanceof SyscallError)) throw err;
      }
    }
  }
  return 0;
}

function nofile(proc: Process): number {
  return proc.rlimits.soft(RLIMIT_NOFILE);
}

function sysDup(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  return proc.fds.install(proc.fds.get(a[0] | 0), { limit: nofile(proc) });
}

function sysDup3(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const oldfd = a[0] | 0, newfd = a[1] | 0, flags = a[2] | 0;
  if (flags & ~O_CLOEXEC) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  if (oldfd === newfd) throw new SyscallError(E.EINVAL, "dup3 onto itself");
  const f = proc.fds.get(oldfd);
  if (newfd < 0 || newfd >= nofile(proc)) throw new SyscallError(E.EBADF, `fd ${newfd} out of range`);
  proc.fds.installAt(newfd, f, (flags & O_CLOEXEC) !== 0);
  return newfd;
}

/** `fcntl` commands. */
const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  GETLK: 5,
  SETLK: 6,
  SETLKW: 7,
  SETOWN: 8,
  GETOWN: 9,
  SETSIG: 10,
  GETSIG: 11,
  SETOWN_EX: 15,
  GETOWN_EX: 16,
  OFD_GETLK: 36,
  OFD_SETLK: 37,
  OFD_SETLKW: 38,
  GETLEASE: 1025,
  DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
} as const;
const FD_CLOEXEC = 1;
const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

/** `F_SETSIG`'s signal of each description. */
const readySignals = new WeakMap<OpenFile, number>();

/** `F_OWNER_*`: whom a description's `SIGIO` would go to. */
const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;

/** The owner `F_SETOWN`/`F_SETOWN_EX` gave each description (kept for `F_GETOWN`; no `SIGIO` is ever sent). */
const owners = new WeakMap<OpenFile, { type: number; pid: number }>();

/** True when the host has a process (or thread) with this id. */
function hostProcessExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** `F_SETOWN_EX`'s checks, as Linux's `f_setown_ex`: a known owner type, and an owner that exists (0: none). */
function setOwner(proc: Process, cpu: Cpu, f: OpenFile, type: number, pid: number): number {
  if (type !== F_OWNER_TID && type !== F_OWNER_PID && type !== F_OWNER_PGRP) {
    throw new SyscallError(E.EINVAL, `Bad owner type ${type}`);
  }
  if (pid !== 0) {
    // A process of plume's, or of the host's (the guest's parent, say: Linux's find_vpid sees every process).
    const known = type === F_OWNER_TID
      ? pid === proc.thread(cpu).tid || proc.threads.get(pid)?.exited === false || hostProcessExists(pid)
      : type === F_OWNER_PGRP
      // A group of plume's processes (the host's group of plume's own among them), or a host process's.
      ? groupExists(proc, pid) || hostProcessExists(pid)
      : pid === proc.pid || proc.family.processes.has(pid) || hostProcessExists(pid);
    if (!known) throw new SyscallError(E.ESRCH, `No owner ${pid}`);
  }
  owners.set(f, { type, pid });
  return 0;
}

/** A `struct flock` read and checked for a locking command: its type and byte range `[start, end)`. */
interface LockRequest {
  type: number;
  start: number;
  end: number;
}

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

/**
 * Reads the `struct flock` at `addr` (riscv64: `l_type`, `l_whence` as
 * shorts, then `l_start`, `l_len` at 8 and 16, `l_pid` at 24) and turns
 * its range into absolute bytes, as Linux's `flock_to_posix_lock`: a
 * length of 0 runs to the end of the file however it grows, a negative one
 * ends before the start.
 */
function readLockRequest(proc: Process, f: OpenFile, addr: number, ofd: boolean): LockRequest {
  const v = readStruct(proc.mem, addr, 32);
  const type = v.getInt16(0, true), whence = v.getInt16(2, true);
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) throw new SyscallError(E.EINVAL, `Bad l_type ${type}`);
  // OFD locks belong to no process: l_pid must be 0 (Linux's fcntl_setlk and fcntl_getlk).
  if (ofd && v.getInt32(24, true) !== 0) throw new SyscallError(E.EINVAL, "l_pid must be 0 for an OFD lock");
  let base: number;
  if (whence === SEEK_SET) base = 0;
  else if (whence === SEEK_CUR) base = f instanceof HostFile ? f.offset : 0;
  else if (whence === SEEK_END) base = f instanceof HostFile ? Number(f.stat().size) : 0;
  else throw new SyscallError(E.EINVAL, `Bad l_whence ${whence}`);
  const bigLen = v.getBigInt64(16, true);
  // As Linux's flock64_to_posix_lock: a range whose last byte lies past the largest offset overflows.
  if (bigLen > 0n && BigInt(base) + v.getBigInt64(8, true) + bigLen - 1n > (1n << 63n) - 1n) {
    throw new SyscallError(E.EOVERFLOW, "The range ends past the largest offset");
  }
  let start = base + Number(v.getBigInt64(8, true));
  const len = Number(bigLen);
  let end = len === 0 ? Infinity : start + len;
  if (len < 0) [start, end] = [start + len, start];
  if (start < 0 || !Number.isFinite(start)) throw new SyscallError(E.EINVAL, `Range starts at ${start}`);
  return { type, start, end };
}

/**
 * Writes what `F_GETLK` found over the request: the first conflicting lock
 * (its type, `SEEK_SET`, start, length, and pid: -1 for an OFD lock), or
 * `F_UNLCK` in `l_type` alone. The rest of the structure stays the guest's.
 */
function writeLockFound(proc: Process, addr: number, found: RangeLock | undefined): void {
  const v = readStruct(proc.mem, addr, 32);
  if (found === undefined) v.setInt16(0, F_UNLCK, true);
  else {
    v.setInt16(0, found.write ? F_WRLCK : F_RDLCK, true);
    v.setInt16(2, SEEK_SET, true);
    v.setBigInt64(8, BigInt(found.start), true);
    v.setBigInt64(16, found.end === Infinity ? 0n : BigInt(found.end - found.start), true);
    v.setInt32(24, found.pid, true);
  }
  proc.mem.writeBytes(addr, new Uint8Array(v.buffer, v.byteOffset, 32));
}

/**
 * `F_GETLK`, `F_SETLK`, `F_SETLKW` and their OFD forms: byte-range locks
 * held by the process (POSIX) or by the open file description (OFD),
 * against the run's other owners (`file_locks.ts`). A conflict is `EAGAIN`
 * for the `SETLK`s, a wait for the `SETLKW`s (`EDEADLK` when the holder
 * waits, directly or not, for this process: POSIX locks only, as Linux).
 */
function rangeLock(proc: Process, fd: number, f: OpenFile, cmd: number, addr: number): number {
  const ofd = cmd === F.OFD_GETLK || cmd === F.OFD_SETLK || cmd === F.OFD_SETLKW;
  const req = readLockRequest(proc, f, addr, ofd);
  const locks = proc.family.locks, file = fileIdentity(f);
  const owner = ofd ? f : proc, pid = ofd ? -1 : proc.pid;
  const write = req.type === F_WRLCK;
  if (cmd === F.GETLK || cmd === F.OFD_GETLK) {
    // Asking about F_UNLCK asks nothing (Linux's fcntl_getlk).
    if (req.type === F_UNLCK) throw new SyscallError(E.EINVAL, "F_GETLK of F_UNLCK");
    writeLockFound(proc, addr, locks.conflict(file, owner, write, req.start, req.end));
    return 0;
  }
  if ((req.type === F_RDLCK && !f.readable) || (req.type === F_WRLCK && !f.writable)) {
    throw new SyscallError(E.EBADF, `fd not open for ${write ? "writing" : "reading"}`);
  }
  if (req.type === F_UNLCK) {
    locks.setRange(file, owner, pid, null, req.start, req.end);
    return 0;
  }
  const take = () => (locks.setRange(file, owner, pid, write, req.start, req.end), 0);
  const blocker = locks.conflict(file, owner, write, req.start, req.end);
  if (blocker === undefined) return take();
  /** After a wait: the descriptor may have been closed meanwhile (Linux's fcntl_setlk checks). */
  const takeAfterWait = () => {
    if (!ofd && proc.fds.lookup(fd) !== f) return -E.EBADF; // a POSIX lock is not taken through a closed descriptor
    if (ofd && f.refs === 0) return 0; // an OFD lock would go with its description's last reference at once
    return take();
  };
  if (cmd === F.SETLK || cmd === F.OFD_SETLK) throw new SyscallError(E.EAGAIN, `${f.path} is locked`);
  if (!ofd && locks.wouldDeadlock(proc, blocker.owner)) throw new SyscallError(E.EDEADLK, "waiting would deadlock");
  const waiter = waitUntil(
    `${ofd ? "F_OFD_SETLKW" : "F_SETLKW"} on ${f.path}`,
    () => {
      const now = locks.conflict(file, owner, write, req.start, req.end);
      locks.setWaiting(owner, now?.owner);
      return now === undefined;
    },
    takeAfterWait,
    "restart",
  );
  locks.setWaiting(owner, blocker.owner);
  throw new Blocked({ ...waiter, cancel: () => locks.setWaiting(owner, undefined) });
}

function sysFcntl(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const fd = a[0] | 0, cmd = a[1] | 0, arg = a[2];
  // An O_PATH description answers only these (Linux's `check_fcntl_cmd`).
  const raw = cmd === F.DUPFD || cmd === F.DUPFD_CLOEXEC || cmd === F.GETFD || cmd === F.SETFD || cmd === F.GETFL;
  const f = raw ? proc.fds.get(fd) : proc.fds.opened(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      // An int: Linux ignores the register's upper half.
      const min = arg | 0;
      if (min < 0 || min >= nofile(proc)) throw new SyscallError(E.EINVAL, `Bad minimum fd ${min}`);
      return proc.fds.install(f, { min, cloexec: cmd === F.DUPFD_CLOEXEC, limit: nofile(proc) });
    }
    case F.GETFD:
      return proc.fds.getCloexec(fd) ? FD_CLOEXEC : 0;
    case F.SETFD:
      proc.fds.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
      return 0;
    case F.GETFL:
      return f.flags;
    case F.SETFL: {
      // O_DIRECT needs a file whose reads and writes can bypass the page cache (Linux's FMODE_CAN_ODIRECT), or a pipe
      // (its packet mode): not a device, a socket, a terminal or an anonymous inode.
      if (arg & O_DIRECT && !f.directIo()) throw new SyscallError(E.EINVAL, "O_DIRECT on a file without it");
      // O_ASYNC is set only by a file that can signal readiness (Linux's `->fasync`: pipes, sockets, terminals).
      const mask = f.signalsReadiness() ? SETFL_MASK : SETFL_MASK & ~O_ASYNC;
      f.flags = (f.flags & ~mask) | (arg & mask);
      return 0;
    }
    case F.GETLK:
    case F.OFD_GETLK:
    case F.SETLK:
    case F.SETLKW:
    case F.OFD_SETLK:
    case F.OFD_SETLKW:
      return rangeLock(proc, fd, f, cmd, arg);
    case F.SETOWN:
      // A negative owner is a process group (the most negative int has no group: EINVAL, as f_setown).
      if ((arg | 0) === -0x8000_0000) throw new SyscallError(E.EINVAL, "Owner INT_MIN");
      return setOwner(proc, cpu, f, (arg | 0) < 0 ? F_OWNER_PGRP : F_OWNER_PID, Math.abs(arg | 0));
    case F.SETOWN_EX:
      return setOwner(proc, cpu, f, readI32(proc.mem, arg), readI32(proc.mem, arg + 4));
    case F.GETOWN_EX: {
      const owner = owners.get(f) ?? { type: F_OWNER_TID, pid: 0 };
      writeI32(proc.mem, arg, owner.type);
      writeI32(proc.mem, arg + 4, owner.pid);
      return 0;
    }
    case F.SETSIG:
      // Kept for F_GETSIG; no signal is ever sent (no O_ASYNC delivery).
      if (arg < 0 || arg > 64) throw new SyscallError(E.EINVAL, `Bad signal ${arg}`);
      readySignals.set(f, arg);
      return 0;
    case F.GETOWN: {
      const owner = owners.get(f);
      return owner === undefined ? 0 : owner.type === F_OWNER_PGRP ? -owner.pid : owner.pid;
    }
    case F.GETSIG:
      return readySignals.get(f) ?? 0;
    case F.GETLEASE:
      return F_UNLCK;
    case F.GETPIPE_SZ:
    case F.SETPIPE_SZ: {
      // A named FIFO's size is the host's.
      if (f instanceof HostFifo) return f.pipeSize(cmd, arg >>> 0);
      if (!(f instanceof PipeEnd)) throw new SyscallError(E.EBADF, `fd ${fd} is not a pipe`);
      if (cmd === F.GETPIPE_SZ) return f.pipe.capacity;
      // The size is an unsigned int, rounded up to a power-of-two number of pages (round_pipe_size: none past 2^31);
      // growing past pipe-max-size (1 MiB) needs CAP_SYS_RESOURCE; what is queued must fit.
      const want = arg >>> 0;
      if (want > 2 ** 31) throw new SyscallError(E.EINVAL, `Pipe size ${want}`);
      let size = 4096;
      while (size < want) size *= 2;
      if (size > f.pipe.capacity && size > 1 << 20) {
        throw new SyscallError(E.EPERM, `Pipe size ${size} above pipe-max-size`);
      }
      if (size / 4096 < f.pipe.used) throw new SyscallError(E.EBUSY, `${f.pipe.used} pages queued, more than ${size}`);
      f.pipe.capacity = size;
      return size;
    }
    default:
      throw new SyscallError(E.EINVAL, `Unsupported fcntl command ${cmd}`);
  }
}

/** `ioctl` requests plume implements. */
const IOC = {
  TCGETS: 0x5401,
  TCSETS: 0x5402,
  TCSETSW: 0x5403,
  TCSETSF: 0x5404,
  TCSBRK: 0x5409,
  TCXONC: 0x540a,
  TCFLSH: 0x540b,
  TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f,
  TIOCSPGRP: 0x5410,
  TIOCOUTQ: 0x5411,
  TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414,
  FIONREAD: 0x541b,
  FIONBIO: 0x5421,
  TIOCNOTTY: 0x5422,
  TCSBRKP: 0x5425,
  TIOCGSID: 0x5429,
  FIONCLEX: 0x5450,
  FIOCLEX: 0x5451,
  FIOASYNC: 0x5452,
} as const;

function sysIoctl(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const fd = a[0] | 0, req = a[1] >>> 0, arg = a[2];
  const f = proc.fds.opened(fd);
  const mem = proc.mem;
  // Requests every file answers.
  switch (req) {
    case IOC.FIONBIO:
      f.flags = readI32(mem, arg) ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    case IOC.FIOCLEX:
    case IOC.FIONCLEX:
      proc.fds.setCloexec(fd, req === IOC.FIOCLEX);
      return 0;
    case IOC.FIOASYNC: {
      // As F_SETFL's O_ASYNC, but a file that cannot signal refuses a change (Linux's ioctl_fioasync: ENOTTY).
      const on = readI32(mem, arg) !== 0;
      if (on === ((f.flags & O_ASYNC) !== 0)) return 0;
      if (!f.signalsReadiness()) throw new SyscallError(E.ENOTTY, "FIOASYNC on a file that cannot signal");
      f.flags = on ? f.flags | O_ASYNC : f.flags & ~O_ASYNC;
      return 0;
    }
    case IOC.FIONREAD: {
      // The file answers first (ENOTTY, EINVAL), then the result is written (EFAULT).
      const n = f.available();
      mem.check(arg, 4, "write");
      writeI32(mem, arg, n);
      return 0;
    }
  }
  if (f instanceof SocketFile) {
    const r = socketIoctl(proc, f, req, arg);
    if (r !== undefined) return r;
  }
  if (!(f instanceof StdioFile) || !f.isTerminal()) throw new SyscallError(E.ENOTTY, `fd ${fd} is not a terminal`);
  const term = proc.fds.terminal;
  switch (req) {
    case IOC.TCGETS:
      mem.writeBytes(arg, term.termios);
      return 0;
    case IOC.TCSETS:
    case IOC.TCSETSW:
    case IOC.TCSETSF:
      term.set(mem.readBytes(arg, TERMIOS_SIZE));
      return 0;
    case IOC.TIOCGWINSZ: {
      const [rows, cols] = term.windowSize();
      const b = new Uint8Array(8);
      new DataView(b.buffer).setUint16(0, rows, true);
      new DataView(b.buffer).setUint16(2, cols, true);
      mem.writeBytes(arg, b);
      return 0;
    }
    case IOC.TIOCSWINSZ:
      mem.readBytes(arg, 8);
      return 0;
    case IOC.TIOCGPGRP: {
      // The group a process of the run made the foreground, else the host's (plume's when it is in front).
      const s = hostSession();
      writeI32(mem, arg, proc.family.foreground ?? (s.tpgid > 0 ? s.tpgid : s.pgrp));
      return 0;
    }
    case IOC.TIOCSPGRP:
      setForeground(proc, readI32(mem, arg));
      return 0;
    case IOC.TIOCGSID:
      writeI32(mem, arg, hostSession().session);
      return 0;
    case IOC.TIOCOUTQ:
      writeI32(mem, arg, 0);
      return 0;
    case IOC.TCSBRK:
    case IOC.TCSBRKP:
    case IOC.TCXONC:
    case IOC.TCFLSH:
    case IOC.TIOCSCTTY:
    case IOC.TIOCNOTTY:
      return 0;
    default:
      throw new SyscallError(E.ENOTTY, `Unsupported terminal ioctl 0x${req.toString(16)}`);
  }
}

function sysPipe2(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[1] | 0;
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  proc.mem.check(a[0], 8, "write");
  const [r, w] = PipeEnd.pair(flags, proc.creds.uid.effective, proc.creds.gid.effective);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = proc.fds.install(r, { cloexec, limit: nofile(proc) });
  let wfd: number;
  try {
    wfd = proc.fds.install(w, { cloexec, limit: nofile(proc) });
  } catch (err) {
    proc.fds.close(rfd);
    throw err;
  }
  const b = new Uint8Array(8);
  new DataView(b.buffer).setInt32(0, rfd, true);
  new DataView(b.buffer).setInt32(4, wfd, true);
  proc.mem.writeBytes(a[0], b);
  return 0;
}

/** Copies up to `count` bytes from `src` to `dst` in chunks, through positions when given. */
function copyData(
  proc: Process,
  cpu: Cpu,
  src: OpenFile,
  dst: OpenFile,
  count: number,
  srcPos: number | undefined,
  dstPos: number | undefined,
): number {
  const chunk = new Uint8Array(Math.min(count, 1 << 16));
  let total = 0;
  beforeRead(proc, src);
  while (total < count) {
    // Into a pipe, no more than it has room for: what is read must be written.
    const room = dst instanceof PipeEnd && dst.pipe.readers > 0 ? dst.pipe.room : dst instanceof HostFifo
      // The host's FIFO says only whether a page is free: a page's worth at a time, which its writes take whole.
      ? (dst.pollEvents() & POLL.OUT ? PIPE_BUF : 0)
      : Infinity;
    if (room === 0) break;
    const want = chunk.subarray(0, Math.min(chunk.length, count - total, room));
    let n: number;
    try {
      n = srcPos === undefined ? src.read(want) : src.pread(want, srcPos + total);
    } catch (err) {
      if (total > 0 && err instanceof SyscallError) break;
      throw err;
    }
    if (n === 0) break;
    const at = dstPos === undefined ? writePosition(dst) : dstPos + total;
    const w = writeRaisingSigpipe(proc, cpu, dst, chunk.subarray(0, n), dstPos === undefined ? undefined : at);
    afterWrite(proc, dst, at, w);
    total += w;
    if (w < n) {
      // What was read and not written goes back, where the input can be moved back (a file's offset).
      if (srcPos === undefined && src.seekable()) src.seek(w - n, SEEK_CUR);
      break;
    }
  }
  return total;
}

function readOffset(proc: Process, addr: number): number {
  const off = Number(readStruct(proc.mem, addr, 8).getBigInt64(0, true));
  if (off < 0) throw new SyscallError(E.EINVAL, `Negative offset ${off}`);
  return off;
}

function writeOffset(proc: Process, addr: number, off: number): void {
  proc.mem.writeU64(addr, BigInt(off));
}

function sysSendfile(proc: Process, cpu: Cpu, a: readonly number[]): number {
  // Linux's order: the input (an offset into one without positions is ESPIPE), a count that is negative as an
  // ssize_t, the output, then splicing's own refusals.
  const inp = readableFile(proc, a[1] | 0);
  if (a[2] !== 0 && isPipe(inp)) throw new SyscallError(E.ESPIPE, `sendfile from ${inp.path} at an offset`);
  if (a[3] < 0) throw new SyscallError(E.EINVAL, `Bad count ${a[3]}`);
  const out = writableFile(proc, a[0] | 0);
  if (!(out instanceof PipeEnd) && out.flags & O_APPEND) {
    throw new SyscallError(E.EINVAL, "sendfile to an appending file");
  }
  if (inp.isDirectory()) throw new SyscallError(E.EINVAL, `sendfile from directory ${inp.path}`);
  // Linux splices from the input: a pipe cannot be (EINVAL; plume read it, and an empty one blocked for ever), a
  // socket only into a pipe.
  // (A host FIFO or pipe too: its empty read waited in the host, or beside a full output for ever.)
  if (isPipe(inp)) throw new SyscallError(E.EINVAL, `sendfile from ${inp.path}`);
  if (inp instanceof SocketFile && !(out instanceof PipeEnd)) {
    throw new SyscallError(E.EINVAL, `sendfile from ${inp.path} into a file`);
  }
  const count = Math.min(sizeArg(a[3]), MAX_RW_COUNT);
  // No reader: EPIPE and SIGPIPE before anything is read (the input's offset stays), even for 0 bytes (Linux 6.18).
  const noReader = out instanceof PipeEnd ? out.pipe.readers === 0 : isPipe(out) && (out.pollEvents() & POLL.ERR) !== 0;
  if (noReader) {
    raiseSigpipe(proc, cpu);
    throw new SyscallError(E.EPIPE, `sendfile to ${out.path}, which has no reader`);
  }
  const full = () =>
    out instanceof PipeEnd
      ? out.pipe.readers > 0 && out.pipe.room === 0
      : out instanceof HostFifo && !(out.pollEvents() & (POLL.OUT | POLL.ERR));
  if (full() && count > 0) {
    // A full pipe: nothing is read until there is room (a blocking call waits, then runs whole).
    if (out.flags & O_NONBLOCK) throw new SyscallError(E.EAGAIN, `No room in ${out.path}`);
    throw new Blocked({
      what: `sendfile to ${out.path}`,
      deadline: Infinity,
      restart: "restart",
      hostFds: out instanceof HostFifo ? [{ fd: out.hostPollFd(), events: POLL.OUT }] : undefined,
      poll() {
        if (full()) return undefined;
        try {
          return sysSendfile(proc, cpu, a);
        } catch (err) {
          if (err instanceof Blocked) return undefined;
          if (err instanceof SyscallError) return -err.errno;
          throw err;
        }
      },
      cancel() {},
    });
  }
  if (a[2] === 0) return blockingRead(inp, () => copyData(proc, cpu, inp, out, count, undefined, undefined));
  const off = readOffset(proc, a[2]);
  proc.mem.check(a[2], 8, "write");
  const n = copyData(proc, cpu, inp, out, count, off, undefined);
  writeOffset(proc, a[2], off + n);
  return n;
}

function sysCopyFileRange(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const inp = readableFile(proc, a[0] | 0);
  const out = writableFile(proc, a[2] | 0);
  if (a[5] >>> 0 !== 0) throw new SyscallError(E.EINVAL, `Bad flags ${a[5] >>> 0}`);
  for (const f of [inp, out]) {
    if (f.isDirectory()) throw new SyscallError(E.EISDIR);
    if (!(f instanceof HostFile && f.kind === "reg")) throw new SyscallError(E.EINVAL, "Not a regular file");
  }
  // Then, as Linux's generic_file_rw_checks: no copy into a file opened to append.
  if (out.flags & O_APPEND) throw new SyscallError(E.EBADF, "The output is opened to append");
  // Offsets and the count exactly: Linux adds the count to each offset as unsigned 64-bit numbers, and a sum that
  // wraps is EOVERFLOW (generic_copy_file_checks), before a negative offset is EINVAL (rw_verify_area).
  const want = cpu.getX(14) & (2n ** 64n - 1n);
  const given = (addr: number, file: OpenFile) =>
    addr === 0 ? BigInt((file as HostFile).offset) : readStruct(proc.mem, addr, 8).getBigInt64(0, true);
  const offsets = [given(a[1], inp), given(a[3], out)];
  for (const off of offsets) {
    if (BigInt.asUintN(64, off) + want > 2n ** 64n - 1n) {
      throw new SyscallError(E.EOVERFLOW, `Offset ${off} wraps with ${want} bytes`);
    }
  }
  if (offsets.some((off) => off < 0n)) throw new SyscallError(E.EINVAL, `Negative offset ${offsets.join(", ")}`);
  // Past the largest offset plume passes on exactly, the input is at its end (no host file is that long).
  if (offsets[0] > BigInt(MAX_OFFSET)) return 0;
  if (offsets[1] > BigInt(MAX_OFFSET)) throw new SyscallError(E.EFBIG, `Offset past ${MAX_OFFSET}`);
  const count = Math.min(sizeArg(a[4]), MAX_RW_COUNT);
  const inOff = Number(offsets[0]), outOff = Number(offsets[1]);
  // As Linux's generic_copy_file_checks: the count is cut at the input's end first (a copy within one file would
  // otherwise go on reading what it wrote), and within one file the ranges may not overlap.
  const si = (inp as HostFile).stat(), so = (out as HostFile).stat();
  const upTo = Math.min(count, Math.max(0, Number(si.size) - inOff));
  if (si.dev === so.dev && si.ino === so.ino && outOff + upTo > inOff && outOff < inOff + upTo) {
    throw new SyscallError(E.EINVAL, "Overlapping ranges of one file");
  }
  const n = copyData(proc, cpu, inp, out, upTo, inOff, outOff);
  // Linux moves the offsets only when something was copied.
  if (n === 0) return 0;
  if (a[1] === 0) (inp as HostFile).offset += n;
  else writeOffset(proc, a[1], inOff + n);
  if (a[3] === 0) (out as HostFile).offset += n;
  else writeOffset(proc, a[3], outOff + n);
  return n;
}

function sysFsync(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  proc.fds.opened(a[0] | 0).sync(false);
  return 0;
}

function sysFdatasync(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  proc.fds.opened(a[0] | 0).sync(true);
  return 0;
}

function sysSyncfs(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  proc.fds.opened(a[0] | 0);
  return 0;
}

/**
 * A length argument as the host takes it: a 64-bit length arrives as the
 * nearest double, and one that rounds up to 2^63 (2^63 - 1 itself) the host
 * refused as no 64-bit integer at all (EINVAL, where Linux's file system
 * answers EFBIG): such a length is the largest double below 2^63, which the
 * host's file system judges. ext4 refuses it as Linux does (EFBIG); tmpfs and
 * XFS accept it, and the file is then 2^63 - 1024 bytes long, not 2^63 - 1
 * (every length past 2^53 reaches plume rounded).
 */
function hostLength(length: number): number {
  return Math.min(length, 2 ** 63 - 1024);
}

function sysFtruncate(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.opened(a[0] | 0);
  if (a[1] < 0) throw new SyscallError(E.EINVAL, `Negative length ${a[1]}`);
  if (!f.writable) throw new SyscallError(E.EINVAL, `fd ${a[0]} is not open for writing`);
  f.truncate(hostLength(a[1]));
  afterWrite(proc, f, 0, Number.MAX_SAFE_INTEGER);
  return 0;
}

function sysTruncate(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const path = resolvePath(proc, AT_FDCWD, readPath(proc.mem, a[0]));
  if (a[1] < 0) throw new SyscallError(E.EINVAL, `Negative length ${a[1]}`);
  // Linux's vfs_truncate takes regular files only. Deno's truncate opens the file for writing first, which for a FIFO
  // waited in the host for a reader, with every guest thread stopped.
  const type = statPath(path, false).mode & S_IFMT;
  if (type === S_IFDIR) throw new SyscallError(E.EISDIR, `${path} is a directory`);
  if (type !== S_IFREG) throw new SyscallError(E.EINVAL, `${path} is not a regular file`);
  hostCall(() => Deno.truncateSync(path, hostLength(a[1])));
  return 0;
}

function sysFadvise64(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.opened(a[0] | 0);
  if (isPipe(f)) throw new SyscallError(E.ESPIPE);
  if (a[2] < 0) throw new SyscallError(E.EINVAL, `Negative length ${a[2]}`);
  const advice = a[3] | 0;
  if (advice < 0 || advice > 5) throw new SyscallError(E.EINVAL, `Bad advice ${advice}`);
  return 0;
}

/** `readahead`: advice only, as under Linux, for a file open for reading that has pages (a regular file or a device). */
function sysReadahead(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.get(a[0] | 0);
  if (!f.readable) throw new SyscallError(E.EBADF, `fd ${a[0]} is not open for reading`);
  if (!(f instanceof HostFile && (f.kind === "reg" || f.kind === "blk"))) throw new SyscallError(E.EINVAL);
  return 0;
}

const SYNC_FILE_RANGE_WAIT_BEFORE = 1, SYNC_FILE_RANGE_WRITE = 2, SYNC_FILE_RANGE_WAIT_AFTER = 4;

/**
 * `sync_file_range`, checked in Linux's order (the descriptor, as this host's 6.18 does;
 * then flags and range; then the file's type); a write asked for flushes
 * the file's data (`fdatasync`: the whole file, a superset of the range).
 */
function sysSyncFileRange(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const offset = a[1], nbytes = a[2], flags = a[3] >>> 0;
  const f = proc.fds.get(a[0] | 0);
  if (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  if (offset < 0 || nbytes < 0 || offset + nbytes > Number.MAX_SAFE_INTEGER) {
    throw new SyscallError(E.EINVAL, `Bad range ${offset}+${nbytes}`);
  }
  // A standard stream plume was given is a file too when the host's is one (redirected from or to it).
  const kind = f instanceof HostFile ? f.kind : f instanceof StdioFile ? kindOf(f.stat().mode) : undefined;
  if (kind !== "reg" && kind !== "blk" && kind !== "dir" && kind !== "lnk") throw new SyscallError(E.ESPIPE);
  if (flags & (SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) && f.writable) f.sync(true);
  return 0;
}

const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_ZERO_RANGE = 0x10;

/** True when every byte of `b` is 0 (words at a time: a callback per byte took seconds for 256 MiB). */
function allZero(b: Uint8Array): boolean {
  const words = new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
  let or = 0;
  for (let i = 0; i < words.length; i++) or |= words[i];
  for (let i = words.length * 4; i < b.length; i++) or |= b[i];
  return or === 0;
}

/**
 * Writes zeros over `[from, to)` of `f`, a megabyte at a time (never appending): a hole
 * punched or a range zeroed reads as zeros, which is all a guest sees of
 * either (the host file keeps its blocks: `st_blocks` may differ).
 */
function writeZeros(f: OpenFile, from: number, to: number): void {
  const zeros = new Uint8Array(Math.min(to - from, 1 << 20)), seen = new Uint8Array(zeros.length);
  for (let at = from; at < to;) {
    const len = Math.min(zeros.length, to - at);
    // What reads as zeros already (a hole, most of a sparse file) is not written: writing it allocated the blocks
    // a punched hole is to free (a reviewer's find: a 256 MiB sparse file grew to 256 MiB on disk).
    const got = f.pread(seen.subarray(0, len), at);
    if (got === len && allZero(seen.subarray(0, len))) {
      at += len;
      continue;
    }
    const n = f.writeBack(zeros.subarray(0, len), at);
    if (n <= 0) throw new SyscallError(E.EIO, `No zeros written at ${at}`);
    at += n;
  }
}

function sysFallocate(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.opened(a[0] | 0);
  const mode = a[1] | 0, off = a[2], len = a[3];
  if (off < 0 || len <= 0) throw new SyscallError(E.EINVAL, `Bad range ${off}+${len}`);
  // The modes plume has, in Linux's order of checks (vfs_fallocate): a hole is punched only within the size.
  const punch = (mode & FALLOC_FL_PUNCH_HOLE) !== 0, zero = (mode & FALLOC_FL_ZERO_RANGE) !== 0;
  if (
    mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE) || (punch && zero) ||
    (punch && !(mode & FALLOC_FL_KEEP_SIZE))
  ) {
    throw new SyscallError(E.EOPNOTSUPP, `Unsupported fallocate mode ${mode}`);
  }
  if (!f.writable) throw new SyscallError(E.EBADF);
  if (f instanceof PipeEnd) throw new SyscallError(E.ESPIPE);
  if (f.isDirectory()) throw new SyscallError(E.EISDIR);
  if (!(f instanceof HostFile) || f.kind !== "reg") throw new SyscallError(E.ENODEV);
  if (off + len > MAX_OFFSET) throw new SyscallError(E.EFBIG, `Range ${off}+${len} past the largest size`);
  const size = Number(f.stat().size), end = off + len;
  // Only what lies within the size has contents to clear (a range past the end has none: it reads as zeros).
  const cleared = (punch || zero) && off < size ? Math.min(end, size) : off;
  if (cleared > off) writeZeros(f, off, cleared);
  // Space is not reserved ahead on the host; extending the size is what the guest can observe.
  if (!(mode & FALLOC_FL_KEEP_SIZE) && size < end) f.truncate(end);
  if (cleared > off) afterWrite(proc, f, off, cleared - off);
  return 0;
}

const FALLOC_FLAGS = {
  flags: [
    [1, "FALLOC_FL_KEEP_SIZE"],
    [2, "FALLOC_FL_PUNCH_HOLE"],
    [4, "FALLOC_FL_NO_HIDE_STALE"],
    [8, "FALLOC_FL_COLLAPSE_RANGE"],
    [0x10, "FALLOC_FL_ZERO_RANGE"],
    [0x20, "FALLOC_FL_INSERT_RANGE"],
    [0x40, "FALLOC_FL_UNSHARE_RANGE"],
  ],
} as const;

const RW: StraceSpec = { args: ["d", "x", "d"] };

/** File-descriptor system calls. */
export const IO_SYSCALLS: readonly SyscallDef[] = [
  def("read", sysRead, RW),
  def("write", sysWrite, RW),
  def("readv", sysReadv),
  def("writev", sysWritev, { args: ["d", "p", "x"] }),
  def("pread64", sysPread64),
  def("pwrite64", sysPwrite64),
  // On a 64-bit kernel the high half of the offset (a4) is ignored; -1 is only special for the "2" calls.
  def("preadv", (p, c, a) => preadv(p, c, a, false)),
  def("pwritev", (p, c, a) => pwritev(p, c, a, false)),
  def("preadv2", (p, c, a) => preadv(p, c, a, true)),
  def("pwritev2", (p, c, a) => pwritev(p, c, a, true)),
  def("lseek", sysLseek, { args: ["d", "ld", { enums: SEEK_WHENCE }] }),
  def("close", sysClose, { args: ["d"] }),
  def("close_range", sysCloseRange, { args: ["u", "u", "u"] }),
  def("dup", sysDup, { args: ["d"] }),
  def("dup3", sysDup3, { args: ["d", "d", "d"] }),
  def("fcntl", sysFcntl, FCNTL_STRACE),
  def("ioctl", sysIoctl, IOCTL_STRACE),
  def("pipe2", sysPipe2),
  def("sendfile", sysSendfile),
  def("copy_file_range", sysCopyFileRange, { args: ["d", "p", "d", "p", "lu", "u"] }),
  def("fsync", sysFsync, { args: ["d"] }),
  def("fdatasync", sysFdatasync, { args: ["d"] }),
  def("sync", () => 0),
  def("syncfs", sysSyncfs, { args: ["d"] }),
  def("ftruncate", sysFtruncate, { args: ["d", "ld"] }),
  def("truncate", sysTruncate, { args: ["str", "ld"] }),
  def("fadvise64", sysFadvise64),
  def("readahead", sysReadahead, { args: ["d", "ld", "lu"] }),
  def("sync_file_range", sysSyncFileRange, { args: ["d", "ld", "ld", "x"] }),
  def("fallocate", sysFallocate, { args: ["d", FALLOC_FLAGS, "ld", "ld"] }),
];
