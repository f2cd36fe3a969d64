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
  // Each kind of callback as a `function` of its own, so that `this` is whatever plume called it with.
  const seen = (kind: string, receiver: unknown) => {
    ran.add(kind);
    if (receiver !== undefined) received.add(`${kind} (${typeof receiver})`);
  };
  const zero = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  const streamedBlock = function (this: unknown) {
    seen("streamed block", this);
  };
  const streamedInsn = function (this: unknown) {
    seen("streamed instruction", this);
  };
  const conditional = function (this: unknown) {
    seen("conditional", this);
  };
  const synchronous = function (this: unknown) {
    seen("synchronous block", this);
  };
  const streamedMem = function (this: unknown) {
    seen("streamed memory", this);
  };
  const synchronousMem = function (this: unknown) {
    seen("synchronous memory", this);
  };
  const blockConditional = function (this: unknown) {
    seen("block conditional", this);
  };
  const synchronousInsn = function (this: unknown) {
    seen("synchronous instruction", this);
  };
  const synchronousConditional = function (this: unknown) {
    seen("synchronous conditional", this);
  };
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
  qemu_plugin_register_vcpu_syscall_cb(id, function (this: unknown) {
    seen("syscall", this);
  });
  qemu_plugin_register_vcpu_syscall_ret_cb(id, function (this: unknown) {
    seen("syscall return", this);
  });
  qemu_plugin_register_vcpu_init_cb(id, function (this: unknown) {
    seen("vcpu init", this);
  });
  qemu_plugin_register_vcpu_exit_cb(id, function (this: unknown) {
    seen("vcpu exit", this);
  });
  qemu_plugin_register_vcpu_discon_cb(id, QEMU_PLUGIN_DISCON_ALL, function (this: unknown) {
    seen("discontinuity", this);
  });
  qemu_plugin_register_atexit_cb(id, function (this: unknown) {
    seen("atexit", this);
    qemu_plugin_outs(`ran: ${[...ran].sort().join(", ")}\nreceived: ${[...received].sort().join(", ") || "none"}\n`);
  }, null);
  return 0;
}
