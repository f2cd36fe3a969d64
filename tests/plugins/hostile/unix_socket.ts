/**
 * Hostile test plugin: tries to talk through unix sockets at install and
 * prints each outcome (`-d plugin`).
 *
 * - `ask=PATH`: asks plume for the socket at PATH (`plume_unix_socket`),
 *   and when it gets one, writes `hello from the plugin\n` through it;
 * - `deno=PATH`: reaches `Deno` through the global object (the bundler
 *   refuses the name; it is there when a grant such as `read=PATH` brought
 *   it back), connects to PATH with `Deno.connect` (asynchronous: the peer
 *   tells whether it got through) and listens at `PATH.listen` with
 *   `Deno.listen`.
 *
 * @module
 */

import { type PluginId, plume_unix_socket, qemu_plugin_outs, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

// deno-lint-ignore no-explicit-any
type Any = any;

const errorName = (err: unknown) => err instanceof Error ? `${err.name}: ${err.message}` : String(err);

export function qemu_plugin_install(_id: PluginId, _info: QemuInfo, argv: string[]): number {
  for (const arg of argv) {
    const eq = arg.indexOf("="), key = arg.slice(0, eq), path = arg.slice(eq + 1);
    if (key === "ask") {
      try {
        const sock = plume_unix_socket(path);
        if (typeof sock === "string") qemu_plugin_outs(`ask ${path}: ${sock}\n`);
        else {
          const wrote = sock.write(new TextEncoder().encode("hello from the plugin\n"));
          qemu_plugin_outs(`ask ${path}: ${sock.how}, wrote ${wrote}\n`);
        }
      } catch (err) {
        qemu_plugin_outs(`ask ${path}: refused (${errorName(err)})\n`);
      }
    }
    if (key === "deno") {
      const deno = ([] as Any).constructor.constructor("return this")().Deno;
      try {
        // Never awaited (the plugin's thread never returns to an event loop): the peer tells.
        deno.connect({ transport: "unix", path }).catch(() => {});
        qemu_plugin_outs(`Deno.connect ${path}: started\n`);
      } catch (err) {
        qemu_plugin_outs(`Deno.connect ${path}: refused (${errorName(err)})\n`);
      }
      try {
        deno.listen({ transport: "unix", path: `${path}.listen` });
        qemu_plugin_outs(`Deno.listen ${path}.listen: LISTENING\n`);
      } catch (err) {
        qemu_plugin_outs(`Deno.listen ${path}.listen: refused (${errorName(err)})\n`);
      }
    }
  }
  return 0;
}
