/**
 * Test plugin mirroring `tests/plugins/oracle/count.c`: counts executed
 * instructions, blocks, loads and stores, inline or (`mode=cb`) with
 * streamed callbacks, and prints the same four lines at exit.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_mem_is_store,
  QEMU_PLUGIN_MEM_R,
  QEMU_PLUGIN_MEM_RW,
  QEMU_PLUGIN_MEM_W,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_mem_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64_in_struct,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_sum,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const callbacks = argv.includes("mode=cb");
  const board = qemu_plugin_scoreboard_new(32);
  const [insns, blocks, loads, stores] = [0, 8, 16, 24].map((o) => qemu_plugin_scoreboard_u64_in_struct(board, o));
  let cbInsns = 0, cbLoads = 0, cbStores = 0;
  const onInsn = () => cbInsns++;
  const onAccess = (_vcpu: number, info: number) => qemu_plugin_mem_is_store(info) ? cbStores++ : cbLoads++;
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, blocks, 1);
    for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      if (callbacks) {
        qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsn, QEMU_PLUGIN_CB_NO_REGS, null);
        qemu_plugin_register_vcpu_mem_cb(insn, onAccess, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, null);
      } else {
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, insns, 1);
        qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, QEMU_PLUGIN_MEM_R, QEMU_PLUGIN_INLINE_ADD_U64, loads, 1);
        qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_INLINE_ADD_U64, stores, 1);
      }
    }
  });
  qemu_plugin_register_atexit_cb(id, () => {
    const sum = (e: typeof insns, extra: number) => qemu_plugin_u64_sum(e) + BigInt(extra);
    qemu_plugin_outs(
      `insns ${sum(insns, cbInsns)}\nblocks ${sum(blocks, 0)}\nloads ${sum(loads, cbLoads)}\nstores ${
        sum(stores, cbStores)
      }\n`,
    );
  }, null);
  return 0;
}
