import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { RLIM_INFINITY } from "./rlimits.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

function cstr(env: SyscallEnv, addr: number, max: number): string {
  const b = env.mem.readBytes(addr, max);
  return new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
}

Deno.test(
  "exit_group sets the exit status modulo 256",
  withEnv((env) => {
    env.call("exit_group", 300);
    assertEquals(env.proc.exitStatus, 44);
  }),
);

Deno.test(
  "exit of the last thread ends the process and clears its tid word",
  withEnv((env) => {
    const word = env.alloc(8);
    env.mem.writeU32(word, 1234);
    assertEquals(env.call("set_tid_address", word), env.proc.pid);
    env.call("exit", 7);
    assertEquals(env.proc.exitStatus, 7);
    assertEquals(env.mem.readU32(word), 0);
  }),
);

Deno.test(
  "id calls report the guest's credentials",
  withEnv((env) => {
    const { uid, gid } = env.proc.creds;
    assertEquals(env.call("getpid"), 4242);
    assertEquals(env.call("gettid"), 4242);
    assertEquals(env.call("getppid"), Deno.ppid);
    assertEquals([env.call("getuid"), env.call("geteuid")], [uid.real, uid.effective]);
    assertEquals([env.call("getgid"), env.call("getegid")], [gid.real, gid.effective]);
    const r = env.alloc(4), e = env.alloc(4), s = env.alloc(4);
    assertEquals(env.call("getresuid", r, e, s), 0);
    assertEquals([env.mem.readU32(r), env.mem.readU32(e), env.mem.readU32(s)], [uid.real, uid.effective, uid.saved]);
    assertEquals(env.call("getresgid", r, e, 0x3000000), -E.EFAULT);
    const n = env.call("getgroups", 0, 0);
    assertEquals(n, env.proc.creds.groups.length);
    const list = env.alloc(4 * (n + 1));
    assertEquals(env.call("getgroups", n + 1, list), n);
    assertEquals(env.call("getgroups", -1, list), -E.EINVAL);
  }),
);

Deno.test(
  "set*id calls follow the unprivileged rules and change what get*id report",
  withEnv((env) => {
    const { uid } = env.proc.creds;
    uid.real = 1000;
    uid.effective = 1001;
    uid.saved = 1001;
    assertEquals(env.call("setuid", 1000), 0);
    assertEquals(env.call("geteuid"), 1000);
    assertEquals(env.call("setuid", 0), -E.EPERM);
    assertEquals(env.call("setuid", -1), -E.EINVAL);
    assertEquals(env.call("setreuid", -1, 1001), 0);
    assertEquals(env.call("geteuid"), 1001);
    assertEquals(env.call("setresuid", 1001, -1, -1), 0);
    assertEquals(env.call("getuid"), 1001);
    assertEquals(env.call("setfsuid", -1), 1001);
    assertEquals(env.call("setgroups", 0, 0), -E.EPERM);
    assertEquals(env.call("setgroups", 70000, 0), -E.EINVAL);
  }),
);

Deno.test(
  "uname reports Linux on riscv64 with the host's names",
  withEnv((env) => {
    const u = env.alloc(6 * 65);
    assertEquals(env.call("uname", u), 0);
    assertEquals(cstr(env, u, 65), "Linux");
    assertEquals(cstr(env, u + 4 * 65, 65), "riscv64");
    assert(cstr(env, u + 65, 65).length > 0);
    assert(/^\d+\.\d+/.test(cstr(env, u + 2 * 65, 65)));
    assertEquals(env.call("uname", 0), -E.EFAULT);
  }),
);

Deno.test(
  "sysinfo reports uptime, memory and a unit of 1",
  withEnv((env) => {
    const si = env.alloc(112);
    assertEquals(env.call("sysinfo", si), 0);
    const v = env.mem.view;
    assert(v.getBigInt64(si, true) > 0n);
    assert(v.getBigUint64(si + 32, true) >= v.getBigUint64(si + 40, true));
    assert(v.getBigUint64(si + 32, true) > 0n);
    assertEquals(v.getUint32(si + 104, true), 1);
  }),
);

