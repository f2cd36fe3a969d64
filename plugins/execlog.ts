/**
 * execlog: one line per executed instruction — vCPU, address, opcode,
 * disassembly and the instruction's memory accesses — with the options and
 * output of QEMU 7.2's `contrib/plugins/execlog.c`:
 *
 * ```
 * 0, 0x100e8, 0x4505, "li a0,1"
 * 0, 0x100ea, 0x597, "auipc a1,0x0"
 * 0, 0x10312, 0xc226, "sw s1,4(sp)", store, 0x7ffefdc4
 * ```
 *
 * A line is printed when the vCPU's next logged instruction starts (so it
 * carries the accesses of its own instruction), the last one at exit.
 * `ifilter=PREFIX` logs only instructions whose disassembly starts with
 * PREFIX, `afilter=ADDR` (hex) only the instruction at ADDR; both are
 * repeatable and combine as alternatives.
 *
 * `reg=PATTERN` (repeatable; `*` and `?` wildcards) and `rdisas=on|off`
 * are not in 7.2: they follow QEMU 9's execlog. Each matching register is
 * read when its vCPU starts and again before each logged instruction (a
 * synchronous `R_REGS` callback); a change is appended to the previous
 * line as `, a0 -> 0x0000000000000001`. With `rdisas=on` registers are
 * checked only at a block's start and after instructions whose operands
 * name one of them.
 *
 * Where plume differs from QEMU 7.2: the disassembly is plume's
 * (`qemu_plugin_insn_disas`, objdump's syntax: `li a0,1` where QEMU 7.2
 * prints `4505              addi                    a0,zero,1`), so
 * `ifilter` matches mnemonics, not QEMU 7.2's encoding prefix; a compressed
 * instruction's opcode is its 16 bits, as in QEMU 9 (7.2 reads 4 bytes of
 * a 2-byte buffer and prints whatever follows in its upper half).
 *
 * Without `reg=` every callback is streamed: the log is built in the
 * plugin's process while the guest runs on, and written in batches, and
 * at each system call (a synchronous callback) so that it stays in order
 * with the guest's own output.
 *
 * @module
 */

import {
  type Insn,
  type MemInfo,
  type PluginId,
  qemu_plugin_bool_parse,
  QEMU_PLUGIN_CB_NO_REGS,
  QEMU_PLUGIN_CB_R_REGS,
  qemu_plugin_get_registers,
  qemu_plugin_insn_data,
  qemu_plugin_insn_disas,
  qemu_plugin_insn_vaddr,
  qemu_plugin_mem_is_store,
  QEMU_PLUGIN_MEM_RW,
  qemu_plugin_outs,
  qemu_plugin_read_register,
  qemu_plugin_register_atexit_cb,
  qemu_plugin_register_vcpu_init_cb,
  qemu_plugin_register_vcpu_insn_exec_cb,
  qemu_plugin_register_vcpu_mem_cb,
  qemu_plugin_register_vcpu_syscall_cb,
  qemu_plugin_register_vcpu_tb_trans_cb,
  qemu_plugin_tb_get_insn,
  qemu_plugin_tb_n_insns,
  type QemuInfo,
  type RegisterHandle,
  type Tb,
} from "qemu-plugin";

/** Plugin API version this plugin is written for. */
export const qemu_plugin_version = 7;

/**
 * Log text is handed to `qemu_plugin_outs` in pieces of about this many
 * characters rather than a line at a time (each call encodes its text and
 * copies it into the text ring, with its own checks); a larger piece would
 * only delay the output.
 */
const FLUSH_CHARS = 1 << 16;

/** A register whose changes are logged (`reg=`). */
interface TrackedRegister {
  handle: RegisterHandle;
  name: string;
  /** Its value as last seen (little-endian bytes). */
  last: Uint8Array;
}

/** One vCPU's pending line: the instruction started last, and its accesses so far. */
interface VcpuLog {
  /** `"N, "`, the line's prefix. */
  prefix: string;
  /** The instruction's part of the line; empty when nothing is pending. */
  insn: string;
  /** `", load, 0x…"` / `", store, 0x…"` for each access so far. */
  mem: string;
  /** The registers checked on this vCPU (`reg=`), or undefined. */
  regs: TrackedRegister[] | undefined;
}

