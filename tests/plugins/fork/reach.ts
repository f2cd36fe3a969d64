/**
 * What a plugin's copy in a forked process can reach: at exit each copy
 * says whether it is in a child (it saw `clone` return 0) and whether any
 * runtime global, or a way to the global object's hidden names, is there.
 * The same sandbox in both: nothing.
 */
import {
  type PluginId,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId): number {
  let child = false;
  qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, _vcpu, num, ret) => {
    if (num === 220n && ret === 0n) child = true;
  });
  qemu_plugin_register_atexit_cb(id, () => {
    const g = [].constructor.constructor("return this")() as Record<string, unknown>;
    const found = ["Deno", "process", "fetch", "console", "require", "setTimeout"].filter((n) => n in g);
    qemu_plugin_outs(`${child ? "child" : "parent"} reaches: ${found.join(",") || "nothing"}\n`);
  }, null);
  return 0;
}
