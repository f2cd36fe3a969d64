/**
 * System calls on paths and the file tree: opening, status (`fstat`,
 * `newfstatat`, `statx`, `statfs`), access checks, directories
 * (`getdents64`, `getcwd`, `chdir`, `mkdirat`), links, renaming and
 * removal, permissions, owners and timestamps, `umask`.
 *
 * Host operations go through `node:fs` where it maps one to one onto the
 * Linux call (so the host kernel produces the errno); where Deno's
 * implementation departs from Linux (`unlink` removes directories, `access`
 * ignores root's override) plume checks first or decides itself.
 *
 * @module
 */

import * as fs from "node:fs";
import type { Cpu } from "../cpu/state.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { E, hostCall, SyscallError } from "./errno.ts";
import { readPath, readStruct, StructBuf } from "./guest_struct.ts";
import { HostFile, O_CLOEXEC, O_CREAT, O_EXCL, O_WRONLY, type OpenFile } from "./open_file.ts";
import {
  AT_EACCESS,
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_NO_AUTOMOUNT,
  AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  baseDir,
  guestFdOfPath,
  procSelfLink,
  resolvePath,
  syntheticFile,
} from "./paths.ts";
import type { Process } from "./process.ts";
import { RLIMIT_NOFILE } from "./rlimits.ts";
import { type FileStat, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, statPath, writeStat, writeStatx } from "./stat.ts";
import { StdioFile } from "./stdio.ts";
import {
  ACCESS_MODES,
  AT_FILE_FLAGS,
  fmtD,
  fmtMode,
  fmtOpenFlags,
  fmtString,
  STATX_FLAGS,
  STATX_MASK,
  UNLINKAT_FLAGS,
} from "./strace.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** The path argument at `addr`, as a host path relative to `dirfd`. */
function pathArg(proc: Process, dirfd: number, addr: number, sysroot = false): string {
  return resolvePath(proc, dirfd, readPath(proc.mem, addr), sysroot);
}

/** The host descriptor behind an open file, for `f*` host calls, or undefined. */
function hostFdOf(f: OpenFile): number | undefined {
  if (f instanceof HostFile) return f.fd;
  if (f instanceof StdioFile) return f.hostFd;
  return undefined;
}

function sysOpenat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const dirfd = a[0] | 0, flags = a[2] | 0, mode = a[3] >>> 0;
  const guestPath = readPath(proc.mem, a[1]);
  const limit = proc.rlimits.soft(RLIMIT_NOFILE);
  const file = syntheticFile(proc, guestPath, flags) ??
    HostFile.open(resolvePath(proc, dirfd, guestPath, true), flags, mode, proc.umask);
  try {
    return proc.fds.install(file, { cloexec: (flags & O_CLOEXEC) !== 0, limit });
  } catch (err) {
    file.release();
    throw err;
  }
}

function openatStrace(args: readonly bigint[], mem: AddressSpace): string {
  const dirfd = args[0] === -100n ? "AT_FDCWD" : fmtD(args[0]);
  const head = `${dirfd},${fmtString(args[1], mem)},${fmtOpenFlags(args[2])}`;
  return args[2] & BigInt(O_CREAT) ? `${head},${fmtMode(args[3])}` : head;
}

function sysFstat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  writeStat(proc.mem, a[1], proc.fds.get(a[0] | 0).stat());
  return 0;
}

/** Status for the `*stat*at` calls: the descriptor itself with `AT_EMPTY_PATH` and an empty path. */
function statAt(proc: Process, dirfd: number, pathAddr: number, flags: number): FileStat {
  const path = readPath(proc.mem, pathAddr);
  if (path === "" && flags & AT_EMPTY_PATH) {
    return dirfd === AT_FDCWD ? statPath(proc.cwd, false) : proc.fds.get(dirfd).stat();
  }
  // The guest's /proc/self links are links to lstat, whatever their target.
  if (flags & AT_SYMLINK_NOFOLLOW && path.startsWith("/") && procSelfLink(proc, path) !== undefined) {
    return magicLinkStat(proc);
  }
  const fd = guestFdOfPath(proc, path);
  if (fd !== undefined) {
    const f = proc.fds.lookup(fd);
    if (f === undefined) throw new SyscallError(E.ENOENT, `fd ${fd} is not open`);
    return f.stat();
  }
  return statPath(resolvePath(proc, dirfd, path, true), (flags & AT_SYMLINK_NOFOLLOW) !== 0);
}

