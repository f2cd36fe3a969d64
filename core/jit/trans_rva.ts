/**
 * Translation of the A extension (LR/SC and AMOs) and of Zicsr. Both call
 * runtime helpers: atomics need exact alignment checks and reservations,
 * CSRs are rare and may be illegal at run time.
 *
 * @module
 */

import type { Insn } from "../isa/insn.ts";
import type { Emitter, RegPair } from "./emitter.ts";
import { emitMemActions } from "./instrument.ts";
import { memInfo } from "./plugin_actions.ts";
import { AMO_OPS, CSR_INSNS, csrWrites } from "./runtime.ts";
import type { Trans } from "./trans_rvi.ts";

/**
 * Reports an atomic's memory accesses to plugins as QEMU does: a load, and
 * for read-modify-writes (AMOs, SC) a load followed by a store.
 */
function atomicAccesses(e: Emitter, base: RegPair, size: 4 | 8, loaded: RegPair, stored?: RegPair): void {
  if (!e.memActions) return;
  const shift = size === 8 ? 3 : 2;
  emitMemActions(e, e.memActions, { base, imm: 0, info: memInfo(shift, size === 4, false), value: loaded });
  if (stored) emitMemActions(e, e.memActions, { base, imm: 0, info: memInfo(shift, false, true), value: stored });
}

function amo(op: string, size: 4 | 8): Trans {
  const code = AMO_OPS.indexOf(op as typeof AMO_OPS[number]);
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2), lo = e.temp(), hi = e.temp();
    e.mayThrow();
    e.line(`${lo} = ${e.rt("amo")}(c, ${code}, ${a.lo}, ${a.hi}, ${size}, ${b.lo}, ${b.hi}); ${hi} = ${e.rh};`);
    atomicAccesses(e, a, size, { lo, hi }, { lo: `${e.rt("RH")}[1]`, hi: "RH[2]" });
    e.setX(i.rd, lo, hi);
    return true;
  };
}

function atomics(): Record<string, Trans> {
  const t: Record<string, Trans> = {};
  for (const [suffix, size] of [["w", 4], ["d", 8]] as const) {
    t[`lr.${suffix}`] = (e, i) => {
      if (i.rs2 !== 0) return false;
      const a = e.x(i.rs1), lo = e.temp(), hi = e.temp();
      e.mayThrow();
      e.line(`${lo} = ${e.rt("lr")}(c, ${a.lo}, ${a.hi}, ${size}); ${hi} = ${e.rh};`);
      atomicAccesses(e, a, size, { lo, hi });
      e.setX(i.rd, lo, hi);
      return true;
    };
    t[`sc.${suffix}`] = (e, i) => {
      const a = e.x(i.rs1), b = e.x(i.rs2), r = e.temp();
      e.mayThrow();
      e.line(`${r} = ${e.rt("sc")}(c, ${a.lo}, ${a.hi}, ${size}, ${b.lo}, ${b.hi});`);
      atomicAccesses(e, a, size, { lo: `${e.rt("RH")}[1]`, hi: "RH[2]" }, b);
      e.setX(i.rd, r, "0");
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
    const src = immediate ? String(i.imm) : e.x(i.rs1).lo;
    e.mayThrow();
    e.setXEffect(i.rd, `${e.rt("csr")}(c, ${i.csr}, ${op}, ${csrWrites(op, immediate, i)}, ${src})`, e.rh);
    return true;
  };
}

/** Zicsr translators by mnemonic. */
export const TRANS_ZICSR: Record<string, Trans> = Object.fromEntries(
  Object.entries(CSR_INSNS).map(([name, [op, immediate]]) => [name, csr(op, immediate)]),
);