/** The options, as QEMU's execlog reads them. */
interface Options {
  ifilters: string[];
  afilters: number[];
  regPatterns: string[];
  rdisas: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { ifilters: [], afilters: [], regPatterns: [], rdisas: false };
  for (const opt of argv) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq), value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (key === "ifilter" && value !== undefined) o.ifilters.push(value);
    else if (key === "afilter" && value !== undefined) o.afilters.push(parseHexAddress(value));
    else if (key === "reg" && value !== undefined) o.regPatterns.push(value);
    else if (key === "rdisas") {
      const b = qemu_plugin_bool_parse(key, value ?? "");
      if (b === undefined) throw new Error(`boolean argument parsing failed: ${opt}`);
      o.rdisas = b;
    } else throw new Error(`option parsing failed: ${opt}`);
  }
  return o;
}

/**
 * An `afilter` address as `g_ascii_strtoull(s, NULL, 16)` reads it:
 * leading blanks, an optional sign and `0x`, hex digits up to the first
 * other character (none: 0). An address beyond 2^53 can match no
 * instruction here: it becomes NaN.
 */
function parseHexAddress(s: string): number {
  const m = /^\s*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)/.exec(s)!;
  let v = m[2] ? BigInt(`0x${m[2]}`) : 0n;
  if (v >= 1n << 64n) v = (1n << 64n) - 1n;
  if (m[1] === "-") v = BigInt.asUintN(64, -v);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : NaN;
}

/** A GLib pattern (`g_pattern_spec`: `*` any run, `?` one character, nothing else special) as a RegExp. */
function globRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"));
  return new RegExp(`^${body.join("")}$`, "s");
}

function hex(v: number, digits: number): string {
  return v.toString(16).padStart(digits, "0");
}

/** The instruction's bytes as one little-endian number (2 bytes for a compressed one). */
function opcode(insn: Insn): number {
  const bytes = new Uint8Array(4);
  const n = qemu_plugin_insn_data(insn, bytes, 4) as number;
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + bytes[i];
  return v;
}

