/**
 * Open file descriptions: what a guest file descriptor refers to. Several
 * descriptors (after `dup`) share one description, with its offset and
 * status flags, as in Linux.
 *
 * {@link OpenFile} is the interface the system calls use; this module has
 * the base class, host files and directories ({@link HostFile}, over
 * `Deno.FsFile`; plume keeps each description's offset itself and seeks
 * before each transfer, and applies the open flags Deno has no option
 * for) and in-memory files
 * ({@link MemFile}, for synthesized `/proc` files). Standard streams and
 * pipes live in `stdio.ts` and `pipe.ts`.
 *
 * @module
 */

import { E, hostCall, SyscallError } from "./errno.ts";
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
  statFile,
  statPath,
} from "./stat.ts";
import { type DirEntry, encodeDirents, listDirectory } from "./dirents.ts";
import { DEFAULT_POLLMASK, POLL, pollHost } from "./host_poll.ts";

/** Mask of the access mode in open flags. */
export const O_ACCMODE = 0o3;
/** Open for reading only. */
export const O_RDONLY = 0o0;
/** Open for writing only. */
export const O_WRONLY = 0o1;
/** Open for reading and writing. */
export const O_RDWR = 0o2;
/** Create the file if it does not exist. */
export const O_CREAT = 0o100;
/** With `O_CREAT`: fail if the file exists. */
export const O_EXCL = 0o200;
/** Do not make a terminal the controlling terminal. */
const O_NOCTTY = 0o400;
/** Truncate to length 0. */
const O_TRUNC = 0o1000;
/** Every write appends. */
export const O_APPEND = 0o2000;
/** Non-blocking I/O. */
export const O_NONBLOCK = 0o4000;
/** Signal-driven I/O. */
export const O_ASYNC = 0o20000;
/** Direct I/O. */
export const O_DIRECT = 0o40000;
/** Fail unless the path is a directory. */
export const O_DIRECTORY = 0o200000;
/** Fail if the last path component is a symbolic link. */
export const O_NOFOLLOW = 0o400000;
/** Do not update the access time. */
const O_NOATIME = 0o1000000;
/** Close on exec. */
export const O_CLOEXEC = 0o2000000;
/** A location in the file tree only, no I/O. */
export const O_PATH = 0o10000000;
/** What an `O_PATH` open keeps of its flags (Linux's `O_PATH_FLAGS`): no access mode, no status flags. */
export const O_PATH_FLAGS = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
/** Unnamed temporary file in a directory (`__O_TMPFILE | O_DIRECTORY`). */
const O_TMPFILE = 0o20200000;
/** `__O_TMPFILE`, the flag's own bit. */
const O_TMPFILE_BIT = 0o20000000;

/**
 * The flags `open` goes on with, as Linux's `build_open_how` and
 * `build_open_flags` make them before looking at the path: with `O_PATH`
 * only its companions are kept; `O_TMPFILE` needs `O_DIRECTORY`, no
 * `O_CREAT`, and write access (`EINVAL`).
 */
export function openFlags(flags: number): number {
  if (flags & O_PATH) return flags & O_PATH_FLAGS;
  if (flags & O_TMPFILE_BIT) {
    const acc = flags & O_ACCMODE;
    if ((flags & (O_TMPFILE | O_CREAT)) !== O_TMPFILE || (acc !== O_WRONLY && acc !== O_RDWR)) {
      throw new SyscallError(E.EINVAL, "O_TMPFILE needs O_DIRECTORY, no O_CREAT, and write access");
    }
  }
  return flags;
}

/** Status flags `F_SETFL` may change. */
export const SETFL_MASK = O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK;
/** Flags that only matter while opening, not kept in the description. */
const OPEN_ONLY_FLAGS = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;

/** Linux caps one read or write at this many bytes (`MAX_RW_COUNT`). */
export const MAX_RW_COUNT = 0x7fff_f000;

/** `lseek` whence values. */
export const SEEK_SET = 0;
/**
 * The largest file offset plume seeks to (4 PiB): numbers are exact only below 2^53, and a system call argument of
 * 2^53 or more arrives as ±2^52 plus its low word (`Cpu.getXArg`). Linux's own limit is the file system's (ext4: 16 TiB).
 */
export const MAX_OFFSET = 2 ** 52 - 1;

/** A seek's new offset, checked: `EINVAL` when negative or past {@link MAX_OFFSET}. */
export function seekOffset(pos: number): number {
  if (!(pos >= 0 && pos <= MAX_OFFSET)) throw new SyscallError(E.EINVAL, `Bad offset ${pos}`);
  return pos;
}
/** Relative to the current offset. */
export const SEEK_CUR = 1;
/** Relative to the end of the file. */
export const SEEK_END = 2;
/** Next data at or after the offset. */
const SEEK_DATA = 3;
/** Next hole at or after the offset. */
export const SEEK_HOLE = 4;

