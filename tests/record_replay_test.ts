/**
 * `-record` and `-replay`: a recorded run replays with the same guest
 * output, exit status and instruction count, with or without plugins, after
 * its input file changed, from another working directory, without writing
 * the files the recorded run wrote; a recording that cannot be replayed is
 * refused with one line. The oracles: the recorded run itself (its output
 * holds times, random bytes, the loop count at which a timer signal arrived
 * and the order in which threads finished, which another run does not
 * repeat) and qemu-riscv64's own instruction count (QEMU's `libinsn.so`) for
 * a program whose count does not depend on its inputs.
 *
 * @module
 */

import { assert, assertEquals, assertNotEquals } from "./assert.ts";
import {
  busyboxPath,
  GUEST_BIN,
  plumeAvailable,
  qemuPlugin,
  qemuPluginMissing,
  ROOT,
  runPlume,
  runQemu,
  type RunResult,
  tempDir,
} from "./harness.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";

const PROGRAM = join(GUEST_BIN, "record_inputs");
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** `total insns: N` of the insn plugin (plume's and QEMU's spell it alike). */
function insns(r: RunResult): number {
  const m = /^total insns: (\d+)$/m.exec(text(r.stderr));
  assert(m !== null, `no instruction count in: ${text(r.stderr)}`);
  return Number(m[1]);
}

/** Asserts that a replay printed what the recorded run printed and ended the same way. */
function sameRun(recorded: RunResult, replayed: RunResult): void {
  assertEquals(text(replayed.stdout), text(recorded.stdout));
  assertEquals(replayed.status, recorded.status, text(replayed.stderr));
}

/** Asserts a refusal: status 1 and exactly one line on stderr, starting with `plume: `, no stack trace. */
function refused(r: RunResult, pattern: RegExp): void {
  const err = text(r.stderr);
  assertEquals(r.status, 1, err);
  assertEquals(err.split("\n").filter((l) => l !== "").length, 1, err);
  assert(err.startsWith("plume: ") && pattern.test(err), err);
  assertEquals(r.stdout.length, 0);
}

/**
 * Asserts a refusal once the replay has run for a while: status 1, and one line of plume's on stderr, the last
 * (the plugins of processes that ended before it may have printed their results, the guest its output).
 */
function refusedMidRun(r: RunResult, pattern: RegExp): void {
  const err = text(r.stderr);
  assertEquals(r.status, 1, err);
  const lines = err.split("\n").filter((l) => l !== "");
  assertEquals(lines.filter((l) => l.startsWith("plume")).length, 1, err);
  assert(lines.at(-1)!.startsWith("plume: ") && pattern.test(lines.at(-1)!), err);
}

const ignore = !plumeAvailable();

/** Where a recording's records start (after magic, version, header length and header). */
function headerEnd(rec: Uint8Array): number {
  return 16 + new DataView(rec.buffer, rec.byteOffset).getUint32(12, true);
}

/** `rec` with its trailer's SHA-256 made right again. */
function reseal(rec: Uint8Array): Uint8Array {
  const out = rec.slice();
  out.set(createHash("sha256").update(out.subarray(0, out.length - 40)).digest(), out.length - 40);
  return out;
}

