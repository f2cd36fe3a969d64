/**
 * Reading a RISC-V Linux guest's memory from a synchronous callback: its
 * bytes a page at a time, the ELF images mapped in it (program headers,
 * where an image lies), and a process's initial stack (argv and the
 * auxiliary vector). What the built-ins `drcov` and `_calltrace.ts`
 * (`uftrace`, `callgrind`) share to find the program, its interpreter and
 * its libraries. Not a plugin itself (no `qemu_plugin_install`).
 *
 * @module
 */

import { qemu_plugin_read_memory_vaddr } from "qemu-plugin";

/** The guest's page size. */
const PAGE = 4096;

/** Auxiliary vector entries (`<linux/auxvec.h>`). */
export const AT = { NULL: 0, PHDR: 3, PHNUM: 5, BASE: 7, ENTRY: 9 } as const;

/** Program header types and flags (`<elf.h>`). */
export const PT_DYNAMIC = 2;
const PT_LOAD = 1, PT_INTERP = 3, PF_X = 1;

/** Bound on the arguments an initial stack may make this read. */
const MAX_ARGS = 1 << 16;

/**
 * Guest memory read a page at a time, each page once, within one
 * synchronous callback (the only place guest memory can be read): make one
 * per callback, since the guest changes its memory between them.
 */
export class GuestMemory {
  private pages = new Map<number, Uint8Array | null>();

  private page(addr: number): Uint8Array | null {
    const page = addr - addr % PAGE;
    let bytes = this.pages.get(page);
    if (bytes === undefined) {
      bytes = qemu_plugin_read_memory_vaddr(page, PAGE);
      this.pages.set(page, bytes);
    }
    return bytes;
  }

