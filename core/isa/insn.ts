/**
 * The decoded form of one guest instruction, shared by the decoder, the
 * disassembler, the translator and the plugin API.
 *
 * Compressed (RVC) instructions decode into the argument set of the base
 * instruction they expand to (`c.addi` becomes `addi` with `rd = rs1`), so the
 * translator has one implementation per operation, as in QEMU's decodetree.
 *
 * @module
 */

import type { Op } from "./ops_generated.ts";

/**
 * A decoded instruction. Fields an instruction does not use are 0 (`false`).
 *
 * @example Decode `addi a0, a0, 1`
 * ```ts
 * import { decode } from "./decoder.ts";
 * import { deepStrictEqual } from "node:assert";
 * const insn = decode(0x00150513);
 * deepStrictEqual([insn?.op, insn?.rd, insn?.rs1, insn?.imm], ["addi", 10, 10, 1]);
 * ```
 */
export interface Insn {
  /**
   * Lower-case mnemonic of the base operation, as the RISC-V specification
   * spells it (`"addi"`, `"fadd.d"`, `"lr.w"`, `"amoadd.d"`, `"csrrw"`,
   * `"fence.i"`). Compressed forms use the name of their expansion. `Op`
   * lists them all (generated from `rv64gc.decode`, with each one's
   * properties in `OP_INFO`).
   */
  readonly op: Op;
  /** The instruction bits as fetched (16 bits for RVC, else 32), unsigned. */
  readonly raw: number;
  /** Length in bytes: 2 (compressed) or 4. */
  readonly size: 2 | 4;
  /** Destination register number. */
  readonly rd: number;
  /** First source register number. */
  readonly rs1: number;
  /** Second source register number. */
  readonly rs2: number;
  /** Third source register number (fused multiply-add). */
  readonly rs3: number;
  /**
   * The immediate, sign-extended, as a JS number: byte offsets for branches,
   * jumps, loads and stores; the shift amount for shifts; the upper
   * immediate already shifted left by 12 for `lui`/`auipc` (a signed 32-bit
   * value); the zimm for `csrr*i`; `pred << 4 | succ` for `fence`.
   */
  readonly imm: number;
  /** Rounding-mode field of floating-point instructions (7 = dynamic). */
  readonly rm: number;
  /** Acquire bit of atomics. */
  readonly aq: boolean;
  /** Release bit of atomics. */
  readonly rl: boolean;
  /** CSR number for Zicsr instructions. */
  readonly csr: number;
}
