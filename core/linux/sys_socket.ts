/**
 * Sockets: `socket`, `socketpair`, `bind`, `listen`, `accept`,
 * `accept4`, `connect`, `getsockname`, `getpeername`, `sendto`,
 * `recvfrom`, `sendmsg`, `recvmsg`, `sendmmsg`, `recvmmsg`, `shutdown`, `setsockopt`,
 * `getsockopt`, for `AF_UNIX`, `AF_INET`, `AF_INET6` and `AF_NETLINK`.
 *
 * Each guest socket is a host socket made through the host C library
 * (`host_socket.ts`, `socket_file.ts`): the host kernel gives the
 * addresses, ports, errors and options, and `read`/`write`/`close`/`poll`/
 * `epoll` work on it like on any other description. Calls that would
 * block wait in plume's scheduler, not in the host (`blockOrFail`).
 *
 * `SCM_RIGHTS` passes a socket as its host descriptor, so the receiver
 * may be any process; any other description (a pipe, a file, an eventfd:
 * plume's own objects, with no host descriptor to pass) travels as a
 * token, a fresh host socket whose inode names the description, which
 * only a guest of the same plume can turn back into it.
 *
 * Socket options go to the host only from a list of known options whose
 * values hold no pointers (the host kernel would read a pointer in the
 * host's address space).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { E, SyscallError } from "./errno.ts";
import { accessiblePrefix, readI32, readStruct, readValidTimespec } from "./guest_struct.ts";
import { HOST } from "./host_socket.ts";
import { POLL } from "./host_poll.ts";
import { HostFile, MAX_RW_COUNT, O_CLOEXEC, O_NONBLOCK, O_RDONLY, type OpenFile } from "./open_file.ts";
import type { Process } from "./process.ts";
import { S_IFDIR, S_IFMT, S_IFREG } from "./stat.ts";
import { RLIMIT_NOFILE } from "./rlimits.ts";
import { sendSignal } from "./signal_delivery.ts";
import { SI_USER, SIGPIPE } from "./signals.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_UNIX,
  formatSockaddr,
  readSockaddr,
  SOCKADDR_MAX,
  writeSockaddr,
} from "./sockaddr.ts";
import { blockOrFail, check, host, hostMsghdr, sendAll, SOCK_DGRAM, SocketFile } from "./socket_file.ts";
import { fmtD, fmtPointer } from "./strace.ts";
import { def, type SyscallDef } from "./syscall_table.ts";
import { Blocked } from "./wait.ts";

/** Type flags of `socket`, `socketpair` and `accept4` (the values of `O_NONBLOCK` and `O_CLOEXEC`). */
const SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC;
/** `SOCK_*` type bits. */
const SOCK_TYPE_MASK = 0xf;
/** Families plume passes to the host. */
const FAMILIES: ReadonlySet<number> = new Set([AF_UNIX, AF_INET, AF_INET6, AF_NETLINK]);

/** `MSG_*` flags plume looks at. */
const MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000, MSG_WAITFORONE = 0x10000;
const MSG_CMSG_CLOEXEC = 0x40000000;
/** `SOL_SOCKET`, and its `SCM_RIGHTS` control message. */
const SOL_SOCKET = 1, SCM_RIGHTS = 1;
/** `sizeof(struct msghdr)` and `sizeof(struct cmsghdr)` on riscv64 (and x86-64). */
const MSGHDR_SIZE = 56, CMSGHDR_SIZE = 16;
/** Linux's `UIO_MAXIOV`. */
const UIO_MAXIOV = 1024;
/** Linux's default `optmem_max`: the most control data one `sendmsg` takes. */
const OPTMEM_MAX = 20480;
/** Largest option value plume copies (Linux's are far smaller; `TCP_INFO` is 248 bytes). */
const OPTVAL_MAX = 4096;

