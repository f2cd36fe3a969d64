/**
 * Record and replay of a whole run (`-record FILE`, `-replay FILE`).
 *
 * A guest's instruction stream is a function of its program, its initial
 * stack and what enters it from outside afterwards. plume makes everything
 * else deterministic while a run is recorded or replayed: slices count
 * blocks, never time, and regions count the blocks they finish (the
 * vCPU's `blocksLeft`), so a slice ends at the same instruction whatever
 * the translator's tier or the plugins (see `scheduler.ts` and
 * `exec/cpu_loop.ts`). What enters from
 * outside is written down where it enters, in the order it enters:
 *
 * - **System calls.** Those that change only the emulator's own state
 *   ({@link EXECUTED}: memory mappings, signal handlers and masks, threads,
 *   exit, signals a process sends itself) are run again by the replay, which
 *   rebuilds that state. Every other call is *injected*: the replay does not
 *   run it, but gives the guest the recorded result and the guest-memory
 *   bytes the call wrote (found by watching the address space's write checks
 *   during the call), and writes to the host's stdout and stderr what the
 *   call wrote there. Files, sockets, clocks, randomness and descriptors
 *   are never touched, so a replay does not depend on the working
 *   directory, and the descriptor table need not be rebuilt: every call that
 *   uses one is injected. A `mmap` of a file is run as an anonymous mapping
 *   at the recorded address, filled with the recorded bytes.
 * - **Blocking.** A call that waits ends when the scheduler finds it over;
 *   the recording says at which slice, for which thread, with what result,
 *   and what a signal's interruption wrote (a sleep's remaining time).
 * - **Signals from outside** (interval timers, host signals): the slice
 *   before which they were raised.
 * - **Counters** (`rdtime`, `rdcycle`, `rdinstret`): each value read.
 * - **The start**: `AT_RANDOM`, uid, gid and the process id, in the header
 *   with the program's SHA-256, argv, environment and `-L`.
 *
 * A recording holds one process: `fork` (a `clone` without `CLONE_THREAD`)
 * and `execve` end a recorded run with one line. A replay that makes another
 * system call than the recording has (another program, a plugin that changes
 * the guest) stops with one line naming both.
 *
 * @module
 */

import { GuestMemoryError } from "../mem/address_space.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { writeAll } from "../util/log.ts";
import { E, SyscallError } from "./errno.ts";
import type { Process } from "./process.ts";
import { type RecordingHeader, RecordingReader, RecordingWriter, sha256Hex } from "./recording_file.ts";
import { RecordingError } from "./recording_file.ts";
import type { LoggedCall, RaisedSignal, RunLog } from "./run_log.ts";
import { tapStdioWrites } from "./stdio.ts";
import { syscallName } from "./syscall_names.ts";
import { Blocked, type Waiter } from "./wait.ts";
import { sendSignal } from "./signal_delivery.ts";
import type { PendingSignal } from "./signals.ts";

export { RecordingError };

/** System calls a replay runs again: they change only state plume keeps for the guest. */
const EXECUTED: ReadonlySet<string> = new Set([
  "brk",
  "mmap", // anonymous ones; a file's mapping is replayed as an anonymous one with the recorded bytes
  "munmap",
  "mprotect",
  "mremap",
  "madvise",
  "riscv_flush_icache",
  "rt_sigaction",
  "rt_sigprocmask",
  "rt_sigpending",
  "sigaltstack",
  "rt_sigreturn",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "clone", // threads only: a recording refuses fork
  "exit",
  "exit_group",
  "getpid",
  "gettid",
  "set_tid_address",
  "set_robust_list",
  "get_robust_list",
  "sched_yield",
]);

/** Calls that send a signal: run again when they target the process itself, injected otherwise. */
const SIGNALLING: Readonly<Record<string, (proc: Process, a: readonly number[]) => boolean>> = {
  kill: (proc, a) => a[0] === proc.pid,
  rt_sigqueueinfo: (proc, a) => a[0] === proc.pid,
  tgkill: (proc, a) => a[0] === proc.pid,
  rt_tgsigqueueinfo: (proc, a) => a[0] === proc.pid,
  tkill: (proc, a) => proc.threads.has(a[0]),
};

