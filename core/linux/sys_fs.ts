/**
 * System calls on paths and the file tree: opening, status (`fstat`,
 * `newfstatat`, `statx`, `statfs`), access checks, directories
 * (`getdents64`, `getcwd`, `chdir`, `mkdirat`), links, renaming and
 * removal, permissions, owners and timestamps, `umask`.
 *
 * Host operations go through Deno's file-system API where it maps one to
 * one onto the Linux call (so the host kernel produces the errno); where
 * Deno departs from Linux (`remove` takes files and directories alike,
 * `access` ignores root's override) plume checks first or decides itself,
 * and what Deno lacks (`utimensat` with `UTIME_OMIT` and nanoseconds,
 * `lchown`, `statfs`) goes to the host C library (`host_libc.ts`).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { E, hostCall, SyscallError } from "./errno.ts";
import { readPath, readStruct, StructBuf } from "./guest_struct.ts";
import {
  fileIdentity,
  HostFile,
  O_ACCMODE,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_WRONLY,
  type OpenFile,
  openFlags,
} from "./open_file.ts";
import {
  AT_EACCESS,
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_NO_AUTOMOUNT,
  AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  baseDir,
  entryPath,
  forgetDirectories,
  hostPath,
  isMagicLink,
  magicLink,
  type PathTarget,
  pathTarget,
  resolvePath,
  syntheticFileOf,
  sysrootEntry,
  sysrootPath,
  sysrootProcTarget,
} from "./paths.ts";
import type { Process } from "./process.ts";
import { RLIMIT_NOFILE } from "./rlimits.ts";
import {
  exactStat,
  type FileStat,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  statPath,
  writeStat,
  writeStatx,
} from "./stat.ts";
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
import { cString, hostErrnoValue, libc } from "./host_libc.ts";
import { HostFifo, makeFifo } from "./host_fifo.ts";
import { Blocked, waitUntil } from "./wait.ts";

/** The path argument at `addr`, as a host path relative to `dirfd`. */
function pathArg(proc: Process, dirfd: number, addr: number, sysroot = false): string {
  return resolvePath(proc, dirfd, readPath(proc.mem, addr), sysroot);
}

/** The path argument at `addr`, as the host path of the directory entry it names ({@link entryPath}). */
function entryArg(proc: Process, dirfd: number, addr: number, errno: number): string {
  return entryPath(proc, dirfd, readPath(proc.mem, addr), errno);
}

/** A host path naming an open file, for the `f*` calls Deno only has by path; undefined for plume's own files. */
function hostPathOf(f: OpenFile): string | undefined {
  if (f instanceof HostFile) return f.currentPath();
  if (f instanceof StdioFile) return `/proc/self/fd/${f.hostFd}`;
  return f.reopenPath(); // a named FIFO's: the host's link to its descriptor
}