/** Options of `SOL_SOCKET` passed to the host. */
const SOCKET_OPTIONS = {
  SO_DEBUG: 1,
  SO_REUSEADDR: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_DONTROUTE: 5,
  SO_BROADCAST: 6,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_OOBINLINE: 10,
  SO_NO_CHECK: 11,
  SO_PRIORITY: 12,
  SO_LINGER: 13,
  SO_BSDCOMPAT: 14,
  SO_REUSEPORT: 15,
  SO_PASSCRED: 16,
  SO_PEERCRED: 17,
  SO_RCVLOWAT: 18,
  SO_SNDLOWAT: 19,
  SO_RCVTIMEO_OLD: 20,
  SO_SNDTIMEO_OLD: 21,
  SO_BINDTODEVICE: 25,
  SO_TIMESTAMP_OLD: 29,
  SO_ACCEPTCONN: 30,
  SO_PEERSEC: 31,
  SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33,
  SO_PASSSEC: 34,
  SO_TIMESTAMPNS_OLD: 35,
  SO_MARK: 36,
  SO_PROTOCOL: 38,
  SO_DOMAIN: 39,
  SO_RXQ_OVFL: 40,
  SO_PEEK_OFF: 42,
  SO_BUSY_POLL: 46,
  SO_INCOMING_CPU: 49,
  SO_COOKIE: 57,
  SO_ZEROCOPY: 60,
  SO_RCVTIMEO_NEW: 66,
  SO_SNDTIMEO_NEW: 67,
} as const;
/** Options of `IPPROTO_IP`. */
const IP_OPTIONS = {
  IP_TOS: 1,
  IP_TTL: 2,
  IP_HDRINCL: 3,
  IP_OPTIONS: 4,
  IP_RECVOPTS: 6,
  IP_PKTINFO: 8,
  IP_MTU_DISCOVER: 10,
  IP_RECVERR: 11,
  IP_RECVTTL: 12,
  IP_RECVTOS: 13,
  IP_MTU: 14,
  IP_FREEBIND: 15,
  IP_TRANSPARENT: 19,
  IP_BIND_ADDRESS_NO_PORT: 24,
  IP_MULTICAST_IF: 32,
  IP_MULTICAST_TTL: 33,
  IP_MULTICAST_LOOP: 34,
  IP_ADD_MEMBERSHIP: 35,
  IP_DROP_MEMBERSHIP: 36,
  IP_MULTICAST_ALL: 49,
} as const;
/** Options of `IPPROTO_TCP`. */
const TCP_OPTIONS = {
  TCP_NODELAY: 1,
  TCP_MAXSEG: 2,
  TCP_CORK: 3,
  TCP_KEEPIDLE: 4,
  TCP_KEEPINTVL: 5,
  TCP_KEEPCNT: 6,
  TCP_SYNCNT: 7,
  TCP_LINGER2: 8,
  TCP_DEFER_ACCEPT: 9,
  TCP_WINDOW_CLAMP: 10,
  TCP_INFO: 11,
  TCP_QUICKACK: 12,
  TCP_CONGESTION: 13,
  TCP_USER_TIMEOUT: 18,
  TCP_FASTOPEN: 23,
  TCP_NOTSENT_LOWAT: 25,
} as const;
/** Options of `IPPROTO_UDP`. */
const UDP_OPTIONS = { UDP_CORK: 1, UDP_SEGMENT: 103, UDP_GRO: 104 } as const;
/** Options of `IPPROTO_IPV6`. */
const IPV6_OPTIONS = {
  IPV6_UNICAST_HOPS: 16,
  IPV6_MULTICAST_IF: 17,
  IPV6_MULTICAST_HOPS: 18,
  IPV6_MULTICAST_LOOP: 19,
  IPV6_JOIN_GROUP: 20,
  IPV6_LEAVE_GROUP: 21,
  IPV6_MTU_DISCOVER: 23,
  IPV6_MTU: 24,
  IPV6_RECVERR: 25,
  IPV6_V6ONLY: 26,
  IPV6_RECVPKTINFO: 49,
  IPV6_PKTINFO: 50,
  IPV6_RECVTCLASS: 66,
  IPV6_TCLASS: 67,
  IPV6_ADDR_PREFERENCES: 72,
  IPV6_FREEBIND: 78,
} as const;
/** Options of `SOL_NETLINK`. */
const NETLINK_OPTIONS = {
  NETLINK_ADD_MEMBERSHIP: 1,
  NETLINK_DROP_MEMBERSHIP: 2,
  NETLINK_PKTINFO: 3,
  NETLINK_EXT_ACK: 11,
  NETLINK_GET_STRICT_CHK: 12,
} as const;

/**
 * Socket options passed to the host, by level: values that are integers,
 * timevals, addresses, names or plain structures (`linger`, `tcp_info`,
 * `ip_mreq`), never pointers (`SO_ATTACH_FILTER` and the BPF options are
 * left out: the host kernel would follow their pointer in plume's memory).
 */
const KNOWN_OPTIONS: ReadonlyMap<number, ReadonlySet<number>> = new Map<number, ReadonlySet<number>>([
  [SOL_SOCKET, new Set(Object.values(SOCKET_OPTIONS))],
  [0, new Set(Object.values(IP_OPTIONS))], // IPPROTO_IP
  [6, new Set(Object.values(TCP_OPTIONS))], // IPPROTO_TCP
  [17, new Set(Object.values(UDP_OPTIONS))], // IPPROTO_UDP
  [41, new Set(Object.values(IPV6_OPTIONS))], // IPPROTO_IPV6
  [270, new Set(Object.values(NETLINK_OPTIONS))], // SOL_NETLINK
]);
/** `SO_RCVTIMEO`/`SO_SNDTIMEO` (old and new numbers; the same `timeval` on 64-bit). */
const SO_RCVTIMEO: ReadonlySet<number> = new Set([SOCKET_OPTIONS.SO_RCVTIMEO_OLD, SOCKET_OPTIONS.SO_RCVTIMEO_NEW]);
const SO_SNDTIMEO: ReadonlySet<number> = new Set([SOCKET_OPTIONS.SO_SNDTIMEO_OLD, SOCKET_OPTIONS.SO_SNDTIMEO_NEW]);

function nofile(proc: Process): number {
  return proc.rlimits.soft(RLIMIT_NOFILE);
}

/** The socket behind `fd`: `EBADF` when it is not open, `ENOTSOCK` when it is not a socket. */
function socketOf(proc: Process, fd: number): SocketFile {
  const f = proc.fds.get(fd);
  if (!(f instanceof SocketFile)) throw new SyscallError(E.ENOTSOCK, `fd ${fd} is not a socket`);
  return f;
}

