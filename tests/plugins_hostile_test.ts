/**
 * Hostile plugins (`tests/plugins/hostile/`): each is refused at load
 * (exit status 1, one line naming the plugin, the file, the line and the
 * offending name) or unloaded at run time with a message naming it and the
 * callback, while the guest's output and exit status stay what they are
 * without plugins.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { GUEST_BIN, ROOT, runPlume } from "./harness.ts";
import { join } from "node:path";

const HOSTILE = join(ROOT, "tests/plugins/hostile");
const PROGRAM = join(GUEST_BIN, "fib_pie");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let plain: { stdout: Uint8Array; status: number } | undefined;
async function reference() {
  return plain ??= await runPlume([PROGRAM, "20"]);
}

/**
 * Runs the guest with one plugin (and extra flags); returns output, status
 * and stderr text. The watchdog is short only for the plugins that stall on
 * purpose: on a loaded machine a plugin thread may wait a second for a core.
 */
async function withPlugin(plugin: string, flags: string[] = []) {
  const watchdog = ["-plugin-watchdog", plugin.includes("loop.ts") ? "1" : "60"];
  const r = await runPlume([PROGRAM, "20"], {
    flags: [...watchdog, "-plugin-memory", "64", "-plugin", plugin, ...flags],
  });
  return { ...r, err: text(r.stderr) };
}

Deno.test("hostile plugins refused at load: one line, exit status 1, file, line and name", async () => {
  const cases: [string, RegExp][] = [
    ["reads_file.ts", /reads_file\.ts:12:\d+: reference to global 'Deno' is not allowed/],
    ["globals.ts", /globals\.ts:13:\d+: reference to global 'globalThis' is not allowed/],
    ["node_fs.ts", /node_fs\.ts:7:\d+: module 'node:fs' is not allowed/],
    ["secret.ts", /secret\.ts:9:\d+: undefined symbol 'qemu_plugin_secret' \(not exported by "qemu-plugin"\)/],
    ["dynamic_import.ts", /dynamic_import\.ts:12:\d+: dynamic import\(\) of '\.\/throws\.ts' is not allowed/],
    ["bad_version.ts", /qemu_plugin_version 99 is outside the supported range \[2, 7\]/],
    ["refuses.ts", /qemu_plugin_install returned 3/],
    ["throws.ts,where=install", /qemu_plugin_install: Error: boom in install/],
  ];
  for (const [plugin, message] of cases) {
    const r = await withPlugin(join(HOSTILE, plugin));
    assertEquals(r.status, 1, plugin);
    assertEquals(r.stdout.length, 0, `${plugin}: the guest must not start`);
    const lines = r.err.trimEnd().split("\n");
    assertEquals(lines.length, 1, `${plugin}: ${r.err}`);
    assertMatch(lines[0], /^plume: plugin '[^']*hostile\/[a-z_]+\.ts': /);
    assertMatch(lines[0], message);
  }
});

Deno.test("hostile plugins contained at run time: unloaded with a message, guest output and status intact", async () => {
  const ref = await reference();
  const granted = await Deno.makeTempFile({ prefix: "plume-granted-" });
  const grant = ["-plugin-allow", `read=${granted}`];
  const cases: [string, string[], RegExp][] = [
    ["throws.ts,where=exec", [], /exec callback 'onExec': Error: boom in exec/],
    ["throws.ts,where=trans", [], /tb trans callback 'onTrans': TypeError: boom in trans/],
    ["throws.ts,where=sync", [], /tb exec callback 'onSync': RangeError: boom in sync/],
    ["loop.ts,where=trans", [], /tb trans callback: no answer for 1 s \(watchdog\)/],
    ["loop.ts,where=exec", [], /no (answer|progress) for 1 s \(watchdog\)/],
    ["oom.ts", [], /tb trans callback: out of memory \(limit 64 MiB\)/],
    ["evades.ts", [], /tb trans callback 'onTrans': TypeError: Cannot read properties of undefined/],
    ["exceeds.ts,do=read", grant, /NotCapable: Requires read access to "\/etc\/passwd" \(not granted/],
    ["exceeds.ts,do=env", grant, /NotCapable: Requires env access to "HOME"/],
    ["exceeds.ts,do=net", grant, /NotCapable: Requires net access/],
    ["exceeds.ts,do=run", grant, /NotCapable: Requires run access to "true"/],
    ["forges_id.ts", [], /qemu_plugin_register_atexit_cb: invalid plugin id \d+ \(not this plugin's id\)/],
    ["stale_handle.ts", [], /exec callback 'useStale': PluginApiError: qemu_plugin_tb_n_insns: tb handle used outside/],
  ];
  for (const [plugin, flags, message] of cases) {
    const r = await withPlugin(join(HOSTILE, plugin), flags);
    assertEquals(r.status, ref.status, plugin);
    assertEquals(text(r.stdout), text(ref.stdout), plugin);
    assertMatch(r.err, /plume: plugin '[^']*hostile\/[a-z_]+\.ts' \(#1\): /, plugin);
    assertMatch(r.err, message, plugin);
    assertMatch(r.err, /plugin unloaded, the guest goes on/, plugin);
  }
});

Deno.test("a granted permission works, and only for that instance", async () => {
  const granted = await Deno.makeTempFile({ prefix: "plume-granted-" });
  await Deno.writeTextFile(granted, "twelve chars");
  const plugin = join(HOSTILE, `exceeds.ts,do=none,granted=${granted}`);
  const ok = await withPlugin(plugin, ["-d", "plugin", "-plugin-allow", `read=${granted}`]);
  assertMatch(ok.err, /granted file has 12 characters/);
  // The same plugin without the grant is refused at load: it names Deno.
  const refused = await withPlugin(plugin);
  assertEquals(refused.status, 1);
  assertMatch(refused.err, /reference to global 'Deno' is not allowed/);
});

Deno.test("-plugin-errors fatal stops plume with the plugin's message", async () => {
  const r = await withPlugin(join(HOSTILE, "throws.ts,where=trans"), ["-plugin-errors", "fatal"]);
  assertEquals(r.status, 1);
  assertMatch(
    r.err,
    /^plume: plugin '[^']*throws\.ts' \(#1\): tb trans callback 'onTrans': TypeError: boom in trans\n$/,
  );
});

Deno.test("a failing plugin does not disturb another one", async () => {
  const r = await withPlugin(join(HOSTILE, "throws.ts,where=exec"), ["-d", "plugin", "-plugin", "insn"]);
  assertEquals(r.status, 0);
  assertMatch(r.err, /boom in exec/);
  assertMatch(r.err, /^total insns: \d+$/m);
  const insns = Number(/^total insns: (\d+)$/m.exec(r.err)![1]);
  assert(insns > 10000, `${insns}`);
});
