/**
 * File status: the host's `stat` results in one shape, and the guest's
 * `struct stat` (asm-generic layout, 128 bytes) and `struct statx` (256
 * bytes) built from them.
 *
 * The stats the guest is shown ({@link exactStat}) come from the host C
 * library's `statx` where plume can call it (`host_libc.ts`): times to the
 * nanosecond, as Linux gives them, at about the cost of Deno's stat.
 * plume's own checks ({@link statPath}), and the guest's where `statx`
 * cannot be called or for an open file whose path no longer names it,
 * come from Deno's `FileInfo` (`Deno.statSync`, `lstatSync`,
 * `FsFile.statSync`), whose times are milliseconds (ctime whole seconds)
 * and whose device and inode numbers are doubles, exact below 2^53.
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import { E, hostCall, SyscallError } from "./errno.ts";
import { hostErrnoValue, statxLibc } from "./host_libc.ts";
import { StructBuf } from "./guest_struct.ts";

/** File type mask of `st_mode`. */
export const S_IFMT = 0o170000;
/** Socket. */
export const S_IFSOCK = 0o140000;
/** Symbolic link. */
export const S_IFLNK = 0o120000;
/** Regular file. */
export const S_IFREG = 0o100000;
/** Block device. */
export const S_IFBLK = 0o060000;
/** Directory. */
export const S_IFDIR = 0o040000;
/** Character device. */
export const S_IFCHR = 0o020000;
/** FIFO. */
export const S_IFIFO = 0o010000;

/** File status as the guest sees it. */
export interface FileStat {
  /** Device (Linux `new_encode_dev` encoding, as the host reports it). */
  dev: bigint;
  /** Inode number. */
  ino: bigint;
  /** Type and permission bits. */
  mode: number;
  /** Hard link count. */
  nlink: number;
  /** Owner. */
  uid: number;
  /** Group. */
  gid: number;
  /** Device number of a special file. */
  rdev: bigint;
  /** Size in bytes. */
  size: bigint;
  /** Preferred I/O block size. */
  blksize: number;
  /** 512-byte blocks allocated. */
  blocks: bigint;
  /** Last access, ns since the epoch. */
  atimeNs: bigint;
  /** Last modification, ns since the epoch. */
  mtimeNs: bigint;
  /** Last status change, ns since the epoch. */
  ctimeNs: bigint;
  /** Creation, ns since the epoch, when the file system records it. */
  birthtimeNs: bigint | null;
}

/** Nanoseconds of a `FileInfo` date (0 when the host has none). */
function ns(d: Date | null): bigint {
  return d === null ? 0n : BigInt(d.getTime()) * 1_000_000n;
}

/** Converts Deno's file information. */
function fromFileInfo(s: Deno.FileInfo): FileStat {
  return {
    dev: BigInt(s.dev),
    ino: BigInt(s.ino ?? 0),
    mode: s.mode ?? 0,
    nlink: s.nlink ?? 1,
    uid: s.uid ?? 0,
    gid: s.gid ?? 0,
    rdev: BigInt(s.rdev ?? 0),
    size: BigInt(s.size),
    blksize: s.blksize ?? 4096,
    blocks: BigInt(s.blocks ?? 0),
    atimeNs: ns(s.atime),
    mtimeNs: ns(s.mtime),
    ctimeNs: ns(s.ctime ?? s.mtime),
    birthtimeNs: s.birthtime ? ns(s.birthtime) : null,
  };
}

/** Size of `struct statx`. */
const STATX_SIZE = 256;
/** `statx` mask bits for the fields of `struct stat`. */
const STATX_BASIC_STATS = 0x7ff;
/** `statx` mask bit of the creation time. */
const STATX_BTIME = 0x800;
/** `AT_FDCWD` and `AT_SYMLINK_NOFOLLOW` (the same on x86-64 and riscv64). */
const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;

/** glibc's `makedev`: a device number from its major and minor, in the encoding `st_dev` has. */
function makedev(major: number, minor: number): bigint {
  const M = BigInt(major >>> 0), m = BigInt(minor >>> 0);
  return ((M & 0xfffn) << 8n) | ((M & 0xfffff000n) << 32n) | (m & 0xffn) | ((m & 0xffffff00n) << 12n);
}

