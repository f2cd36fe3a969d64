/**
 * Where every vCPU's integer registers live: a slot of one shared
 * `WebAssembly.Memory`, so that WebAssembly regions read and write them in
 * place, as JavaScript does through `Cpu.x`, with no copy on entry or exit
 * (copying them both ways cost more than a short region's work: 30 % of
 * `fib`'s time). A slot also holds what a region leaves for its caller:
 * the pc of a faulting instruction, a slow-path value, an exit pc.
 *
 * The memory is shared so that it can grow without detaching the views
 * existing vCPUs hold. Slots of vCPUs that are gone are reused.
 *
 * @module
 */

/** Bytes per slot: 32 registers of 8 bytes, then the region's words below. */
export const SLOT_SIZE = 512;

/** Byte offsets in a slot. */
export const SLOT = {
  /** x0…x31 as i64, the layout of `Cpu.x` (low word first). */
  regs: 0,
  /** pc of the instruction whose helper call threw (f64). */
  ip: 256,
  /** A value passed to or from a slow-path helper (i64). */
  value: 264,
  /** pc for an exit code other than a jump (f64). */
  exitPc: 272,
} as const;

const PAGE = 65536;
/** Most pages: 64 MiB, 131,072 live vCPUs. */
export const ARENA_MAX_PAGES = 1024;

/** The memory every slot is in. */
export const registerMemory = new WebAssembly.Memory({ initial: 1, maximum: ARENA_MAX_PAGES, shared: true });

let next = 0;
const free: number[] = [];
const released = new FinalizationRegistry<number>((slot) => free.push(slot));

/**
 * Takes a free slot, zeroed, and returns its byte offset with the view of
 * its registers; the slot is reused once that view is collected.
 *
 * @example
 * ```ts
 * import { newRegisterSlot, SLOT_SIZE } from "./register_arena.ts";
 * import { strictEqual } from "node:assert";
 * const { at, x } = newRegisterSlot();
 * strictEqual(at % SLOT_SIZE, 0);
 * strictEqual(x.length, 64);
 * strictEqual(x.every((w) => w === 0), true);
 * ```
 */
export function newRegisterSlot(): { at: number; x: Int32Array } {
  let at = free.pop();
  if (at === undefined) {
    at = next;
    next += SLOT_SIZE;
    const pages = registerMemory.buffer.byteLength / PAGE;
    if (next > pages * PAGE) {
      if (pages >= ARENA_MAX_PAGES) throw new RangeError("Too many vCPUs");
      registerMemory.grow(Math.min(pages, ARENA_MAX_PAGES - pages));
    }
  }
  new Uint8Array(registerMemory.buffer, at, SLOT_SIZE).fill(0);
  const x = new Int32Array(registerMemory.buffer, at + SLOT.regs, 64);
  released.register(x, at);
  return { at, x };
}
