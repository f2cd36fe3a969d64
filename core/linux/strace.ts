/**
 * `-strace` output in qemu-user's format: `PID name(args) = result`, the
 * call part written before the system call runs and the result after it,
 * so guest output interleaves as it does under `qemu-riscv64 -strace`.
 *
 * Each system call declares how its arguments print with a
 * {@link StraceSpec}. The argument formats reproduce what qemu 7.2 prints
 * (checked by running `qemu-riscv64 -strace` on probe programs): printf
 * conversions applied to the raw 64-bit register (`%d` shows the low 32
 * bits, `%p` prints `(nil)` for 0), qemu's pointer style (`NULL` or
 * `0x` and 16 hex digits), quoted strings read from guest memory, and flag
 * and enum tables printed with qemu's rules (`O_RDONLY|O_CLOEXEC`, leftover
 * bits in hex).
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import { strerror } from "./errno.ts";

/** One flag or enum name with its value. */
export type Named = readonly [value: number, name: string];

/** How one argument prints. */
export type ArgFormat =
  /** printf `%d`: low 32 bits, signed. */
  | "d"
  /** printf `%u`: low 32 bits, unsigned. */
  | "u"
  /** printf `%#x`: low 32 bits in hex, `0` for zero. */
  | "x"
  /** printf `%#o`: low 32 bits in octal. */
  | "o"
  /** printf `%p` (glibc): `(nil)` or `0x…` without padding. */
  | "p"
  /** `TARGET_ABI_FMT_ld`: 64-bit signed. */
  | "ld"
  /** `TARGET_ABI_FMT_lu`: 64-bit unsigned. */
  | "lu"
  /** qemu's `print_pointer`: `NULL` or `0x` with 16 hex digits. */
  | "ptr"
  /** A NUL-terminated guest string in quotes, or the pointer when unreadable. */
  | "str"
  /** A directory fd: `AT_FDCWD` or `%d`. */
  | "dirfd"
  /** A file mode: `S_IFREG|0644`, `000` for zero. */
  | "mode"
  /** `open` flags: access mode, then the other flags. */
  | "oflags"
  /** A signal name (`SIGINT`) or the number. */
  | "sig"
  /** A `struct timespec` read from guest memory. */
  | "timespec"
  /** Flags from a table. */
  | { readonly flags: readonly Named[] }
  /** One value from a table. */
  | { readonly enums: readonly Named[] };

/** How a result prints after ` = ` when it is not an error. */
export type RetFormat =
  /** Signed decimal (the default). */
  | "ld"
  /** `0x` with 16 hex digits (mmap, brk). */
  | "addr"
  /** Decimal followed by extra text, e.g. the timespec a call filled in. */
  | ((ret: bigint, args: readonly bigint[], mem: AddressSpace) => string);

/** How one system call prints under `-strace`. */
export interface StraceSpec {
  /**
   * Argument formats, in order; a function for calls qemu prints by hand.
   * Absent: qemu's default, all six registers as signed decimals.
   */
  readonly args?: readonly ArgFormat[] | ((args: readonly bigint[], mem: AddressSpace) => string);
  /** Result format; default signed decimal. */
  readonly ret?: RetFormat;
  /** The call never returns (`exit`, `exit_group`): the line ends after the arguments. */
  readonly noReturn?: boolean;
  /** qemu prints nothing at all for this call. */
  readonly hidden?: boolean;
}

const MASK32 = 0xffff_ffffn;

function low32(v: bigint): bigint {
  return v & MASK32;
}

/** printf `%d` of a 64-bit register value (only the low 32 bits are seen). */
export function fmtD(v: bigint): string {
  return BigInt.asIntN(32, v).toString();
}

/** printf `%#x` of the low 32 bits. */
export function fmtHex32(v: bigint): string {
  const u = low32(v);
  return u === 0n ? "0" : "0x" + u.toString(16);
}

/** printf `%#o` of the low 32 bits. */
function fmtOct32(v: bigint): string {
  const u = low32(v);
  return u === 0n ? "0" : "0" + u.toString(8);
}