const CLONE_THREAD = 0x10000;
const MAP_SHARED_VALIDATE = 0x03;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const PAGE = 4096;

/** Record kinds. */
const K = {
  /** An injected system call: tid, nr, result, flags, effects. */
  call: 1,
  /** A file mapping: tid, result, the mapped bytes. */
  mmap: 2,
  /** A blocked call ended: slice, tid, result, effects. */
  wake: 3,
  /** A blocked call was abandoned (a signal): tid, effects. */
  cancel: 4,
  /** Signals raised from outside: slice, count, (signo, code)*. */
  signals: 5,
  /** A counter CSR read: value. */
  counter: 6,
} as const;

const KIND_NAMES = [
  "?",
  "a system call",
  "a file mapping",
  "the end of a wait",
  "an interrupted wait",
  "signals",
  "a counter read",
];

/** Flags of an injected call. */
const F_BLOCKED = 1, F_RESCHEDULE = 2, F_RESTART = 4;

/**
 * Guest memory a call wrote, what it wrote to the host's stdout (1) or
 * stderr (2), and the signals it raised (`SIGPIPE` from a closed pipe).
 */
interface Effects {
  writes: { addr: number; data: Uint8Array }[];
  /** `data` undefined: the first `length` bytes the guest passed to `write`/`writev` (not kept twice). */
  output: { fd: number; data?: Uint8Array; length: number }[];
  signals: PendingSignal[];
}

/** Output taken from the guest's buffers (a flag on the stream number). */
const FROM_GUEST = 0x80;

/** The first `n` bytes a `write` or `writev` passed, or undefined for another call or a buffer out of range. */
function passedBytes(mem: AddressSpace, call: LoggedCall, n: number): Uint8Array | undefined {
  const [, a1, a2] = call.args;
  if (call.name === "write") return mem.inRange(a1, n) ? mem.u8.slice(a1, a1 + n) : undefined;
  if (call.name !== "writev" || !mem.inRange(a1, a2 * 16)) return undefined;
  const out = new Uint8Array(n);
  let got = 0;
  for (let i = 0; i < a2 && got < n; i++) {
    const base = Number(mem.view.getBigUint64(a1 + 16 * i, true));
    const len = Math.min(Number(mem.view.getBigUint64(a1 + 16 * i + 8, true)), n - got);
    if (!mem.inRange(base, len)) return undefined;
    out.set(mem.u8.subarray(base, base + len), got);
    got += len;
  }
  return got === n ? out : undefined;
}

/** Leaves out of `e` the bytes a replay finds in the guest's own buffers (what `write` wrote to stdout). */
function withoutPassedBytes(mem: AddressSpace, call: LoggedCall, e: Effects): Effects {
  if (e.output.length !== 1) return e;
  const [{ fd, data, length }] = e.output;
  const passed = data && passedBytes(mem, call, length);
  if (!passed || passed.length !== data.length || passed.some((b, i) => b !== data[i])) return e;
  return { ...e, output: [{ fd, length }] };
}

/** Runs `op`, turning a system-call error into `-errno` as the dispatcher does. */
function errno(op: () => number | undefined): number | undefined {
  try {
    return op();
  } catch (err) {
    if (err instanceof SyscallError) return -err.errno;
    if (err instanceof GuestMemoryError) return -E.EFAULT;
    throw err;
  }
}

/**
 * Watches what a call does to guest memory and to the host's standard
 * streams. A write check ({@link AddressSpace.check} for `"write"`) keeps
 * the bytes before the write; a write only noted ({@link AddressSpace.noteWrite})
 * is taken whole.
 */
class Capture {
  private readonly checked: { addr: number; old: Uint8Array }[] = [];
  private readonly noted: { addr: number; len: number }[] = [];
  readonly output: Effects["output"] = [];
  readonly signals: PendingSignal[] = [];

