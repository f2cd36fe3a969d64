/**
 * The words of the records translated code streams to plugins, as the
 * event ring carries them (`core/plugin/channel.ts`): defined here, below
 * the plugin core, because the WebAssembly tier writes them itself into a
 * ring writer's batch store (`wasm/instrument.ts`).
 *
 * @module
 */

/**
 * Record tags in the top 3 bits of a ring record's first word; the low 29
 * bits hold the id.
 */
export const TAG = {
  /** `[BLOCK | blockId, vcpu]` */
  BLOCK: 0 << 29,
  /** `[COND | slotId, vcpu]`: a conditional callback whose condition held. */
  COND: 1 << 29,
  /**
   * `[MEM | memSlotId, info | vcpu << 17, addr, valueLo, valueHi]` (`info`: QEMU's meminfo, 17 bits), without
   * `valueHi` for an access of at most 4 bytes ({@link memRecordWords}).
   */
  MEM: 2 << 29,
  /** `[TRUNC | inclusive, vcpu, pc]`: the block being executed on vcpu stopped at pc. */
  TRUNC: 3 << 29,
  /**
   * `[REPEAT | n, vcpu]`: the block whose record came last on vcpu ran n more times, as n more of its block records
   * would say (the last of those runs may still be cut by a `TRUNC`). The WebAssembly tier writes one when a block
   * whose only record is its block record jumps to itself, instead of a record per pass (`wasm/instrument.ts`); n is
   * below 2^29, as a region's budget of backward jumps bounds its passes.
   */
  REPEAT: 4 << 29,
} as const;

/**
 * The words of a memory record of an access with meminfo `info`: 4 for an
 * access of at most 4 bytes, whose value is its low word, and 5 otherwise.
 * A fifth of sha256's ring traffic under `mem,callback=on`, where most
 * accesses are words.
 */
export function memRecordWords(info: number): 4 | 5 {
  return (info & 0xf) < 3 ? 4 : 5;
}

/** Mask of the id part of a record's first word. */
export const ID_MASK = (1 << 29) - 1;

/**
 * Words the producer gathers in private memory before copying them into
 * the ring at once. Writing records straight into shared memory costs a
 * cache-line transfer to the consumer's core for every few records
 * (measured here: 11 ns a two-word record); copying batches costs 3.5 ns.
 */
export const BATCH_WORDS = 8192;

/** Words of a ring writer's batch store: its count, then {@link BATCH_WORDS}. */
export const BATCH_STORE_WORDS = BATCH_WORDS + 1;
