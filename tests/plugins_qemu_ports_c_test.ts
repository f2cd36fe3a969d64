/**
 * The built-in ports of newer QEMU's `bbv`, `stoptrigger`, `traps` and
 * `cflow` (QEMU 10.0's `contrib/plugins`, traps from 10.1). No QEMU here
 * can run them: QEMU 10's plugins do not load into Debian's qemu 7.2 (the
 * API differs) and QEMU 10's static `qemu-riscv64` has no plugin support.
 * So the tests compare plume's output with what QEMU's sources say they
 * print, computed here from independent counts of the same runs by QEMU
 * 7.2's own plugins (`.cache/qemu-plugins/lib<name>.so`, built by
 * `build/fetch_qemu_plugins.sh`):
 *
 * - `libexeclog.so` logs every executed instruction: its addresses are
 *   the run's instruction trace, from which the n-th instruction (for
 *   stoptrigger) and every non-sequential step (for cflow) follow;
 * - `libinsn.so` and `libbb.so` count instructions and block executions
 *   (for bbv's vectors), `libsyscall.so` system calls (for traps'
 *   host calls), and `-strace` the signals taken.
 *
 * The programs are the tiny-runtime ones, whose runs are the same under
 * both emulators (and the glibc one with `tests/plugins/qemu72_syscalls.ts`
 * giving plume's guest QEMU 7.2's answers); qemu and plume run in one
 * shared directory, so that their environments are the same.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  busyboxPath,
  GUEST_BIN,
  qemuAvailable,
  qemuPlugin,
  qemuPluginMissing,
  ROOT,
  runPlume,
  runQemu,
  tempDir,
} from "./harness.ts";
import { builtinGrants } from "../core/plugin/loader.ts";
import { PIE_BASE } from "../core/elf/loader.ts";
import { join } from "node:path";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const hex = (n: number) => n.toString(16);

const HELLO = join(GUEST_BIN, "hello_asm");
const noQemu = qemuAvailable() ? "" : " (skipped: qemu-riscv64 not found)";
const BUSYBOX = busyboxPath();
const noBusybox = BUSYBOX ? "" : " (skipped: busybox not found; build/fetch_debian.sh busybox-static)";
const FIB: [string, string] = [join(GUEST_BIN, "fib_pie"), "20"];
const SIEVE: [string, string] = [join(GUEST_BIN, "sieve_pie"), "30000"];

/** Why the tests that need QEMU 7.2's plugin `names` cannot run, or "". */
function missing(...names: string[]): string {
  return names.map(qemuPluginMissing).find((m) => m !== "") ?? "";
}

/** Runs `argv` under qemu-riscv64 with QEMU 7.2's plugins `plugins` (`name` or `name,opt=…`) in `cwd`. */
async function qemuWith(cwd: string, plugins: string[], argv: string[], flags: string[] = []) {
  const specs = plugins.flatMap((p) => {
    const [name, ...opts] = p.split(",");
    return ["-plugin", [qemuPlugin(name), ...opts].join(",")];
  });
  const r = await runQemu(argv, { cwd, flags: ["-d", "plugin", ...specs, ...flags] });
  return { ...r, out: text(r.stdout), log: text(r.stderr) };
}

/** Runs `argv` under plume with `flags` (plugins and grants) in `cwd`, plugin output on stderr. */
async function plumeWith(cwd: string, flags: string[], argv: string[]) {
  const r = await runPlume(argv, { cwd, flags: ["-plugin-watchdog", "60", "-d", "plugin", ...flags] });
  return { ...r, out: text(r.stdout), log: text(r.stderr) };
}

/** One executed instruction of QEMU's trace. */
interface Step {
  addr: number;
  size: number;
  opcode: number;
}

/** `ecall`'s encoding. */
const ECALL = 0x73;

/**
 * Where qemu-riscv64 7.2 maps a position-independent program: its first
 * free address, `TASK_UNMAPPED_BASE` for 64-bit guests. plume maps it at
 * `PIE_BASE`; a position-dependent one both map where it says.
 */
const QEMU_PIE_BASE = 0x40_0000_0000;

