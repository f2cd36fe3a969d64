/**
 * What the REPEAT test plugins (`runs_and_flushes.ts`, `reset_others.ts`)
 * share: whether a block jumps to itself.
 *
 * @module
 */

import {
  qemu_plugin_insn_data,
  qemu_plugin_insn_vaddr,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  type Tb,
} from "qemu-plugin";

/** Whether the block ends with a 32-bit conditional branch (opcode 0x63) to its own start. */
export function jumpsToItself(tb: Tb): boolean {
  const last = qemu_plugin_tb_get_insn(tb, qemu_plugin_tb_n_insns(tb) - 1);
  const b = qemu_plugin_insn_data(last) as Uint8Array;
  if (b.length !== 4) return false;
  const w = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  if ((w & 0x7f) !== 0x63) return false;
  // B-type: imm[12|10:5] in bits 31:25, imm[4:1|11] in bits 11:7.
  let imm = ((w >>> 31) << 12) | (((w >>> 25) & 0x3f) << 5) | (((w >>> 8) & 0xf) << 1) | (((w >>> 7) & 1) << 11);
  if (imm & 0x1000) imm -= 0x2000;
  return Number(qemu_plugin_insn_vaddr(last)) + imm === Number(qemu_plugin_tb_vaddr(tb));
}
