/**
 * Test plugin: counts flushes of the translation cache (flush callbacks)
 * and the blocks translated after the last one, and prints both at exit.
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_flush_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  let flushes = 0, translated = 0;
  qemu_plugin_register_flush_cb(id, () => {
    flushes++;
    translated = 0;
  });
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => translated++);
  qemu_plugin_register_atexit_cb(
    id,
    () => qemu_plugin_outs(`flushes ${flushes} translated-since ${translated}\n`),
    null,
  );
  return 0;
}
