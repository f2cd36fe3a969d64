/**
 * Vector instructions in the WebAssembly tier. The vector registers and
 * `vl`, `vtype`, `vill` and `vstart` are in the vCPU's slot
 * (`core/cpu/vector_state.ts`), so a region runs a vector instruction in
 * place, with WebAssembly's 128-bit SIMD (one `v128` per vector register,
 * VLEN being 128):
 *
 * - vsetvli and vsetivli with a legal immediate `vtype`, as the JavaScript
 *   tier's `vsetTrans`;
 * - for the shape (`vtype`, `vl`) a word last ran in legally (the record
 *   its executor keeps, `../vector/fast.ts`'s `lastShape`), its work
 *   straight-line behind a test of the shape and `vstart` = 0: whole-register
 *   and unit-stride loads and stores (masked loads of whole registers too),
 *   whole-register moves, splats, vid.v, the single-width integer operations
 *   SIMD has (masked too at SEW 16 to 64), shifts and rotates by a scalar,
 *   vrev8.v, vcpop.v, compares into a mask, widening adds, subtracts and
 *   products, vzext/vsext.vf2; FP add, subtract, multiply, divide, min, max
 *   and square root at SEW 32 and 64, ordered sums, the moves between f[rd]
 *   and element 0, and conversions between halves, singles and doubles and
 *   to and from 32-bit integers, each only where its result raises no flag
 *   that is not already raised;
 * - anything else, and any run whose shape or data the inline code does not
 *   take (memory not mapped for the access in one piece, a store into
 *   translated code, an FP result that is not a normal number, a rounding
 *   mode other than RNE, NX not yet accrued), through the `vector` import:
 *   the word's general executor, as the other tiers call it.
 *
 * Tail elements (past `vl`) are left undisturbed, as QEMU leaves them.
 * A block with a vector instruction comes to this tier only when each of
 * its vector instructions runs inline ({@link inlinesVector}): an import
 * call costs more than the JavaScript tier's inlined fast path.
 *
 * @module
 */

import type { Insn } from "../../isa/insn.ts";
import type { Op } from "../../isa/ops_generated.ts";
import { PAGE_CODE, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { SLOT } from "../../cpu/register_arena.ts";
import { CONFIG, VLENB } from "../../cpu/vector_state.ts";
import { MIN_NORMAL_D, MIN_NORMAL_S } from "../../fpu/_eft.ts";
import { immediateVtype, READS_FS1, WRITES_FD, WRITES_RD } from "../vector_ops.ts";
import { simm5 } from "../vector/element.ts";
import { type Shape as FastShape, shapeFree, shapeOf as fastShapeOf } from "../vector/fast.ts";
import { OP, SIMD } from "./encoding.ts";
import type { WasmEmitter } from "./emitter.ts";
import type { VectorTier } from "./runtime.ts";
import { FN, MEM } from "./layout.ts";

/** What a vector word's inline code is emitted for: the fast paths' shape, with `vtype` itself. */
interface Shape extends FastShape {
  vtype: number;
}

/** Emits a word's inline code; `decline` branches to its general path (only before anything is written). */
type Body = (e: WasmEmitter, i: Insn, sh: Shape, decline: () => void) => void;

/** Byte offset of vector register `r` in the slot. */
const vreg = (r: number) => SLOT.vregs + VLENB * r;
/** Byte offset of configuration word `w` in the slot. */
const config = (w: keyof typeof CONFIG) => SLOT.vregs + CONFIG[w];

const WHOLE_ACCESS = /^v(?:l([1248])re(8|16|32|64)|s([1248])r)\.v$/;
const UNIT_STRIDE = /^v([ls])e(8|16|32|64)\.v$/;
const WHOLE_MOVE = /^vmv([1248])r\.v$/;

/** The lane-wise SIMD opcodes of an integer operation at SEW 8, 16, 32 and 64 (0: none). */
const INTEGER: Record<string, readonly number[]> = {
  vadd: [0x6e, 0x8e, 0xae, 0xce],
  vsub: [0x71, 0x91, 0xb1, 0xd1],
  vrsub: [0x71, 0x91, 0xb1, 0xd1],
  vand: [SIMD.v128_and, SIMD.v128_and, SIMD.v128_and, SIMD.v128_and],
  vor: [SIMD.v128_or, SIMD.v128_or, SIMD.v128_or, SIMD.v128_or],
  vxor: [SIMD.v128_xor, SIMD.v128_xor, SIMD.v128_xor, SIMD.v128_xor],
  vmin: [0x76, 0x96, 0xb6, 0],
  vminu: [0x77, 0x97, 0xb7, 0],
  vmax: [0x78, 0x98, 0xb8, 0],
  vmaxu: [0x79, 0x99, 0xb9, 0],
  vmul: [0, 0x95, 0xb5, 0xd5],
};

/** Shifts by a scalar count (.vx, .vi), whose low log2(SEW) bits count, as WebAssembly's do. */
const SHIFTS: Record<string, readonly number[]> = {
  vsll: [0x6b, 0x8b, 0xab, 0xcb],
  vsrl: [0x6d, 0x8d, 0xad, 0xcd],
  vsra: [0x6c, 0x8c, 0xac, 0xcc],
};

/** Compares into a mask: the SIMD compare of (vs2, operand) at each SEW (0: none). */
const COMPARES: Record<string, readonly number[]> = {
  vmseq: [0x23, 0x2d, 0x37, 0xd6],
  vmsne: [0x24, 0x2e, 0x38, 0xd7],
  vmslt: [0x25, 0x2f, 0x39, 0xd8],
  vmsltu: [0x26, 0x30, 0x3a, 0],
  vmsle: [0x29, 0x33, 0x3d, 0xda],
  vmsleu: [0x2a, 0x34, 0x3e, 0],
  vmsgt: [0x27, 0x31, 0x3b, 0xd9],
  vmsgtu: [0x28, 0x32, 0x3c, 0],
};

/** `bitmask` at each SEW: a bit per lane. */
const BITMASK = [0x64, 0x84, 0xa4, 0xc4];
/** `splat` of an i32 (SEW 8, 16, 32) or an i64 (64). */
const SPLAT = [SIMD.i8x16_splat, SIMD.i16x8_splat, SIMD.i32x4_splat, SIMD.i64x2_splat];

/** FP operations at SEW 32 and 64: [f32x4, f64x2]. */
const FLOAT: Record<string, readonly number[]> = {
  vfadd: [0xe4, 0xf0],
  vfsub: [0xe5, 0xf1],
  vfmul: [0xe6, 0xf2],
  vfdiv: [0xe7, 0xf3],
};
/** f32x4/f64x2 `abs`, `le`, `ge` and `gt`. */
const F_ABS = [0xe0, 0xec], F_LE = [0x45, 0x4b], F_GE = [0x46, 0x4c], F_GT = [0x44, 0x4a];

const SEW_INDEX: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** Loads register `r` as a v128. */
function loadReg(e: WasmEmitter, r: number): void {
  e.code.localGet(e.slot).simdMem(SIMD.v128_load, MEM.regs, 4, vreg(r));
}

/** Stores v128 local `v` to register `r`. */
function storeReg(e: WasmEmitter, r: number, v: number): void {
  e.code.localGet(e.slot).localGet(v).simdMem(SIMD.v128_store, MEM.regs, 4, vreg(r));
}

/** 16 bytes, the first `n` of them 0xff: lanes past `vl` in a register that holds some active ones. */
function leadingBytes(n: number): Uint8Array {
  return Uint8Array.from({ length: 16 }, (_, k) => k < n ? 0xff : 0);
}

/** Lanes of v0's mask bits as all-ones lanes, by element bytes (2, 4, 8): `splat(bits) & LANE_BITS == LANE_BITS`. */
const LANE_BITS: Record<number, [splat: number, eq: number, bits: Uint8Array]> = {
  2: [SIMD.i16x8_splat, 0x2d, new Uint8Array(new Uint16Array([1, 2, 4, 8, 16, 32, 64, 128]).buffer)],
  4: [SIMD.i32x4_splat, 0x37, new Uint8Array(new Uint32Array([1, 2, 4, 8]).buffer)],
  8: [SIMD.i64x2_splat, 0xd6, new Uint8Array(new BigUint64Array([1n, 2n]).buffer)],
};

/** Pushes the lanes of register `k` of a group of `bytes`-byte elements that v0 leaves active (masked forms). */
function pushActiveLanes(e: WasmEmitter, k: number, bytes: number): void {
  const c = e.code, lanes = VLENB / bytes, [splat, eq, bits] = LANE_BITS[bytes];
  c.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, vreg(0));
  if (k) c.i64Const(k * lanes).op(OP.i64_shr_u);
  if (bytes < 8) c.op(OP.i32_wrap_i64);
  c.simd(splat).v128Const(bits).simd(SIMD.v128_and).v128Const(bits).simd(eq);
}

