/**
 * Test and benchmark plugin: is told of every translation and does
 * nothing else (no callback, no inline operation, no record). Against it,
 * what another plugin's records cost the guest shows alone: both make the
 * same synchronous calls. Prints how many translations it saw.
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  let translations = 0;
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => void translations++);
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`translations ${translations}\n`), undefined);
  return 0;
}