/** Installs a new description at the lowest free descriptor; releases it when that fails. */
function installNew(proc: Process, f: OpenFile, cloexec: boolean): number {
  try {
    return proc.fds.install(f, { cloexec, limit: nofile(proc) });
  } catch (err) {
    if (f.refs === 0) f.release();
    throw err;
  }
}

/** Linux's `SIGPIPE` to the sending thread, for a send to a connection whose peer is gone, unless `MSG_NOSIGNAL`. */
function sigpipe(proc: Process, cpu: Cpu, flags: number): () => void {
  const tid = proc.tidOf(cpu);
  return () => {
    if (!(flags & MSG_NOSIGNAL)) {
      sendSignal(proc, { signo: SIGPIPE, code: SI_USER, pid: proc.pid, uid: proc.creds.uid.real, tid });
    }
  };
}

/** Runs a send, raising `SIGPIPE` (see {@link sigpipe}) when it fails with `EPIPE` at once. */
function raisingSigpipe(raise: () => void, op: () => number): number {
  try {
    return op();
  } catch (err) {
    if (err instanceof SyscallError && err.errno === E.EPIPE) raise();
    throw err;
  }
}

/** Checks `socket`-style type flags; returns them. */
function typeFlags(type: number): number {
  const flags = type & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) throw new SyscallError(E.EINVAL, `Bad socket type flags ${flags}`);
  return flags;
}

function sysSocket(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const domain = a[0] | 0, type = a[1] | 0, protocol = a[2] | 0;
  const flags = typeFlags(type);
  if (!FAMILIES.has(domain)) throw new SyscallError(E.EAFNOSUPPORT, `Address family ${domain}`);
  const h = host();
  const fd = check(
    h.socket(domain, (type & SOCK_TYPE_MASK) | HOST.SOCK_NONBLOCK | HOST.SOCK_CLOEXEC, protocol),
    "socket",
  );
  return installNew(proc, new SocketFile(fd, domain, type & SOCK_TYPE_MASK, flags), (flags & SOCK_CLOEXEC) !== 0);
}

function sysSocketpair(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const domain = a[0] | 0, type = a[1] | 0, protocol = a[2] | 0, sv = a[3];
  const flags = typeFlags(type);
  if (!FAMILIES.has(domain)) throw new SyscallError(E.EAFNOSUPPORT, `Address family ${domain}`);
  proc.mem.check(sv, 8, "write");
  const h = host();
  const pair = new Int32Array(2);
  check(
    h.socketpair(domain, (type & SOCK_TYPE_MASK) | HOST.SOCK_NONBLOCK | HOST.SOCK_CLOEXEC, protocol, pair),
    "socketpair",
  );
  const cloexec = (flags & SOCK_CLOEXEC) !== 0;
  const ends = [0, 1].map((i) => new SocketFile(pair[i], domain, type & SOCK_TYPE_MASK, flags));
  const first = installNew(proc, ends[0], cloexec);
  let second: number;
  try {
    second = installNew(proc, ends[1], cloexec);
  } catch (err) {
    proc.fds.close(first);
    throw err;
  }
  proc.mem.writeU32(sv, first);
  proc.mem.writeU32(sv + 4, second);
  return 0;
}

function sysBind(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  return check(host().bind(f.fd, readSockaddr(proc.mem, a[1], a[2] | 0, proc.cwd)), "bind");
}

function sysListen(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  return check(host().listen(f.fd, a[1] | 0), "listen");
}

function accept(proc: Process, a: readonly number[], flags: number): number {
  const f = socketOf(proc, a[0] | 0);
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) throw new SyscallError(E.EINVAL, `Bad accept4 flags ${flags}`);
  const addr = a[1], lenAddr = a[2];
  return blockOrFail(f, f.nonblocking, POLL.IN, f.rcvTimeoutMs, () => {
    const sa = new Uint8Array(SOCKADDR_MAX), len = new Uint32Array([SOCKADDR_MAX]);
    const h = host();
    const fd = check(h.accept4(f.fd, sa, len, HOST.SOCK_NONBLOCK | HOST.SOCK_CLOEXEC), "accept");
    const gfd = installNew(proc, new SocketFile(fd, f.domain, f.type, flags), (flags & SOCK_CLOEXEC) !== 0);
    if (addr !== 0) {
      try {
        writeSockaddr(proc.mem, addr, lenAddr, sa.subarray(0, Math.min(len[0], SOCKADDR_MAX)));
      } catch (err) {
        proc.fds.close(gfd);
        throw err;
      }
    }
    return gfd;
  }, "accept");
}

function sysConnect(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const sa = readSockaddr(proc.mem, a[1], a[2] | 0, proc.cwd);
  const h = host();
  const r = h.connect(f.fd, sa);
  if (r >= 0) return 0;
  if (-r !== E.EINPROGRESS || f.nonblocking) throw new SyscallError(-r, "connect");
  // A blocking connect waits for the handshake, then reports its outcome (SO_ERROR).
  return blockOrFail(f, false, POLL.OUT, f.sndTimeoutMs, () => {
    if (!(f.pollEvents() & (POLL.OUT | POLL.ERR | POLL.HUP))) throw new SyscallError(E.EAGAIN);
    const v = new Uint8Array(4), len = new Uint32Array([4]);
    check(h.getsockopt(f.fd, SOL_SOCKET, HOST.SO_ERROR, v, len), "getsockopt");
    const err = new DataView(v.buffer).getInt32(0, true);
    if (err !== 0) throw new SyscallError(err, "connect");
    return 0;
  }, "connect");
}

