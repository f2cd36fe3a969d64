/**
 * Translation of the A extension (LR/SC and AMOs) and of Zicsr. Both call
 * runtime helpers: atomics need exact alignment checks and reservations,
 * CSRs are rare and may be illegal at run time.
 *
 * @module
 */

import type { Insn } from "../isa/insn.ts";
import type { Op } from "../isa/ops_generated.ts";
import type { Emitter, RegPair } from "./emitter.ts";
import { emitMemActions } from "./instrument.ts";
import { memInfo } from "./plugin_actions.ts";
import { AMO_OPS, CSR_OP, csrWrites } from "./runtime.ts";
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

function amo(op: typeof AMO_OPS[number], size: 4 | 8): Trans {
  const code = AMO_OPS.indexOf(op);
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2), lo = e.temp(), hi = e.temp();
    e.mayThrow();
    e.line(`${lo} = ${e.rt("amo")}(c, ${code}, ${a.lo}, ${a.hi}, ${size}, ${b.lo}, ${b.hi}); ${hi} = ${e.rh};`);
    atomicAccesses(e, a, size, { lo, hi }, { lo: `${e.rt("RH")}[1]`, hi: "RH[2]" });
    e.setX(i.rd, lo, hi);
    return true;
  };
}

function lr(size: 4 | 8): Trans {
  return (e, i) => {
    if (i.rs2 !== 0) return false;
    const a = e.x(i.rs1), lo = e.temp(), hi = e.temp();
    e.mayThrow();
    e.line(`${lo} = ${e.rt("lr")}(c, ${a.lo}, ${a.hi}, ${size}); ${hi} = ${e.rh};`);
    atomicAccesses(e, a, size, { lo, hi });
    e.setX(i.rd, lo, hi);
    return true;
  };
}

function sc(size: 4 | 8): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2), r = e.temp();
    e.mayThrow();
    e.line(`${r} = ${e.rt("sc")}(c, ${a.lo}, ${a.hi}, ${size}, ${b.lo}, ${b.hi});`);
    atomicAccesses(e, a, size, { lo: `${e.rt("RH")}[1]`, hi: "RH[2]" }, b);
    e.setX(i.rd, r, "0");
    return true;
  };
}

/** RV64A translators by mnemonic. */
export const TRANS_RVA = {
  "lr.w": lr(4),
  "sc.w": sc(4),
  "amoswap.w": amo("swap", 4),
  "amoadd.w": amo("add", 4),
  "amoxor.w": amo("xor", 4),
  "amoand.w": amo("and", 4),
  "amoor.w": amo("or", 4),
  "amomin.w": amo("min", 4),
  "amomax.w": amo("max", 4),
  "amominu.w": amo("minu", 4),
  "amomaxu.w": amo("maxu", 4),
  "lr.d": lr(8),
  "sc.d": sc(8),
  "amoswap.d": amo("swap", 8),
  "amoadd.d": amo("add", 8),
  "amoxor.d": amo("xor", 8),
  "amoand.d": amo("and", 8),
  "amoor.d": amo("or", 8),
  "amomin.d": amo("min", 8),
  "amomax.d": amo("max", 8),
  "amominu.d": amo("minu", 8),
  "amomaxu.d": amo("maxu", 8),
} satisfies Partial<Record<Op, Trans>>;

function csr(op: number, immediate: boolean): Trans {
  return (e, i: Insn) => {
    const src = immediate ? String(i.imm) : e.x(i.rs1).lo;
    e.mayThrow();
    e.setXEffect(i.rd, `${e.rt("csr")}(c, ${i.csr}, ${op}, ${csrWrites(op, immediate, i)}, ${src})`, e.rh);
    return true;
  };
}

/** Zicsr translators by mnemonic. */
export const TRANS_ZICSR = {
  csrrw: csr(CSR_OP.write, false),
  csrrs: csr(CSR_OP.set, false),
  csrrc: csr(CSR_OP.clear, false),
  csrrwi: csr(CSR_OP.write, true),
  csrrsi: csr(CSR_OP.set, true),
  csrrci: csr(CSR_OP.clear, true),
} satisfies Partial<Record<Op, Trans>>;
