/**
 * Hostile test plugin: allocates without bound in its translation
 * callback, chosen by `kind=`: `heap` (JavaScript arrays, the default),
 * `buffers` (`ArrayBuffer`s, outside V8's heap), `wasm` (WebAssembly
 * memories, reserved and grown outside the heap), `strings` (ever longer
 * strings). The process's memory limit covers all of them.
 *
 * @module
 */

import { type PluginId, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const kind = argv.find((a) => a.startsWith("kind="))?.slice(5) ?? "heap";
  const hoard: unknown[] = [];
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    if (kind === "buffers") { for (;;) hoard.push(new Uint8Array(16 << 20).fill(1)); }
    if (kind === "wasm") {
      for (;;) {
        const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536 });
        new Uint8Array(memory.buffer).fill(1);
        hoard.push(memory);
      }
    }
    if (kind === "strings") { for (let s = "x";; s += s) hoard.push(s + "!"); }
    for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
  });
  return 0;
}