/** What `lstat` shows for a `/proc/self` link: a symbolic link owned by the guest, made now. */
function magicLinkStat(proc: Process): FileStat {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    dev: 0x16n,
    ino: 0x1000n,
    mode: S_IFLNK | 0o777,
    nlink: 1,
    uid: proc.creds.uid.effective,
    gid: proc.creds.gid.effective,
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

function sysNewfstatat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[3] | 0;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) {
    throw new SyscallError(E.EINVAL, `Bad flags 0x${flags.toString(16)}`);
  }
  proc.mem.check(a[2], 128, "write");
  writeStat(proc.mem, a[2], statAt(proc, a[0] | 0, a[1], flags));
  return 0;
}

const AT_STATX_SYNC_TYPE = 0x6000;
const STATX_RESERVED = 0x8000_0000;

function sysStatx(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[2] | 0, mask = a[3] >>> 0;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) {
    throw new SyscallError(E.EINVAL, `Bad flags 0x${flags.toString(16)}`);
  }
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE || mask & STATX_RESERVED) {
    throw new SyscallError(E.EINVAL, `Bad sync type or mask 0x${mask.toString(16)}`);
  }
  proc.mem.check(a[4], 256, "write");
  writeStatx(proc.mem, a[4], statAt(proc, a[0] | 0, a[1], flags));
  return 0;
}

/** `access` mode bit: execute or search. */
export const X_OK = 1;

/**
 * Linux's permission check (`generic_permission`) of `mode` on `st` for
 * the guest's real ids, or effective ones with `AT_EACCESS`. uid 0 has
 * `CAP_DAC_OVERRIDE`: everything but executing a file without any x bit.
 */
export function permitted(proc: Process, st: FileStat, mode: number, effective: boolean): boolean {
  const uid = effective ? proc.creds.uid.effective : proc.creds.uid.real;
  const gid = effective ? proc.creds.gid.effective : proc.creds.gid.real;
  if (uid === 0) return !(mode & X_OK) || (st.mode & S_IFMT) === S_IFDIR || (st.mode & 0o111) !== 0;
  let bits = st.mode & 0o7;
  if (st.uid === uid) bits = (st.mode >> 6) & 0o7;
  else if (st.gid === gid || proc.creds.groups.includes(st.gid)) bits = (st.mode >> 3) & 0o7;
  return (bits & mode) === mode;
}

function faccess(proc: Process, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  if (mode & ~7) throw new SyscallError(E.EINVAL, `Bad mode ${mode}`);
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  const st = statAt(proc, dirfd, pathAddr, flags);
  if (mode !== 0 && !permitted(proc, st, mode, (flags & AT_EACCESS) !== 0)) {
    throw new SyscallError(E.EACCES, `Access ${mode} denied`);
  }
  return 0;
}

function sysGetdents64(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.get(a[0] | 0);
  if (!f.isDirectory()) throw new SyscallError(E.ENOTDIR, `fd ${a[0]} is not a directory`);
  const count = a[2] >>> 0;
  proc.mem.check(a[1], Math.min(count, 1 << 20), "write");
  const bytes = f.readDirents(count);
  proc.mem.writeBytes(a[1], bytes);
  return bytes.length;
}

const encoder = new TextEncoder();

function sysGetcwd(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const bytes = encoder.encode(proc.cwd + "\0");
  if (sizeFits(a[1], bytes.length)) {
    proc.mem.writeBytes(a[0], bytes);
    return bytes.length;
  }
  throw new SyscallError(E.ERANGE, `Buffer of ${a[1]} bytes too small for the working directory`);
}