Deno.test(
  "prlimit64, getrlimit and setrlimit keep soft <= hard and never raise hard",
  withEnv((env) => {
    const old = env.alloc(16), lim = env.alloc(16);
    assertEquals(env.call("getrlimit", 3, old), 0);
    const soft = env.mem.view.getBigUint64(old, true), hard = env.mem.view.getBigUint64(old + 8, true);
    assert(soft > 0n && soft <= hard);
    env.mem.view.setBigUint64(lim, 1n << 20n, true);
    env.mem.view.setBigUint64(lim + 8, hard, true);
    assertEquals(env.call("prlimit64", 0, 3, lim, old), 0);
    assertEquals(env.mem.view.getBigUint64(old, true), soft);
    assertEquals(env.call("getrlimit", 3, old), 0);
    assertEquals(env.mem.view.getBigUint64(old, true), 1n << 20n);
    env.mem.view.setBigUint64(lim, 2n << 20n, true);
    env.mem.view.setBigUint64(lim + 8, 1n << 20n, true);
    assertEquals(env.call("setrlimit", 3, lim), -E.EINVAL);
    if (hard !== RLIM_INFINITY) {
      env.mem.view.setBigUint64(lim, 1n, true);
      env.mem.view.setBigUint64(lim + 8, hard + 1n, true);
      assertEquals(env.call("setrlimit", 3, lim), -E.EPERM);
    }
    assertEquals(env.call("getrlimit", 16, old), -E.EINVAL);
    assertEquals(env.call("prlimit64", 999999, 3, 0, old), -E.ESRCH);
  }),
);

Deno.test(
  "robust lists and affinity answer for the one thread and CPU",
  withEnv((env) => {
    const head = env.alloc(24), p = env.alloc(8), l = env.alloc(8), mask = env.alloc(128);
    assertEquals(env.call("set_robust_list", head, 24), 0);
    assertEquals(env.call("set_robust_list", head, 16), -E.EINVAL);
    assertEquals(env.call("get_robust_list", 0, p, l), 0);
    assertEquals([env.mem.readU64(p), env.mem.readU64(l)], [BigInt(head), 24n]);
    assertEquals(env.call("sched_getaffinity", 0, 128, mask), 8);
    assertEquals(env.mem.readU64(mask), 1n);
    assertEquals(env.call("sched_getaffinity", 0, 4, mask), -E.EINVAL);
    assertEquals(env.call("sched_getaffinity", 999999, 128, mask), -E.ESRCH);
    assertEquals(env.call("sched_setaffinity", 0, 8, mask), 0);
    env.mem.writeU64(mask, 2n);
    assertEquals(env.call("sched_setaffinity", 0, 8, mask), -E.EINVAL);
    assertEquals(env.call("sched_yield"), 0);
  }),
);

Deno.test(
  "getpriority and setpriority keep the nice value, lowering it is refused",
  withEnv((env) => {
    assertEquals(env.call("getpriority", 0, 0), 20);
    assertEquals(env.call("setpriority", 0, 0, 5), 0);
    assertEquals(env.call("getpriority", 0, 0), 15);
    assertEquals(env.call("setpriority", 0, 0, 0), -E.EACCES);
    assertEquals(env.call("getpriority", 3, 0), -E.EINVAL);
    assertEquals(env.call("getpriority", 0, 999999), -E.ESRCH);
  }),
);

Deno.test(
  "prctl sets and gets the thread name, truncated to 15 bytes",
  withEnv((env) => {
    env.proc.exePath = "/usr/bin/busybox";
    const buf = env.alloc(16);
    assertEquals(env.call("prctl", 16, buf), 0);
    assertEquals(cstr(env, buf, 16), "busybox");
    assertEquals(env.call("prctl", 15, env.str("a-rather-long-thread-name")), 0);
    assertEquals(env.call("prctl", 16, buf), 0);
    assertEquals(cstr(env, buf, 16), "a-rather-long-t");
    // PR_SET_NO_NEW_PRIVS takes 1 and nothing else; then PR_GET_NO_NEW_PRIVS says so. An unknown option is EINVAL.
    assertEquals(env.call("prctl", 38, 2), -E.EINVAL);
    assertEquals(env.call("prctl", 38, 1), 0);
    assertEquals(env.call("prctl", 39), 1);
    assertEquals(env.call("prctl", 1000), -E.EINVAL);
    // Hostile arguments: a signal beyond 64, a flag other than 0 or 1, a result pointer outside the guest's memory.
    assertEquals(env.call("prctl", 1, 65), -E.EINVAL);
    assertEquals(env.call("prctl", 4, 2), -E.EINVAL);
    assertEquals(env.call("prctl", 2, 0x3000000), -E.EFAULT);
    assertEquals(env.call("prctl", 3), 1, "PR_GET_DUMPABLE unchanged by the refused set");
    assertEquals(env.call("prctl", 15, 0x3000000), -E.EFAULT);
  }),
);