/** An address of QEMU's run as plume's run has it (the PIE's image moved to `PIE_BASE`). */
function plumeAddress(addr: number): number {
  return addr >= QEMU_PIE_BASE ? addr - QEMU_PIE_BASE + PIE_BASE : addr;
}

/**
 * The instruction trace of a run, from QEMU 7.2's execlog (compressed: an
 * opcode whose low bits are not 11), with addresses as plume places the
 * program.
 */
function traceOf(execlog: string): Step[] {
  const steps: Step[] = [];
  for (const line of execlog.split("\n")) {
    const m = /^0, 0x([0-9a-f]+), 0x([0-9a-f]+), /.exec(line);
    if (!m) continue;
    // QEMU 7.2 prints 4 bytes of a compressed instruction: the upper two are not its own.
    let opcode = parseInt(m[2], 16), size = 4;
    if ((opcode & 3) !== 3) [opcode, size] = [opcode & 0xffff, 2];
    steps.push({ addr: plumeAddress(parseInt(m[1], 16)), size, opcode });
  }
  return steps;
}

/** QEMU 7.2's instruction trace, instruction count and output of `argv`, run in `cwd`. */
async function qemuTrace(cwd: string, argv: string[]) {
  const r = await qemuWith(cwd, ["execlog", "insn"], argv);
  const steps = traceOf(r.log);
  const total = Number(/total insns: (\d+)/.exec(r.log)![1]);
  assertEquals(steps.length, total, "execlog's trace has as many instructions as insn counts");
  return { steps, total, out: r.out, status: r.status };
}

// ---------------------------------------------------------------- traps

/** traps' report in user mode for per-vCPU `[interrupts, exceptions, hostcalls]`, as QEMU's printf formats prints it. */
function trapsReport(rows: [number, number, number][]): string {
  const f = (n: number, w: number) => ` ${n}`.padStart(w);
  return "Note: interrupts are only reported in system emulation mode." +
    "VCPU, interrupts, exceptions, hostcalls\n" +
    rows.map(([i, e, h], v) => `${f(v, 4)}, ${f(i, 10)}, ${f(e, 10)}, ${f(h, 10)}\n`).join("");
}

/** The number of system calls libsyscall.so counted (its `calls` column, summed). */
function syscallTotal(log: string): number {
  let sum = 0;
  for (const m of log.matchAll(/^(\d+) +(\d+) +(\d+)$/gm)) sum += Number(m[2]);
  return sum;
}

Deno.test({
  name: `traps counts a host call per system call QEMU's syscall plugin counts${missing("syscall")}`,
  ignore: missing("syscall") !== "",
  async fn() {
    for (const argv of [[HELLO], FIB, SIEVE]) {
      const cwd = await tempDir("plume-ports-c-");
      const qemu = await qemuWith(cwd, ["syscall"], argv);
      const plume = await plumeWith(cwd, ["-plugin", "traps"], argv);
      assertEquals([plume.status, plume.out], [qemu.status, qemu.out], `${argv[0]}: the guest's run`);
      const calls = syscallTotal(qemu.log);
      assert(calls >= 2, `${argv[0]}: ${calls} system calls`);
      assertEquals(plume.log, trapsReport([[0, 0, calls]]), argv.join(" "));
    }
  },
});

Deno.test({
  name: `traps counts an exception per signal handler entered, a host call per system call${missing("syscall")}`,
  ignore: missing("syscall") !== "",
  async fn() {
    // signals alarm: SIGALRM's handler, entered once (signals.c: alarm(1), then pause()); glibc's start-up made
    // the same under both emulators by QEMU 7.2's answers to the two calls it lacks.
    const argv = [join(GUEST_BIN, "signals"), "alarm"];
    const cwd = await tempDir("plume-ports-c-");
    const qemu = await qemuWith(cwd, ["syscall"], argv, ["-strace"]);
    const plume = await plumeWith(cwd, [
      "-plugin",
      join(ROOT, "tests/plugins/qemu72_syscalls.ts"),
      "-plugin-allow",
      "guest=write",
      "-plugin",
      "traps",
    ], argv);
    assertEquals([plume.status, plume.out], [qemu.status, qemu.out], "the guest's run");
    // QEMU's -strace prints a line per signal taken: the one SIGALRM.
    assertEquals(qemu.log.match(/^--- SIG\w+ /gm), ["--- SIGALRM "]);
    assertEquals(plume.log, trapsReport([[0, 1, syscallTotal(qemu.log)]]));
  },
});

