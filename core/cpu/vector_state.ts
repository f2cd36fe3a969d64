/**
 * The vector extension's state of one hart, with VLEN = 128 bits and ELEN =
 * 64: 32 registers of {@link VLENB} bytes, `vl`, `vtype` (with `vill`),
 * `vstart`, `vxrm` and `vxsat`. `vcsr` is `vxrm << 1 | vxsat` and `vlenb`
 * a constant, so neither is stored.
 *
 * A vCPU's vector state lives in the second half of its slot of the
 * register arena (`register_arena.ts`), so that WebAssembly regions run
 * vector instructions in place: the registers at `SLOT.vregs`, then `vl`,
 * `vtype`, `vill` and `vstart` as i32 words (`config`), which the properties
 * of the same names read and write. `vxrm` and `vxsat` are plain properties
 * (only JavaScript reads them). A state made on its own (tests, probes) has
 * a buffer of its own. `clone` and `fork` copy it with
 * {@link VectorState.copyFrom}.
 *
 * @module
 */

/** Bytes per vector register (VLEN / 8), what `vlenb` reads. */
export const VLENB = 16;
/** Bytes of a vector state in memory: the registers, then the {@link CONFIG} words. */
export const VECTOR_STATE_BYTES = 32 * VLENB + 16;

/** Byte offsets of the configuration words after the registers (i32 each). */
export const CONFIG = { vl: 32 * VLENB, vtype: 32 * VLENB + 4, vill: 32 * VLENB + 8, vstart: 32 * VLENB + 12 } as const;

/** log2 of ELEN, the widest element in bits (64). */
const ELEN_LOG2 = 6;

/**
 * VLMAX (VLEN · LMUL / SEW) under the 64-bit `vtype` `vtypeHi`:`vtypeLo`,
 * or 0 when it is illegal (vill, reserved bits, SEW above ELEN = 64, LMUL
 * 4, a fractional LMUL with 64 · LMUL < SEW): what `setConfig` sets, and
 * what translators inline vset{i}vli by.
 *
 * @example
 * ```ts
 * import { vlmaxOf } from "./vector_state.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(vlmaxOf(0x10), 4); // e32, m1
 * strictEqual(vlmaxOf(0x03), 128); // e8, m8
 * strictEqual(vlmaxOf(0x1d), 0); // e32, mf8: illegal
 * ```
 */
export function vlmaxOf(vtypeLo: number, vtypeHi = 0): number {
  const vlmul = vtypeLo & 7, sewLog2 = ((vtypeLo >> 3) & 7) + 3;
  const lmulLog2 = vlmul < 4 ? vlmul : vlmul - 8;
  const illegal = vtypeHi !== 0 || (vtypeLo & ~0xff) !== 0 || sewLog2 > ELEN_LOG2 || vlmul === 4 ||
    ELEN_LOG2 + lmulLog2 < sewLog2;
  if (illegal) return 0;
  // In shifts (2 ** and Math.log2 were most of a vsetvli's time).
  return lmulLog2 >= 0 ? (VLENB * 8 << lmulLog2) >> sewLog2 : (VLENB * 8 >> -lmulLog2) >> sewLog2;
}

/**
 * One hart's vector registers and vector CSRs. Until a `vset{i}vl{i}` runs,
 * `vtype` is illegal (`vill`) and `vl` 0, as QEMU starts a hart.
 *
 * @example
 * ```ts
 * import { VectorState } from "./vector_state.ts";
 * import { strictEqual } from "node:assert";
 * const a = new VectorState(), b = new VectorState();
 * a.v[16] = 7;
 * a.vl = 3;
 * b.copyFrom(a);
 * strictEqual(b.v[16], 7);
 * strictEqual(b.vl, 3);
 * strictEqual(b.vill, true);
 * ```
 */
export class VectorState {
  /** v0…v31, register `i` at byte `16 * i`, elements little-endian. */
  readonly v: Uint8Array;
  /** A view of {@link v} for element accesses. */
  readonly view: DataView;
  /** {@link v} as 16-bit elements (register `r`'s element `i` at `r * 8 + i`; the host is little-endian, as the guest). */
  readonly u16: Uint16Array;
  /** {@link v} as 32-bit elements. */
  readonly u32: Uint32Array;
  /** {@link v} as 32-bit words, signed (as `AddressSpace.i32`, for copies to and from guest memory). */
  readonly i32: Int32Array;
  /** {@link v} as 64-bit elements. */
  readonly u64: BigUint64Array;
  /** {@link v} as singles (a NaN read here may lose its payload: only the exact path reads NaNs' bits). */
  readonly f32: Float32Array;
  /** {@link v} as doubles. */
  readonly f64: Float64Array;
  /** `vl`, `vtype`, `vill` and `vstart`, in that order ({@link CONFIG}). */
  private readonly config: Int32Array;
  /** Fixed-point rounding mode (2 bits). */
  vxrm = 0;
  /** Fixed-point saturation flag (1 bit). */
  vxsat = 0;

