/**
 * Hostile plugins against the surfaces added since the sandbox was
 * hardened: the words a plugin shares with plume while WebAssembly regions
 * append its records in place, and the copy of a plugin's process made for
 * a forked guest. Each plugin is written here as an attacker would, into a
 * temporary directory: it reaches its runtime's channel views by replacing
 * the intrinsics the runtime calls with them (`Atomics`) and plume's
 * sandbox code by replacing globals it looks up (`Number`, `BigInt`).
 * Whatever it does, the guest's output and status stay what they are, plume
 * prints at most one line naming it, and nothing of it outlives plume.
 *
 * @module
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { busyboxPath, GUEST_BIN, guestEnv, plumeCommand, runPlume, tempDir } from "./harness.ts";
import { LAYOUT } from "../core/plugin/channel.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const PROGRAM = join(GUEST_BIN, "fib_pie");
/** Every region compiled to WebAssembly at once, where records are appended in place into the moved batch store. */
const WASM = ["-jit-wasm", "always", "-jit-warmup", "0"];

/**
 * Streams a record per block, instruction and memory access and counts
 * with inline adds and a conditional callback on a per-vCPU scoreboard
 * (everything the WebAssembly tier carries in place), and reaches its
 * channel's memory as only an attacker would: the control block and the
 * event ring through the runtime's calls of `Atomics`, the whole
 * scoreboard arena through a scoreboard entry's `DataView`. After
 * `after=` blocks, `do=` says what it writes there while the guest runs:
 * `tail` moves every consumer position it publishes 2^21 words ahead (past
 * what plume published); `arena` fills the arena, the scoreboard included,
 * with a pattern, again every 1000 blocks; `ring` writes every word of the
 * ring's header but the consumer position (plume's write position among
 * them). At exit it prints its counts.
 */
const WRITES_SHARED = `
import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_COND_GE,
  QEMU_PLUGIN_INLINE_ADD_U64,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_cond_cb,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_find,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;
// deno-lint-ignore no-explicit-any
type Any = any;
const RING_BYTES = (48 + (1 << 20)) * 4, TAIL = 16;
const A = Atomics as Any, real: Record<string, Any> = {};
const views = new Map<number, Int32Array>();
let forging = false;
for (const k of ["load", "store", "add", "compareExchange"]) {
  real[k] = A[k];
  A[k] = (v: Any, i: number, ...rest: Any[]) => {
    if (!views.has(v.buffer.byteLength)) views.set(v.buffer.byteLength, new Int32Array(v.buffer));
    if (forging && k === "store" && v.buffer.byteLength === RING_BYTES && i === TAIL) rest[0] = (rest[0] + (1 << 21)) | 0;
    return real[k].call(Atomics, v, i, ...rest);
  };
}

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const what = argv.find((a) => a.startsWith("do="))?.slice(3);
  const after = Number(argv.find((a) => a.startsWith("after="))?.slice(6) ?? 2000);
  const board = qemu_plugin_scoreboard_new(8);
  const entry = qemu_plugin_scoreboard_u64(board);
  const arena = new Int32Array((qemu_plugin_scoreboard_find(board, 0) as Any).buffer);
  let blocks = 0, insns = 0, accesses = 0, conds = 0;
  const onBlock = () => {
    if (++blocks < after) return;
    if (what === "tail") forging = true;
    if (what === "arena" && blocks % 1000 === after % 1000) for (let i = 0; i < arena.length; i++) arena[i] = (i * 2654435761) | 0;
    const ring = views.get(RING_BYTES);
    if (what === "ring" && ring) for (let i = 0; i < 48; i++) if (i !== TAIL) ring[i] = -1 - i;
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, entry, 1n);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_NO_REGS, null);
    qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, () => conds++, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_COND_GE, entry, 100n, null);
    for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      qemu_plugin_register_vcpu_insn_exec_cb(insn, () => insns++, QEMU_PLUGIN_CB_NO_REGS, null);
      qemu_plugin_register_vcpu_mem_cb(insn, () => accesses++, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, null);
    }
  });
  qemu_plugin_register_atexit_cb(id, () => {
    qemu_plugin_outs(\`blocks \${blocks} insns \${insns} accesses \${accesses} conds \${conds > 0}\\n\`);
  }, null);
  return 0;
}
`;

