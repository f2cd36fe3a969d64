/**
 * Hostile test plugin: allocates without bound in its translation callback.
 *
 * @module
 */

import { type PluginId, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const hoard: number[][] = [];
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
  });
  return 0;
}
