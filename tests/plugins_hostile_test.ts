/**
 * Hostile plugins (`tests/plugins/hostile/`), written as an attacker would:
 * each is refused at load (exit status 1, one line naming the plugin and
 * what it did) or unloaded at run time with one line naming it and the
 * callback, while the guest's output and exit status stay what they are
 * without plugins, nothing outside the plugin's process is touched (no
 * file, no process, no signal to plume, no byte on plume's stdout or of the
 * guest's stdin), and plume never waits much longer than the watchdog.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { GUEST_BIN, guestEnv, ROOT, runPlume, tempDir } from "./harness.ts";
import { join } from "node:path";

const HOSTILE = join(ROOT, "tests/plugins/hostile");
const PROGRAM = join(GUEST_BIN, "fib_pie");
const BUSYBOX = join(ROOT, ".cache/debian/busybox-static/usr/bin/busybox");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** The one line plume prints about a plugin it unloads. */
const UNLOAD_LINE = /^plume: plugin '[^']*hostile\/[a-z_]+\.ts' \(#1\): [^\n]*; plugin unloaded, the guest goes on$/;

let plain: { stdout: Uint8Array; status: number } | undefined;
async function reference() {
  return plain ??= await runPlume([PROGRAM, "20"]);
}

/**
 * Runs the guest with one plugin (and extra flags); returns output, status,
 * stderr text and the wall time. A watchdog of 1 s for the plugins that
 * stall on purpose, else a long one: on a loaded machine a plugin process
 * may wait a second for a core.
 */
async function withPlugin(plugin: string, flags: string[] = [], watchdog = 60) {
  const t0 = performance.now();
  const r = await runPlume([PROGRAM, "20"], {
    flags: ["-plugin-watchdog", String(watchdog), "-plugin-memory", "64", "-plugin", plugin, ...flags],
  });
  return { ...r, err: text(r.stderr), seconds: (performance.now() - t0) / 1000 };
}

/** Checks that stderr is exactly one line (no control character of the plugin's got through) matching `message`. */
function assertOneLine(err: string, message: RegExp, label: string): void {
  const lines = err.trimEnd().split("\n");
  assertEquals(lines.length, 1, `${label}: ${JSON.stringify(err)}`);
  // deno-lint-ignore no-control-regex
  assert(!/[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]/.test(err), `${label}: a control character in ${JSON.stringify(err)}`);
  assertMatch(lines[0], message, label);
}

