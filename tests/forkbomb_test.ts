/**
 * Fork bombs, as a hostile guest would write them: plume runs every guest
 * process inside its own host process, so the host's `RLIMIT_NPROC` never
 * stops them, and under a plugin each guest process had a host process
 * (the plugin's copy) per plugin. plume caps the tasks of a run (`-nproc`,
 * reported to the guest as `RLIMIT_NPROC`, where `fork`/`clone` fail with
 * `EAGAIN` as on Linux) and the plugin copies (`-plugin-forks`: a process
 * beyond it runs without the plugin, with one line). Each test watches the
 * host's `/proc` while plume runs: plume stays alive, its host processes
 * stay bounded, the guest's output and status are intact, and no process
 * is left behind.
 *
 * The oracle for what the guest sees is qemu-riscv64 under `prlimit
 * --nproc` as an unprivileged user (Linux does not limit root): `fork`
 * fails with `EAGAIN`, and `getrlimit` reports the limit.
 *
 * @module
 */

import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  busyboxPath,
  differential,
  GUEST_BIN,
  guestEnv,
  plumeAvailable,
  plumeTaskFlags,
  qemuAvailable,
  ROOT,
  runPlume,
  tempDir,
} from "./harness.ts";
import { join } from "node:path";
import { parseOptions, UsageError } from "../core/cli/options.ts";

const dec = new TextDecoder();
const FORKBOMB = join(GUEST_BIN, "forkbomb");
const BUSYBOX = busyboxPath();
const linux = Deno.build.os === "linux";
const ignore = !plumeAvailable() || !linux;

/** A host process seen during a run: its pid and start time (so that a reused pid is not mistaken for it). */
interface Seen {
  pid: number;
  start: string;
}

/** `/proc/PID/stat` fields after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Every host process below `root` (children, their children…), read from one pass over `/proc`. */
function descendants(root: number): Seen[] {
  const parent = new Map<number, number>(), start = new Map<number, string>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = statFields(Number(e.name));
    if (f === undefined) continue;
    parent.set(Number(e.name), Number(f[1]));
    start.set(Number(e.name), f[19]);
  }
  const found: Seen[] = [];
  const below = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!below.has(pid) && below.has(ppid)) {
        below.add(pid);
        found.push({ pid, start: start.get(pid)! });
        grew = true;
      }
    }
  }
  return found;
}

/** True while the process `s` (the same one, not a reuse of its pid) exists. */
function alive(s: Seen): boolean {
  return statFields(s.pid)?.[19] === s.start;
}

interface Watched {
  stdout: string;
  stderr: string;
  status: number;
  /** Most host processes below plume at one time. */
  most: number;
  /** Processes below plume still there some time after it ended. */
  left: Seen[];
}

/** Runs plume with `args`, counting its host descendants every 25 ms; killed after `timeoutMs`. */
async function watch(args: string[], timeoutMs = 90_000): Promise<Watched> {
  const cwd = await tempDir("plume-forkbomb-");
  const plume = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json"))),
      `--config=${join(ROOT, "deno.json")}`,
      join(ROOT, "main.ts"),
      ...args,
    ],
    cwd,
    env: guestEnv(cwd),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = plume.output();
  let done = false, most = 0;
  const seen = new Map<number, Seen>();
  const ended = output.finally(() => done = true);
  const deadline = Date.now() + timeoutMs;
  while (!done) {
    if (Date.now() > deadline) {
      plume.kill("SIGKILL");
      break;
    }
    const now = descendants(plume.pid);
    most = Math.max(most, now.length);
    for (const s of now) if (!seen.has(s.pid)) seen.set(s.pid, s);
    await Promise.race([ended, new Promise((r) => setTimeout(r, 25))]);
  }
  const out = await output;
  assert(Date.now() <= deadline, `plume did not end within ${timeoutMs / 1000} s: ${args.join(" ")}`);
  // A plugin copy goes within milliseconds of plume's end (it dies with plume).
  let left = [...seen.values()].filter(alive);
  for (let i = 0; i < 40 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter(alive);
  }
  return { stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr), status: out.code, most, left };
}

const EAGAIN_SEEN = "forks made: part of the budget\nforks failed with EAGAIN: yes\nforks failed otherwise: 0\n";

Deno.test({
  name: "fork bomb without plugins: fork fails with EAGAIN at -nproc, plume makes no host process and ends cleanly",
  ignore,
  async fn() {
    const r = await watch(["-nproc", "16", FORKBOMB, "3000"]);
    assertEquals([r.stdout, r.stderr, r.status], [EAGAIN_SEEN, "", 0]);
    // Guest processes live inside plume: none is a host process.
    assertEquals(r.most, 0, "host processes below plume");
    assertEquals(r.left, []);
  },
});

