/**
 * Hostile test plugin for the signal `qemu_plugin_set_pc` throws, which a
 * plugin can catch (run with `-plugin-allow guest=write`: the call needs
 * it). In an `RW_REGS` callback of the first block after 1,000 it calls
 * `qemu_plugin_set_pc` to where it is anyway, catches the signal and tries
 * to make the runtime take other things for one: its class's
 * `Symbol.hasInstance` redefined, its pc changed, then an object of its own
 * with the signal's prototype thrown. It prints what it managed
 * (`tampered: …`) before throwing the forgery: the runtime must take it for
 * an exception (the plugin unloaded, the guest intact), not a pc change.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_RW_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_set_pc,
  qemu_plugin_tb_vaddr,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  let blocks = 0;
  const onBlock = (_vcpu: number, vaddr: unknown) => {
    if (++blocks !== 1000) return;
    let signal: { pc: number } | undefined;
    try {
      qemu_plugin_set_pc(vaddr as number);
    } catch (caught) {
      signal = caught as { pc: number };
    }
    const tampered: string[] = [];
    try {
      Object.defineProperty(signal!.constructor, Symbol.hasInstance, { value: () => true });
      tampered.push("hasInstance");
    } catch { /* frozen: refused */ }
    try {
      signal!.pc = 0;
      tampered.push("pc");
    } catch { /* frozen: refused */ }
    qemu_plugin_outs(`tampered: ${tampered.join(", ") || "nothing"}\n`);
    // A copy of a signal the runtime never made: to the emulator it would be a jump to 0, skipping every check
    // qemu_plugin_set_pc makes.
    throw Object.create(Object.getPrototypeOf(signal), { pc: { value: 0 } });
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_RW_REGS, qemu_plugin_tb_vaddr(tb));
  });
  return 0;
}
