/**
 * Pipes made by `pipe2`: a byte queue inside plume that both ends share.
 *
 * A read from an empty pipe whose write end is open fails here with
 * `EAGAIN`, and so does a write that finds no room (Linux's 64 KiB
 * capacity, or what `F_SETPIPE_SZ` set; a write of at most `PIPE_BUF`
 * bytes goes in whole or not at all); unless the pipe is non-blocking, the
 * system-call layer turns that into a wait of the thread (`sys_io.ts`).
 * Writes had no bound: `dd if=/dev/zero | sleep 6` held 1.1 GB of plume's
 * memory, and a writer that never blocked could not be told apart from one
 * whose reader keeps up.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { POLL } from "./host_poll.ts";
import { O_NONBLOCK, O_RDONLY, O_WRONLY, OpenFile } from "./open_file.ts";
import { type FileStat, S_IFIFO } from "./stat.ts";

/** A new pipe's capacity (Linux's default: 16 pages). */
export const PIPE_CAPACITY = 65536;

let nextPipeIno = 0x10000n;

/** Bytes of a slot of the queue: a page, as in Linux's ring of pipe buffers. */
const SLOT = 4096;

/** One slot: a page whose bytes `[start, end)` are queued. */
interface Slot {
  page: Uint8Array;
  start: number;
  end: number;
}

/**
 * The queue shared by the two ends: a ring of page-sized slots, as Linux's
 * (`pipe_write`): a write's first `length % 4096` bytes go into the last
 * slot when they fit there, the rest into new slots a page at a time, so a
 * pipe holding one byte has one slot fewer for the next write. Capacity is
 * counted in slots, and what a program sees of it (how much a non-blocking
 * write takes, when `poll` says writable) follows.
 */
export class Pipe {
  /** Slots in use, oldest first. */
  private slots: Slot[] = [];
  /** Bytes queued. */
  size = 0;
  /** Bytes it holds at most (`F_GETPIPE_SZ`, `F_SETPIPE_SZ`): a whole number of slots. */
  capacity = PIPE_CAPACITY;
  /** Open read ends. */
  readers = 0;
  /** Open write ends. */
  writers = 0;
  /** Inode number shown by `fstat` and `/proc/self/fd`. */
  readonly ino: bigint = nextPipeIno++;
  /** Creation time (ns), shown by `fstat`. */
  readonly created: bigint = BigInt(Date.now()) * 1_000_000n;
  /** Owner shown by `fstat`. */
  readonly uid: number;
  /** Group shown by `fstat`. */
  readonly gid: number;

  /**
   * @param uid owner
   * @param gid group
   */
  constructor(uid = 0, gid = 0) {
    this.uid = uid;
    this.gid = gid;
  }

  /** Slots in use. */
  get used(): number {
    return this.slots.length;
  }

  /** Bytes new slots can take now (what a write that merges nothing may add). */
  get room(): number {
    return Math.max(0, this.capacity / SLOT - this.slots.length) * SLOT;
  }

  /**
   * Appends what fits of `src` (see {@link Pipe}); returns the count, 0
   * when nothing fits. A write of at most `PIPE_BUF` (4096) bytes fits whole or
   * not at all, as it needs either room in the last slot or a free one.
   */
  push(src: Uint8Array): number {
    let done = 0;
    const tail = src.length % SLOT, last = this.slots[this.slots.length - 1];
    if (tail !== 0 && last !== undefined && last.end + tail <= SLOT) {
      last.page.set(src.subarray(0, tail), last.end);
      last.end += tail;
      done = tail;
    }
    while (done < src.length && this.slots.length < this.capacity / SLOT) {
      const n = Math.min(SLOT, src.length - done);
      const page = new Uint8Array(SLOT);
      page.set(src.subarray(done, done + n));
      this.slots.push({ page, start: 0, end: n });
      done += n;
    }
    this.size += done;
    return done;
  }

