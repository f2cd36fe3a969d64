/**
 * Test plugin: counts the runs of blocks that jump to themselves (a
 * callback per block; every block's with `all`) and the flushes of the
 * translation cache, and prints both at exit. Its callback is the only one
 * of such a block when `reset_others.ts` runs beside it, so that the
 * block's passes reach it as `REPEAT` records in the WebAssembly tier.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_flush_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";
import { jumpsToItself } from "./_self_loop.ts";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const all = argv.includes("all");
  let runs = 0, flushes = 0;
  qemu_plugin_register_flush_cb(id, () => void flushes++);
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    if (!all && !jumpsToItself(tb)) return;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, () => void runs++, QEMU_PLUGIN_CB_NO_REGS, null);
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`runs ${runs} flushes ${flushes}\n`), null);
  return 0;
}
