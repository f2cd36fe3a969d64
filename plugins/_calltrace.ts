/**
 * Function calls and returns of a RISC-V guest, followed with a shadow
 * stack, and the functions' names from the ELF symbols of the program and
 * its libraries: what the built-ins `uftrace` and `callgrind` share. Not a
 * plugin itself (no `qemu_plugin_install`): a module those two import.
 *
 * RISC-V has no call or return instruction, only jumps that link; the
 * psABI's return-address-stack hints say which is which, and this follows
 * them: `jal`/`jalr` writing `ra` or `t0` is a call, `jalr x0` through `ra`
 * or `t0` (`ret`, `jr t0`) a return, any other jump a jump. The target of a
 * transfer is the next block the vCPU runs, so every decision is made in a
 * streamed block callback: no register is read, the guest never waits.
 * Frame pointers are not needed (Debian builds without them).
 *
 * What the shadow stack does besides push and pop:
 * - a return goes to the frame whose return address it reaches, popping
 *   the frames above it (a function that returned through a longjmp);
 *   failing that, to the frame below the top that runs the function it
 *   lands in (longjmp to a setjmp in a caller); failing that it pops an
 *   interrupted frame (a signal handler's return), or nothing;
 * - a jump that lands on the start of another function is a tail call:
 *   the top frame is replaced by the new function, with the same return
 *   address; when the top frame's function has no symbol (a PLT stub, the
 *   lazy-binding resolver) it is retargeted instead, so that `printf`
 *   called through its PLT stub is one frame named `printf`; what the
 *   loader's resolver calls on a first call (a stub's `jalr t1` that leads
 *   to code with no symbol) stays on the stack but is not reported;
 * - a block that is no successor of the one before (a signal delivered, a
 *   `sigreturn`) and starts a function pushes an interrupted frame;
 * - the first block of a vCPU is its root frame (`_start`, a thread's
 *   start), which nothing pops until the end.
 *
 * Names: the program's from its symbol table (`qemu_plugin_insn_symbol`,
 * which also gives the extent of each function seen), the interpreter's
 * and the libraries' from their dynamic symbol tables (`.dynsym`, the one
 * Debian's stripped libraries keep) read in guest memory through
 * `PT_DYNAMIC`. Modules are found as the built-in drcov finds them: the
 * program and its interpreter from the auxiliary vector on the initial
 * stack, libraries from the loader's `openat`/`mmap`/`close`. Code in no
 * known function (PLT stubs, the loader's internals, generated code) is
 * named by the address a frame entered it at.
 *
 * Instruction counts are exact: a callback per instruction (replayed from
 * one record per block, so cheap) counts, also in a block that faults.
 *
 * @module
 */

import {
  type Insn,
  type PluginId,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  qemu_plugin_end_code,
  qemu_plugin_get_registers,
  qemu_plugin_insn_data,
  qemu_plugin_insn_size,
  qemu_plugin_insn_symbol,
  qemu_plugin_path_to_binary,
  qemu_plugin_read_register,
  qemu_plugin_register_vcpu_exit_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_syscall_ret_cb,
  qemu_plugin_register_vcpu_tb_exec_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_start_code,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  qemu_plugin_tb_vaddr,
  type Tb,
} from "qemu-plugin";
import {
  AT,
  type ElfImage,
  GuestMemory,
  LoadFollower,
  PT_DYNAMIC,
  readImage,
  readInitialStack,
  readSegments,
} from "./_guest_memory.ts";

/** RISC-V Linux system call numbers followed here (the loader's are {@link LoadFollower}'s). */
const SYS = { exit: 93n, exit_group: 94n, clone: 220n, clone3: 435n } as const;
const CLONE_THREAD = 0x10000n;

