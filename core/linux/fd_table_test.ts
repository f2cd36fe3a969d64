import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { E, SyscallError } from "./errno.ts";
import { FdTable } from "./fd_table.ts";
import { MemFile } from "./open_file.ts";
import { StdioFile } from "./stdio.ts";

/** A MemFile that counts its releases. */
class Counted extends MemFile {
  released = 0;
  constructor() {
    super(new Uint8Array(0), "/counted");
  }
  override release(): void {
    this.released++;
  }
}

function errnoOf(f: () => unknown): number {
  return assertThrows(f, SyscallError).errno;
}

Deno.test("FdTable starts with the host's standard streams", () => {
  const t = new FdTable();
  for (const fd of [0, 1, 2]) assert(t.get(fd) instanceof StdioFile);
  assertEquals(t.lookup(3), undefined);
});

Deno.test("FdTable.install takes the lowest free descriptor at or above min", () => {
  const t = new FdTable();
  const f = new Counted();
  assertEquals(t.install(f, { limit: 100 }), 3);
  assertEquals(t.install(f, { limit: 100 }), 4);
  assertEquals(t.install(f, { min: 10, limit: 100 }), 10);
  t.close(3);
  assertEquals(t.install(f, { limit: 100 }), 3);
  assertEquals(f.refs, 3);
  assertEquals(errnoOf(() => t.install(f, { min: 100, limit: 100 })), E.EMFILE);
});

Deno.test("FdTable releases a description when its last descriptor closes", () => {
  const t = new FdTable();
  const f = new Counted();
  const a = t.install(f, { limit: 100 });
  const b = t.install(f, { limit: 100 });
  t.close(a);
  assertEquals(f.released, 0);
  t.close(b);
  assertEquals(f.released, 1);
  assertEquals(errnoOf(() => t.close(b)), E.EBADF);
  assertEquals(errnoOf(() => t.get(-1)), E.EBADF);
});

Deno.test("FdTable.installAt replaces the descriptor's file, even with itself", () => {
  const t = new FdTable();
  const f = new Counted(), g = new Counted();
  t.installAt(7, f, true);
  t.installAt(7, f, false);
  assertEquals([f.refs, f.released], [1, 0]);
  t.installAt(7, g, false);
  assertEquals([f.refs, f.released, g.refs], [0, 1, 1]);
  assertEquals(t.getCloexec(7), false);
});

Deno.test("FdTable keeps close-on-exec per descriptor", () => {
  const t = new FdTable();
  const f = new Counted();
  const a = t.install(f, { cloexec: true, limit: 100 });
  const b = t.install(f, { limit: 100 });
  assertEquals([t.getCloexec(a), t.getCloexec(b)], [true, false]);
  t.setCloexec(b, true);
  assertEquals(t.getCloexec(b), true);
  assertEquals(errnoOf(() => t.setCloexec(50, true)), E.EBADF);
  assertEquals(t.openIn(0, 1000), [0, 1, 2, a, b]);
});