  constructor(private readonly mem: AddressSpace) {}

  write(addr: number, len: number, before: boolean): void {
    if (before) this.checked.push({ addr, old: this.mem.u8.slice(addr, addr + len) });
    else this.noted.push({ addr, len });
  }

  /** The bytes that changed (or were noted), as spans of their final contents. */
  effects(): Effects {
    const u8 = this.mem.u8;
    const writes: Effects["writes"] = [];
    for (const { addr, old } of this.checked) {
      let lo = 0, hi = old.length;
      while (lo < hi && u8[addr + lo] === old[lo]) lo++;
      while (hi > lo && u8[addr + hi - 1] === old[hi - 1]) hi--;
      if (lo < hi) writes.push({ addr: addr + lo, data: u8.slice(addr + lo, addr + hi) });
    }
    for (const { addr, len } of this.noted) {
      const covered = this.checked.some((c) => c.addr <= addr && addr + len <= c.addr + c.old.length);
      if (!covered) writes.push({ addr, data: u8.slice(addr, addr + len) });
    }
    return { writes, output: this.output, signals: this.signals };
  }
}

/** What recording and replaying share: the process, the slice count, which calls run again. */
abstract class RunLogBase implements RunLog {
  abstract readonly replaying: boolean;
  protected proc!: Process;
  /** Slices run since {@link counting} (the scheduler's clock while recording or replaying). */
  protected slices = 0;
  counting = false;

  /**
   * The SHA-256 of a program's bytes, in hex, as the header keeps it (here, so that a run without a
   * recording never loads the hash's module: `node:crypto` costs tens of milliseconds of start-up).
   */
  sha256(bytes: Uint8Array): string {
    return sha256Hex(bytes);
  }

  /** Connects the log to the process it records or replays (before its first instruction). */
  attach(proc: Process): void {
    this.proc = proc;
    proc.runLog = this;
  }

  slice(): void {
    if (this.counting) this.slices++;
  }

  syscall(call: LoggedCall, run: (args: readonly number[]) => number): number {
    try {
      return this.perform(call, run);
    } finally {
      this.startCounting(call);
    }
  }

  /** Starts {@link counting} after the first call that makes slices matter, and ends the slice there. */
  private startCounting(call: LoggedCall): void {
    const proc = this.proc;
    if (this.counting || !(call.name === "setitimer" || proc.threads.size > 1 || proc.hostSignals.active)) return;
    this.counting = true;
    proc.reschedule = true;
  }

  /** Whether the replay runs `call` again rather than injecting it. */
  protected executed(call: LoggedCall): boolean {
    if (EXECUTED.has(call.name)) return call.name !== "mmap" || (call.args[3] & MAP_ANONYMOUS) !== 0;
    return SIGNALLING[call.name]?.(this.proc, call.args) ?? false;
  }

  /** Runs, records or injects a system call. */
  protected abstract perform(call: LoggedCall, run: (args: readonly number[]) => number): number;
  abstract raised(signals: readonly RaisedSignal[]): void;
  abstract recordedSignals(): RaisedSignal[];
  abstract stalled(): void;

  interrupted(signos: readonly number[]): never {
    throw new RecordingError(`-${this.replaying ? "replay" : "record"}: stopped by signal ${signos.join(", ")}`);
  }
  abstract counter(real: number): number;
}

/**
 * Records a run to a file.
 *
 * @example An empty recording, read back
 * ```ts
 * import { Recorder, Replayer } from "./record_replay.ts";
 * import { strictEqual } from "node:assert";
 * const path = Deno.makeTempFileSync();
 * const rec = new Recorder(path, "0.1.0");
 * rec.start({ plume: "0.1.0", program: "p", exePath: "/p", sha256: "", argv: ["p"], envp: [], sysroot: "",
 *   oneInsnPerTb: false, random: "00".repeat(16), uid: 0, gid: 0, pid: 1 });
 * rec.finish(0); // the run's exit status
 * strictEqual(Replayer.open(path, "0.1.0").header.argv[0], "p");
 * Deno.removeSync(path);
 * ```
 */
