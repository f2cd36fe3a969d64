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

/**
 * Function indices: the imported helpers, then the module's own helpers
 * (`region.ts` defines them). Every imported helper returns an i32 status,
 * 0 or 1 when it raised a fault, which the runtime keeps to throw once the
 * region has left (a JavaScript exception must not unwind a WebAssembly
 * frame whose registers are in locals).
 */
export const FN = {
  /** `ld(lo, hi, imm, size, signed)`: slow-path load; the value lands at the slot's `SLOT.value`. */
  ld: 0,
  /** `st(lo, hi, imm, size)`: slow-path store of the value at the slot's `SLOT.value`. */
  st: 1,
  /** `lr(lo, hi, size)`: load-reserved; the value lands at `SLOT.value`. */
  lr: 2,
  /** `sc(lo, hi, size)`: store-conditional of the value at `SLOT.value`, which its result (0 or 1) replaces. */
  sc: 3,
  /** `amo(op, lo, hi, size)`: the `AMO_OPS[op]` of the value at `SLOT.value`; the old value replaces it. */
  amo: 4,
  mulhu: 5,
  mulh: 6,
  mulhsu: 7,
  div: 8,
  divu: 9,
  rem: 10,
  remu: 11,
  divw: 12,
  divuw: 13,
  remw: 14,
  remuw: 15,
} as const;

/** Module helpers of `(i64, i64) -> i64`, by name, in function-index order. */
export type ArithHelper = Exclude<keyof typeof FN, "ld" | "st" | "lr" | "sc" | "amo">;

/** What a region returns when a helper raised a fault: not a pc, and none of the dispatcher's `EXIT_*` codes. */
export const WASM_FAULT = -64;