function sysOpenat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const dirfd = a[0] | 0, mode = a[3] >>> 0;
  // Access mode 3 (O_ACCMODE, which Linux keeps for ioctl-only descriptors) opens for reading, as under qemu,
  // whose flag translation maps only O_WRONLY and O_RDWR: plume's oracle.
  const flags = openFlags((a[2] & O_ACCMODE) === O_ACCMODE ? a[2] & ~O_ACCMODE : a[2] | 0);
  // Creating a directory through open is not a thing (Linux 6.4 and later: EINVAL, as the host kernel says to qemu).
  if ((flags & O_CREAT) !== 0 && (flags & O_DIRECTORY) !== 0) throw new SyscallError(E.EINVAL, "O_CREAT|O_DIRECTORY");
  const guestPath = readPath(proc.mem, a[1]);
  const limit = proc.rlimits.soft(RLIMIT_NOFILE);
  // A final link is the file's own business under O_NOFOLLOW (ELOOP) and O_CREAT|O_EXCL (EEXIST).
  const follow = (flags & O_NOFOLLOW) === 0 && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  // One walk for both: plume's own files, then the sysroot's or the host's; a sysroot link into /proc leads to the
  // guest's own /proc files, as it would with the sysroot as the root.
  const viaProc = sysrootProcTarget(proc, guestPath, follow);
  const t = pathTarget(proc, viaProc === undefined ? dirfd : AT_FDCWD, viaProc ?? guestPath, follow);
  const install = (f: OpenFile) => proc.fds.install(f, { cloexec: (flags & O_CLOEXEC) !== 0, limit });
  const synthetic = syntheticFileOf(proc, t, viaProc ?? guestPath, flags);
  const host = synthetic ? "" : (viaProc === undefined ? sysrootEntry(proc, guestPath) : undefined) ?? hostPath(t);
  if (!synthetic && opensFifo(host, flags, follow)) {
    // Its open waits for the other end in the scheduler, not in the host (host_fifo.ts).
    if (flags & O_DIRECTORY) throw new SyscallError(E.ENOTDIR, `${guestPath} is a FIFO`);
    // A FIFO has no direct I/O (do_dentry_open's FMODE_CAN_ODIRECT; anonymous pipes' O_DIRECT is their packet mode).
    if (flags & O_DIRECT) throw new SyscallError(E.EINVAL, `O_DIRECT on FIFO ${guestPath}`);
    // Linux takes the descriptor before it opens, so a full table is EMFILE at once, not after a wait.
    proc.fds.free(0, limit);
    const fd = HostFifo.open(host, flags, install);
    if (fd !== undefined) return fd;
  }
  const file = synthetic ?? HostFile.open(host, flags, mode, proc.umask);
  try {
    // O_DIRECT of a file without direct I/O (a directory, a device, a /proc file) fails once it is open, as Linux's
    // do_dentry_open (F_SETFL refuses it the same way).
    if (flags & O_DIRECT && !(flags & O_PATH) && !file.directIo()) {
      throw new SyscallError(E.EINVAL, `O_DIRECT on ${guestPath}, which has no direct I/O`);
    }
    return install(file);
  } catch (err) {
    file.release();
    throw err;
  }
}

/**
 * Whether an open with `flags` of host path `host` (following a last link
 * when `follow`) opens a FIFO: not when it names another kind of file or
 * nothing yet, nor with `O_PATH`, which opens the entry without the FIFO's
 * wait, nor with `O_CREAT|O_EXCL` (`EEXIST`, which `HostFile.open` says).
 */
