/**
 * Hostile ELF files: each is the valid executable of `_elf_testing.ts` with
 * one thing wrong, and each must be refused with one {@link ElfError} line
 * naming the file, never a RangeError or TypeError, a hang or a huge
 * allocation. Where qemu-riscv64 7.2 refuses the same file its message is
 * noted; "runs" means qemu runs it anyway (and Linux mostly would too) while
 * plume refuses it.
 */

import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { tempDir } from "../../tests/harness.ts";
import {
  BASE,
  CODE,
  executable,
  type ExecutableOptions,
  type Segment,
  stringTable,
  type Sym,
  withSymbols,
} from "./_elf_testing.ts";
import { ElfError, MAX_PHNUM, parseElf, PT_INTERP, PT_LOAD, readSymbols } from "./elf.ts";
import { ProgramFileError, readProgramFile } from "./program_file.ts";

const enc = new TextEncoder();

/** The valid executable with one PT_INTERP holding `path` (its bytes as given) before the PT_LOAD. */
function withInterp(path: Uint8Array, segment: (tail: number) => Segment = () => ({})): ExecutableOptions {
  return {
    tail: path,
    segments: (l) => [{ type: PT_INTERP, flags: 4, offset: l.tail, filesz: path.length, ...segment(l.tail) }, {}],
  };
}

/** Hostile files: what is wrong, the file, what plume's message says (after "prog: "), qemu's message. */
const HOSTILE: [what: string, bytes: () => Uint8Array, message: string, qemu: string][] = [
  ["an empty file", () => new Uint8Array(), "not an ELF file", "exits 1 silently"],
  ["a header cut at 40 bytes", () => executable().subarray(0, 40), "not an ELF file", "exits 1 silently"],
  [
    "a wrong magic number",
    () => executable({ patch: (_, b) => (b[1] = 0x46) }),
    "not an ELF file",
    "exits 1 silently",
  ],
  [
    "a 32-bit class",
    () => executable({ patch: (_, b) => (b[4] = 1) }),
    "not a 64-bit little-endian ELF file (class 1, data 1)",
    "Invalid ELF image for this architecture",
  ],
  [
    "big-endian data",
    () => executable({ patch: (_, b) => (b[5] = 2) }),
    "not a 64-bit little-endian ELF file (class 2, data 2)",
    "Invalid ELF image for this architecture",
  ],
  [
    "an x86-64 machine",
    () => executable({ patch: (dv) => dv.setUint16(18, 62, true) }),
    "not a RISC-V executable (e_machine 62)",
    "Invalid ELF image for this architecture",
  ],
  [
    "a relocatable object",
    () => executable({ type: 1 }),
    "not an executable (e_type 1)",
    "Invalid ELF image for this architecture",
  ],
  [
    "e_phoff past the end",
    () => executable({ patch: (dv) => dv.setBigUint64(32, 1n << 40n, true) }),
    "program headers out of bounds (1 at offset 1099511627776)",
    "Incomplete read of file header",
  ],
  [
    "e_phoff beyond 2^53",
    () => executable({ patch: (dv) => dv.setBigUint64(32, 0xffffffffffffffc0n, true) }),
    "value 0xffffffffffffffc0 at offset 32 is too large",
    "Error reading file header: Invalid argument",
  ],
  [
    "a PT_LOAD whose offset and address differ within a page (an attacking helper's: plume ran what it copied)",
    () => executable({ segments: () => [{ offset: 1, filesz: CODE }] }),
    "Error mapping file: segment 0's offset and address differ within a page",
    "Error mapping file: Invalid argument",
  ],
  [
    "e_phnum past the end",
    () => executable({ patch: (dv) => dv.setUint16(56, 1000, true) }),
    "program headers out of bounds (1000 at offset",
    "Incomplete read of file header",
  ],
  [
    "e_phnum 0",
    () => executable({ patch: (dv) => dv.setUint16(56, 0, true) }),
    "program headers out of bounds (0 at offset",
    "Error mapping file: Invalid argument",
  ],
  [
    // Linux's limit (a table of 64 KiB at most); the file holds them all, so only the count is wrong.
    "more program headers than Linux allows",
    () => executable({ segments: () => [{}, ...Array.from({ length: MAX_PHNUM }, () => ({ type: 4 }))] }),
    `too many program headers (${MAX_PHNUM + 1}, at most ${MAX_PHNUM})`,
    "runs (65,000 PT_LOADs: Error mapping file: Cannot allocate memory)",
  ],
  [
    "e_phentsize 0",
    () => executable({ patch: (dv) => dv.setUint16(54, 0, true) }),
    "bad program header size 0",
    "Invalid ELF image for this architecture",
  ],
  [
    "e_phentsize 65535",
    () => executable({ patch: (dv) => dv.setUint16(54, 0xffff, true) }),
    "bad program header size 65535",
    "Invalid ELF image for this architecture",
  ],
  [
    "p_filesz > p_memsz",
    () => executable({ segments: (l) => [{ filesz: l.size, memsz: l.size - 1 }] }),
    "segment 0 has filesz > memsz",
    "runs",
  ],
  [
    "p_offset + p_filesz past the end",
    () => executable({ segments: (l) => [{ filesz: l.size + 1 }] }),
    "segment 0 extends past the end of the file",
    "runs",
  ],
  [
    "p_offset past the end",
    () => executable({ segments: () => [{ offset: 0x100000, filesz: 12, memsz: 0x1000 }] }),
    "segment 0 extends past the end of the file",
    "SIGSEGV",
  ],
  [
    "p_offset beyond 2^53",
    () => executable({ segments: () => [{ offset: 0xfffffffffffff000n, filesz: 0x2000 }] }),
    "value 0xfffffffffffff000 at offset",
    "Error mapping file: Value too large for defined data type",
  ],
  [
    "p_offset + p_filesz beyond 2^53",
    () => executable({ segments: () => [{ offset: 2 ** 53 - 1, filesz: 2 ** 53 - 1 }] }),
    "segment 0 extends past the end of the file",
    "Error mapping file: Cannot allocate memory",
  ],
  [
    "p_vaddr beyond 2^53",
    () => executable({ segments: () => [{ vaddr: 0xfffffffffffff000n }] }),
    "value 0xfffffffffffff000 at offset",
    "Error mapping file: Cannot allocate memory",
  ],
  [
    "no PT_LOAD",
    () => executable({ segments: () => [{ type: 4 }] }),
    "no loadable segment",
    "Error mapping file: Invalid argument",
  ],
  [
    "two PT_LOADs at one address",
    () => executable({ segments: () => [{}, { flags: 6, memsz: 0x40000000 }] }),
    "segment 1 at 0x10000 overlaps or precedes segment 0",
    "SIGSEGV (the second mapping takes the code's execute permission)",
  ],
  [
    "PT_LOADs in descending order",
    () => executable({ segments: (l) => [{ vaddr: BASE + 0x2000, filesz: 0, memsz: 16 }, { filesz: l.size }] }),
    "segment 1 at 0x10000 overlaps or precedes segment 0",
    "runs",
  ],
  [
    "an unterminated PT_INTERP",
    () => executable(withInterp(enc.encode("/bin"))),
    "invalid PT_INTERP entry (no NUL at its end)",
    "Invalid PT_INTERP entry",
  ],
  [
    "an empty PT_INTERP path",
    () => executable(withInterp(new Uint8Array(1))),
    "invalid PT_INTERP entry (size 1; a path and its NUL take 2 to 4096 bytes)",
    "Could not open '': No such file or directory",
  ],
  [
    "a PT_INTERP of 0 bytes",
    () => executable(withInterp(new Uint8Array(0))),
    "invalid PT_INTERP entry (size 0;",
    "SIGSEGV",
  ],
  [
    "a PT_INTERP longer than PATH_MAX",
    () => executable(withInterp(Uint8Array.from({ length: 5001 }, (_, i) => i === 5000 ? 0 : 0x61))),
    "invalid PT_INTERP entry (size 5001;",
    "Could not open 'aaaa…': the whole path on one line",
  ],
  [
    "a PT_INTERP outside the file",
    () => executable(withInterp(enc.encode("/lib/ld.so\0"), () => ({ offset: 0x100000 }))),
    "segment 0 extends past the end of the file",
    "Incomplete read of file header",
  ],
];

