/**
 * From a guest path to a host path: relative paths against the guest's
 * working directory or a directory descriptor, absolute paths through the
 * sysroot (`-L`, qemu-user's rule: a path that exists under the sysroot is
 * taken from there), and the links of `/proc/self` that must describe the
 * guest rather than plume (`exe`, `cwd`, `fd/N`, `maps`).
 *
 * Paths are joined, and normalized only where they pass through plume's
 * own `/proc/self` or `/dev/fd`: every other `..` (which may follow a
 * symbolic link) is left to the host kernel, which resolves it as Linux
 * would for the guest ({@link pathTarget}).
 *
 * @module
 */

import { isaString } from "../isa/extensions.ts";
import { encodeGuestString } from "../util/guest_string.ts";
import type { Extension } from "../isa/ops_generated.ts";
import { E, hostCall, SyscallError } from "./errno.ts";
import { hostLoad, hostUptime, LIMIT_NAMES } from "./host_info.ts";
import {
  entriesChanged,
  HostFile,
  MemFile,
  O_ACCMODE,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  type OpenFile,
} from "./open_file.ts";
import { type DirEntry, DT_DIR, DT_LNK } from "./dirents.ts";
import { PipeEnd } from "./pipe.ts";
import { RLIM_INFINITY } from "./rlimits.ts";
import { commBytes, type Process } from "./process.ts";
import { StdioFile } from "./stdio.ts";
import { ProcMemFile } from "./proc_mem.ts";

/** Directory descriptor meaning "the working directory". */
export const AT_FDCWD = -100;
/** Do not follow a final symbolic link. */
export const AT_SYMLINK_NOFOLLOW = 0x100;
/** `unlinkat`: remove a directory. */
export const AT_REMOVEDIR = 0x200;
/** `faccessat`: check with the effective ids. */
export const AT_EACCESS = 0x200;
/** `linkat`: follow a final symbolic link. */
export const AT_SYMLINK_FOLLOW = 0x400;
/** Do not automount. */
export const AT_NO_AUTOMOUNT = 0x800;
/** An empty path means the descriptor itself. */
export const AT_EMPTY_PATH = 0x1000;

function join(dir: string, rel: string): string {
  return dir.endsWith("/") ? dir + rel : `${dir}/${rel}`;
}

/** The host directory a relative path starts from: the working directory or `dirfd`'s. */
export function baseDir(proc: Process, dirfd: number): string {
  if (dirfd === AT_FDCWD) return proc.cwd;
  const f = proc.fds.get(dirfd);
  if (!f.isDirectory()) throw new SyscallError(E.ENOTDIR, `fd ${dirfd} is not a directory`);
  return f.directoryPath();
}

/**
 * What a guest path names, once the parts of `/proc` and `/dev` that must
 * describe the guest rather than plume are taken into account
 * ({@link pathTarget}).
 */
export type PathTarget =
  /** A path for the host (with `walked`, free of links and `..` but maybe its last component, and of `.`). */
  | { kind: "host"; path: string }
  /** The guest's descriptor `fd` of process `proc` (`/proc/self/fd/N`, `/dev/fd/N`, `/dev/stdin`, ...). */
  | { kind: "fd"; proc: Process; fd: number; dir: boolean }
  /** The directory of process `proc`'s descriptors (`/proc/self/fd`, `/dev/fd`). */
  | { kind: "fds"; proc: Process }
  /** The directory of process `proc`'s threads (`/proc/self/task`). */
  | { kind: "tasks"; proc: Process }
  /**
   * Entry `name` of process `proc`'s own `/proc/PID` directory with nothing after it (`maps`, `cmdline`,
   * `exe`, ...); "" for the directory itself, which `link` says was named as a link (`/proc/self`, or
   * `/proc/thread-self` with `thread`), not as `/proc/PID`.
   */
  | { kind: "proc"; proc: Process; name: string; dir: boolean; link?: boolean; thread?: boolean };

/**
 * Entries of `/proc/PID` that show the host process's memory, which plume
 * does not make for the guest: refused (`EACCES`, as Linux refuses them to
 * a process that may not trace the target) rather than opened on Deno's.
 * `mem` is the guest's own (`proc_mem.ts`), `smaps` made from its maps.
 */
const HOST_MEMORY_VIEWS: ReadonlySet<string> = new Set([
  "smaps_rollup",
  "pagemap",
  "numa_maps",
  "map_files",
  "clear_refs",
]);

/**
 * Throws `EACCES` when host path `path` is a host process's memory or its
 * layout (`/proc/PID/mem` and {@link HOST_MEMORY_VIEWS}, also under
 * `task/TID`): plume's own, Deno's, wherever the guest found the name.
 */
