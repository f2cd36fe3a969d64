/**
 * Hostile test plugin: its version is a Symbol (which cannot be converted
 * to a string implicitly, nor sent between processes).
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = Symbol("7");

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return 0;
}