Deno.test({
  name: `traps counts busybox's system calls as QEMU's syscall plugin does${missing("syscall")}${noBusybox}`,
  ignore: missing("syscall") !== "" || !BUSYBOX,
  async fn() {
    // glibc's start-up made the same under both emulators by QEMU 7.2's answers to the two calls it lacks.
    // No fork: how a forked or exec'd child reports is not traps' business.
    const argv = [BUSYBOX!, "ls", "-a", "/"];
    const cwd = await tempDir("plume-ports-c-");
    const qemu = await qemuWith(cwd, ["syscall"], argv);
    const plume = await plumeWith(cwd, [
      "-plugin",
      join(ROOT, "tests/plugins/qemu72_syscalls.ts"),
      "-plugin-allow",
      "guest=write",
      "-plugin",
      "traps",
    ], argv);
    assertEquals([plume.status, plume.out], [qemu.status, qemu.out], "the guest's run");
    const calls = syscallTotal(qemu.log);
    assert(calls > 20, `${calls} system calls`);
    assertEquals(plume.log, trapsReport([[0, 0, calls]]));
  },
});

Deno.test("traps refuses options, as plume's ports do", async () => {
  const r = await plumeWith(await tempDir("plume-ports-c-"), ["-plugin", "traps,x=1"], [HELLO]);
  assertEquals(r.status, 1);
  assertMatch(r.log, /plugin 'traps': .*option parsing failed: x=1/);
});

// ---------------------------------------------------------------- stoptrigger

const GRANT = ["-plugin-allow", "guest=write"];

Deno.test({
  name: `stoptrigger stops at the instruction QEMU's trace has at that count, with the code${
    missing("execlog", "insn")
  }`,
  ignore: missing("execlog", "insn") !== "",
  async fn() {
    for (const argv of [[HELLO], FIB]) {
      const cwd = await tempDir("plume-ports-c-");
      const { steps, total, out, status } = await qemuTrace(cwd, argv);
      const label = argv.join(" ");
      // All but the last instruction (exit's ecall): the output is complete, the status is the trigger's.
      let r = await plumeWith(cwd, ["-plugin", `stoptrigger,icount=${total - 1}:5`, ...GRANT], argv);
      assertEquals([r.status, r.out, r.log], [5, out, `icount reached at 0x${hex(steps[total - 1].addr)}, exiting\n`]);
      // After the first instruction: in fib_pie no ecall was translated yet, one is found in the program's text.
      r = await plumeWith(cwd, ["-plugin", "stoptrigger,icount=1:6", ...GRANT, "-plugin", "insn"], argv);
      assertEquals([r.status, r.out], [6, ""], label);
      assertEquals(r.log, `icount reached at 0x${hex(steps[1].addr)}, exiting\ncpu 0 insns: 2\ntotal insns: 2\n`);
      // Every instruction: the guest ends first, as under QEMU.
      r = await plumeWith(cwd, ["-plugin", `stoptrigger,icount=${total}:5`, ...GRANT], argv);
      assertEquals([r.status, r.out, r.log], [status, out, ""], label);
      // Half-way, in hex, with an exit code C's exit() cuts to 8 bits; insn (loaded after) counted the
      // instructions before and the ecall the guest exits through.
      const half = Math.floor(total / 2);
      r = await plumeWith(cwd, ["-plugin", `stoptrigger,icount=0x${hex(half)}:300`, ...GRANT, "-plugin", "insn"], argv);
      assertEquals(r.status, 300 & 0xff, label);
      assert(out.startsWith(r.out), `${label}: the output is a prefix of the whole run's`);
      assertEquals(
        r.log,
        `icount reached at 0x${hex(steps[half].addr)}, exiting\ncpu 0 insns: ${half + 1}\n` +
          `total insns: ${half + 1}\n`,
      );
    }
  },
});

