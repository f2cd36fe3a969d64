/**
 * Loading a program into a fresh process image, as Linux's `binfmt_elf`
 * does: map the `PT_LOAD` segments (at a load bias for `ET_DYN`), map the
 * interpreter named by `PT_INTERP` (looked up under the sysroot first),
 * set the program break after the image, and build the initial stack with
 * argv, envp and the auxiliary vector.
 *
 * @module
 */

import { encodeGuestString } from "../util/guest_string.ts";
import {
  type AddressSpace,
  MMAP_MIN_ADDR,
  PAGE_MASK,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
} from "../mem/address_space.ts";
import type { Extension } from "../isa/ops_generated.ts";
import { ElfError, type ElfFile, ET_DYN, parseElf, PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR } from "./elf.ts";

/** Where an `ET_DYN` main program is loaded (Linux: `ELF_ET_DYN_BASE`). */
export const PIE_BASE = 0x4000_0000;
/** Size of the main thread's stack mapping without `-s` or a host `RLIMIT_STACK` (Linux's default limit). */
export const DEFAULT_STACK_SIZE = 8 << 20;
/**
 * The largest stack plume maps: a quarter of its 2 GiB address space (a
 * host limit beyond it, or `unlimited`, gives the default, as qemu-user
 * does for `unlimited`).
 */
export const MAX_STACK_SIZE = 512 << 20;

/**
 * The main thread's stack size without `-s`, as qemu-user takes it: the
 * host's `RLIMIT_STACK` soft limit (`soft`, bytes; Infinity for unlimited)
 * rounded up to pages, or {@link DEFAULT_STACK_SIZE} when it is unlimited or
 * beyond {@link MAX_STACK_SIZE}.
 *
 * @example
 * ```ts
 * import { defaultStackSize } from "./loader.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(defaultStackSize(64 << 20), 64 << 20);
 * strictEqual(defaultStackSize(Infinity), 8 << 20);
 * ```
 */
export function defaultStackSize(soft: number): number {
  if (!(soft > 0) || soft > MAX_STACK_SIZE) return DEFAULT_STACK_SIZE;
  return Math.ceil(soft / PAGE_SIZE) * PAGE_SIZE;
}
/** Gap kept free below the stack before the `mmap` area starts. */
const STACK_GAP = 16 << 20;

/** Auxiliary vector types (`<linux/auxvec.h>`). */
const AT = {
  NULL: 0,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
  MINSIGSTKSZ: 51,
} as const;

/** `AT_HWCAP`'s bit for a single-letter extension: bit = letter - 'A'. */
function hwcapBit(letter: string): number {
  return 1 << (letter.charCodeAt(0) - 65);
}

/** `AT_HWCAP` for RV64IMAFDC. */
const HWCAP_RV64GC = [..."IMAFDC"].reduce((m, ch) => m | hwcapBit(ch), 0);

/**
 * `AT_HWCAP` for a hart with RV64GC and the optional extensions `enabled`:
 * of those only V has a bit (`COMPAT_HWCAP_ISA_V`), as QEMU 10 gives it;
 * QEMU 10 sets none for B (Zba, Zbb and Zbs) under its RVA22U64 model.
 */
function hwcapOf(enabled: ReadonlySet<Extension>): number {
  return HWCAP_RV64GC | (enabled.has("v") ? hwcapBit("V") : 0);
}

/** Where one ELF image landed in memory. */
export interface LoadedImage {
  /** Load bias (0 for `ET_EXEC`). */
  bias: number;
  /** Relocated entry point. */
  entry: number;
  /** Address of the program headers in guest memory. */
  phdr: number;
  /** Number of program headers. */
  phnum: number;
  /** Lowest mapped address. */
  start: number;
  /** End of the highest segment (unaligned). */
  end: number;
  /** Start and end of the executable segments. */
  startCode: number;
  /** End of the executable segments. */
  endCode: number;
}

