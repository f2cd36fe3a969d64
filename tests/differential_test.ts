/**
 * Differential tests: every guest program in tests/guest/bin, with the
 * interesting argument sets, runs under qemu-riscv64 and under plume; stdout,
 * stderr and exit status must be identical byte for byte. The exit status the
 * oracle gives is also checked against the program's documented one, so a
 * broken oracle or binary cannot make both sides agree on nonsense.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { differential, GUEST_BIN, plumeAvailable, qemu10, qemuAvailable } from "./harness.ts";
import { join } from "node:path";

/** One differential run. */
interface Case {
  /** Binary in tests/guest/bin. */
  bin: string;
  /** Arguments; `"$DIR"` becomes the run's fresh working directory. */
  args?: string[];
  /** Exit status qemu must report (128+N for signal N); when absent, only that plume's is the same. */
  status?: number;
  /** Emulator flags before the program. */
  flags?: string[];
  /** plume's own flags, which qemu does not take. */
  plumeFlags?: string[];
  /** Extra guest environment. */
  env?: Record<string, string>;
  /** Why this argument set is interesting, when it is not obvious. */
  note?: string;
}

const CASES: Case[] = [
  { bin: "hello_asm", status: 7 },
  { bin: "hello_asm_pie", status: 7 },
  { bin: "compressed", status: 0 },
  { bin: "compressed", status: 0, flags: ["-one-insn-per-tb"] },
  { bin: "exit_codes", args: ["0"], status: 0 },
  { bin: "exit_codes", args: ["3"], status: 3 },
  { bin: "exit_codes", args: ["255"], status: 255 },
  { bin: "exit_codes", args: ["300"], status: 44, note: "status is taken modulo 256" },
  { bin: "exit_codes", args: ["42", "return"], status: 42 },
  { bin: "exit_codes", args: ["9", "_exit"], status: 9, note: "buffered stdout is lost" },
  { bin: "exit_codes", args: ["5", "atexit"], status: 5 },
  { bin: "exit_codes", args: ["6", "exit_group"], status: 6 },
  { bin: "args_env", status: 0 },
  {
    bin: "args_env",
    args: ["one", "two words", "", "ünïcödé", "--flag=x"],
    env: { PLUME_TEST: "a b", PLUME_EMPTY: "", PLUME_UTF8: "é∑" },
    status: 0,
  },
  { bin: "args_env", args: ["x"], flags: ["-0", "argv-zero"], status: 0, note: "-0 sets argv[0], not AT_EXECFN" },
  {
    bin: "args_env",
    flags: ["-E", "PLUME_TEST=from-E", "-U", "LANG"],
    status: 0,
    note: "-E and -U edit the guest environment",
  },
  { bin: "alu", status: 0 },
  { bin: "alu", status: 0, flags: ["-one-insn-per-tb"] },
  { bin: "alu_O0", status: 0 },
  { bin: "atomics", status: 0 },
  { bin: "float", status: 0 },
  { bin: "float_Os", status: 0 },
  { bin: "memstr", status: 0 },
  { bin: "memstr_O0", status: 0 },
  { bin: "sha256", status: 0 },
  { bin: "sha256", args: ["1000"], status: 0 },
  { bin: "sha256_pie", status: 0 },
  { bin: "sha256_pie", args: ["100001"], status: 0 },
  { bin: "crc32", status: 0 },
  { bin: "crc32_pie", args: ["77777"], status: 0 },
  { bin: "fib", status: 0 },
  { bin: "fib", args: ["20"], status: 0, flags: ["-one-insn-per-tb"] },
  { bin: "fib_O0", status: 0 },
  { bin: "fib_pie", args: ["24"], status: 0 },
  { bin: "calls", status: 0 },
  { bin: "sieve", status: 0 },
  { bin: "sieve", args: ["100"], status: 0 },
  { bin: "sieve_pie", status: 0 },
  { bin: "nbody", status: 0 },
  { bin: "nbody", args: ["1000"], status: 0 },
  { bin: "matmul", status: 0 },
  { bin: "matmul", args: ["17"], status: 0, note: "a size that is not a multiple of the block" },
  { bin: "malloc_stress", status: 0 },
  { bin: "malloc_stress", args: ["2000"], status: 0 },
  { bin: "mmap_test", args: ["$DIR"], status: 0 },
  { bin: "mmap_test", args: ["$DIR", "fault"], status: 139, note: "write to PROT_READ memory, no handler" },
  { bin: "files", args: ["$DIR"], status: 0 },
  { bin: "stack_depth", args: ["100000"], status: 139, note: "about 20 MiB of stack: more than the default" },
  { bin: "stack_depth", args: ["100000"], flags: ["-s", "64M"], status: 0, note: "-s: the stack it asks for" },
  { bin: "files", args: [], status: 2, note: "usage error" },
  { bin: "time_id", status: 0 },
  { bin: "record_inputs", status: 0, note: "its raw mode's values differ run to run: tests/record_replay_test.ts" },
  { bin: "segv", status: 139 },
  { bin: "segv", args: ["read"], status: 139 },
  { bin: "segv", args: ["exec"], status: 139 },
  { bin: "illegal", status: 132 },
  { bin: "illegal", args: ["zero"], status: 132 },
  { bin: "illegal", args: ["reserved"], status: 132 },
  { bin: "ebreak", status: 133 },
  { bin: "ebreak", args: ["c"], status: 133 },
  { bin: "wild_jump", args: ["a"], status: 139, note: "jr to 0xff..fe: negative as a number, as the ebreak exit code" },
  {
    bin: "wild_jump",
    args: ["b"],
    status: 139,
    note: "jr to 0xff..fc: negative as a number, as the illegal-instruction exit code",
  },
  { bin: "wild_jump", args: ["c"], status: 139, note: "jr to -100" },
  { bin: "wild_jump", args: ["d"], status: 139, note: "jal 1 MiB backwards, below address 0" },
  { bin: "wild_jump", args: ["e"], status: 139, note: "jr to 2^63" },
  { bin: "wild_jump", args: ["d"], status: 139, flags: ["-one-insn-per-tb"] },
  { bin: "abort", status: 134 },
  { bin: "selfmod", status: 0 },
  { bin: "selfmod", status: 0, flags: ["-one-insn-per-tb"] },
  { bin: "pie_reloc", args: ["a", "b c"], status: 0 },
  { bin: "demo", status: 0 },
  { bin: "signals", status: 0 },
  { bin: "signals", args: ["term"], status: 143, note: "SIGTERM's default action: no message from either emulator" },
  { bin: "signals", args: ["usr1"], status: 138 },
  { bin: "signals", args: ["pipe"], status: 141 },
  { bin: "signals", args: ["alarm"], status: 0 },
  { bin: "signals", args: ["flood"], status: 0, note: "30,000 blocked real-time signals pending" },
  { bin: "signals", args: ["jobs"], status: 0, note: "job control of a child: stop, continue, kill" },
  { bin: "process_groups", status: 0, note: "setpgid and setsid's rules; kill, waits and priorities by group" },
  { bin: "self_loop", status: 0, note: "a block that jumps to itself (the REPEAT records' test program)" },
  { bin: "syscall_edges", status: 0 },
  { bin: "posix_timers", status: 0, note: "timer_create and the rest: signals, values, absolute times, errors" },
  {
    bin: "fifos",
    args: ["$DIR"],
    status: 0,
    note: "named FIFOs: opens that wait for the other end in another process, non-blocking ones, EPIPE, EINTR",
  },
  {
    bin: "alarm_spin",
    status: 0,
    note: "five 50 ms timers, each seen within 250 ms by a thread spinning in a warm loop",
  },
  { bin: "threads", status: 0 },
  { bin: "threads", args: ["exit"], status: 3, note: "exit from a thread while main joins" },
  { bin: "threads", args: ["main-exit"], status: 0 },
  { bin: "threads_cpu", args: ["4", "200000", "check"], status: 0 },
  { bin: "execve", args: ["errors", "$DIR"], status: 0, note: "execve that fails changes nothing" },
  { bin: "events", args: ["$DIR"], status: 0 },
  { bin: "fork", status: 0 },
  { bin: "host_exec", args: ["$DIR"], status: 0, note: "system() and popen() run the host's /bin/sh" },
  // The initial stack's layout: the status is the low byte of the stack pointer, which moves with the size of the
  // strings above it; every length modulo 16 (plume once left 16 bytes at the top where Linux and qemu leave 8).
  ...Array.from({ length: 17 }, (_, n): Case => ({ bin: "stack_top", args: ["x".repeat(n)] })),
  { bin: "fork_tree", status: 0, note: "children, a grandchild, vfork, a child killed by SIGKILL" },
  { bin: "gdb_target", status: 3, note: "the gdb stub's test program, run without a debugger" },
  { bin: "gdb_threads", status: 0, note: "the gdb stub's threaded test program, run without a debugger" },
  { bin: "sockets", status: 0, note: "also in sockets_test.ts, with its -strace lines" },
  { bin: "forkbomb", status: 0, note: "a fork bomb of at most 40 forks; under limits in forkbomb_test.ts" },
  { bin: "forkbomb", args: ["reap"], status: 0, note: "children of a parent ignoring SIGCHLD leave no zombies" },
  { bin: "sockbench", status: 2, note: "usage" },
  { bin: "sockbench", args: ["send", "1", "1"], status: 1, note: "connection refused on port 1" },
  { bin: "bitmanip", status: 0, note: "Zba, Zbb, Zbc, Zbs as GCC emits them; every loop a WebAssembly region" },
  { bin: "bitmanip", status: 0, plumeFlags: ["-jit-wasm", "on"], note: "the default policy" },
  { bin: "bitmanip", status: 0, plumeFlags: ["-jit-wasm", "off"], note: "JavaScript blocks and regions" },
  { bin: "bitmanip", status: 0, flags: ["-one-insn-per-tb"], note: "the interpreter, one instruction a block" },
  // The tests run every RV64IMA region as WebAssembly at once (the harness's -jit-wasm always); these take the default
  // policy, JavaScript regions first and WebAssembly once hot, with runs long enough to get there (sha256's region
  // leaves out a block that ran rarely beside its head).
  ...[
    ["sha256", "2000000"],
    ["crc32", "3000000"],
    ["fib", "27"],
    ["threads_cpu", "4", "2000000", "check"],
    ["sieve", "3000000"],
    ["selfmod"],
  ].map(
    ([bin, ...args]): Case => ({ bin, args, status: 0, plumeFlags: ["-jit-wasm", "on"] }),
  ),
  // And these keep every region in JavaScript.
  ...["alu", "memstr", "sha256", "crc32", "fib", "sieve", "atomics", "malloc_stress", "selfmod", "segv", "calls"].map(
    (bin): Case => ({ bin, plumeFlags: ["-jit-wasm", "off"] }),
  ),
  { bin: "threads_cpu", args: ["4", "200000", "check"], status: 0, plumeFlags: ["-jit-wasm", "off"] },
];

