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
import type { Extension } from "../isa/ops_generated.ts";
import { E, SyscallError } from "./errno.ts";
import { hostLoad, hostUptime, LIMIT_NAMES } from "./host_info.ts";
import { HostFile, MemFile, O_ACCMODE, O_RDONLY, type OpenFile } from "./open_file.ts";
import { type DirEntry, DT_DIR, DT_LNK } from "./dirents.ts";
import { PipeEnd } from "./pipe.ts";
import { RLIM_INFINITY } from "./rlimits.ts";
import type { Process } from "./process.ts";
import { StdioFile } from "./stdio.ts";

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
  return f.path;
}

/**
 * What a guest path names, once the parts of `/proc` and `/dev` that must
 * describe the guest rather than plume are taken into account
 * ({@link pathTarget}).
 */
export type PathTarget =
  /** A path for the host to resolve (`dir`: it ended with a slash, so it must be a directory). */
  | { kind: "host"; path: string }
  /** The guest's descriptor `fd` of process `proc` (`/proc/self/fd/N`, `/dev/fd/N`, `/dev/stdin`, ...). */
  | { kind: "fd"; proc: Process; fd: number; dir: boolean }
  /** The directory of process `proc`'s descriptors (`/proc/self/fd`, `/dev/fd`). */
  | { kind: "fds"; proc: Process }
  /**
   * Entry `name` of process `proc`'s own `/proc/PID` directory with nothing after it (`maps`, `cmdline`,
   * `exe`, ...); "" for the directory itself (`/proc/self`, a link to the pid; `thread` for
   * `/proc/thread-self`).
   */
  | { kind: "proc"; proc: Process; name: string; dir: boolean; thread?: boolean };

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
 * Resolves guest path `path` (relative to `dirfd`) as far as plume must: the
 * guest's `/proc/self` (also `/proc/thread-self`, `/proc/PID` and
 * `/proc/PID/task/TID` of a guest process) with its links `cwd`, `root`,
 * `exe` and `fd/N`, and `/dev/fd`, `/dev/stdin`, `/dev/stdout` and
 * `/dev/stderr`, whatever the spelling (`.`, `..`, repeated slashes, a
 * relative path from such a directory): the host's name the host process's
 * own descriptors (Deno's), which the guest does not have. `..` is taken
 * out only inside those directories; elsewhere the host resolves it. With
 * `follow` false, a final link is not followed (`lstat`, `readlink`).
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

/** One pass of {@link pathTarget} over absolute path `abs`: a target, or a path to resolve again (a link taken). */
function walk(proc: Process, abs: string, follow: boolean): PathTarget | string {
  const parts = abs.split("/").filter((c) => c !== "" && c !== ".");
  const dir = /\/\.?$/.test(abs);
  /** Where the walk is: a directory plume resolves itself, or past them (the rest is the host's). */
  let at: "root" | "proc" | "dev" | "self" | "task" | "fds" = "root";
  let self = proc, thread = false;
  for (let k = 0; k < parts.length; k++) {
    const c = parts[k], last = k === parts.length - 1;
    /** The path to resolve again: `target` then what is left after this component. */
    const then = (target: string) => [target, ...parts.slice(k + 1)].join("/") + (dir ? "/" : "");
    switch (at) {
      case "root":
        if (c === "proc" || c === "dev") at = c;
        else if (c !== "..") return host(parts.slice(k), dir); // '..' at the root stays there
        break;
      case "proc": {
        const other = c === "self" || c === "thread-self" || c === String(proc.pid)
          ? proc
          : /^[1-9]\d*$/.test(c)
          ? proc.family.processes.get(Number(c))
          : undefined;
        if (c === "..") at = "root";
        else if (other === undefined) return host(["proc", ...parts.slice(k)], dir);
        else (self = other, thread = c === "thread-self", at = "self");
        break;
      }
      case "dev":
        if (c === "..") at = "root";
        else if (last && !follow && (c === "fd" || Object.hasOwn(DEV_STREAMS, c))) return host(["dev", c], dir);
        else if (c === "fd") (self = proc, at = "fds");
        else if (Object.hasOwn(DEV_STREAMS, c)) return then(`/proc/self/fd/${DEV_STREAMS[c]}`);
        else return host(["dev", ...parts.slice(k)], dir);
        break;
      case "self":
      case "task":
        if (c === "..") at = at === "task" ? "self" : "proc";
        else if (at === "task") {
          // A thread's directory: the process's, as far as plume makes it.
          if (!/^[1-9]\d*$/.test(c)) return host(["proc", "self", "task", ...parts.slice(k)], dir);
          at = "self";
        } else if (c === "fd") at = "fds";
        else if (c === "task") at = "task";
        else if (Object.hasOwn(PROC_LINKS, c) && !(last && !follow)) return then(PROC_LINKS[c](self));
        else if (last) return { kind: "proc", proc: self, name: c, dir };
        else return host(["proc", "self", ...parts.slice(k)], dir);
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
        return then(f.path);
      }
    }
  }
  switch (at) {
    case "root":
    case "proc":
    case "dev":
      return host(at === "root" ? [] : [at], dir);
    case "self":
      return { kind: "proc", proc: self, name: "", dir, thread };
    case "task":
      return host(["proc", "self", "task"], dir);
    case "fds":
      return { kind: "fds", proc: self };
  }
}

