import { strictEqual } from "node:assert";
import { assert, assertEquals } from "../../tests/assert.ts";
import { decode } from "../isa/decoder.ts";
import { DEFAULT_EXTENSIONS, hasCsr, hasInsn } from "../isa/extensions.ts";
import type { Insn } from "../isa/insn.ts";
import { type Extension, EXTENSIONS } from "../isa/ops_generated.ts";
import { AddressSpace, PROT_EXEC, PROT_READ } from "../mem/address_space.ts";
import { rng } from "./_rng_testing.ts";
import { decodeBlock } from "./translator.ts";

const CODE = 0x10000;

/** What decoding `bits` under `extensions` must give: the decoder's instruction, or null outside them. */
function expected(bits: number, extensions: ReadonlySet<Extension>): Insn | null {
  const insn = decode(bits);
  return insn !== null && hasInsn(insn, extensions) && hasCsr(insn, extensions) ? insn : null;
}

Deno.test("decodeBlock remembers decoded words, and still gives each set of extensions its own answer", () => {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  const sets: ReadonlySet<Extension>[] = [new Set(DEFAULT_EXTENSIONS), new Set(EXTENSIONS), new Set()];
  const next = rng(2026);
  let differing = 0, legal = 0;
  for (let round = 0; round < 3000; round++) {
    // Random words, compressed and full-size (never the longer formats), some of them seen before.
    let bits = round % 5 === 4 ? 0x00150513 : next();
    if ((bits & 3) !== 3) bits &= 0xffff;
    else if ((bits & 0x1c) === 0x1c) bits = (bits & ~0x1c) >>> 0;
    if (bits === 0) continue;
    if (bits > 0xffff) mem.view.setUint32(CODE, bits, true);
    else mem.view.setUint16(CODE, bits, true);
    // The sets in an order that changes, so that no set always decodes a word first.
    const order = round % 2 === 0 ? sets : [...sets].reverse();
    const answers = order.map((set) => {
      const first = decodeBlock(mem, CODE, 1, set).insns[0];
      assertEquals(first, expected(bits, set), `0x${bits.toString(16)}`);
      // Asked again, the same instruction: the word was remembered, not decoded anew.
      strictEqual(decodeBlock(mem, CODE, 1, set).insns[0], first);
      return first;
    });
    if (answers.some((a) => a === null) && answers.some((a) => a !== null)) differing++;
    if (answers.some((a) => a !== null)) legal++;
  }
  // Not vacuous: words legal under some sets and not others, and many legal words.
  assert(differing > 10, `${differing} words whose legality depends on the extensions`);
  assert(legal > 1000, `${legal} legal words`);
});

Deno.test("decodeBlock gives each block arrays of its own, at its length", () => {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  // addi a0, a0, 1 three times and a jal; then c.addi a0, 1 and c.jr ra.
  for (let k = 0; k < 3; k++) mem.view.setUint32(CODE + 4 * k, 0x00150513, true);
  mem.view.setUint32(CODE + 12, 0x0000006f, true);
  mem.view.setUint16(CODE + 16, 0x0505, true);
  mem.view.setUint16(CODE + 18, 0x8082, true);
  const first = decodeBlock(mem, CODE), second = decodeBlock(mem, CODE + 16);
  // Decoding the second block (into the same scratch arrays) left the first one's as they were.
  assertEquals(first.pcs, [CODE, CODE + 4, CODE + 8, CODE + 12]);
  assertEquals(first.raws, [0x00150513, 0x00150513, 0x00150513, 0x0000006f]);
  assertEquals(first.insns.map((i) => i?.op), ["addi", "addi", "addi", "jal"]);
  assertEquals(first.end, CODE + 16);
  assertEquals(second.pcs, [CODE + 16, CODE + 18]);
  assertEquals(second.insns.map((i) => i?.size), [2, 2]);
  assert(first.insns !== second.insns && first.pcs !== second.pcs && first.raws !== second.raws);
});
