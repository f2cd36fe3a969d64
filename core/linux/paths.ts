/**
 * From a guest path to a host path: relative paths against the guest's
 * working directory or a directory descriptor, absolute paths through the
 * sysroot (`-L`, qemu-user's rule: a path that exists under the sysroot is
 * taken from there), and the links of `/proc/self` that must describe the
 * guest rather than plume (`exe`, `cwd`, `fd/N`, `maps`).
 *
 * Paths are joined, never normalized: `..` after a symbolic link is left
 * to the host kernel, which resolves it as Linux would for the guest.
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
 * An absolute path under `/proc` with `.`, `..` and repeated slashes taken
 * out (a final slash kept, which only a directory may have), as the kernel
 * resolves it (`/proc/self/../self/fd/` is `/proc/self/fd/`); other paths
 * as they are.
 */
function lexicalProc(path: string): string {
  if (!path.startsWith("/proc/")) return path;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "" && part !== ".") parts.push(part);
  }
  return "/" + parts.join("/") + (path.endsWith("/") && parts.length > 0 ? "/" : "");
}

/** `/proc/self/REST` or `/proc/PID/REST` for the guest's own pid: REST ("" for the directory), else undefined. */
export function procSelfRest(proc: Process, path: string): string | undefined {
  const m = path.match(/^\/proc\/(self|thread-self|\d+)(\/.*)?$/);
  if (!m || (m[1] !== "self" && m[1] !== "thread-self" && Number(m[1]) !== proc.pid)) return undefined;
  return (m[2] ?? "").replace(/^\/+/, "");
}

/** The standard streams' links in `/dev` (made by udev), which lead through `/proc`. */
const DEV_STREAMS: Readonly<Record<string, number>> = { "/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2 };

/**
 * The guest descriptor a path names through `/proc/self/fd/N`, `/dev/fd/N`
 * or `/dev/std{in,out,err}`, or undefined for other paths. Deno refuses
 * these host paths to a sandboxed process, and they must mean the guest's
 * descriptors anyway.
 */
export function guestFdOfPath(proc: Process, path: string): number | undefined {
  if (Object.hasOwn(DEV_STREAMS, path)) return DEV_STREAMS[path];
  const rest = path.startsWith("/dev/fd/") ? "fd/" + path.slice(8) : procSelfRest(proc, path);
  const m = rest?.match(/^fd\/(\d+)$/);
  return m ? Number(m[1]) : undefined;
}

/** What `readlink` of a `/proc/self` link gives for the guest, or undefined when not one of them. */
export function procSelfLink(proc: Process, path: string): string | undefined {
  if (path === "/proc/self" || path === "/proc/thread-self") return String(proc.pid);
  if (Object.hasOwn(DEV_STREAMS, path)) return `/proc/self/fd/${DEV_STREAMS[path]}`;
  if (path === "/dev/fd") return "/proc/self/fd";
  const rest = procSelfRest(proc, path);
  if (rest === "exe") return proc.exePath;
  if (rest === "cwd") return proc.cwd;
  const fd = rest?.match(/^fd\/(\d+)$/);
  if (fd) {
    const f = proc.fds.get(Number(fd[1]));
    if (f instanceof StdioFile) return hostReadlink(`/proc/self/fd/${f.hostFd}`);
    return f.path;
  }
  return undefined;
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
 * Host path for guest path `path` relative to `dirfd`. `sysroot` applies
 * the `-L` lookup to absolute paths (for calls that only look files up, as
 * qemu-user does); `/proc/self` links resolve to what they name for the
 * guest. An empty path is `ENOENT`.
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
  if (path === "") throw new SyscallError(E.ENOENT, "Empty path");
  if (!path.startsWith("/")) return join(baseDir(proc, dirfd), path);
  const rest = procSelfRest(proc, path);
  if (rest !== undefined) {
    const [head, ...tail] = rest.split("/");
    let target: string | undefined;
    if (head === "exe" || head === "cwd") target = procSelfLink(proc, `/proc/self/${head}`);
    else if (head === "fd" && tail.length > 0 && /^\d+$/.test(tail[0])) {
      const f = proc.fds.get(Number(tail.shift()));
      target = f instanceof StdioFile ? `/proc/self/fd/${f.hostFd}` : f.path;
      if (f instanceof PipeEnd) throw new SyscallError(E.ENXIO, "Reopening a pipe through /proc is not supported");
    }
    if (target !== undefined) return tail.length ? join(target, tail.join("/")) : target;
  }
  if (sysroot && proc.sysroot) {
    const inRoot = proc.sysroot.replace(/\/+$/, "") + path;
    try {
      Deno.lstatSync(inRoot);
      return inRoot;
    } catch {
      // not in the sysroot: the host's own file
    }
  }
  return path;
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
 * A file plume makes itself for opening `path` with `flags`, or undefined
 * when the host's file is to be opened: `/proc/self/maps`, `stat`,
 * `limits`, `cmdline` and `auxv`, `/proc/cpuinfo`, the listing of
 * `/proc/self/fd`, and reopening a
 * standard stream or a pipe through its descriptor's path (Linux gives a
 * new description of the same stream, and of a pipe the end the access
 * mode asks for).
 */
export function syntheticFile(proc: Process, path: string, flags: number): OpenFile | undefined {
  const rest = procSelfRest(proc, lexicalProc(path));
  if (rest === "maps") return new MemFile(new TextEncoder().encode(procMaps(proc)), path);
  if (rest === "stat") return new MemFile(new TextEncoder().encode(procStat(proc)), path);
  if (rest === "limits") return new MemFile(new TextEncoder().encode(procLimits(proc)), path);
  if (rest === "cmdline") return new MemFile(new TextEncoder().encode(procCmdline(proc)), path);
  if (rest === "auxv") return new MemFile(procAuxv(proc), path);
  if ((rest === "fd" || rest === "fd/") && (flags & O_ACCMODE) === O_RDONLY) {
    // The host's directory (for fstat and the like), listing the guest's descriptors instead of the host's.
    const dir = HostFile.open("/proc/self/fd", flags, 0, 0);
    dir.lister = () => procFdEntries(proc);
    return dir;
  }
  if (path === "/proc/cpuinfo") return new MemFile(new TextEncoder().encode(procCpuinfo(proc.extensions)), path);
  if (Object.hasOwn(PROC_FALLBACKS, path) && !hostReadable(path)) {
    return new MemFile(new TextEncoder().encode(PROC_FALLBACKS[path]()), path);
  }
  const fd = guestFdOfPath(proc, path);
  if (fd === undefined) return undefined;
  const f = proc.fds.lookup(fd);
  if (f === undefined) throw new SyscallError(E.ENOENT, `fd ${fd} is not open`);
  if (f instanceof StdioFile) return new StdioFile(f.hostFd, f.terminal);
  if (f instanceof PipeEnd) return new PipeEnd(f.pipe, (flags & O_ACCMODE) === O_RDONLY, flags);
  return undefined;
}