  /** `len` bytes at `addr`, or null when any of them is unreadable. */
  read(addr: number, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    for (let done = 0; done < len;) {
      const at = addr + done, bytes = this.page(at);
      if (!bytes) return null;
      const off = at % PAGE, n = Math.min(len - done, PAGE - off);
      out.set(bytes.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** The unsigned 64-bit word at `addr` as a number (guest addresses are below 2^53), or null. */
  u64(addr: number): number | null {
    const b = this.read(addr, 8);
    return b && Number(new DataView(b.buffer).getBigUint64(0, true));
  }

  /** The NUL-terminated string at `addr` (at most 4 KiB), or null. */
  string(addr: number): string | null {
    const chars: number[] = [];
    for (let i = 0; i < PAGE; i++) {
      const bytes = this.page(addr + i);
      if (!bytes) return null;
      const b = bytes[(addr + i) % PAGE];
      if (b === 0) return new TextDecoder().decode(new Uint8Array(chars));
      chars.push(b);
    }
    return null;
  }
}

/** A program header. */
export interface Segment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  memsz: number;
}

/** The `phnum` program headers at `phdr`, or null when unreadable. */
export function readSegments(mem: GuestMemory, phdr: number, phnum: number): Segment[] | null {
  const ph = mem.read(phdr, phnum * 56);
  if (!ph) return null;
  const p = new DataView(ph.buffer);
  return Array.from({ length: phnum }, (_, i) => ({
    type: p.getUint32(i * 56, true),
    flags: p.getUint32(i * 56 + 4, true),
    offset: Number(p.getBigUint64(i * 56 + 8, true)),
    vaddr: Number(p.getBigUint64(i * 56 + 16, true)),
    memsz: Number(p.getBigUint64(i * 56 + 40, true)),
  }));
}

/** Where an ELF image mapped in guest memory lies, from its headers. */
export interface ElfImage {
  /** Lowest mapped address (page-aligned). */
  base: number;
  /** End of the highest segment. */
  end: number;
  /** The image's load bias (its addresses in the file plus this are where they are). */
  bias: number;
  /** Its entry point. */
  entry: number;
  /** Where its program headers are, and how many. */
  phdr: number;
  phnum: number;
  /** The interpreter its `PT_INTERP` names, if any. */
  interp: string | undefined;
  /** Whether a segment is executable. */
  hasCode: boolean;
}

/**
 * The 64-bit little-endian ELF image whose header is at `header` (its
 * segment mapped from file offset 0 holds the program headers too, as
 * linkers lay them out), or null.
 */
export function readImage(mem: GuestMemory, header: number): ElfImage | null {
  const eh = mem.read(header, 64);
  if (!eh || eh[0] !== 0x7f || eh[1] !== 0x45 || eh[2] !== 0x4c || eh[3] !== 0x46 || eh[4] !== 2 || eh[5] !== 1) {
    return null;
  }
  const e = new DataView(eh.buffer);
  const entry = Number(e.getBigUint64(24, true)), phoff = Number(e.getBigUint64(32, true));
  const phentsize = e.getUint16(54, true), phnum = e.getUint16(56, true);
  if (phentsize !== 56 || phnum === 0) return null;
  const segments = readSegments(mem, header + phoff, phnum);
  const loads = segments?.filter((s) => s.type === PT_LOAD) ?? [];
  const first = loads.find((s) => s.offset === 0);
  if (!first) return null;
  const bias = header - first.vaddr, lowest = Math.min(...loads.map((s) => s.vaddr));
  const interp = segments!.find((s) => s.type === PT_INTERP);
  return {
    base: bias + lowest - lowest % PAGE,
    end: bias + Math.max(...loads.map((s) => s.vaddr + s.memsz)),
    bias,
    entry: bias + entry,
    phdr: header + phoff,
    phnum,
    interp: interp ? mem.string(bias + interp.vaddr) ?? undefined : undefined,
    hasCode: loads.some((s) => s.flags & PF_X),
  };
}

/** The arguments and the auxiliary vector on a process's initial stack at `sp` (argc, argv, envp, auxv). */
export function readInitialStack(mem: GuestMemory, sp: number): { auxv: Map<number, number>; argv: string[] } {
  const auxv = new Map<number, number>(), argv: string[] = [];
  const argc = mem.u64(sp);
  if (argc === null || argc > MAX_ARGS) return { auxv, argv };
  for (let i = 0; i < argc; i++) {
    const p = mem.u64(sp + 8 * (i + 1));
    argv.push((p ? mem.string(p) : null) ?? "");
  }
  let at = sp + 8 * (argc + 2);
  while (mem.u64(at)) at += 8;
  for (at += 8;; at += 16) {
    const type = mem.u64(at), value = mem.u64(at + 8);
    if (type === null || value === null || type === AT.NULL) break;
    auxv.set(type, value);
  }
  return { auxv, argv };
}

/** RISC-V Linux system call numbers {@link LoadFollower} follows. */
const SYS = { openat: 56n, close: 57n, munmap: 215n, execve: 221n, mmap: 222n } as const;
const MAP_ANONYMOUS = 0x20n;

/** What {@link LoadFollower} reports, from system call returns. */
export interface LoadEvents {
  /** The file `path` was mapped from its start and holds an ELF image: a library (or a program) mapped by the loader. */
  mapped(path: string, image: ElfImage): void;
  /** A descriptor was closed (the loader closes a library's once every segment of it is mapped). */
  closed?(): void;
  /** The guest unmapped `[start, end)`. */
  unmapped(start: number, end: number): void;
  /** An execve of `path` succeeded: the process now runs another program. */
  execed(path: string): void;
}

/**
 * Follows how the guest's loader maps images: the files it opens
 * (`openat`), maps from offset 0 (`mmap`) and closes, what it unmaps, and
 * `execve`. Call {@link syscall} and {@link syscallRet} from the plugin's
 * own system call callbacks; arguments are kept per vCPU from a call to its
 * return.
 */
export class LoadFollower {
  private fds = new Map<bigint, string>();
  private pending = new Map<number, { num: bigint; args: bigint[]; path?: string }>();
  private readonly events: LoadEvents;

  constructor(events: LoadEvents) {
    this.events = events;
  }

  /** A system call's entry (a synchronous callback: guest memory is readable). */
  syscall(vcpu: number, num: bigint, args: bigint[]): void {
    if (num === SYS.close) {
      this.fds.delete(args[0]);
      this.pending.set(vcpu, { num, args });
    } else if (num === SYS.openat || num === SYS.execve) {
      const path = new GuestMemory().string(Number(num === SYS.openat ? args[1] : args[0]));
      this.pending.set(vcpu, { num, args, path: path ?? undefined });
    } else if (num === SYS.mmap || num === SYS.munmap) this.pending.set(vcpu, { num, args });
  }

  /** A system call's return. */
  syscallRet(vcpu: number, num: bigint, ret: bigint): void {
    const call = this.pending.get(vcpu);
    this.pending.delete(vcpu);
    if (!call || call.num !== num || (ret < 0n && ret > -4096n)) return;
    const [a0, a1, , a3, a4, a5] = call.args;
    if (num === SYS.openat && call.path !== undefined) this.fds.set(ret, call.path);
    else if (num === SYS.mmap && a5 === 0n && !(a3 & MAP_ANONYMOUS) && this.fds.has(BigInt.asIntN(32, a4))) {
      const image = readImage(new GuestMemory(), Number(BigInt.asUintN(64, ret)));
      if (image) this.events.mapped(this.fds.get(BigInt.asIntN(32, a4))!, image);
    } else if (num === SYS.close) this.events.closed?.();
    else if (num === SYS.munmap) this.events.unmapped(Number(a0), Number(a0) + Number(a1));
    else if (num === SYS.execve && call.path !== undefined) this.events.execed(call.path);
  }
}
