/**
 * insn: counts executed instructions per vCPU, with the options and output
 * of QEMU's `tests/tcg/plugins/insn.c`: a callback per instruction by
 * default (streamed, in parallel with the guest), inline counting with
 * `inline=on`, a size histogram with `sizes=on`, and `match=STRING`
 * reports for instructions whose disassembly starts with STRING.
 *
 * @module
 */

import {
  type Insn,
  type PluginId,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_insn_disas,
  qemu_plugin_insn_size,
  qemu_plugin_insn_vaddr,
  qemu_plugin_num_vcpus,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_init_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_find,
  qemu_plugin_scoreboard_free,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_scoreboard_u64_in_struct,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_get,
  qemu_plugin_u64_sum,
  type QemuInfo,
  type Scoreboard,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

interface Match {
  text: string;
  /** Per vCPU: hits, last hit (instruction count), total delta. */
  counts: Scoreboard;
}

interface Record {
  match: Match;
  vaddr: number;
  disas: string;
  hits: number;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let inline = false, sizes = false, trace = false;
  const matches: Match[] = [];
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    const bool = () => {
      const b = qemu_plugin_bool_parse(key, value);
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      return b;
    };
    if (key === "inline") inline = bool();
    else if (key === "sizes") sizes = bool();
    else if (key === "trace") trace = bool();
    else if (key === "match") matches.push({ text: value, counts: qemu_plugin_scoreboard_new(24) });
    else throw new Error(`option parsing failed: ${opt}`);
  }
  // Inline counting targets a scoreboard; the callback counts in this thread's own memory
  // (two 32-bit halves: a float or bigint increment would cost 3x as much a call).
  const count = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  let lo = new Uint32Array(64), hi = new Uint32Array(64);
  const sizeCounts: number[] = [];
  const records = new Map<string, Record>();

  const onInsn = (vcpu: number) => {
    const n = lo[vcpu] + 1;
    lo[vcpu] = n;
    if (n > 0xffffffff) hi[vcpu]++;
  };
  const insns = (vcpu: number) =>
    inline ? qemu_plugin_u64_get(count, vcpu) : (BigInt(hi[vcpu]) << 32n) + BigInt(lo[vcpu]);
  qemu_plugin_register_vcpu_init_cb(id, (_id: PluginId, vcpu: number) => {
    if (vcpu < lo.length) return;
    const grow = (a: Uint32Array) => {
      const b = new Uint32Array(2 * vcpu + 2);
      b.set(a);
      return b;
    };
    lo = grow(lo);
    hi = grow(hi);
  });

  function onMatched(vcpu: number, record: unknown): void {
    const r = record as Record;
    const m = qemu_plugin_scoreboard_find(r.match.counts, vcpu);
    r.hits++;
    const icount = insns(vcpu);
    const delta = icount - m.getBigUint64(8, true);
    const hits = m.getBigUint64(0, true) + 1n, total = m.getBigUint64(16, true) + delta;
    m.setBigUint64(0, hits, true);
    m.setBigUint64(8, icount, true);
    m.setBigUint64(16, total, true);
    if (trace) {
      qemu_plugin_outs(
        `0x${r.vaddr.toString(16)}, '${r.disas}', ${r.hits} hits , cpu ${vcpu}, ${hits} match hits, ` +
          `Δ+${delta} since last match, ${total / hits} avg insns/match\n`,
      );
    }
  }

  function recordFor(insn: Insn, disas: string, m: Match): Record {
    const vaddr = qemu_plugin_insn_vaddr(insn);
    const key = `${vaddr.toString(16)} ${disas}`;
    let r = records.get(key);
    if (!r) {
      r = { match: m, vaddr, disas, hits: 0 };
      records.set(key, r);
      qemu_plugin_outs(`Created record for: ${key}\n`);
    }
    return r;
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    for (let i = 0; i < n; i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      if (inline) qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, count, 1n);
      else qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsn, QEMU_PLUGIN_CB_NO_REGS, null);
      if (sizes) {
        const size = qemu_plugin_insn_size(insn);
        sizeCounts[size] = (sizeCounts[size] ?? 0) + 1;
      }
      if (matches.length > 0) {
        const disas = qemu_plugin_insn_disas(insn);
        for (const m of matches) {
          if (disas.startsWith(m.text)) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, onMatched, QEMU_PLUGIN_CB_NO_REGS, recordFor(insn, disas, m));
          }
        }
      }
    }
  });

  qemu_plugin_register_atexit_cb(id, () => {
    let out = "";
    if (sizes) {
      sizeCounts.forEach((n, len) => n && (out += `len ${len} bytes: ${n} insns\n`));
    } else {
      let total = 0n;
      for (let v = 0; v < qemu_plugin_num_vcpus(); v++) {
        out += `cpu ${v} insns: ${insns(v)}\n`;
        total += insns(v);
      }
      out += `total insns: ${total}\n`;
    }
    qemu_plugin_outs(out);
    qemu_plugin_scoreboard_free(count.score);
    for (const m of matches) {
      const hits = qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64_in_struct(m.counts, 0));
      qemu_plugin_outs(`Match: ${m.text}, hits ${hits}\n`);
      for (const r of records.values()) {
        if (r.match === m) qemu_plugin_outs(`  ${r.vaddr.toString(16)}: ${r.disas} (hits ${r.hits})\n`);
      }
      qemu_plugin_scoreboard_free(m.counts);
    }
  }, null);
  return 0;
}
