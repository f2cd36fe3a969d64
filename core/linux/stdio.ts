/**
 * The guest's standard streams: descriptors 0, 1 and 2 are the host's.
 * Writes go straight to the host's stdout and stderr, whole and
 * unbuffered, so guest output interleaves with plume's log exactly as under
 * qemu-user. A terminal's settings are emulated ({@link TerminalState}):
 * Deno cannot read the host's `termios`, but it can switch stdin between
 * cooked and raw mode, which is what guests change them for.
 *
 * @module
 */

import { E, hostCall, SyscallError } from "./errno.ts";
import {
  O_APPEND,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  OpenFile,
  SEEK_CUR,
  SEEK_END,
  SEEK_HOLE,
  SEEK_SET,
  seekOffset,
} from "./open_file.ts";
import { type FileStat, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, statPath } from "./stat.ts";
import { HOST, hostSockets } from "./host_socket.ts";
import { DEFAULT_POLLMASK, POLL, pollHost } from "./host_poll.ts";
import { hostErrnoValue, libc } from "./host_libc.ts";
import { hostFdInfo } from "./inherited_fds.ts";

/** Events that let a read go ahead without blocking (data, end of file, an error). */
const READY = POLL.IN | POLL.HUP | POLL.ERR;

/** Size of the kernel `struct termios` that `TCGETS`/`TCSETS` copy. */
export const TERMIOS_SIZE = 36;
/** `c_lflag`: canonical (line) mode. */
export const ICANON = 0o2;
/** `c_lflag`: signals from INTR, QUIT, SUSP. */
const ISIG = 0o1;

/** Linux's defaults for a fresh terminal in cooked mode (`stty sane`). */
function defaultTermios(): Uint8Array {
  const t = new Uint8Array(TERMIOS_SIZE);
  const v = new DataView(t.buffer);
  v.setUint32(0, 0o42400, true); // ICRNL | IXON | IUTF8
  v.setUint32(4, 0o5, true); // OPOST | ONLCR
  v.setUint32(8, 0o277, true); // B38400 | CS8 | CREAD | HUPCL
  v.setUint32(12, 0o105073, true); // ISIG ICANON ECHO ECHOE ECHOK IEXTEN ECHOCTL ECHOKE
  // c_line, then c_cc: VINTR VQUIT VERASE VKILL VEOF VTIME VMIN VSWTC VSTART VSTOP VSUSP VEOL VREPRINT VDISCARD VWERASE VLNEXT
  t.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16], 17);
  return t;
}

/** Told of what the guest writes to the host's stdout (1) and stderr (2), while set. */
let stdioTap: ((hostFd: number, data: Uint8Array) => void) | undefined;

/**
 * Sets (or, with undefined, clears) the function told of every write the
 * guest makes to the host's stdout and stderr: `-record` keeps those bytes,
 * so that a replay writes them again without running the calls.
 *
 * @param tap called with the host descriptor (1 or 2) and the bytes, after the write
 */
export function tapStdioWrites(tap: ((hostFd: number, data: Uint8Array) => void) | undefined): void {
  stdioTap = tap;
}

/**
 * Emulated settings of the host terminal, shared by the standard streams
 * that are terminals.
 *
 * @example
 * ```ts
 * import { ICANON, TerminalState } from "./stdio.ts";
 * import { notStrictEqual } from "node:assert";
 * const t = new TerminalState();
 * notStrictEqual(t.lflag & ICANON, 0); // cooked
 * ```
 */
export class TerminalState {
  /** The `struct termios` the guest last set (or Linux's defaults). */
  termios: Uint8Array = defaultTermios();
  /** Whether plume put the host's stdin in raw mode. */
  private raw = false;

  /** `c_lflag` of {@link termios}. */
  get lflag(): number {
    return new DataView(this.termios.buffer).getUint32(12, true);
  }

  /** Stores new settings; leaving or entering canonical mode switches the host's stdin to raw or back. */
  set(termios: Uint8Array): void {
    this.termios = termios.slice(0, TERMIOS_SIZE);
    const raw = (this.lflag & ICANON) === 0;
    if (raw !== this.raw && Deno.stdin.isTerminal()) {
      Deno.stdin.setRaw(raw, { cbreak: raw && (this.lflag & ISIG) !== 0 });
      this.raw = raw;
    }
  }

