/**
 * Test plugin: counts the runs of every block but those that jump to
 * themselves (a conditional branch at its end whose target is its start),
 * and resets itself every `every=` runs (default 100,000), registering
 * anew from the reset's completion. Each reset flushes every translation,
 * with the other plugins' flush callbacks, while a WebAssembly region is
 * running (a batch of records it publishes comes to the plugin's side).
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_reset,
  type QemuInfo,
} from "qemu-plugin";
import { jumpsToItself } from "./_self_loop.ts";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const every = Number(argv.find((a) => a.startsWith("every="))?.slice(6) ?? 100000);
  let runs = 0, resets = 0, skipped = 0;
  const arm = () => {
    qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
      if (jumpsToItself(tb)) return void skipped++;
      qemu_plugin_register_vcpu_tb_exec_cb(
        tb,
        () => {
          if (++runs % every === 0) {
            qemu_plugin_reset(id, () => {
              // Said at each reset (a reset unregisters an exit callback too).
              qemu_plugin_outs(`reset ${++resets} (${skipped} blocks that jump to themselves left alone)\n`);
              arm();
            });
          }
        },
        QEMU_PLUGIN_CB_NO_REGS,
        null,
      );
    });
  };
  arm();
  return 0;
}
