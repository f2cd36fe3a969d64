/**
 * The built-in ports of QEMU 7.2's `execlog` and `cache` against QEMU's
 * own plugins of the same name (`.cache/qemu-plugins/lib<name>.so`, built
 * from Debian's source by `build/fetch_qemu_plugins.sh`), run by
 * qemu-riscv64 on the same programs with the same options.
 *
 * Both guests are made to run the same instructions on the same data
 * addresses, glibc's start-up included:
 *
 * - plume answers `riscv_hwprobe` and `set_robust_list`, which QEMU 7.2
 *   answers with ENOSYS; `tests/plugins/qemu72_syscalls.ts` gives plume's
 *   guest QEMU's answers (with plume's, glibc takes other branches);
 * - both run in the same directory with the same environment (a
 *   temporary directory, also their HOME), so that the initial stacks hold
 *   the same strings.
 *
 * What still differs is normalised by functions that say what they
 * remove: plume's disassembly (objdump's syntax, QEMU 7.2 has its own:
 * `li a0,1` against `4505              addi                    a0,zero,1`),
 * the bytes QEMU 7.2 reads past a compressed instruction, and for execlog
 * the stack addresses (plume's auxiliary vector is in Linux's order,
 * QEMU's in its own, so glibc's copy of it is written in another order).
 * Programs are position-dependent ones: QEMU loads a
 * position-independent one at 0x4000000000 and plume at 0x40000000, which
 * changes every address and, in cache's tables, the order of equal counts
 * (QEMU's hash table is keyed by address).
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  busyboxPath,
  GUEST_BIN,
  guestEnv,
  qemuPlugin,
  qemuPluginMissing,
  ROOT,
  runPlume,
  runQemu,
  tempDir,
} from "./harness.ts";
import { basename, join } from "node:path";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

const BUSYBOX = busyboxPath();
const noBusybox = BUSYBOX ? "" : " (skipped: busybox not found; build/fetch_debian.sh busybox-static)";

/** The directory both emulators run in, their HOME (plume keeps its plugin bundles under it). */
let home: string | undefined;

/** Output of one plugin under both emulators: the plugin's text (stderr with `-d plugin`) and the guest's stdout. */
interface Both {
  qemu: string;
  plume: string;
}

/**
 * Runs `program ARGS` under qemu-riscv64 with QEMU's plugin and under
 * plume with the built-in, with each set of options in turn (a run each:
 * several instances in one plume run share two cores and wait for each
 * other); checks that the guest ran the same, and returns the plugins'
 * output, concatenated.
 */
async function runBoth(plugin: string, optionSets: string[][], program: string, args: string[]): Promise<Both> {
  home ??= await tempDir("plume-ports-b-");
  const argv = [program, ...args], cwd = home, env = guestEnv(home);
  const both: Both = { qemu: "", plume: "" };
  for (const options of optionSets) {
    const spec = [qemuPlugin(plugin), ...options].join(",");
    const qemu = await runQemu(argv, { cwd, env, flags: ["-d", "plugin", "-plugin", spec] });
    const plume = await runPlume(argv, {
      cwd,
      env,
      flags: [
        "-plugin-watchdog",
        "60",
        "-d",
        "plugin",
        "-plugin",
        join(ROOT, "tests/plugins/qemu72_syscalls.ts"),
        "-plugin-allow",
        "guest=write",
        "-plugin",
        [plugin, ...options].join(","),
      ],
    });
    const label = `${plugin} ${argv.join(" ")}`;
    assertEquals(plume.status, qemu.status, `${label}: exit status`);
    assertEquals(text(plume.stdout), text(qemu.stdout), `${label}: standard output`);
    both.qemu += text(qemu.stderr);
    both.plume += text(plume.stderr);
  }
  return both;
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
  name: `execlog logs QEMU's instructions, opcodes and accesses, line by line${qemuPluginMissing("execlog")}`,
  ignore: qemuPluginMissing("execlog") !== "",
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
  name: `execlog's afilter logs the instructions at the addresses QEMU logs${qemuPluginMissing("execlog")}`,
  ignore: qemuPluginMissing("execlog") !== "",
  async fn() {
    // fib_rec's first instruction (a store) and a load of it, both with their accesses.
    const r = await compareExeclog(["afilter=10890", "afilter=0x10898"], join(GUEST_BIN, "fib"), ["12"]);
    const lines = r.plume.trimEnd().split("\n");
    assert(lines.length > 100, `${lines.length} lines`);
    for (const line of lines) assertMatch(line, /^0, 0x1089[08], 0x[0-9a-f]+, "sd [^"]+", store, 0x7ffe[0-9a-f]{4}$/);
  },
});