Deno.test({
  name: `stoptrigger stops before the first execution of a trigger address${missing("execlog", "insn")}`,
  ignore: missing("execlog", "insn") !== "",
  async fn() {
    const cwd = await tempDir("plume-ports-c-");
    // hello_asm: write's ecall, then exit's (tests/guest/src/hello_asm.S); QEMU's trace gives their addresses.
    const hello = await qemuTrace(cwd, [HELLO]);
    const ecalls = hello.steps.filter((s) => s.opcode === ECALL).map((s) => s.addr);
    assertEquals(ecalls.length, 2);
    const [write, exit] = ecalls;
    let r = await plumeWith(cwd, ["-plugin", `stoptrigger,addr=0x${hex(write)}:3`, ...GRANT], [HELLO]);
    assertEquals([r.status, r.out, r.log], [3, "", `0x${hex(write)} reached, exiting\n`]);
    // Two addresses: the first reached counts; a repeated address takes its last code; no code: 0.
    r = await plumeWith(cwd, [
      "-plugin",
      `stoptrigger,addr=0x${hex(exit)},addr=${write + 4}:9,addr=${write + 4}:4`,
      ...GRANT,
    ], [HELLO]);
    assertEquals([r.status, r.out, r.log], [4, hello.out, `0x${hex(write + 4)} reached, exiting\n`]);
    r = await plumeWith(cwd, ["-plugin", `stoptrigger,addr=0x${hex(exit)}`, ...GRANT], [HELLO]);
    assertEquals([r.status, r.out, r.log], [0, hello.out, `0x${hex(exit)} reached, exiting\n`]);

    // fib_pie: an address in the middle of the run stops at its first execution, found in QEMU's trace.
    const fib = await qemuTrace(cwd, FIB);
    const target = fib.steps[Math.floor(fib.total / 2)].addr;
    const first = fib.steps.findIndex((s) => s.addr === target);
    r = await plumeWith(cwd, ["-plugin", `stoptrigger,addr=${target}:1`, ...GRANT, "-plugin", "insn"], FIB);
    assertEquals(r.status, 1);
    assertEquals(r.log, `0x${hex(target)} reached, exiting\ncpu 0 insns: ${first + 1}\ntotal insns: ${first + 1}\n`);
  },
});

Deno.test("stoptrigger refuses what QEMU's refuses, and runs only with the grant to change the guest", async () => {
  const cwd = await tempDir("plume-ports-c-");
  const cases: [string, RegExp][] = [
    ["stoptrigger", /'icount' or 'addr' argument missing/],
    ["stoptrigger,icount=0", /icount parsing failed: '0' must be a positive integer/],
    ["stoptrigger,icount=-5:1", /icount parsing failed: '-5' must be a positive integer/],
    ["stoptrigger,count=5", /option parsing failed: count=5/],
  ];
  for (const [spec, message] of cases) {
    const r = await plumeWith(cwd, ["-plugin", spec, ...GRANT], [HELLO]);
    assertEquals(r.status, 1, spec);
    assertMatch(r.log, message);
    assertEquals(r.out, "", `${spec}: the guest did not run`);
  }
  const r = await plumeWith(cwd, ["-plugin", "stoptrigger,icount=3"], [HELLO]);
  assertEquals(r.status, 1);
  assertMatch(r.log, /plugin 'stoptrigger': .*needs -plugin-allow guest=write/);
});

// ---------------------------------------------------------------- bbv

/** A bbv file's vectors: per line, its `[id, count]` pairs; throws on a line of another form. */
function parseBbv(file: string): [number, number][][] {
  const lines = file.split("\n");
  assertEquals(lines.pop(), "", "the file ends with a line break");
  return lines.map((line) => {
    assertMatch(line, /^T(?::\d+:\d+ )+$/);
    return [...line.matchAll(/:(\d+):(\d+) /g)].map((m) => [Number(m[1]), Number(m[2])]);
  });
}