/**
 * The elements of one register group being written (elements of `bytes`
 * bytes, SEW's by default), register by register: each register's v128
 * result (computed by `compute` onto the stack) is merged with the
 * register's old elements where `vl` ends inside it and, for a masked form,
 * where v0 leaves elements inactive, and kept in a local; all are stored
 * after `check` (which may decline) has seen them.
 */
function writeGroup(
  e: WasmEmitter,
  sh: Shape,
  vd: number,
  compute: (k: number) => void,
  check?: (results: readonly number[]) => void,
  bytes = sh.sew,
): void {
  const c = e.code, len = sh.vl * bytes, registers = Math.ceil(len / VLENB);
  const results: number[] = [];
  for (let k = 0; k < registers; k++) {
    compute(k);
    const t = e.tempV128();
    c.localSet(t);
    results.push(t);
  }
  check?.(results);
  results.forEach((t, k) => {
    const keep = len - k * VLENB;
    if (keep < VLENB || !sh.vm) {
      c.localGet(t);
      loadReg(e, vd + k);
      if (!sh.vm) {
        pushActiveLanes(e, k, bytes);
        if (keep < VLENB) c.v128Const(leadingBytes(keep)).simd(SIMD.v128_and);
      } else c.v128Const(leadingBytes(keep));
      c.simd(SIMD.v128_bitselect).localSet(t);
    }
    storeReg(e, vd + k, t);
  });
}

/** Whether a masked form of SEW `bytes` and `vl` has inline code: v0's first 64 bits, lanes of 16 to 64 bits. */
function maskable(bytes: number, vl: number): boolean {
  return bytes >= 2 && vl <= 64;
}

/**
 * Tests that `len` bytes at x[rs1] lie in one mapped piece of memory that
 * allows the access (a store: writable, no translated code), aligned to
 * `align`; declines otherwise. Leaves the address in the returned i32 local.
 */
function checkAddress(
  e: WasmEmitter,
  i: Insn,
  len: number,
  align: number,
  store: boolean,
  decline: () => void,
): number {
  const c = e.code, a = e.tempI32();
  e.get(i.rs1).code.i64Const(2 ** 32 - len).op(OP.i64_gt_u);
  decline();
  e.get(i.rs1).code.op(OP.i32_wrap_i64).localSet(a);
  if (align > 1) c.localGet(a).i32Const(align - 1).op(OP.i32_and), decline();
  const [mask, want] = store ? [PROT_WRITE | PAGE_CODE, PROT_WRITE] : [PROT_READ, PROT_READ];
  const flags = (offset: number) => {
    c.localGet(a);
    if (offset) c.i32Const(offset).op(OP.i32_add);
    c.i32Const(PAGE_SHIFT).op(OP.i32_shr_u).mem(OP.i32_load8_u, MEM.pages, 0);
    c.i32Const(mask).op(OP.i32_and).i32Const(want).op(OP.i32_xor);
  };
  flags(0), flags(len - 1), c.op(OP.i32_or);
  decline();
  return a;
}

/** Loads and stores of 8, 4, 2 and 1 bytes, for the pieces of a copy shorter than a register. */
const PIECES: Record<number, [load: number, store: number]> = {
  8: [OP.i64_load, OP.i64_store],
  4: [OP.i32_load, OP.i32_store],
  2: [0x2f, 0x3b], // i32.load16_u, i32.store16
  1: [OP.i32_load8_u, 0x3a], // i32.store8
};

