import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { wakeOp } from "./sys_futex.ts";
import { withEnv } from "./_testing.ts";

const WAIT = 0, WAKE = 1, REQUEUE = 3, CMP_REQUEUE = 4, WAKE_OP = 5, WAIT_BITSET = 9, WAKE_BITSET = 10;
const PRIVATE = 128, CLOCK_REALTIME = 256;

Deno.test(
  "futex refuses bad words, commands and values without blocking",
  withEnv((env) => {
    const word = env.alloc(8);
    env.mem.writeU32(word, 5);
    assertEquals(env.call("futex", word, WAKE | PRIVATE, 1), 0);
    assertEquals(env.call("futex", word, WAIT | PRIVATE, 4, 0), -E.EAGAIN);
    assertEquals(env.call("futex", word, CMP_REQUEUE, 1, 0, word, 4), -E.EAGAIN);
    assertEquals(env.call("futex", word, CMP_REQUEUE, 1, 0, word, 5), 0);
    assertEquals(env.call("futex", word + 2, WAKE, 1), -E.EINVAL);
    assertEquals(env.call("futex", 0x3000000, WAKE, 1), -E.EFAULT);
    assertEquals(env.call("futex", word, 6, 0), -E.ENOSYS);
    assertEquals(env.call("futex", word, WAKE | CLOCK_REALTIME, 1), -E.ENOSYS);
    assertEquals(env.call("futex", word, WAIT_BITSET, 5, 0, 0, 0), -E.EINVAL);
    assertEquals(env.call("futex", word, WAKE_BITSET, 1, 0, 0, 0), -E.EINVAL);
  }),
);

Deno.test(
  "futex wait blocks until a wake from another thread",
  withEnv((env) => {
    const word = env.alloc(8);
    env.mem.writeU32(word, 7);
    const other = env.thread();
    assertEquals(env.call("futex", word, WAIT | PRIVATE, 7, 0), undefined);
    assertEquals(env.proc.futexes.waiters(word), 1);
    assertEquals(env.poll(), undefined);
    assertEquals(env.callOn(other.cpu, "futex", word, WAKE | PRIVATE, 10), 1);
    assertEquals(env.poll(), 0);
    assertEquals(env.proc.futexes.waiters(word), 0);
  }),
);

Deno.test(
  "futex timeouts: relative for FUTEX_WAIT, absolute for FUTEX_WAIT_BITSET",
  withEnv((env) => {
    const word = env.alloc(8), ts = env.alloc(16);
    env.mem.writeU32(word, 7);
    env.mem.writeU64(ts, 0n);
    env.mem.writeU64(ts + 8, 2_000_000n);
    const t0 = performance.now();
    assertEquals(env.call("futex", word, WAIT, 7, ts), undefined);
    assertEquals(env.poll(env.cpu, t0 + 1), undefined);
    assertEquals(env.poll(env.cpu, t0 + 2.5), -E.ETIMEDOUT);
    assertEquals(env.proc.futexes.waiters(word), 0, "a timed-out waiter leaves the queue");
    // An absolute monotonic deadline long past: no wait at all.
    assertEquals(env.call("futex", word, WAIT_BITSET, 7, ts, 0, -1), -E.ETIMEDOUT);
    env.mem.writeU64(ts + 8, 1_000_000_000n);
    assertEquals(env.call("futex", word, WAIT, 7, ts), -E.EINVAL);
  }),
);

Deno.test(
  "futex wake by bitset wakes only matching waiters, oldest first",
  withEnv((env) => {
    const word = env.alloc(8);
    const a = env.thread(), b = env.thread(), c = env.thread();
    assertEquals(env.callOn(a.cpu, "futex", word, WAIT_BITSET, 0, 0, 0, 0b01), undefined);
    assertEquals(env.callOn(b.cpu, "futex", word, WAIT_BITSET, 0, 0, 0, 0b10), undefined);
    assertEquals(env.callOn(c.cpu, "futex", word, WAIT, 0, 0), undefined);
    assertEquals(env.call("futex", word, WAKE_BITSET, 10, 0, 0, 0b10), 2);
    assertEquals([env.poll(a.cpu), env.poll(b.cpu), env.poll(c.cpu)], [undefined, 0, 0]);
    assertEquals(env.call("futex", word, WAKE, 10), 1);
    assertEquals(env.poll(a.cpu), 0);
  }),
);

