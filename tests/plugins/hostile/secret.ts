/**
 * Hostile test plugin: imports a name the API does not export (refused at
 * load, like an undefined symbol).
 *
 * @module
 */

// @ts-ignore: the name does not exist, which is the point
import { qemu_plugin_secret } from "qemu-plugin";
import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return qemu_plugin_secret();
}
