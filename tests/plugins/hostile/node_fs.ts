/**
 * Hostile test plugin: imports `node:fs` (refused at load).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return readFileSync("/etc/passwd").length > 0 ? 0 : 1;
}
