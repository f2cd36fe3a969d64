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
 * - **Processes.** Each process writes its own stream of records (stream 0
 *   is the first one's): `fork` (a `clone` without `CLONE_THREAD`) is run
 *   again by the replay, with the recorded pid, and the child replays the
 *   stream the parent's record names; `execve` is run again with the
 *   recorded program (its SHA-256 checked), argv, environment and
 *   `AT_RANDOM`. A process's slices count from the first `fork` on: another
 *   process's signals (`kill`, `SIGCHLD`) are written down in the receiver's
 *   stream with the slice they came before, like a timer's. Each process is
 *   then a function of its own stream, and the replay runs them in any
 *   order; only what the outside sees is put back in the recorded order:
 *   output to the host's stdout and stderr (held back until the output
 *   recorded before it was written) and the ends of processes (where
 *   plugins print a process's results; the run ends when the first one's
 *   turn comes). Pipes and `wait4` between processes are injected like any
 *   other call. A program `execve` hands to the host (a `#!` script of a
 *   host interpreter, a host executable) ends a recorded run with one line.
 *
 * A replay that makes another system call than the recording has (another
 * program, a plugin that changes the guest) stops with one line naming
 * both.
 *
 * @module
 */

import type { AddressSpace } from "../mem/address_space.ts";
import { writeAll } from "../util/log.ts";
import { errnoResult, SyscallError } from "./errno.ts";
import type { ExecImage, Process } from "./process.ts";
import {
  type RecordingHeader,
  RecordingReader,
  RecordingWriter,
  sha256Hex,
  type StreamReader,
} from "./recording_file.ts";
import { RecordingError } from "./recording_file.ts";
import { replayExecve } from "./sys_execve.ts";
import type { LoggedCall, RaisedSignal, RunLog } from "./run_log.ts";
import { tapStdioWrites } from "./stdio.ts";
import { syscallName } from "./syscall_names.ts";
import { readProgramFile } from "../elf/program_file.ts";
import { Blocked, type Waiter } from "./wait.ts";
import { sendSignal } from "./signal_delivery.ts";
import { type PendingSignal, SIG_DFL, SIG_IGN } from "./signals.ts";

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
  "clone", // a thread; a process is made again with the recorded pid (fork records)
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

/** A `clone` that makes a process (`fork`, `vfork`, `posix_spawn`), not a thread. */
function isProcessClone(call: LoggedCall): boolean {
  return call.name === "clone" && (call.args[0] & CLONE_THREAD) === 0;
}

/** Whether a handler of the process's runs for some signal. */
function catchesASignal(proc: Process): boolean {
  const actions = proc.signals.actions;
  for (let i = 1; i < actions.length; i++) {
    if (actions[i].handler !== SIG_DFL && actions[i].handler !== SIG_IGN) return true;
  }
  return false;
}

/** `execve` or `execveat`. */
function isExec(call: LoggedCall): boolean {
  return call.name === "execve" || call.name === "execveat";
}

/** A wait that never ends: a replayed process that outlives its recording (the run ended first) stays in it. */
const FOREVER: Waiter = {
  what: "the end of the recorded run",
  deadline: Infinity,
  restart: "eintr",
  poll: () => undefined,
  cancel: () => {},
};
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
  /** A new process: tid, result (its pid or -errno), the child's stream. */
  fork: 7,
  /** `execve`: tid, result, then (on success) the image: path, SHA-256, interpreter, argv, envp, execfn, random, uid, gid. */
  exec: 8,
  /** A signal from another process (`kill`, `SIGCHLD`) to one that counts: slice, the signal. */
  psignal: 9,
  /** The process ended (ordered): its exit status. */
  end: 10,
  /**
   * A signal from another process to one that does not count: the number of its system calls so far, whether it
   * came while the process waited in the last one (1) or as that call ended (0), the signal.
   */
  dsignal: 11,
} as const;

