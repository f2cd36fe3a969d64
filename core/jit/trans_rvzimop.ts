/**
 * Translation of Zimop's and Zcmop's may-be-operations and of Zawrs's
 * wait instructions, as QEMU's `trans_rvzimop.c.inc`, `trans_rvzcmop.c.inc`
 * and `trans_rvzawrs.c.inc`: none computes anything. `mop.r.n` and
 * `mop.rr.n` write 0 to rd, `c.mop.n` does nothing, and `wrs.nto` and
 * `wrs.sto` return at once (a stall the specification lets end at any
 * time) after dropping the reservation, as QEMU 10's user mode does.
 *
 * @module
 */

import type { Op } from "../isa/ops_generated.ts";
import type { Trans } from "./trans_rvi.ts";

/** `wrs.nto`/`wrs.sto`: no wait, and no reservation left for a following `sc`. */
const wrs: Trans = (e) => (e.line("c.reservation = -1;"), true);

/** Zimop, Zcmop and Zawrs translators by mnemonic. */
export const TRANS_RVZIMOP = {
  "mop.r.n": (e, i) => (e.setXConst(i.rd, 0), true),
  "mop.rr.n": (e, i) => (e.setXConst(i.rd, 0), true),
  "c.mop.n": () => true,
  "wrs.nto": wrs,
  "wrs.sto": wrs,
} satisfies Partial<Record<Op, Trans>>;
