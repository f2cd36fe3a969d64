/**
 * What the host knows about the pages of guest memory: which ones it backs
 * (`/proc/self/pagemap`: a frame or a swap slot), and giving pages back to
 * it (`madvise(MADV_DONTNEED)`: they read as zeros afterwards). Both need
 * Linux on a host of 4 KiB pages (the guest's size: x86-64 here) and FFI for
 * the memory's address; without them {@link hostPages} is null and callers
 * do without (a `fork` then looks at every mapped page, and an ended
 * process's memory waits for V8's collector).
 *
 * Why: a `fork` copies the pages of its parent that hold something, and
 * finding them read every mapped page (a shell's 8 MiB stack, mostly never
 * touched, was most of a subshell's copy); and each process's 2 GiB memory,
 * given up only by a full collection, made V8 run one per `fork`.
 *
 * @module
 */

/** A guest page, and the host's on the hosts this module works on. */
const PAGE = 4096;
/** `MADV_DONTNEED` (Linux's `asm-generic/mman-common.h`). */
const MADV_DONTNEED = 4;
/** pagemap entry bits: the page is in a frame, or in swap. */
const PRESENT = 1n << 63n, SWAPPED = 1n << 62n;
/** Pages read from pagemap at once. */
const CHUNK = 4096;

/** The host's pages of typed arrays' memory (see the module's comment). */
export interface HostPages {
  /**
   * Sets `out[i]` to 1 when the host backs page `i` of the `count` pages
   * from byte `offset` of `u8`'s buffer (the page may hold something other
   * than zeros), else 0. False when it could not find out (`out` is then
   * not to be used).
   */
  backed(u8: Uint8Array, offset: number, count: number, out: Uint8Array): boolean;
  /** Gives the pages of `[offset, offset+len)` of `u8`'s buffer back to the host; false when it refused. */
  discard(u8: Uint8Array, offset: number, len: number): boolean;
}

let pages: HostPages | null | undefined;

/**
 * The host's pages, or null where they cannot be known (not Linux x86-64,
 * no FFI or `/proc` access).
 *
 * @example
 * ```ts
 * import { hostPages } from "./host_pages.ts";
 * import { deepStrictEqual } from "node:assert";
 * const h = hostPages();
 * const u8 = new Uint8Array(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
 * u8[4096] = 1;
 * const out = new Uint8Array(16);
 * if (h !== null && h.backed(u8, 0, 16, out)) {
 *   deepStrictEqual([out[0], out[1]], [0, 1]); // page 0 was never touched, page 1 was
 *   h.discard(u8, 0, u8.length);
 *   deepStrictEqual(u8[4096], 0);
 * }
 * ```
 */
export function hostPages(): HostPages | null {
  if (pages === undefined) pages = open();
  return pages;
}

/** `madvise` from the host C library (bound here: `core/linux/host_libc.ts` is a layer above guest memory). */
const SYMBOLS = { madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" } } as const;
/** The library handle, kept so that it is never collected while its function is in use. */
let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

function open(): HostPages | null {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return null;
  let c: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
  try {
    library = Deno.dlopen("libc.so.6", SYMBOLS);
    c = library.symbols;
  } catch {
    return null; // no FFI permission, or no glibc
  }
  let pagemap: Deno.FsFile;
  try {
    pagemap = Deno.openSync("/proc/self/pagemap");
  } catch {
    return null;
  }
  const entries = new BigUint64Array(CHUNK), bytes = new Uint8Array(entries.buffer);
  /** The host address of byte `offset` of `u8`'s buffer. */
  const address = (u8: Uint8Array, offset: number) =>
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(u8))) - BigInt(u8.byteOffset) + BigInt(offset);
  const pages: HostPages = {
    backed(u8, offset, count, out) {
      if (offset % PAGE !== 0 || offset + count * PAGE > u8.buffer.byteLength || count > out.length) return false;
      try {
        const first = address(u8, offset) / BigInt(PAGE);
        for (let done = 0; done < count;) {
          const n = Math.min(CHUNK, count - done);
          pagemap.seekSync((first + BigInt(done)) * 8n, Deno.SeekMode.Start);
          for (let got = 0; got < n * 8;) {
            const r = pagemap.readSync(bytes.subarray(got, n * 8));
            if (r === null || r === 0) return false;
            got += r;
          }
          for (let i = 0; i < n; i++) out[done + i] = entries[i] & (PRESENT | SWAPPED) ? 1 : 0;
          done += n;
        }
        return true;
      } catch {
        return false;
      }
    },
    discard(u8, offset, len) {
      if (offset % PAGE !== 0 || len <= 0 || offset + len > u8.buffer.byteLength) return false;
      try {
        return c.madvise(Deno.UnsafePointer.create(address(u8, offset)), BigInt(len), MADV_DONTNEED) === 0;
      } catch {
        return false;
      }
    },
  };
  return worksOnSharedMemory(pages) ? pages : null;
}

/**
 * Whether both calls do what callers rely on for a shared WebAssembly
 * memory (V8 makes it private anonymous memory today; were it shared
 * memory, a discarded page would keep its contents, and a memory used again
 * would show its last process's data): a written page is backed, and reads
 * zeros once discarded.
 */
function worksOnSharedMemory(pages: HostPages): boolean {
  const u8 = new Uint8Array(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
  const out = new Uint8Array(2);
  u8[PAGE] = 1;
  if (!pages.backed(u8, 0, 2, out) || out[1] !== 1) return false;
  return pages.discard(u8, PAGE, PAGE) && u8[PAGE] === 0;
}