/** An ELF image with code in guest memory: the program, its interpreter, a library. */
export interface Module {
  /** Its path as the guest named it. */
  path: string;
  /** Lowest mapped address (page-aligned): what uftrace's map calls the start. */
  base: number;
  /** End of the highest segment. */
  end: number;
  /** The image's load bias (its addresses in the file plus this are where they are). */
  bias: number;
  /** Where its program headers are (to read `PT_DYNAMIC` once every segment is mapped). */
  phdr: number;
  phnum: number;
  /** Functions of its dynamic symbol table by start, once read (the program's come from its symbol table). */
  symbols: Fn[] | null;
  /** True for the program, whose functions are named by `qemu_plugin_insn_symbol`. */
  program: boolean;
  /** False once unmapped or replaced by an execve: no new code is placed in it. */
  live: boolean;
}

/** A function: a symbol of a module, or code in no symbol entered by a frame at `start`. */
export interface Fn {
  /** Its name, or null for code in no symbol (shown by its address). */
  name: string | null;
  module: Module | null;
  /** Its first address (for the program's, the lowest address seen under its name). */
  start: number;
  /** Its end (exclusive); for the program's, the end of the highest instruction seen. */
  end: number;
  /** Instructions executed in it (exclusive cost), all vCPUs. */
  self: number;
  /** Frames of it open on any vCPU's stack (for recursion-aware inclusive costs). */
  active: number;
  /** A small number, unique among functions, in the order they were first seen. */
  id: number;
}

/** One activation on a shadow stack. */
export interface Frame {
  fn: Fn;
  /** The address it was entered at (the callee's first block). */
  entry: number;
  /** The return address a return to its caller reaches; -1 for a root or an interrupted frame. */
  ret: number;
  /** Instructions its vCPU had executed when it was entered. */
  since: number;
  /** Entered by no call: a vCPU's first block, or a discontinuity (signal) landing on a function's start. */
  kind: "call" | "root" | "interrupt";
  /** Free for the user of this module (uftrace keeps its entry record's index). */
  mark: number;
  /** Entered at a PLT stub that went on to code with no symbol (lazy binding), not yet at its function. */
  stub: boolean;
  /**
   * Called from a stub's frame (the loader's lazy-binding resolver and what it calls) or from a hidden frame: on the
   * stack, but not reported to {@link CallEvents}, so that a call through the PLT reads as one call however it binds.
   */
  hidden: boolean;
}

/** A vCPU's state. */
export interface Cpu {
  index: number;
  stack: Frame[];
  /** Instructions this vCPU executed. */
  insns: number;
  /** The function the current block's instructions are counted in. */
  cell: Fn;
  prev: Block | null;
}

/** What the user of this module hears about, in order. */
export interface CallEvents {
  /** `frame` was pushed at depth `stack.length - 1`. */
  enter(cpu: Cpu, frame: Frame): void;
  /** `frame` (the top of `cpu.stack`, still on it) is popped. */
  exit(cpu: Cpu, frame: Frame): void;
  /** The top frame's function became `frame.fn` (entered at `frame.entry`) without an exit. */
  retarget(cpu: Cpu, frame: Frame): void;
  /** The vCPU ended (its thread exited), after its frames were closed; its index may come back as a new one. */
  cpuExit?(cpu: Cpu): void;
  /**
   * Heard in the copy of the plugin that follows a forked child, at its
   * first event: `cpu` (its one vCPU) holds the stack of the thread that
   * forked, every other vCPU is gone; nothing of the child was seen yet.
   */
  forked?(cpu: Cpu): void;
}

/** How a block ends, for what the next block means. */
const enum End {
  /** Falls through or branches (within a function, unless it lands on another's start). */
  Jump,
  /** An indirect jump: any target. */
  IndirectJump,
  /** An indirect jump that links `t1`: a PLT stub's (lazy binding finds the stub's slot from it). */
  PltJump,
  Call,
  Return,
  /** A system call or other exit to the emulator: the next block is the next instruction. */
  System,
}

