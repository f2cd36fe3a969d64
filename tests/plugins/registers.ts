/**
 * Test plugin for synchronous callbacks: on the `ecall` instructions of
 * the program it reads a7 and a0 (`R_REGS`); with `rewrite=on` it makes
 * the exit status 42 by writing a0 before `exit_group` (`RW_REGS`); with
 * `skip=on` it jumps over... the program's first `ecall` with
 * `qemu_plugin_set_pc`. It also filters `getpid` (returns 4242) and reads
 * the buffer of each `write` from guest memory.
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
  qemu_plugin_insn_vaddr,
  qemu_plugin_outs,
  qemu_plugin_read_memory_vaddr,
  qemu_plugin_read_register,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_syscall_filter_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_set_pc,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_write_register,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const rewrite = argv.includes("rewrite=on"), skip = argv.includes("skip=on"), filter = argv.includes("filter=on");
  const regs = Object.fromEntries(qemu_plugin_get_registers().map((r) => [r.name, r.handle]));
  const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
  let ecalls = 0, skipped = false;
  const onEcall = (_vcpu: number, pc: unknown) => {
    const a7 = u64(qemu_plugin_read_register(regs.a7)), a0 = u64(qemu_plugin_read_register(regs.a0));
    const regPc = u64(qemu_plugin_read_register(regs.pc));
    ecalls++;
    qemu_plugin_outs(`ecall a7=${a7} a0=${a0} pc-ok=${regPc === BigInt(pc as number)}\n`);
    if (rewrite && (a7 === 93n || a7 === 94n)) {
      const b = new Uint8Array(8);
      b[0] = 42;
      qemu_plugin_write_register(regs.a0, b);
    }
    if (skip && !skipped && a7 === 64n) {
      skipped = true;
      qemu_plugin_set_pc((pc as number) + 4);
    }
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      if (qemu_plugin_insn_disas(insn) === "ecall" && qemu_plugin_insn_size(insn) === 4) {
        const flags = rewrite || skip ? QEMU_PLUGIN_CB_RW_REGS : QEMU_PLUGIN_CB_R_REGS;
        qemu_plugin_register_vcpu_insn_exec_cb(insn, onEcall, flags, qemu_plugin_insn_vaddr(insn));
      }
    }
  });
  qemu_plugin_register_vcpu_syscall_cb(id, (_id, _vcpu, num, _a1, a2, a3) => {
    if (num !== 64n) return;
    const bytes = qemu_plugin_read_memory_vaddr(Number(a2), Number(a3));
    qemu_plugin_outs(`write saw ${JSON.stringify(new TextDecoder().decode(bytes ?? new Uint8Array()))}\n`);
  });
  if (filter) qemu_plugin_register_vcpu_syscall_filter_cb(id, (_id, _vcpu, num) => (num === 172n ? 4242n : undefined));
  qemu_plugin_register_atexit_cb(id, () => qemu_plugin_outs(`ecalls ${ecalls}\n`), null);
  return 0;
}