/** What Linux appends to the name of an unlinked file in `/proc/PID/fd`. */
const DELETED = " (deleted)";

/** Counts the guest's removals, renames and links of directory entries ({@link entriesChanged}). */
let entryChanges = 0;

/**
 * The guest removed, renamed or linked a directory entry: an open file's
 * path may name another file now. Until the next such change, a path found
 * good is taken as good (one stat for each `*at` call against a directory
 * descriptor cost 5–25% of `fstatat`'s time); a host process that moves a
 * file meanwhile is not seen until then, as with `paths.ts`'s directories.
 */
export function entriesChanged(): void {
  entryChanges++;
}

/**
 * A descriptor of plume's process open on the file with this device and
 * inode (`O_PATH` descriptors, which Deno does not make, have none), or
 * undefined. Looked for only once a file's path names another file: the
 * walk stats each of plume's descriptors.
 */
function hostDescriptorOf(id: { dev: bigint; ino: bigint }): number | undefined {
  try {
    for (const e of Deno.readDirSync("/proc/self/fd")) {
      try {
        const st = Deno.statSync(`/proc/self/fd/${e.name}`);
        if (BigInt(st.dev) === id.dev && BigInt(st.ino ?? -1) === id.ino) return Number(e.name);
      } catch { /* closed meanwhile, or the directory's own descriptor */ }
    }
  } catch { /* no /proc */ }
  return undefined;
}

/**
 * An open file description. Methods throw {@link SyscallError}; the
 * defaults answer as Linux does for a file that lacks the operation.
 */
export abstract class OpenFile {
  /** Access mode and status flags, as `F_GETFL` reports them. */
  flags: number;
  /** Host path this description names (absolute), or "" when it has none. */
  readonly path: string;
  /** References (guest descriptors, shared mappings); it is released at 0. */
  refs = 0;

  /**
   * @param flags open flags (creation-only flags are dropped)
   * @param path absolute host path, or ""
   */
  constructor(flags: number, path: string) {
    this.flags = flags & ~OPEN_ONLY_FLAGS;
    this.path = path;
  }

