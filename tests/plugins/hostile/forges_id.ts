/**
 * Hostile test plugin: registers a callback under an id that is not its
 * own (from its translation callback).
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    qemu_plugin_register_atexit_cb(id ^ 1n, () => {}, null);
  });
  return 0;
}