function refuseHostMemory(path: string): void {
  const entry = /^\/proc\/[^/]+\/(?:task\/[^/]+\/)?([^/]+)/.exec(path);
  if (entry !== null && (entry[1] === "mem" || HOST_MEMORY_VIEWS.has(entry[1]))) {
    throw new SyscallError(E.EACCES, `${path}: a host process's memory`);
  }
}

/** Links `/proc/PID` has that lead elsewhere: where they lead for the guest (`/proc/self/cwd/..` goes up from there). */
const PROC_LINKS: Readonly<Record<string, (p: Process) => string>> = {
  cwd: (p) => p.cwd,
  root: () => "/",
  exe: (p) => p.exePath,
};

/** The links of `/dev` to the standard streams (made by udev), and the descriptor each leads to. */
const DEV_STREAMS: Readonly<Record<string, number>> = { stdin: 0, stdout: 1, stderr: 2 };

/** The most links one resolution follows, as Linux's `MAXSYMLINKS`. */
const MAX_LINKS = 40;

/**
 * Host directories a walk found to be directories, not links: a walk takes
 * them on trust instead of asking the host again (busybox `find
 * /usr/share/doc`, 5,155 entries: 321 ms before plume walked paths, 422
 * with a question per component, 312 with these; `ls -lR /usr/lib/python3`
 * 591, 833 and 619 ms).
 * Emptied when the guest removes, renames or links entries
 * ({@link forgetDirectories}); a host process that turns one of them into a
 * link meanwhile is not seen until then.
 */
const knownDirectories = new Set<string>();
/** Entries {@link knownDirectories} holds at most before it starts again. */
const KNOWN_DIRECTORIES = 1 << 14;

/** Forgets the directories walks found: the guest removed, renamed or linked an entry. */
export function forgetDirectories(): void {
  knownDirectories.clear();
  entriesChanged();
}

/**
 * Resolves guest path `path` (relative to `dirfd`) as Linux would for the
 * guest: the guest's `/proc/self` (also `/proc/thread-self`, `/proc/PID`
 * and `/proc/PID/task/TID` of a guest process or thread) with its links
 * `cwd`, `root`, `exe` and `fd/N`, and `/dev/fd`, `/dev/stdin`,
 * `/dev/stdout` and `/dev/stderr`, however they are reached: the host's
 * name the host process's own descriptors (Deno's), which the guest does
 * not have. So plume walks every path itself, component by component, `..`
 * and links included (a link to `/proc/self/fd`, or `/etc/../dev/fd`,
 * reached Deno's descriptors when the host resolved them). With `follow`
 * false, a final link is not followed (`lstat`, `readlink`, `unlink`).
 * A path that stops existing on the way goes to the host as it is from
 * there, for the host's error or the file a call creates.
 *
 * @throws {SyscallError} `ENOENT` for an empty path or a descriptor that is
 * not open, `ENOTDIR` for a path through a descriptor that is no directory,
 * `ELOOP` past {@link MAX_LINKS} links
 *
 * @example
 * ```ts
 * import { AT_FDCWD, pathTarget } from "./paths.ts";
 * import { Process } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * const t = pathTarget(proc, AT_FDCWD, "/dev//./fd/../fd/1");
 * strictEqual(t.kind === "fd" && t.fd, 1); // the guest's descriptor 1, not the host's
 * ```
 */
export function pathTarget(proc: Process, dirfd: number, path: string, follow = true): PathTarget {
  if (path === "") throw new SyscallError(E.ENOENT, "Empty path");
  let abs = path.startsWith("/") ? path : join(baseDir(proc, dirfd), path);
  for (let links = 0;; links++) {
    if (links > MAX_LINKS) throw new SyscallError(E.ELOOP, `More than ${MAX_LINKS} links in ${path}`);
    const next = walk(proc, abs, follow);
    if (typeof next !== "string") return next;
    abs = next;
  }
}

/** The guest process whose pid or thread id is `id` ("self" and "thread-self": `proc`), or undefined. */
function processOf(proc: Process, id: string): Process | undefined {
  if (id === "self" || id === "thread-self" || id === String(proc.pid)) return proc;
  if (!/^[1-9]\d*$/.test(id)) return undefined;
  const n = Number(id);
  const p = proc.family.processes.get(n);
  if (p) return p;
  for (const q of proc.family.processes.values()) if (q.threads.has(n)) return q;
  // One of the host process's own threads (Deno's, whose ids follow its pid): the guest's process, which runs on
  // them, never the host's directory, which holds Deno's descriptors.
  try {
    Deno.lstatSync(`/proc/self/task/${n}`);
    return proc;
  } catch {
    return undefined;
  }
}

