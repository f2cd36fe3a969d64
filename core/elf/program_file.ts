/**
 * Reading a file that is to be run: the program on the command line, an
 * ELF interpreter (`PT_INTERP`), a program the guest `execve`s. Only a
 * regular file is read, as Linux's `execve` refuses anything else:
 * `/dev/zero` or a FIFO named as a program would otherwise make plume read
 * without end. And only what a loader reads of it: the ELF header, the
 * program headers and the bytes of the segments they load (and of
 * `PT_INTERP`), never what lies after them — debugging sections, symbol
 * tables — which Linux and qemu map but never touch when they load. A
 * program built with debugging information can be several times the size
 * of its code: plume read it whole, held it all in memory while loading,
 * and refused one above 1 GiB that qemu runs.
 *
 * @module
 */

/**
 * Most bytes read of a program file: what its segments load must fit the
 * guest's address space (2 GiB) anyway; real executables load far less (a
 * statically linked LLVM tool, about 100 MB).
 */
const MAX_PROGRAM_BYTES = 1 << 30;

/** What is read of a file that is not a 64-bit little-endian ELF file: a script's `#!` line is in its first 256 bytes. */
const NOT_ELF_BYTES = 4096;

/** `PT_LOAD` and `PT_INTERP`: the program headers whose bytes a loader reads. */
const PT_LOAD = 1, PT_INTERP = 3;

/** Why a program file cannot be read; `errno` is what Linux's `execve` answers. */
export class ProgramFileError extends Error {
  constructor(message: string, readonly errno: "EACCES" | "ENOMEM" | "EIO") {
    super(message);
    this.name = "ProgramFileError";
  }
}

/**
 * Reads what a loader reads of program file `path` (see the module's
 * comment): from its start to the end of the last byte a program header
 * of type `PT_LOAD` or `PT_INTERP` names, or of the program headers
 * themselves. A file that is not a 64-bit little-endian ELF file: its
 * first 4 KiB (a script's `#!` line). One whose headers point past its end
 * is read whole, for the ELF parser to say what is wrong. `whole` reads it all
 * (its symbols are in its sections).
 *
 * @throws {ProgramFileError} when it is not a regular file, or what it loads is larger than {@link MAX_PROGRAM_BYTES}
 * @throws {Deno.errors.NotFound} and the other host errors of opening and reading it
 *
 * @example
 * ```ts
 * import { readProgramFile } from "./program_file.ts";
 * import { deepStrictEqual, strictEqual } from "node:assert";
 * const loaded = readProgramFile("tests/guest/bin/hello_asm");
 * deepStrictEqual([...loaded.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]); // "\x7fELF"
 * const whole = readProgramFile("tests/guest/bin/hello_asm", true);
 * strictEqual(whole.length, Deno.statSync("tests/guest/bin/hello_asm").size);
 * strictEqual(loaded.length < whole.length, true); // its symbols and section headers are not loaded
 * ```
 */
export function readProgramFile(path: string, whole = false): Uint8Array<ArrayBuffer> {
  // A FIFO would block the open itself: look before opening, then check what was opened.
  if (!Deno.statSync(path).isFile) throw new ProgramFileError("not a regular file", "EACCES");
  const file = Deno.openSync(path, { read: true });
  try {
    const { isFile, size } = file.statSync();
    if (!isFile) throw new ProgramFileError("not a regular file", "EACCES");
    try {
      const length = whole ? size : loadedLength(file, size);
      if (length > MAX_PROGRAM_BYTES) {
        throw new ProgramFileError(`loads more than ${MAX_PROGRAM_BYTES} bytes`, "ENOMEM");
      }
      const bytes = new Uint8Array(length);
      // Read no more than the size seen; a file that grows or shrinks meanwhile is refused. Read whole, the file
      // must end there (a read past it is also what fails for a file stat calls regular but that cannot be read,
      // /proc/self/mem: EIO below).
      const ended = () => length === size ? file.readSync(new Uint8Array(1)) === null : file.statSync().size === size;
      if (readAt(file, bytes, 0) < length || !ended()) {
        throw new ProgramFileError("changed while it was read", "EACCES");
      }
      return bytes;
    } catch (err) {
      // A file that stat calls regular but cannot be read (/proc/self/mem): Linux's read error, in Linux's words.
      if (err instanceof Deno.errors.Interrupted || !(err instanceof Error) || err instanceof ProgramFileError) {
        throw err;
      }
      throw new ProgramFileError(err.message.replace(/ \(os error \d+\)$/, ""), "EIO");
    }
  } finally {
    file.close();
  }
}

/** How many bytes from the start of `file` (of `size` bytes) a loader reads (see {@link readProgramFile}). */
function loadedLength(file: Deno.FsFile, size: number): number {
  const header = new Uint8Array(Math.min(size, 64));
  if (readAt(file, header, 0) < header.length || header.length < 64) return size;
  const elf = header[0] === 0x7f && header[1] === 0x45 && header[2] === 0x4c && header[3] === 0x46;
  // Not an ELF file plume runs: what a `#!` line needs (Linux reads 256 bytes), or the parser's reason.
  if (!elf || header[4] !== 2 || header[5] !== 1) return Math.min(size, NOT_ELF_BYTES);
  const dv = new DataView(header.buffer);
  const phoff = Number(dv.getBigUint64(32, true)), phentsize = dv.getUint16(54, true), phnum = dv.getUint16(56, true);
  const table = phoff + phnum * phentsize;
  if (phentsize !== 56 || table > size) return size;
  const phdrs = new Uint8Array(table - phoff);
  if (readAt(file, phdrs, phoff) < phdrs.length) return size;
  const pv = new DataView(phdrs.buffer);
  let end = Math.max(64, table);
  for (let o = 0; o < phdrs.length; o += 56) {
    const type = pv.getUint32(o, true);
    if (type !== PT_LOAD && type !== PT_INTERP) continue;
    const last = Number(pv.getBigUint64(o + 8, true)) + Number(pv.getBigUint64(o + 32, true));
    // Past the end of the file (or beyond any integer): the whole file, and the parser refuses it.
    if (!(last <= size)) return size;
    end = Math.max(end, last);
  }
  return end;
}

/** Fills `into` from offset `at` of `file` (fewer bytes only at the file's end); returns how many were read. */
function readAt(file: Deno.FsFile, into: Uint8Array, at: number): number {
  file.seekSync(at, Deno.SeekMode.Start);
  let n = 0;
  while (n < into.length) {
    const r = file.readSync(into.subarray(n));
    if (r === null || r === 0) break;
    n += r;
  }
  return n;
}