/** A translated block, as this module needs it. */
interface Block {
  pc: number;
  /** Address after its last instruction. */
  end: number;
  how: End;
  /** A direct jump's or branch's target, else -1. */
  target: number;
  /** For a call: its return address. */
  ret: number;
  /** The program function its first instruction is in (from the program's symbols), if any. */
  progName: string | null;
  /** Its function once placed; the module generation it was placed in. */
  fn: Fn | null;
  placed: number;
}

const LINK_RA = 1, LINK_T0 = 5, LINK_T1 = 6;
const isLink = (r: number) => r === LINK_RA || r === LINK_T0;

/**
 * Classifies the last instruction of a block from its bytes, by the
 * psABI's hints: `[how, direct target or -1]`.
 */
function classify(bytes: Uint8Array, pc: number): [End, number] {
  const lo = bytes[0] | (bytes[1] << 8);
  if ((lo & 3) !== 3) {
    const op = lo & 3, f3 = lo >>> 13;
    if (op === 2 && f3 === 4 && (lo & 0x7c) === 0 && (lo >>> 7 & 31) !== 0) {
      const rs1 = lo >>> 7 & 31, link = (lo >>> 12 & 1) === 1;
      // c.jalr rs1 (links ra): a call; c.jr ra|t0: a return; c.jr other: a jump.
      if (link) return [End.Call, -1];
      return [isLink(rs1) ? End.Return : End.IndirectJump, -1];
    }
    if (op === 1 && f3 === 5) { // c.j
      const imm = ((lo >>> 1) & 0x800) | ((lo >>> 7) & 0x10) | ((lo >>> 1) & 0x300) | ((lo << 2) & 0x400) |
        ((lo >>> 1) & 0x40) | ((lo << 1) & 0x80) | ((lo >>> 2) & 0xe) | ((lo << 3) & 0x20);
      return [End.Jump, pc + ((imm << 20) >> 20)];
    }
    if (op === 1 && (f3 === 6 || f3 === 7)) { // c.beqz, c.bnez
      const imm = ((lo >>> 4) & 0x100) | ((lo >>> 7) & 0x18) | ((lo << 1) & 0xc0) | ((lo >>> 2) & 0x6) |
        ((lo << 3) & 0x20);
      return [End.Jump, pc + ((imm << 23) >> 23)];
    }
    if (op === 2 && f3 === 4 && lo === 0x9002) return [End.System, -1]; // c.ebreak
    return [End.Jump, -1];
  }
  const w = (lo | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  const opcode = w & 0x7f, rd = w >>> 7 & 31, rs1 = w >>> 15 & 31;
  if (opcode === 0x6f) { // jal
    const imm = ((w >>> 11) & 0x100000) | (w & 0xff000) | ((w >>> 9) & 0x800) | ((w >>> 20) & 0x7fe);
    const target = pc + ((imm << 11) >> 11);
    return [isLink(rd) ? End.Call : End.Jump, target];
  }
  if (opcode === 0x67) { // jalr
    // rd link: a call (also rd and rs1 both links but different: the psABI's pop-then-push, a coroutine swap).
    if (isLink(rd)) return [End.Call, -1];
    if (rd === 0 && isLink(rs1)) return [End.Return, -1];
    return [rd === LINK_T1 ? End.PltJump : End.IndirectJump, -1];
  }
  if (opcode === 0x63) { // branches
    const imm = ((w >>> 19) & 0x1000) | ((w << 4) & 0x800) | ((w >>> 20) & 0x7e0) | ((w >>> 7) & 0x1e);
    return [End.Jump, pc + ((imm << 19) >> 19)];
  }
  if (opcode === 0x73) return [End.System, -1]; // ecall, ebreak, CSR accesses
  return [End.Jump, -1];
}

/** Bounds on what a dynamic symbol table may make this read (glibc's libc has 3,000 symbols). */
const MAX_SYMBOLS = 1 << 20, MAX_STRINGS = 1 << 24;

const DT = { NULL: 0, HASH: 4, STRTAB: 5, SYMTAB: 6, STRSZ: 10, GNU_HASH: 0x6ffffef5 } as const;
const STT_FUNC = 2, STT_GNU_IFUNC = 10, STB_WEAK = 2;

/**
 * The functions of a module's dynamic symbol table, read in guest memory,
 * sorted by start (aliases of one address once); null when the image is
 * not fully mapped yet.
 */
function readDynamicSymbols(mem: GuestMemory, m: Module, newFn: (m: Module, name: string, s: number, e: number) => Fn) {
  const dyn = readSegments(mem, m.phdr, m.phnum)?.find((s) => s.type === PT_DYNAMIC);
  if (!dyn) return [];
  const tags = new Map<number, number>();
  for (let at = m.bias + dyn.vaddr;; at += 16) {
    const tag = mem.u64(at), value = mem.u64(at + 8);
    if (tag === null || value === null) return null;
    if (tag === DT.NULL) break;
    if (!tags.has(tag)) tags.set(tag, value);
  }
  // glibc's loader relocates some of these in place (to absolute addresses), on some targets.
  const addr = (tag: number) => {
    const v = tags.get(tag);
    return v === undefined ? undefined : v >= m.base && v < m.end ? v : v + m.bias;
  };
  const symtab = addr(DT.SYMTAB), strtab = addr(DT.STRTAB), strsz = tags.get(DT.STRSZ) ?? 0;
  if (symtab === undefined || strtab === undefined) return [];
  const count = symbolCount(mem, addr(DT.HASH), addr(DT.GNU_HASH));
  if (count === null) return null;
  // The guest's memory says how much to read: within bounds no real library comes near.
  if (count > MAX_SYMBOLS || strsz > MAX_STRINGS) return [];
  const syms = mem.read(symtab, count * 24), strs = mem.read(strtab, strsz);
  if (!syms || !strs) return null;
  const d = new DataView(syms.buffer), decoder = new TextDecoder();
  /** The name each address is shown by, of its aliases: the fewest leading underscores, then global before weak. */
  const found = new Map<number, { name: string; rank: number; size: number }>();
  for (let i = 1; i < count; i++) {
    const nameAt = d.getUint32(i * 24, true), info = syms[i * 24 + 4], shndx = d.getUint16(i * 24 + 6, true);
    const value = Number(d.getBigUint64(i * 24 + 8, true)), size = Number(d.getBigUint64(i * 24 + 16, true));
    const type = info & 15;
    if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === 0 || value === 0) continue;
    const nul = strs.indexOf(0, nameAt);
    const name = decoder.decode(strs.subarray(nameAt, nul < 0 ? strs.length : nul));
    const rank = 2 * (name.length - name.replace(/^_+/, "").length) + (info >> 4 === STB_WEAK ? 1 : 0);
    const start = m.bias + value, seen = found.get(start);
    if (!seen || rank < seen.rank) found.set(start, { name, rank, size: Math.max(size, seen?.size ?? 1) });
  }
  return [...found].sort((a, b) => a[0] - b[0]).map(([start, f]) => newFn(m, f.name, start, start + f.size));
}

