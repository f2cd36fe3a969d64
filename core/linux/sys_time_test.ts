import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { monotonicNs, realtimeNs } from "./sys_time.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";
import { interruptBlockedCall } from "./syscalls.ts";

function timespecNs(env: SyscallEnv, addr: number): bigint {
  return env.mem.view.getBigInt64(addr, true) * 1_000_000_000n + env.mem.view.getBigInt64(addr + 8, true);
}

function writeTimespec(env: SyscallEnv, addr: number, sec: number, nsec: number): void {
  env.mem.view.setBigInt64(addr, BigInt(sec), true);
  env.mem.view.setBigInt64(addr + 8, BigInt(nsec), true);
}

Deno.test("realtimeNs agrees with Date.now and monotonicNs never goes back", () => {
  assert(Math.abs(Number(realtimeNs() / 1_000_000n) - Date.now()) < 50);
  let prev = monotonicNs();
  for (let i = 0; i < 1000; i++) {
    const now = monotonicNs();
    assert(now >= prev);
    prev = now;
  }
});

Deno.test(
  "clock_gettime reads every Linux clock and refuses unknown ones",
  withEnv((env) => {
    const ts = env.alloc(16);
    for (const clock of [0, 1, 2, 3, 4, 5, 6, 7, 11]) {
      assertEquals(env.call("clock_gettime", clock, ts), 0, `clock ${clock}`);
      assert(timespecNs(env, ts) > 0n, `clock ${clock}`);
      assert(env.mem.view.getBigInt64(ts + 8, true) < 1_000_000_000n);
    }
    assertEquals(env.call("clock_gettime", 0, ts), 0);
    assert(env.mem.view.getBigInt64(ts, true) > 1_577_836_800n);
    for (const clock of [8, 9, 10, 12, 99]) assertEquals(env.call("clock_gettime", clock, ts), -E.EINVAL);
    // The CPU clock of the calling thread, as glibc builds it (pid 0, per thread, SCHED).
    assertEquals(env.call("clock_gettime", -2, ts), 0);
    assertEquals(env.call("clock_gettime", 1, 0x3000000), -E.EFAULT);
  }),
);

Deno.test(
  "clock_getres gives 1 ns, the tick for coarse clocks, and accepts a null pointer",
  withEnv((env) => {
    const ts = env.alloc(16);
    assertEquals(env.call("clock_getres", 1, ts), 0);
    assertEquals(timespecNs(env, ts), 1n);
    assertEquals(env.call("clock_getres", 6, ts), 0);
    assertEquals(timespecNs(env, ts), 4_000_000n);
    assertEquals(env.call("clock_getres", 0, 0), 0);
    assertEquals(env.call("clock_getres", 42, ts), -E.EINVAL);
  }),
);

Deno.test(
  "gettimeofday fills the time and a zero timezone",
  withEnv((env) => {
    const tv = env.alloc(16), tz = env.alloc(8);
    env.mem.view.setInt32(tz, 77, true);
    assertEquals(env.call("gettimeofday", tv, tz), 0);
    assert(Math.abs(Number(env.mem.view.getBigInt64(tv, true)) - Date.now() / 1000) < 2);
    assert(env.mem.view.getBigInt64(tv + 8, true) < 1_000_000n);
    assertEquals(env.mem.view.getInt32(tz, true), 0);
    assertEquals(env.call("gettimeofday", 0, 0), 0);
  }),
);

Deno.test(
  "nanosleep and clock_nanosleep block the thread until the time has passed",
  withEnv((env) => {
    const req = env.alloc(16), rem = env.alloc(16);
    writeTimespec(env, req, 0, 3_000_000);
    const t0 = performance.now();
    assertEquals(env.call("nanosleep", req, rem), undefined);
    // The sleep ends 3 ms after the call, which began after t0: not over before t0 + 3, surely over a second later (a
    // poll at t0 + 3.5 failed on a loaded machine, the call having started more than 0.5 ms after t0).
    assertEquals(env.poll(env.cpu, t0 + 1), undefined);
    assertEquals(env.poll(env.cpu, t0 + 2.9), undefined);
    assertEquals(env.poll(env.cpu, performance.now() + 1000), 0);
    assertEquals(env.call("clock_nanosleep", 1, 0, req, 0), undefined);
    assertEquals(env.poll(env.cpu, performance.now() + 1000), 0);
    // Absolute time in the past: no sleep.
    writeTimespec(env, req, 1, 0);
    assertEquals(env.call("clock_nanosleep", 1, 1, req, 0), 0);
    writeTimespec(env, req, 0, 0);
    assertEquals(env.call("nanosleep", req, 0), 0, "a zero sleep returns at once");
    writeTimespec(env, req, 0, 1_000_000_000);
    assertEquals(env.call("nanosleep", req, 0), -E.EINVAL);
    writeTimespec(env, req, -1, 0);
    assertEquals(env.call("nanosleep", req, 0), -E.EINVAL);
    assertEquals(env.call("nanosleep", 0, 0), -E.EFAULT);
    // The calling thread's CPU clock has no sleep in Linux (qemu-riscv64 answers the system call so); an unknown clock
    // is invalid.
    assertEquals(env.call("clock_nanosleep", 3, 0, req, 0), -E.EOPNOTSUPP);
    assertEquals(env.call("clock_nanosleep", 99, 0, req, 0), -E.EINVAL);
  }),
);

