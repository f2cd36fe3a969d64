/**
 * The guest's file descriptor table: descriptor numbers mapped to shared
 * open file descriptions, each with its own close-on-exec flag. The
 * standard streams 0, 1 and 2 start as the host's.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { O_PATH, type OpenFile } from "./open_file.ts";
import { StdioFile, TerminalState } from "./stdio.ts";

/**
 * Descriptor table of a process.
 *
 * @example Install a file at the lowest free descriptor, then close it
 * ```ts
 * import { FdTable } from "./fd_table.ts";
 * import { MemFile } from "./open_file.ts";
 * import { strictEqual } from "node:assert";
 * const t = new FdTable();
 * const fd = t.install(new MemFile(new Uint8Array(0), "/x"), { limit: 1024 });
 * strictEqual(fd, 3); // 0, 1 and 2 are the standard streams
 * t.close(fd);
 * ```
 */
export class FdTable {
  private readonly files: (OpenFile | undefined)[] = [];
  private readonly cloexec: boolean[] = [];
  /** Settings of the host terminal, shared by the standard streams. */
  readonly terminal: TerminalState;
  /**
   * Told of each descriptor about to be closed (or replaced), before its
   * reference is dropped (the file can still be looked at: `refs` 1 means
   * this is its last): file locks follow closes.
   */
  onClose: ((file: OpenFile) => void) | undefined = undefined;

  /** @param terminal the host terminal's settings (shared with the table this one was copied from) */
  constructor(terminal: TerminalState = new TerminalState()) {
    this.terminal = terminal;
    for (const fd of [0, 1, 2] as const) this.installAt(fd, new StdioFile(fd, this.terminal), false);
  }

  /**
   * The table `fork` gives the child: the same descriptions (shared, as in
   * Linux) at the same numbers, with their close-on-exec flags.
   */
  copy(): FdTable {
    const t = new FdTable(this.terminal);
    for (let fd = 0; fd < Math.max(this.files.length, t.files.length); fd++) {
      const f = this.files[fd];
      if (f !== undefined) t.installAt(fd, f, this.cloexec[fd] ?? false);
      else if (t.files[fd] !== undefined) t.close(fd);
    }
    return t;
  }

  /** The description behind `fd`, or undefined. */
  lookup(fd: number): OpenFile | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.files[fd] : undefined;
  }

  /** The description behind `fd`; `EBADF` when it is not open. */
  get(fd: number): OpenFile {
    const f = this.lookup(fd);
    if (f === undefined) throw new SyscallError(E.EBADF, `fd ${fd} is not open`);
    return f;
  }

  /**
   * The description behind `fd` for a call that works on an opened file
   * (Linux's `fdget`, not `fdget_raw`): `EBADF` also for an `O_PATH` one,
   * which only names its file.
   */
  opened(fd: number): OpenFile {
    const f = this.get(fd);
    if (f.flags & O_PATH) throw new SyscallError(E.EBADF, `fd ${fd} is open with O_PATH`);
    return f;
  }

  /**
   * Puts `file` at the lowest free descriptor at or above `min`, below
   * `limit` (`RLIMIT_NOFILE`); `EMFILE` when none is free.
   */
  install(file: OpenFile, opts: { min?: number; cloexec?: boolean; limit: number }): number {
    const fd = this.free(opts.min ?? 0, opts.limit);
    this.installAt(fd, file, opts.cloexec ?? false);
    return fd;
  }

  /** The lowest free descriptor at or above `min`; `EMFILE` when none is below `limit` (a call checks it first). */
  free(min: number, limit: number): number {
    let fd = min;
    while (fd < this.files.length && this.files[fd] !== undefined) fd++;
    if (fd >= limit) throw new SyscallError(E.EMFILE, `No free descriptor below ${limit}`);
    return fd;
  }

  /** Puts `file` at `fd`, closing what was there (as `dup3` does). */
  installAt(fd: number, file: OpenFile, cloexec: boolean): void {
    // Take the new reference first: installing a description over itself must not release it.
    file.retain();
    const old = this.files[fd];
    this.files[fd] = file;
    this.cloexec[fd] = cloexec;
    if (old !== undefined) {
      this.onClose?.(old);
      old.drop();
    }
  }

  /** Closes `fd`; `EBADF` when it is not open. Host errors of the last close are reported. */
  close(fd: number): void {
    const f = this.get(fd);
    this.files[fd] = undefined;
    this.cloexec[fd] = false;
    while (this.files.length > 0 && this.files[this.files.length - 1] === undefined) this.files.pop();
    this.onClose?.(f);
    f.drop();
  }

  /** The close-on-exec flag of `fd` (which must be open). */
  getCloexec(fd: number): boolean {
    this.get(fd);
    return this.cloexec[fd] ?? false;
  }

  /** Sets the close-on-exec flag of `fd` (which must be open). */
  setCloexec(fd: number, on: boolean): void {
    this.get(fd);
    this.cloexec[fd] = on;
  }

  /** Open descriptors in `[first, last]`, ascending. */
  openIn(first: number, last: number): number[] {
    const out: number[] = [];
    for (let fd = first; fd <= last && fd < this.files.length; fd++) if (this.files[fd] !== undefined) out.push(fd);
    return out;
  }

  /** Closes every descriptor (at process exit) and restores the terminal. */
  closeAll(): void {
    for (const fd of this.openIn(0, this.files.length)) {
      try {
        this.close(fd);
      } catch {
        // A failing close at exit has no one to report to.
      }
    }
    this.terminal.restore();
  }
}