function sizeFits(size: number, need: number): boolean {
  return size < 0 || size >= need;
}

/** Makes `dir` the working directory after checking it as `chdir` does. */
function changeDir(proc: Process, dir: string): number {
  const st = statPath(dir, false);
  if ((st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(E.ENOTDIR, `${dir} is not a directory`);
  if (!permitted(proc, st, X_OK, true)) throw new SyscallError(E.EACCES, `${dir} is not searchable`);
  // Like the kernel's dentry: getcwd reports the path without symbolic links.
  proc.cwd = hostCall(() => Deno.realPathSync(dir));
  return 0;
}

function sysChdir(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  return changeDir(proc, pathArg(proc, AT_FDCWD, a[0]));
}

function sysFchdir(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  return changeDir(proc, baseDir(proc, a[0] | 0));
}

const S_ISGID = 0o2000;

function sysMkdirat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const path = pathArg(proc, a[0] | 0, a[1]);
  const perm = a[2] & 0o1777 & ~proc.umask;
  hostCall(() => fs.mkdirSync(path, perm));
  // The host applied its own umask as well: set the guest's bits exactly (keeping an inherited setgid).
  const st = statPath(path, true);
  if ((st.mode & 0o1777) !== perm) hostCall(() => fs.chmodSync(path, perm | (st.mode & S_ISGID)));
  return 0;
}

function sysMknodat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const path = pathArg(proc, a[0] | 0, a[1]);
  const mode = a[2] >>> 0;
  const type = mode & S_IFMT;
  // Only regular files can be made without privileges or a mkfifo API on the host.
  if (type !== 0 && type !== S_IFREG) throw new SyscallError(E.EPERM, `Cannot create node type 0o${type.toString(8)}`);
  HostFile.open(path, O_CREAT | O_EXCL | O_WRONLY, mode & 0o7777, proc.umask).release();
  return 0;
}

function sysUnlinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[2] | 0;
  if (flags & ~AT_REMOVEDIR) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const path = pathArg(proc, a[0] | 0, a[1]);
  if (flags & AT_REMOVEDIR) {
    hostCall(() => fs.rmdirSync(path));
    return 0;
  }
  // Deno's unlinkSync would remove an empty directory; Linux's unlink refuses.
  if ((statPath(path, true).mode & S_IFMT) === S_IFDIR) throw new SyscallError(E.EISDIR, `${path} is a directory`);
  hostCall(() => fs.unlinkSync(path));
  return 0;
}

const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

function sysRenameat2(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[4] >>> 0;
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw new SyscallError(E.EINVAL);
  if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) {
    throw new SyscallError(E.EINVAL, `Rename flags ${flags} cannot be done atomically on the host`);
  }
  const from = pathArg(proc, a[0] | 0, a[1]);
  const to = pathArg(proc, a[2] | 0, a[3]);
  if (flags & RENAME_NOREPLACE) {
    let exists = true;
    try {
      fs.lstatSync(to);
    } catch {
      exists = false;
    }
    if (exists) throw new SyscallError(E.EEXIST, `${to} exists`);
  }
  hostCall(() => fs.renameSync(from, to));
  return 0;
}

function sysSymlinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const target = readPath(proc.mem, a[0]);
  if (target === "") throw new SyscallError(E.ENOENT, "Empty symlink target");
  const path = pathArg(proc, a[1] | 0, a[2]);
  hostCall(() => fs.symlinkSync(target, path));
  return 0;
}

function sysLinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[4] | 0;
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const oldPath = readPath(proc.mem, a[1]);
  let from = oldPath === "" && flags & AT_EMPTY_PATH
    ? proc.fds.get(a[0] | 0).path
    : resolvePath(proc, a[0] | 0, oldPath);
  if (flags & AT_SYMLINK_FOLLOW) from = hostCall(() => Deno.realPathSync(from));
  const to = pathArg(proc, a[2] | 0, a[3]);
  hostCall(() => fs.linkSync(from, to));
  return 0;
}

function sysReadlinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const size = a[3] | 0;
  if (size <= 0) throw new SyscallError(E.EINVAL, `Bad buffer size ${size}`);
  const guestPath = readPath(proc.mem, a[1]);
  let target: Uint8Array;
  const magic = guestPath.startsWith("/") ? procSelfLink(proc, guestPath) : undefined;
  if (magic !== undefined) target = encoder.encode(magic);
  else {
    const path = resolvePath(proc, a[0] | 0, guestPath, true);
    target = hostCall(() => new Uint8Array(fs.readlinkSync(path, { encoding: "buffer" })));
  }
  const n = Math.min(target.length, size);
  proc.mem.writeBytes(a[2], target.subarray(0, n));
  return n;
}

function sysFchmod(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.get(a[0] | 0);
  const hfd = hostFdOf(f);
  // A pipe's inode lives only in plume: its mode is not tracked.
  if (hfd !== undefined) hostCall(() => fs.fchmodSync(hfd, a[1] & 0o7777));
  return 0;
}

function sysFchmodat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  // The system call has no flags argument (that is fchmodat2).
  const path = pathArg(proc, a[0] | 0, a[1]);
  hostCall(() => fs.chmodSync(path, a[2] & 0o7777));
  return 0;
}

/** A uid/gid argument: `-1` (as 32 bits) leaves the id unchanged. */
function idArg(v: number): number {
  const id = v >>> 0;
  return id === 0xffff_ffff ? -1 : id;
}

function sysFchownat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[4] | 0;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const uid = idArg(a[2]), gid = idArg(a[3]);
  const path = readPath(proc.mem, a[1]);
  if (path === "" && flags & AT_EMPTY_PATH) return sysFchown(proc, _cpu, [a[0], a[2], a[3]]);
  const host = resolvePath(proc, a[0] | 0, path);
  hostCall(() => (flags & AT_SYMLINK_NOFOLLOW ? fs.lchownSync(host, uid, gid) : fs.chownSync(host, uid, gid)));
  return 0;
}

function sysFchown(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const hfd = hostFdOf(proc.fds.get(a[0] | 0));
  if (hfd !== undefined) hostCall(() => fs.fchownSync(hfd, idArg(a[1]), idArg(a[2])));
  return 0;
}

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

function sysUtimensat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const dirfd = a[0] | 0, flags = a[3] | 0;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const now = Date.now() / 1000;
  let times: [number | null, number | null] = [now, now];
  if (a[2] !== 0) {
    const v = readStruct(proc.mem, a[2], 32);
    times = [0, 16].map((off) => {
      const sec = Number(v.getBigInt64(off, true)), nsec = Number(v.getBigInt64(off + 8, true));
      if (nsec === UTIME_NOW) return now;
      if (nsec === UTIME_OMIT) return null;
      if (nsec < 0 || nsec > 999_999_999) throw new SyscallError(E.EINVAL, `Bad nanoseconds ${nsec}`);
      return sec + nsec / 1e9;
    }) as [number | null, number | null];
  }
  // A null path (futimens) or an empty one with AT_EMPTY_PATH names the descriptor itself.
  const path = a[1] === 0 ? "" : readPath(proc.mem, a[1]);
  if (path === "" && a[1] !== 0 && !(flags & AT_EMPTY_PATH)) throw new SyscallError(E.ENOENT, "Empty path");
  const file = path === "" ? (dirfd === AT_FDCWD ? undefined : proc.fds.get(dirfd)) : undefined;
  const host = path === "" ? (file ? file.path : proc.cwd) : resolvePath(proc, dirfd, path);
  if (times[0] === null && times[1] === null) return 0;
  const nofollow = (flags & AT_SYMLINK_NOFOLLOW) !== 0;
  const st = file ? file.stat() : statPath(host, nofollow);
  const at = times[0] ?? Number(st.atimeNs) / 1e9, mt = times[1] ?? Number(st.mtimeNs) / 1e9;
  const hfd = file ? hostFdOf(file) : undefined;
  hostCall(() => {
    if (hfd !== undefined) fs.futimesSync(hfd, at, mt);
    else if (nofollow) fs.lutimesSync(host, at, mt);
    else fs.utimesSync(host, at, mt);
  });
  return 0;
}