Deno.test(
  "an interrupted nanosleep writes the time left to rem",
  withEnv((env) => {
    const req = env.alloc(16), rem = env.alloc(16);
    writeTimespec(env, req, 10, 0);
    assertEquals(env.call("nanosleep", req, rem), undefined);
    const t = env.proc.thread(env.cpu);
    interruptBlockedCall(env.proc, t, false);
    assertEquals(env.cpu.getXNumber(10), -E.EINTR);
    const left = Number(env.mem.readU64(rem)) + Number(env.mem.readU64(rem + 8)) / 1e9;
    assert(left > 9.9 && left <= 10, `${left} s left`);
  }),
);

Deno.test(
  "times and getrusage report the process's CPU time",
  withEnv((env) => {
    const tms = env.alloc(32), ru = env.alloc(144);
    assert(env.call("times", tms) > 0);
    assert(env.call("times", 0) > 0);
    assertEquals(env.call("getrusage", 0, ru), 0);
    const userUs = Number(env.mem.view.getBigInt64(ru, true)) * 1e6 + Number(env.mem.view.getBigInt64(ru + 8, true));
    assert(userUs > 0);
    assert(env.mem.view.getBigInt64(ru + 32, true) > 0n);
    assertEquals(env.call("getrusage", -1, ru), 0);
    assertEquals(env.mem.view.getBigInt64(ru, true), 0n);
    assertEquals(env.call("getrusage", 5, ru), -E.EINVAL);
  }),
);

Deno.test(
  "timer_settime from a hostile guest: the largest times are KTIME_MAX, bad times and pointers are errors, a timer id out of range is EINVAL",
  withEnv((env) => {
    const id = env.alloc(4), spec = env.alloc(32), cur = env.alloc(32);
    assertEquals(env.call("timer_create", 1, 0, id), 0);
    const timer = env.mem.view.getInt32(id, true);
    // Interval and value of 2^63 - 1 seconds and 999,999,999 ns: armed, reported as KTIME_MAX (not a wrapped time).
    for (const at of [spec, spec + 16]) {
      env.mem.view.setBigInt64(at, 2n ** 63n - 1n, true);
      env.mem.view.setBigInt64(at + 8, 999_999_999n, true);
    }
    assertEquals(env.call("timer_settime", timer, 0, spec, 0), 0);
    assertEquals(env.call("timer_gettime", timer, cur), 0);
    assertEquals(timespecNs(env, cur + 16), 2n ** 63n - 1n);
    assertEquals(timespecNs(env, cur), 2n ** 63n - 1n);
    // Negative nanoseconds or seconds, an unmapped old-value pointer, a wild id.
    writeTimespec(env, spec + 16, 1, -1);
    assertEquals(env.call("timer_settime", timer, 0, spec, 0), -E.EINVAL);
    writeTimespec(env, spec + 16, -1, 0);
    assertEquals(env.call("timer_settime", timer, 0, spec, 0), -E.EINVAL);
    writeTimespec(env, spec, 0, 0);
    writeTimespec(env, spec + 16, 1, 0);
    assertEquals(env.call("timer_settime", timer, 0, spec, 0x3000000), -E.EFAULT);
    for (const wild of [-1, 2 ** 31 - 1, 12345]) {
      assertEquals(env.call("timer_settime", wild, 0, spec, 0), -E.EINVAL, `timer ${wild}`);
      assertEquals(env.call("timer_gettime", wild, cur), -E.EINVAL);
      assertEquals(env.call("timer_getoverrun", wild), -E.EINVAL);
      assertEquals(env.call("timer_delete", wild), -E.EINVAL);
    }
    assertEquals(env.call("timer_delete", timer), 0);
  }),
);
