/**
 * Hostile test plugin for what its callbacks are called with as `this`:
 * each kind of callback it registers (execution ones streamed, conditional
 * and synchronous, at block and instruction level; memory ones streamed and
 * synchronous; translation, system call and its return, discontinuity,
 * vCPU init and exit, atexit) is a `function` that looks at its receiver, which
 * must be undefined. Called as a method of one of the runtime's objects (a
 * memory slot, a block's array of callbacks), a callback would reach the
 * runtime's state through `this`. At exit it prints the kinds that ran and
 * the kinds that got a receiver.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  QEMU_PLUGIN_COND_EQ,
  QEMU_PLUGIN_DISCON_ALL,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_discon_cb,
  qemu_plugin_register_vcpu_exit_cb,
  qemu_plugin_register_vcpu_init_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_insn_exec_cond_cb,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_cond_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  const ran = new Set<string>(), received = new Set<string>();
  const seen = (kind: string, receiver: unknown) => {
    ran.add(kind);
    if (receiver !== undefined) received.add(`${kind} (${typeof receiver})`);
  };
  /** A callback of kind `kind`: a `function`, not an arrow, so that its `this` is whatever plume called it with. */
  const callback = (kind: string) =>
    function (this: unknown) {
      seen(kind, this);
    };
  const zero = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  const streamedBlock = callback("streamed block"), synchronous = callback("synchronous block");
  const blockConditional = callback("block conditional"), streamedInsn = callback("streamed instruction");
  const conditional = callback("conditional"), synchronousInsn = callback("synchronous instruction");
  const synchronousConditional = callback("synchronous conditional");
  const streamedMem = callback("streamed memory"), synchronousMem = callback("synchronous memory");
  qemu_plugin_register_vcpu_tb_trans_cb(id, function (this: unknown, _id, tb) {
    seen("translation", this);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, streamedBlock, QEMU_PLUGIN_CB_NO_REGS, null);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, synchronous, QEMU_PLUGIN_CB_R_REGS, null);
    qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, blockConditional, 0, QEMU_PLUGIN_COND_EQ, zero, 0n, null);
    for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      qemu_plugin_register_vcpu_insn_exec_cb(insn, streamedInsn, QEMU_PLUGIN_CB_NO_REGS, null);
      // The scoreboard's entry stays 0: the condition always holds.
      qemu_plugin_register_vcpu_insn_exec_cond_cb(insn, conditional, 0, QEMU_PLUGIN_COND_EQ, zero, 0n, null);
      qemu_plugin_register_vcpu_insn_exec_cb(insn, synchronousInsn, QEMU_PLUGIN_CB_R_REGS, null);
      qemu_plugin_register_vcpu_insn_exec_cond_cb(
        insn,
        synchronousConditional,
        QEMU_PLUGIN_CB_R_REGS,
        QEMU_PLUGIN_COND_EQ,
        zero,
        0n,
        null,
      );
      qemu_plugin_register_vcpu_mem_cb(insn, streamedMem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, null);
      qemu_plugin_register_vcpu_mem_cb(insn, synchronousMem, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_MEM_RW, null);
    }
  });
  qemu_plugin_register_vcpu_syscall_cb(id, callback("syscall"));
  qemu_plugin_register_vcpu_syscall_ret_cb(id, callback("syscall return"));
  qemu_plugin_register_vcpu_init_cb(id, callback("vcpu init"));
  qemu_plugin_register_vcpu_exit_cb(id, callback("vcpu exit"));
  qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_ALL, callback("discontinuity"));
  qemu_plugin_register_atexit_cb(id, function (this: unknown) {
    seen("atexit", this);
    qemu_plugin_outs(`ran: ${[...ran].sort().join(", ")}\nreceived: ${[...received].sort().join(", ") || "none"}\n`);
  }, null);
  return 0;
}
