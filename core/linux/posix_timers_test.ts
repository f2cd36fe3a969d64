import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { SyscallError } from "./errno.ts";
import { PosixTimers, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID } from "./posix_timers.ts";

const SIGALRM = 14, SIGUSR1 = 10;

Deno.test("PosixTimers: ids count up from 0 and are not reused at once; a deleted timer is EINVAL", () => {
  const t = new PosixTimers();
  const a = t.create(1, { notify: SIGEV_SIGNAL, signo: SIGALRM, tid: 0 });
  const b = t.create(0, { notify: SIGEV_SIGNAL, signo: SIGALRM, tid: 0 });
  assertEquals([a, b], [0, 1]);
  t.delete(a);
  assertEquals(t.create(1, { notify: SIGEV_NONE, signo: 0, tid: 0 }), 2);
  assertThrows(() => t.get(a, 0, 0), SyscallError);
  assertThrows(() => t.delete(a), SyscallError);
  t.clear();
  assertThrows(() => t.overrun(b), SyscallError);
});

Deno.test("PosixTimers: a late periodic timer fires once, keeps its phase and counts the periods it missed", () => {
  const t = new PosixTimers();
  const id = t.create(1, { notify: SIGEV_THREAD_ID, signo: SIGUSR1, tid: 42, value: 99n });
  t.set(id, 10, 10, 1000, 0);
  assertEquals(t.next, 1010);
  const [sig] = t.expire(1035, 0); // due at 1010, 1020 and 1030
  assertEquals([sig.signo, sig.tid, t.overrun(id), t.next], [SIGUSR1, 42, 2, 1040]);
  const info = new DataView(sig.info!.buffer);
  // si_code SI_TIMER, si_tid (the timer's id), si_overrun, si_value.
  assertEquals([info.getInt32(8, true), info.getInt32(16, true), info.getInt32(20, true)], [-2, id, 2]);
  assertEquals(info.getBigUint64(24, true), 99n);
  // A timer made without a sigevent carries its own id.
  const plain = t.create(0, { notify: SIGEV_SIGNAL, signo: SIGALRM, tid: 0 });
  t.set(plain, 1, 0, 2000, 0);
  const [alarm] = t.expire(2001, 0).filter((s) => s.signo === SIGALRM);
  assertEquals(new DataView(alarm.info!.buffer).getBigUint64(24, true), BigInt(plain));
});

Deno.test("PosixTimers: a CPU-time timer counts the guest's run time; SIGEV_NONE expires without a signal", () => {
  const t = new PosixTimers();
  const cpu = t.create("cpu", { notify: SIGEV_SIGNAL, signo: SIGALRM, tid: 0 });
  const none = t.create(1, { notify: SIGEV_NONE, signo: 0, tid: 0 });
  t.set(cpu, 50, 0, 0, 100);
  t.set(none, 5, 0, 0, 0);
  assertEquals([t.counting, t.next], [true, 5]);
  assertEquals(t.expire(1000, 149).map((s) => s.signo), []); // wall time passed, run time not yet
  assertEquals(t.get(none, 1000, 149), { value: 0, interval: 0 });
  assertEquals(t.expire(1000, 150).map((s) => s.signo), [SIGALRM]);
  assertEquals([t.counting, t.next], [false, Infinity]);
  // Setting returns the old setting; a zero value disarms.
  t.set(none, 30, 0, 0, 0);
  assertEquals(t.set(none, 0, 0, 10, 0), { value: 20, interval: 0 });
});

Deno.test("PosixTimers: while a timer's signal is pending, its expiries add to that signal's overrun", () => {
  const t = new PosixTimers();
  const id = t.create(1, { notify: SIGEV_SIGNAL, signo: 34, tid: 0 });
  t.set(id, 1, 1, 0, 0);
  const [first] = t.expire(1, 0, () => false);
  const queued = (sig: unknown) => sig === first;
  assertEquals(t.expire(2, 0, queued), []);
  assertEquals(t.expire(4.5, 0, queued), []); // due at 3 and 4
  assertEquals([t.overrun(id), new DataView(first.info!.buffer).getInt32(20, true)], [3, 3]);
  // Taken by the guest: the next expiry queues a new signal.
  const [second] = t.expire(5, 0, () => false);
  assertEquals([second.signo, t.overrun(id)], [34, 0]);
});
