/**
 * File status: the host's `stat` results in one shape, and the guest's
 * `struct stat` (asm-generic layout, 128 bytes) and `struct statx` (256
 * bytes) built from them.
 *
 * Host stats come from Deno's `FileInfo` (`Deno.statSync`, `lstatSync`,
 * `FsFile.statSync`), which carries millisecond timestamps: the
 * sub-millisecond digits of guest timestamps are zero. Device and inode
 * numbers are doubles there, exact below 2^53.
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import { hostCall } from "./errno.ts";
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

/**
 * Stats a host path, following symbolic links unless `nofollow`; host
 * errors become `SyscallError`.
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

/** Stats an open host file. */
export function statFile(file: Deno.FsFile): FileStat {
  return hostCall(() => fromFileInfo(file.statSync()));
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

/** Size of `struct statx`. */
const STATX_SIZE = 256;
/** `statx` mask bits for the fields of `struct stat`. */
const STATX_BASIC_STATS = 0x7ff;
/** `statx` mask bit of the creation time. */
const STATX_BTIME = 0x800;

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
