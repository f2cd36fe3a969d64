/**
 * Hostile test plugin, through the public API alone: registers `n=`
 * synchronous conditional callbacks on every instruction (default 1000),
 * on a condition that never holds, so that each costs code in the
 * translated block and an entry in plume's tables but never runs. Says at
 * exit how many never ran and how many times plume flushed its
 * translations (which empties those tables).
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_R_REGS,
  QEMU_PLUGIN_COND_EQ,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_flush_cb,
  qemu_plugin_register_vcpu_insn_exec_cond_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const n = Number(argv.find((a) => a.startsWith("n="))?.slice(2) ?? 1000);
  const never = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  let fired = 0, flushes = 0;
  qemu_plugin_register_flush_cb(id, () => flushes++);
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans(_id, tb) {
    for (let k = 0; k < qemu_plugin_tb_n_insns(tb); k++) {
      const insn = qemu_plugin_tb_get_insn(tb, k);
      for (let i = 0; i < n; i++) {
        qemu_plugin_register_vcpu_insn_exec_cond_cb(
          insn,
          () => fired++,
          QEMU_PLUGIN_CB_R_REGS,
          QEMU_PLUGIN_COND_EQ,
          never,
          12345n,
          null,
        );
      }
    }
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`fired ${fired}, flushes ${flushes}\n`), null);
  return 0;
}
