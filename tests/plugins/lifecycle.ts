/**
 * Test plugin: counts executed blocks with a streamed callback and, after
 * `after=N` executions, calls `qemu_plugin_uninstall` (`mode=uninstall`) or
 * `qemu_plugin_reset` (`mode=reset`) from inside that callback. Prints
 * when the completion callback ran and whether any callback ran after it.
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
  const mode = argv.find((a) => a.startsWith("mode="))?.slice(5) ?? "uninstall";
  const after = Number(argv.find((a) => a.startsWith("after="))?.slice(6) ?? 1000);
  let execs = 0, requested = false, completed = false, lateCalls = 0, resetExecs = 0;
  const report = () =>
    qemu_plugin_outs(`execs ${execs} completed ${completed} late ${lateCalls} after-reset ${resetExecs}\n`);
  const onExec = () => {
    if (completed && mode === "uninstall") lateCalls++;
    execs++;
    if (execs === after && !requested) {
      requested = true;
      const done = (doneId: PluginId) => {
        completed = true;
        qemu_plugin_outs(`completion ${mode} ${doneId === id}\n`);
        if (mode === "reset") {
          // A reset plugin starts over: count again, and report at exit.
          qemu_plugin_register_vcpu_tb_trans_cb(
            id,
            (_id, tb) => qemu_plugin_register_vcpu_tb_exec_cb(tb, () => resetExecs++, QEMU_PLUGIN_CB_NO_REGS, null),
          );
          qemu_plugin_register_atexit_cb(id, report, null);
        } else {
          report();
        }
      };
      if (mode === "reset") qemu_plugin_reset(id, done);
      else qemu_plugin_uninstall(id, done);
    }
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, null);
  });
  // Never called after an uninstall or a reset (the reset registers its own).
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs("stale atexit ran\n"), null);
  return 0;
}
