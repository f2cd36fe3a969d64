/**
 * Hostile test plugin: keeps a tb handle past its translation callback and
 * uses it from an execution callback.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  let kept: Tb | undefined;
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    kept ??= tb;
    qemu_plugin_register_vcpu_tb_exec_cb(
      tb,
      function useStale() {
        qemu_plugin_tb_n_insns(kept!);
      },
      QEMU_PLUGIN_CB_NO_REGS,
      null,
    );
  });
  return 0;
}