Deno.test({
  name: `execlog logs busybox as QEMU does${qemuPluginMissing("execlog")}${noBusybox}`,
  ignore: qemuPluginMissing("execlog") !== "" || !BUSYBOX,
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

// ---------------------------------------------------------------- cache

/**
 * A cache report as both emulators can agree on it: the disassembly at the
 * end of each row of the instruction tables is removed (plume's and QEMU
 * 7.2's differ). Everything else is kept.
 */
function normaliseCache(report: string): string {
  return report.replace(/^(0x[0-9a-f]+(?: \([^)]*\))?, \d+), .*$/gm, "$1");
}

/**
 * The option sets compared: defaults, L2 and two cores,
 * FIFO on small caches, LRU with odd shapes. The stacks lie at the same
 * offsets in their 4 KiB pages (and the same strings on them) but not in
 * larger powers of two, so an L2 whose sets span more than a page can map
 * stack lines to other sets than QEMU's: the L2s here span a page, or
 * (the default one) hold everything these programs touch.
 */
const CACHE_OPTIONS = [
  [],
  ["l2=on", "cores=2", "limit=8"],
  [
    "evict=fifo",
    "dcachesize=1024",
    "dassoc=2",
    "icachesize=2048",
    "iassoc=4",
    "l2cachesize=16384",
    "l2assoc=4",
    "limit=20",
  ],
  // LRU with three ways, six sets of 32-byte blocks (QEMU's set mask then leaves some unused), an L2 of
  // 32-byte blocks.
  [
    "dcachesize=1536",
    "dassoc=3",
    "iblksize=32",
    "icachesize=384",
    "iassoc=2",
    "l2blksize=32",
    "l2cachesize=8192",
    "l2assoc=2",
    "limit=10",
  ],
];

async function compareCache(optionSets: string[][], program: string, args: string[]): Promise<Both> {
  const r = await runBoth("cache", optionSets, program, args);
  const label = `cache ${basename(program)} ${args.join(" ")}`;
  assertSameText(normaliseCache(r.plume), normaliseCache(r.qemu), label);
  return r;
}

Deno.test({
  name: `cache reports QEMU's accesses, misses and tables${qemuPluginMissing("cache")}`,
  ignore: qemuPluginMissing("cache") !== "",
  async fn() {
    const hello = await compareCache(CACHE_OPTIONS.slice(0, 1), join(GUEST_BIN, "hello_asm"), []);
    assert(
      hello.plume.startsWith(
        "core #, data accesses, data misses, dmiss rate, insn accesses, insn misses, imiss rate\n" +
          "0       0              0               0.0000%  11             2              18.1818%\n\n" +
          "address, data misses, instruction\n0x100e8 (_start), 0, li a0,1\n",
      ),
      hello.plume,
    );
    // A stripped glibc program: plume's symbols name aliases QEMU's do not (__libc_start_main for
    // __libc_start_main_impl in fib).
    await compareCache(CACHE_OPTIONS.slice(1), join(GUEST_BIN, "sieve"), ["20000"]);
  },
});

Deno.test({
  name: `cache reports busybox as QEMU does${qemuPluginMissing("cache")}${noBusybox}`,
  ignore: qemuPluginMissing("cache") !== "" || !BUSYBOX,
  async fn() {
    await compareCache(CACHE_OPTIONS.slice(0, 1), BUSYBOX!, ["echo", "hi"]);
  },
});

Deno.test({
  name: `cache with evict=rand makes QEMU's accesses, and misses no fewer than the cold ones${
    qemuPluginMissing("cache")
  }`,
  ignore: qemuPluginMissing("cache") !== "",
  async fn() {
    // Random eviction is not reproducible: QEMU's generator is seeded from the host.
    const small = ["dcachesize=1024", "dassoc=4", "icachesize=1024", "iassoc=4", "l2=on", "l2cachesize=4096"];
    const r = await runBoth("cache", [["evict=rand", ...small]], join(GUEST_BIN, "sieve"), ["20000"]);
    const row = (report: string) => {
      const lines = report.split("\n");
      assertEquals(
        lines[0],
        "core #, data accesses, data misses, dmiss rate, insn accesses, insn misses, " +
          "imiss rate, l2 accesses, l2 misses, l2 miss rate",
      );
      const m = /^0 {7}(\d+) +(\d+) +[\d.]+% {2}(\d+) +(\d+) +[\d.]+% {2}(\d+) +(\d+) +[\d.]+%$/.exec(lines[1]);
      assert(m, lines[1]);
      return m.slice(1).map(Number);
    };
    const [qda, , qia] = row(r.qemu);
    const [da, dm, ia, im, l2a, l2m] = row(r.plume);
    assertEquals([da, ia], [qda, qia]);
    // Every miss of L1 goes to L2; L2 misses at least once per line it ever held.
    assertEquals(l2a, dm + im);
    assert(l2m <= l2a && l2m > 0 && dm > 0 && im > 0, r.plume);
    for (const title of ["address, data misses, instruction", "address, fetch misses, instruction"]) {
      assert(r.plume.includes(`\n${title}\n`), title);
    }
    assertEquals(r.plume.match(/^0x[0-9a-f]+(?: \([^)]*\))?, \d+, .+$/gm)?.length, 3 * 32);
  },
});

Deno.test("cache refuses the parameters QEMU's refuses, with its reasons", async () => {
  const cases: [string, RegExp][] = [
    ["dcachesize=1000", /dcache cannot be constructed from given parameters: cache size must be divisible by block/],
    ["iassoc=3", /icache cannot be constructed from given parameters: cache size must be divisible by set size/],
    ["l2blksize=48,l2cachesize=49152", /L2 cache cannot be constructed .*: block size must be a power of two/],
    ["evict=mru", /invalid eviction policy: evict=mru/],
    ["l2=maybe", /boolean argument parsing failed: l2=maybe/],
    ["size=1", /option parsing failed: size=1/],
  ];
  for (const [options, message] of cases) {
    const r = await runPlume([join(GUEST_BIN, "hello_asm")], { flags: ["-plugin", `cache,${options}`] });
    assertEquals(r.status, 1, options);
    assertMatch(text(r.stderr), message);
  }
});
