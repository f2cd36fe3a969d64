/**
 * Hostile test plugin for the byte arrays register reads return (made
 * ahead while the plugin's thread waits: `core/plugin/runtime/spare_bytes.ts`).
 * At each block it reads pc three times in an `R_REGS` callback, scribbles
 * over what it got and keeps the first {@link KEPT} arrays; a read must
 * still give a new array with a buffer of its own holding the block's
 * address, and no later read may change an array it kept. At exit it
 * prints how many reads it made and how many of them broke one of those
 * rules.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_R_REGS,
  qemu_plugin_get_registers,
  qemu_plugin_outs,
  qemu_plugin_read_register,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_vaddr,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

/** Arrays kept: many times the stock of arrays made ahead (64), well within the memory limit. */
const KEPT = 4096;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const pc = qemu_plugin_get_registers().find((r) => r.name === "pc")!.handle;
  const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  const kept: [Uint8Array, bigint][] = [];
  const buffers = new Set<ArrayBufferLike>();
  let reads = 0, broken = 0;
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    const vaddr = BigInt(qemu_plugin_tb_vaddr(tb));
    const onBlock = () => {
      for (let k = 0; k < 3; k++) {
        const bytes = qemu_plugin_read_register(pc);
        reads++;
        if (bytes.length !== 8 || bytes.byteOffset !== 0 || buffers.has(bytes.buffer) || u64(bytes) !== vaddr) broken++;
        // Scribble: a later read must neither see this nor change it back.
        bytes.fill(0xa5);
        if (kept.length < KEPT) buffers.add(bytes.buffer), kept.push([bytes, u64(bytes)]);
      }
    };
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_R_REGS, null);
  });
  qemu_plugin_register_atexit_cb(id, () => {
    for (const [bytes, value] of kept) if (u64(bytes) !== value) broken++;
    qemu_plugin_outs(`reads ${reads} broken ${broken}\n`);
  }, null);
  return 0;
}
