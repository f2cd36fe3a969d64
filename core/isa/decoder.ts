/**
 * The RV64GC instruction decoder: instruction length and decoding of one
 * instruction into the shared {@link Insn} shape.
 *
 * The decision trees themselves are generated from `rv64gc.decode` into
 * `decoder_generated.ts` (`deno task gen`); this module only picks the tree.
 *
 * @module
 */

import type { Insn } from "./insn.ts";
import { decode16, decode32 } from "./decoder_generated.ts";

/**
 * Decodes one instruction.
 *
 * @param bits The 32-bit word fetched at the instruction's address. For a
 * compressed instruction (`(bits & 3) !== 3`) only the low 16 bits are used,
 * so passing the whole fetched word is fine.
 * @returns The decoded instruction (compressed ones in their base form, with
 * `size` 2), or null when the encoding is reserved or not part of RV64GC,
 * including the 48-bit and longer formats.
 *
 * @example Decode a full-size and a compressed instruction
 * ```ts
 * import { decode } from "./decoder.ts";
 * import { deepStrictEqual } from "node:assert";
 * const addi = decode(0x00150513); // addi a0, a0, 1
 * deepStrictEqual([addi?.op, addi?.rd, addi?.imm], ["addi", 10, 1]);
 * const cli = decode(0x4505); // c.li a0, 1
 * deepStrictEqual([cli?.op, cli?.rs1, cli?.imm, cli?.size], ["addi", 0, 1, 2]);
 * ```
 */
export function decode(bits: number): Insn | null {
  if ((bits & 3) !== 3) return decode16(bits & 0xffff);
  // Bits 4:2 all set announce an instruction longer than 32 bits.
  if ((bits & 0x1c) === 0x1c) return null;
  return decode32(bits | 0);
}

/**
 * The length of the instruction that starts with this halfword.
 *
 * @param firstHalfword The 16 bits at the instruction's address (higher bits are ignored).
 * @returns 2 or 4, or 0 for the 48-bit and longer encodings, which RV64GC does not have.
 *
 * @example Measure instructions
 * ```ts
 * import { insnLength } from "./decoder.ts";
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual([insnLength(0x4505), insnLength(0x0513), insnLength(0x003f)], [2, 4, 0]);
 * ```
 */
export function insnLength(firstHalfword: number): 2 | 4 | 0 {
  if ((firstHalfword & 3) !== 3) return 2;
  return (firstHalfword & 0x1c) !== 0x1c ? 4 : 0;
}