Deno.test(
  "membarrier answers QUERY and needs registration for private expedited",
  withEnv((env) => {
    assertEquals(env.call("membarrier", 0, 0), 1023);
    assertEquals(env.call("membarrier", 1, 0), 0);
    assertEquals(env.call("membarrier", 8, 0), -E.EPERM);
    assertEquals(env.call("membarrier", 16, 0), 0);
    assertEquals(env.call("membarrier", 8, 0), 0);
    assertEquals(env.call("membarrier", 3, 0), -E.EINVAL);
  }),
);

Deno.test(
  "getrandom fills the buffer and checks its flags",
  withEnv((env) => {
    const buf = env.alloc(256);
    assertEquals(env.call("getrandom", buf, 256, 0), 256);
    assert(env.mem.readBytes(buf, 256).some((b) => b !== 0));
    assertEquals(env.call("getrandom", buf, 0, 0), 0);
    assertEquals(env.call("getrandom", buf, 16, 6), -E.EINVAL);
    assertEquals(env.call("getrandom", 0x3000000, 16, 0), -E.EFAULT);
  }),
);

Deno.test(
  "getcpu, personality and wait4 answer as a childless single-CPU process",
  withEnv((env) => {
    const c = env.alloc(4);
    assertEquals(env.call("getcpu", c, 0, 0), 0);
    assertEquals(env.mem.readU32(c), 0);
    assertEquals(env.call("personality", 0xffffffff), 0);
    assertEquals(env.call("personality", 0x0040000), 0);
    assertEquals(env.call("personality", 0xffffffff), 0x0040000);
    assertEquals(env.call("wait4", -1, 0, 0, 0), -E.ECHILD);
    assertEquals(env.call("wait4", -1, 0, 0x100, 0), -E.EINVAL);
  }),
);

Deno.test(
  "sched_* calls describe SCHED_OTHER at priority 0 and refuse real-time policies",
  withEnv((env) => {
    const prio = env.alloc(8), ts = env.alloc(16);
    assertEquals(env.call("sched_getscheduler", 0), 0);
    assertEquals(env.call("sched_getparam", 0, prio), 0);
    assertEquals(env.mem.readU32(prio), 0);
    assertEquals(env.call("sched_setparam", 0, prio), 0);
    assertEquals(env.call("sched_setscheduler", 0, 3, prio), 0, "SCHED_BATCH");
    env.mem.writeU32(prio, 10);
    assertEquals(env.call("sched_setscheduler", 0, 1, prio), -E.EPERM, "SCHED_FIFO");
    assertEquals(env.call("sched_setparam", 0, prio), -E.EINVAL);
    assertEquals([env.call("sched_get_priority_max", 1), env.call("sched_get_priority_min", 2)], [99, 1]);
    assertEquals([env.call("sched_get_priority_max", 0), env.call("sched_get_priority_min", 9)], [0, -E.EINVAL]);
    assertEquals(env.call("sched_rr_get_interval", 0, ts), 0);
    assertEquals(env.mem.readU64(ts + 8), 100_000_000n);
    assertEquals(env.call("sched_getparam", 999999, prio), -E.ESRCH);
  }),
);

Deno.test(
  "waitid finds no child; mincore reports mapped pages resident",
  withEnv((env) => {
    assertEquals(env.call("waitid", 0, 0, env.alloc(128), 4), -E.ECHILD);
    assertEquals(env.call("waitid", 7, 0, 0, 4), -E.EINVAL);
    const vec = env.alloc(16);
    assertEquals(env.call("mincore", env.scratch, 8192, vec), 0);
    assertEquals([...env.mem.readBytes(vec, 2)], [1, 1]);
    assertEquals(env.call("mincore", env.scratch + 1, 4096, vec), -E.EINVAL);
    assertEquals(env.call("mincore", 0x3000000, 4096, vec), -E.ENOMEM);
  }),
);
