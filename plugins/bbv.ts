/**
 * bbv: basic-block vectors for SimPoint, with the options and files of
 * QEMU's `contrib/plugins/bbv.c` (QEMU 10.0). Every `interval`
 * instructions a vCPU executes, one line is appended to that vCPU's file,
 * `OUTFILE.N.bb` (N: the vCPU index):
 *
 * ```
 * T:1:4 :2:1536 :3:100
 * ```
 *
 * `T`, then for each block that ran on the vCPU since the last line
 * `:ID:COUNT ` (the block's number, from 1 in the order blocks were first
 * translated, and the instructions it accounted for: its instruction
 * count times its executions), each followed by a space (so the line
 * ends in one), then a line break; the counts start again from zero.
 *
 * Options, as QEMU's:
 * - `outfile=PATH` (required: without it, `outfile unspecified`): the
 *   files' prefix; as a built-in, bbv may write `PATH.0.bb` to
 *   `PATH.255.bb` and nothing else (a vCPU past 255 gets no file, as in
 *   QEMU when its file cannot be opened);
 * - `interval=N` (decimal, default 100000000): instructions per vector.
 *
 * As QEMU's, a block counts all its instructions when it starts (also if
 * it stops early, at a fault), the vCPU's count is checked once per block
 * (the block that reaches `interval` is in the vector it completes, and
 * the count beyond it carries into the next), a block is identified by its
 * start address, and nothing is written for the instructions after the
 * last full interval.
 *
 * Where plume differs:
 * - a vCPU index is taken again by a new guest thread when the thread
 *   that had it ended (as in QEMU); QEMU opens the index's file again
 *   then, truncating the vectors written so far, plume goes on writing to
 *   it, so that `OUTFILE.N.bb` holds every vector of index N;
 * - a forked process goes on with a copy of the plugin, as in QEMU, and
 *   appends to the same files; the text not yet written is written before
 *   each `clone`, so that the copy does not write it again (QEMU's child
 *   writes its copy of its `FILE` buffer);
 * - blocks are plume's translation blocks, which end where QEMU's do but
 *   for CSR instructions (QEMU ends a block at each, so code using
 *   `frflags` or `fsrm` has more, shorter blocks there);
 * - a line lists its blocks by number, where QEMU lists them in the order
 *   of its GLib hash table (SimPoint reads a line as a set, so the order
 *   carries nothing);
 * - QEMU counts with inline adds on scoreboards and a conditional callback
 *   that reads them; here a streamed callback per block counts in the
 *   plugin's own memory, which gives the same vectors: a streamed callback
 *   that read the scoreboards would see the guest's later counts, since it
 *   runs after the guest moved on.
 *
 * @module
 */

