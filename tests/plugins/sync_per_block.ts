/**
 * Benchmark plugin for synchronous callbacks: one `R_REGS` callback per
 * executed block (with `read=on` it also reads register a0 in each), and
 * at exit the number of calls, so that `bench:plugins` can tell the cost of
 * one round trip between the guest and the plugin.
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
  type QemuInfo,
  type RegisterHandle,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const read = argv.includes("read=on");
  let calls = 0, a0: RegisterHandle | undefined;
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(
      tb,
      () => {
        calls++;
        if (read) {
          a0 ??= qemu_plugin_get_registers().find((r) => r.name === "a0")!.handle;
          qemu_plugin_read_register(a0);
        }
      },
      QEMU_PLUGIN_CB_R_REGS,
      undefined,
    );
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`calls ${calls}\n`), undefined);
  return 0;
}
