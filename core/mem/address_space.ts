/**
 * The guest's virtual address space: one `SharedArrayBuffer` mapped one to one
 * at guest address 0, a flag byte per 4 KiB page, and the list of mappings
 * (what `/proc/self/maps` shows).
 *
 * Why one flat buffer: translated code turns a guest address into a typed-array
 * index with no translation step, and other threads (plugins, future vCPU
 * workers) can share the buffer. Why at most 2 GiB: V8 keeps typed-array
 * accesses fast only while the index is below 2^31 (measured: a byte load at
 * index 2^31 + x is 40× slower than at a low index). Untouched pages of the
 * buffer cost no host memory.
 *
 * Page 0 (and the first 64 KiB, as Linux's `mmap_min_addr`) is never mapped:
 * the translator's fast path relies on it to catch addresses that wrap around
 * 2^32 (see `core/jit/memory_access.ts`).
 *
 * @module
 */

import { hostPages } from "./host_pages.ts";

/** log2 of the guest page size. */
export const PAGE_SHIFT = 12;
/** Guest page size in bytes (what `AT_PAGESZ` reports). */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Mask of the offset within a page. */
export const PAGE_MASK = PAGE_SIZE - 1;

/** Page may be read (same value as Linux `PROT_READ`). */
export const PROT_READ = 1;
/** Page may be written (same value as Linux `PROT_WRITE`). */
export const PROT_WRITE = 2;
/** Page may be executed (same value as Linux `PROT_EXEC`). */
export const PROT_EXEC = 4;
/** Page flag: the page is mapped (a `PROT_NONE` mapping has only this bit). */
export const PAGE_MAPPED = 8;
/** Page flag: translated code was made from this page; writes must invalidate it. */
export const PAGE_CODE = 16;

/** Lowest address a mapping may start at (Linux's default `mmap_min_addr`). */
export const MMAP_MIN_ADDR = 0x10000;
/** Default size of the guest address space: 2 GiB (the largest that stays fast). */
const DEFAULT_ADDRESS_SPACE_SIZE = 0x8000_0000;

/** WebAssembly's page size: memories are multiples of it. */
const WASM_PAGE_SIZE = 65536;

/** One mapping, as `/proc/self/maps` lists it. */
export interface Mapping {
  /** First address of the mapping (page aligned). */
  start: number;
  /** One past the last address (page aligned). */
  end: number;
  /** `PROT_*` bits. */
  prot: number;
  /** What it maps: a file path, `[heap]`, `[stack]`, or `""` for anonymous memory. */
  name: string;
  /** File offset of `start` for file mappings. */
  offset: number;
}

/** The kind of access that faulted. */
export type AccessKind = "read" | "write" | "exec";

/**
 * A guest access to memory that is unmapped or lacks the needed permission.
 * The CPU loop turns it into SIGSEGV; system calls turn it into `-EFAULT`.
 */
export class GuestMemoryError extends Error {
  /** Faulting guest address (exact, may exceed the address space). */
  readonly addr: number;
  /** What the guest tried to do. */
  readonly access: AccessKind;
  /** True when the page is mapped but the access is not permitted (SEGV_ACCERR). */
  readonly permission: boolean;
  /**
   * @param addr faulting address
   * @param access kind of access
   * @param permission true for a permission fault, false for an unmapped page
   */
  constructor(addr: number, access: AccessKind, permission: boolean) {
    super(`Guest ${access} at 0x${addr.toString(16)}: ${permission ? "permission denied" : "unmapped"}`);
    this.name = "GuestMemoryError";
    this.addr = addr;
    this.access = access;
    this.permission = permission;
  }
}

const ACCESS_PROT: Record<AccessKind, number> = { read: PROT_READ, write: PROT_WRITE, exec: PROT_EXEC };

