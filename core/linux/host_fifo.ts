/**
 * Named FIFOs (`mkfifo`) on the host's file system, opened by the guest.
 *
 * Why not as other files: Linux's `open` of a FIFO waits until the other
 * end is open too, and Deno's `open` is the host's blocking one. Every
 * guest process runs on plume's one thread, so `mkfifo f; cat f & echo hi
 * > f` hung plume in the host's `open` for `cat`, with the writer that
 * would have ended the wait never run. So plume opens FIFOs itself,
 * through the C library (`host_libc.ts`), always with `O_NONBLOCK`, and
 * makes the guest's calls wait in the scheduler as Linux's `fifo_open`,
 * `pipe_read` and `pipe_write` would:
 *
 * - for writing (`O_WRONLY`): the host's open fails with `ENXIO` while no
 *   reader has the FIFO open (a guest reader holds a host descriptor from
 *   the start of its own open, as Linux counts a waiting reader), so the
 *   guest's open tries again until it succeeds, and every writer waiting
 *   on that FIFO opens with it ({@link waitForReader}); `O_NONBLOCK` gets
 *   `ENXIO`;
 * - for reading (`O_RDONLY`): the host's open always succeeds; the guest's
 *   waits until a writer is open, which plume counts for the guest's own
 *   and sees for a host process once it writes or closes; `O_NONBLOCK`
 *   does not wait;
 * - `O_RDWR` never waits (Linux's behaviour, which POSIX leaves open).
 *
 * Each open holds an `O_PATH` descriptor of the FIFO from its start and
 * opens it through the host's link to that, so that a FIFO renamed (or
 * replaced by another file) while an open waits is still the one opened.
 *
 * Reads and writes are the host's on the non-blocking descriptor: `EAGAIN`
 * makes a blocking guest call wait for the descriptor's readiness, end of
 * file and `EPIPE` (with the guest's `SIGPIPE`) are the host's. Without the
 * C library, FIFOs are opened as other files (and `mkfifo` is `EPERM`).
 *
 * @module
 */

import { E, hostCall, SyscallError } from "./errno.ts";
import { cString, hostErrnoValue, type Libc, libc } from "./host_libc.ts";
import { POLL, pollHost } from "./host_poll.ts";
import { MAX_RW_COUNT, O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY, OpenFile } from "./open_file.ts";
import { type FileStat, S_IFIFO, S_IFMT, statDescriptor, statPath } from "./stat.ts";
import { Blocked, type Waiter } from "./wait.ts";

/** The host's `O_NONBLOCK`, `O_CLOEXEC` and `O_PATH` (x86-64's, the same numbers as riscv64's). */
const HOST_O_NONBLOCK = 0o4000, HOST_O_CLOEXEC = 0o2000000, HOST_O_PATH = 0o10000000;
/** `FIONREAD`. */
const FIONREAD = 0x541b;
/**
 * How often a guest open for writing looks again for a reader that is a
 * host process (plume cannot be told when one opens the FIFO): often
 * enough for a shell pipeline, rarely enough to cost nothing.
 */
const RECHECK_MS = 10;

/** Descriptions open for writing (`O_WRONLY` or `O_RDWR`) of each FIFO, by device and inode, across the run. */
const writers = new Map<string, number>();

function fifoKey(st: FileStat): string {
  return `${st.dev}:${st.ino}`;
}

/** An open description of a named FIFO: a non-blocking host descriptor plume opened through the C library. */
export class HostFifo extends OpenFile {
  /**
   * @param fd the host descriptor
   * @param flags the guest's open flags
   * @param path the host path it was opened by
   * @param key the FIFO's identity ({@link fifoKey})
   * @param c the C library
   */
  private constructor(
    private readonly fd: number,
    flags: number,
    path: string,
    private readonly key: string,
    private readonly c: Libc,
  ) {
    super(flags, path);
    if (this.writes) writers.set(key, (writers.get(key) ?? 0) + 1);
    // A reader of the run's own lets the writers waiting in their open in now, as Linux's wakes them: they are writers
    // before its open returns (a read then waits for their data, and a close of it gives them EPIPE, not an open that
    // waits on).
    if ((flags & O_ACCMODE) !== O_WRONLY) {
      nextLook.delete(key);
      const waiting = waitingWriters.get(key);
      if (waiting !== undefined) lookForReader(waiting);
    }
  }

  private get writes(): boolean {
    return (this.flags & O_ACCMODE) !== O_RDONLY;
  }

