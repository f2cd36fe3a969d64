/**
 * Counts of plume's plugins against qemu-riscv64's own, for the same
 * binaries: the oracle is a QEMU plugin in C (`tests/plugins/oracle/count.c`,
 * built here with the host's gcc) counting instructions, blocks, loads and
 * stores. The programs are the static-pie ones over the tiny runtime: the
 * glibc programs' start-up code depends on the initial stack layout, which
 * differs between the two emulators by a few instructions.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { GUEST_BIN, qemuAvailable, ROOT, runPlume, runQemu, tempDir } from "./harness.ts";
import { join } from "node:path";

function gccAvailable(): boolean {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const ready = qemuAvailable() && gccAvailable();
const skipReason = ready ? "" : " (skipped: needs qemu-riscv64 and gcc)";

let oracle: string | undefined;
async function oraclePlugin(): Promise<string> {
  if (oracle) return oracle;
  const dir = await tempDir("plume-oracle-");
  const out = join(dir, "count.so");
  const r = await new Deno.Command("gcc", {
    args: ["-shared", "-fPIC", "-O2", "-o", out, join(ROOT, "tests/plugins/oracle/count.c")],
  }).output();
  if (!r.success) throw new Error(`gcc failed: ${new TextDecoder().decode(r.stderr)}`);
  return oracle = out;
}

/** Parses `name N` lines (and `name: N`) of plugin output into numbers. */
function counts(stderr: Uint8Array): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const m of new TextDecoder().decode(stderr).matchAll(/^([a-z' ]+):? (\d+)$/gm)) out[m[1]] = BigInt(m[2]);
  return out;
}

const PROGRAMS: [string, string[]][] = [
  ["hello_asm", []],
  ["sha256_pie", ["20000"]],
  ["fib_pie", ["22"]],
  ["crc32_pie", []],
  ["sieve_pie", []],
];

// Every run, qemu's and plume's, in one directory: HOME is the run's directory, so the guests' environments
// are the same bytes and their instruction counts can be compared exactly.
const RUN_DIR = await tempDir("plume-oracle-");

async function qemuCounts(program: string, args: string[], mode: string) {
  const r = await runQemu([join(GUEST_BIN, program), ...args], {
    cwd: RUN_DIR,
    flags: ["-d", "plugin", "-plugin", `${await oraclePlugin()},mode=${mode}`],
  });
  return { c: counts(r.stderr), status: r.status, stdout: r.stdout };
}

async function plumeRun(program: string, args: string[], plugins: string[]) {
  const flags = ["-plugin-watchdog", "60", "-d", "plugin", ...plugins.flatMap((p) => ["-plugin", p])];
  const r = await runPlume([join(GUEST_BIN, program), ...args], { cwd: RUN_DIR, flags });
  return { c: counts(r.stderr), status: r.status, stdout: r.stdout, stderr: new TextDecoder().decode(r.stderr) };
}

Deno.test({
  name: `count plugin equals qemu-riscv64's counts, inline and with callbacks${skipReason}`,
  ignore: !ready,
  async fn() {
    for (const [program, args] of PROGRAMS) {
      // QEMU 7.2's inline memory counting ignores the access filter: its callback mode is the reference.
      const q = await qemuCounts(program, args, "cb");
      for (const mode of ["inline", "cb"]) {
        const p = await plumeRun(program, args, [join(ROOT, `tests/plugins/count.ts`) + `,mode=${mode}`]);
        const label = `${program} ${mode}`;
        assertEquals(p.status, q.status, label);
        assertEquals(p.stdout, q.stdout, label);
        assertEquals(
          [p.c.insns, p.c.blocks, p.c.loads, p.c.stores],
          [q.c.insns, q.c.blocks, q.c.loads, q.c.stores],
          label,
        );
      }
    }
  },
});

Deno.test({
  name: `built-in insn, bb and mem count what qemu-riscv64 counts${skipReason}`,
  ignore: !ready,
  async fn() {
    for (const [program, args] of PROGRAMS.slice(1, 3)) {
      const { c: q } = await qemuCounts(program, args, "cb");
      const p = await plumeRun(program, args, [
        "insn",
        "insn,inline=on",
        "bb",
        "bb,inline=on",
        "mem,callback=on",
        "mem,inline=on,track=r",
        "mem,callback=on,track=w",
      ]);
      const text = p.stderr;
      const insns = [...text.matchAll(/^total insns: (\d+)$/gm)].map((m) => BigInt(m[1]));
      assertEquals(insns, [q.insns, q.insns], `${program} insn`);
      const bbs = [...text.matchAll(/^Total: bb's: (\d+), insns: (\d+)$/gm)].map((m) => [BigInt(m[1]), BigInt(m[2])]);
      assertEquals(bbs, [[q.blocks, q.insns], [q.blocks, q.insns]], `${program} bb`);
      const mem = [...text.matchAll(/^mem accesses: (\d+)$/gm)].map((m) => BigInt(m[1]));
      assertEquals(mem, [q.loads + q.stores, q.loads, q.stores], `${program} mem`);
    }
  },
});
