/**
 * What plume does that qemu-riscv64 cannot be compared with: runs that
 * qemu-user without binfmt_misc cannot make (`execve` of an RV64 program),
 * that qemu handles differently on purpose (a deadlock is reported instead
 * of hanging; `fork` answers ENOSYS; qemu-user ignores `SA_NOCLDSTOP`; the host counts every process of the
 * user against `RLIMIT_SIGPENDING`), host signals sent to the emulator
 * itself, the reproducibility of thread schedules, and the `-strace` lines
 * of `clone` and `execve`.
 *
 * @module
 */

import { assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import {
  GUEST_BIN,
  guestEnv,
  plumeAvailable,
  plumeCommand,
  plumeTaskFlags,
  qemuAvailable,
  ROOT,
  runPlume,
  SIGNAL_NUMBERS,
} from "./harness.ts";
import { join } from "node:path";

const dec = new TextDecoder();
const ignore = !plumeAvailable();

function libc6Sysroot(): string | undefined {
  const dir = join(ROOT, ".cache", "debian", "libc6");
  try {
    return Deno.statSync(join(dir, ".plume-fetched")).isFile ? dir : undefined;
  } catch {
    return undefined;
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function inTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "plume-ts-" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a deadlock of two threads is reported with each thread's wait, status 1",
  ignore,
  async fn() {
    const r = await runPlume([join(GUEST_BIN, "threads"), "deadlock"], { timeoutMs: 60_000 });
    assertEquals(r.status, 1);
    const err = dec.decode(r.stderr);
    assertStringIncludes(err, "plume: deadlock: every thread of the guest waits forever\n");
    assertEquals(err.match(/^ {2}thread \d+ \(pc 0x[0-9a-f]+\): futex wait on 0x[0-9a-f]+$/gm)?.length, 2, err);
    assertEquals(dec.decode(r.stdout), "");
  },
});

const EXEC_CHILD = `parent: exec
child: argc 4: [child] [two words] []
child: PLUME_EXEC=yes, HOME unset
ok   descriptor 5 (no FD_CLOEXEC) is still open
ok   descriptor 6 (FD_CLOEXEC) was closed
ok   the open file reads as before
ok   a caught signal is back to SIG_DFL
ok   an ignored signal stays ignored
ok   the blocked mask is kept
ok   the process runs on one thread, with the pid as its tid
ok   /proc/self/exe is the new program
child: 0 failure(s)
`;

for (const dyn of [false, true]) {
  const root = dyn ? libc6Sysroot() : "";
  const bin = dyn ? join(GUEST_BIN, "dyn", "execve") : join(GUEST_BIN, "execve");
  const flags = dyn ? ["-L", root ?? ""] : [];
  const suffix = dyn ? " (dynamic, -L libc6)" : "";
  const skip = ignore || (dyn && root === undefined);

  Deno.test({
    name: `execve replaces the image: argv, environment, descriptors, signals, one thread${suffix}`,
    ignore: skip,
    async fn() {
      await inTempDir(async (dir) => {
        const r = await runPlume([bin, "run", dir], { flags, cwd: dir });
        assertEquals(dec.decode(r.stderr), "");
        assertEquals(dec.decode(r.stdout), EXEC_CHILD);
        assertEquals(r.status, 7);
      });
    },
  });

  Deno.test({
    name: `execve of a #! script runs its interpreter with the script's name as given${suffix}`,
    ignore: skip,
    async fn() {
      await inTempDir(async (dir) => {
        const r = await runPlume([bin, "script", dir], { flags, cwd: dir });
        assertEquals(
          dec.decode(r.stdout),
          "parent: exec script\nscript child: argc 4: [child-from-script] [./script] [arg1]\n",
        );
        assertEquals(r.status, 0);
      });
    },
  });

  Deno.test({
    name: `a forked child and a posix_spawn child run another RV64 program${suffix}`,
    ignore: skip,
    async fn() {
      const r = await runPlume([bin, "fork"], { flags });
      assertEquals(
        dec.decode(r.stdout),
        "spawned by fork, a process of its own: 1\n" +
          "ok   fork + execve: the child ran this program again (status 9)\n" +
          "spawned by posix_spawn, a process of its own: 1\n" +
          "ok   posix_spawn: status 9\nok   posix_spawn of nothing: ENOENT or status 127\n" +
          "ok   no child left to wait for\nfork: 0 failure(s)\n",
      );
      assertEquals(r.status, 0);
    },
  });
}

/**
 * Starts plume on `argv`, waits for the guest's "ready" line (or `delayMs`
 * without one), sends `signal` to plume, and returns the run with a death
 * by signal N as status 128 + N.
 */
async function signalPlume(
  argv: string[],
  signal: Deno.Signal,
  delayMs = 0,
): Promise<{ stdout: string; status: number }> {
  const flags = plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `--config=${join(ROOT, "deno.json")}`, join(ROOT, "main.ts"), ...argv],
    env: guestEnv(Deno.cwd()),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  while (delayMs === 0 && !out.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += dec.decode(value);
  }
  child.kill(signal);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += dec.decode(value);
  }
  const st = await child.status;
  return { stdout: out, status: st.signal ? 128 + SIGNAL_NUMBERS[st.signal] : st.code };
}

