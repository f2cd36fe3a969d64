import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { withEnv } from "./_testing.ts";

const WAIT = 0, WAKE = 1, CMP_REQUEUE = 4, WAKE_OP = 5, WAIT_BITSET = 9, PRIVATE = 128;

Deno.test(
  "futex wakes nobody and refuses to wait on a changed word",
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
  }),
);

Deno.test(
  "futex waits out a timeout when the word matches",
  withEnv((env) => {
    const word = env.alloc(8), ts = env.alloc(16);
    env.mem.writeU32(word, 7);
    env.mem.writeU64(ts, 0n);
    env.mem.writeU64(ts + 8, 2_000_000n);
    const t0 = performance.now();
    assertEquals(env.call("futex", word, WAIT, 7, ts), -E.ETIMEDOUT);
    assert(performance.now() - t0 >= 1.9);
    assertEquals(env.call("futex", word, WAIT_BITSET, 7, ts, 0, 0), -E.EINVAL);
    // An absolute monotonic deadline long past: no sleep.
    assertEquals(env.call("futex", word, WAIT_BITSET, 7, ts, 0, -1), -E.ETIMEDOUT);
    // Nothing could ever wake an untimed wait.
    assertEquals(env.call("futex", word, WAIT, 7, 0), -E.EAGAIN);
  }),
);

Deno.test(
  "futex FUTEX_WAKE_OP applies its operation to the second word",
  withEnv((env) => {
    const a = env.alloc(8), b = env.alloc(8);
    env.mem.writeU32(b, 6);
    // op ADD (1), oparg 3, compare ignored.
    assertEquals(env.call("futex", a, WAKE_OP, 1, 1, b, (1 << 28) | (3 << 12)), 0);
    assertEquals(env.mem.readU32(b), 9);
    // op OR with oparg as a shift (8 | 2): sets bit 4.
    assertEquals(env.call("futex", a, WAKE_OP, 1, 1, b, ((8 | 2) << 28) | (4 << 12)), 0);
    assertEquals(env.mem.readU32(b), 25);
  }),
);

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
  }),
);
