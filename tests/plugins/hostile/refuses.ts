/**
 * Test plugin: `qemu_plugin_install` returns an error code.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return 3;
}
