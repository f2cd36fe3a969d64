/**
 * plume's gdb stub (`-g PORT`) driven by Debian's `gdb-multiarch` in batch
 * mode, against programs built with `-g` (tests/guest/src/gdb_*.c).
 *
 * Where qemu-riscv64's stub can do the same (breakpoints, `bt`, `info
 * args`, printing globals, `stepi`, `x/2i $pc`, `finish`, `next`, guest
 * signals, the exit code), the same gdb session runs against
 * `qemu-riscv64 -g PORT` and the two transcripts must be equal after one
 * normalisation: the process and thread ids GDB prints (`process 1234`,
 * `Thread 1234.1235`) are the emulator's host pid and tids, which differ
 * from run to run and between the two. No address is normalised: both load
 * the static programs at the same addresses, and the sessions print no
 * stack addresses. What qemu 7.2 refuses in user mode (watchpoints) or
 * does differently (threads run concurrently on the host) is checked
 * against expected lines.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { readSymbols } from "../core/elf/elf.ts";
import { framePacket } from "../core/gdb/packet.ts";
import {
  GUEST_BIN,
  plumeAvailable,
  qemuAvailable,
  ROOT,
  runPlume,
  runQemu,
  type RunResult,
  tempDir,
} from "./harness.ts";

const decoder = new TextDecoder();
const SRC = join(ROOT, "tests", "guest", "src");
const TARGET = join(GUEST_BIN, "gdb_target");
const THREADS = join(GUEST_BIN, "gdb_threads");
/** A run under a debugger is one instruction at a time: generous, on a loaded machine. */
const RUN_TIMEOUT_MS = 90_000;

