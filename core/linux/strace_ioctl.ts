/**
 * `-strace` printing of `ioctl` and `fcntl`, which qemu prints by command:
 * the command's name, then its argument as the command's type says (an
 * integer, a pointer, or the structure it points to, e.g. a `termios`),
 * and for commands that fill a structure, that structure after the result.
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import {
  fmtD,
  fmtEnum,
  fmtFlags,
  fmtHex32,
  fmtOpenFlags,
  fmtPointer,
  type Named,
  type RetFormat,
  type StraceSpec,
} from "./strace.ts";

/** How an ioctl's argument is typed in qemu's table. */
type IoctlArg = "none" | "int" | { readonly dir: "R" | "W"; readonly type: "int" | "termios" | "winsize" };

/** Terminal and generic ioctls: number, name, argument type. */
const IOCTLS: ReadonlyMap<number, readonly [string, IoctlArg]> = new Map<number, readonly [string, IoctlArg]>([
  [0x5401, ["TCGETS", { dir: "R", type: "termios" }]],
  [0x5402, ["TCSETS", { dir: "W", type: "termios" }]],
  [0x5403, ["TCSETSW", { dir: "W", type: "termios" }]],
  [0x5404, ["TCSETSF", { dir: "W", type: "termios" }]],
  [0x5409, ["TCSBRK", "int"]],
  [0x540a, ["TCXONC", "int"]],
  [0x540b, ["TCFLSH", "int"]],
  [0x540c, ["TIOCEXCL", "none"]],
  [0x540d, ["TIOCNXCL", "none"]],
  [0x540e, ["TIOCSCTTY", "int"]],
  [0x540f, ["TIOCGPGRP", { dir: "R", type: "int" }]],
  [0x5410, ["TIOCSPGRP", { dir: "W", type: "int" }]],
  [0x5411, ["TIOCOUTQ", { dir: "R", type: "int" }]],
  [0x5413, ["TIOCGWINSZ", { dir: "R", type: "winsize" }]],
  [0x5414, ["TIOCSWINSZ", { dir: "W", type: "winsize" }]],
  [0x541b, ["FIONREAD", { dir: "R", type: "int" }]],
  [0x5421, ["FIONBIO", { dir: "W", type: "int" }]],
  [0x5422, ["TIOCNOTTY", "none"]],
  [0x5425, ["TCSBRKP", "int"]],
  // qemu's table types TIOCGSID's argument as input.
  [0x5429, ["TIOCGSID", { dir: "W", type: "int" }]],
  [0x5450, ["FIONCLEX", "none"]],
  [0x5451, ["FIOCLEX", "none"]],
  [0x5452, ["FIOASYNC", { dir: "W", type: "int" }]],
]);

