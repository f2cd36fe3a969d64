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

  const report = (vcpu: number): string => {
    const entry = qemu_plugin_scoreboard_find(counts, vcpu);
    const bbs = entry.getBigUint64(0, true), insns = entry.getBigUint64(8, true);
    return bbs ? `CPU${vcpu}: bb's: ${bbs}, insns: ${insns}\n` : "";
  };

  // The callback counts in the scoreboard entry of its vCPU, as QEMU's does.
  function onBlock(vcpu: number, nInsns: unknown): void {
    const entry = qemu_plugin_scoreboard_find(counts, vcpu);
    entry.setBigUint64(0, entry.getBigUint64(0, true) + 1n, true);
    entry.setBigUint64(8, entry.getBigUint64(8, true) + BigInt(nInsns as number), true);
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
    out += `Total: bb's: ${qemu_plugin_u64_sum(bbCount)}, insns: ${qemu_plugin_u64_sum(insnCount)}\n`;
    qemu_plugin_outs(out);
    qemu_plugin_scoreboard_free(counts);
  }, null);
  return 0;
}
