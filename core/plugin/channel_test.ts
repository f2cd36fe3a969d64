import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  BATCH_STORE_WORDS,
  BATCH_WORDS,
  CTL_BYTES,
  EVENT_RING_WORDS,
  getBytes,
  getString,
  inProcessChannel,
  LAYOUT,
  mappedChannel,
  PluginFailure,
  putBytes,
  putString,
  RING,
  RING_HEADER,
  ringWord,
  RingWriter,
  TEXT_RING_BYTES,
  TextReader,
  textWrite,
} from "./channel.ts";

/** Reads every published record word and hands the space back, as the consumer does. */
function take(w: Int32Array): number[] {
  const out: number[] = [];
  const head = Atomics.load(w, RING.HEAD);
  let t = Atomics.load(w, RING.TAIL);
  while (t !== head) out.push(ringWord(w, t)), t = (t + 1) | 0;
  Atomics.store(w, RING.TAIL, t);
  return out;
}

Deno.test("RingWriter publishes records in order, in batches, across the ring's end", () => {
  const bufs = inProcessChannel();
  let wakes = 0;
  const ring = new RingWriter(bufs.ring, () => wakes++, () => {
    throw new Error("ring full");
  });
  const seen: number[] = [];
  let expected: number[] = [];
  // Three times around the ring, consuming after each publish.
  for (let i = 0; i < (3 * EVENT_RING_WORDS) / 10; i++) {
    ring.put2(i, 7 - i);
    ring.put3(1, 2, 3);
    ring.put5(i, 5, 6, 7, 8);
    expected.push(i, 7 - i, 1, 2, 3, i, 5, 6, 7, 8);
    if (i % 5000 === 4999) {
      ring.publish();
      seen.push(...take(ring.w));
      assertEquals(seen.length, expected.length, `after ${i} records`);
      assertEquals(seen, expected);
      seen.length = 0;
      expected = [];
    }
  }
  ring.publish();
  assertEquals(take(ring.w), expected);
  assertEquals(ring.drained(), true);
  // Batches were copied without the producer waking the consumer for each record.
  assertEquals(wakes < (3 * EVENT_RING_WORDS) / BATCH_WORDS + 200, true, `${wakes} wakes`);
});

Deno.test("RingWriter with a moved batch store and its own copy: the same words, across the ring's end", () => {
  const bufs = inProcessChannel();
  const ring = new RingWriter(bufs.ring, () => {}, () => {
    throw new Error("ring full");
  });
  ring.put2(-1, -2); // gathered before the move: it moves with the store
  const store = new Int32Array(BATCH_STORE_WORDS);
  const calls: [number, number, number][] = [];
  ring.moveBatch(store, (to, from, n) => {
    calls.push([to, from, n]);
    ring.w.set(store.subarray(1 + from, 1 + from + n), to);
  });
  const seen: number[] = [];
  let expected = [-1, -2];
  for (let i = 0; i < (3 * EVENT_RING_WORDS) / 9; i++) {
    ring.put4(i, 1, 2, 3);
    ring.put5(i, 5, 6, 7, 8);
    expected.push(i, 1, 2, 3, i, 5, 6, 7, 8);
    if (i % 5000 === 4999) {
      ring.publish();
      seen.push(...take(ring.w));
      assertEquals(seen, expected, `after ${i} records`);
      seen.length = 0;
      expected = [];
    }
  }
  ring.publish();
  assertEquals(take(ring.w), expected);
  // Every batch went through the copy, those across the end in two parts: the end, then the ring's start.
  const wrapped = calls.filter(([to], k) => k > 0 && to === RING_HEADER);
  assertEquals(wrapped.length >= 2, true, `${wrapped.length} copies to the ring's start`);
  assertEquals(calls.every(([to, , n]) => to >= RING_HEADER && to + n <= RING_HEADER + EVENT_RING_WORDS), true);
});

