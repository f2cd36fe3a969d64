import { assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { withEnv } from "./_testing.ts";

const EPOLLIN = 1, EPOLLONESHOT = 1 << 30;

Deno.test(
  "eventfd2 counts, blocks a reader at 0 until another thread posts, and refuses bad flags",
  withEnv((env) => {
    const fd = env.call("eventfd2", 0, 0);
    const buf = env.alloc(8);
    assertEquals(env.call("read", fd, buf, 8), undefined, "blocked at 0");
    const other = env.thread();
    env.mem.writeU64(buf + 0, 4n);
    const src = env.alloc(8);
    env.mem.writeU64(src, 4n);
    assertEquals(env.callOn(other.cpu, "write", fd, src, 8), 8);
    assertEquals(env.poll(), 8);
    assertEquals(env.mem.readU64(buf), 4n);
    assertEquals(env.call("eventfd2", 0, 0x10), -E.EINVAL);
  }),
);

Deno.test(
  "epoll reports ready descriptors with their data, one-shot once, and waits for another thread",
  withEnv((env) => {
    const fds = env.alloc(8);
    env.call("pipe2", fds, 0);
    const r = env.mem.view.getInt32(fds, true), w = env.mem.view.getInt32(fds + 4, true);
    const ep = env.call("epoll_create1", 0);
    const ev = env.alloc(16), out = env.alloc(64);
    env.mem.view.setUint32(ev, EPOLLIN | EPOLLONESHOT, true);
    env.mem.view.setBigUint64(ev + 8, 0x1234n, true);
    assertEquals(env.call("epoll_ctl", ep, 1, r, ev), 0);
    assertEquals(env.call("epoll_pwait", ep, out, 4, 0, 0, 8), 0);
    assertEquals(env.call("epoll_pwait", ep, out, 4, -1, 0, 8), undefined, "blocked");
    const other = env.thread();
    assertEquals(env.callOn(other.cpu, "write", w, env.str("x"), 1), 1);
    assertEquals(env.poll(), 1);
    assertEquals([env.mem.view.getUint32(out, true), env.mem.view.getBigUint64(out + 8, true)], [EPOLLIN, 0x1234n]);
    assertEquals(env.call("epoll_pwait", ep, out, 4, 0, 0, 8), 0, "one-shot: disabled after one report");
    assertEquals(env.call("epoll_ctl", ep, 2, r, 0), 0);
    assertEquals(env.call("epoll_ctl", ep, 2, r, 0), -E.ENOENT);
    assertEquals(env.call("epoll_pwait", r, out, 4, 0, 0, 8), -E.EINVAL, "not an epoll descriptor");
  }),
);
