/**
 * Hostile test plugin, run with `-plugin-allow write=FILE` (`file=FILE`):
 * at load it writes FILE with a mode (setuid, open to all: the mode is
 * refused), writes it as the grant allows, then tries to make of its
 * name a directory of its own (Deno's grant of a path covers everything
 * under it): remove the file, make a directory there, change its mode,
 * write files under it. Each step's outcome is one line of output.
 *
 * @module
 */

import { type PluginId, qemu_plugin_outs, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, argv: string[]): number {
  const file = argv.find((a) => a.startsWith("file="))!.slice(5);
  const step = (what: string, f: () => void) => {
    try {
      f();
      qemu_plugin_outs(`${what}: done\n`);
    } catch (e) {
      qemu_plugin_outs(`${what}: ${(e as Error).name}\n`);
    }
  };
  step("write with a mode", () => Deno.writeTextFileSync(file, "setuid\n", { mode: 0o4777 }));
  step("write the file", () => Deno.writeTextFileSync(file, "the plugin's\n"));
  step("remove", () => Deno.removeSync(file));
  step("mkdir", () => Deno.mkdirSync(file));
  step("chmod", () => Deno.chmodSync(file, 0o777));
  step("write under", () => Deno.writeTextFileSync(`${file}/evil.sh`, "#!/bin/sh\n", { mode: 0o755 }));
  step("mkdir under", () => Deno.mkdirSync(`${file}/a/b`, { recursive: true }));
  return 0;
}