/** Installs the plugin. */
export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const opts = parseOptions(argv);
  const filtering = opts.ifilters.length > 0 || opts.afilters.length > 0;
  const tracking = opts.regPatterns.length > 0;
  const patterns = opts.regPatterns.map(globRegExp);
  /** Names of tracked registers seen so far (`rdisas`), in the order found. */
  const trackedNames: string[] = [];

  const cpus: VcpuLog[] = [];
  let out = "";
  const flush = () => {
    if (out.length === 0) return;
    qemu_plugin_outs(out);
    out = "";
  };
  const vcpuLog = (vcpu: number): VcpuLog => {
    // As QEMU 7.2's array, the table grows to the highest vCPU seen.
    while (cpus.length <= vcpu) cpus.push({ prefix: `${cpus.length}, `, insn: "", mem: "", regs: undefined });
    return cpus[vcpu];
  };

  /** Appends the changes of `c`'s tracked registers since they were last read to its pending line. */
  const checkRegisters = (c: VcpuLog) => {
    for (const reg of c.regs!) {
      const now = qemu_plugin_read_register(reg.handle);
      if (sameBytes(now, reg.last)) continue;
      let text = `, ${reg.name} -> 0x`;
      for (let i = now.length - 1; i >= 0; i--) text += hex(now[i], 2);
      c.mem += text;
      reg.last = now;
    }
  };
  /** Writes `c`'s pending line, if any. */
  const emit = (c: VcpuLog) => {
    out += c.prefix + c.insn + c.mem + "\n";
    if (out.length >= FLUSH_CHARS) flush();
  };

  // The three instruction callbacks of QEMU's execlog: log (streamed), log after checking registers, and
  // only check registers (for an instruction not logged).
  function onInsn(vcpu: number, text: unknown): void {
    const c = vcpu < cpus.length ? cpus[vcpu] : vcpuLog(vcpu);
    if (c.insn) emit(c);
    c.insn = text as string;
    c.mem = "";
  }
  function onInsnCheckingRegisters(vcpu: number, text: unknown): void {
    const c = vcpuLog(vcpu);
    if (c.insn) {
      if (c.regs) checkRegisters(c);
      emit(c);
    }
    c.insn = text as string;
    c.mem = "";
  }
  function onUnloggedInsn(vcpu: number): void {
    const c = vcpuLog(vcpu);
    if (c.insn) {
      if (c.regs) checkRegisters(c);
      emit(c);
    }
    c.insn = "";
    c.mem = "";
  }
  function onAccess(vcpu: number, info: MemInfo, vaddr: number): void {
    const c = cpus[vcpu];
    c.mem += (qemu_plugin_mem_is_store(info) ? ", store, 0x" : ", load, 0x") + hex(vaddr, 8);
  }

  function matchesFilters(disas: string, vaddr: number): boolean {
    return opts.ifilters.some((m) => disas.startsWith(m)) || opts.afilters.includes(vaddr);
  }

  /** `rdisas`: whether the operands (after the mnemonic) name a tracked register, as a substring. */
  function namesTrackedRegister(disas: string): boolean {
    const sp = disas.search(/[ \t]/);
    if (sp < 0) return false;
    const operands = disas.slice(sp + 1);
    return trackedNames.some((name) => operands.includes(name));
  }

  qemu_plugin_register_vcpu_tb_trans_cb(id, (_id: PluginId, tb: Tb) => {
    const n = qemu_plugin_tb_n_insns(tb);
    let checkThis = tracking, checkNext = false;
    for (let i = 0; i < n; i++) {
      const insn = qemu_plugin_tb_get_insn(tb, i);
      const disas = qemu_plugin_insn_disas(insn), vaddr = qemu_plugin_insn_vaddr(insn);
      let skip = filtering && !matchesFilters(disas, vaddr);
      if (opts.rdisas && tracking) {
        checkNext = namesTrackedRegister(disas);
        if (checkNext) skip = false;
      }
      if (skip) {
        if (checkThis) qemu_plugin_register_vcpu_insn_exec_cb(insn, onUnloggedInsn, QEMU_PLUGIN_CB_R_REGS, null);
      } else {
        const text = `0x${hex(vaddr, 0)}, 0x${hex(opcode(insn), 0)}, "${disas}"`;
        qemu_plugin_register_vcpu_mem_cb(insn, onAccess, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, null);
        if (checkThis) {
          qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsnCheckingRegisters, QEMU_PLUGIN_CB_R_REGS, text);
        } else qemu_plugin_register_vcpu_insn_exec_cb(insn, onInsn, QEMU_PLUGIN_CB_NO_REGS, text);
      }
      if (opts.rdisas && tracking) checkThis = checkNext;
    }
  });

  if (tracking) {
    const all = qemu_plugin_get_registers();
    qemu_plugin_register_vcpu_init_cb(id, (_id: PluginId, vcpu: number) => {
      const regs: TrackedRegister[] = [];
      for (const r of all) {
        const lower = r.name.toLowerCase();
        for (const p of patterns) {
          // As QEMU's, a register matched by two patterns is tracked (and reported) twice.
          if (!p.test(r.name) && !p.test(lower)) continue;
          regs.push({ handle: r.handle, name: lower, last: qemu_plugin_read_register(r.handle) });
          if (opts.rdisas && !trackedNames.includes(lower)) trackedNames.push(lower);
        }
      }
      vcpuLog(vcpu).regs = regs.length > 0 ? regs : undefined;
    });
  }
  // The guest's output happens in system calls: writing the log so far first keeps the two in order.
  qemu_plugin_register_vcpu_syscall_cb(id, flush);
  qemu_plugin_register_atexit_cb(id, () => {
    // QEMU 7.2 prints every vCPU's last line, an empty one as an empty line; QEMU 9 (reg=) only pending ones.
    for (const c of cpus) {
      if (c.insn) emit(c);
      else if (!tracking) out += "\n";
    }
    flush();
  }, null);
  return 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
