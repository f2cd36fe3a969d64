/**
 * Translation of the bit-manipulation extensions (Zba, Zbb, Zbc, Zbs),
 * Zicond and Zicboz's cbo.zero, as QEMU's `trans_rvb.c.inc`,
 * `trans_rvzicond.c.inc` and `trans_rvzicbo.c.inc`. The
 * operations a few int32 operations compute are inline; counts, carry-less
 * products and rotates by a register call their `bitmanip.ts` function (the
 * one the interpreter runs).
 *
 * @module
 */

import type { Op } from "../isa/ops_generated.ts";
import type { Emitter, RegPair } from "./emitter.ts";
import type { RuntimeHelper } from "./runtime.ts";
import { bit, emitAdd, lt64, ltu64, type Trans } from "./trans_rvi.ts";

/** rd = helper(rs1, rs2) through a `bitmanip.ts` function (high word in `RH[0]`). */
function call(helper: RuntimeHelper): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    e.setX(i.rd, `${e.rt(helper)}(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi})`, e.rh);
    return true;
  };
}

/** rd = a count of rs1's bits (below 2^32) through a `bitmanip.ts` function. */
function count(helper: RuntimeHelper): Trans {
  return (e, i) => {
    const a = e.x(i.rs1);
    e.setX(i.rd, `${e.rt(helper)}(${a.lo}, ${a.hi})`, "0");
    return true;
  };
}

/** `(rs1 << s) + rs2`, with rs1 zero-extended from 32 bits when `uw` (sh*add, sh*add.uw, add.uw). */
function shiftAdd(s: number, uw: boolean): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), hi = uw ? "0" : a.hi;
    const shifted: RegPair = s === 0
      ? { lo: a.lo, hi }
      : { lo: `(${a.lo} << ${s})`, hi: uw ? `(${a.lo} >>> ${32 - s})` : `((${hi} << ${s}) | (${a.lo} >>> ${32 - s}))` };
    emitAdd(e, i.rd, shifted, e.x(i.rs2));
    return true;
  };
}

/** rd = rs1 OP ~rs2 (andn, orn), or ~(rs1 ^ rs2) (xnor). */
function logicNot(op: "&" | "|" | "^"): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    if (op === "^") e.setX(i.rd, `~(${a.lo} ^ ${b.lo})`, `~(${a.hi} ^ ${b.hi})`);
    else e.setX(i.rd, `${a.lo} ${op} ~${b.lo}`, `${a.hi} ${op} ~${b.hi}`);
    return true;
  };
}

/** max, maxu, min, minu: one comparison, evaluated once into a scratch local. */
function minMax(signed: boolean, takeLess: boolean): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2), less = e.temp();
    // 0 or 1, not a boolean: a region's scratch locals stay small integers.
    e.line(`${less} = ${bit(signed ? lt64(a, b) : ltu64(a, b))};`);
    const [x, y] = takeLess ? [a, b] : [b, a];
    e.setX(i.rd, `${less} ? ${x.lo} : ${y.lo}`, `${less} ? ${x.hi} : ${y.hi}`);
    return true;
  };
}

/** rd = rs1 rotated right by the constant `s` (0..63). */
function emitRotateRight(e: Emitter, rd: number, a: RegPair, s: number): void {
  let [lo, hi] = [a.lo, a.hi];
  if (s >= 32) [lo, hi, s] = [a.hi, a.lo, s - 32];
  if (s === 0) return e.setX(rd, lo, hi);
  e.setX(rd, `(${lo} >>> ${s}) | (${hi} << ${32 - s})`, `(${hi} >>> ${s}) | (${lo} << ${32 - s})`);
}

/** rd = rs1 with one bit (rs2 & 63, or the immediate) cleared, set or inverted. */
function singleBit(op: "clr" | "set" | "inv", immediate: boolean): Trans {
  const combine = (x: string, bit: string) =>
    op === "clr" ? `${x} & ~${bit}` : `${x} ${op === "set" ? "|" : "^"} ${bit}`;
  return (e, i) => {
    const a = e.x(i.rs1);
    if (immediate) {
      const bit = String(1 << (i.imm & 31));
      if (i.imm < 32) e.setX(i.rd, combine(a.lo, `(${bit})`), a.hi);
      else e.setX(i.rd, a.lo, combine(a.hi, `(${bit})`));
      return true;
    }
    const s = e.temp();
    e.line(`${s} = ${e.x(i.rs2).lo} & 63;`);
    e.setX(i.rd, combine(a.lo, `(${s} < 32 ? 1 << ${s} : 0)`), combine(a.hi, `(${s} < 32 ? 0 : 1 << ${s})`));
    return true;
  };
}

/** czero.eqz (`zeroWhen` "===") and czero.nez ("!=="): rd = rs2 compared with 0 ? 0 : rs1. */
function czero(zeroWhen: "===" | "!=="): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2), zero = e.temp();
    e.line(`${zero} = ${bit(`(${b.lo} | ${b.hi}) ${zeroWhen} 0`)};`);
    e.setX(i.rd, `${zero} ? 0 : ${a.lo}`, `${zero} ? 0 : ${a.hi}`);
    return true;
  };
}

