/**
 * Memory system calls: the program break (`brk`), mappings (`mmap`,
 * `munmap`, `mprotect`, `mremap`), advice and syncing (`madvise`, `msync`),
 * locking (accepted, nothing to lock) and `riscv_flush_icache`.
 *
 * File mappings are copies of the file's pages made at `mmap` time;
 * `MAP_SHARED` ones are kept coherent with the file by `SharedMappings`.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { type AddressSpace, PAGE_MASK, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { E, SyscallError } from "./errno.ts";
import { HostFile, MAX_RW_COUNT } from "./open_file.ts";
import type { Process } from "./process.ts";
import { MADVISE_ADVICE, MLOCKALL_FLAGS, MMAP_FLAGS, MMAP_PROT } from "./strace.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** `mmap` flag: share changes with the file. */
const MAP_SHARED = 0x01;
/** `mmap` flag: private copy-on-write mapping. */
const MAP_PRIVATE = 0x02;
/** `mmap` type: shared, with unknown flags refused. */
const MAP_SHARED_VALIDATE = 0x03;
/** `mmap` flag: place exactly at the address, replacing what is there. */
const MAP_FIXED = 0x10;
/** `mmap` flag: no file. */
const MAP_ANONYMOUS = 0x20;
/** `mmap` flag: place exactly at the address, failing if it is in use. */
const MAP_FIXED_NOREPLACE = 0x100000;

const PROT_SEM = 0x8;
const PROT_GROWSDOWN = 0x0100_0000;
const PROT_GROWSUP = 0x0200_0000;

/** Flags Linux knows (`LEGACY_MAP_MASK` and the newer ones), for `MAP_SHARED_VALIDATE`. */
const KNOWN_MAP_FLAGS = 0x3 | MAP_FIXED | MAP_ANONYMOUS | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 |
  0x20000 | 0x40000 | MAP_FIXED_NOREPLACE | 0x80000 | 0x4000000 | (0x3f << 26);