/** The host's `struct statx` for {@link hostStatx}: one buffer, read before the next call. */
const statxBuf = new Uint8Array(STATX_SIZE);
const statxView = new DataView(statxBuf.buffer);
/** False once the host's `statx` turned out missing (an old kernel, a seccomp filter): Deno's stat is used. */
let statxWorks = true;

/** `path` NUL-terminated for C, in a buffer reused by every call (valid until the next). */
function pathBytes(path: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (pathBuf.length < path.length * 3 + 1) pathBuf = new Uint8Array(path.length * 3 + 1);
  const { written } = encoder.encodeInto(path, pathBuf);
  pathBuf[written] = 0;
  return pathBuf;
}
let pathBuf = new Uint8Array(4096);
const encoder = new TextEncoder();

/**
 * Stats `path` through the host's `statx` (following a last symbolic
 * link unless `nofollow`); undefined when plume cannot call it. Host
 * errors are the call's own errno (x86-64 and riscv64 Linux share their
 * numbers).
 */
function hostStatx(path: string, nofollow: boolean): FileStat | undefined {
  // A C string ends at its first NUL: such a path would name another file. Deno refuses it.
  if (path.includes("\0")) return undefined;
  return statxAt(AT_FDCWD, pathBytes(path), nofollow ? AT_SYMLINK_NOFOLLOW : 0, path);
}

/** `AT_EMPTY_PATH`: `statx` of the descriptor itself. */
const AT_EMPTY_PATH = 0x1000;
const EMPTY_PATH = new Uint8Array(1);

/**
 * Whether the host's `statx` itself runs: a seccomp filter (older
 * container profiles) answers every call `EPERM` or `ENOSYS`, and then
 * Deno's stat is used. Asked as Rust's standard library asks: with null
 * pointers, which a working `statx` refuses with `EFAULT`.
 */
function statxAnswers(c: NonNullable<ReturnType<typeof statxLibc>>): boolean {
  return c.statx!(0, null, 0, STATX_BASIC_STATS, null) === -1 && hostErrnoValue(c) === E.EFAULT;
}

/**
 * The status of host descriptor `fd` (one plume opened through the C
 * library: `host_fifo.ts`), to the nanosecond; undefined when plume cannot
 * call `statx`.
 */
export function statDescriptor(fd: number): FileStat | undefined {
  return statxAt(fd, EMPTY_PATH, AT_EMPTY_PATH, `descriptor ${fd}`);
}

function statxAt(dirfd: number, path: Uint8Array, flags: number, what: string): FileStat | undefined {
  if (!statxWorks) return undefined;
  const c = statxLibc();
  if (c === null || c.statx === null) return undefined;
  if (c.statx(dirfd, path, flags, STATX_BASIC_STATS | STATX_BTIME, statxBuf) !== 0) {
    const errno = hostErrnoValue(c);
    if ((errno !== E.ENOSYS && errno !== E.EPERM) || statxAnswers(c)) throw new SyscallError(errno, `statx ${what}`);
    statxWorks = false;
    return undefined;
  }
  const v = statxView;
  const time = (off: number) => v.getBigInt64(off, true) * 1_000_000_000n + BigInt(v.getUint32(off + 8, true));
  return {
    dev: makedev(v.getUint32(136, true), v.getUint32(140, true)),
    ino: v.getBigUint64(32, true),
    mode: v.getUint16(28, true),
    nlink: v.getUint32(16, true),
    uid: v.getUint32(20, true),
    gid: v.getUint32(24, true),
    rdev: makedev(v.getUint32(128, true), v.getUint32(132, true)),
    size: v.getBigUint64(40, true),
    blksize: v.getUint32(4, true),
    blocks: v.getBigUint64(48, true),
    atimeNs: time(64),
    mtimeNs: time(112),
    ctimeNs: time(96),
    birthtimeNs: v.getUint32(0, true) & STATX_BTIME ? time(80) : null,
  };
}

/**
 * Stats a host path for plume's own checks (a file's type, its identity),
 * following symbolic links unless `nofollow`: through Deno, whose times
 * are milliseconds, so that runs that never show the guest a file's
 * status do not load the C library (about a millisecond and some MiB of
 * start-up). Host errors become `SyscallError`.
 *
 * @example
 * ```ts
 * import { statPath, S_IFDIR, S_IFMT } from "./stat.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(statPath("/", false).mode & S_IFMT, S_IFDIR);
 * ```
 */
export function statPath(path: string, nofollow: boolean): FileStat {
  return hostCall(() => fromFileInfo(nofollow ? Deno.lstatSync(path) : Deno.statSync(path)));
}

