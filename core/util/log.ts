/**
 * QEMU-style debug logging: `-d ITEM[,ITEM…]` chooses what is logged and
 * `-D LOGFILE` where it goes (stderr by default).
 *
 * @module
 */

/** Log items plume understands, with the help text `-d help` prints. */
export const LOG_ITEMS: Readonly<Record<string, string>> = {
  in_asm: "show target assembly code for each compiled TB",
  exec: "show trace before each executed TB",
  cpu: "show CPU registers before entering a TB",
  fpu: "include FPU registers in the 'cpu' logging",
  unimp: "log unimplemented functionality",
  strace: "log every user-mode syscall, its input, and its result",
  plugin: "output from TCG plugins",
  page: "dump the guest's memory mappings at the start of user mode emulation",
  nochain: 'do not chain compiled TBs so that "exec" and "cpu" show complete traces',
};

const encoder = new TextEncoder();

/** Writes all of `bytes` synchronously (writes may be partial on pipes). */
export function writeAll(out: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += out.writeSync(bytes.subarray(off));
}

/**
 * Where log text goes, and which items are on.
 *
 * @example Log to stderr when "unimp" is enabled
 * ```ts
 * import { Log } from "./log.ts";
 * const log = new Log(new Set(["unimp"]));
 * if (log.on("unimp")) log.write("Unsupported syscall: 999\n");
 * ```
 */
export class Log {
  /** Enabled items. */
  readonly items: ReadonlySet<string>;
  private readonly file: Deno.FsFile | undefined;

  /**
   * @param items enabled `-d` items
   * @param file open log file (`-D`), or undefined for stderr
   */
  constructor(items: ReadonlySet<string> = new Set(), file?: Deno.FsFile) {
    this.items = items;
    this.file = file;
  }

  /** True when `item` is enabled. */
  on(item: string): boolean {
    return this.items.has(item);
  }

  /** Writes text to the log (synchronously, so it interleaves with guest output). */
  write(text: string): void {
    writeAll(this.file ?? Deno.stderr, encoder.encode(text));
  }

  /** Writes an error message to stderr, whatever the log file (messages the user must see). */
  error(text: string): void {
    writeAll(Deno.stderr, encoder.encode(text));
  }

  /** Flushes and closes the log file, if any. */
  close(): void {
    this.file?.close();
  }
}
