import { assertEquals } from "../../tests/assert.ts";
import { IntervalTimers, ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL } from "./itimers.ts";

Deno.test("IntervalTimers: a one-shot real timer fires once at its time", () => {
  const t = new IntervalTimers();
  assertEquals(t.set(ITIMER_REAL, 50, 0, 1000, 0), { value: 0, interval: 0 });
  assertEquals(t.next, 1050);
  assertEquals(t.get(ITIMER_REAL, 1020, 0), { value: 30, interval: 0 });
  assertEquals(t.expire(1049, 0), []);
  assertEquals(t.expire(1050, 0), [14]);
  assertEquals([t.next, t.expire(2000, 0).length], [Infinity, 0]);
});

Deno.test("IntervalTimers: periodic timers reload and keep their phase when late", () => {
  const t = new IntervalTimers();
  t.set(ITIMER_REAL, 10, 10, 0, 0);
  assertEquals(t.expire(10, 0), [14]);
  assertEquals(t.next, 20);
  assertEquals(t.expire(47, 0), [14], "three periods late: one signal");
  assertEquals(t.next, 50);
  const old = t.set(ITIMER_REAL, 0, 0, 48, 0);
  assertEquals(old, { value: 2, interval: 10 });
  assertEquals(t.next, Infinity);
});

Deno.test("IntervalTimers: virtual and profiling timers count run time, not wall time", () => {
  const t = new IntervalTimers();
  t.set(ITIMER_VIRTUAL, 5, 0, 0, 100);
  t.set(ITIMER_PROF, 8, 0, 0, 100);
  assertEquals(t.counting, true);
  assertEquals(t.expire(1e9, 104), [], "wall time does not matter");
  assertEquals(t.expire(0, 105), [26]);
  assertEquals(t.expire(0, 108), [27]);
  assertEquals(t.counting, false);
  t.set(ITIMER_REAL, 1, 0, 0, 0);
  t.clear();
  assertEquals([t.next, t.counting], [Infinity, false]);
});