export class Recorder extends RunLogBase {
  readonly replaying = false;
  private readonly out: RecordingWriter;
  private capture: Capture | undefined;

  /**
   * @param path the recording to write
   * @param version plume's version (a replay by another version is refused)
   */
  constructor(path: string, readonly version: string) {
    super();
    this.out = new RecordingWriter(path);
  }

  /** Writes the header; returns it (the start of the run the guest sees). */
  start(h: RecordingHeader): RecordingHeader {
    this.out.header(h);
    return h;
  }

  override attach(proc: Process): void {
    super.attach(proc);
    proc.mem.writeTap = (addr, len, before) => this.capture?.write(addr, len, before);
    tapStdioWrites((fd, data) => this.capture?.output.push({ fd, data: data.slice(), length: data.length }));
    proc.signals.onRaise = (sig) => this.capture?.signals.push(sig);
  }

  /** Runs `op` watching its effects. */
  private watch<T>(op: () => T): { value: T; effects: Effects } {
    const outer = this.capture;
    const cap = this.capture = new Capture(this.proc.mem);
    try {
      const value = op();
      return { value, effects: cap.effects() };
    } finally {
      this.capture = outer;
    }
  }

  private effects(e: Effects): void {
    const o = this.out;
    o.u32(e.writes.length);
    for (const w of e.writes) o.f64(w.addr).u32(w.data.length).bytesOf(w.data);
    o.u32(e.output.length);
    for (const w of e.output) {
      if (w.data === undefined) o.u8(w.fd | FROM_GUEST).u32(w.length);
      else o.u8(w.fd).u32(w.data.length).bytesOf(w.data);
    }
    o.u32(e.signals.length);
    for (const g of e.signals) {
      const flags = (g.addr !== undefined ? 1 : 0) | (g.value !== undefined ? 2 : 0) | (g.info !== undefined ? 4 : 0);
      o.u8(g.signo).i32(g.code).f64(g.pid).f64(g.uid).f64(g.tid).u8(flags);
      if (g.addr !== undefined) o.f64(g.addr);
      if (g.value !== undefined) {
        const v = BigInt.asUintN(64, g.value);
        o.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
      }
      if (g.info !== undefined) o.u32(g.info.length).bytesOf(g.info);
    }
  }

  protected perform(call: LoggedCall, run: (args: readonly number[]) => number): number {
    this.refuse(call);
    if (this.executed(call)) {
      try {
        return run(call.args);
      } catch (err) {
        if (err instanceof Blocked) throw new Blocked(this.waiter(call.tid, err.waiter));
        throw err;
      }
    }
    if (call.name === "mmap") return this.fileMapping(call, run);
    let blocked: Waiter | undefined;
    const { value, effects } = this.watch(() => {
      try {
        return run(call.args);
      } catch (err) {
        if (!(err instanceof Blocked)) throw err;
        blocked = err.waiter;
        return 0;
      }
    });
    const flags = (blocked ? F_BLOCKED : 0) | (this.proc.reschedule ? F_RESCHEDULE : 0) |
      (blocked?.restart === "restart" ? F_RESTART : 0);
    this.out.u8(K.call).u32(call.tid).u32(call.nr).f64(value).u8(flags);
    this.effects(blocked ? effects : withoutPassedBytes(this.proc.mem, call, effects));
    this.out.end();
    if (blocked) throw new Blocked(this.waiter(call.tid, blocked));
    return value;
  }

  /** A recording holds one program in one process. */
  private refuse(call: LoggedCall): void {
    let why: string | undefined;
    if (call.name === "execve" || call.name === "execveat") why = `the guest called ${call.name}`;
    else if (call.name === "clone" && (call.args[0] & CLONE_THREAD) === 0) {
      why = "the guest made a process (clone without CLONE_THREAD: fork, vfork, posix_spawn)";
    }
    if (why === undefined) return;
    this.out.abandon();
    throw new RecordingError(`-record: ${why}; a recording holds one program in one process`);
  }