/** Copies `len` bytes between guest address `a` (an i32 local) and register `vd` onward, whole registers first. */
function copyBytes(e: WasmEmitter, a: number, vd: number, len: number, store: boolean): void {
  const c = e.code;
  for (let at = 0; at < len;) {
    const size = [16, 8, 4, 2, 1].find((s) => s <= len - at)!;
    const reg = vreg(vd) + at;
    const [dst, dstMem, dstOff, src, srcMem, srcOff] = store
      ? [a, MEM.guest, at, e.slot, MEM.regs, reg]
      : [e.slot, MEM.regs, reg, a, MEM.guest, at];
    c.localGet(dst).localGet(src);
    if (size === 16) c.simdMem(SIMD.v128_load, srcMem, 0, srcOff).simdMem(SIMD.v128_store, dstMem, 0, dstOff);
    else c.mem(PIECES[size][0], srcMem, 0, srcOff).mem(PIECES[size][1], dstMem, 0, dstOff);
    at += size;
  }
}

/** Pushes the second operand, one register's worth: vs1's register `k`, or x[rs1] or the immediate splat. */
function pushOperand(e: WasmEmitter, i: Insn, sh: Shape, form: string, k: number, unsignedImm = false): void {
  const c = e.code, sew = SEW_INDEX[sh.sew];
  if (form === "v") return loadReg(e, sh.vs1 + k);
  if (form === "x") {
    e.get(i.rs1);
    if (sh.sew < 8) c.op(OP.i32_wrap_i64);
  } else {
    const imm = unsignedImm ? (i.raw >>> 15) & 31 : simm5(i.raw);
    if (sh.sew < 8) c.i32Const(imm);
    else c.i64Const(imm);
  }
  c.simd(SPLAT[sew]);
}

/** The operation's name and form (`vadd.vx` → `vadd`, `x`), or undefined. */
function nameAndForm(op: Op): [string, string] | undefined {
  const m = /^(v[a-z]+)\.v([vxifs])$/.exec(op);
  return m ? [m[1], m[2]] : undefined;
}

/** Declines unless `frm` is RNE and NX accrued: a normal result then changes no flag. */
function fpGuard(e: WasmEmitter, decline: () => void): void {
  const c = e.code;
  c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.frm);
  c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.fflags).i32Const(1).op(OP.i32_and).op(OP.i32_eqz);
  c.op(OP.i32_or);
  decline();
}

/** `extend_low` and `extend_high` from elements of 1, 2 and 4 bytes to twice that, [unsigned, signed]. */
const EXTEND: Record<number, [lowU: number, highU: number, lowS: number, highS: number]> = {
  1: [0x89, 0x8a, 0x87, 0x88],
  2: [0xa9, 0xaa, 0xa7, 0xa8],
  4: [0xc9, 0xca, 0xc7, 0xc8],
};
/** `add` and `sub` by element bytes. */
const ADD: Record<number, number> = { 1: 0x6e, 2: 0x8e, 4: 0xae, 8: 0xce };
const SUB: Record<number, number> = { 1: 0x71, 2: 0x91, 4: 0xb1, 8: 0xd1 };

/** Pushes the elements of register `k` of a group of `2 * bytes`-byte elements extended from group `from` of `bytes`. */
function pushExtended(e: WasmEmitter, from: number, k: number, bytes: number, signed: boolean): void {
  loadReg(e, from + (k >> 1));
  e.code.simd(EXTEND[bytes][(k & 1) + (signed ? 2 : 0)]);
}

/**
 * vzext.vf2, vsext.vf2 (SEW 16 to 64, from half of it) and the widening
 * adds and subtracts (vwaddu, vwadd, vwsubu, vwsub; .vv and .wv; SEW 8 to
 * 32, results of twice SEW), by operation: inline code for a shape.
 */
const WIDENING: Partial<Record<Op, (sh: Shape) => Body | undefined>> = {
  ...Object.fromEntries((["vzext.vf2", "vsext.vf2"] as const).map((op) => [op, (sh: Shape) => {
    if (sh.sew < 2) return undefined;
    const signed = op === "vsext.vf2";
    const body: Body = (e, _i, sh) => writeGroup(e, sh, sh.vd, (k) => pushExtended(e, sh.vs2, k, sh.sew / 2, signed));
    return body;
  }])),
  ...Object.fromEntries(
    (["vwaddu", "vwadd", "vwsubu", "vwsub"] as const).flatMap((name) =>
      (["vv", "wv"] as const).map((form) => [`${name}.${form}`, (sh: Shape) => {
        const signed = !name.endsWith("u"),
          wide = sh.sew * 2,
          opcode = name.startsWith("vwadd") ? ADD[wide] : SUB[wide];
        const body: Body = (e, _i, sh) =>
          writeGroup(
            e,
            sh,
            sh.vd,
            (k) => {
              if (form === "wv") loadReg(e, sh.vs2 + k);
              else pushExtended(e, sh.vs2, k, sh.sew, signed);
              pushExtended(e, sh.vs1, k, sh.sew, signed);
              e.code.simd(opcode);
            },
            undefined,
            wide,
          );
        return body;
      }])
    ),
  ),
};

/** Declines under a reserved `frm` (with which every vector FP instruction is illegal). */
function frmGuard(e: WasmEmitter, decline: () => void): void {
  e.code.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.frm).i32Const(4).op(OP.i32_gt_u);
  decline();
}

/**
 * Declines unless every active lane of the v128 results `results` (lanes
 * of `bytes` bytes, `vl` of them) passes `test`, which turns the v128 in
 * local `t` into all-ones lanes where it does.
 */
function checkLanes(
  e: WasmEmitter,
  results: readonly number[],
  bytes: number,
  vl: number,
  test: (t: number) => void,
  decline: () => void,
): void {
  const c = e.code, lanes = VLENB / bytes, all = e.tempV128();
  results.forEach((t, k) => {
    test(t);
    const active = vl - k * lanes;
    if (active < lanes) c.v128Const(leadingBytes(active * bytes)).simd(0x4d /* v128.not */).simd(SIMD.v128_or);
    if (k) c.localGet(all).simd(SIMD.v128_and);
    c.localSet(all);
  });
  c.localGet(all).simd(SIMD.i32x4_all_true).op(OP.i32_eqz);
  decline();
}

