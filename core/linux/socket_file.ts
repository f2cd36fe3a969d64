/**
 * A guest socket: an open file description over a host socket
 * (`host_socket.ts`). The host descriptor is always non-blocking and
 * close-on-exec; whether the guest's description blocks is plume's own
 * `O_NONBLOCK` flag. A call that would block fails on the host with
 * `EAGAIN`, and {@link blockOrFail} turns that into a wait of the calling
 * guest thread (the scheduler sleeps in a host `poll` on the socket when
 * every thread waits), so that a blocked socket never stops the other
 * guest threads and processes.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { HOST, type HostSockets, hostSockets } from "./host_socket.ts";
import { POLL } from "./host_poll.ts";
import { O_NONBLOCK, O_RDWR, OpenFile } from "./open_file.ts";
import { type FileStat, S_IFSOCK } from "./stat.ts";
import { Blocked } from "./wait.ts";

/** `SOCK_STREAM`. */
const SOCK_STREAM = 1;
/** `SOCK_DGRAM`. */
export const SOCK_DGRAM = 2;

/** `POLLRDHUP`: the peer shut its writing half down (what `EPOLLRDHUP` asks for). */
const POLLRDHUP = 0x2000;

/** The host calls, which exist whenever a socket does. */
export function host(): HostSockets {
  const h = hostSockets();
  if (h === null) throw new SyscallError(E.EAFNOSUPPORT, "The host C library cannot be loaded");
  return h;
}

/** Throws the `SyscallError` of a negative C result; returns a non-negative one. */
export function check(r: number, what: string): number {
  if (r < 0) throw new SyscallError(-r, what);
  return r;
}

/**
 * A socket description.
 *
 * @example A socketpair's two ends
 * ```ts
 * import { SocketFile } from "./socket_file.ts";
 * import { hostSockets } from "./host_socket.ts";
 * import { strictEqual } from "node:assert";
 * const h = hostSockets();
 * if (h) {
 *   const sv = new Int32Array(2);
 *   h.socketpair(1, 1 | 0o4000 | 0o2000000, 0, sv);
 *   const a = new SocketFile(sv[0], 1, 1, 0), b = new SocketFile(sv[1], 1, 1, 0);
 *   strictEqual(a.write(new Uint8Array([1, 2])), 2);
 *   strictEqual(b.read(new Uint8Array(4)), 2);
 *   a.release();
 *   b.release();
 * }
 * ```
 */
export class SocketFile extends OpenFile {
  /** The host descriptor (non-blocking, close-on-exec). */
  readonly fd: number;
  /** `AF_*` family. */
  readonly domain: number;
  /** `SOCK_*` type (without flags). */
  readonly type: number;
  /** `SO_RCVTIMEO` in ms (Infinity: none); the host socket never blocks, so plume keeps it. */
  rcvTimeoutMs = Infinity;
  /** `SO_SNDTIMEO` in ms. */
  sndTimeoutMs = Infinity;
  private closed = false;

  /**
   * @param fd host descriptor (owned from now on)
   * @param domain `AF_*`
   * @param type `SOCK_*` without flags
   * @param flags guest status flags (`O_NONBLOCK`)
   */
  constructor(fd: number, domain: number, type: number, flags: number) {
    const st = hostSockets()?.fstat(fd);
    super(O_RDWR | (flags & O_NONBLOCK), `socket:[${typeof st === "object" ? st.ino : 0}]`);
    this.fd = fd;
    this.domain = domain;
    this.type = type;
  }

  /** True when the guest's description is non-blocking. */
  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }

  /** True for a byte stream (partial transfers continue). */
  get stream(): boolean {
    return this.type === SOCK_STREAM;
  }

  read(dst: Uint8Array): number {
    if (dst.length === 0 && this.stream) return 0;
    return check(host().recvfrom(this.fd, dst, HOST.MSG_DONTWAIT, null, null), "recv");
  }

  /** Sends all of `src` (a blocking stream socket waits for room as often as needed). */
  write(src: Uint8Array): number {
    const h = host();
    const flags = HOST.MSG_DONTWAIT | HOST.MSG_NOSIGNAL;
    return sendAll(this, src.length, this.nonblocking, (done) => h.sendto(this.fd, src.subarray(done), flags, null));
  }

  /**
   * Reads into several buffers with one host `recvmsg` (`readv`): one
   * datagram fills them in turn, as Linux's `readv` of a datagram socket
   * does, rather than one datagram each.
   */
  readVector(dsts: Uint8Array[]): number {
    return check(host().recvmsg(this.fd, hostMsghdr(null, dsts, null), HOST.MSG_DONTWAIT), "recvmsg");
  }

  override pollEvents(): number {
    if (this.closed) return POLL.NVAL;
    return host().pollNow(this.fd, POLL.IN | POLL.OUT | POLL.PRI | POLL.RDNORM | POLL.WRNORM | POLL.RDBAND | POLLRDHUP);
  }

  override waitable(): boolean {
    return true;
  }

  override hostPollFd(): number | undefined {
    return this.fd;
  }

  override signalsReadiness(): boolean {
    return true;
  }

  override available(): number {
    return check(host().ioctlInt(this.fd, HOST.FIONREAD), "FIONREAD");
  }

  stat(): FileStat {
    const st = host().fstat(this.fd);
    if (typeof st === "number") throw new SyscallError(-st, "fstat");
    return { ...st, mode: S_IFSOCK | (st.mode & 0o7777) };
  }

  override release(): void {
    if (this.closed) return;
    this.closed = true;
    host().close(this.fd);
  }
}