  /** A mapping of a file: run, then its bytes recorded (pages of zeros left out: a replay maps zeros). */
  private fileMapping(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const ret = run(call.args);
    const o = this.out;
    o.u8(K.mmap).u32(call.tid).f64(ret);
    const spans: [number, number][] = [];
    if (ret >= 0) {
      const u8 = this.proc.mem.u8, end = ret + Math.ceil(call.args[1] / PAGE) * PAGE;
      for (let p = ret; p < end; p += PAGE) {
        const page = u8.subarray(p, p + PAGE);
        if (page.every((b) => b === 0)) continue;
        const last = spans[spans.length - 1];
        if (last && last[1] === p) last[1] = p + PAGE;
        else spans.push([p, p + PAGE]);
      }
    }
    o.u32(spans.length);
    for (const [lo, hi] of spans) o.f64(lo).u32(hi - lo).bytesOf(this.proc.mem.u8.subarray(lo, hi));
    o.u32(0).u32(0);
    o.end();
    return ret;
  }

  /** A wait whose end (or interruption) is written down. */
  private waiter(tid: number, inner: Waiter): Waiter {
    return {
      what: inner.what,
      deadline: inner.deadline,
      restart: inner.restart,
      hostFds: inner.hostFds,
      poll: (now) => {
        const { value, effects } = this.watch(() => errno(() => inner.poll(now)));
        if (value === undefined) return undefined;
        this.out.u8(K.wake).f64(this.slices).u32(tid).f64(value);
        this.effects(effects);
        this.out.end();
        return value;
      },
      cancel: () => {
        const { effects } = this.watch(() => inner.cancel());
        this.out.u8(K.cancel).u32(tid);
        this.effects(effects);
        this.out.end();
      },
    };
  }

  raised(signals: readonly RaisedSignal[]): void {
    const o = this.out.u8(K.signals).f64(this.slices).u8(signals.length);
    for (const s of signals) o.u8(s.signo).i32(s.code);
    o.end();
  }

  recordedSignals(): RaisedSignal[] {
    return [];
  }

  stalled(): void {}

  counter(real: number): number {
    this.out.u8(K.counter).f64(real).end();
    return real;
  }

  /** Ends the recording with the run's exit status; returns its size in bytes and its record count. */
  finish(status: number): { bytes: number; records: number } {
    this.out.finish(status);
    tapStdioWrites(undefined);
    if (this.proc) this.proc.mem.writeTap = undefined;
    return { bytes: this.out.bytes, records: this.out.records };
  }

  /** Stops recording without a trailer (the run ended in an error). */
  abandon(): void {
    this.out.abandon();
    tapStdioWrites(undefined);
  }
}

/**
 * Replays a recording: injects what the recorded run took from outside.
 *
 * @example A file that is not a recording is refused
 * ```ts
 * import { RecordingError, Replayer } from "./record_replay.ts";
 * import { throws } from "node:assert";
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "not a recording\n");
 * throws(() => Replayer.open(path, "0.1.0"), RecordingError);
 * Deno.removeSync(path);
 * ```
 */
export class Replayer extends RunLogBase {
  readonly replaying = true;
  /** Records read so far (named in divergence messages). */
  private read = 0;

  private constructor(private readonly input: RecordingReader) {
    super();
  }

  /**
   * Opens and checks a recording.
   *
   * @throws {RecordingError} when it is not a complete recording of this plume's format
   */
  static open(path: string, version: string): Replayer {
    return new Replayer(RecordingReader.open(path, version));
  }

  /** The recording's header. */
  get header(): RecordingHeader {
    return this.input.header;
  }

  /** The recorded run's exit status. */
  get status(): number {
    return this.input.status;
  }

  /** Checks that the program (or its interpreter) is the recorded one. */
  checkProgram(path: string, bytes: Uint8Array, expected: string | undefined): void {
    const got = sha256Hex(bytes);
    if (got !== expected) {
      throw new RecordingError(
        `-replay: ${path} is not the program that was recorded (sha256 ${got.slice(0, 16)}…, ` +
          `recorded ${(expected ?? "none").slice(0, 16)}…)`,
      );
    }
  }