/** One pass of {@link pathTarget} over absolute path `abs`: a target, or a path to walk again (a link taken). */
function walk(proc: Process, abs: string, follow: boolean): PathTarget | string {
  const parts = abs.split("/").filter((c) => c !== "" && c !== ".");
  const dir = /\/\.?$/.test(abs);
  /** Where the walk is: a directory plume resolves itself, or a host directory (`real`, free of links). */
  let at: "root" | "proc" | "dev" | "self" | "task" | "fds" | "sub" | "host" = "root";
  let real = "", self = proc, thread = false, link = false;
  /** In `sub`: the components below `/proc/PID` (its own directories, none a link but those plume resolves). */
  const sub: string[] = [];
  for (let k = 0; k < parts.length; k++) {
    const c = parts[k], last = k === parts.length - 1;
    // A final slash asks for a directory: the link is followed then (`readlink /proc/self/cwd/` is EINVAL).
    const nofollow = last && !follow && !dir;
    /** The path to walk again: `target` then what is left after this component. */
    const then = (target: string) => [target, ...parts.slice(k + 1)].join("/") + (dir ? "/" : "");
    /** Steps from host directory `from` (free of links) into `c`: looks at what it is, follows a link. */
    const enter = (from: string): string | PathTarget | undefined => {
      const next = `${from}/${c}`;
      if (nofollow) return host(next, parts.slice(k + 1), dir);
      if (!last && knownDirectories.has(next)) {
        real = next;
        at = placeOf(real);
        return undefined;
      }
      let st: Deno.FileInfo;
      try {
        st = Deno.lstatSync(next);
      } catch {
        // Not there (or not reachable): the host's call gives its error, or creates it.
        return host(next, parts.slice(k + 1), dir);
      }
      if (st.isSymlink) {
        const target = hostCall(() => Deno.readLinkSync(next));
        return then(target.startsWith("/") ? target : `${from}/${target}`);
      }
      // Only a directory can be walked through, '..' or '.' included (`file/..` was `.` for plume).
      if (!last && !st.isDirectory) throw new SyscallError(E.ENOTDIR, `${next} is not a directory`);
      if (st.isDirectory) {
        if (knownDirectories.size >= KNOWN_DIRECTORIES) knownDirectories.clear();
        knownDirectories.add(next);
      }
      real = next;
      at = placeOf(real);
      return undefined;
    };
    let out: string | PathTarget | undefined;
    switch (at) {
      case "root":
        if (c === "proc" || c === "dev") at = c;
        else if (c !== "..") out = enter(""); // '..' at the root stays there
        break;
      case "host":
        if (c === "..") {
          real = real.slice(0, real.lastIndexOf("/"));
          at = placeOf(real);
        } else out = enter(real);
        break;
      case "proc": {
        const other = c === ".." ? undefined : processOf(proc, c);
        if (c === "..") at = "root";
        else if (other === undefined) out = enter("/proc");
        else {
          self = other, thread = c === "thread-self", at = "self";
          // Named as a link (with no final slash, which follows it): readlink gives the pid.
          link = (c === "self" || thread) && !(last && dir);
        }
        break;
      }
      case "dev":
        if (c === "..") at = "root";
        else if (nofollow && (c === "fd" || Object.hasOwn(DEV_STREAMS, c))) out = host(`/dev/${c}`, [], false);
        else if (c === "fd") (self = proc, at = "fds");
        else if (Object.hasOwn(DEV_STREAMS, c)) out = then(`/proc/self/fd/${DEV_STREAMS[c]}`);
        else out = enter("/dev");
        break;
      case "self":
      case "task":
        link = false;
        if (c === "..") at = at === "task" ? "self" : "proc";
        else if (at === "task") {
          // A thread's directory: the process's, as far as plume makes it.
          if (!self.threads.has(Number(c)) && c !== String(self.pid)) {
            throw new SyscallError(E.ENOENT, `No thread ${c} in process ${self.pid}`);
          }
          at = "self";
        } else if (c === "fd") at = "fds";
        else if (c === "task") at = "task";
        else if (Object.hasOwn(PROC_LINKS, c) && !nofollow) out = then(PROC_LINKS[c](self));
        else if (last) out = { kind: "proc", proc: self, name: c, dir };
        // A directory of its own (net, ns, fdinfo, ...): '..' there comes back here, not to the host's fd
        // (`/proc/self/net/../fd/9` was Deno's descriptor 9).
        else (sub.push(c), at = "sub");
        break;
      case "sub":
        if (c !== "..") sub.push(c);
        else if (sub.pop() !== undefined && sub.length === 0) at = "self";
        break;
      case "fds": {
        if (c === "..") {
          at = "self";
          break;
        }
        // Linux names each descriptor by its number alone: "03" is no entry.
        const fd = /^(0|[1-9]\d*)$/.test(c) ? Number(c) : -1;
        const f = fd >= 0 && fd <= 0x7fff_ffff ? self.fds.lookup(fd) : undefined;
        if (f === undefined) throw new SyscallError(E.ENOENT, `No descriptor ${c} in /proc/${self.pid}/fd`);
        if (last && !(dir && !f.isDirectory())) return { kind: "fd", proc: self, fd, dir };
        if (!f.isDirectory()) throw new SyscallError(E.ENOTDIR, `fd ${fd} is not a directory`);
        out = then(f.directoryPath());
      }
    }
    if (out !== undefined) return out;
  }
  switch (at) {
    case "root":
    case "proc":
    case "dev":
      return host(at === "root" ? "/" : `/${at}`, [], dir);
    case "host":
      return host(real, [], dir);
    case "sub":
      return host(`/proc/self/${sub.join("/")}`, [], dir);
    case "self":
      return { kind: "proc", proc: self, name: "", dir, link, thread };
    case "task":
      return { kind: "tasks", proc: self };
    case "fds":
      return { kind: "fds", proc: self };
  }
}

