/**
 * Pipes made by `pipe2`: a byte queue inside plume that both ends share.
 *
 * A read from an empty pipe whose write end is open fails here with
 * `EAGAIN`; unless the pipe is non-blocking, the system-call layer turns
 * that into a wait of the reading thread (`sys_io.ts`). Writes never
 * block: the queue grows past Linux's 64 KiB capacity, which no program
 * can tell apart except by filling a pipe it never reads.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { POLL } from "./host_poll.ts";
import { O_NONBLOCK, O_RDONLY, O_WRONLY, OpenFile } from "./open_file.ts";
import { type FileStat, S_IFIFO } from "./stat.ts";

/** What `F_GETPIPE_SZ` reports (Linux's default pipe capacity). */
export const PIPE_CAPACITY = 65536;

let nextPipeIno = 0x10000n;

/** The queue shared by the two ends. */
export class Pipe {
  /** Queued chunks, oldest first; the first may be partly consumed. */
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes queued. */
  size = 0;
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

  /** Appends a copy of `src`. */
  push(src: Uint8Array): void {
    if (src.length === 0) return;
    this.chunks.push(src.slice());
    this.size += src.length;
  }

  /** Moves up to `dst.length` queued bytes into `dst`; returns the count. */
  shift(dst: Uint8Array): number {
    let n = 0;
    while (n < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0];
      const take = Math.min(dst.length - n, c.length - this.head);
      dst.set(c.subarray(this.head, this.head + take), n);
      n += take;
      this.head += take;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
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

  /** Writes all of `src`; `EPIPE` when no read end is open (the caller raises `SIGPIPE`). */
  write(src: Uint8Array): number {
    if (this.pipe.readers === 0) throw new SyscallError(E.EPIPE);
    this.pipe.push(src);
    return src.length;
  }

  override available(): number {
    return this.pipe.size;
  }

  override waitable(): boolean {
    return true;
  }

  /** Linux's `pipe_poll`: data or a hang-up for the reader; room (always) or an error for the writer. */
  override pollEvents(): number {
    const p = this.pipe;
    if (this.isReadEnd) return (p.size > 0 ? POLL.IN | POLL.RDNORM : 0) | (p.writers === 0 ? POLL.HUP : 0);
    return POLL.OUT | POLL.WRNORM | (p.readers === 0 ? POLL.ERR : 0);
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
