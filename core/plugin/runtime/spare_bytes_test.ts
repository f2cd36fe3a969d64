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

Deno.test("making and handing out arrays calls nothing a plugin put on Array.prototype or Object.prototype", () => {
  // The dispatcher's idle loop restocks outside any callback: a plugin's push, pop or index setter must not run there.
  // What was called, kept in a string: an array of it would itself go through the poisoned prototype.
  let calls = "";
  const saved = { push: Array.prototype.push, pop: Array.prototype.pop };
  const indices = Array.from({ length: 65 }, (_, k) => String(k));
  Array.prototype.push = function () {
    calls += "push ";
    return 0;
  };
  Array.prototype.pop = function () {
    calls += "pop ";
    return new Uint8Array(8);
  };
  for (const proto of [Array.prototype, Object.prototype]) {
    for (const k of indices) {
      Object.defineProperty(proto, k, {
        get: () => void (calls += `get ${k} `),
        set: () => void (calls += `set ${k} `),
        configurable: true,
      });
    }
  }
  try {
    for (let round = 0; round < 3; round++) {
      bytes8();
      for (let k = 0; k < 100 && restock(); k++) { /* the idle loop */ }
      for (let k = 0; k < 70; k++) bytes8();
    }
  } finally {
    Array.prototype.push = saved.push;
    Array.prototype.pop = saved.pop;
    for (const proto of [Array.prototype, Object.prototype]) {
      for (const k of indices) delete (proto as unknown as Record<string, unknown>)[k];
    }
  }
  assertEquals(calls, "");
});
