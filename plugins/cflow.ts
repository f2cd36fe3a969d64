/**
 * cflow: where control flow left the straight line — for each
 * instruction after which execution went elsewhere than the next one,
 * where it went and how often — with the options and output of QEMU's
 * `contrib/plugins/cflow.c` (QEMU 10.0):
 *
 * ```
 * collected 118 control flow nodes in the hash table
 *   addr: 0x10136 main: bnez a5,0x1012c (branch)
 *     branches 999
 *       to 0x1012c (999)
 * ```
 *
 * At each block's start the plugin compares the block's address with the
 * address after the previous block's last instruction; when they differ,
 * the last instruction that ran is a branch point, and the block's address
 * one of its destinations. When that instruction is not the previous
 * block's last (the block stopped early: a fault, a signal), the point
 * also counts an early exit and is reported as a `sync fault`. The first
 * line counts the nodes the plugin made: as in QEMU, one for every
 * instruction address translated (QEMU's test for "last instruction of
 * the block" passes a pointer, always true), not only branch points. The
 * report lists at most 10 nodes that branched, each with its symbol,
 * disassembly, early exits (when any), branches and destinations in the
 * order first taken.
 *
 * Option, as QEMU's: `sort=hottest` (most branches first, the default),
 * `sort=early` (most early exits first) or `sort=exceptions` (most
 * distinct destinations first: QEMU's parser maps this name to its
 * "popular destinations" order). QEMU 10.0 has no other option (no
 * `limit`: the report is always 10 nodes).
 *
 * Where plume differs: the disassembly is plume's, in objdump's syntax
 * (`bnez a5,0x1012c`, where QEMU prints its own), and a missing symbol is
 * QEMU's `(null)`; nodes with equal keys are listed by ascending address,
 * where QEMU leaves them in its hash table's order; QEMU prints a line per
 * early exit to its standard error (`vcpu_tb_branched_exec: pc=…`), which
 * a sandboxed plugin does not have: plume prints it with
 * `qemu_plugin_outs`, in order with the rest. Where plume's blocks end
 * elsewhere than QEMU's, nodes differ with them: QEMU ends a block at
 * every CSR instruction, plume's blocks go on past them, so a CSR access
 * that traps (`unimp` writes the read-only `cycle`) and whose SIGILL a
 * handler catches is an early exit (`sync fault`) here and a branch in
 * QEMU. QEMU keeps the previous
 * block in a scoreboard written by inline stores and read by a
 * conditional callback; a streamed callback cannot read a scoreboard
 * (it runs after the guest moved on), so here streamed callbacks per
 * block and per instruction keep it in the plugin's own memory, replayed
 * in execution order and up to the instruction where a block stopped,
 * which gives the same nodes.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_insn_disas,
  qemu_plugin_insn_size,
  qemu_plugin_insn_symbol,
  qemu_plugin_insn_vaddr,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** Nodes in the report (QEMU's `topn`, not an option). */
const TOPN = 10;

/** One destination of a branch point. */
interface DestData {
  daddr: number;
  dcount: number;
}

/** An instruction address where control may go elsewhere (QEMU's `NodeData`). */
interface NodeData {
  addr: number;
  dests: DestData[];
  earlyExit: number;
  destCount: number;
  /** Disassembly, from the first translation that saw the instruction. */
  insnDisas: string | null;
  symbol: string | null;
  /** Translations with it last in its block, and in the middle. */
  lastCount: number;
  midCount: number;
  /** The destination taken last: most branches go where they went before. */
  lastDest: DestData | undefined;
}

/** One translated block: what its start records for the next block's check. */
interface BlockData {
  pc: number;
  /** Its last instruction's address. */
  end: number;
  /** The address after its last instruction. */
  after: number;
  /** Its instructions' addresses. */
  pcs: number[];
  /** The node of its last instruction (where it usually branches from). */
  lastNode: NodeData;
}

/**
 * The execution state of one vCPU (QEMU's `VCPUScoreBoard`). QEMU's
 * `last_pc` is `block.pcs[executed - 1]`: the instruction callbacks only
 * count, so that a block's are one run of the replay (the same callback
 * and user data), not a call each with its own address.
 */
interface VcpuState {
  tbPc: number;
  endBlock: number;
  pcAfterBlock: number;
  /** The block running, or undefined before the first. */
  block: BlockData | undefined;
  /** How many of its instructions started. */
  executed: number;
}

type SortKey = "hottest" | "early" | "popular";