Deno.test("bbv writes hello_asm's one vector, its three blocks counted by hand", async () => {
  const cwd = await tempDir("plume-ports-c-");
  const r = await plumeWith(cwd, ["-plugin", "bbv,outfile=hello,interval=10"], [HELLO]);
  assertEquals(r.status, 7);
  // hello_asm.S: 6 instructions up to write's ecall, 2 up to the bne, 3 up to exit's ecall: 11 in all,
  // past 10 at the third block, and nothing written for what follows the last full interval.
  assertEquals(Deno.readTextFileSync(join(cwd, "hello.0.bb")), "T:1:6 :2:2 :3:3 \n");
  assertEquals([...Deno.readDirSync(cwd)].map((e) => e.name).filter((n) => n.startsWith("hello")), ["hello.0.bb"]);
});

Deno.test({
  name: `bbv's vectors hold the blocks and instructions QEMU's bb and insn count${missing("bb", "insn")}`,
  ignore: missing("bb", "insn") !== "",
  async fn() {
    for (const argv of [FIB, SIEVE]) {
      const cwd = await tempDir("plume-ports-c-");
      const qemu = await qemuWith(cwd, ["bb", "insn"], argv);
      const [, blocks, insns] = /bb's: (\d+), insns: (\d+)/.exec(qemu.log)!.map(Number);
      const label = argv.join(" ");

      // interval=1: a vector per executed block, holding that block alone.
      let r = await plumeWith(cwd, ["-plugin", "bbv,outfile=one,interval=1"], argv);
      assertEquals([r.status, r.out], [qemu.status, qemu.out], label);
      const trace = parseBbv(Deno.readTextFileSync(join(cwd, "one.0.bb")));
      assertEquals(trace.length, blocks, `${label}: a vector per block executed`);
      assert(trace.every((v) => v.length === 1), `${label}: one block per vector`);
      assertEquals(trace.reduce((s, v) => s + v[0][1], 0), insns, `${label}: instructions`);
      // Blocks are numbered from 1 in the order first seen, and a block always counts the same.
      let seen = 0;
      const size = new Map<number, number>();
      for (const [[id, n]] of trace) {
        if (id > seen) assertEquals(id, ++seen, `${label}: block ${id} numbered in order`);
        assertEquals(size.get(id) ?? n, n);
        size.set(id, n);
      }

      // interval=10000: floor(insns / 10000) vectors; vector i closes at the block that reaches i * 10000
      // (the count beyond carries over), and each block's total in the vectors is what the trace gives it.
      const interval = 10000;
      r = await plumeWith(cwd, ["-plugin", `bbv,outfile=big,interval=${interval}`], argv);
      const vectors = parseBbv(Deno.readTextFileSync(join(cwd, "big.0.bb")));
      assertEquals(vectors.length, Math.floor(insns / interval), `${label}: vectors`);
      let sum = 0;
      const perBlock = new Map<number, number>();
      vectors.forEach((v, i) => {
        sum += v.reduce((s, [, n]) => s + n, 0);
        assert(sum >= (i + 1) * interval && sum < (i + 2) * interval, `${label}: vector ${i + 1} closes at ${sum}`);
        for (const [id, n] of v) perBlock.set(id, (perBlock.get(id) ?? 0) + n);
        assertEquals(v.map(([id]) => id), v.map(([id]) => id).sort((a, b) => a - b), "ids in order");
      });
      // Replaying the interval=1 trace up to the same point gives the same per-block totals.
      const replay = new Map<number, number>();
      let replayed = 0;
      for (const [[id, n]] of trace) {
        if (replayed === sum) break;
        replayed += n;
        replay.set(id, (replay.get(id) ?? 0) + n);
      }
      assertEquals(replayed, sum, label);
      assertEquals(
        new Map([...perBlock].sort((a, b) => a[0] - b[0])),
        new Map([...replay].sort((a, b) => a[0] - b[0])),
      );
    }
  },
});