/** Where a walk stands in host directory `real` (free of links): a directory plume resolves itself, or the host's. */
function placeOf(real: string): "root" | "proc" | "dev" | "host" {
  return real === "" ? "root" : real === "/proc" ? "proc" : real === "/dev" ? "dev" : "host";
}

/** Host path `base` and components `rest` after it (a final slash kept: only a directory may have one). */
function host(base: string, rest: readonly string[], dir: boolean): PathTarget {
  const path = rest.length > 0 ? `${base === "/" ? "" : base}/${rest.join("/")}` : base;
  return { kind: "host", path: path + (dir && path !== "/" ? "/" : "") };
}

/** Whether `t` (resolved without following a final link) is one of the links plume makes ({@link magicLink}). */
export function isMagicLink(t: PathTarget): boolean {
  return t.kind === "fd" ||
    (t.kind === "proc" && (t.name === "" ? t.link === true : Object.hasOwn(PROC_LINKS, t.name)));
}

/**
 * What `readlink` of `path` gives where plume makes the link: `/proc/self`
 * (the pid; `/proc/thread-self`, the pid and the thread's id), its `exe`,
 * `cwd` and `root`, and `fd/N` (the file descriptor N holds); undefined for
 * a path the host's `readlink` answers.
 */
export function magicLink(proc: Process, dirfd: number, path: string, tid: number): string | undefined {
  const t = pathTarget(proc, dirfd, path, false);
  if (!isMagicLink(t)) return undefined;
  if (t.kind === "proc") {
    if (t.name === "") return t.thread ? `${t.proc.pid}/task/${tid}` : String(t.proc.pid);
    return PROC_LINKS[t.name](t.proc);
  }
  if (t.kind !== "fd") return undefined;
  const f = t.proc.fds.lookup(t.fd)!;
  if (f instanceof StdioFile) return hostReadlink(`/proc/self/fd/${f.hostFd}`);
  // A descriptor plume was started with: the host's name of it (a pipe's `pipe:[N]`, a removed file's " (deleted)").
  if (f instanceof HostFile && f.inheritedFd !== undefined) return hostReadlink(`/proc/self/fd/${f.inheritedFd}`);
  return f.currentName();
}

function hostReadlink(path: string): string {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return path;
  }
}

/** Contents of `/proc/self/maps` for the guest's address space. */
export function procMaps(proc: Process): string {
  // An ended process (a zombie) has no memory: Linux shows nothing, and its space may be another process's now.
  if (proc.exitStatus !== null) return "";
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  const lines = proc.mem.mappings.map((m) => {
    const perms = (m.prot & 1 ? "r" : "-") + (m.prot & 2 ? "w" : "-") + (m.prot & 4 ? "x" : "-") + "p";
    const head = `${hex(m.start, 8)}-${hex(m.end, 8)} ${perms} ${hex(m.offset, 8)} 00:00 0`;
    return m.name ? head.padEnd(73) + m.name : head + " ";
  });
  return lines.map((l) => l + "\n").join("");
}

