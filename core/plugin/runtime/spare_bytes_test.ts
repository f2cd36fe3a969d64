import { assert, assertEquals } from "../../../tests/assert.ts";
import { bytes8, restock } from "./spare_bytes.ts";

Deno.test("arrays made ahead are each handed out once, zeroed, with a buffer of their own", () => {
  // No stock before the first use: a plugin that never reads registers makes none.
  assertEquals(restock(), false);
  const first = bytes8();
  let made = 0;
  while (restock()) made++;
  assert(made > 0 && made <= 64, `made ${made}`);
  const seen = new Set<ArrayBufferLike>([first.buffer]);
  for (let k = 0; k < made + 2; k++) {
    const b = bytes8();
    assertEquals([b.length, b.byteOffset, b.buffer.byteLength], [8, 0, 8]);
    assertEquals([...b], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert(!seen.has(b.buffer), "an array handed out twice");
    seen.add(b.buffer);
    b.fill(0xff); // what a plugin does with it is its own
  }
});
