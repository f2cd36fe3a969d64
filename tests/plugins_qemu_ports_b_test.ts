/**
 * The built-in port of QEMU 7.2's `execlog` against QEMU's own plugin of
 * the same name (`.cache/qemu-plugins/lib<name>.so`, built from Debian's
 * source by `build/fetch_qemu_plugins.sh`), run by qemu-riscv64 on the
 * same programs with the same options.
 *
 * Both guests are made to run the same instructions on the same data
 * addresses, glibc's start-up included:
 *
 * - plume answers `riscv_hwprobe` and `set_robust_list`, which QEMU 7.2
 *   answers with ENOSYS; `tests/plugins/qemu72_syscalls.ts` gives plume's
 *   guest QEMU's answers (with plume's, glibc takes other branches);
 * - the guest gets an empty environment and the program's name relative
 *   to its directory ({@link guestRun}), so that the strings on its
 *   initial stack are the same on every machine, padded so that both
 *   emulators start it with the same stack pointer: plume leaves 16 bytes
 *   at the top of the stack where QEMU 7.2 leaves 8, which moves the
 *   stack pointer by 0 or 16 bytes depending on the strings' length.
 *
 * What still differs is normalised by functions that say what they
 * remove: plume's disassembly (objdump's syntax, QEMU 7.2 has its own:
 * `li a0,1` against `4505              addi                    a0,zero,1`),
 * the bytes QEMU 7.2 reads past a compressed instruction, and for execlog
 * the stack addresses (the strings lie 8 bytes lower in plume, and the
 * auxiliary vector is in another order). Programs are position-dependent
 * ones: QEMU loads a position-independent one at 0x4000000000 and plume at
 * 0x40000000, which changes every address.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { busyboxPath, GUEST_BIN, qemuAvailable, ROOT, runPlume, runQemu } from "./harness.ts";
import { basename, dirname, join } from "node:path";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** QEMU's build of plugin `name`, or undefined when it was not built. */
function qemuPlugin(name: string): string | undefined {
  const path = join(ROOT, ".cache", "qemu-plugins", `lib${name}.so`);
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Why a comparison with QEMU's plugin `name` cannot run here, or "" when it can. */
function missing(name: string): string {
  if (!qemuAvailable()) return " (skipped: qemu-riscv64 not found)";
  if (!qemuPlugin(name)) {
    return ` (skipped: .cache/qemu-plugins/lib${name}.so not built; build/fetch_qemu_plugins.sh ${name})`;
  }
  return "";
}

const BUSYBOX = busyboxPath();
const noBusybox = BUSYBOX ? "" : " (skipped: busybox not found; build/fetch_debian.sh busybox-static)";

/** The environment variables the harness gives both emulators, removed from the guest's. */
const HARNESS_VARIABLES = "PATH,LANG,HOME,DENO_DIR";

/**
 * How to run `program ARGS` so that both emulators start it with the same
 * stack pointer: from its directory as `./NAME`, with an empty
 * environment but for a padding variable. The strings on the stack (the
 * program's name for `AT_EXECFN`, the arguments, the environment) take L
 * bytes under the 8 (QEMU) or 16 (plume) left at the top; below them the
 * stack pointer is rounded down to 16, which gives the same value in both
 * when L mod 16 is 0 or at least 9. The padding makes it 0.
 */
function guestRun(program: string, args: string[]): { cwd: string; argv: string[]; flags: string[] } {
  const argv = [`./${basename(program)}`, ...args];
  const strings = [argv[0], ...argv].reduce((n, s) => n + new TextEncoder().encode(s).length + 1, 0);
  const pad = "x".repeat((16 - ((strings + "PAD=".length + 1) % 16)) % 16);
  return { cwd: dirname(program), argv, flags: ["-U", HARNESS_VARIABLES, "-E", `PAD=${pad}`] };
}

/** Output of one plugin under both emulators: the plugin's text (stderr with `-d plugin`) and the guest's stdout. */
interface Both {
  qemu: string;
  plume: string;
}

/**
 * Runs `program ARGS` under qemu-riscv64 with QEMU's plugin (one run per
 * option set) and under plume with the built-in (one instance per option
 * set, in one run: their output comes at exit, in load order); checks
 * that the guest ran the same, and returns the plugins' output.
 */
async function runBoth(plugin: string, optionSets: string[][], program: string, args: string[]): Promise<Both> {
  const { cwd, argv, flags } = guestRun(program, args);
  let qemu = "", qemuStdout = "", qemuStatus = 0;
  for (const options of optionSets) {
    const spec = [qemuPlugin(plugin), ...options].join(",");
    const r = await runQemu(argv, { cwd, flags: [...flags, "-d", "plugin", "-plugin", spec] });
    qemu += text(r.stderr);
    qemuStdout = text(r.stdout);
    qemuStatus = r.status;
  }
  const instances = optionSets.flatMap((options) => ["-plugin", [plugin, ...options].join(",")]);
  const plume = await runPlume(argv, {
    cwd,
    flags: [
      ...flags,
      "-plugin-watchdog",
      "60",
      "-d",
      "plugin",
      "-plugin",
      join(ROOT, "tests/plugins/qemu72_syscalls.ts"),
      "-plugin-allow",
      "guest=write",
      ...instances,
    ],
  });
  const label = `${plugin} ${argv.join(" ")}`;
  assertEquals(plume.status, qemuStatus, `${label}: exit status`);
  assertEquals(text(plume.stdout), qemuStdout, `${label}: standard output`);
  return { qemu, plume: text(plume.stderr) };
}

/** Asserts equal texts, naming the first differing line (a whole execlog does not fit a message). */
function assertSameText(actual: string, expected: string, label: string): void {
  if (actual === expected) return;
  const a = actual.split("\n"), e = expected.split("\n");
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  throw new Error(
    `${label}: plume differs from QEMU at line ${i + 1} (of ${a.length} and ${e.length}):\n` +
      `  qemu : ${JSON.stringify(e[i])}\n  plume: ${JSON.stringify(a[i])}`,
  );
}

// ---------------------------------------------------------------- execlog

/** The stack, where each emulator puts it for a position-dependent program. */
const STACKS = {
  // The first mapping at TASK_UNMAPPED_BASE (0x4000000000): a guard page, then 8 MiB.
  qemu: { low: 0x40_0000_1000, high: 0x40_0080_1000 },
  // 8 MiB below the top of plume's 2 GiB address space less 64 KiB.
  plume: { low: 0x7f7f_0000, high: 0x7fff_0000 },
};

const EXECLOG_LINE = /^(\d+), 0x([0-9a-f]+), 0x([0-9a-f]+), "(.*)"((?:, (?:load|store), 0x[0-9a-f]+)*)$/;

/**
 * An execlog as both emulators can agree on it. Removed: the disassembly
 * (left as `""`); the upper half of a compressed instruction's opcode
 * (QEMU 7.2 reads four bytes of a two-byte instruction: the two after it
 * are whatever its buffer held before); the offset of stack addresses
 * (`stack`). Every other character is kept; a line of another form makes
 * it throw.
 */
function normaliseExeclog(log: string, stack: { low: number; high: number }): string {
  return log.split("\n").map((line) => {
    if (line === "") return line;
    const m = EXECLOG_LINE.exec(line);
    if (!m) throw new Error(`Not an execlog line: ${JSON.stringify(line)}`);
    let opcode = parseInt(m[3], 16);
    if ((opcode & 3) !== 3) opcode &= 0xffff;
    const accesses = m[5].replace(/0x([0-9a-f]+)/g, (a, hex) => {
      const addr = parseInt(hex, 16);
      return addr >= stack.low && addr < stack.high ? "stack" : a;
    });
    return `${m[1]}, 0x${m[2]}, 0x${opcode.toString(16)}, ""${accesses}`;
  }).join("\n");
}

async function compareExeclog(options: string[], program: string, args: string[]): Promise<Both> {
  const r = await runBoth("execlog", [options], program, args);
  const label = `execlog ${options.join(",")} ${basename(program)} ${args.join(" ")}`;
  assertSameText(normaliseExeclog(r.plume, STACKS.plume), normaliseExeclog(r.qemu, STACKS.qemu), label);
  return r;
}

Deno.test({
  name: `execlog logs QEMU's instructions, opcodes and accesses, line by line${missing("execlog")}`,
  ignore: missing("execlog") !== "",
  async fn() {
    const hello = await compareExeclog([], join(GUEST_BIN, "hello_asm"), []);
    // The text itself, plume's disassembly included: a line is printed when the next instruction starts.
    assertEquals(hello.plume.split("\n").slice(0, 3), [
      `0, 0x100e8, 0x4505, "li a0,1"`,
      `0, 0x100ea, 0x597, "auipc a1,0x0"`,
      `0, 0x100ee, 0x3058593, "add a1,a1,48"`,
    ]);
    assertMatch(hello.plume, /\n0, 0x1010c, 0x73, "ecall"\n$/);
    // Hand-written compressed instructions with stack accesses; glibc's start-up and a recursion.
    const compressed = await compareExeclog([], join(GUEST_BIN, "compressed"), []);
    assertMatch(compressed.plume, /^0, 0x[0-9a-f]+, 0x[0-9a-f]{1,4}, "[^"]+", store, 0x7ffe[0-9a-f]{4}$/m);
    const fib = await compareExeclog([], join(GUEST_BIN, "fib"), ["12"]);
    assert(fib.plume.split("\n").length > 10_000, "fib's log is complete");
  },
});

Deno.test({
  name: `execlog's afilter logs the instructions at the addresses QEMU logs${missing("execlog")}`,
  ignore: missing("execlog") !== "",
  async fn() {
    // fib_rec's first instruction (a store) and a load of it, both with their accesses.
    const r = await compareExeclog(["afilter=10890", "afilter=0x10898"], join(GUEST_BIN, "fib"), ["12"]);
    const lines = r.plume.trimEnd().split("\n");
    assert(lines.length > 100, `${lines.length} lines`);
    for (const line of lines) assertMatch(line, /^0, 0x1089[08], 0x[0-9a-f]+, "sd [^"]+", store, 0x7ffe[0-9a-f]{4}$/);
  },
});

Deno.test({
  name: `execlog logs busybox as QEMU does${missing("execlog")}${noBusybox}`,
  ignore: missing("execlog") !== "" || !BUSYBOX,
  async fn() {
    await compareExeclog([], BUSYBOX!, ["echo", "hi"]);
  },
});

/** Runs plume's execlog alone on hello_asm with `options`; its output. */
async function execlogAlone(options: string[]): Promise<string> {
  const r = await runPlume([join(GUEST_BIN, "hello_asm")], {
    flags: ["-d", "plugin", "-plugin", ["execlog", ...options].join(",")],
  });
  assertEquals(r.status, 7);
  return text(r.stderr);
}

Deno.test("execlog's ifilter matches the start of plume's disassembly", async () => {
  // QEMU 7.2's disassembly starts with the instruction's bytes in hex, so there its prefixes are encodings.
  assertEquals(
    await execlogAlone(["ifilter=ecall", "ifilter=bne"]),
    '0, 0x100fa, 0x73, "ecall"\n0, 0x10102, 0x551763, "bne a0,t0,10110"\n0, 0x1010c, 0x73, "ecall"\n',
  );
  assertEquals(await execlogAlone(["ifilter=nosuch"]), "");
  const refused = await runPlume([join(GUEST_BIN, "hello_asm")], { flags: ["-plugin", "execlog,nosuch=1"] });
  assertEquals(refused.status, 1);
  assertMatch(text(refused.stderr), /option parsing failed: nosuch=1/);
});

Deno.test("execlog's reg and rdisas log register changes as QEMU 9's execlog", async () => {
  // A change shows on the line of the instruction that made it: it is seen before the next one runs.
  assertEquals(
    await execlogAlone(["reg=a0", "reg=a7"]),
    [
      `0, 0x100e8, 0x4505, "li a0,1", a0 -> 0x0000000000000001`,
      `0, 0x100ea, 0x597, "auipc a1,0x0"`,
      `0, 0x100ee, 0x3058593, "add a1,a1,48"`,
      `0, 0x100f2, 0x2400613, "li a2,36"`,
      `0, 0x100f6, 0x4000893, "li a7,64", a7 -> 0x0000000000000040`,
      `0, 0x100fa, 0x73, "ecall", a0 -> 0x0000000000000024`,
      `0, 0x100fe, 0x2400293, "li t0,36"`,
      `0, 0x10102, 0x551763, "bne a0,t0,10110"`,
      `0, 0x10106, 0x451d, "li a0,7", a0 -> 0x0000000000000007`,
      `0, 0x10108, 0x5d00893, "li a7,93", a7 -> 0x000000000000005d`,
      // The last instruction's changes are not seen: no instruction runs after it.
      `0, 0x1010c, 0x73, "ecall"`,
      ``,
    ].join("\n"),
  );
  // Patterns; rdisas checks registers only after instructions whose operands name a tracked one, and
  // at the start of a block: here (as mostly: ra and a0 change unnamed in jumps and system calls, which
  // end blocks) that reports every change.
  const all = await execlogAlone(["reg=a?"]);
  assertMatch(all, /^0, 0x100ea, 0x597, "auipc a1,0x0", a1 -> 0x00000000000100ea$/m);
  assertMatch(all, /^0, 0x100f2, 0x2400613, "li a2,36", a2 -> 0x0000000000000024$/m);
  assertEquals(await execlogAlone(["reg=a?", "rdisas=on"]), all);
  // Filtered instructions still have their registers checked after a logged one.
  assertEquals(
    await execlogAlone(["afilter=100fe", "reg=t0"]),
    `0, 0x100fe, 0x2400293, "li t0,36", t0 -> 0x0000000000000024\n`,
  );
});