function sockName(proc: Process, a: readonly number[], peer: boolean): number {
  const f = socketOf(proc, a[0] | 0);
  const sa = new Uint8Array(SOCKADDR_MAX), len = new Uint32Array([SOCKADDR_MAX]);
  const h = host();
  check(peer ? h.getpeername(f.fd, sa, len) : h.getsockname(f.fd, sa, len), peer ? "getpeername" : "getsockname");
  writeSockaddr(proc.mem, a[1], a[2], sa.subarray(0, Math.min(len[0], SOCKADDR_MAX)));
  return 0;
}

/** A `size_t` length: a negative register value is a huge one. */
function lengthArg(v: number): number {
  return v < 0 ? Number.MAX_SAFE_INTEGER : Math.min(v, MAX_RW_COUNT);
}

function sysSendto(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const flags = a[3] | 0;
  const len = lengthArg(a[2]);
  const src = len === 0 ? new Uint8Array(0) : proc.mem.bytes(a[1], len, "read");
  const sa = a[4] === 0 ? null : readSockaddr(proc.mem, a[4], a[5] | 0, proc.cwd);
  const nonblocking = f.nonblocking || (flags & MSG_DONTWAIT) !== 0;
  const hostFlags = flags | HOST.MSG_DONTWAIT | HOST.MSG_NOSIGNAL;
  const h = host();
  const raise = sigpipe(proc, cpu, flags);
  return raisingSigpipe(
    raise,
    () => sendAll(f, src.length, nonblocking, (done) => h.sendto(f.fd, src.subarray(done), hostFlags, sa), raise),
  );
}

function sysRecvfrom(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const flags = a[3] | 0, addr = a[4], lenAddr = a[5];
  const len = lengthArg(a[2]);
  const dst = len === 0 ? new Uint8Array(0) : accessiblePrefix(proc.mem, a[1], len, "write");
  const nonblocking = f.nonblocking || (flags & MSG_DONTWAIT) !== 0;
  const waitAll = (flags & MSG_WAITALL) !== 0 && f.stream && !nonblocking;
  const hostFlags = (flags & ~MSG_WAITALL) | HOST.MSG_DONTWAIT;
  const h = host();
  let got = 0;
  const finish = (n: number, sa: Uint8Array | null, saLen: number): number => {
    proc.mem.noteWrite(a[1], Math.min(n, dst.length));
    if (addr !== 0 && sa !== null) {
      writeSockaddr(proc.mem, addr, lenAddr, sa.subarray(0, Math.min(saLen, SOCKADDR_MAX)));
    }
    return n;
  };
  return blockOrFail(f, nonblocking, POLL.IN, f.rcvTimeoutMs, () => {
    const sa = addr === 0 ? null : new Uint8Array(SOCKADDR_MAX);
    const saLen = addr === 0 ? null : new Uint32Array([SOCKADDR_MAX]);
    for (;;) {
      let n: number;
      try {
        n = check(h.recvfrom(f.fd, dst.subarray(got), hostFlags, sa, saLen), "recvfrom");
      } catch (err) {
        // MSG_WAITALL returns what came before an error or a signal; EAGAIN means wait for more.
        if (got > 0 && !(err instanceof SyscallError && err.errno === E.EAGAIN)) {
          return finish(got, sa, saLen?.[0] ?? 0);
        }
        throw err;
      }
      if (!waitAll) return finish(n, sa, saLen?.[0] ?? 0);
      got += n;
      if (n === 0 || got >= dst.length) return finish(got, sa, saLen?.[0] ?? 0);
    }
  }, "recvfrom");
}

function sysShutdown(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  return check(host().shutdown(f.fd, a[1] | 0), "shutdown");
}

function knownOption(level: number, name: number): void {
  if (!KNOWN_OPTIONS.get(level)?.has(name)) {
    throw new SyscallError(E.ENOPROTOOPT, `Socket option ${name} of level ${level} is not passed to the host`);
  }
}

function sysSetsockopt(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const level = a[1] | 0, name = a[2] | 0, len = a[4] | 0;
  if (len < 0) throw new SyscallError(E.EINVAL, `Negative option length ${len}`);
  knownOption(level, name);
  const val = proc.mem.readBytes(a[3], Math.min(len, OPTVAL_MAX));
  check(host().setsockopt(f.fd, level, name, val), "setsockopt");
  if (level === SOL_SOCKET && (SO_RCVTIMEO.has(name) || SO_SNDTIMEO.has(name)) && val.length >= 16) {
    const v = new DataView(val.buffer, val.byteOffset, 16);
    const ms = Number(v.getBigInt64(0, true)) * 1000 + Number(v.getBigInt64(8, true)) / 1000;
    const timeout = ms > 0 ? ms : Infinity;
    if (SO_RCVTIMEO.has(name)) f.rcvTimeoutMs = timeout;
    else f.sndTimeoutMs = timeout;
  }
  return 0;
}

