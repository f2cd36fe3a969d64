/**
 * Which operations are the vector extension's (V's and Zvbb's), and which
 * of them read or write scalar registers other than through their
 * operands' values: the facts every tier's vector code goes by (the
 * interpreter, `trans_rvv.ts`, the WebAssembly tier's `wasm/vector.ts`).
 *
 * @module
 */

import { type Op, OP_INFO, OPS } from "../isa/ops_generated.ts";
import { VECTOR_EXTENSIONS } from "../isa/extensions.ts";
import type { Insn } from "../isa/insn.ts";
import { vlmaxOf } from "../cpu/vector_state.ts";

/** The vector extension's operations (their names all start with `v`). */
export type VectorOp = Extract<Op, `v${string}`>;

/** Every other operation: the keys of the tables the vector operations are added to by a loop (`recordOf`). */
export type ScalarOp = Exclude<Op, VectorOp>;

/** The vector operations of the table (V's and Zvbb's). */
export const VECTOR_OPS: readonly VectorOp[] = OPS.filter((op): op is VectorOp =>
  VECTOR_EXTENSIONS.has(OP_INFO[op].ext ?? "")
);

/** The vector operations that write an integer register rd (the new vl, element 0, a count or an index). */
export const WRITES_RD: ReadonlySet<Op> = new Set<Op>([
  "vsetvli",
  "vsetivli",
  "vsetvl",
  "vmv.x.s",
  "vcpop.m",
  "vfirst.m",
]);

/** The vector operations whose rs1 is an FP register (the .vf forms, vfmv.s.f, vfmv.v.f). */
export const READS_FS1: ReadonlySet<Op> = new Set<Op>(VECTOR_OPS.filter((op) => OP_INFO[op].fp.includes("rs1")));

/** The vector operations that write an FP register rd (vfmv.f.s). */
export const WRITES_FD: ReadonlySet<Op> = new Set<Op>(VECTOR_OPS.filter((op) => OP_INFO[op].fp.includes("rd")));

/** Whether a vector instruction word is a load or store (major opcode LOAD-FP or STORE-FP). */
export function isVectorAccess(raw: number): boolean {
  return (raw & 0x5f) === 0x07;
}

const VECTOR_OP_SET: ReadonlySet<string> = new Set(VECTOR_OPS);

/** Whether `insns` hold a vector instruction. */
export function hasVector(insns: readonly (Insn | null)[]): boolean {
  return insns.some((i) => i !== null && VECTOR_OP_SET.has(i.op));
}

/**
 * The `vtype` in a vsetvli or vsetivli word with VLMAX under it, when that
 * `vtype` is legal (then so is the instruction, whatever the registers
 * hold, and translators inline it); undefined otherwise.
 */
export function immediateVtype(i: Insn): { vtype: number; vlmax: number } | undefined {
  if (i.op !== "vsetvli" && i.op !== "vsetivli") return undefined;
  const vtype = (i.raw >>> 20) & (i.op === "vsetivli" ? 0x3ff : 0x7ff), vlmax = vlmaxOf(vtype);
  return vlmax === 0 ? undefined : { vtype, vlmax };
}
