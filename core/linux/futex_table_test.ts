import { assertEquals } from "../../tests/assert.ts";
import { FutexTable } from "./futex_table.ts";

Deno.test("FutexTable.wake wakes in arrival order, at most n, and empties queues", () => {
  const t = new FutexTable();
  const ws = [1, 2, 3].map((tid) => t.enqueue(0x100, tid));
  assertEquals(t.wake(0x100, 0), 0);
  assertEquals(t.wake(0x100, 2), 2);
  assertEquals(ws.map((w) => w.woken), [true, true, false]);
  assertEquals(t.waiters(0x100), 1);
  assertEquals(t.wake(0x200, 5), 0, "another address");
  assertEquals(t.wake(0x100, 5), 1);
  assertEquals(t.size, 0);
});

Deno.test("FutexTable.wake matches bitsets", () => {
  const t = new FutexTable();
  const a = t.enqueue(0x10, 1, 0b001), b = t.enqueue(0x10, 2, 0b110), c = t.enqueue(0x10, 3);
  assertEquals(t.wake(0x10, 10, 0b100), 2);
  assertEquals([a.woken, b.woken, c.woken], [false, true, true]);
});

Deno.test("FutexTable.remove takes a waiter off without waking it", () => {
  const t = new FutexTable();
  const a = t.enqueue(0x10, 1), b = t.enqueue(0x10, 2);
  t.remove(a);
  t.remove(a);
  assertEquals(t.wake(0x10, 10), 1);
  assertEquals([a.woken, b.woken], [false, true]);
});

Deno.test("FutexTable.requeue wakes, moves the rest behind the target's waiters, and counts both", () => {
  const t = new FutexTable();
  const old = t.enqueue(0x20, 9);
  const ws = [1, 2, 3, 4].map((tid) => t.enqueue(0x10, tid));
  assertEquals(t.requeue(0x10, 0x20, 1, 2), 3);
  assertEquals(ws.map((w) => [w.woken, w.addr]), [[true, 0x10], [false, 0x20], [false, 0x20], [false, 0x10]]);
  assertEquals([t.waiters(0x10), t.waiters(0x20)], [1, 3]);
  // The waiter that was already there goes first.
  assertEquals(t.wake(0x20, 1), 1);
  assertEquals(old.woken, true);
  t.remove(ws[1]);
  assertEquals(t.waiters(0x20), 1, "a requeued waiter is removed from its new queue");
  assertEquals(t.requeue(0x10, 0x10, 0, 5), 1, "requeue onto the same word moves nothing but counts");
  t.clear();
  assertEquals(t.size, 0);
});