  /** True when `read` is allowed by the access mode. */
  get readable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return (this.flags & O_PATH) === 0 && (acc === O_RDONLY || acc === O_RDWR);
  }

  /** True when `write` is allowed by the access mode. */
  get writable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return (this.flags & O_PATH) === 0 && (acc === O_WRONLY || acc === O_RDWR);
  }

  /** Reads at the current offset and advances it. */
  abstract read(dst: Uint8Array): number;
  /** Writes at the current offset (or the end with `O_APPEND`) and advances it. */
  abstract write(src: Uint8Array): number;
  /** The file's status, for plume's own use (sizes, types, identities). */
  abstract stat(): FileStat;

  /**
   * The file's status as the guest's `fstat` shows it: {@link stat}, but
   * where that has times in milliseconds (Deno's) and the host can say
   * them to the nanosecond (`exactStat`).
   */
  guestStat(): FileStat {
    return this.stat();
  }

  /**
   * Whether reads and writes at a given offset apply (Linux's
   * `FMODE_PREAD`): `pread`/`pwrite` of a file without are `ESPIPE`, before
   * anything else about them is looked at.
   */
  seekable(): boolean {
    return false;
  }

  /** Whether the file takes `O_DIRECT` (Linux's `FMODE_CAN_ODIRECT`, and pipes' packet mode). */
  directIo(): boolean {
    return false;
  }

  /** Whether the file can signal readiness (Linux's `->fasync`): only then do `O_ASYNC` and `FIOASYNC` take. */
  signalsReadiness(): boolean {
    return false;
  }

  /** Reads at `pos` without moving the offset. */
  pread(_dst: Uint8Array, _pos: number): number {
    throw new SyscallError(E.ESPIPE);
  }

  /** Writes at `pos` without moving the offset. */
  pwrite(_src: Uint8Array, _pos: number): number {
    throw new SyscallError(E.ESPIPE);
  }

  /** Writes mapped pages back at `pos` (like `pwrite`, but never appending). */
  writeBack(src: Uint8Array, pos: number): number {
    return this.pwrite(src, pos);
  }

  /** Moves the offset; returns the new one. */
  seek(_offset: number, _whence: number): number {
    throw new SyscallError(E.ESPIPE);
  }

  /** Sets the file's length. */
  truncate(_length: number): void {
    throw new SyscallError(E.EINVAL);
  }

  /** Flushes to storage (`fsync`, or `fdatasync` with `dataOnly`). */
  sync(_dataOnly: boolean): void {
    throw new SyscallError(E.EINVAL);
  }

  /**
   * Which `POLL` events hold now: files that never block are always
   * readable and writable (Linux's `DEFAULT_POLLMASK`).
   */
  pollEvents(): number {
    return DEFAULT_POLLMASK;
  }

  /**
   * True for a file of plume's own (a pipe, an eventfd) whose `EAGAIN`
   * means "wait for another thread": a blocking read then waits until
   * {@link pollEvents} says it can go on.
   */
  waitable(): boolean {
    return false;
  }

  /** The host descriptor whose readiness decides {@link pollEvents}, for a wait to sleep on, if any. */
  hostPollFd(): number | undefined {
    return undefined;
  }

  /** What `FIONREAD` answers: bytes that can be read without blocking (a regular file: its size less the offset). */
  available(): number {
    throw new SyscallError(E.ENOTTY);
  }

  /** True for a terminal (terminal `ioctl`s apply). */
  isTerminal(): boolean {
    return false;
  }

  /** True for a directory (`getdents64`, `fchdir`, relative `*at` paths). */
  isDirectory(): boolean {
    return false;
  }

  /**
   * A host path that names this open file now, for the calls Deno makes by
   * path only (`fchmod`, `fchdir`, a directory's relative paths…): {@link path}
   * unless the file moved since it was opened.
   */
  currentPath(): string {
    return this.path;
  }

  /**
   * A host path that opens this file again, as an open of `/proc/self/fd/N`
   * does; undefined for plume's own files (pipes, sockets), which have none.
   */
  reopenPath(): string | undefined {
    return undefined;
  }

  /** The host's name for this file now, as `/proc/self/fd/N` reads it. */
  currentName(): string {
    return this.path;
  }

  /**
   * The host path of this directory now, as the start of relative guest
   * paths ({@link currentPath} without its `/proc/self/fd/N` fallback,
   * which a guest path walk would take for the guest's own descriptor N).
   */
  directoryPath(): string {
    return this.path;
  }

  /** Fills up to `max` bytes of `linux_dirent64` records; 0 at the end. */
  readDirents(_max: number): Uint8Array {
    throw new SyscallError(E.ENOTDIR);
  }

  /** Releases host resources; called when the last reference is dropped. */
  release(): void {}

  /** Takes a reference (a descriptor or a shared mapping). */
  retain(): void {
    this.refs++;
  }

  /** Drops a reference; the last one releases the description. */
  drop(): void {
    if (--this.refs === 0) this.release();
  }
}

/** Kind of host object behind a {@link HostFile}. */
export type HostKind = "reg" | "dir" | "chr" | "blk" | "fifo" | "sock" | "lnk";

/** The kind of file a `st_mode` says. */
export function kindOf(mode: number): HostKind {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return "dir";
    case S_IFCHR:
      return "chr";
    case S_IFBLK:
      return "blk";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "sock";
    case S_IFLNK:
      return "lnk";
    default:
      return "reg";
  }
}

/** `lstat` of `path`, or undefined when it does not exist (or cannot be looked at). */
function lstatOrUndefined(path: string): FileStat | undefined {
  try {
    return statPath(path, true);
  } catch {
    return undefined;
  }
}

/** The target of symbolic link `path`, made absolute relative to the link's directory. */
function resolveLink(path: string): string {
  const target = hostCall(() => Deno.readLinkSync(path));
  return target.startsWith("/") ? target : path.slice(0, path.lastIndexOf("/") + 1) + target;
}

/** Deno's open options for Linux `flags` (without creation). */
function denoOptions(flags: number, truncate: boolean): Deno.OpenOptions {
  const acc = flags & O_ACCMODE;
  return { read: acc === O_RDONLY || acc === O_RDWR, write: acc === O_WRONLY || acc === O_RDWR, truncate };
}

/** `/dev/random` and `/dev/urandom`, as `major << 20 | minor`. */
const RANDOM_DEVICE = 1 << 20 | 8, URANDOM_DEVICE = 1 << 20 | 9;