function opensFifo(host: string, flags: number, follow: boolean): boolean {
  if (flags & O_PATH || (flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return false;
  try {
    return (statPath(host, !follow).mode & S_IFMT) === S_IFIFO;
  } catch {
    return false; // HostFile.open gives the error (or creates the file)
  }
}

function openatStrace(args: readonly bigint[], mem: AddressSpace): string {
  const dirfd = args[0] === -100n ? "AT_FDCWD" : fmtD(args[0]);
  const head = `${dirfd},${fmtString(args[1], mem)},${fmtOpenFlags(args[2])}`;
  return args[2] & BigInt(O_CREAT) ? `${head},${fmtMode(args[3])}` : head;
}

function sysFstat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  writeStat(proc.mem, a[1], proc.fds.get(a[0] | 0).guestStat());
  return 0;
}

/** Status for the `*stat*at` calls: the descriptor itself with `AT_EMPTY_PATH` and an empty path. */
function statAt(proc: Process, dirfd: number, pathAddr: number, flags: number): FileStat {
  const path = readPath(proc.mem, pathAddr);
  if (path === "" && flags & AT_EMPTY_PATH) {
    return dirfd === AT_FDCWD ? exactStat(proc.cwd, false) : proc.fds.get(dirfd).guestStat();
  }
  const nofollow = (flags & AT_SYMLINK_NOFOLLOW) !== 0;
  const t = pathTarget(proc, dirfd, path, !nofollow);
  // The guest's /proc/self links are links to lstat, whatever their target.
  if (nofollow && isMagicLink(t)) {
    return magicLinkStat(proc, t);
  }
  // A descriptor's file, which the host may not have under any name (a pipe, a socket, plume's own files).
  if (t.kind === "fd") return t.proc.fds.lookup(t.fd)!.guestStat();
  return exactStat(sysrootPath(proc, path, !nofollow) ?? hostPath(t), nofollow);
}

/** What `lstat` shows for a `/proc/self` link: a symbolic link owned by the guest, made now. */
function magicLinkStat(proc: Process, t: PathTarget): FileStat {
  const now = BigInt(Date.now()) * 1_000_000n;
  // A descriptor's link has the owner's permissions its access gives, and Linux's size 64 (proc_fd_instantiate and
  // tid_fd_update_inode): lr-x------ for reading, l-wx------ for writing, none for O_PATH. The others are lrwxrwxrwx.
  const f = t.kind === "fd" ? t.proc.fds.lookup(t.fd) : undefined;
  const perm = f === undefined ? 0o777 : (f.readable ? 0o500 : 0) | (f.writable ? 0o300 : 0);
  return {
    dev: 0x16n,
    ino: 0x1000n,
    mode: S_IFLNK | perm,
    nlink: 1,
    uid: proc.creds.uid.effective,
    gid: proc.creds.gid.effective,
    rdev: 0n,
    size: f === undefined ? 0n : 64n,
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
  // Linux's vfs_statx takes statx's synchronisation bits here too (and plume's stat is always what the host has).
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) {
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
  // An O_PATH descriptor only names its file: Linux does not list it (EBADF), whatever it names.
  if (f.flags & O_PATH) throw new SyscallError(E.EBADF, `fd ${a[0]} is open with O_PATH`);
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
  const fd = a[0] | 0;
  // A descriptor, not a path's base: AT_FDCWD names none.
  if (fd === AT_FDCWD) throw new SyscallError(E.EBADF, "fchdir takes a descriptor");
  return changeDir(proc, baseDir(proc, fd));
}

const S_ISGID = 0o2000;

function sysMkdirat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  // The entry itself: a final slash does not follow a last symbolic link (mkdir("link/") made the directory a
  // dangling link named; Linux's is EEXIST).
  const name = readPath(proc.mem, a[1]), trimmed = name.replace(/\/+$/, "");
  const path = entryPath(proc, a[0] | 0, trimmed === "" ? name : trimmed, E.EEXIST);
  const perm = a[2] & 0o1777 & ~proc.umask;
  hostCall(() => Deno.mkdirSync(path, { mode: perm }));
  // The host applied its own umask as well: set the guest's bits exactly (keeping an inherited setgid).
  const st = statPath(path, true);
  if ((st.mode & 0o1777) !== perm) hostCall(() => Deno.chmodSync(path, perm | (st.mode & S_ISGID)));
  return 0;
}

function sysMknodat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const path = entryArg(proc, a[0] | 0, a[1], E.EEXIST);
  const mode = a[2] >>> 0;
  const type = mode & S_IFMT;
  // Linux's may_mknod: a type that is no file type is EINVAL, a directory EPERM.
  if (![0, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFDIR].includes(type)) {
    throw new SyscallError(E.EINVAL, `Bad file type 0o${type.toString(8)}`);
  }
  // A FIFO through the C library; devices and sockets need privileges (or a socket's bind).
  if (type === S_IFIFO && makeFifo(path, mode & 0o7777 & ~proc.umask)) return 0;
  if (type !== 0 && type !== S_IFREG) throw new SyscallError(E.EPERM, `Cannot create node type 0o${type.toString(8)}`);
  HostFile.open(path, O_CREAT | O_EXCL | O_WRONLY, mode & 0o7777, proc.umask).release();
  return 0;
}

function sysUnlinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[2] | 0;
  if (flags & ~AT_REMOVEDIR) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const name = readPath(proc.mem, a[1]);
  // The entry itself, never what a last symbolic link leads to: a final slash asks for a directory, it does not
  // follow the link (rmdir("link/") removed the directory the link named; Linux's is ENOTDIR).
  const trimmed = name.replace(/\/+$/, ""), slashed = trimmed !== name && trimmed !== "";
  const path = entryPath(proc, a[0] | 0, slashed ? trimmed : name, E.EPERM);
  forgetDirectories();
  // Deno's remove takes files and empty directories alike: Linux's rmdir and unlink do not.
  const isDir = (statPath(path, true).mode & S_IFMT) === S_IFDIR;
  if (slashed && !isDir) throw new SyscallError(E.ENOTDIR, `${name}: ${path} is not a directory`);
  // A last component of '.' or '..' names no entry of its directory (the path's walk made it the directory itself).
  const last = trimmed.split("/").pop();
  if (last === "." || last === "..") {
    if (!(flags & AT_REMOVEDIR)) throw new SyscallError(E.EISDIR, `${name} is a directory`);
    throw new SyscallError(last === "." ? E.EINVAL : E.ENOTEMPTY, `${name} ends with ${last}`);
  }
  if (flags & AT_REMOVEDIR) {
    if (!isDir) throw new SyscallError(E.ENOTDIR, `${path} is not a directory`);
  } else if (isDir) throw new SyscallError(E.EISDIR, `${path} is a directory`);
  hostCall(() => Deno.removeSync(path));
  return 0;
}

const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

function sysRenameat2(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[4] >>> 0;
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw new SyscallError(E.EINVAL);
  if (flags & RENAME_EXCHANGE && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) {
    throw new SyscallError(E.EINVAL, `Rename flags ${flags} do not go together`);
  }
  // The guest's /proc and /dev/fd entries are on a file system of their own, as Linux's are.
  const fromName = readPath(proc.mem, a[1]), toName = readPath(proc.mem, a[3]);
  const from = entryPath(proc, a[0] | 0, fromName, E.EXDEV);
  const to = entryPath(proc, a[2] | 0, toName, E.EXDEV);
  // A path ending in '.' or '..' (or the root) names a directory, not an entry of its parent: Linux refuses to move
  // it (EBUSY; as the new name under RENAME_NOREPLACE, EEXIST), once both parents were looked up (ENOENT, ENOTDIR).
  // plume renamed the directory itself: rename(".", "x") moved the guest's working directory away.
  const parts = (name: string) => {
    const trimmed = name.replace(/\/+$/, ""), cut = trimmed.lastIndexOf("/") + 1, last = trimmed.slice(cut);
    return { parent: trimmed.slice(0, cut), special: last === "." || last === ".." || trimmed === "" };
  };
  const old = parts(fromName), young = parts(toName);
  if (old.special || young.special) {
    for (const [dirfd, { parent }] of [[a[0] | 0, old], [a[2] | 0, young]] as const) {
      if (parent !== "" && (statPath(resolvePath(proc, dirfd, parent), false).mode & S_IFMT) !== S_IFDIR) {
        throw new SyscallError(E.ENOTDIR, `${parent} is not a directory`);
      }
    }
    if (!old.special && flags & RENAME_NOREPLACE) throw new SyscallError(E.EEXIST, `${toName} names a directory`);
    throw new SyscallError(E.EBUSY, `${old.special ? fromName : toName} names no entry`);
  }
  if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) {
    throw new SyscallError(E.EINVAL, `Rename flags ${flags} cannot be done atomically on the host`);
  }
  forgetDirectories();
  if (flags & RENAME_NOREPLACE) {
    let exists = true;
    try {
      Deno.lstatSync(to);
    } catch {
      exists = false;
    }
    if (exists) throw new SyscallError(E.EEXIST, `${to} exists`);
  }
  hostCall(() => Deno.renameSync(from, to));
  return 0;
}

function sysSymlinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const target = readPath(proc.mem, a[0]);
  if (target === "") throw new SyscallError(E.ENOENT, "Empty symlink target");
  const path = entryArg(proc, a[1] | 0, a[2], E.EEXIST);
  forgetDirectories();
  hostCall(() => Deno.symlinkSync(target, path));
  return 0;
}