import {
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  qemu_plugin_outs,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_init_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  type QemuInfo,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** RISC-V Linux's `clone` and `clone3` system call numbers. */
const SYS_CLONE = 220n, SYS_CLONE3 = 435n;

/** Characters of a vCPU's file kept before they are written. */
const FLUSH_CHARS = 1 << 16;

/** One translation of a block: its number and the instructions it counts. */
interface BlockUse {
  index: number;
  insns: number;
}

/** One vCPU's state: QEMU's `Vcpu` and its column of the per-block scoreboards. */
interface Vcpu {
  file: Deno.FsFile | undefined;
  /** Instructions since the last vector, less the intervals already written. */
  count: number;
  /** Instructions per block number since the last vector. */
  blocks: Float64Array;
  /** Block numbers with a count, in the order they got one. */
  touched: number[];
  /** Text not yet written. */
  out: string;
}

const U64 = (1n << 64n) - 1n;

/** `g_ascii_strtoull(text, NULL, 10)`: the decimal prefix, negated modulo 2^64 after a `-`, saturated. */
function strtoull(text: string): bigint {
  const m = /^\s*([+-]?)(\d*)/.exec(text)!;
  const n = m[2] ? BigInt(m[2]) : 0n;
  if (n > U64) return U64;
  return m[1] === "-" ? (U64 + 1n - n) & U64 : n;
}

const encoder = new TextEncoder();

function writeAll(file: Deno.FsFile, text: string): void {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let interval = 100000000, filename: string | undefined;
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? undefined : opt.slice(eq + 1);
    // A count past 2^53 instructions is never reached: as a number it stays out of reach.
    if (key === "interval" && value !== undefined) interval = Number(strtoull(value));
    else if (key === "outfile" && value !== undefined) filename = value;
    else throw new Error(`option parsing failed: ${opt}`);
  }
  if (filename === undefined) throw new Error("outfile unspecified");
  const prefix = filename;

  /** Block numbers by start address, from 1 in the order first translated. */
  const bbs = new Map<number, number>();
  const vcpus: Vcpu[] = [];
  const vcpuOf = (index: number): Vcpu => {
    while (vcpus.length <= index) {
      vcpus.push({ file: undefined, count: 0, blocks: new Float64Array(64), touched: [], out: "" });
    }
    return vcpus[index];
  };

  qemu_plugin_register_vcpu_init_cb(id, (_id: PluginId, index: number) => {
    const vcpu = vcpuOf(index);
    // A new guest thread may take the index of one that ended: its vectors go on in the same file.
    if (vcpu.file) return;
    try {
      vcpu.file = Deno.openSync(`${prefix}.${index}.bb`, { write: true, create: true, truncate: true });
    } catch (err) {
      // QEMU's fopen failing leaves the vCPU without vectors; say why here.
      qemu_plugin_outs(`bbv: cannot write ${prefix}.${index}.bb: ${(err as Error).message}\n`);
    }
  });

  /** Writes vCPU `vcpu`'s vector and starts the next (QEMU's `vcpu_interval_exec`). */
  function intervalReached(vcpu: Vcpu): void {
    if (!vcpu.file) return;
    vcpu.count -= interval;
    let line = "T";
    for (const index of vcpu.touched.sort((a, b) => a - b)) {
      line += `:${index}:${vcpu.blocks[index]} `;
      vcpu.blocks[index] = 0;
    }
    vcpu.touched.length = 0;
    vcpu.out += line + "\n";
    if (vcpu.out.length >= FLUSH_CHARS) {
      writeAll(vcpu.file, vcpu.out);
      vcpu.out = "";
    }
  }

  function onBlock(vcpuIndex: number, ud: unknown): void {
    const use = ud as BlockUse;
    const vcpu = vcpuIndex < vcpus.length ? vcpus[vcpuIndex] : vcpuOf(vcpuIndex);
    vcpu.count += use.insns;
    if (use.index >= vcpu.blocks.length) {
      const grown = new Float64Array(Math.max(use.index + 1, vcpu.blocks.length * 2));
      grown.set(vcpu.blocks);
      vcpu.blocks = grown;
    }
    if (vcpu.blocks[use.index] === 0) vcpu.touched.push(use.index);
    vcpu.blocks[use.index] += use.insns;
    if (vcpu.count >= interval) intervalReached(vcpu);
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const vaddr = qemu_plugin_tb_vaddr(tb);
    let index = bbs.get(vaddr);
    if (index === undefined) bbs.set(vaddr, index = bbs.size + 1);
    const use: BlockUse = { index, insns: qemu_plugin_tb_n_insns(tb) };
    qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_NO_REGS, use);
  });

  // A forked process runs a copy of the plugin (as in QEMU), which would write the text pending at the fork
  // again: it is written before any clone, which is also how fork and vfork reach Linux on RISC-V.
  qemu_plugin_register_vcpu_syscall_cb(id, (_id: PluginId, _vcpu: number, num: bigint) => {
    if (num !== SYS_CLONE && num !== SYS_CLONE3) return;
    for (const vcpu of vcpus) {
      if (!vcpu.file || !vcpu.out) continue;
      writeAll(vcpu.file, vcpu.out);
      vcpu.out = "";
    }
  });

  qemu_plugin_register_atexit_cb(id, () => {
    for (const vcpu of vcpus) {
      if (!vcpu.file) continue;
      if (vcpu.out) writeAll(vcpu.file, vcpu.out);
      vcpu.file.close();
      vcpu.file = undefined;
    }
  }, null);
  return 0;
}
