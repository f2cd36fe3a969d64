import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import {
  AddressSpace,
  GuestMemoryError,
  MMAP_MIN_ADDR,
  PAGE_CODE,
  PAGE_MAPPED,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
} from "./address_space.ts";

const RW = PROT_READ | PROT_WRITE;

Deno.test("mmap places mappings top-down below mmapBase and zero-fills them", () => {
  const as = new AddressSpace(1 << 24);
  const a = as.mmap(0, 3 * PAGE_SIZE, RW, { name: "" });
  const b = as.mmap(0, PAGE_SIZE, RW, { name: "" });
  assertEquals(a + 3 * PAGE_SIZE <= as.mmapBase, true);
  assertEquals(b, a - PAGE_SIZE);
  as.u8[a] = 5;
  as.munmap(a, PAGE_SIZE);
  assertEquals(as.mmap(a, PAGE_SIZE, RW, { name: "", fixed: true }), a);
  assertEquals(as.u8[a], 0);
});

Deno.test("mmap never maps below MMAP_MIN_ADDR or over the last page", () => {
  const as = new AddressSpace(1 << 24);
  assertEquals(as.mmap(0, PAGE_SIZE, RW, { name: "", fixed: true }), -1);
  assertEquals(as.mmap(MMAP_MIN_ADDR - PAGE_SIZE, PAGE_SIZE, RW, { name: "", fixed: true }), -1);
  assertEquals(as.mmap(as.size - PAGE_SIZE, PAGE_SIZE, RW, { name: "", fixed: true }), -1);
  assertEquals(as.mmap(0, 1 << 30, RW, { name: "" }), -1);
});

Deno.test("check reports unmapped and permission faults at the first bad byte", () => {
  const as = new AddressSpace(1 << 24);
  const a = as.mmap(0x100000, PAGE_SIZE, PROT_READ, { name: "", fixed: true });
  as.check(a, PAGE_SIZE, "read");
  let e = assertThrows(() => as.check(a + PAGE_SIZE - 2, 4, "read"), GuestMemoryError);
  assertEquals([e.addr, e.permission], [a + PAGE_SIZE, false]);
  e = assertThrows(() => as.check(a + 8, 4, "write"), GuestMemoryError);
  assertEquals([e.addr, e.permission], [a + 8, true]);
  e = assertThrows(() => as.check(-16, 4, "read"), GuestMemoryError);
  assertEquals(e.addr, -16);
  e = assertThrows(() => as.check(2 ** 40, 1, "exec"), GuestMemoryError);
  assertEquals(e.access, "exec");
});

Deno.test("writing nothing is no access, wherever it points", () => {
  // A system call that writes zero bytes to an address outside the space (mincore of a negative length, pselect6's
  // empty sets, rt_sigpending of size 0) ended plume with "internal error: offset is out of bounds".
  const as = new AddressSpace(1 << 24);
  for (const addr of [-100, 2 ** 32, 1 << 24, 2 ** 53]) as.writeBytes(addr, new Uint8Array(0));
  assertThrows(() => as.writeBytes(-100, new Uint8Array(1)), GuestMemoryError);
});

Deno.test("mprotect of every other page of one mapping: 100,000 splits, in place, the list sorted and whole", () => {
  // A guest did this: plume ran ever slower, then overflowed its stack putting the rebuilt list back.
  const mem = new AddressSpace(1 << 30);
  const pages = 100_000;
  const at = mem.mmap(0, pages * 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, { name: "many" });
  for (let i = 0; i < pages; i++) assert(mem.mprotect(at + i * 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ));
  assertEquals(mem.mappings.length, 2 * pages);
  for (let i = 1; i < mem.mappings.length; i++) assert(mem.mappings[i - 1].end <= mem.mappings[i].start);
  assertEquals(mem.pages[at / PAGE_SIZE + 1] & PROT_WRITE, PROT_WRITE);
  mem.munmap(at, pages * 2 * PAGE_SIZE);
  assertEquals(mem.mappings.length, 0);
});

Deno.test("munmap and mprotect split mappings and update page flags", () => {
  const as = new AddressSpace(1 << 24);
  const a = as.mmap(0x200000, 4 * PAGE_SIZE, RW, { name: "f", offset: 0 });
  as.mprotect(a + PAGE_SIZE, PAGE_SIZE, PROT_READ);
  as.munmap(a + 2 * PAGE_SIZE, PAGE_SIZE);
  assertEquals(as.mappings.map((m) => [m.start - a, m.end - a, m.prot, m.offset]), [
    [0, PAGE_SIZE, RW, 0],
    [PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ, PAGE_SIZE],
    [3 * PAGE_SIZE, 4 * PAGE_SIZE, RW, 3 * PAGE_SIZE],
  ]);
  assertEquals(as.pages[(a >>> 12) + 1], PAGE_MAPPED | PROT_READ);
  assertEquals(as.pages[(a >>> 12) + 2], 0);
  assertEquals(as.mprotect(a, 4 * PAGE_SIZE, RW), false);
});

