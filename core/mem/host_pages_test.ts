import { assert, assertEquals } from "../../tests/assert.ts";
import { hostPages } from "./host_pages.ts";

const PAGE = 4096;
/** The tests run with every permission on Linux x86-64, where the host's pages must be known. */
const expected = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
/** With transparent huge pages always on, a page written may back its neighbours too: exact lists cannot hold. */
const hugeAlways = (() => {
  try {
    return Deno.readTextFileSync("/sys/kernel/mm/transparent_hugepage/enabled").includes("[always]");
  } catch {
    return false;
  }
})();

/** The pages `out` marks backed, which must be `want` (or include them, with huge pages). */
function assertBacked(out: Uint8Array, want: number[]): void {
  const got = [...out.keys()].filter((p) => out[p] === 1);
  if (hugeAlways) assert(want.every((p) => got.includes(p)), `${want} not all in ${got}`);
  else assertEquals(got, want);
}

Deno.test("backed finds the pages written to and only those; discard gives them back as zeros", () => {
  const h = hostPages();
  assertEquals(h !== null, expected);
  if (h === null) return;
  const u8 = new Uint8Array(new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true }).buffer);
  const written = [1, 2, 17, 300, 1023];
  for (const p of written) u8[p * PAGE + 123] = p & 0xff || 1;
  const out = new Uint8Array(1024).fill(7);
  assert(h.backed(u8, 0, 1024, out));
  assertBacked(out, written);
  assert(out.every((v) => v === 0 || v === 1));
  // From an offset, over a part of the memory, through a view that starts inside the buffer (offsets are the
  // buffer's, whatever the view).
  const view = u8.subarray(16 * PAGE);
  const part = new Uint8Array(4);
  assert(h.backed(view, 17 * PAGE, 4, part)); // pages 17–20
  assertBacked(part, [0]);
  // Ranges outside the buffer, or unaligned, are refused.
  assertEquals(h.backed(u8, 1, 1, part), false);
  assertEquals(h.backed(u8, 1023 * PAGE, 2, part), false);
  assertEquals(h.backed(u8, 0, 5, part), false);

  assert(h.discard(u8, 2 * PAGE, 16 * PAGE)); // pages 2–17
  assert(h.backed(u8, 0, 1024, out));
  assertBacked(out, [1, 300, 1023]);
  assertEquals(u8[2 * PAGE + 123], 0); // (reading maps the page again, as zeros)
  assertEquals(u8[17 * PAGE + 123], 0);
  assertEquals(u8[PAGE + 123], 1); // outside the range: kept
  assertEquals(u8[300 * PAGE + 123], 300 & 0xff);
  assertEquals(h.discard(u8, 0, 0), false);
  assertEquals(h.discard(u8, 100, PAGE), false);
});

Deno.test("backed reads past its chunk of pagemap entries", () => {
  const h = hostPages();
  if (h === null) return;
  const pages = 3 * 4096 + 5; // three chunks and a bit
  const u8 = new Uint8Array(
    new WebAssembly.Memory({ initial: Math.ceil(pages / 16), shared: true, maximum: 1024 }).buffer,
  );
  const written = [0, 4095, 4096, 8191, 8192, pages - 1];
  for (const p of written) u8[p * PAGE] = 1;
  const out = new Uint8Array(pages);
  assert(h.backed(u8, 0, pages, out));
  assertBacked(out, written);
});
