/**
 * Test plugin: declares an API version plume does not support.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 99;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return 0;
}
