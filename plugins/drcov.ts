/**
 * drcov: block coverage in DynamoRIO's drcov format, for tools such as
 * Lighthouse, after QEMU 7.2's `contrib/plugins/drcov.c`. Every translated
 * block that runs is one entry of the block table (a block translated
 * twice is listed twice, as in QEMU and DynamoRIO); at exit the table is
 * written to the file named by `filename=` (`file.drcov.trace` by
 * default, opened when the plugin is installed, as QEMU does).
 *
 * The file (drcov version 2):
 *
 * ```text
 * DRCOV VERSION: 2
 * DRCOV FLAVOR: drcov-64
 * Module Table: version 2, count M
 * Columns: id, base, end, entry, path
 * 0, 0x40000000, 0x40002008, 0x40000344, /path/to/program
 * …                                      (M lines)
 * BB Table: N bbs
 * ```
 *
 * then N entries of 8 bytes: the block's start as an offset from its
 * module's base (u32), its size in bytes (u16) and its module's id (u16),
 * little-endian.
 *
 * Where plume differs from QEMU 7.2 on purpose: QEMU lists one module,
 * the program's text segment (`qemu_plugin_start_code` to
 * `qemu_plugin_end_code`), gives every block module 0 and writes its
 * absolute address cut to 32 bits, so that coverage of a position-
 * independent program, of its ELF interpreter or of any library cannot
 * be placed. plume lists every ELF image with code that the guest had
 * mapped: the program (module 0, its whole image), its interpreter, and
 * each library its loader mapped (from the `-L` sysroot), each from its
 * lowest to its highest mapped address; a block's start is an offset from
 * the base of the module it lies in. A block in no module (plume's
 * signal-return trampoline, code a program generates) gets module id
 * 0xffff and its address cut to 32 bits, as DynamoRIO does; tools ignore
 * such entries. The header lines, the number of blocks and the blocks'
 * addresses are QEMU's.
 *
 * How the plugin finds the modules, with nothing but the plugin API (as
 * a tool outside the emulator would):
 * - the program and its interpreter from the auxiliary vector on the
 *   initial stack, read in a synchronous callback on the first block:
 *   `AT_PHDR` locates the program's ELF header (right before its program
 *   headers), `AT_BASE` the interpreter's, and the program's `PT_INTERP`
 *   names the interpreter;
 * - libraries from the guest's system calls: `openat` names a file
 *   descriptor, an `mmap` of it at file offset 0 places an ELF image whose
 *   headers are then read in guest memory, `close` forgets the descriptor,
 *   `munmap` of a whole image retires it (its blocks stay in the table);
 *   a successful `execve` starts over with the new program.
 *
 * Writing the file needs a write permission: as a built-in, drcov gets
 * write access to exactly the file its `filename=` names (the loader
 * grants it); a copy loaded from a file needs
 * `-plugin-allow write=FILE` like any plugin.
 *
 * @module
 */

import {
  type PluginId,
  type PluginU64,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  QEMU_PLUGIN_COND_EQ,
  qemu_plugin_end_code,
  qemu_plugin_entry_code,
  qemu_plugin_get_registers,
  QEMU_PLUGIN_INLINE_STORE_U64,
  qemu_plugin_insn_size,
  qemu_plugin_path_to_binary,
  qemu_plugin_read_register,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_exec_cond_cb,
  qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_scoreboard_new,
  qemu_plugin_scoreboard_u64_in_struct,
  qemu_plugin_start_code,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  type QemuInfo,
  type Scoreboard,
  type Tb,
} from "qemu-plugin";
import { AT, GuestMemory, LoadFollower, readImage, readInitialStack } from "./_guest_memory.ts";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/** QEMU's default output file. */
const DEFAULT_FILENAME = "file.drcov.trace";

/** The module id of a block in no module (DynamoRIO's `UNKNOWN_MODULE_ID`). */
const UNKNOWN_MODULE = 0xffff;

/** Blocks whose "executed" flags share one scoreboard (8 bytes each). */
const FLAGS_PER_BOARD = 4096;

/** One ELF image in guest memory. */
interface Module {
  id: number;
  path: string;
  /** Lowest mapped address (page-aligned). */
  base: number;
  /** End of the highest segment. */
  end: number;
  entry: number;
  /** False once the guest unmapped it (or replaced the program with execve): no new block is placed in it. */
  live: boolean;
}

/** One translation of a block. */
interface Block {
  pc: number;
  size: number;
  module: Module | undefined;
  executed: boolean;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  let filename = DEFAULT_FILENAME;
  // As QEMU: the last filename= counts, other arguments are ignored.
  for (const opt of argv) if (opt.startsWith("filename=")) filename = opt.slice("filename=".length);
  const file = Deno.openSync(filename, { write: true, create: true, truncate: true });

  const modules: Module[] = [];
  const blocks: Block[] = [];
  /** The program's path, until the first block places it (a new one after an execve). */
  let program: string | undefined = qemu_plugin_path_to_binary();
  /** Blocks translated before the program's modules were known. */
  let unplaced: Block[] = [];
  const sp = qemu_plugin_get_registers().find((r) => r.name === "sp")!.handle;

