/**
 * Translation of the M extension (multiply and divide). The 32-bit forms
 * are inline; the 64-bit ones call helpers in `int64.ts`.
 *
 * @module
 */

import type { Op } from "../isa/ops_generated.ts";
import type { RuntimeHelper } from "./runtime.ts";
import type { Trans } from "./trans_rvi.ts";

function pairHelper(helper: RuntimeHelper): Trans {
  return (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    e.setX(i.rd, `${e.rt(helper)}(${a.lo}, ${a.hi}, ${b.lo}, ${b.hi})`, e.rh);
    return true;
  };
}

function wordHelper(helper: RuntimeHelper): Trans {
  return (e, i) => {
    e.setX32(i.rd, `${e.rt(helper)}(${e.x(i.rs1).lo}, ${e.x(i.rs2).lo})`);
    return true;
  };
}

/** RV64M translators by mnemonic. */
export const TRANS_RVM = {
  mul: (e, i) => {
    const a = e.x(i.rs1), b = e.x(i.rs2);
    e.setX(
      i.rd,
      `Math.imul(${a.lo}, ${b.lo})`,
      `(${e.rt("mulhu32")}(${a.lo}, ${b.lo}) + Math.imul(${a.lo}, ${b.hi}) + Math.imul(${a.hi}, ${b.lo})) | 0`,
    );
    return true;
  },
  mulh: pairHelper("mulh64"),
  mulhsu: pairHelper("mulhsu64"),
  mulhu: pairHelper("mulhu64"),
  div: pairHelper("div64"),
  divu: pairHelper("divu64"),
  rem: pairHelper("rem64"),
  remu: pairHelper("remu64"),
  mulw: (e, i) => (e.setX32(i.rd, `Math.imul(${e.x(i.rs1).lo}, ${e.x(i.rs2).lo})`), true),
  divw: wordHelper("divw"),
  divuw: wordHelper("divuw"),
  remw: wordHelper("remw"),
  remuw: wordHelper("remuw"),
} satisfies Partial<Record<Op, Trans>>;