/** Writes `struct statfs` (riscv64: 120 bytes) for the file system holding `path`. */
function writeStatfs(mem: AddressSpace, addr: number, path: string): void {
  const s = hostCall(() => fs.statfsSync(path, { bigint: true }));
  const b = new StructBuf(120);
  b.i64(0, s.type).i64(8, s.bsize).i64(16, s.blocks).i64(24, s.bfree).i64(32, s.bavail);
  b.i64(40, s.files).i64(48, s.ffree).i64(64, 255).i64(72, s.bsize);
  b.writeTo(mem, addr);
}

function sysStatfs(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const path = pathArg(proc, AT_FDCWD, a[0], true);
  proc.mem.check(a[1], 120, "write");
  writeStatfs(proc.mem, a[1], path);
  return 0;
}

function sysFstatfs(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.get(a[0] | 0);
  proc.mem.check(a[1], 120, "write");
  writeStatfs(proc.mem, a[1], f.path.startsWith("/") && !(f instanceof StdioFile) ? f.path : proc.cwd);
  return 0;
}

function sysUmask(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const old = proc.umask;
  proc.umask = a[0] & 0o777;
  return old;
}

const AT_FLAGS = { flags: AT_FILE_FLAGS } as const;

/** Path and file-tree system calls. */
export const FS_SYSCALLS: readonly SyscallDef[] = [
  def("openat", sysOpenat, { args: openatStrace }),
  def("fstat", sysFstat, { args: ["d", "ptr"] }),
  def("newfstatat", sysNewfstatat, { args: ["dirfd", "str", "ptr", AT_FLAGS] }),
  def("statx", sysStatx, { args: ["dirfd", "str", { flags: STATX_FLAGS }, { flags: STATX_MASK }, "ptr"] }),
  def("faccessat", (p, _c, a) => faccess(p, a[0] | 0, a[1], a[2] | 0, 0), {
    args: ["dirfd", "str", { flags: ACCESS_MODES }, AT_FLAGS],
  }),
  def("faccessat2", (p, _c, a) => faccess(p, a[0] | 0, a[1], a[2] | 0, a[3] | 0), {
    args: ["dirfd", "str", { flags: ACCESS_MODES }, AT_FLAGS],
  }),
  def("getdents64", sysGetdents64, { args: ["d", "p", "u"] }),
  def("getcwd", sysGetcwd, { args: ["p", "d"] }),
  def("chdir", sysChdir, { args: ["str"] }),
  def("fchdir", sysFchdir, { args: ["d"] }),
  def("mkdirat", sysMkdirat, { args: ["dirfd", "str", "mode"] }),
  def("mknodat", sysMknodat, { args: ["dirfd", "str", "mode"] }),
  def("unlinkat", sysUnlinkat, { args: ["dirfd", "str", { flags: UNLINKAT_FLAGS }] }),
  def("renameat2", sysRenameat2),
  def("symlinkat", sysSymlinkat, { args: ["str", "dirfd", "str"] }),
  def("linkat", sysLinkat, { args: ["dirfd", "str", "dirfd", "str", AT_FLAGS] }),
  def("readlinkat", sysReadlinkat, { args: ["dirfd", "str", "ptr", "u"] }),
  def("fchmod", sysFchmod, { args: ["d", "o"] }),
  def("fchmodat", sysFchmodat, { args: ["dirfd", "str", "mode", AT_FLAGS] }),
  def("fchownat", sysFchownat, { args: ["dirfd", "str", "d", "d", AT_FLAGS] }),
  def("fchown", sysFchown, { args: ["d", "d", "d"] }),
  def("utimensat", sysUtimensat, { args: ["dirfd", "str", "ptr", AT_FLAGS] }),
  def("statfs", sysStatfs, { args: ["str", "ptr"] }),
  def("fstatfs", sysFstatfs, { args: ["d", "p"] }),
  def("umask", sysUmask, { args: ["o"] }),
];