function caseName(c: Case): string {
  const parts = [c.bin, ...(c.flags ?? []), ...(c.plumeFlags ?? []), ...(c.args ?? []).map((a) => a === "" ? '""' : a)];
  if (c.env) parts.push(`{${Object.keys(c.env).join(",")}}`);
  return parts.join(" ");
}

const skipReason = !qemuAvailable()
  ? "qemu-riscv64 not installed"
  : !plumeAvailable()
  ? "main.ts not present"
  : undefined;

for (const c of CASES) {
  const name = caseName(c);
  Deno.test({
    name: skipReason ? `${name} (skipped: ${skipReason})` : name,
    ignore: skipReason !== undefined,
    async fn() {
      const qemu = await differential(name, [join(GUEST_BIN, c.bin), ...(c.args ?? [])], {
        flags: c.flags,
        plumeFlags: c.plumeFlags,
        env: c.env,
      });
      if (c.status !== undefined) assertEquals(qemu.status, c.status, `qemu-riscv64 exit status of ${name}`);
    },
  });
}

/**
 * Programs of the extensions QEMU 7.2 lacks, against QEMU 10 (`qemu10()` in
 * the harness) with the same `-cpu`: `bitmanip.c` built by clang-19 with
 * Zicond and Zcb (which qemu-riscv64 7.2 and plume's default CPU refuse).
 */