  private diverged(what: string): RecordingError {
    const next = this.input.peek();
    const has = next < 0 ? "has ended" : `has ${KIND_NAMES[next] ?? "an unknown record"}`;
    return new RecordingError(
      `-replay: the run diverged from the recording at record ${this.read}: ${what}; it ${has}`,
    );
  }

  /** Consumes the next record's kind, which must be `kind`. */
  private expect(kind: number, what: string): void {
    if (this.input.peek() !== kind) throw this.diverged(what);
    this.input.u8();
    this.read++;
  }

  private effects(): Effects {
    const r = this.input;
    const writes: Effects["writes"] = [];
    for (let n = r.u32(); n > 0; n--) {
      const addr = r.f64();
      writes.push({ addr, data: r.take(r.u32()) });
    }
    const output: Effects["output"] = [];
    for (let n = r.u32(); n > 0; n--) {
      const fd = r.u8(), length = r.u32();
      output.push(fd & FROM_GUEST ? { fd: fd & ~FROM_GUEST, length } : { fd, data: r.take(length), length });
    }
    const signals: PendingSignal[] = [];
    for (let n = r.u32(); n > 0; n--) {
      const sig: PendingSignal = { signo: r.u8(), code: r.i32(), pid: r.f64(), uid: r.f64(), tid: r.f64() };
      if (sig.signo < 1 || sig.signo > 64) throw this.diverged(`a signal numbered ${sig.signo}`);
      const flags = r.u8();
      if (flags & 1) sig.addr = r.f64();
      if (flags & 2) sig.value = (BigInt(r.u32()) << 32n) | BigInt(r.u32());
      if (flags & 4) sig.info = r.take(r.u32()).slice();
      signals.push(sig);
    }
    return { writes, output, signals };
  }

  /** Does to guest memory and the host's streams what the recorded call did (`call`: the guest's output). */
  private apply(e: Effects, call?: LoggedCall): void {
    const mem = this.proc.mem;
    for (const w of e.writes) {
      if (!mem.inRange(w.addr, w.data.length)) throw this.diverged(`a write outside the address space`);
      mem.u8.set(w.data, w.addr);
      mem.noteWrite(w.addr, w.data.length);
    }
    for (const o of e.output) {
      const data = o.data ?? (call && passedBytes(mem, call, o.length));
      if (data === undefined) throw this.diverged(`the guest's output is not where the recording saw it`);
      try {
        writeAll(o.fd === 2 ? Deno.stderr : Deno.stdout, data);
      } catch {
        // The host's stream was closed (a pipe's reader left): the recorded call's result stands.
      }
    }
    for (const sig of e.signals) sendSignal(this.proc, sig);
  }

  protected perform(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const what = `thread ${call.tid} made system call ${call.name}`;
    if (this.executed(call)) {
      try {
        return run(call.args);
      } catch (err) {
        if (err instanceof Blocked) throw new Blocked(this.rerunWaiter(call.tid, err.waiter));
        throw err;
      }
    }
    if (call.name === "mmap") return this.fileMapping(call, run, what);
    this.expect(K.call, what);
    const r = this.input;
    const tid = r.u32(), nr = r.u32();
    if (tid !== call.tid || nr !== call.nr) {
      this.read--;
      throw new RecordingError(
        `-replay: the run diverged from the recording at record ${this.read}: ${what}; ` +
          `it has thread ${tid} making ${syscallName(nr) ?? nr}`,
      );
    }
    const ret = r.f64(), flags = r.u8();
    this.apply(this.effects(), call);
    if (flags & F_RESCHEDULE) this.proc.reschedule = true;
    if (flags & F_BLOCKED) throw new Blocked(this.injectedWaiter(call, flags & F_RESTART ? "restart" : "eintr"));
    return ret;
  }