/** A v128 constant of `v` in every lane: singles (`bytes` 4) or doubles (8). */
function floatLanes(bytes: 4 | 8, v: number): Uint8Array {
  return new Uint8Array((bytes === 4 ? new Float32Array(4) : new Float64Array(2)).fill(v).buffer);
}

/** A v128 constant of four i32 lanes `v` (splat). */
function i32x4(v: number): Uint8Array {
  return new Uint8Array(new Int32Array([v, v, v, v]).buffer);
}

/** `i8x16.shuffle` patterns reversing the bytes of each element (vrev8.v), by element bytes. */
const REVERSE_BYTES: Record<number, number[]> = {
  2: Array.from({ length: 16 }, (_, k) => k ^ 1),
  4: Array.from({ length: 16 }, (_, k) => k ^ 3),
  8: Array.from({ length: 16 }, (_, k) => k ^ 7),
};

/** `extmul` low/high, [signed, unsigned], by source element bytes. */
const EXTMUL: Record<number, [lowS: number, highS: number, lowU: number, highU: number]> = {
  1: [0x9c, 0x9d, 0x9e, 0x9f],
  2: [0xbc, 0xbd, 0xbe, 0xbf],
  4: [0xdc, 0xdd, 0xde, 0xdf],
};

/** FP min/max ([f32x4, f64x2]), NaN-free operands only. */
const FP_MIN_MAX: Record<string, readonly number[]> = { vfmin: [0xe8, 0xf4], vfmax: [0xe9, 0xf5] };

/**
 * Other operations with inline code, by operation: the moves between an
 * FP register and element 0, FP widening of halves and singles, integer
 * widening products, rotates and byte reversal (Zvbb), vid.v, FP min/max,
 * square roots and conversions between 32-bit integers and FP.
 */