  /** Puts the host terminal back in cooked mode if plume changed it. */
  restore(): void {
    if (this.raw) {
      Deno.stdin.setRaw(false);
      this.raw = false;
    }
  }

  /** Window size `[rows, columns]` of the host terminal, or 24×80. */
  windowSize(): [number, number] {
    try {
      const { rows, columns } = Deno.consoleSize();
      return [rows, columns];
    } catch {
      return [24, 80];
    }
  }
}

function writeAll(out: { writeSync(p: Uint8Array): number }, src: Uint8Array): number {
  let done = 0;
  while (done < src.length) done += out.writeSync(src.subarray(done));
  return done;
}

/** The host's offset of its descriptor `fd` (`/proc/self/fdinfo`), or 0 where `/proc` is out of reach. */
function hostOffset(fd: number): number {
  return hostFdInfo(fd)?.pos ?? 0;
}

/** Whether the host opened its descriptor `fd` with `O_APPEND` (`>>`): every write goes to the end. */
function hostAppends(fd: number): boolean {
  return ((hostFdInfo(fd)?.flags ?? 0) & O_APPEND) !== 0;
}

/**
 * Host descriptor 0, 1 or 2 as a guest open file.
 *
 * @example Write to the host's stdout
 * ```ts
 * import { StdioFile, TerminalState } from "./stdio.ts";
 * import { strictEqual } from "node:assert";
 * const out = new StdioFile(1, new TerminalState());
 * strictEqual(out.write(new TextEncoder().encode("hello\n")), 6);
 * ```
 */
export class StdioFile extends OpenFile {
  /** The host descriptor. */
  readonly hostFd: 0 | 1 | 2;
  /** Terminal settings shared by the standard streams. */
  readonly terminal: TerminalState;
  /**
   * Offset once the guest seeked a regular file where plume cannot call
   * the host's `lseek` (no FFI): Deno cannot move the host's offset, so
   * from then on I/O is positional at this offset.
   */
  private offset: number | null = null;
  /** The host's offset while I/O follows it: where it started plus what went through. */
  private streamPos: number | undefined;
  /** The host descriptor's file type (`S_IFMT` bits): it does not change, so it is asked once. */
  private type: number | undefined;
  /** Whether the host's descriptor appends (asked once, when the guest first writes after a seek). */
  private appends: boolean | undefined;
  private again: Deno.FsFile | undefined;

  /**
   * @param hostFd 0, 1 or 2
   * @param terminal shared terminal settings
   */
  constructor(hostFd: 0 | 1 | 2, terminal: TerminalState) {
    const tty = [Deno.stdin, Deno.stdout, Deno.stderr][hostFd].isTerminal();
    // A terminal is opened read-write; otherwise the usual direction.
    super(tty ? O_RDWR : hostFd === 0 ? O_RDONLY : O_WRONLY, `/proc/self/fd/${hostFd}`);
    this.hostFd = hostFd;
    this.terminal = terminal;
  }

  read(dst: Uint8Array): number {
    if (this.offset !== null) {
      const n = this.pread(dst, this.offset);
      this.offset += n;
      return n;
    }
    // A host pipe or terminal without input: the caller waits for it in the scheduler, not in the host.
    if (this.hostFd === 0 && dst.length > 0 && !this.isRegular() && !(this.pollEvents() & READY)) {
      throw new SyscallError(E.EAGAIN, "No input on the host's stdin yet");
    }
    const start = this.startPos();
    const n = this.hostFd === 0
      ? hostCall(() => Deno.stdin.readSync(dst)) ?? 0
      : hostCall(() => this.reopened().readSync(dst)) ?? 0;
    this.streamPos = start + n;
    return n;
  }

  /**
   * The host's offset before this I/O: read from the host before the
   * first one (after it, the host's offset already counts what it moved:
   * taken then, a first read of 10 bytes made the offset 20).
   */
  private startPos(): number {
    return this.streamPos ??= hostOffset(this.hostFd);
  }

