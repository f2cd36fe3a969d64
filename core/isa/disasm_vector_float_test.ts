/**
 * The disassembly of the vector floating-point instructions against
 * llvm-objdump 19 (binutils' objdump is checked on samples of every V
 * pattern in disasm_test.ts): every OPFVV/OPFVF word with vd, vs2 and rs1
 * drawn at random, each funct6, vs1 sub-opcode and vm, that decodes to an FP
 * operation; llvm's `, ` between operands becomes objdump's `,`.
 *
 * @module
 */

import { assert, assertEquals } from "../../tests/assert.ts";
import { parseTable, TABLE_PATH } from "../../build/gen_decoder.ts";
import { decode } from "./decoder.ts";
import { disassemble } from "./disasm.ts";
import { OP_INFO } from "./ops_generated.ts";

const AS = "riscv64-linux-gnu-as";
const LLVM_OBJDUMP = "llvm-objdump-19";

function installed(tool: string): boolean {
  try {
    return new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** A small deterministic generator (xorshift32), so that a failure can be run again. */
function xorshift(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Every OPFVV/OPFVF funct6, vs1 field and vm, with random vd, vs2 (vs1 in vv forms stays its value). */
function samples(): number[] {
  const random = xorshift(0x9e3779b9), words: number[] = [];
  for (let funct6 = 0; funct6 < 64; funct6++) {
    for (const funct3 of [1, 5]) {
      for (let vs1 = 0; vs1 < 32; vs1++) {
        for (let vm = 0; vm < 2; vm++) {
          const vd = random() & 31, vs2 = random() % 4 === 0 ? vs1 : random() & 31;
          const raw = (funct6 << 26) | (vm << 25) | (vs2 << 20) | (vs1 << 15) | (funct3 << 12) | (vd << 7) | 0x57;
          const insn = decode(raw >>> 0);
          if (insn !== null && OP_INFO[insn.op].ext === "v") words.push(raw >>> 0);
        }
      }
    }
  }
  return words;
}

const skip = !installed(AS)
  ? `${AS} is not installed`
  : !installed(LLVM_OBJDUMP)
  ? `${LLVM_OBJDUMP} is not installed`
  : "";

Deno.test({
  name: "disassemble prints every vector FP instruction as llvm-objdump 19 does" + (skip ? ` (skipped: ${skip})` : ""),
  ignore: skip !== "",
  async fn() {
    const words = samples();
    const ops = new Set(words.map((w) => decode(w)!.op));
    // Every FP operation of the table (an OP-V pattern with funct3 001 or 101) has samples.
    const all = parseTable(Deno.readTextFileSync(new URL(`../../${TABLE_PATH}`, import.meta.url))).patterns
      .filter((p) => p.op !== "illegal" && (p.mask & 0x707f) === 0x707f && [0x1057, 0x5057].includes(p.value & 0x707f))
      .map((p) => p.op);
    assertEquals([...ops].sort(), [...new Set(all)].sort());
    const dir = await Deno.makeTempDir({ prefix: "plume_vfp_" });
    try {
      await Deno.writeTextFile(
        `${dir}/s.S`,
        ".text\n" + words.map((w) => `.insn 4, 0x${w.toString(16)}`).join("\n") + "\n",
      );
      const as = await new Deno.Command(AS, { args: ["-march=rv64gcv", "-o", `${dir}/s.o`, `${dir}/s.S`] }).output();
      assert(as.success, new TextDecoder().decode(as.stderr));
      const out = await new Deno.Command(LLVM_OBJDUMP, { args: ["-d", "--mattr=+v", `${dir}/s.o`] }).output();
      assert(out.success, `${LLVM_OBJDUMP} failed`);
      const listed = new TextDecoder().decode(out.stdout).split("\n")
        .map((line) => /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(\S+)\s*(.*)$/.exec(line))
        .filter((m) => m !== null);
      assertEquals(listed.length, words.length);
      const problems: string[] = [];
      for (const [, address, hex, mnemonic, operands] of listed) {
        const want = `${mnemonic} ${operands.replace(/, /g, ",")}`.trim();
        const got = disassemble(decode(parseInt(hex, 16))!, parseInt(address, 16));
        if (got !== want) problems.push(`${hex}: "${got}", llvm-objdump says "${want}"`);
      }
      assertEquals(problems, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