Deno.test("bbv writes a file per vCPU, each with the instructions bb counts on that vCPU in the same run", async () => {
  const cwd = await tempDir("plume-ports-c-");
  // threads_cpu: three threads of 200000 values each, and the main thread.
  const argv = [join(GUEST_BIN, "threads_cpu"), "3", "600000"];
  const r = await plumeWith(cwd, ["-plugin", "bb", "-plugin", "bbv,outfile=t,interval=1"], argv);
  assertEquals(r.status, 0);
  const perCpu = [...r.log.matchAll(/^CPU(\d+): bb's: (\d+), insns: (\d+)$/gm)].map((m) => m.slice(1).map(Number));
  assertEquals(perCpu.map(([v]) => v), [0, 1, 2, 3]);
  for (const [vcpu, blocks, insns] of perCpu) {
    const vectors = parseBbv(Deno.readTextFileSync(join(cwd, `t.${vcpu}.bb`)));
    assertEquals([vectors.length, vectors.reduce((s, v) => s + v[0][1], 0)], [blocks, insns], `vCPU ${vcpu}`);
  }
  assertEquals(
    [...Deno.readDirSync(cwd)].filter((e) => e.name.startsWith("t.")).length,
    Math.max(...perCpu.map(([v]) => v)) + 1,
  );
});

Deno.test("bbv's file holds each block a forked process runs once, whichever process ran it", async () => {
  const cwd = await tempDir("plume-ports-c-");
  const r = await plumeWith(cwd, [
    "-plugin",
    join(ROOT, "tests/plugins/blocks_since_fork.ts"),
    "-plugin",
    "bbv,outfile=f,interval=1",
  ], [join(GUEST_BIN, "fork_tree")]);
  assertEquals(r.status, 0);
  // Each process's own blocks (a child's since its fork; the child a signal kills reports none, nor writes).
  const own = [...r.log.matchAll(/^own (\d+)$/gm)].map((m) => Number(m[1]));
  assertEquals(own.length, 6, "processes that exited");
  const vectors = parseBbv(Deno.readTextFileSync(join(cwd, "f.0.bb")));
  assertEquals(vectors.length, own.reduce((a, b) => a + b, 0));
});

Deno.test("bbv needs outfile, and is granted exactly its per-vCPU files", async () => {
  const r = await plumeWith(await tempDir("plume-ports-c-"), ["-plugin", "bbv,interval=10"], [HELLO]);
  assertEquals(r.status, 1);
  assertMatch(r.log, /^plume: plugin 'bbv': outfile unspecified$/m);
  const grants = builtinGrants({ file: "bbv", args: ["outfile=out/run", "interval=5"], allow: [] });
  assertEquals(grants.length, 256);
  assertEquals([grants[0], grants[255]], ["write=out/run.0.bb", "write=out/run.255.bb"]);
});

// ---------------------------------------------------------------- cflow

/** A branch point as the trace shows it: destinations in the order first taken, with counts. */
interface Node {
  addr: number;
  dests: Map<number, number>;
  count: number;
}

/** Every step of the trace that does not go to the next instruction, by source instruction. */
function branchesOf(steps: Step[]): Map<number, Node> {
  const nodes = new Map<number, Node>();
  for (let i = 1; i < steps.length; i++) {
    const from = steps[i - 1], to = steps[i].addr;
    if (to === from.addr + from.size) continue;
    let node = nodes.get(from.addr);
    if (!node) nodes.set(from.addr, node = { addr: from.addr, dests: new Map(), count: 0 });
    node.dests.set(to, (node.dests.get(to) ?? 0) + 1);
    node.count++;
  }
  return nodes;
}

/** cflow's report from a trace, with QEMU's text and each node's symbol and disassembly left out. */
function cflowExpected(steps: Step[], order: (a: Node, b: Node) => number): string {
  const distinct = new Set(steps.map((s) => s.addr)).size;
  let s = `collected ${distinct} control flow nodes in the hash table\n`;
  for (const n of [...branchesOf(steps).values()].sort((a, b) => order(a, b) || a.addr - b.addr).slice(0, 10)) {
    s += `  addr: 0x${hex(n.addr)} (branch)\n    branches ${n.count}\n`;
    for (const [to, count] of n.dests) s += `      to 0x${hex(to)} (${count})\n`;
  }
  return s;
}

/** cflow's report without each node's symbol and disassembly (checked to be there). */
function withoutDisassembly(report: string): string {
  return report.replace(/^( {2}addr: 0x[0-9a-f]+) [^:\n]+: [^\n]+ (\((?:branch|sync fault)\))$/gm, "$1 $2");
}

Deno.test({
  name: `cflow reports the branches QEMU's instruction trace takes${missing("execlog", "insn")}`,
  ignore: missing("execlog", "insn") !== "",
  async fn() {
    for (const argv of [FIB, SIEVE]) {
      const cwd = await tempDir("plume-ports-c-");
      const { steps, out, status } = await qemuTrace(cwd, argv);
      const orders: [string, (a: Node, b: Node) => number][] = [
        ["", (a, b) => b.count - a.count],
        ["sort=hottest", (a, b) => b.count - a.count],
        // No early exits in these runs: every node ties.
        ["sort=early", () => 0],
        ["sort=exceptions", (a, b) => b.dests.size - a.dests.size],
      ];
      // Every order on fib_pie; the default on sieve_pie (each run costs seconds).
      for (const [option, order] of argv === FIB ? orders : orders.slice(0, 1)) {
        const r = await plumeWith(cwd, ["-plugin", ["cflow", option].filter((o) => o).join(",")], argv);
        assertEquals([r.status, r.out], [status, out]);
        assertEquals(withoutDisassembly(r.log), cflowExpected(steps, order), `${argv.join(" ")} ${option}`);
        assertMatch(r.log, /^ {2}addr: 0x[0-9a-f]+ \w+: \w/m);
      }
    }
  },
});

Deno.test("cflow refuses what QEMU's refuses", async () => {
  const cwd = await tempDir("plume-ports-c-");
  for (
    const [spec, message] of [["cflow,sort=popular", /failed to parse: popular/], [
      "cflow,limit=3",
      /option parsing failed: limit=3/,
    ]] as const
  ) {
    const r = await plumeWith(cwd, ["-plugin", spec], [HELLO]);
    assertEquals(r.status, 1, spec);
    assertMatch(r.log, message);
  }
});

Deno.test({
  name: `cflow counts an early exit at each fault a handler catches, as QEMU's -strace shows them taken${noQemu}`,
  ignore: noQemu !== "",
  async fn() {
    const argv = [join(GUEST_BIN, "signals"), "all"];
    const cwd = await tempDir("plume-ports-c-");
    const qemu = await runQemu(argv, { cwd, flags: ["-strace"] });
    // The faults signals.c provokes and catches: a line per signal taken, with the faulting address.
    const faults = [
      ...text(qemu.stderr).matchAll(/^--- (SIGSEGV|SIGBUS|SIGILL) \{[^}]*si_addr=0x([0-9a-f]+)\} ---$/gm),
    ];
    assertEquals(faults.length, 5);
    // Its forked children (which catch no fault) run without the plugin: each would print a report of its own.
    const r = await plumeWith(cwd, ["-plugin-forks", "0", "-plugin", "cflow,sort=early"], argv);
    assertEquals([r.status, r.out], [qemu.status, text(qemu.stdout)]);
    // A line per early exit (QEMU's to its stderr), naming the last instruction that ran.
    const exits = [
      ...r.log.matchAll(/^vcpu_tb_branched_exec: pc=[0-9a-f]+, epbc=([0-9a-f]+) npc=[0-9a-f]+, lpc=([0-9a-f]+)$/gm),
    ];
    assertEquals(exits.length, faults.length);
    for (const [, end, last] of exits) assert(end !== last, "an early exit stops before its block's end");
    // Sorted by early exits: the faulting instructions first, each a sync fault once; SIGILL's is its si_addr.
    const nodes = [...r.log.matchAll(/^ {2}addr: 0x([0-9a-f]+) .*\((branch|sync fault)\)\n {4}early exits (\d+)$/gm)];
    assertEquals(nodes.map((m) => [m[2], m[3]]), faults.map(() => ["sync fault", "1"]));
    assertEquals(new Set(nodes.map((m) => m[1])), new Set(exits.map((m) => m[2])));
    const ill = faults.find((f) => f[1] === "SIGILL")!;
    assert(nodes.some((m) => parseInt(m[1], 16) === parseInt(ill[2], 16)), "the illegal instruction is a node");
  },
});