/** Each order, most first, then (plume's choice for ties) by ascending address. */
const ORDER: Record<SortKey, (a: NodeData, b: NodeData) => number> = {
  hottest: (a, b) => b.destCount - a.destCount || a.addr - b.addr,
  early: (a, b) => b.earlyExit - a.earlyExit || a.addr - b.addr,
  popular: (a, b) => b.dests.length - a.dests.length || a.addr - b.addr,
};

const hex = (n: number) => n.toString(16);

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let report: SortKey = "hottest";
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (key !== "sort") throw new Error(`option parsing failed: ${opt}`);
    if (value === "hottest") report = "hottest";
    else if (value === "early") report = "early";
    else if (value === "exceptions") report = "popular";
    else throw new Error(`failed to parse: ${value ?? "(null)"}`);
  }

  const nodes = new Map<number, NodeData>();
  const fetchNode = (addr: number): NodeData => {
    let node = nodes.get(addr);
    if (!node) {
      node = {
        addr,
        dests: [],
        earlyExit: 0,
        destCount: 0,
        insnDisas: null,
        symbol: null,
        lastCount: 0,
        midCount: 0,
        lastDest: undefined,
      };
      nodes.set(addr, node);
    }
    return node;
  };
  const states: VcpuState[] = [];
  const stateOf = (vcpu: number): VcpuState => {
    while (states.length <= vcpu) {
      states.push({ tbPc: 0, endBlock: 0, pcAfterBlock: 0, block: undefined, executed: 0 });
    }
    return states[vcpu];
  };

  /** Control did not go on in a straight line to the block starting at `s.tbPc` (QEMU's `vcpu_tb_branched_exec`). */
  function branched(s: VcpuState): void {
    const b = s.block;
    if (!b || s.executed === 0) return;
    const lpc = b.pcs[s.executed - 1];
    const ebpc = s.endBlock, npc = s.pcAfterBlock, pc = s.tbPc;
    if (lpc === 0) return;
    const node = s.executed === b.pcs.length ? b.lastNode : fetchNode(lpc);
    if (lpc !== ebpc) {
      qemu_plugin_outs(
        `vcpu_tb_branched_exec: pc=${hex(pc)}, epbc=${hex(ebpc)} npc=${hex(npc)}, lpc=${hex(lpc)}\n`,
      );
      node.earlyExit++;
      if (!node.midCount) node.midCount++;
    }
    let data = node.lastDest;
    if (data?.daddr !== pc) {
      data = node.dests.find((d) => d.daddr === pc);
      if (!data) node.dests.push(data = { daddr: pc, dcount: 0 });
      node.lastDest = data;
    }
    data.dcount++;
    node.destCount++;
  }

  function onBlock(vcpu: number, ud: unknown): void {
    const b = ud as BlockData, s = vcpu < states.length ? states[vcpu] : stateOf(vcpu);
    s.tbPc = b.pc;
    if (s.pcAfterBlock !== b.pc) branched(s);
    s.endBlock = b.end;
    s.pcAfterBlock = b.after;
    s.block = b;
    s.executed = 0;
  }
  function onInsn(vcpu: number): void {
    states[vcpu].executed++;
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    const last = qemu_plugin_tb_get_insn(tb, n - 1);
    const end = qemu_plugin_insn_vaddr(last);
    const pcs: number[] = [];
    for (let i = 0; i < n; i++) pcs.push(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i)));
    const after = end + qemu_plugin_insn_size(last);
    const block: BlockData = { pc: qemu_plugin_tb_vaddr(tb), end, after, pcs, lastNode: fetchNode(end) };
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_NO_REGS, block);
    for (let i = 0; i < n; i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      const node = fetchNode(pcs[i]);
      node.insnDisas ??= qemu_plugin_insn_disas(insn);
      node.symbol ??= qemu_plugin_insn_symbol(insn);
      if (i === n - 1) node.lastCount++;
      else node.midCount++;
      qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsn, QEMU_PLUGIN_CB_NO_REGS, block);
    }
  });

  qemu_plugin_register_atexit_cb(id, () => {
    let result = `collected ${nodes.size} control flow nodes in the hash table\n`;
    const branching = [...nodes.values()].filter((n) => n.destCount !== 0).sort(ORDER[report]);
    for (const n of branching.slice(0, TOPN)) {
      const type = n.midCount ? "sync fault" : "branch";
      result += `  addr: 0x${hex(n.addr)} ${n.symbol ?? "(null)"}: ${n.insnDisas ?? "(null)"} (${type})\n`;
      if (n.earlyExit) result += `    early exits ${n.earlyExit}\n`;
      result += `    branches ${n.destCount}\n`;
      for (const d of n.dests) result += `      to 0x${hex(d.daddr)} (${d.dcount})\n`;
    }
    qemu_plugin_outs(result);
  }, null);
  return 0;
}
