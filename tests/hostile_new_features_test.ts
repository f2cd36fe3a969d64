/**
 * Hostile cases against features that widen plume's surface: grants a
 * built-in plugin takes from its own options, plugins following forks, the
 * gdb stub and guest sockets. Each test is a hole found by a review, kept
 * so that it stays closed.
 */

import { join } from "node:path";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { busyboxPath, GUEST_BIN, guestEnv, plumeTaskFlags, ROOT, runPlume, tempDir } from "./harness.ts";
import { builtinGrants } from "../core/plugin/loader.ts";
import { PluginLoadError } from "../core/plugin/bundle.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const HELLO = join(GUEST_BIN, "hello_asm");

/** Every path under `dir` with a file's text, sorted: what a run must leave untouched. */
function snapshot(dir: string, at = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(join(dir, at))) {
    const p = join(at, e.name);
    if (e.isDirectory) out.push(`${p}/`, ...snapshot(dir, p));
    else out.push(`${p}: ${Deno.readTextFileSync(join(dir, p))}`);
  }
  return out.sort();
}

Deno.test("uftrace's dir= is refused for a directory that merely has an entry named info (.git has one)", async () => {
  const cwd = await tempDir("plume-hostile-uftrace-");
  // A git repository's directory: an `info` directory among others, which uftrace's grant and removal would take.
  const repo = join(cwd, "repo.git");
  Deno.mkdirSync(join(repo, "info"), { recursive: true });
  Deno.mkdirSync(join(repo, "objects"));
  Deno.writeTextFileSync(join(repo, "info", "exclude"), "precious\n");
  Deno.writeTextFileSync(join(repo, "HEAD"), "ref: refs/heads/main\n");
  // A directory with a file named info that uftrace did not write.
  const notes = join(cwd, "notes");
  Deno.mkdirSync(notes);
  Deno.writeTextFileSync(join(notes, "info"), "my notes\n");
  Deno.writeTextFileSync(join(notes, "todo"), "more notes\n");
  const before = snapshot(cwd);
  for (const dir of ["repo.git", "notes"]) {
    const r = await runPlume([HELLO], { cwd, flags: ["-plugin", `uftrace,dir=${dir}`] });
    assertEquals(r.status, 1, text(r.stderr));
    assert(
      /^plume: plugin 'uftrace': dir=\S+ is a directory neither empty nor written by uftrace/.test(text(r.stderr)),
    );
    assertEquals(text(r.stderr).split("\n").length, 2, text(r.stderr));
  }
  assertEquals(snapshot(cwd), before);
});

Deno.test("uftrace's dir=: its own earlier directory with a subdirectory added is refused, not removed", async () => {
  const cwd = await tempDir("plume-hostile-uftrace-");
  assertEquals((await runPlume([HELLO], { cwd, flags: ["-plugin", "uftrace"] })).status, 7);
  Deno.mkdirSync(join(cwd, "uftrace.data", "keep"));
  Deno.writeTextFileSync(join(cwd, "uftrace.data", "keep", "file"), "mine\n");
  const r = await runPlume([HELLO], { cwd, flags: ["-plugin", "uftrace"] });
  assertEquals(
    [r.status, text(r.stderr)],
    [
      1,
      "plume: plugin 'uftrace': dir=uftrace.data is a directory not written by uftrace alone ('keep' is not a file)\n",
    ],
  );
  assertEquals(Deno.readTextFileSync(join(cwd, "uftrace.data", "keep", "file")), "mine\n");
  // Its own directory, files only, is still made anew.
  Deno.removeSync(join(cwd, "uftrace.data", "keep"), { recursive: true });
  assertEquals((await runPlume([HELLO], { cwd, flags: ["-plugin", "uftrace"] })).status, 7);
});

Deno.test("a built-in's file grant is never a directory to be: a name ending in . or .. is refused", () => {
  // Deno reads `nx/.` as `nx`: the grant would cover everything under nx once something makes it.
  for (const arg of ["filename=nx/.", "filename=nx/a/..", "filename=./nx/.", "filename=.."]) {
    assertThrows(
      () => builtinGrants({ file: "drcov", args: [arg], allow: [] }),
      PluginLoadError,
      `plugin 'drcov': ${arg} does not name a file`,
    );
  }
  assertEquals(builtinGrants({ file: "drcov", args: ["filename=nx/.cov"], allow: [] }), ["write=nx/.cov"]);
});

/** CPU time (clock ticks) the processes `pids` used so far (those gone meanwhile count nothing). */
function ticks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      sum += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return sum;
}

/** The processes whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  const found: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) found.push(Number(e.name));
    } catch { /* gone meanwhile */ }
  }
  return found;
}

Deno.test("idle forked processes under a plugin leave the host's CPU alone: their plugin copies sleep", async () => {
  const busybox = busyboxPath();
  if (!busybox || Deno.build.os !== "linux") return;
  const cwd = await tempDir("plume-hostile-fork-");
  // Eight processes that sleep, each with a copy of the plugin's process, and a shell waiting for them.
  const script = `for i in 1 2 3 4 5 6 7 8; do sleep 60 & done; wait`;
  const plume = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json"))),
      `--config=${join(ROOT, "deno.json")}`,
      join(ROOT, "main.ts"),
      "-plugin",
      "insn",
      busybox,
      "sh",
      "-c",
      script,
    ],
    cwd,
    env: guestEnv(cwd),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let copies: number[] = [];
  for (let i = 0; i < 600 && copies.length < 9; i++) {
    await new Promise((r) => setTimeout(r, 50));
    copies = childrenOf(plume.pid);
  }
  // Once every process sleeps (each copy worked while its process started), the copies' CPU time per second.
  const perSecond: number[] = [];
  for (let i = 0; i < 20 && !(perSecond.at(-1)! <= 3); i++) {
    const before = ticks(copies);
    await new Promise((r) => setTimeout(r, 1000));
    perSecond.push(ticks(copies) - before);
  }
  plume.kill("SIGKILL");
  await plume.status;
  await plume.stdout.cancel();
  await plume.stderr.cancel();
  assert(copies.length >= 9, `plugin processes seen: ${copies.length}`);
  // Each spun 2 ms after every 100 ms sleep: 13 ticks a second in all; sleeping, none or one.
  assert(perSecond.at(-1)! <= 3, `the idle plugin processes' ticks, second by second: ${perSecond.join(" ")}`);
});