Deno.test("RingWriter waits for space when the consumer lags, and fails when told so", () => {
  const bufs = inProcessChannel();
  let waits = 0;
  const ring = new RingWriter(bufs.ring, () => {}, () => {
    if (++waits > 3) throw new Error("plugin stalls");
    take(ring.w);
  });
  for (let i = 0; i < EVENT_RING_WORDS; i++) ring.put2(i, i);
  ring.publish();
  assertEquals(waits > 0, true);
  const stalled = new RingWriter(inProcessChannel().ring, () => {}, () => {
    throw new Error("plugin stalls");
  });
  assertThrows(
    () => {
      for (let i = 0; i < EVENT_RING_WORDS; i++) stalled.put2(i, i);
    },
    Error,
    "plugin stalls",
  );
});

Deno.test("text ring carries UTF-8 text, also across its end", () => {
  const bufs = inProcessChannel();
  const reader = new TextReader(bufs.text, bufs.waiter);
  assertEquals(reader.drain(), undefined);
  const chunk = "héllo, wörld ✓\n".repeat(1000);
  let got = "";
  const decoder = new TextDecoder();
  for (let i = 0; i < (3 * TEXT_RING_BYTES) / chunk.length; i++) {
    textWrite(bufs.text, bufs.waiter, chunk);
    got += decoder.decode(reader.drain()!, { stream: true });
    assertEquals(got, chunk);
    got = "";
  }
});

Deno.test("TextReader refuses a forged write position instead of reading past the ring", () => {
  for (const forged of [TEXT_RING_BYTES + 1, -1, 2 ** 31 - 1, -(2 ** 31)]) {
    const bufs = inProcessChannel();
    const reader = new TextReader(bufs.text, bufs.waiter);
    Atomics.store(new Int32Array(bufs.text), RING.HEAD, forged);
    assertThrows(() => reader.drain(), PluginFailure, "text ring: write position");
  }
  // A full ring is legal: exactly TEXT_RING_BYTES bytes.
  const bufs = inProcessChannel();
  const reader = new TextReader(bufs.text, bufs.waiter);
  Atomics.store(new Int32Array(bufs.text), RING.HEAD, TEXT_RING_BYTES);
  assertEquals(reader.drain()!.length, TEXT_RING_BYTES);
});

Deno.test("RingWriter refuses a forged consumer position", () => {
  for (const forged of [1, -EVENT_RING_WORDS - 1, 2 ** 30]) {
    const bufs = inProcessChannel();
    const ring = new RingWriter(bufs.ring, () => {}, () => {
      throw new Error("must not wait");
    });
    Atomics.store(ring.w, RING.TAIL, forged);
    ring.put2(1, 2);
    assertThrows(() => ring.publish(), PluginFailure, "event ring: consumer position");
  }
});

Deno.test("RingWriter's batch moved into another memory keeps its records, and refuses a forged consumer position there too", () => {
  const bufs = inProcessChannel();
  const ring = new RingWriter(bufs.ring, () => {}, () => {
    throw new Error("must not wait");
  });
  ring.put2(1, 2);
  // The store a WebAssembly region appends to in place (its count first), in memory of its own.
  const store = new Int32Array(new SharedArrayBuffer(BATCH_STORE_WORDS * 4));
  assertThrows(() => ring.moveBatch(store.subarray(1)), RangeError, "a batch store is");
  ring.moveBatch(store);
  assertEquals([...store.subarray(0, 3)], [2, 1, 2]);
  // A region's record, written as appendRecord writes it, then one of JavaScript's: one sequence.
  store.set([7, 8], 1 + store[0]);
  store[0] += 2;
  ring.put3(9, 10, 11);
  ring.publish();
  assertEquals(take(ring.w), [1, 2, 7, 8, 9, 10, 11]);
  assertEquals(store[0], 0);
  // A consumer position forged by the plugin is refused before anything of the moved store is copied.
  ring.put2(3, 4);
  Atomics.store(ring.w, RING.TAIL, Atomics.load(ring.w, RING.HEAD) + 1);
  assertThrows(() => ring.publish(), PluginFailure, "event ring: consumer position");
  assertEquals([...store.subarray(0, 3)], [2, 3, 4]);
});