function sysLinkat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[4] | 0;
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  const oldPath = readPath(proc.mem, a[1]);
  let from = oldPath === "" && flags & AT_EMPTY_PATH
    ? proc.fds.get(a[0] | 0).currentPath()
    : flags & AT_SYMLINK_FOLLOW
    ? resolvePath(proc, a[0] | 0, oldPath)
    : entryPath(proc, a[0] | 0, oldPath, E.EXDEV);
  if (flags & AT_SYMLINK_FOLLOW) from = hostCall(() => Deno.realPathSync(from));
  const to = entryArg(proc, a[2] | 0, a[3], E.EEXIST);
  hostCall(() => Deno.linkSync(from, to));
  return 0;
}

function sysReadlinkat(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const size = a[3] | 0;
  if (size <= 0) throw new SyscallError(E.EINVAL, `Bad buffer size ${size}`);
  const guestPath = readPath(proc.mem, a[1]);
  let target: Uint8Array;
  const dir = guestPath === "" && (a[0] | 0) !== AT_FDCWD ? proc.fds.get(a[0] | 0) : undefined;
  // An empty path reads the link an O_PATH|O_NOFOLLOW descriptor names (any other file: ENOENT, below).
  const magic = dir instanceof HostFile && dir.kind === "lnk"
    ? hostCall(() => Deno.readLinkSync(dir.currentPath()))
    : magicLink(proc, a[0] | 0, guestPath, proc.tidOf(cpu));
  if (magic !== undefined) target = encoder.encode(magic);
  else {
    const path = resolvePath(proc, a[0] | 0, guestPath, true, false);
    target = encoder.encode(hostCall(() => Deno.readLinkSync(path)));
  }
  const n = Math.min(target.length, size);
  proc.mem.writeBytes(a[2], target.subarray(0, n));
  return n;
}

function sysFchmod(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.opened(a[0] | 0);
  const host = hostPathOf(f);
  // A pipe's inode lives only in plume: its mode is not tracked.
  if (host !== undefined) hostCall(() => Deno.chmodSync(host, a[1] & 0o7777));
  return 0;
}

function sysFchmodat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  // The system call has no flags argument (that is fchmodat2).
  const path = pathArg(proc, a[0] | 0, a[1]);
  hostCall(() => Deno.chmodSync(path, a[2] & 0o7777));
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
  // The descriptor itself, O_PATH ones included (a path lookup, not fchown); a link's own O_PATH one is not followed.
  if (path === "" && flags & AT_EMPTY_PATH) {
    const f = (a[0] | 0) === AT_FDCWD ? undefined : proc.fds.get(a[0] | 0);
    return chownFile(f === undefined ? proc.cwd : hostPathOf(f), uid, gid, f instanceof HostFile && f.kind === "lnk");
  }
  const host = resolvePath(proc, a[0] | 0, path, false, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (flags & AT_SYMLINK_NOFOLLOW) lchown(host, uid, gid);
  else hostCall(() => Deno.chownSync(host, uid < 0 ? null : uid, gid < 0 ? null : gid));
  return 0;
}

function sysFchown(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  return chownFile(hostPathOf(proc.fds.opened(a[0] | 0)), idArg(a[1]), idArg(a[2]), false);
}

/** Changes the owner of host file `host` (undefined: a file of plume's own, whose owner is not kept). */
function chownFile(host: string | undefined, uid: number, gid: number, nofollow: boolean): number {
  if (host === undefined) return 0;
  if (nofollow) lchown(host, uid, gid);
  else hostCall(() => Deno.chownSync(host, uid < 0 ? null : uid, gid < 0 ? null : gid));
  return 0;
}

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

