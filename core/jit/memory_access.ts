/**
 * Loads and stores in translated code.
 *
 * The fast path is inline: the effective address is computed on the low
 * word only and used as a typed-array index after three checks — the base
 * register's high word is 0, the address is naturally aligned, and the page
 * flag allows the access. Anything else (misaligned, page-crossing, high
 * addresses, code pages on stores, faults) goes to the slow path in
 * `runtime.ts`, which computes the exact 64-bit address.
 *
 * Why checking only the base's high word is exact: with `hi === 0` the true
 * address is `(lo >>> 0) + imm` with |imm| < 2^11. If that wraps above 2^32
 * the int32 sum lands in page 0, which is never mapped; if it goes below 0
 * it lands in the top half of the 32-bit range, which is never mapped either
 * (the space is at most 2 GiB). Both then take the slow path.
 *
 * @module
 */

import { PAGE_CODE, PAGE_SHIFT, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import type { Emitter, RegPair } from "./emitter.ts";
import { emitMemActions } from "./instrument.ts";
import { memInfo } from "./plugin_actions.ts";

const SIZE_SHIFT: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

const FAST_LOAD: Record<number, (e: Emitter, a: string, signed: boolean) => string> = {
  1: (e, a, s) => (s ? `${e.rt("i8")}[${a}]` : `${e.rt("u8")}[${a}]`),
  2: (e, a, s) => (s ? `${e.rt("i16")}[${a} >> 1]` : `${e.rt("u16")}[${a} >> 1]`),
  4: (e, a) => `${e.rt("i32")}[${a} >> 2]`,
};

/**
 * Emits a load of `size` bytes from `base + imm` and returns the temps that
 * hold the loaded value, extended to 64 bits as `signed` says.
 */
export function emitLoad(e: Emitter, base: RegPair, imm: number, size: 1 | 2 | 4 | 8, signed: boolean): RegPair {
  const a = e.temp(), lo = e.temp(), hi = e.temp();
  e.mayThrow();
  e.line(`${a} = (${base.lo} + ${imm}) | 0;`);
  const misaligned = size > 1 ? ` || (${a} & ${size - 1}) !== 0` : "";
  const slow = `${lo} = ${e.rt("ld")}(c, ${base.lo}, ${base.hi}, ${imm}, ${size}, ${signed});` +
    (size === 8 ? ` ${hi} = ${e.rh};` : "");
  const fast = size === 8
    ? `${lo} = ${e.rt("i32")}[${a} >> 2]; ${hi} = i32[(${a} >> 2) + 1];`
    : `${lo} = ${FAST_LOAD[size](e, a, signed)};`;
  e.line(
    `if (${base.hi} !== 0${misaligned} || (${
      e.rt("pg")
    }[${a} >>> ${PAGE_SHIFT}] & ${PROT_READ}) === 0) { ${slow} } else { ${fast} }`,
  );
  // Sub-word loads are already extended to 32 bits by the typed array; lw is sign-extended.
  const value = size === 8 ? { lo, hi } : { lo, hi: signed && size < 8 ? `(${lo} >> 31)` : "0" };
  if (e.memActions) {
    emitMemActions(e, e.memActions, { base, imm, info: memInfo(SIZE_SHIFT[size], signed && size < 8, false), value });
  }
  return value;
}

/** Emits a store of the low `size` bytes of `value` to `base + imm`. */
export function emitStore(e: Emitter, base: RegPair, imm: number, size: 1 | 2 | 4 | 8, value: RegPair): void {
  const a = e.temp();
  e.mayThrow();
  e.line(`${a} = (${base.lo} + ${imm}) | 0;`);
  const misaligned = size > 1 ? ` || (${a} & ${size - 1}) !== 0` : "";
  const fast = size === 1
    ? `${e.rt("u8")}[${a}] = ${value.lo};`
    : size === 2
    ? `${e.rt("u16")}[${a} >> 1] = ${value.lo};`
    : size === 4
    ? `${e.rt("i32")}[${a} >> 2] = ${value.lo};`
    : `${e.rt("i32")}[${a} >> 2] = ${value.lo}; i32[(${a} >> 2) + 1] = ${value.hi};`;
  const mask = PROT_WRITE | PAGE_CODE;
  e.line(
    `if (${base.hi} !== 0${misaligned} || (${e.rt("pg")}[${a} >>> ${PAGE_SHIFT}] & ${mask}) !== ${PROT_WRITE}) ` +
      `{ ${e.rt("st")}(c, ${base.lo}, ${base.hi}, ${imm}, ${size}, ${value.lo}, ${value.hi}); } else { ${fast} }`,
  );
  if (e.memActions) emitMemActions(e, e.memActions, { base, imm, info: memInfo(SIZE_SHIFT[size], false, true), value });
}
