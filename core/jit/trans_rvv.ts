/**
 * Translation of the vector extension (V): every vector instruction is a
 * call to the runtime's `vector` helper (`vector.ts`), which the interpreter
 * calls too and to which the WebAssembly tier leaves its blocks. Integer
 * registers go in as values and rd comes back as the result, so the call
 * works with registers in locals (regions) as with the register file.
 *
 * @module
 */

import { type Op, OP_INFO, OPS } from "../isa/ops_generated.ts";
import type { Trans } from "./trans_rvi.ts";

/** The vector extension's operations (their names all start with `v`). */
export type VectorOp = Extract<Op, `v${string}`>;

/** The V operations of the table. */
export const VECTOR_OPS: readonly VectorOp[] = OPS.filter((op): op is VectorOp => OP_INFO[op].ext === "v");

/** The vector operations that write an integer register rd (the new vl, element 0, a count or an index). */
export const WRITES_RD: ReadonlySet<Op> = new Set<Op>([
  "vsetvli",
  "vsetivli",
  "vsetvl",
  "vmv.x.s",
  "vcpop.m",
  "vfirst.m",
]);

/** Any vector instruction: `vector(c, raw, rs1, rs2)`, which may fault or be illegal at run time. */
const vectorTrans: Trans = (e, i) => {
  const a = e.x(i.rs1), b = e.x(i.rs2);
  e.mayThrow();
  const call = `${e.rt("vector")}(c, ${i.raw}, ${a.lo}, ${a.hi}, ${b.lo}, ${b.hi})`;
  if (WRITES_RD.has(i.op)) e.setXEffect(i.rd, call, e.rh);
  else e.line(`${call};`);
  return true;
};

/** V translators by mnemonic. */
export const TRANS_RVV = Object.fromEntries(VECTOR_OPS.map((op) => [op, vectorTrans])) as Record<VectorOp, Trans>;
