/**
 * Hostile test plugin: allocates without bound while its module is
 * evaluated, before plume has any call to make: its process's death must
 * be seen and named at once, not after the watchdog.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

const hoard: number[][] = [];
for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return hoard.length;
}