/** Writes `source` as a plugin file named `name` in a new temporary directory; returns its path. */
async function pluginFile(name: string, source: string): Promise<string> {
  const path = join(await tempDir("plume-hostile-ring-"), name);
  await Deno.writeTextFile(path, source);
  return path;
}

Deno.test("a plugin that writes its channel's words while WebAssembly regions stream its records harms only itself", async () => {
  const plain = await runPlume([PROGRAM, "20"], { flags: WASM });
  const plugin = await pluginFile("writes_shared.ts", WRITES_SHARED);
  const run = (args: string, watchdog = 60) =>
    runPlume([PROGRAM, "20"], {
      flags: [...WASM, "-d", "plugin", "-plugin-watchdog", String(watchdog), "-plugin", plugin + args],
    });
  // Left alone, it sees every record.
  const counts = /^blocks \d{5,} insns \d{6,} accesses \d{5,} conds true$/;
  const ok = await run("");
  assertEquals(text(ok.stdout), text(plain.stdout));
  assertMatch(text(ok.stderr).trimEnd(), counts);
  // Its records' consumer position, forged, ends it with one line; writing its arena (which WebAssembly
  // regions add to in place) changes nothing but what it counts; its ring's producer words (a write
  // position of -1) send its own replay through a ring of junk, and the watchdog ends it, unless the junk
  // first moves its consumer position past the published records, which ends it as the forged one does
  // (seen once in 16 runs on a loaded machine: which comes first is a race).
  const unloaded = (why: string) =>
    new RegExp(`^plume: plugin '[^']*writes_shared\\.ts' \\(#1\\): ${why}; plugin unloaded, the guest goes on$`);
  const cases: [string, RegExp, number?][] = [
    [",do=tail", unloaded("event ring: consumer position -?\\d+ is outside the published records")],
    [",do=arena", counts],
    [
      ",do=ring",
      unloaded(
        "([a-z ]+: no answer for 2 s \\(watchdog[^)]*\\)|event ring: consumer position -?\\d+ is outside the published records)",
      ),
      2,
    ],
  ];
  for (const [args, message, watchdog] of cases) {
    const r = await run(args, watchdog);
    assertEquals(text(r.stdout), text(plain.stdout), args);
    assertEquals(r.status, plain.status, args);
    const lines = text(r.stderr).trimEnd().split("\n");
    assertEquals(lines.length, 1, `${args}: ${text(r.stderr)}`);
    assertMatch(lines[0], message, `${args}: ${lines[0]}`);
  }
});

/** Every process's state, parent and session (`/proc/PID/stat`), by pid. */
function processes(): Map<number, { state: string; ppid: number; session: number }> {
  const found = new Map<number, { state: string; ppid: number; session: number }>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found.set(Number(e.name), { state: f[0], ppid: Number(f[1]), session: Number(f[3]) });
    } catch { /* gone meanwhile */ }
  }
  return found;
}

/** What {@link runWatchingPlugins} saw. */
interface WatchedRun {
  /** plume's output. */
  r: Deno.CommandOutput;
  /**
   * At each look (every 20 ms while plume ran): ms since the start, how many plugin processes were alive, and how
   * many of plume's own mappings were of plugin channels (`plume-plugin` memfds).
   */
  looks: { at: number; alive: number; channels: number }[];
  /** How long plume ran (ms). */
  took: number;
  /** The plugin processes' sessions, seen while plume ran. */
  sessions: Set<number>;
  /** Processes still alive in those sessions 300 ms after plume ended ("pid state"; killed then): they outlived it. */
  left: string[];
}

/**
 * Runs plume with `args` in `dir` and looks at its plugin processes (its
 * children in other sessions than the test's) every 20 ms while it runs,
 * then for what is left in their sessions once it ended.
 */