const OTHERS: Partial<Record<Op, (sh: Shape) => Body | undefined>> = {
  // f[rd] = vd[0] at SEW 16, 32 or 64, NaN-boxed.
  "vfmv.f.s": (sh) =>
    sh.sew < 2 ? undefined : (e, i, sh, decline) => {
      const c = e.code, at = SLOT.fregs + 8 * i.rd;
      frmGuard(e, decline);
      c.localGet(e.slot);
      if (sh.sew === 8) c.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, vreg(sh.vs2));
      else {
        c.localGet(e.slot).mem(sh.sew === 4 ? OP.i64_load32_u : OP.i64_load16_u, MEM.regs, 0, vreg(sh.vs2));
        c.i64Const(sh.sew === 4 ? -(2n ** 32n) : -(2n ** 16n)).op(OP.i64_or);
      }
      c.mem(OP.i64_store, MEM.regs, 3, at);
    },
  // vd[0] = f[rs1] at SEW 32 or 64 (a single not NaN-boxed is the general executor's); the rest undisturbed.
  "vfmv.s.f": (sh) =>
    sh.sew < 4 || !sh.vm ? undefined : (e, i, sh, decline) => {
      const c = e.code, at = SLOT.fregs + 8 * i.rs1;
      frmGuard(e, decline);
      if (sh.sew === 4) {
        c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, at + 4).i32Const(-1).op(OP.i32_ne);
        decline();
        c.localGet(e.slot).localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, at).mem(
          OP.i32_store,
          MEM.regs,
          2,
          vreg(sh.vd),
        );
      } else {
        c.localGet(e.slot).localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, at).mem(
          OP.i64_store,
          MEM.regs,
          3,
          vreg(sh.vd),
        );
      }
    },
  // Halves to singles (exact: normal ones by their bits, subnormal ones as mantissa · 2^-24; infinities and NaNs
  // the general executor's), singles to doubles (exact but for NaNs).
  "vfwcvt.f.f.v": (sh) => {
    if (sh.sew === 2) {
      return (e, _i, sh, decline) => {
        const c = e.code;
        frmGuard(e, decline);
        const halves: number[] = [];
        writeGroup(e, sh, sh.vd, (k) => {
          const h = e.tempV128();
          loadReg(e, sh.vs2 + (k >> 1)), c.simd(k & 1 ? 0xaa : 0xa9).localTee(h);
          halves.push(h);
          // Normal: sign << 16 | (magnitude + (112 << 10)) << 13.
          c.v128Const(i32x4(0x8000)).simd(SIMD.v128_and).i32Const(16).simd(0xab);
          c.localGet(h).v128Const(i32x4(0x7fff)).simd(SIMD.v128_and).v128Const(i32x4(0x1c000)).simd(0xae);
          c.i32Const(13).simd(0xab).simd(SIMD.v128_or);
          // Zero or subnormal: the mantissa times 2^-24, with the sign.
          c.localGet(h).v128Const(i32x4(0x3ff)).simd(SIMD.v128_and).simd(0xfb /* f32x4.convert_i32x4_u */);
          c.v128Const(floatLanes(4, 2 ** -24)).simd(0xe6);
          c.localGet(h).v128Const(i32x4(0x8000)).simd(SIMD.v128_and).i32Const(16).simd(0xab).simd(SIMD.v128_or);
          // Which: the exponent field not 0.
          c.localGet(h).v128Const(i32x4(0x7c00)).simd(SIMD.v128_and).v128Const(i32x4(0)).simd(0x38 /* i32x4.ne */);
          c.simd(SIMD.v128_bitselect);
        }, () => {
          // An infinity or NaN (exponent field 31) is the general executor's.
          checkLanes(e, halves, 4, sh.vl, (t) => {
            c.localGet(t).v128Const(i32x4(0x7c00)).simd(SIMD.v128_and).v128Const(i32x4(0x7c00)).simd(0x38);
          }, decline);
        }, 4);
      };
    }
    if (sh.sew === 4) {
      return (e, _i, sh, decline) => {
        const c = e.code, singles: number[] = [];
        frmGuard(e, decline);
        writeGroup(e, sh, sh.vd, (k) => {
          const f = e.tempV128();
          loadReg(e, sh.vs2 + (k >> 1));
          if (k & 1) {
            c.localTee(f).localGet(f).simd(0x0d), c.bytes.push(8, 9, 10, 11, 12, 13, 14, 15, ...new Array(8).fill(0));
          }
          c.localTee(f).simd(0x5f /* f64x2.promote_low_f32x4 */);
          singles.push(f);
        }, () => {
          // A NaN (not equal to itself) is the general executor's; only the low two lanes count.
          checkLanes(e, singles, 8, sh.vl, (t) => {
            c.localGet(t).localGet(t).simd(0x41 /* f32x4.eq */).v128Const(leadingBytes(8).map((b) => 255 - b)).simd(
              SIMD.v128_or,
            );
          }, decline);
        }, 8);
      };
    }
    return undefined;
  },
  ...Object.fromEntries(
    (["vwmul.vv", "vwmulu.vv"] as const).map((op) => [op, (sh: Shape) =>
      sh.sew > 4 ? undefined : ((e, _i, sh) => {
        const opcodes = EXTMUL[sh.sew], signed = op === "vwmul.vv";
        writeGroup(
          e,
          sh,
          sh.vd,
          (k) => {
            loadReg(e, sh.vs2 + (k >> 1)), loadReg(e, sh.vs1 + (k >> 1));
            e.code.simd(opcodes[(k & 1) + (signed ? 0 : 2)]);
          },
          undefined,
          sh.sew * 2,
        );
      }) as Body]
    ),
  ),
  ...Object.fromEntries((["vror.vi", "vror.vx", "vrol.vx"] as const).map((op) => [op, (sh: Shape) => {
    const w = sh.sew * 8, sew = SEW_INDEX[sh.sew];
    const shl = SHIFTS.vsll[sew], shr = SHIFTS.vsrl[sew];
    const body: Body = (e, i, sh) => {
      const c = e.code, k = e.tempI32();
      if (op === "vror.vi") c.i32Const((((i.raw >>> 15) & 31) | (((i.raw >>> 26) & 1) << 5)) & (w - 1));
      else e.get(i.rs1).code.op(OP.i32_wrap_i64).i32Const(w - 1).op(OP.i32_and);
      c.localSet(k);
      const [first, second] = op === "vrol.vx" ? [shl, shr] : [shr, shl];
      writeGroup(e, sh, sh.vd, (r) => {
        loadReg(e, sh.vs2 + r), c.localGet(k).simd(first);
        loadReg(e, sh.vs2 + r), c.i32Const(w).localGet(k).op(OP.i32_sub).simd(second);
        c.simd(SIMD.v128_or);
      });
    };
    return body;
  }])),
  "vrev8.v": (sh) =>
    sh.sew === 1 ? undefined : (e, _i, sh) =>
      writeGroup(e, sh, sh.vd, (k) => {
        loadReg(e, sh.vs2 + k), loadReg(e, sh.vs2 + k);
        e.code.simd(0x0d), e.code.bytes.push(...REVERSE_BYTES[sh.sew]);
      }),
  "vid.v": (sh) =>
    sh.vd === 0 && !sh.vm ? undefined : (e, _i, sh) =>
      writeGroup(e, sh, sh.vd, (k) => {
        const lanes = VLENB / sh.sew, bytes = new Uint8Array(16), view = new DataView(bytes.buffer);
        for (let j = 0; j < lanes; j++) {
          const v = k * lanes + j;
          if (sh.sew === 1) view.setUint8(j, v);
          else if (sh.sew === 2) view.setUint16(2 * j, v, true);
          else if (sh.sew === 4) view.setUint32(4 * j, v, true);
          else view.setBigUint64(8 * j, BigInt(v), true);
        }
        e.code.v128Const(bytes);
      }),
  ...Object.fromEntries((["vfmin.vv", "vfmax.vv", "vfmin.vf", "vfmax.vf"] as const).map((op) => [op, (sh: Shape) => {
    if ((sh.sew !== 4 && sh.sew !== 8) || !sh.vm) return undefined;
    const f = sh.sew === 4 ? 0 : 1, opcode = FP_MIN_MAX[op.slice(0, 5)][f], eq = sh.sew === 4 ? 0x41 : 0x47;
    const body: Body = (e, i, sh, decline) => {
      const c = e.code, scalar = e.tempV128(), vf = op.endsWith("f");
      frmGuard(e, decline);
      if (vf) pushScalar(e, i, sh, decline), c.localSet(scalar);
      // Operands without NaNs: min and max are then RISC-V's (-0 below +0), with no flag.
      const a: number[] = [], b: number[] = [];
      writeGroup(e, sh, sh.vd, (k) => {
        const x = e.tempV128(), y = e.tempV128();
        loadReg(e, sh.vs2 + k), c.localTee(x);
        if (vf) c.localGet(scalar);
        else loadReg(e, sh.vs1 + k);
        c.localTee(y).simd(opcode);
        a.push(x), b.push(y);
      }, () => {
        checkLanes(e, a, sh.sew, sh.vl, (t) => void c.localGet(t).localGet(t).simd(eq), decline);
        checkLanes(e, b, sh.sew, sh.vl, (t) => void c.localGet(t).localGet(t).simd(eq), decline);
      });
    };
    return body;
  }])),
  "vfsqrt.v": (sh) => {
    if ((sh.sew !== 4 && sh.sew !== 8) || !sh.vm) return undefined;
    const f = sh.sew === 4 ? 0 : 1;
    return (e, _i, sh, decline) => {
      fpGuard(e, decline);
      writeGroup(
        e,
        sh,
        sh.vd,
        (k) => (loadReg(e, sh.vs2 + k), e.code.simd(f ? 0xef : 0xe3)),
        (results) => checkNormal(e, results, sh, decline),
      );
    };
  },
  // Signed and unsigned 32-bit integers to singles, rounded to nearest even (NX accrued already).
  ...Object.fromEntries(
    (["vfcvt.f.x.v", "vfcvt.f.xu.v"] as const).map((
      op,
    ) => [op, (sh: Shape) =>
      sh.sew !== 4 || !sh.vm ? undefined : ((e, _i, sh, decline) => {
        fpGuard(e, decline);
        writeGroup(e, sh, sh.vd, (k) => (loadReg(e, sh.vs2 + k), e.code.simd(op === "vfcvt.f.x.v" ? 0xfa : 0xfb)));
      }) as Body]
    ),
  ),
  // Singles to halves, rounded to nearest even (NX accrued already): by their bits, for singles whose half is
  // normal and finite (magnitudes from 2^-14 up to 65520, which rounds to infinity); others are the executor's.
  "vfncvt.f.f.w": (sh) =>
    sh.sew !== 2 || !sh.vm ? undefined : (e, _i, sh, decline) => {
      const c = e.code, singles: number[] = [];
      fpGuard(e, decline);
      writeGroup(e, sh, sh.vd, (k) => {
        for (const half of [0, 1]) {
          const f = e.tempV128();
          loadReg(e, sh.vs2 + 2 * k + half), c.localTee(f);
          // (magnitude - (112 << 23) + 0xfff + bit 13) >> 13, then the sign at bit 15.
          c.v128Const(i32x4(0x7fffffff)).simd(SIMD.v128_and).v128Const(i32x4(0xfff - (112 << 23))).simd(0xae);
          c.localGet(f).i32Const(13).simd(0xad /* i32x4.shr_u */).v128Const(i32x4(1)).simd(SIMD.v128_and).simd(0xae);
          c.i32Const(13).simd(0xad);
          c.localGet(f).i32Const(16).simd(0xad).v128Const(i32x4(0x8000)).simd(SIMD.v128_and).simd(SIMD.v128_or);
          singles.push(f);
        }
        c.simd(0x86 /* i16x8.narrow_i32x4_u */);
      }, () => {
        const splat = (v: number) => c.v128Const(floatLanes(4, v));
        checkLanes(e, singles, 4, sh.vl, (t) => {
          c.localGet(t).simd(F_ABS[0]), splat(2 ** -14), c.simd(F_GE[0]);
          c.localGet(t).simd(F_ABS[0]), splat(65520), c.simd(0x43 /* f32x4.lt */);
          c.simd(SIMD.v128_and);
        }, decline);
      });
    },
  // Doubles to 32-bit signed integers, truncated: in range only (out of range or NaN sets NV).
  "vfncvt.rtz.x.f.w": (sh) =>
    sh.sew !== 4 || !sh.vm ? undefined : (e, _i, sh, decline) => {
      const c = e.code, doubles: number[] = [];
      fpGuard(e, decline);
      writeGroup(e, sh, sh.vd, (k) => {
        for (const half of [0, 1]) {
          const d = e.tempV128();
          loadReg(e, sh.vs2 + 2 * k + half), c.localTee(d).simd(0xfc /* i32x4.trunc_sat_f64x2_s_zero */);
          doubles.push(d);
        }
        // The two truncated pairs side by side.
        c.simd(0x0d), c.bytes.push(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
      }, () => {
        const range = (v: number) => c.v128Const(floatLanes(8, v));
        checkLanes(e, doubles, 8, sh.vl, (t) => {
          c.localGet(t), range(-2147483649), c.simd(0x4a /* f64x2.gt */);
          c.localGet(t), range(2147483648), c.simd(0x49 /* f64x2.lt */);
          c.simd(SIMD.v128_and);
        }, decline);
      });
    },
};

