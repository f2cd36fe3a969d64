import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { POLL } from "./host_poll.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

const AF_UNIX = 1, AF_INET = 2, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000;

function pair(env: SyscallEnv, type = SOCK_STREAM): [number, number] {
  const sv = env.alloc(8);
  assertEquals(env.call("socketpair", AF_UNIX, type, 0, sv), 0);
  return [env.mem.view.getInt32(sv, true), env.mem.view.getInt32(sv + 4, true)];
}

/** A `struct msghdr` over one iovec of `len` bytes at `buf`, with optional control bytes. */
function msghdr(env: SyscallEnv, buf: number, len: number, control?: Uint8Array, iovlen = 1): number {
  const iov = env.alloc(16);
  env.mem.writeU64(iov, BigInt(buf));
  env.mem.writeU64(iov + 8, BigInt(len));
  const m = env.alloc(56);
  env.mem.writeU64(m + 16, BigInt(iov));
  env.mem.writeU64(m + 24, BigInt(iovlen));
  if (control) {
    env.mem.writeU64(m + 32, BigInt(env.bytes(control)));
    env.mem.writeU64(m + 40, BigInt(control.length));
  }
  return m;
}

Deno.test(
  "sockets: a read from an empty socket blocks its thread until the peer writes; non-blocking ones get EAGAIN",
  withEnv((env) => {
    const [a, b] = pair(env);
    const buf = env.alloc(16);
    assertEquals(env.call("read", a, buf, 16), undefined, "blocked");
    assertEquals(env.poll(), undefined);
    assertEquals(env.call("fcntl", b, 4, SOCK_NONBLOCK), 0);
    assertEquals(env.callOn(env.thread().cpu, "read", b, buf, 16), -E.EAGAIN);
    assertEquals(env.callOn(env.thread().cpu, "write", b, env.str("hi"), 2), 2);
    let r: number | undefined;
    for (let i = 0; i < 100 && r === undefined; i++) r = env.poll();
    assertEquals(r, 2);
    assertEquals(env.text(buf, 2), "hi");
  }),
);

Deno.test(
  "sockets: hostile arguments give errors, not exceptions",
  withEnv((env) => {
    const [a] = pair(env);
    assertEquals(env.call("socket", 12345, SOCK_STREAM, 0), -E.EAFNOSUPPORT);
    assertEquals(env.call("socket", AF_INET, SOCK_STREAM | 0x10000, 0), -E.EINVAL);
    assertEquals(env.call("bind", a, 8, 16), -E.EFAULT);
    assertEquals(env.call("bind", a, env.alloc(8), -1), -E.EINVAL);
    assertEquals(env.call("connect", a, env.alloc(8), 4096), -E.EINVAL);
    assertEquals(env.call("getsockname", a, env.alloc(16), 8), -E.EFAULT);
    assertEquals(env.call("bind", 0, env.alloc(16), 16), -E.ENOTSOCK);
    assertEquals(env.call("listen", 999, 1), -E.EBADF);
    const len = env.alloc(4);
    env.mem.writeU32(len, 4);
    assertEquals(
      env.call("getsockopt", a, 1, 26, env.alloc(16), len),
      -E.ENOPROTOOPT,
      "SO_ATTACH_FILTER holds a pointer",
    );
    assertEquals(env.call("setsockopt", a, 1, 26, env.alloc(16), 16), -E.ENOPROTOOPT);
    env.mem.writeU32(len, 0x7fff_ffff);
    assertEquals(env.call("getsockopt", a, 1, 3, env.alloc(8), len), 0, "a huge length is capped");
    assertEquals(env.mem.readU32(len), 4);
    assertEquals(env.call("sendmsg", a, 8, 0), -E.EFAULT);
    assertEquals(env.call("sendmsg", a, msghdr(env, env.alloc(4), 4, undefined, 5000), 0), -E.EMSGSIZE);
    assertEquals(env.call("sendmsg", a, msghdr(env, 8, 4), 0), -E.EFAULT, "iovec base unmapped");
    const badCmsg = new Uint8Array(24);
    new DataView(badCmsg.buffer).setBigUint64(0, 1000n, true);
    assertEquals(env.call("sendmsg", a, msghdr(env, env.alloc(4), 4, badCmsg), 0), -E.EINVAL, "cmsg_len past the end");
    const badFd = new Uint8Array(24);
    const v = new DataView(badFd.buffer);
    v.setBigUint64(0, 20n, true);
    v.setInt32(8, 1, true);
    v.setInt32(12, 1, true);
    v.setInt32(16, 777, true);
    assertEquals(env.call("sendmsg", a, msghdr(env, env.alloc(4), 4, badFd), 0), -E.EBADF, "SCM_RIGHTS of a closed fd");
    assertEquals(env.call("recvmsg", a, msghdr(env, 8, 4), SOCK_NONBLOCK >> 5), -E.EFAULT);
  }),
);

