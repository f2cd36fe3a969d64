/**
 * The contract between WebAssembly region modules and the JavaScript
 * around them: which memory is which and the index of each function a
 * module calls.
 *
 * @module
 */

/**
 * Memory indices of the region modules' imports: the guest memory, its page
 * flags, and the register arena (`core/cpu/register_arena.ts`), where the
 * running vCPU's slot is the region function's one parameter.
 */
export const MEM = { guest: 0, pages: 1, regs: 2 } as const;

/** Function indices: the imported helpers, then the module's own helpers (`region.ts` defines them). */
export const FN = {
  /** `ld(lo, hi, imm, size, signed)`: slow-path load; the value lands at the slot's `SLOT.value`. */
  ld: 0,
  /** `st(lo, hi, imm, size)`: slow-path store of the value at the slot's `SLOT.value`. */
  st: 1,
  mulhu: 2,
  mulh: 3,
  mulhsu: 4,
  div: 5,
  divu: 6,
  rem: 7,
  remu: 8,
  divw: 9,
  divuw: 10,
  remw: 11,
  remuw: 12,
} as const;

/** Module helpers of `(i64, i64) -> i64`, by name, in function-index order. */
export type ArithHelper = Exclude<keyof typeof FN, "ld" | "st">;