function sysGetsockopt(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const level = a[1] | 0, name = a[2] | 0, valAddr = a[3], lenAddr = a[4];
  const len = readI32(proc.mem, lenAddr);
  if (len < 0) throw new SyscallError(E.EINVAL, `Negative option length ${len}`);
  knownOption(level, name);
  const val = new Uint8Array(Math.min(len, OPTVAL_MAX)), outLen = new Uint32Array([val.length]);
  check(host().getsockopt(f.fd, level, name, val, outLen), "getsockopt");
  const n = Math.min(outLen[0], val.length);
  if (n > 0) proc.mem.writeBytes(valAddr, val.subarray(0, n));
  proc.mem.writeU32(lenAddr, n);
  return 0;
}

/** The guest's `struct msghdr` at `addr`. */
interface MsgHdr {
  name: number;
  nameLen: number;
  iov: [number, number][];
  control: number;
  controlLen: number;
}

function readMsghdr(proc: Process, addr: number, access: "read" | "write"): MsgHdr {
  const v = readStruct(proc.mem, addr, MSGHDR_SIZE);
  const name = Number(v.getBigUint64(0, true));
  const nameLen = v.getInt32(8, true);
  if (nameLen < 0) throw new SyscallError(E.EINVAL, `Negative msg_namelen ${nameLen}`);
  const iovAddr = Number(v.getBigUint64(16, true));
  const iovLen = v.getBigUint64(24, true);
  if (iovLen > BigInt(UIO_MAXIOV)) throw new SyscallError(E.EMSGSIZE, `msg_iovlen ${iovLen}`);
  const iov: [number, number][] = [];
  if (iovLen > 0n) {
    const iv = readStruct(proc.mem, iovAddr, Number(iovLen) * 16);
    let total = 0;
    for (let i = 0; i < Number(iovLen); i++) {
      const base = Number(iv.getBigUint64(16 * i, true));
      const len = iv.getBigInt64(16 * i + 8, true);
      if (len < 0n) throw new SyscallError(E.EINVAL, `Negative iov_len ${len}`);
      const take = Math.min(Number(len), MAX_RW_COUNT - total);
      total += take;
      if (take > 0) proc.mem.check(base, take, access);
      iov.push([base, take]);
    }
  }
  const controlLen = v.getBigUint64(40, true);
  if (controlLen > 0x7fff_ffffn) throw new SyscallError(E.ENOBUFS, `msg_controllen ${controlLen}`);
  return {
    name: name === 0 ? 0 : name,
    nameLen: name === 0 ? 0 : Math.min(nameLen, SOCKADDR_MAX),
    iov,
    control: Number(v.getBigUint64(32, true)),
    controlLen: Number(controlLen),
  };
}

/**
 * Descriptions sent as tokens, by the token socket's inode: each holds a
 * reference while in flight.
 */
const tokens = new Map<bigint, OpenFile>();

/** A host descriptor that carries `f` through `SCM_RIGHTS` (to be closed once sent). */
function hostFdFor(f: OpenFile): { fd: number; owned: boolean } {
  if (f instanceof SocketFile) return { fd: f.fd, owned: false };
  const h = host();
  const fd = check(h.socket(AF_UNIX, SOCK_DGRAM | HOST.SOCK_CLOEXEC | HOST.SOCK_NONBLOCK, 0), "socket");
  const st = h.fstat(fd);
  if (typeof st === "number") {
    h.close(fd);
    throw new SyscallError(-st, "fstat");
  }
  f.retain();
  tokens.set(st.ino, f);
  return { fd, owned: true };
}

/**
 * The description a received host descriptor stands for: a token's (with
 * `inFlight`: the caller drops the token's reference once it installed
 * its own), or a new socket.
 */
function fileForHostFd(fd: number): { file: OpenFile; inFlight: boolean } {
  const h = host();
  const st = h.fstat(fd);
  if (typeof st === "object") {
    const f = tokens.get(st.ino);
    if (f !== undefined) {
      tokens.delete(st.ino);
      h.close(fd);
      return { file: f, inFlight: true };
    }
  }
  const int = (opt: number) => {
    const v = new Int32Array(1), len = new Uint32Array([4]);
    return h.getsockopt(fd, SOL_SOCKET, opt, new Uint8Array(v.buffer), len) < 0 ? -1 : v[0];
  };
  const type = int(HOST.SO_TYPE);
  if (type < 0) {
    // Not a socket: a regular file or directory a host program sent is reopened through /proc as a description of
    // plume's own (its offset is then its own); anything else (a pipe, whose reopening could block) is refused.
    try {
      const kind = typeof st === "object" ? st.mode & S_IFMT : 0;
      if (kind !== S_IFREG && kind !== S_IFDIR) {
        throw new SyscallError(E.EOPNOTSUPP, "A host descriptor plume cannot take");
      }
      const flags = h.statusFlags(fd);
      return { file: HostFile.open(`/proc/self/fd/${fd}`, flags < 0 ? O_RDONLY : flags, 0, 0), inFlight: false };
    } finally {
      h.close(fd);
    }
  }
  h.setNonblocking(fd);
  return { file: new SocketFile(fd, int(HOST.SO_DOMAIN), type, 0), inFlight: false };
}

