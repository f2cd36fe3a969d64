/**
 * The file `-record` writes and `-replay` reads: a versioned header, a
 * stream of records, and a trailer that proves the file is whole.
 *
 * ```
 * "PLUMEREC"  u32 format version  u32 header length  header (JSON, UTF-8)
 * record*     (kind u8, then the kind's fields; little-endian)
 * i32 exit status  f64 record count  32-byte SHA-256 of every byte before it  "PLUMEEND"
 * ```
 *
 * A file without its trailer (the recorded run was killed), with a wrong
 * digest (changed or cut) or of another format version is refused before
 * anything runs, with one line ({@link RecordingError}).
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";

/** Magic at the start of a recording. */
const MAGIC = "PLUMEREC";
/** Magic at the end of a complete recording. */
const END_MAGIC = "PLUMEEND";
/**
 * Format version: raised whenever a recording's meaning changes (the
 * records, or which system calls are replayed by running them again).
 */
const FORMAT_VERSION = 1;
/** Bytes of the trailer: status, record count, digest, magic. */
const TRAILER = 4 + 8 + 32 + 8;
/** Bytes buffered before they are written to the file. */
const FLUSH_BYTES = 1 << 20;

/** A recording that cannot be made or replayed: one line for the user, exit status 1. */
export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RecordingError";
  }
}

/** What a recording says about the run as a whole: enough to start the same program the same way. */
export interface RecordingHeader {
  /** plume's version that recorded it. */
  plume: string;
  /** The program as named on the command line. */
  program: string;
  /** Its absolute path when recorded (replay reads it from there unless told otherwise). */
  exePath: string;
  /** SHA-256 (hex) of the program file. */
  sha256: string;
  /** The ELF interpreter's path and SHA-256, for a dynamically linked program. */
  interp?: { path: string; sha256: string };
  /** The guest's argv (argv[0] included) and environment. */
  argv: string[];
  envp: string[];
  /** `-L`. */
  sysroot: string;
  /** `-seed` (slice lengths of several threads depend on it). */
  seed?: number;
  /** `-one-insn-per-tb` (block boundaries, which slices count). */
  oneInsnPerTb: boolean;
  /** `-cpu`: the optional extensions the guest had (absent in recordings that predate it: the default ones). */
  extensions?: string[];
  /** The 16 bytes of `AT_RANDOM` (hex). */
  random: string;
  /** `AT_UID`/`AT_GID` and the process id the guest saw. */
  uid: number;
  gid: number;
  pid: number;
}

/** Whether a parsed header has every field, of its type. */
function wellFormed(h: unknown): h is RecordingHeader {
  if (typeof h !== "object" || h === null) return false;
  const r = h as Record<string, unknown>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  const id = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const interp = r.interp as Record<string, unknown> | undefined;
  return ["plume", "program", "exePath", "sha256", "sysroot"].every((k) => typeof r[k] === "string") &&
    strings(r.argv) && strings(r.envp) && typeof r.oneInsnPerTb === "boolean" &&
    (r.seed === undefined || id(r.seed)) && (r.extensions === undefined || strings(r.extensions)) &&
    typeof r.random === "string" && /^([0-9a-f]{2}){16}$/.test(r.random) &&
    id(r.uid) && id(r.gid) && id(r.pid) && (r.pid as number) > 0 &&
    (interp === undefined || (typeof interp.path === "string" && typeof interp.sha256 === "string"));
}

/** SHA-256 of `bytes` in hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const encoder = new TextEncoder();

/**
 * Writes a recording: records are encoded into a buffer that goes to the
 * file a mebibyte at a time; {@link finish} writes the trailer.
 *
 * @example
 * ```ts
 * import { RecordingReader, RecordingWriter } from "./recording_file.ts";
 * import { strictEqual } from "node:assert";
 * const path = Deno.makeTempFileSync();
 * const w = new RecordingWriter(path);
 * w.header({ plume: "0", program: "p", exePath: "/p", sha256: "", argv: ["p"], envp: [], sysroot: "",
 *   oneInsnPerTb: false, random: "00".repeat(16), uid: 0, gid: 0, pid: 1 });
 * w.u8(7).f64(1.5).end();
 * w.finish(3);
 * const r = RecordingReader.open(path, "0");
 * strictEqual(r.u8(), 7);
 * strictEqual(r.f64(), 1.5);
 * strictEqual(r.status, 3);
 * Deno.removeSync(path);
 * ```
 */
export class RecordingWriter {
  private buf = new Uint8Array(FLUSH_BYTES + 4096);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly file: Deno.FsFile;
  private readonly hash: Hash = createHash("sha256");
  /** Records written so far. */
  records = 0;
  /** Bytes written so far (the file's size once finished). */
  bytes = 0;