/** Pushes the .vf forms' scalar f[rs1] splat at SEW 32 or 64; a single not NaN-boxed declines. */
function pushScalar(e: WasmEmitter, i: Insn, sh: Shape, decline: () => void): void {
  const c = e.code, at = SLOT.fregs + 8 * i.rs1;
  if (sh.sew === 4) {
    c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, at + 4).i32Const(-1).op(OP.i32_ne);
    decline();
    c.localGet(e.slot).mem(0x2a, MEM.regs, 2, at).simd(SIMD.f32x4_splat);
  } else c.localGet(e.slot).mem(OP.f64_load, MEM.regs, 3, at).simd(SIMD.f64x2_splat);
}

/**
 * Declines unless every active lane of `results` is a normal number above
 * the smallest one at SEW 32 or 64 (not zero, subnormal, infinite or NaN):
 * a product or quotient rounded up to the smallest normal can be tiny
 * (RISC-V detects tininess after rounding, as if the exponent were
 * unbounded), which raises UF.
 */
function checkNormal(e: WasmEmitter, results: readonly number[], sh: Shape, decline: () => void): void {
  const c = e.code, f = sh.sew === 4 ? 0 : 1;
  const min = sh.sew === 4 ? MIN_NORMAL_S : MIN_NORMAL_D, max = sh.sew === 4 ? MAX_SINGLE : Number.MAX_VALUE;
  const splat = (v: number) => c.v128Const(floatLanes(sh.sew as 4 | 8, v));
  checkLanes(e, results, sh.sew, sh.vl, (t) => {
    c.localGet(t).simd(F_ABS[f]), splat(min), c.simd(F_GT[f]);
    c.localGet(t).simd(F_ABS[f]), splat(max), c.simd(F_LE[f]);
    c.simd(SIMD.v128_and);
  }, decline);
}

/** f32/f64 `add`, `abs`, `ge`, `le` and loads by element bytes. */
const SCALAR_F: Record<number, { add: number; abs: number; ge: number; le: number; load: number; store: number }> = {
  4: { add: 0x92, abs: 0x8b, ge: 0x60, le: 0x5f, load: 0x2a, store: 0x38 },
  8: { add: OP.f64_add, abs: OP.f64_abs, ge: OP.f64_ge, le: OP.f64_le, load: OP.f64_load, store: OP.f64_store },
};

/** Largest finite single. */
const MAX_SINGLE = 3.4028234663852886e38;

/**
 * vfredosum.vs: vs1[0] plus vs2's active elements in order, into vd[0]
 * (the rest of vd undisturbed); every partial sum must be a normal number.
 */