function sysUtimensat(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const dirfd = a[0] | 0, flags = a[3] | 0;
  // In Linux's order: the times are read (both UTIME_OMIT: nothing to do, not even the path is looked at), then the
  // descriptor or the path, and only then are the nanoseconds checked.
  const times = a[2] === 0 ? undefined : readStruct(proc.mem, a[2], 32);
  const nsecs = times ? [8, 24].map((off) => Number(times.getBigInt64(off, true))) : [];
  if (nsecs.length === 2 && nsecs.every((n) => n === UTIME_OMIT)) return 0;
  const checkTimes = () => {
    for (const nsec of nsecs) {
      if (nsec !== UTIME_NOW && nsec !== UTIME_OMIT && (nsec < 0 || nsec > 999_999_999)) {
        throw new SyscallError(E.EINVAL, `Bad nanoseconds ${nsec}`);
      }
    }
  };
  // A null path names the descriptor (futimens: no flags); without a descriptor it is a bad address, as Linux reads
  // it (plume set the working directory's times). An empty path with AT_EMPTY_PATH names the descriptor too.
  if (a[1] === 0 && dirfd !== AT_FDCWD) {
    if (flags !== 0) throw new SyscallError(E.EINVAL, `Bad flags ${flags} for a descriptor`);
  } else if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  } else if (a[1] === 0) {
    throw new SyscallError(E.EFAULT, "Null path");
  }
  const path = a[1] === 0 ? "" : readPath(proc.mem, a[1]);
  if (path === "" && a[1] !== 0 && !(flags & AT_EMPTY_PATH)) throw new SyscallError(E.ENOENT, "Empty path");
  const file = path === "" ? (dirfd === AT_FDCWD ? undefined : proc.fds.get(dirfd)) : undefined;
  const host = path === ""
    ? (file ? hostPathOf(file) : proc.cwd)
    : resolvePath(proc, dirfd, path, false, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  checkTimes();
  // A pipe's times live only in plume.
  if (host === undefined) return 0;
  // A link's own O_PATH descriptor names the link: its times change, not its target's.
  const link = file instanceof HostFile && file.kind === "lnk";
  setTimes(host, times, link || (path !== "" && (flags & AT_SYMLINK_NOFOLLOW) !== 0));
  return 0;
}

/**
 * Sets the access and modification times of `host` to the two guest
 * timespecs in `times` (undefined: now), with Linux's `UTIME_NOW` and
 * `UTIME_OMIT`: through the host's `utimensat` when plume can call it
 * (exact to the nanosecond), else through Deno (millisecond times, links
 * followed).
 */
function setTimes(host: string, times: DataView | undefined, nofollow: boolean): void {
  const c = libc();
  if (c !== null) {
    const buf = new Uint8Array(32);
    if (times) buf.set(new Uint8Array(times.buffer, times.byteOffset, 32));
    else {
      new DataView(buf.buffer).setBigInt64(8, BigInt(UTIME_NOW), true);
      new DataView(buf.buffer).setBigInt64(24, BigInt(UTIME_NOW), true);
    }
    if (c.utimensat(AT_FDCWD, cString(host), buf, nofollow ? AT_SYMLINK_NOFOLLOW : 0) !== 0) {
      throw new SyscallError(hostErrnoValue(c), `utimensat ${host}`);
    }
    return;
  }
  const now = Date.now() / 1000;
  const value = (off: number, current: bigint): number => {
    if (!times) return now;
    const nsec = Number(times.getBigInt64(off + 8, true));
    if (nsec === UTIME_NOW) return now;
    if (nsec === UTIME_OMIT) return Number(current) / 1e9;
    return Number(times.getBigInt64(off, true)) + nsec / 1e9;
  };
  const st = statPath(host, nofollow);
  hostCall(() => Deno.utimeSync(host, value(0, st.atimeNs), value(16, st.mtimeNs)));
}