const HOST_SIGNAL_CASES: [mode: string, signal: Deno.Signal, stdout: string, status: number][] = [
  ["wait", "SIGINT", "ready\ncaught SIGINT\n", 0],
  ["wait", "SIGTERM", "ready\ncaught SIGTERM\n", 0],
  ["spin", "SIGINT", "ready\ncaught SIGINT\n", 0],
  ["spin", "SIGHUP", "ready\ncaught SIGHUP\n", 0],
  ["ignore", "SIGINT", "ready\nstill alive\n", 0],
];

for (const [mode, signal, stdout, status] of HOST_SIGNAL_CASES) {
  Deno.test({
    name: `${signal} sent to plume reaches the guest's handler (${mode})`,
    ignore,
    async fn() {
      const r = await signalPlume([join(GUEST_BIN, "signals"), mode], signal);
      assertEquals(r.stdout, stdout);
      assertEquals(r.status, status);
    },
  });
}

Deno.test({
  name: "SIGTERM to plume while the guest leaves it at its default action ends plume: status 143",
  ignore,
  async fn() {
    // `alarm` catches only SIGALRM and waits a second in pause().
    const r = await signalPlume([join(GUEST_BIN, "signals"), "alarm"], "SIGTERM", 300);
    assertEquals(r, { stdout: "", status: 143 });
  },
});

Deno.test({
  name: "a thread's pending signals die with it: they no longer count against RLIMIT_SIGPENDING",
  ignore,
  async fn() {
    // Not compared with qemu-riscv64: the host kernel counts every process of the user against the limit, so its
    // answer depended on what else ran (another process's flood of pending signals made its sigqueue fail with
    // EAGAIN: 18 runs in 20 beside `signals flood`, and a red CI row). plume counts the guest's own.
    const r = await runPlume([join(GUEST_BIN, "signals"), "thread-exit"]);
    assertEquals({ stdout: dec.decode(r.stdout), status: r.status }, {
      stdout: "thread-exit: after its exit, sigqueue 0 (errno 0)\n",
      status: 0,
    });
  },
});

Deno.test({
  name: "SA_NOCLDSTOP keeps a child's stop from signalling its parent (qemu-user 7.2 signals it anyway)",
  ignore,
  async fn() {
    // The rest of `signals jobs` is in the differential suite; qemu installs its host handlers without the flag.
    const r = await runPlume([join(GUEST_BIN, "signals"), "jobs", "nocldstop"]);
    const out = dec.decode(r.stdout);
    assertEquals(r.status, 0, out);
    assertStringIncludes(out, "ok   SA_NOCLDSTOP: no SIGCHLD for that stop\n");
    assertStringIncludes(out, "jobs: 0 failure(s)\n");
  },
});

Deno.test({
  name: "a timer signal reaches a thread spinning in a warm inner loop within a fraction of a second",
  ignore,
  async fn() {
    // The CPU loop sees a signal between slices; a WebAssembly region may run 65,536 loop passes in one call, so a
    // slice must not last a fixed number of such calls (1,024 of them: 300-800 ms here). QEMU 10 prints the same.
    const r = await runPlume([join(GUEST_BIN, "alarm_spin")]);
    const expected = [1, 2, 3, 4, 5].map((n) => `alarm ${n}: in time\n`).join("");
    assertEquals({ stdout: dec.decode(r.stdout), status: r.status }, { stdout: expected, status: 0 });
  },
});