/**
 * Contents of `/proc/self/smaps`: each line of {@link procMaps} with the
 * fields Linux gives a mapping, sizes from the mapping and the rest 0, as
 * QEMU (8 and later) makes it: plume does not count the guest's resident
 * pages, and the host's file would describe Deno's memory.
 */
export function procSmaps(proc: Process): string {
  const zero = [
    "Rss",
    "Pss",
    "Pss_Dirty",
    "Shared_Clean",
    "Shared_Dirty",
    "Private_Clean",
    "Private_Dirty",
    "Referenced",
    "Anonymous",
    "KSM",
    "LazyFree",
    "AnonHugePages",
    "ShmemPmdMapped",
    "FilePmdMapped",
    "Shared_Hugetlb",
    "Private_Hugetlb",
    "Swap",
    "SwapPss",
    "Locked",
  ];
  const kb = (name: string, n: number) => `${`${name}:`.padEnd(16)}${String(n).padStart(8)} kB\n`;
  return procMaps(proc).split("\n").filter((l) => l !== "").map((line, i) => {
    const m = proc.mem.mappings[i];
    const flags = [m.prot & 1 ? "rd" : "", m.prot & 2 ? "wr" : "", m.prot & 4 ? "ex" : "", "mr", "mw", "me"];
    return `${line}\n${kb("Size", (m.end - m.start) / 1024)}${kb("KernelPageSize", 4)}${kb("MMUPageSize", 4)}` +
      zero.map((name) => kb(name, 0)).join("") + `THPeligible:    0\nVmFlags: ${flags.filter((f) => f).join(" ")} \n`;
  }).join("");
}

/**
 * Contents of `/proc/self/stat` as qemu-user makes them: the pid, the
 * program's name (argv[0]'s base name, at most 15 bytes), the parent's pid,
 * the start time and the initial stack pointer; every other field 0 (so a
 * program that counts its threads there sees none).
 */
export function procStat(proc: Process): string {
  const name = proc.argv0.slice(proc.argv0.lastIndexOf("/") + 1);
  const fields: string[] = new Array(44).fill("0");
  fields[0] = String(proc.pid);
  fields[1] = `(${new TextDecoder().decode(commBytes(name))})`;
  fields[3] = String(proc.parent?.pid ?? Deno.ppid);
  fields[21] = String(proc.startTime);
  fields[27] = String(proc.startStack);
  return fields.join(" ") + "\n";
}

/**
 * Contents of `/proc/self/cmdline` as qemu-user makes them: the guest's
 * arguments, each ended by a NUL (not the host's, which name plume).
 */
export function procCmdline(proc: Process): Uint8Array {
  return encodeGuestString(proc.argv.map((a) => a + "\0").join(""));
}

/**
 * Contents of `/proc/self/auxv` as qemu-user makes them: the auxiliary
 * vector on the guest's initial stack, read when the file is opened (what
 * the guest wrote there since shows), `AT_NULL` included; empty when that
 * memory is no longer readable.
 */
export function procAuxv(proc: Process): Uint8Array {
  if (proc.exitStatus !== null) return new Uint8Array(0); // no memory, as in procMaps
  const { at, bytes } = proc.auxv;
  return bytes > 0 && proc.mem.allows(at, bytes, "read") ? proc.mem.u8.slice(at, at + bytes) : new Uint8Array(0);
}

/**
 * The entries of `/proc/self/fd`: `.`, `..`, then each open descriptor of
 * the guest's, ascending, as symbolic links (listing the host's directory
 * gave the host process's descriptors: Deno's, which the guest does not
 * have).
 */
export function procFdEntries(proc: Process): DirEntry[] {
  return numberedEntries(proc.fds.openIn(0, Number.MAX_SAFE_INTEGER), DT_LNK);
}

/**
 * The entries of `/proc/self/task`: `.`, `..`, then the guest's threads,
 * ascending (the host's directory listed Deno's own threads).
 */
export function procTaskEntries(proc: Process): DirEntry[] {
  return numberedEntries([...new Set([proc.pid, ...proc.threads.keys()])].sort((a, b) => a - b), DT_DIR);
}

/** A listing of `.`, `..`, then an entry of `type` named by each of `numbers` (ascending). */
function numberedEntries(numbers: readonly number[], type: number): DirEntry[] {
  const name = (s: string) => new TextEncoder().encode(s);
  return [
    { name: name("."), ino: 1n, type: DT_DIR },
    { name: name(".."), ino: 2n, type: DT_DIR },
    ...numbers.map((n) => ({ name: name(String(n)), ino: BigInt(n + 3), type })),
  ];
}

