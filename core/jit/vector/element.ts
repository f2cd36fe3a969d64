/**
 * What every group of vector instructions shares: the executor type, the
 * `vtype` arithmetic, the legality checks, element access by SEW, and the
 * driver of element-wise operations (SEW, LMUL, the mask and vstart).
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { VLENB } from "../../cpu/vector_state.ts";
import { IllegalInstruction } from "../../cpu/trap.ts";
import type { AddressSpace } from "../../mem/address_space.ts";
import type { Extension, Op } from "../../isa/ops_generated.ts";
import type { AccessFn } from "../plugin_actions.ts";

export { VLENB };
/** 2^32, to join a register's two words. */
export const TWO32 = 4294967296;
/** VLEN in bits. */
export const VLEN = VLENB * 8;
/** ELEN in bits. */
export const ELEN = 64;

/**
 * What runs after each element access of a load or store when plugins
 * instrument the instruction: the instruction's memory actions
 * (`plugin_actions.ts` `accessActions`), called with the instruction's pc,
 * the element's address as the base (an int32 pair) and offset 0, the
 * access's meminfo and the element's value; true when a synchronous
 * callback moved the pc.
 */
export type ElementAccess = AccessFn;

/**
 * An instruction made ready to run: takes the vCPU and rs1's and rs2's
 * values, returns rd's low word. Loads and stores also take the
 * {@link ElementAccess} of an instrumented instruction and its pc, and
 * return 1 when it moved the pc (the rest of the instruction is abandoned).
 */
export type Executor = (
  c: Cpu,
  lo1: number,
  hi1: number,
  lo2: number,
  hi2: number,
  after?: ElementAccess,
  pc?: number,
) => number;

/** What a group needs besides the instruction: guest memory, the run's extensions, and where rd's high word goes. */
export interface VectorContext {
  mem: AddressSpace;
  /** The run's optional extensions (`-cpu`): those without instructions of their own (Zvfhmin) change legality here. */
  extensions: ReadonlySet<Extension>;
  /** `hi[0]` receives the high word of what an executor writes to rd. */
  hi: Int32Array;
}

/**
 * One group of vector instructions (integer, fixed-point, floating-point,
 * mask, permutation…): the executor of `op` (instruction word `raw`), or
 * undefined if `op` is not the group's.
 */
export type VectorGroup = (op: Op, raw: number, ctx: VectorContext) => Executor | undefined;

/**
 * A copy of function `fn`: a driver copied per instruction. V8 keeps type
 * feedback per function literal, shared by every closure made from it, so
 * one driver serving fifty operations sees fifty element functions (and
 * several element widths) at each site and runs them without inlining,
 * about 15 ns an element; a copy made for one instruction sees one. The
 * copy is compiled from `fn`'s source, once per instruction word
 * (executors are cached by word), in the global scope: `fn` must use no
 * name of its module, but take what it needs as arguments (a bundler may
 * rename a module's names in its source; plume runs from its own bundle).
 * `name` (the instruction's) names the copy's source in profiles and stack
 * traces.
 *
 * @example
 * ```ts
 * import { copyOf } from "./element.ts";
 * import { strictEqual } from "node:assert";
 * function adder(k: number): (x: number) => number {
 *   return (x) => x + k;
 * }
 * const add4 = copyOf(adder, "add4")(4);
 * strictEqual(add4(1), 5);
 * strictEqual(copyOf(adder) === adder, false);
 * ```
 */
// deno-lint-ignore ban-types
export function copyOf<F extends Function>(fn: F, name = fn.name): F {
  // Named for profiles and stack traces: each copy is its own source, `vector/<name>`.
  return new Function(`"use strict";\nreturn (${fn.toString()});\n//# sourceURL=vector/${name.replace(/\s/g, "")}`)();
}

/**
 * Runs of a word's executor made by a shared driver before it runs as a
 * copy of its own ({@link copiedLater}).
 */
export const COPY_AFTER = 64;

/**
 * The executor `driver(...args)` makes, run by the shared driver for its
 * first {@link COPY_AFTER} runs and then by a copy of the driver
 * ({@link copyOf}): a copy costs some 30 µs to compile, which a word that
 * runs a few dozen times before compiled code inlines it (a loop's first
 * iterations) never earns back. `rva23 300` built copies for about 200
 * words (5.7 ms of its 300).
 */
