/**
 * The few host C library calls Deno has no API for, made through Deno's
 * foreign-function interface and loaded on first use: `poll` (readiness of
 * the host's standard streams), `utimensat` (nanosecond times and
 * `UTIME_OMIT`), `lchown`, `statfs` and `fstatfs` (with `pipe`, `socket`,
 * `eventfd` and `close` to make a host object of a kind plume emulates, whose
 * file system the guest is told), `getrusage`, `clock_gettime` (the
 * process's CPU time), `madvise` (giving guest pages back: `core/mem/host_pages.ts`) and `lseek` (moving the offset of
 * the host's standard streams, which other processes share: `stdio.ts`) `statx` (file times to the nanosecond,
 * where Deno's are milliseconds: `stat.ts`), and `mkfifo`, `open`, `read`, `write`, `ioctl` and `fcntl` for named FIFOs
 * (`host_fifo.ts`). Each caller has a fallback for when the library cannot be loaded (no
 * `--allow-ffi`, no glibc): {@link libc} and {@link statxLibc} then return null.
 *
 * The structures `statfs` and `getrusage` fill are the same on x86-64 and
 * riscv64 Linux (both use the generic 64-bit layouts), so their bytes are
 * handed to the guest as they are.
 *
 * @module
 */

/**
 * `statx` (glibc 2.28 and later: without it, the rest still loads), also
 * bound alone: a dynamic program's loader asks the status of every library
 * it opens, and binding this one function costs about 0.9 ms of that run's
 * start-up where binding all of them cost 2.8.
 */
const STATX_SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32", optional: true },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const SYMBOLS = {
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  lchown: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  statfs: { parameters: ["buffer", "buffer"], result: "i32" },
  fstatfs: { parameters: ["i32", "buffer"], result: "i32" },
  pipe: { parameters: ["buffer"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  getrusage: { parameters: ["i32", "buffer"], result: "i32" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  // Named FIFOs (`host_fifo.ts`): made, opened without waiting for the other end, read and written without blocking.
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i64"], result: "i32" },
  ...STATX_SYMBOLS,
} as const;

/** The loaded library's functions. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Libc | null | undefined;
/** Library handles, kept so that none is collected while its functions are in use. */
const handles: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];

/**
 * The host C library with `symbols` bound, or null when it cannot be
 * loaded (no `--allow-ffi`, no glibc). Each call binds them again: callers
 * keep what it returns.
 */
export function openLibc<S extends Deno.ForeignLibraryInterface>(symbols: S): Deno.DynamicLibrary<S>["symbols"] | null {
  try {
    const h = Deno.dlopen("libc.so.6", symbols);
    handles.push(h);
    return h.symbols;
  } catch {
    return null;
  }
}

/**
 * The host C library, or null when it cannot be loaded.
 *
 * @example
 * ```ts
 * import { libc } from "./host_libc.ts";
 * import { strictEqual } from "node:assert";
 * const c = libc();
 * if (c) strictEqual(c.getrusage(0, new Uint8Array(144)), 0);
 * ```
 */
export function libc(): Libc | null {
  if (lib === undefined) lib = openLibc(SYMBOLS);
  return lib;
}

/** The functions of {@link statxLibc}. */
export type StatxLibc = Deno.DynamicLibrary<typeof STATX_SYMBOLS>["symbols"];

let statxLib: StatxLibc | null | undefined;

/**
 * The host C library's `statx` (null when the library cannot be loaded,
 * its `statx` null when glibc has none): {@link libc}'s once that is
 * loaded, else bound alone.
 */
export function statxLibc(): StatxLibc | null {
  if (lib) return lib;
  if (statxLib === undefined) statxLib = openLibc(STATX_SYMBOLS);
  return statxLib;
}

/** The host `errno` after a failed call. */
export function hostErrnoValue(c: Pick<Libc, "__errno_location">): number {
  const p = c.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** A NUL-terminated copy of `path` for C. */
export function cString(path: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(path);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