/** The unit Linux names for each `RLIMIT_*` in `/proc/self/limits` ("" for none). */
const LIMIT_UNITS = [
  "seconds",
  "bytes",
  "bytes",
  "bytes",
  "bytes",
  "bytes",
  "processes",
  "files",
  "bytes",
  "bytes",
  "locks",
  "signals",
  "bytes",
  "",
  "",
  "us",
];

/**
 * Contents of `/proc/self/limits` from the guest's own limits, in Linux's
 * layout: what `getrlimit` gives, plume's caps (`-nproc`) and the guest's
 * `setrlimit` changes included, where the host's file would show plume's.
 */
export function procLimits(proc: Process): string {
  const value = (v: bigint) => (v === RLIM_INFINITY ? "unlimited" : String(v)).padEnd(20);
  let s = `${"Limit".padEnd(25)} ${"Soft Limit".padEnd(20)} ${"Hard Limit".padEnd(20)} ${"Units".padEnd(10)}\n`;
  LIMIT_NAMES.forEach((name, i) => {
    const l = proc.rlimits.get(i);
    s += `${name.padEnd(25)} ${value(l.cur)} ${value(l.max)} ${LIMIT_UNITS[i] ? LIMIT_UNITS[i].padEnd(10) : ""}\n`;
  });
  return s;
}

/**
 * Host path for guest path `path` relative to `dirfd` ({@link pathTarget}).
 * `sysroot` applies the `-L` lookup to absolute paths first (for calls that
 * only look files up, as qemu-user does: in the sysroot, its own links
 * count); `/proc/self` links resolve to what they name for the guest, and
 * a final link is followed unless `follow` is false. An empty path is
 * `ENOENT`; a descriptor that names no host file (a socket, an eventfd,
 * a pipe, plume's own `/proc` files) `ENXIO`, as Linux answers reopening
 * one.
 *
 * @example
 * ```ts
 * import { AT_FDCWD, resolvePath } from "./paths.ts";
 * import { Process } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * proc.cwd = "/tmp";
 * strictEqual(resolvePath(proc, AT_FDCWD, "a.txt"), "/tmp/a.txt");
 * ```
 */
export function resolvePath(proc: Process, dirfd: number, path: string, sysroot = false, follow = true): string {
  return (sysroot ? sysrootPath(proc, path, follow) : undefined) ?? hostPath(pathTarget(proc, dirfd, path, follow));
}

/**
 * Where absolute guest path `path` lies in the `-L` sysroot when it exists
 * there (qemu-user's lookup: the sysroot's own links count there), else
 * undefined; never for `/proc` and `/dev`, which are the guest's. Where
 * the sysroot's links lead into the host's `/proc` (a link the guest made
 * to `/proc/self/mem`, or to `/proc/self` with `fd/9` after it), the
 * guest's file of that name ({@link sysrootProcTarget}): the host's is
 * Deno's own.
 */
export function sysrootPath(proc: Process, path: string, follow = true): string | undefined {
  const viaProc = sysrootProcTarget(proc, path, follow);
  return viaProc !== undefined ? hostPath(pathTarget(proc, AT_FDCWD, viaProc, follow)) : sysrootEntry(proc, path);
}

/** The sysroot's own name for absolute guest path `path` under `-L`, undefined where the lookup does not apply. */
function inSysroot(proc: Process, path: string): string | undefined {
  if (!proc.sysroot || !path.startsWith("/") || /^\/+(proc|dev)(\/|$)/.test(path)) return undefined;
  return proc.sysroot.replace(/\/+$/, "") + path;
}

/**
 * The sysroot's entry for absolute guest path `path` when there is one
 * (link or not), else undefined: {@link sysrootPath} for a path whose
 * links do not enter `/proc` ({@link sysrootProcTarget} said so).
 */
export function sysrootEntry(proc: Process, path: string): string | undefined {
  const inRoot = inSysroot(proc, path);
  if (inRoot === undefined) return undefined;
  try {
    Deno.lstatSync(inRoot);
    return inRoot;
  } catch {
    return undefined; // not in the sysroot: the host's own file
  }
}

/**
 * Where a `-L` sysroot entry for absolute guest path `path` leads when the
 * host's walk of it (links in the sysroot followed as the host follows
 * them, the last one only with `follow`) enters `/proc`: `/proc/...` and
 * the components after, for the guest's own resolution; else undefined.
 * Walked a component at a time, since a link to `/proc/self` in the middle
 * (`/lself/fd/9`) leaves `/proc` behind in the whole path's real name.
 */
