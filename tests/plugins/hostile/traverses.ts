/**
 * Hostile test plugin: imports a file outside its own directory (here a
 * harmless one; it could be any file plume may read, compiled into the
 * plugin with plume's permissions).
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";
import "../count.ts";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return 0;
}
