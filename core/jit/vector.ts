/**
 * The vector extension (V 1.0, VLEN = 128, ELEN = 64): the one runtime
 * helper every tier calls for a vector instruction (the JavaScript tier
 * emits a call, the interpreter makes it, the WebAssembly tier leaves the
 * block to JavaScript), and the vector CSRs.
 *
 * Each instruction word is turned once into an executor (cached by its
 * bits). Loads and stores share one element walk (`memoryAccess`); integer
 * operations are a line in {@link BINARY_OPS} or {@link MOVES} with a small
 * element function, run by one driver over SEW, LMUL, the mask and vstart.
 *
 * Policies as QEMU 10 runs them by default (`rvv_ta_all_1s` and
 * `rvv_ma_all_1s` off): tail and masked-off elements are left undisturbed
 * whatever vta and vma say. The checks that make an encoding illegal
 * (`vill`, register groups not aligned to LMUL or EMUL, a masked
 * destination v0, EMUL out of 1/8…8, segments past v31) follow QEMU's
 * `trans_rvv.c.inc`.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { VLENB } from "../cpu/vector_state.ts";
import { IllegalInstruction } from "../cpu/trap.ts";
import { type AddressSpace, GuestMemoryError } from "../mem/address_space.ts";
import { decode } from "../isa/decoder.ts";
import type { Op } from "../isa/ops_generated.ts";

const TWO32 = 4294967296;
/** VLEN in bits. */
const VLEN = VLENB * 8;
/** ELEN in bits. */
const ELEN = 64;

/** Vector CSR numbers. */
export const VCSR = {
  vstart: 0x008,
  vxsat: 0x009,
  vxrm: 0x00a,
  vcsr: 0x00f,
  vl: 0xc20,
  vtype: 0xc21,
  vlenb: 0xc22,
} as const;

/** Whether `num` is a vector CSR. */
export function isVectorCsr(num: number): boolean {
  return (Object.values(VCSR) as number[]).includes(num);
}

/**
 * Reads vector CSR `num`; the high word of the 64-bit value goes to `hi[0]`
 * (only `vtype` has one: `vill` is bit 63).
 */
export function readVectorCsr(c: Cpu, num: number, hi: Int32Array): number {
  const s = c.vec;
  hi[0] = 0;
  switch (num) {
    case VCSR.vstart:
      return s.vstart;
    case VCSR.vxsat:
      return s.vxsat;
    case VCSR.vxrm:
      return s.vxrm;
    case VCSR.vcsr:
      return (s.vxrm << 1) | s.vxsat;
    case VCSR.vl:
      return s.vl;
    case VCSR.vtype:
      if (s.vill) hi[0] = 1 << 31;
      return s.vtype;
    default:
      return VLENB;
  }
}

/**
 * Writes vector CSR `num` with the low word `v` (every writable one is
 * narrower); `vl`, `vtype` and `vlenb` are read-only.
 */
export function writeVectorCsr(c: Cpu, num: number, v: number): void {
  const s = c.vec;
  switch (num) {
    case VCSR.vstart:
      // QEMU keeps log2(VLEN) bits.
      s.vstart = v & (VLEN - 1);
      break;
    case VCSR.vxsat:
      s.vxsat = v & 1;
      break;
    case VCSR.vxrm:
      s.vxrm = v & 3;
      break;
    case VCSR.vcsr:
      s.vxrm = (v >> 1) & 3;
      s.vxsat = v & 1;
      break;
    default:
      throw new IllegalInstruction(`Write to read-only CSR 0x${num.toString(16)}`);
  }
}

/** vlmul as a signed power of two: 0…3 for LMUL 1…8, -3…-1 for 1/8…1/2 (4 is reserved). */
function lmulLog2(vtype: number): number {
  return ((vtype & 7) << 29) >> 29;
}

/** VLMAX = LMUL · VLEN / SEW for a legal `vtype`. */
function vlmax(vtype: number): number {
  const l = lmulLog2(vtype), sewLog2 = ((vtype >> 3) & 7) + 3;
  return l >= 0 ? (VLEN << l) >> sewLog2 : (VLEN >> -l) >> sewLog2;
}

/**
 * vset{i}vl{i}: the new `vtype` (low word `tlo`, high word `thi`) and AVL
 * (`avl`, or -1 for "VLMAX", or -2 for "keep vl") give `vl`, as QEMU's
 * `helper_vsetvl`: an illegal `vtype` (reserved bits, vill, SEW > ELEN,
 * LMUL 4, a fractional LMUL with ELEN · LMUL < SEW) sets `vill` and vl = 0.
 * Returns the new vl.
 */
