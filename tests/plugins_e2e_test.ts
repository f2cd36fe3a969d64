/**
 * The plugin subsystem end to end, through plume's command line: the
 * surface a plugin reaches, several instances, uninstall and reset from an
 * execution callback, synchronous callbacks that read and write guest
 * state, plugin output routing, and the plugin-related commands.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { GUEST_BIN, guestEnv, ROOT, runPlume, tempDir } from "./harness.ts";
import { PLUGIN_API_NAMES } from "../core/plugin/allowlist_generated.ts";
import { BUILTIN_PLUGINS } from "../core/plugin/builtins.ts";
import { REACHABLE_GLOBALS } from "../core/plugin/plugin_globals.ts";
import { join } from "node:path";

const PLUGINS = join(ROOT, "tests/plugins");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/**
 * Runs a guest with plume's flags. The watchdog is long: these tests are not
 * about it, and on a loaded 2-core machine a plugin thread can wait seconds
 * for a core.
 */
async function run(program: string, args: string[], flags: string[]) {
  const r = await runPlume([join(GUEST_BIN, program), ...args], { flags: ["-plugin-watchdog", "60", ...flags] });
  return { ...r, out: text(r.stdout), err: text(r.stderr) };
}

Deno.test('the surface a plugin reaches through "qemu-plugin" is exactly the allowlist', async () => {
  const r = await run("hello_asm", [], ["-d", "plugin", "-plugin", `${PLUGINS}/surface.ts,a=1,b=x=y`]);
  assertEquals(r.status, 7);
  const names = /^names (.*)$/m.exec(r.err)![1].split(",");
  assertEquals(names, [...PLUGIN_API_NAMES].sort());
  assertMatch(r.err, /^info riscv64 2 7 a=1\|b=x=y$/m);
  assertMatch(r.err, /^binary hello_asm$/m);
  // User mode has no physical addresses; QEMU's answers there.
  assertMatch(r.err, /^hwaddr null false 0 Invalid$/m);
  // Beyond the API: ECMAScript and the few Web APIs plugin_globals.ts lists, nothing of Deno's runtime.
  const globals = /^globals (.*)$/m.exec(r.err)![1].split(",");
  assertEquals(globals, REACHABLE_GLOBALS.filter((g) => g in globalThis).sort());
  assertMatch(r.err, /^global prototype Object$/m);
});

Deno.test("a plugin larger than a pipe holds loads, twice: its code is written while its process boots", async () => {
  // Several pipe buffers of code: the write waits for the process to read, which it does once confined.
  const dir = await tempDir("plume-e2e-big-");
  const plugin = join(dir, "big.ts");
  const blob = "x".repeat(400_000);
  await Deno.writeTextFile(
    plugin,
    `import { qemu_plugin_outs } from "qemu-plugin";
export const qemu_plugin_version = 7;
const blob = ${JSON.stringify(blob)};
export function qemu_plugin_install(): number {
  qemu_plugin_outs(\`blob \${blob.length}\\n\`);
  return 0;
}
`,
  );
  for (const _ of [1, 2]) {
    const r = await run("hello_asm", [], ["-d", "plugin", "-plugin", plugin]);
    assertEquals([r.status, r.err], [7, "blob 400000\n"]);
  }
});

Deno.test("plugin output goes to stderr only with -d plugin, or to the -D file", async () => {
  const plugin = ["-plugin", "insn"];
  const quiet = await run("hello_asm", [], plugin);
  assertEquals([quiet.status, quiet.err], [7, ""]);
  const dir = await tempDir("plume-e2e-");
  const logged = await run("hello_asm", [], ["-d", "plugin", "-D", join(dir, "log.txt"), ...plugin]);
  assertEquals([logged.status, logged.err], [7, ""]);
  assertEquals(await Deno.readTextFile(join(dir, "log.txt")), "cpu 0 insns: 11\ntotal insns: 11\n");
});