/** How many entries the dynamic symbol table has, from `DT_HASH` or `DT_GNU_HASH`; null if unreadable. */
function symbolCount(mem: GuestMemory, hash: number | undefined, gnuHash: number | undefined): number | null {
  if (hash !== undefined) {
    const h = mem.read(hash, 8);
    return h && new DataView(h.buffer).getUint32(4, true);
  }
  if (gnuHash === undefined) return 0;
  const h = mem.read(gnuHash, 16);
  if (!h) return null;
  const hv = new DataView(h.buffer);
  const nbuckets = hv.getUint32(0, true), symoffset = hv.getUint32(4, true), bloomSize = hv.getUint32(8, true);
  const bucketsAt = gnuHash + 16 + 8 * bloomSize;
  const b = mem.read(bucketsAt, 4 * nbuckets);
  if (!b) return null;
  const bv = new DataView(b.buffer);
  let last = 0;
  for (let i = 0; i < nbuckets; i++) last = Math.max(last, bv.getUint32(4 * i, true));
  if (last < symoffset) return symoffset;
  // Walk the last bucket's chain to its end (the entry with bit 0 set).
  const chainAt = bucketsAt + 4 * nbuckets;
  for (let i = last; i < MAX_SYMBOLS; i++) {
    const c = mem.read(chainAt + 4 * (i - symoffset), 4);
    if (!c) return null;
    if (new DataView(c.buffer).getUint32(0, true) & 1) return i + 1;
  }
  return MAX_SYMBOLS + 1;
}

