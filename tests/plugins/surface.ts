/**
 * Test plugin: prints every name the `"qemu-plugin"` module gives it, and
 * what the global object offers, so a test can compare the reachable
 * surface with the allowlist.
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
  }, null);
  return 0;
}