/**
 * A `-strace` log with the host-dependent pid and tids replaced by
 * `T+offset` where they appear: before each call (at the start of a line, or
 * after a blocking call's unfinished line), as what `clone`,
 * `gettid` and `set_tid_address` return, and as the value a `futex` call
 * compares (a thread joined waits on its tid). Other numbers stay as they
 * are: in a PID namespace the ids are small and a constant may equal one.
 */
function normalizedStrace(stderr: Uint8Array): string {
  const text = dec.decode(stderr);
  const pid = Number(text.match(/^(\d+) /)?.[1] ?? NaN);
  const tids = new Set([
    String(pid),
    ...Array.from(text.matchAll(/ clone\([^)]*\) = (\d+)/g), (m) => m[1]),
  ]);
  const t = (n: string) => (tids.has(n) ? `T+${Number(n) - pid}` : n);
  return text
    .replace(/(^|\))(\d+) (?=\w+\()/gm, (_, before, n) => `${before}${t(n)} `)
    .replace(/ ((?:clone|gettid|set_tid_address)\([^)]*\)) = (\d+)/g, (_, call, n) => ` ${call} = ${t(n)}`)
    .replace(/futex\(([^,]*),([^,]*),(\d+),/g, (_, a, op, n) => `futex(${a},${op},${t(n)},`);
}

Deno.test({
  name: "thread schedules are reproducible: the same system calls in the same order, with and without -seed",
  ignore,
  async fn() {
    const argv = [join(GUEST_BIN, "threads_cpu"), "4", "20000"];
    // One directory for every run: it is the guest's HOME, and temporary names differ in length (29 to 31 bytes),
    // which moved the initial stack pointer by 16 bytes between two runs now and then, and every address after it.
    await inTempDir(async (dir) => {
      for (const extra of [[], ["-seed", "7"]]) {
        const logs: string[] = [];
        for (let i = 0; i < 2; i++) {
          const r = await runPlume(argv, { flags: [...extra, "-strace"], cwd: dir });
          assertEquals(r.status, 0);
          logs.push(normalizedStrace(r.stderr));
        }
        assertEquals(logs[1], logs[0], `two runs with ${extra.join(" ") || "no seed"}`);
        assertStringIncludes(logs[0], "clone(");
      }
    });
  },
});

Deno.test({
  name: "-strace prints clone and execve as qemu does",
  ignore,
  async fn() {
    await inTempDir(async (dir) => {
      const r = await runPlume([join(GUEST_BIN, "execve"), "run", dir], { flags: ["-strace"], cwd: dir });
      const err = dec.decode(r.stderr);
      assertMatch(
        err,
        /^\d+ clone\(CLONE_VM\|CLONE_FS\|CLONE_FILES\|CLONE_SIGHAND\|CLONE_THREAD\|CLONE_SYSVSEM\|CLONE_SETTLS\|CLONE_PARENT_SETTID\|CLONE_CHILD_CLEARTID,child_stack=0x[0-9a-f]{16},parent_tidptr=0x[0-9a-f]{16},tls=0x[0-9a-f]{16},child_tidptr=0x[0-9a-f]{16}\) = \d+$/m,
      );
      assertMatch(err, /^\d+ execve\("[^"]*\/execve",\{"execve","child","two words","",NULL\}\) = 0$/m);
      assertEquals(r.status, 7);
    });
  },
});

for (const mode of ["inline=on", "inline=off"]) {
  Deno.test({
    name: `plugins see one vCPU per thread with its own vcpu_index (insn, ${mode})`,
    ignore,
    async fn() {
      const r = await runPlume([join(GUEST_BIN, "threads_cpu"), "4", "100000"], {
        flags: ["-d", "plugin", "-plugin", `insn,${mode}`],
      });
      assertEquals(r.status, 0);
      const counts = [...dec.decode(r.stderr).matchAll(/^cpu (\d+) insns: (\d+)$/gm)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]);
      assertEquals(counts.map(([i]) => i), [0, 1, 2, 3, 4], dec.decode(r.stderr));
      // The four workers run the same loop over equal shares; main only starts and joins them.
      const workers = counts.slice(1).map(([, n]) => n);
      assertEquals(new Set(workers).size, 1);
      assertMatch(dec.decode(r.stderr), new RegExp(`^total insns: ${counts.reduce((s, [, n]) => s + n, 0)}$`, "m"));
    },
  });
}

