/**
 * mem: counts memory accesses, with the options and output of QEMU's
 * `tests/tcg/plugins/mem.c`: `inline=on` or `callback=on` counting,
 * `track=r|w|rw`, and `print-accesses=on` for a CSV line per access (the
 * physical address is the virtual one in user mode). As in QEMU, nothing
 * is counted unless `inline` or `callback` is on. (`haddr` and
 * `region-summary` serve QEMU's system-mode tests and are not provided.)
 *
 * @module
 */

import {
  type Insn,
  type MemInfo,
  type PluginId,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_insn_symbol,
  qemu_plugin_insn_vaddr,
  qemu_plugin_mem_get_value,
  qemu_plugin_mem_is_store,
  QEMU_PLUGIN_MEM_R,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_mem_size_shift,
  QEMU_PLUGIN_MEM_VALUE_U128,
  QEMU_PLUGIN_MEM_VALUE_U16,
  QEMU_PLUGIN_MEM_VALUE_U32,
  QEMU_PLUGIN_MEM_VALUE_U8,
  QEMU_PLUGIN_MEM_W,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_mem_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_free,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_sum,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

function hex(v: bigint | number, digits: number): string {
  return "0x" + v.toString(16).padStart(digits, "0");
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let inline = false, callback = false, print = false, rw = QEMU_PLUGIN_MEM_RW;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    const bool = () => {
      const b = qemu_plugin_bool_parse(key, value);
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      return b;
    };
    if (key === "track") {
      const track = { r: QEMU_PLUGIN_MEM_R, w: QEMU_PLUGIN_MEM_W, rw: QEMU_PLUGIN_MEM_RW }[value];
      if (track === undefined) throw new Error(`invalid value for argument track: ${opt}`);
      rw = track;
    } else if (key === "inline") inline = bool();
    else if (key === "callback") callback = bool();
    else if (key === "print-accesses") print = bool();
    else throw new Error(`option parsing failed: ${opt}`);
  }
  if (inline && callback) throw new Error("can't enable inline and callback counting at the same time");
  if (print) qemu_plugin_outs("insn_vaddr,insn_symbol,mem_vaddr,mem_hwaddr,access_size,access_type,mem_value\n");

  const count = qemu_plugin_scoreboard_u64(qemu_plugin_scoreboard_new(8));
  // Callback counting in one number, as QEMU 7.2's mem.c counts its callbacks in one global (the output is newer
  // QEMU's): exact up to 2^53 accesses (104 days at a billion a second). Per-vCPU 32-bit halves, with a check for a
  // new vCPU at each call, cost the replay 2–3 ns of its 12 ns a record (sha256 of 20 MB: 139 M records).
  let calls = 0;
  const onAccess = () => {
    calls++;
  };
  const total = () => qemu_plugin_u64_sum(count) + BigInt(calls);

  function printAccess(_vcpu: number, info: MemInfo, vaddr: number, where: unknown): void {
    const insn = where as { vaddr: number; sym: string };
    const value = qemu_plugin_mem_get_value(info);
    const size = 8 << qemu_plugin_mem_size_shift(info);
    const type = qemu_plugin_mem_is_store(info) ? "store" : "load";
    let text: string;
    switch (value.type) {
      case QEMU_PLUGIN_MEM_VALUE_U8:
        text = hex(value.data.u8, 2);
        break;
      case QEMU_PLUGIN_MEM_VALUE_U16:
        text = hex(value.data.u16, 4);
        break;
      case QEMU_PLUGIN_MEM_VALUE_U32:
        text = hex(value.data.u32, 8);
        break;
      case QEMU_PLUGIN_MEM_VALUE_U128:
        text = hex(value.data.u128.high, 16) + value.data.u128.low.toString(16).padStart(16, "0");
        break;
      default:
        text = hex(value.data.u64, 16);
    }
    qemu_plugin_outs(
      `${hex(insn.vaddr, 0)},${insn.sym},${hex(vaddr, 0)},${hex(vaddr, 0)},${size},${type},${text}\n`,
    );
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    for (let i = 0; i < n; i++) {
      const insn: Insn = qemu_plugin_tb_get_insn(tb, i);
      if (inline) qemu_plugin_register_vcpu_mem_inline_per_vcpu(insn, rw, QEMU_PLUGIN_INLINE_ADD_U64, count, 1);
      if (callback) qemu_plugin_register_vcpu_mem_cb(insn, onAccess, QEMU_PLUGIN_CB_NO_REGS, rw, null);
      if (print) {
        const where = { vaddr: qemu_plugin_insn_vaddr(insn), sym: qemu_plugin_insn_symbol(insn) ?? "" };
        qemu_plugin_register_vcpu_mem_cb(insn, printAccess, QEMU_PLUGIN_CB_NO_REGS, rw, where);
      }
    }
  });
  qemu_plugin_register_atexit_cb(id, () => {
    if (inline || callback) qemu_plugin_outs(`mem accesses: ${total()}\n`);
    qemu_plugin_scoreboard_free(count.score);
  }, null);
  return 0;
}
