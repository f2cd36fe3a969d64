import { assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { SI_TKILL, SI_USER } from "./signals.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

/** Writes a riscv64 kernel struct sigaction; returns its address. */
function sigaction(env: SyscallEnv, handler: bigint, flags: bigint, mask: bigint): number {
  const a = env.alloc(24);
  env.mem.writeU64(a, handler);
  env.mem.writeU64(a + 8, flags);
  env.mem.writeU64(a + 16, mask);
  return a;
}

Deno.test(
  "rt_sigaction stores a disposition and returns the old one",
  withEnv((env) => {
    const act = sigaction(env, 0x10000n, 0x4000000n, (1n << 8n) | (1n << 1n));
    const old = env.alloc(24);
    assertEquals(env.call("rt_sigaction", 2, act, old, 8), 0);
    assertEquals(env.mem.readU64(old), 0n);
    assertEquals(env.call("rt_sigaction", 2, 0, old, 8), 0);
    // SIGKILL's bit is dropped from the handler's mask.
    assertEquals([env.mem.readU64(old), env.mem.readU64(old + 8), env.mem.readU64(old + 16)], [
      0x10000n,
      0x4000000n,
      2n,
    ]);
    const cases: [number, number, number, number][] = [
      [9, act, 0, 8],
      [19, act, 0, 8],
      [0, 0, old, 8],
      [65, 0, old, 8],
      [2, act, 0, 4],
    ];
    for (const [sig, a, o, size] of cases) assertEquals(env.call("rt_sigaction", sig, a, o, size), -E.EINVAL);
    // Reading SIGKILL's disposition is allowed.
    assertEquals(env.call("rt_sigaction", 9, 0, old, 8), 0);
    assertEquals(env.call("rt_sigaction", 2, 0x3000000, 0, 8), -E.EFAULT);
  }),
);

Deno.test(
  "rt_sigprocmask blocks, unblocks and sets, never SIGKILL or SIGSTOP",
  withEnv((env) => {
    const set = env.alloc(8), old = env.alloc(8);
    env.mem.writeU64(set, (1n << 1n) | (1n << 8n) | (1n << 18n));
    assertEquals(env.call("rt_sigprocmask", 0, set, old, 8), 0);
    assertEquals(env.mem.readU64(old), 0n);
    env.mem.writeU64(set, 1n << 1n);
    assertEquals(env.call("rt_sigprocmask", 1, set, old, 8), 0);
    assertEquals(env.mem.readU64(old), 2n);
    assertEquals(env.call("rt_sigprocmask", 2, 0, old, 8), 0);
    assertEquals(env.mem.readU64(old), 0n);
    assertEquals(env.call("rt_sigprocmask", 7, set, 0, 8), -E.EINVAL);
    assertEquals(env.call("rt_sigprocmask", 7, 0, 0, 8), 0);
    assertEquals(env.call("rt_sigprocmask", 0, set, 0, 16), -E.EINVAL);
  }),
);

Deno.test(
  "sigaltstack stores the alternate stack and reports it",
  withEnv((env) => {
    const ss = env.alloc(24), old = env.alloc(24);
    assertEquals(env.call("sigaltstack", 0, old), 0);
    assertEquals(env.mem.readU32(old + 8), 2);
    env.mem.writeU64(ss, 0x200000n);
    env.mem.writeU32(ss + 8, 0);
    env.mem.writeU64(ss + 16, 8192n);
    assertEquals(env.call("sigaltstack", ss, old), 0);
    assertEquals(env.call("sigaltstack", 0, old), 0);
    assertEquals([env.mem.readU64(old), env.mem.readU32(old + 8), env.mem.readU64(old + 16)], [0x200000n, 0, 8192n]);
    // Running on it: reported, and it cannot be changed.
    env.cpu.setXNumber(2, 0x201000);
    assertEquals(env.call("sigaltstack", 0, old), 0);
    assertEquals(env.mem.readU32(old + 8), 1);
    assertEquals(env.call("sigaltstack", ss, 0), -E.EPERM);
    env.cpu.setXNumber(2, 0x100000);
    env.mem.writeU64(ss + 16, 1024n);
    assertEquals(env.call("sigaltstack", ss, 0), -E.ENOMEM);
    env.mem.writeU32(ss + 8, 5);
    assertEquals(env.call("sigaltstack", ss, 0), -E.EINVAL);
  }),
);

Deno.test(
  "kill, tkill and tgkill to the guest itself queue the signal",
  withEnv((env) => {
    const seen: number[] = [];
    env.proc.signals.onRaise = (s) => seen.push(s.signo);
    assertEquals(env.call("kill", 4242, 10), 0);
    assertEquals(env.call("kill", 0, 12), 0);
    assertEquals(env.call("kill", 4242, 0), 0);
    assertEquals(env.call("tkill", 4242, 6), 0);
    assertEquals(env.call("tgkill", 4242, 4242, 15), 0);
    // A standard signal already pending is not queued again; one that is ignored by default is dropped.
    assertEquals(env.call("kill", 4242, 10), 0);
    assertEquals(env.call("kill", 4242, 17), 0);
    assertEquals(seen, [10, 12, 6, 15]);
    const p = [...env.proc.signals.pending], t = [...env.proc.thread(env.cpu).pending];
    assertEquals([p[0].code, p[0].pid, p[0].tid], [SI_USER, 4242, 0]);
    assertEquals([t[0].signo, t[0].code, t[0].tid], [6, SI_TKILL, 4242]);
    assertEquals(env.proc.signals.count, 4);
    const pending = env.alloc(8), set = env.alloc(8);
    assertEquals(env.call("rt_sigpending", pending, 8), 0);
    assertEquals(env.mem.readU64(pending), 0n);
    // A raised signal that is blocked shows as pending.
    env.mem.writeU64(set, 1n << 9n);
    assertEquals(env.call("rt_sigprocmask", 0, set, 0, 8), 0);
    assertEquals(env.call("rt_sigpending", pending, 8), 0);
    assertEquals(env.mem.readU64(pending), 1n << 9n);
    assertEquals(env.call("rt_sigpending", pending, 9), -E.EINVAL);
  }),
);

Deno.test(
  "kill and friends refuse bad arguments and other processes",
  withEnv((env) => {
    const cases: [string, number[], number][] = [
      ["kill", [4242, 65], -E.EINVAL],
      ["kill", [4242, -1], -E.EINVAL],
      ["kill", [999999, 0], -E.ESRCH],
      ["kill", [1, 0], -E.ESRCH],
      ["kill", [-12345, 0], -E.ESRCH],
      ["tkill", [0, 1], -E.EINVAL],
      ["tkill", [999999, 1], -E.ESRCH],
      ["tgkill", [4242, 0, 1], -E.EINVAL],
      ["tgkill", [1, 4242, 1], -E.ESRCH],
    ];
    for (const [name, args, want] of cases) {
      assertEquals(env.call(name as "kill", ...args), want, `${name}(${args})`);
    }
    assertEquals(env.proc.signals.pending.length, 0);
  }),
);
