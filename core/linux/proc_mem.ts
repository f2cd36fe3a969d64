/**
 * `/proc/PID/mem` of a guest process: its address space as a file, the
 * offset being the address, as Linux's `mem_rw` makes it. Reads and writes
 * reach every mapped page whatever its protection (Linux forces the access,
 * as a debugger needs to plant breakpoints in code), stop at the first page
 * that is not mapped (`EIO` when that is the first), and a write into
 * translated code drops its translations. As Linux's, it is the memory of
 * the image it was opened on: once the process has ended or run `execve`,
 * reads and writes reach nothing (0), and a write never goes through a
 * shared mapping the guest may not write (Linux's `check_vma_flags`: only
 * a private copy may be forced).
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

import { type AddressSpace, PAGE_MAPPED, PAGE_SHIFT, PAGE_SIZE, PROT_WRITE } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { OpenFile, procfsStat, SEEK_CUR, SEEK_SET } from "./open_file.ts";
import type { Process } from "./process.ts";
import type { FileStat } from "./stat.ts";

/** The guest memory of `proc` as a file (`/proc/PID/mem`). */
export class ProcMemFile extends OpenFile {
  private offset = 0;
  private readonly created = BigInt(Date.now()) * 1_000_000n;

  /**
   * @param proc the process whose memory it is
   * @param flags open flags
   * @param path the name the kernel gives it (`/proc/PID/mem`)
   */
  constructor(
    private readonly proc: Process,
    flags: number,
    path: string,
    /** The address space and image it is the memory of: the process's now, unless opened again. */
    private readonly mem: AddressSpace = proc.mem,
    private readonly execs: number = proc.execs,
  ) {
    super(flags, path);
  }

  /** The same file opened again (`/proc/self/fd/N`): the same image's memory, with `flags`. */
  reopen(flags: number): ProcMemFile {
    return new ProcMemFile(this.proc, flags, this.path, this.mem, this.execs);
  }

  /** Whether that image is still the process's (a space ended or exec'd may hold another process's memory now). */
  private current(): boolean {
    return this.proc.exitStatus === null && this.proc.execs === this.execs && this.proc.mem === this.mem;
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
    if (!this.current()) return 0;
    const n = this.reachable(pos, dst.length, false);
    dst.set(this.mem.u8.subarray(pos, pos + n));
    return n;
  }

  override pwrite(src: Uint8Array, pos: number): number {
    if (!this.current()) return 0;
    const n = this.reachable(pos, src.length, true);
    this.mem.u8.set(src.subarray(0, n), pos);
    this.mem.noteWrite(pos, n);
    return n;
  }

  /**
   * How many of the `len` bytes from `pos` lie on pages it may reach,
   * counting from `pos`: mapped ones, for a write not a shared mapping
   * without `PROT_WRITE`. `EIO` when none does (Linux's answer for a first
   * page it cannot reach), 0 for nothing asked.
   */
  private reachable(pos: number, len: number, write: boolean): number {
    if (len === 0) return 0;
    const mem = this.mem, shared = this.proc.sharedMaps;
    let n = 0;
    while (n < len && pos + n < mem.size) {
      const page = (pos + n) >>> PAGE_SHIFT, flags = mem.pages[page];
      if ((flags & PAGE_MAPPED) === 0) break;
      if (write && (flags & PROT_WRITE) === 0 && shared.overlaps(page * PAGE_SIZE, PAGE_SIZE)) break;
      n = Math.min(len, ((pos + n) & ~(PAGE_SIZE - 1)) + PAGE_SIZE - pos);
    }
    if (n === 0) throw new SyscallError(E.EIO, `Nothing to reach at ${pos} in /proc/${this.proc.pid}/mem`);
    return n;
  }

  override seek(offset: number, whence: number): number {
    // Any address: Linux's mem_lseek takes SEEK_SET and SEEK_CUR only.
    if (whence === SEEK_SET) return this.offset = Math.max(0, offset);
    if (whence === SEEK_CUR) return this.offset = Math.max(0, this.offset + offset);
    throw new SyscallError(E.EINVAL, `Bad whence ${whence} for /proc/PID/mem`);
  }

  stat(): FileStat {
    // Its owner alone may read and write it.
    return procfsStat(0o600, this.proc.creds.uid.effective, this.proc.creds.gid.effective, this.created);
  }
}