function orderedSum(sh: Shape): Body {
  const f = SCALAR_F[sh.sew], log2 = sh.sew === 4 ? 2 : 3;
  return (e, _i, sh, decline) => {
    const c = e.code, r = sh.sew === 4 ? e.tempF32() : e.tempF64();
    fpGuard(e, decline);
    c.localGet(e.slot).mem(f.load, MEM.regs, log2, vreg(sh.vs1)).localSet(r);
    const check = e.tempI32();
    c.i32Const(0).localSet(check);
    const min = sh.sew === 4 ? MIN_NORMAL_S : MIN_NORMAL_D, max = sh.sew === 4 ? MAX_SINGLE : Number.MAX_VALUE;
    const constant = (v: number) => sh.sew === 4 ? c.f32Const(v) : c.f64Const(v);
    for (let k = 0; k < sh.vl; k++) {
      c.localGet(r).localGet(e.slot).mem(f.load, MEM.regs, log2, vreg(sh.vs2) + k * sh.sew).op(f.add).localTee(r);
      // Not normal: |r| < min or > max, or NaN (both compares false).
      c.op(f.abs), constant(min), c.op(f.ge);
      c.localGet(r).op(f.abs), constant(max), c.op(f.le);
      c.op(OP.i32_and).op(OP.i32_eqz).localGet(check).op(OP.i32_or).localSet(check);
    }
    c.localGet(check);
    decline();
    c.localGet(e.slot).localGet(r).mem(f.store, MEM.regs, log2, vreg(sh.vd));
  };
}

/** The inline code of `op` under `sh`, or undefined when it has none. */
function inlineBody(op: Op, raw: number, sh: Shape, storesInline: boolean): Body | undefined {
  const whole = WHOLE_ACCESS.exec(op);
  if (whole) {
    const store = whole[3] !== undefined, n = Number(whole[1] ?? whole[3]);
    if (store && !storesInline) return undefined;
    return (e, i, sh, decline) => {
      const a = checkAddress(e, i, n * VLENB, 4, store, decline);
      copyBytes(e, a, sh.vd, n * VLENB, store);
    };
  }
  const unit = UNIT_STRIDE.exec(op);
  if (unit) {
    const store = unit[1] === "s", eew = Number(unit[2]) / 8, len = sh.vl * eew;
    if (((raw >>> 29) & 7) !== 0 || (store && !storesInline) || len > 8 * VLENB) return undefined;
    if (!sh.vm) {
      // Masked loads of whole registers: every element read (the memory allows it), the inactive ones kept.
      if (store || !maskable(eew, sh.vl) || len % VLENB !== 0) return undefined;
      return (e, i, sh, decline) => {
        const a = checkAddress(e, i, len, eew, false, decline);
        writeGroup(
          e,
          sh,
          sh.vd,
          (k) => e.code.localGet(a).simdMem(SIMD.v128_load, MEM.guest, 0, k * VLENB),
          undefined,
          eew,
        );
      };
    }
    return (e, i, sh, decline) => {
      if (len === 0) return;
      const a = checkAddress(e, i, len, eew, store, decline);
      copyBytes(e, a, sh.vd, len, store);
    };
  }
  const move = WHOLE_MOVE.exec(op);
  if (move) {
    const n = Number(move[1]);
    return (e, _i, sh) => {
      for (let k = 0; k < n; k++) {
        const t = e.tempV128();
        loadReg(e, sh.vs2 + k), e.code.localSet(t), storeReg(e, sh.vd + k, t);
      }
    };
  }
  if (sh.vl === 0 || (!sh.vm && !maskable(sh.sew, sh.vl))) return undefined;
  if (op === "vcpop.v" && sh.sew === 1) {
    return (e, _i, sh) =>
      writeGroup(e, sh, sh.vd, (k) => (loadReg(e, sh.vs2 + k), e.code.simd(0x62 /* i8x16.popcnt */)));
  }
  const widening = WIDENING[op];
  if (widening && sh.sew <= 4) return widening(sh);
  const other = OTHERS[op]?.(sh);
  if (other) return other;
  const nf = nameAndForm(op);
  if (!nf) return undefined;
  const [name, form] = nf, sew = SEW_INDEX[sh.sew];
  if (name === "vfredosum" && form === "s" && (sh.sew === 4 || sh.sew === 8) && sh.vm) return orderedSum(sh);
  if (name === "vmv" && form !== "f") {
    return (e, i, sh) => writeGroup(e, sh, sh.vd, (k) => pushOperand(e, i, sh, form, k));
  }
  if (INTEGER[name]?.[sew] && form !== "f") {
    const opcode = INTEGER[name][sew];
    return (e, i, sh) =>
      writeGroup(e, sh, sh.vd, (k) => {
        if (name === "vrsub") pushOperand(e, i, sh, form, k), loadReg(e, sh.vs2 + k);
        else loadReg(e, sh.vs2 + k), pushOperand(e, i, sh, form, k);
        e.code.simd(opcode);
      });
  }
  if (SHIFTS[name] && (form === "x" || form === "i")) {
    const opcode = SHIFTS[name][sew];
    return (e, i, sh) =>
      writeGroup(e, sh, sh.vd, (k) => {
        loadReg(e, sh.vs2 + k);
        if (form === "x") e.get(i.rs1).code.op(OP.i32_wrap_i64);
        else e.code.i32Const((i.raw >>> 15) & 31);
        e.code.simd(opcode);
      });
  }
  if (COMPARES[name]?.[sew] && form !== "f" && sh.vl <= 64 && sh.vm) {
    const opcode = COMPARES[name][sew], lanes = VLENB / sh.sew;
    return (e, i, sh) => {
      const c = e.code, bits = e.tempI64(), registers = Math.ceil((sh.vl * sh.sew) / VLENB);
      c.i64Const(0).localSet(bits);
      for (let k = 0; k < registers; k++) {
        loadReg(e, sh.vs2 + k), pushOperand(e, i, sh, form, k);
        c.simd(opcode).simd(BITMASK[sew]).op(OP.i64_extend_i32_u);
        if (k) c.i64Const(k * lanes).op(OP.i64_shl);
        c.localGet(bits).op(OP.i64_or).localSet(bits);
      }
      // Bits 0…vl-1 of vd's first 64; the rest undisturbed.
      const mask = sh.vl === 64 ? -1n : (1n << BigInt(sh.vl)) - 1n;
      c.localGet(e.slot);
      c.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, vreg(sh.vd)).i64Const(~mask).op(OP.i64_and);
      c.localGet(bits).i64Const(mask).op(OP.i64_and).op(OP.i64_or);
      c.mem(OP.i64_store, MEM.regs, 3, vreg(sh.vd));
    };
  }
  if (FLOAT[name] && (form === "v" || form === "f") && (sh.sew === 4 || sh.sew === 8) && sh.vm) {
    const f = sh.sew === 4 ? 0 : 1, opcode = FLOAT[name][f];
    return (e, i, sh, decline) => {
      const c = e.code;
      fpGuard(e, decline);
      const scalar = e.tempV128();
      if (form === "f") pushScalar(e, i, sh, decline), c.localSet(scalar);
      writeGroup(e, sh, sh.vd, (k) => {
        loadReg(e, sh.vs2 + k);
        if (form === "v") loadReg(e, sh.vs1 + k);
        else c.localGet(scalar);
        c.simd(opcode);
      }, (results) => checkNormal(e, results, sh, decline));
    };
  }
  return undefined;
}

