/**
 * Hostile test plugin: asks for a reset without `qemu_plugin_reset`, by
 * writing the reset bit into its control block's attention word itself
 * (reached through a replaced `Atomics.store`, as the runtime's answer to
 * a call goes through it), while it answers plume's first vCPU call and
 * each reset's completion. Each request was then a completion's, which
 * the rule against reset loops does not count: every translation was
 * flushed at every completion, no block ran instrumented (another
 * plugin's `bb` counted 0 blocks) and `busybox echo hi` ran for more than
 * ten minutes. plume drops a reset asked for while a reset completes.
 *
 * The numbers are the channel's layout (`core/plugin/channel.ts`: the
 * control block's size, `CTL.STATE`, `CTL.OP`, `CTL.ATTENTION`,
 * `STATE.DONE`, `OP.VCPU_INIT`, `OP.COMPLETE`, `ATTN.RESET`), which a plugin
 * cannot import: it counts the requests it forged, and says how many at
 * exit, so that a test sees it did.
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

const CTL_BYTES = 1 << 20, STATE = 0, ATTENTION = 4, OP = 7, DONE = 4, VCPU_INIT = 5, COMPLETE = 12, RESET = 2;
const atomics = Atomics as unknown as Record<string, (a: Int32Array, i: number, v: number) => number>;
const store = atomics.store, or = atomics.or;
let forged = 0;

atomics.store = (a: Int32Array, i: number, v: number) => {
  const answer = a instanceof Int32Array && a.buffer.byteLength === CTL_BYTES && i === STATE && v === DONE;
  if (answer && (a[OP] === VCPU_INIT || a[OP] === COMPLETE)) forged++, or.call(Atomics, a, ATTENTION, RESET);
  return store.call(Atomics, a, i, v);
};

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  qemu_plugin_register_vcpu_tb_trans_cb(id, () => {});
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`forged resets: ${forged}\n`), null);
  return 0;
}