const IFLAGS: readonly Named[] = [
  [0o1, "IGNBRK"],
  [0o2, "BRKINT"],
  [0o4, "IGNPAR"],
  [0o10, "PARMRK"],
  [0o20, "INPCK"],
  [0o40, "ISTRIP"],
  [0o100, "INLCR"],
  [0o200, "IGNCR"],
  [0o400, "ICRNL"],
  [0o1000, "IUCLC"],
  [0o2000, "IXON"],
  [0o4000, "IXANY"],
  [0o10000, "IXOFF"],
  [0o20000, "IMAXBEL"],
  [0o40000, "IUTF8"],
];
const OFLAGS: readonly Named[] = [
  [0o1, "OPOST"],
  [0o2, "OLCUC"],
  [0o4, "ONLCR"],
  [0o10, "OCRNL"],
  [0o20, "ONOCR"],
  [0o40, "ONLRET"],
  [0o100, "OFILL"],
  [0o200, "OFDEL"],
];
/** Output delay fields: mask and the names of their values. */
const ODELAYS: readonly [number, readonly Named[]][] = [
  [0o400, [[0, "NL0"], [0o400, "NL1"]]],
  [0o3000, [[0, "CR0"], [0o1000, "CR1"], [0o2000, "CR2"], [0o3000, "CR3"]]],
  [0o14000, [[0, "TAB0"], [0o4000, "TAB1"], [0o10000, "TAB2"], [0o14000, "TAB3"]]],
  [0o20000, [[0, "BS0"], [0o20000, "BS1"]]],
  [0o40000, [[0, "VT0"], [0o40000, "VT1"]]],
  [0o100000, [[0, "FF0"], [0o100000, "FF1"]]],
];
const CBAUD = 0o10017;
const BAUDS: readonly Named[] = [
  [0, "B0"],
  [1, "B50"],
  [2, "B75"],
  [3, "B110"],
  [4, "B134"],
  [5, "B150"],
  [6, "B200"],
  [7, "B300"],
  [8, "B600"],
  [9, "B1200"],
  [10, "B1800"],
  [11, "B2400"],
  [12, "B4800"],
  [13, "B9600"],
  [14, "B19200"],
  [15, "B38400"],
  [0o10001, "B57600"],
  [0o10002, "B115200"],
  [0o10003, "B230400"],
  [0o10004, "B460800"],
];
const CSIZE = 0o60;
const CSIZES: readonly Named[] = [[0, "CS5"], [0o20, "CS6"], [0o40, "CS7"], [0o60, "CS8"]];
const CFLAGS: readonly Named[] = [
  [0o100, "CSTOPB"],
  [0o200, "CREAD"],
  [0o400, "PARENB"],
  [0o1000, "PARODD"],
  [0o2000, "HUPCL"],
  [0o4000, "CLOCAL"],
  [0o20000000000, "CRTSCTS"],
];
const LFLAGS: readonly Named[] = [
  [0o1, "ISIG"],
  [0o2, "ICANON"],
  [0o4, "XCASE"],
  [0o10, "ECHO"],
  [0o20, "ECHOE"],
  [0o40, "ECHOK"],
  [0o100, "ECHONL"],
  [0o200, "NOFLSH"],
  [0o400, "TOSTOP"],
  [0o1000, "ECHOCTL"],
  [0o2000, "ECHOPRT"],
  [0o4000, "ECHOKE"],
  [0o10000, "FLUSHO"],
  [0o40000, "PENDIN"],
  [0o100000, "IEXTEN"],
  [0o200000, "EXTPROC"],
];

const latin1 = new TextDecoder("latin1");

/** qemu's `print_termios` of the 36-byte kernel `struct termios` at `a`. */
function fmtTermios(mem: AddressSpace, a: number): string {
  const v = mem.view;
  const i = BigInt(v.getUint32(a, true)), o = v.getUint32(a + 4, true);
  const c = v.getUint32(a + 8, true), l = BigInt(v.getUint32(a + 12, true));
  let s = `{c_iflag = ${fmtFlags(IFLAGS, i)},c_oflag = `;
  const delayMask = ODELAYS.reduce((m, [mask]) => m | mask, 0);
  s += fmtFlags(OFLAGS, BigInt((o & ~delayMask) >>> 0)) + ",";
  for (const [mask, names] of ODELAYS) if (o & mask) s += fmtEnum(names, BigInt(o & mask)) + ",";
  s += "c_cflag = ";
  if (c & CBAUD) s += fmtEnum(BAUDS, BigInt(c & CBAUD)) + ",";
  if (c & CSIZE) s += fmtEnum(CSIZES, BigInt(c & CSIZE)) + ",";
  s += fmtFlags(CFLAGS, BigInt((c & ~(CBAUD | CSIZE)) >>> 0)) + ",";
  s += `c_lflag = ${fmtFlags(LFLAGS, l)},`;
  const cc = mem.u8.subarray(a + 17, a + 36);
  const nul = cc.indexOf(0);
  s += `c_cc = "${latin1.decode(cc.subarray(0, nul < 0 ? cc.length : nul))}",`;
  s += `c_line = '${String.fromCharCode(mem.u8[a + 16])}'}`;
  return s;
}

/** The structure or integer an ioctl argument points to, or the pointer when unreadable. */
function fmtPointee(type: "int" | "termios" | "winsize", p: bigint, mem: AddressSpace): string {
  const size = type === "int" ? 4 : type === "winsize" ? 8 : 36;
  const a = p >= 0n && p < BigInt(mem.size) ? Number(p) : -1;
  try {
    if (a < 0) throw new RangeError("Unreachable");
    mem.check(a, size, "read");
  } catch {
    return fmtPointer(p);
  }
  if (type === "int") return String(mem.view.getInt32(a, true));
  if (type === "winsize") {
    const w = [0, 2, 4, 6].map((k) => mem.view.getInt16(a + k, true));
    return `{${w.join(",")}}`;
  }
  return fmtTermios(mem, a);
}

