/**
 * Test plugin: resets itself once, from its translation callback at the
 * `at=N`th translation (50 by default), and registers again from the
 * completion callback — QEMU's own use of a reset. With `uninstall` the
 * completion callback uninstalls the plugin instead; with `nested` it also
 * asks for a second reset, which QEMU ignores while the first completes.
 * Prints each completion and, at exit, its counts.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_reset,
  qemu_plugin_uninstall,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const at = Number(argv.find((a) => a.startsWith("at="))?.slice(3) ?? 50);
  const nested = argv.includes("nested"), uninstall = argv.includes("uninstall");
  let translations = 0, blocks = 0, resets = 0;
  const arm = () => {
    qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
      translations++;
      qemu_plugin_register_vcpu_tb_exec_cb(tb, () => void blocks++, QEMU_PLUGIN_CB_NO_REGS, null);
      if (translations !== at) return;
      qemu_plugin_reset(id, () => {
        resets++;
        qemu_plugin_outs(`reset ${resets} done at translation ${translations}\n`);
        if (nested) qemu_plugin_reset(id, () => qemu_plugin_outs("the nested reset completed\n"));
        if (uninstall) {
          qemu_plugin_uninstall(id, () => qemu_plugin_outs(`uninstalled at translation ${translations}\n`));
          return;
        }
        arm();
      });
    });
    qemu_plugin_register_atexit_cb(
      id,
      () => qemu_plugin_outs(`translations ${translations}, blocks ${blocks}, resets ${resets}\n`),
      null,
    );
  };
  arm();
  return 0;
}