/** `rec` with its header changed by `edit`, resealed. */
function resealed(rec: Uint8Array, edit: (h: Record<string, unknown>) => unknown): Uint8Array {
  const header = JSON.parse(text(rec.subarray(16, headerEnd(rec))));
  const json = new TextEncoder().encode(JSON.stringify(edit(header)));
  const out = new Uint8Array(16 + json.length + rec.length - headerEnd(rec));
  out.set(rec.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(rec.subarray(headerEnd(rec)), 16 + json.length);
  return reseal(out);
}

Deno.test({
  name: "record_inputs: a replay under insn repeats the recorded output, status and count, after its file changed",
  ignore,
  async fn() {
    const dir = await tempDir("plume-rr-");
    const input = join(dir, "input.txt");
    await Deno.writeTextFile(input, "recorded contents\n");
    const rec = join(dir, "run.rec");
    const argv = [PROGRAM, "raw", input, "threads"];
    const recorded = await runPlume(argv, {
      cwd: dir,
      flags: ["-record", rec, "-plugin", "insn", "-plugin", "syscall", "-d", "plugin"],
    });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    assert(text(recorded.stdout).includes("file: recorded contents"));
    assert(text(recorded.stdout).includes("threads finished in order"));

    // Another run of the same program takes other times, random bytes and signal timing: the test is not vacuous.
    const other = await runPlume(argv, { cwd: dir });
    assertNotEquals(text(other.stdout), text(recorded.stdout));

    await Deno.writeTextFile(input, "changed\n");
    const elsewhere = await tempDir("plume-rr-cwd-");
    const replayed = await runPlume([], { cwd: elsewhere, flags: ["-replay", rec, "-plugin", "insn", "-d", "plugin"] });
    sameRun(recorded, replayed);
    assertEquals(insns(replayed), insns(recorded));

    // The syscall plugin sees the calls (and failures) it saw in the recorded run.
    const withSyscalls = await runPlume([], {
      cwd: elsewhere,
      flags: ["-replay", rec, "-plugin", "syscall", "-d", "plugin"],
    });
    sameRun(recorded, withSyscalls);
    const table = (r: RunResult) => text(r.stderr).split("\n").filter((l) => /^\d+\s+\d+\s+\d+$/.test(l)).sort();
    assert(table(recorded).length > 10, text(recorded.stderr));
    assertEquals(table(withSyscalls), table(recorded));

    // With no plugin, and with two: the same bytes.
    sameRun(recorded, await runPlume([], { cwd: elsewhere, flags: ["-replay", rec] }));
    const two = await runPlume([], {
      cwd: dir,
      flags: ["-replay", rec, "-plugin", "insn", "-plugin", "bb", "-d", "plugin"],
    });
    sameRun(recorded, two);
    assertEquals(insns(two), insns(recorded));
  },
});

Deno.test({
  name: "the threads program replays identically under insn (4 threads, futexes, their schedule)",
  ignore,
  async fn() {
    const dir = await tempDir("plume-rr-");
    const rec = join(dir, "threads.rec");
    const argv = [join(GUEST_BIN, "threads")];
    const recorded = await runPlume(argv, { cwd: dir, flags: ["-record", rec, "-plugin", "insn", "-d", "plugin"] });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    const replayed = await runPlume([], { cwd: dir, flags: ["-replay", rec, "-plugin", "insn", "-d", "plugin"] });
    sameRun(recorded, replayed);
    assertEquals(insns(replayed), insns(recorded));
    assertEquals(
      [...text(replayed.stderr).matchAll(/^cpu \d+ insns: \d+$/gm)].map((m) => m[0]),
      [...text(recorded.stderr).matchAll(/^cpu \d+ insns: \d+$/gm)].map((m) => m[0]),
      "each vCPU's count",
    );
    // A recorded deadlock (two threads locking two mutexes in opposite orders) replays as one.
    const dl = join(dir, "deadlock.rec");
    const locked = await runPlume([...argv, "deadlock"], { cwd: dir, flags: ["-record", dl] });
    assertEquals(locked.status, 1);
    const again = await runPlume([], { cwd: dir, flags: ["-replay", dl] });
    sameRun(locked, again);
    assert(text(again.stderr).includes("plume: deadlock"), text(again.stderr));
  },
});

Deno.test({
  name: "threads recorded in WebAssembly regions replay in JavaScript regions, block by block and instrumented",
  ignore,
  async fn() {
    const dir = await tempDir("plume-rr-");
    const rec = join(dir, "threads.rec");
    // Recorded uninstrumented, with the harness's tiers (-jit-warmup 0 -jit-wasm always): the hot loops run as
    // WebAssembly regions. Replayed in JavaScript regions, block by block, and instrumented (instrumented blocks
    // stay in JavaScript regions), with callbacks or inline counts.
    const recorded = await runPlume([join(GUEST_BIN, "threads")], { cwd: dir, flags: ["-record", rec] });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    const counts = (r: RunResult) => [...text(r.stderr).matchAll(/^cpu \d+ insns: \d+$/gm)].map((m) => m[0]);
    let first: string[] | undefined;
    for (
      const flags of [
        ["-jit-wasm", "off"],
        ["-d", "nochain"],
        ["-plugin", "insn", "-d", "plugin"],
        ["-plugin", "insn,inline=true", "-d", "plugin"],
      ]
    ) {
      const replayed = await runPlume([], { cwd: dir, flags: ["-replay", rec, ...flags] });
      sameRun(recorded, replayed);
      if (!flags.some((f) => f.startsWith("insn"))) continue;
      // Each vCPU ran the same instructions, with callbacks or with inline counts.
      first ??= counts(replayed);
      assertEquals(counts(replayed), first, flags.join(" "));
    }
    assert(first !== undefined && first.length > 1, `per-vCPU counts: ${first}`);
  },
});

/**
 * glibc's start-up takes other branches when `riscv_hwprobe` and
 * `set_robust_list` succeed, which QEMU 7.2 does not implement: this plugin
 * gives plume's guest QEMU's answers. It changes the guest, so it is part of
 * the run: it is loaded when recording and when replaying.
 */
const QEMU72 = ["-plugin", join(ROOT, "tests", "plugins", "qemu72_syscalls.ts"), "-plugin-allow", "guest=write"];

Deno.test({
  name: `a run recorded uninstrumented counts under insn what QEMU's libinsn counts${qemuPluginMissing("insn")}`,
  ignore: ignore || qemuPluginMissing("insn") !== "",
  async fn() {
    const dir = await tempDir("plume-rr-");
    const rec = join(dir, "sha.rec");
    const argv = [join(GUEST_BIN, "sha256"), "100000"];
    const recorded = await runPlume(argv, { cwd: dir, flags: [...QEMU72, "-record", rec] });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    const replayed = await runPlume([], {
      cwd: dir,
      flags: [...QEMU72, "-replay", rec, "-plugin", "insn", "-d", "plugin"],
    });
    sameRun(recorded, replayed);
    const qemu = await runQemu(argv, { cwd: dir, flags: ["-plugin", qemuPlugin("insn")!, "-d", "plugin"] });
    assertEquals(text(qemu.stdout), text(recorded.stdout));
    assertEquals(insns(replayed), insns(qemu));
  },
});

Deno.test({
  name: "a replay writes no file: busybox cp's copy is not made again",
  ignore: ignore || busyboxPath() === undefined,
  async fn() {
    const dir = await tempDir("plume-rr-");
    await Deno.writeTextFile(join(dir, "a.txt"), "to copy\n");
    const rec = join(dir, "cp.rec");
    const recorded = await runPlume([busyboxPath()!, "cp", "a.txt", "b.txt"], { cwd: dir, flags: ["-record", rec] });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    assertEquals(await Deno.readTextFile(join(dir, "b.txt")), "to copy\n");
    await Deno.remove(join(dir, "b.txt"));
    await Deno.remove(join(dir, "a.txt"));
    sameRun(recorded, await runPlume([], { cwd: dir, flags: ["-replay", rec] }));
    await Deno.stat(join(dir, "b.txt")).then(
      () => assert(false, "the replay wrote b.txt"),
      (err) => assert(err instanceof Deno.errors.NotFound),
    );
  },
});

Deno.test({
  name: "busybox date and cat replay their recorded output after the file changed",
  ignore: ignore || busyboxPath() === undefined,
  async fn() {
    const dir = await tempDir("plume-rr-");
    await Deno.writeTextFile(join(dir, "f.txt"), "first\n");
    for (const args of [["date", "+%s.%N"], ["cat", "f.txt"]]) {
      const rec = join(dir, `${args[0]}.rec`);
      const recorded = await runPlume([busyboxPath()!, ...args], { cwd: dir, flags: ["-record", rec] });
      assertEquals(recorded.status, 0, text(recorded.stderr));
      await Deno.writeTextFile(join(dir, "f.txt"), "second\n");
      const replayed = await runPlume([], { cwd: dir, flags: ["-replay", rec, "-plugin", "insn", "-d", "plugin"] });
      sameRun(recorded, replayed);
    }
  },
});

Deno.test({
  name: "lua5.4 (dynamically linked, -L) replays os.time, os.clock and math.random from another directory",
  ignore: ignore || !(() => {
    try {
      return Deno.statSync(join(ROOT, ".cache", "debian", "lua5.4", "usr", "bin", "lua5.4")).isFile;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const dir = await tempDir("plume-rr-");
    const root = join(ROOT, ".cache", "debian", "lua5.4");
    const rec = join(dir, "lua.rec");
    const recorded = await runPlume([
      join(root, "usr", "bin", "lua5.4"),
      "-e",
      "print(os.time(), os.clock(), math.random())",
    ], {
      cwd: dir,
      flags: ["-L", root, "-record", rec],
    });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    const elsewhere = await tempDir("plume-rr-cwd-");
    sameRun(recorded, await runPlume([], { cwd: elsewhere, flags: ["-replay", rec] }));
  },
});

Deno.test({
  name: "recordings that cannot be replayed are refused with one line",
  ignore,
  async fn() {
    const dir = await tempDir("plume-rr-");
    const rec = join(dir, "ok.rec");
    const recorded = await runPlume([join(GUEST_BIN, "hello_asm")], { cwd: dir, flags: ["-record", rec] });
    assertEquals(recorded.status, 7);
    const bytes = await Deno.readFile(rec);
    const write = async (name: string, b: Uint8Array) => {
      await Deno.writeFile(join(dir, name), b);
      return runPlume([], { cwd: dir, flags: ["-replay", join(dir, name)] });
    };
    refused(await write("cut.rec", bytes.subarray(0, bytes.length - 20)), /truncated/);
    refused(await write("short.rec", bytes.subarray(0, 10)), /truncated|not a plume recording/);
    const flipped = bytes.slice();
    flipped[bytes.length >> 1] ^= 0x40;
    refused(await write("flipped.rec", flipped), /corrupt/);
    refused(await write("text.rec", new TextEncoder().encode("hello\n")), /not a plume recording/);
    const version = bytes.slice();
    version[8] = 99;
    refused(await write("version.rec", version), /format 99/);
    refused(await runPlume([], { cwd: dir, flags: ["-replay", join(dir, "missing.rec")] }), /missing\.rec/);
    // A header that does not hold what a run needs, in a file whose checksum is right.
    const hostile = resealed(bytes, (h) => ({ ...h, pid: "x", argv: [1] }));
    refused(await write("header.rec", hostile), /corrupt \(incomplete header\)/);
    // Records that claim more bytes than there are, checksum right again: refused once the replay reaches them.
    const lying = bytes.slice();
    lying.fill(0xff, headerEnd(bytes), lying.length - 60);
    refused(await write("records.rec", reseal(lying)), /corrupt \(a record runs past the end\)/);
    refused(
      await runPlume([join(GUEST_BIN, "hello_asm_pie")], { cwd: dir, flags: ["-replay", rec] }),
      /is not the program that was recorded/,
    );
    // The good one still replays.
    sameRun(recorded, await runPlume([], { cwd: dir, flags: ["-replay", rec] }));
  },
});

Deno.test({
  name: "recording refuses a program handed to the host with one line; -record and -replay refuse -g and each other",
  ignore: ignore || busyboxPath() === undefined,
  async fn() {
    const dir = await tempDir("plume-rr-");
    // The host's /bin/true is not an RV64 program: plume hands it to the host, which a recording cannot hold.
    const r = await runPlume([busyboxPath()!, "sh", "-c", "/bin/true; echo after"], {
      cwd: dir,
      flags: ["-record", join(dir, "h.rec")],
    });
    refused(r, /^plume: -record: the guest ran a host program with execve/);
    await Deno.stat(join(dir, "h.rec")).then(
      () => assert(false, "the unusable recording was left behind"),
      (e) => assert(e instanceof Deno.errors.NotFound),
    );
    refused(await runPlume([join(GUEST_BIN, "hello_asm")], { cwd: dir, flags: ["-record", "x", "-g", "1234"] }), /-g/);
    refused(await runPlume([], { cwd: dir, flags: ["-record", "x", "-replay", "y"] }), /exclude/);
  },
});

/** A recording's records: each one's stream, whether it is ordered, and where its body (kind, fields) lies. */
interface RawRecord {
  stream: number;
  ordered: boolean;
  start: number;
  end: number;
}

/** The parts of a recording (format 3): header end, records, the table of streams, the fixed trailer. */
function parseRecording(rec: Uint8Array): { records: RawRecord[]; counts: number[]; tableAt: number } {
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const tail = rec.length - 56;
  const streams = view.getUint32(tail, true);
  const tableAt = tail - 4 * streams;
  const counts = Array.from({ length: streams }, (_, i) => view.getUint32(tableAt + 4 * i, true));
  const records: RawRecord[] = [];
  for (let pos = headerEnd(rec); pos < tableAt;) {
    const word = view.getUint32(pos, true), len = view.getUint32(pos + 4, true);
    records.push({ stream: word & 0x7fffffff, ordered: (word & 0x80000000) !== 0, start: pos + 8, end: pos + 8 + len });
    pos += 8 + len;
  }
  return { records, counts, tableAt };
}

/** `rec` without the records `drop` picks, its table of streams made `counts`, resealed. */
function withoutRecords(rec: Uint8Array, drop: (r: RawRecord) => boolean, counts: number[]): Uint8Array {
  const { records, tableAt } = parseRecording(rec);
  const parts: Uint8Array[] = [rec.subarray(0, headerEnd(rec))];
  for (const r of records) if (!drop(r)) parts.push(rec.subarray(r.start - 8, r.end));
  const table = new Uint8Array(4 * counts.length);
  counts.forEach((n, i) => new DataView(table.buffer).setUint32(4 * i, n, true));
  parts.push(table);
  const trailer = rec.slice(rec.length - 56);
  new DataView(trailer.buffer).setUint32(0, counts.length, true);
  parts.push(trailer);
  void tableAt;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return reseal(out);
}

/** Host processes whose command line contains `needle` (a test's own plugin path: its plugin processes). */
async function hostProcesses(needle: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid,ppid,args"], stdout: "piped" }).output();
  return text(out.stdout).split("\n").filter((l) => l.includes(needle));
}

/**
 * The pipeline of the issue: `date`, `/dev/urandom` through `head | od`, a program `execve`'d from the shell
 * (record_inputs: a file, clocks, random bytes, a timer signal in the middle of a loop), a signal from a child
 * to the shell's trap, a program killed by another process and one by SIGPIPE, a file written and read back, an
 * exit status of the script's.
 */
function pipelineScript(input: string): string {
  return [
    "date +%s.%N",
    "head -c 16 /dev/urandom | od -x",
    // yes dies of SIGPIPE once head has its lines: a process that ends by a signal, its plugins silent.
    "yes | head -n 2",
    `${PROGRAM} raw ${input} | grep -v ' ok$'`,
    "trap 'echo trapped USR1' USR1",
    "(sleep 0.1; kill -USR1 $$) & sleep 0.5",
    "wait",
    // busybox timeout's child kills the program its parent became: a process that catches no signal.
    "timeout 1 tail -f /dev/null; echo timeout ended $?",
    "date +%s.%N > out.txt",
    "cat out.txt | wc -c",
    "exit 3",
  ].join("; ");
}

/** The lines of one plugin's results in a run's stderr (each process prints its own at its end, in order). */
function pluginLines(r: RunResult, pattern: RegExp): string[] {
  return text(r.stderr).split("\n").filter((l) => pattern.test(l));
}

const INSN_LINE = /^(cpu \d+ insns|total insns): \d+$/;

Deno.test({
  name:
    "a busybox sh pipeline (fork, execve, pipes, a timer, a child's signal) replays under no plugin, insn and count",
  ignore: ignore || busyboxPath() === undefined,
  async fn() {
    const dir = await tempDir("plume-rr-sh-");
    const input = join(dir, "input.txt");
    await Deno.writeTextFile(input, "recorded contents\n");
    const rec = join(dir, "sh.rec");
    const argv = [busyboxPath()!, "sh", "-c", pipelineScript(input)];
    const insn = ["-plugin", "insn", "-d", "plugin"];
    const recorded = await runPlume(argv, { cwd: dir, flags: ["-record", rec, ...insn] });
    assertEquals(recorded.status, 3, text(recorded.stderr));
    const out = text(recorded.stdout);
    for (const want of ["file: recorded contents", "SIGALRM after", "trapped USR1", "0000020", "timeout ended 143"]) {
      assert(out.includes(want), out);
    }
    // Signals between processes took both ways: to a process that counts slices (the shell, which catches signals),
    // written down with its slice; to one that does not (tail), held for its next system call or its wait.
    const bytes = await Deno.readFile(rec);
    const kinds = new Set(parseRecording(bytes).records.map((r) => bytes[r.start]));
    assert(kinds.has(9) && kinds.has(11), `record kinds: ${[...kinds]}`);
    // One count per process that ended: the shell, its children and the programs they became.
    const counts = pluginLines(recorded, /^total insns/);
    assert(counts.length >= 6, text(recorded.stderr));
    assert((await Deno.readTextFile(join(dir, "out.txt"))).length > 10);

    // The outside changes: time goes on, /dev/urandom gives other bytes, the file changes, out.txt is gone.
    await Deno.remove(join(dir, "out.txt"));
    await Deno.writeTextFile(input, "changed\n");
    const other = await runPlume(argv, { cwd: dir });
    assertNotEquals(text(other.stdout), out);
    await Deno.remove(join(dir, "out.txt"));

    const noFile = () =>
      Deno.stat(join(dir, "out.txt")).then(
        () => assert(false, "the replay wrote out.txt"),
        (err) => assert(err instanceof Deno.errors.NotFound),
      );
    const plain = await runPlume([], { cwd: dir, flags: ["-replay", rec] });
    sameRun(recorded, plain);
    assertEquals(pluginLines(plain, INSN_LINE), []);
    await noFile();
    // Under insn: stderr whole (each process's counts, in the order the processes ended).
    const counted = await runPlume([], { cwd: dir, flags: ["-replay", rec, ...insn] });
    sameRun(recorded, counted);
    assertEquals(text(counted.stderr), text(recorded.stderr));
    await noFile();
    // Under the tests' own count plugin: its instruction count of each process is insn's.
    const count = join(ROOT, "tests", "plugins", "count.ts");
    const own = await runPlume([], { cwd: dir, flags: ["-replay", rec, "-plugin", count, "-d", "plugin"] });
    sameRun(recorded, own);
    assertEquals(
      pluginLines(own, /^insns \d+$/).map((l) => l.split(" ")[1]),
      counts.map((l) => l.split(" ")[2]),
      text(own.stderr),
    );
    await noFile();
  },
});

Deno.test({
  name: "under plugins, every replay prints each process's results at its recorded end (exit and exit_group ends)",
  ignore: ignore || busyboxPath() === undefined,
  async fn() {
    const dir = await tempDir("plume-rr-ends-");
    const rec = join(dir, "ends.rec");
    const g = (name: string) => join(GUEST_BIN, name);
    // Processes that end with exit_group, fork_tree's vfork child that leaves through _exit (syscall 93, exit: the
    // last thread's exit ends its process), one that dies of SIGPIPE, one killed by SIGKILL, execve's usage line on
    // stderr between two processes' results.
    const script = `echo hi | cat; yes | head -n 2; ${g("fork_tree")}; ${g("execve")}; ${
      g("signals")
    } >/dev/null; echo end`;
    const plugins = ["-plugin", "insn", "-plugin", "syscall", "-d", "plugin"];
    const recorded = await runPlume([busyboxPath()!, "sh", "-c", script], {
      cwd: dir,
      flags: ["-record", rec, ...plugins],
    });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    assert(/^93 +1 +0$/m.test(text(recorded.stderr)), text(recorded.stderr));
    // The order once depended on which process the replay ran when another's end was due: it varied between runs.
    for (let i = 0; i < 4; i++) {
      const replayed = await runPlume([], { cwd: dir, flags: ["-replay", rec, ...plugins] });
      sameRun(recorded, replayed);
      assertEquals(text(replayed.stderr), text(recorded.stderr), `replay ${i + 1}`);
    }
  },
});

Deno.test({
  name: "a recording whose child stream is cut, missing or changed is refused with one line, leaving nothing running",
  ignore: ignore || busyboxPath() === undefined,
  async fn() {
    const dir = await tempDir("plume-rr-hostile-");
    const count = join(dir, "count.ts");
    await Deno.copyFile(join(ROOT, "tests", "plugins", "count.ts"), count);
    const rec = join(dir, "ok.rec");
    const argv = [busyboxPath()!, "sh", "-c", "date; head -c 16 /dev/urandom | od -x; echo end"];
    const recorded = await runPlume(argv, { cwd: dir, flags: ["-record", rec] });
    assertEquals(recorded.status, 0, text(recorded.stderr));
    const bytes = await Deno.readFile(rec);
    const { records, counts } = parseRecording(bytes);
    assert(counts.length >= 4, `streams: ${counts}`);
    const last = counts.length - 1;
    const replay = async (name: string, b: Uint8Array) => {
      await Deno.writeFile(join(dir, name), b);
      const r = await runPlume([], { cwd: dir, flags: ["-replay", join(dir, name), "-plugin", count, "-d", "plugin"] });
      assertEquals(await hostProcesses(count), [], `${name}: plugin processes left running`);
      return r;
    };
    // Cut inside the last child's records, checksum wrong or right.
    const lastRecord = records.filter((r) => r.stream === last).at(-1)!;
    refused(await replay("cut.rec", bytes.subarray(0, lastRecord.start + 2)), /truncated/);
    // A child's stream without its last records, or without any, the checksum right: its table says otherwise.
    refused(
      await replay("short.rec", withoutRecords(bytes, (r) => r.start === lastRecord.start, counts)),
      /corrupt \(process stream \d+ holds \d+ records, its table says \d+\)/,
    );
    refused(
      await replay("missing.rec", withoutRecords(bytes, (r) => r.stream === last, counts)),
      /corrupt \(process stream \d+ holds 0 records/,
    );
    // The stream gone from the table too: the fork record names a stream that is not there.
    refused(
      await replay("gone.rec", withoutRecords(bytes, (r) => r.stream === last, counts.slice(0, last))),
      /corrupt \(a new process's stream \d+ is not in the recording\)/,
    );
    // A byte of a child's record changed: the checksum says so; made right again, the replay sees the change.
    const flipped = bytes.slice();
    const child = records.find((r) => r.stream === last && flipped[r.start] === 1)!; // an injected system call
    flipped[child.start + 1 + 4] ^= 0x3f; // its call number
    refused(await replay("flipped.rec", flipped), /corrupt \(its checksum/);
    refusedMidRun(
      await replay("resealed.rec", reseal(flipped)),
      /diverged .* of process \d+: thread \d+ made system call/,
    );
    // A table of two million streams for a few hundred records: refused before anything is made for them (it
    // once took 43 bytes of memory per byte of table, and a 120 MB table ended plume out of memory).
    refused(
      await replay("streams.rec", withoutRecords(bytes, () => false, [...counts, ...new Array(2_000_000).fill(0)])),
      /corrupt \(its table names more streams than it has records\)/,
    );
    // A fork record's pid forged to NaN, a fraction or 0 (once "internal error: System call clone returned NaN").
    const fork = records.find((r) => bytes[r.start] === 7)!; // K.fork: tid, pid (f64), stream
    for (const pid of [NaN, 26851.5, 0]) {
      const forged = bytes.slice();
      new DataView(forged.buffer).setFloat64(fork.start + 5, pid, true);
      refused(
        await replay("pid.rec", reseal(forged)),
        /corrupt \(a new process's pid .* is neither a pid nor an error\)/,
      );
    }
    // An injected system call's result forged to NaN or past 2^53 (it was returned to the guest as it was).
    const call = records.find((r) => bytes[r.start] === 1)!; // K.call: tid, nr, result (f64), …
    for (const ret of [NaN, 2 ** 60]) {
      const forged = bytes.slice();
      new DataView(forged.buffer).setFloat64(call.start + 9, ret, true);
      refusedMidRun(await replay("ret.rec", reseal(forged)), /corrupt recording: a system call's result is/);
    }
    // The good one still replays.
    sameRun(recorded, await runPlume([], { cwd: dir, flags: ["-replay", rec] }));
  },
});