const QEMU10_CASES: Case[] = [
  { bin: "bitmanip_rva", status: 0, flags: ["-cpu", "rv64,zicond=true,zcb=true,zicboz=true"] },
  {
    bin: "bitmanip_rva",
    status: 0,
    flags: ["-cpu", "rv64,zicond=true,zcb=true,zicboz=true"],
    plumeFlags: ["-jit-wasm", "on"],
  },
  {
    bin: "bitmanip_rva",
    status: 0,
    flags: ["-cpu", "rv64,zicond=true,zcb=true,zicboz=true"],
    plumeFlags: ["-jit-wasm", "off"],
  },
  { bin: "bitmanip_rva", status: 132, note: "without Zicond, Zcb and Zicboz: SIGILL, as under QEMU 7.2" },
  // V (VLEN 128, QEMU 10's default); tests/vector_test.ts also compares with its committed output.
  { bin: "vector", status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector", args: ["segv-ff"], status: 3, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector", args: ["illegal"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector", args: ["inherit"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_fp", status: 0, flags: ["-cpu", "rv64,v=true"] },
  // Zvfhmin and Zvfh; tests/vector_fp_test.ts also compares with their committed output.
  { bin: "vector_fp", status: 0, flags: ["-cpu", "rv64,v=true,zvfhmin=true"] },
  { bin: "vector_fp", args: ["zvfh"], status: 0, flags: ["-cpu", "rv64,v=true,zvfh=true"] },
  { bin: "vector_fp", args: ["zvfh"], status: 0, flags: ["-cpu", "rv64,v=true,zvfhmin=true"] },
  { bin: "vector", status: 132, note: "without V: SIGILL" },
  // V's integer arithmetic and Zvbb; tests/vector_int_test.ts also compares with its committed output.
  { bin: "vector_int", status: 0, flags: ["-cpu", "rv64,v=true,zvbb=true"] },
  { bin: "vector_int", args: ["illegal"], status: 0, flags: ["-cpu", "rv64,v=true,zvbb=true"] },
  { bin: "vector_int", args: ["sweep"], status: 0, flags: ["-cpu", "rv64,v=true,zvbb=true"] },
  { bin: "vector_int", status: 132, flags: ["-cpu", "rv64,v=true"], note: "without Zvbb: SIGILL" },
  // Zfa (with Zfh); tests/zfa_test.ts also compares with its committed output.
  { bin: "zfa", status: 0, flags: ["-cpu", "max"] },
  { bin: "zfa", args: ["illegal"], status: 0, flags: ["-cpu", "max,zfh=false"] },
  { bin: "zfa", args: ["first"], status: 132, flags: ["-cpu", "rv64,zfa=false"], note: "without Zfa: SIGILL" },
  // Zimop, Zcmop and Zawrs; tests/zimop_test.ts also compares with its committed output.
  { bin: "zimop", status: 0, flags: ["-cpu", "max"] },
  { bin: "zimop", status: 0, flags: ["-cpu", "rva23u64"] },
  { bin: "zimop", args: ["wrs"], status: 0, flags: ["-cpu", "rv64,zawrs=true"] },
  { bin: "zimop", args: ["mop"], status: 132, flags: ["-cpu", "rv64,zcmop=true"], note: "without Zimop: SIGILL" },
  { bin: "zimop", args: ["cmop"], status: 132, flags: ["-cpu", "rv64,zimop=true"], note: "without Zcmop: SIGILL" },
  { bin: "zimop", args: ["wrs"], status: 132, flags: ["-cpu", "rv64,zawrs=false"], note: "without Zawrs: SIGILL" },
  // A handler that leaves V alone (tests/vector_signal_test.ts has the frame's V block, which QEMU 10 does not write).
  { bin: "vector_signal", args: ["preserve"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  // QEMU 10's profile models; tests/cpu_probe_test.ts has the others.
  { bin: "cpu_probe", args: ["insns"], status: 0, flags: ["-cpu", "rva22u64"] },
  // V's fixed-point instructions and integer reductions; tests/vector_fixed_test.ts also compares with its committed output.
  { bin: "vector_fixed", status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_fixed", args: ["illegal"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  // Hostile vector programs (negative 64-bit indices, vstart at a fault, masked indexed v0); tests/vector_hostile_test.ts also compares.
  { bin: "vector_hostile", args: ["index"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_hostile", args: ["vstart-load"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_hostile", args: ["vstart-store"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_hostile", args: ["illegal"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_hostile", args: ["write-only"], status: 0, flags: ["-cpu", "rv64,v=true"] },
  // Every form of vector load and store (tests/plugins_vector_mem_test.ts compares plugins' view of it with QEMU 7.2's).
  { bin: "vector_mem", status: 0, flags: ["-cpu", "rv64,v=true"] },
  // Loops clang vectorizes for RVA23, and the same source for rv64gc; tests/rva23_test.ts also compares them.
  { bin: "rva23", status: 0, flags: ["-cpu", "rva23u64"] },
  { bin: "rva23_rv64gc", status: 0, flags: ["-cpu", "max"] },
  // Repository programs vectorized by clang for rva23u64; tests/rva23_test.ts also compares with their committed output.
  { bin: "sha256_rva23", args: ["200000"], status: 0, flags: ["-cpu", "rva23u64"] },
  { bin: "matmul_rva23", status: 0, flags: ["-cpu", "rva23u64"] },
  { bin: "nbody_rva23", args: ["20000"], status: 0, flags: ["-cpu", "rva23u64"] },
  // V's mask and permutation instructions; tests/vector_perm_test.ts also compares with its committed output.
  { bin: "vector_perm", status: 0, flags: ["-cpu", "rv64,v=true"] },
  { bin: "vector_perm", args: ["illegal"], status: 0, flags: ["-cpu", "rv64,v=true"] },
];

const q10 = qemu10();
for (const c of QEMU10_CASES) {
  const name = `${caseName(c)} (QEMU 10)`;
  const skip = !plumeAvailable() ? "main.ts not present" : !q10 ? "QEMU 10 not found (see qemu10() in harness.ts)" : "";
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== "",
    async fn() {
      const qemu = await differential(name, [join(GUEST_BIN, c.bin), ...(c.args ?? [])], {
        flags: c.flags ?? ["-cpu", "rv64,zicond=false,zcb=false,zicboz=false"],
        plumeFlags: c.plumeFlags,
        qemu: q10,
      });
      assertEquals(qemu.status, c.status, `QEMU 10 exit status of ${name}`);
    },
  });
}

/** Program names (file names without extension) of the guest sources. */
function sourcePrograms(): string[] {
  const src = join(GUEST_BIN, "..", "src");
  return Array.from(Deno.readDirSync(src))
    .filter((e) => e.isFile && /\.(c|S|s)$/.test(e.name))
    .map((e) => e.name.replace(/\.(c|S|s)$/, ""))
    .sort();
}

function committedBinaries(): string[] {
  return Array.from(Deno.readDirSync(GUEST_BIN)).filter((e) => e.isFile).map((e) => e.name).sort();
}

Deno.test("every guest source in tests/guest/src has a committed binary", () => {
  const bins = new Set(committedBinaries());
  const missing = sourcePrograms().filter((p) => !bins.has(p));
  assertEquals(missing, [], `Sources without a binary in tests/guest/bin (run build/build_guests.sh): ${missing}`);
});

Deno.test("every committed guest binary is an RV64 ELF executable with a differential test", () => {
  const tested = new Set([...CASES, ...QEMU10_CASES].map((c) => c.bin));
  for (const name of committedBinaries()) {
    const head = Deno.readFileSync(join(GUEST_BIN, name)).subarray(0, 20);
    assert(head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46, `${name} is not ELF`);
    assertEquals(head[4], 2, `${name} is not ELFCLASS64`);
    assertEquals(head[18] | head[19] << 8, 243, `${name} is not EM_RISCV`);
    assert(tested.has(name), `${name} has no case in tests/differential_test.ts`);
  }
});
