/**
 * Hostile test plugin: resets itself from its translation callback at every
 * translation, and its reset's completion registers that callback again.
 * A reset flushes every translation, the block being translated with it, so
 * that block is translated again — and reset again: no block would ever run
 * instrumented (nor, before plume ended such a plugin, would another
 * plugin's instrumentation; the guest crawled at a few milliseconds a block
 * with every call answered at once, out of the watchdog's reach).
 *
 * @module
 */

import { type PluginId, qemu_plugin_register_vcpu_tb_trans_cb, qemu_plugin_reset, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

function arm(id: PluginId): void {
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    qemu_plugin_reset(id, arm);
  });
}

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  arm(id);
  return 0;
}