  /**
   * A vector state at byte `at` of `buffer` ({@link VECTOR_STATE_BYTES}
   * bytes, 8-aligned), `vill` set; a buffer of its own without one.
   */
  constructor(buffer: ArrayBufferLike = new ArrayBuffer(VECTOR_STATE_BYTES), at = 0) {
    const bytes = 32 * VLENB;
    this.v = new Uint8Array(buffer, at, bytes);
    this.view = new DataView(buffer, at, bytes);
    this.u16 = new Uint16Array(buffer, at, bytes / 2);
    this.u32 = new Uint32Array(buffer, at, bytes / 4);
    this.i32 = new Int32Array(buffer, at, bytes / 4);
    this.u64 = new BigUint64Array(buffer, at, bytes / 8);
    this.f32 = new Float32Array(buffer, at, bytes / 4);
    this.f64 = new Float64Array(buffer, at, bytes / 8);
    this.config = new Int32Array(buffer, at + bytes, 4);
    this.vill = true;
  }

  /** The vector length. */
  get vl(): number {
    return this.config[0];
  }
  set vl(value: number) {
    this.config[0] = value;
  }
  /** `vtype` without `vill`: vlmul in bits 2:0, vsew in 5:3, vta bit 6, vma bit 7 (0 when `vill`). */
  get vtype(): number {
    return this.config[1];
  }
  set vtype(value: number) {
    this.config[1] = value;
  }
  /** Whether `vtype` is illegal (its bit XLEN-1): vector instructions other than `vset*` then trap. */
  get vill(): boolean {
    return this.config[2] !== 0;
  }
  set vill(value: boolean) {
    this.config[2] = value ? 1 : 0;
  }
  /** The element index a vector instruction starts at. */
  get vstart(): number {
    return this.config[3];
  }
  set vstart(value: number) {
    this.config[3] = value;
  }

  /** Copies every register and CSR of `other` (a new thread's or process's vector state). */
  copyFrom(other: VectorState): void {
    this.v.set(other.v);
    this.config.set(other.config);
    this.vxrm = other.vxrm;
    this.vxsat = other.vxsat;
  }

  /**
   * Sets `vtype` and `vl` as `vsetvl x0, rs1, rs2` does with AVL `avl` and
   * the 64-bit `vtype` (`vtypeHi`:`vtypeLo`): what Linux's `rt_sigreturn`
   * runs to restore them from a signal frame. An illegal `vtype` (vill,
   * reserved bits, SEW above ELEN = 64, LMUL 4, a fractional LMUL with
   * 64 · LMUL < SEW) sets `vill` with vl 0; otherwise vl is `avl` up to
   * VLMAX. The vset* instructions (`core/jit/vector/config.ts`) run it too.
   *
   * @example
   * ```ts
   * import { VectorState } from "./vector_state.ts";
   * import { strictEqual } from "node:assert";
   * const s = new VectorState();
   * s.setConfig(100, 0x10, 0); // e32, m1: VLMAX 4
   * strictEqual(s.vl, 4);
   * s.setConfig(3, 0, 1 << 31); // vill
   * strictEqual(s.vill, true);
   * strictEqual(s.vl, 0);
   * ```
   */
  setConfig(avl: number, vtypeLo: number, vtypeHi: number): void {
    const vlmax = vlmaxOf(vtypeLo, vtypeHi);
    if (vlmax === 0) {
      this.vill = true;
      this.vtype = 0;
      this.vl = 0;
      return;
    }
    this.vtype = vtypeLo;
    this.vill = false;
    this.vl = avl < vlmax ? avl : vlmax;
  }

  /** Puts the state back as a new program starts with it (`execve`). */
  reset(): void {
    this.v.fill(0);
    this.config.fill(0);
    this.vill = true;
    this.vxrm = this.vxsat = 0;
  }
}
