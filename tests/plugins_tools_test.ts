/**
 * The built-ins that write files for other people's tools, checked with
 * those tools: `uftrace` (its `uftrace.data` replayed, reported and
 * dumped for Chrome by Debian's `uftrace`) and `callgrind` (its profile
 * read by Valgrind's `callgrind_annotate`). What the tools print is
 * compared with what the programs do: the functions named, their
 * nesting, call counts equal to the executions of the callee's first
 * instruction (counted by the built-in `execlog` with `afilter=`), and
 * instruction totals equal to the built-in `insn`'s count of the same run.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { busyboxPath, GUEST_BIN, ROOT, runPlume, type RunResult, tempDir } from "./harness.ts";
import { readSymbols } from "../core/elf/elf.ts";
import { PIE_BASE } from "../core/elf/loader.ts";
import { join } from "node:path";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Whether `command` runs here. */
function installed(command: string): boolean {
  try {
    new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/** Why a test needing `command` (from Debian's `pkg`) cannot run here, as a test-name suffix, or "". */
function toolMissing(command: string, pkg: string): string {
  return installed(command) ? "" : ` (skipped: ${command} not found; apt-get install ${pkg})`;
}

const UFTRACE = toolMissing("uftrace", "uftrace"), CALLGRIND = toolMissing("callgrind_annotate", "valgrind");

/** The libc6 sysroot made by build/fetch_debian.sh, if it is there. */
function libc6(): string | undefined {
  const root = join(ROOT, ".cache", "debian", "libc6");
  try {
    return Deno.statSync(join(root, "lib", "ld-linux-riscv64-lp64d.so.1")) && root;
  } catch {
    return undefined;
  }
}
const NO_LIBC6 = libc6() ? "" : " (skipped: no libc6 sysroot; build/fetch_debian.sh --with-deps libc6)";

/** Runs `command args` and returns its standard output, failing the test on a nonzero status. */
async function tool(command: string, args: string[], cwd?: string): Promise<string> {
  const r = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  assertEquals(r.code, 0, `${command} ${args.join(" ")}: ${text(r.stderr)}`);
  return text(r.stdout);
}

/** Runs plume with `plugins` (each `-plugin` argument, then `after`) in `cwd`; stderr has the plugins' text. */
async function plume(
  argv: string[],
  plugins: string[],
  opts: { cwd?: string; flags?: string[]; after?: string[] } = {},
) {
  const flags = [...(opts.flags ?? []), "-plugin-watchdog", "60", "-d", "plugin"];
  for (const p of plugins) flags.push("-plugin", p);
  flags.push(...(opts.after ?? []));
  return await runPlume(argv, { cwd: opts.cwd, flags });
}

/** The instruction count the built-in insn printed. */
function insnTotal(r: RunResult): number {
  const m = /^total insns: (\d+)$/m.exec(text(r.stderr));
  assert(m, text(r.stderr));
  return Number(m[1]);
}

/** How many times the instruction at `addr` ran, by the built-in execlog. */
async function executions(argv: string[], addr: number): Promise<number> {
  const r = await plume(argv, [`execlog,afilter=0x${addr.toString(16)}`]);
  assertEquals(r.status, 0);
  return text(r.stderr).split("\n").filter((l) => l.startsWith(`0, 0x${addr.toString(16)},`)).length;
}

/** The address of function `name` in a program's symbol table. */
function symbol(program: string, name: string): number {
  const s = readSymbols(Deno.readFileSync(program)).find((s) => s.name === name);
  assert(s, `${name} in ${program}`);
  return s.value;
}

/** `uftrace replay`'s lines as [depth, function, opens a block]. */
function replayTree(out: string): [number, string, boolean][] {
  const rows: [number, string, boolean][] = [];
  for (const line of out.split("\n")) {
    const m = /\| ( *)(\S+)\(\)\s*(\{|;)/.exec(line);
    if (m) rows.push([m[1].length / 2, m[2], m[3] === "{"]);
  }
  return rows;
}

/** `uftrace report`'s rows: function name to its call count. */
function reportCalls(out: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^\s*[\d.]+ \w+\s+[\d.]+ \w+\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (m) calls.set(m[2], Number(m[1]));
  }
  return calls;
}

Deno.test({
  name: `uftrace: replay, report and the Chrome dump show fib's calls, nested, as often as they ran${UFTRACE}`,
  ignore: UFTRACE !== "",
  async fn() {
    const dir = await tempDir("plume-uftrace-"), program = join(GUEST_BIN, "fib"), argv = [program, "12"];
    const r = await plume(argv, [`uftrace,dir=${dir}/trace`]);
    assertEquals(r.status, 0);
    assertEquals(text(r.stdout).split("\n")[0], "fib(12) = 144 ok");
    const replay = await tool("uftrace", ["replay", "-d", `${dir}/trace`]);
    const tree = replayTree(replay);
    // _start at the root, main inside __libc_start_main's call chain, fib_rec inside main, and recursion.
    assertEquals(tree[0], [0, "_start", true]);
    const main = tree.findIndex(([, f]) => f === "main");
    assert(main > 0, replay.slice(0, 2000));
    const [mainDepth] = tree[main];
    assert(tree.slice(0, main).some(([d, f]) => f === "__libc_start_main" && d < mainDepth));
    assertEquals(tree[main + 1].slice(0, 2), [mainDepth + 1, "fib_rec"]);
    assert(tree.some(([d, f]) => f === "fib_rec" && d > mainDepth + 5), "fib_rec calls itself");
    assert(tree.some(([d, f]) => f === "fib_iter" && d === mainDepth + 1), "main calls fib_iter");
    // Call counts: fib_rec is entered once per execution of its first instruction (gcc made one of the two
    // recursive calls a loop, so fewer than fib's 2*fib(13)-1); fib_iter twice.
    const calls = reportCalls(await tool("uftrace", ["report", "-d", `${dir}/trace`]));
    assertEquals(calls.get("fib_rec"), await executions(argv, symbol(program, "fib_rec")));
    assertEquals([calls.get("main"), calls.get("fib_iter")], [1, 2]);
    // Perfetto / chrome://tracing: balanced begin and end events per name.
    const chrome = JSON.parse(await tool("uftrace", ["dump", "-d", `${dir}/trace`, "--chrome"]));
    const depth = new Map<string, number>();
    for (const e of chrome.traceEvents as { ph: string; name: string }[]) {
      if (e.ph === "B") depth.set(e.name, (depth.get(e.name) ?? 0) + 1);
      if (e.ph === "E") depth.set(e.name, depth.get(e.name)! - 1);
    }
    assertEquals(depth.get("fib_rec"), 0);
    assertEquals(depth.get("main"), 0);
    assert([...depth.values()].every((d) => d === 0), JSON.stringify([...depth]));
    // The info file: the program, its arguments, its exit status.
    const info = await tool("uftrace", ["info", "-d", `${dir}/trace`]);
    assert(info.includes(`cmdline             : ${argv.join(" ")}`), info);
    assert(info.includes("exit status         : exited with code: 0"), info);
  },
});

Deno.test({
  name: `uftrace: tail calls, a call through a pointer, longjmp out of recursion, a signal handler${UFTRACE}`,
  ignore: UFTRACE !== "",
  async fn() {
    const dir = await tempDir("plume-uftrace-"), argv = [join(GUEST_BIN, "calls")];
    const r = await plume(argv, [`uftrace,dir=${dir}/trace`]);
    assertEquals([r.status, text(r.stdout)], [0, "sum 31\n"]);
    const tree = replayTree(await tool("uftrace", ["replay", "-d", `${dir}/trace`]));
    const at = tree.findIndex(([, f]) => f === "main"), d = tree[at][0];
    // main's own calls, in order; a tail call replaces its caller's frame (tail_a, then tail_b, then leaf are
    // siblings), and after longjmp the stack is jumper's again: raiser comes at main's level.
    const own: string[] = [], inside = new Map<string, [number, string][]>();
    let last = "";
    for (let i = at + 1; i < tree.length && tree[i][0] > d; i++) {
      const [depth, f] = tree[i];
      if (depth === d + 1) own.push(last = f);
      else inside.set(last, [...(inside.get(last) ?? []), [depth - d - 1, f]]);
    }
    const calls = ["tail_a", "tail_b", "leaf"];
    assertEquals(own.slice(1, 13), [...calls, ...calls, ...calls, "jumper", "raiser", "raise"], own.join(" "));
    assertEquals(own[13], "leaf", own.join(" ")); // through the pointer
    const deep = inside.get("jumper")!.filter(([, f]) => f === "deep").map(([depth]) => depth);
    assertEquals(deep, [1, 2, 3, 4]);
    // The handler runs at the return of the system call that raised the signal, inside raise; it tail-calls leaf.
    const inRaise = inside.get("raise")!.map(([, f]) => f);
    assertEquals(inRaise.slice(inRaise.indexOf("handler"), inRaise.indexOf("handler") + 2), ["handler", "leaf"]);
  },
});

Deno.test({
  name: `uftrace: a dynamically linked program's calls into libc are named by libc's symbols${UFTRACE}${NO_LIBC6}`,
  ignore: UFTRACE !== "" || !libc6(),
  async fn() {
    const dir = await tempDir("plume-uftrace-"), program = join(GUEST_BIN, "dyn", "dynamic");
    const r = await plume([program], [`uftrace,dir=${dir}/trace`], { flags: ["-L", libc6()!] });
    assertEquals(r.status, 0);
    const names = new Set<string>();
    for (const e of Deno.readDirSync(`${dir}/trace`)) names.add(e.name);
    for (const sym of ["dynamic.sym", "ld-linux-riscv64-lp64d.so.1.sym", "libc.so.6.sym", "libm.so.6.sym"]) {
      assert(names.has(sym), `${sym} in ${[...names]}`);
    }
    const tree = replayTree(await tool("uftrace", ["replay", "-d", `${dir}/trace`]));
    const main = tree.findIndex(([, f]) => f === "main");
    assert(main > 0);
    const inMain = [];
    for (let i = main + 1; i < tree.length && tree[i][0] > tree[main][0]; i++) {
      if (tree[i][0] === tree[main][0] + 1) inMain.push(tree[i][1]);
    }
    // Through the PLT, one frame per call, named by the library's symbol (the stub and, on a first call,
    // the loader's lazy binding are inside it, and what the resolver calls is not shown: setvbuf calls nothing).
    for (const f of ["setvbuf", "dl_iterate_phdr", "printf", "dlopen", "dlsym"]) {
      assert(inMain.includes(f), `${f} in main: ${inMain}`);
    }
    assertEquals(tree.find(([d, f]) => f === "setvbuf" && d === tree[main][0] + 1), [
      tree[main][0] + 1,
      "setvbuf",
      false,
    ]);
  },
});

Deno.test("uftrace, a built-in, may write the directory its option names; never a directory of other files", async () => {
  const dir = await tempDir("plume-uftrace-"), program = join(GUEST_BIN, "hello_asm");
  const run = (plugin: string) => plume([program], [plugin], { cwd: dir });
  assertEquals((await run("uftrace")).status, 7);
  if (UFTRACE === "") {
    const info = await tool("uftrace", ["info", "-d", "uftrace.data"], dir);
    assert(info.includes("exit status         : exited with code: 7"), info);
  }
  // Its own directory again: made anew.
  Deno.writeTextFileSync(join(dir, "uftrace.data", "stale.dat"), "");
  assertEquals((await run("uftrace")).status, 7);
  assert(!Deno.readDirSync(join(dir, "uftrace.data")).some((e) => e.name === "stale.dat"));
  for (
    const [arg, why] of [["dir=.", "is a directory neither empty nor written by uftrace (it has no 'info')"], [
      "dir=uftrace.data/info",
      "is not a directory",
    ], ["dir=", "does not name a directory of its own"]]
  ) {
    const refused = await run(`uftrace,${arg}`);
    assertEquals([refused.status, text(refused.stderr)], [1, `plume: plugin 'uftrace': ${arg} ${why}\n`]);
  }
  const unknown = await run("uftrace,depth=3");
  assertEquals(unknown.status, 1);
  assert(text(unknown.stderr).includes("uftrace: option parsing failed: depth=3"), text(unknown.stderr));
});

/** `callgrind_annotate`'s function rows: `file:function` to Ir, and each one's object. */
function annotated(out: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^\s*([\d,]+) \([ \d.]+%\)\s+(?:\* +)?(\S+:\S+)(?: \[.*\])?\s*$/.exec(line);
    if (m && !line.includes("PROGRAM TOTALS")) rows.set(m[2], (rows.get(m[2]) ?? 0) + Number(m[1].replaceAll(",", "")));
  }
  return rows;
}

/** Runs `argv` under plume with callgrind and insn; the annotated profile (exclusive, inclusive) and insn's count. */
async function callgrind(argv: string[], flags: string[] = []) {
  const dir = await tempDir("plume-callgrind-");
  const r = await plume(argv, [`callgrind,outfile=${dir}/out`, "insn"], { flags });
  assertEquals(r.status, 0);
  const file = `${dir}/out`, all = ["--threshold=100", "--auto=no"];
  return {
    file,
    insns: insnTotal(r),
    self: annotated(await tool("callgrind_annotate", [...all, file])),
    inclusive: annotated(await tool("callgrind_annotate", [...all, "--inclusive=yes", file])),
    tree: await tool("callgrind_annotate", [...all, "--tree=caller", file]),
  };
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** The callers of `fn` (`file:function`) in `callgrind_annotate --tree=caller`'s output, with their call counts. */
function callers(tree: string, fn: string): Map<string, number> {
  const section = tree.split("\n\n").find((s) => new RegExp(`\\*\\s+${fn.replace(/[?]/g, "\\?")} `).test(s));
  assert(section, `${fn} in ${tree}`);
  const out = new Map<string, number>();
  for (const m of section.matchAll(/< (\S+) \(([\d,]+)x\)/g)) out.set(m[1], Number(m[2].replaceAll(",", "")));
  return out;
}

Deno.test({
  name: `callgrind: callgrind_annotate's functions add up to insn's count; main includes fib_rec${CALLGRIND}`,
  ignore: CALLGRIND !== "",
  async fn() {
    const program = join(GUEST_BIN, "fib"), argv = [program, "15"];
    const p = await callgrind(argv);
    assertEquals(sum(p.self), p.insns);
    const [main, fib] = [p.self.get("???:main")!, p.self.get("???:fib_rec")!];
    assert(main > 0 && fib > 0, JSON.stringify([...p.self]));
    assert(p.inclusive.get("???:main")! >= main + fib, `${p.inclusive.get("???:main")} < ${main} + ${fib}`);
    // fib_rec's inclusive cost is its calls from main: the instructions run while it was on the stack, once.
    assertEquals(p.inclusive.get("???:fib_rec"), fib);
    assertEquals(p.inclusive.get("???:_start"), p.insns);
    // Calls: main calls fib_rec once; fib_rec calls itself every other time it runs.
    const runs = await executions(argv, symbol(program, "fib_rec"));
    assertEquals([...callers(p.tree, "???:fib_rec")].sort(), [["???:fib_rec", runs - 1], ["???:main", 1]]);
  },
});

Deno.test({
  name: `callgrind: a tail call is a call from the caller's caller; a handler's, from where it interrupted${CALLGRIND}`,
  ignore: CALLGRIND !== "",
  async fn() {
    const p = await callgrind([join(GUEST_BIN, "calls")]);
    assertEquals(sum(p.self), p.insns);
    // leaf: three times at the end of tail_a's tail calls and once through the pointer, all from main, and once
    // from the signal handler, which tail-calls it from inside raise.
    const leaf = callers(p.tree, "???:leaf");
    assertEquals(leaf.get("???:main"), 4, JSON.stringify([...leaf]));
    assertEquals(sum(leaf), 5, JSON.stringify([...leaf]));
    assertEquals([...callers(p.tree, "???:tail_b")], [["???:main", 3]]);
    assertEquals([...callers(p.tree, "???:deep")].sort(), [["???:deep", 3], ["???:jumper", 1]]);
    assert(p.inclusive.get("???:jumper")! >= p.self.get("???:deep")!);
  },
});

Deno.test({
  name:
    `callgrind: sha256's calls of its block function, and a dynamic program's libraries, add up to insn's count${CALLGRIND}${NO_LIBC6}`,
  ignore: CALLGRIND !== "" || !libc6(),
  async fn() {
    // sha256_pie: the tiny static-pie runtime, loaded at PIE_BASE; its blocks are compressed by sha256_block.
    const program = join(GUEST_BIN, "sha256_pie"), argv = [program, "4096"];
    const sha = await callgrind(argv);
    assertEquals(sum(sha.self), sha.insns);
    assert((sha.self.get("???:sha256_block") ?? 0) > sha.insns / 2, JSON.stringify([...sha.self]));
    const blocks = await executions(argv, PIE_BASE + symbol(program, "sha256_block"));
    // sha256_update calls it (also when sha256_final pads), as often as its first instruction runs.
    assertEquals([...callers(sha.tree, "???:sha256_block")], [["???:sha256_update", blocks]]);
    const dyn = await callgrind([join(GUEST_BIN, "dyn", "dynamic")], ["-L", libc6()!]);
    assertEquals(sum(dyn.self), dyn.insns);
    const profile = Deno.readTextFileSync(dyn.file);
    for (const lib of ["/lib/ld-linux-riscv64-lp64d.so.1", "/lib/riscv64-linux-gnu/libc.so.6"]) {
      assert(profile.includes(` ${lib}\n`), `${lib} is an object`);
    }
    for (const f of ["???:main", "???:printf", "???:dlopen", "???:malloc"]) assert(dyn.inclusive.has(f), f);
    assert(dyn.inclusive.get("???:main")! >= dyn.self.get("???:main")!);
  },
});

Deno.test({
  name: `callgrind writes callgrind.out.PID by default${CALLGRIND}`,
  ignore: CALLGRIND !== "",
  async fn() {
    const dir = await tempDir("plume-callgrind-");
    const r = await plume([join(GUEST_BIN, "hello_asm")], ["callgrind"], { cwd: dir });
    assertEquals(r.status, 7);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("callgrind.out."));
    assertEquals(files.length, 1);
    assert(/^callgrind\.out\.\d+$/.test(files[0]), files[0]);
    const p = annotated(await tool("callgrind_annotate", ["--threshold=100", files[0]], dir));
    assert(sum(p) > 0);
  },
});

Deno.test({
  name: `uftrace of a guest that dies of a signal: its calls up to the fault, its exit status unknown${UFTRACE}`,
  ignore: UFTRACE !== "",
  async fn() {
    const dir = await tempDir("plume-uftrace-");
    const r = await plume([join(GUEST_BIN, "segv")], [`uftrace,dir=${dir}/trace`]);
    assertEquals(r.status, 139);
    const info = await tool("uftrace", ["info", "-d", `${dir}/trace`]);
    assert(info.includes("exit status         : unknown exit status: 127"), info);
    assert(replayTree(await tool("uftrace", ["replay", "-d", `${dir}/trace`])).length > 0);
  },
});

Deno.test("callgrind and uftrace loaded from their files are user plugins: no write access unless granted", async () => {
  const dir = await tempDir("plume-callgrind-"), program = join(GUEST_BIN, "hello_asm");
  for (const name of ["callgrind", "uftrace"]) {
    const option = name === "callgrind" ? "outfile=out" : "dir=out";
    const file = `${join(ROOT, "plugins", `${name}.ts`)},${option}`;
    const denied = await plume([program], [file], { cwd: dir });
    assertEquals(denied.status, 1);
    assert(/reference to global 'Deno' is not allowed/.test(text(denied.stderr)), text(denied.stderr));
    // callgrind's is a file; uftrace's a directory it makes, granted as one (a name ending in '/').
    const grant = `write=${join(dir, "out")}${name === "uftrace" ? "/" : ""}`;
    const granted = await plume([program], [file], { cwd: dir, after: ["-plugin-allow", grant] });
    assertEquals(granted.status, 7, text(granted.stderr));
    Deno.removeSync(join(dir, "out"), { recursive: true });
  }
});

Deno.test({
  name: `uftrace: an execve starts a session, the new program's calls in it${UFTRACE}`,
  ignore: UFTRACE !== "",
  async fn() {
    const dir = await tempDir("plume-uftrace-"), program = join(GUEST_BIN, "execve");
    const r = await plume([program, "run", dir], [`uftrace,dir=${dir}/trace`]);
    assertEquals(r.status, 7);
    const tasks = Deno.readTextFileSync(`${dir}/trace/task.txt`).split("\n");
    assertEquals(tasks.filter((l) => l.startsWith("SESS ")).length, 2, tasks.join("\n"));
    const tree = replayTree(await tool("uftrace", ["replay", "-d", `${dir}/trace`]));
    // Each program's run starts at a root frame of its own (_start, the same program); the parent's idle
    // thread, which the execve ends, at another.
    const roots = tree.filter(([d]) => d === 0).map(([, f]) => f);
    assertEquals(roots.filter((f) => f === roots[0]).length, 2, JSON.stringify(roots));
  },
});

Deno.test({
  name:
    `uftrace and callgrind follow threads: a task per thread, every vCPU's instructions counted${UFTRACE}${CALLGRIND}`,
  ignore: UFTRACE !== "" || CALLGRIND !== "",
  async fn() {
    // threads_cpu (4 threads): few system calls, each a round trip to every plugin that follows them.
    const dir = await tempDir("plume-uftrace-"), argv = [join(GUEST_BIN, "threads_cpu"), "4", "200000"];
    const r = await plume(argv, [`uftrace,dir=${dir}/trace`, `callgrind,outfile=${dir}/cg`, "insn"]);
    assertEquals(r.status, 0);
    const info = await tool("uftrace", ["info", "-d", `${dir}/trace`]);
    const tasks = Number(/number of tasks\s+: (\d+)/.exec(info)?.[1]);
    assertEquals(tasks, 5, info.slice(0, 1000));
    await tool("uftrace", ["replay", "-d", `${dir}/trace`]);
    const p = annotated(await tool("callgrind_annotate", ["--threshold=100", "--auto=no", `${dir}/cg`]));
    assertEquals(sum(p), insnTotal(r));
  },
});

// ---------------------------------------------------------------- forked processes

/** Every `total insns: N` the built-in insn printed, one per process that exited. */
const insnTotals = (r: RunResult) => [...text(r.stderr).matchAll(/^total insns: (\d+)$/gm)].map((m) => Number(m[1]));

/**
 * Runs `argv` under uftrace, callgrind (`%p` names) and insn, and checks
 * with the tools that every process that exited (`processes`, insn's
 * reports) has its own files: a callgrind profile per pid, read by
 * callgrind_annotate, and a task in the one uftrace directory that uftrace
 * lists, reports and replays, the same pids in both. The first process
 * (plume's pid, the lowest) ran what insn counted for it; a child's profile
 * counts what it ran after its fork, less than its copy of insn (which
 * counts from the run's start, as QEMU's does).
 */
async function forkedFiles(argv: string[], processes: number, cwd?: string): Promise<void> {
  const dir = await tempDir("plume-forked-");
  const r = await plume(argv, [`uftrace,dir=${dir}/trace`, `callgrind,outfile=${dir}/cg.%p`, "insn"], { cwd });
  assertEquals(r.status, 0, text(r.stderr));
  const totals = insnTotals(r);
  assertEquals(totals.length, processes, text(r.stderr));
  const pids = [...Deno.readDirSync(dir)].map((e) => /^cg\.(\d+)$/.exec(e.name)?.[1]).filter((p) => p !== undefined)
    .map(Number).sort((a, b) => a - b);
  assertEquals(pids.length, processes, `callgrind files of ${pids.join(", ")}`);
  const profiles: number[] = [];
  for (const pid of pids) {
    const file = `${dir}/cg.${pid}`, body = Deno.readTextFileSync(file);
    assert(body.includes(`\npid: ${pid}\n`), body.slice(0, 300));
    const p = annotated(await tool("callgrind_annotate", ["--threshold=100", "--auto=no", file]));
    assertEquals(sum(p), Number(/^totals: (\d+)$/m.exec(body)![1]), file);
    profiles.push(sum(p));
  }
  assert(totals.includes(profiles[0]), `first process: ${profiles[0]} instructions, insn: ${totals.join(", ")}`);
  for (const n of profiles.slice(1)) assert(n > 0 && n < Math.max(...totals), `${profiles}`);

  const info = await tool("uftrace", ["info", "-d", `${dir}/trace`]);
  const listed = /task list\s+: (.*)/.exec(info)![1].split(", ").map((t) => Number(/^(\d+)/.exec(t)![1]));
  assertEquals(listed.sort((a, b) => a - b), pids, info.slice(0, 1500));
  const report = await tool("uftrace", ["report", "-d", `${dir}/trace`, "--task"]);
  for (const pid of pids) assert(new RegExp(`\\s${pid}\\s`).test(report), `task ${pid} in ${report}`);
  const replay = await tool("uftrace", ["replay", "-d", `${dir}/trace`]);
  const replayed = new Set([...replay.matchAll(/\[ *(\d+)\] \|/g)].map((m) => Number(m[1])));
  assertEquals([...replayed].sort((a, b) => a - b), pids.filter((p) => replayed.has(p)));
  assert(replayed.size >= 2, `tasks replayed: ${[...replayed]}`);
  // The first process's task spans what it ran: one instruction a nanosecond.
  const first = new RegExp(`^\\s*([\\d.]+) us\\s+[\\d.]+ us\\s+${pids[0]}\\s`, "m").exec(report);
  assertEquals(Math.round(Number(first![1]) * 1000), profiles[0], report);
}

Deno.test({
  name: `uftrace and callgrind follow forks: files per process that the tools read, fork_tree${UFTRACE}${CALLGRIND}`,
  ignore: UFTRACE !== "" || CALLGRIND !== "",
  async fn() {
    // Three children, a grandchild and a vfork child exit; one child is killed (no report, no profile).
    await forkedFiles([join(GUEST_BIN, "fork_tree")], 6);
  },
});

const BUSYBOX = busyboxPath();
Deno.test({
  name:
    `uftrace and callgrind follow forks: busybox sh -c 'echo a | while read x; do echo $x; done'${UFTRACE}${CALLGRIND}${
      BUSYBOX ? "" : " (skipped: no busybox; build/fetch_debian.sh busybox-static)"
    }`,
  ignore: UFTRACE !== "" || CALLGRIND !== "" || !BUSYBOX,
  async fn() {
    // The shell and the two sides of the pipe.
    await forkedFiles([BUSYBOX!, "sh", "-c", "echo a | while read x; do echo $x; done"], 3);
  },
});
