/**
 * Hostile test plugin: reaches the global object through the Function
 * constructor (which the load-time analysis cannot see) and tries to read
 * a file in its translation callback; the sandbox has removed `Deno`.
 *
 * @module
 */

import { type PluginId, qemu_plugin_outs, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    const g = [].constructor.constructor("return this")();
    qemu_plugin_outs(g.Deno.readTextFileSync("/etc/passwd"));
  });
  return 0;
}
