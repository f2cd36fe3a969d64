/**
 * `/proc/PID/mem` of a guest process: its address space as a file, the
 * offset being the address, as Linux's `mem_rw` makes it. Reads and writes
 * reach every mapped page whatever its protection (Linux forces the access,
 * as a debugger needs to plant breakpoints in code), stop at the first page
 * that is not mapped (`EIO` when that is the first), and a write into
 * translated code drops its translations.
 *
 * Why plume makes it: the host's file of that name is Deno's own memory.
 * A guest that wrote into it (with the addresses the host's
 * `/proc/self/smaps` gave) overwrote plume's code and killed plume.
 *
 * @example
 * ```ts
 * import { ProcMemFile } from "./proc_mem.ts";
 * import { Process } from "./process.ts";
 * import { AddressSpace, PROT_READ } from "../mem/address_space.ts";
 * import { O_RDWR } from "./open_file.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 24));
 * const at = proc.mem.mmap(0, 4096, PROT_READ, { name: "data" });
 * const mem = new ProcMemFile(proc, O_RDWR, "/proc/1/mem");
 * strictEqual(mem.pwrite(new Uint8Array([7]), at), 1); // forced: the page is read-only
 * strictEqual(proc.mem.u8[at], 7);
 * ```
 *
 * @module
 */

import { PAGE_MAPPED, PAGE_SHIFT, PAGE_SIZE } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { OpenFile, SEEK_CUR, SEEK_SET } from "./open_file.ts";
import type { Process } from "./process.ts";
import { type FileStat, S_IFREG } from "./stat.ts";

/** The guest memory of `proc` as a file (`/proc/PID/mem`). */
export class ProcMemFile extends OpenFile {
  private offset = 0;
  private readonly created = BigInt(Date.now()) * 1_000_000n;

  /**
   * @param proc the process whose memory it is
   * @param flags open flags
   * @param path the name the kernel gives it (`/proc/PID/mem`)
   */
  constructor(private readonly proc: Process, flags: number, path: string) {
    super(flags, path);
  }

  read(dst: Uint8Array): number {
    const n = this.pread(dst, this.offset);
    this.offset += n;
    return n;
  }

  write(src: Uint8Array): number {
    const n = this.pwrite(src, this.offset);
    this.offset += n;
    return n;
  }

  override seekable(): boolean {
    return true;
  }

  override pread(dst: Uint8Array, pos: number): number {
    const n = this.mappedFrom(pos, dst.length);
    dst.set(this.proc.mem.u8.subarray(pos, pos + n));
    return n;
  }

  override pwrite(src: Uint8Array, pos: number): number {
    const mem = this.proc.mem;
    const n = this.mappedFrom(pos, src.length);
    mem.u8.set(src.subarray(0, n), pos);
    mem.noteWrite(pos, n);
    return n;
  }

  /**
   * How many of the `len` bytes from `pos` lie on mapped pages, counting
   * from `pos`: `EIO` when none does (Linux's answer for a first page it
   * cannot reach), 0 for nothing asked.
   */
  private mappedFrom(pos: number, len: number): number {
    if (len === 0) return 0;
    const mem = this.proc.mem;
    let n = 0;
    while (n < len && pos + n < mem.size && (mem.pages[(pos + n) >>> PAGE_SHIFT] & PAGE_MAPPED) !== 0) {
      n = Math.min(len, ((pos + n) & ~(PAGE_SIZE - 1)) + PAGE_SIZE - pos);
    }
    if (n === 0) throw new SyscallError(E.EIO, `No mapping at ${pos} in /proc/${this.proc.pid}/mem`);
    return n;
  }

  override seek(offset: number, whence: number): number {
    // Any address: Linux's mem_lseek takes SEEK_SET and SEEK_CUR only.
    if (whence === SEEK_SET) return this.offset = Math.max(0, offset);
    if (whence === SEEK_CUR) return this.offset = Math.max(0, this.offset + offset);
    throw new SyscallError(E.EINVAL, `Bad whence ${whence} for /proc/PID/mem`);
  }

  stat(): FileStat {
    // As procfs shows it: a regular file of size 0 its owner alone may read and write.
    return {
      dev: 0x16n,
      ino: 1n,
      mode: S_IFREG | 0o600,
      nlink: 1,
      uid: this.proc.creds.uid.effective,
      gid: this.proc.creds.gid.effective,
      rdev: 0n,
      size: 0n,
      blksize: 1024,
      blocks: 0n,
      atimeNs: this.created,
      mtimeNs: this.created,
      ctimeNs: this.created,
      birthtimeNs: null,
    };
  }
}