/** qemu's `print_pointer`: `NULL`, or `0x` and 16 hex digits. */
export function fmtPointer(v: bigint): string {
  return v === 0n ? "NULL" : "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

/** glibc printf `%p`. */
export function fmtP(v: bigint): string {
  return v === 0n ? "(nil)" : "0x" + BigInt.asUintN(64, v).toString(16);
}

/** A guest address as a number, or -1 when it cannot be one. */
function addrOf(v: bigint): number {
  return v >= 0n && v < 0x20_0000_0000_0000n ? Number(v) : -1;
}

/** qemu's `print_string`: the quoted string, or the pointer when it cannot be read. */
export function fmtString(v: bigint, mem: AddressSpace): string {
  const a = addrOf(v);
  if (a < 0) return fmtPointer(v);
  try {
    return `"${mem.readCString(a, 1 << 20)}"`;
  } catch {
    return fmtPointer(v);
  }
}

/**
 * qemu's `print_flags`: the names of the set flags joined by `|`, then the
 * leftover bits as `%#x`; a zero value prints the table's zero-valued first
 * entry, or `0`.
 *
 * @example
 * ```ts
 * import { fmtFlags, MMAP_PROT } from "./strace.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(fmtFlags(MMAP_PROT, 3n), "PROT_READ|PROT_WRITE");
 * ```
 */
export function fmtFlags(table: readonly Named[], v: bigint): string {
  if (v === 0n && table.length > 0 && table[0][0] === 0) return table[0][1];
  const names: string[] = [];
  let rest = v;
  for (const [value, name] of table) {
    const f = BigInt(value);
    if (f !== 0n && (rest & f) === f) {
      names.push(name);
      rest &= ~f;
    }
  }
  if (names.length === 0) return fmtHex32(v);
  if (rest !== 0n) names.push(fmtHex32(rest));
  return names.join("|");
}

/** qemu's `print_enums`: the matching name, else `%#x`. */
export function fmtEnum(table: readonly Named[], v: bigint): string {
  for (const [value, name] of table) if (BigInt(value) === v) return name;
  return fmtHex32(v);
}

/** File type bits in the order qemu tests them. */
const MODE_TYPES: readonly Named[] = [
  [0o140000, "S_IFSOCK"],
  [0o120000, "S_IFLNK"],
  [0o100000, "S_IFREG"],
  [0o060000, "S_IFBLK"],
  [0o040000, "S_IFDIR"],
  [0o020000, "S_IFCHR"],
  [0o010000, "S_IFIFO"],
];

/** qemu's `print_file_mode`: `000`, `0755`, `S_IFREG|0644` or `S_IFREG`. */
export function fmtMode(v: bigint): string {
  if (v === 0n) return "000";
  let out = "";
  let sep = "";
  let mode = v;
  for (const [value, name] of MODE_TYPES) {
    const f = BigInt(value);
    if ((f & mode) === f) {
      out += name;
      sep = "|";
      mode &= ~f;
      break;
    }
  }
  mode &= ~0o170000n;
  if (mode !== 0n) out += sep + fmtOct32(mode);
  return out;
}

/** Access modes of `open`. */
const OPEN_ACCESS: readonly Named[] = [[0, "O_RDONLY"], [1, "O_WRONLY"], [2, "O_RDWR"]];

/** Other `open` flags, in qemu's order. */
const OPEN_FLAGS: readonly Named[] = [
  [0o2000, "O_APPEND"],
  [0o100, "O_CREAT"],
  [0o200000, "O_DIRECTORY"],
  [0o200, "O_EXCL"],
  [0o100000, "O_LARGEFILE"],
  [0o400, "O_NOCTTY"],
  [0o400000, "O_NOFOLLOW"],
  [0o4000, "O_NONBLOCK"],
  [0o10000, "O_DSYNC"],
  [0o4000000, "__O_SYNC"],
  [0o1000, "O_TRUNC"],
  [0o40000, "O_DIRECT"],
  [0o1000000, "O_NOATIME"],
  [0o2000000, "O_CLOEXEC"],
  [0o10000000, "O_PATH"],
  [0o20200000, "O_TMPFILE"],
  [0o20000000, "__O_TMPFILE"],
];

/** qemu's `print_open_flags`. */
export function fmtOpenFlags(v: bigint): string {
  const access = fmtFlags(OPEN_ACCESS, v & 3n);
  const rest = v & ~3n;
  return rest === 0n ? access : access + "|" + fmtFlags(OPEN_FLAGS, rest);
}

/** `faccessat` modes. */
export const ACCESS_MODES: readonly Named[] = [[0, "F_OK"], [4, "R_OK"], [2, "W_OK"], [1, "X_OK"]];
/** `AT_*` flags qemu names for most `*at` calls. */
export const AT_FILE_FLAGS: readonly Named[] = [[0x200, "AT_EACCESS"], [0x100, "AT_SYMLINK_NOFOLLOW"]];
/** `unlinkat` flags. */
export const UNLINKAT_FLAGS: readonly Named[] = [[0x200, "AT_REMOVEDIR"]];
/** `statx` flags. */
export const STATX_FLAGS: readonly Named[] = [
  [0x1000, "AT_EMPTY_PATH"],
  [0x800, "AT_NO_AUTOMOUNT"],
  [0x100, "AT_SYMLINK_NOFOLLOW"],
  [0, "AT_STATX_SYNC_AS_STAT"],
  [0x2000, "AT_STATX_FORCE_SYNC"],
  [0x4000, "AT_STATX_DONT_SYNC"],
];
/** `statx` mask bits. */
export const STATX_MASK: readonly Named[] = [
  [0xfff, "STATX_ALL"],
  [0x7ff, "STATX_BASIC_STATS"],
  [0x1, "STATX_TYPE"],
  [0x2, "STATX_MODE"],
  [0x4, "STATX_NLINK"],
  [0x8, "STATX_UID"],
  [0x10, "STATX_GID"],
  [0x20, "STATX_ATIME"],
  [0x40, "STATX_MTIME"],
  [0x80, "STATX_CTIME"],
  [0x100, "STATX_INO"],
  [0x200, "STATX_SIZE"],
  [0x400, "STATX_BLOCKS"],
  [0x800, "STATX_BTIME"],
];
/** `mmap`/`mprotect` protections. */
export const MMAP_PROT: readonly Named[] = [
  [0, "PROT_NONE"],
  [4, "PROT_EXEC"],
  [1, "PROT_READ"],
  [2, "PROT_WRITE"],
  [8, "PROT_SEM"],
  [0x0100_0000, "PROT_GROWSDOWN"],
  [0x0200_0000, "PROT_GROWSUP"],
];
/** `mmap` flags qemu 7.2 names (not `MAP_STACK` nor `MAP_FIXED_NOREPLACE`). */
export const MMAP_FLAGS: readonly Named[] = [
  [0x1, "MAP_SHARED"],
  [0x2, "MAP_PRIVATE"],
  [0x20, "MAP_ANONYMOUS"],
  [0x800, "MAP_DENYWRITE"],
  [0x10, "MAP_FIXED"],
  [0x100, "MAP_GROWSDOWN"],
  [0x1000, "MAP_EXECUTABLE"],
  [0x2000, "MAP_LOCKED"],
  [0x10000, "MAP_NONBLOCK"],
  [0x4000, "MAP_NORESERVE"],
  [0x8000, "MAP_POPULATE"],
  [0x400_0000, "MAP_UNINITIALIZED"],
];
/** `mlockall` flags. */
export const MLOCKALL_FLAGS: readonly Named[] = [[1, "MCL_CURRENT"], [2, "MCL_FUTURE"], [4, "MCL_ONFAULT"]];
/** `madvise` advice values qemu 7.2 names. */
export const MADVISE_ADVICE: readonly Named[] = [
  [0, "MADV_NORMAL"],
  [1, "MADV_RANDOM"],
  [2, "MADV_SEQUENTIAL"],
  [3, "MADV_WILLNEED"],
  [4, "MADV_DONTNEED"],
  [8, "MADV_FREE"],
  [9, "MADV_REMOVE"],
  [10, "MADV_DONTFORK"],
  [11, "MADV_DOFORK"],
  [12, "MADV_MERGEABLE"],
  [13, "MADV_UNMERGEABLE"],
  [14, "MADV_HUGEPAGE"],
  [15, "MADV_NOHUGEPAGE"],
  [16, "MADV_DONTDUMP"],
  [17, "MADV_DODUMP"],
  [18, "MADV_WIPEONFORK"],
  [19, "MADV_KEEPONFORK"],
  [20, "MADV_COLD"],
  [21, "MADV_PAGEOUT"],
  [22, "MADV_POPULATE_READ"],
  [23, "MADV_POPULATE_WRITE"],
  [24, "MADV_DONTNEED_LOCKED"],
];
/** Clock ids. */
export const CLOCK_IDS: readonly Named[] = [
  [0, "CLOCK_REALTIME"],
  [1, "CLOCK_MONOTONIC"],
  [2, "CLOCK_PROCESS_CPUTIME_ID"],
  [3, "CLOCK_THREAD_CPUTIME_ID"],
  [4, "CLOCK_MONOTONIC_RAW"],
  [5, "CLOCK_REALTIME_COARSE"],
  [6, "CLOCK_MONOTONIC_COARSE"],
  [7, "CLOCK_BOOTTIME"],
  [8, "CLOCK_REALTIME_ALARM"],
  [9, "CLOCK_BOOTTIME_ALARM"],
  [10, "CLOCK_SGI_CYCLE"],
  [11, "CLOCK_TAI"],
];
/** `lseek` whence values. */
export const SEEK_WHENCE: readonly Named[] = [
  [0, "SEEK_SET"],
  [1, "SEEK_CUR"],
  [2, "SEEK_END"],
  [3, "SEEK_DATA"],
  [4, "SEEK_HOLE"],
];

/** Signal names qemu prints (it spells 6 as `SIGIOT`). */
const SIGNAL_STRACE_NAMES: Readonly<Record<number, string>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGIOT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};

