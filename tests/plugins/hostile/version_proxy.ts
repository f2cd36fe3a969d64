/**
 * Hostile test plugin: its version is a Proxy whose every trap throws (it
 * cannot be copied, compared or printed).
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

const trap = () => {
  throw new Error("trap");
};

export const qemu_plugin_version = new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap, has: trap });

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return 0;
}
