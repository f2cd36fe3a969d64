/**
 * The vector extension's state of one hart, with VLEN = 128 bits and ELEN =
 * 64: 32 registers of {@link VLENB} bytes, `vl`, `vtype` (with `vill`),
 * `vstart`, `vxrm` and `vxsat`. `vcsr` is `vxrm << 1 | vxsat` and `vlenb`
 * a constant, so neither is stored.
 *
 * It lives in the `Cpu` object, beside the register arena rather than in it:
 * only the JavaScript helper of `core/jit/vector.ts` reads it (the
 * WebAssembly tier leaves vector instructions to JavaScript), so nothing
 * gains from a 2 KiB slot. `clone` and `fork` copy it with {@link VectorState.copyFrom}.
 *
 * @module
 */

/** Bytes per vector register (VLEN / 8), what `vlenb` reads. */
export const VLENB = 16;

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
  readonly v = new Uint8Array(32 * VLENB);
  /** A view of {@link v} for element accesses. */
  readonly view = new DataView(this.v.buffer);
  /** The vector length. */
  vl = 0;
  /** `vtype` without `vill`: vlmul in bits 2:0, vsew in 5:3, vta bit 6, vma bit 7 (0 when `vill`). */
  vtype = 0;
  /** Whether `vtype` is illegal (its bit XLEN-1): vector instructions other than `vset*` then trap. */
  vill = true;
  /** The element index a vector instruction starts at. */
  vstart = 0;
  /** Fixed-point rounding mode (2 bits). */
  vxrm = 0;
  /** Fixed-point saturation flag (1 bit). */
  vxsat = 0;

  /** Copies every register and CSR of `other` (a new thread's or process's vector state). */
  copyFrom(other: VectorState): void {
    this.v.set(other.v);
    this.vl = other.vl;
    this.vtype = other.vtype;
    this.vill = other.vill;
    this.vstart = other.vstart;
    this.vxrm = other.vxrm;
    this.vxsat = other.vxsat;
  }

  /** Puts the state back as a new program starts with it (`execve`). */
  reset(): void {
    this.copyFrom(new VectorState());
  }
}