/** qemu's `print_signal`. */
export function fmtSignal(v: bigint): string {
  return (v >= 1n && v <= 31n ? SIGNAL_STRACE_NAMES[Number(v)] : undefined) ?? v.toString();
}

/** `si_code` names qemu prints. */
const SI_CODE_NAMES: Readonly<Record<number, string>> = {
  0: "SI_USER",
  0x80: "SI_KERNEL",
  [-1]: "SI_QUEUE",
  [-2]: "SI_TIMER",
  [-3]: "SI_MESGQ",
  [-4]: "SI_ASYNCIO",
  [-5]: "SI_SIGIO",
  [-6]: "SI_TKILL",
};

/**
 * qemu's `print_siginfo` of a raw `siginfo_t`: which union member is
 * shown follows from `si_code` and the signal, as qemu guesses it (`fault`
 * for a fault the kernel raised, which shows `si_addr`).
 *
 * @example
 * ```ts
 * import { fmtSiginfo } from "./strace.ts";
 * import { strictEqual } from "node:assert";
 * const b = new Uint8Array(128);
 * new DataView(b.buffer).setInt32(0, 10, true);
 * strictEqual(fmtSiginfo(b, false), "{si_signo=SIGUSR1, si_code=SI_USER, si_pid=0, si_uid=0}");
 * ```
 */
