import { assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  BATCH_WORDS,
  EVENT_RING_WORDS,
  getBytes,
  getString,
  newChannelBuffers,
  putBytes,
  putString,
  RING,
  ringWord,
  RingWriter,
  TEXT_RING_BYTES,
  textDrain,
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
  const bufs = newChannelBuffers();
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

Deno.test("RingWriter waits for space when the consumer lags, and fails when told so", () => {
  const bufs = newChannelBuffers();
  let waits = 0;
  const ring = new RingWriter(bufs.ring, () => {}, () => {
    if (++waits > 3) throw new Error("plugin stalls");
    take(ring.w);
  });
  for (let i = 0; i < EVENT_RING_WORDS; i++) ring.put2(i, i);
  ring.publish();
  assertEquals(waits > 0, true);
  const stalled = new RingWriter(newChannelBuffers().ring, () => {}, () => {
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
  const bufs = newChannelBuffers();
  assertEquals(textDrain(bufs.text), undefined);
  const chunk = "héllo, wörld ✓\n".repeat(1000);
  let got = "";
  const decoder = new TextDecoder();
  for (let i = 0; i < (3 * TEXT_RING_BYTES) / chunk.length; i++) {
    textWrite(bufs.text, chunk);
    got += decoder.decode(textDrain(bufs.text)!, { stream: true });
    assertEquals(got, chunk);
    got = "";
  }
});

Deno.test("putString/getString and putBytes/getBytes round-trip through the control block", () => {
  const { ctl } = newChannelBuffers();
  const next = putString(ctl, 100, "ecall ✓");
  assertEquals(getString(ctl, 100), ["ecall ✓", next]);
  const at = putBytes(ctl, next, new Uint8Array([1, 2, 3, 250]));
  assertEquals(getBytes(ctl, next), new Uint8Array([1, 2, 3, 250]));
  assertEquals(at, next + 2);
  new Int32Array(ctl)[7] = -5;
  assertThrows(() => getString(ctl, 7), RangeError, "Bad string length -5");
});

Deno.test("RingWriter hands waitSpace the tail it saw, so a consumer that catches up meanwhile cannot stall it", () => {
  const bufs = newChannelBuffers();
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