async function runWatchingPlugins(dir: string, args: string[], stdin: "piped" | "null" = "null"): Promise<WatchedRun> {
  const ownSession = processes().get(Deno.pid)?.session;
  const before = new Set(processes().keys());
  const [deno, ...start] = plumeCommand();
  const plume = new Deno.Command(deno, {
    args: [...start, ...args],
    cwd: dir,
    env: guestEnv(dir),
    clearEnv: true,
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = plume.output();
  let ended = false;
  output.finally(() => (ended = true));
  const looks: WatchedRun["looks"] = [], sessions = new Set<number>(), began = performance.now();
  while (!ended) {
    const plugins = [...processes()].filter(([pid, p]) =>
      p.ppid === plume.pid && p.session !== ownSession && !before.has(pid)
    );
    for (const [, p] of plugins) sessions.add(p.session);
    looks.push({
      at: performance.now() - began,
      alive: plugins.filter(([, p]) => p.state !== "Z").length,
      channels: channelMappings(plume.pid),
    });
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = await output, took = performance.now() - began;
  await new Promise((r) => setTimeout(r, 300));
  const left = [...processes()].filter(([pid, p]) => sessions.has(p.session) && p.state !== "Z" && !before.has(pid));
  for (const [pid] of left) Deno.kill(pid, "SIGKILL");
  return { r, looks, took, sessions, left: left.map(([pid, p]) => `${pid} ${p.state}`) };
}

/**
 * A hostile plugin's source written as `name` in a new temporary folder,
 * with the busybox to run under it; undefined where these tests cannot run
 * (no busybox, not Linux).
 */
async function hostilePlugin(
  folder: string,
  name: string,
  source: string,
): Promise<{ busybox: string; dir: string; plugin: string } | undefined> {
  const busybox = busyboxPath();
  if (!busybox || Deno.build.os !== "linux") return undefined;
  const dir = await tempDir(`plume-hostile-${folder}-`);
  const plugin = join(dir, name);
  await Deno.writeTextFile(plugin, source);
  return { busybox, dir, plugin };
}

/** How many of process `pid`'s mappings are plugin channels (0 once it ended). */
function channelMappings(pid: number): number {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/maps`).split("\n").filter((l) => l.includes("plume-plugin")).length;
  } catch {
    return 0;
  }
}

/** The start of each hostile plugin below. */
const PLUGIN_HEAD = `
import { type PluginId, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;
// deno-lint-ignore no-explicit-any
type Any = any;
`;

/**
 * What the fork plugins below start with: the global object (reached as an
 * attacker would), the runtime's `Atomics` methods in hand, and `forking`
 * set once the runtime reads a fork call (`OP.FORK`, 14) in state CALL in
 * the control block (1 MiB).
 */
const WATCHES_FORK = `${PLUGIN_HEAD}const g = [].constructor.constructor("return this")() as Any;
const A = Atomics as Any, load = A.load, store = A.store;
let forking = false;
A.load = (v: Any, i: number) => {
  const value = load.call(Atomics, v, i);
  if (v.buffer.byteLength === 1 << 20 && i === 0 && value === 1 && v[7] === 14) forking = true;
  return value;
};`;

/** Their installation: a translation callback, so that the guest's blocks involve the plugin. */
const INSTALLS = `export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => {});
  return 0;
}
`;

/**
 * Hangs the copy of its process made for a forked guest before the copy
 * can arrange to die with plume, and the original before it tells plume the
 * copy's pid: `Number` and `BigInt`, which the sandbox's system-call code
 * looks up on the global object at each call, are replaced by functions
 * that wait forever once a fork call (`OP.FORK`, 14) is under way, at the
 * first call made after the `clone` (whose flags, 0x8011, it watches for):
 * the conversion of its result, or the first constant of the copy's `mmap`
 * (9); the original hangs as it marks the call done.
 */
const HANGS_FORK = `${WATCHES_FORK}
const realNumber = g.Number, realBigInt = g.BigInt;
let cloning = false;
const hang = (): never => {
  const w = new Int32Array(new SharedArrayBuffer(4));
  for (;;) load.call(Atomics, w, 0) === 0 && Atomics.wait(w, 0, 0, 1000);
};
A.store = (v: Any, i: number, value: number) => {
  if (forking && v.buffer.byteLength === 1 << 20 && i === 0 && value === 4) hang();
  return store.call(Atomics, v, i, value);
};
const fakeNumber = (...a: Any[]) => {
  if (cloning && typeof a[0] === "bigint") hang();
  return a.length === 0 ? 0 : realNumber(a[0]);
};
const fakeBigInt = (x: Any) => {
  if (forking && x === 0x8011) cloning = true;
  if (forking && x === 9) hang();
  return realBigInt(x);
};
Object.setPrototypeOf(fakeNumber, realNumber);
Object.setPrototypeOf(fakeBigInt, realBigInt);
g.Number = fakeNumber;
g.BigInt = fakeBigInt;
${INSTALLS}`;

Deno.test("a plugin's copy for a forked guest dies with plume killed, whatever globals the plugin replaced", async () => {
  const setup = await hostilePlugin("fork-copy", "hangs_fork.ts", HANGS_FORK);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  const [deno, ...start] = plumeCommand();
  const plume = new Deno.Command(deno, {
    args: [
      ...start,
      ..."-plugin-watchdog 120 -plugin".split(" "),
      plugin,
      busybox,
      "sh",
      "-c",
      "echo a; (echo b; exit 3); echo c $?",
    ],
    cwd: dir,
    env: guestEnv(dir),
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  // The plugin's processes, the copy included (made with CLONE_PARENT), are plume's children in sessions of
  // their own. Once the copy is there (both it and the plugin's process hang in the fork), plume is killed:
  // nothing of plume's runs after, so only the copy's own death with plume can end it.
  const plugins = new Map<number, number>();
  const ownSession = processes().get(Deno.pid)?.session;
  for (let i = 0; i < 3000 && plugins.size < 2; i++) {
    for (const [pid, p] of processes()) {
      if (p.ppid === plume.pid && p.session !== ownSession) plugins.set(pid, p.session);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  plume.kill("SIGKILL");
  await plume.status;
  // The kernel delivers a parent's death signal at once; a moment for the processes to be gone.
  await new Promise((r) => setTimeout(r, 300));
  const sessions = new Set(plugins.values());
  // A zombie (ended, not yet collected by whoever inherited it) is gone as far as this goes.
  const left = [...processes()].filter(([, p]) => sessions.has(p.session) && p.state !== "Z").map(([pid]) => pid);
  for (const pid of left) Deno.kill(pid, "SIGKILL");
  assert(plugins.size >= 2, `plugin processes seen: ${[...plugins.keys()]}`);
  assertEquals(left, [], "plugin processes left after plume ended");
});

/**
 * Lets its process copy itself for each forked guest, then tells plume a
 * pid of -1 instead of the copy's (in the reply words, as it marks the
 * fork call done): plume refuses the reply, and the copy it was not told of
 * is left.
 */
const HIDES_COPY = `${PLUGIN_HEAD}const A = Atomics as Any, store = A.store;
A.store = (v: Any, i: number, value: number) => {
  // The control block (1 MiB), marked done (4) after a fork call (14): the pid is the reply's second word.
  if (v.buffer.byteLength === 1 << 20 && i === 0 && value === 4 && v[7] === 14) v[10] = -1;
  return store.call(Atomics, v, i, value);
};
${INSTALLS}`;

Deno.test("a copy of a plugin's process that plume was not told of is ended at once, not left per fork", async () => {
  const setup = await hostilePlugin("fork-hidden", "hides_copy.ts", HIDES_COPY);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  const { r, looks } = await runWatchingPlugins(dir, [
    "-plugin",
    plugin,
    busybox,
    "sh",
    "-c",
    // Eight forks, then a wait in the shell itself (read's timeout): every copy made is there by then.
    "for i in 1 2 3 4 5 6 7 8; do (true); done; echo forked; read -t 2 x; echo done",
  ], "piped");
  const most = Math.max(0, ...looks.map((l) => l.alive));
  assertEquals(text(r.stdout), "forked\ndone\n");
  assertEquals(r.code, 0);
  const lines = text(r.stderr).trimEnd().split("\n");
  for (const line of lines) {
    assertMatch(
      line,
      /^plume: plugin '[^']*hides_copy\.ts' \(#1\): fork: the plugin's process named pid -1; the forked/,
    );
  }
  assert(lines.length >= 8, text(r.stderr));
  // The plugin's process, and a copy for the moment between its making and plume's refusal.
  assert(most <= 2, `plugin processes at once: ${most}`);
});

/**
 * Replaces `BigInt` so that, once a fork call (`OP.FORK`, 14) is under way,
 * the first conversion of the `mmap` number (9) and the five after it give
 * `clone(CLONE_PARENT | SIGCHLD)` instead, and the process that call makes
 * spins: the copy of its process remapped its channel with a system call
 * whose number and arguments it converted with the global `BigInt` at the
 * call (an attacker helper's find; with `pwrite64` it wrote into a file the
 * process held). A process made so is not one plume knows of, and it does
 * not die with plume.
 */
const FORGES_SYSCALL = `${WATCHES_FORK}
const realBigInt = g.BigInt;
let step = -1;
A.store = (v: Any, i: number, value: number) => {
  if (forking && v.buffer.byteLength === 1 << 20 && i === 0 && value === 4) forking = false;
  return store.call(Atomics, v, i, value);
};
// syscall(56 clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0)
const FORGED = [56n, 0x8011n, 0n, 0n, 0n, 0n];
const fakeBigInt = function (x: Any) {
  if (forking && step < 0 && x === 9) step = 0;
  if (step >= 0 && step < FORGED.length) return FORGED[step++];
  if (step >= FORGED.length) for (let s = 0;;) s = (s + 1) | 0;
  return realBigInt(x);
};
Object.setPrototypeOf(fakeBigInt, realBigInt);
g.BigInt = fakeBigInt;
${INSTALLS}`;

Deno.test("a plugin that replaces BigInt chooses no system call of its process's copies: nothing outlives plume", async () => {
  if (Deno.build.arch !== "x86_64") return;
  const setup = await hostilePlugin("fork-forged", "forges_syscall.ts", FORGES_SYSCALL);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  // The plugin's sessions, seen while plume runs: whatever is left in them after plume ends outlived it.
  const { r, sessions, left } = await runWatchingPlugins(dir, [
    "-plugin-watchdog",
    "10",
    "-plugin",
    plugin,
    busybox,
    "sh",
    "-c",
    "echo a; (echo b; exit 3); echo c $?",
  ]);
  assertEquals(text(r.stdout), "a\nb\nc 3\n");
  assertEquals(r.code, 0);
  assert(sessions.size > 0, "no plugin process seen");
  assertEquals(left, [], `processes left after plume ended: ${text(r.stderr)}`);
  // Nothing went wrong for plume to report: the plugin's BigInt is called by nothing of the sandbox's.
  assertEquals(text(r.stderr), "");
});

/**
 * Copies its own process without plume asking (an attacker helper's find):
 * the runtime's serve loop reads the control block's state through
 * `Atomics.load`, which the plugin replaced so that, while the process is
 * idle, it writes a fork call (`OP.FORK`, 14) into the block and reports a
 * call, and swallows the runtime's `DONE` through `Atomics.store`. The
 * runtime's fork code then makes a real copy, a child of plume, and each
 * copy goes on doing so: 2^budget processes, each with a channel of its
 * own, past `-plugin-forks` and `-plugin-memory`, none of which plume had
 * heard of.
 */
const COPIES_ITSELF = `
import { type PluginId, qemu_plugin_register_vcpu_syscall_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;
// deno-lint-ignore no-explicit-any
type Any = any;
const A = Atomics as Any, load = A.load, store = A.store;
const STATE = 0, OP = 7, FORK = 14, CALL = 1, DONE = 4, IDLE = 0;
// Forks only while the guest waits in ppoll (73) with no call of plume's under way: \`budget=\` times, \`gap=\` ms apart.
let budget = 0, gap = 0, forging = false, since = Infinity;
A.load = (v: Any, i: number) => {
  const r = load.call(Atomics, v, i);
  if (forging || budget <= 0 || i !== STATE || v.buffer.byteLength !== 1 << 20 || r !== IDLE) return r;
  if (Date.now() - since < gap) return r;
  budget--;
  forging = true;
  v[OP] = FORK;
  v[10] = 0;
  return CALL;
};
A.store = (v: Any, i: number, x: number) => {
  if (forging && i === STATE && v.buffer.byteLength === 1 << 20) {
    forging = false;
    since = Date.now();
    if (x === DONE) return x;
  }
  return store.call(Atomics, v, i, x);
};
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  budget = Number(argv.find((a) => a.startsWith("budget="))!.slice(7));
  gap = Number(argv.find((a) => a.startsWith("gap="))!.slice(4));
  qemu_plugin_register_vcpu_syscall_cb(id, (_id: Any, _vcpu: number, num: bigint) => {
    since = num === 73n ? Date.now() : Infinity;
  });
  return 0;
}
`;

Deno.test("a plugin whose process copies itself unasked is unloaded with its copies: none outlives the check, few ever run", async () => {
  const setup = await hostilePlugin("self-copy", "copies_itself.ts", COPIES_ITSELF);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  // Three forks 300 ms apart (each copy forks too: 8 processes without the check), then forks as fast as the
  // copies can make them (a review's find: copies made while plume ended the others outlived the unload).
  for (const [args, bound] of [[",budget=3,gap=300", 4], [",budget=8,gap=0", 512]] as const) {
    // The guest waits (read's timeout, no fork), then computes: the copies come while plume waits for it.
    const guest = [busybox, "sh", "-c", "echo start; read -t 2 x; echo $((6 * 7))"];
    const { r, looks, took, left } = await runWatchingPlugins(dir, ["-plugin", plugin + args, ...guest], "piped");
    const most = Math.max(0, ...looks.map((l) => l.alive));
    const lastSeen = Math.max(0, ...looks.filter((l) => l.alive > 0).map((l) => l.at));
    assertEquals(text(r.stdout), "start\n42\n", args);
    assertEquals(r.code, 0, args);
    assertMatch(
      text(r.stderr),
      /^plume: plugin '[^']*copies_itself\.ts' \(#1\): its process made copies of itself that plume did not ask for \(\d+ ended\); plugin unloaded, the guest goes on\n$/,
      args,
    );
    assertEquals(left, [], `${args}: processes left after plume ended`);
    assert(most <= bound, `${args}: plugin processes at once: ${most}`);
    // The plugin's processes were all gone well before the guest's two seconds of waiting ended.
    assert(lastSeen < took - 500, `${args}: a plugin process ran until ${lastSeen} ms of ${took}`);
  }
});

/**
 * Holds back its answer to a guest fork's call for 3 s while the copy it
 * made for it (and each copy of that) copies itself as fast as it can: a
 * window in which plume did not look (an attacker helper's find: 513
 * processes, gigabytes with large scoreboards). Now one unknown process is
 * all a fork call may have.
 */
const STALLS_FORK = `${PLUGIN_HEAD}const A = Atomics as Any, load = A.load, store = A.store;
const STATE = 0, OP = 7, FORK = 14, CALL = 1, DONE = 4, IDLE = 0;
let budget = 6, forging = false, legit = false, armed = false, used = false;
A.load = (v: Any, i: number) => {
  const r = load.call(Atomics, v, i);
  if (i !== STATE || v.buffer.byteLength !== 1 << 20) return r;
  if (r === CALL && v[OP] === FORK && !used) legit = true;
  if (!armed || forging || budget <= 0 || r !== IDLE) return r;
  budget--;
  forging = true;
  v[OP] = FORK;
  v[10] = 0;
  return CALL;
};
A.store = (v: Any, i: number, x: number) => {
  if (i === STATE && v.buffer.byteLength === 1 << 20) {
    if (forging) {
      forging = false;
      if (x === DONE) return x;
    } else if (legit && x === IDLE) { // the copy plume asked for starts copying itself
      legit = false;
      used = true;
      armed = true;
    } else if (legit && x === DONE) { // its parent holds back the reply
      legit = false;
      used = true;
      const until = Date.now() + 3000;
      while (Date.now() < until) { /* spin */ }
    }
  }
  return store.call(Atomics, v, i, x);
};
${INSTALLS}`;

Deno.test("a plugin that holds back a fork call's answer while its copy copies itself is cut short: few processes ever run", async () => {
  const setup = await hostilePlugin("stalls-fork", "stalls_fork.ts", STALLS_FORK);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  const { r, looks } = await runWatchingPlugins(dir, [
    "-plugin",
    plugin,
    busybox,
    "sh",
    "-c",
    "echo start; (true); echo done",
  ]);
  // How long more plugin processes ran than the plugin's own and the copy its fork call names.
  const crowdedMs = looks.reduce((sum, l, k) => l.alive > 2 ? sum + l.at - (k > 0 ? looks[k - 1].at : 0) : sum, 0);
  assertEquals(text(r.stdout), "start\ndone\n");
  assertEquals(r.code, 0);
  assertMatch(text(r.stderr), /^(plume: plugin '[^']*stalls_fork\.ts' \(#1\): [^\n]*\n)+$/);
  assertMatch(text(r.stderr), /its process made copies of itself that plume did not ask for/);
  // Without the look during the call, the copies (65: 2^6 + 1) ran for all of its 3 s; an exponential growth may
  // still reach dozens between two looks 100 ms apart, but not for long.
  assert(crowdedMs < 1500, `more than two plugin processes for ${crowdedMs.toFixed(0)} ms`);
});

/**
 * Granted only the reading of one file, names that file's read-only
 * descriptor as the channel of its copy at each guest fork (trying the
 * descriptors from 3 up, one a fork): plume opened what the reply named
 * for writing, and took `F_GET_SEALS`' failure (-1, every bit set) on a
 * file that is no memfd for "sealed", so a file of the channel's size was
 * mapped as the copy's channel and written (an attacker helper's find).
 */
const NAMES_GRANTED_FILE = `${PLUGIN_HEAD}const A = Atomics as Any, store = A.store;
let fd = 2;
A.store = (v: Any, i: number, x: number) => {
  if (i === 0 && x === 4 && v.buffer.byteLength === 1 << 20 && v[7] === 14 && v[10] > 0) v[11] = ++fd;
  return store.call(Atomics, v, i, x);
};
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  Deno.openSync(argv[0].slice(5), { read: true });
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => {});
  return 0;
}
`;

Deno.test("a plugin granted the reading of a file cannot have plume write it as a copy's channel", async () => {
  const setup = await hostilePlugin("read-grant", "names_granted_file.ts", NAMES_GRANTED_FILE);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  const file = join(dir, "victim.bin");
  await Deno.writeFile(file, new Uint8Array(LAYOUT.size));
  const r = await new Deno.Command(plumeCommand()[0], {
    args: [
      ...plumeCommand().slice(1),
      "-plugin",
      `${plugin},file=${file}`,
      "-plugin-allow",
      `read=${file}`,
      busybox,
      "sh",
      "-c",
      "for i in $(seq 24); do (true); done; echo done",
    ],
    cwd: dir,
    env: guestEnv(dir),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(text(r.stdout), "done\n");
  assertEquals(r.code, 0);
  for (const line of text(r.stderr).trimEnd().split("\n")) {
    assertMatch(line, /^plume: plugin '[^']*names_granted_file\.ts' \(#1\): fork: /);
  }
  // Not one byte of the file changed.
  const bytes = await Deno.readFile(file);
  assertEquals(bytes.length, LAYOUT.size);
  assertEquals(bytes.some((b) => b !== 0), false);
});

/** Fills its arena through the API alone (scoreboards of 64 KiB), which each followed fork copies into a channel. */
const FILLS_ARENA = `${PLUGIN_HEAD}import { qemu_plugin_scoreboard_new } from "qemu-plugin";
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  for (let i = 0; i < 128; i++) qemu_plugin_scoreboard_new(1 << 16);
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => {});
  return 0;
}
`;

Deno.test("a followed fork's channel goes with its copy: plume maps no more channels than copies live", async () => {
  const setup = await hostilePlugin("fork-channels", "fills_arena.ts", FILLS_ARENA);
  if (!setup) return;
  const { busybox, dir, plugin } = setup;
  // Sixteen subshells one after another, then a pause in which the count is looked at again.
  const script = "i=0; while [ $i -lt 16 ]; do (:); i=$((i+1)); done; sleep 0.3; echo done";
  const w = await runWatchingPlugins(dir, ["-plugin-forks", "2", "-plugin", plugin, busybox, "sh", "-c", script]);
  assertEquals([text(w.r.stdout), text(w.r.stderr), w.r.code], ["done\n", "", 0]);
  // The first process's channel and the live copies' (at most two): each fork's stayed mapped, 17 at the end.
  const most = Math.max(...w.looks.map((l) => l.channels));
  assert(most >= 1 && most <= 3, `plume mapped ${most} channels at once`);
  assertEquals(w.left, []);
});