  /**
   * Opens the FIFO at host path `path` for the guest, waiting as Linux's
   * open would: returns `install(file)` (the new descriptor), at once or
   * once the wait is over (by throwing {@link Blocked}). Undefined when
   * plume cannot call the C library, or `path` no longer names a FIFO.
   */
  static open(path: string, flags: number, install: (f: HostFifo) => number): number | undefined {
    const c = libc();
    if (c === null) return undefined;
    // The FIFO itself, held from the start whatever its name becomes (Linux's open holds the inode while it waits):
    // each open of the guest's goes through this anchor, never through a name another file may have taken.
    const anchor = c.open(cString(path), HOST_O_PATH | HOST_O_CLOEXEC, 0);
    if (anchor < 0) throw new SyscallError(hostErrnoValue(c), `open ${path}`);
    let st;
    try {
      st = statDescriptor(anchor);
    } catch (err) {
      c.close(anchor);
      throw err;
    }
    if (st === undefined || (st.mode & S_IFMT) !== S_IFIFO) {
      c.close(anchor);
      return undefined;
    }
    const acc = flags & O_ACCMODE, key = fifoKey(st), via = cString(`/proc/self/fd/${anchor}`);
    const hostFlags = acc | HOST_O_NONBLOCK | HOST_O_CLOEXEC;
    let anchored = true;
    const unanchor = () => {
      if (anchored) c.close(anchor);
      anchored = false;
    };
    /** The description, or undefined while the host says no reader is there (ENXIO) and the guest waits. */
    const attempt = (): HostFifo | undefined => {
      const fd = c.open(via, hostFlags, 0);
      if (fd >= 0) return new HostFifo(fd, flags, path, key, c);
      const errno = hostErrnoValue(c);
      if (errno === E.ENXIO && acc === O_WRONLY && !(flags & O_NONBLOCK)) return undefined;
      throw new SyscallError(errno, `open ${path}`);
    };
    let first;
    try {
      first = attempt();
    } catch (err) {
      unanchor();
      throw err;
    }
    if (first === undefined) throw new Blocked(waitForReader(path, key, attempt, install, unanchor));
    unanchor();
    if (acc !== O_RDONLY || flags & O_NONBLOCK || (writers.get(key) ?? 0) > 0) return installed(first, install);
    // A reader waits for a writer: one of the guest's, or a host process's once it writes or closes.
    const ready = () =>
      (writers.get(key) ?? 0) > 0 || ((pollHost([{ fd: first.fd, events: POLL.IN }], 0)?.[0] ?? POLL.IN) !== 0);
    const waiter: Waiter = {
      what: `open of FIFO ${path} for reading (no writer yet)`,
      deadline: Infinity,
      restart: "restart",
      hostFds: [{ fd: first.fd, events: POLL.IN }],
      poll: () => (ready() ? resultOf(() => installed(first, install)) : undefined),
      cancel: () => first.release(),
    };
    throw new Blocked(waiter);
  }