function vsetvl(c: Cpu, avl: number, tlo: number, thi: number): number {
  const s = c.vec;
  const vlmul = tlo & 7, sew = 8 << ((tlo >> 3) & 7);
  let ill = thi !== 0 || (tlo & ~0xff) !== 0 || sew > ELEN || vlmul === 4;
  // A fractional LMUL needs SEW <= ELEN · LMUL (measured: QEMU 10 refuses e64,mf2 and e16,mf8 at VLEN 128).
  if (vlmul > 4 && ELEN >> (8 - vlmul) < sew) ill = true;
  s.vstart = 0;
  if (ill) {
    s.vill = true;
    s.vtype = 0;
    s.vl = 0;
    return 0;
  }
  const max = vlmax(tlo);
  if (avl === -2) avl = s.vl;
  s.vl = avl < 0 || avl > max ? max : avl;
  s.vtype = tlo;
  s.vill = false;
  return s.vl;
}

/** An instruction made ready to run: takes the vCPU and rs1's and rs2's values, returns rd's low word. */
type Executor = (c: Cpu, lo1: number, hi1: number, lo2: number, hi2: number) => number;

/** A binary integer operation on SEW-bit elements (as unsigned bigints); the result is taken modulo 2^SEW. */
type ElementOp = (a: bigint, b: bigint) => bigint;

/**
 * The integer operations `vd[i] = op(vs2[i], vs1[i] | x[rs1] | simm5)`,
 * one line each: the driver (`binary`) does SEW, LMUL, mask and vstart.
 */
const BINARY_OPS: Readonly<Record<string, ElementOp>> = {
  vadd: (a, b) => a + b,
  vsub: (a, b) => a - b,
  vand: (a, b) => a & b,
  vor: (a, b) => a | b,
  vxor: (a, b) => a ^ b,
};

/** The checks of a vector instruction that depends on `vtype`: `vill` makes it illegal. */
function requireVtype(c: Cpu): void {
  if (c.vec.vill) throw new IllegalInstruction("Vector instruction with vill set");
}

/** A register group of `regs` registers (at least 1) must start at a multiple of it. */
function requireAligned(reg: number, regs: number): void {
  if (regs > 1 && reg % regs !== 0) throw new IllegalInstruction(`Vector register v${reg} not aligned to ${regs}`);
}

/** Registers in a group of EMUL = 2^`log2` (a fractional one takes a whole register). */
function groupRegs(log2: number): number {
  return log2 > 0 ? 1 << log2 : 1;
}

/** A masked instruction (vm = 0) may not write v0, the mask. */
function requireVm(vm: boolean, vd: number): void {
  if (!vm && vd === 0) throw new IllegalInstruction("Masked vector instruction writing v0");
}

/** Whether mask bit `i` (of v0) is set. */
function maskBit(v: Uint8Array, i: number): boolean {
  return ((v[i >> 3] >> (i & 7)) & 1) !== 0;
}

/** Element `i` of `bytes` bytes of the register group at `reg`, unsigned. */
function getElement(c: Cpu, reg: number, i: number, bytes: number): bigint {
  const at = reg * VLENB + i * bytes, view = c.vec.view;
  switch (bytes) {
    case 1:
      return BigInt(view.getUint8(at));
    case 2:
      return BigInt(view.getUint16(at, true));
    case 4:
      return BigInt(view.getUint32(at, true));
    default:
      return view.getBigUint64(at, true);
  }
}

function setElement(c: Cpu, reg: number, i: number, bytes: number, v: bigint): void {
  const at = reg * VLENB + i * bytes, view = c.vec.view;
  switch (bytes) {
    case 1:
      return view.setUint8(at, Number(v & 0xffn));
    case 2:
      return view.setUint16(at, Number(v & 0xffffn), true);
    case 4:
      return view.setUint32(at, Number(v & 0xffffffffn), true);
    default:
      return view.setBigUint64(at, BigInt.asUintN(64, v), true);
  }
}