/** The inline code of instruction `i` for the shape it last ran in, with whether it needs the shape, or undefined. */
function inlineFor(i: Insn, shapes: VectorTier): { body: Body; sh: Shape; free: boolean } | undefined {
  const shape = shapes.shapeOf(i.raw);
  if (!shape) return undefined;
  const [vtype, vl] = shape, free = shapeFree(i.op);
  if (vtype === -1 && !free) return undefined;
  const known = vtype === -1 ? 0 : vtype, sh = { ...fastShapeOf(i.raw, known, vl), vtype: known };
  const body = inlineBody(i.op, i.raw, sh, shapes.storesInline());
  return body && { body, sh, free };
}

/**
 * Whether vector instruction `i` runs inline in this tier (a legal
 * vset{i}vli, or a word with inline code for the shape it last ran in).
 */
export function inlinesVector(i: Insn, tier: VectorTier): boolean {
  return immediateVtype(i) !== undefined || inlineFor(i, tier) !== undefined;
}

/** vsetvli and vsetivli with a legal immediate `vtype`: vl from the AVL, vstart 0, rd the new vl. */
function vset(e: WasmEmitter, i: Insn, vtype: number, max: number): void {
  const c = e.code, immediate = i.op === "vsetivli";
  const rs1 = (i.raw >>> 15) & 31, rd = (i.raw >>> 7) & 31, vl = e.tempI64();
  if (immediate) c.i64Const(Math.min(rs1, max));
  else if (rs1 !== 0) {
    // min(x[rs1], VLMAX), unsigned.
    e.get(i.rs1).code.i64Const(max);
    e.get(i.rs1).code.i64Const(max).op(OP.i64_lt_u).op(OP.select);
  } else if (rd !== 0) c.i64Const(max);
  else {
    c.localGet(e.slot).mem(OP.i64_load32_u, MEM.regs, 2, config("vl")).i64Const(max);
    c.localGet(e.slot).mem(OP.i64_load32_u, MEM.regs, 2, config("vl")).i64Const(max).op(OP.i64_lt_u).op(OP.select);
  }
  c.localSet(vl);
  // vl and vtype in one store, vill and vstart 0 in another.
  c.localGet(e.slot).localGet(vl).i64Const(BigInt(vtype) << 32n).op(OP.i64_or).mem(
    OP.i64_store,
    MEM.regs,
    3,
    config("vl"),
  );
  c.localGet(e.slot).i64Const(0).mem(OP.i64_store, MEM.regs, 3, config("vill"));
  c.localGet(vl);
  e.set(i.rd);
}

/** The general path: the word's executor through the `vector` import, which may fault. */
function general(e: WasmEmitter, i: Insn): void {
  const c = e.code;
  c.i32Const(i.raw);
  if (READS_FS1.has(i.op)) {
    const at = SLOT.fregs + 8 * i.rs1;
    c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, at).localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, at + 4);
  } else e.get(i.rs1).code.op(OP.i32_wrap_i64), e.get(i.rs1).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  e.get(i.rs2).code.op(OP.i32_wrap_i64);
  e.get(i.rs2).code.i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
  c.call(FN.vector);
  e.checkStatus();
  if (WRITES_RD.has(i.op)) {
    c.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, SLOT.value);
    e.set(i.rd);
  } else if (WRITES_FD.has(i.op)) {
    c.localGet(e.slot).localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, SLOT.value);
    c.mem(OP.i64_store, MEM.regs, 3, SLOT.fregs + 8 * i.rd);
  }
}

/**
 * Emits vector instruction `i`: inline where it can ({@link inlinesVector}),
 * behind the test of its shape, with the general path after it.
 */
export function emitVector(e: WasmEmitter, i: Insn, tier: VectorTier | undefined): void {
  const legal = immediateVtype(i);
  if (legal) return vset(e, i, legal.vtype, legal.vlmax);
  const inline = tier && inlineFor(i, tier);
  if (!inline) return general(e, i);
  const { body, sh, free } = inline, c = e.code;
  e.block(); // the end: done
  e.block(); // the general path
  const base = e.nest;
  const decline = () => c.unlikely().br(OP.br_if, e.nest - base);
  if (free) c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, config("vstart"));
  else {
    // (vl, vtype) and (vill, vstart) as two i64 words: the shape, and 0.
    c.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, config("vl"));
    c.i64Const(BigInt(sh.vl) | (BigInt(sh.vtype) << 32n)).op(OP.i64_ne);
    c.localGet(e.slot).mem(OP.i64_load, MEM.regs, 3, config("vill")).i64Const(0).op(OP.i64_ne).op(OP.i32_or);
  }
  decline();
  body(e, i, sh, decline);
  c.br(OP.br, 1);
  e.end();
  general(e, i);
  e.end();
}
