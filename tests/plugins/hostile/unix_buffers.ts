/**
 * Hostile test plugin: hands a granted unix socket (`path=PATH`) buffers
 * that would make the kernel read or write past them if the socket
 * trusted them, and prints each outcome (`-d plugin`):
 *
 * 1. 1 MiB of `0x5a` from a `Uint8Array` whose species constructor (what
 *    `subarray` builds its result with) returns a 16-byte array: the peer
 *    must get the 1 MiB of `0x5a`, not 1 MiB of the heap after 16 bytes;
 * 2. a read into a `Float64Array` view (element offsets are not byte
 *    offsets) and a write from a `Uint8Array` over a `SharedArrayBuffer`:
 *    refused with -22 (EINVAL);
 * 3. `CLOSE ME\n`, after which the peer closes: a read returns 0 and the
 *    next write the kernel's -32 (EPIPE), read from errno in a process
 *    without permissions;
 * 4. the same socket asked for by another spelling of its path
 *    (`alias=PATH`).
 *
 * @module
 */

import { type PluginId, plume_unix_socket, qemu_plugin_outs, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

// deno-lint-ignore no-explicit-any
type Any = any;

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, argv: string[]): number {
  const arg = (key: string) => argv.find((a) => a.startsWith(`${key}=`))?.slice(key.length + 1);
  const sock = plume_unix_socket(arg("path")!);
  if (typeof sock === "string") throw new Error(sock);
  const big = new Uint8Array(1 << 20).fill(0x5a), tiny = new Uint8Array(new ArrayBuffer(16));
  (big as Any).constructor = {
    [Symbol.species]: function () {
      return tiny;
    },
  };
  qemu_plugin_outs(`species: wrote ${sock.write(big)}\n`);
  const doubles = new Float64Array(new ArrayBuffer(32), 0, 2);
  qemu_plugin_outs(`Float64Array: read ${sock.read(doubles as Any)}\n`);
  qemu_plugin_outs(`SharedArrayBuffer: wrote ${sock.write(new Uint8Array(new SharedArrayBuffer(8)))}\n`);
  qemu_plugin_outs(`close request: wrote ${sock.write(new TextEncoder().encode("CLOSE ME\n"))}\n`);
  qemu_plugin_outs(`after the peer closed: read ${sock.read(new Uint8Array(1))}\n`);
  // The peer's end may go away a moment after its EOF: written on until the kernel says it has.
  let wrote = 0;
  for (let i = 0; i < 1e6 && wrote >= 0; i++) wrote = sock.write(new Uint8Array(1));
  qemu_plugin_outs(`after the peer closed: wrote ${wrote}\n`);
  const alias = plume_unix_socket(arg("alias")!);
  qemu_plugin_outs(`alias: ${alias === sock ? "the same socket" : String(alias)}\n`);
  return 0;
}
