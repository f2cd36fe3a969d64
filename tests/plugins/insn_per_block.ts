/**
 * Test and benchmark plugin, design.md's example: counts instructions with
 * one inline add of the block's length per executed block.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_sum,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const count = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb: Tb) => {
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(
      tb,
      QEMU_PLUGIN_INLINE_ADD_U64,
      count,
      BigInt(qemu_plugin_tb_n_insns(tb)),
    );
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`insns: ${qemu_plugin_u64_sum(count)}\n`), null);
  return 0;
}