Deno.test("two instances of one plugin and two different plugins run side by side, in load order", async () => {
  const r = await run("fib_pie", ["20"], [
    "-d",
    "plugin",
    "-plugin",
    "insn",
    "-plugin",
    "bb,inline=on",
    "-plugin",
    "insn,inline=on",
  ]);
  assertEquals(r.status, 0);
  const lines = r.err.split("\n").filter((l) => l.startsWith("total") || l.startsWith("Total"));
  assertEquals(lines.length, 3, r.err);
  assertMatch(lines[0], /^total insns: \d+$/);
  assertMatch(lines[1], /^Total: bb's: \d+, insns: \d+$/);
  assertEquals(lines[2], lines[0]);
  assertEquals(/insns: (\d+)$/.exec(lines[1])![1], /(\d+)$/.exec(lines[0])![1]);
});

Deno.test("QEMU_PLUGIN loads a plugin as -plugin does", async () => {
  const home = await tempDir("plume-e2e-");
  const r = await runPlume([join(GUEST_BIN, "hello_asm")], {
    flags: ["-d", "plugin"],
    env: guestEnv(home, { QEMU_PLUGIN: "insn,inline=on" }),
  });
  assertEquals(r.status, 7);
  assertMatch(text(r.stderr), /^total insns: 11$/m);
});

Deno.test("a plugin that subscribes to translations from a system call sees the blocks translated from then on", async () => {
  // Until it subscribes, no plugin watches translations: new blocks run as without plugins (core.ts,
  // watchesTranslation). fib_pie's first system call is its output's write; the exit path is translated after it.
  const r = await run("fib_pie", ["20"], ["-d", "plugin", "-plugin", `${PLUGINS}/late_translations.ts`]);
  assertEquals(r.status, 0);
  assertMatch(r.out, /^fib\(20\) = 6765 ok$/m);
  const m = /^syscalls (\d+) translations (\d+) executions (\d+)$/m.exec(r.err);
  assert(m, r.err);
  assertEquals(m[1], "2");
  assert(Number(m[2]) > 0 && Number(m[3]) >= Number(m[2]), r.err);
});

Deno.test("uninstall from an execution callback: completion once, no callback afterwards", async () => {
  const r = await run("fib_pie", ["20"], [
    "-d",
    "plugin",
    "-plugin",
    `${PLUGINS}/lifecycle.ts,mode=uninstall,after=500`,
  ]);
  assertEquals(r.status, 0);
  assertMatch(r.err, /^completion uninstall true$/m);
  assertMatch(r.err, /^execs 500 completed true late 0 after-reset 0$/m);
  assert(!r.err.includes("stale atexit"), r.err);
});

Deno.test("reset from an execution callback: old callbacks gone, new ones registered by the completion run", async () => {
  const r = await run("fib_pie", ["20"], ["-d", "plugin", "-plugin", `${PLUGINS}/lifecycle.ts,mode=reset,after=500`]);
  assertEquals(r.status, 0);
  assertMatch(r.err, /^completion reset true$/m);
  const m = /^execs (\d+) completed true late 0 after-reset (\d+)$/m.exec(r.err);
  assert(m, r.err);
  assertEquals(m[1], "500");
  // How much of the run the new callbacks see depends on how soon the vCPU notices (within a batch of
  // records when the plugin keeps up); that they see some of it does not.
  assert(Number(m[2]) > 0, `executions after the reset: ${m[2]}`);
  assert(!r.err.includes("stale atexit"), r.err);
});

Deno.test("synchronous callbacks read registers and memory, write registers, filter syscalls, set the pc", async () => {
  const plugin = `${PLUGINS}/registers.ts`;
  const read = await run("hello_asm", [], ["-d", "plugin", "-plugin", plugin]);
  assertEquals(read.status, 7);
  assertEquals(read.out, "Hello from RISC-V assembly, no libc\n");
  assertMatch(read.err, /^ecall a7=64 a0=1 pc-ok=true$/m);
  assertMatch(read.err, /^write saw "Hello from RISC-V assembly, no libc\\n"$/m);
  assertMatch(read.err, /^ecall a7=93 a0=7 pc-ok=true$/m);
  assertMatch(read.err, /^ecalls 2$/m);
  // Changing the guest needs the user's grant: the guest acts with the user's permissions.
  const granted = ["-plugin-allow", "guest=write"];
  const rewritten = await run("hello_asm", [], ["-plugin", `${plugin},rewrite=on`, ...granted]);
  assertEquals(rewritten.status, 42);
  // Skipping the write: a0 keeps the file descriptor, the program takes its error exit.
  const skipped = await run("hello_asm", [], ["-plugin", `${plugin},skip=on`, ...granted]);
  assertEquals([skipped.status, skipped.out], [1, ""]);
  // getpid is filtered (it returns 4242): time_id finds it differs from gettid.
  const filtered = await run("time_id", [], ["-plugin", `${plugin},filter=on`, ...granted]);
  assertMatch(filtered.out, /^gettid == getpid \(single thread\) +FAIL$/m);
  assertMatch(filtered.out, /^getpid > 0 +ok$/m);
  // Without the grant each attempt ends the plugin, and the guest runs unchanged.
  for (const arg of ["rewrite=on", "skip=on"]) {
    const refused = await run("hello_asm", [], ["-plugin", `${plugin},${arg}`]);
    assertEquals([refused.status, refused.out], [7, "Hello from RISC-V assembly, no libc\n"], arg);
    assertMatch(
      refused.err,
      /: changing the guest needs -plugin-allow guest=write \(the guest acts with your permissions\)/,
    );
  }
  const unfiltered = await run("hello_asm", [], ["-plugin", `${plugin},filter=on`]);
  assertEquals(unfiltered.status, 1);
  assertMatch(
    unfiltered.err,
    /qemu_plugin_install: PluginApiError: qemu_plugin_register_vcpu_syscall_filter_cb: changing/,
  );
});

Deno.test("built-in syscall plugin: table, print mode and the magic filter", async () => {
  const table = await run("hello_asm", [], ["-d", "plugin", "-plugin", "syscall"]);
  assertEquals(table.err, "syscall no.  calls  errors\n64           1      0\n93           1      0\n");
  const print = await run("hello_asm", [], ["-d", "plugin", "-plugin", "syscall,print=on,log_writes=on"]);
  assertMatch(print.err, /^syscall #64\n48 65 6c 6c 6f 20/);
  assertMatch(print.err, /\| Hello\.from\.RISC-\n/);
  assertMatch(print.err, /syscall #64 returned -> 36\nsyscall #93\n$/);
});

Deno.test("built-in hotblocks and mem print-accesses report in QEMU's format", async () => {
  const hot = await run("fib_pie", ["20"], [
    "-d",
    "plugin",
    "-plugin",
    "hotblocks,limit=3",
    "-plugin",
    "hotblocks,inline=on,limit=3",
  ]);
  const tables = hot.err.split("collected ").slice(1);
  assertEquals(tables.length, 2);
  for (const t of tables) {
    assertMatch(t, /^\d+ entries in the hash table\npc, tcount, icount, ecount\n(0x[0-9a-f]{16}, \d+, \d+, \d+\n){3}$/);
  }
  assertEquals(tables[0], tables[1]);
  const mem = await run("sha256_pie", ["64"], ["-d", "plugin", "-plugin", "mem,print-accesses=on,track=w"]);
  const lines = mem.err.trimEnd().split("\n");
  assertEquals(lines[0], "insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value");
  assert(lines.length > 100, `${lines.length} lines`);
  for (const l of lines.slice(1, 50)) {
    assertMatch(l, /^0x[0-9a-f]+,[\w.]*,0x[0-9a-f]+,0x[0-9a-f]+,(8|16|32|64),store,0x[0-9a-f]+$/);
  }
});

Deno.test("plume plugins and -plugin help list every built-in with its options", async () => {
  for (const args of [["plugins"], ["-plugin", "help"]]) {
    const r = await runPlume(args);
    assertEquals(r.status, 0);
    const out = text(r.stdout);
    for (const p of BUILTIN_PLUGINS) {
      assertMatch(out, new RegExp(`^  ${p.name} `, "m"));
      for (const [syntax] of p.options) assert(out.includes(syntax), `${p.name}: ${syntax}`);
    }
  }
  const unknown = await run("hello_asm", [], ["-plugin", "nosuch"]);
  assertEquals(unknown.status, 1);
  assertMatch(
    unknown.err,
    /^plume: plugin 'nosuch': no such built-in plugin, nor a \.ts\/\.js file \(built-ins: insn, bb, mem/,
  );
});

Deno.test("-plugin-memory 0 runs plugins without a memory limit, with the same results and containment", async () => {
  const flags = ["-plugin-memory", "0", "-d", "plugin"];
  const counted = await run("fib_pie", ["20"], [...flags, "-plugin", "insn", "-plugin", "insn,inline=on"]);
  const totals = [...counted.err.matchAll(/^total insns: (\d+)$/gm)].map((m) => m[1]);
  assertEquals(totals.length, 2);
  assertEquals(totals[0], totals[1]);
  const failing = await run("fib_pie", ["20"], [...flags, "-plugin", `${PLUGINS}/hostile/throws.ts,where=exec`]);
  assertEquals(failing.status, 0);
  assertMatch(failing.err, /exec callback 'onExec': Error: boom in exec; plugin unloaded/);
});

Deno.test("a flush of all translations, however it comes, reaches plugins' flush callbacks", async () => {
  // An uninstall flushes (its instrumentation must go), and so does execve
  // (a new program image); blocks are translated again after each.
  const uninstall = await run("fib_pie", ["20"], [
    "-d",
    "plugin",
    "-plugin",
    `${PLUGINS}/flush.ts`,
    "-plugin",
    `${PLUGINS}/lifecycle.ts,mode=uninstall,after=100`,
  ]);
  assertEquals(uninstall.status, 0);
  const [, flushes, since] = /^flushes (\d+) translated-since (\d+)$/m.exec(uninstall.err)!;
  assert(Number(flushes) >= 1, uninstall.err);
  assert(Number(since) > 0, uninstall.err);
  const plain = await run("fib_pie", ["20"], ["-d", "plugin", "-plugin", `${PLUGINS}/flush.ts`]);
  assertMatch(plain.err, /^flushes 0 translated-since \d+$/m);
});

Deno.test("callbacks, inline counts and conditional callbacks agree per vCPU: threads, signals, faults", async () => {
  const plugin = ["-d", "plugin", "-plugin", `${PLUGINS}/crosscheck.ts`];
  const threads = await run("threads_cpu", ["4", "20000", "check"], plugin);
  assertEquals(threads.status, 0);
  assertMatch(threads.out, /^threads_cpu: 4 thread\(s\), 20000 values, total \d+$/m);
  // The main thread and four workers, each with its own counts.
  assertEquals(
    threads.err.match(/^vcpu \d: blocks [1-9]\d* insns [1-9]\d* accesses [1-9]\d*$/gm)?.length,
    5,
    threads.err,
  );
  assertMatch(threads.err, /\ncrosscheck ok\n$/);
  // A handler run by a timer between blocks, and a fault in the middle of one.
  const alarm = await run("signals", ["alarm"], plugin);
  assertEquals(alarm.status, 0);
  assertMatch(alarm.err, /\ncrosscheck ok\n$/);
  const segv = await run("segv", [], [...plugin, "-one-insn-per-tb"]);
  assertEquals(segv.status, 139);
  assertMatch(segv.err, /^crosscheck ok$/m);
});

Deno.test("a guest that forks runs under a plugin: each process that exits reports, the first one last", async () => {
  const r = await run("fork", [], ["-d", "plugin", "-plugin", "insn"]);
  assertEquals(r.status, 0);
  assertMatch(r.out, /\nfork: 0 failure\(s\)\n$/);
  // Thirteen children exit (three are killed by signals and report nothing), then the first process
  // (tests/plugins_fork_test.ts compares the counts with QEMU's).
  assertMatch(r.err, /^(cpu 0 insns: [1-9]\d*\ntotal insns: [1-9]\d*\n){14}$/);
});

Deno.test("a block's passes counted as REPEAT records reach its plugin before a flush that another plugin's reset makes", async () => {
  // runs_and_flushes.ts counts the runs of the block that jumps to itself, whose only record is its: in WebAssembly its
  // passes go out as REPEAT records. reset_others.ts resets (a flush, with the flush callbacks) while a region runs,
  // when its batch fills: passes counted before that call were dropped, the replay's pending block gone by then.
  const program = join(GUEST_BIN, "self_loop");
  const flags = [
    "-d",
    "plugin",
    "-plugin",
    `${join(ROOT, "tests/plugins/reset_others.ts")},every=200003`,
    "-plugin",
    join(ROOT, "tests/plugins/runs_and_flushes.ts"),
  ];
  const counts = async (wasm: string) => {
    const r = await runPlume([program], { flags: [...flags, "-jit-wasm", wasm] });
    assertEquals([r.status, new TextDecoder().decode(r.stdout)], [0, "315341408\n"]);
    const [, runs, flushes] = /^runs (\d+) flushes (\d+)$/m.exec(new TextDecoder().decode(r.stderr)) ?? [];
    assert(Number(flushes) >= 1, `-jit-wasm ${wasm}: ${flushes} flushes`);
    return Number(runs);
  };
  const inJs = await counts("off");
  // 200,000 rounds of 31 passes after the first, give or take the passes of the warm-up's first runs.
  assert(inJs >= 6_200_000, `${inJs} runs`);
  assertEquals(await counts("always"), inJs);
});