Deno.test(
  "futex requeue wakes some and moves the rest to the second word",
  withEnv((env) => {
    const w1 = env.alloc(8), w2 = env.alloc(8);
    env.mem.writeU32(w1, 3);
    const ts = [env.thread(), env.thread(), env.thread(), env.thread()];
    for (const t of ts) assertEquals(env.callOn(t.cpu, "futex", w1, WAIT, 3, 0), undefined);
    // CMP_REQUEUE: val3 (a5) must match the first word.
    assertEquals(env.call("futex", w1, CMP_REQUEUE, 1, 2, w2, 4), -E.EAGAIN);
    assertEquals(env.call("futex", w1, CMP_REQUEUE, 1, 2, w2, 3), 3);
    assertEquals([env.proc.futexes.waiters(w1), env.proc.futexes.waiters(w2)], [1, 2]);
    assertEquals(env.poll(ts[0].cpu), 0);
    assertEquals(env.call("futex", w1, REQUEUE, 0, 5, w2), 1);
    assertEquals(env.call("futex", w2, WAKE, 3), 3);
    for (const t of ts.slice(1)) assertEquals(env.poll(t.cpu), 0);
  }),
);

Deno.test(
  "futex FUTEX_WAKE_OP changes the second word and wakes its waiters when the comparison holds",
  withEnv((env) => {
    const a = env.alloc(8), b = env.alloc(8);
    env.mem.writeU32(b, 6);
    const t = env.thread();
    assertEquals(env.callOn(t.cpu, "futex", b, WAIT, 6, 0), undefined);
    // op ADD (1) 3, compare EQ (0) with 7: old value 6 does not match, nobody on b is woken.
    assertEquals(env.call("futex", a, WAKE_OP, 1, 1, b, (1 << 28) | (3 << 12) | 7), 0);
    assertEquals(env.mem.readU32(b), 9);
    // op OR with oparg as a shift (8 | 2) 4, compare GT (4) with 0: wakes.
    assertEquals(env.call("futex", a, WAKE_OP, 1, 1, b, ((8 | 2) << 28) | (4 << 24) | (4 << 12)), 1);
    assertEquals(env.mem.readU32(b), 25);
    assertEquals(env.poll(t.cpu), 0);
  }),
);

Deno.test("wakeOp sign-extends its 12-bit fields and compares the old value signed", () => {
  const cases: [op: number, cmp: number, oparg: number, cmparg: number, old: number, want: number, holds: boolean][] = [
    [0, 0, 0xfff, 0, 5, -1, false], // SET -1; 5 == 0
    [1, 2, 0x800, 0, 0, -2048, false], // ADD -2048; 0 < 0
    [3, 5, 1, 0xfff, -3, -4, false], // ANDN 1; -3 >= -1
    [4, 1, 0xff, 5, 5, 0xfa, false], // XOR 0xff; 5 != 5
    [2, 3, 2, 0x7ff, -5, -5, true], // OR 2; -5 <= 2047
    [1, 4, 1, 0xffe, -1, 0, true], // ADD 1; -1 > -2
    [8 | 2, 0, 31, 0, 0, -2147483648, true], // OR 1 << 31; 0 == 0
  ];
  for (const [op, cmp, oparg, cmparg, old, want, holds] of cases) {
    const word = new Int32Array([old]);
    const mem = { check() {}, noteWrite() {}, view: new DataView(word.buffer) } as unknown as Parameters<
      typeof wakeOp
    >[0];
    const got = wakeOp(mem, 0, (op << 28) | (cmp << 24) | (oparg << 12) | cmparg);
    assertEquals([word[0], got], [want, holds], `op ${op} cmp ${cmp} oparg ${oparg} cmparg ${cmparg} old ${old}`);
  }
});

Deno.test(
  "futex prints as qemu does, with the fifth argument twice",
  withEnv((env) => {
    env.proc.strace = true;
    const word = env.alloc(8);
    env.call("futex", 0, 0, 0, 0, 0, 0);
    env.call("futex", word, WAKE | PRIVATE, 2147483647, 0, 0, 0);
    env.call("futex", 0x123456789, 0x123456789, 0x123456789, 0, 0, 0);
    const lines = env.log().split("\n");
    assertEquals(lines[0], "4242 futex(NULL,FUTEX_WAIT,0,NULL,NULL,0) = -1 errno=14 (Bad address)");
    assertEquals(
      lines[1],
      `4242 futex(0x${word.toString(16).padStart(16, "0")},FUTEX_PRIVATE_FLAG|FUTEX_WAKE,2147483647,NULL,NULL,0) = 0`,
    );
    assertEquals(
      lines[2],
      "4242 futex(0x0000000123456789,0x23456789,591751049,NULL,NULL,0) = -1 errno=22 (Invalid argument)",
    );
    assert(env.proc.futexes.size === 0);
  }),
);