function ioctlArgs(args: readonly bigint[], mem: AddressSpace): string {
  const entry = IOCTLS.get(Number(args[1] & 0xffff_ffffn));
  if (entry === undefined || args[1] < 0n || args[1] > 0xffff_ffffn) {
    return `${fmtD(args[0])},${fmtHex32(args[1])},${fmtHex32(args[2])}`;
  }
  const [name, type] = entry;
  let s = `${fmtD(args[0])},${name}`;
  if (type === "int") s += "," + fmtD(args[2]);
  else if (type !== "none") s += "," + (type.dir === "R" ? fmtPointer(args[2]) : fmtPointee(type.type, args[2], mem));
  return s;
}

const ioctlRet: RetFormat = (ret, args, mem) => {
  const entry = IOCTLS.get(Number(args[1] & 0xffff_ffffn));
  const type = entry?.[1];
  if (type === undefined || typeof type === "string" || type.dir !== "R") return String(ret);
  return `${ret} (${fmtPointee(type.type, args[2], mem)})`;
};

/** `-strace` format of `ioctl`. */
export const IOCTL_STRACE: StraceSpec = { args: ioctlArgs, ret: ioctlRet };

function fcntlArgs(args: readonly bigint[], _mem: AddressSpace): string {
  const fd = fmtD(args[0]);
  const arg = args[2];
  const ld = BigInt.asIntN(64, arg).toString();
  switch (args[1]) {
    case 0n:
      return `${fd},F_DUPFD,${ld}`;
    case 1n:
      return `${fd},F_GETFD`;
    case 2n:
      return `${fd},F_SETFD,${ld}`;
    case 3n:
      return `${fd},F_GETFL`;
    case 4n:
      return `${fd},F_SETFL,${fmtOpenFlags(arg)}`;
    case 5n:
      return `${fd},F_GETLK,${fmtPointer(arg)}`;
    case 6n:
      return `${fd},F_SETLK,${fmtPointer(arg)}`;
    case 7n:
      return `${fd},F_SETLKW,${fmtPointer(arg)}`;
    // qemu prints a stray comma after the argument of these two.
    case 8n:
      return `${fd},F_SETOWN,${ld},`;
    case 9n:
      return `${fd},F_GETOWN`;
    case 10n:
      return `${fd},F_SETSIG,${ld},`;
    case 11n:
      return `${fd},F_GETSIG`;
    case 15n:
      return `${fd},F_SETOWN_EX,${fmtPointer(arg)}`;
    case 16n:
      return `${fd},F_GETOWN_EX,${fmtPointer(arg)}`;
    case 36n:
      return `${fd},F_OFD_GETLK,${fmtPointer(arg)}`;
    case 37n:
      return `${fd},F_OFD_SETLK,${fmtPointer(arg)}`;
    case 38n:
      return `${fd},F_OFD_SETLKW,${fmtPointer(arg)}`;
    case 1024n:
      return `${fd},F_SETLEASE,${ld}`;
    case 1025n:
      return `${fd},F_GETLEASE`;
    case 1026n:
      return `${fd},F_NOTIFY,${ld}`;
    case 1030n:
      return `${fd},F_DUPFD_CLOEXEC,${ld}`;
    case 1031n:
      return `${fd},F_SETPIPE_SZ,${ld}`;
    case 1032n:
      return `${fd},F_GETPIPE_SZ`;
    case 1033n:
      return `${fd},F_ADD_SEALS,0x${BigInt.asUintN(64, arg).toString(16).padStart(16, "0")}`;
    case 1034n:
      return `${fd},F_GET_SEALS`;
    default:
      return `${fd},${BigInt.asIntN(64, args[1])},${fmtPointer(arg)}`;
  }
}

/** `-strace` format of `fcntl`. */
export const FCNTL_STRACE: StraceSpec = { args: fcntlArgs };