/** A host path of components `parts` (a final slash kept: only a directory may have one). */
function host(parts: readonly string[], dir: boolean): PathTarget {
  return { kind: "host", path: "/" + parts.join("/") + (dir && parts.length > 0 ? "/" : "") };
}

/** Whether `t` (resolved without following a final link) is one of the links plume makes ({@link magicLink}). */
export function isMagicLink(t: PathTarget): boolean {
  return t.kind === "fd" || (t.kind === "proc" && (t.name === "" || Object.hasOwn(PROC_LINKS, t.name)));
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
    if (Object.hasOwn(PROC_LINKS, t.name)) return PROC_LINKS[t.name](t.proc);
  }
  if (t.kind !== "fd") return undefined;
  const f = t.proc.fds.lookup(t.fd)!;
  return f instanceof StdioFile ? hostReadlink(`/proc/self/fd/${f.hostFd}`) : f.path;
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
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  const lines = proc.mem.mappings.map((m) => {
    const perms = (m.prot & 1 ? "r" : "-") + (m.prot & 2 ? "w" : "-") + (m.prot & 4 ? "x" : "-") + "p";
    const head = `${hex(m.start, 8)}-${hex(m.end, 8)} ${perms} ${hex(m.offset, 8)} 00:00 0`;
    return m.name ? head.padEnd(73) + m.name : head + " ";
  });
  return lines.map((l) => l + "\n").join("");
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
  fields[1] = `(${new TextDecoder().decode(new TextEncoder().encode(name).subarray(0, 15))})`;
  fields[3] = String(proc.parent?.pid ?? Deno.ppid);
  fields[21] = String(proc.startTime);
  fields[27] = String(proc.startStack);
  return fields.join(" ") + "\n";
}

/**
 * Contents of `/proc/self/cmdline` as qemu-user makes them: the guest's
 * arguments, each ended by a NUL (not the host's, which name plume).
 */
export function procCmdline(proc: Process): string {
  return proc.argv.map((a) => a + "\0").join("");
}

/**
 * Contents of `/proc/self/auxv` as qemu-user makes them: the auxiliary
 * vector on the guest's initial stack, read when the file is opened (what
 * the guest wrote there since shows), `AT_NULL` included; empty when that
 * memory is no longer readable.
 */
