/**
 * Hostile test plugin: keeps the guest waiting while seeming busy, chosen
 * by `where=`: `requests` (a synchronous callback that reads a register,
 * waits 300 ms, and again, forever: each request is progress, the call
 * never ends), `slow` (a streamed callback that takes 50 ms a block, so
 * the guest waits for the plugin at exit; with `spin=N`, N loop iterations
 * a block instead, slow enough to fill the event ring in a hot loop but
 * making progress all the time), `install` (an endless loop in
 * `qemu_plugin_install`). The watchdog counts a call's whole time, and a
 * wait for ring space in all.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  qemu_plugin_get_registers,
  qemu_plugin_read_register,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* spin */ }
}

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const where = argv.find((a) => a.startsWith("where="))?.slice(6) ?? "requests";
  const spin = Number(argv.find((a) => a.startsWith("spin="))?.slice(5) ?? 0);
  let sink = 0;
  if (where === "install") { for (;;) busy(1000); }
  const a0 = qemu_plugin_get_registers().find((r) => r.name === "a0")!.handle;
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans(_id, tb) {
    if (where === "requests") {
      qemu_plugin_register_vcpu_tb_exec_cb(
        tb,
        function keepAsking() {
          for (;;) {
            qemu_plugin_read_register(a0);
            busy(300);
          }
        },
        QEMU_PLUGIN_CB_R_REGS,
        null,
      );
    } else {
      qemu_plugin_register_vcpu_tb_exec_cb(
        tb,
        function slowly() {
          if (spin === 0) busy(50);
          for (let i = 0; i < spin; i++) sink = (sink + i) | 0;
        },
        QEMU_PLUGIN_CB_NO_REGS,
        null,
      );
    }
  });
  return 0;
}
