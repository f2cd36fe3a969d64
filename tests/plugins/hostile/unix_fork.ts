/**
 * Hostile test plugin: keeps its granted unix socket (`path=PATH`) in the
 * copies made for forked guests. It replaces `Map.prototype.values`, which
 * the copy's clean-up would walk if it read the plugin's own map, then
 * writes into the socket from every copy (after `clone`'s return in the
 * child) and prints what each write returned (`-d plugin`). The copies'
 * sockets must be closed: -9 (EBADF), and nothing reaches the peer from
 * them.
 *
 * @module
 */

import {
  type PluginId,
  plume_unix_socket,
  qemu_plugin_outs,
  qemu_plugin_register_vcpu_syscall_ret_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

/** clone and clone3: their return is a forked copy's first event, with 0. */
const CLONES = [220n, 435n];

export function qemu_plugin_install(id: PluginId, info: QemuInfo, argv: string[]): number {
  const sock = plume_unix_socket(argv.find((a) => a.startsWith("path="))!.slice(5));
  if (typeof sock === "string") throw new Error(sock);
  Map.prototype.values = function* () {} as typeof Map.prototype.values;
  sock.write(new TextEncoder().encode(`parent pid=${info.pid}\n`));
  qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, _vcpu, num, ret) => {
    if (!CLONES.includes(num) || ret !== 0n) return;
    const wrote = sock.write(new TextEncoder().encode(`copy pid=${info.pid} got through\n`));
    qemu_plugin_outs(`copy: write returned ${wrote}\n`);
  });
  return 0;
}