/** A host `struct msghdr` over host buffers (`addressOf` gives C their addresses). */
export function hostMsghdr(name: Uint8Array | null, iov: Uint8Array[], control: Uint8Array | null): Uint8Array {
  const h = host();
  const iovs = new Uint8Array(16 * Math.max(iov.length, 1));
  const iv = new DataView(iovs.buffer);
  iov.forEach((b, i) => {
    iv.setBigUint64(16 * i, b.length ? h.addressOf(b) : 0n, true);
    iv.setBigUint64(16 * i + 8, BigInt(b.length), true);
  });
  const msg = new Uint8Array(56 + 16 * Math.max(iov.length, 1));
  msg.set(iovs, 56);
  const v = new DataView(msg.buffer);
  if (name !== null && name.length > 0) {
    v.setBigUint64(0, h.addressOf(name), true);
    v.setUint32(8, name.length, true);
  }
  v.setBigUint64(16, h.addressOf(msg.subarray(56)), true);
  v.setBigUint64(24, BigInt(iov.length), true);
  if (control !== null && control.length > 0) {
    v.setBigUint64(32, h.addressOf(control), true);
    v.setBigUint64(40, BigInt(control.length), true);
  }
  return msg;
}

/** True for a `SyscallError` with `EAGAIN`. */
function isAgain(err: unknown): boolean {
  return err instanceof SyscallError && err.errno === E.EAGAIN;
}

/**
 * Runs `attempt` now; if it fails with `EAGAIN` and the call may block,
 * the calling thread waits until `events` hold on the socket (or the
 * timeout passes: `EAGAIN`, as Linux's `SO_RCVTIMEO` gives) and tries
 * again.
 *
 * @param f the socket
 * @param nonblocking the call must not block (`O_NONBLOCK`, `MSG_DONTWAIT`)
 * @param events poll events that let the call go on
 * @param timeoutMs the socket's timeout for this direction
 * @param attempt the call, throwing `SyscallError` (`EAGAIN`: not yet)
 */
export function blockOrFail(
  f: SocketFile,
  nonblocking: boolean,
  events: number,
  timeoutMs: number,
  attempt: () => number,
  what: string,
): number {
  try {
    return attempt();
  } catch (err) {
    if (!isAgain(err) || nonblocking) throw err;
  }
  const deadline = performance.now() + timeoutMs;
  throw new Blocked({
    what: `${what} on ${f.path}`,
    deadline,
    restart: "restart",
    hostFds: [{ fd: f.fd, events: events & (POLL.IN | POLL.OUT | POLL.PRI) }],
    poll(now) {
      if (f.pollEvents() & (events | POLL.ERR | POLL.HUP | POLL.NVAL)) {
        try {
          return attempt();
        } catch (err) {
          if (!isAgain(err)) throw err;
        }
      }
      return now >= deadline ? -E.EAGAIN : undefined;
    },
    cancel() {},
  });
}

/**
 * Sends `total` bytes with `sendAt(done)`, which sends from offset `done`
 * and returns the count or `-errno` (a full buffer is the common case of a
 * fast sender: no exception for it). A stream socket that may block goes
 * on until everything is sent, as Linux's blocking `send` does; otherwise
 * the first partial count is the result. An error after some bytes went
 * returns the count (the error shows on the next call). `onEpipe` raises
 * `SIGPIPE` for a peer that goes away while the call waits (the caller
 * raises it for a failure right away).
 */
export function sendAll(
  f: SocketFile,
  total: number,
  nonblocking: boolean,
  sendAt: (done: number) => number,
  onEpipe?: () => void,
): number {
  let done = 0;
  /** The result (a count or `-errno`) when the call is over, or undefined when it must wait for room. */
  const step = (): number | undefined => {
    for (;;) {
      const n = sendAt(done);
      if (n >= 0) {
        done += n;
        if (!f.stream || done >= total || nonblocking) return done;
      } else if (n !== -E.EAGAIN || nonblocking) return done > 0 ? done : n;
      else return undefined;
    }
  };
  const first = step();
  if (first !== undefined) return check(first, "send");
  const deadline = performance.now() + f.sndTimeoutMs;
  throw new Blocked({
    what: `send on ${f.path}`,
    deadline,
    restart: "restart",
    hostFds: [{ fd: f.fd, events: POLL.OUT }],
    poll(now) {
      if (f.pollEvents() & (POLL.OUT | POLL.ERR | POLL.HUP | POLL.NVAL)) {
        const r = step();
        if (r === -E.EPIPE) onEpipe?.();
        if (r !== undefined) return r;
      }
      if (now >= deadline) return done > 0 ? done : -E.EAGAIN;
      return undefined;
    },
    cancel() {},
    partial: () => done > 0 ? done : undefined,
  });
}