Deno.test("RingWriter with its own copy: whatever consumer position the plugin writes, the copy stays in the ring", () => {
  // The copy writes through a second mapping of the ring (WebAssembly's memory.copy, without JavaScript's bounds): where
  // it writes comes from plume's own head only; a forged position is refused (nothing copied) or only decides whether
  // the producer waits.
  for (const forged of [1, -1, -4, -EVENT_RING_WORDS, -EVENT_RING_WORDS - 1, EVENT_RING_WORDS + 1, 2 ** 31 - 1]) {
    const bufs = inProcessChannel();
    const ring = new RingWriter(bufs.ring, () => {}, () => {
      throw new PluginFailure("ring full");
    });
    const store = new Int32Array(BATCH_STORE_WORDS);
    const copies: [number, number][] = [];
    ring.moveBatch(store, (to, _from, n) => void copies.push([to, n]));
    for (let i = 0; i < 3 * BATCH_WORDS; i++) ring.put4(1, 2, 3, 4); // publishes full batches on the way
    Atomics.store(ring.w, RING.TAIL, forged);
    try {
      ring.publish();
    } catch (err) {
      if (!(err instanceof PluginFailure)) throw err;
    }
    for (const [to, n] of copies) {
      assertEquals(to >= RING_HEADER && n > 0 && to + n <= RING_HEADER + EVENT_RING_WORDS, true, `tail ${forged}`);
    }
  }
});

Deno.test("mappedChannel carves one mapping into the four parts and wakes by address", () => {
  const backing = new ArrayBuffer(LAYOUT.size);
  const woken: number[] = [];
  const ch = mappedChannel(
    { address: 0x10000, region: (offset, length) => backing.slice(offset, offset + length) },
    { wait: () => {}, wake: (at) => woken.push(at) },
  );
  assertEquals([ch.ctl.byteLength, ch.arena.byteLength], [1 << 20, 64 << 20]);
  ch.waiter.wake(new Int32Array(ch.ring), RING.TAIL);
  ch.waiter.wake(new Int32Array(ch.ctl, 8), 1);
  assertEquals(woken, [0x10000 + LAYOUT.ring + RING.TAIL * 4, 0x10000 + 12]);
  assertThrows(() => ch.waiter.wake(new Int32Array(4), 0), RangeError, "Not a view of this channel");
});

Deno.test("putString/getString and putBytes/getBytes round-trip through the control block", () => {
  const { ctl } = inProcessChannel();
  const next = putString(ctl, 100, "ecall ✓");
  assertEquals(getString(ctl, 100), ["ecall ✓", next]);
  const at = putBytes(ctl, next, new Uint8Array([1, 2, 3, 250]));
  assertEquals(getBytes(ctl, next), new Uint8Array([1, 2, 3, 250]));
  assertEquals(at, next + 2);
  new Int32Array(ctl)[7] = -5;
  assertThrows(() => getString(ctl, 7), RangeError, "Bad string length -5");
  // A length the other side forged: past the control block, or past what the reader takes.
  new Int32Array(ctl)[7] = CTL_BYTES;
  assertThrows(() => getString(ctl, 7), RangeError, `Bad string length ${CTL_BYTES}`);
  assertEquals(getString(ctl, 100, 9)[0], "ecall ✓");
  assertThrows(() => getString(ctl, 100, 8), RangeError, "Bad string length 9");
});

Deno.test("RingWriter hands waitSpace the tail it saw, so a consumer that catches up meanwhile cannot stall it", () => {
  const bufs = inProcessChannel();
  const seen: number[] = [];
  const ring = new RingWriter(bufs.ring, () => {}, (tailSeen) => {
    seen.push(tailSeen);
    // The consumer empties the ring before the producer looks again: the tail has moved from what was seen.
    take(ring.w);
    assertEquals(Atomics.load(ring.w, RING.TAIL) !== tailSeen, true);
  });
  for (let i = 0; i < EVENT_RING_WORDS; i++) ring.put2(i, i);
  ring.publish();
  assertEquals(seen.length > 0, true);
  assertEquals(seen[0], 0);
});
