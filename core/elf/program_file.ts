/**
 * Reading a file that is to be run: the program on the command line, an
 * ELF interpreter (`PT_INTERP`), a program the guest `execve`s. Only a
 * regular file of bounded size is read, as Linux's `execve` refuses
 * anything else: `/dev/zero` or a FIFO named as a program would otherwise
 * make plume read without end.
 *
 * @module
 */

/**
 * Largest program file read, in bytes. The guest's whole address space is
 * 2 GiB; real executables are far smaller (a statically linked LLVM tool is
 * about 100 MB).
 */
const MAX_PROGRAM_BYTES = 1 << 30;

/** Why a program file cannot be read; `errno` is what Linux's `execve` answers. */
export class ProgramFileError extends Error {
  constructor(message: string, readonly errno: "EACCES" | "ENOMEM" | "EIO") {
    super(message);
    this.name = "ProgramFileError";
  }
}

/**
 * Reads program file `path` completely.
 *
 * @throws {ProgramFileError} when it is not a regular file or is larger than {@link MAX_PROGRAM_BYTES}
 * @throws {Deno.errors.NotFound} and the other host errors of opening and reading it
 *
 * @example
 * ```ts
 * import { readProgramFile } from "./program_file.ts";
 * import { deepStrictEqual } from "node:assert";
 * const bytes = readProgramFile("tests/guest/bin/hello_asm");
 * deepStrictEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]); // "\x7fELF"
 * ```
 */
export function readProgramFile(path: string): Uint8Array<ArrayBuffer> {
  // A FIFO would block the open itself: look before opening, then check what was opened.
  if (!Deno.statSync(path).isFile) throw new ProgramFileError("not a regular file", "EACCES");
  const file = Deno.openSync(path, { read: true });
  try {
    const { isFile, size } = file.statSync();
    if (!isFile) throw new ProgramFileError("not a regular file", "EACCES");
    if (size > MAX_PROGRAM_BYTES) throw new ProgramFileError(`larger than ${MAX_PROGRAM_BYTES} bytes`, "ENOMEM");
    // Read no more than the size seen; a file that grows or shrinks meanwhile is refused.
    const bytes = new Uint8Array(size);
    let n = 0;
    try {
      while (n < size) {
        const r = file.readSync(bytes.subarray(n));
        if (r === null) break;
        n += r;
      }
      if (n < size || file.readSync(new Uint8Array(1)) !== null) {
        throw new ProgramFileError("changed while it was read", "EACCES");
      }
    } catch (err) {
      // A file that stat calls regular but cannot be read (/proc/self/mem): Linux's read error, in Linux's words.
      if (err instanceof Deno.errors.Interrupted || !(err instanceof Error) || err instanceof ProgramFileError) {
        throw err;
      }
      throw new ProgramFileError(err.message.replace(/ \(os error \d+\)$/, ""), "EIO");
    }
    return bytes;
  } finally {
    file.close();
  }
}
