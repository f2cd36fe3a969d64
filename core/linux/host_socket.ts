/**
 * The host C library's socket calls, through Deno's foreign-function
 * interface: guest sockets are host sockets (see `socket_file.ts`), so
 * that their descriptors, errors and options are the host kernel's own.
 * Deno's `Deno.listen`/`Deno.connect` cannot give that (no `connect` of a
 * UDP socket, no `SO_*` options, no unix datagram sockets, no
 * `SCM_RIGHTS`).
 *
 * Each function returns the C result, or `-errno` when the C call failed,
 * so that callers map failures without asking `errno` themselves. The
 * library is loaded on first use; {@link hostSockets} is null when it
 * cannot be (no `--allow-ffi`, no glibc), and guests then get
 * `EAFNOSUPPORT` from `socket`.
 *
 * Structures crossing this boundary (`sockaddr_*`, `msghdr`, `cmsghdr`,
 * socket option values) have the same layout on x86-64 and riscv64 Linux
 * (both 64-bit little-endian with the generic socket ABI); only `struct
 * stat` differs, which {@link hostFstat} converts.
 *
 * @module
 */

import { hostErrnoValue, openLibc } from "./host_libc.ts";
import type { FileStat } from "./stat.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  recvfrom: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], result: "isize" },
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  // Variadic in C; the third argument is passed as the one fixed one, as x86-64's ABI allows.
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Raw = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let raw: Raw | null | undefined;

function lib(): Raw | null {
  if (raw === undefined) raw = openLibc(SYMBOLS);
  return raw;
}

/** A C result, or `-errno` when it is -1. */
function res(c: Raw, r: number | bigint): number {
  const n = Number(r);
  return n === -1 ? -hostErrnoValue(c) : n;
}

/** Host flag values (x86-64 Linux; equal to riscv64's). */
export const HOST = {
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  F_GETFL: 3,
  F_SETFL: 4,
  O_NONBLOCK: 0o4000,
  FIONREAD: 0x541b,
  SOL_SOCKET: 1,
  SO_ERROR: 4,
  SO_TYPE: 3,
  SO_DOMAIN: 39,
} as const;

/** The socket calls, each returning the C result or `-errno`. */
export interface HostSockets {
  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  bind(fd: number, addr: Uint8Array): number;
  listen(fd: number, backlog: number): number;
  /** `addr` receives the peer's address; `len` holds its capacity and then its length. */
  accept4(fd: number, addr: Uint8Array | null, len: Uint32Array | null, flags: number): number;
  connect(fd: number, addr: Uint8Array): number;
  getsockname(fd: number, addr: Uint8Array, len: Uint32Array): number;
  getpeername(fd: number, addr: Uint8Array, len: Uint32Array): number;
  sendto(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array | null): number;
  recvfrom(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array | null, len: Uint32Array | null): number;
  sendmsg(fd: number, msg: Uint8Array, flags: number): number;
  recvmsg(fd: number, msg: Uint8Array, flags: number): number;
  shutdown(fd: number, how: number): number;
  getsockopt(fd: number, level: number, name: number, val: Uint8Array, len: Uint32Array): number;
  setsockopt(fd: number, level: number, name: number, val: Uint8Array): number;
  close(fd: number): number;
  /** `poll` of one descriptor without waiting: its `revents`. */
  pollNow(fd: number, events: number): number;
  fstat(fd: number): FileStat | number;
  /** `ioctl` with an `int` out-parameter: the value, or `-errno`. */
  ioctlInt(fd: number, req: number): number;
  /** `ioctl` on a structure in `buf` (read and written by the host): the result, or `-errno`. */
  ioctlBuf(fd: number, req: number, buf: Uint8Array): number;
  /** The descriptor's status flags (`F_GETFL`), or `-errno`. */
  statusFlags(fd: number): number;
  /** Makes the host descriptor non-blocking (host sockets always are; the guest's flag is plume's). */
  setNonblocking(fd: number): number;
  /** The address of `buf` as a number, for pointers inside structures passed to C. */
  addressOf(buf: Uint8Array): bigint;
}

let api: HostSockets | null | undefined;

