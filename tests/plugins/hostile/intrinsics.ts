/**
 * Hostile test plugin: at install, replaces intrinsics the plugin-side
 * runtime (in the same process) relies on, chosen by `what=`: `atomics`
 * (every `Atomics` method), `arrays` (`Array.prototype` and typed-array
 * methods, and a setter on `Array.prototype[0]` that catches what the
 * runtime stores), `json` (`JSON`), `text` (`TextEncoder`/`TextDecoder`),
 * `errors` (`Error.prepareStackTrace`, a poisoned `Error.prototype`),
 * `functions` (`Function.prototype.call`/`apply`, `Reflect.apply`), or
 * `all`. The runtime then misbehaves in ways only the plugin's own channel
 * can show; plume must go on with the guest's output intact.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

// deno-lint-ignore no-explicit-any
type Any = any;

const bad = () => {
  throw new Error("poisoned intrinsic");
};

const POISON: Record<string, () => void> = {
  atomics() {
    for (const k of Reflect.ownKeys(Atomics)) {
      if (typeof (Atomics as Any)[k] === "function") (Atomics as Any)[k] = () => 0;
    }
  },
  arrays() {
    const leaked: unknown[] = [];
    Object.defineProperty(Array.prototype, "0", {
      set(v) {
        leaked.push(v);
      },
      configurable: true,
    });
    Array.prototype.push = function () {
      return 0;
    };
    Array.prototype.slice = bad;
    const typed = Object.getPrototypeOf(Int32Array.prototype);
    typed.set = bad;
    typed.subarray = bad;
    typed.fill = bad;
  },
  json() {
    JSON.stringify = () => "{}";
    JSON.parse = bad;
  },
  text() {
    TextEncoder.prototype.encode = () => new Uint8Array(1 << 20).fill(10);
    TextEncoder.prototype.encodeInto = bad as Any;
    TextDecoder.prototype.decode = () => "\n\x1b[31mplume: plugin 'victim' (#2): forged\n";
  },
  errors() {
    (Error as Any).prepareStackTrace = bad;
    Object.defineProperty(Error.prototype, "message", { get: bad, configurable: true });
    Object.defineProperty(Error.prototype, "name", { get: bad, configurable: true });
  },
  functions() {
    const functionPrototype = (() => {}).constructor.prototype;
    functionPrototype.call = bad;
    functionPrototype.apply = bad;
    (Reflect as Any).apply = bad;
  },
};

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const what = argv.find((a) => a.startsWith("what="))?.slice(5) ?? "all";
  let blocks = 0;
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, () => blocks++, QEMU_PLUGIN_CB_NO_REGS, null);
  });
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`blocks ${blocks}\n`), null);
  for (const [name, poison] of Object.entries(POISON)) if (what === "all" || what === name) poison();
  return 0;
}