  write(src: Uint8Array): number {
    if (this.offset !== null) {
      // Opened for appending (`>>`): at the end whatever the offset, which then follows (Linux's write).
      this.appends ??= hostAppends(this.hostFd);
      if (this.appends) this.offset = Number(this.stat().size);
      const n = this.pwrite(src, this.offset);
      this.offset += n;
      return n;
    }
    const start = this.startPos();
    const n = this.hostFd === 1
      ? hostCall(() => writeAll(Deno.stdout, src))
      : this.hostFd === 2
      ? hostCall(() => writeAll(Deno.stderr, src))
      : hostCall(() => writeAll(this.reopened(), src));
    if (stdioTap !== undefined && (this.hostFd === 1 || this.hostFd === 2)) stdioTap(this.hostFd, src.subarray(0, n));
    this.streamPos = start + n;
    return n;
  }

  /** The host descriptor's file type (`S_IFMT` bits), asked once. */
  private fileType(): number {
    return this.type ??= this.stat().mode & S_IFMT;
  }

  /** Whether the host descriptor is a regular file. */
  private isRegular(): boolean {
    return this.fileType() === S_IFREG;
  }

  override pread(dst: Uint8Array, pos: number): number {
    if (!this.isRegular()) {
      if (!this.seekable()) throw new SyscallError(E.ESPIPE);
      return this.read(dst); // a device other than a terminal: its driver reads wherever
    }
    const f = this.reopened();
    return hostCall(() => {
      f.seekSync(pos, Deno.SeekMode.Start);
      return f.readSync(dst) ?? 0;
    });
  }

  override pwrite(src: Uint8Array, pos: number): number {
    if (!this.isRegular()) {
      if (!this.seekable()) throw new SyscallError(E.ESPIPE);
      return this.write(src);
    }
    const f = this.reopened();
    return hostCall(() => {
      f.seekSync(pos, Deno.SeekMode.Start);
      return writeAll(f, src);
    });
  }

  override seek(offset: number, whence: number): number {
    if (!this.isRegular()) {
      if (!this.seekable()) throw new SyscallError(E.ESPIPE);
      // A device other than a terminal (/dev/null) accepts any seek and stays at 0, as plume's own descriptors of one.
      if (whence < SEEK_SET || whence > SEEK_HOLE) throw new SyscallError(E.EINVAL, `Bad whence ${whence}`);
      return 0;
    }
    // The host's own offset, which the processes that share the stream see: `{ head -n1; cat; } < file` gives cat
    // the lines after the first, as head reads a block and seeks back to the end of its line.
    const c = this.offset === null ? libc() : null;
    if (c !== null) {
      // The new offset is checked against plume's largest (a number past 2^53 loses bytes) before the host's moves:
      // as a position from the start, but SEEK_DATA and SEEK_HOLE, whose answer is at most the file's size.
      const fd = this.hostFd, seekable = whence === SEEK_SET || whence === SEEK_CUR || whence === SEEK_END;
      const base = whence === SEEK_CUR
        ? Number(c.lseek(fd, 0n, SEEK_CUR))
        : whence === SEEK_END
        ? Number(this.stat().size)
        : 0;
      const target = seekable ? seekOffset(base + offset) : offset;
      const pos = Number(c.lseek(fd, BigInt(target), seekable ? SEEK_SET : whence));
      if (pos < 0) throw new SyscallError(hostErrnoValue(c), `lseek of the host's descriptor ${fd}`);
      this.streamPos = pos;
      return pos;
    }
    // While I/O follows the host's offset, the host's own (which appending writes move to the file's end).
    const cur = this.offset ?? hostOffset(this.hostFd);
    const base = whence === SEEK_SET
      ? 0
      : whence === SEEK_CUR
      ? cur
      : whence === SEEK_END
      ? Number(this.stat().size)
      : NaN;
    const pos = seekOffset(base + offset);
    // Reading the offset needs no detour; any other seek detaches from the host's offset.
    if (!(whence === SEEK_CUR && offset === 0 && this.offset === null)) this.offset = pos;
    return pos;
  }

