/**
 * Hostile test plugin: names runtime globals (`globalThis`, `fetch`),
 * refused at load.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const f = (globalThis as { fetch?: unknown }).fetch ?? fetch;
  return f ? 0 : 1;
}