/** The guest's control messages as the host's, with `SCM_RIGHTS` descriptors replaced by host ones. */
function hostControl(proc: Process, m: MsgHdr, owned: number[]): Uint8Array | null {
  if (m.controlLen === 0 || m.control === 0) return null;
  if (m.controlLen > OPTMEM_MAX) throw new SyscallError(E.ENOBUFS, `msg_controllen ${m.controlLen}`);
  const c = proc.mem.readBytes(m.control, m.controlLen);
  const v = new DataView(c.buffer, c.byteOffset, c.length);
  for (let off = 0; off + CMSGHDR_SIZE <= c.length;) {
    const len = Number(v.getBigUint64(off, true));
    if (len < CMSGHDR_SIZE || off + len > c.length) throw new SyscallError(E.EINVAL, `Bad cmsg_len ${len}`);
    if (v.getInt32(off + 8, true) === SOL_SOCKET && v.getInt32(off + 12, true) === SCM_RIGHTS) {
      for (let p = off + CMSGHDR_SIZE; p + 4 <= off + len; p += 4) {
        const { fd, owned: o } = hostFdFor(proc.fds.get(v.getInt32(p, true)));
        if (o) owned.push(fd);
        v.setInt32(p, fd, true);
      }
    }
    off += (len + 7) & ~7;
  }
  return c;
}

function sysSendmsg(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const flags = a[2] | 0;
  const m = readMsghdr(proc, a[1], "read");
  const name = m.name === 0 ? null : readSockaddr(proc.mem, m.name, m.nameLen, proc.cwd);
  const data = m.iov.map(([base, len]) => (len === 0 ? new Uint8Array(0) : proc.mem.bytes(base, len, "read")));
  const total = data.reduce((s, b) => s + b.length, 0);
  const owned: number[] = [];
  const h = host();
  try {
    const control = hostControl(proc, m, owned);
    const nonblocking = f.nonblocking || (flags & MSG_DONTWAIT) !== 0;
    const hostFlags = flags | HOST.MSG_DONTWAIT | HOST.MSG_NOSIGNAL;
    const raise = sigpipe(proc, cpu, flags);
    return raisingSigpipe(raise, () =>
      sendAll(f, total, nonblocking, (done) => {
        // What is left of the buffers after `done` bytes; control messages go with the first bytes only.
        const rest: Uint8Array[] = [];
        let skip = done;
        for (const b of data) {
          if (skip >= b.length) skip -= b.length;
          else {
            rest.push(b.subarray(skip));
            skip = 0;
          }
        }
        return h.sendmsg(f.fd, hostMsghdr(name, rest, done === 0 ? control : null), hostFlags);
      }, raise));
  } finally {
    // The kernel holds its own references to descriptors in flight.
    for (const fd of owned) h.close(fd);
  }
}

function sysRecvmsg(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const f = socketOf(proc, a[0] | 0);
  const flags = a[2] | 0, msgAddr = a[1];
  const m = readMsghdr(proc, msgAddr, "write");
  proc.mem.check(msgAddr, MSGHDR_SIZE, "write");
  const nonblocking = f.nonblocking || (flags & MSG_DONTWAIT) !== 0;
  const hostFlags = (flags & ~MSG_WAITALL) | HOST.MSG_DONTWAIT | MSG_CMSG_CLOEXEC;
  const h = host();
  return blockOrFail(f, nonblocking, POLL.IN, f.rcvTimeoutMs, () => {
    const dst = m.iov.map(([base, len]) => (len === 0 ? new Uint8Array(0) : proc.mem.bytes(base, len, "write")));
    const name = m.name === 0 ? null : new Uint8Array(SOCKADDR_MAX);
    const control = m.control === 0 || m.controlLen === 0 ? null : new Uint8Array(Math.min(m.controlLen, OPTMEM_MAX));
    const msg = hostMsghdr(name, dst, control);
    const n = check(h.recvmsg(f.fd, msg, hostFlags), "recvmsg");
    const v = new DataView(msg.buffer);
    let left = n;
    for (const [base, len] of m.iov) {
      const w = Math.min(left, len);
      if (w > 0) proc.mem.noteWrite(base, w);
      left -= w;
    }
    if (name !== null) {
      writeSockaddr(proc.mem, m.name, msgAddr + 8, name.subarray(0, Math.min(v.getUint32(8, true), SOCKADDR_MAX)));
    }
    const controlUsed = control === null ? 0 : Number(v.getBigUint64(40, true));
    if (control !== null) guestControl(proc, control.subarray(0, controlUsed), (flags & MSG_CMSG_CLOEXEC) !== 0);
    if (controlUsed > 0) proc.mem.writeBytes(m.control, control!.subarray(0, controlUsed));
    proc.mem.writeU64(msgAddr + 40, BigInt(controlUsed));
    // plume always asks the host for MSG_CMSG_CLOEXEC; the guest sees it only if it asked.
    proc.mem.writeU32(msgAddr + 48, (v.getInt32(48, true) & ~MSG_CMSG_CLOEXEC) | (flags & MSG_CMSG_CLOEXEC));
    return n;
  }, "recvmsg");
}