function pageUp(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

function isPageAligned(n: number): boolean {
  return n >= 0 && n % PAGE_SIZE === 0;
}

/** True when every page of `[addr, addr+len)` is mapped (inside the address space). */
function allMapped(mem: AddressSpace, addr: number, len: number): boolean {
  if (addr + len > mem.size) return false;
  for (let p = addr; p < addr + len; p += PAGE_SIZE) if ((mem.pages[p >>> 12] & 8) === 0) return false;
  return true;
}

/**
 * End of the region Linux would see as one mapping around `addr`: plume's
 * address space does not merge adjacent mappings, Linux merges those with
 * the same protection and kind.
 */
function vmaEnd(mem: AddressSpace, addr: number): number {
  let m = mem.findMapping(addr);
  if (m === undefined) return addr;
  for (;;) {
    const next = mem.findMapping(m.end);
    if (next === undefined || next.start !== m.end || next.prot !== m.prot || next.name !== m.name) return m.end;
    m = next;
  }
}

/** Unmaps `[addr, addr+len)`, writing shared file pages back first. */
function unmap(proc: Process, addr: number, len: number): void {
  const end = Math.min(addr + len, proc.mem.size);
  if (end <= addr) return;
  proc.sharedMaps.remove(proc.mem, addr, end - addr);
  proc.mem.munmap(addr, end - addr);
}

function sysBrk(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const want = a[0];
  const mem = proc.mem;
  // Linux returns the current break for a request below the start of the heap (including 0).
  if (want < proc.brkStart || want >= mem.size) return proc.brk;
  const oldTop = pageUp(proc.brk), newTop = pageUp(want);
  if (newTop > oldTop) {
    if (!mem.isFree(oldTop, newTop - oldTop)) return proc.brk;
    mem.mmap(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE, { name: "[heap]", fixed: true });
  } else if (newTop < oldTop) {
    unmap(proc, newTop, oldTop - newTop);
  }
  // Like qemu: the heap grows zero-filled, also within the last partial page.
  if (want > proc.brk) {
    mem.u8.fill(0, proc.brk, Math.min(want, oldTop));
    mem.noteWrite(proc.brk, Math.min(want, oldTop) - proc.brk);
  }
  proc.brk = want;
  return want;
}

/** Copies `len` bytes of `file` from `offset` into freshly mapped memory at `addr`; stops at end of file. */
function loadFile(proc: Process, file: HostFile, addr: number, len: number, offset: number): void {
  let done = 0;
  while (done < len) {
    const n = file.pread(proc.mem.u8.subarray(addr + done, addr + Math.min(len, done + MAX_RW_COUNT)), offset + done);
    if (n <= 0) break;
    done += n;
  }
}

function sysMmap(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const hint = a[0], prot = a[2] | 0, flags = a[3] | 0, fd = a[4] | 0, offset = a[5];
  const mem = proc.mem;
  const type = flags & 0xf;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) {
    throw new SyscallError(E.EINVAL, `Bad mapping type ${type}`);
  }
  if (type === MAP_SHARED_VALIDATE && flags & ~KNOWN_MAP_FLAGS) {
    throw new SyscallError(E.EOPNOTSUPP, `Unknown flags 0x${flags.toString(16)}`);
  }
  // Protection bits beyond read, write, execute and PROT_SEM (qemu's validate_prot_to_pageflags, as Linux's).
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) {
    throw new SyscallError(E.EINVAL, `Unknown protection 0x${prot.toString(16)}`);
  }
  const shared = type !== MAP_PRIVATE;
  if (a[1] === 0) throw new SyscallError(E.EINVAL, "Zero length");
  if (a[1] < 0 || a[1] > 2 ** 47) throw new SyscallError(E.ENOMEM, `Length ${a[1]} too large`);
  const len = pageUp(a[1]);
  // The offset's low bits as Linux sees them, as an unsigned number (a negative one may be aligned: it overflows below).
  if (offset % PAGE_SIZE !== 0) throw new SyscallError(E.EINVAL, `Unaligned offset ${offset}`);
  const exact = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
  if (exact && hint % PAGE_SIZE !== 0) throw new SyscallError(E.EINVAL, `Unaligned address 0x${hint.toString(16)}`);

  let file: HostFile | undefined;
  if (!(flags & MAP_ANONYMOUS)) {
    const f = proc.fds.opened(fd);
    // /dev/zero maps as anonymous memory.
    if (!(f instanceof HostFile && (f.kind === "reg" || f.kind === "blk" || f.path === "/dev/zero"))) {
      throw new SyscallError(E.ENODEV, `fd ${fd} cannot be mapped`);
    }
    if (!f.readable) throw new SyscallError(E.EACCES, `fd ${fd} is not open for reading`);
    if (shared && prot & PROT_WRITE && !f.writable) {
      throw new SyscallError(E.EACCES, `Shared writable mapping of read-only fd ${fd}`);
    }
    if (f.kind !== "chr") file = f;
  }
  // A file's pages past the largest offset (a negative offset too): Linux's file_mmap_ok.
  if (file && (offset < 0 || offset + len > 2 ** 63)) throw new SyscallError(E.EOVERFLOW, `Offset ${offset} overflows`);

  const p = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
  // An anonymous mapping's offset means nothing (Linux shows 0 for it, and ignores one that is negative).
  const name = file ? file.path : "", at = file ? offset : 0;
  let addr: number;
  if (exact) {
    if (hint < 0 || hint + len > mem.size - PAGE_SIZE || hint < 0x10000) {
      throw new SyscallError(E.ENOMEM, `0x${hint.toString(16)} is outside the address space`);
    }
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && !mem.isFree(hint, len)) {
      throw new SyscallError(E.EEXIST, `0x${hint.toString(16)} is in use`);
    }
    proc.sharedMaps.remove(mem, hint, len);
    addr = mem.mmap(hint, len, p, { name, offset: at, fixed: true });
  } else {
    const h = hint > 0 && hint < mem.size ? hint - (hint % PAGE_SIZE) : 0;
    addr = mem.mmap(h, len, p, { name, offset: at });
  }
  if (addr < 0) throw new SyscallError(E.ENOMEM, `No room for ${len} bytes`);
  if (file) {
    try {
      loadFile(proc, file, addr, len, offset);
    } catch (err) {
      mem.munmap(addr, len);
      throw err;
    }
    if (shared) proc.sharedMaps.add(addr, len, file, offset);
  }
  return addr;
}

function sysMunmap(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const addr = a[0];
  if (!isPageAligned(addr)) throw new SyscallError(E.EINVAL, `Unaligned address 0x${addr.toString(16)}`);
  if (a[1] <= 0) throw new SyscallError(E.EINVAL, `Bad length ${a[1]}`);
  // As Linux: a range past the largest user address is EINVAL (plume unmapped the whole space, stack included).
  if (addr > TASK_SIZE || a[1] > TASK_SIZE - addr) {
    throw new SyscallError(E.EINVAL, `Range past 0x${TASK_SIZE.toString(16)}`);
  }
  unmap(proc, addr, pageUp(a[1]));
  return 0;
}

