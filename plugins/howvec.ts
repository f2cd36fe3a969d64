/**
 * howvec: counts executed instructions by class, with the options and
 * output of QEMU 7.2's `contrib/plugins/howvec.c` ("how vectorised is this
 * code?"). Each instruction is matched against a table of classes (a mask
 * and a pattern over its first 32 bits); a class is counted as a whole,
 * counted per distinct instruction word, or not counted.
 *
 * QEMU 7.2's howvec has class tables for aarch64 and sparc only: for
 * riscv64 it falls back to its default table, a single class
 * "Unclassified" whose instructions are counted individually. This port
 * reproduces that riscv64 output: the class list, then at most 50
 * instruction words, most executed first, each with its disassembly, its
 * count and its word (`op=0x…`), the last of the sorted list never
 * printed (QEMU's quirk), and the list left out when fewer than two
 * distinct words ran.
 *
 * Options, as QEMU's: `inline=on|off` (count with inline operations
 * instead of a callback per instruction), `verbose=on|off` (also list
 * classes counted as a whole that never ran), `count=CLASS` (count class
 * CLASS individually) and `count=!CLASS` (do not count it). The only class
 * for riscv64 is `unclas`.
 *
 * Where the output differs from QEMU's, it is QEMU that cannot be
 * reproduced:
 * - QEMU 7.2 reads four bytes of every instruction, also of a two-byte
 *   compressed one, whose upper half is then whatever stale bytes follow
 *   it in QEMU's buffer: one compressed instruction shows up under several
 *   words that change from run to run. plume uses the two bytes,
 *   zero-extended (QEMU's word when the stale bytes happen to be zero).
 * - QEMU lists instructions with equal counts in the order of its hash
 *   table; plume lists them in the order they were first translated.
 * - The disassembly is `qemu_plugin_insn_disas`'s, which in plume is in
 *   objdump's syntax (`li a0,7`), not in QEMU 7.2's own disassembler's
 *   (`451d   addi   a0,zero,7`).
 *
 * @module
 */

