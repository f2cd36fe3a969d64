/**
 * The architectural state of one RISC-V hart (vCPU).
 *
 * Integer registers are kept as pairs of int32 (low word at `2*i`, high word at
 * `2*i+1`): on Deno 2.9.6 a loop of 64-bit add/shift/xor ran at 118 M iter/s
 * with int32 pairs against 67 M with `BigInt64Array` (design.md §5), and the
 * pair form allocates nothing.
 *
 * Floating-point registers are 64-bit patterns in `fi` (pairs of int32, same
 * layout), aliased as doubles in `f`. Single-precision values are NaN-boxed
 * (upper word all ones) as the F extension requires.
 *
 * @module
 */

import { newRegisterSlot, SLOT } from "./register_arena.ts";
import { VectorState } from "./vector_state.ts";

/** ABI names of the integer registers, x0..x31. */
export const XREG_NAMES: readonly string[] = [
  "zero",
  "ra",
  "sp",
  "gp",
  "tp",
  "t0",
  "t1",
  "t2",
  "s0",
  "s1",
  "a0",
  "a1",
  "a2",
  "a3",
  "a4",
  "a5",
  "a6",
  "a7",
  "s2",
  "s3",
  "s4",
  "s5",
  "s6",
  "s7",
  "s8",
  "s9",
  "s10",
  "s11",
  "t3",
  "t4",
  "t5",
  "t6",
];

/** ABI names of the floating-point registers, f0..f31. */
export const FREG_NAMES: readonly string[] = [
  "ft0",
  "ft1",
  "ft2",
  "ft3",
  "ft4",
  "ft5",
  "ft6",
  "ft7",
  "fs0",
  "fs1",
  "fa0",
  "fa1",
  "fa2",
  "fa3",
  "fa4",
  "fa5",
  "fa6",
  "fa7",
  "fs2",
  "fs3",
  "fs4",
  "fs5",
  "fs6",
  "fs7",
  "fs8",
  "fs9",
  "fs10",
  "fs11",
  "ft8",
  "ft9",
  "ft10",
  "ft11",
];

/**
 * One hart's registers.
 *
 * @example Set a0 to -1 and read it back as a bigint
 * ```ts
 * import { Cpu } from "./state.ts";
 * import { strictEqual } from "node:assert";
 * const cpu = new Cpu();
 * cpu.setX(10, -1n);
 * strictEqual(cpu.getX(10), -1n);
 * ```
 */
export class Cpu {
  /** Byte offset of this vCPU's slot in the register arena (`register_arena.ts`), for WebAssembly regions. */
  readonly slot: number;
  /**
   * Integer registers as int32 pairs: `x[2*i]` low word, `x[2*i+1]` high word. x0 stays 0.
   * A view of the vCPU's slot in the register arena.
   */
  readonly x: Int32Array;
  /** Floating-point registers as doubles (aliases {@link fi}), in the slot. */
  readonly f: Float64Array;
  /** Floating-point registers as int32 pairs (bit patterns), in the slot. */
  readonly fi: Int32Array;
  /** `fflags` and `frm` in the slot, where WebAssembly regions read and accrue them. */
  private readonly fcsrWords: Int32Array;
  /**
   * In a counted slice (`exec/cpu_loop.ts`), how many more blocks a region
   * may finish before it returns (at 0, in the slot): regions then end a
   * slice after the same block as lone blocks do. Otherwise how many
   * backward jumps a WebAssembly region may make before it returns.
   */
  readonly blocksLeft: Int32Array;
  /**
   * True while this vCPU's thread is the only one (set by the scheduler):
   * no other thread waits for the CPU loop, so WebAssembly regions may run
   * longer between returns to it.
   */
  runsAlone = false;
  /**
   * Set by a WebAssembly region that ran past its short budget (it may have
   * run for milliseconds): the CPU loop reads its clock at its next dispatch.
   */
  clockDue = false;
  constructor() {
    const { at, x, f, fi, fcsr, blocksLeft } = newRegisterSlot(this);
    this.slot = at;
    this.x = x;
    this.f = f;
    this.fi = fi;
    this.fcsrWords = fcsr;
    this.blocksLeft = blocksLeft;
    this.vec = new VectorState(x.buffer, at + SLOT.vregs);
  }

