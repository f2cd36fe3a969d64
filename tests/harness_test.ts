import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "./assert.ts";
import {
  busyboxPath,
  compareRuns,
  describeDifferences,
  firstDifference,
  GUEST_BIN,
  guestEnv,
  normalizeQemuStderr,
  normalizeStatus,
  plumeTaskFlags,
  qemuAvailable,
  qemuFlags,
  ROOT,
  runQemu,
  type RunResult,
  snapshotDir,
  uncaughtSignalLine,
} from "./harness.ts";
import nodeAssert from "node:assert";
import { join } from "node:path";

const enc = new TextEncoder();
const dec = new TextDecoder();

function result(stdout: string, stderr = "", status = 0): RunResult {
  return { stdout: enc.encode(stdout), stderr: enc.encode(stderr), status };
}

Deno.test("normalizeStatus maps signal deaths to 128+N and keeps exit codes", () => {
  const table: [number, string | null, number][] = [
    [0, null, 0],
    [7, null, 7],
    [255, null, 255],
    [139, "SIGSEGV", 139],
    [1, "SIGILL", 132],
    [0, "SIGTRAP", 133],
    [134, "SIGABRT", 134],
    [143, "SIGTERM", 143],
    [0, "SIGKILL", 137],
  ];
  for (const [code, signal, want] of table) assertEquals(normalizeStatus(code, signal), want, `${code} ${signal}`);
});

Deno.test("normalizeStatus rejects an unknown signal name", () => {
  assertThrows(() => normalizeStatus(0, "SIGNOPE"), RangeError, "SIGNOPE");
});

Deno.test("uncaughtSignalLine spells the line as qemu-user does, with plume's prefix", () => {
  assertEquals(uncaughtSignalLine(11), "plume: uncaught target signal 11 (Segmentation fault) - core dumped\n");
  assertEquals(uncaughtSignalLine(4), "plume: uncaught target signal 4 (Illegal instruction) - core dumped\n");
  assertEquals(uncaughtSignalLine(5), "plume: uncaught target signal 5 (Trace/breakpoint trap) - core dumped\n");
  assertEquals(uncaughtSignalLine(6), "plume: uncaught target signal 6 (Aborted) - core dumped\n");
  assertThrows(() => uncaughtSignalLine(15), RangeError, "15");
});

Deno.test("normalizeQemuStderr appends plume's line when qemu died silently of a core signal", () => {
  const table: [string, string | null, string][] = [
    ["", null, ""],
    ["warning\n", null, "warning\n"],
    ["", "SIGSEGV", "plume: uncaught target signal 11 (Segmentation fault) - core dumped\n"],
    ["err\n", "SIGABRT", "err\nplume: uncaught target signal 6 (Aborted) - core dumped\n"],
    // Signals that do not dump core end qemu without any message, and plume mirrors that.
    ["", "SIGTERM", ""],
    ["", "SIGKILL", ""],
  ];
  for (const [stderr, signal, want] of table) {
    assertEquals(dec.decode(normalizeQemuStderr(enc.encode(stderr), signal)), want, `${stderr} ${signal}`);
  }
});

Deno.test("normalizeQemuStderr rewrites qemu's own line instead of adding a second one", () => {
  const qemu = "out\nqemu: uncaught target signal 11 (Segmentation fault) - core dumped\n";
  assertEquals(
    dec.decode(normalizeQemuStderr(enc.encode(qemu), "SIGSEGV")),
    "out\nplume: uncaught target signal 11 (Segmentation fault) - core dumped\n",
  );
});

Deno.test("normalizeQemuStderr keeps bytes that are not UTF-8", () => {
  const raw = new Uint8Array([0xff, 0xfe, 0x80, 0x0a]);
  const out = normalizeQemuStderr(raw, "SIGILL");
  assertEquals(Array.from(out.subarray(0, 4)), [0xff, 0xfe, 0x80, 0x0a]);
  assertEquals(dec.decode(out.subarray(4)), uncaughtSignalLine(4));
});

