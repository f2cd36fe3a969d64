/**
 * Vector loads and stores: unit-stride, strided, indexed (ordered and
 * unordered walk in order), whole-register, mask and fault-only-first
 * forms, segments (nf) included, with QEMU 10's legality checks.
 *
 * For plugins, each element access is one memory access, as QEMU 10's
 * helpers make it (they go element by element when plugins instrument
 * memory): its address, the element's EEW as the size (bytes for whole
 * stores and masks), unsigned, and the element's value, in the walk's order
 * (element by element, a segment's fields in turn); masked-off elements and
 * fault-only-first's probes access nothing.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { IllegalInstruction } from "../../cpu/trap.ts";
import { type AddressSpace, GuestMemoryError, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { memInfo } from "../plugin_actions.ts";
import {
  type ElementAccess,
  type Executor,
  getElement,
  groupRegs,
  lmulLog2,
  maskBit,
  overlaps,
  requireAligned,
  requireMaskNotSource,
  requireVm,
  requireVtype,
  TWO32,
  type VectorGroup,
  VLENB,
} from "./element.ts";

/** How a load or store walks memory. */
interface Access {
  store: boolean;
  /** 0 unit-stride, 1 indexed, 2 strided, 3 whole registers, 4 mask, 5 fault-only-first. */
  kind: number;
  /** Bytes of the width field's EEW (the index's for indexed forms; ordered and unordered both walk in order). */
  eew: number;
}

const KIND = { unit: 0, indexed: 1, strided: 2, whole: 3, mask: 4, faultFirst: 5 } as const;

/**
 * The kinds whose elements (one field each) lie in order in memory and in
 * the registers, by kind (fault-only-first's do too, but its vl is known
 * only after its walk).
 */
const CONTIGUOUS: readonly boolean[] = [true, false, false, true, true, false];