export function fmtSiginfo(info: Uint8Array, fault: boolean): string {
  const v = new DataView(info.buffer, info.byteOffset, info.byteLength);
  const signo = v.getInt32(0, true), code = v.getInt32(8, true);
  let s = `{si_signo=${fmtSignal(BigInt(signo))}, si_code=${SI_CODE_NAMES[code] ?? code}`;
  const pid = v.getUint32(16, true), uid = v.getUint32(20, true);
  if (fault) s += `, si_addr=${fmtPointer(v.getBigInt64(16, true))}`;
  else if (code === 0 || code === -6 || code === 0x80) s += `, si_pid=${pid}, si_uid=${uid}`;
  else if (signo === 17) {
    s += `, si_pid=${pid}, si_uid=${uid}, si_status=${v.getInt32(24, true)}, si_utime=${
      v.getBigInt64(32, true)
    }, si_stime=${v.getBigInt64(40, true)}`;
  } else if (signo === 29) s += `, si_band=${v.getInt32(16, true)}, si_fd=${v.getInt32(24, true)}`;
  else s += `, si_pid=${pid}, si_uid=${uid}, si_sigval=${v.getBigInt64(24, true)}`;
  return s + "}";
}

/** Reads two 64-bit words at `v`, or undefined when unreadable. */
function readPair(v: bigint, mem: AddressSpace): [bigint, bigint] | undefined {
  const a = addrOf(v);
  if (a < 0) return undefined;
  try {
    mem.check(a, 16, "read");
  } catch {
    return undefined;
  }
  return [mem.view.getBigInt64(a, true), mem.view.getBigInt64(a + 8, true)];
}

