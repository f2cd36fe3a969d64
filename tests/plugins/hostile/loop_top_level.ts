/**
 * Hostile test plugin: never finishes evaluating its module (an endless
 * loop at the top level), so plume waits for its load report forever
 * unless the load itself has a time limit.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

let spins = 0;
for (;;) if (++spins < 0) break;

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  return spins;
}
