/**
 * Test plugin for the vector registers: it lists which registers the API
 * names (count, and the vector ones with their features), and on each
 * `ecall` whose a7 is `tgkill` (131) reads v8, v9, vl, vtype, vstart,
 * vcsr and vlenb in an `R_REGS` callback and prints them in hex; with
 * `write=on` (an `RW_REGS` callback) it then writes v9 = 0x00, 0x11, …,
 * 0xff, which the guest finds after the system call.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_R_REGS,
  QEMU_PLUGIN_CB_RW_REGS,
  qemu_plugin_get_registers,
  qemu_plugin_insn_disas,
  qemu_plugin_insn_size,
  qemu_plugin_outs,
  qemu_plugin_read_register,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_write_register,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const write = argv.includes("write=on");
  const all = qemu_plugin_get_registers();
  const vector = all.filter((r) => r.feature.endsWith(".vector") || r.feature.endsWith(".csr"));
  qemu_plugin_outs(`registers ${all.length}\n`);
  if (vector.length > 0) {
    qemu_plugin_outs(`${vector.map((r) => `${r.name}:${r.feature.replace("org.gnu.gdb.riscv.", "")}`).join(" ")}\n`);
  }
  const regs = Object.fromEntries(all.map((r) => [r.name, r.handle]));
  const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
  const onEcall = () => {
    if (u64(qemu_plugin_read_register(regs.a7)) !== 131n || !regs.v8) return;
    const show = ["v8", "v9", "vl", "vtype", "vstart", "vcsr", "vlenb"].map((n) => {
      const b = qemu_plugin_read_register(regs[n]);
      return `${n}=${b.length === 8 ? `0x${u64(b).toString(16)}` : hex(b)}/${b.length}`;
    });
    qemu_plugin_outs(`tgkill ${show.join(" ")}\n`);
    if (write) {
      const b = Uint8Array.from({ length: 16 }, (_, i) => 0x11 * i);
      qemu_plugin_outs(`wrote ${qemu_plugin_write_register(regs.v9, b)} bytes to v9\n`);
    }
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      if (qemu_plugin_insn_disas(insn) === "ecall" && qemu_plugin_insn_size(insn) === 4) {
        qemu_plugin_register_vcpu_insn_exec_cb(
          insn,
          onEcall,
          write ? QEMU_PLUGIN_CB_RW_REGS : QEMU_PLUGIN_CB_R_REGS,
          null,
        );
      }
    }
  });
  return 0;
}