Deno.test(
  "sockets: SCM_RIGHTS carries a pipe within one plume",
  withEnv((env) => {
    const [a, b] = pair(env, SOCK_DGRAM);
    const fds = env.alloc(8);
    assertEquals(env.call("pipe2", fds, 0), 0);
    const r = env.mem.view.getInt32(fds, true), w = env.mem.view.getInt32(fds + 4, true);
    const c = new Uint8Array(24);
    const v = new DataView(c.buffer);
    v.setBigUint64(0, 20n, true);
    v.setInt32(8, 1, true);
    v.setInt32(12, 1, true);
    v.setInt32(16, w, true);
    assertEquals(env.call("sendmsg", a, msghdr(env, env.str("x"), 1, c), 0), 1);
    assertEquals(env.call("close", w), 0);
    const m = msghdr(env, env.alloc(8), 8, new Uint8Array(24));
    assertEquals(env.call("recvmsg", b, m, 0), 1);
    const control = Number(env.mem.readU64(m + 32));
    const got = env.mem.view.getInt32(control + 16, true);
    assert(got >= 0 && got !== r && got !== a && got !== b, `a new descriptor, got ${got}`);
    assertEquals(env.call("write", got, env.str("via"), 3), 3);
    assertEquals(env.call("close", got), 0);
    const buf = env.alloc(8);
    assertEquals(env.call("read", r, buf, 8), 3);
    assertEquals(env.call("read", r, buf, 8), 0, "the last write end is closed");
  }),
);

Deno.test(
  "sockets: ppoll sees a socket readable once its peer writes",
  withEnv((env) => {
    const [a, b] = pair(env);
    const p = env.alloc(8);
    env.mem.view.setInt32(p, a, true);
    env.mem.view.setInt16(p + 4, POLL.IN, true);
    const zero = env.alloc(16);
    assertEquals(env.call("ppoll", p, 1, zero, 0, 8), 0);
    assertEquals(env.call("write", b, env.str("z"), 1), 1);
    assertEquals(env.call("ppoll", p, 1, zero, 0, 8), 1);
    assertEquals(env.mem.view.getUint16(p + 6, true) & POLL.IN, POLL.IN);
  }),
);

Deno.test(
  "sockets: readv of a datagram socket fills its buffers from one datagram",
  withEnv((env) => {
    const [a, b] = pair(env, SOCK_DGRAM);
    assertEquals(env.call("write", a, env.str("abcdef"), 6), 6);
    assertEquals(env.call("write", a, env.str("gh"), 2), 2);
    const x = env.alloc(8), y = env.alloc(8);
    const iov = env.alloc(32);
    env.mem.writeU64(iov, BigInt(x));
    env.mem.writeU64(iov + 8, 4n);
    env.mem.writeU64(iov + 16, BigInt(y));
    env.mem.writeU64(iov + 24, 8n);
    assertEquals(env.call("readv", b, iov, 2), 6);
    assertEquals(env.text(x, 4) + env.text(y, 2), "abcdef");
    assertEquals(env.call("readv", b, iov, 2), 2, "the next datagram");
    assertEquals(env.text(x, 2), "gh");
  }),
);