  /** Program counter of the next instruction to execute. */
  pc = 0;

  /** The vector registers and CSRs (V), in the slot after the words above. */
  readonly vec: VectorState;

  /** Accrued floating-point exception flags (`FFLAG_*` of `core/fpu/fpu_state.ts`). */
  get fflags(): number {
    return this.fcsrWords[0];
  }

  set fflags(v: number) {
    this.fcsrWords[0] = v;
  }

  /** Dynamic rounding mode (0 RNE, 1 RTZ, 2 RDN, 3 RUP, 4 RMM). */
  get frm(): number {
    return this.fcsrWords[1];
  }

  set frm(v: number) {
    this.fcsrWords[1] = v;
  }

  /** Address reserved by the last LR, or -1 when there is no reservation. */
  reservation = -1;
  /** Value loaded by the last LR (low, high words), compared by SC across vCPUs. */
  reservedLo = 0;
  /** High word of the value loaded by the last LR. */
  reservedHi = 0;
  /** High word of the last 64-bit integer a helper returned (helpers return the low word). */
  retHi = 0;
  /** Index of this vCPU as plugins see it. */
  vcpuIndex = 0;
  /** Linux thread id of the thread this vCPU runs. */
  tid = 0;

  /** Reads register `i` as a signed 64-bit value. */
  getX(i: number): bigint {
    return (BigInt(this.x[2 * i + 1]) << 32n) | BigInt(this.x[2 * i] >>> 0);
  }

  /** Writes register `i` (ignored for x0); the value is taken modulo 2^64. */
  setX(i: number, v: bigint): void {
    if (i === 0) return;
    this.x[2 * i] = Number(BigInt.asIntN(32, v));
    this.x[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }

  /** Reads register `i` as a number; exact for values in ±2^53 (addresses, small ints). */
  getXNumber(i: number): number {
    return this.x[2 * i + 1] * 4294967296 + (this.x[2 * i] >>> 0);
  }

  /**
   * Register `i` as a system call argument: its value, signed, when below
   * 2^53 in magnitude; beyond, where a number is no longer exact, ±2^52 plus
   * its low word. Such a value is no address, size or offset plume can use
   * either way, and `| 0` of it is exactly the low word, which Linux takes
   * as an `int` argument (the rounded value's low word could name another
   * descriptor: `close` of 2^63-1 closed descriptor 0).
   */
  getXArg(i: number): number {
    const hi = this.x[2 * i + 1], lo = this.x[2 * i] >>> 0;
    if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
    return (hi < 0 ? -0x10000000000000 : 0x10000000000000) + lo;
  }

  /** Writes an integer number (|v| < 2^53) to register `i`, sign-extended to 64 bits. */
  setXNumber(i: number, v: number): void {
    if (i === 0) return;
    this.x[2 * i] = v | 0;
    this.x[2 * i + 1] = Math.floor(v / 4294967296) | 0;
  }

  /** The full fcsr value (frm in bits 7:5, fflags in bits 4:0). */
  get fcsr(): number {
    return (this.frm << 5) | this.fflags;
  }

  set fcsr(v: number) {
    this.frm = (v >> 5) & 7;
    this.fflags = v & 31;
  }

  /** Reads FP register `i` as a 64-bit pattern. */
  getFBits(i: number): bigint {
    return (BigInt(this.fi[2 * i + 1] >>> 0) << 32n) | BigInt(this.fi[2 * i] >>> 0);
  }

  /** Writes FP register `i` from a 64-bit pattern. */
  setFBits(i: number, v: bigint): void {
    this.fi[2 * i] = Number(BigInt.asIntN(32, v));
    this.fi[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
}