/** The module of an image with code mapped from `path`. */
function moduleOf(path: string, image: ElfImage | null): Module | null {
  if (!image?.hasCode) return null;
  const { base, end, bias, phdr, phnum } = image;
  return { path, base, end, bias, phdr, phnum, symbols: null, program: false, live: true };
}

/** One program's run: an execve starts another (uftrace's session). */
export interface Session {
  /** The program's path. */
  exe: string;
  /** Its argv, as its initial stack has it. */
  argv: string[];
  /** Modules in the order they were mapped (the program first). */
  modules: Module[];
  /** Guest instructions executed (all vCPUs) when it began. */
  since: number;
  /** The program's functions (named by its symbol table), by name. */
  programFns: Map<string, Fn>;
}

/** The call tracer: install it from `qemu_plugin_install`. */
export class CallTrace {
  /** Sessions, the current one last. */
  readonly sessions: Session[] = [];
  /** Every function seen, in the order first seen (`fn.id`). */
  readonly fns: Fn[] = [];
  /** vCPUs by index. */
  readonly cpus: Cpu[] = [];
  /** Guest instructions executed, all vCPUs. */
  insns = 0;
  /** The status the guest passed to exit or exit_group, if it did. */
  exitStatus: number | undefined;

  private programFns = new Map<string, Fn>();
  private unknownFns = new Map<number, Fn>();
  /** Bumped whenever a module or its symbols appear, so that unplaced blocks are placed again. */
  private generation = 0;
  /** Set by an execve, cleared by the new program's first block. */
  private pendingExe: string | undefined;
  private readonly events: CallEvents;
  private readonly root: Fn;

  constructor(id: PluginId, events: CallEvents) {
    this.events = events;
    this.root = this.fn(null, "", 0, 0);
    this.pendingExe = qemu_plugin_path_to_binary();
    this.register(id);
  }

  /** The current session's modules (empty before the first block). */
  get modules(): Module[] {
    return this.sessions.at(-1)?.modules ?? [];
  }

  /** The name a function is shown by: its symbol, or its address. */
  static nameOf(fn: Fn): string {
    return fn.name ?? `0x${fn.start.toString(16).padStart(16, "0")}`;
  }

  /** Closes every open frame (at exit), innermost first. */
  finish(): void {
    for (const cpu of this.cpus) while (cpu?.stack.length) this.pop(cpu);
  }

  /** A vCPU's end: its frames close, and its index starts afresh if it comes back. */
  private cpuExit(vcpu: number): void {
    const cpu = this.cpus[vcpu];
    if (!cpu) return;
    while (cpu.stack.length) this.pop(cpu);
    this.events.cpuExit?.(cpu);
    delete this.cpus[vcpu];
  }

  /**
   * This copy of the plugin follows a forked child: the thread that forked
   * (vCPU `from`) goes on as the child's one vCPU `vcpu`, the parent's other
   * threads are not in the child. System calls under way on them are dropped
   * with them.
   */
  private forked(from: number, vcpu: number): void {
    const cpu = this.cpus[from];
    for (const other of this.cpus) if (other && other !== cpu) { for (const frame of other.stack) frame.fn.active--; }
    this.cpus.length = 0;
    if (!cpu) return;
    cpu.index = vcpu;
    this.cpus[vcpu] = cpu;
    for (const frame of cpu.stack) frame.mark = -1;
    this.events.forked?.(cpu);
  }

