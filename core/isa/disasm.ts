/**
 * Disassembles decoded RV64GC instructions (and the extensions of
 * `rv64gc.decode`) in GNU objdump's syntax.
 *
 * The text is what `riscv64-linux-gnu-objdump -d` (binutils 2.40, default
 * options, so with its aliases) prints for the instruction, with one space
 * instead of the tab after the mnemonic, branch and jump targets as bare hex
 * addresses (objdump's form when the target has a symbol, minus the
 * `<symbol+off>` annotation) and without the `# address` comments objdump
 * derives from neighbouring instructions. It serves `-d in_asm` and
 * `qemu_plugin_insn_disas`.
 *
 * The layers: `disassemble` rejects the few encodings plume executes but
 * objdump does not know, then tries the alias layer (`alias`), then falls back
 * to the operand format of the instruction (`formats`).
 *
 * @module
 */

import type { Insn } from "./insn.ts";
import { type Op, OP_INFO, OPS } from "./ops_generated.ts";
import { VECTOR_EXTENSIONS } from "./extensions.ts";

/** ABI names of the integer registers, as objdump prints them. */
// deno-fmt-ignore
const GPR_NAMES: readonly string[] = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

/** ABI names of the floating-point registers, as objdump prints them. */
// deno-fmt-ignore
const FPR_NAMES: readonly string[] = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/** Rounding-mode operand names; objdump says "unknown" for the reserved 5 and 6. */
const ROUNDING_MODES = ["rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn"];
const RM_DYNAMIC = 7;

/** FENCE predecessor/successor sets, indexed by the 4-bit IORW field. */
// deno-fmt-ignore
const FENCE_SETS = [
  "unknown", "w", "r", "rw", "o", "ow", "or", "orw", "i", "iw", "ir", "irw", "io", "iow", "ior", "iorw",
];

/**
 * CSR names objdump knows for privileged spec 1.11, the version Debian's
 * toolchain records in its objects. `name3..31` stands for a numbered run
 * (`name3`, `name4`, …) at consecutive CSR numbers; a suffix after the range
 * (`..31h`) is appended to each name.
 */
const CSR_TABLE = `
  000 ustatus  001 fflags  002 frm  003 fcsr  004 uie  005 utvec  008 vstart  009 vxsat  00a vxrm
  00f vcsr  015 seed  040 uscratch  041 uepc  042 ucause  043 utval  044 uip  100 sstatus  102 sedeleg
  103 sideleg  104 sie  105 stvec  106 scounteren  10c sstateen0..3  114 sieh  140 sscratch  141 sepc
  142 scause  143 stval  144 sip  14d stimecmp  150 siselect  151 sireg  154 siph  15c stopei
  15d stimecmph  180 satp  200 vsstatus  204 vsie  205 vstvec  214 vsieh  240 vsscratch  241 vsepc
  242 vscause  243 vstval  244 vsip  24d vstimecmp  250 vsiselect  251 vsireg  254 vsiph  25c vstopei
  25d vstimecmph  280 vsatp  300 mstatus  301 misa  302 medeleg  303 mideleg  304 mie  305 mtvec
  306 mcounteren  308 mvien  309 mvip  30c mstateen0..3  313 midelegh  314 mieh  318 mvienh  319 mviph
  31c mstateen0..3h  320 mcountinhibit  323 mhpmevent3..31  340 mscratch  341 mepc  342 mcause
  343 mtval  344 mip  350 miselect  351 mireg  354 miph  35c mtopei  3a0 pmpcfg0..3  3b0 pmpaddr0..15
  5a8 scontext  600 hstatus  602 hedeleg  603 hideleg  604 hie  605 htimedelta  606 hcounteren
  607 hgeie  608 hvien  609 hvictl  60a henvcfg  60c hstateen0..3  613 hidelegh  615 htimedeltah
  618 hvienh  61a henvcfgh  61c hstateen0..3h  643 htval  644 hip  645 hvip  646 hviprio1
  647 hviprio2  64a htinst  655 hviph  656 hviprio1h  657 hviprio2h  680 hgatp  6a8 hcontext
  723 mhpmevent3..31h  7a0 tselect  7a1 tdata1..3  7a4 tinfo  7a5 tcontrol  7a8 mcontext
  7aa mscontext  7b0 dcsr  7b1 dpc  7b2 dscratch0  7b3 dscratch1  b00 mcycle  b02 minstret
  b03 mhpmcounter3..31  b80 mcycleh  b82 minstreth  b83 mhpmcounter3..31h  c00 cycle  c01 time
  c02 instret  c03 hpmcounter3..31  c20 vl  c21 vtype  c22 vlenb  c80 cycleh  c81 timeh  c82 instreth
  c83 hpmcounter3..31h  da0 scountovf  db0 stopi  e12 hgeip  eb0 vstopi  f11 mvendorid  f12 marchid
  f13 mimpid  f14 mhartid  fb0 mtopi
`;