Deno.test({
  name: "execve tells plugins: one flush, fresh translations after it, a vCPU exit for the thread it ended",
  ignore,
  async fn() {
    await inTempDir(async (dir) => {
      const r = await runPlume([join(GUEST_BIN, "execve"), "run", dir], {
        flags: ["-d", "plugin", "-plugin", join(ROOT, "tests", "linux", "exec_plugin.ts")],
        cwd: dir,
      });
      assertEquals(r.status, 7);
      assertStringIncludes(dec.decode(r.stderr), "flushes 1 translations some,some inits 2 exits 2\n");
    });
  },
});

Deno.test({
  name: "a host file-size limit: the guest's writes past it get EFBIG and SIGXFSZ, as under qemu; plume goes on",
  ignore: ignore || !qemuAvailable() || !isFile("/usr/bin/prlimit"),
  async fn() {
    // The limit (10 KiB) is set with prlimit once the emulator has started and the guest says it is ready: under a
    // limit from the start, Deno itself may meet it writing its caches. The host's SIGXFSZ ended plume itself.
    const run = async (emulator: string[], mode: string[]) => {
      const dir = await Deno.makeTempDir({ prefix: "plume-fsize-" });
      try {
        const child = new Deno.Command(emulator[0], {
          args: [...emulator.slice(1), join(GUEST_BIN, "syscall_edges"), ...mode],
          cwd: dir,
          stdin: "piped",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const reader = child.stdout.getReader();
        let stdout = "";
        while (!stdout.includes("ready\n")) {
          const { value, done } = await reader.read();
          if (done) break;
          stdout += dec.decode(value);
        }
        const limit = await new Deno.Command("prlimit", { args: ["--fsize=10240", "--pid", String(child.pid)] })
          .output();
        assertEquals(limit.code, 0);
        const writer = child.stdin.getWriter();
        await writer.write(new Uint8Array([1]));
        await writer.close();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          stdout += dec.decode(value);
        }
        const st = await child.status;
        return { stdout, status: st.signal ? 128 + SIGNAL_NUMBERS[st.signal] : st.code };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    };
    for (const mode of [["fsize", "ignore"], ["fsize"]]) {
      const q = await run(["qemu-riscv64"], mode), p = await run(plumeCommand(), mode);
      assertEquals(p, q, mode.join(" "));
      assertEquals(q.status, mode.length === 2 ? 0 : 128 + 25);
      assertStringIncludes(q.stdout, "ready\nwrite of 20,000 bytes from 0                                 10240\n");
      if (mode.length === 2) {
        assertStringIncludes(q.stdout, "ftruncate to 1 MiB                                           -1 EFBIG\n");
      }
    }
  },
});

Deno.test({
  name: "on a terminal, a child in a group of its own becomes the foreground group it reads back, as under qemu",
  ignore: ignore || !qemuAvailable() || !isFile("/usr/bin/script"),
  async fn() {
    // script(1) gives both emulators a terminal. A job-control shell loops on SIGTTIN until tcgetpgrp() is its group:
    // plume answered the host's group after setpgid had given the child one of plume's.
    const run = async (emulator: string[]) => {
      const command = [...emulator, join(GUEST_BIN, "process_groups"), "tty"].map((a) => `'${a}'`).join(" ");
      const out = await new Deno.Command("script", { args: ["-qc", command, "/dev/null"], stdout: "piped" }).output();
      return dec.decode(out.stdout).replaceAll("\r", "");
    };
    const q = await run(["qemu-riscv64"]);
    assertEquals(await run(plumeCommand()), q);
    assertStringIncludes(q, "child: tcsetpgrp ok, tcgetpgrp() == getpgrp(): 1\n");
  },
});