const KIND_NAMES = [
  "?",
  "a system call",
  "a file mapping",
  "the end of a wait",
  "an interrupted wait",
  "signals",
  "a counter read",
  "a new process",
  "an execve",
  "a signal from another process",
  "the process's end",
  "a signal from another process",
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
    return errnoResult(err);
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

  constructor(readonly owner: RunLogBase, private readonly mem: AddressSpace) {}

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
  /** Slices run while {@link counting} (the scheduler's clock while recording or replaying). */
  protected slices = 0;
  /** System calls made so far (where a signal from another process reaches a process that does not count). */
  protected calls = 0;
  /** Counting for good: a second thread, an interval timer or a caught host signal came. */
  private counts = false;
  /** The process forked or was forked: signals from other processes can reach it. */
  protected inFamily = false;
  /** In a family, the process catches a signal: it counts while it does. */
  private catches = false;

  /**
   * True while slices count blocks: for good from the first system call after
   * which a second thread, an interval timer or a caught host signal exists;
   * and, in a process that forked or was forked, while it catches a signal
   * (another process's signal then runs a handler where it arrives). A
   * process of a family that catches nothing takes other processes' signals
   * at its next system call (or in the wait it is in), which its own
   * progress places: it runs at full speed.
   */
  get counting(): boolean {
    return this.counts || this.catches;
  }

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
    this.calls++;
    try {
      return this.perform(call, run);
    } finally {
      this.afterCall();
      this.updateCounting(call);
    }
  }

  /** A system call ended (or blocked): signals from other processes held for this point arrive. */
  protected abstract afterCall(): void;

  /** Joins the process to a family (it forked, or was forked): other processes' signals can reach it. */
  protected joinFamily(): void {
    this.inFamily = true;
    this.catches = catchesASignal(this.proc);
  }

  /** Starts or stops {@link counting} after a call that changes whether slices matter; the call ends its slice. */
  private updateCounting(call: LoggedCall): void {
    const proc = this.proc, was = this.counting;
    if (!this.counts && (call.name === "setitimer" || proc.threads.size > 1 || proc.hostSignals.active)) {
      this.counts = true;
    }
    if (this.inFamily) this.catches = catchesASignal(proc);
    if (this.counting !== was) proc.reschedule = true;
  }

  /** Whether the replay runs `call` again rather than injecting it. */
  protected executed(call: LoggedCall): boolean {
    if (EXECUTED.has(call.name)) return call.name !== "mmap" || (call.args[3] & MAP_ANONYMOUS) !== 0;
    return SIGNALLING[call.name]?.(this.proc, call.args) ?? false;
  }

  /** Runs, records or injects a system call. */
  protected abstract perform(call: LoggedCall, run: (args: readonly number[]) => number): number;
  abstract raised(signals: readonly RaisedSignal[]): void;
  abstract recordedSignals(): PendingSignal[];
  abstract stalled(): boolean;
  abstract stuck(): never;
  abstract ending(status: number, end: () => void): boolean;
  abstract fromProcess(sig: PendingSignal): void;

  interrupted(signos: readonly number[]): never {
    throw new RecordingError(`-${this.replaying ? "replay" : "record"}: stopped by signal ${signos.join(", ")}`);
  }
  abstract counter(real: number): number;
}

/** What the recorders of one run's processes share: the file, the streams, the call being watched. */
class RecordingSession {
  /** Streams opened so far (the first process's is 0). */
  streams = 1;
  /** The call being watched, whichever process made it. */
  capture: Capture | undefined;
  /**
   * The recorder whose process is in a system call ("outside": plume itself, telling a parent of its child's
   * end); a signal it raises in another process comes from outside for that one.
   */
  caller: Recorder | "outside" | undefined;

  constructor(readonly out: RecordingWriter) {}
}

/** Takes `sig`, just queued by `sendSignal`, back out of the process's queues. */
function unqueue(proc: Process, sig: PendingSignal): void {
  for (const queue of [proc.signals.pending, ...[...proc.threads.values()].map((t) => t.pending)]) {
    const i = queue.indexOf(sig);
    if (i < 0) continue;
    queue.removeAt(i);
    proc.signals.count--;
    return;
  }
}

