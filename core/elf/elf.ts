/**
 * ELF64 parsing for RISC-V executables: the file header, program headers and
 * the function symbols (from `.symtab`, else `.dynsym`). Every malformed input
 * is reported as an {@link ElfError} with a message that says what is wrong.
 *
 * @module
 */

/** `e_machine` of RISC-V. */
const EM_RISCV = 243;
/** `e_type` of a fixed-address executable. */
export const ET_EXEC = 2;
/** `e_type` of a position-independent executable or shared object. */
export const ET_DYN = 3;
/** Program header type: loadable segment. */
export const PT_LOAD = 1;
/** Program header type: path of the program interpreter. */
export const PT_INTERP = 3;
/** Program header type: the program headers themselves. */
export const PT_PHDR = 6;
/** Segment flag: executable. */
export const PF_X = 1;
/** Segment flag: writable. */
export const PF_W = 2;
/** Segment flag: readable. */
export const PF_R = 4;

/** A file that is not a loadable RV64 ELF executable. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

/** One program header. */
export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** A function or object symbol. */
export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** True for `STT_FUNC`. */
  func: boolean;
}

/** A parsed ELF file. */
export interface ElfFile {
  /** The whole file. */
  bytes: Uint8Array;
  /** `ET_EXEC` or `ET_DYN`. */
  type: number;
  /** Entry point (before relocation for `ET_DYN`). */
  entry: number;
  /** File offset of the program headers. */
  phoff: number;
  /** Size of one program header. */
  phentsize: number;
  /** Program headers. */
  phdrs: ProgramHeader[];
  /** `e_flags` (RISC-V ABI flags: RVC, float ABI). */
  flags: number;
  /** Interpreter path from `PT_INTERP`, if any. */
  interp: string | undefined;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
/**
 * Most program headers: Linux refuses a table of more than 64 KiB (ENOEXEC).
 * Each `PT_LOAD` is a mapping, and 65,000 of them kept plume busy for a minute.
 */
export const MAX_PHNUM = Math.floor(65536 / 56);
/** Longest `PT_INTERP`, with its NUL: Linux's `PATH_MAX`. */
const MAX_INTERP = 4096;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_OBJECT = 1;
const STT_FUNC = 2;

/** The page a segment is mapped by (riscv64 Linux's). */
const MAP_PAGE = 4096;

function u64(dv: DataView, off: number, what: string): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ElfError(`${what}: value 0x${v.toString(16)} at offset ${off} is too large`);
  }
  return Number(v);
}

/**
 * Parses an ELF file and checks that it is an RV64 executable plume can run.
 *
 * @param bytes the file contents
 * @param what name of the file for messages
 * @returns the parsed file
 * @throws {ElfError} when the file is not a RISC-V 64-bit executable or is malformed
 *
 * @example
 * ```ts
 * import { parseElf } from "./elf.ts";
 * import { strictEqual } from "node:assert";
 * const bytes = Deno.readFileSync(new URL("../../tests/guest/bin/hello_asm", import.meta.url));
 * const elf = parseElf(bytes, "hello_asm");
 * strictEqual(elf.entry, 0x100e8);
 * ```
 */
export function parseElf(bytes: Uint8Array, what = "file"): ElfFile {
  if (bytes.length < 64 || !ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new ElfError(`${what}: not an ELF file`);
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) {
    throw new ElfError(`${what}: not a 64-bit little-endian ELF file (class ${bytes[4]}, data ${bytes[5]})`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_RISCV) throw new ElfError(`${what}: not a RISC-V executable (e_machine ${machine})`);
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new ElfError(`${what}: not an executable (e_type ${type})`);
  }
  const entry = u64(dv, 24, what);
  const phoff = u64(dv, 32, what);
  const flags = dv.getUint32(48, true);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize !== 56) throw new ElfError(`${what}: bad program header size ${phentsize}`);
  if (phnum > MAX_PHNUM) throw new ElfError(`${what}: too many program headers (${phnum}, at most ${MAX_PHNUM})`);
  if (phnum === 0 || phoff + phnum * phentsize > bytes.length) {
    throw new ElfError(`${what}: program headers out of bounds (${phnum} at offset ${phoff})`);
  }
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = dv.getUint32(o, true);
    // Only the headers plume reads must hold values it can use; Linux and qemu ignore the others' (a GNU_STACK
    // header's address of 2^63, an alignment no loader honours), so plume does too.
    const used = type === PT_LOAD || type === PT_INTERP || type === PT_PHDR;
    const field = used ? (at: number) => u64(dv, o + at, what) : (at: number) => Number(dv.getBigUint64(o + at, true));
    const ph: ProgramHeader = {
      type,
      flags: dv.getUint32(o + 4, true),
      offset: field(8),
      vaddr: field(16),
      filesz: field(32),
      memsz: field(40),
      align: Number(dv.getBigUint64(o + 48, true)),
    };
    if (ph.type === PT_LOAD || ph.type === PT_INTERP) {
      if (ph.offset + ph.filesz > bytes.length) {
        throw new ElfError(`${what}: segment ${i} extends past the end of the file`);
      }
      if (ph.filesz > ph.memsz) throw new ElfError(`${what}: segment ${i} has filesz > memsz`);
    }
    // A segment is mapped from its file at the page its address starts in: offset and address must agree within the
    // page (Linux's elf_map: EINVAL; qemu: "Error mapping file"). plume copied it anyway and ran what it got.
    if (ph.type === PT_LOAD && ph.filesz > 0 && (ph.offset - ph.vaddr) % MAP_PAGE !== 0) {
      throw new ElfError(`${what}: Error mapping file: segment ${i}'s offset and address differ within a page`);
    }
    phdrs.push(ph);
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) throw new ElfError(`${what}: no loadable segment`);
  checkLoadOrder(phdrs, what);
  let interp: string | undefined;
  const pi = phdrs.find((p) => p.type === PT_INTERP);
  if (pi) {
    // As Linux: a path of 1 to PATH_MAX - 1 bytes and its NUL, else the file is not executable.
    if (pi.filesz < 2 || pi.filesz > MAX_INTERP) {
      throw new ElfError(
        `${what}: invalid PT_INTERP entry (size ${pi.filesz}; a path and its NUL take 2 to ${MAX_INTERP} bytes)`,
      );
    }
    const raw = bytes.subarray(pi.offset, pi.offset + pi.filesz);
    if (raw[raw.length - 1] !== 0) throw new ElfError(`${what}: invalid PT_INTERP entry (no NUL at its end)`);
    interp = new TextDecoder().decode(raw.subarray(0, raw.indexOf(0)));
  }
  return { bytes, type, entry, phoff, phentsize, phdrs, flags, interp };
}

