/**
 * Test plugin: prints every name the `"qemu-plugin"` module gives it, and
 * every property of the global object (reached without naming it), so a
 * test can compare the reachable surface with the allowlists.
 *
 * @module
 */

import * as api from "qemu-plugin";
import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, info: QemuInfo, argv: string[]): number {
  api.qemu_plugin_register_atexit_cb(id, () => {
    api.qemu_plugin_outs(`names ${Object.keys(api).sort().join(",")}\n`);
    api.qemu_plugin_outs(`info ${info.target_name} ${info.version.min} ${info.version.cur} ${argv.join("|")}\n`);
    api.qemu_plugin_outs(`binary ${api.qemu_plugin_path_to_binary().split("/").pop()}\n`);
    const hw = api.qemu_plugin_get_hwaddr(0, 0x1000);
    const [io, pa, dev] = [
      api.qemu_plugin_hwaddr_is_io(hw),
      api.qemu_plugin_hwaddr_phys_addr(hw),
      api.qemu_plugin_hwaddr_device_name(hw),
    ];
    api.qemu_plugin_outs(`hwaddr ${hw} ${io} ${pa} ${dev}\n`);
    // The global object, reached without naming it: what is left of the runtime's.
    const g = ([] as unknown as { constructor: { constructor: (code: string) => () => object } }).constructor
      .constructor("return this")();
    api.qemu_plugin_outs(`globals ${Reflect.ownKeys(g).map(String).sort().join(",")}\n`);
    api.qemu_plugin_outs(`global prototype ${Object.getPrototypeOf(g) === Object.prototype ? "Object" : "other"}\n`);
  }, null);
  return 0;
}
