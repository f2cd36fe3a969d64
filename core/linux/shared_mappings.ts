/**
 * `MAP_SHARED` file mappings kept coherent with their files.
 *
 * Guest memory is one flat buffer, so a shared mapping is a copy of the
 * file's pages. plume keeps the copy and the file in agreement at the
 * points where a difference could be seen through system calls: dirty
 * pages are written back before the file is read, on `msync`, on `munmap`
 * and at exit; a write to the file through a descriptor is copied into the
 * mapped pages, and what one mapping writes back into the other mappings
 * of the file. Two mappings of the same file are not kept in agreement
 * with each other between those points.
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import { fileIdentity, type OpenFile } from "./open_file.ts";

/** One shared file mapping. */
interface SharedMapping {
  /** First guest address. */
  start: number;
  /** Length in bytes (page multiple). */
  length: number;
  /** The mapped file (referenced while mapped). */
  file: OpenFile;
  /** File offset of `start`. */
  offset: number;
  /** Identity of the file (`dev:ino`). */
  key: string;
}

/**
 * The shared file mappings of a process.
 *
 * @example
 * ```ts
 * import { SharedMappings } from "./shared_mappings.ts";
 * import { strictEqual } from "node:assert";
 * const maps = new SharedMappings();
 * strictEqual(maps.size, 0);
 * ```
 */
export class SharedMappings {
  private maps: SharedMapping[] = [];

  /** Number of mappings. */
  get size(): number {
    return this.maps.length;
  }

  /** Records a new mapping of `file` (taking a reference to it). */
  add(start: number, length: number, file: OpenFile, offset: number): void {
    file.retain();
    this.maps.push({ start, length, file, offset, key: fileIdentity(file) });
  }

  /** Writes the mapped bytes of `m` within `[lo, hi)` back where they differ from the file. */
  private writeBack(mem: AddressSpace, m: SharedMapping, lo: number, hi: number): void {
    // Without write access the guest cannot have changed the pages (mprotect refuses PROT_WRITE).
    if (!m.file.writable) return;
    const size = Number(m.file.stat().size);
    const from = Math.max(lo, m.start), to = Math.min(hi, m.start + m.length, m.start + size - m.offset);
    if (to <= from) return;
    const fileBytes = new Uint8Array(to - from);
    const n = m.file.pread(fileBytes, m.offset + (from - m.start));
    const cur = mem.u8.subarray(from, to);
    // Only differing runs are written, so an untouched mapping leaves the file's mtime alone.
    let i = 0;
    while (i < cur.length) {
      if (i < n && cur[i] === fileBytes[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j < cur.length && !(j < n && cur[j] === fileBytes[j])) j++;
      const pos = m.offset + (from - m.start) + i;
      m.file.writeBack(cur.slice(i, j), pos);
      // The other mappings of the file show what it holds now: else a stale copy (a second, read-only mapping)
      // differed from the file and was written back over these bytes, and the guest's write was lost.
      this.copyToOthers(mem, m, pos, j - i);
      i = j;
    }
  }

  /** Copies `[pos, pos+len)` of `m`'s file into its other mappings. */
  private copyToOthers(mem: AddressSpace, m: SharedMapping, pos: number, len: number): void {
    for (const o of this.maps) {
      if (o === m || o.key !== m.key) continue;
      const lo = Math.max(pos, o.offset), hi = Math.min(pos + len, o.offset + o.length);
      if (hi <= lo) continue;
      mem.u8.copyWithin(o.start + (lo - o.offset), m.start + (lo - m.offset), m.start + (hi - m.offset));
      mem.noteWrite(o.start + (lo - o.offset), hi - lo);
    }
  }

  /**
   * Whether a shared mapping within `[addr, addr+len)` maps a file whose
   * descriptor was not open for writing: `mprotect` may not make it
   * writable (Linux: no `VM_MAYWRITE`, EACCES).
   */
  readOnlyWithin(addr: number, len: number): boolean {
    return this.maps.some((m) => m.start < addr + len && addr < m.start + m.length && !m.file.writable);
  }

  /** Whether any shared mapping overlaps `[addr, addr+len)`. */
  overlaps(addr: number, len: number): boolean {
    return this.maps.some((m) => m.start < addr + len && addr < m.start + m.length);
  }

  /** `msync`: writes back the mappings overlapping `[addr, addr+len)`. */
  flushRange(mem: AddressSpace, addr: number, len: number): void {
    for (const m of this.maps) {
      if (m.start < addr + len && addr < m.start + m.length) this.writeBack(mem, m, addr, addr + len);
    }
  }

  /** Writes back every mapping of `file`'s file, before the file is read. */
  syncFile(mem: AddressSpace, file: OpenFile): void {
    if (this.maps.length === 0) return;
    const key = fileIdentity(file);
    for (const m of this.maps) if (m.key === key) this.writeBack(mem, m, m.start, m.start + m.length);
  }

  /** Copies `[pos, pos+len)` of `file` into the mappings showing it, after the file was written. */
  refreshFile(mem: AddressSpace, file: OpenFile, pos: number, len: number): void {
    if (this.maps.length === 0) return;
    const key = fileIdentity(file);
    for (const m of this.maps) {
      if (m.key !== key) continue;
      const lo = Math.max(pos, m.offset), hi = Math.min(pos + len, m.offset + m.length);
      if (hi <= lo) continue;
      const buf = new Uint8Array(hi - lo);
      const n = m.file.pread(buf, lo);
      mem.u8.set(buf.subarray(0, n), m.start + (lo - m.offset));
      mem.noteWrite(m.start + (lo - m.offset), n);
    }
  }

  /** Reloads the file pages of the mappings overlapping `[addr, addr+len)` (after they were discarded). */
  refreshRange(mem: AddressSpace, addr: number, len: number): void {
    for (const m of this.maps) {
      const lo = Math.max(addr, m.start), hi = Math.min(addr + len, m.start + m.length);
      if (hi <= lo) continue;
      const n = m.file.pread(mem.u8.subarray(lo, hi), m.offset + (lo - m.start));
      mem.noteWrite(lo, n);
    }
  }

  /** Writes back and forgets the parts of mappings inside `[addr, addr+len)` (before it is unmapped). */
  remove(mem: AddressSpace, addr: number, len: number): void {
    const end = addr + len;
    const kept: SharedMapping[] = [];
    for (const m of this.maps) {
      const mEnd = m.start + m.length;
      if (mEnd <= addr || m.start >= end) {
        kept.push(m);
        continue;
      }
      this.writeBack(mem, m, addr, end);
      if (m.start < addr) {
        m.file.retain();
        kept.push({ ...m, length: addr - m.start });
      }
      if (mEnd > end) {
        m.file.retain();
        kept.push({ ...m, start: end, length: mEnd - end, offset: m.offset + (end - m.start) });
      }
      m.file.drop();
    }
    this.maps = kept;
  }

  /** Writes back and forgets every mapping (at exit). */
  removeAll(mem: AddressSpace): void {
    for (const m of [...this.maps]) this.remove(mem, m.start, m.length);
  }
}
