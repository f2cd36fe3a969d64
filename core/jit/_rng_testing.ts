/**
 * A small deterministic random generator for the translator's randomized
 * tests (`interpreter_test.ts`, `wasm/structure_test.ts`), so that a
 * failing seed fails again.
 *
 * @module
 */

/**
 * A generator of 32-bit unsigned values (xorshift32) from `seed`.
 *
 * @example
 * ```ts
 * import { rng } from "./_rng_testing.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(rng(7)(), rng(7)());
 * ```
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}
