import { assert, assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { CLONE } from "./sys_thread.ts";
import { withEnv } from "./_testing.ts";
import type { Cpu } from "../cpu/state.ts";
import type { Process } from "./process.ts";
import { SYS } from "./syscall_names.ts";
import { doSyscall } from "./syscalls.ts";

/** Runs argument-less system call `nr` for `proc` on `cpu` and returns a0. */
function callIn(proc: Process, cpu: Cpu, nr: number): number {
  cpu.setXNumber(17, nr);
  doSyscall(proc, cpu);
  return cpu.getXNumber(10);
}

const THREAD_FLAGS = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD | CLONE.SYSVSEM;

Deno.test(
  "clone of a thread makes a vCPU with the parent's registers, its own stack, tls and tid words",
  withEnv((env) => {
    const parentTid = env.alloc(4), childTid = env.alloc(4);
    env.cpu.pc = 0x4000;
    env.cpu.setXNumber(9, 1234);
    env.cpu.setFBits(3, 0x400921fb54442d18n);
    env.cpu.fcsr = 0x41;
    const flags = THREAD_FLAGS | CLONE.SETTLS | CLONE.PARENT_SETTID | CLONE.CHILD_CLEARTID | CLONE.CHILD_SETTID;
    const tid = env.call("clone", flags, 0x70000, parentTid, 0x5555, childTid);
    assert(tid > env.proc.pid);
    const t = env.proc.threads.get(tid)!;
    const c = t.cpu;
    assertEquals([c.pc, c.getXNumber(10), c.getXNumber(2), c.getXNumber(4), c.getXNumber(9)], [
      0x4000,
      0,
      0x70000,
      0x5555,
      1234,
    ]);
    assertEquals([c.getFBits(3), c.fcsr], [0x400921fb54442d18n, 0x41]);
    assertEquals([env.mem.readU32(parentTid), env.mem.readU32(childTid)], [tid, tid]);
    assertEquals(t.clearChildTid, childTid);
    assertEquals(c.vcpuIndex, 1);
    assertEquals(env.callOn(c, "gettid"), tid);
    assertEquals(env.callOn(c, "getpid"), env.proc.pid);
  }),
);

Deno.test(
  "clone refuses thread flags it cannot honour with ENOSYS and inconsistent flags with EINVAL, changing nothing",
  withEnv((env) => {
    env.proc.thread(env.cpu);
    assertEquals(env.call("clone", 17, 0, 0, 0, 0), -E.ENOSYS, "fork where nothing runs a second process");
    assertEquals(env.proc.family.processes.size, 1);
    const forks: number[] = [];
    env.proc.family.onFork = (child) => forks.push(child.pid);
    const cases: [number, number][] = [
      [CLONE.VM | 17, -E.ENOSYS], // shared memory without a thread: not even vfork
      [CLONE.FILES | 17, -E.ENOSYS], // a new process sharing descriptors
      [THREAD_FLAGS | CLONE.VFORK, -E.ENOSYS],
      [CLONE.THREAD, -E.EINVAL],
      [CLONE.SIGHAND, -E.EINVAL],
    ];
    for (const [flags, want] of cases) {
      assertEquals(env.call("clone", flags, 0, 0, 0, 0), want, `flags 0x${flags.toString(16)}`);
    }
    assertEquals([env.proc.threads.size, forks, env.proc.children.length], [1, [], 0]);
    // A tid pointer that cannot be written is ignored, as Linux and qemu do: the thread is made.
    const tid = env.call("clone", THREAD_FLAGS | CLONE.PARENT_SETTID, 0x1000, 0x3000000, 0, 0);
    assertEquals([tid > 0, env.proc.threads.size], [true, 2], "a bad tid pointer still makes the thread");
  }),
);

Deno.test(
  "fork and vfork make a process: a copy of memory, descriptors and dispositions, one thread going on with a0 = 0",
  withEnv((env) => {
    const SIGCHLD = 17;
    env.proc.thread(env.cpu);
    const started: number[] = [];
    env.proc.family.onFork = (child, cpu) => started.push(child.pid, cpu.getXNumber(10));
    const word = env.alloc(4), ctid = env.alloc(4);
    env.mem.writeU32(word, 41);
    env.cpu.pc = 0x4000;
    env.cpu.setXNumber(9, 77);
    for (const flags of [SIGCHLD | CLONE.CHILD_SETTID | CLONE.CHILD_CLEARTID, CLONE.VM | CLONE.VFORK | SIGCHLD]) {
      const pid = env.call("clone", flags, 0, 0, 0, ctid);
      const child = env.proc.children.at(-1)!;
      assertEquals(child.pid, pid);
      assert(pid !== env.proc.pid && !env.proc.threads.has(pid));
      assertEquals(started.slice(-2), [pid, 0]);
      const t = child.threads.get(pid)!;
      assertEquals([t.cpu.pc, t.cpu.getXNumber(9)], [0x4000, 77]);
      child.mem.writeU32(word, 42);
      assertEquals([env.mem.readU32(word), child.mem.readU32(word)], [41, 42], "memory is copied, not shared");
      assertEquals(child.fds.lookup(1), env.proc.fds.lookup(1), "descriptions are shared");
      assertEquals(child.exitSignal, SIGCHLD);
      assertEquals(callIn(child, t.cpu, SYS.getppid), env.proc.pid);
      assertEquals(callIn(child, t.cpu, SYS.getpid), pid);
      if (flags & CLONE.CHILD_SETTID) {
        assertEquals([child.mem.readU32(ctid), env.mem.readU32(ctid)], [pid, 0]);
        assertEquals(t.clearChildTid, ctid);
      }
    }
    assertEquals(env.proc.threads.size, 1, "the parent has no new thread");
  }),
);

Deno.test(
  "exit of a thread clears and wakes its tid word; the last exit ends the process",
  withEnv((env) => {
    const word = env.alloc(4);
    const tid = env.call("clone", THREAD_FLAGS | CLONE.CHILD_CLEARTID, 0x1000, 0, 0, word);
    env.mem.writeU32(word, tid);
    assertEquals(env.call("futex", word, 0, tid, 0), undefined, "the parent joins");
    const child = env.proc.threads.get(tid)!;
    env.callOn(child.cpu, "exit", 5);
    assert(child.exited);
    assertEquals(env.mem.readU32(word), 0);
    assertEquals(env.poll(), 0, "the joiner is woken");
    assertEquals(env.proc.exitStatus, null);
    env.proc.threads.delete(tid);
    env.call("exit", 3);
    assertEquals(env.proc.exitStatus, 3);
  }),
);

Deno.test(
  "a robust mutex held by an exiting thread is marked FUTEX_OWNER_DIED and its waiter woken",
  withEnv((env) => {
    const tid = env.call("clone", THREAD_FLAGS, 0x1000, 0, 0, 0);
    const child = env.proc.threads.get(tid)!;
    // robust_list_head { next, futex_offset, list_op_pending } and one entry whose futex word follows it.
    const head = env.alloc(24), entry = env.alloc(16);
    env.mem.writeU64(head, BigInt(entry));
    env.mem.writeU64(head + 8, 8n);
    env.mem.writeU64(head + 16, 0n);
    env.mem.writeU64(entry, BigInt(head));
    env.mem.writeU32(entry + 8, (tid | 0x8000_0000) >>> 0);
    assertEquals(env.callOn(child.cpu, "set_robust_list", head, 24), 0);
    assertEquals(env.call("futex", entry + 8, 0, (tid | 0x8000_0000) >>> 0, 0), undefined);
    env.callOn(child.cpu, "exit", 0);
    assertEquals(env.mem.readU32(entry + 8), 0xc000_0000, "FUTEX_WAITERS | FUTEX_OWNER_DIED");
    assertEquals(env.poll(), 0);
  }),
);

Deno.test(
  "tgkill reaches another thread's queue; gone threads are ESRCH",
  withEnv((env) => {
    const tid = env.call("clone", THREAD_FLAGS, 0x1000, 0, 0, 0);
    assertEquals(env.call("tgkill", env.proc.pid, tid, 10), 0);
    assertEquals([...env.proc.threads.get(tid)!.pending].map((s) => s.signo), [10]);
    env.callOn(env.proc.threads.get(tid)!.cpu, "exit", 0);
    assertEquals(env.call("tgkill", env.proc.pid, tid, 10), -E.ESRCH);
  }),
);