  private fileMapping(call: LoggedCall, run: (args: readonly number[]) => number, what: string): number {
    this.expect(K.mmap, what);
    const r = this.input;
    const tid = r.u32(), ret = r.f64();
    const effects = this.effects();
    if (tid !== call.tid) throw this.diverged(what);
    if (ret < 0) return ret;
    const [, len, prot, flags] = call.args;
    const anon = (flags & ~MAP_SHARED_VALIDATE) | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    const got = run([ret, len, prot, anon, -1, 0]);
    if (got !== ret) throw this.diverged(`${what} mapped at ${got}, not at the recorded ${ret}`);
    this.apply(effects);
    return ret;
  }

  /** The end of a wait, when the recording has it for thread `tid` before this slice. */
  private wakeNow(tid: number): { ret: number; effects: Effects } | undefined {
    if (this.input.peek() !== K.wake) return undefined;
    // Peek at the slice and thread without consuming: another thread's wait may end first.
    const r = this.input;
    const at = r.mark();
    r.u8();
    const slice = r.f64(), who = r.u32();
    if (slice !== this.slices || who !== tid) {
      r.rewind(at);
      return undefined;
    }
    this.read++;
    const ret = r.f64();
    return { ret, effects: this.effects() };
  }

  private cancelled(tid: number, what: string): Effects {
    this.expect(K.cancel, `${what} was interrupted`);
    const who = this.input.u32();
    if (who !== tid) throw this.diverged(`${what} was interrupted`);
    return this.effects();
  }

  /** The wait of an injected call: it ends where the recording says. */
  private injectedWaiter(call: LoggedCall, restart: "restart" | "eintr"): Waiter {
    const what = `${call.name} (replayed)`;
    return {
      what,
      deadline: Infinity,
      restart,
      poll: () => {
        const w = this.wakeNow(call.tid);
        if (w === undefined) return undefined;
        this.apply(w.effects);
        return w.ret;
      },
      cancel: () => this.apply(this.cancelled(call.tid, `thread ${call.tid}'s ${call.name}`)),
    };
  }

  /** The wait of a call run again: its own state is updated, its end comes where the recording says. */
  private rerunWaiter(tid: number, inner: Waiter): Waiter {
    return {
      what: inner.what,
      deadline: Infinity,
      restart: inner.restart,
      poll: () => {
        const w = this.wakeNow(tid);
        if (w === undefined) return undefined;
        if (errno(() => inner.poll(Infinity)) === undefined) inner.cancel();
        // The call's own state was updated by running it: only the bytes it wrote are taken.
        this.apply({ ...w.effects, output: [], signals: [] });
        return w.ret;
      },
      cancel: () => {
        inner.cancel();
        this.apply({ ...this.cancelled(tid, `thread ${tid}'s ${inner.what}`), output: [], signals: [] });
      },
    };
  }

  raised(): void {}

  recordedSignals(): RaisedSignal[] {
    const out: RaisedSignal[] = [];
    while (this.input.peek() === K.signals) {
      const at = this.input.mark();
      this.input.u8();
      if (this.input.f64() !== this.slices) {
        this.input.rewind(at);
        break;
      }
      this.read++;
      for (let n = this.input.u8(); n > 0; n--) {
        const signo = this.input.u8(), code = this.input.i32();
        if (signo < 1 || signo > 64) throw this.diverged(`a signal numbered ${signo}`);
        out.push({ signo, code });
      }
    }
    return out;
  }

  stalled(): void {
    // A recorded deadlock ends with its waits abandoned: those records are what remains.
    if (!this.input.atEnd && this.input.peek() !== K.cancel) throw this.diverged("every thread waits");
  }

  counter(): number {
    this.expect(K.counter, "the guest read a counter CSR");
    return this.input.f64();
  }

  /** Checks the end of the replay: every record used, the recorded exit status. */
  finish(status: number): void {
    if (!this.input.atEnd) throw this.diverged(`the guest exited with status ${status}`);
    if (status !== this.input.status) {
      throw new RecordingError(`-replay: the guest exited with status ${status}, the recorded run with ${this.status}`);
    }
  }
}