/** qemu's `print_timespec`. */
function fmtTimespec(v: bigint, mem: AddressSpace): string {
  if (v === 0n) return "NULL";
  const p = readPair(v, mem);
  return p ? `{tv_sec = ${p[0]},tv_nsec = ${p[1]}}` : fmtPointer(v);
}

/** qemu's `print_timeval`. */
export function fmtTimeval(v: bigint, mem: AddressSpace): string {
  if (v === 0n) return "NULL";
  const p = readPair(v, mem);
  return p ? `{tv_sec = ${p[0]},tv_usec = ${p[1]}}` : fmtPointer(v);
}

/** qemu's `print_timezone`. */
export function fmtTimezone(v: bigint, mem: AddressSpace): string {
  if (v === 0n) return "NULL";
  const a = addrOf(v);
  try {
    if (a < 0) throw new RangeError("Unreachable");
    mem.check(a, 8, "read");
    return `{${mem.view.getInt32(a, true)},${mem.view.getInt32(a + 4, true)}}`;
  } catch {
    return fmtPointer(v);
  }
}

/** Formats one argument. */
function fmtArg(f: ArgFormat, v: bigint, mem: AddressSpace): string {
  switch (f) {
    case "d":
      return fmtD(v);
    case "u":
      return low32(v).toString();
    case "x":
      return fmtHex32(v);
    case "o":
      return fmtOct32(v);
    case "p":
      return fmtP(v);
    case "ld":
      return BigInt.asIntN(64, v).toString();
    case "lu":
      return BigInt.asUintN(64, v).toString();
    case "ptr":
      return fmtPointer(v);
    case "str":
      return fmtString(v, mem);
    case "dirfd":
      return v === -100n ? "AT_FDCWD" : fmtD(v);
    case "mode":
      return fmtMode(v);
    case "oflags":
      return fmtOpenFlags(v);
    case "sig":
      return fmtSignal(v);
    case "timespec":
      return fmtTimespec(v, mem);
    default:
      return "flags" in f ? fmtFlags(f.flags, v) : fmtEnum(f.enums, v);
  }
}

const DEFAULT_ARGS: readonly ArgFormat[] = ["ld", "ld", "ld", "ld", "ld", "ld"];

/** The `name(args)` part of a call line, without the pid. */
export function formatCall(name: string, spec: StraceSpec | undefined, args: readonly bigint[], mem: AddressSpace) {
  const fmt = spec?.args ?? DEFAULT_ARGS;
  const body = typeof fmt === "function" ? fmt(args, mem) : fmt.map((f, i) => fmtArg(f, args[i], mem)).join(",");
  return `${name}(${body})`;
}

/** Whether a raw result is an error (`-4095..-1`), as qemu's `is_error`. */
function isErrorResult(ret: bigint): boolean {
  return ret < 0n && ret >= -4095n;
}

/**
 * The result part of a line, from ` = ` to the newline.
 *
 * @example
 * ```ts
 * import { formatResult } from "./strace.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 20);
 * strictEqual(formatResult(undefined, -2n, [], mem), " = -1 errno=2 (No such file or directory)\n");
 * ```
 */
export function formatResult(
  spec: StraceSpec | undefined,
  ret: bigint,
  args: readonly bigint[],
  mem: AddressSpace,
): string {
  if (isErrorResult(ret)) return ` = -1 errno=${-ret} (${strerror(Number(-ret))})\n`;
  const f = spec?.ret ?? "ld";
  if (f === "ld") return ` = ${ret}\n`;
  if (f === "addr") return ` = 0x${BigInt.asUintN(64, ret).toString(16).padStart(16, "0")}\n`;
  return ` = ${f(ret, args, mem)}\n`;
}

/** Result printer of `clock_gettime`/`clock_getres`: the timespec filled in. */
export function retTimespecArg(index: number): RetFormat {
  return (ret, args, mem) => `${ret} (${fmtTimespec(args[index], mem)})`;
}
