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
  plugin_stats: "at exit, what each plugin's records and calls cost (plume's own)",
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
 * @example Log "unimp" items to a file (`-d unimp -D FILE`)
 * ```ts
 * import { Log } from "./log.ts";
 * import { strictEqual } from "node:assert";
 * const path = Deno.makeTempFileSync();
 * const log = new Log(new Set(["unimp"]), Deno.openSync(path, { write: true }));
 * if (log.on("unimp")) log.write("Unsupported syscall: 999\n");
 * if (log.on("strace")) log.write("not logged\n");
 * log.close();
 * strictEqual(Deno.readTextFileSync(path), "Unsupported syscall: 999\n");
 * Deno.removeSync(path);
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

  /** False when the last text written to stderr did not end a line. */
  private stderrAtLineStart = true;

  /** Writes text to the log (synchronously, so it interleaves with guest output). */
  write(text: string): void {
    writeAll(this.file ?? Deno.stderr, encoder.encode(text));
    if (!this.file && text.length > 0) this.stderrAtLineStart = text.endsWith("\n");
  }

  /**
   * Writes an error message to stderr, whatever the log file (messages the
   * user must see). It starts a line of its own, and on a terminal resets
   * the character attributes first: plugin output (`-d plugin`) shares
   * stderr and may have left a line open or the text concealed.
   */
  error(text: string): void {
    let prefix = this.stderrAtLineStart ? "" : "\n";
    if (!this.stderrAtLineStart || this.items.has("plugin")) {
      try {
        if (Deno.stderr.isTerminal()) prefix += "\x1b[0m";
      } catch { /* not knowable: no reset */ }
    }
    writeAll(Deno.stderr, encoder.encode(prefix + text));
    this.stderrAtLineStart = text.endsWith("\n");
  }

  /** Flushes and closes the log file, if any. */
  close(): void {
    this.file?.close();
  }
}
