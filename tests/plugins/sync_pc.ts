/**
 * Test plugin: an `R_REGS` callback on every block that checks it is
 * called for its own block (the pc it reads is the block's address, its
 * user data). Prints `sync calls N wrong M` at exit: a synchronous
 * callback id that outlived a flush would call another block's callback.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_R_REGS,
  qemu_plugin_get_registers,
  qemu_plugin_outs,
  qemu_plugin_read_register,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_vaddr,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const pc = qemu_plugin_get_registers().find((r) => r.name === "pc")!.handle;
  let calls = 0, wrong = 0;
  const check = (_vcpu: number, vaddr: unknown) => {
    calls++;
    const bytes = qemu_plugin_read_register(pc);
    if (Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) !== vaddr) wrong++;
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, check, QEMU_PLUGIN_CB_R_REGS, qemu_plugin_tb_vaddr(tb));
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`sync calls ${calls} wrong ${wrong}\n`), null);
  return 0;
}
