/**
 * Test plugin: watches system calls only, and subscribes to translations
 * at the first one, as a plugin that starts tracing once the program has
 * started would. Until then no new block is shown to it (plume runs them
 * as without plugins); from then on every new block is, and runs its
 * callback. Prints what it saw.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  let syscalls = 0, translations = 0, executions = 0;
  qemu_plugin_register_vcpu_syscall_cb(id, () => {
    if (syscalls++ > 0) return;
    qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
      translations++;
      qemu_plugin_register_vcpu_tb_exec_cb(tb, () => void executions++, QEMU_PLUGIN_CB_NO_REGS, undefined);
    });
  });
  qemu_plugin_register_atexit_cb(id, () => {
    qemu_plugin_outs(`syscalls ${syscalls} translations ${translations} executions ${executions}\n`);
  }, undefined);
  return 0;
}