function segmentProt(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/** The page-aligned start and the end of an image's `PT_LOAD` segments, as the file places them. */
function segmentBounds(elf: ElfFile): [number, number] {
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  // Addresses may exceed 32 bits here: rounded down without `&`, which would truncate them.
  const lowest = Math.min(...loads.map((p) => p.vaddr));
  return [lowest - lowest % PAGE_SIZE, Math.max(...loads.map((p) => p.vaddr + p.memsz))];
}

const hexRange = (start: number, end: number) => `0x${start.toString(16)}-0x${end.toString(16)}`;

/**
 * Checks, without mapping anything, that a program (and its interpreter)
 * fits in an address space of `memSize` bytes as {@link loadProgram}
 * would lay it out: images inside the space, an `ET_EXEC` interpreter not
 * over the program, nothing over the stack. `execve` asks before its point
 * of no return, so that a program that cannot be loaded fails the call
 * instead of ending a process whose image is already gone.
 *
 * @throws {ElfError} with the message {@link loadProgram} would give
 */
export function checkLayout(
  memSize: number,
  main: { elf: ElfFile; path: string },
  interp?: { elf: ElfFile; path: string },
  stackSize = DEFAULT_STACK_SIZE,
): void {
  const fits = (start: number, end: number, path: string) => {
    if (start < 0x10000 || end > memSize - PAGE_SIZE) {
      throw new ElfError(`${path}: segments at ${hexRange(start, end)} do not fit`);
    }
  };
  const [lo, hi] = segmentBounds(main.elf);
  const taken: [number, number][] = [main.elf.type === ET_DYN ? [PIE_BASE, PIE_BASE + hi - lo] : [lo, hi]];
  fits(...taken[0], main.path);
  if (interp && interp.elf.type !== ET_DYN) {
    const [ilo, ihi] = segmentBounds(interp.elf);
    fits(ilo, ihi, interp.path);
    if (ilo < taken[0][1] && taken[0][0] < ihi) {
      throw new ElfError(`${interp.path}: segments at ${hexRange(ilo, ihi)} overlap the program`);
    }
    taken.push([ilo, ihi]);
  }
  const stackTop = memSize - 0x10000;
  if (interp && interp.elf.type === ET_DYN) {
    // Placed as mmap places it: in the highest free range below the mmap base, around the program.
    const [ilo, ihi] = segmentBounds(interp.elf);
    const len = Math.ceil((ihi - ilo) / PAGE_SIZE) * PAGE_SIZE, top = stackTop - stackSize - STACK_GAP;
    const [ms, me] = [taken[0][0], Math.ceil(taken[0][1] / PAGE_SIZE) * PAGE_SIZE];
    const free = [[MMAP_MIN_ADDR, Math.min(ms, top)], [Math.max(me, MMAP_MIN_ADDR), top]];
    if (!free.some(([start, end]) => end - start >= len)) {
      throw new ElfError(`${interp.path}: no room for a ${ihi - ilo}-byte image`);
    }
  }
  if (taken.some(([start, end]) => start < stackTop && stackTop - stackSize < end)) {
    throw new ElfError(`${main.path}: segments overlap the stack at 0x${(stackTop - stackSize).toString(16)}`);
  }
}

/**
 * Maps an ELF file's loadable segments at `bias` (for `ET_DYN`, 0 picks a
 * free range) and copies their contents.
 *
 * @throws {ElfError} when the segments do not fit in the address space
 */
function mapImage(mem: AddressSpace, elf: ElfFile, path: string, bias: number): LoadedImage {
  const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
  const [lo, hi] = segmentBounds(elf);
  if (elf.type === ET_DYN) {
    if (bias === 0) bias = mem.findFree(hi - lo);
    if (bias < 0) throw new ElfError(`${path}: no room for a ${hi - lo}-byte image`);
    bias -= lo;
  } else {
    bias = 0;
  }
  if (lo + bias < 0x10000 || hi + bias > mem.size - PAGE_SIZE) {
    throw new ElfError(`${path}: segments at 0x${(lo + bias).toString(16)}-0x${(hi + bias).toString(16)} do not fit`);
  }
  // As Linux maps an ET_EXEC interpreter: never over what is there (the program itself).
  if (!mem.isFree(lo + bias, hi - lo)) {
    throw new ElfError(
      `${path}: segments at 0x${(lo + bias).toString(16)}-0x${(hi + bias).toString(16)} overlap the program`,
    );
  }
  let startCode = Infinity, endCode = 0;
  for (const ph of loads) {
    const start = (ph.vaddr + bias) & ~PAGE_MASK;
    const end = ph.vaddr + bias + ph.memsz;
    const prot = segmentProt(ph.flags);
    // Segments may share a page at their boundary: keep the bytes already
    // there and give the page both segments' permissions.
    let p = start;
    const shared = mem.findMapping(p);
    if (shared) {
      mem.mprotect(p, PAGE_SIZE, shared.prot | prot);
      p += PAGE_SIZE;
    }
    if (p < end) mem.mmap(p, end - p, prot, { name: path, offset: ph.offset - (ph.vaddr + bias - p), fixed: true });
    mem.u8.set(elf.bytes.subarray(ph.offset, ph.offset + ph.filesz), ph.vaddr + bias);
    if (ph.flags & PF_X) {
      startCode = Math.min(startCode, ph.vaddr + bias);
      endCode = Math.max(endCode, ph.vaddr + bias + ph.filesz);
    }
  }
  const phdrSeg = elf.phdrs.find((p) => p.type === PT_PHDR);
  const first = loads.find((p) => p.offset <= elf.phoff && elf.phoff < p.offset + p.filesz);
  const phdr = phdrSeg ? phdrSeg.vaddr + bias : first ? first.vaddr + (elf.phoff - first.offset) + bias : 0;
  return {
    bias,
    entry: elf.entry + bias,
    phdr,
    phnum: elf.phdrs.length,
    start: lo + bias,
    end: hi + bias,
    startCode: startCode === Infinity ? 0 : startCode,
    endCode,
  };
}

/** What the initial stack carries. */
export interface StackContents {
  argv: string[];
  envp: string[];
  /**
   * Auxiliary vector entries, in order, without `AT_NULL`; the values of
   * `AT_RANDOM` and `AT_EXECFN` are filled in here (the addresses of the
   * bytes and the name on the stack).
   */
  auxv: [number, number][];
  /** The file name the program was run by (`AT_EXECFN`). */
  execfn: string;
  /** 16 bytes for `AT_RANDOM`. */
  random: Uint8Array;
}

/**
 * Maps the main thread's stack (`stackSize` bytes) below `top` and lays it out as Linux does:
 * strings at the top, then `AT_RANDOM` bytes, the auxiliary vector, envp,
 * argv and argc at the 16-byte aligned stack pointer, which is returned
 * with where the auxiliary vector lies (`AT_NULL` included).
 */
function buildStack(
  mem: AddressSpace,
  top: number,
  stackSize: number,
  c: StackContents,
): { sp: number; auxv: GuestRange } {
  const bottom = top - stackSize;
  mem.mmap(bottom, stackSize, PROT_READ | PROT_WRITE, { name: "[stack]", fixed: true });
  // As Linux and qemu: one word at the very top (the end marker), then the strings.
  let sp = top - 8;
  const pushBytes = (b: Uint8Array): number => {
    sp -= b.length;
    mem.u8.set(b, sp);
    return sp;
  };
  // Byte for byte: arguments and variables need not be UTF-8 (util/guest_string.ts).
  const pushString = (s: string): number => pushBytes(encodeGuestString(s + "\0"));
  // Strings end up in order argv…, envp…, execfn from low to high addresses.
  const execfn = pushString(c.execfn);
  const envAddrs = c.envp.toReversed().map(pushString).reverse();
  const argAddrs = c.argv.toReversed().map(pushString).reverse();
  sp &= ~15;
  const random = pushBytes(c.random.subarray(0, 16));
  const auxv: [number, number][] = [
    ...c.auxv.map(([k, v]): [number, number] => [k, k === AT.RANDOM ? random : k === AT.EXECFN ? execfn : v]),
    [AT.NULL, 0],
  ];
  const words = [c.argv.length, ...argAddrs, 0, ...envAddrs, 0, ...auxv.flat()];
  sp = (sp - words.length * 8) & ~15;
  words.forEach((w, i) => mem.view.setBigUint64(sp + i * 8, BigInt(w), true));
  if (sp < bottom + PAGE_SIZE) throw new ElfError(`Arguments and environment do not fit on the stack`);
  return { sp, auxv: { at: sp + (words.length - 2 * auxv.length) * 8, bytes: 16 * auxv.length } };
}

/** A range of guest memory. */
export interface GuestRange {
  at: number;
  bytes: number;
}

/**
 * Where the interpreter `path` (`PT_INTERP`) is read from, as qemu-user
 * looks it up: inside `sysroot` when it exists there, else on the host.
 *
 * @example
 * ```ts
 * import { interpreterPath } from "./loader.ts";
 * import { strictEqual } from "node:assert";
 * const interp = "/lib/ld-linux-riscv64-lp64d.so.1";
 * const sysroot = Deno.makeTempDirSync();
 * Deno.mkdirSync(`${sysroot}/lib`);
 * Deno.writeFileSync(`${sysroot}${interp}`, new Uint8Array());
 * strictEqual(interpreterPath(sysroot, interp), `${sysroot}${interp}`);
 * strictEqual(interpreterPath("/no/such/sysroot", interp), interp); // not there: the host's own
 * Deno.removeSync(sysroot, { recursive: true });
 * ```
 */
export function interpreterPath(sysroot: string, path: string): string {
  if (!sysroot) return path;
  const inRoot = `${sysroot.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
  try {
    if (Deno.statSync(inRoot).isFile) return inRoot;
  } catch {
    // not in the sysroot: the host's own file
  }
  return path;
}

/** Options for {@link loadProgram}. */
export interface LoadOptions {
  /** Host path of the executable, as named (messages say it so). */
  path: string;
  /**
   * The name its mappings have in `/proc/self/maps`: the file's absolute
   * path, as Linux shows it (a path as typed, `./prog`, means nothing to a
   * program reading it from elsewhere). @default {@link path}
   */
  mapName?: string;
  /** Its contents. */
  bytes: Uint8Array;
  argv: string[];
  envp: string[];
  /** `AT_EXECFN`: the name the program was run by. */
  execfn: string;
  /** Reads the interpreter (`PT_INTERP`) file, applying the sysroot; throws when missing. */
  readInterp: (path: string) => { path: string; bytes: Uint8Array };
  /** 16 random bytes for `AT_RANDOM`. */
  random: Uint8Array;
  /** Identity for `AT_UID`… */
  uid: number;
  gid: number;
  /** The main thread's stack size in bytes, a page multiple. @default {@link DEFAULT_STACK_SIZE} */
  stackSize?: number;
  /** The optional extensions the hart has (`-cpu`), for `AT_HWCAP`. @default none */
  extensions?: ReadonlySet<Extension>;
}

/**
 * Code of the signal-return trampoline, `li a7, 139` (`rt_sigreturn`) and
 * `ecall`: riscv64 has no `SA_RESTORER`, handlers return through the
 * vDSO's `__vdso_rt_sigreturn`, which this page stands in for (as
 * qemu-user's does).
 */
const SIGRETURN_CODE: readonly number[] = [0x08b00893, 0x00000073];

/** Maps the signal-return trampoline page (read and execute) in the `mmap` area; returns its address. */
function mapSigreturnTrampoline(mem: AddressSpace): number {
  const addr = mem.mmap(0, PAGE_SIZE, PROT_READ | PROT_EXEC, { name: "[vdso]" });
  if (addr < 0) throw new ElfError("No room for the signal trampoline");
  SIGRETURN_CODE.forEach((w, i) => mem.view.setUint32(addr + 4 * i, w, true));
  return addr;
}

/** Result of {@link loadProgram}: where to start and what the process looks like. */
export interface LoadedProgram {
  /** First pc to execute (the interpreter's entry when there is one). */
  pc: number;
  /** Initial stack pointer. */
  sp: number;
  /** The main program's image. */
  main: LoadedImage;
  /** The interpreter's image, if any. */
  interp: LoadedImage | undefined;
  /** First address of the program break. */
  brk: number;
  /** The parsed main executable. */
  elf: ElfFile;
  /** Address of the signal-return trampoline. */
  sigreturn: number;
  /** Where the auxiliary vector lies on the stack (`/proc/self/auxv` shows it, as qemu-user does). */
  auxv: GuestRange;
}

/**
 * Loads an executable (and its interpreter) into an empty address space and
 * builds its initial stack.
 *
 * @throws {ElfError} for files that are not loadable RV64 executables
 */
export function loadProgram(mem: AddressSpace, o: LoadOptions): LoadedProgram {
  const elf = parseElf(o.bytes, o.path);
  let interpFile: { elf: ElfFile; path: string } | undefined;
  if (elf.interp !== undefined) {
    const file = o.readInterp(elf.interp);
    const ielf = parseElf(file.bytes, file.path);
    if (ielf.interp !== undefined) throw new ElfError(`${file.path}: an interpreter cannot itself have an interpreter`);
    interpFile = { elf: ielf, path: file.path };
  }
  const stackSize = o.stackSize ?? DEFAULT_STACK_SIZE;
  if (stackSize > MAX_STACK_SIZE) {
    throw new ElfError(
      `${o.path}: a stack of ${stackSize} bytes is more than plume maps (${MAX_STACK_SIZE >> 20} MiB)`,
    );
  }
  checkLayout(mem.size, { elf, path: o.path }, interpFile, stackSize);
  const stackTop = mem.size - 0x10000;
  mem.mmapBase = stackTop - stackSize - STACK_GAP;
  const main = mapImage(mem, elf, o.mapName ?? o.path, elf.type === ET_DYN ? PIE_BASE : 0);
  const interp = interpFile && mapImage(mem, interpFile.elf, interpFile.path, 0);
  // Linux maps the stack first and no image over it.
  if (!mem.isFree(stackTop - stackSize, stackSize)) {
    throw new ElfError(`${o.path}: segments overlap the stack at 0x${(stackTop - stackSize).toString(16)}`);
  }
  const brk = (main.end + PAGE_MASK) & ~PAGE_MASK;
  // In qemu-user's order (`create_elf_tables`), which `/proc/self/auxv` shows.
  const auxv: [number, number][] = [
    [AT.PHDR, main.phdr],
    [AT.PHENT, 56],
    [AT.PHNUM, main.phnum],
    [AT.PAGESZ, PAGE_SIZE],
    [AT.BASE, interp ? interp.bias : 0],
    [AT.FLAGS, 0],
    [AT.ENTRY, main.entry],
    [AT.UID, o.uid],
    [AT.EUID, o.uid],
    [AT.GID, o.gid],
    [AT.EGID, o.gid],
    [AT.HWCAP, hwcapOf(o.extensions ?? new Set())],
    [AT.CLKTCK, 100],
    [AT.RANDOM, 0],
    [AT.SECURE, 0],
    [AT.EXECFN, 0],
  ];
  const stack = buildStack(mem, stackTop, stackSize, {
    argv: o.argv,
    envp: o.envp,
    auxv,
    execfn: o.execfn,
    random: o.random,
  });
  const sigreturn = mapSigreturnTrampoline(mem);
  return { pc: interp ? interp.entry : main.entry, sp: stack.sp, main, interp, brk, elf, sigreturn, auxv: stack.auxv };
}