function gdbAvailable(): boolean {
  try {
    return new Deno.Command("gdb-multiarch", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const GDB = gdbAvailable();
const PLUME = plumeAvailable();
const QEMU = qemuAvailable();
const NO_GDB = "gdb-multiarch is not installed (apt-get install gdb-multiarch)";
const NO_QEMU = "qemu-riscv64 is not installed";

/** A port nothing listens on now (the emulator listens on it next). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs gdb-multiarch in batch mode on `program` at `port` with `commands`; returns stdout and stderr, interleaved. */
async function runGdb(program: string, port: number, commands: readonly string[]): Promise<string> {
  const setup = ["set pagination off", "set confirm off", `directory ${SRC}`, `target remote 127.0.0.1:${port}`];
  const args = [...setup, ...commands].flatMap((c) => ["-ex", c]);
  // GDB retries a refused connection (tcp auto-retry) while the emulator starts and loads the program.
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", 'exec gdb-multiarch -batch -nx "$@" 2>&1', "gdb", ...args, program],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  }).output();
  return decoder.decode(out.stdout);
}

/** One gdb session against an emulator started with `-g PORT` (and `flags`). */
async function session(
  emulator: "plume" | "qemu",
  program: string,
  commands: readonly string[],
  flags: string[] = [],
  args: string[] = [],
  cwd?: string,
): Promise<{ transcript: string; guest: RunResult }> {
  const port = freePort();
  const opts = { flags: ["-g", String(port), ...flags], timeoutMs: RUN_TIMEOUT_MS, cwd };
  const run = emulator === "plume" ? runPlume([program, ...args], opts) : runQemu([program, ...args], opts);
  const transcript = await runGdb(program, port, commands);
  return { transcript, guest: await run };
}

/** Host process and thread ids, which differ between runs and emulators. */
function normalise(transcript: string): string {
  return transcript.replace(/\(process \d+\)/g, "(process PID)").replace(/Thread \d+\.\d+/g, "Thread PID.TID");
}

const text = (b: Uint8Array) => decoder.decode(b);

const BASIC_SESSION = [
  "break add",
  "continue",
  "bt",
  "info args",
  "p counter",
  "p total",
  "stepi",
  "x/2i $pc",
  "info registers pc",
  "p $fcsr",
  "finish",
  "next",
  "next",
  "p counter",
  "continue",
];

Deno.test({
  name: `gdb: break, bt, info args, p, stepi, x/2i, finish, next, continue print what qemu-riscv64 -g prints${
    !GDB ? ` (ignored: ${NO_GDB})` : !QEMU ? ` (ignored: ${NO_QEMU})` : ""
  }`,
  ignore: !GDB || !QEMU || !PLUME,
  async fn() {
    const qemu = await session("qemu", TARGET, BASIC_SESSION);
    const plume = await session("plume", TARGET, BASIC_SESSION);
    assertStringIncludes(qemu.transcript, "Breakpoint 1, add (a=2, b=3) at ./gdb_target.c:12");
    assertStringIncludes(qemu.transcript, "[Inferior 1 (process");
    assertEquals(normalise(plume.transcript), normalise(qemu.transcript));
    assertEquals(text(plume.guest.stdout), text(qemu.guest.stdout));
    assertEquals(plume.guest.status, 3);
    assertEquals(text(plume.guest.stderr), "");
  },
});

Deno.test({
  name: `gdb: a breakpoint set inside code that already ran is hit, as under qemu-riscv64 -g${
    !GDB ? ` (ignored: ${NO_GDB})` : !QEMU ? ` (ignored: ${NO_QEMU})` : ""
  }`,
  ignore: !GDB || !QEMU || !PLUME,
  async fn() {
    // fib_rec's block ran whole once; the new breakpoint is two instructions into it ($_ is the last one x showed).
    const commands = ["break fib_rec", "continue", "x/3i $pc", "delete", "break *$_", "continue", "info registers pc"];
    const qemu = await session("qemu", join(GUEST_BIN, "fib"), [...commands, "delete", "continue"], [], ["12"]);
    const plume = await session("plume", join(GUEST_BIN, "fib"), [...commands, "delete", "continue"], [], ["12"]);
    assertStringIncludes(plume.transcript, "Breakpoint 2, 0x");
    assertEquals(normalise(plume.transcript), normalise(qemu.transcript));
    assertEquals(text(plume.guest.stdout), text(qemu.guest.stdout));
  },
});

Deno.test({
  name: `gdb: a guest's SIGSEGV stops it in gdb, and continuing ends it as under qemu-riscv64 -g${
    !GDB ? ` (ignored: ${NO_GDB})` : !QEMU ? ` (ignored: ${NO_QEMU})` : ""
  }`,
  ignore: !GDB || !QEMU || !PLUME,
  async fn() {
    const commands = ["continue", "info registers pc", "continue"];
    const qemu = await session("qemu", join(GUEST_BIN, "segv"), commands);
    const plume = await session("plume", join(GUEST_BIN, "segv"), commands);
    assertStringIncludes(plume.transcript, "Program received signal SIGSEGV, Segmentation fault.");
    assertStringIncludes(plume.transcript, "Program terminated with signal SIGSEGV, Segmentation fault.");
    assertEquals(normalise(plume.transcript), normalise(qemu.transcript));
    assertEquals(plume.guest.status, 139);
  },
});

Deno.test({
  name: "gdb: signals passed on reach the guest's handlers with their siginfo, and quitting gdb kills the guest, " +
    `as under qemu-riscv64 -g${!GDB ? ` (ignored: ${NO_GDB})` : !QEMU ? ` (ignored: ${NO_QEMU})` : ""}`,
  ignore: !GDB || !QEMU || !PLUME,
  async fn() {
    const program = join(GUEST_BIN, "signals");
    // SIGSEGV, SIGILL, SIGBUS, SIGTRAP from ebreak, kill/raise/sigqueue, timers: each stops in gdb and is passed on.
    const pass = ["handle all nostop noprint pass", "handle SIGTRAP nostop noprint pass", "continue"];
    const plain = await runPlume([program, "all"]);
    const qemu = await session("qemu", program, pass, [], ["all"]);
    const plume = await session("plume", program, pass, [], ["all"]);
    assertEquals(normalise(plume.transcript), normalise(qemu.transcript));
    assertStringIncludes(text(plume.guest.stdout), "signals: 0 failure(s)\n");
    assertEquals(text(plume.guest.stdout), text(plain.stdout));
    assertEquals(plume.guest.status, 0);
    // A signal that stops in gdb, whose batch then ends: GDB kills the guest (vKill).
    const quitQemu = await session("qemu", program, ["continue"], [], ["usr1"]);
    const quit = await session("plume", program, ["continue"], [], ["usr1"]);
    assertStringIncludes(quit.transcript, "Program received signal SIGUSR1, User defined signal 1.");
    assertEquals(normalise(quit.transcript), normalise(quitQemu.transcript));
    assertEquals(text(quit.guest.stderr), "plume: terminated via GDBstub\n");
    assertEquals(quit.guest.status, quitQemu.guest.status);
  },
});

Deno.test({
  name: `gdb: watch, rwatch and awatch stop right after the accessing instruction (qemu-riscv64 7.2 refuses them)${
    !GDB ? ` (ignored: ${NO_GDB})` : ""
  }`,
  ignore: !GDB || !PLUME,
  async fn() {
    const commands = [
      ...["break main", "continue", "watch counter", "rwatch total", "continue", "continue", "continue"],
      ...["delete", "continue"],
    ];
    const { transcript, guest } = await session("plume", TARGET, commands);
    const expected = [
      "Hardware watchpoint 2: counter",
      "Hardware read watchpoint 3: total",
      // add()'s `total += s` reads total (line 13); the stop is after the load, still on line 13.
      "Hardware read watchpoint 3: total\n\nValue = 0\n",
      "in add (a=2, b=3) at ./gdb_target.c:13\n13\t  total += s;",
      // bump()'s `counter += by` (line 18) stores counter: GDB reports the change at the next line.
      "Hardware watchpoint 2: counter\n\nOld value = 5\nNew value = 12\n",
      "in bump (by=7) at ./gdb_target.c:19\n19\t  total += 1;",
      // The same line's load of total.
      "Hardware read watchpoint 3: total\n\nValue = 5\n",
      "exited with code 03]",
    ];
    let at = 0;
    for (const line of expected) {
      const i = transcript.indexOf(line, at);
      assert(i >= 0, `Missing (in order) ${JSON.stringify(line)} in:\n${transcript}`);
      at = i + line.length;
    }
    assertEquals(text(guest.stdout), "add: 5\ncounter: 12 total: 6\n");
    if (QEMU) {
      const qemu = await session("qemu", TARGET, ["break main", "continue", "watch counter", "continue"]);
      assertStringIncludes(qemu.transcript, "Could not insert hardware watchpoint 2.");
    }
  },
});

Deno.test({
  name: `gdb: each guest thread is a GDB thread; a breakpoint in a thread stops that one${
    !GDB ? ` (ignored: ${NO_GDB})` : ""
  }`,
  ignore: !GDB || !PLUME,
  async fn() {
    const commands = ["break worker_step", "continue", "info threads", "p id", "continue", "p hits", "continue"];
    const { transcript, guest } = await session("plume", THREADS, commands);
    const t = normalise(transcript);
    assertStringIncludes(t, "[New Thread PID.TID]");
    assertStringIncludes(t, "Thread 2 hit Breakpoint 1, worker_step (id=1) at ./gdb_threads.c:13");
    assert(/\n {2}1 +Thread PID\.TID +0x[0-9a-f]+ in /.test(t), t);
    assert(/\n\* 2 +Thread PID\.TID +worker_step \(id=1\)/.test(t), t);
    assertStringIncludes(t, "$1 = 1");
    assertStringIncludes(t, "Thread 3 hit Breakpoint 1, worker_step (id=2) at ./gdb_threads.c:13");
    // Whether the first worker added its 1 before the second one stopped is the schedule's choice.
    assert(/\$2 = [01]\n/.test(t), t);
    assertStringIncludes(t, "[Inferior 1 (process PID) exited normally]");
    assertEquals(text(guest.stdout), "hits: 3\n");
  },
});

Deno.test({
  name: `gdb: a breakpoint and single steps inside plugin-instrumented blocks leave the plugin's count exact${
    !GDB ? ` (ignored: ${NO_GDB})` : ""
  }`,
  ignore: !GDB || !PLUME,
  async fn() {
    // One directory for both runs: it is the guest's HOME, and glibc's start-up takes byte-dependent paths over
    // the environment's strings. In a fresh random directory each, 2 of 40 plain runs counted 10 instructions
    // fewer than the others (CI failed so, 12 fewer); in one directory, 40 of 40 counted the same.
    const cwd = await tempDir("plume-gdb-count-");
    const plain = await runPlume([TARGET], { flags: ["-plugin", "insn", "-d", "plugin"], cwd });
    const count = /total insns: (\d+)/.exec(text(plain.stderr))?.[1];
    assert(count !== undefined, text(plain.stderr));
    const commands = ["break add", "continue", "stepi", "stepi", "continue"];
    const flags = ["-plugin", "insn", "-d", "plugin"];
    const { transcript, guest } = await session("plume", TARGET, commands, flags, [], cwd);
    assertStringIncludes(transcript, "Breakpoint 1, add (a=2, b=3)");
    assertStringIncludes(transcript, "exited with code 03");
    assertStringIncludes(text(guest.stderr), `total insns: ${count}\n`);
    assertEquals(text(guest.stdout), text(plain.stdout));
    assertEquals(guest.status, 3);
  },
});

Deno.test({
  name: `gdb: after detach the guest runs on to its end${!GDB ? ` (ignored: ${NO_GDB})` : ""}`,
  ignore: !GDB || !PLUME,
  async fn() {
    const { transcript, guest } = await session("plume", TARGET, ["break bump", "continue", "p counter", "detach"]);
    assertStringIncludes(transcript, "Breakpoint 1, bump (by=7) at ./gdb_target.c:18");
    assertStringIncludes(transcript, "$1 = 5");
    assertEquals(text(guest.stdout), "add: 5\ncounter: 12 total: 6\n");
    assertEquals(guest.status, 3);
  },
});

/** A raw client of the stub: bytes in and out, as a hostile debugger would send them. */
class RawClient {
  private buffer = "";
  private constructor(private readonly conn: Deno.Conn) {}

  static async connect(where: number | string): Promise<RawClient> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const conn = typeof where === "number"
          ? await Deno.connect({ hostname: "127.0.0.1", port: where })
          : await Deno.connect({ transport: "unix", path: where });
        return new RawClient(conn);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async send(s: string): Promise<void> {
    const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
  }

  /** Reads until `re` matches what arrived since the last match; returns the match and drops what it consumed. */
  async expect(re: RegExp): Promise<string> {
    const deadline = Date.now() + 30_000;
    const buf = new Uint8Array(65536);
    for (;;) {
      const m = re.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m.index + m[0].length);
        return m[0];
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${re} (got ${JSON.stringify(this.buffer)})`);
      const n = await this.conn.read(buf);
      if (n === null) throw new Error(`Connection closed waiting for ${re} (got ${JSON.stringify(this.buffer)})`);
      this.buffer += String.fromCharCode(...buf.subarray(0, n));
    }
  }

  close(): void {
    this.conn.close();
  }
}

Deno.test({
  name: "gdb: a hostile client (garbage, bad checksums, an over-long packet, bad arguments, a disconnect mid-run) " +
    "gets refusals, and the guest runs on with its output intact",
  ignore: !PLUME,
  async fn() {
    // Long enough (a few hundred million instructions) to be running still when the client goes.
    const argv = [join(GUEST_BIN, "sieve"), "12000000"];
    const plain = await runPlume(argv);
    const port = freePort();
    const run = runPlume(argv, { flags: ["-g", String(port)], timeoutMs: RUN_TIMEOUT_MS });
    const c = await RawClient.connect(port);
    await c.send("garbage\x00\xff\r\n+-");
    await c.send("$qSupported#00");
    assertEquals(await c.expect(/-/), "-");
    await c.send("$" + "A".repeat(100_000) + "#00");
    assertEquals(await c.expect(/-/), "-");
    await c.send(framePacket("qSupported:multiprocess+"));
    assertStringIncludes(await c.expect(/\+\$[^#]*#../), "PacketSize=4000");
    const refusals: [string, RegExp][] = [
      ["m0,ffffffffffffffffffff", /^E22$/], // a length beyond 2^64
      ["m0,10", /^E14$/], // page 0 is never mapped
      ["Mzz,1:00", /^E22$/],
      ["X10000,4:ab", /^E22$/], // the length says 4, the data has 2
      ["Z9,10000,4", /^E22$/],
      ["Hg999999", /^E22$/], // no such thread
      ["P1000=00", /^E14$/], // no such register
      ["vCont;q", /^$/], // unknown action: unsupported
      ["qXfer:features:read:nonsense.xml:0,10", /^E00$/],
      ["?", /^T05thread:p[0-9a-f]+\.[0-9a-f]+;$/],
      ["g", /^[0-9a-f]{528}$/],
    ];
    for (const [packet, want] of refusals) {
      await c.send(framePacket(packet));
      const got = (await c.expect(/\+\$[^#]*#../)).slice(2, -3);
      assert(want.test(got), `${packet} answered ${JSON.stringify(got)}, want ${want}`);
    }
    // An interrupt (Ctrl-C in gdb) stops the running guest with SIGINT.
    await c.send(framePacket("c"));
    await c.expect(/\+/);
    await c.send("\x03");
    assert(/^\$T02thread:p[0-9a-f]+\.[0-9a-f]+;#..$/.test(await c.expect(/\$[^#]*#../)));
    await c.send("+" + framePacket("c"));
    await c.expect(/\+/);
    // Gone while the guest runs.
    await new Promise((r) => setTimeout(r, 300));
    c.close();
    const guest = await run;
    assertEquals(text(guest.stdout), text(plain.stdout));
    assertEquals(guest.status, plain.status);
    const stderr = text(guest.stderr);
    assert(!/internal error|\n\s+at /.test(stderr), stderr);
    // Said only when the guest was still running as the connection closed.
    assertStringIncludes(stderr, "plume: gdb stub: the debugger closed the connection; the guest runs on\n");
  },
});

Deno.test({
  name: "gdb: -g with a port that cannot be listened on is one line and status 1",
  ignore: !PLUME,
  async fn() {
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (busy.addr as Deno.NetAddr).port;
      const r = await runPlume([TARGET], { flags: ["-g", String(port)] });
      assertEquals(r.status, 1);
      assert(/^plume: cannot listen for gdb on '\d+': .*\n$/.test(text(r.stderr)), text(r.stderr));
      const bad = await runPlume([TARGET], { flags: ["-g", "99999"] });
      assertEquals(bad.status, 1);
      assertEquals(text(bad.stderr), "plume: cannot listen for gdb on '99999': port out of range\n");
    } finally {
      busy.close();
    }
  },
});

Deno.test({
  name: "gdb: -g with a unix socket path serves the protocol there and removes the socket at the end",
  ignore: !PLUME,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "plume-gdb-" });
    try {
      const path = join(dir, "gdb.sock");
      const run = runPlume([TARGET], { flags: ["-g", path], timeoutMs: RUN_TIMEOUT_MS });
      const c = await RawClient.connect(path);
      await c.send(framePacket("qSupported"));
      assertStringIncludes(await c.expect(/\$[^#]*#../), "qXfer:features:read+");
      await c.send("+" + framePacket("c"));
      // No multiprocess: the exit status alone.
      assertEquals(await c.expect(/\$W[^#]*#../), "$W03#ba");
      c.close();
      const guest = await run;
      assertEquals(guest.status, 3);
      assertEquals(text(guest.stdout), "add: 5\ncounter: 12 total: 6\n");
      let exists = true;
      await Deno.stat(path).catch(() => (exists = false));
      assertEquals(exists, false);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "gdb: vCont that resumes one thread keeps the others where they stopped, while it can run",
  ignore: !PLUME,
  async fn() {
    const symbols = readSymbols(await Deno.readFile(THREADS));
    const worker = symbols.find((s) => s.name === "worker_step")!.value;
    const port = freePort();
    const run = runPlume([THREADS], { flags: ["-g", String(port)], timeoutMs: RUN_TIMEOUT_MS });
    const c = await RawClient.connect(port);
    const ask = async (packet: string) => {
      await c.send(framePacket(packet));
      const got = (await c.expect(/\$[^#]*#../)).slice(1, -3);
      await c.send("+");
      return got;
    };
    await ask("qSupported:multiprocess+");
    assertEquals(await ask(`Z0,${worker.toString(16)},4`), "OK");
    const stop = await ask("c");
    const id = /^T05thread:(p[0-9a-f]+\.[0-9a-f]+);$/.exec(stop)?.[1];
    assert(id !== undefined, stop);
    const others = (await ask("qfThreadInfo")).slice(1).split(",").filter((t) => t !== id);
    assert(others.length >= 1, `Threads besides ${id}: ${others}`);
    const pcs = async () => {
      const out = [];
      for (const t of others) {
        assertEquals(await ask(`Hg${t}`), "OK");
        out.push(await ask("p20"));
      }
      return out;
    };
    const before = await pcs();
    // The next instruction of the stopped thread: 2 or 4 bytes on.
    const first = parseInt(await ask(`m${worker.toString(16)},1`), 16);
    const next = worker + ((first & 3) === 3 ? 4 : 2);
    assertEquals(await ask(`z0,${worker.toString(16)},4`), "OK");
    assertEquals(await ask(`Z0,${next.toString(16)},4`), "OK");
    assertEquals(await ask(`vCont;c:${id}`), `T05thread:${id};`);
    assertEquals(await pcs(), before);
    assertEquals(await ask(`z0,${next.toString(16)},4`), "OK");
    // Resumed alone again, the thread runs to its end; then the held ones go on rather than hang.
    await c.send(framePacket(`vCont;c:${id}`));
    await c.expect(/\$W00;process:[0-9a-f]+#../);
    c.close();
    const guest = await run;
    assertEquals(text(guest.stdout), "hits: 3\n");
  },
});
