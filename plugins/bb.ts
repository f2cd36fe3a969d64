/**
 * bb: counts executed translation blocks and instructions per vCPU, with
 * the options and output of QEMU's `tests/tcg/plugins/bb.c`: a streamed
 * callback per block by default, inline counting with `inline=on`.
 *
 * @module
 */

import {
  type PluginId,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_num_vcpus,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_idle_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_find,
  qemu_plugin_scoreboard_free,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64_in_struct,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_sum,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let inline = false, idle = false;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    const b = qemu_plugin_bool_parse(key, value);
    if (key !== "inline" && key !== "idle") throw new Error(`option parsing failed: ${opt}`);
    if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
    if (key === "inline") inline = b;
    else idle = b;
  }
  // Per vCPU: block count at offset 0, instruction count at offset 8.
  const counts = qemu_plugin_scoreboard_new(16);
  const bbCount = qemu_plugin_scoreboard_u64_in_struct(counts, 0);
  const insnCount = qemu_plugin_scoreboard_u64_in_struct(counts, 8);

  // The callback counts per vCPU in numbers (exact up to 2^53, centuries of blocks): a scoreboard entry's DataView
  // and BigInt arithmetic at every block cost the callback 14 times QEMU's time.
  const cbBlocks: number[] = [], cbInsns: number[] = [];
  const blocksOf = (vcpu: number): bigint =>
    inline ? qemu_plugin_scoreboard_find(counts, vcpu).getBigUint64(0, true) : BigInt(cbBlocks[vcpu] ?? 0);
  const insnsOf = (vcpu: number): bigint =>
    inline ? qemu_plugin_scoreboard_find(counts, vcpu).getBigUint64(8, true) : BigInt(cbInsns[vcpu] ?? 0);

  const report = (vcpu: number): string => {
    const bbs = blocksOf(vcpu), insns = insnsOf(vcpu);
    return bbs ? `CPU${vcpu}: bb's: ${bbs}, insns: ${insns}\n` : "";
  };

  function onBlock(vcpu: number, nInsns: unknown): void {
    cbBlocks[vcpu] = (cbBlocks[vcpu] ?? 0) + 1;
    cbInsns[vcpu] = (cbInsns[vcpu] ?? 0) + (nInsns as number);
  }

  if (idle) {
    qemu_plugin_register_vcpu_idle_cb(id, (_id: PluginId, vcpu: number) => {
      const text = report(vcpu);
      if (text) qemu_plugin_outs(`Idling ${text}`);
    });
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    if (inline) {
      qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, bbCount, 1);
      qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, insnCount, n);
    } else {
      qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_NO_REGS, n);
    }
  });
  qemu_plugin_register_atexit_cb(id, () => {
    let out = "";
    for (let v = 0; v < qemu_plugin_num_vcpus(); v++) out += report(v);
    const total = (of: (vcpu: number) => bigint, entry: typeof bbCount) => {
      if (inline) return qemu_plugin_u64_sum(entry);
      let sum = 0n;
      for (let v = 0; v < qemu_plugin_num_vcpus(); v++) sum += of(v);
      return sum;
    };
    out += `Total: bb's: ${total(blocksOf, bbCount)}, insns: ${total(insnsOf, insnCount)}\n`;
    qemu_plugin_outs(out);
    qemu_plugin_scoreboard_free(counts);
  }, null);
  return 0;
}
