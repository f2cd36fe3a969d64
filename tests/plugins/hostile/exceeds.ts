/**
 * Hostile test plugin, run with one grant (`-plugin-allow read=FILE`) so
 * that it may name `Deno`: in its translation callback it tries what the
 * grant does not allow, chosen by `do=`: `read` another file, `env` read
 * the environment, `net` open a socket, `run` spawn a process.
 *
 * @module
 */

import { type PluginId, qemu_plugin_outs, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const what = argv.find((a) => a.startsWith("do="))?.slice(3) ?? "read";
  const granted = argv.find((a) => a.startsWith("granted="))?.slice(8);
  if (granted) qemu_plugin_outs(`granted file has ${Deno.readTextFileSync(granted).length} characters\n`);
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    if (what === "read") qemu_plugin_outs(Deno.readTextFileSync("/etc/passwd"));
    if (what === "env") qemu_plugin_outs(Deno.env.get("HOME") ?? "");
    if (what === "net") Deno.listen({ port: 0 });
    if (what === "run") new Deno.Command("true").outputSync();
  });
  return 0;
}