export function sysrootProcTarget(proc: Process, path: string, follow = true): string | undefined {
  const inRoot = inSysroot(proc, path);
  if (inRoot === undefined) return undefined;
  let parts = inRoot.split("/").filter((c) => c !== "");
  let at = "", links = 0;
  while (parts.length > 0) {
    const c = parts.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      at = at.slice(0, at.lastIndexOf("/"));
      continue;
    }
    const next = `${at}/${c}`;
    if (next === "/proc") return ["/proc", ...parts].join("/");
    let link: string | undefined;
    try {
      if (Deno.lstatSync(next).isSymlink && (parts.length > 0 || follow)) link = Deno.readLinkSync(next);
    } catch {
      return undefined; // nothing there: the host's walk fails too
    }
    if (link === undefined) {
      at = next;
      continue;
    }
    if (++links > MAX_LINKS) return undefined;
    if (link.startsWith("/")) at = "";
    parts = [...link.split("/").filter((l) => l !== ""), ...parts];
  }
  return undefined;
}

/** The host path for target `t` ({@link resolvePath} without the sysroot). */
export function hostPath(t: PathTarget): string {
  switch (t.kind) {
    case "fd": {
      const f = t.proc.fds.lookup(t.fd)!;
      if (f instanceof StdioFile) return `/proc/self/fd/${f.hostFd}`;
      const path = f.reopenPath();
      if (path === undefined) throw new SyscallError(E.ENXIO, `fd ${t.fd} names no file of the host's`);
      return path;
    }
    case "fds":
    case "tasks":
      // The host's directory, for what it is (a directory); its entries are never the host's (syntheticFile).
      return t.kind === "fds" ? "/proc/self/fd" : "/proc/self/task";
    case "proc":
      return Object.hasOwn(PROC_LINKS, t.name)
        ? PROC_LINKS[t.name](t.proc)
        : `/proc/self${t.name === "" ? "" : "/" + t.name}${t.dir ? "/" : ""}`;
  }
  return t.path;
}

/**
 * Host path of the directory entry `path` (relative to `dirfd`) names, for
 * the calls that make, remove or rename entries (a final link is the entry
 * itself); `errno` for one of the guest's `/proc` or `/dev/fd` entries,
 * which Linux does not let a process change (`unlink` of
 * `/proc/self/fd/3` removed the file it names).
 */
export function entryPath(proc: Process, dirfd: number, path: string, errno: number = E.EPERM): string {
  const t = pathTarget(proc, dirfd, path, false);
  if (t.kind !== "host") throw new SyscallError(errno, `${path} is not the guest's to change`);
  return t.path;
}

