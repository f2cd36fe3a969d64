import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { E, SyscallError } from "./errno.ts";
import { Pipe, PipeEnd } from "./pipe.ts";
import { S_IFIFO, S_IFMT } from "./stat.ts";

Deno.test("Pipe.shift returns queued bytes in order across chunks", () => {
  const p = new Pipe();
  p.push(new Uint8Array([1, 2, 3]));
  p.push(new Uint8Array([4, 5]));
  const a = new Uint8Array(2), b = new Uint8Array(10);
  assertEquals(p.shift(a), 2);
  assertEquals([...a], [1, 2]);
  assertEquals(p.shift(b), 3);
  assertEquals([...b.subarray(0, 3)], [3, 4, 5]);
  assertEquals(p.size, 0);
});

Deno.test("PipeEnd reads what the other end wrote, then EOF once writers are gone", () => {
  const [r, w] = PipeEnd.pair(0);
  r.retain();
  w.retain();
  assertEquals(w.write(new TextEncoder().encode("abc")), 3);
  assertEquals(r.available(), 3);
  const buf = new Uint8Array(8);
  assertEquals(r.read(buf), 3);
  assertEquals(assertThrows(() => r.read(buf), SyscallError).errno, E.EAGAIN);
  w.drop();
  assertEquals(r.read(buf), 0);
});

Deno.test("PipeEnd.write fails with EPIPE when no reader is left", () => {
  const [r, w] = PipeEnd.pair(0);
  r.retain();
  r.drop();
  assertEquals(assertThrows(() => w.write(new Uint8Array(1)), SyscallError).errno, E.EPIPE);
});

Deno.test("PipeEnd directions and status reflect the end", () => {
  const [r, w] = PipeEnd.pair(0o4000, 1000, 100);
  assertEquals([r.readable, r.writable, w.readable, w.writable], [true, false, false, true]);
  assertEquals(r.flags, 0o4000);
  const st = r.stat();
  assertEquals([st.mode & S_IFMT, st.uid, st.gid, st.ino], [S_IFIFO, 1000, 100, w.stat().ino]);
  assertEquals(r.path, `pipe:[${st.ino}]`);
});