/**
 * Checks that the `PT_LOAD` segments come in ascending order of address (as
 * the ELF specification requires) and do not overlap, which every linker's
 * output satisfies. Mapping a segment over an earlier one makes plume
 * zero-fill those pages again: two 1 GiB segments at one address in a file
 * of 250 bytes took 1.1 GB of host memory, ten of them 5 s.
 */
function checkLoadOrder(phdrs: readonly ProgramHeader[], what: string): void {
  let prev = -1;
  phdrs.forEach((ph, i) => {
    if (ph.type !== PT_LOAD) return;
    if (prev >= 0 && ph.vaddr < phdrs[prev].vaddr + phdrs[prev].memsz) {
      throw new ElfError(`${what}: segment ${i} at 0x${ph.vaddr.toString(16)} overlaps or precedes segment ${prev}`);
    }
    prev = i;
  });
}

/**
 * Bytes of host memory the symbols of one file may take (their names, and
 * {@link SYMBOL_COST} for each), at most: names in a string table may
 * overlap, so a small file can name far more bytes than it holds (each of
 * 20,000 symbols of a 1 MB file named a different suffix of one 500 KB
 * string, and plume ran out of memory). Real files take far less than the
 * budget: at most 0.31 bytes per byte of the file among the test programs
 * and the Debian programs and libraries the tests run.
 */
const SYMBOL_BYTES_PER_FILE_BYTE = 8;
/** Symbols take no more than this in all, whatever the file's size. */
const MAX_SYMBOL_BYTES = 256 << 20;
/** What one symbol counts for, beside its name, in {@link MAX_SYMBOL_BYTES}. */
const SYMBOL_COST = 64;

/**
 * Reads the function and object symbols of an ELF file (`.symtab`, or
 * `.dynsym` when the file is stripped). Returns [] when there are none or the
 * section headers are unusable: symbols are a convenience, never required.
 * A name must end within its string table; symbols past a budget of memory
 * proportional to the file are left out.
 */
export function readSymbols(bytes: Uint8Array): ElfSymbol[] {
  try {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shoff = u64(dv, 40, "symbols"), shentsize = dv.getUint16(58, true), shnum = dv.getUint16(60, true);
    if (shoff === 0 || shentsize !== 64 || shoff + shnum * 64 > bytes.length) return [];
    const sections = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * 64;
      sections.push({
        type: dv.getUint32(o + 4, true),
        offset: u64(dv, o + 24, "symbols"),
        size: u64(dv, o + 32, "symbols"),
        link: dv.getUint32(o + 40, true),
        entsize: u64(dv, o + 56, "symbols"),
      });
    }
    const tab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    if (!tab || tab.entsize !== 24 || tab.link >= sections.length) return [];
    const str = sections[tab.link];
    const strEnd = Math.min(str.offset + str.size, bytes.length);
    let budget = Math.min(MAX_SYMBOL_BYTES, SYMBOL_BYTES_PER_FILE_BYTE * bytes.length);
    const dec = new TextDecoder();
    const out: ElfSymbol[] = [];
    for (let o = tab.offset; o + 24 <= tab.offset + tab.size && o + 24 <= bytes.length; o += 24) {
      const kind = bytes[o + 4] & 0xf;
      if (kind !== STT_FUNC && kind !== STT_OBJECT) continue;
      const value = u64(dv, o + 8, "symbols");
      if (value === 0) continue;
      const nameOff = str.offset + dv.getUint32(o, true);
      // The name's NUL is looked for only as far as the string table and the budget reach.
      const budgetEnd = nameOff + budget - SYMBOL_COST;
      const length = bytes.subarray(nameOff, Math.min(strEnd, budgetEnd)).indexOf(0);
      if (length < 0) {
        if (budgetEnd < strEnd) break;
        continue;
      }
      budget -= SYMBOL_COST + length + 1;
      out.push({
        name: dec.decode(bytes.subarray(nameOff, nameOff + length)),
        value,
        size: u64(dv, o + 16, "symbols"),
        func: kind === STT_FUNC,
      });
    }
    return out;
  } catch {
    return [];
  }
}