/** The end of a riscv64 process's address space (Linux's under Sv48, qemu's on an x86_64 host): what `munmap` may reach. */
const TASK_SIZE = 2 ** 47;

function sysMprotect(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const addr = a[0], prot = a[2] | 0;
  if (!isPageAligned(addr)) throw new SyscallError(E.EINVAL, `Unaligned address 0x${addr.toString(16)}`);
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)) {
    throw new SyscallError(E.EINVAL, `Bad protection 0x${prot.toString(16)}`);
  }
  if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) === (PROT_GROWSDOWN | PROT_GROWSUP)) throw new SyscallError(E.EINVAL);
  if (a[1] < 0) throw new SyscallError(E.ENOMEM);
  const len = pageUp(a[1]);
  if (len === 0) return 0;
  if (!allMapped(proc.mem, addr, len)) throw new SyscallError(E.ENOMEM, `Range at 0x${addr.toString(16)} not mapped`);
  // A shared mapping of a file opened read-only cannot become writable: its writes would never reach the file.
  if (prot & PROT_WRITE && proc.sharedMaps.readOnlyWithin(addr, len)) {
    throw new SyscallError(E.EACCES, `A shared mapping at 0x${addr.toString(16)} of a file not open for writing`);
  }
  proc.mem.mprotect(addr, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
  return 0;
}

const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const MREMAP_DONTUNMAP = 4;

/** Moves the mapping `[old, old+oldLen)` to `dst` (grown or shrunk to `newLen`), keeping its contents. */
function moveMapping(proc: Process, old: number, oldLen: number, newLen: number, dst: number): number {
  const mem = proc.mem;
  const m = mem.findMapping(old)!;
  const placed = mem.mmap(dst, newLen, m.prot, { name: m.name, offset: m.offset + (old - m.start), fixed: true });
  if (placed < 0) throw new SyscallError(E.ENOMEM);
  mem.u8.copyWithin(placed, old, old + Math.min(oldLen, newLen));
  mem.noteWrite(placed, Math.min(oldLen, newLen));
  unmap(proc, old, oldLen);
  return placed;
}

function sysMremap(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const old = a[0], flags = a[3] | 0, newAddr = a[4];
  const mem = proc.mem;
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) {
    throw new SyscallError(E.EINVAL, "MREMAP_FIXED without MAYMOVE");
  }
  if (flags & MREMAP_DONTUNMAP) throw new SyscallError(E.EINVAL, "MREMAP_DONTUNMAP is not supported");
  if (!isPageAligned(old)) throw new SyscallError(E.EINVAL, `Unaligned address 0x${old.toString(16)}`);
  if (a[1] < 0 || a[2] <= 0 || a[2] > 2 ** 47) throw new SyscallError(E.EINVAL, `Bad sizes ${a[1]}, ${a[2]}`);
  const oldLen = pageUp(a[1]), newLen = pageUp(a[2]);
  const m = mem.findMapping(old);
  if (oldLen === 0 || m === undefined || old + oldLen > vmaEnd(mem, old)) {
    throw new SyscallError(E.EFAULT, `0x${old.toString(16)}+${oldLen} is not one mapping`);
  }
  if (flags & MREMAP_FIXED) {
    if (!isPageAligned(newAddr)) throw new SyscallError(E.EINVAL, `Unaligned target 0x${newAddr.toString(16)}`);
    if (newAddr < old + oldLen && old < newAddr + newLen) throw new SyscallError(E.EINVAL, "Overlapping move");
    if (newAddr + newLen > mem.size - PAGE_SIZE) throw new SyscallError(E.ENOMEM);
    unmap(proc, newAddr, newLen);
    return moveMapping(proc, old, oldLen, newLen, newAddr);
  }
  if (newLen <= oldLen) {
    unmap(proc, old + newLen, oldLen - newLen);
    return old;
  }
  const tail = old + oldLen;
  if (mem.isFree(tail, newLen - oldLen)) {
    mem.mmap(tail, newLen - oldLen, m.prot, { name: m.name, offset: m.offset + (tail - m.start), fixed: true });
    return old;
  }
  if (!(flags & MREMAP_MAYMOVE)) throw new SyscallError(E.ENOMEM, "Cannot grow in place");
  const dst = mem.findFree(newLen);
  if (dst < 0) throw new SyscallError(E.ENOMEM, `No room for ${newLen} bytes`);
  return moveMapping(proc, old, oldLen, newLen, dst);
}

