/**
 * Hostile test plugin: loads code with a dynamic `import()` (refused at load).
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  import("./throws.ts");
  return 0;
}