/** rs1's 64-bit value as an unsigned bigint. */
function xValue(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Sign-extended simm5 (bits 19:15). */
function simm5(raw: number): number {
  return (raw << 12) >> 27;
}

/**
 * The driver of every element-wise integer operation: for each body element
 * i in [vstart, vl) that the mask (v0 when vm = 0) leaves active,
 * `vd[i] = op(vs2[i], operand(i))` at SEW bits.
 */
function elementwise(
  raw: number,
  operandOf: (c: Cpu, i: number, bytes: number, lo1: number, hi1: number) => bigint,
  op: ElementOp,
  usesVs2: boolean,
  usesVs1: boolean,
): Executor {
  const vd = (raw >>> 7) & 31, vs1 = (raw >>> 15) & 31, vs2 = (raw >>> 20) & 31, vm = ((raw >>> 25) & 1) === 1;
  return (c, lo1, hi1) => {
    requireVtype(c);
    const s = c.vec, regs = groupRegs(lmulLog2(s.vtype)), bytes = 1 << ((s.vtype >> 3) & 7);
    requireAligned(vd, regs);
    if (usesVs2) requireAligned(vs2, regs);
    if (usesVs1) requireAligned(vs1, regs);
    requireVm(vm, vd);
    for (let i = s.vstart; i < s.vl; i++) {
      if (!vm && !maskBit(s.v, i)) continue;
      const a = usesVs2 ? getElement(c, vs2, i, bytes) : 0n;
      setElement(c, vd, i, bytes, op(a, operandOf(c, i, bytes, lo1, hi1)));
    }
    s.vstart = 0;
    return 0;
  };
}

/** The second operand by the instruction's form: vs1's element, x[rs1], or simm5. */
function operandFor(form: string, raw: number): (c: Cpu, i: number, bytes: number, lo1: number, hi1: number) => bigint {
  if (form === "vv") {
    const vs1 = (raw >>> 15) & 31;
    return (c, i, bytes) => getElement(c, vs1, i, bytes);
  }
  if (form === "vx") return (_c, _i, _b, lo1, hi1) => xValue(lo1, hi1);
  const imm = BigInt(simm5(raw));
  return () => imm;
}

/** How a load or store walks memory. */
interface Access {
  store: boolean;
  /** 0 unit-stride, 1 indexed, 2 strided, 3 whole registers, 4 mask, 5 fault-only-first. */
  kind: number;
  /** Bytes of the width field's EEW (the index's for indexed forms; ordered and unordered both walk in order). */
  eew: number;
}

const KIND = { unit: 0, indexed: 1, strided: 2, whole: 3, mask: 4, faultFirst: 5 } as const;

/** The EEW in bytes of a load/store's width field (bits 14:12). */
function widthBytes(raw: number): number {
  const w = (raw >>> 12) & 7;
  return w === 0 ? 1 : 1 << (w - 4);
}

/**
 * A vector load or store: which elements, where in memory, which
 * registers, as the spec's unit-stride, strided, indexed, whole-register,
 * mask and fault-only-first forms say, segments (nf) included.
 */
function memoryAccess(mem: AddressSpace, raw: number, a: Access): Executor {
  const vd = (raw >>> 7) & 31, vs2 = (raw >>> 20) & 31, vm = ((raw >>> 25) & 1) === 1;
  const nf = ((raw >>> 29) & 7) + 1;
  const view = mem.view;
  return (c, lo1, hi1, lo2, hi2) => {
    const s = c.vec;
    const base = hi1 * TWO32 + (lo1 >>> 0);
    let bytes: number, evl: number, fields: number, regs: number;
    let indexBytes = 0;
    if (a.kind === KIND.whole) {
      // vl<nf>re<eew>.v / vs<nf>r.v: nf whole registers, vtype and vl play no part.
      requireAligned(vd, nf);
      bytes = a.eew;
      evl = (nf * VLENB) / bytes;
      fields = 1;
      regs = nf;
    } else if (a.kind === KIND.mask) {
      requireVtype(c);
      bytes = 1;
      evl = Math.ceil(s.vl / 8);
      fields = 1;
      regs = 1;
    } else {
      requireVtype(c);
      const sewLog2 = (s.vtype >> 3) & 7, lmul = lmulLog2(s.vtype);
      if (a.kind === KIND.indexed) {
        // Data at SEW and LMUL; the index vector at EEW, EMUL = EEW / SEW · LMUL.
        bytes = 1 << sewLog2;
        indexBytes = a.eew;
        const indexEmul = Math.log2(a.eew) - sewLog2 + lmul;
        if (indexEmul < -3 || indexEmul > 3) throw new IllegalInstruction("Index EMUL out of range");
        requireAligned(vs2, groupRegs(indexEmul));
        regs = groupRegs(lmul);
        if (!a.store) requireIndexOverlap(vd, nf, lmul, vs2, indexEmul, Math.log2(a.eew) - sewLog2);
      } else {
        bytes = a.eew;
        const emul = Math.log2(a.eew) - sewLog2 + lmul;
        if (emul < -3 || emul > 3) throw new IllegalInstruction("EMUL out of range");
        regs = groupRegs(emul);
      }
      evl = s.vl;
      fields = nf;
      if (regs * nf > 8 || vd + regs * nf > 32) throw new IllegalInstruction("Vector segment past v31");
      requireAligned(vd, regs);
      if (!a.store) requireVm(vm, vd);
    }
    const stride = hi2 * TWO32 + (lo2 >>> 0);
    const masked = !vm && a.kind !== KIND.whole && a.kind !== KIND.mask;
    const address = (i: number, f: number): number => {
      switch (a.kind) {
        case KIND.strided:
          return base + i * stride + f * bytes;
        case KIND.indexed: {
          const at = vs2 * VLENB + i * indexBytes, rv = s.view;
          const offset = indexBytes === 8
            ? rv.getUint32(at + 4, true) * TWO32 + rv.getUint32(at, true)
            : Number(getElement(c, vs2, i, indexBytes));
          return base + offset + f * bytes;
        }
        default:
          return base + (i * fields + f) * bytes;
      }
    };
    if (a.kind === KIND.faultFirst) {
      // Past element 0, the first element that would fault ends the vector instead (vl = its index).
      for (let i = s.vstart; i < evl; i++) {
        if (masked && !maskBit(s.v, i)) continue;
        try {
          mem.check(address(i, 0), fields * bytes, "read");
        } catch (err) {
          if (i === 0 || !(err instanceof GuestMemoryError)) throw err;
          evl = s.vl = i;
          break;
        }
      }
    }
    for (let i = s.vstart; i < evl; i++) {
      if (masked && !maskBit(s.v, i)) continue;
      for (let f = 0; f < fields; f++) {
        const addr = address(i, f), reg = vd + f * regs, at = reg * VLENB + i * bytes;
        if (a.store) {
          mem.check(addr, bytes, "write");
          mem.u8.set(s.v.subarray(at, at + bytes), addr);
          mem.noteWrite(addr, bytes);
        } else {
          mem.check(addr, bytes, "read");
          for (let b = 0; b < bytes; b++) s.v[at + b] = view.getUint8(addr + b);
        }
      }
    }
    s.vstart = 0;
    return 0;
  };
}

function overlaps(a: number, na: number, b: number, nb: number): boolean {
  return a < b + nb && b < a + na;
}

/**
 * An indexed load's destination against its index group, as QEMU 10 checks
 * it (measured with probes): a segment load's fields may not overlap the
 * index at all (the spec reserves it); a single field with an index
 * narrower than the data may overlap only the index's highest part, with a
 * wider index it must be the index group itself or not overlap it, and at
 * equal widths anything goes.
 */
function requireIndexOverlap(
  vd: number,
  nf: number,
  lmul: number,
  vs2: number,
  indexEmul: number,
  widen: number,
): void {
  const dataRegs = groupRegs(lmul), indexRegs = groupRegs(indexEmul);
  if (nf > 1 && overlaps(vd, dataRegs * nf, vs2, indexRegs)) {
    throw new IllegalInstruction("Vector index overlaps a segment's destination");
  }
  for (let f = 0; f < nf; f++) {
    const field = vd + dataRegs * f;
    if (widen === 0 || (widen > 0 && field === vs2) || !overlaps(field, dataRegs, vs2, indexRegs)) continue;
    // A wider destination may overlap the index's highest-numbered part only.
    const highest = dataRegs > indexRegs && field < vs2 && indexEmul >= 0 &&
      !overlaps(field, dataRegs, vs2 + indexRegs, indexRegs);
    if (widen < 0 && highest) continue;
    throw new IllegalInstruction("Vector index overlaps the destination");
  }
}

/** The executor of one vector instruction word. */
function executorFor(mem: AddressSpace, raw: number, hi: Int32Array): Executor {
  const insn = decode(raw);
  if (insn === null) throw new IllegalInstruction(`Not a vector instruction 0x${raw.toString(16)}`);
  const op: Op = insn.op;
  const rs1 = insn.rs1, rd = insn.rd;
  switch (op) {
    case "vsetvli":
      return (c, lo1, hi1) => vsetvl(c, rs1 !== 0 ? avlOf(lo1, hi1) : rd !== 0 ? -1 : -2, (raw >>> 20) & 0x7ff, 0);
    case "vsetivli":
      return (c) => vsetvl(c, (raw >>> 15) & 31, (raw >>> 20) & 0x3ff, 0);
    case "vsetvl":
      return (c, lo1, hi1, lo2, hi2) => vsetvl(c, rs1 !== 0 ? avlOf(lo1, hi1) : rd !== 0 ? -1 : -2, lo2, hi2);
    case "vmv.v.v":
    case "vmv.v.x":
    case "vmv.v.i":
      return elementwise(
        raw,
        operandFor(op.slice(-1) === "v" ? "vv" : op.slice(-1) === "x" ? "vx" : "vi", raw),
        (_a, b) => b,
        false,
        op === "vmv.v.v",
      );
    case "vmv.x.s": {
      const vs2 = (raw >>> 20) & 31;
      return (c) => {
        requireVtype(c);
        const bytes = 1 << ((c.vec.vtype >> 3) & 7);
        const v = BigInt.asIntN(bytes * 8, getElement(c, vs2, 0, bytes));
        c.vec.vstart = 0;
        hi[0] = Number(BigInt.asIntN(32, v >> 32n));
        return Number(BigInt.asIntN(32, v));
      };
    }
    case "vmv.s.x": {
      const vd = (raw >>> 7) & 31;
      return (c, lo1, hi1) => {
        requireVtype(c);
        const s = c.vec, bytes = 1 << ((s.vtype >> 3) & 7);
        if (s.vstart < s.vl) setElement(c, vd, 0, bytes, xValue(lo1, hi1));
        s.vstart = 0;
        return 0;
      };
    }
    case "vlm.v":
    case "vsm.v":
      return memoryAccess(mem, raw, { store: op === "vsm.v", kind: KIND.mask, eew: 1 });
  }
  const m = /^(v[a-z]+)\.(vv|vx|vi)$/.exec(op);
  if (m && BINARY_OPS[m[1]]) return elementwise(raw, operandFor(m[2], raw), BINARY_OPS[m[1]], true, m[2] === "vv");
  const eew = widthBytes(raw);
  if (/^v[ls][1248]re?\d*\.v$/.test(op)) {
    return memoryAccess(mem, raw, { store: op[1] === "s", kind: KIND.whole, eew });
  }
  const store = op[1] === "s";
  const kind = /ff\.v$/.test(op)
    ? KIND.faultFirst
    : /^v[ls][uo]xei/.test(op)
    ? KIND.indexed
    : /^v[ls]se/.test(op)
    ? KIND.strided
    : KIND.unit;
  return memoryAccess(mem, raw, { store, kind, eew });
}

/** An AVL from rs1: unsigned, so past 2^53 (and any high word) it is at least VLMAX. */
function avlOf(lo: number, hi: number): number {
  return hi !== 0 ? Number.MAX_SAFE_INTEGER : lo >>> 0;
}

/**
 * Makes the vector helper for one address space: `vector(c, raw, lo1, hi1,
 * lo2, hi2)` runs instruction word `raw` with rs1 = (lo1, hi1) and rs2 =
 * (lo2, hi2), and returns the low word of what it writes to rd (the high
 * word in `hi[0]`); only `vset*` and `vmv.x.s` write rd.
 *
 * @example `vsetivli a0, 4, e32, m1, ta, ma` then `vmv.v.i v8, 5`
 * ```ts
 * import { makeVectorHelper } from "./vector.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { strictEqual } from "node:assert";
 * const vector = makeVectorHelper(new AddressSpace(1 << 20), new Int32Array(1));
 * const c = new Cpu();
 * strictEqual(vector(c, 0xcd027557, 0, 0, 0, 0), 4);
 * vector(c, 0x5e02b457, 0, 0, 0, 0);
 * strictEqual(c.vec.view.getUint32(8 * 16 + 12, true), 5);
 * ```
 */
export function makeVectorHelper(
  mem: AddressSpace,
  hi: Int32Array,
): (c: Cpu, raw: number, lo1: number, hi1: number, lo2: number, hi2: number) => number {
  const cache = new Map<number, Executor>();
  return (c, raw, lo1, hi1, lo2, hi2) => {
    let run = cache.get(raw);
    if (run === undefined) cache.set(raw, run = executorFor(mem, raw, hi));
    hi[0] = 0;
    return run(c, lo1, hi1, lo2, hi2);
  };
}
