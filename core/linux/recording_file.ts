/**
 * The file `-record` writes and `-replay` reads: a versioned header, a
 * stream of records, and a trailer that proves the file is whole.
 *
 * ```
 * "PLUMEREC"  u32 format version  u32 header length  header (JSON, UTF-8)
 * record*     u32 stream (bit 31: ordered)  u32 length  kind u8, then the kind's fields (little-endian)
 * u32 records of each stream, one per stream   u32 streams
 * i32 exit status  f64 record count  32-byte SHA-256 of every byte before it  "PLUMEEND"
 * ```
 *
 * A run's processes each write their own stream of records (stream 0 is
 * the first process's; `fork` opens the next), interleaved in the order
 * they were written; {@link RecordingReader.stream} gives one process's
 * records back in order. An ordered record (one the replay must let out in
 * the recorded order across processes: output, a process's end) is
 * numbered among the ordered ones as the file holds them.
 *
 * A file without its trailer (the recorded run was killed), with a wrong
 * digest (changed or cut), whose records do not add up to its table of
 * streams, or of another format version is refused before anything runs,
 * with one line ({@link RecordingError}).
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { decodeGuestString, encodeGuestString } from "../util/guest_string.ts";

/** Magic at the start of a recording. */
const MAGIC = "PLUMEREC";
/** Magic at the end of a complete recording. */
const END_MAGIC = "PLUMEEND";
/**
 * Format version: raised whenever a recording's meaning changes (the
 * records, or which system calls are replayed by running them again; 3:
 * a program's SHA-256 covers what is loaded of it, `program_file.ts`).
 */