// deno-lint-ignore no-explicit-any
export function copiedLater<A extends any[]>(driver: (...args: A) => Executor, name: string, args: A): Executor {
  let run = driver(...args), runs = 0;
  return (c, lo1, hi1, lo2, hi2, after, pc) => {
    if (++runs === COPY_AFTER) run = copyOf(driver, name)(...args);
    return run(c, lo1, hi1, lo2, hi2, after, pc);
  };
}

/** vlmul as a signed power of two: 0…3 for LMUL 1…8, -3…-1 for 1/8…1/2 (4 is reserved). */
export function lmulLog2(vtype: number): number {
  return ((vtype & 7) << 29) >> 29;
}

/** VLMAX = LMUL · VLEN / SEW for a legal `vtype`. */
export function vlmax(vtype: number): number {
  const l = lmulLog2(vtype), sewLog2 = ((vtype >> 3) & 7) + 3;
  return l >= 0 ? (VLEN << l) >> sewLog2 : (VLEN >> -l) >> sewLog2;
}

/** SEW in bytes of the current `vtype`. */
export function sewBytes(c: Cpu): number {
  return 1 << ((c.vec.vtype >> 3) & 7);
}

/** The checks of a vector instruction that depends on `vtype`: `vill` makes it illegal. */
export function requireVtype(c: Cpu): void {
  if (c.vec.vill) throw new IllegalInstruction("Vector instruction with vill set");
}

/** A register group of `regs` registers (at least 1) must start at a multiple of it. */
export function requireAligned(reg: number, regs: number): void {
  if (regs > 1 && reg % regs !== 0) throw new IllegalInstruction(`Vector register v${reg} not aligned to ${regs}`);
}

/** Registers in a group of EMUL = 2^`log2` (a fractional one takes a whole register). */
export function groupRegs(log2: number): number {
  return log2 > 0 ? 1 << log2 : 1;
}

/** A masked instruction (vm = 0) may not write v0, the mask. */
export function requireVm(vm: boolean, vd: number): void {
  if (!vm && vd === 0) throw new IllegalInstruction("Masked vector instruction writing v0");
}

/** Whether mask bit `i` (of v0) is set. */
export function maskBit(v: Uint8Array, i: number): boolean {
  return ((v[i >> 3] >> (i & 7)) & 1) !== 0;
}

