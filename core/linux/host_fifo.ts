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
 *   guest's open tries again until it succeeds; `O_NONBLOCK` gets `ENXIO`;
 * - for reading (`O_RDONLY`): the host's open always succeeds; the guest's
 *   waits until a writer is open, which plume knows for the guest's own
 *   ({@link writersOf}) and sees for a host process once it writes or
 *   closes; `O_NONBLOCK` does not wait;
 * - `O_RDWR` never waits (Linux's behaviour, which POSIX leaves open).
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
import { MAX_RW_COUNT, O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY, OpenFile } from "./open_file.ts";
import { type FileStat, statDescriptor, statPath } from "./stat.ts";
import { Blocked, type Waiter } from "./wait.ts";

/** The host's `O_NONBLOCK` and `O_CLOEXEC` (x86-64's, the same numbers as riscv64's). */
const HOST_O_NONBLOCK = 0o4000, HOST_O_CLOEXEC = 0o2000000;
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

/** How many descriptions the run's guests have open for writing on the FIFO of status `st`. */
export function writersOf(st: FileStat): number {
  return writers.get(fifoKey(st)) ?? 0;
}

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
  }

  private get writes(): boolean {
    return (this.flags & O_ACCMODE) !== O_RDONLY;
  }

  /**
   * Opens the FIFO at host path `path` (whose status is `st`) for the
   * guest, waiting as Linux's open would: returns `install(file)` (the new
   * descriptor), at once or once the wait is over (by throwing
   * {@link Blocked}). Undefined when plume cannot call the C library.
   */
  static open(
    path: string,
    flags: number,
    st: FileStat,
    install: (f: HostFifo) => number,
  ): number | undefined {
    const c = libc();
    if (c === null) return undefined;
    const acc = flags & O_ACCMODE, key = fifoKey(st);
    const hostFlags = acc | HOST_O_NONBLOCK | HOST_O_CLOEXEC;
    /** The description, or undefined while the host says no reader is there (ENXIO) and the guest waits. */
    const attempt = (): HostFifo | undefined => {
      const fd = c.open(cString(path), hostFlags, 0);
      if (fd >= 0) return new HostFifo(fd, flags, path, key, c);
      const errno = hostErrnoValue(c);
      if (errno === E.ENXIO && acc === O_WRONLY && !(flags & O_NONBLOCK)) return undefined;
      throw new SyscallError(errno, `open ${path}`);
    };
    const first = attempt();
    if (first === undefined) throw new Blocked(waitForReader(path, attempt, install));
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

  /** Opened again by its path: a new description of the FIFO, which waits for its other end as any open does. */
  override reopenPath(): string {
    return this.path;
  }

  override hostPollFd(): number {
    return this.fd;
  }

  override signalsReadiness(): boolean {
    return true;
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

/**
 * The wait of an open for writing until a reader is there: each look
 * tries the host's open again, and looks come at least every
 * {@link RECHECK_MS} (a reader in a host process opens unseen).
 */
function waitForReader(
  path: string,
  attempt: () => HostFifo | undefined,
  install: (f: HostFifo) => number,
): Waiter {
  let next = performance.now() + RECHECK_MS;
  return {
    what: `open of FIFO ${path} for writing (no reader yet)`,
    get deadline() {
      return next;
    },
    restart: "restart",
    poll(now) {
      const got = resultOf(() => {
        const f = attempt();
        return f === undefined ? undefined : installed(f, install);
      });
      if (got === undefined) next = now + RECHECK_MS;
      return got;
    },
    cancel() {},
  };
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