function pageAlignUp(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

const textDecoder = new TextDecoder();

/** The memories of an address space, kept for the next one of its size once its process ended ({@link AddressSpace.release}). */
interface SpareMemories {
  size: number;
  guest: WebAssembly.Memory;
  flags: WebAssembly.Memory;
  /** Its `everMapped`, cleared. */
  everMapped: Uint8Array;
}
/**
 * Memories of ended processes, their pages given back to the host, for the
 * next address spaces made (a `fork`'s): each new 2 GiB memory counts as
 * external memory until V8 collects it, and made V8 run a full collection
 * at nearly every `fork` of a shell's loop of subshells (a third of its
 * time).
 */
const spares: SpareMemories[] = [];
/** How many spare memories are kept (each costs address space only). */
const MAX_SPARES = 4;
/**
 * One address space in this many is made new all the same: V8 collects
 * old objects only under pressure, and that of a new memory is what makes
 * it collect the ended processes' own (about 0.4 MiB of heap each, which
 * piled up to 250 MB of RSS in 200 subshells with every memory reused; one
 * in 8: 100 MB, as before the spares, and 1.2 against 1.0 s).
 */
const FRESH_EVERY = 8;
let spacesMade = 0;

/**
 * A guest address space.
 *
 * @example Map a page, write to it and read it back
 * ```ts
 * import { AddressSpace, PROT_READ, PROT_WRITE } from "./address_space.ts";
 * import { deepStrictEqual } from "node:assert";
 * const as = new AddressSpace(1 << 24);
 * const a = as.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "" });
 * as.writeBytes(a, new Uint8Array([1, 2, 3]));
 * deepStrictEqual(as.readBytes(a, 3), new Uint8Array([1, 2, 3]));
 * ```
 */
export class AddressSpace {
  /** Size of the address space in bytes (a multiple of the page size, at most 2 GiB). */
  readonly size: number;
  /** The guest memory. */
  readonly buffer: SharedArrayBuffer;
  /**
   * The guest memory as WebAssembly sees it (its buffer is {@link buffer}),
   * for the WebAssembly tier; undefined when the size is not a multiple of
   * WebAssembly's 64 KiB page.
   */
  readonly wasmMemory: WebAssembly.Memory | undefined;
  /** The memory of {@link pages}, for the WebAssembly tier (with {@link wasmMemory}). */
  readonly pagesMemory: WebAssembly.Memory | undefined;
  /** Byte view (unsigned). */
  readonly u8: Uint8Array;
  /** Byte view (signed). */
  readonly i8: Int8Array;
  /** Halfword view (unsigned), index = address >> 1. */
  readonly u16: Uint16Array;
  /** Halfword view (signed), index = address >> 1. */
  readonly i16: Int16Array;
  /** Word view, index = address >> 2. */
  readonly i32: Int32Array;
  /** Unaligned access for slow paths and system calls. */
  readonly view: DataView;
  /** Per-page flags: `PROT_*`, `PAGE_MAPPED`, `PAGE_CODE`. Indexed by `address >>> PAGE_SHIFT`. */
  readonly pages: Uint8Array;
  /** Per page: 1 once it has ever been mapped (its contents may be non-zero). */
  private readonly everMapped: Uint8Array;
  /** Mappings sorted by address, never overlapping; adjacent ones are not merged. */
  readonly mappings: Mapping[] = [];
  /** Set by {@link release}. */
  private released = false;
  /** Top of the area where `mmap` places mappings without a hint (grows down). */
  mmapBase: number;
  /**
   * Called when guest memory holding translated code is written, unmapped or
   * loses `PROT_EXEC`, with the affected page range `[firstPage, lastPage]`.
   */
  onCodeChange: (firstPage: number, lastPage: number) => void = () => {};
  /**
   * Told of every write to guest memory that is checked ({@link check} for
   * `"write"`, `before` true: nothing is written yet) or noted
   * ({@link noteWrite}, `before` false): how `-record` finds what a system
   * call wrote. Undefined (no cost but the test) otherwise.
   */
  writeTap: ((addr: number, len: number, before: boolean) => void) | undefined = undefined;

  /**
   * @param size address space size in bytes (page multiple, at most 2 GiB)
   */
  constructor(size: number = DEFAULT_ADDRESS_SPACE_SIZE) {
    if (size % PAGE_SIZE !== 0 || size <= MMAP_MIN_ADDR || size > DEFAULT_ADDRESS_SPACE_SIZE) {
      throw new RangeError(`Address space size must be a page multiple in (64 KiB, 2 GiB], got ${size}`);
    }
    this.size = size;
    // Shared, so that the plugin side and other views see the same bytes; of fixed size, so that its
    // buffer never changes.
    const wasmPages = size % WASM_PAGE_SIZE === 0 ? size / WASM_PAGE_SIZE : 0;
    const fresh = ++spacesMade % FRESH_EVERY === 0;
    const spareAt = wasmPages && !fresh ? spares.findIndex((m) => m.size === size) : -1;
    const spare = spareAt < 0 ? undefined : spares.splice(spareAt, 1)[0];
    this.wasmMemory = spare?.guest ??
      (wasmPages ? new WebAssembly.Memory({ initial: wasmPages, maximum: wasmPages, shared: true }) : undefined);
    this.buffer = this.wasmMemory ? this.wasmMemory.buffer as SharedArrayBuffer : new SharedArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.i8 = new Int8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i16 = new Int16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.view = new DataView(this.buffer);
    // Twice the pages of a 4 GiB space, so that any 32-bit address shifted
    // right by PAGE_SHIFT indexes a flag (zero = unmapped) without a bounds check.
    const flagPages = (1 << (32 - PAGE_SHIFT)) / WASM_PAGE_SIZE;
    this.pagesMemory = spare?.flags ??
      (this.wasmMemory ? new WebAssembly.Memory({ initial: flagPages, maximum: flagPages }) : undefined);
    this.pages = this.pagesMemory ? new Uint8Array(this.pagesMemory.buffer) : new Uint8Array(1 << (32 - PAGE_SHIFT));
    this.everMapped = spare?.everMapped ?? new Uint8Array(size >>> PAGE_SHIFT);
    this.mmapBase = size - PAGE_SIZE;
  }

  /**
   * A copy of this address space, as `fork` gives the child: the same
   * mappings, permissions and contents (pages that are all zero are not
   * copied, so untouched reservations cost nothing). No page of the copy
   * holds translated code yet.
   *
   * @example
   * ```ts
   * import { AddressSpace, PROT_READ, PROT_WRITE } from "./address_space.ts";
   * import { strictEqual } from "node:assert";
   * const a = new AddressSpace(1 << 24);
   * const p = a.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "" });
   * a.writeBytes(p, new Uint8Array([7]));
   * const b = a.copy();
   * b.writeBytes(p, new Uint8Array([8]));
   * strictEqual(a.readBytes(p, 1)[0], 7); // the copy's write does not reach the original
   * strictEqual(b.readBytes(p, 1)[0], 8);
   * ```
   */
  copy(): AddressSpace {
    const c = new AddressSpace(this.size);
    c.mmapBase = this.mmapBase;
    const words = PAGE_SIZE >> 2, src = this.i32, host = hostPages();
    let backed = new Uint8Array(0);
    for (const m of this.mappings) {
      c.mappings.push({ ...m });
      const first = m.start >>> PAGE_SHIFT, count = (m.end >>> PAGE_SHIFT) - first;
      // A page the host never backed holds zeros: not even read (reading would make the host map it).
      if (backed.length < count) backed = new Uint8Array(count);
      const known = host !== null && host.backed(this.u8, m.start, count, backed);
      for (let p = first; p < first + count; p++) {
        c.pages[p] = this.pages[p] & ~PAGE_CODE;
        if (known && backed[p - first] === 0) continue;
        const at = p * words, end = at + words;
        let w = at;
        while (w < end && (src[w] | src[w + 1] | src[w + 2] | src[w + 3]) === 0) w += 4;
        if (w === end) continue;
        c.i32.set(src.subarray(at, end), at);
        // Only pages with contents need zeroing when mapped again (after execve, a new stack is where they lie).
        c.everMapped[p] = 1;
      }
    }
    return c;
  }

  /**
   * Gives this space's pages back to the host, and its memories to the
   * next address space of its size, when its process has ended: nothing may
   * use this object afterwards (its views would see the next owner's
   * memory). Where the host cannot take pages back (no FFI), the memories
   * wait for V8's collector as before.
   */
  release(): void {
    const guest = this.wasmMemory, flags = this.pagesMemory, host = hostPages();
    if (this.released) return;
    this.released = true;
    this.mappings.length = 0;
    if (guest === undefined || flags === undefined || host === null) return;
    if (!host.discard(this.u8, 0, this.size) || !host.discard(this.pages, 0, this.pages.length)) return;
    if (spares.length < MAX_SPARES) spares.push({ size: this.size, guest, flags, everMapped: this.everMapped.fill(0) });
  }

  /** True when `[addr, addr+len)` lies entirely inside the address space. */
  inRange(addr: number, len: number): boolean {
    return Number.isInteger(addr) && addr >= 0 && len >= 0 && addr + len <= this.size;
  }

  /**
   * Whether every byte of `[addr, addr+len)` allows `access` (so that
   * {@link check} would not throw): for a caller that has a fast path for
   * a whole range and a slow one that faults at the right byte.
   */
  allows(addr: number, len: number, access: AccessKind): boolean {
    if (!this.inRange(addr, len)) return false;
    const need = ACCESS_PROT[access], last = (addr + len - 1) >>> PAGE_SHIFT;
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) if ((this.pages[p] & need) === 0) return false;
    return true;
  }

  /**
   * Checks that every byte of `[addr, addr+len)` allows `access`, or throws
   * {@link GuestMemoryError} naming the first byte that does not.
   */
  check(addr: number, len: number, access: AccessKind): void {
    if (len === 0) return;
    const need = ACCESS_PROT[access];
    if (!this.inRange(addr, len)) {
      // The first byte outside the space is the one that faults.
      throw new GuestMemoryError(addr < 0 || addr >= this.size ? addr : this.size, access, false);
    }
    const last = (addr + len - 1) >>> PAGE_SHIFT;
    for (let p = addr >>> PAGE_SHIFT; p <= last; p++) {
      const f = this.pages[p];
      if ((f & need) === 0) {
        const at = p === addr >>> PAGE_SHIFT ? addr : p << PAGE_SHIFT;
        throw new GuestMemoryError(at, access, (f & PAGE_MAPPED) !== 0);
      }
    }
    if (access === "write" && this.writeTap !== undefined) this.writeTap(addr, len, true);
  }

  /**
   * Marks a guest write to `[addr, addr+len)` (or its unmapping, or the loss
   * of `PROT_EXEC`): invalidates translated code there.
   */
  noteWrite(addr: number, len: number): void {
    if (len === 0) return;
    if (this.writeTap !== undefined) this.writeTap(addr, len, false);
    const first = addr >>> PAGE_SHIFT, last = (addr + len - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      if (this.pages[p] & PAGE_CODE) {
        this.clearCodeFlags(first, last);
        this.onCodeChange(first, last);
        return;
      }
    }
  }

  private clearCodeFlags(first: number, last: number): void {
    for (let p = first; p <= last; p++) this.pages[p] &= ~PAGE_CODE;
  }

  /** Copies `len` guest bytes out, checking read permission. */
  readBytes(addr: number, len: number): Uint8Array {
    this.check(addr, len, "read");
    return this.u8.slice(addr, addr + len);
  }

  /** Copies bytes into guest memory, checking write permission. */
  writeBytes(addr: number, data: Uint8Array): void {
    // Nothing to write is no access, wherever it points (a zero-length buffer outside the space made `set` throw).
    if (data.length === 0) return;
    this.check(addr, data.length, "write");
    this.u8.set(data, addr);
    this.noteWrite(addr, data.length);
  }

  /**
   * A view of guest memory (no copy) after checking `access` for the range;
   * when the caller writes through it, it must call {@link noteWrite}.
   */
  bytes(addr: number, len: number, access: AccessKind): Uint8Array {
    this.check(addr, len, access);
    return this.u8.subarray(addr, addr + len);
  }

  /** Reads a NUL-terminated string (UTF-8) of at most `max` bytes. */
  readCString(addr: number, max = 4096): string {
    return textDecoder.decode(this.readCStringBytes(addr, max));
  }

  /** Reads the bytes of a NUL-terminated string, without the NUL. */
  readCStringBytes(addr: number, max = 4096): Uint8Array {
    let end = addr;
    for (;;) {
      this.check(end, 1, "read");
      // Scan the rest of this page in one go.
      const pageEnd = Math.min((end | PAGE_MASK) + 1, addr + max);
      const i = this.u8.subarray(end, pageEnd).indexOf(0);
      if (i >= 0) return this.u8.slice(addr, end + i);
      end = pageEnd;
      if (end >= addr + max) throw new RangeError(`String at 0x${addr.toString(16)} is longer than ${max} bytes`);
    }
  }

  /** Reads an unsigned 32-bit little-endian value. */
  readU32(addr: number): number {
    this.check(addr, 4, "read");
    return this.view.getUint32(addr, true);
  }

  /** Reads a 64-bit little-endian value. */
  readU64(addr: number): bigint {
    this.check(addr, 8, "read");
    return this.view.getBigUint64(addr, true);
  }

  /** Writes a 32-bit little-endian value. */
  writeU32(addr: number, value: number): void {
    this.check(addr, 4, "write");
    this.view.setUint32(addr, value >>> 0, true);
    this.noteWrite(addr, 4);
  }

  /** Writes a 64-bit little-endian value (taken modulo 2^64). */
  writeU64(addr: number, value: bigint): void {
    this.check(addr, 8, "write");
    this.view.setBigUint64(addr, BigInt.asUintN(64, value), true);
    this.noteWrite(addr, 8);
  }

  // ---- mappings --------------------------------------------------------

  /** The mapping containing `addr`, if any. */
  findMapping(addr: number): Mapping | undefined {
    for (const m of this.mappings) if (addr >= m.start && addr < m.end) return m;
    return undefined;
  }

  /** True when no page of `[addr, addr+len)` is mapped. */
  isFree(addr: number, len: number): boolean {
    if (addr < MMAP_MIN_ADDR || addr + len > this.size - PAGE_SIZE) return false;
    for (const m of this.mappings) if (m.start < addr + len && addr < m.end) return false;
    return true;
  }

  /**
   * Finds a free page-aligned range of `len` bytes: at `hint` if that is free,
   * otherwise the highest free range below {@link mmapBase} (Linux's top-down
   * layout). Returns -1 when nothing fits.
   */
  findFree(len: number, hint = 0): number {
    len = pageAlignUp(len);
    if (hint && hint % PAGE_SIZE === 0 && this.isFree(hint, len)) return hint;
    let top = this.mmapBase;
    for (let i = this.mappings.length - 1; i >= -1; i--) {
      const m = i >= 0 ? this.mappings[i] : undefined;
      const gapStart = m ? m.end : MMAP_MIN_ADDR;
      if (m && m.start >= top) continue;
      const start = Math.min(top, this.mmapBase) - len;
      if (start >= gapStart && start >= MMAP_MIN_ADDR) return start;
      if (m) top = Math.min(top, m.start);
    }
    return -1;
  }

  /**
   * Maps `[addr, addr+len)` with `prot`, replacing whatever was there, and
   * zero-fills it. With `addr` 0 a free range is chosen. Returns the address,
   * or -1 when no room is left.
   */
  mmap(addr: number, len: number, prot: number, opts: { name: string; offset?: number; fixed?: boolean }): number {
    len = pageAlignUp(len);
    if (len === 0) return -1;
    if (!opts.fixed) {
      addr = this.findFree(len, addr);
      if (addr < 0) return -1;
    } else if (addr % PAGE_SIZE !== 0 || addr < MMAP_MIN_ADDR || addr + len > this.size - PAGE_SIZE) {
      return -1;
    }
    this.munmap(addr, len);
    this.zero(addr, len);
    const m: Mapping = { start: addr, end: addr + len, prot, name: opts.name, offset: opts.offset ?? 0 };
    this.insertMapping(m);
    this.setPageFlags(addr, len, prot);
    return addr;
  }

  /**
   * Zero-fills `[addr, addr+len)` (page aligned), skipping pages that were
   * never mapped: those are still zero, and writing them would make the host
   * allocate memory the guest may never touch (an 8 MiB stack, say).
   */
  zero(addr: number, len: number): void {
    const first = addr >>> PAGE_SHIFT, end = (addr + len) >>> PAGE_SHIFT;
    let run = -1;
    for (let p = first; p <= end; p++) {
      const dirty = p < end && this.everMapped[p] !== 0;
      if (dirty && run < 0) run = p;
      if (!dirty && run >= 0) {
        this.u8.fill(0, run << PAGE_SHIFT, p << PAGE_SHIFT);
        run = -1;
      }
    }
  }

  /** Unmaps every page of `[addr, addr+len)`; unmapped pages are ignored. */
  munmap(addr: number, len: number): void {
    len = pageAlignUp(len);
    const end = addr + len;
    this.replaceMappings(addr, end, (m, out) => {
      if (m.start < addr) out.push({ ...m, end: addr });
      if (m.end > end) out.push({ ...m, start: end, offset: m.offset + (end - m.start) });
    });
    this.noteWrite(addr, len);
    this.pages.fill(0, addr >>> PAGE_SHIFT, end >>> PAGE_SHIFT);
  }

  /**
   * Replaces the mappings that overlap `[addr, end)` by what `split` makes
   * of each (the list is sorted by address, so they are one run of it), in
   * place: the others stay where they are. Rebuilding the whole list at
   * each call, and putting it back with one `splice` of all of it as
   * arguments, made a guest's `mprotect` of every other page of a mapping
   * ever slower (20,000 calls: 5.6 s) until the spread overflowed the stack
   * (100,000: "internal error: Maximum call stack size exceeded" after 88 s).
   */
  private replaceMappings(addr: number, end: number, split: (m: Mapping, out: Mapping[]) => void): void {
    const list = this.mappings, lo = this.firstEndingAfter(addr);
    const out: Mapping[] = [];
    let last = lo;
    for (; last < list.length && list[last].start < end; last++) split(list[last], out);
    if (out.length <= 64) {
      list.splice(lo, last - lo, ...out);
    } else {
      // Not spread into one call: its arguments would be as many as the mappings.
      const tail = list.splice(last);
      list.length = lo;
      for (const m of out) list.push(m);
      for (const m of tail) list.push(m);
    }
  }

  /**
   * Changes the protection of `[addr, addr+len)`. Returns false (Linux:
   * `ENOMEM`) when part of the range is not mapped.
   */
  mprotect(addr: number, len: number, prot: number): boolean {
    len = pageAlignUp(len);
    const end = addr + len;
    for (let p = addr; p < end; p += PAGE_SIZE) {
      if ((this.pages[p >>> PAGE_SHIFT] & PAGE_MAPPED) === 0) return false;
    }
    this.replaceMappings(addr, end, (m, out) => {
      const s = Math.max(m.start, addr), e = Math.min(m.end, end);
      if (m.start < s) out.push({ ...m, end: s });
      out.push({ ...m, start: s, end: e, prot, offset: m.offset + (s - m.start) });
      if (m.end > e) out.push({ ...m, start: e, offset: m.offset + (e - m.start) });
    });
    if ((prot & PROT_EXEC) === 0) this.noteWrite(addr, len);
    this.setPageFlags(addr, len, prot);
    return true;
  }

  /** Renames the mapping(s) covering `[addr, addr+len)` (for `[heap]` and `[stack]`). */
  setName(addr: number, len: number, name: string): void {
    for (const m of this.mappings) if (m.start >= addr && m.end <= addr + len) m.name = name;
  }

  /**
   * The pages' flags for `prot`. A writable page is readable too, as
   * Linux's riscv `protection_map` makes a `PROT_WRITE`-only mapping (and
   * QEMU runs it): the mapping itself keeps the protection asked for.
   */
  private setPageFlags(addr: number, len: number, prot: number): void {
    const readable = prot & PROT_WRITE ? PROT_READ : 0;
    const flags = PAGE_MAPPED | readable | (prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
    const first = addr >>> PAGE_SHIFT, last = (addr + len) >>> PAGE_SHIFT;
    this.everMapped.fill(1, first, last);
    for (let p = first; p < last; p++) this.pages[p] = flags | (this.pages[p] & PAGE_CODE);
  }

  /** The index of the first mapping that ends after `addr` (the list is sorted and its mappings do not overlap). */
  private firstEndingAfter(addr: number): number {
    const list = this.mappings;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Puts `m` in its place in the list: nothing is mapped where it goes (`mmap` unmapped it first). */
  private insertMapping(m: Mapping): void {
    this.mappings.splice(this.firstEndingAfter(m.start), 0, m);
  }
}