import {
  type Insn,
  type PluginId,
  type PluginU64,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_INLINE_ADD_U64,
  qemu_plugin_insn_data,
  qemu_plugin_insn_disas,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64_in_struct,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_u64_sum,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** How many instructions the report lists at most (QEMU's `limit`, not an option). */
const LIMIT = 50;

/** How a class is counted. */
type CountType = "class" | "individual" | "none";

/** One row of a class table: instructions whose word masked by `mask` equals `pattern`. */
interface InsnClass {
  /** Name printed in the report. */
  name: string;
  /** Name given to `count=`. */
  opt: string;
  mask: number;
  pattern: number;
  what: CountType;
}

/**
 * QEMU 7.2's default table, the one it uses for riscv64: everything is
 * "Unclassified" and counted per instruction word. Rows are tried in
 * order, the most precise first.
 */
const DEFAULT_CLASSES: readonly InsnClass[] = [
  { name: "Unclassified", opt: "unclas", mask: 0x00000000, pattern: 0x00000000, what: "individual" },
];

/** A counter: a callback's count in this thread, plus an inline operation's per-vCPU counts. */
interface Counter {
  count: number;
  inline: PluginU64 | undefined;
}

/** One instruction word counted individually. */
interface InsnRecord extends Counter {
  /** Disassembly of its first translation. */
  disas: string;
  opcode: number;
  cls: InsnClass;
}

/** Inline counters are allocated this many at a time, as the fields of one scoreboard entry. */
const COUNTERS_PER_BOARD = 512;

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  // The table is this instance's own: count= changes how its classes are counted.
  const classes = DEFAULT_CLASSES.map((c) => ({ ...c }));
  let inline = false, verbose = false;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? "" : opt.slice(eq + 1);
    if (key === "inline" || key === "verbose") {
      const b = qemu_plugin_bool_parse(key, value);
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      if (key === "inline") inline = b;
      else verbose = b;
    } else if (key === "count") {
      // As QEMU: a class the table does not have is ignored.
      const none = value.startsWith("!");
      const cls = classes.find((c) => c.opt === (none ? value.slice(1) : value));
      if (cls) cls.what = none ? "none" : "individual";
    } else throw new Error(`option parsing failed: ${opt}`);
  }

  const classCounts = new Map<InsnClass, Counter>(classes.map((c) => [c, newCounter()]));
  const records = new Map<number, InsnRecord>();
  let board: { next: number; score: ReturnType<typeof qemu_plugin_scoreboard_new> } | undefined;

  function newCounter(): Counter {
    return { count: 0, inline: undefined };
  }

  /** An inline counter, from the current scoreboard or a new one. */
  function inlineSlot(): PluginU64 {
    if (!board || board.next === COUNTERS_PER_BOARD) {
      board = { next: 0, score: qemu_plugin_scoreboard_new(8 * COUNTERS_PER_BOARD) };
    }
    return qemu_plugin_scoreboard_u64_in_struct(board.score, 8 * board.next++);
  }

  /** The counter of an instruction: its class's, its word's, or none. */
  function findCounter(insn: Insn): Counter | undefined {
    // The instruction's bytes, zero-extended to 32 bits (two for a compressed instruction).
    const bytes = new Uint8Array(4);
    qemu_plugin_insn_data(insn, bytes, 4);
    const opcode = new DataView(bytes.buffer).getUint32(0, true);
    const cls = classes.find((c) => ((opcode & c.mask) >>> 0) === c.pattern) ?? classes[classes.length - 1];
    switch (cls.what) {
      case "none":
        return undefined;
      case "class":
        return classCounts.get(cls);
      case "individual": {
        let rec = records.get(opcode);
        if (!rec) {
          rec = { ...newCounter(), disas: qemu_plugin_insn_disas(insn), opcode, cls };
          records.set(opcode, rec);
        }
        return rec;
      }
    }
  }

  const onInsn = (_vcpu: number, counter: unknown) => (counter as Counter).count++;
  const total = (c: Counter) => BigInt(c.count) + (c.inline ? qemu_plugin_u64_sum(c.inline) : 0n);

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    for (let i = 0; i < n; i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      const counter = findCounter(insn);
      if (!counter) continue;
      if (inline) {
        counter.inline ??= inlineSlot();
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, counter.inline, 1);
      } else {
        qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsn, QEMU_PLUGIN_CB_NO_REGS, counter);
      }
    }
  });

  qemu_plugin_register_atexit_cb(id, () => {
    let report = "Instruction Classes:\n";
    for (const c of classes) {
      const name = c.name.padEnd(24);
      if (c.what === "class") {
        const hits = total(classCounts.get(c)!);
        if (hits || verbose) report += `Class: ${name}\t(${hits} hits)\n`;
      } else if (c.what === "individual") report += `Class: ${name}\tcounted individually\n`;
      else report += `Class: ${name}\tnot counted\n`;
    }
    if (records.size > 1) {
      report += "Individual Instructions:\n";
      // Most executed first; a stable sort keeps equal counts in the order of first translation.
      const sorted = [...records.values()].map((r) => ({ r, hits: total(r) }))
        .sort((a, b) => (a.hits === b.hits ? 0 : a.hits < b.hits ? 1 : -1));
      // As QEMU's walk of its sorted list, the last entry is never printed.
      for (let i = 0; i < LIMIT && i < sorted.length - 1; i++) {
        const { r, hits } = sorted[i];
        const op = r.opcode.toString(16).padStart(8, "0");
        report += `Instr: ${r.disas.padEnd(24)}\t(${hits} hits)\t(op=0x${op}/${r.cls.name})\n`;
      }
    }
    qemu_plugin_outs(report);
  }, null);
  return 0;
}