/**
 * The host's socket calls, or null when the C library cannot be loaded.
 *
 * @example A connected pair, and a byte through it
 * ```ts
 * import { hostSockets } from "./host_socket.ts";
 * import { strictEqual } from "node:assert";
 * const h = hostSockets();
 * if (h) {
 *   const sv = new Int32Array(2);
 *   strictEqual(h.socketpair(1, 1, 0, sv), 0); // AF_UNIX, SOCK_STREAM
 *   strictEqual(h.sendto(sv[0], new Uint8Array([7]), 0, null), 1);
 *   const b = new Uint8Array(1);
 *   strictEqual(h.recvfrom(sv[1], b, 0, null, null), 1);
 *   strictEqual(b[0], 7);
 *   h.close(sv[0]);
 *   h.close(sv[1]);
 * }
 * ```
 */
export function hostSockets(): HostSockets | null {
  if (api !== undefined) return api;
  const c = lib();
  if (c === null) return api = null;
  const u8 = (
    a: Int32Array | Uint32Array | null,
  ) => (a === null ? null : new Uint8Array(a.buffer, a.byteOffset, 4 * a.length));
  const pollBuf = new Uint8Array(8);
  const pollView = new DataView(pollBuf.buffer);
  const statBuf = new Uint8Array(144);
  const statView = new DataView(statBuf.buffer);
  const intBuf = new Int32Array(1);
  return api = {
    socket: (d, t, p) => res(c, c.socket(d, t, p)),
    socketpair: (d, t, p, sv) => res(c, c.socketpair(d, t, p, u8(sv))),
    bind: (fd, a) => res(c, c.bind(fd, a, a.length)),
    listen: (fd, b) => res(c, c.listen(fd, b)),
    accept4: (fd, a, l, f) => res(c, c.accept4(fd, a, u8(l), f)),
    connect: (fd, a) => res(c, c.connect(fd, a, a.length)),
    getsockname: (fd, a, l) => res(c, c.getsockname(fd, a, u8(l))),
    getpeername: (fd, a, l) => res(c, c.getpeername(fd, a, u8(l))),
    sendto: (fd, b, f, a) => res(c, c.sendto(fd, b, BigInt(b.length), f, a, a === null ? 0 : a.length)),
    recvfrom: (fd, b, f, a, l) => res(c, c.recvfrom(fd, b, BigInt(b.length), f, a, u8(l))),
    sendmsg: (fd, m, f) => res(c, c.sendmsg(fd, m, f)),
    recvmsg: (fd, m, f) => res(c, c.recvmsg(fd, m, f)),
    shutdown: (fd, how) => res(c, c.shutdown(fd, how)),
    getsockopt: (fd, lv, n, v, l) => res(c, c.getsockopt(fd, lv, n, v, u8(l))),
    setsockopt: (fd, lv, n, v) => res(c, c.setsockopt(fd, lv, n, v, v.length)),
    close: (fd) => res(c, c.close(fd)),
    pollNow(fd, events) {
      pollView.setInt32(0, fd, true);
      pollView.setInt16(4, events, true);
      pollView.setInt16(6, 0, true);
      return c.poll(pollBuf, 1n, 0) < 0 ? 0 : pollView.getUint16(6, true);
    },
    fstat(fd) {
      const r = res(c, c.fstat(fd, statBuf));
      if (r < 0) return r;
      const v = statView;
      const ns = (o: number) => v.getBigInt64(o, true) * 1_000_000_000n + v.getBigInt64(o + 8, true);
      // x86-64's struct stat.
      return {
        dev: v.getBigUint64(0, true),
        ino: v.getBigUint64(8, true),
        nlink: Number(v.getBigUint64(16, true)),
        mode: v.getUint32(24, true),
        uid: v.getUint32(28, true),
        gid: v.getUint32(32, true),
        rdev: v.getBigUint64(40, true),
        size: v.getBigInt64(48, true),
        blksize: Number(v.getBigInt64(56, true)),
        blocks: v.getBigInt64(64, true),
        atimeNs: ns(72),
        mtimeNs: ns(88),
        ctimeNs: ns(104),
        birthtimeNs: null,
      };
    },
    ioctlInt(fd, req) {
      const r = res(c, c.ioctl(fd, BigInt(req), u8(intBuf)));
      return r < 0 ? r : intBuf[0];
    },
    ioctlBuf: (fd, req, buf) => res(c, c.ioctl(fd, BigInt(req), buf)),
    statusFlags: (fd) => res(c, c.fcntl(fd, HOST.F_GETFL, 0)),
    setNonblocking(fd) {
      const fl = res(c, c.fcntl(fd, HOST.F_GETFL, 0));
      return fl < 0 ? fl : res(c, c.fcntl(fd, HOST.F_SETFL, fl | HOST.O_NONBLOCK));
    },
    addressOf: (buf) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf))),
  };
}