/** `lchown`: Deno has none, so the host C library's, or for a plain file `chown`. */
function lchown(host: string, uid: number, gid: number): void {
  const c = libc();
  if (c !== null) {
    if (c.lchown(cString(host), uid >>> 0, gid >>> 0) !== 0) {
      throw new SyscallError(hostErrnoValue(c), `lchown ${host}`);
    }
    return;
  }
  if ((statPath(host, true).mode & S_IFMT) === S_IFLNK) {
    throw new SyscallError(E.EPERM, `Cannot change the owner of the link ${host} without the host C library`);
  }
  hostCall(() => Deno.chownSync(host, uid < 0 ? null : uid, gid < 0 ? null : gid));
}

/**
 * Writes `struct statfs` (120 bytes, the same on x86-64 and riscv64) for
 * the file system holding `path`: the host's `statfs` when plume can call
 * it, else what Deno knows (the block size) with unknown counts.
 */
function writeStatfs(mem: AddressSpace, addr: number, path: string): void {
  const c = libc();
  const b = new StructBuf(120);
  if (c !== null) {
    if (c.statfs(cString(path), b.bytes) !== 0) throw new SyscallError(hostErrnoValue(c), `statfs ${path}`);
  } else {
    const st = statPath(path, false);
    b.i64(8, st.blksize).i64(16, 1).i64(64, 255).i64(72, st.blksize);
  }
  b.writeTo(mem, addr);
}

function sysStatfs(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const path = pathArg(proc, AT_FDCWD, a[0], true);
  proc.mem.check(a[1], 120, "write");
  writeStatfs(proc.mem, a[1], path);
  return 0;
}

/**
 * Linux's internal file systems of the files plume makes itself (pipes,
 * sockets, eventfd and epoll descriptors): each one's magic number, for
 * when the host's own cannot be asked.
 */
const PSEUDO_FS = { pipe: 0x50495045, socket: 0x534f434b, anon: 0x09041934 } as const;
type PseudoKind = keyof typeof PSEUDO_FS;

/** The internal file system of `f`, a file plume makes itself, by its name (`pipe:[N]`, `socket:[N]`, `anon_inode:…`). */
function pseudoKind(f: OpenFile): PseudoKind | undefined {
  if (f.path.startsWith("pipe:")) return "pipe";
  if (f.path.startsWith("socket:")) return "socket";
  return f.path.startsWith("anon_inode:") ? "anon" : undefined;
}

/** The host's `struct statfs` of each internal file system, asked once. */
const pseudoStatfs = new Map<PseudoKind, Uint8Array>();

/**
 * `struct statfs` of the internal file system `kind`: the host's, from a
 * host object of that kind made for the purpose (its device number is the
 * `f_fsid` Linux shows), else what Linux's `simple_statfs` fills (magic,
 * page-sized blocks, 255-byte names, `ST_VALID`).
 */
function pseudoStatfsOf(kind: PseudoKind): Uint8Array {
  let bytes = pseudoStatfs.get(kind);
  if (bytes !== undefined) return bytes;
  const b = new StructBuf(120);
  const c = libc();
  let fds: number[] = [];
  if (c !== null) {
    if (kind === "pipe") {
      const pair = new Int32Array(2);
      if (c.pipe(new Uint8Array(pair.buffer)) === 0) fds = [pair[0], pair[1]];
    } else {
      const AF_UNIX = 1, SOCK_STREAM = 1;
      const fd = kind === "socket" ? c.socket(AF_UNIX, SOCK_STREAM, 0) : c.eventfd(0, 0);
      if (fd >= 0) fds = [fd];
    }
  }
  const asked = c !== null && fds.length > 0 && c.fstatfs(fds[0], b.bytes) === 0;
  for (const fd of fds) c!.close(fd);
  if (!asked) {
    b.bytes.fill(0);
    b.i64(0, PSEUDO_FS[kind]).i64(8, 4096).i64(64, 255).i64(72, 4096).i64(80, 0x20);
  }
  bytes = b.bytes;
  pseudoStatfs.set(kind, bytes);
  return bytes;
}

