/**
 * ELF64 parsing for RISC-V executables: the file header, program headers and
 * the function symbols (from `.symtab`, else `.dynsym`). Every malformed input
 * is reported as an {@link ElfError} with a message that says what is wrong.
 *
 * @module
 */

/** `e_machine` of RISC-V. */
export const EM_RISCV = 243;
/** `e_type` of a fixed-address executable. */
export const ET_EXEC = 2;
/** `e_type` of a position-independent executable or shared object. */
export const ET_DYN = 3;
/** Program header type: loadable segment. */
export const PT_LOAD = 1;
/** Program header type: dynamic linking information. */
export const PT_DYNAMIC = 2;
/** Program header type: path of the program interpreter. */
export const PT_INTERP = 3;
/** Program header type: the program headers themselves. */
export const PT_PHDR = 6;
/** Program header type: thread-local storage template. */
export const PT_TLS = 7;
/** Program header type: stack permissions. */
export const PT_GNU_STACK = 0x6474e551;
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
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_OBJECT = 1;
const STT_FUNC = 2;

function u64(dv: DataView, off: number): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ElfError(`Value 0x${v.toString(16)} at offset ${off} is too large`);
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
  const entry = u64(dv, 24);
  const phoff = u64(dv, 32);
  const flags = dv.getUint32(48, true);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phentsize !== 56) throw new ElfError(`${what}: bad program header size ${phentsize}`);
  if (phnum === 0 || phoff + phnum * phentsize > bytes.length) {
    throw new ElfError(`${what}: program headers out of bounds (${phnum} at offset ${phoff})`);
  }
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const ph: ProgramHeader = {
      type: dv.getUint32(o, true),
      flags: dv.getUint32(o + 4, true),
      offset: u64(dv, o + 8),
      vaddr: u64(dv, o + 16),
      filesz: u64(dv, o + 32),
      memsz: u64(dv, o + 40),
      align: u64(dv, o + 48),
    };
    if (ph.type === PT_LOAD || ph.type === PT_INTERP) {
      if (ph.offset + ph.filesz > bytes.length) {
        throw new ElfError(`${what}: segment ${i} extends past the end of the file`);
      }
      if (ph.filesz > ph.memsz) throw new ElfError(`${what}: segment ${i} has filesz > memsz`);
    }
    phdrs.push(ph);
  }
  if (!phdrs.some((p) => p.type === PT_LOAD)) throw new ElfError(`${what}: no loadable segment`);
  let interp: string | undefined;
  const pi = phdrs.find((p) => p.type === PT_INTERP);
  if (pi) {
    const raw = bytes.subarray(pi.offset, pi.offset + pi.filesz);
    const nul = raw.indexOf(0);
    interp = new TextDecoder().decode(nul >= 0 ? raw.subarray(0, nul) : raw);
  }
  return { bytes, type, entry, phoff, phentsize, phdrs, flags, interp };
}

/**
 * Reads the function and object symbols of an ELF file (`.symtab`, or
 * `.dynsym` when the file is stripped). Returns [] when there are none or the
 * section headers are unusable: symbols are a convenience, never required.
 */
export function readSymbols(bytes: Uint8Array): ElfSymbol[] {
  try {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const shoff = u64(dv, 40), shentsize = dv.getUint16(58, true), shnum = dv.getUint16(60, true);
    if (shoff === 0 || shentsize !== 64 || shoff + shnum * 64 > bytes.length) return [];
    const sections = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * 64;
      sections.push({
        type: dv.getUint32(o + 4, true),
        offset: u64(dv, o + 24),
        size: u64(dv, o + 32),
        link: dv.getUint32(o + 40, true),
        entsize: u64(dv, o + 56),
      });
    }
    const tab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    if (!tab || tab.entsize !== 24 || tab.link >= sections.length) return [];
    const str = sections[tab.link];
    const dec = new TextDecoder();
    const out: ElfSymbol[] = [];
    for (let o = tab.offset; o + 24 <= tab.offset + tab.size && o + 24 <= bytes.length; o += 24) {
      const kind = bytes[o + 4] & 0xf;
      if (kind !== STT_FUNC && kind !== STT_OBJECT) continue;
      const value = u64(dv, o + 8);
      if (value === 0) continue;
      const nameOff = str.offset + dv.getUint32(o, true);
      const end = bytes.indexOf(0, nameOff);
      if (nameOff >= bytes.length || end < 0) continue;
      out.push({
        name: dec.decode(bytes.subarray(nameOff, end)),
        value,
        size: u64(dv, o + 16),
        func: kind === STT_FUNC,
      });
    }
    return out;
  } catch {
    return [];
  }
}
