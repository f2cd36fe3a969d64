/**
 * Fails only in a forked process: its copy throws from the syscall return
 * callback of the `clone` that made it (where the call returns 0), or
 * spins there past the watchdog with `mode=spin`; with `mode=freeze` the
 * info object it was installed with is frozen, so the copy cannot be given
 * the child's pid. The parent's copy goes on and reports at exit.
 */
import {
  type PluginId,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: unknown, argv: string[]): number {
  const spin = argv.includes("mode=spin"), freeze = argv.includes("mode=freeze");
  if (freeze) Object.freeze(_info);
  let calls = 0;
  qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, _vcpu, num, ret) => {
    calls++;
    if (freeze || num !== 220n || ret !== 0n) return;
    if (spin) { for (;;); }
    throw new Error("broken in the child");
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`calls: ${calls}\n`), null);
  return 0;
}