  override truncate(length: number): void {
    if (!this.isRegular()) throw new SyscallError(E.EINVAL);
    hostCall(() => this.reopened().truncateSync(length));
  }

  override sync(dataOnly: boolean): void {
    // A pipe, socket or character device (a terminal) has no fsync in Linux (EINVAL); files, directories and block
    // devices do. Reopening a FIFO whose other end is gone to find that out waited in the host for ever.
    const type = this.fileType();
    if (type === S_IFIFO || type === S_IFSOCK || type === S_IFCHR) {
      throw new SyscallError(E.EINVAL, "fsync of a stream");
    }
    const f = this.reopened();
    hostCall(() => (dataOnly ? f.syncDataSync() : f.syncSync()));
  }

  override available(): number {
    if (this.isRegular()) {
      // As for any regular file: its size less the offset, as an int (negative past the end).
      return (Number(this.stat().size) - (this.offset ?? this.streamPos ?? hostOffset(this.hostFd))) | 0;
    }
    if (this.fileType() === S_IFCHR && !this.isTerminal()) throw new SyscallError(E.ENOTTY);
    // A terminal's or a pipe's queue: the host's own FIONREAD, where plume can ask it.
    const n = hostSockets()?.ioctlInt(this.hostFd, HOST.FIONREAD);
    return n === undefined || n < 0 ? 0 : n;
  }

  /** A file, or a device other than a terminal (Linux's terminals are streams). */
  override seekable(): boolean {
    return this.isRegular() || (this.fileType() === S_IFCHR && !this.isTerminal());
  }

  /** A file or a pipe takes O_DIRECT; a terminal or another device does not. */
  override directIo(): boolean {
    const type = this.fileType();
    return type === S_IFREG || type === S_IFIFO;
  }

  override signalsReadiness(): boolean {
    const type = this.fileType();
    return this.isTerminal() || type === S_IFIFO || type === S_IFSOCK;
  }

  /** Ready at once when it is a regular file; otherwise the host says (a terminal, a pipe). */
  override pollEvents(): number {
    if (this.isRegular()) return DEFAULT_POLLMASK;
    const events = this.hostFd === 0 ? POLL.IN | POLL.RDNORM : POLL.OUT | POLL.WRNORM;
    return pollHost([{ fd: this.hostFd, events }], 0)?.[0] ?? DEFAULT_POLLMASK;
  }

  override hostPollFd(): number | undefined {
    return this.isRegular() ? undefined : this.hostFd;
  }

  override isTerminal(): boolean {
    return [Deno.stdin, Deno.stdout, Deno.stderr][this.hostFd].isTerminal();
  }

  /**
   * The host stream's status, through `/proc/self/fd` (which plume, run
   * with all permissions, may read). Without `/proc` a stream is taken to
   * be a character device.
   */
  stat(): FileStat {
    try {
      return statPath(`/proc/self/fd/${this.hostFd}`, false);
    } catch {
      const now = BigInt(Date.now()) * 1_000_000n;
      return {
        dev: 0n,
        ino: 0n,
        mode: S_IFCHR | 0o620,
        nlink: 1,
        uid: Deno.uid() ?? 0,
        gid: Deno.gid() ?? 0,
        rdev: 0n,
        size: 0n,
        blksize: 1024,
        blocks: 0n,
        atimeNs: now,
        mtimeNs: now,
        ctimeNs: now,
        birthtimeNs: null,
      };
    }
  }

  /**
   * A second host description of the stream, for what `Deno.stdin`,
   * `stdout` and `stderr` cannot do (positional I/O, reading stdout,
   * writing stdin, truncating, syncing): `/proc/self/fd/N` opened again.
   */
  private reopened(): Deno.FsFile {
    this.again ??= hostCall(() =>
      Deno.openSync(`/proc/self/fd/${this.hostFd}`, { read: this.readable, write: this.writable })
    );
    return this.again;
  }

  /** Standard streams stay open on the host: closing the guest's descriptor releases only a reopened copy. */
  override release(): void {
    this.again?.close();
    this.again = undefined;
  }
}
