/**
 * V's fixed-point instructions and integer reductions against their
 * oracles. `tests/guest/bin/vector_fixed` runs every form at SEW 8 to 64
 * under several LMUL, in each rounding mode, masked and unmasked, with a
 * tail and with vl = 0; `vector_fixed illegal` tries the encodings QEMU 10
 * refuses behind a SIGILL handler. Their output is compared byte for byte
 * with QEMU 10's, committed in tests/guest/expected/ (build/build_guests.sh
 * writes it with QEMU 10.0 `-cpu rv64,v=true,vlen=128`), under plume's three
 * tiers, and with a live QEMU 10 run when one is here. The disassembler is
 * compared with llvm-objdump 19 on samples of every new pattern.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { assertSameOutput, GUEST_BIN, plumeAvailable, qemu10, runPlume, runQemu, TIERS } from "./harness.ts";
import { join } from "node:path";
import { decode } from "../core/isa/decoder.ts";
import { disassemble } from "../core/isa/disasm.ts";
import { parseTable, TABLE_PATH } from "../build/gen_decoder.ts";

const EXPECTED = join(GUEST_BIN, "..", "expected");
const BINARY = join(GUEST_BIN, "vector_fixed");

/** Runs of `vector_fixed` (its argument) and the expected output's file. */
const RUNS: { arg?: string; file: string }[] = [
  { file: "vector_fixed.out" },
  { arg: "illegal", file: "vector_fixed_illegal.out" },
];

for (const run of RUNS) {
  for (const tier of TIERS) {
    const name = `vector_fixed ${run.arg ?? ""} under -cpu rv64,v=on prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([BINARY, ...(run.arg ? [run.arg] : [])], {
          flags: ["-cpu", "rv64,v=on", ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        assertSameOutput(got, Deno.readTextFileSync(join(EXPECTED, run.file)), `vector_fixed ${run.arg ?? ""}`);
      },
    });
  }
  const qemu = qemu10();
  Deno.test({
    name: `tests/guest/expected/${run.file} is what QEMU 10 prints now` + (qemu ? "" : " (skipped: no QEMU 10)"),
    ignore: qemu === undefined,
    async fn() {
      const r = await runQemu([BINARY, ...(run.arg ? [run.arg] : [])], {
        qemu,
        flags: ["-cpu", "rv64,v=true,vlen=128"],
      });
      const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
      assertSameOutput(got, Deno.readTextFileSync(join(EXPECTED, run.file)), `QEMU 10 vector_fixed ${run.arg ?? ""}`);
    },
  });
}

// ---------------------------------------------------------------- the disassembler against llvm-objdump 19

/** The operations this file covers: the fixed-point ones and the integer reductions. */
const OPS = /^v(s(add|sub)u?\.v[vxi]|a(add|sub)u?\.v[vx]|smul\.v[vx]|ss(rl|ra)\.v[vxi]|nclipu?\.w[vxi]|w?red\w+\.vs)$/;

function installed(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const llvmMissing = ["llvm-mc-19", "llvm-objdump-19"].find((tool) => !installed(tool));

Deno.test({
  name: "disassemble prints every fixed-point and reduction mnemonic as llvm-objdump 19 does, in objdump's syntax" +
    (llvmMissing ? ` (skipped: ${llvmMissing} is not installed)` : ""),
  ignore: llvmMissing !== undefined,
  async fn() {
    // Every pattern of the table's fixed-point and reduction sections, 64 words each, fields drawn at random
    // (vm both ways, immediates from -16 to 15, so that uimm5 and simm5 differ).
    const patterns = parseTable(Deno.readTextFileSync(new URL(`../${TABLE_PATH}`, import.meta.url))).patterns
      .filter((p) => OPS.test(p.op));
    assertEquals(patterns.length, 42);
    let state = 0x2545f491;
    const random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    const words = patterns.flatMap((p) => Array.from({ length: 64 }, () => ((random() & ~p.mask) | p.value) >>> 0));
    const dir = await Deno.makeTempDir({ prefix: "plume_vfixed_" });
    try {
      await Deno.writeTextFile(`${dir}/w.s`, words.map((w) => `.insn 4, 0x${w.toString(16)}\n`).join(""));
      const mc = await new Deno.Command("llvm-mc-19", {
        args: ["-triple=riscv64", "-mattr=+v", "-filetype=obj", "-o", `${dir}/w.o`, `${dir}/w.s`],
      }).output();
      assert(mc.success, new TextDecoder().decode(mc.stderr));
      const dump = await new Deno.Command("llvm-objdump-19", {
        args: ["-d", "--mattr=+v", "--no-print-imm-hex", "--no-show-raw-insn", `${dir}/w.o`],
        stdout: "piped",
      }).output();
      assert(dump.success);
      // `       4: \tvsaddu.vi\tv8, v16, -3`: llvm's ", " between operands is objdump's ",".
      const listed = new TextDecoder().decode(dump.stdout).split("\n")
        .map((line) => /^\s*[0-9a-f]+:\s+(\S+)\s*(.*)$/.exec(line))
        .filter((m) => m !== null)
        .map((m) => `${m[1]} ${m[2].replaceAll(", ", ",")}`.trim());
      assertEquals(listed.length, words.length);
      const problems = words.map((w, k) => [w, disassemble(decode(w)!, 0), listed[k]] as const)
        .filter(([, got, want]) => got !== want)
        .map(([w, got, want]) => `${w.toString(16)}: "${got}", llvm-objdump says "${want}"`);
      assert(problems.length === 0, `${problems.length} mismatches:\n${problems.slice(0, 20).join("\n")}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