  const moduleAt = (pc: number) => modules.findLast((m) => m.live && pc >= m.base && pc < m.end);
  function addModule(path: string, image: { base: number; end: number; entry: number }): void {
    modules.push({ id: modules.length, path, base: image.base, end: image.end, entry: image.entry, live: true });
  }

  /** On the program's first block: the program and its interpreter, from the initial stack. */
  function findProgram(_vcpu: number): void {
    if (program === undefined) return;
    const path = program, mem = new GuestMemory();
    program = undefined;
    const spBytes = qemu_plugin_read_register(sp);
    const sp0 = Number(new DataView(spBytes.buffer, spBytes.byteOffset).getBigUint64(0, true));
    const { auxv } = readInitialStack(mem, sp0);
    // Linkers put the program headers right after the 64-byte ELF header. Failing that, QEMU's module.
    const phdr = auxv.get(AT.PHDR) ?? 0;
    const found = readImage(mem, phdr - 64);
    const image = found?.phdr === phdr ? found : null;
    addModule(
      path,
      image ?? { base: qemu_plugin_start_code(), end: qemu_plugin_end_code(), entry: qemu_plugin_entry_code() },
    );
    const base = auxv.get(AT.BASE);
    const interp = base ? readImage(mem, base) : null;
    if (interp) addModule(image?.interp ?? "", interp);
    for (const b of unplaced) b.module = moduleAt(b.pc);
    unplaced = [];
  }

  const onExec = (_vcpu: number, block: unknown) => (block as Block).executed = true;
  // A block's "executed" flag per vCPU, in scoreboards of FLAGS_PER_BOARD blocks: undefined once the arena is full.
  const boards: Scoreboard[] = [];
  let arenaFull = false;
  const flagOf = (k: number): PluginU64 | undefined => {
    try {
      while (!arenaFull && boards.length <= Math.floor(k / FLAGS_PER_BOARD)) {
        boards.push(qemu_plugin_scoreboard_new(8 * FLAGS_PER_BOARD));
      }
    } catch {
      arenaFull = true;
    }
    return arenaFull
      ? undefined
      : qemu_plugin_scoreboard_u64_in_struct(boards[Math.floor(k / FLAGS_PER_BOARD)], 8 * (k % FLAGS_PER_BOARD));
  };
  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const pc = qemu_plugin_tb_vaddr(tb), n = qemu_plugin_tb_n_insns(tb);
    let size = 0;
    for (let i = 0; i < n; i++) size += qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i));
    const block: Block = { pc, size, module: moduleAt(pc), executed: false };
    blocks.push(block);
    if (program !== undefined) {
      unplaced.push(block);
      qemu_plugin_register_vcpu_tb_exec_cb(tb, findProgram, QEMU_PLUGIN_CB_R_REGS, null);
    }
    const flag = flagOf(blocks.length - 1);
    if (flag) {
      // Only a block's first execution (on each vCPU) calls back: the test of its flag comes before the inline
      // store that sets it. QEMU's drcov calls back at every execution (measured: 5x QEMU's time with that).
      qemu_plugin_register_vcpu_tb_exec_cond_cb(
        tb,
        onExec,
        QEMU_PLUGIN_CB_NO_REGS,
        QEMU_PLUGIN_COND_EQ,
        flag,
        0n,
        block,
      );
      qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_STORE_U64, flag, 1n);
    } else qemu_plugin_register_vcpu_tb_exec_cb(tb, onExec, QEMU_PLUGIN_CB_NO_REGS, block);
  });

  // Libraries: what the guest's loader opens and maps.
  const loads = new LoadFollower({
    mapped: (path, image) => {
      if (image.hasCode) addModule(path, image);
    },
    unmapped: (start, end) => {
      for (const m of modules) if (m.live && m.base >= start && m.end <= end) m.live = false;
    },
    execed: (path) => {
      for (const m of modules) m.live = false;
      program = path;
    },
  });
  qemu_plugin_register_vcpu_syscall_cb(id, (_id, vcpu, num, ...rest) => loads.syscall(vcpu, num, rest as bigint[]));
  qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, vcpu, num, ret) => loads.syscallRet(vcpu, num, ret));

  qemu_plugin_register_atexit_cb(id, () => {
    const executed = blocks.filter((b) => b.executed);
    let header = "DRCOV VERSION: 2\nDRCOV FLAVOR: drcov-64\n" +
      `Module Table: version 2, count ${modules.length}\nColumns: id, base, end, entry, path\n`;
    for (const m of modules) {
      header += `${m.id}, 0x${m.base.toString(16)}, 0x${m.end.toString(16)}, 0x${m.entry.toString(16)}, ${m.path}\n`;
    }
    header += `BB Table: ${executed.length} bbs\n`;
    const text = new TextEncoder().encode(header);
    const out = new Uint8Array(text.length + 8 * executed.length);
    out.set(text);
    const entries = new DataView(out.buffer, text.length);
    executed.forEach((b, i) => {
      entries.setUint32(8 * i, (b.module ? b.pc - b.module.base : b.pc) >>> 0, true);
      entries.setUint16(8 * i + 4, b.size, true);
      entries.setUint16(8 * i + 6, b.module ? b.module.id : UNKNOWN_MODULE, true);
    });
    for (let done = 0; done < out.length;) done += file.writeSync(out.subarray(done));
    file.close();
  }, null);
  return 0;
}