export function procAuxv(proc: Process): Uint8Array {
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
  const name = (s: string) => new TextEncoder().encode(s);
  return [
    { name: name("."), ino: 1n, type: DT_DIR },
    { name: name(".."), ino: 2n, type: DT_DIR },
    ...proc.fds.openIn(0, Number.MAX_SAFE_INTEGER).map((fd) => ({
      name: name(String(fd)),
      ino: BigInt(fd + 3),
      type: DT_LNK,
    })),
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
 * `sysroot` applies the `-L` lookup to absolute paths (for calls that only
 * look files up, as qemu-user does); `/proc/self` links resolve to what
 * they name for the guest. An empty path is `ENOENT`.
 *
 * @example
 * ```ts
 * import { AT_FDCWD, resolvePath } from "./paths.ts";
 * import { Process } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * proc.cwd = "/home/me";
 * strictEqual(resolvePath(proc, AT_FDCWD, "a.txt"), "/home/me/a.txt");
 * ```
 */
export function resolvePath(proc: Process, dirfd: number, path: string, sysroot = false): string {
  const t = pathTarget(proc, dirfd, path);
  switch (t.kind) {
    case "fd": {
      const f = t.proc.fds.lookup(t.fd)!;
      if (f instanceof PipeEnd) throw new SyscallError(E.ENXIO, "Reopening a pipe through /proc is not supported");
      return f instanceof StdioFile ? `/proc/self/fd/${f.hostFd}` : f.path;
    }
    case "fds":
      // The host's directory, for what it is (a directory); its entries are never the host's (syntheticFile).
      return "/proc/self/fd";
    case "proc":
      return Object.hasOwn(PROC_LINKS, t.name)
        ? PROC_LINKS[t.name](t.proc)
        : `/proc/self${t.name === "" ? "" : "/" + t.name}${t.dir ? "/" : ""}`;
  }
  if (sysroot && proc.sysroot && path.startsWith("/")) {
    const inRoot = proc.sysroot.replace(/\/+$/, "") + t.path;
    try {
      Deno.lstatSync(inRoot);
      return inRoot;
    } catch {
      // not in the sysroot: the host's own file
    }
  }
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
 * `flags`, or undefined when the host's file is to be opened:
 * `/proc/self/maps`, `stat`, `limits`, `cmdline` and `auxv`,
 * `/proc/cpuinfo`, the listing of `/proc/self/fd`, and reopening a standard
 * stream or a pipe through its descriptor's path (Linux gives a new
 * description of the same stream, and of a pipe the end the access mode
 * asks for).
 */
export function syntheticFile(proc: Process, dirfd: number, path: string, flags: number): OpenFile | undefined {
  const t = pathTarget(proc, dirfd, path);
  if (t.kind === "proc") {
    // A final slash on a file: the host's ENOTDIR.
    if (t.dir) return undefined;
    const text = (s: string) => new MemFile(new TextEncoder().encode(s), path);
    if (t.name === "maps") return text(procMaps(t.proc));
    if (t.name === "stat") return text(procStat(t.proc));
    if (t.name === "limits") return text(procLimits(t.proc));
    if (t.name === "cmdline") return text(procCmdline(t.proc));
    if (t.name === "auxv") return new MemFile(procAuxv(t.proc), path);
    return undefined;
  }
  if (t.kind === "fds") {
    if ((flags & O_ACCMODE) !== O_RDONLY) throw new SyscallError(E.EISDIR, "/proc/self/fd is a directory");
    // The host's directory (for fstat and the like), listing the guest's descriptors instead of the host's.
    const dir = HostFile.open("/proc/self/fd", flags, 0, 0);
    const owner = t.proc;
    dir.lister = () => procFdEntries(owner);
    return dir;
  }
  if (t.kind === "fd") {
    const f = t.proc.fds.lookup(t.fd)!;
    if (f instanceof StdioFile) return new StdioFile(f.hostFd, f.terminal);
    if (f instanceof PipeEnd) return new PipeEnd(f.pipe, (flags & O_ACCMODE) === O_RDONLY, flags);
    return undefined;
  }
  if (t.path === "/proc/cpuinfo") return new MemFile(new TextEncoder().encode(procCpuinfo(proc.extensions)), path);
  if (Object.hasOwn(PROC_FALLBACKS, t.path) && !hostReadable(t.path)) {
    return new MemFile(new TextEncoder().encode(PROC_FALLBACKS[t.path]()), path);
  }
  return undefined;
}