  /**
   * A descriptor plume was started with (`inherited_fds.ts`) that is a
   * named FIFO, which `HostFile.inherited` leaves out (reopening it by its
   * name would wait for the other end): a description of its own, opened
   * through the host's link to it without waiting. Undefined for anything
   * else, and for a writer whose FIFO has no reader now (ENXIO).
   */
  static inherited(d: { readonly fd: number; readonly flags: number }): HostFifo | undefined {
    const c = libc();
    if (c === null) return undefined;
    const link = `/proc/self/fd/${d.fd}`;
    const fd = c.open(cString(link), (d.flags & O_ACCMODE) | HOST_O_NONBLOCK | HOST_O_CLOEXEC, 0);
    if (fd < 0) return undefined;
    let st;
    try {
      st = statDescriptor(fd);
    } catch {
      st = undefined;
    }
    if (st === undefined || (st.mode & S_IFMT) !== S_IFIFO) {
      c.close(fd);
      return undefined;
    }
    let path = link;
    try {
      path = Deno.readLinkSync(link);
    } catch {
      // The host's link to it then names it.
    }
    return new HostFifo(fd, d.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), path, fifoKey(st), c);
  }

  read(dst: Uint8Array): number {
    const n = Number(this.c.read(this.fd, dst, BigInt(Math.min(dst.length, MAX_RW_COUNT))));
    if (n < 0) throw new SyscallError(hostErrnoValue(this.c), `read from FIFO ${this.path}`);
    return n;
  }

  write(src: Uint8Array): number {
    const n = Number(this.c.write(this.fd, src, BigInt(Math.min(src.length, MAX_RW_COUNT))));
    if (n < 0) throw new SyscallError(hostErrnoValue(this.c), `write to FIFO ${this.path}`);
    return n;
  }

  stat(): FileStat {
    return statDescriptor(this.fd) ?? statPath(this.path, false);
  }

  /** Linux's `pipe_poll`, which the host answers for its descriptor. */
  override pollEvents(): number {
    const acc = this.flags & O_ACCMODE;
    const events = (acc !== O_WRONLY ? POLL.IN | POLL.RDNORM : 0) | (acc !== O_RDONLY ? POLL.OUT | POLL.WRNORM : 0);
    return pollHost([{ fd: this.fd, events }], 0)?.[0] ?? events;
  }

  /**
   * Opened again through the host's link to this descriptor: a new
   * description of this FIFO (not of whatever file took its name since),
   * which waits for its other end as any open does.
   */
  override reopenPath(): string {
    return `/proc/self/fd/${this.fd}`;
  }

  /** Its name now, as the host's link says (after a rename the new one, after an unlink with " (deleted)"). */
  override currentName(): string {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${this.fd}`);
    } catch {
      return this.path;
    }
  }

  override hostPollFd(): number {
    return this.fd;
  }

  override signalsReadiness(): boolean {
    return true;
  }

  /** `fcntl`'s `F_GETPIPE_SZ` or `F_SETPIPE_SZ` (with `size`), asked of the host's FIFO. */
  pipeSize(cmd: number, size: number): number {
    const r = this.c.fcntl(this.fd, cmd, BigInt(size));
    if (r < 0) throw new SyscallError(hostErrnoValue(this.c), `fcntl ${cmd} of FIFO ${this.path}`);
    return r;
  }

  override available(): number {
    const n = new Int32Array(1);
    if (this.c.ioctl(this.fd, BigInt(FIONREAD), new Uint8Array(n.buffer)) !== 0) {
      throw new SyscallError(hostErrnoValue(this.c), `FIONREAD of FIFO ${this.path}`);
    }
    return n[0];
  }

  override release(): void {
    if (this.writes) {
      const left = (writers.get(this.key) ?? 1) - 1;
      if (left > 0) writers.set(this.key, left);
      else writers.delete(this.key);
    }
    this.c.close(this.fd);
  }
}

/** `install(f)`, releasing `f` when that fails (`EMFILE`). */
function installed(f: HostFifo, install: (f: HostFifo) => number): number {
  try {
    return install(f);
  } catch (err) {
    f.release();
    throw err;
  }
}

/** `call()`'s result, or `-errno` for the `SyscallError` it throws (a waiter's result). */
function resultOf(call: () => number | undefined): number | undefined {
  try {
    return call();
  } catch (err) {
    if (err instanceof SyscallError) return -err.errno;
    throw err;
  }
}

/** An open for writing that waits for a reader; `got` once the host's open succeeded. */
interface WaitingWriter {
  attempt: () => HostFifo | undefined;
  got?: HostFifo;
  /** The errno its host open failed with otherwise than ENXIO. */
  failed?: number;
}

/** The opens for writing waiting for a reader, by FIFO: when one finds one, they all open then, as Linux wakes them. */
const waitingWriters = new Map<string, Set<WaitingWriter>>();
/** When the waiting writers of each FIFO look again for a reader in a host process (`performance.now()`). */
const nextLook = new Map<string, number>();

/**
 * The wait of an open for writing until a reader is there. Every writer
 * waiting on the FIFO opens as soon as one finds a reader (each
 * retrying alone, one wrote and closed before the next looked, and a host
 * reader saw its end of file after the first); they look at once when a
 * reader of the run's own opens, else together every {@link RECHECK_MS}
 * (a reader in a host process opens unseen).
 */
function waitForReader(
  path: string,
  key: string,
  attempt: () => HostFifo | undefined,
  install: (f: HostFifo) => number,
  unanchor: () => void,
): Waiter {
  const me: WaitingWriter = { attempt };
  let set = waitingWriters.get(key);
  if (set === undefined) waitingWriters.set(key, set = new Set());
  set.add(me);
  if (!nextLook.has(key)) nextLook.set(key, performance.now() + RECHECK_MS);
  const leave = () => {
    set.delete(me);
    if (set.size === 0 && waitingWriters.get(key) === set) {
      waitingWriters.delete(key);
      nextLook.delete(key);
    }
    unanchor();
  };
  return {
    what: `open of FIFO ${path} for writing (no reader yet)`,
    get deadline() {
      return me.got !== undefined || me.failed !== undefined ? 0 : nextLook.get(key) ?? 0;
    },
    restart: "restart",
    poll(now) {
      if (me.got === undefined && me.failed === undefined && now >= (nextLook.get(key) ?? 0)) {
        lookForReader(set);
        if (me.got === undefined) nextLook.set(key, now + RECHECK_MS);
      }
      if (me.failed !== undefined) {
        leave();
        return -me.failed;
      }
      const got = me.got;
      if (got === undefined) return undefined;
      leave();
      return resultOf(() => installed(got, install));
    },
    cancel() {
      me.got?.release();
      me.got = undefined;
      leave();
    },
  };
}

/** Tries the host's open for each of `set` that has not opened yet: all succeed once a reader is there. */
function lookForReader(set: Set<WaitingWriter>): void {
  for (const w of set) {
    if (w.got !== undefined || w.failed !== undefined) continue;
    try {
      const f = w.attempt();
      if (f === undefined) return; // no reader yet: the others would find none either
      w.got = f;
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      w.failed = err.errno;
    }
  }
}

/**
 * Makes a FIFO at host path `path` with permissions `perm` exactly (the
 * host's umask is undone): false when plume cannot call the C library.
 */
export function makeFifo(path: string, perm: number): boolean {
  const c = libc();
  if (c === null) return false;
  if (c.mkfifo(cString(path), perm) !== 0) throw new SyscallError(hostErrnoValue(c), `mkfifo ${path}`);
  if ((statPath(path, true).mode & 0o7777) !== perm) hostCall(() => Deno.chmodSync(path, perm));
  return true;
}