/**
 * Stats a host path for the guest: as {@link statPath}, with the host's
 * times to the nanosecond where plume can call `statx`. A copy that keeps
 * times (`cp -p`, `tar -x`) then matches its source, and `find -newer`,
 * `test -nt` and `make` order files as Linux does.
 *
 * @example
 * ```ts
 * import { exactStat, statPath } from "./stat.ts";
 * import { strictEqual } from "node:assert";
 * // To the millisecond they agree; exactStat keeps the digits below it.
 * strictEqual(exactStat("/", false).mtimeNs / 1_000_000n, statPath("/", false).mtimeNs / 1_000_000n);
 * ```
 */
export function exactStat(path: string, nofollow: boolean): FileStat {
  return hostStatx(path, nofollow) ?? statPath(path, nofollow);
}

/**
 * Stats an open host file. Deno's file has no descriptor to give the
 * host's `statx`: given the `path` it was opened by, the times are that
 * path's, to the nanosecond, while the path still names the same file
 * (device and inode); otherwise Deno's, to the millisecond.
 */
export function statFile(file: Deno.FsFile, path?: string): FileStat {
  const st = hostCall(() => fromFileInfo(file.statSync()));
  if (path === undefined) return st;
  let exact;
  try {
    exact = hostStatx(path, false);
  } catch {
    return st; // renamed, removed, or out of reach since it was opened
  }
  // Deno's numbers are doubles: an inode number past 2^53 (overlayfs's xino) is compared as Deno has it.
  if (exact === undefined || Number(exact.dev) !== Number(st.dev) || Number(exact.ino) !== Number(st.ino)) return st;
  return exact;
}

/** Size of the asm-generic `struct stat`. */
const STAT_SIZE = 128;

/** A time in nanoseconds as a timespec holds it: whole seconds, and nanoseconds in [0, 10^9) also before 1970. */
function secondsAndNs(ns: bigint): [bigint, bigint] {
  const s = ns / 1_000_000_000n, n = ns % 1_000_000_000n;
  // BigInt division truncates: −1.5 s would be 0 s and −500,000,000 ns.
  return n < 0n ? [s - 1n, n + 1_000_000_000n] : [s, n];
}

/** Writes `st` as the riscv64 `struct stat` at `addr`. */
export function writeStat(mem: AddressSpace, addr: number, st: FileStat): void {
  const b = StructBuf.scratch(STAT_SIZE);
  b.i64(0, st.dev).i64(8, st.ino).u32(16, st.mode).u32(20, st.nlink).u32(24, st.uid).u32(28, st.gid);
  b.i64(32, st.rdev).i64(48, st.size).u32(56, st.blksize).i64(64, st.blocks);
  const ts = (off: number, ns: bigint) => {
    const [sec, nsec] = secondsAndNs(ns);
    b.i64(off, sec).i64(off + 8, nsec);
  };
  ts(72, st.atimeNs);
  ts(88, st.mtimeNs);
  ts(104, st.ctimeNs);
  b.writeTo(mem, addr);
}

/** glibc's `major()` of a `new_encode_dev` device number. */
function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}

/** glibc's `minor()` of a `new_encode_dev` device number. */
function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

/** Writes `st` as `struct statx` at `addr`. */
export function writeStatx(mem: AddressSpace, addr: number, st: FileStat): void {
  const b = StructBuf.scratch(STATX_SIZE);
  const mask = STATX_BASIC_STATS | (st.birthtimeNs === null ? 0 : STATX_BTIME);
  b.u32(0, mask).u32(4, st.blksize).u32(16, st.nlink).u32(20, st.uid).u32(24, st.gid).u16(28, st.mode);
  b.i64(32, st.ino).i64(40, st.size).i64(48, st.blocks);
  const ts = (off: number, ns: bigint) => {
    const [sec, nsec] = secondsAndNs(ns);
    b.i64(off, sec).u32(off + 8, Number(nsec));
  };
  ts(64, st.atimeNs);
  if (st.birthtimeNs !== null) ts(80, st.birthtimeNs);
  ts(96, st.ctimeNs);
  ts(112, st.mtimeNs);
  b.u32(128, devMajor(st.rdev)).u32(132, devMinor(st.rdev)).u32(136, devMajor(st.dev)).u32(140, devMinor(st.dev));
  b.writeTo(mem, addr);
}
