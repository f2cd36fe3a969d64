/**
 * Hostile test plugin: reads a file through `Deno` (refused at load).
 *
 * @module
 */

import { type PluginId, qemu_plugin_outs, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_outs(Deno.readTextFileSync("/etc/passwd"));
  return 0;
}
