/**
 * Test plugin that checks plume's execution paths against each other, per
 * vCPU: block, instruction and memory counts taken by streamed callbacks
 * must equal the same counts taken inline, and conditional callbacks must
 * fire exactly as often as their test on the inline counter says. At exit
 * it prints one line per vCPU and `crosscheck ok` or the first mismatch.
 *
 * Conditions are tested on a per-vCPU block counter that an inline add
 * registered before them raises first, so after `n` executions they saw the
 * values 1…n: `EQ k` fires once when n ≥ k, `LT k` min(n, k-1) times, `LE k`
 * min(n, k), `GT k` and `GE k` the rest, `NE 0` and `ALWAYS` n times,
 * `NEVER` not at all.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_COND_ALWAYS,
  QEMU_PLUGIN_COND_EQ,
  QEMU_PLUGIN_COND_GE,
  QEMU_PLUGIN_COND_GT,
  QEMU_PLUGIN_COND_LE,
  QEMU_PLUGIN_COND_LT,
  QEMU_PLUGIN_COND_NE,
  QEMU_PLUGIN_COND_NEVER,
  QEMU_PLUGIN_INLINE_ADD_U64,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_num_vcpus,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_insn_exec_cond_cb,
  qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_mem_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_cond_cb,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64_in_struct,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_get,
  type QemuInfo,
} from "qemu-plugin";

export const qemu_plugin_version = 7;

/** Threshold of the value conditions. */
const K = 100n;

const CONDITIONS = [
  ["EQ", QEMU_PLUGIN_COND_EQ, K, (n: bigint) => n >= K ? 1n : 0n],
  ["NE", QEMU_PLUGIN_COND_NE, 0n, (n: bigint) => n],
  ["LT", QEMU_PLUGIN_COND_LT, K, (n: bigint) => n < K - 1n ? n : K - 1n],
  ["LE", QEMU_PLUGIN_COND_LE, K, (n: bigint) => n < K ? n : K],
  ["GT", QEMU_PLUGIN_COND_GT, K, (n: bigint) => n > K ? n - K : 0n],
  ["GE", QEMU_PLUGIN_COND_GE, K, (n: bigint) => n >= K ? n - K + 1n : 0n],
  ["ALWAYS", QEMU_PLUGIN_COND_ALWAYS, 0n, (n: bigint) => n],
  ["NEVER", QEMU_PLUGIN_COND_NEVER, 0n, (_n: bigint) => 0n],
] as const;

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, _argv: string[]): number {
  // Inline counters, one struct per vCPU: blocks, instructions, accesses,
  // and the block and instruction counters the conditions test.
  const board = qemu_plugin_scoreboard_new(40);
  const [tbInline, insnInline, memInline, tbTracked, insnTracked] = [0, 8, 16, 24, 32].map((o) =>
    qemu_plugin_scoreboard_u64_in_struct(board, o)
  );
  // Callback counts, by vCPU.
  const perVcpu = () => [] as bigint[];
  const tbCb = perVcpu(), insnCb = perVcpu(), memCb = perVcpu();
  const tbFired = CONDITIONS.map(perVcpu), insnFired = CONDITIONS.map(perVcpu);
  const bump = (counts: bigint[], vcpu: number) => counts[vcpu] = (counts[vcpu] ?? 0n) + 1n;
  const onTb = CONDITIONS.map((_, c) => (vcpu: number) => bump(tbFired[c], vcpu));
  const onInsn = CONDITIONS.map((_, c) => (vcpu: number) => bump(insnFired[c], vcpu));

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id, tb) => {
    qemu_plugin_register_vcpu_tb_exec_cb(tb, (vcpu) => bump(tbCb, vcpu), QEMU_PLUGIN_CB_NO_REGS, null);
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, tbInline, 1);
    qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, tbTracked, 1);
    CONDITIONS.forEach(([, cond, imm], c) =>
      qemu_plugin_register_vcpu_tb_exec_cond_cb(tb, onTb[c], QEMU_PLUGIN_CB_NO_REGS, cond, tbTracked, imm, null)
    );
    for (let i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      qemu_plugin_register_vcpu_insn_exec_cb(insn, (vcpu) => bump(insnCb, vcpu), QEMU_PLUGIN_CB_NO_REGS, null);
      qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, insnInline, 1);
      qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, insnTracked, 1);
      CONDITIONS.forEach(([, cond, imm], c) =>
        qemu_plugin_register_vcpu_insn_exec_cond_cb(
          insn,
          onInsn[c],
          QEMU_PLUGIN_CB_NO_REGS,
          cond,
          insnTracked,
          imm,
          null,
        )
      );
      qemu_plugin_register_vcpu_mem_cb(
        insn,
        (vcpu) => bump(memCb, vcpu),
        QEMU_PLUGIN_CB_NO_REGS,
        QEMU_PLUGIN_MEM_RW,
        null,
      );
      qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, QEMU_PLUGIN_MEM_RW, QEMU_PLUGIN_INLINE_ADD_U64, memInline, 1);
    }
  });

  qemu_plugin_register_atexit_cb(id, () => {
    const problems: string[] = [];
    const expect = (what: string, got: bigint, want: bigint) => {
      if (got !== want) problems.push(`${what}: ${got}, expected ${want}`);
    };
    for (let v = 0; v < qemu_plugin_num_vcpus(); v++) {
      const tbs = qemu_plugin_u64_get(tbInline, v), insns = qemu_plugin_u64_get(insnInline, v);
      const mems = qemu_plugin_u64_get(memInline, v);
      qemu_plugin_outs(`vcpu ${v}: blocks ${tbs} insns ${insns} accesses ${mems}\n`);
      expect(`vcpu ${v} block callbacks`, tbCb[v] ?? 0n, tbs);
      expect(`vcpu ${v} instruction callbacks`, insnCb[v] ?? 0n, insns);
      expect(`vcpu ${v} memory callbacks`, memCb[v] ?? 0n, mems);
      expect(`vcpu ${v} tracked blocks`, qemu_plugin_u64_get(tbTracked, v), tbs);
      expect(`vcpu ${v} tracked instructions`, qemu_plugin_u64_get(insnTracked, v), insns);
      CONDITIONS.forEach(([name, , , fires], c) => {
        expect(`vcpu ${v} block condition ${name}`, tbFired[c][v] ?? 0n, fires(tbs));
        expect(`vcpu ${v} instruction condition ${name}`, insnFired[c][v] ?? 0n, fires(insns));
      });
    }
    qemu_plugin_outs(problems.length === 0 ? "crosscheck ok\n" : `crosscheck FAILED\n${problems.join("\n")}\n`);
  }, null);
  return 0;
}
