/**
 * Byte arrays made ahead, while the plugin's thread waits for work.
 *
 * Deno's V8 keeps no typed array's bytes in its heap: making even an
 * 8-byte `Uint8Array` costs 0.2–0.3 µs (Node's V8, whose small arrays live
 * in its heap: 0.03 µs; measured on Deno 2.9.6 and Node 20), most of what
 * a register read in a synchronous callback costs. So the dispatcher makes
 * 8-byte arrays while it spins between calls ({@link restock}), and a
 * register read takes one of them ({@link bytes8}). Each is handed out once:
 * the plugin gets a new array with a buffer of its own at every read, as if
 * it had been made then. Only a plugin that read an 8-byte register once
 * gets a stock.
 *
 * @module
 */

/** Captured when this module loads: the plugin cannot replace what the runtime makes. */
const U8 = Uint8Array;

/** How many arrays are kept ready: more than a callback usually reads. */
const STOCK = 64;

/**
 * The stock, its slots made when this module loads: storing into a slot
 * that exists calls nothing a plugin could have put on `Array.prototype`
 * (a setter for an index, a `push`), as the dispatcher's idle loop must not.
 */
const spares: (Uint8Array | undefined)[] = Array.from({ length: STOCK }, () => undefined);
let ready = 0, wanted = 0;

/** A new 8-byte array (zeroed), made ahead when one is ready. */
export function bytes8(): Uint8Array {
  wanted = STOCK;
  if (ready === 0) return new U8(8);
  const bytes = spares[--ready]!;
  spares[ready] = undefined;
  return bytes;
}

/** Makes one array when the stock is short; true when it did (the caller had nothing else to do). */
export function restock(): boolean {
  if (ready >= wanted) return false;
  spares[ready++] = new U8(8);
  return true;
}
