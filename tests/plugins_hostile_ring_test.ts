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
import { busyboxPath, guestEnv, plumeTaskFlags, ROOT, tempDir } from "./harness.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

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
const HANGS_FORK = `
import { type PluginId, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;
// deno-lint-ignore no-explicit-any
type Any = any;
const g = [].constructor.constructor("return this")() as Any;
const A = Atomics as Any, load = A.load, store = A.store;
const realNumber = g.Number, realBigInt = g.BigInt;
let forking = false, cloning = false;
const hang = (): never => {
  const w = new Int32Array(new SharedArrayBuffer(4));
  for (;;) load.call(Atomics, w, 0) === 0 && Atomics.wait(w, 0, 0, 1000);
};
A.load = (v: Any, i: number) => {
  const value = load.call(Atomics, v, i);
  // The control block (1 MiB): a call in state CALL whose operation is a fork.
  if (v.buffer.byteLength === 1 << 20 && i === 0 && value === 1 && v[7] === 14) forking = true;
  return value;
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

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => {});
  return 0;
}
`;

Deno.test("a plugin's copy for a forked guest dies with plume, whatever globals the plugin replaced", async () => {
  const busybox = busyboxPath();
  if (!busybox || Deno.build.os !== "linux") return;
  const dir = await tempDir("plume-hostile-fork-copy-");
  const plugin = join(dir, "hangs_fork.ts");
  await Deno.writeTextFile(plugin, HANGS_FORK);
  const plume = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json"))),
      `--config=${join(ROOT, "deno.json")}`,
      join(ROOT, "main.ts"),
      ..."-plugin-watchdog 2 -plugin".split(" "),
      plugin,
      busybox,
      "sh",
      "-c",
      "echo a; (echo b; exit 3); echo c $?",
    ],
    cwd: dir,
    env: guestEnv(dir),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = plume.output();
  let ended = false;
  output.finally(() => (ended = true));
  // The plugin's processes, the copy included (made with CLONE_PARENT), are plume's children in sessions of
  // their own: seen while plume runs.
  const plugins = new Map<number, number>();
  const ownSession = processes().get(Deno.pid)?.session;
  while (!ended) {
    for (const [pid, p] of processes()) {
      if (p.ppid === plume.pid && p.session !== ownSession) plugins.set(pid, p.session);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const r = await output;
  // The kernel delivers a parent's death signal at once; a moment for the process to be gone.
  await new Promise((r) => setTimeout(r, 300));
  const sessions = new Set(plugins.values());
  // A zombie (ended, not yet collected by whoever inherited it) is gone as far as this goes.
  const left = [...processes()].filter(([, p]) => sessions.has(p.session) && p.state !== "Z").map(([pid]) => pid);
  for (const pid of left) Deno.kill(pid, "SIGKILL");
  assert(plugins.size >= 2, `plugin processes seen: ${[...plugins.keys()]}`);
  assertEquals(left, [], "plugin processes left after plume ended");
  assertEquals(text(r.stdout), "a\nb\nc 3\n");
  assertEquals(r.code, 0);
  const lines = text(r.stderr).trimEnd().split("\n");
  assertEquals(lines.length, 1, text(r.stderr));
  assertMatch(lines[0], /^plume: plugin '[^']*hangs_fork\.ts' \(#1\): fork: no answer for 2 s \(watchdog\); plugin/);
});
