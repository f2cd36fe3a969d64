/**
 * Synchronous guest exceptions raised while executing translated code or
 * helpers. The CPU loop turns each into a guest signal at the pc of the
 * instruction that raised it.
 *
 * @module
 */

/** Linux signal number of SIGILL. */
export const SIGILL = 4;
/** Linux signal number of SIGTRAP. */
export const SIGTRAP = 5;
/** Linux signal number of SIGBUS. */
export const SIGBUS = 7;
/** Linux signal number of SIGSEGV. */
export const SIGSEGV = 11;

/** `si_code` for SIGILL: illegal opcode. */
export const ILL_ILLOPC = 1;
/** `si_code` for SIGTRAP: breakpoint. */
export const TRAP_BRKPT = 1;
/** `si_code` for SIGSEGV: address not mapped. */
export const SEGV_MAPERR = 1;
/** `si_code` for SIGSEGV: invalid permissions for mapped object. */
export const SEGV_ACCERR = 2;

/**
 * A synchronous exception that becomes a guest signal.
 *
 * @example Raise an illegal-instruction trap
 * ```ts
 * import { GuestTrap, ILL_ILLOPC, SIGILL } from "./trap.ts";
 * import { strictEqual } from "node:assert";
 * const t = new GuestTrap(SIGILL, ILL_ILLOPC, 0x10078);
 * strictEqual(t.signo, 4);
 * ```
 */
export class GuestTrap extends Error {
  /** Linux signal number. */
  readonly signo: number;
  /** `si_code`. */
  readonly code: number;
  /** `si_addr`: the faulting data address, or the pc of the instruction. */
  readonly addr: number;
  /**
   * @param signo Linux signal number
   * @param code `si_code`
   * @param addr `si_addr`
   */
  constructor(signo: number, code: number, addr: number) {
    super(`Guest signal ${signo} (code ${code}) at 0x${addr.toString(16)}`);
    this.name = "GuestTrap";
    this.signo = signo;
    this.code = code;
    this.addr = addr;
  }
}

/**
 * Thrown by helpers for an instruction that is illegal at run time (a
 * dynamic rounding mode that is reserved, an unknown CSR). The translator
 * knows the pc and turns it into SIGILL there.
 */
export class IllegalInstruction extends Error {
  constructor(why: string) {
    super(why);
    this.name = "IllegalInstruction";
  }
}