/**
 * A host file, directory or device opened through `Deno.openSync`.
 *
 * @example Create a file, write and read it back
 * ```ts
 * import { HostFile, O_CREAT, O_RDWR } from "./open_file.ts";
 * import { strictEqual } from "node:assert";
 * const dir = Deno.makeTempDirSync();
 * const f = HostFile.open(`${dir}/f`, O_RDWR | O_CREAT, 0o644, 0o022);
 * f.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(2);
 * strictEqual(f.pread(buf, 0), 2);
 * strictEqual(new TextDecoder().decode(buf), "hi");
 * f.release();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class HostFile extends OpenFile {
  /** The host file, or undefined for an `O_PATH` description (which only names the file). */
  readonly file: Deno.FsFile | undefined;
  /** What the descriptor refers to. */
  readonly kind: HostKind;
  /** File offset (regular files, block devices, and the entry index of a directory). */
  offset = 0;
  private listing: DirEntry[] | undefined;
  /** A directory's entries when they are not the host's (`/proc/self/fd`: the guest's descriptors). */
  lister: (() => DirEntry[]) | undefined;
  /**
   * The descriptor of plume's this file was opened from when plume was
   * started with it (`inherited_fds.ts`): for a pipe, a socket or a
   * terminal, its readiness is that descriptor's, and a read that would
   * block waits in the scheduler, as one from the host's stdin does.
   */
  inheritedFd: number | undefined = undefined;

  /**
   * @param file the open host file (owned from now on), or undefined for `O_PATH`
   * @param flags guest open flags
   * @param path absolute host path
   * @param kind file type
   */
  constructor(file: Deno.FsFile | undefined, flags: number, path: string, kind: HostKind, id?: FileStat) {
    super(flags, path);
    this.file = file;
    this.kind = kind;
    this.id = id === undefined ? undefined : { dev: id.dev, ino: id.ino };
  }

  /** Device and inode of the file opened, to tell whether {@link path} still names it. */
  private readonly id: { dev: bigint; ino: bigint } | undefined;

  /**
   * The path no longer names the file when it was renamed or unlinked
   * since (another file may have that name now: `fchmod` would change it).
   * Then a descriptor of plume's own for the file names it still: the
   * kernel resolves `/proc/self/fd/N` to the open file itself.
   */
  override currentPath(): string {
    const fd = this.movedTo();
    if (fd === undefined) return this.path;
    return this.livingName(fd) ?? `/proc/self/fd/${fd}`;
  }

  /** `ENOENT` for a directory removed since it was opened: Linux creates nothing there. */
  override directoryPath(): string {
    const fd = this.movedTo();
    if (fd === undefined) return this.path;
    const name = this.livingName(fd);
    if (name === undefined) throw new SyscallError(E.ENOENT, `${this.path} was removed`);
    return name;
  }

  /** The host path host descriptor `fd` names, or undefined when its file was removed. */
  private livingName(fd: number): string | undefined {
    const name = this.hostName(fd);
    return name.endsWith(DELETED) || !name.startsWith("/") ? undefined : name;
  }

  /** As Linux: the new name after a rename, the old one and " (deleted)" after an unlink. */
  override currentName(): string {
    const fd = this.movedTo();
    return fd === undefined ? this.path : this.hostName(fd);
  }

  private hostName(fd: number): string {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return this.path;
    }
  }

  /** {@link entryChanges} when {@link movedTo} last looked, and what it found. */
  private looked = -1;
  private moved: number | undefined;

  /** A host descriptor of this file when its path names another file or none; else undefined. */
  private movedTo(): number | undefined {
    const id = this.id;
    if (id === undefined) return undefined;
    if (this.looked === entryChanges) return this.moved;
    this.looked = entryChanges;
    try {
      const now = statPath(this.path, this.kind === "lnk");
      if (now.dev === id.dev && now.ino === id.ino) return this.moved = undefined;
    } catch { /* no file of that name any more */ }
    return this.moved = hostDescriptorOf(id);
  }

  /**
   * The guest's open file for descriptor `d` plume was started with
   * (`inherited_fds.ts`): opened again through `/proc/self/fd/N` with its
   * access mode, appending and non-blocking flags, named by the file's path
   * where it has one (an `O_PATH` one only names its file); undefined
   * where it cannot be opened so: a socket, a named FIFO opened for one
   * direction (opening it again waits for the other end, which may be
   * gone: `HostFifo.inherited` takes it), a descriptor closed since.
   */
  static inherited(d: { readonly fd: number; readonly flags: number; readonly pos: number }): HostFile | undefined {
    const acc = d.flags & O_ACCMODE, proc = `/proc/self/fd/${d.fd}`;
    let file: Deno.FsFile, target: string;
    try {
      if (d.flags & O_PATH) {
        const f = HostFile.open(proc, O_PATH, 0, 0);
        f.inheritedFd = d.fd;
        return f;
      }
      // What the descriptor names: a path, `pipe:[N]`, or a removed file's path and " (deleted)".
      target = Deno.readLinkSync(proc);
      const named = target.startsWith("/");
      if (named && acc !== O_RDWR && (statPath(proc, false).mode & S_IFMT) === S_IFIFO) return undefined;
      file = Deno.openSync(proc, { read: acc !== O_WRONLY, write: acc !== O_RDONLY });
    } catch {
      return undefined;
    }
    try {
      const st = statFile(file);
      // The file's own name where it has one, else the descriptor's.
      const path = target.startsWith("/") && !target.endsWith(DELETED) ? target : proc;
      const f = new HostFile(file, d.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK), path, kindOf(st.mode), st);
      f.inheritedFd = d.fd;
      if (f.positional()) f.offset = d.pos;
      return f;
    } catch {
      file.close();
      return undefined;
    }
  }

  /**
   * Opens `path` (absolute) with Linux `flags`; `mode` and the guest's
   * `umask` apply to a file this call creates.
   */
  static open(path: string, flags: number, mode: number, umask: number): HostFile {
    const acc = flags & O_ACCMODE;
    const wantsWrite = acc === O_WRONLY || acc === O_RDWR;
    if ((flags & O_TMPFILE) === O_TMPFILE) {
      // Unnamed files cannot be made through Deno: answer as a file system without O_TMPFILE support.
      if ((statPath(path, false).mode & S_IFMT) !== S_IFDIR) {
        throw new SyscallError(E.ENOTDIR, `${path} is not a directory`);
      }
      throw new SyscallError(E.EOPNOTSUPP, `O_TMPFILE is not supported (${path})`);
    }
    const perm = mode & 0o7777 & ~umask;
    // Deno's open has no O_NOFOLLOW, O_DIRECTORY or O_PATH: plume applies those rules itself.
    const link = lstatOrUndefined(path);
    const isLink = link !== undefined && (link.mode & S_IFMT) === S_IFLNK;
    if (isLink && flags & O_NOFOLLOW) {
      // O_PATH|O_NOFOLLOW names the link itself (readlinkat(fd, ""), fstat, fchownat(fd, "", AT_EMPTY_PATH)…).
      if (flags & O_PATH && !(flags & O_DIRECTORY)) {
        return new HostFile(undefined, flags & O_PATH_FLAGS, path, "lnk", link);
      }
      throw new SyscallError(flags & O_DIRECTORY ? E.ENOTDIR : E.ELOOP, `${path} is a symbolic link`);
    }
    if (isLink && flags & O_CREAT && !(flags & O_EXCL) && lstatOrUndefined(resolveLink(path)) === undefined) {
      // O_CREAT through a dangling link creates its target.
      return HostFile.open(resolveLink(path), flags, mode, umask);
    }
    if (flags & O_PATH) {
      const st = statPath(path, false);
      if (flags & O_DIRECTORY && (st.mode & S_IFMT) !== S_IFDIR) throw new SyscallError(E.ENOTDIR);
      return new HostFile(undefined, flags & O_PATH_FLAGS, path, kindOf(st.mode), st);
    }
    let file: Deno.FsFile | undefined;
    let created = false;
    if (flags & O_CREAT) {
      // Create exclusively first to know whether this call created the
      // file: the host applies its own umask on top of the guest's, so a
      // created file's mode is set explicitly afterwards.
      try {
        file = hostCall(() => Deno.openSync(path, { write: true, createNew: true, mode: perm }));
        created = true;
      } catch (err) {
        if (!(err instanceof SyscallError && err.errno === E.EEXIST) || flags & O_EXCL) throw err;
      }
      if (created && acc !== O_WRONLY) {
        file!.close();
        file = undefined;
      }
    }
    file ??= hostCall(() => Deno.openSync(path, denoOptions(flags, (flags & O_TRUNC) !== 0 && wantsWrite && !created)));
    let hf: HostFile;
    try {
      const st = statFile(file);
      if (created && (st.mode & 0o7777) !== perm) hostCall(() => Deno.chmodSync(path, perm));
      hf = new HostFile(file, flags, path, kindOf(st.mode), st);
      if (flags & O_DIRECTORY && hf.kind !== "dir") throw new SyscallError(E.ENOTDIR, `${path} is not a directory`);
      if (flags & O_CREAT && hf.kind === "dir") throw new SyscallError(E.EISDIR, `${path} is a directory`);
      // O_TRUNC asks for write access, which a directory refuses (Linux's may_open).
      if (flags & O_TRUNC && hf.kind === "dir") throw new SyscallError(E.EISDIR, `${path} is a directory`);
      // Linux truncates even when opened read-only, given write permission.
      if (flags & O_TRUNC && !wantsWrite && !created && hf.kind === "reg") {
        hostCall(() => Deno.truncateSync(path, 0));
      }
    } catch (err) {
      file.close();
      throw err;
    }
    return hf;
  }

  /** The open host file; `EBADF` for an `O_PATH` description. */
  private host(): Deno.FsFile {
    if (this.file === undefined) throw new SyscallError(E.EBADF, `${this.path} is open with O_PATH`);
    return this.file;
  }

  /** Reads at host position `pos` (null: wherever a stream is). */
  private readAt(dst: Uint8Array, pos: number | null): number {
    const f = this.host();
    if (pos !== null) {
      try {
        hostCall(() => f.seekSync(pos, Deno.SeekMode.Start));
      } catch (err) {
        // Past the largest file the host's file system holds (ext4: 16 TiB) the seek is EINVAL: a read there is at
        // the end, as Linux's read answers.
        if (err instanceof SyscallError && err.errno === E.EINVAL && this.kind === "reg") return 0;
        throw err;
      }
    }
    return hostCall(() => f.readSync(dst) ?? 0);
  }

  private positional(): boolean {
    return this.kind === "reg" || this.kind === "blk";
  }

  /** The inherited host descriptor of a stream (a pipe, a socket, a character device), whose readiness counts. */
  private streamFd(): number | undefined {
    return this.inheritedFd !== undefined && (this.kind === "fifo" || this.kind === "sock" || this.kind === "chr")
      ? this.inheritedFd
      : undefined;
  }

  /** The events of `events` that host descriptor `fd` has now (all of them where plume cannot ask). */
  private hostEvents(fd: number, events: number): number {
    return pollHost([{ fd, events }], 0)?.[0] ?? events;
  }

  override pollEvents(): number {
    const fd = this.streamFd();
    if (fd === undefined) return DEFAULT_POLLMASK;
    const acc = this.flags & O_ACCMODE;
    return this.hostEvents(
      fd,
      (acc !== O_WRONLY ? POLL.IN | POLL.RDNORM : 0) | (acc !== O_RDONLY ? POLL.OUT | POLL.WRNORM : 0),
    );
  }

  override hostPollFd(): number | undefined {
    return this.streamFd();
  }

  /** Regular files, block devices, directories (whose reads are EISDIR) and character devices but terminals. */
  override seekable(): boolean {
    return this.positional() || this.kind === "dir" || (this.kind === "chr" && !this.terminalDevice());
  }

  /** Files (not procfs's or sysfs's), block devices and FIFOs; not directories or other devices. */
  override directIo(): boolean {
    if (this.kind === "reg") return !/^\/(proc|sys)\//.test(this.path);
    return this.kind === "blk" || this.kind === "fifo";
  }

  /** FIFOs, sockets, terminals and the random devices (whose drivers have `fasync`). */
  override signalsReadiness(): boolean {
    if (this.kind === "fifo" || this.kind === "sock") return true;
    if (this.kind !== "chr") return false;
    return this.terminalDevice() || this.randomDevice();
  }

  /** The character or block device's major and minor numbers, as `major << 20 | minor` (asked once). */
  private device(): number {
    if (this.deviceNumber === undefined) {
      const rdev = Number(this.stat().rdev);
      // Linux's new_encode_dev: the minor's low byte, the major, then the minor's upper bits.
      this.deviceNumber = ((rdev >>> 8) & 0xfff) << 20 | (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
    }
    return this.deviceNumber;
  }

  private deviceNumber: number | undefined;

  /** Whether the device is `/dev/random` or `/dev/urandom`. */
  private randomDevice(): boolean {
    return this.device() === RANDOM_DEVICE || this.device() === URANDOM_DEVICE;
  }

  /** Whether the character device is a terminal (the tty, console, virtual console, serial and pty majors). */
  private terminalDevice(): boolean {
    const major = this.device() >>> 20;
    return major === 4 || major === 5 || (major >= 136 && major <= 143);
  }

  private checkNotDir(): void {
    if (this.kind === "dir") throw new SyscallError(E.EISDIR);
  }

  read(dst: Uint8Array): number {
    this.checkNotDir();
    const stream = this.streamFd();
    if (
      stream !== undefined && dst.length > 0 && !(this.hostEvents(stream, POLL.IN) & (POLL.IN | POLL.HUP | POLL.ERR))
    ) {
      throw new SyscallError(E.EAGAIN, `No input on ${this.path} yet`);
    }
    const buf = dst.subarray(0, Math.min(dst.length, MAX_RW_COUNT));
    if (!this.positional()) return this.readAt(buf, null);
    const n = this.readAt(buf, this.offset);
    this.offset += n;
    return n;
  }

  write(src: Uint8Array): number {
    this.checkNotDir();
    // A non-blocking stream plume inherited: its description here blocks, so no room is EAGAIN before the write.
    const stream = this.streamFd();
    if (
      stream !== undefined && this.flags & O_NONBLOCK && src.length > 0 &&
      !(this.hostEvents(stream, POLL.OUT) & POLL.OUT)
    ) {
      throw new SyscallError(E.EAGAIN, `No room in ${this.path}`);
    }
    const len = Math.min(src.length, MAX_RW_COUNT);
    if (!this.positional()) {
      const f = this.host();
      return hostCall(() => f.writeSync(src.subarray(0, len)));
    }
    // Nothing to write does not move an appending description's offset either (generic_write_checks returns first).
    if (len === 0) return 0;
    if (this.flags & O_APPEND) this.offset = Number(this.stat().size);
    const n = this.pwriteAll(src.subarray(0, len), this.offset);
    this.offset += n;
    return n;
  }

  private pwriteAll(src: Uint8Array, pos: number): number {
    // Nothing to write is nothing done, wherever (Linux's generic_write_checks: not even the offset is judged).
    if (src.length === 0) return 0;
    const f = this.host();
    let done = 0;
    try {
      hostCall(() => f.seekSync(pos, Deno.SeekMode.Start));
    } catch (err) {
      // Past the largest file the host's file system holds (ext4: 16 TiB), where a write is EFBIG, the seek is EINVAL.
      if (err instanceof SyscallError && err.errno === E.EINVAL) throw new SyscallError(E.EFBIG, `Offset ${pos}`);
      throw err;
    }
    while (done < src.length) {
      let n: number;
      try {
        n = hostCall(() => f.writeSync(src.subarray(done)));
      } catch (err) {
        // What was written counts (a write that reached the file-size limit, or filled the disk, is short).
        if (done > 0) break;
        throw err;
      }
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  override pread(dst: Uint8Array, pos: number): number {
    this.checkNotDir();
    if (!this.seekable()) throw new SyscallError(E.ESPIPE);
    // A character device's driver reads what it reads, wherever (/dev/zero, /dev/urandom).
    if (!this.positional()) return this.readAt(dst.subarray(0, Math.min(dst.length, MAX_RW_COUNT)), null);
    return this.readAt(dst.subarray(0, Math.min(dst.length, MAX_RW_COUNT)), pos);
  }

  override pwrite(src: Uint8Array, pos: number): number {
    this.checkNotDir();
    if (!this.seekable()) throw new SyscallError(E.ESPIPE);
    if (!this.positional()) {
      const f = this.host();
      return hostCall(() => f.writeSync(src.subarray(0, Math.min(src.length, MAX_RW_COUNT))));
    }
    // Linux appends even for pwrite on an O_APPEND file.
    if (this.flags & O_APPEND) pos = Number(this.stat().size);
    return this.pwriteAll(src.subarray(0, Math.min(src.length, MAX_RW_COUNT)), pos);
  }

  override writeBack(src: Uint8Array, pos: number): number {
    return this.pwriteAll(src, pos);
  }

  override seek(offset: number, whence: number): number {
    if (this.kind === "fifo" || this.kind === "sock") throw new SyscallError(E.ESPIPE);
    // Character devices (/dev/null, /dev/zero) accept any seek and stay at 0.
    if (this.kind === "chr") {
      if (whence < SEEK_SET || whence > SEEK_HOLE) throw new SyscallError(E.EINVAL);
      return 0;
    }
    let base: number;
    if (whence === SEEK_SET) base = 0;
    else if (whence === SEEK_CUR) base = this.offset;
    else if (whence === SEEK_END) base = this.kind === "dir" ? 0 : Number(this.stat().size);
    else if ((whence === SEEK_DATA || whence === SEEK_HOLE) && this.kind !== "dir") {
      // Every byte is data as far as plume knows: the only hole is at the end.
      const size = Number(this.stat().size);
      if (offset < 0 || offset >= size) throw new SyscallError(E.ENXIO);
      return this.offset = whence === SEEK_DATA ? offset : size;
    } else throw new SyscallError(E.EINVAL, `Bad whence ${whence}`);
    const pos = base + offset;
    seekOffset(pos);
    if (this.kind === "dir" && pos === 0) this.listing = undefined;
    return this.offset = pos;
  }

  override truncate(length: number): void {
    if (this.kind !== "reg") throw new SyscallError(E.EINVAL);
    const f = this.host();
    hostCall(() => f.truncateSync(length));
  }

  override sync(dataOnly: boolean): void {
    const f = this.host();
    hostCall(() => (dataOnly ? f.syncDataSync() : f.syncSync()));
  }

  override available(): number {
    // The random devices' driver answers ioctls it does not know with EINVAL; other files without one, ENOTTY.
    if (this.kind === "chr" && this.randomDevice()) {
      throw new SyscallError(E.EINVAL, "FIONREAD of a random device");
    }
    if (this.kind !== "reg") throw new SyscallError(E.ENOTTY);
    // Linux's answer for a regular file: its size less the offset, as an int (negative past the end).
    return (Number(this.stat().size) - this.offset) | 0;
  }

  stat(): FileStat {
    return this.file === undefined ? statPath(this.path, this.kind === "lnk") : statFile(this.file);
  }

  override reopenPath(): string {
    return this.currentPath();
  }

  /** What the guest is shown: the times to the nanosecond, from the path that names the file now. */
  override guestStat(): FileStat {
    return this.file === undefined
      ? exactStat(this.path, this.kind === "lnk")
      : statFile(this.file, this.currentPath());
  }

  override isDirectory(): boolean {
    return this.kind === "dir";
  }

  override readDirents(max: number): Uint8Array {
    if (this.kind !== "dir") throw new SyscallError(E.ENOTDIR);
    // One listing per pass over the directory, so offsets stay valid across calls.
    this.listing ??= this.lister?.() ?? listDirectory(this.path);
    const { bytes, next } = encodeDirents(this.listing, this.offset, max);
    if (bytes.length === 0 && this.offset < this.listing.length) {
      throw new SyscallError(E.EINVAL, `Buffer of ${max} bytes too small for a directory entry`);
    }
    this.offset = next;
    return bytes;
  }

  override release(): void {
    if (this.file !== undefined) hostCall(() => this.file!.close());
  }
}

/**
 * A read-only file whose contents plume synthesizes (`/proc/self/maps`).
 *
 * @example
 * ```ts
 * import { MemFile } from "./open_file.ts";
 * import { strictEqual } from "node:assert";
 * const f = new MemFile(new TextEncoder().encode("abc"), "/proc/self/maps");
 * const b = new Uint8Array(8);
 * strictEqual(f.read(b), 3);
 * strictEqual(f.read(b), 0); // end of file
 * ```
 */
export class MemFile extends OpenFile {
  private readonly data: Uint8Array;
  private offset = 0;
  private readonly created = BigInt(Date.now()) * 1_000_000n;

  /**
   * @param data the contents
   * @param path the path the guest opened
   */
  constructor(data: Uint8Array, path: string) {
    super(O_RDONLY, path);
    this.data = data;
  }

  read(dst: Uint8Array): number {
    const n = this.pread(dst, this.offset);
    this.offset += n;
    return n;
  }

  write(_src: Uint8Array): number {
    throw new SyscallError(E.EBADF);
  }

  override seekable(): boolean {
    return true;
  }

  override pread(dst: Uint8Array, pos: number): number {
    const part = this.data.subarray(Math.min(pos, this.data.length), Math.min(pos + dst.length, this.data.length));
    dst.set(part);
    return part.length;
  }

  override seek(offset: number, whence: number): number {
    const base = whence === SEEK_SET
      ? 0
      : whence === SEEK_CUR
      ? this.offset
      : whence === SEEK_END
      ? this.data.length
      : NaN;
    return this.offset = seekOffset(base + offset);
  }

  override available(): number {
    // As a regular file of size 0 (procfs's), whatever its text: Linux answers the size less the offset.
    return -this.offset | 0;
  }

  stat(): FileStat {
    return procfsStat(0o444, 0, 0, this.created);
  }
}

/**
 * The status of one of plume's own `/proc` files, as procfs shows its
 * files: a regular file of size 0 (whatever it holds) with permissions
 * `perm`, owned by `uid`:`gid`, all its times `created` (ns).
 */
export function procfsStat(perm: number, uid: number, gid: number, created: bigint): FileStat {
  return {
    dev: 0x16n,
    ino: 1n,
    mode: S_IFREG | perm,
    nlink: 1,
    uid,
    gid,
    rdev: 0n,
    size: 0n,
    blksize: 1024,
    blocks: 0n,
    atimeNs: created,
    mtimeNs: created,
    ctimeNs: created,
    birthtimeNs: null,
  };
}

const identities = new WeakMap<OpenFile, string>();
let otherFiles = 0;

/**
 * The file an open description refers to, as shared mappings and file
 * locks name it: a host file's device and inode (looked up once per
 * description: it cannot change), anything else (a pipe, a socket) by the
 * description itself.
 */
export function fileIdentity(f: OpenFile): string {
  let key = identities.get(f);
  if (key === undefined) {
    key = `#${++otherFiles}`;
    // Files of the host's (a named FIFO's too): one lock per file, whatever opened it.
    if (f instanceof HostFile || f.reopenPath() !== undefined) {
      try {
        const st = f.stat();
        key = `${st.dev}:${st.ino}`;
      } catch {
        // A file the host cannot describe: its own description names it.
      }
    }
    identities.set(f, key);
  }
  return key;
}