  /**
   * Starts the counts afresh (a forked child's profile counts what the
   * child ran): functions' instructions, the instruction counts, and the
   * open frames' entry counts, as though they were entered now.
   */
  restartCounts(): void {
    for (const f of this.fns) f.self = 0;
    this.insns = 0;
    for (const cpu of this.cpus) {
      if (!cpu) continue;
      cpu.insns = 0;
      for (const frame of cpu.stack) frame.since = 0;
    }
  }

  private fn(module: Module | null, name: string | null, start: number, end: number): Fn {
    const f: Fn = { name, module, start, end, self: 0, active: 0, id: this.fns.length };
    this.fns.push(f);
    return f;
  }

  private register(id: PluginId): void {
    const sp = qemu_plugin_get_registers().find((r) => r.name === "sp")!.handle;
    const findProgram = () => {
      if (this.pendingExe === undefined) return;
      const path = this.pendingExe, mem = new GuestMemory();
      this.pendingExe = undefined;
      const spBytes = qemu_plugin_read_register(sp);
      const { auxv, argv } = readInitialStack(
        mem,
        Number(new DataView(spBytes.buffer, spBytes.byteOffset).getBigUint64(0, true)),
      );
      // Linkers put the program headers right after the 64-byte ELF header. Failing that, QEMU's extent.
      const phdr = auxv.get(AT.PHDR) ?? 0;
      const found = readImage(mem, phdr - 64);
      const image = found?.phdr === phdr ? found : null;
      const program = moduleOf(path, image) ?? {
        path,
        base: qemu_plugin_start_code(),
        end: qemu_plugin_end_code(),
        bias: 0,
        phdr: 0,
        phnum: 0,
        symbols: null,
        program: true,
        live: true,
      };
      program.program = true;
      program.symbols = [];
      this.sessions.push({ exe: path, argv, modules: [program], since: this.insns, programFns: this.programFns });
      for (const f of this.programFns.values()) f.module = program;
      const base = auxv.get(AT.BASE);
      const interp = base ? moduleOf(image?.interp ?? "", readImage(mem, base)) : null;
      if (interp) {
        interp.symbols = readDynamicSymbols(mem, interp, (m, n, s, e) => this.fn(m, n, s, e));
        this.modules.push(interp);
      }
      this.generation++;
    };
    const onBlock = (vcpu: number, block: unknown) => this.onBlock(vcpu, block as Block);
    const onInsn = (vcpu: number) => {
      this.insns++;
      const cpu = this.cpus[vcpu];
      cpu.insns++;
      cpu.cell.self++;
    };
    qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
      const pc = qemu_plugin_tb_vaddr(tb), n = qemu_plugin_tb_n_insns(tb);
      const insns: Insn[] = [];
      for (let i = 0; i < n; i++) insns.push(qemu_plugin_tb_get_insn(tb, i));
      const last = insns[n - 1], lastPc = pc + insns.slice(0, -1).reduce((s, i) => s + qemu_plugin_insn_size(i), 0);
      const size = qemu_plugin_insn_size(last);
      const [how, target] = classify(qemu_plugin_insn_data(last) as Uint8Array, lastPc);
      const block: Block = {
        pc,
        end: lastPc + size,
        how,
        target,
        ret: lastPc + size,
        progName: qemu_plugin_insn_symbol(insns[0]),
        fn: null,
        placed: -1,
      };
      this.seeProgramNames(insns, pc);
      if (this.pendingExe !== undefined) {
        qemu_plugin_register_vcpu_tb_exec_cb(tb, findProgram, QEMU_PLUGIN_CB_R_REGS, null);
      }
      qemu_plugin_register_vcpu_tb_exec_cb(tb, onBlock, QEMU_PLUGIN_CB_NO_REGS, block);
      for (const insn of insns) qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsn, QEMU_PLUGIN_CB_NO_REGS, null);
    });
    qemu_plugin_register_vcpu_exit_cb(id, (_id: PluginId, vcpu: number) => this.cpuExit(vcpu));
    this.followModules(id);
  }

  /** Extends the program's functions by the instructions of a block that carry their names. */
  private seeProgramNames(insns: Insn[], pc: number): void {
    let at = pc;
    for (const insn of insns) {
      const name = qemu_plugin_insn_symbol(insn), size = qemu_plugin_insn_size(insn);
      if (name !== null) {
        const f = this.programFns.get(name);
        if (!f) {
          this.programFns.set(
            name,
            this.fn(this.modules.find((m) => m.program && m.live) ?? null, name, at, at + size),
          );
        } else {
          f.start = Math.min(f.start, at);
          f.end = Math.max(f.end, at + size);
        }
      }
      at += size;
    }
  }

  /** Libraries from the loader's system calls; the exit status; a new program after an execve; forks. */
  private followModules(id: PluginId): void {
    /** Mapped libraries whose symbols are read when their descriptor is closed (all segments then mapped). */
    const unread: Module[] = [];
    /** The vCPU whose clone of a process is under way: the child's copy of this plugin hears it return 0. */
    let forking = -1;
    const loads = new LoadFollower({
      mapped: (path, image) => {
        const m = moduleOf(path, image);
        if (!m || !this.sessions.length) return;
        this.modules.push(m);
        unread.push(m);
        this.generation++;
      },
      closed: () => {
        if (!unread.length) return;
        const mem = new GuestMemory();
        for (const m of [...unread]) {
          const syms = readDynamicSymbols(mem, m, (mod, n, s, e) => this.fn(mod, n, s, e));
          if (syms) {
            m.symbols = syms;
            unread.splice(unread.indexOf(m), 1);
            this.generation++;
          }
        }
      },
      unmapped: (start, end) => {
        for (const m of this.modules) if (m.live && m.base >= start && m.end <= end) m.live = false;
      },
      execed: (path) => {
        // The old program's frames end here; the new one starts with its first block.
        this.finish();
        for (const m of this.modules) m.live = false;
        for (const cpu of this.cpus) if (cpu) cpu.prev = null;
        this.programFns = new Map();
        this.unknownFns.clear();
        this.pendingExe = path;
        this.generation++;
      },
    });
    qemu_plugin_register_vcpu_syscall_cb(id, (_id, vcpu, num, ...rest) => {
      const args = rest.slice(0, 6) as bigint[];
      if (num === SYS.exit_group || num === SYS.exit) {
        if (num === SYS.exit_group || vcpu === 0) this.exitStatus = Number(BigInt.asIntN(32, args[0])) & 0xff;
      } else if (num === SYS.clone || num === SYS.clone3) {
        const flags = num === SYS.clone ? args[0] : BigInt(new GuestMemory().u64(Number(args[0])) ?? 0);
        if (!(flags & CLONE_THREAD)) forking = vcpu;
      } else loads.syscall(vcpu, num, args);
    });
    qemu_plugin_register_vcpu_syscall_ret_cb(id, (_id, vcpu, num, ret) => {
      if ((num === SYS.clone || num === SYS.clone3) && forking >= 0) {
        if (ret === 0n) this.forked(forking, vcpu);
        forking = -1;
      } else loads.syscallRet(vcpu, num, ret);
    });
  }

  /** The function a block's first instruction is in, or null. */
  private place(b: Block): Fn | null {
    if (b.placed === this.generation) return b.fn;
    b.placed = this.generation;
    if (b.progName !== null) return b.fn = this.programFns.get(b.progName) ?? null;
    const m = this.modules.findLast((m) => m.live && !m.program && b.pc >= m.base && b.pc < m.end);
    const syms = m?.symbols;
    if (!syms?.length) return b.fn = null;
    let lo = 0, hi = syms.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid].start <= b.pc) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return b.fn = found >= 0 && b.pc < syms[found].end ? syms[found] : null;
  }

  /** The function shown for code in no symbol entered at `pc`. */
  private unknown(pc: number): Fn {
    let f = this.unknownFns.get(pc);
    if (!f) {
      const m = this.modules.findLast((m) => m.live && pc >= m.base && pc < m.end) ?? null;
      this.unknownFns.set(pc, f = this.fn(m, null, pc, pc + 1));
    }
    return f;
  }

  private onBlock(vcpu: number, b: Block): void {
    let cpu = this.cpus[vcpu];
    if (!cpu) this.cpus[vcpu] = cpu = { index: vcpu, stack: [], insns: 0, cell: this.root, prev: null };
    const fn = this.place(b), p = cpu.prev;
    if (!p || !cpu.stack.length) this.push(cpu, fn ?? this.unknown(b.pc), b.pc, -1, "root");
    else if (p.how === End.Call) {
      // A direct call that did not reach its target: a signal was delivered first (the callee comes after sigreturn).
      if (p.target < 0 || b.pc === p.target) this.push(cpu, fn ?? this.unknown(b.pc), b.pc, p.ret, "call");
      else this.interrupt(cpu, b, fn);
    } else if (p.how === End.Return) this.return(cpu, b, fn);
    else if (p.how === End.IndirectJump || p.how === End.PltJump || b.pc === p.end || b.pc === p.target) {
      if (p.how !== End.System) this.jump(cpu, b, fn);
    } else this.interrupt(cpu, b, fn);
    const top = cpu.stack.at(-1)!;
    if (p?.how === End.PltJump && top.entry === p.pc && top.fn.name === null) top.stub = true;
    cpu.prev = b;
    cpu.cell = fn ?? cpu.stack.at(-1)!.fn;
  }

  /** A jump to another function's start: a tail call, or a stub's frame finding its function. */
  private jump(cpu: Cpu, b: Block, fn: Fn | null): void {
    if (!fn || b.pc !== fn.start) return;
    const top = cpu.stack.at(-1)!;
    if (top.fn === fn) return;
    if (top.fn.name === null) {
      top.fn.active--;
      top.fn = fn;
      fn.active++;
      top.entry = b.pc;
      top.stub = false;
      if (!top.hidden) this.events.retarget(cpu, top);
      return;
    }
    const { ret, kind } = top;
    this.pop(cpu);
    this.push(cpu, fn, b.pc, ret, kind);
  }

  private return(cpu: Cpu, b: Block, fn: Fn | null): void {
    const s = cpu.stack;
    for (let i = s.length - 1; i >= 0; i--) {
      if (s[i].ret === b.pc) {
        while (s.length > i) this.pop(cpu);
        return;
      }
    }
    if (fn) {
      for (let i = s.length - 2; i >= 0; i--) {
        if (s[i].fn === fn) {
          while (s.length > i + 1) this.pop(cpu);
          return;
        }
      }
    }
    if (s.at(-1)!.kind === "interrupt") this.pop(cpu);
    // A return address is no function's start: a signal was delivered at the return (whose frame stays until a
    // later return to a frame below it finds it).
    else this.interrupt(cpu, b, fn);
  }

  /** A block no jump of the one before reaches (a signal delivered, a sigreturn): a handler's start is a frame. */
  private interrupt(cpu: Cpu, b: Block, fn: Fn | null): void {
    if (fn && b.pc === fn.start && fn !== cpu.stack.at(-1)!.fn) this.push(cpu, fn, b.pc, -1, "interrupt");
  }

  private push(cpu: Cpu, fn: Fn, entry: number, ret: number, kind: Frame["kind"]): void {
    const below = cpu.stack.at(-1);
    const hidden = below !== undefined && (below.hidden || (below.stub && below.fn.name === null));
    const frame: Frame = { fn, entry, ret, since: cpu.insns, kind, mark: -1, stub: false, hidden };
    cpu.stack.push(frame);
    fn.active++;
    if (!hidden) this.events.enter(cpu, frame);
  }

  private pop(cpu: Cpu): void {
    const frame = cpu.stack.at(-1)!;
    if (!frame.hidden) this.events.exit(cpu, frame);
    frame.fn.active--;
    cpu.stack.pop();
  }
}