Deno.test("hostile plugins refused at load: one line, exit status 1, the plugin and what it did", async () => {
  const cases: [string, RegExp, number?][] = [
    ["reads_file.ts", /reads_file\.ts:12:\d+: reference to global 'Deno' is not allowed/],
    ["globals.ts", /globals\.ts:13:\d+: reference to global 'globalThis' is not allowed/],
    ["node_fs.ts", /node_fs\.ts:7:\d+: module 'node:fs' is not allowed/],
    ["secret.ts", /secret\.ts:9:\d+: undefined symbol 'qemu_plugin_secret' \(not exported by "qemu-plugin"\)/],
    ["dynamic_import.ts", /dynamic_import\.ts:12:\d+: dynamic import\(\) of '\.\/throws\.ts' is not allowed/],
    ["traverses.ts", /traverses\.ts:10:\d+: import of '\.\.\/count\.ts' is not allowed \(only \.ts\/\.js files under/],
    ["bad_version.ts", /qemu_plugin_version 99 is outside the supported range \[2, 7\]$/],
    ["version_string.ts", /: qemu_plugin_version is not an integer \(a string\)$/],
    ["version_symbol.ts", /: qemu_plugin_version is not an integer \(a symbol\)$/],
    ["version_proxy.ts", /: qemu_plugin_version is not an integer \(an object\)$/],
    ["refuses.ts", /: qemu_plugin_install returned 3$/],
    ["refuses.ts,ret=NaN", /: qemu_plugin_install returned NaN$/],
    ["refuses.ts,ret=2**32", /: qemu_plugin_install returned 4294967296$/],
    ["refuses.ts,ret=Infinity", /: qemu_plugin_install returned Infinity$/],
    ["refuses.ts,ret=0.9", /: qemu_plugin_install returned 0\.9$/],
    ["refuses.ts,ret=undefined", /: qemu_plugin_install returned undefined \(no return value\)$/],
    ["refuses.ts,ret=string", /: qemu_plugin_install returned "0\\nplume: forged"$/],
    ["refuses.ts,ret=object", /: qemu_plugin_install returned an object$/],
    ["refuses.ts,ret=bigint", /: qemu_plugin_install returned 0n$/],
    ["throws.ts,where=install", /: qemu_plugin_install: Error: boom in install$/],
    ["loop_top_level.ts", /: evaluating the plugin: not done after 1 s \(watchdog\)$/, 1],
    ["stall.ts,where=install", /: qemu_plugin_install: no answer for 1 s \(watchdog\)$/, 1],
    ["intrinsics.ts,what=atomics", /: qemu_plugin_install: no answer for 1 s \(watchdog\)$/, 1],
  ];
  for (const [plugin, message, watchdog] of cases) {
    const r = await withPlugin(join(HOSTILE, plugin), [], watchdog);
    assertEquals(r.status, 1, plugin);
    assertEquals(r.stdout.length, 0, `${plugin}: the guest must not start`);
    assertOneLine(r.err, /^plume: plugin '[^']*hostile\/[a-z_]+\.ts': /, plugin);
    assertMatch(r.err.trimEnd(), message, plugin);
    assert(r.seconds < 30, `${plugin}: ${r.seconds} s`);
  }
});

Deno.test("a plugin's file name with a newline and an escape code is escaped in plume's line", async () => {
  // A plugin handed out as a file chooses its own name: it must not forge a line of plume's, nor reach the terminal.
  const dir = await tempDir("plume-named-");
  const named = join(dir, "evil\nplume: plugin 'insn' (#1): forged\x1b[31m.ts");
  await Deno.copyFile(join(HOSTILE, "throws.ts"), named);
  const r = await withPlugin(`${named},where=install`, []);
  assertEquals(r.status, 1);
  assertOneLine(r.err, /^plume: plugin '[^']*evil\\nplume: plugin 'insn' \(#1\): forged\\x1b\[31m\.ts': /, "named");
  assert(!r.err.includes("\x1b"), "a raw escape code reached plume's output");
});

Deno.test("hostile plugins contained at run time: one line, guest output and status intact", async () => {
  const ref = await reference();
  const granted = join(await tempDir("plume-granted-"), "granted");
  await Deno.writeTextFile(granted, "");
  const grant = ["-plugin-allow", `read=${granted}`];
  const cases: [string, string[], RegExp, number?][] = [
    ["throws.ts,where=exec", [], /exec callback 'onExec': Error: boom in exec/],
    ["throws.ts,where=mem", [], /mem callback 'onMem': Error: boom in mem/],
    ["throws.ts,where=trans", [], /tb trans callback 'onTrans': TypeError: boom in trans/],
    ["throws.ts,where=sync", [], /tb exec callback 'onSync': RangeError: boom in sync/],
    // Thrown text is escaped: no newline, carriage return, escape sequence or line separator gets through.
    ["throws.ts,where=forged", [], /'onTrans': Error: boom\\nplume: plugin 'victim' \(#2\): forged line\\x1b\[2J/],
    ["throws.ts,where=proxy", [], /tb trans callback 'onTrans': an exception that is not an Error/],
    ["throws.ts,where=symbol", [], /tb trans callback 'onTrans': a symbol/],
    ["throws.ts,where=tostring", [], /tb trans callback 'onTrans': an exception that is not an Error/],
    ["throws.ts,where=function", [], /tb trans callback 'onTrans': a function 'chosen'; plugin unloaded/],
    ["loop.ts,where=trans", [], /tb trans callback: no answer for 1 s \(watchdog\)/, 1],
    ["loop.ts,where=exec", [], /no answer for 1 s \(watchdog; the plugin was still replaying streamed callbacks\)/, 1],
    // Each register read is progress, but the call never ends: the watchdog counts the call's whole time.
    ["stall.ts,where=requests", [], /exec callback: no answer for 1 s \(watchdog\)/, 1],
    ["stall.ts,where=slow", [], /no answer for 1 s \(watchdog; the plugin was still replaying streamed callbacks\)/, 1],
    ["oom.ts", [], /tb trans callback: out of memory \(limit 64 MiB\)/],
    // A failed ArrayBuffer or WebAssembly allocation is an exception the plugin may catch, or V8 gives up: both end it.
    [
      "oom.ts,kind=buffers",
      [],
      /tb trans callback(: out of memory \(limit 64 MiB\)| 'onTrans': RangeError: Array buffer)/,
    ],
    ["oom.ts,kind=wasm", [], /tb trans callback(: out of memory \(limit 64 MiB\)| 'onTrans': RangeError: WebAssembly)/],
    ["floods.ts", [], /tb trans callback: more than 16 registrations on one instruction \(limit\)/],
    // Each reset flushes the block it was made in: translated again, reset again, for ever, each call answered at once.
    ["resets.ts", [], /tb trans callback: qemu_plugin_reset at 2 translations of the block at 0x[0-9a-f]+ in a row/],
    ["intrinsics.ts,what=arrays", [], /exec callback \(anonymous\): Error: poisoned intrinsic/],
    ["evades.ts", [], /tb trans callback 'onTrans': TypeError: Cannot read properties of undefined/],
    ["escapes.ts,raw=kill", [], /tb trans callback 'onTrans': TypeError: Cannot read properties of undefined/],
    ["escapes.ts,raw=stop", [], /tb trans callback 'onTrans': TypeError: Cannot read properties of undefined/],
    ["escapes.ts,raw=console", [], /tb trans callback 'onTrans': TypeError: Cannot read properties of undefined/],
    ["escapes.ts,raw=fsWrite", [], /tb trans callback 'onTrans': TypeError: Cannot read properties of undefined/],
    ["escapes.ts,raw=worker", [], /tb trans callback 'onTrans': TypeError: g\.Worker is not a constructor/],
    ["exceeds.ts,do=read", grant, /NotCapable: Requires read access to "\/etc\/passwd" \(not granted/],
    ["exceeds.ts,do=env", grant, /NotCapable: Requires env access to "HOME"/],
    ["exceeds.ts,do=net", grant, /NotCapable: Requires net access/],
    ["exceeds.ts,do=run", grant, /NotCapable: Requires run access to "true"/],
    ["forges_id.ts", [], /qemu_plugin_register_atexit_cb: invalid plugin id \d+ \(not this plugin's id\)/],
    ["stale_handle.ts", [], /exec callback 'useStale': PluginApiError: qemu_plugin_tb_n_insns: tb handle used outside/],
  ];
  for (const [plugin, flags, message, watchdog] of cases) {
    const r = await withPlugin(join(HOSTILE, plugin), flags, watchdog);
    assertEquals(r.status, ref.status, plugin);
    assertEquals(text(r.stdout), text(ref.stdout), plugin);
    assertOneLine(r.err, UNLOAD_LINE, plugin);
    assertMatch(r.err, message, plugin);
    assert(r.seconds < 30, `${plugin}: ${r.seconds} s`);
  }
});

Deno.test("a plugin that poisons the intrinsics its runtime uses harms only itself", async () => {
  const ref = await reference();
  for (const what of ["json", "text", "errors", "functions", "all"]) {
    const r = await withPlugin(join(HOSTILE, `intrinsics.ts,what=${what}`), [], 1);
    const plumeLines = r.err.split("\n").filter((l) => l.startsWith("plume:"));
    assert(plumeLines.length <= 1, `${what}: ${r.err}`);
    // Refused at install, the guest never started; loaded, it runs to the end.
    if (r.status === 1) {
      assertMatch(r.err, /qemu_plugin_install: no answer for 1 s \(watchdog\)/, what);
      assertEquals(r.stdout.length, 0, what);
    } else {
      assertEquals(r.status, ref.status, what);
      assertEquals(text(r.stdout), text(ref.stdout), what);
    }
  }
});

Deno.test("register reads give a new array each, which later reads neither see scribbled on nor change", async () => {
  const ref = await reference();
  const r = await withPlugin(join(HOSTILE, "register_bytes.ts"), ["-d", "plugin"]);
  assertEquals({ status: r.status, stdout: text(r.stdout) }, { status: ref.status, stdout: text(ref.stdout) });
  const m = /^reads (\d+) broken (\d+)$/m.exec(r.err);
  assert(m, r.err);
  // More reads than the stock holds many times over, so that most come from arrays made while the plugin waited.
  assert(Number(m[1]) > 1000, r.err);
  assertEquals(Number(m[2]), 0, r.err);
});

Deno.test("no callback is called with one of the runtime's objects as `this`", async () => {
  const ref = await reference();
  const r = await withPlugin(join(HOSTILE, "receivers.ts"), ["-d", "plugin"]);
  assertEquals({ status: r.status, stdout: text(r.stdout) }, { status: ref.status, stdout: text(ref.stdout) });
  // Every kind ran (the test is not vacuous), and none got a receiver.
  const kinds = "atexit, block conditional, conditional, discontinuity, streamed block, streamed instruction, " +
    "streamed memory, synchronous block, synchronous conditional, synchronous instruction, synchronous memory, " +
    "syscall, syscall return, translation, vcpu exit, vcpu init";
  assertMatch(r.err, new RegExp(`^ran: ${kinds}$`, "m"));
  assertMatch(r.err, /^received: none$/m);
});

Deno.test("a caught qemu_plugin_set_pc signal cannot be changed, nor its class, nor copied into a pc change", async () => {
  const ref = await reference();
  const r = await withPlugin(join(HOSTILE, "set_pc_forged.ts"), ["-plugin-allow", "guest=write", "-d", "plugin"]);
  // Taken for the signal, the copy sent the guest to address 0 (status 139, its output lost).
  assertEquals({ status: r.status, stdout: text(r.stdout) }, { status: ref.status, stdout: text(ref.stdout) });
  assertMatch(r.err, /^tampered: nothing$/m);
  assertMatch(
    r.err,
    /^plume: plugin '[^']*set_pc_forged\.ts' \(#1\): tb exec callback 'onBlock': an exception that is not an Error; plugin unloaded, the guest goes on$/m,
  );
});

Deno.test("a plugin that reaches the global object finds no way out: no signal, no stdio, no file, no process", async () => {
  const marker = join(await tempDir("plume-marker-"), "touched");
  const input = "the guest's stdin, every byte of it\n".repeat(200);
  const r = await runPlume([BUSYBOX, "cat"], {
    flags: ["-d", "plugin", "-plugin", `${join(HOSTILE, "escapes.ts")},marker=${marker}`],
    stdin: new TextEncoder().encode(input),
  });
  assertEquals(r.status, 0);
  assertEquals(text(r.stdout), input);
  const err = text(r.stderr);
  assert(!err.includes("PLUGIN WROTE"), err);
  const outcomes = err.split("\n").filter((l) => /^\w+ \w+: /.test(l));
  assertEquals(outcomes.length, 3 * 25, err);
  for (const line of outcomes) assertMatch(line, /: refused \(TypeError\)$/);
  for (const path of ["function", "generator", "reflect"]) assertMatch(err, new RegExp(`^${path}: \\d+ globals$`, "m"));
  await Deno.stat(marker).then(() => assert(false, "the marker file was created"), () => {});
});

/** Starts plume itself (not through the harness), so that a test can signal it or its plugin processes. */
function startPlume(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** plume's plugin processes (not esbuild, which it may run too), once there are some. */
async function pluginProcesses(plume: Deno.ChildProcess): Promise<string[]> {
  const isPluginProcess = (pid: string) => {
    try {
      // From the sources, host.ts; from plume's own bundle, host.js.
      return /sandbox\/host\.[jt]s\0/.test(Deno.readTextFileSync(`/proc/${pid}/cmdline`));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 200; i++) {
    try {
      const pids = Deno.readTextFileSync(`/proc/${plume.pid}/task/${plume.pid}/children`).trim().split(/\s+/);
      const plugins = pids.filter(isPluginProcess);
      if (plugins.length > 0) return plugins;
    } catch { /* not there yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the plugin process did not start");
}

Deno.test("a plugin process dies with plume, even killed by SIGKILL while a callback spins", async () => {
  const plume = startPlume([
    ..."-plugin-watchdog 60 -plugin".split(" "),
    `${join(HOSTILE, "loop.ts")},where=exec`,
    ...[BUSYBOX, "sh", "-c", "while :; do :; done"],
  ]);
  const plugins = await pluginProcesses(plume);
  // Let the spinning callback start, then kill plume outright.
  await new Promise((r) => setTimeout(r, 1000));
  plume.kill("SIGKILL");
  await plume.output();
  for (let i = 0; i < 50; i++) {
    if (plugins.every((pid) => !isAlive(pid))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of plugins) assert(!isAlive(pid), `plugin process ${pid} outlived plume`);
});

Deno.test("a plugin process that dies while the guest sleeps is named by how it died, not by the watchdog", async () => {
  const t0 = performance.now();
  const plume = startPlume(["-plugin-watchdog", "60", "-plugin", "insn", BUSYBOX, "sh", "-c", "sleep 2; echo done"]);
  const plugins = await pluginProcesses(plume);
  // While the guest sleeps plume's event loop runs, and Deno reaps the dead plugin process before plume looks.
  await new Promise((r) => setTimeout(r, 1200));
  for (const pid of plugins) Deno.kill(Number(pid), "SIGKILL");
  const r = await plume.output();
  assertEquals([r.code, text(r.stdout)], [0, "done\n"]);
  assertOneLine(text(r.stderr), /: its process was killed by signal 9; plugin unloaded, the guest goes on$/, "killed");
  assert(performance.now() - t0 < 30_000, "the death was seen only by the watchdog");
});

/** True while process `pid` exists and is not a zombie. */
function isAlive(pid: string): boolean {
  try {
    return !/\) Z /.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

Deno.test("a plugin that fails while a block is translated does not disturb another's synchronous callbacks", async () => {
  // The failure flushes every translation mid-translation: the block must not keep callback ids of the old generation.
  const r = await runPlume([BUSYBOX, "sh", "-c", "for i in 1 2 3; do echo $i; done"], {
    flags: [
      "-d",
      "plugin",
      "-plugin",
      join(ROOT, "tests/plugins/sync_pc.ts"),
      "-plugin",
      `${HOSTILE}/throws.ts,where=trans,at=30`,
    ],
  });
  assertEquals([r.status, text(r.stdout)], [0, "1\n2\n3\n"]);
  const err = text(r.stderr);
  assertMatch(err, /\(#2\): tb trans callback 'onTrans': TypeError: boom in trans/);
  const [, calls, wrong] = /^sync calls (\d+) wrong (\d+)$/m.exec(err)!;
  assert(Number(calls) > 1000, calls);
  assertEquals(wrong, "0");
});

/**
 * Runs `bb` beside hostile plugin `plugin`: the guest's output and status as without plugins, and `bb`'s counts as
 * when it runs alone; returns plume's stderr.
 */
async function besideBb(plugin: string): Promise<string> {
  const bb = ["-d", "plugin", "-plugin", "bb"];
  const alone = await runPlume([PROGRAM, "20"], { flags: bb });
  const r = await runPlume([PROGRAM, "20"], { flags: [...bb, "-plugin", `${HOSTILE}/${plugin}`] });
  const ref = await reference();
  assertEquals([r.status, text(r.stdout)], [ref.status, text(ref.stdout)]);
  const counts = /^CPU0: bb's: \d+, insns: \d+$/m;
  const want = counts.exec(text(alone.stderr))?.[0];
  assert(want !== undefined, text(alone.stderr));
  const err = text(r.stderr);
  assertEquals(counts.exec(err)?.[0], want, err);
  return err;
}

Deno.test("a plugin that resets at every translation is ended, and another plugin still counts every block", async () => {
  const err = await besideBb("resets.ts");
  assertMatch(err, /^plume: plugin '[^']*resets\.ts' \(#2\): tb trans callback: qemu_plugin_reset at 2 translations/m);
});

Deno.test("a plugin that writes its reset request itself at each completion: another plugin still counts every block", async () => {
  const err = await besideBb("resets_forged.ts");
  // It did forge (at the first vCPU call and at the completion that followed), and its request was dropped.
  const forged = Number(/^forged resets: (\d+)$/m.exec(err)?.[1]);
  assert(forged >= 2, err);
});

Deno.test("never-true synchronous callbacks, 16 per instruction: plume flushes its translations, the guest is intact", async () => {
  // Within every bound on registrations, they made plume itself hold a gigabyte per plugin: their code and table
  // entries now go at a flush every 32K of them, as when the translation budget is spent.
  // busybox echo translates some 4,700 instructions: 75,000 such callbacks.
  const r = await runPlume([BUSYBOX, "echo", "hi"], {
    flags: ["-d", "plugin", "-plugin", `${join(HOSTILE, "floods.ts")},n=16`],
  });
  const err = text(r.stderr);
  assertEquals([r.status, text(r.stdout)], [0, "hi\n"]);
  const [, fired, flushes] = /^fired (\d+), flushes (\d+)$/m.exec(err) ?? [];
  assertEquals(fired, "0", err);
  assert(Number(flushes) >= 1, err);
});

Deno.test("a plugin that resets from an execution callback at every block: the guest finishes intact", async () => {
  // Each reset flushes every translation, and the plugin's side keeps a slot list per translation: under 64 MiB the
  // plugin runs out of memory first (one line), with more the guest crawls to its end (nothing said). Either way the
  // guest's output and status are intact.
  const r = await withPlugin(join(HOSTILE, "resets_in_exec.ts"));
  const ref = await reference();
  assertEquals([r.status, text(r.stdout)], [ref.status, text(ref.stdout)]);
  if (r.err !== "") {
    assertOneLine(r.err, UNLOAD_LINE, "resets_in_exec.ts");
    assertMatch(r.err, /out of memory \(limit 64 MiB\)/);
  }
});

Deno.test("a plugin that resets once from a translation callback goes on, whatever its completion asks next", async () => {
  const plugin = join(ROOT, "tests/plugins/reset_once.ts");
  const ref = await reference();
  const cases: [string, RegExp][] = [
    ["", /^reset 1 done at translation 50\ntranslations \d+, blocks \d+, resets 1\n$/],
    [",at=1", /^reset 1 done at translation 1\ntranslations \d+, blocks \d+, resets 1\n$/],
    // An uninstall from the completion goes ahead (the reset rule once took it for a second reset and ended it).
    [",uninstall", /^reset 1 done at translation 50\nuninstalled at translation 50\n$/],
    // A reset asked for while one completes is ignored, as QEMU's plugin_reset_uninstall does.
    [",nested", /^reset 1 done at translation 50\ntranslations \d+, blocks \d+, resets 1\n$/],
  ];
  for (const [args, want] of cases) {
    const r = await runPlume([PROGRAM, "20"], { flags: ["-d", "plugin", "-plugin", plugin + args] });
    assertEquals([r.status, text(r.stdout)], [ref.status, text(ref.stdout)], args);
    assertMatch(text(r.stderr), want, args);
  }
});

Deno.test("a granted permission works, and only for that instance", async () => {
  const granted = join(await tempDir("plume-granted-"), "granted");
  await Deno.writeTextFile(granted, "twelve chars");
  const plugin = join(HOSTILE, `exceeds.ts,do=none,granted=${granted}`);
  const ok = await withPlugin(plugin, ["-d", "plugin", "-plugin-allow", `read=${granted}`]);
  assertMatch(ok.err, /granted file has 12 characters/);
  // The same plugin without the grant is refused at load: it names Deno.
  const refused = await withPlugin(plugin);
  assertEquals(refused.status, 1);
  assertMatch(refused.err, /reference to global 'Deno' is not allowed/);
});

Deno.test("a grant to write a file writes that file: its name cannot become a directory of the plugin's", async () => {
  const file = join(await tempDir("plume-grant-file-"), "out.txt");
  await Deno.writeTextFile(file, "before\n");
  const plugin = join(HOSTILE, `grows_grant.ts,file=${file}`);
  const r = await withPlugin(plugin, ["-d", "plugin", "-plugin-allow", `write=${file}`]);
  assertEquals(r.status, 0, r.err);
  const steps = r.err.split("\n").filter((l) => /^[a-z ]+: \w+$/.test(l));
  // On x86-64 the process's seccomp filter refuses the calls that change the tree (EPERM); Deno's own check the rest.
  if (Deno.build.arch === "x86_64") {
    assertEquals(steps, [
      "write with a mode: PermissionDenied",
      "write the file: done",
      "remove: PermissionDenied",
      "mkdir: PermissionDenied",
      "chmod: PermissionDenied",
      "write under: NotADirectory",
      "mkdir under: PermissionDenied",
    ]);
  }
  const info = await Deno.lstat(file);
  assert(info.isFile, "still a file");
  assertEquals(info.mode! & 0o7777, 0o644, "its mode unchanged");
  assertEquals(await Deno.readTextFile(file), "the plugin's\n");
});

Deno.test("a unix socket is a grant: without unix=PATH a plugin has none, with it that one connection only", async () => {
  const dir = await tempDir("plume-unix-");
  const path = join(dir, "peer.sock"), other = join(dir, "other.sock");
  // A peer listening at `path`, keeping what each connection sends.
  const listener = Deno.listen({ transport: "unix", path });
  const received: string[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      received.push("");
      const at = received.length - 1;
      (async () => {
        for await (const chunk of conn.readable) received[at] += text(chunk);
      })().catch(() => {});
    }
  })().catch(() => {});
  const plugin = join(HOSTILE, "unix_socket.ts");
  try {
    // No grant: plume hands out no socket, and Deno's API is not there.
    const none = await withPlugin(`${plugin},ask=${path},deno=${path}`, ["-d", "plugin"]);
    assertMatch(none.err, /ask .*peer\.sock: refused \(PluginApiError: plume_unix_socket: no unix socket granted at/);
    assertMatch(none.err, /Deno\.connect .*: refused \(TypeError/);
    assertMatch(none.err, /Deno\.listen .*: refused \(TypeError/);
    // Deno's own grants on the path (what Deno.connect and Deno.listen check of a unix socket) give no socket:
    // Deno also wants net access, and the seccomp filter refuses socket() without a net grant.
    const deno = await withPlugin(`${plugin},ask=${path},deno=${path}`, [
      "-d",
      "plugin",
      ...[path, `${path}.listen`].flatMap((p) => ["-plugin-allow", `read=${p}`, "-plugin-allow", `write=${p}`]),
    ]);
    assertMatch(deno.err, /ask .*: refused \(PluginApiError/);
    assertMatch(deno.err, /Deno\.listen .*peer\.sock\.listen: refused \(NotCapable/);
    await Deno.lstat(`${path}.listen`).then(() => assert(false, "the plugin made a socket"), () => {});
    // unix=PATH: the one connection plume made for the plugin, and no other.
    const granted = await withPlugin(`${plugin},ask=${path},ask=${other},deno=${path}`, [
      "-d",
      "plugin",
      "-plugin-allow",
      `unix=${path}`,
    ]);
    assertMatch(granted.err, /ask .*peer\.sock: connected, wrote 22\n/);
    assertMatch(
      granted.err,
      /ask .*other\.sock: refused \(PluginApiError: plume_unix_socket: no unix socket granted at/,
    );
    assertMatch(granted.err, /Deno\.connect .*: refused \(TypeError/);
    for (const r of [none, deno, granted]) assertEquals(r.status, (await reference()).status);
    await new Promise((r) => setTimeout(r, 100));
    // One connection reached the peer, the granted one's: Deno.connect's never did.
    assertEquals(received, ["hello from the plugin\n"]);
  } finally {
    listener.close();
    await accepting;
  }
});

Deno.test("a granted unix socket gives the kernel only the bytes of the buffer the plugin passed, and -errno", async () => {
  const dir = await tempDir("plume-unix-");
  const path = join(dir, "peer.sock");
  // A peer that keeps what it receives and closes the connection when asked to.
  const listener = Deno.listen({ transport: "unix", path });
  const chunks: Uint8Array[] = [];
  const peer = (async () => {
    const conn = await listener.accept();
    const reader = conn.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      if (text(value).endsWith("CLOSE ME\n")) break;
    }
    reader.releaseLock();
    try {
      conn.close();
    } catch { /* the plugin's side closed it first */ }
  })().catch((err) => chunks.push(new TextEncoder().encode(`peer failed: ${err}`)));
  try {
    const alias = `${dir}/./nowhere/../${"peer.sock"}`;
    const plugin = `${join(HOSTILE, "unix_buffers.ts")},path=${path},alias=${alias}`;
    const r = await withPlugin(plugin, ["-d", "plugin", "-plugin-allow", `unix=${path}`]);
    assertEquals(r.status, (await reference()).status, r.err);
    assertMatch(r.err, /^species: wrote 1048576$/m);
    assertMatch(r.err, /^Float64Array: read -22$/m);
    assertMatch(r.err, /^SharedArrayBuffer: wrote -22$/m);
    assertMatch(r.err, /^after the peer closed: read 0$/m);
    // EPIPE, or ECONNRESET when the peer closed with bytes unread: the kernel's errno either way.
    assertMatch(r.err, /^after the peer closed: wrote -(32|104)$/m);
    assertMatch(r.err, /^alias: the same socket$/m);
    await peer;
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
    // The 1 MiB of 0x5a the plugin asked to write, not what lies after its 16-byte array, then the request.
    assertEquals(all.length, (1 << 20) + 9);
    assert(all.subarray(0, 1 << 20).every((b) => b === 0x5a), "the peer got bytes the plugin did not write");
  } finally {
    listener.close();
  }
});

Deno.test("the copy of a plugin made for a forked guest has its granted socket closed, whatever the plugin replaced", async () => {
  const dir = await tempDir("plume-unix-");
  const path = join(dir, "peer.sock");
  const listener = Deno.listen({ transport: "unix", path });
  let received = "";
  const peer = (async () => {
    const conn = await listener.accept();
    for await (const chunk of conn.readable) received += text(chunk);
  })().catch(() => {});
  try {
    const r = await runPlume([join(GUEST_BIN, "fork")], {
      flags: [
        "-d",
        "plugin",
        "-plugin",
        `${join(HOSTILE, "unix_fork.ts")},path=${path}`,
        "-plugin-allow",
        `unix=${path}`,
      ],
    });
    assertEquals(r.status, 0, text(r.stderr));
    const copies = text(r.stderr).match(/^copy: write returned .*$/gm) ?? [];
    assert(copies.length > 0, text(r.stderr));
    for (const line of copies) assertEquals(line, "copy: write returned -9");
    await peer;
    assertMatch(received, /^parent pid=\d+\n$/);
  } finally {
    listener.close();
  }
});

Deno.test("a source that overflows the bundler's stack is refused in one line, by either bundler, within the bound", async () => {
  // The quote in the regular expression made the operator scan take the rest of the line for a string: the chain
  // reached esbuild, whose Go runtime printed 432 lines of its stack on plume's stderr, and esbuild-wasm (in Node)
  // stopped answering, so that plume waited for ever.
  const dir = await tempDir("plume-bundler-crash-");
  const plugin = join(dir, "deep.ts");
  await Deno.writeTextFile(
    plugin,
    `export const z = /'/.source + ${"!".repeat(300_000)}0;\nexport const qemu_plugin_version = 7;\n` +
      `export function qemu_plugin_install() { return 0; }\n`,
  );
  for (
    const [esbuild, message] of [
      ["native", /: the bundler failed on this source: The service was stopped$/],
      ["wasm", /: bundling: not done after 10 s \(watchdog\)$/],
    ] as const
  ) {
    const t0 = performance.now();
    const r = await runPlume([PROGRAM, "20"], {
      flags: ["-plugin-watchdog", "1", "-plugin", plugin],
      env: guestEnv(dir, { PLUME_ESBUILD: esbuild }),
      timeoutMs: 60_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    assertEquals(r.status, 1, esbuild);
    assertEquals(r.stdout.length, 0, esbuild);
    assertOneLine(text(r.stderr), message, esbuild);
    assert(seconds < 30, `${esbuild}: ${seconds} s`);
  }
  // Bundled at once with a plugin before it, whose bundle waited behind it in esbuild-wasm's one service and timed out
  // too: the line named that innocent plugin, the first in load order. Bundled again alone, it loads.
  const fine = join(dir, "fine.ts");
  await Deno.writeTextFile(
    fine,
    `export const qemu_plugin_version = 7;\nexport function qemu_plugin_install() { return 0; }\n`,
  );
  const both = await runPlume([PROGRAM, "20"], {
    // Bundles are bound by 10 s whatever the watchdog; a longer one lets the innocent plugin boot on a loaded machine.
    flags: ["-plugin-watchdog", "5", "-plugin", fine, "-plugin", plugin],
    env: guestEnv(dir, { PLUME_ESBUILD: "wasm" }),
    timeoutMs: 90_000,
  });
  assertEquals(both.status, 1);
  assertOneLine(
    text(both.stderr),
    /^plume: plugin '[^']*deep\.ts': [^\n]*bundling: not done after 10 s/,
    "two plugins",
  );
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

Deno.test("only a regular file of bounded size is read as a program or an interpreter", async () => {
  const dir = await tempDir("plume-program-");
  const fifo = join(dir, "fifo");
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  for (const path of ["/dev/zero", fifo]) {
    const r = await runPlume([path], { timeoutMs: 20_000 });
    assertEquals(r.status, 1, path);
    assertEquals(text(r.stderr), `plume: ${path}: Permission denied (not a regular file)\n`);
  }
  // A dynamically linked program whose interpreter (PT_INTERP) is /dev/zero.
  const bytes = await Deno.readFile(join(GUEST_BIN, "dyn/fork"));
  const interp = new TextEncoder().encode("/lib/ld-linux-riscv64-lp64d.so.1");
  const at = bytes.findIndex((_, i) => interp.every((b, k) => bytes[i + k] === b));
  assert(at > 0, "PT_INTERP string not found");
  bytes.fill(0, at, at + interp.length);
  bytes.set(new TextEncoder().encode("/dev/zero"), at);
  const dyn = join(dir, "interp_dev_zero");
  await Deno.writeFile(dyn, bytes, { mode: 0o755 });
  const direct = await runPlume([dyn], { timeoutMs: 20_000 });
  assertEquals(direct.status, 1);
  assertEquals(text(direct.stderr), "plume: /dev/zero: Permission denied (not a regular file)\n");
  // The same program run by the guest through execve: the call fails, the guest goes on.
  const viaExec = await runPlume([BUSYBOX, "sh", "-c", `exec ${dyn}; echo not reached`], { timeoutMs: 20_000 });
  assertEquals(viaExec.status, 126);
  assertMatch(text(viaExec.stderr), /Permission denied/);
  // A "regular file" that cannot be read: Linux's error, without Deno's "(os error 5)" on it.
  bytes.fill(0, at, at + interp.length);
  bytes.set(new TextEncoder().encode("/proc/self/mem"), at);
  await Deno.writeFile(dyn, bytes, { mode: 0o755 });
  const mem = await runPlume([dyn], { timeoutMs: 20_000 });
  assertEquals([mem.status, text(mem.stderr)], [1, "plume: /proc/self/mem: Input/output error\n"]);
});