Deno.test("writes to pages holding translated code call onCodeChange once and clear the flag", () => {
  const as = new AddressSpace(1 << 24);
  const a = as.mmap(0x300000, 2 * PAGE_SIZE, RW | PROT_EXEC, { name: "" });
  const seen: number[][] = [];
  as.onCodeChange = (f, l) => seen.push([f, l]);
  as.pages[a >>> 12] |= PAGE_CODE;
  as.writeBytes(a + PAGE_SIZE, new Uint8Array([1]));
  assertEquals(seen, []);
  as.writeBytes(a + 4, new Uint8Array([1, 2]));
  assertEquals(seen, [[a >>> 12, a >>> 12]]);
  assert((as.pages[a >>> 12] & PAGE_CODE) === 0);
  as.pages[a >>> 12] |= PAGE_CODE;
  as.mprotect(a, PAGE_SIZE, PROT_READ);
  assertEquals(seen.length, 2);
});

Deno.test("readCString reads across pages and stops at NUL", () => {
  const as = new AddressSpace(1 << 24);
  const a = as.mmap(0x400000, 2 * PAGE_SIZE, RW, { name: "" });
  const s = "x".repeat(PAGE_SIZE + 10);
  as.writeBytes(a, new TextEncoder().encode(s + "\0"));
  assertEquals(as.readCString(a, 3 * PAGE_SIZE), s);
  assertThrows(() => as.readCString(a, 100), RangeError);
});

Deno.test("copy gives the child every page with contents, whether or not the host backs its neighbours", () => {
  const as = new AddressSpace();
  const stack = as.mmap(0, 2048 * PAGE_SIZE, RW, { name: "[stack]" }); // mostly never touched, as a stack
  const data = as.mmap(0, 16 * PAGE_SIZE, RW, { name: "" });
  const code = as.mmap(0, 4 * PAGE_SIZE, PROT_READ | PROT_EXEC, { name: "" });
  as.u8[stack + 2047 * PAGE_SIZE + 4095] = 1;
  as.u8[stack + 5] = 2;
  for (let p = 0; p < 16; p++) if (p % 3 === 0) as.u8[data + p * PAGE_SIZE + p] = 10 + p;
  as.u8.fill(0xcc, code, code + 4 * PAGE_SIZE);
  as.u8[data + 4 * PAGE_SIZE]; // read, never written: backed by the host (its zero page) and still zero
  const c = as.copy();
  for (const [at, len] of [[stack, 2048], [data, 16], [code, 4]]) {
    const end = at + len * PAGE_SIZE;
    assertEquals(c.u8.subarray(at, end), as.u8.subarray(at, end));
    assertEquals(c.pages.subarray(at / PAGE_SIZE, end / PAGE_SIZE), as.pages.subarray(at / PAGE_SIZE, end / PAGE_SIZE));
  }
  assertEquals(c.mappings, as.mappings);
  c.release();
  as.release();
});

Deno.test("a released space's memories serve a later one: all zeros, nothing mapped; the released one is empty", () => {
  const spaces: AddressSpace[] = [];
  // More than are ever made new in a row, so that some of these reuse a released space's memories.
  for (let k = 0; k < 12; k++) {
    const as = new AddressSpace();
    assertEquals(as.mappings.length, 0);
    for (const s of spaces) assert(s.buffer !== as.buffer, "a live space's memory was handed out again");
    // Nothing of an earlier owner shows: flags, contents and what a new mapping finds.
    assertEquals(as.pages.findIndex((f) => f !== 0), -1);
    const a = as.mmap(0x10000000, 64 * PAGE_SIZE, RW, { name: "", fixed: true });
    assertEquals(a, 0x10000000);
    assertEquals(as.u8.subarray(a, a + 64 * PAGE_SIZE).findIndex((b) => b !== 0), -1);
    as.u8.fill(0xab, a, a + 64 * PAGE_SIZE);
    as.mmap(0x20000000, PAGE_SIZE, PROT_READ | PROT_EXEC, { name: "", fixed: true });
    as.pages[0x20000000 / PAGE_SIZE] |= PAGE_CODE;
    spaces.push(as);
    if (spaces.length === 3) {
      const done = spaces.shift()!;
      done.release();
      done.release(); // twice is once
      assertEquals(done.mappings.length, 0);
    }
  }
});