/** `sizeof(struct mmsghdr)`: a `msghdr` and the `msg_len` at 56. */
const MMSGHDR_SIZE = 64;

/**
 * `sendmmsg` and `recvmmsg`: `one(i, flags)` transfers message `i`. The
 * first may block as its single-message call would; later ones do not
 * (`MSG_DONTWAIT`, as `MSG_WAITFORONE` asks for `recvmmsg`), and an error
 * after the first ends the call with the count so far, as Linux does.
 */
function multi(
  proc: Process,
  vec: number,
  vlen: number,
  flags: number,
  one: (at: number, flags: number) => number,
): number {
  const count = Math.min(vlen, UIO_MAXIOV);
  let done = 0;
  const rest = (): number => {
    for (; done < count; done++) {
      const at = vec + done * MMSGHDR_SIZE;
      let n: number;
      try {
        n = one(at, flags | MSG_DONTWAIT);
      } catch (err) {
        if (err instanceof SyscallError || err instanceof Blocked) break;
        throw err;
      }
      proc.mem.writeU32(at + 56, n);
    }
    return done;
  };
  if (count === 0) return 0;
  let first: number;
  try {
    first = one(vec, flags);
  } catch (err) {
    if (!(err instanceof Blocked)) throw err;
    const w = err.waiter;
    throw new Blocked({
      ...w,
      poll(now) {
        const r = w.poll(now);
        if (r === undefined || r < 0) return r;
        proc.mem.writeU32(vec + 56, r);
        done = 1;
        return rest();
      },
      cancel: () => w.cancel(),
    });
  }
  proc.mem.writeU32(vec + 56, first);
  done = 1;
  return rest();
}

function sysSendmmsg(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const fd = a[0] | 0;
  socketOf(proc, fd);
  return multi(proc, a[1], a[2] >>> 0, a[3] | 0, (at, flags) => sysSendmsg(proc, cpu, [fd, at, flags]));
}

function sysRecvmmsg(proc: Process, cpu: Cpu, a: readonly number[]): number {
  const fd = a[0] | 0;
  socketOf(proc, fd);
  // The timeout is checked, not applied: the messages after the first are taken only if already there.
  if (a[4] !== 0) readValidTimespec(proc.mem, a[4]);
  const flags = (a[3] | 0) & ~MSG_WAITFORONE;
  return multi(proc, a[1], a[2] >>> 0, flags, (at, fl) => sysRecvmsg(proc, cpu, [fd, at, fl]));
}

/** Turns received host descriptors in `SCM_RIGHTS` messages into guest ones, in place. */
function guestControl(proc: Process, c: Uint8Array, cloexec: boolean): void {
  const v = new DataView(c.buffer, c.byteOffset, c.length);
  for (let off = 0; off + CMSGHDR_SIZE <= c.length;) {
    const len = Number(v.getBigUint64(off, true));
    if (len < CMSGHDR_SIZE) break;
    if (v.getInt32(off + 8, true) === SOL_SOCKET && v.getInt32(off + 12, true) === SCM_RIGHTS) {
      for (let p = off + CMSGHDR_SIZE; p + 4 <= Math.min(off + len, c.length); p += 4) {
        const hostFd = v.getInt32(p, true);
        let gfd = -1;
        try {
          const { file, inFlight } = fileForHostFd(hostFd);
          try {
            gfd = installNew(proc, file, cloexec);
          } finally {
            if (inFlight) file.drop();
          }
        } catch (err) {
          // Linux stops at the first descriptor it cannot install (MSG_CTRUNC); plume leaves -1 there.
          if (!(err instanceof SyscallError)) throw err;
        }
        v.setInt32(p, gfd, true);
      }
    }
    off += (len + 7) & ~7;
  }
}

/** Interface queries on a socket, each over a `struct ifreq` (40 bytes, no pointers, the same on both sides). */
const IFREQ_GETS: ReadonlySet<number> = new Set([
  0x8910, // SIOCGIFNAME
  0x8913, // SIOCGIFFLAGS
  0x8915, // SIOCGIFADDR
  0x8917, // SIOCGIFDSTADDR
  0x8919, // SIOCGIFBRDADDR
  0x891b, // SIOCGIFNETMASK
  0x891d, // SIOCGIFMETRIC
  0x8921, // SIOCGIFMTU
  0x8927, // SIOCGIFHWADDR
  0x8933, // SIOCGIFINDEX
  0x8942, // SIOCGIFTXQLEN
  0x8970, // SIOCGIFMAP
]);
const IFREQ_SIZE = 40;
const SIOCGIFCONF = 0x8912, SIOCATMARK = 0x8905, SIOCOUTQ = 0x5411;

/**
 * The socket `ioctl`s: interface queries (`SIOCGIF*`, `SIOCGIFCONF`, whose
 * buffer pointer is replaced by a host buffer), `SIOCATMARK` and
 * `SIOCOUTQ`; undefined for requests that are not socket ones (the caller
 * answers those as for any file). Requests that change an interface are
 * not passed (`ENOTTY`, as for an unknown request).
 */
