/**
 * Test plugin: `qemu_plugin_install` returns something other than 0
 * (`ret=`): an error code, or values JavaScript would coerce to 0 or to an
 * integer.
 *
 * @module
 */

import type { PluginId, QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

/** Return values by `ret=` (default 3): none of them is the integer 0 that means success. */
const RETURNS: Record<string, unknown> = {
  "3": 3,
  NaN: NaN,
  "2**32": 2 ** 32,
  Infinity: Infinity,
  "0.9": 0.9,
  undefined: undefined,
  string: "0\nplume: forged",
  object: { valueOf: () => 0 },
  bigint: 0n,
};

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, argv: string[]): number {
  return RETURNS[argv.find((a) => a.startsWith("ret="))?.slice(4) ?? "3"] as number;
}