Deno.test("qemuFlags spells -one-insn-per-tb as -singlestep for QEMU before 8.1", () => {
  const old = "-singlestep          QEMU_SINGLESTEP   run in singlestep mode\n";
  const modern = "-one-insn-per-tb     QEMU_ONE_INSN_PER_TB  run with one guest instruction per emulated TB\n";
  assertEquals(qemuFlags(["-one-insn-per-tb", "-d", "in_asm"], old), ["-singlestep", "-d", "in_asm"]);
  assertEquals(qemuFlags(["-one-insn-per-tb"], modern), ["-one-insn-per-tb"]);
  assertEquals(qemuFlags(["-0", "x"], old), ["-0", "x"]);
});

Deno.test("plumeTaskFlags reads the flags between deno run and main.ts", () => {
  const json = JSON.stringify({ tasks: { plume: "deno run --allow-read --unstable-worker-options main.ts" } });
  assertEquals(plumeTaskFlags(json), ["--allow-read", "--unstable-worker-options"]);
  const real = plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json")));
  assert(real.every((f) => f.startsWith("-")), `Unexpected flags ${real}`);
});

Deno.test("plumeTaskFlags rejects a deno.json without a usable plume task", () => {
  assertThrows(() => plumeTaskFlags("{}"), Error, "Task plume not found");
  assertThrows(() => plumeTaskFlags(JSON.stringify({ tasks: { plume: "node main.js" } })), Error, "deno run");
  assertThrows(() => plumeTaskFlags(JSON.stringify({ tasks: { plume: "deno run x.ts" } })), Error, "main.ts");
});

Deno.test("firstDifference finds the first differing line, including length-only differences", () => {
  assertEquals(firstDifference(enc.encode("a\nb\n"), enc.encode("a\nb\n")), undefined);
  assertEquals(firstDifference(enc.encode("a\nbc\nd\n"), enc.encode("a\nbx\nd\n")), {
    offset: 3,
    line: 2,
    expectedLine: "bc",
    actualLine: "bx",
  });
  assertEquals(firstDifference(enc.encode("a\nb\n"), enc.encode("a\n")), {
    offset: 2,
    line: 2,
    expectedLine: "b",
    actualLine: "",
  });
  assertEquals(firstDifference(new Uint8Array(0), enc.encode("x")), {
    offset: 0,
    line: 1,
    expectedLine: "",
    actualLine: "x",
  });
});

Deno.test("compareRuns accepts identical runs", () => {
  compareRuns("same", result("x\n", "e\n", 3), result("x\n", "e\n", 3));
  assertEquals(describeDifferences(result("x"), result("x")), []);
});

Deno.test("compareRuns names each differing stream with lengths and the first differing line", () => {
  const err = assertThrows(
    () => compareRuns("prog arg", result("one\ntwo\n", "", 0), result("one\nTWO!\n", "boom\n", 139)),
    nodeAssert.AssertionError,
  );
  assertStringIncludes(err.message, "prog arg: plume differs from qemu-riscv64");
  assertStringIncludes(err.message, "exit status differs: qemu 0, plume 139");
  assertStringIncludes(err.message, "stdout differs (qemu 8 bytes, plume 9 bytes); first difference at byte 4, line 2");
  assertStringIncludes(err.message, `qemu : "two"`);
  assertStringIncludes(err.message, `plume: "TWO!"`);
  assertStringIncludes(err.message, "stderr differs (qemu 0 bytes, plume 5 bytes)");
});

Deno.test("guestEnv is the fixed minimal environment plus extras", () => {
  const env = guestEnv("/tmp/h", { FOO: "1" });
  assertEquals(env.PATH, "/usr/bin:/bin");
  assertEquals(env.LANG, "C");
  assertEquals(env.HOME, "/tmp/h");
  assertEquals(env.FOO, "1");
  assert(env.DENO_DIR.length > 0);
  assertEquals(Object.keys(env).sort(), ["DENO_DIR", "FOO", "HOME", "LANG", "PATH"]);
});

