/**
 * Translation of the vector extension (V): every vector instruction is a
 * call to the runtime's `vector` helper (`vector.ts`), which the interpreter
 * calls too and to which the WebAssembly tier leaves its blocks. Integer
 * registers go in as values and rd comes back as the result, so the call
 * works with registers in locals (regions) as with the register file. The
 * FP scalar of the .vf forms (f[rs1], `!fp=rs1` in the table) goes in the
 * same way, as its two words, and vfmv.f.s's result (`!fp=rd`) comes back
 * to f[rd]: every tier keeps FP registers in the register file (`F`, the
 * vCPU's slot; WebAssembly regions never hold them in locals), so they are
 * read and written there.
 *
 * A load or store instrumented by plugins passes its memory actions (one
 * closure, `accessActions`) and its pc to the executor, which runs them
 * after each element access; uninstrumented code passes nothing.
 *
 * @module
 */

import { type Op, OP_INFO, OPS } from "../isa/ops_generated.ts";
import type { Trans } from "./trans_rvi.ts";
import { VECTOR_EXTENSIONS } from "../isa/extensions.ts";
import { LEAVE } from "./emitter.ts";
import { accessActions } from "./plugin_actions.ts";

/** The vector extension's operations (their names all start with `v`). */
export type VectorOp = Extract<Op, `v${string}`>;

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

/**
 * Any vector instruction: a call of its executor (`vectorExecutor`, made at
 * its first run and kept at the site) with rs1's and rs2's words, which may
 * fault or be illegal at run time.
 */
const vectorTrans: Trans = (e, i) => {
  const a = READS_FS1.has(i.op) ? { lo: `F[${2 * i.rs1}]`, hi: `F[${2 * i.rs1 + 1}]` } : e.x(i.rs1), b = e.x(i.rs2);
  e.mayThrow();
  const site = e.datum({ run: undefined });
  // Executors leave a result's high word in RH[0] only when they have one (vset* do not).
  if (WRITES_RD.has(i.op) || WRITES_FD.has(i.op)) e.line(`${e.rt("RH")}[0] = 0;`);
  const run = `(${site}.run ??= ${e.rt("vectorExecutor")}(${i.raw}))`, args = `c, ${a.lo}, ${a.hi}, ${b.lo}, ${b.hi}`;
  if (e.memActions && e.hooks && isVectorAccess(i.raw)) {
    // The memory actions run after each element access; a synchronous one may move the pc.
    const after = e.datum(accessActions(e.memActions, e.hooks));
    e.line(`if (${run}(${args}, ${after}, ${e.pc}) !== 0) { nx = c.pc; ${LEAVE} }`);
    return true;
  }
  const call = `${run}(${args})`;
  if (WRITES_RD.has(i.op)) e.setXEffect(i.rd, call, e.rh);
  else if (WRITES_FD.has(i.op)) e.line(`F[${2 * i.rd}] = ${call}; F[${2 * i.rd + 1}] = ${e.rh};`);
  else e.line(`${call};`);
  return true;
};

/** V translators by mnemonic. */
export const TRANS_RVV = Object.fromEntries(VECTOR_OPS.map((op) => [op, vectorTrans])) as Record<VectorOp, Trans>;