function parseCsrTable(table: string): Map<number, string> {
  const names = new Map<number, string>();
  const tokens = table.trim().split(/\s+/);
  for (let i = 0; i < tokens.length; i += 2) {
    const csr = parseInt(tokens[i], 16);
    const range = tokens[i + 1].match(/^([a-z]+)(\d+)\.\.(\d+)([a-z]*)$/);
    if (!range) {
      names.set(csr, tokens[i + 1]);
      continue;
    }
    const [, stem, first, last, suffix] = range;
    for (let n = Number(first); n <= Number(last); n++) names.set(csr + n - Number(first), `${stem}${n}${suffix}`);
  }
  return names;
}

/** CSR names by number, parsed at the first use (see {@link formats}). */
let csrNames: Map<number, string> | undefined;

const CSR_FFLAGS = 0x001;
const CSR_FRM = 0x002;
const CSR_FCSR = 0x003;
const CSR_CYCLE = 0xc00;

// ---------------------------------------------------------------- operands

function x(reg: number): string {
  return GPR_NAMES[reg];
}

function f(reg: number): string {
  return FPR_NAMES[reg];
}

function csrName(csr: number): string {
  return (csrNames ??= parseCsrTable(CSR_TABLE)).get(csr) ?? `0x${csr.toString(16)}`;
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

/** A branch or jump target as objdump prints it: an unsigned 64-bit address in hex. */
function target(pc: number, offset: number): string {
  const address = pc + offset;
  return address >= 0 ? address.toString(16) : BigInt.asUintN(64, BigInt(address)).toString(16);
}

/** The 20-bit upper immediate of lui/auipc (imm holds it already shifted left by 12). */
function upper(imm: number): string {
  return hex((imm >>> 12) & 0xfffff);
}

/** The `,rm` operand, which objdump omits for the dynamic rounding mode. */
function rounding(rm: number): string {
  return rm === RM_DYNAMIC ? "" : `,${ROUNDING_MODES[rm]}`;
}

// ---------------------------------------------------------------- operand formats

/** A vector register. */
function v(reg: number): string {
  return `v${reg}`;
}

const LMUL_NAMES = ["m1", "m2", "m4", "m8", "", "mf8", "mf4", "mf2"];

/** A vset{i}vli's vtype immediate: `e32,m1,ta,ma`, or the number when it is reserved. */
function vtypeName(t: number): string {
  const vsew = (t >> 3) & 7, vlmul = t & 7;
  if (t >> 8 !== 0 || vsew > 3 || vlmul === 4) return String(t);
  return `e${8 << vsew},${LMUL_NAMES[vlmul]},${t & 0x40 ? "ta" : "tu"},${t & 0x80 ? "ma" : "mu"}`;
}

/** The `.vi`/`.wi` forms whose immediate is a shift amount, uimm5 (the others' is simm5). */
const UIMM5_OPS: ReadonlySet<Op> = new Set<Op>(["vssrl.vi", "vssra.vi", "vnclipu.wi", "vnclip.wi"]);

/** When objdump prints a vector operation as a two-operand alias `vd,vs2`: an operand of -1 or x0. */
const VECTOR_ALIASES: Partial<Record<Op, (i: Insn) => boolean>> = {
  "vxor.vi": (i) => (i.raw << 12) >> 27 === -1,
  "vrsub.vx": (i) => i.rs1 === 0,
  "vwaddu.vx": (i) => i.rs1 === 0,
  "vwadd.vx": (i) => i.rs1 === 0,
  "vnsrl.wx": (i) => i.rs1 === 0,
};

/** The aliases' names. */
const VECTOR_ALIAS_NAMES: Partial<Record<Op, string>> = {
  "vxor.vi": "vnot.v",
  "vrsub.vx": "vneg.v",
  "vwaddu.vx": "vwcvtu.x.x.v",
  "vwadd.vx": "vwcvt.x.x.v",
  "vnsrl.wx": "vncvt.x.x.w",
};

/**
 * A vector instruction's operands; vector registers, vm and immediates come
 * from the raw bits (the decoder fills only the integer register fields).
 */
const vectorOperands: Format = (i) => {
  const raw = i.raw, vd = (raw >>> 7) & 31, vs1 = (raw >>> 15) & 31, vs2 = (raw >>> 20) & 31;
  const mask = (raw >>> 25) & 1 ? "" : ",v0.t";
  const simm5 = (raw << 12) >> 27;
  const op = i.op;
  const maskOrPermutation = maskPermutationOperands(i);
  if (maskOrPermutation !== undefined) return maskOrPermutation;
  switch (op) {
    case "vsetvli":
      return `${x(i.rd)},${x(i.rs1)},${vtypeName((raw >>> 20) & 0x7ff)}`;
    case "vsetivli":
      return `${x(i.rd)},${vs1},${vtypeName((raw >>> 20) & 0x3ff)}`;
    case "vsetvl":
      return regRegReg(i, 0);
    case "vmv.v.v":
      return `${v(vd)},${v(vs1)}`;
    case "vmv.v.x":
    case "vmv.s.x":
      return `${v(vd)},${x(i.rs1)}`;
    case "vmv.v.i":
      return `${v(vd)},${simm5}`;
    case "vmv.x.s":
      return `${x(i.rd)},${v(vs2)}`;
  }
  // OPFVV and OPFVF (funct3 001 and 101): the floating-point operations.
  if ((raw & 0x7f) === 0x57 && ((raw >>> 12) & 3) === 1) return floatOperands(i);
  if (VECTOR_ALIASES[op]?.(i)) return `${v(vd)},${v(vs2)}${mask}`;
  // The multiply-adds name the multiplier first: vmacc.vv vd,vs1,vs2 and vmacc.vx vd,rs1,vs2.
  if (/^vn?m(acc|sac|add|sub)|^vwmacc/.test(op)) {
    return `${v(vd)},${op.endsWith(".vv") ? v(vs1) : x(i.rs1)},${v(vs2)}${mask}`;
  }
  // The carry and merge forms name v0 as an operand (vmadc.vvm…; vmadc.vv has no carry in).
  if (/\.v[vxi]m$/.test(op)) return `${vectorOperands({ ...i, op: op.slice(0, -1) as Op, raw: raw | 1 << 25 }, 0)},v0`;
  if (/\.(vv|wv|vs)$/.test(op)) return `${v(vd)},${v(vs2)},${v(vs1)}${mask}`;
  if (/\.[vw]x$/.test(op)) return `${v(vd)},${v(vs2)},${x(i.rs1)}${mask}`;
  if (/\.vf[248]$|^v(brev8?|rev8|clz|ctz|cpop)\.v$/.test(op)) return `${v(vd)},${v(vs2)}${mask}`;
  // The shifts' immediate is unsigned (uimm5; vror.vi's uimm6 has bit 5 in bit 26), the others' signed.
  if (op === "vror.vi") return `${v(vd)},${v(vs2)},${vs1 | ((raw >>> 26) & 1) << 5}${mask}`;
  if (/^vn?s[lr][la]\.[vw]i$|^vwsll\.vi$/.test(op) || UIMM5_OPS.has(op)) return `${v(vd)},${v(vs2)},${vs1}${mask}`;
  if (/\.[vw]i$/.test(op)) return `${v(vd)},${v(vs2)},${simm5}${mask}`;
  // Loads and stores: (rs1), then the stride or the index vector.
  const index = /^v[ls][uo]xei/.test(op) ? `,${v(vs2)}` : /^v[ls]se/.test(op) ? `,${x(i.rs2)}` : "";
  return `${v(vd)},(${x(i.rs1)})${index}${mask}`;
};

/**
 * The operands of the mask and permutation instructions whose forms the
 * generic `.vv`/`.vx`/`.vi` ones do not fit: single mask sources, x[rd]
 * results, unsigned immediates, whole-register moves.
 */
function maskPermutationOperands(i: Insn): string | undefined {
  const raw = i.raw, vd = (raw >>> 7) & 31, vs1 = (raw >>> 15) & 31, vs2 = (raw >>> 20) & 31;
  const mask = (raw >>> 25) & 1 ? "" : ",v0.t";
  switch (i.op) {
    case "vcpop.m":
    case "vfirst.m":
      return `${x(i.rd)},${v(vs2)}${mask}`;
    case "vmsbf.m":
    case "vmsif.m":
    case "vmsof.m":
    case "viota.m":
      return `${v(vd)},${v(vs2)}${mask}`;
    case "vid.v":
      return `${v(vd)}${mask}`;
    case "vcompress.vm":
      return `${v(vd)},${v(vs2)},${v(vs1)}`;
    case "vmv1r.v":
    case "vmv2r.v":
    case "vmv4r.v":
    case "vmv8r.v":
      return `${v(vd)},${v(vs2)}`;
    case "vslideup.vi":
    case "vslidedown.vi":
    case "vrgather.vi":
      return `${v(vd)},${v(vs2)},${vs1}${mask}`;
  }
  return i.op.endsWith(".mm") ? `${v(vd)},${v(vs2)},${v(vs1)}` : undefined;
}

/**
 * objdump's aliases of mask-register logical operations on one register:
 * vmmv.m and vmnot.m (vmand/vmnand with vs1 = vs2), vmclr.m and vmset.m
 * (vmxor/vmxnor with vd = vs1 = vs2).
 */
function maskRegisterAlias(i: Insn): string | undefined {
  const vd = (i.raw >>> 7) & 31, vs1 = (i.raw >>> 15) & 31, vs2 = (i.raw >>> 20) & 31;
  if (vs1 !== vs2) return undefined;
  if (i.op === "vmand.mm" || i.op === "vmnand.mm") {
    return text(i.op === "vmand.mm" ? "vmmv.m" : "vmnot.m", `${v(vd)},${v(vs2)}`);
  }
  return vd === vs1 ? text(i.op === "vmxor.mm" ? "vmclr.m" : "vmset.m", v(vd)) : undefined;
}

/**
 * A vector FP instruction's operands: the multiply-adds name vs1 (or f[rs1])
 * before vs2, the unary ones (VFUNARY0/1) only vs2, the merge ends in v0.
 */
function floatOperands(i: Insn): string {
  const raw = i.raw, vd = (raw >>> 7) & 31, vs1 = (raw >>> 15) & 31, vs2 = (raw >>> 20) & 31;
  const mask = (raw >>> 25) & 1 ? "" : ",v0.t";
  const op = i.op, scalar = op.endsWith("f") ? f(i.rs1) : v(vs1);
  switch (op) {
    case "vfmv.v.f":
    case "vfmv.s.f":
      return `${v(vd)},${f(i.rs1)}`;
    case "vfmv.f.s":
      return `${f(i.rd)},${v(vs2)}`;
    case "vfmerge.vfm":
      return `${v(vd)},${v(vs2)},${f(i.rs1)},v0`;
  }
  if (op.endsWith(".v") || op.endsWith(".w")) return `${v(vd)},${v(vs2)}${mask}`;
  if (/^vfw?n?m(acc|sac|add|sub)\./.test(op)) return `${v(vd)},${scalar},${v(vs2)}${mask}`;
  if ((op === "vfsgnjn.vv" || op === "vfsgnjx.vv") && vs1 === vs2) return `${v(vd)},${v(vs2)}${mask}`;
  return `${v(vd)},${v(vs2)},${scalar}${mask}`;
}

/**
 * A vector instruction's mnemonic as objdump prints it: segment forms
 * (nf > 1) are `vlseg<nf>e8.v`…, whole-register loads of bytes `vl<n>r.v`,
 * and the aliases of {@link VECTOR_ALIASES} (vxor.vi with -1 is `vnot.v`,
 * vrsub.vx with x0 `vneg.v`…).
 */
function vectorMnemonic(i: Insn): string {
  const op = i.op, nf = ((i.raw >>> 29) & 7) + 1;
  if (VECTOR_ALIASES[op]?.(i)) return VECTOR_ALIAS_NAMES[op]!;
  // vfsgnjn.vv/vfsgnjx.vv of a register with itself are vfneg.v/vfabs.v.
  if ((op === "vfsgnjn.vv" || op === "vfsgnjx.vv") && ((i.raw >>> 15) & 31) === ((i.raw >>> 20) & 31)) {
    return op === "vfsgnjn.vv" ? "vfneg.v" : "vfabs.v";
  }
  if (/^vl[1248]re8\.v$/.test(op)) return op.replace("re8", "r");
  const memory = (i.raw & 0x5f) === 0x07; // LOAD-FP or STORE-FP
  if (memory && nf > 1 && !/^v[ls][1248]r/.test(op)) {
    return op.replace(/^(v[ls](?:s|ux|ox)?)e/, `$1seg${nf}e`);
  }
  return op;
}

type Format = (i: Insn, pc: number) => string;

/** Gives several operations one operand format. */
function formatOf<const K extends Op>(ops: readonly K[], format: Format): Record<K, Format> {
  return Object.fromEntries(ops.map((op) => [op, format])) as Record<K, Format>;
}

const regRegReg: Format = (i) => `${x(i.rd)},${x(i.rs1)},${x(i.rs2)}`;
const regRegImm: Format = (i) => `${x(i.rd)},${x(i.rs1)},${i.imm}`;
const regRegShamt: Format = (i) => `${x(i.rd)},${x(i.rs1)},${hex(i.imm)}`;
const load: Format = (i) => `${x(i.rd)},${i.imm}(${x(i.rs1)})`;
const store: Format = (i) => `${x(i.rs2)},${i.imm}(${x(i.rs1)})`;
const fpLoad: Format = (i) => `${f(i.rd)},${i.imm}(${x(i.rs1)})`;
const fpStore: Format = (i) => `${f(i.rs2)},${i.imm}(${x(i.rs1)})`;
const branch: Format = (i, pc) => `${x(i.rs1)},${x(i.rs2)},${target(pc, i.imm)}`;
const upperImm: Format = (i) => `${x(i.rd)},${upper(i.imm)}`;
const jump: Format = (i, pc) => `${x(i.rd)},${target(pc, i.imm)}`;
const jumpReg: Format = (i) => `${x(i.rd)},${i.imm}(${x(i.rs1)})`;
const csrReg: Format = (i) => `${x(i.rd)},${csrName(i.csr)},${x(i.rs1)}`;
const csrImm: Format = (i) => `${x(i.rd)},${csrName(i.csr)},${i.imm}`;
const loadReserved: Format = (i) => `${x(i.rd)},(${x(i.rs1)})`;
const atomic: Format = (i) => `${x(i.rd)},${x(i.rs2)},(${x(i.rs1)})`;
const fp3: Format = (i) => `${f(i.rd)},${f(i.rs1)},${f(i.rs2)}`;
const fp3Rm: Format = (i) => `${f(i.rd)},${f(i.rs1)},${f(i.rs2)}${rounding(i.rm)}`;
const fp4Rm: Format = (i) => `${f(i.rd)},${f(i.rs1)},${f(i.rs2)},${f(i.rs3)}${rounding(i.rm)}`;
const fp2: Format = (i) => `${f(i.rd)},${f(i.rs1)}`;
const fp2Rm: Format = (i) => `${f(i.rd)},${f(i.rs1)}${rounding(i.rm)}`;
const fpToInt: Format = (i) => `${x(i.rd)},${f(i.rs1)}`;
const fpToIntRm: Format = (i) => `${x(i.rd)},${f(i.rs1)}${rounding(i.rm)}`;
const intToFp: Format = (i) => `${f(i.rd)},${x(i.rs1)}`;
const intToFpRm: Format = (i) => `${f(i.rd)},${x(i.rs1)}${rounding(i.rm)}`;
const fpCompare: Format = (i) => `${x(i.rd)},${f(i.rs1)},${f(i.rs2)}`;
const regReg: Format = (i) => `${x(i.rd)},${x(i.rs1)}`;
const cbo: Format = (i) => `(${x(i.rs1)})`;
const fence: Format = (i) => `${FENCE_SETS[i.imm >> 4]},${FENCE_SETS[i.imm & 15]}`;
const none: Format = () => "";
const fli: Format = (i) => `${f(i.rd)},${FLI_CONSTANTS[i.rs1]}`;
const fcvtmod: Format = (i) => `${x(i.rd)},${f(i.rs1)},rtz`;

/**
 * How llvm-objdump 19 spells the 32 `fli` constants (the same for every
 * width: `fli.h`'s entry 29 reads 65536.0 although it loads infinity).
 */
const FLI_CONSTANTS = [
  "-1.0",
  "min",
  "1.52587890625e-05",
  "3.0517578125e-05",
  "0.00390625",
  "0.0078125",
  "0.0625",
  "0.125",
  "0.25",
  "0.3125",
  "0.375",
  "0.4375",
  "0.5",
  "0.625",
  "0.75",
  "0.875",
  "1.0",
  "1.25",
  "1.5",
  "1.75",
  "2.0",
  "2.5",
  "3.0",
  "4.0",
  "8.0",
  "16.0",
  "128.0",
  "256.0",
  "32768.0",
  "65536.0",
  "inf",
  "nan",
];

/** {@link formats}' table, made at its first use. */
let formatTable: Readonly<Record<Op, Format>> | undefined;

/**
 * Each operation's operand format. Typed `Record<Op, Format>`: an operation
 * added to `rv64gc.decode` fails `deno check` here until it has one. Made at
 * the first disassembly, not when the module loads: every run loads it
 * (`-d in_asm` and plugins use it), few disassemble.
 */
function formats(): Readonly<Record<Op, Format>> {
  if (formatTable !== undefined) return formatTable;
  const FORMATS: Readonly<Record<Op, Format>> = {
    ...formatOf(
      OPS.filter((op): op is Extract<Op, `v${string}`> => VECTOR_EXTENSIONS.has(OP_INFO[op].ext ?? "")),
      vectorOperands,
    ),
    ...formatOf(["lui", "auipc"], upperImm),
    ...formatOf(["jal"], jump),
    ...formatOf(["jalr"], jumpReg),
    ...formatOf(["beq", "bne", "blt", "bge", "bltu", "bgeu"], branch),
    ...formatOf(["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"], load),
    ...formatOf(["sb", "sh", "sw", "sd"], store),
    ...formatOf(["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"], regRegImm),
    ...formatOf(["slli", "srli", "srai", "slliw", "srliw", "sraiw"], regRegShamt),
    ...formatOf(["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"], regRegReg),
    ...formatOf(["addw", "subw", "sllw", "srlw", "sraw"], regRegReg),
    ...formatOf(["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"], regRegReg),
    ...formatOf(["mulw", "divw", "divuw", "remw", "remuw"], regRegReg),
    ...formatOf(["fence"], fence),
    ...formatOf(["fence.tso", "fence.i", "ecall", "ebreak"], none),
    ...formatOf(["csrrw", "csrrs", "csrrc"], csrReg),
    ...formatOf(["csrrwi", "csrrsi", "csrrci"], csrImm),
    ...formatOf(["lr.w", "lr.d"], loadReserved),
    ...formatOf(["sc.w", "amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w"], atomic),
    ...formatOf(["amomin.w", "amomax.w", "amominu.w", "amomaxu.w"], atomic),
    ...formatOf(["sc.d", "amoswap.d", "amoadd.d", "amoxor.d", "amoand.d", "amoor.d"], atomic),
    ...formatOf(["amomin.d", "amomax.d", "amominu.d", "amomaxu.d"], atomic),
    ...formatOf(["flw", "fld"], fpLoad),
    ...formatOf(["fsw", "fsd"], fpStore),
    ...formatOf(["fmadd.s", "fmsub.s", "fnmsub.s", "fnmadd.s", "fmadd.d", "fmsub.d", "fnmsub.d", "fnmadd.d"], fp4Rm),
    ...formatOf(["fadd.s", "fsub.s", "fmul.s", "fdiv.s", "fadd.d", "fsub.d", "fmul.d", "fdiv.d"], fp3Rm),
    ...formatOf(["fsgnj.s", "fsgnjn.s", "fsgnjx.s", "fmin.s", "fmax.s"], fp3),
    ...formatOf(["fsgnj.d", "fsgnjn.d", "fsgnjx.d", "fmin.d", "fmax.d"], fp3),
    ...formatOf(["fsqrt.s", "fsqrt.d", "fcvt.s.d"], fp2Rm),
    ...formatOf(["fcvt.d.s"], fp2),
    ...formatOf(["fcvt.w.s", "fcvt.wu.s", "fcvt.l.s", "fcvt.lu.s"], fpToIntRm),
    ...formatOf(["fcvt.w.d", "fcvt.wu.d", "fcvt.l.d", "fcvt.lu.d"], fpToIntRm),
    ...formatOf(["fmv.x.w", "fclass.s", "fmv.x.d", "fclass.d"], fpToInt),
    ...formatOf(["fcvt.s.w", "fcvt.s.wu", "fcvt.s.l", "fcvt.s.lu", "fcvt.d.l", "fcvt.d.lu"], intToFpRm),
    ...formatOf(["fcvt.d.w", "fcvt.d.wu", "fmv.w.x", "fmv.d.x"], intToFp),
    ...formatOf(["feq.s", "flt.s", "fle.s", "feq.d", "flt.d", "fle.d"], fpCompare),
    ...formatOf(["add.uw", "sh1add", "sh2add", "sh3add", "sh1add.uw", "sh2add.uw", "sh3add.uw"], regRegReg),
    ...formatOf(["andn", "orn", "xnor", "max", "maxu", "min", "minu", "rol", "ror", "rolw", "rorw"], regRegReg),
    ...formatOf(["clz", "ctz", "cpop", "sext.b", "sext.h", "clzw", "ctzw", "cpopw", "orc.b", "rev8", "zext.h"], regReg),
    ...formatOf(["slli.uw", "rori", "roriw", "bclri", "bexti", "binvi", "bseti"], regRegShamt),
    ...formatOf(["cbo.zero"], cbo),
    ...formatOf(["flh"], fpLoad),
    ...formatOf(["fsh"], fpStore),
    ...formatOf(["fmadd.h", "fmsub.h", "fnmsub.h", "fnmadd.h"], fp4Rm),
    ...formatOf(["fadd.h", "fsub.h", "fmul.h", "fdiv.h"], fp3Rm),
    ...formatOf(["fsgnj.h", "fsgnjn.h", "fsgnjx.h", "fmin.h", "fmax.h"], fp3),
    ...formatOf(["fsqrt.h", "fcvt.h.s", "fcvt.h.d"], fp2Rm),
    ...formatOf(["fcvt.s.h", "fcvt.d.h"], fp2),
    ...formatOf(["fcvt.w.h", "fcvt.wu.h", "fcvt.l.h", "fcvt.lu.h"], fpToIntRm),
    ...formatOf(["fmv.x.h", "fclass.h"], fpToInt),
    ...formatOf(["fcvt.h.w", "fcvt.h.wu", "fcvt.h.l", "fcvt.h.lu"], intToFpRm),
    ...formatOf(["fmv.h.x"], intToFp),
    ...formatOf(["feq.h", "flt.h", "fle.h"], fpCompare),
    ...formatOf(["fli.s", "fli.d", "fli.h"], fli),
    ...formatOf(["fminm.s", "fmaxm.s", "fminm.d", "fmaxm.d", "fminm.h", "fmaxm.h"], fp3),
    ...formatOf(["fround.s", "froundnx.s", "fround.d", "froundnx.d", "fround.h", "froundnx.h"], fp2Rm),
    ...formatOf(["fcvtmod.w.d"], fcvtmod),
    ...formatOf(["fleq.s", "fltq.s", "fleq.d", "fltq.d", "fleq.h", "fltq.h"], fpCompare),
    ...formatOf(["clmul", "clmulr", "clmulh", "bclr", "bext", "binv", "bset", "czero.eqz", "czero.nez"], regRegReg),
    ...formatOf(["mop.r.n"], regReg),
    ...formatOf(["mop.rr.n"], regRegReg),
    ...formatOf(["c.mop.n", "wrs.nto", "wrs.sto"], none),
  };
  return formatTable = FORMATS;
}

/**
 * binutils 2.40 lists `add rd,rs1,imm`-style entries (accepted by gas) before
 * the immediate instructions in its opcode table, so objdump prints the
 * immediate forms under the register-form mnemonic.
 */
const PRINTED_AS: Readonly<Partial<Record<Op, string>>> = {
  addi: "add",
  xori: "xor",
  ori: "or",
  andi: "and",
  slli: "sll",
  srli: "srl",
  srai: "sra",
  addiw: "addw",
  slliw: "sllw",
  srliw: "srlw",
  sraiw: "sraw",
  csrrwi: "csrrw",
  csrrsi: "csrrs",
  csrrci: "csrrc",
  rori: "ror",
  roriw: "rorw",
  bclri: "bclr",
  bexti: "bext",
  binvi: "binv",
  bseti: "bset",
};

// ---------------------------------------------------------------- aliases

/** Joins a mnemonic and its operands the way the disassembler prints them. */
function text(mnemonic: string, operands = ""): string {
  return operands === "" ? mnemonic : `${mnemonic} ${operands}`;
}

const C_LI_FUNCT3 = 2;

/** The RVC HINT forms, which objdump prints under their `c.` names. */
function compressedHint(i: Insn): string | undefined {
  switch (i.op) {
    case "addi": // c.li and c.addi (c.nop) with rd = 0 only differ in funct3
      if (i.rd !== 0) return undefined;
      if (i.raw >> 13 === C_LI_FUNCT3) return text("c.li", `zero,${i.imm}`);
      return i.imm !== 0 ? text("c.nop", `${i.imm}`) : undefined;
    case "lui":
      return i.rd === 0 ? text("c.lui", `zero,${upper(i.imm)}`) : undefined;
    case "slli":
      if (i.imm === 0) return text("c.slli64", x(i.rd));
      return i.rd === 0 ? text("c.slli", `zero,${hex(i.imm)}`) : undefined;
    case "srli":
    case "srai":
      return i.imm === 0 ? text(`c.${i.op}64`, x(i.rd)) : undefined;
    case "add": // c.mv and c.add with rd = 0 only differ in bit 12
      if (i.rd !== 0) return undefined;
      return text(i.raw & 0x1000 ? "c.add" : "c.mv", `zero,${x(i.rs2)}`);
  }
  return undefined;
}

/** objdump's pseudo-instructions for one instruction, or undefined to print it plainly. */
function alias(i: Insn, pc: number): string | undefined {
  switch (i.op) {
    case "vmand.mm":
    case "vmnand.mm":
    case "vmxor.mm":
    case "vmxnor.mm":
      return maskRegisterAlias(i);
    case "addi":
      if (i.rd === 0 && i.rs1 === 0 && i.imm === 0) return "nop";
      if (i.rs1 === 0) return text("li", `${x(i.rd)},${i.imm}`);
      return i.imm === 0 && i.size === 4 ? text("mv", `${x(i.rd)},${x(i.rs1)}`) : undefined;
    case "add":
      return i.rs1 === 0 && i.size === 2 ? text("mv", `${x(i.rd)},${x(i.rs2)}`) : undefined;
    case "addiw":
      return i.imm === 0 ? text("sext.w", `${x(i.rd)},${x(i.rs1)}`) : undefined;
    case "add.uw":
      return i.rs2 === 0 ? text("zext.w", `${x(i.rd)},${x(i.rs1)}`) : undefined;
    case "sltiu":
      return i.imm === 1 ? text("seqz", `${x(i.rd)},${x(i.rs1)}`) : undefined;
    case "xori":
      return i.imm === -1 ? text("not", `${x(i.rd)},${x(i.rs1)}`) : undefined;
    case "andi":
      return i.imm === 255 ? text("zext.b", `${x(i.rd)},${x(i.rs1)}`) : undefined;
    case "sub":
    case "subw":
      return i.rs1 === 0 ? text(i.op === "sub" ? "neg" : "negw", `${x(i.rd)},${x(i.rs2)}`) : undefined;
    case "slt":
      if (i.rs2 === 0) return text("sltz", `${x(i.rd)},${x(i.rs1)}`);
      return i.rs1 === 0 ? text("sgtz", `${x(i.rd)},${x(i.rs2)}`) : undefined;
    case "sltu":
      return i.rs1 === 0 ? text("snez", `${x(i.rd)},${x(i.rs2)}`) : undefined;
    case "beq":
    case "bne":
      return i.rs2 === 0 ? text(`${i.op}z`, `${x(i.rs1)},${target(pc, i.imm)}`) : undefined;
    case "blt":
      if (i.rs2 === 0) return text("bltz", `${x(i.rs1)},${target(pc, i.imm)}`);
      return i.rs1 === 0 ? text("bgtz", `${x(i.rs2)},${target(pc, i.imm)}`) : undefined;
    case "bge":
      if (i.rs1 === 0) return text("blez", `${x(i.rs2)},${target(pc, i.imm)}`);
      return i.rs2 === 0 ? text("bgez", `${x(i.rs1)},${target(pc, i.imm)}`) : undefined;
    case "jal":
      if (i.rd === 0) return text("j", target(pc, i.imm));
      return i.rd === 1 ? text("jal", target(pc, i.imm)) : undefined;
    case "jalr":
      return jalrAlias(i);
    case "fence":
      return i.imm === 0xff ? "fence" : undefined;
    case "csrrw":
    case "csrrs":
    case "csrrc":
    case "csrrwi":
    case "csrrsi":
    case "csrrci":
      return csrAlias(i);
    case "fsgnj.s":
    case "fsgnjn.s":
    case "fsgnjx.s":
    case "fsgnj.d":
    case "fsgnjn.d":
    case "fsgnjx.d":
    case "fsgnj.h":
    case "fsgnjn.h":
    case "fsgnjx.h":
      return i.rs1 === i.rs2 ? text(SIGN_INJECTION_ALIASES[i.op], `${f(i.rd)},${f(i.rs1)}`) : undefined;
  }
  return undefined;
}

const SIGN_INJECTION_ALIASES = {
  "fsgnj.s": "fmv.s",
  "fsgnjn.s": "fneg.s",
  "fsgnjx.s": "fabs.s",
  "fsgnj.d": "fmv.d",
  "fsgnjn.d": "fneg.d",
  "fsgnjx.d": "fabs.d",
  "fsgnj.h": "fmv.h",
  "fsgnjn.h": "fneg.h",
  "fsgnjx.h": "fabs.h",
} as const satisfies Partial<Record<Op, string>>;

function jalrAlias(i: Insn): string {
  const base = i.imm === 0 ? x(i.rs1) : `${i.imm}(${x(i.rs1)})`;
  if (i.rd === 0) return i.rs1 === 1 && i.imm === 0 ? "ret" : text("jr", base);
  if (i.rd === 1) return text("jalr", base);
  return text("jalr", `${x(i.rd)},${base}`);
}

/** Floating-point CSR accessors named after the CSR they touch. */
const FP_CSR_ALIASES: Record<number, { read: string; swap: string; swapImm?: string }> = {
  [CSR_FFLAGS]: { read: "frflags", swap: "fsflags", swapImm: "fsflagsi" },
  [CSR_FRM]: { read: "frrm", swap: "fsrm", swapImm: "fsrmi" },
  [CSR_FCSR]: { read: "frcsr", swap: "fscsr" },
};

/** Counter reads named after the counter. */
const COUNTER_READS: Record<number, string> = { 0xc00: "rdcycle", 0xc01: "rdtime", 0xc02: "rdinstret" };

function csrAlias(i: Insn): string | undefined {
  const immediate = i.op.endsWith("i");
  const source = immediate ? `${i.imm}` : x(i.rs1);
  const fp = FP_CSR_ALIASES[i.csr];
  const kind = i.op.slice(4, 5); // w, s or c
  if (i.op === "csrrw" && i.rd === 0 && i.rs1 === 0 && i.csr === CSR_CYCLE) return "unimp";
  if (i.op === "csrrs" && i.rs1 === 0) {
    if (COUNTER_READS[i.csr]) return text(COUNTER_READS[i.csr], x(i.rd));
    if (fp) return text(fp.read, x(i.rd));
    return text("csrr", `${x(i.rd)},${csrName(i.csr)}`);
  }
  if (kind === "w" && fp) {
    const name = immediate ? fp.swapImm : fp.swap;
    // objdump lists `fsflags rs1` before `fsflags rd,rs1` but `fsflagsi rd,imm` before `fsflagsi imm`.
    if (name) return text(name, i.rd === 0 && !immediate ? source : `${x(i.rd)},${source}`);
  }
  return i.rd === 0 ? text(`csr${kind}`, `${csrName(i.csr)},${source}`) : undefined;
}

// ---------------------------------------------------------------- encodings objdump rejects

/**
 * Encodings plume decodes (the specification makes them legal) but binutils
 * 2.40 does not recognize, so objdump prints them as data: fences with their
 * reserved fields set, and the exact conversions to double (and from half
 * to single) with a rounding mode other than 0.
 */
function objdumpRejects(i: Insn): boolean {
  switch (i.op) {
    case "fence":
      return (i.raw & 0xf00f8f80) !== 0;
    case "fence.tso":
      return (i.raw & 0x000f8f80) !== 0;
    case "fence.i":
      return (i.raw & 0xffff8f80) !== 0;
    case "fcvt.d.s":
    case "fcvt.d.w":
    case "fcvt.d.wu":
    case "fcvt.s.h":
    case "fcvt.d.h":
      return i.rm !== 0;
  }
  return false;
}

// ---------------------------------------------------------------- entry points

/**
 * Renders an instruction's bytes as objdump does: the instruction as one
 * little-endian number, 4 hex digits for a compressed instruction and 8 for
 * a full-size one.
 *
 * @param insn A decoded instruction.
 * @returns The hex digits, without `0x`.
 *
 * @example Raw bytes for an in_asm log
 * ```ts
 * import { decode } from "./decoder.ts";
 * import { insnHex } from "./disasm.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(insnHex(decode(0x00150513)!), "00150513");
 * strictEqual(insnHex(decode(0x0505)!), "0505");
 * ```
 */
export function insnHex(insn: Insn): string {
  return insn.raw.toString(16).padStart(insn.size * 2, "0");
}

/**
 * Disassembles one instruction in objdump's syntax.
 *
 * @param insn The decoded instruction.
 * @param pc Its address, for branch and jump targets.
 * @returns Mnemonic and operands separated by one space, such as
 * `add a0,a0,1` or `beqz a5,10274`.
 *
 * @example Disassemble a few instructions
 * ```ts
 * import { decode } from "./decoder.ts";
 * import { disassemble } from "./disasm.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(disassemble(decode(0x00000513)!, 0x10000), "li a0,0");
 * strictEqual(disassemble(decode(0x8082)!, 0x10004), "ret");
 * strictEqual(disassemble(decode(0xfe078ee3)!, 0x10008), "beqz a5,10004");
 * ```
 */
export function disassemble(insn: Insn, pc: number): string {
  if (objdumpRejects(insn)) return `.${insn.size}byte ${hex(insn.raw)}`;
  const special = (insn.size === 2 ? compressedHint(insn) : undefined) ?? alias(insn, pc);
  if (special !== undefined) return special;
  if (VECTOR_EXTENSIONS.has(OP_INFO[insn.op].ext ?? "")) {
    return text(vectorMnemonic(insn), formats()[insn.op](insn, pc));
  }
  return text(PRINTED_AS[insn.op] ?? numberedName(insn) ?? atomicName(insn), formats()[insn.op](insn, pc));
}

/** The may-be-operations carry their number in the mnemonic (`mop.r.28`, `c.mop.5`); imm holds it. */
function numberedName(i: Insn): string | undefined {
  return i.op === "mop.r.n" || i.op === "mop.rr.n" || i.op === "c.mop.n" ? i.op.replace(/n$/, `${i.imm}`) : undefined;
}

/** Atomics carry their ordering bits in the mnemonic (`lr.w.aq`, `amoswap.d.aqrl`). */
function atomicName(i: Insn): string {
  if (!i.aq && !i.rl) return i.op;
  return `${i.op}.${i.aq ? "aq" : ""}${i.rl ? "rl" : ""}`;
}