function sysFstatfs(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = proc.fds.get(a[0] | 0);
  proc.mem.check(a[1], 120, "write");
  const pseudo = pseudoKind(f);
  if (pseudo !== undefined) {
    proc.mem.writeBytes(a[1], pseudoStatfsOf(pseudo));
    return 0;
  }
  const c = libc();
  if (f instanceof StdioFile && c !== null) {
    // The host's own stream: its terminal, pipe or file is what the guest's is.
    const b = new StructBuf(120);
    if (c.fstatfs(f.hostFd, b.bytes) !== 0) throw new SyscallError(hostErrnoValue(c), `fstatfs ${f.hostFd}`);
    b.writeTo(proc.mem, a[1]);
    return 0;
  }
  writeStatfs(proc.mem, a[1], f.path.startsWith("/") && !(f instanceof StdioFile) ? f.currentPath() : proc.cwd);
  return 0;
}

const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, LOCK_MAND = 32;

/**
 * `flock`: a whole-file lock held by the open file description, against
 * those of the run's other descriptions (`file_locks.ts`); without
 * `LOCK_NB` a conflict waits (a signal handler with `SA_RESTART` restarts
 * the wait, as Linux's).
 */
function sysFlock(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  // In Linux's order: LOCK_MAND (Samba's share modes, ignored since Linux 5.15: success, whatever the descriptor),
  // the operation, the descriptor, then one opened for neither reading nor writing (O_PATH) takes no lock.
  if (a[1] & LOCK_MAND) return 0;
  const op = a[1] & ~LOCK_NB;
  if (op !== LOCK_SH && op !== LOCK_EX && op !== LOCK_UN) throw new SyscallError(E.EINVAL, `Bad operation ${a[1]}`);
  const f = proc.fds.get(a[0] | 0);
  if (op !== LOCK_UN && !f.readable && !f.writable) throw new SyscallError(E.EBADF, "not open to read or write");
  const locks = proc.family.locks, file = fileIdentity(f);
  const write = op === LOCK_UN ? null : op === LOCK_EX;
  if (locks.flock(file, f, write)) return 0;
  if (a[1] & LOCK_NB) throw new SyscallError(E.EWOULDBLOCK, `${f.path} is locked`);
  throw new Blocked(
    waitUntil(`flock of ${f.path}`, () => locks.flockFree(file, f, write!), () => {
      // Closed by another thread while this waited: Linux's lock would go with the call's last reference at once.
      if (f.refs > 0) locks.flock(file, f, write);
      return 0;
    }, "restart"),
  );
}

function sysUmask(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const old = proc.umask;
  proc.umask = a[0] & 0o777;
  return old;
}

const AT_FLAGS = { flags: AT_FILE_FLAGS } as const;

/** Path and file-tree system calls. */
/**
 * Extended attributes: plume keeps none, as a file system without them does (`EOPNOTSUPP`, once the file is
 * found). Programs that copy files take that for "nothing to copy" (Python's `shutil.copy2` and `copytree`);
 * `ENOSYS` made them fail.
 */
function xattrByPath(follow: boolean) {
  return (proc: Process, _cpu: Cpu, a: readonly number[]): number => {
    statPath(pathArg(proc, AT_FDCWD, a[0], true), !follow);
    throw new SyscallError(E.EOPNOTSUPP, "No extended attributes");
  };
}

function xattrByFd(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  proc.fds.get(a[0] | 0);
  throw new SyscallError(E.EOPNOTSUPP, "No extended attributes");
}

export const FS_SYSCALLS: readonly SyscallDef[] = [
  def("setxattr", xattrByPath(true)),
  def("lsetxattr", xattrByPath(false)),
  def("fsetxattr", xattrByFd),
  def("getxattr", xattrByPath(true)),
  def("lgetxattr", xattrByPath(false)),
  def("fgetxattr", xattrByFd),
  def("listxattr", xattrByPath(true)),
  def("llistxattr", xattrByPath(false)),
  def("flistxattr", xattrByFd),
  def("removexattr", xattrByPath(true)),
  def("lremovexattr", xattrByPath(false)),
  def("fremovexattr", xattrByFd),
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
  def("flock", sysFlock),
];