/** Zba, Zbb, Zbc, Zbs, Zicboz and Zicond translators by mnemonic. */
export const TRANS_RVB = {
  // Zba
  "add.uw": shiftAdd(0, true),
  sh1add: shiftAdd(1, false),
  sh2add: shiftAdd(2, false),
  sh3add: shiftAdd(3, false),
  "sh1add.uw": shiftAdd(1, true),
  "sh2add.uw": shiftAdd(2, true),
  "sh3add.uw": shiftAdd(3, true),
  "slli.uw": (e, i) => {
    const a = e.x(i.rs1), s = i.imm;
    if (s === 0) e.setX(i.rd, a.lo, "0");
    else if (s < 32) e.setX(i.rd, `${a.lo} << ${s}`, `(${a.lo} >>> ${32 - s}) | 0`);
    else e.setX(i.rd, "0", `${a.lo} << ${s - 32}`);
    return true;
  },
  // Zbb
  andn: logicNot("&"),
  orn: logicNot("|"),
  xnor: logicNot("^"),
  clz: (e, i) => {
    const a = e.x(i.rs1);
    e.setX(i.rd, `${a.hi} !== 0 ? Math.clz32(${a.hi}) : 32 + Math.clz32(${a.lo})`, "0");
    return true;
  },
  ctz: count("ctz"),
  cpop: count("cpop"),
  "sext.b": (e, i) => (e.setX32(i.rd, `(${e.x(i.rs1).lo} << 24) >> 24`), true),
  "sext.h": (e, i) => (e.setX32(i.rd, `(${e.x(i.rs1).lo} << 16) >> 16`), true),
  clzw: (e, i) => (e.setX(i.rd, `Math.clz32(${e.x(i.rs1).lo})`, "0"), true),
  ctzw: count("ctzw"),
  cpopw: count("cpopw"),
  max: minMax(true, false),
  maxu: minMax(false, false),
  min: minMax(true, true),
  minu: minMax(false, true),
  "orc.b": (e, i) => {
    const a = e.x(i.rs1), orcb = e.rt("orcb32");
    e.setX(i.rd, `${orcb}(${a.lo})`, `${orcb}(${a.hi})`);
    return true;
  },
  rev8: (e, i) => {
    const a = e.x(i.rs1), bswap = e.rt("bswap32");
    e.setX(i.rd, `${bswap}(${a.hi})`, `${bswap}(${a.lo})`);
    return true;
  },
  "zext.h": (e, i) => (e.setX(i.rd, `${e.x(i.rs1).lo} & 0xffff`, "0"), true),
  rol: call("rol"),
  ror: call("ror"),
  // JavaScript takes 32-bit shift counts modulo 32, so `32 - s` is `-s` modulo 32 and s = 0 rotates by nothing.
  rolw: (e, i) => {
    const a = e.x(i.rs1).lo, s = e.x(i.rs2).lo;
    e.setX32(i.rd, `(${a} << ${s}) | (${a} >>> (32 - ${s}))`);
    return true;
  },
  rorw: (e, i) => {
    const a = e.x(i.rs1).lo, s = e.x(i.rs2).lo;
    e.setX32(i.rd, `(${a} >>> ${s}) | (${a} << (32 - ${s}))`);
    return true;
  },
  rori: (e, i) => (emitRotateRight(e, i.rd, e.x(i.rs1), i.imm & 63), true),
  roriw: (e, i) => {
    const a = e.x(i.rs1).lo, s = i.imm & 31;
    e.setX32(i.rd, s === 0 ? `${a} | 0` : `(${a} >>> ${s}) | (${a} << ${32 - s})`);
    return true;
  },
  // Zbc
  clmul: call("clmul"),
  clmulr: call("clmulr"),
  clmulh: call("clmulh"),
  // Zbs
  bclr: singleBit("clr", false),
  bclri: singleBit("clr", true),
  bext: (e, i) => {
    const a = e.x(i.rs1), s = e.temp();
    e.line(`${s} = ${e.x(i.rs2).lo} & 63;`);
    e.setX(i.rd, `((${s} < 32 ? ${a.lo} : ${a.hi}) >>> ${s}) & 1`, "0");
    return true;
  },
  bexti: (e, i) => {
    const a = e.x(i.rs1);
    e.setX(i.rd, `(${i.imm < 32 ? a.lo : a.hi} >>> ${i.imm & 31}) & 1`, "0");
    return true;
  },
  binv: singleBit("inv", false),
  binvi: singleBit("inv", true),
  bset: singleBit("set", false),
  bseti: singleBit("set", true),
  // Zicboz (a helper: it writes a whole block and may fault)
  "cbo.zero": (e, i) => {
    const a = e.x(i.rs1);
    e.mayThrow();
    e.line(`${e.rt("cboZero")}(c, ${a.lo}, ${a.hi});`);
    return true;
  },
  // Zicond
  "czero.eqz": czero("==="),
  "czero.nez": czero("!=="),
} satisfies Partial<Record<Op, Trans>>;
