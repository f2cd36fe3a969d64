/**
 * Hostile test plugin: resets itself from a streamed execution callback at
 * every block, and its reset's completion registers the callbacks again.
 * Every reset flushes every translation, so the guest crawls; it must still
 * finish with its output intact (the reset rule for translation callbacks
 * must not mistake these resets for its own case either way).
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_reset,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

function arm(id: PluginId): void {
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, () => qemu_plugin_reset(id, arm), QEMU_PLUGIN_CB_NO_REGS, null);
  });
}

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  arm(id);
  return 0;
}
