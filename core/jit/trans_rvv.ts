/**
 * Translation of the vector extension (V): every vector instruction is a
 * call to the runtime's `vector` helper (`vector.ts`), which the interpreter
 * calls too, as does the WebAssembly tier where its inline code does not run
 * (`wasm/vector.ts`). Integer
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

import type { Trans } from "./trans_rvi.ts";
import {
  immediateVtype,
  isVectorAccess,
  READS_FS1,
  VECTOR_OPS,
  type VectorOp,
  WRITES_FD,
  WRITES_RD,
} from "./vector_ops.ts";
import { type Emitter, LEAVE, type RegPair } from "./emitter.ts";
import { inlineFastPath } from "./vector/fast.ts";
import { accessActions } from "./plugin_actions.ts";
import { recordOf } from "../util/record_of.ts";

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
  else {
    // The fast path for the shape the word last ran in, when it has one; the executor when it declines.
    const fast = inlineFast(e, i.raw, a);
    if (fast) e.line(fast);
    if (WRITES_FD.has(i.op)) e.line(`F[${2 * i.rd}] = ${call}; F[${2 * i.rd + 1}] = ${e.rh};`);
    else e.line(`${call};`);
    if (fast) e.line("}");
  }
  return true;
};

/** Labels of inlined fast paths, unique in every compiled function. */
let fastLabels = 0;

/** The inlined fast path of word `raw` ({@link inlineFastPath}), rs1's words `a`, or undefined. */
function inlineFast(e: Emitter, raw: number, a: RegPair): string | undefined {
  if (!e.vectorExecutor) return undefined;
  let run;
  try {
    run = e.vectorExecutor(raw);
  } catch {
    return undefined; // an encoding that runs as illegal: the executor's call says so at run time
  }
  return inlineFastPath(run, { lo: a.lo, hi: a.hi, label: `V${fastLabels++}`, datum: (v) => e.datum(v) });
}

/**
 * vsetvli and vsetivli, whose `vtype` is in the word: inline when it is
 * legal (then so is the instruction, whatever the registers hold), as
 * `VectorState.setConfig` sets it: vl is the AVL up to VLMAX (x[rs1]; for
 * rs1 = x0, VLMAX when rd ≠ x0, else the old vl; vsetivli's immediate),
 * vstart 0, and rd the new vl. An illegal `vtype` goes to the executor,
 * which sets `vill`.
 */
const vsetTrans: Trans = (e, i) => {
  const legal = immediateVtype(i);
  if (!legal) return vectorTrans(e, i);
  const immediate = i.op === "vsetivli", { vtype, vlmax: max } = legal;
  // The AVL's fields from the word, as the executor reads them (the decoder leaves vsetivli's uimm out of rs1).
  const rs1 = (i.raw >>> 15) & 31, rd = (i.raw >>> 7) & 31;
  const vl = e.temp();
  if (immediate) e.line(`${vl} = ${Math.min(rs1, max)};`);
  else if (rs1 !== 0) {
    const a = e.x(i.rs1);
    e.line(`${vl} = ${a.hi} !== 0 || (${a.lo} >>> 0) > ${max} ? ${max} : ${a.lo} >>> 0;`);
  } else if (rd !== 0) e.line(`${vl} = ${max};`);
  else e.line(`${vl} = c.vec.vl < ${max} ? c.vec.vl : ${max};`);
  e.line(`{ const s = c.vec; s.vstart = 0; s.vtype = ${vtype}; s.vill = false; s.vl = ${vl}; }`);
  e.setX(i.rd, vl, "0");
  return true;
};

/** V translators by mnemonic (built as `core/util/record_of.ts` says). */
export const TRANS_RVV: Record<VectorOp, Trans> = Object.assign(recordOf(VECTOR_OPS, () => vectorTrans), {
  vsetvli: vsetTrans,
  vsetivli: vsetTrans,
});