/** Element `i` of `bytes` bytes of the register group at `reg`, unsigned. */
export function getElement(c: Cpu, reg: number, i: number, bytes: number): bigint {
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

/** Sets element `i` of `bytes` bytes of the register group at `reg` to `v` modulo 2^(8·bytes). */
export function setElement(c: Cpu, reg: number, i: number, bytes: number, v: bigint): void {
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
export function xValue(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Sign-extended simm5 (bits 19:15). */
export function simm5(raw: number): number {
  return (raw << 12) >> 27;
}

/** The fields of an OP-V instruction word. */
export function fields(raw: number): { vd: number; vs1: number; vs2: number; vm: boolean } {
  return { vd: (raw >>> 7) & 31, vs1: (raw >>> 15) & 31, vs2: (raw >>> 20) & 31, vm: ((raw >>> 25) & 1) === 1 };
}

/** A binary integer operation on SEW-bit elements (as unsigned bigints); the result is taken modulo 2^SEW. */
export type ElementOp = (a: bigint, b: bigint) => bigint;

/** The second operand of an element-wise operation: vs1's element, x[rs1] or an immediate. */
export type Operand = (c: Cpu, i: number, bytes: number, lo1: number, hi1: number) => bigint;

/**
 * The driver of every element-wise integer operation: for each body element
 * i in [vstart, vl) that the mask (v0 when vm = 0) leaves active,
 * `vd[i] = op(vs2[i], operand(i))` at SEW bits.
 */
export function elementwise(
  raw: number,
  operandOf: Operand,
  op: ElementOp,
  usesVs2: boolean,
  usesVs1: boolean,
): Executor {
  const { vd, vs1, vs2, vm } = fields(raw);
  return (c, lo1, hi1) => {
    requireVtype(c);
    const s = c.vec, regs = groupRegs(lmulLog2(s.vtype)), bytes = sewBytes(c);
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

/** The second operand by the instruction's form (`vv`, `vx`, `vi`): vs1's element, x[rs1], or simm5. */
export function operandFor(form: string, raw: number): Operand {
  if (form === "vv") {
    const vs1 = (raw >>> 15) & 31;
    return (c, i, bytes) => getElement(c, vs1, i, bytes);
  }
  if (form === "vx") return (_c, _i, _b, lo1, hi1) => xValue(lo1, hi1);
  const imm = BigInt(simm5(raw));
  return () => imm;
}

/**
 * A masked instruction (vm = 0) may not read v0, the mask (EEW 1), as a
 * source of SEW-wide elements either: QEMU 10.0.13 refuses it (its
 * `vext_check_input_eew`), as the spec does any register read at two EEWs.
 */
export function requireMaskNotSource(vm: boolean, vs: number): void {
  if (!vm && vs === 0) throw new IllegalInstruction("Masked vector instruction reading v0 as a source");
}

/** Sets (`on`) or clears mask bit `i` of the register at `reg`. */
export function setMaskBit(c: Cpu, reg: number, i: number, on: boolean): void {
  const at = reg * VLENB + (i >> 3), bit = 1 << (i & 7), v = c.vec.v;
  v[at] = on ? v[at] | bit : v[at] & ~bit;
}

/** Whether registers [a, a + aRegs) and [b, b + bRegs) share one. */
export function overlaps(a: number, aRegs: number, b: number, bRegs: number): boolean {
  return a < b + bRegs && b < a + aRegs;
}

/** Instructions that cannot resume (vcpop, viota, vcompress…) are illegal with vstart ≠ 0. */
export function requireVstartZero(c: Cpu): void {
  if (c.vec.vstart !== 0) throw new IllegalInstruction("Vector instruction needs vstart = 0");
}

/** Whether mask bit `i` of the register at `reg` is set. */
export function maskBitOf(c: Cpu, reg: number, i: number): boolean {
  return ((c.vec.v[reg * VLENB + (i >> 3)] >> (i & 7)) & 1) !== 0;
}

// ---------------------------------------------------------------- register groups of mixed EEW

/** Whether register `reg` starts a group of EMUL 2^`log2` (any register does for EMUL ≤ 1). */
export function isAligned(reg: number, log2: number): boolean {
  return log2 <= 0 || (reg & ((1 << log2) - 1)) === 0;
}

/**
 * Whether destination group `vd` (EMUL 2^`dl`) may overlap source group
 * `vs` (EMUL 2^`sl`) of another EEW, as QEMU's `require_noover`: not at
 * all, except a wider destination over a source of EMUL ≥ 1 in its
 * highest-numbered part. (A narrower destination at the lowest part of its
 * source, `vd = vs`, is for the caller to allow.)
 */
export function mayOverlap(vd: number, dl: number, vs: number, sl: number): boolean {
  const dn = groupRegs(dl), sn = groupRegs(sl);
  if (dn > sn && vd < vs && sl >= 0 && overlaps(vd, dn, vs, sn) && !overlaps(vd, dn, vs + sn, sn)) {
    return true;
  }
  return !overlaps(vd, dn, vs, sn);
}

/**
 * Whether two source groups may be read together, as QEMU 10's
 * `vext_check_input_eew`: a masked instruction (`vm` false) reads neither
 * from v0, and sources of different EEW (EMUL 2^(`lmul` + `d1`) and
 * 2^(`lmul` + `d2`), `d` being log2 of EEW/SEW) do not overlap. A source of
 * -1 is absent.
 */
export function sourcesAgree(lmul: number, vm: boolean, vs1: number, d1: number, vs2: number, d2: number): boolean {
  if (!vm && (vs1 === 0 || vs2 === 0)) return false;
  return vs1 < 0 || vs2 < 0 || d1 === d2 ||
    !overlaps(vs1, groupRegs(lmul + d1), vs2, groupRegs(lmul + d2));
}
