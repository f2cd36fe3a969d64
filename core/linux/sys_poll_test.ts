import { assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { POLL } from "./host_poll.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

function pipe(env: SyscallEnv): [number, number] {
  const fds = env.alloc(8);
  assertEquals(env.call("pipe2", fds, 0), 0);
  return [env.mem.view.getInt32(fds, true), env.mem.view.getInt32(fds + 4, true)];
}

function pollfds(env: SyscallEnv, list: [number, number][]): number {
  const a = env.alloc(8 * list.length);
  list.forEach(([fd, events], i) => {
    env.mem.view.setInt32(a + 8 * i, fd, true);
    env.mem.view.setInt16(a + 8 * i + 4, events, true);
  });
  return a;
}

const revents = (env: SyscallEnv, a: number, i: number) => env.mem.view.getUint16(a + 8 * i + 6, true);

Deno.test(
  "ppoll reports pipe and file readiness, POLLNVAL for closed descriptors, and skips negative ones",
  withEnv((env) => {
    const [r, w] = pipe(env);
    const file = env.call("openat", -100, env.str(env.path("f")), 0o102, 0o644);
    const zero = env.alloc(16);
    const a = pollfds(env, [[r, POLL.IN], [w, POLL.OUT], [file, POLL.IN | POLL.OUT], [99, POLL.IN], [-1, POLL.IN]]);
    assertEquals(env.call("ppoll", a, 5, zero, 0, 8), 3);
    assertEquals([0, 1, 2, 3, 4].map((i) => revents(env, a, i)), [0, POLL.OUT, POLL.IN | POLL.OUT, POLL.NVAL, 0]);
    env.call("close", w);
    assertEquals(env.call("ppoll", a, 1, zero, 0, 8), 1);
    assertEquals(revents(env, a, 0), POLL.HUP, "a closed writer is a hang-up for the reader");
    assertEquals(env.call("ppoll", a, 1, zero, zero, 4), -E.EINVAL, "sigset size");
  }),
);

Deno.test(
  "ppoll blocks until another thread writes, and times out as asked",
  withEnv((env) => {
    const [r, w] = pipe(env);
    const a = pollfds(env, [[r, POLL.IN]]);
    const ts = env.alloc(16);
    env.mem.writeU64(ts, 0n);
    env.mem.writeU64(ts + 8, 5_000_000n);
    // The deadline lies 5 ms after some moment between t0 and t1 (a busy machine can make that more than 1 ms).
    const t0 = performance.now();
    assertEquals(env.call("ppoll", a, 1, ts, 0, 8), undefined);
    const t1 = performance.now();
    assertEquals(env.poll(env.cpu, t0 + 4.9), undefined);
    assertEquals(env.poll(env.cpu, t1 + 5.1), 0, "timeout");
    assertEquals(env.call("ppoll", a, 1, 0, 0, 8), undefined, "no timeout");
    const writer = env.thread();
    assertEquals(env.callOn(writer.cpu, "write", w, env.str("x"), 1), 1);
    assertEquals(env.poll(), 1);
    assertEquals(revents(env, a, 0), POLL.IN | POLL.RDNORM & POLL.IN);
  }),
);

Deno.test(
  "pselect6 fills the sets with the ready descriptors and refuses closed ones",
  withEnv((env) => {
    const [r, w] = pipe(env);
    const set = (fds: number[]) => {
      const a = env.alloc(16);
      for (const fd of fds) env.mem.u8[a + (fd >> 3)] |= 1 << (fd & 7);
      return a;
    };
    const rd = set([r]), wr = set([w, r]);
    const zero = env.alloc(16);
    assertEquals(env.call("write", w, env.str("y"), 1), 1);
    assertEquals(env.call("pselect6", Math.max(r, w) + 1, rd, wr, 0, zero, 0), 2);
    assertEquals(env.mem.u8[rd] & (1 << r), 1 << r);
    assertEquals(env.mem.u8[wr] & ((1 << w) | (1 << r)), 1 << w, "the read end is never writable");
    const bad = set([40]);
    assertEquals(env.call("pselect6", 41, bad, 0, 0, zero, 0), -E.EBADF);
  }),
);

Deno.test(
  "ppoll with a signal mask installs it while waiting and saves the old one",
  withEnv((env) => {
    const [r] = pipe(env);
    const a = pollfds(env, [[r, POLL.IN]]);
    const mask = env.alloc(8);
    env.mem.writeU64(mask, 1n << 9n);
    const t = env.proc.thread(env.cpu);
    t.blocked = 1n;
    assertEquals(env.call("ppoll", a, 1, 0, mask, 8), undefined);
    assertEquals([t.blocked, t.savedMask], [1n << 9n, 1n]);
  }),
);
