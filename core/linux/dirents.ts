/**
 * Directory listings as `getdents64` returns them: `.` and `..` first,
 * then the host's entries in the host's order, each with its real inode
 * number and type, encoded as `struct linux_dirent64` records.
 *
 * @module
 */

import { hostCall } from "./errno.ts";

/** `d_type`: unknown. */
const DT_UNKNOWN = 0;
/** `d_type`: FIFO. */
const DT_FIFO = 1;
/** `d_type`: character device. */
const DT_CHR = 2;
/** `d_type`: directory. */
export const DT_DIR = 4;
/** `d_type`: block device. */
const DT_BLK = 6;
/** `d_type`: regular file. */
export const DT_REG = 8;
/** `d_type`: symbolic link. */
export const DT_LNK = 10;
/** `d_type`: socket. */
const DT_SOCK = 12;

/** One directory entry. */
export interface DirEntry {
  /** Entry name (bytes of the host name). */
  name: Uint8Array;
  /** Inode number. */
  ino: bigint;
  /** `DT_*` type. */
  type: number;
}

const encoder = new TextEncoder();

/** `d_type` values by file type bits (`S_IFMT >> 12`). */
const DT_OF_TYPE: Readonly<Record<number, number>> = {
  0o01: DT_FIFO,
  0o02: DT_CHR,
  0o04: DT_DIR,
  0o06: DT_BLK,
  0o10: DT_REG,
  0o12: DT_LNK,
  0o14: DT_SOCK,
};

/** Inode number and `d_type` of `path` (not following a symbolic link). */
function identify(path: string): { ino: bigint; type: number } {
  try {
    const st = Deno.lstatSync(path);
    return { ino: BigInt(st.ino ?? 0), type: DT_OF_TYPE[((st.mode ?? 0) >> 12) & 0o17] ?? DT_UNKNOWN };
  } catch {
    // Removed since the listing was read: 0 keeps the record harmless.
    return { ino: 0n, type: DT_UNKNOWN };
  }
}

/**
 * Lists the host directory `path` (absolute): `.`, `..`, then its entries
 * in the host's order (which `Deno.readDirSync` keeps).
 *
 * @example
 * ```ts
 * import { listDirectory } from "./dirents.ts";
 * import { deepStrictEqual } from "node:assert";
 * const names = listDirectory("/").map((e) => new TextDecoder().decode(e.name));
 * deepStrictEqual(names.slice(0, 2), [".", ".."]);
 * ```
 */
export function listDirectory(path: string): DirEntry[] {
  const names = hostCall(() => [...Deno.readDirSync(path)].map((e) => e.name));
  const sep = path.endsWith("/") ? "" : "/";
  const out: DirEntry[] = [];
  for (const name of [".", "..", ...names]) out.push({ name: encoder.encode(name), ...identify(path + sep + name) });
  return out;
}

/** Size of a `linux_dirent64` record for a name of `nameLen` bytes (8-byte aligned). */
export function direntSize(nameLen: number): number {
  return (19 + nameLen + 1 + 7) & ~7;
}

/**
 * Encodes entries from index `from` into at most `max` bytes; `next` is
 * the index of the first entry left out. `d_off` of a record is the index
 * after it, so seeking to a `d_off` resumes there.
 *
 * @example
 * ```ts
 * import { DT_REG, encodeDirents } from "./dirents.ts";
 * import { strictEqual } from "node:assert";
 * const e = { name: new TextEncoder().encode("a"), ino: 5n, type: DT_REG };
 * const { bytes, next } = encodeDirents([e, e], 0, 30);
 * strictEqual(bytes.length, 24); // one 24-byte record fits in 30 bytes
 * strictEqual(next, 1);
 * ```
 */
export function encodeDirents(entries: readonly DirEntry[], from: number, max: number): {
  bytes: Uint8Array;
  next: number;
} {
  let size = 0;
  let i = from;
  while (i < entries.length && size + direntSize(entries[i].name.length) <= max) {
    size += direntSize(entries[i].name.length);
    i++;
  }
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let off = 0;
  for (let k = from; k < i; k++) {
    const e = entries[k];
    const len = direntSize(e.name.length);
    view.setBigUint64(off, e.ino, true);
    view.setBigInt64(off + 8, BigInt(k + 1), true);
    view.setUint16(off + 16, len, true);
    view.setUint8(off + 18, e.type);
    bytes.set(e.name, off + 19);
    off += len;
  }
  return { bytes, next: i };
}