Deno.test({
  name: "fork bomb under a plugin: at most -plugin-forks copies of it, one line, the guest's output intact",
  ignore,
  async fn() {
    const r = await watch(["-nproc", "24", "-plugin-forks", "6", "-plugin", "insn", FORKBOMB, "300"]);
    assertEquals([r.stdout, r.status], [EAGAIN_SEEN, 0], r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    assertEquals(lines.length, 1, r.stderr);
    assert(/^plume: plugin 'insn' \(#1\): .*-plugin-forks 6/.test(lines[0]), lines[0]);
    // The plugin's first process and its copies for six forked processes (a copy takes some milliseconds to go
    // after its process ended, while the next one may start); before the cap, 23 copies.
    assert(r.most >= 2 && r.most <= 9, `host processes below plume at once: ${r.most}`);
    assertEquals(r.left, []);
  },
});

Deno.test({
  name: "a guest lowers RLIMIT_NPROC with setrlimit, and its fork bomb then fails with EAGAIN as under qemu-riscv64",
  ignore,
  async fn() {
    const expected = "RLIMIT_NPROC is the limit set: yes\n" + EAGAIN_SEEN;
    const r = await watch([FORKBOMB, "3000", "12"]);
    assertEquals([r.stdout, r.stderr, r.status], [expected, "", 0]);
    assertEquals(r.left, []);
    // The oracle: Linux limits only an unprivileged user, so qemu runs as nobody where this test runs as root.
    if (!qemuAvailable() || Deno.uid() !== 0) return;
    const cwd = await tempDir("plume-forkbomb-qemu-");
    await Deno.chmod(cwd, 0o777);
    const q = await new Deno.Command("setpriv", {
      args: ["--reuid=65534", "--regid=65534", "--clear-groups", "qemu-riscv64", FORKBOMB, "3000", "12"],
      cwd,
      env: guestEnv(cwd),
      clearEnv: true,
      stdin: "null",
    }).output();
    // qemu's own children may fail (its threads count against the limit too), saying so with GLib's "Bail out!" on
    // stdout; what the guest printed is the oracle.
    const guestLines = dec.decode(q.stdout).split("\n").filter((l) => !l.startsWith("Bail out! "));
    assertEquals(guestLines.join("\n"), expected, dec.decode(q.stderr));
  },
});

Deno.test({
  name: "children of a parent that ignores SIGCHLD are reaped at once, as under qemu-riscv64, and never add up",
  ignore: ignore || !qemuAvailable(),
  async fn() {
    await differential("forkbomb reap 40", [FORKBOMB, "reap", "40"]);
    // Forty children one after another under a limit of four tasks: none is left a zombie to count.
    const r = await runPlume([FORKBOMB, "reap", "40"], { flags: ["-nproc", "4"] });
    assertEquals([dec.decode(r.stdout), r.status], [
      "children made: 40 of 40\nwait gave ECHILD (reaped already): 40\nwait gave a zombie or another error: 0\n",
      0,
    ]);
  },
});

Deno.test({
  name: "busybox sh sees -nproc as ulimit -u, and its fork bomb under a plugin ends with the shell",
  ignore: ignore || BUSYBOX === undefined,
  async fn() {
    const limits = await runPlume([BUSYBOX!, "sh", "-c", "ulimit -u; ulimit -Hu"], { flags: ["-nproc", "100"] });
    assertEquals([dec.decode(limits.stdout), limits.status], ["100\n100\n", 0]);
    // By default 512, or the host's limit where that is lower.
    const host = /^Max processes\s+(\S+)\s+(\S+)/m.exec(Deno.readTextFileSync("/proc/self/limits"))!;
    const capped = (v: string) => String(v === "unlimited" ? 512 : Math.min(Number(v), 512));
    const byDefault = await runPlume([BUSYBOX!, "sh", "-c", "ulimit -u; ulimit -Hu"]);
    assertEquals(dec.decode(byDefault.stdout), `${capped(host[1])}\n${capped(host[2])}\n`);
    // The classic bomb: every call starts two more in the background, forever; the first shell counts to 100 and
    // leaves, and the run ends with it (the processes it leaves behind end with plume). Each forked process has a
    // 2 GiB address space of its own, which V8 collects only in full garbage collections: many of them make every
    // fork slow (76% of the time in the collector with 16), so the limit here is small.
    const bomb = ":(){ :|:& };:; i=0; while [ $i -lt 100 ]; do i=$((i+1)); done; echo survived; exit 3";
    const r = await watch(["-nproc", "6", "-plugin-forks", "2", "-plugin", "insn", BUSYBOX!, "sh", "-c", bomb]);
    assertEquals([r.stdout, r.status], ["survived\n", 3], r.stderr);
    // The shells that could not fork say so with the guest's strerror(EAGAIN).
    assert(r.stderr.includes("can't fork: Resource temporarily unavailable"), r.stderr);
    assertEquals(r.stderr.split("\n").filter((l) => l.startsWith("plume: ")).length, 1, r.stderr);
    assert(r.most <= 5, `host processes below plume at once: ${r.most}`);
    assertEquals(r.left, []);
  },
});

Deno.test("-nproc and -plugin-forks take a number of tasks and of processes", () => {
  const o = parseOptions(["-nproc", "7", "-plugin-forks", "0", "p"], {});
  assertEquals([o.nproc, o.pluginForks], [7, 0]);
  const d = parseOptions(["p"], {});
  assertEquals([d.nproc, d.pluginForks], [512, 64]);
  for (const v of ["0", "-1", "x", "4194305"]) assertThrows(() => parseOptions(["-nproc", v, "p"], {}), UsageError);
  for (const v of ["-1", "1.5", "65537"]) assertThrows(() => parseOptions(["-plugin-forks", v, "p"], {}), UsageError);
});