  /** @param path the file to create (an existing one is replaced) */
  constructor(readonly path: string) {
    try {
      this.file = Deno.openSync(path, { write: true, create: true, truncate: true });
    } catch (err) {
      throw new RecordingError(`-record ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Writes the magic, the format version and the header. */
  header(h: RecordingHeader): void {
    const json = encoder.encode(JSON.stringify(h));
    this.bytesOf(encoder.encode(MAGIC)).u32(FORMAT_VERSION).u32(json.length).bytesOf(json);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }

  i32(v: number): this {
    this.room(4);
    this.view.setInt32(this.pos, v | 0, true);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** Raw bytes (the caller wrote their length). */
  bytesOf(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Ends a record: counts it, and writes the buffer out once it is large. */
  end(): void {
    this.records++;
    if (this.pos >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    const out = this.buf.subarray(0, this.pos);
    this.hash.update(out);
    let done = 0;
    while (done < out.length) done += this.file.writeSync(out.subarray(done));
    this.bytes += out.length;
    this.pos = 0;
  }

  /** Writes the trailer and closes the file. */
  finish(status: number): void {
    this.i32(status).f64(this.records);
    this.flush();
    const digest = new Uint8Array(this.hash.digest());
    this.bytesOf(digest).bytesOf(encoder.encode(END_MAGIC));
    const out = this.buf.subarray(0, this.pos);
    let done = 0;
    while (done < out.length) done += this.file.writeSync(out.subarray(done));
    this.bytes += out.length;
    this.pos = 0;
    this.file.close();
  }

  /** Closes and removes the file: the run could not be recorded. */
  abandon(): void {
    try {
      this.file.close();
      Deno.removeSync(this.path);
    } catch { /* already closed and removed */ }
  }
}

/**
 * Reads a recording checked whole: {@link open} refuses a file that is not
 * one, is of another version, was cut short or changed.
 */
export class RecordingReader {
  private readonly view: DataView;
  private pos: number;
  /** Where the records end (the trailer starts). */
  private readonly limit: number;
  /** The header. */
  readonly header: RecordingHeader;
  /** The recorded run's exit status. */
  readonly status: number;
  /** Number of records. */
  readonly records: number;

  private constructor(private readonly bytes: Uint8Array, header: RecordingHeader, pos: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = header;
    this.pos = pos;
    this.limit = bytes.length - TRAILER;
    this.status = this.view.getInt32(this.limit, true);
    this.records = this.view.getFloat64(this.limit + 4, true);
  }

  /**
   * Reads and checks the recording at `path`.
   *
   * @param path the file
   * @param version plume's version (a recording by another plume is refused)
   * @throws {RecordingError} with one line saying what is wrong
   */
  static open(path: string, version: string): RecordingReader {
    const refuse = (why: string) => new RecordingError(`-replay ${path}: ${why}`);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (err) {
      throw refuse(err instanceof Error ? err.message : String(err));
    }
    const text = (from: number, n: number) => new TextDecoder().decode(bytes.subarray(from, from + n));
    if (bytes.length < 16 || text(0, 8) !== MAGIC) throw refuse("not a plume recording");
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const format = view.getUint32(8, true);
    if (format !== FORMAT_VERSION) {
      throw refuse(`recording format ${format}, this plume reads format ${FORMAT_VERSION}`);
    }
    if (bytes.length < 16 + TRAILER || text(bytes.length - 8, 8) !== END_MAGIC) {
      throw refuse("truncated (the recorded run did not finish, or the file was cut short)");
    }
    const digest = createHash("sha256").update(bytes.subarray(0, bytes.length - 40)).digest("hex");
    const stored = Array.from(
      bytes.subarray(bytes.length - 40, bytes.length - 8),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
    if (digest !== stored) throw refuse("corrupt (its checksum does not match its contents)");
    const len = view.getUint32(12, true);
    let header: RecordingHeader;
    try {
      header = JSON.parse(text(16, len));
    } catch {
      throw refuse("corrupt (unreadable header)");
    }
    if (!wellFormed(header)) throw refuse("corrupt (incomplete header)");
    if (header.plume !== version) throw refuse(`recorded by plume ${header.plume}, this is plume ${version}`);
    return new RecordingReader(bytes, header, 16 + len);
  }

  /** True when every record was read. */
  get atEnd(): boolean {
    return this.pos >= this.limit;
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) throw new RecordingError("-replay: the recording ends before the run does");
  }

  /** Where the next read starts, for {@link rewind}. */
  mark(): number {
    return this.pos;
  }

  /** Reads again from a {@link mark}. */
  rewind(mark: number): void {
    this.pos = mark;
  }

  /** The next byte without consuming it (-1 at the end). */
  peek(): number {
    return this.pos < this.limit ? this.bytes[this.pos] : -1;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The next `n` bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}
