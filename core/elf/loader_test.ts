/**
 * Loading hostile executables into an address space: segments that do not
 * fit, that overlap the stack, an interpreter over the program. Each must be
 * refused with one {@link ElfError} line naming the file.
 */

import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import { AddressSpace } from "../mem/address_space.ts";
import { BASE, CODE, executable, type ExecutableOptions } from "./_elf_testing.ts";
import { ElfError, ET_DYN, ET_EXEC, parseElf, PT_INTERP } from "./elf.ts";
import { checkLayout, type LoadedProgram, loadProgram, PIE_BASE } from "./loader.ts";

const INTERP = "/lib/ld.so";

/** Loads `program` into a fresh address space; a PT_INTERP gets `interp`. */
function load(program: Uint8Array, interp: Uint8Array = executable({ type: ET_DYN })): LoadedProgram {
  return loadProgram(new AddressSpace(), {
    path: "prog",
    bytes: program,
    argv: ["prog"],
    envp: [],
    execfn: "prog",
    readInterp: (path) => ({ path, bytes: interp }),
    random: new Uint8Array(16),
    uid: 0,
    gid: 0,
  });
}

/** The valid executable with a PT_INTERP naming {@link INTERP}. */
const DYNAMIC: ExecutableOptions = {
  tail: new TextEncoder().encode(INTERP + "\0"),
  segments: (l) => [{ type: PT_INTERP, flags: 4, offset: l.tail, filesz: INTERP.length + 1 }, {}],
};

/** Executables plume cannot load: what is wrong, the files, what the message says. */
const HOSTILE: [what: string, program: () => Uint8Array, interp: (() => Uint8Array) | undefined, message: string][] = [
  ["a segment at address 0", () => executable({ segments: () => [{ vaddr: 0 }] }), undefined, "segments at 0x0-"],
  [
    // The bounds were rounded with `&`, which truncated them to 32 bits: "0x-80000000".
    "a segment at 2 GiB",
    () => executable({ segments: () => [{ vaddr: 0x8000_0000 }] }),
    undefined,
    "segments at 0x80000000-0x80000088 do not fit",
  ],
  [
    "a segment at 4 GiB",
    () => executable({ segments: () => [{ vaddr: 0x1_0000_0000 }] }),
    undefined,
    "segments at 0x100000000-0x100000088 do not fit",
  ],
  [
    "a segment of 2^47 bytes",
    () => executable({ segments: (l) => [{ filesz: l.size, memsz: 2 ** 47 }] }),
    undefined,
    "segments at 0x10000-0x800000010000 do not fit",
  ],
  [
    "a position-independent image of 2^47 bytes",
    () => executable({ type: ET_DYN, segments: (l) => [{ vaddr: 0, filesz: l.size, memsz: 2 ** 47 }] }),
    undefined,
    "segments at 0x40000000-0x800040000000 do not fit",
  ],
  [
    // The stack used to be mapped over it: the program's pages replaced by zeros, then a SIGSEGV or worse.
    "a segment reaching into the stack",
    () => executable({ segments: (l) => [{ filesz: l.size, memsz: 0x7ff0_0000 }] }),
    undefined,
    "segments overlap the stack at 0x7f7f0000",
  ],
  [
    // Linux maps an ET_EXEC interpreter only where nothing is; plume used to map it over the program.
    "an ET_EXEC interpreter at the program's address",
    () => executable(DYNAMIC),
    () => executable({ type: ET_EXEC }),
    "segments at 0x10000-0x10088 overlap the program",
  ],
  [
    "an interpreter with an interpreter",
    () => executable(DYNAMIC),
    () => executable({ ...DYNAMIC, type: ET_DYN }),
    "an interpreter cannot itself have an interpreter",
  ],
  ["an interpreter that is not ELF", () => executable(DYNAMIC), () => new Uint8Array(100), "not an ELF file"],
  [
    // Below and above a position-independent program at PIE_BASE (1 GiB) there is about 1 GiB each: checked before
    // anything is mapped, so that execve refuses it while the caller's image is still there.
    "a position-independent interpreter of 1.1 GiB",
    () => executable({ ...DYNAMIC, type: ET_DYN }),
    () => executable({ type: ET_DYN, segments: (l) => [{ filesz: l.size, memsz: 0x4600_0000 }] }),
    "no room for a",
  ],
];

for (const [what, program, interp, message] of HOSTILE) {
  Deno.test(`loadProgram refuses ${what} with one ElfError line`, () => {
    let err: unknown;
    try {
      load(program(), interp?.());
    } catch (e) {
      err = e;
    }
    assert(err instanceof ElfError, `expected an ElfError, got ${err}`);
    const file = interp ? INTERP : "prog";
    assertMatch(err.message, new RegExp(`^${file}: [^\\n]+$`));
    assert(err.message.includes(message), `"${err.message}" does not say "${message}"`);
  });
}

Deno.test("loadProgram loads the valid executable the hostile files are made from", () => {
  const loaded = load(executable());
  assertEquals([loaded.pc, loaded.main.bias, loaded.interp], [BASE + CODE, 0, undefined]);
  const dynamic = load(executable(DYNAMIC));
  assertEquals(dynamic.pc, dynamic.interp!.entry);
});

Deno.test("loadProgram places a position-independent program linked above 4 GiB at PIE_BASE, as Linux does", () => {
  const high = 0x1_0000_0000;
  const loaded = load(
    executable({ type: ET_DYN, entry: high + CODE, segments: () => [{ vaddr: high }] }),
  );
  assertEquals([loaded.main.start, loaded.pc], [PIE_BASE, PIE_BASE + CODE]);
});

Deno.test("checkLayout refuses a position-independent interpreter that loadProgram would find no room for", () => {
  const main = { elf: parseElf(executable({ ...DYNAMIC, type: ET_DYN }), "prog"), path: "prog" };
  const big = executable({ type: ET_DYN, segments: (l) => [{ filesz: l.size, memsz: 0x4600_0000 }] });
  const small = executable({ type: ET_DYN });
  const size = new AddressSpace().size;
  assertThrows(() => checkLayout(size, main, { elf: parseElf(big, INTERP), path: INTERP }), ElfError, "no room for a");
  checkLayout(size, main, { elf: parseElf(small, INTERP), path: INTERP });
});
