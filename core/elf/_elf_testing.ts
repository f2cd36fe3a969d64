/**
 * Small RV64 ELF files built in tests: a valid static executable that exits
 * with status 7, which tests then damage one field at a time, and symbol
 * tables to append to it.
 *
 * @module
 */

/** Where the executable is linked (`ET_EXEC`). */
export const BASE = 0x10000;
/** Status the executable exits with. */
export const STATUS = 7;
/** File offset of the code: right after the ELF header. */
export const CODE = 64;
/** `li a0, 7; li a7, 93 (exit); ecall`. */
const EXIT_7 = [0x00700513, 0x05d00893, 0x00000073];

/** One program header; numbers above 2^53 as bigints. */
export interface Segment {
  /** @default PT_LOAD */
  type?: number;
  /** @default PF_R | PF_X */
  flags?: number;
  /** @default 0 */
  offset?: number | bigint;
  /** @default BASE */
  vaddr?: number | bigint;
  /** @default the file's size */
  filesz?: number | bigint;
  /** @default filesz */
  memsz?: number | bigint;
}

/** Where things are in the file, for segments that refer to them. */
export interface Layout {
  /** Size of the whole file. */
  size: number;
  /** Offset of the `tail` bytes. */
  tail: number;
}

/** What to build; every field has the valid executable's value by default. */
export interface ExecutableOptions {
  /** Program headers, given the layout. @default one PT_LOAD of the whole file at BASE */
  segments?: (l: Layout) => Segment[];
  /** Bytes placed after the code (an interpreter path, say). @default none */
  tail?: Uint8Array;
  /** @default ET_EXEC */
  type?: number;
  /** Entry point. @default BASE + CODE */
  entry?: number | bigint;
  /** Last changes to the header, by offset. */
  patch?: (dv: DataView, bytes: Uint8Array) => void;
}

/**
 * A static RV64 executable: ELF header, code at {@link CODE}, the tail, then
 * the program headers (8-byte aligned).
 */
export function executable(o: ExecutableOptions = {}): Uint8Array {
  const tail = o.tail ?? new Uint8Array();
  const tailAt = CODE + 4 * EXIT_7.length;
  const phoff = (tailAt + tail.length + 7) & ~7;
  const segmentsFor = (l: Layout): Segment[] => o.segments?.(l) ?? [{}];
  const count = segmentsFor({ size: 0, tail: tailAt }).length;
  const size = phoff + 56 * count;
  const segments = segmentsFor({ size, tail: tailAt });
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, o.type ?? 2, true);
  dv.setUint16(18, 243, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, BigInt(o.entry ?? BASE + CODE), true);
  dv.setBigUint64(32, BigInt(phoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, count, true);
  segments.forEach((s, i) => {
    const at = phoff + 56 * i, filesz = BigInt(s.filesz ?? size), vaddr = BigInt(s.vaddr ?? BASE);
    dv.setUint32(at, s.type ?? 1, true);
    dv.setUint32(at + 4, s.flags ?? 5, true);
    dv.setBigUint64(at + 8, BigInt(s.offset ?? 0), true);
    dv.setBigUint64(at + 16, vaddr, true);
    dv.setBigUint64(at + 24, vaddr, true);
    dv.setBigUint64(at + 32, filesz, true);
    dv.setBigUint64(at + 40, BigInt(s.memsz ?? filesz), true);
    dv.setBigUint64(at + 48, 0x1000n, true);
  });
  EXIT_7.forEach((w, i) => dv.setUint32(CODE + 4 * i, w, true));
  bytes.set(tail, tailAt);
  o.patch?.(dv, bytes);
  return bytes;
}

/** One symbol: its name's offset in the string table, its value and `STT_*` kind. */
export interface Sym {
  name: number;
  value: number | bigint;
  /** @default STT_FUNC */
  kind?: number;
}

/** Where {@link withSymbols} put the tables. */
export interface SymbolLayout {
  /** Offset of the section headers (null, `.symtab`, `.strtab`). */
  shoff: number;
  /** Offset of the symbol table. */
  symtab: number;
  /** Offset of the string table. */
  strtab: number;
}

/**
 * The valid executable followed by a symbol table, its string table and
 * three section headers (null, `.symtab`, `.strtab`); `patch` may then
 * damage any of them.
 */
export function withSymbols(
  syms: readonly Sym[],
  strtab: Uint8Array,
  patch?: (dv: DataView, at: SymbolLayout) => void,
): Uint8Array {
  const exe = executable();
  const symtab = (exe.length + 7) & ~7, strAt = symtab + 24 * syms.length;
  const shoff = (strAt + strtab.length + 7) & ~7;
  const bytes = new Uint8Array(shoff + 3 * 64);
  const dv = new DataView(bytes.buffer);
  bytes.set(exe);
  syms.forEach((s, i) => {
    const at = symtab + 24 * i;
    dv.setUint32(at, s.name, true);
    bytes[at + 4] = (1 << 4) | (s.kind ?? 2);
    dv.setUint16(at + 6, 1, true);
    dv.setBigUint64(at + 8, BigInt(s.value), true);
    dv.setBigUint64(at + 16, 4n, true);
  });
  bytes.set(strtab, strAt);
  dv.setBigUint64(40, BigInt(shoff), true);
  dv.setUint16(58, 64, true);
  dv.setUint16(60, 3, true);
  const section = (i: number, type: number, offset: number, size: number, link: number, entsize: number) => {
    const at = shoff + 64 * i;
    dv.setUint32(at + 4, type, true);
    dv.setBigUint64(at + 24, BigInt(offset), true);
    dv.setBigUint64(at + 32, BigInt(size), true);
    dv.setUint32(at + 40, link, true);
    dv.setBigUint64(at + 56, BigInt(entsize), true);
  };
  section(1, 2, symtab, 24 * syms.length, 2, 24);
  section(2, 3, strAt, strtab.length, 0, 0);
  patch?.(dv, { shoff, symtab, strtab: strAt });
  return bytes;
}

/** A NUL-terminated string table of `names`, and each name's offset in it. */
export function stringTable(names: readonly string[]): { bytes: Uint8Array; offsets: number[] } {
  const enc = new TextEncoder(), parts: number[] = [0], offsets: number[] = [];
  for (const n of names) {
    offsets.push(parts.length);
    parts.push(...enc.encode(n), 0);
  }
  return { bytes: Uint8Array.from(parts), offsets };
}