Deno.test("snapshotDir lists names, types, modes, sizes and content hashes, sorted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    Deno.mkdirSync(join(dir, "sub"));
    Deno.chmodSync(join(dir, "sub"), 0o750);
    Deno.writeTextFileSync(join(dir, "sub", "f"), "abc");
    Deno.chmodSync(join(dir, "sub", "f"), 0o640);
    Deno.symlinkSync("sub/f", join(dir, "a-link"));
    assertEquals(
      await snapshotDir(dir),
      "a-link symlink -> sub/f\nsub dir 750\n" +
        "sub/f file 640 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const noQemu = !qemuAvailable();
const qemuSuffix = noQemu ? " (skipped: qemu-riscv64 not installed)" : "";

Deno.test({
  name: "runQemu reports output and exit status" + qemuSuffix,
  ignore: noQemu,
  async fn() {
    const r = await runQemu([join(GUEST_BIN, "hello_asm")]);
    assertEquals(dec.decode(r.stdout), "Hello from RISC-V assembly, no libc\n");
    assertEquals(r.stderr.length, 0);
    assertEquals(r.status, 7);
    assertEquals((await runQemu([join(GUEST_BIN, "exit_codes"), "300"])).status, 44);
  },
});

Deno.test({
  name: "runQemu normalizes a guest SIGSEGV to 139 with plume's line and leaves no core file" + qemuSuffix,
  ignore: noQemu,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const r = await runQemu([join(GUEST_BIN, "segv")], { cwd: dir });
      assertEquals(r.status, 139);
      assertEquals(dec.decode(r.stdout), "segv: write\n");
      assertEquals(dec.decode(r.stderr), uncaughtSignalLine(11));
      assertEquals(Array.from(Deno.readDirSync(dir)).length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runQemu gives the guest exactly the environment it was given" + qemuSuffix,
  ignore: noQemu,
  async fn() {
    const env = guestEnv("/nonexistent-home", { PLUME_TEST: "a b", PLUME_EMPTY: "" });
    const r = await runQemu([join(GUEST_BIN, "args_env"), "x"], { env });
    const out = dec.decode(r.stdout);
    assertStringIncludes(out, `envc=${Object.keys(env).length}\n`);
    assertStringIncludes(out, 'PATH="/usr/bin:/bin"\n');
    assertStringIncludes(out, 'PLUME_TEST="a b"\n');
    assertStringIncludes(out, 'PLUME_EMPTY=""\n');
    assertStringIncludes(out, "PLUME_UNSET unset\n");
  },
});

Deno.test({
  name: "runQemu passes flags before the program" + qemuSuffix,
  ignore: noQemu,
  async fn() {
    const r = await runQemu([join(GUEST_BIN, "args_env")], { flags: ["-0", "renamed"] });
    assertStringIncludes(dec.decode(r.stdout), 'argv[0]="renamed"\n');
  },
});

const bbPath = busyboxPath();
Deno.test({
  name: "runQemu streams a large stdin while the guest writes its output" +
    (noQemu ? qemuSuffix : bbPath ? "" : " (skipped: busybox not fetched)"),
  ignore: noQemu || !bbPath,
  async fn() {
    const input = new Uint8Array(1 << 20).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
    const r = await runQemu([bbPath!, "cat"], { stdin: input, timeoutMs: 30_000 });
    assertEquals(r.status, 0);
    assertEquals(r.stdout, input);
  },
});

Deno.test({
  name: "runQemu stops a run at its timeout" + qemuSuffix,
  ignore: noQemu,
  async fn() {
    await assertRejects(() => runQemu([join(GUEST_BIN, "fib"), "60"], { timeoutMs: 300 }), "Timed out after 300 ms");
  },
});