for (const [what, bytes, message] of HOSTILE) {
  Deno.test(`parseElf refuses ${what} with one ElfError line`, () => {
    let err: unknown;
    try {
      parseElf(bytes(), "prog");
    } catch (e) {
      err = e;
    }
    assert(err instanceof ElfError, `expected an ElfError, got ${err}`);
    assertMatch(err.message, /^prog: [^\n]+$/);
    assert(err.message.startsWith(`prog: ${message}`), `"${err.message}" does not start with "prog: ${message}"`);
  });
}

Deno.test("parseElf accepts the valid executable the hostile files are made from", () => {
  const elf = parseElf(executable(), "prog");
  assertEquals([elf.entry, elf.phdrs.length, elf.phdrs[0].type, elf.interp], [BASE + CODE, 1, PT_LOAD, undefined]);
  const dynamic = parseElf(executable(withInterp(enc.encode("/lib/ld.so\0"))), "prog");
  assertEquals(dynamic.interp, "/lib/ld.so");
});

Deno.test("parseElf ignores the values of headers it does not read, as Linux and qemu do", () => {
  // A GNU_STACK header at 2^63 and a PT_LOAD alignment of 2^63 were refused as "too large" (qemu runs both).
  const elf = parseElf(
    executable({
      segments: () => [{}, { type: 0x6474e551, flags: 6, vaddr: 1n << 63n, offset: 1n << 62n }],
      patch: (dv) => dv.setBigUint64(Number(dv.getBigUint64(32, true)) + 48, 1n << 63n, true), // the PT_LOAD's p_align
    }),
    "prog",
  );
  assertEquals(elf.phdrs.length, 2);
});

