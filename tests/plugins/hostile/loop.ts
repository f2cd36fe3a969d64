/**
 * Hostile test plugin: never returns, from the translation callback
 * (`where=trans`, a synchronous call: the watchdog stops it) or from a
 * streamed callback (`where=exec`: the event ring fills up and the
 * watchdog stops it).
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const where = argv[0]?.slice("where=".length) ?? "trans";
  let spin = 0;
  const forever = () => {
    for (;;) spin++;
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans(_id, tb) {
    if (where === "trans") forever();
    qemu_plugin_register_vcpu_tb_exec_cb(tb, forever, QEMU_PLUGIN_CB_NO_REGS, null);
  });
  return 0;
}