/** Whether the host lets plume read `path` (Deno refuses `/proc` without --allow-all). */
function hostReadable(path: string): boolean {
  try {
    Deno.openSync(path).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Stand-ins for system-wide `/proc` files Deno keeps from plume, built
 * from what Deno does report (busybox `free` and friends read them).
 */
const PROC_FALLBACKS: Readonly<Record<string, () => string>> = {
  "/proc/meminfo": () => {
    const l = hostLoad();
    const kb = (n: number) => `${Math.floor(n / 1024)} kB`.padStart(11);
    const rows: [string, number][] = [
      ["MemTotal", l.totalram],
      ["MemFree", l.freeram],
      ["MemAvailable", l.availram],
      ["Buffers", l.bufferram],
      ["Cached", 0],
      ["SwapCached", 0],
      ["SReclaimable", 0],
      ["Shmem", l.sharedram],
      ["SwapTotal", l.totalswap],
      ["SwapFree", l.freeswap],
    ];
    return rows.map(([k, v]) => `${(k + ":").padEnd(16)}${kb(v)}\n`).join("");
  },
  "/proc/uptime": () => `${hostUptime().toFixed(2)} 0.00\n`,
  "/proc/loadavg": () => {
    const l = hostLoad();
    return `${l.loads.map((v) => v.toFixed(2)).join(" ")} 1/${l.procs} ${Deno.pid}\n`;
  },
};

/**
 * `/proc/cpuinfo` of a RISC-V machine with one hart whose optional
 * extensions are `extensions`: the lines of qemu-user's emulated file
 * (QEMU 8 and later; 7.2 shows the host's), so that the guest does not see
 * the host's x86 flags, then the ones Linux 6.x adds (`mvendorid`, `marchid`
 * and `mimpid`, 0 as `riscv_hwprobe` says, and `hart isa`), with the ISA
 * string in Linux's canonical order.
 */
export function procCpuinfo(extensions: ReadonlySet<Extension>): string {
  const isa = isaString(extensions);
  return `processor\t: 0\nhart\t\t: 0\nisa\t\t: ${isa}\nmmu\t\t: sv39\nuarch\t\t: plume\n` +
    `mvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\nhart isa\t: ${isa}\n\n`;
}

/**
 * A file plume makes itself for opening `path` (relative to `dirfd`) with
 * `flags` (a final link followed unless `follow` is false), or undefined
 * when the host's file is to be opened:
 * `/proc/self/maps`, `stat`, `limits`, `cmdline`, `auxv` and `comm`,
 * `/proc/cpuinfo`, the listing of `/proc/self/fd`, and reopening a standard
 * stream or a pipe through its descriptor's path (Linux gives a new
 * description of the same stream, and of a pipe the end the access mode
 * asks for).
 */
export function syntheticFile(
  proc: Process,
  dirfd: number,
  path: string,
  flags: number,
  follow = true,
): OpenFile | undefined {
  return syntheticFileOf(proc, pathTarget(proc, dirfd, path, follow), path, flags);
}

/** {@link syntheticFile} for `path` already resolved to `t`. */
export function syntheticFileOf(proc: Process, t: PathTarget, path: string, flags: number): OpenFile | undefined {
  if (t.kind === "proc") {
    // A final slash on a file: the host's ENOTDIR.
    if (t.dir) return undefined;
    // Named as the kernel names it (readlink of its descriptor), and found again under that name.
    const name = `/proc/${t.proc.pid}/${t.name}`;
    const text = (s: string) => new MemFile(new TextEncoder().encode(s), name);
    if (t.name === "maps") return text(procMaps(t.proc));
    if (t.name === "smaps") return text(procSmaps(t.proc));
    if (t.name === "stat") return text(procStat(t.proc));
    if (t.name === "limits") return text(procLimits(t.proc));
    if (t.name === "cmdline") return new MemFile(procCmdline(t.proc), name);
    // The guest's memory: the host's file of that name is Deno's (a guest wrote over plume's code through it).
    if (t.name === "mem") return new ProcMemFile(t.proc, flags, name);
    if (HOST_MEMORY_VIEWS.has(t.name)) throw new SyscallError(E.EACCES, `${name}: the host's memory, not the guest's`);
    if (t.name === "auxv") return new MemFile(procAuxv(t.proc), name);
    // The guest's name (PR_SET_NAME's, else its program's), not the host process's.
    if (t.name === "comm") {
      return text(`${new TextDecoder().decode(commBytes(t.proc.comm))}\n`);
    }
    return undefined;
  }
  if (t.kind === "fds" || t.kind === "tasks") {
    const host = t.kind === "fds" ? "/proc/self/fd" : "/proc/self/task";
    if ((flags & O_ACCMODE) !== O_RDONLY) throw new SyscallError(E.EISDIR, `${host} is a directory`);
    // The host's directory (for fstat and the like), listing the guest's descriptors or threads, not the host's.
    const dir = HostFile.open(host, flags, 0, 0);
    const owner = t.proc;
    dir.lister = () => t.kind === "fds" ? procFdEntries(owner) : procTaskEntries(owner);
    return dir;
  }
  if (t.kind === "fd") {
    const f = t.proc.fds.lookup(t.fd)!;
    if (f instanceof StdioFile) return new StdioFile(f.hostFd, f.terminal);
    if (f instanceof PipeEnd) return new PipeEnd(f.pipe, (flags & O_ACCMODE) === O_RDONLY, flags);
    if (f instanceof ProcMemFile) return f.reopen(flags);
    // A descriptor of a link itself (O_PATH|O_NOFOLLOW): Linux's magic link leads to the link, which it does not
    // follow (ELOOP) but for another O_PATH. The host would follow it: to /proc/self/mem, Deno's memory.
    if (f instanceof HostFile && f.kind === "lnk") {
      if ((flags & O_PATH) === 0) throw new SyscallError(E.ELOOP, `fd ${t.fd} is a symbolic link`);
      return HostFile.open(f.currentPath(), flags | O_NOFOLLOW, 0, 0);
    }
    // One of plume's own /proc files, made again (the host's file of that name would be Deno's).
    if (f instanceof MemFile && f.path.startsWith("/proc/")) return syntheticFile(proc, AT_FDCWD, f.path, flags);
    return undefined;
  }
  // Another host process's memory (an untracked pid: plume's own processes, other guests' plume processes).
  refuseHostMemory(t.path);
  if (t.path === "/proc/cpuinfo") return new MemFile(new TextEncoder().encode(procCpuinfo(proc.extensions)), path);
  if (Object.hasOwn(PROC_FALLBACKS, t.path) && !hostReadable(t.path)) {
    return new MemFile(new TextEncoder().encode(PROC_FALLBACKS[t.path]()), path);
  }
  return undefined;
}