/** The kinds a mask (vm = 0) applies to, by kind. */
const MASKABLE: readonly boolean[] = [true, true, true, false, false, true];

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
  const view = mem.view, need = a.store ? PROT_WRITE : PROT_READ;
  // What the legality checks found under the vtype last seen (they depend only on it and the word): the
  // element's bytes, the index's, the fields and the registers of one field. Whole-register and mask
  // forms have one geometry whatever vtype is.
  let checkedFor = -1, bytes = a.eew, indexBytes = 0, fields = 1, regs = a.kind === KIND.whole ? nf : 1;
  /** The checks of a form whose registers depend on vtype (not whole-register, not mask). */
  const check = (vtype: number): void => {
    const sewLog2 = (vtype >> 3) & 7, lmul = lmulLog2(vtype);
    if (a.kind === KIND.indexed) {
      // Data at SEW and LMUL; the index vector at EEW, EMUL = EEW / SEW · LMUL.
      bytes = 1 << sewLog2;
      indexBytes = a.eew;
      const indexEmul = Math.log2(a.eew) - sewLog2 + lmul;
      if (indexEmul < -3 || indexEmul > 3) throw new IllegalInstruction("Index EMUL out of range");
      requireAligned(vs2, groupRegs(indexEmul));
      regs = groupRegs(lmul);
      // A masked one may not read v0 as its index, nor a store as its data (QEMU 10.0.13's vext_check_input_eew).
      requireMaskNotSource(vm, vs2);
      if (!a.store) requireIndexOverlap(vd, nf, lmul, vs2, indexEmul, Math.log2(a.eew) - sewLog2);
      else {
        requireMaskNotSource(vm, vd);
        // A store reads its data and its index: at different EEWs its first field may not share a register with
        // the index (QEMU 10 checks no further field: vsuxseg3ei16.v v8, (a0), v10 at e8, m1 runs).
        if (a.eew !== bytes && overlaps(vd, regs, vs2, groupRegs(indexEmul))) {
          throw new IllegalInstruction("Indexed store's data overlaps its index at another EEW");
        }
      }
    } else {
      const emul = Math.log2(a.eew) - sewLog2 + lmul;
      if (emul < -3 || emul > 3) throw new IllegalInstruction("EMUL out of range");
      regs = groupRegs(emul);
    }
    fields = nf;
    if (regs * nf > 8 || vd + regs * nf > 32) throw new IllegalInstruction("Vector segment past v31");
    requireAligned(vd, regs);
    if (!a.store) requireVm(vm, vd);
  };
  return (c, lo1, hi1, lo2, hi2, after, pc) => {
    const s = c.vec;
    const base = hi1 * TWO32 + (lo1 >>> 0);
    let evl: number;
    if (a.kind === KIND.whole) {
      // vl<nf>re<eew>.v / vs<nf>r.v: nf whole registers, vtype and vl play no part.
      requireAligned(vd, nf);
      evl = (nf * VLENB) / bytes;
    } else {
      requireVtype(c);
      if (a.kind === KIND.mask) evl = Math.ceil(s.vl / 8);
      else {
        if (s.vtype !== checkedFor) {
          // A check that throws may have changed the geometry halfway.
          checkedFor = -1;
          check(s.vtype);
          checkedFor = s.vtype;
        }
        evl = s.vl;
      }
    }
    // One contiguous range of memory and of registers, which the walk would not fault in: one check and a
    // copy of the active elements (the walk element by element was a quarter of a vectorized program's time).
    // Not when plugins see each element access.
    const vstart = s.vstart;
    if (after === undefined && fields === 1 && CONTIGUOUS[a.kind] && evl > vstart) {
      const from = base + vstart * bytes, len = (evl - vstart) * bytes, at = vd * VLENB + vstart * bytes;
      if (spanAllows(mem, from, len, need)) {
        if (a.store) mem.check(from, len, "write");
        if (vm || !MASKABLE[a.kind]) {
          if (a.store) copyBytes(mem.u8, mem.i32, from, s.v, s.i32, at, len);
          else copyBytes(s.v, s.i32, at, mem.u8, mem.i32, from, len);
        } else {
          for (let i = vstart; i < evl; i++) {
            if (!maskBit(s.v, i)) continue;
            const m = from + (i - vstart) * bytes, r = at + (i - vstart) * bytes;
            if (a.store) copyBytes(mem.u8, mem.i32, m, s.v, s.i32, r, bytes);
            else copyBytes(s.v, s.i32, r, mem.u8, mem.i32, m, bytes);
          }
        }
        if (a.store) mem.noteWrite(from, len);
        s.vstart = 0;
        return 0;
      }
    }
    const stride = hi2 * TWO32 + (lo2 >>> 0);
    const masked = !vm && a.kind !== KIND.whole && a.kind !== KIND.mask;
    const address = (i: number, f: number): number => {
      switch (a.kind) {
        case KIND.strided:
          return base + i * stride + f * bytes;
        case KIND.indexed: {
          // base + index modulo 2^64, word by word (a 64-bit index may be a negative offset: base - k).
          const at = vs2 * VLENB + i * indexBytes, rv = s.view;
          const offLo = indexBytes === 8 ? rv.getUint32(at, true) : Number(getElement(c, vs2, i, indexBytes));
          const offHi = indexBytes === 8 ? rv.getUint32(at + 4, true) : 0;
          const lo = (lo1 >>> 0) + offLo + f * bytes, carry = Math.floor(lo / TWO32);
          return ((hi1 + offHi + carry) >>> 0) * TWO32 + (lo - carry * TWO32);
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
    const info = after === undefined ? 0 : memInfo(Math.log2(bytes), false, a.store);
    for (let i = s.vstart; i < evl; i++) {
      if (masked && !maskBit(s.v, i)) continue;
      // A fault leaves vstart at the element, for the signal handler (and a restart) to see.
      s.vstart = i;
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
        if (after !== undefined && reportAccess(c, after, pc!, addr, info, s.view, at, bytes)) {
          // A synchronous callback moved the pc: the rest of the instruction is abandoned.
          s.vstart = 0;
          return 1;
        }
      }
    }
    s.vstart = 0;
    return 0;
  };
}

/**
 * Whether the `len` bytes at `addr` (at most a page: a vector group is
 * at most 8 registers) allow accesses of protection `need`, as
 * `AddressSpace.allows` tells, with two page lookups instead of its loop
 * (a call that was a tenth of a vectorized program's loads).
 */
function spanAllows(mem: AddressSpace, addr: number, len: number, need: number): boolean {
  const pages = mem.pages;
  return addr >= 0 && addr + len <= mem.size && (pages[addr >>> PAGE_SHIFT] & need) !== 0 &&
    (pages[(addr + len - 1) >>> PAGE_SHIFT] & need) !== 0;
}

/**
 * Copies `len` bytes from `src` at `si` to `dst` at `di` (each also seen as
 * 32-bit words, `src32` and `dst32`): word by word when all three are
 * multiples of 4, else byte by byte, and by `set` when long. (A vector's few
 * bytes cost less so than through `set` and the `subarray` it needs.)
 */
function copyBytes(
  dst: Uint8Array,
  dst32: Int32Array,
  di: number,
  src: Uint8Array,
  src32: Int32Array,
  si: number,
  len: number,
): void {
  if (len > 64) dst.set(src.subarray(si, si + len), di);
  else if (((di | si | len) & 3) === 0) {
    for (let k = 0, d = di >> 2, s = si >> 2; k < len >> 2; k++) dst32[d + k] = src32[s + k];
  } else for (let k = 0; k < len; k++) dst[di + k] = src[si + k];
}

/** Runs the memory actions of one element access of `bytes` at `addr`, the element at `at` in the register file. */
function reportAccess(
  c: Cpu,
  after: ElementAccess,
  pc: number,
  addr: number,
  info: number,
  regs: DataView,
  at: number,
  bytes: number,
): boolean {
  const lo = bytes === 1 ? regs.getUint8(at) : bytes === 2 ? regs.getUint16(at, true) : regs.getInt32(at, true);
  const hi = bytes === 8 ? regs.getInt32(at + 4, true) : 0;
  return after(c, pc, addr | 0, Math.floor(addr / TWO32) | 0, 0, info, lo, hi);
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

/** The loads and stores. */
export const memoryGroup: VectorGroup = (op, raw, { mem }) => {
  if (op === "vlm.v" || op === "vsm.v") {
    return memoryAccess(mem, raw, { store: op === "vsm.v", kind: KIND.mask, eew: 1 });
  }
  if (!/^v[ls]/.test(op) || !/\.v$/.test(op)) return undefined;
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
    : /^v[ls]e\d+(ff)?\.v$/.test(op)
    ? KIND.unit
    : undefined;
  return kind === undefined ? undefined : memoryAccess(mem, raw, { store, kind, eew });
};
