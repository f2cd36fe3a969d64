/**
 * Translation of the A extension (LR/SC and AMOs) and of Zicsr. Both call
 * runtime helpers: atomics need exact alignment checks and reservations,
 * CSRs are rare and may be illegal at run time.
 *
 * @module
 */

import type { Insn } from "../isa/insn.ts";
import { AMO_OPS } from "./runtime.ts";
import type { Trans } from "./trans_rvi.ts";

function amo(op: string, size: 4 | 8): Trans {
  const code = AMO_OPS.indexOf(op as typeof AMO_OPS[number]);
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    e.mayThrow();
    e.setXEffect(i.rd, `${e.rt("amo")}(c, ${code}, ${a.lo}, ${a.hi}, ${size}, ${b.lo}, ${b.hi})`, e.rh);
    return true;
  };
}

function atomics(): Record<string, Trans> {
  const t: Record<string, Trans> = {};
  for (const [suffix, size] of [["w", 4], ["d", 8]] as const) {
    t[`lr.${suffix}`] = (e, i) => {
      if (i.rs2 !== 0) return false;
      const a = e.x(i.rs1);
      e.mayThrow();
      e.setXEffect(i.rd, `${e.rt("lr")}(c, ${a.lo}, ${a.hi}, ${size})`, e.rh);
      return true;
    };
    t[`sc.${suffix}`] = (e, i) => {
      const a = e.x(i.rs1), b = e.x(i.rs2);
      e.mayThrow();
      e.setXEffect(i.rd, `${e.rt("sc")}(c, ${a.lo}, ${a.hi}, ${size}, ${b.lo}, ${b.hi})`, "0");
      return true;
    };
    for (const op of AMO_OPS) t[`amo${op}.${suffix}`] = amo(op, size);
  }
  return t;
}

/** RV64A translators by mnemonic. */
export const TRANS_RVA: Record<string, Trans> = atomics();

function csr(op: number, immediate: boolean): Trans {
  return (e, i: Insn) => {
    // csrrs/csrrc with x0 (or a zero zimm) read without writing, so they
    // are legal on read-only CSRs; csrrw always writes.
    const src = immediate ? String(i.imm) : e.x(i.rs1).lo;
    const write = op === 0 || (immediate ? i.imm !== 0 : i.rs1 !== 0);
    e.mayThrow();
    e.setXEffect(i.rd, `${e.rt("csr")}(c, ${i.csr}, ${op}, ${write}, ${src})`, e.rh);
    return true;
  };
}

/** Zicsr translators by mnemonic. */
export const TRANS_ZICSR: Record<string, Trans> = {
  csrrw: csr(0, false),
  csrrs: csr(1, false),
  csrrc: csr(2, false),
  csrrwi: csr(0, true),
  csrrsi: csr(1, true),
  csrrci: csr(2, true),
};