export function socketIoctl(proc: Process, f: SocketFile, req: number, arg: number): number | undefined {
  const h = host();
  if (IFREQ_GETS.has(req)) {
    const ifr = proc.mem.readBytes(arg, IFREQ_SIZE);
    check(h.ioctlBuf(f.fd, req, ifr), "ioctl");
    proc.mem.writeBytes(arg, ifr);
    return 0;
  }
  if (req === SIOCGIFCONF) {
    const v = readStruct(proc.mem, arg, 16);
    const len = v.getInt32(0, true), buf = Number(v.getBigUint64(8, true));
    if (len < 0) throw new SyscallError(E.EINVAL, `Negative ifc_len ${len}`);
    const hostBuf = new Uint8Array(Math.min(len, 1 << 16));
    const ifc = new Uint8Array(16);
    const w = new DataView(ifc.buffer);
    w.setInt32(0, hostBuf.length, true);
    // A null buffer asks for the length only.
    if (buf !== 0) w.setBigUint64(8, hostBuf.length ? h.addressOf(hostBuf) : 0n, true);
    check(h.ioctlBuf(f.fd, req, ifc), "ioctl");
    const got = w.getInt32(0, true);
    if (buf !== 0 && got > 0) proc.mem.writeBytes(buf, hostBuf.subarray(0, Math.min(got, hostBuf.length)));
    proc.mem.writeU32(arg, got);
    return 0;
  }
  if (req === SIOCATMARK || req === SIOCOUTQ) {
    proc.mem.check(arg, 4, "write");
    proc.mem.writeU32(arg, check(h.ioctlInt(f.fd, req), "ioctl"));
    return 0;
  }
  return undefined;
}

/** qemu's `print_socket_domain`. */
function fmtDomain(d: number): string {
  return ({ 1: "PF_UNIX", 2: "PF_INET", 16: "PF_NETLINK", 17: "PF_PACKET" } as Record<number, string>)[d] ?? `${d}`;
}

/** qemu's `print_socket_type`. */
function fmtType(t: number): string {
  const names: Record<number, string> = {
    2: "SOCK_DGRAM",
    1: "SOCK_STREAM",
    3: "SOCK_RAW",
    4: "SOCK_RDM",
    5: "SOCK_SEQPACKET",
    10: "SOCK_PACKET",
  };
  let s = names[t & SOCK_TYPE_MASK] ?? "";
  if (t & SOCK_CLOEXEC) s += "|SOCK_CLOEXEC";
  if (t & SOCK_NONBLOCK) s += "|SOCK_NONBLOCK";
  return s;
}

/** qemu's `print_socket_protocol`. */
function fmtProtocol(domain: number, type: number, p: number): string {
  if (domain === 17 || (domain === AF_INET && type === 10)) return p === 3 ? "ETH_P_ALL" : `${p}`;
  if (domain === AF_NETLINK) {
    const nl: Record<number, string> = {
      0: "NETLINK_ROUTE",
      9: "NETLINK_AUDIT",
      12: "NETLINK_NETFILTER",
      15: "NETLINK_KOBJECT_UEVENT",
      20: "NETLINK_RDMA",
      21: "NETLINK_CRYPTO",
    };
    return nl[p] ?? `${p}`;
  }
  return ({ 0: "IPPROTO_IP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 255: "IPPROTO_RAW" } as Record<number, string>)[p] ??
    `${p}`;
}

/** `socket`, `socketpair`, `bind`, `listen`, `accept`/`accept4`, `connect`, names, transfers, options. */
export const SOCKET_SYSCALLS: readonly SyscallDef[] = [
  def("socket", sysSocket, {
    args: (r) => {
      const d = Number(BigInt.asIntN(32, r[0])), t = Number(BigInt.asIntN(32, r[1]));
      return `${fmtDomain(d)},${fmtType(t)},${fmtProtocol(d, t, Number(BigInt.asIntN(32, r[2])))}`;
    },
  }),
  def("socketpair", sysSocketpair),
  def("bind", sysBind, {
    args: (r, mem) => `${BigInt.asIntN(64, r[0])},${formatSockaddr(mem, r[1], r[2])}`,
  }),
  def("listen", sysListen, { args: ["d", "d"] }),
  def("accept", (p, _c, a) => accept(p, a, 0), {
    args: (r, mem) => {
      let len = "NULL";
      if (r[2] !== 0n) {
        try {
          len = `[${mem.readU32(Number(r[2])) | 0}]`;
        } catch {
          len = "[0]";
        }
      }
      return `${fmtD(r[0])},${fmtPointer(r[1])},${len}`;
    },
  }),
  def("accept4", (p, _c, a) => accept(p, a, a[3] | 0)),
  def("connect", sysConnect, { args: ["d", "x", "d"] }),
  def("getsockname", (p, _c, a) => sockName(p, a, false)),
  def("getpeername", (p, _c, a) => sockName(p, a, true)),
  def("sendto", sysSendto),
  def("recvfrom", sysRecvfrom),
  def("setsockopt", sysSetsockopt),
  def("getsockopt", sysGetsockopt),
  def("shutdown", sysShutdown),
  def("sendmsg", sysSendmsg),
  def("recvmsg", sysRecvmsg, { args: ["d", "p", "x"] }),
  def("sendmmsg", sysSendmmsg),
  def("recvmmsg", sysRecvmmsg),
];