Deno.test("parseElf takes the first of two PT_INTERPs, as Linux does (qemu refuses: Multiple PT_INTERP entries)", () => {
  const path = enc.encode("/lib/ld.so\0");
  const elf = parseElf(
    executable({
      tail: path,
      segments: (l) =>
        [0, 1].map((): Segment => ({ type: PT_INTERP, offset: l.tail, filesz: path.length })).concat([{}]),
    }),
    "prog",
  );
  assertEquals(elf.interp, "/lib/ld.so");
});

// ---------------------------------------------------------------- symbols

const NAMES = stringTable(["main", "helper"]);
const SYMS: Sym[] = [{ name: NAMES.offsets[0], value: 0x10040 }, { name: NAMES.offsets[1], value: 0x10048 }];

/** Section-header damage for readSymbols: what is wrong, the file, the names read. */
const HOSTILE_SECTIONS: [what: string, bytes: () => Uint8Array, names: string[]][] = [
  ["no section headers", () => executable(), []],
  ["the valid table", () => withSymbols(SYMS, NAMES.bytes), ["main", "helper"]],
  ["e_shoff past the end", () => withSymbols(SYMS, NAMES.bytes, (dv) => dv.setBigUint64(40, 1n << 40n, true)), []],
  ["e_shoff beyond 2^53", () => withSymbols(SYMS, NAMES.bytes, (dv) => dv.setBigUint64(40, ~0n, true)), []],
  ["e_shnum past the end", () => withSymbols(SYMS, NAMES.bytes, (dv) => dv.setUint16(60, 0xffff, true)), []],
  ["e_shentsize 0", () => withSymbols(SYMS, NAMES.bytes, (dv) => dv.setUint16(58, 0, true)), []],
  [
    "a symbol table of entsize 0",
    () => withSymbols(SYMS, NAMES.bytes, (dv, at) => dv.setBigUint64(at.shoff + 64 + 56, 0n, true)),
    [],
  ],
  [
    "sh_link out of range",
    () => withSymbols(SYMS, NAMES.bytes, (dv, at) => dv.setUint32(at.shoff + 64 + 40, 99, true)),
    [],
  ],
  [
    "a symbol table past the end",
    () => withSymbols(SYMS, NAMES.bytes, (dv, at) => dv.setBigUint64(at.shoff + 64 + 24, 1n << 40n, true)),
    [],
  ],
  [
    "a symbol table larger than the file",
    () => withSymbols(SYMS, NAMES.bytes, (dv, at) => dv.setBigUint64(at.shoff + 64 + 32, 1n << 40n, true)),
    // Entries are read while they are in the file; the section headers after the table read as symbols of kind 0.
    ["main", "helper"],
  ],
  [
    "a string table past the end",
    () => withSymbols(SYMS, NAMES.bytes, (dv, at) => dv.setBigUint64(at.shoff + 128 + 24, 1n << 40n, true)),
    [],
  ],
  [
    "a name past its string table",
    () => withSymbols([...SYMS, { name: NAMES.bytes.length + 8, value: 0x10050 }], NAMES.bytes),
    ["main", "helper"],
  ],
  [
    "a name without its NUL in the string table",
    () => withSymbols(SYMS, NAMES.bytes, (dv, at) => dv.setBigUint64(at.shoff + 128 + 32, 11n, true)),
    ["main"],
  ],
  [
    "a symbol value beyond 2^53",
    () => withSymbols([...SYMS, { name: NAMES.offsets[0], value: 1n << 60n }], NAMES.bytes),
    [],
  ],
];

for (const [what, bytes, names] of HOSTILE_SECTIONS) {
  Deno.test(`readSymbols reads ${names.length ? names.join(", ") : "nothing"} from ${what}`, () => {
    assertEquals(readSymbols(bytes()).map((s) => s.name), names);
  });
}

Deno.test("readSymbols bounds the memory of names that overlap: each symbol names a suffix of one long string", () => {
  // 4,000 symbols naming suffixes of a 100,000-byte string: 400 MB of names, read in full before.
  const strtab = new Uint8Array(100_001).fill(0x61, 0, 100_000);
  const file = withSymbols(Array.from({ length: 4000 }, (_, i) => ({ name: i, value: BASE + i })), strtab);
  const syms = readSymbols(file);
  const bytes = syms.reduce((n, s) => n + 64 + s.name.length + 1, 0);
  assert(syms.length > 0 && bytes <= 8 * file.length, `${syms.length} symbols, ${bytes} bytes`);
  assertEquals(syms[0].name.length, 100_000);
});

// ---------------------------------------------------------------- program files

Deno.test("readProgramFile refuses a directory, a device and a FIFO without reading or blocking", async () => {
  const dir = await tempDir("plume-elf-");
  const fifo = `${dir}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success, "mkfifo");
  for (const path of [dir, "/dev/zero", fifo]) {
    let err: unknown;
    try {
      readProgramFile(path);
    } catch (e) {
      err = e;
    }
    assert(err instanceof ProgramFileError, `${path}: ${err}`);
    assertEquals([err.message, err.errno], ["not a regular file", "EACCES"]);
  }
});
