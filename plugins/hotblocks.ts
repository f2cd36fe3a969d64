/**
 * hotblocks: the most executed translation blocks, with the output of
 * QEMU's `contrib/plugins/hotblocks.c` (blocks are told apart by start
 * address and length; `tcount` is how often the block was translated).
 * Streamed callbacks by default, inline counting with `inline=on`;
 * `limit=N` (plume's addition) sets how many are listed (20).
 *
 * @module
 */

import {
  type PluginId,
  type PluginU64,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_free,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  qemu_plugin_u64_sum,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

interface ExecCount {
  start: number;
  insns: number;
  trans: number;
  /** Executions counted by callbacks. */
  execs: number;
  /** Executions counted inline. */
  inline: PluginU64 | undefined;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let inline = false, limit = 20;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    if (key === "inline") {
      const b = qemu_plugin_bool_parse(key, value);
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      inline = b;
    } else if (key === "limit" && /^\d+$/.test(value)) limit = Number(value);
    else throw new Error(`option parsing failed: ${opt}`);
  }
  const blocks = new Map<string, ExecCount>();
  const onExec = (_vcpu: number, cnt: unknown) => (cnt as ExecCount).execs++;
  const execs = (c: ExecCount) => BigInt(c.execs) + (c.inline ? qemu_plugin_u64_sum(c.inline) : 0n);

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const pc = qemu_plugin_tb_vaddr(tb), insns = qemu_plugin_tb_n_insns(tb);
    const key = `${pc}:${insns}`;
    let cnt = blocks.get(key);
    if (cnt) cnt.trans++;
    else {
      cnt = { start: pc, insns, trans: 1, execs: 0, inline: undefined };
      if (inline) cnt.inline = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
      blocks.set(key, cnt);
    }
    if (inline) qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, cnt.inline!, 1);
    else qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, cnt);
  });

  qemu_plugin_register_atexit_cb(id, () => {
    let report = `collected ${blocks.size} entries in the hash table\n`;
    const sorted = [...blocks.values()].map((c) => ({ c, n: execs(c) })).sort((a, b) => (b.n > a.n ? 1 : -1));
    if (sorted.length > 0) {
      report += "pc, tcount, icount, ecount\n";
      // As QEMU's walk of its sorted list, the last entry is never printed.
      for (let i = 0; i < limit && i < sorted.length - 1; i++) {
        const { c, n } = sorted[i];
        report += `0x${c.start.toString(16).padStart(16, "0")}, ${c.trans}, ${c.insns}, ${n}\n`;
      }
    }
    qemu_plugin_outs(report);
    for (const c of blocks.values()) if (c.inline) qemu_plugin_scoreboard_free(c.inline.score);
  }, null);
  return 0;
}