/** Writes the fields of a signal (effects and signals from other processes). */
function writeSignal(o: RecordingWriter, g: PendingSignal): void {
  const flags = (g.addr !== undefined ? 1 : 0) | (g.value !== undefined ? 2 : 0) | (g.info !== undefined ? 4 : 0) |
    (g.status !== undefined ? 8 : 0);
  o.u8(g.signo).i32(g.code).f64(g.pid).f64(g.uid).f64(g.tid).u8(flags);
  if (g.addr !== undefined) o.f64(g.addr);
  if (g.value !== undefined) {
    const v = BigInt.asUintN(64, g.value);
    o.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
  }
  if (g.info !== undefined) o.u32(g.info.length).bytesOf(g.info);
  if (g.status !== undefined) o.i32(g.status);
}

/**
 * Records a run to a file: one recorder per process, all writing to the
 * same file (each its own stream).
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
  private readonly session: RecordingSession;
  private readonly out: RecordingWriter;
  /** This process's stream. */
  private readonly stream: number;
  /** The process's end was written down. */
  private ended = false;
  /** Signals from other processes held until the process's next system call ends (it does not count). */
  private held: PendingSignal[] = [];

  /**
   * @param path the recording to write
   * @param version plume's version (a replay by another version is refused)
   * @param forked for the recorder of a forked process: the run's session and the process's stream
   */
  constructor(path: string, readonly version: string, forked?: { session: RecordingSession; stream: number }) {
    super();
    this.session = forked?.session ?? new RecordingSession(new RecordingWriter(path));
    this.out = this.session.out;
    this.stream = forked?.stream ?? 0;
  }

  /** Writes the header; returns it (the start of the run the guest sees). */
  start(h: RecordingHeader): RecordingHeader {
    this.out.header(h);
    return h;
  }

  override attach(proc: Process): void {
    super.attach(proc);
    const session = this.session;
    proc.mem.writeTap = (addr, len, before) => {
      if (session.capture?.owner === this) session.capture.write(addr, len, before);
    };
    if (this.stream === 0) {
      tapStdioWrites((fd, data) => session.capture?.output.push({ fd, data: data.slice(), length: data.length }));
    }
    proc.signals.onRaise = (sig) => {
      if (session.capture?.owner === this) session.capture.signals.push(sig);
      else if (session.caller !== undefined && session.caller !== this) this.external(sig);
    };
  }

  /**
   * A signal another process (or plume, for a child's end) raised in this one: written down with the slice it came
   * before; or, when the process does not count, taken back and held for its next system call.
   */
  private external(sig: PendingSignal): void {
    if (!this.counting) {
      unqueue(this.proc, sig);
      this.held.push(sig);
      return;
    }
    this.out.begin(this.stream, K.psignal).f64(this.slices);
    writeSignal(this.out, sig);
    this.out.end();
  }

  /** Lets the held signals arrive now: at the end of system call {@link calls} (0), or in its wait (1). */
  private release(inWait: number): PendingSignal[] {
    const held = this.held;
    this.held = [];
    for (const sig of held) {
      this.out.begin(this.stream, K.dsignal).f64(this.calls).u8(inWait);
      writeSignal(this.out, sig);
      this.out.end();
    }
    return held;
  }

  protected afterCall(): void {
    if (this.held.length === 0) return;
    for (const sig of this.release(0)) sendSignal(this.proc, sig);
  }

  fromProcess(sig: PendingSignal): void {
    const outer = this.session.caller;
    this.session.caller = "outside";
    try {
      sendSignal(this.proc, sig);
    } finally {
      this.session.caller = outer;
    }
  }

  /** Runs `op` watching its effects. */
  private watch<T>(op: () => T): { value: T; effects: Effects } {
    const outer = this.session.capture;
    const cap = this.session.capture = new Capture(this, this.proc.mem);
    try {
      const value = op();
      return { value, effects: cap.effects() };
    } finally {
      this.session.capture = outer;
    }
  }

  /** Starts a record of this process's stream (ordered when it holds output the host sees). */
  private begin(kind: number, e?: Effects): RecordingWriter {
    return this.out.begin(this.stream, kind, e !== undefined && e.output.length > 0);
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
    for (const g of e.signals) writeSignal(o, g);
  }

  protected perform(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const outer = this.session.caller;
    this.session.caller = this;
    try {
      return this.performNow(call, run);
    } finally {
      this.session.caller = outer;
    }
  }

  private performNow(call: LoggedCall, run: (args: readonly number[]) => number): number {
    if (isProcessClone(call)) return this.fork(call, run);
    if (isExec(call)) return this.exec(call, run);
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
    const e = blocked ? effects : withoutPassedBytes(this.proc.mem, call, effects);
    this.begin(K.call, e).u32(call.tid).u32(call.nr).f64(value).u8(flags);
    this.effects(e);
    this.out.end();
    if (blocked) throw new Blocked(this.waiter(call.tid, blocked));
    return value;
  }

  /** A new process: made, then given a stream of its own, named in this process's record. */
  private fork(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const ret = run(call.args);
    let stream = 0;
    const child = ret > 0 ? this.proc.family.processes.get(ret) : undefined;
    if (child !== undefined) {
      stream = this.session.streams++;
      this.out.openStream(stream);
      const rec = new Recorder("", this.version, { session: this.session, stream });
      rec.attach(child);
      rec.joinFamily();
      this.joinFamily();
    }
    this.out.begin(this.stream, K.fork).u32(call.tid).f64(ret).u32(stream).end();
    return ret;
  }

  /** `execve`: run, and the new image written down (a program handed to the host cannot be recorded). */
  private exec(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const proc = this.proc;
    let image: ExecImage | undefined;
    proc.onImage = (img) => image = img;
    let ret: number;
    try {
      ret = run(call.args);
    } finally {
      proc.onImage = undefined;
    }
    if (proc.hostProgram !== undefined) {
      try {
        proc.hostProgram.kill("SIGKILL");
      } catch { /* already ended */ }
      this.out.abandon();
      let name = "?";
      try {
        name = new TextDecoder().decode(proc.mem.readCStringBytes(call.args[call.name === "execve" ? 0 : 1], 4096));
      } catch { /* the path was read once already */ }
      throw new RecordingError(
        `-record: the guest ran a host program with ${call.name} (${name}); a recording holds only RV64 programs`,
      );
    }
    const o = this.out.begin(this.stream, K.exec).u32(call.tid).f64(ret);
    if (ret === 0 && image !== undefined) {
      o.str(image.path).str(this.sha256(image.bytes)).str(image.interp?.path ?? "")
        .str(image.interp ? this.sha256(image.interp.bytes) : "");
      o.u32(image.argv.length);
      for (const a of image.argv) o.str(a);
      o.u32(image.envp.length);
      for (const e of image.envp) o.str(e);
      o.str(image.execfn).bytesOf(image.random).u32(image.uid).u32(image.gid);
    } else if (ret === 0) {
      throw new Error("execve succeeded without an image");
    }
    o.end();
    return ret;
  }

  /** A mapping of a file: run, then its bytes recorded (pages of zeros left out: a replay maps zeros). */
  private fileMapping(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const ret = run(call.args);
    const o = this.out;
    o.begin(this.stream, K.mmap).u32(call.tid).f64(ret);
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
      // Read at each look, not copied: a FIFO writer's wait moves its deadline forward (host_fifo.ts).
      get deadline() {
        return inner.deadline;
      },
      restart: inner.restart,
      hostFds: inner.hostFds,
      poll: (now) => {
        const { value, effects } = this.watch(() => errno(() => inner.poll(now)));
        if (value === undefined) return undefined;
        this.begin(K.wake, effects).f64(this.slices).u32(tid).f64(value);
        this.effects(effects);
        this.out.end();
        return value;
      },
      cancel: () => {
        const { effects } = this.watch(() => inner.cancel());
        this.begin(K.cancel, effects).u32(tid);
        this.effects(effects);
        this.out.end();
      },
    };
  }

  raised(signals: readonly RaisedSignal[]): void {
    const plain = signals.filter((s) => s.full === undefined);
    if (plain.length > 0) {
      const o = this.out.begin(this.stream, K.signals).f64(this.slices).u8(plain.length);
      for (const s of plain) o.u8(s.signo).i32(s.code);
      o.end();
    }
    // A POSIX timer's signal whole, as one from another process (the scheduler raises those after the others).
    for (const s of signals) {
      if (s.full === undefined) continue;
      this.out.begin(this.stream, K.psignal).f64(this.slices);
      writeSignal(this.out, s.full);
      this.out.end();
    }
  }

  /** Signals from other processes held for a process that waits arrive in its wait. */
  recordedSignals(): PendingSignal[] {
    if (this.held.length === 0) return [];
    for (const t of this.proc.threads.values()) if (t.call !== undefined) return this.release(1);
    return [];
  }

  stalled(): boolean {
    return false;
  }

  stuck(): never {
    throw new Error("a recorded run is never stuck");
  }

  ending(status: number, end: () => void): boolean {
    if (!this.ended) {
      this.ended = true;
      this.out.begin(this.stream, K.end, true).i32(status).end();
    }
    end();
    return true;
  }

  counter(real: number): number {
    this.out.begin(this.stream, K.counter).f64(real).end();
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
 * What the replayers of one run's processes share: the recording, and the
 * output let out in the recorded order.
 */
class ReplaySession {
  /** Number of the next ordered record to let out. */
  private next = 0;
  /** What ordered records consumed ahead of their turn left to do, by number. */
  private readonly held = new Map<number, () => void>();

  constructor(readonly input: RecordingReader) {}

  /** Does `action` now if ordered record `ordinal` is next (or is not ordered: -1), else when its turn comes. */
  release(ordinal: number, action: () => void): void {
    if (ordinal < 0) return action();
    this.held.set(ordinal, action);
    for (let act = this.held.get(this.next); act !== undefined; act = this.held.get(this.next)) {
      this.held.delete(this.next++);
      act();
    }
  }

  /** True when ordered record `ordinal` is next. */
  due(ordinal: number): boolean {
    return ordinal === this.next;
  }
}

/**
 * Replays a recording: injects what the recorded run took from outside.
 * One replayer per process, each reading its own stream.
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
  private readonly input: StreamReader;
  /** True when the recorded process ended (its stream's last record); false when the run ended first. */
  private readonly recordedEnd: boolean;
  /** This process's end was let out. */
  private ended = false;

  private constructor(private readonly session: ReplaySession, private readonly stream: number) {
    super();
    this.input = session.input.stream(stream);
    this.recordedEnd = this.input.lastKind === K.end;
  }

  /**
   * Opens and checks a recording.
   *
   * @throws {RecordingError} when it is not a complete recording of this plume's format
   */
  static open(path: string, version: string): Replayer {
    const input = RecordingReader.open(path, version);
    // Every stream but the first is the one a fork record names, once: a stream lost or made twice is refused now.
    const named = new Set<number>();
    input.each(K.fork, (_stream, f) => {
      if (f.byteLength < 16) throw input.corrupt("a new process's record is short");
      const ret = f.getFloat64(4, true), child = f.getUint32(12, true);
      // A pid (positive, as Linux's fit in 31 bits) or an error (-4095…-1): a forged NaN, fraction or 0 is refused
      // here, before the replay would make a process with it.
      if (!Number.isInteger(ret) || ret === 0 || ret < -4095 || ret > 0x7fffffff) {
        throw input.corrupt(`a new process's pid ${ret} is neither a pid nor an error`);
      }
      if (ret < 0) return;
      if (child === 0 || child >= input.streams) {
        throw input.corrupt(`a new process's stream ${child} is not in the recording`);
      }
      if (named.has(child)) throw input.corrupt(`stream ${child} belongs to two processes`);
      named.add(child);
    });
    if (named.size !== input.streams - 1) throw input.corrupt("a stream belongs to no process");
    return new Replayer(new ReplaySession(input), 0);
  }

  /** The recording's header. */
  get header(): RecordingHeader {
    return this.session.input.header;
  }

  /** The recorded run's exit status. */
  get status(): number {
    return this.session.input.status;
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

  /** True when the process has used up a stream the recorded run ended in the middle of: it waits from here on. */
  private outlived(): boolean {
    return this.input.atEnd && !this.recordedEnd;
  }

  private where(): string {
    return `record ${this.read}${this.stream === 0 ? "" : ` of process ${this.proc.pid}`}`;
  }

  private diverged(what: string): RecordingError {
    const next = this.input.peek();
    const has = next < 0 ? "has ended" : `has ${KIND_NAMES[next] ?? "an unknown record"}`;
    return new RecordingError(`-replay: the run diverged from the recording at ${this.where()}: ${what}; it ${has}`);
  }

  /** Consumes the next record's kind, which must be `kind`. */
  private expect(kind: number, what: string): void {
    if (this.input.peek() !== kind) throw this.diverged(what);
    this.input.kind();
    this.read++;
  }

  private signal(): PendingSignal {
    const r = this.input;
    const sig: PendingSignal = { signo: r.u8(), code: r.i32(), pid: r.f64(), uid: r.f64(), tid: r.f64() };
    if (sig.signo < 1 || sig.signo > 64) throw this.diverged(`a signal numbered ${sig.signo}`);
    const flags = r.u8();
    if (flags & 1) sig.addr = r.f64();
    if (flags & 2) sig.value = (BigInt(r.u32()) << 32n) | BigInt(r.u32());
    if (flags & 4) sig.info = r.take(r.u32()).slice();
    if (flags & 8) sig.status = r.i32();
    return sig;
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
    for (let n = r.u32(); n > 0; n--) signals.push(this.signal());
    return { writes, output, signals };
  }

  /**
   * Does to guest memory and the host's streams what the recorded call did (`call`: the guest's output). The
   * output waits for the output recorded before it, of any process.
   */
  private apply(e: Effects, call?: LoggedCall): void {
    const mem = this.proc.mem;
    for (const w of e.writes) {
      if (!mem.inRange(w.addr, w.data.length)) throw this.diverged(`a write outside the address space`);
      mem.u8.set(w.data, w.addr);
      mem.noteWrite(w.addr, w.data.length);
    }
    const out: Effects["output"] = [];
    for (const o of e.output) {
      const data = o.data ?? (call && passedBytes(mem, call, o.length));
      if (data === undefined) throw this.diverged(`the guest's output is not where the recording saw it`);
      out.push({ fd: o.fd, data, length: o.length });
    }
    if (out.length > 0) {
      this.session.release(this.input.ordinal, () => {
        for (const o of out) {
          try {
            writeAll(o.fd === 2 ? Deno.stderr : Deno.stdout, o.data!);
          } catch {
            // The host's stream was closed (a pipe's reader left): the recorded call's result stands.
          }
        }
      });
    }
    for (const sig of e.signals) sendSignal(this.proc, sig);
  }

  protected perform(call: LoggedCall, run: (args: readonly number[]) => number): number {
    const what = `thread ${call.tid} made system call ${call.name}`;
    if (this.executed(call) && !isProcessClone(call)) {
      try {
        return run(call.args);
      } catch (err) {
        if (err instanceof Blocked) throw new Blocked(this.rerunWaiter(call.tid, err.waiter));
        throw err;
      }
    }
    // The recorded run ended while this process was still running: it goes no further than it went.
    if (this.outlived()) throw new Blocked(FOREVER);
    if (isProcessClone(call)) return this.fork(call, run, what);
    if (isExec(call)) return this.exec(call, what);
    if (call.name === "mmap") return this.fileMapping(call, run, what);
    this.expect(K.call, what);
    const r = this.input;
    const tid = r.u32(), nr = r.u32();
    if (tid !== call.tid || nr !== call.nr) {
      this.read--;
      throw new RecordingError(
        `-replay: the run diverged from the recording at ${this.where()}: ${what}; ` +
          `it has thread ${tid} making ${syscallName(nr) ?? nr}`,
      );
    }
    const ret = r.result(), flags = r.u8();
    this.apply(this.effects(), call);
    if (flags & F_RESCHEDULE) this.proc.reschedule = true;
    if (flags & F_BLOCKED) throw new Blocked(this.injectedWaiter(call, flags & F_RESTART ? "restart" : "eintr"));
    if (call.name === "wait4" && ret > 0) this.collected(ret);
    return ret;
  }

  /**
   * A child the recorded `wait4` collected: it leaves the process table as it did then (it may still be running
   * here, where processes do not wait for each other; it is then forgotten when it ends).
   */
  private collected(pid: number): void {
    const children = this.proc.children;
    const i = children.findIndex((c) => c.pid === pid);
    if (i < 0) return;
    const child = children[i];
    children.splice(i, 1);
    child.collected = true;
    if (child.exitStatus !== null) this.proc.family.processes.delete(pid);
  }

  /** A new process, made again with the recorded pid; it replays the stream the record names. */
  private fork(call: LoggedCall, run: (args: readonly number[]) => number, what: string): number {
    this.expect(K.fork, what);
    const r = this.input;
    const tid = r.u32(), ret = r.result(), stream = r.u32();
    if (tid !== call.tid) throw this.diverged(what);
    if (ret < 0) return ret;
    if (stream === 0 || stream >= this.session.input.streams) {
      throw new RecordingError(`-replay: corrupt recording: process ${ret} has no stream of its own (${stream})`);
    }
    const family = this.proc.family;
    if (family.processes.has(ret)) throw this.diverged(`${what}, whose recorded pid ${ret} is in use`);
    family.forcedPid = ret;
    let got: number;
    try {
      got = run(call.args);
    } finally {
      family.forcedPid = undefined;
    }
    const child = family.processes.get(ret);
    if (got !== ret || child === undefined) throw this.diverged(`${what} made ${got}, not process ${ret}`);
    const log = new Replayer(this.session, stream);
    log.attach(child);
    log.joinFamily();
    this.joinFamily();
    return ret;
  }

  /** `execve`: the recorded program (checked by its SHA-256) with the recorded argv, environment and `AT_RANDOM`. */
  private exec(call: LoggedCall, what: string): number {
    this.expect(K.exec, what);
    const r = this.input;
    const tid = r.u32(), ret = r.result();
    const t = this.proc.threads.get(call.tid);
    if (tid !== call.tid || t === undefined) throw this.diverged(what);
    if (ret !== 0) return ret;
    const path = r.str(), sha256 = r.str(), interpPath = r.str(), interpSha = r.str();
    const strings = () => Array.from({ length: r.u32() }, () => r.str());
    const argv = strings(), envp = strings();
    const execfn = r.str(), random = r.take(16).slice(), uid = r.u32(), gid = r.u32();
    const read = (p: string, sha: string) => {
      let bytes: Uint8Array;
      try {
        bytes = readProgramFile(p);
      } catch (err) {
        throw new RecordingError(`-replay: ${p}, which the recorded run executed: ${(err as Error).message}`);
      }
      this.checkProgram(p, bytes, sha);
      return bytes;
    };
    const bytes = read(path, sha256);
    const interp = interpPath === "" ? undefined : { path: interpPath, bytes: read(interpPath, interpSha) };
    try {
      replayExecve(this.proc, t.cpu, { path, bytes, interp, argv, envp, execfn, random, uid, gid });
    } catch (err) {
      if (err instanceof SyscallError) throw this.diverged(`${what}, which failed (${err.message})`);
      throw err;
    }
    return 0;
  }

  private fileMapping(call: LoggedCall, run: (args: readonly number[]) => number, what: string): number {
    this.expect(K.mmap, what);
    const r = this.input;
    const tid = r.u32(), ret = r.result();
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
    r.kind();
    const slice = r.f64(), who = r.u32();
    if (slice !== this.slices || who !== tid) {
      r.rewind(at);
      return undefined;
    }
    this.read++;
    const ret = r.result();
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
        if (call.name === "wait4" && w.ret > 0) this.collected(w.ret);
        return w.ret;
      },
      cancel: () => {
        // A process that outlived its recording is abandoned in its wait.
        if (this.outlived()) return;
        this.apply(this.cancelled(call.tid, `thread ${call.tid}'s ${call.name}`));
      },
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
        if (this.outlived()) return;
        this.apply({ ...this.cancelled(tid, `thread ${tid}'s ${inner.what}`), output: [], signals: [] });
      },
    };
  }

  raised(): void {}

  /** Replaying: a child's end is in the parent's own stream, with the slice it came before. */
  fromProcess(): void {}

  /** The signals a process that does not count got from other processes as system call {@link calls} ended (0) or in its wait (1). */
  private heldSignals(inWait: number): PendingSignal[] {
    const out: PendingSignal[] = [];
    const r = this.input;
    while (r.peek() === K.dsignal) {
      const at = r.mark();
      r.kind();
      if (r.f64() !== this.calls || r.u8() !== inWait) {
        r.rewind(at);
        break;
      }
      this.read++;
      out.push(this.signal());
    }
    return out;
  }

  protected afterCall(): void {
    if (this.input.peek() !== K.dsignal) return;
    for (const sig of this.heldSignals(0)) sendSignal(this.proc, sig);
  }

  recordedSignals(): PendingSignal[] {
    const out: PendingSignal[] = this.heldSignals(1);
    const r = this.input;
    for (let kind = r.peek(); kind === K.signals || kind === K.psignal; kind = r.peek()) {
      const at = r.mark();
      r.kind();
      if (r.f64() !== this.slices) {
        r.rewind(at);
        break;
      }
      this.read++;
      if (kind === K.psignal) out.push(this.signal());
      else {
        for (let n = r.u8(); n > 0; n--) {
          const signo = r.u8(), code = r.i32();
          if (signo < 1 || signo > 64) throw this.diverged(`a signal numbered ${signo}`);
          out.push({ signo, code, pid: 0, uid: 0, tid: 0 });
        }
      }
    }
    return out;
  }

  stalled(): boolean {
    // A process the recorded run ended in the middle of waits for the run's end.
    if (this.outlived()) return true;
    // A recorded deadlock ends the process, then abandons its waits: those records are what remains.
    const next = this.input.peek();
    if (next !== K.end && next !== K.cancel) throw this.diverged("every thread waits");
    return false;
  }

  stuck(): never {
    throw new RecordingError(
      "-replay: the run diverged from the recording: every process waits (the recording lacks what ends a wait)",
    );
  }

  ending(status: number, end: () => void): boolean {
    if (this.ended) {
      end();
      return true;
    }
    // A process that outlived its recording does not end: its end (and its plugins' results) were never recorded.
    if (this.outlived()) return false;
    if (this.input.peek() !== K.end) throw this.diverged(`the process exited with status ${status}`);
    const ordinal = this.input.peekOrdinal();
    if (!this.session.due(ordinal)) return false;
    this.expect(K.end, "the process ended");
    const recorded = this.input.i32();
    if (recorded !== status) {
      throw new RecordingError(
        `-replay: the run diverged from the recording at ${this.where()}: the process exited with status ${status}, ` +
          `the recorded one with ${recorded}`,
      );
    }
    this.ended = true;
    // The plugins' results come out at the end's turn: before the output other processes recorded after it, which
    // releasing this turn lets out.
    this.session.release(ordinal, end);
    return true;
  }

  counter(): number {
    if (this.outlived()) return 0;
    this.expect(K.counter, "the guest read a counter CSR");
    return this.input.f64();
  }

  /** Checks the end of the replay: every record used, the recorded exit status. */
  finish(status: number): void {
    if (!this.input.atEnd) throw this.diverged(`the guest exited with status ${status}`);
    if (status !== this.session.input.status) {
      throw new RecordingError(`-replay: the guest exited with status ${status}, the recorded run with ${this.status}`);
    }
  }
}