  /** Moves up to `dst.length` queued bytes into `dst`; returns the count. */
  shift(dst: Uint8Array): number {
    let n = 0;
    while (n < dst.length && this.slots.length > 0) {
      const slot = this.slots[0];
      const take = Math.min(dst.length - n, slot.end - slot.start);
      dst.set(slot.page.subarray(slot.start, slot.start + take), n);
      n += take;
      slot.start += take;
      if (slot.start === slot.end) this.slots.shift();
    }
    this.size -= n;
    return n;
  }
}

/**
 * One end of a {@link Pipe}.
 *
 * @example
 * ```ts
 * import { PipeEnd } from "./pipe.ts";
 * import { strictEqual } from "node:assert";
 * const [r, w] = PipeEnd.pair(0);
 * w.write(new Uint8Array([1, 2, 3]));
 * strictEqual(r.read(new Uint8Array(8)), 3);
 * ```
 */
export class PipeEnd extends OpenFile {
  /** The shared queue. */
  readonly pipe: Pipe;
  /** True for the read end. */
  readonly isReadEnd: boolean;

  /**
   * @param pipe the queue
   * @param isReadEnd which end
   * @param flags status flags (`O_NONBLOCK`)
   */
  constructor(pipe: Pipe, isReadEnd: boolean, flags: number) {
    super((isReadEnd ? O_RDONLY : O_WRONLY) | (flags & O_NONBLOCK), `pipe:[${pipe.ino}]`);
    this.pipe = pipe;
    this.isReadEnd = isReadEnd;
    if (isReadEnd) pipe.readers++;
    else pipe.writers++;
  }

  /** A new pipe's read and write ends. */
  static pair(flags: number, uid = 0, gid = 0): [PipeEnd, PipeEnd] {
    const p = new Pipe(uid, gid);
    return [new PipeEnd(p, true, flags), new PipeEnd(p, false, flags)];
  }

  read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    if (this.pipe.size === 0) {
      if (this.pipe.writers === 0) return 0;
      throw new SyscallError(E.EAGAIN, "Read from an empty pipe whose write end is open");
    }
    return this.pipe.shift(dst);
  }

  /**
   * Writes what there is room for, as Linux's `pipe_write` does in one go
   * ({@link Pipe.push}): `EAGAIN` when nothing can be written now; `EPIPE`
   * when no read end is open (the caller raises `SIGPIPE`).
   */
  write(src: Uint8Array): number {
    const p = this.pipe;
    // An empty write is 0 before anything else (pipe_write): no EPIPE, no SIGPIPE without a reader.
    if (src.length === 0) return 0;
    if (p.readers === 0) throw new SyscallError(E.EPIPE);
    const n = p.push(src);
    if (n === 0) throw new SyscallError(E.EAGAIN, `No room in ${this.path} for ${src.length} bytes`);
    return n;
  }

  /** A pipe takes O_DIRECT (its packet mode). */
  override directIo(): boolean {
    return true;
  }

  override signalsReadiness(): boolean {
    return true;
  }

  override available(): number {
    return this.pipe.size;
  }

  override waitable(): boolean {
    return true;
  }

  /** Linux's `pipe_poll`: data or a hang-up for the reader; a free slot or an error for the writer. */
  override pollEvents(): number {
    const p = this.pipe;
    if (this.isReadEnd) return (p.size > 0 ? POLL.IN | POLL.RDNORM : 0) | (p.writers === 0 ? POLL.HUP : 0);
    return (p.room > 0 ? POLL.OUT | POLL.WRNORM : 0) | (p.readers === 0 ? POLL.ERR : 0);
  }

  stat(): FileStat {
    const t = this.pipe.created;
    return {
      // Linux's pipefs device is an anonymous one; 0xd is what it usually gets.
      dev: 0xdn,
      ino: this.pipe.ino,
      mode: S_IFIFO | 0o600,
      nlink: 1,
      uid: this.pipe.uid,
      gid: this.pipe.gid,
      rdev: 0n,
      size: 0n,
      blksize: 4096,
      blocks: 0n,
      atimeNs: t,
      mtimeNs: t,
      ctimeNs: t,
      birthtimeNs: null,
    };
  }

  override release(): void {
    if (this.isReadEnd) this.pipe.readers--;
    else this.pipe.writers--;
  }
}
