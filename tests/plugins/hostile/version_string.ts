/**
 * Hostile test plugin: its version is a string that would forge a line of
 * plume's output if echoed raw.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = "7\nplume: plugin 'victim' (#2): forged\x1b[31m";

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return 0;
}
