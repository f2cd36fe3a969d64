import { assert, assertEquals } from "../../tests/assert.ts";
import { FileLocks, type RangeLock } from "./file_locks.ts";

const F = "8:1";
/** An owner's locks on F as [start, end, "r"|"w"], in order. */
function held(locks: FileLocks, owner: object): [number, number, string][] {
  const out: [number, number, string][] = [];
  // Probe with a write lock of another owner over everything: each conflict found is one of `owner`'s (or others').
  const probe = {};
  let from = 0;
  for (;;) {
    let first: RangeLock | undefined;
    for (let at = from; at < 1000; at++) {
      const l = locks.conflict(F, probe, true, at, at + 1);
      if (l !== undefined && l.owner === owner) {
        first = l;
        break;
      }
    }
    if (first === undefined) return out;
    out.push([first.start, first.end, first.write ? "w" : "r"]);
    from = first.end === Infinity ? 1000 : first.end;
  }
}

Deno.test("a range lock replaces what its owner held there, splitting and merging, and leaves others' alone", () => {
  const locks = new FileLocks(), a = {}, b = {};
  locks.setRange(F, a, 1, false, 0, 100);
  locks.setRange(F, a, 1, true, 40, 60); // a write lock inside a read lock: split in three
  assertEquals(held(locks, a), [[0, 40, "r"], [40, 60, "w"], [60, 100, "r"]]);
  locks.setRange(F, a, 1, false, 40, 60); // read again: the three merge
  assertEquals(held(locks, a), [[0, 100, "r"]]);
  locks.setRange(F, a, 1, null, 10, 20); // unlock a hole
  assertEquals(held(locks, a), [[0, 10, "r"], [20, 100, "r"]]);
  locks.setRange(F, a, 1, false, 100, Infinity); // touching: merged, to the end of the file
  assertEquals(held(locks, a), [[0, 10, "r"], [20, Infinity, "r"]]);
  locks.setRange(F, b, 2, false, 0, 5); // another owner's read lock: shared
  assertEquals(held(locks, a), [[0, 10, "r"], [20, Infinity, "r"]]);
  locks.setRange(F, a, 1, null, 0, Infinity);
  assertEquals(held(locks, a), []);
  assertEquals(held(locks, b), [[0, 5, "r"]]);
});

Deno.test("conflicts: a write lock against any other owner's lock, a read lock against other writers only", () => {
  const locks = new FileLocks(), a = {}, b = {};
  locks.setRange(F, a, 10, false, 0, 10);
  locks.setRange(F, a, 10, true, 20, 30);
  assertEquals(locks.conflict(F, b, false, 5, 8), undefined);
  assertEquals(locks.conflict(F, b, true, 5, 8)?.pid, 10);
  assertEquals(locks.conflict(F, b, false, 25, 26)?.write, true);
  assertEquals(locks.conflict(F, b, true, 10, 20), undefined, "the gap between them");
  assertEquals(locks.conflict(F, a, true, 0, 100), undefined, "an owner never conflicts with itself");
  assertEquals(locks.conflict("other", b, true, 0, 100), undefined, "another file");
  assert(locks.holdsRanges(a) && !locks.holdsRanges(b));
  locks.releaseRanges(F, a);
  assert(!locks.holdsRanges(a));
});

Deno.test("flock: one lock per description, shared or exclusive; a refused conversion leaves none", () => {
  const locks = new FileLocks(), a = {}, b = {};
  assert(locks.flock(F, a, false) && locks.flock(F, b, false), "two shared");
  assert(!locks.flockFree(F, a, true));
  assertEquals(locks.flock(F, a, true), false, "exclusive refused while b shares it");
  assert(locks.flockFree(F, b, true), "a's shared lock went with the refused conversion, as in Linux");
  assert(locks.flock(F, b, true) && !locks.flock(F, a, false));
  locks.releaseAll(b);
  assert(locks.flock(F, a, true) && locks.flock(F, a, true), "again: nothing changes");
  assert(locks.flock(F, a, null) && locks.flockFree(F, b, true));
});

Deno.test("a wait that would close a cycle of waits is a deadlock; releasing ends the owner's waits", () => {
  const locks = new FileLocks(), p1 = {}, p2 = {}, p3 = {};
  assert(!locks.wouldDeadlock(p1, p2));
  locks.setWaiting(p2, p3); // p2 waits for p3's lock
  locks.setWaiting(p3, p1); // p3 for p1's
  assert(locks.wouldDeadlock(p1, p2), "p1 waiting for p2 closes p1 → p2 → p3 → p1");
  assert(!locks.wouldDeadlock(p2, {}));
  locks.releaseAll(p3);
  assert(!locks.wouldDeadlock(p1, p2));
  locks.setWaiting(p2, undefined);
  assert(locks.wouldDeadlock(p1, p1), "waiting for oneself");
});