const FORMAT_VERSION = 3;
/** Bytes of the trailer's fixed part: stream count, status, record count, digest, magic. */
const TRAILER = 4 + 4 + 8 + 32 + 8;
/** Bit of a record's stream word that marks it ordered. */
const ORDERED = 0x8000_0000;
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
  /** The main thread's stack size (`-s`, or the host's `RLIMIT_STACK`; absent in recordings that predate it: 8 MiB). */
  stackSize?: number;
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
    (r.stackSize === undefined || id(r.stackSize)) &&
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
 * w.begin(0, 7).f64(1.5).end();
 * w.finish(3);
 * const file = RecordingReader.open(path, "0");
 * const r = file.stream(0);
 * strictEqual(r.kind(), 7);
 * strictEqual(r.f64(), 1.5);
 * strictEqual(file.status, 3);
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
  /** Records written so far in each stream. */
  private readonly counts: number[] = [];
  /** Where the record being written starts, and its stream. */
  private recStart = 0;
  private recStream = 0;

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

  /** A string: its UTF-8 length, then its bytes (a guest's bytes that are not UTF-8 kept: util/guest_string.ts). */
  str(v: string): this {
    const b = encodeGuestString(v);
    return this.u32(b.length).bytesOf(b);
  }

  /** Raw bytes (the caller wrote their length). */
  bytesOf(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /**
   * Starts a record of `stream` (a process's): its kind, then its fields
   * (`u8`, `u32`…), then {@link end}.
   *
   * @param stream the writing process's stream
   * @param kind the record's kind
   * @param ordered whether a replay lets it out only in the recorded order across streams
   */
  begin(stream: number, kind: number, ordered = false): this {
    this.recStart = this.pos;
    this.recStream = stream;
    return this.u32(stream | (ordered ? ORDERED : 0)).u32(0).u8(kind);
  }

  /** Opens stream `n` (a new process's; numbered in order) with no records yet. */
  openStream(n: number): void {
    while (this.counts.length <= n) this.counts.push(0);
  }

  /** Ends a record: counts it, and writes the buffer out once it is large. */
  end(): void {
    this.view.setUint32(this.recStart + 4, this.pos - this.recStart - 8, true);
    this.openStream(this.recStream);
    this.counts[this.recStream]++;
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
    this.openStream(0);
    for (const n of this.counts) this.u32(n);
    this.u32(this.counts.length).i32(status).f64(this.records);
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
 * one, is of another version, was cut short or changed, or whose records
 * do not add up to its table of streams.
 */
export class RecordingReader {
  private readonly view: DataView;
  /** Each stream's records: where each starts (its kind byte) and ends, and its number among the ordered ones (-1: not ordered). */
  /** Each stream's records (undefined for a stream that holds none). */
  private readonly index: ({ starts: number[]; ends: number[]; ordinals: number[] } | undefined)[];
  /** The header. */
  readonly header: RecordingHeader;
  /** The recorded run's exit status. */
  readonly status: number;
  /** Number of records. */
  readonly records: number;

  private constructor(
    private readonly bytes: Uint8Array,
    header: RecordingHeader,
    pos: number,
    private readonly path: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.header = header;
    const tail = bytes.length - TRAILER;
    const streams = this.view.getUint32(tail, true);
    this.status = this.view.getInt32(tail + 4, true);
    this.records = this.view.getFloat64(tail + 8, true);
    const limit = tail - 4 * streams;
    if (streams < 1 || limit < pos) throw this.corrupt("its table of streams is not there");
    // Every stream but the first is a process another stream's fork record names, and a record takes 9 bytes at
    // least: a table naming more is forged, and is refused before anything is allocated for it. Entries are made
    // for the streams that hold records only.
    if (streams - 1 > (limit - pos) / 9) throw this.corrupt("its table names more streams than it has records");
    this.index = new Array(streams);
    let ordered = 0;
    while (pos < limit) {
      if (pos + 9 > limit) throw this.corrupt("a record runs past the end");
      const word = this.view.getUint32(pos, true), len = this.view.getUint32(pos + 4, true);
      const stream = (word & ~ORDERED) >>> 0;
      if (len < 1 || pos + 8 + len > limit) throw this.corrupt("a record runs past the end");
      if (stream >= streams) throw this.corrupt(`a record of stream ${stream}, which its table does not have`);
      const s = this.index[stream] ??= { starts: [], ends: [], ordinals: [] };
      s.starts.push(pos + 8);
      s.ends.push(pos + 8 + len);
      s.ordinals.push(word & ORDERED ? ordered++ : -1);
      pos += 8 + len;
    }
    for (let i = 0; i < streams; i++) {
      const n = this.view.getUint32(limit + 4 * i, true), held = this.index[i]?.starts.length ?? 0;
      if (held !== n) throw this.corrupt(`process stream ${i} holds ${held} records, its table says ${n}`);
    }
  }

  /** A recording that is whole but does not hold together: one line naming what. */
  corrupt(why: string): RecordingError {
    return new RecordingError(`-replay ${this.path}: corrupt (${why})`);
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
    return new RecordingReader(bytes, header, 16 + len, path);
  }

  /**
   * Calls `fn` for every record of kind `kind`, in every stream, with its
   * fields (the bytes after the kind), for checks of the whole recording.
   */
  each(kind: number, fn: (stream: number, fields: DataView) => void): void {
    this.index.forEach((s, stream) => {
      if (s === undefined) return;
      for (let i = 0; i < s.starts.length; i++) {
        const at = s.starts[i];
        if (this.bytes[at] !== kind) continue;
        fn(stream, new DataView(this.bytes.buffer, this.bytes.byteOffset + at + 1, s.ends[i] - at - 1));
      }
    });
  }

  /** Number of streams (processes) the recording holds. */
  get streams(): number {
    return this.index.length;
  }

  /**
   * The records of stream `n` (a process's), in order.
   *
   * @throws {RecordingError} when the recording has no such stream
   */
  stream(n: number): StreamReader {
    if (!(n >= 0 && n < this.index.length)) throw this.corrupt(`process stream ${n} is missing`);
    const s = this.index[n] ?? { starts: [], ends: [], ordinals: [] };
    return new StreamReader(this.bytes, this.view, s.starts, s.ends, s.ordinals);
  }
}

/** Where a {@link StreamReader} is, for {@link StreamReader.rewind}. */
export interface StreamMark {
  readonly rec: number;
  readonly cur: number;
  readonly pos: number;
}

/**
 * One stream's records: {@link kind} starts the next record, whose fields
 * are then read in order; reading past a record's end is refused.
 */
export class StreamReader {
  /** The next record to start. */
  private rec = 0;
  /** The record being read (-1 before the first). */
  private cur = -1;
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    private readonly starts: readonly number[],
    private readonly ends: readonly number[],
    private readonly ordinals: readonly number[],
  ) {}

  /** True when every record was started. */
  get atEnd(): boolean {
    return this.rec >= this.starts.length;
  }

  /** The kind of the stream's last record (-1 for an empty stream). */
  get lastKind(): number {
    return this.starts.length === 0 ? -1 : this.bytes[this.starts[this.starts.length - 1]];
  }

  /** The next record's kind without starting it (-1 at the end). */
  peek(): number {
    return this.atEnd ? -1 : this.bytes[this.starts[this.rec]];
  }

  /** The next record's number among the ordered records (-1: not ordered, or none). */
  peekOrdinal(): number {
    return this.atEnd ? -1 : this.ordinals[this.rec];
  }

  /** The number among the ordered records of the record being read (-1: not ordered). */
  get ordinal(): number {
    return this.cur < 0 ? -1 : this.ordinals[this.cur];
  }

  /** Starts the next record; returns its kind. */
  kind(): number {
    if (this.atEnd) throw new RecordingError("-replay: the recording ends before the run does");
    this.cur = this.rec++;
    this.pos = this.starts[this.cur] + 1;
    return this.bytes[this.pos - 1];
  }

  private need(n: number): void {
    if (this.cur < 0 || this.pos + n > this.ends[this.cur]) {
      throw new RecordingError("-replay: the recording ends before the run does (a record is shorter than its fields)");
    }
  }

  /** Where the next read starts, for {@link rewind}. */
  mark(): StreamMark {
    return { rec: this.rec, cur: this.cur, pos: this.pos };
  }

  /** Reads again from a {@link mark}. */
  rewind(m: StreamMark): void {
    this.rec = m.rec;
    this.cur = m.cur;
    this.pos = m.pos;
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

  /**
   * A system call's result (a value or -errno): an f64 that must hold an
   * integer, as every result plume records does.
   *
   * @throws {RecordingError} for NaN, a fraction or a value past 2^53 (a forged record)
   */
  result(): number {
    const v = this.f64();
    if (!Number.isSafeInteger(v)) {
      throw new RecordingError(`-replay: corrupt recording: a system call's result is ${v}`);
    }
    return v;
  }

  /** The next `n` bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A string written by {@link RecordingWriter.str}. */
  str(): string {
    return decodeGuestString(this.take(this.u32()));
  }
}
