/**
 * Test plugin: counts the blocks each process executed itself — from its
 * start, or for a forked child from its `clone`'s return of 0 — and
 * prints `own N` at the process's exit. Summed over the processes, the
 * blocks a run executed, each once (a child's copy of a plain counter
 * also holds its parent's blocks before the fork).
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

/** RISC-V Linux's `clone` and `clone3`. */
const CLONES = [220n, 435n];

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  let blocks = 0;
  const count = () => {
    blocks++;
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, count, QEMU_PLUGIN_CB_NO_REGS, null);
  });
  qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, _vcpu, num, ret) => {
    if (CLONES.includes(num) && ret === 0n) blocks = 0;
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`own ${blocks}\n`), null);
  return 0;
}