const MADV_DONTNEED = 4;
/** Advice values Linux 6.x accepts. */
const KNOWN_ADVICE = new Set([0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);

function sysMadvise(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const addr = a[0], advice = a[2] | 0;
  if (!isPageAligned(addr)) throw new SyscallError(E.EINVAL, `Unaligned address 0x${addr.toString(16)}`);
  if (!KNOWN_ADVICE.has(advice)) throw new SyscallError(E.EINVAL, `Unknown advice ${advice}`);
  if (a[1] < 0) throw new SyscallError(E.EINVAL);
  const len = pageUp(a[1]);
  if (len === 0) return 0;
  if (!allMapped(proc.mem, addr, len)) throw new SyscallError(E.ENOMEM, `Range at 0x${addr.toString(16)} not mapped`);
  if (advice === MADV_DONTNEED) {
    // Private memory reads back as zeros; shared file pages keep the file's contents.
    proc.sharedMaps.flushRange(proc.mem, addr, len);
    proc.mem.zero(addr, len);
    proc.mem.noteWrite(addr, len);
    proc.sharedMaps.refreshRange(proc.mem, addr, len);
  }
  return 0;
}

const MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;

function sysMsync(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const addr = a[0], flags = a[2] | 0;
  if (!isPageAligned(addr)) throw new SyscallError(E.EINVAL, `Unaligned address 0x${addr.toString(16)}`);
  if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) || (flags & MS_ASYNC && flags & MS_SYNC)) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  if (a[1] < 0) throw new SyscallError(E.ENOMEM);
  const len = pageUp(a[1]);
  if (len === 0) return 0;
  if (!allMapped(proc.mem, addr, len)) throw new SyscallError(E.ENOMEM, `Range at 0x${addr.toString(16)} not mapped`);
  proc.sharedMaps.flushRange(proc.mem, addr, len);
  return 0;
}

/** `mlock`/`munlock`: checks the range; there is nothing to lock. */
function lockRange(proc: Process, addr: number, size: number): number {
  if (size < 0 || addr < 0) throw new SyscallError(E.EINVAL);
  const start = addr - (addr & PAGE_MASK);
  const len = pageUp(size + (addr - start));
  if (len === 0) return 0;
  if (!allMapped(proc.mem, start, len)) throw new SyscallError(E.ENOMEM, `Range at 0x${start.toString(16)} not mapped`);
  return 0;
}

const MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;

function sysMlockall(_proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const flags = a[0] | 0;
  if (flags === 0 || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || flags === MCL_ONFAULT) {
    throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  }
  return 0;
}

function sysMlock2(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  if (a[2] & ~1) throw new SyscallError(E.EINVAL, `Bad flags ${a[2]}`);
  return lockRange(proc, a[0], a[1]);
}

function sysRiscvFlushIcache(_proc: Process, _cpu: Cpu, a: readonly number[]): number {
  // Stores into translated code already invalidate it (PAGE_CODE); nothing else is cached.
  if (a[2] & ~1) throw new SyscallError(E.EINVAL, `Bad flags ${a[2]}`);
  return 0;
}

/** Memory system calls. */
export const MEM_SYSCALLS: readonly SyscallDef[] = [
  def("brk", sysBrk, { args: ["ptr"], ret: "addr" }),
  def("mmap", sysMmap, {
    args: ["ptr", "d", { flags: MMAP_PROT }, { flags: MMAP_FLAGS }, "d", "x"],
    ret: "addr",
  }),
  def("munmap", sysMunmap, { args: ["ptr", "d"] }),
  def("mprotect", sysMprotect, { args: ["ptr", "d", { flags: MMAP_PROT }] }),
  def("mremap", sysMremap),
  def("madvise", sysMadvise, { args: ["ptr", "d", { enums: MADVISE_ADVICE }] }),
  def("msync", sysMsync),
  def("mlock", (p, _c, a) => lockRange(p, a[0], a[1]), { args: ["p", "lu"] }),
  def("munlock", (p, _c, a) => lockRange(p, a[0], a[1]), { args: ["p", "lu"] }),
  def("mlockall", sysMlockall, { args: [{ flags: MLOCKALL_FLAGS }] }),
  def("munlockall", () => 0, { args: [] }),
  def("mlock2", sysMlock2),
  // qemu 7.2 handles this call before its strace hook: it prints no line for it.
  def("riscv_flush_icache", sysRiscvFlushIcache, { hidden: true }),
];
