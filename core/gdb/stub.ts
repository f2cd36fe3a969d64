/**
 * plume's gdb stub (`-g PORT`, `QEMU_GDB`): listens on 127.0.0.1:PORT (or
 * a unix socket path), waits for one debugger before the guest's first
 * instruction, as qemu-riscv64 does, and then controls the first process
 * for it in all-stop mode: every guest thread is a GDB thread, and when one
 * stops (a breakpoint, a single step, a watchpoint, a signal, an interrupt)
 * all stop, since all of them run on plume's one JavaScript thread.
 *
 * The stub is the {@link DebugSession} of the CPU loop: the loop runs the
 * debugged process in blocks that end before breakpoints (one instruction
 * each while stepping or watching) while a debugger is attached
 * (`core/exec/debug_loop.ts`) and asks the stub before and after each
 * block; the process runner lets the stub serve its connection
 * between rounds. A debugger that goes away (detach, a closed connection,
 * garbage it keeps sending) leaves the guest running on as without `-g`.
 *
 * @module
 */

import type { Access, DebugSession, StopReason } from "../exec/debug_loop.ts";
import type { TbCache } from "../jit/tb_cache.ts";
import type { Process } from "../linux/process.ts";
import type { PendingSignal } from "../linux/signals.ts";
import { forceSignal } from "../linux/signal_delivery.ts";
import { procAuxv } from "../linux/paths.ts";
import type { ThreadState } from "../linux/thread.ts";
import { type AddressSpace, PAGE_SIZE } from "../mem/address_space.ts";
import type { Log } from "../util/log.ts";
import {
  type Action,
  formatThreadId,
  handlePacket,
  type PointType,
  type ResumeAction,
  type Target,
} from "./commands.ts";
import { Connection } from "./connection.ts";
import { gdbSignal, linuxSignal } from "./signals.ts";

/** GDB's number of SIGTRAP (breakpoints, steps, watchpoints). */
const GDB_SIGTRAP = 5;
/** GDB's number of SIGINT (an interrupt from the debugger). */
const GDB_SIGINT = 2;
/** Longest watched range (GDB splits larger ones itself). */
const MAX_WATCH_LEN = 8;
/**
 * How often the stub reads its socket while the guest runs, in ms (for an interrupt, or a closed connection): each read
 * is a turn of the event loop, which costs about a millisecond.
 */
const RUNNING_POLL_MS = 50;
/** Breakpoints and watchpoints one debugger may set at most (a hostile one could set millions). */
const MAX_POINTS = 4096;

/** A watchpoint: its range and which accesses it catches. */
interface Watchpoint {
  type: "watch" | "rwatch" | "awatch";
  addr: number;
  len: number;
}

/** The signal a thread stopped for, to pass on or drop as the debugger resumes. */
interface StopSignal {
  t: ThreadState;
  sig: PendingSignal;
  forced: boolean;
}

/** A `-g` argument that cannot be listened on: one line for the user, exit status 1. */
export class GdbStubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GdbStubError";
  }
}

/**
 * Starts listening for the debugger at `spec`: a TCP port on 127.0.0.1, or
 * a unix socket path (anything that is not a number).
 *
 * @param spec the `-g` argument
 * @param log where the stub says what it does (errors of the debugger connection)
 * @returns the stub, not yet connected
 * @throws {GdbStubError} when the port or path cannot be listened on
 *
 * @example
 * ```ts
 * import { listenGdb } from "./stub.ts";
 * import { Log } from "../util/log.ts";
 * const stub = listenGdb("0", new Log()); // port 0: any free one; then runGuest({ ..., debug: stub })
 * stub.close();
 * ```
 */
export function listenGdb(spec: string, log: Log): GdbStub {
  try {
    if (/^\d+$/.test(spec)) {
      const port = Number(spec);
      if (port > 65535) throw new Error(`port out of range`);
      return new GdbStub(Deno.listen({ hostname: "127.0.0.1", port, transport: "tcp" }), log);
    }
    return new GdbStub(Deno.listen({ path: spec, transport: "unix" }), log);
  } catch (err) {
    throw new GdbStubError(`cannot listen for gdb on '${spec}': ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The stub: one debugger connection controlling the first guest process. */
export class GdbStub implements DebugSession, Target {
  attached = false;
  stopped = false;
  multiprocess = false;
  regThread!: ThreadState;
  resumeThread: number | undefined;
  private conn: Connection | undefined;
  private proc!: Process;
  private cache!: TbCache;
  private savedMaxInsns = 0;
  private readonly breakpoints = new Set<number>();
  /** The breakpoints in ascending order (undefined: to be sorted again). */
  private sortedBreakpoints: number[] | undefined = [];
  /** Every instruction is its own block (single steps and watchpoints need to see each one). */
  private perInsn = false;
  private readonly watchpoints: Watchpoint[] = [];
  /** The thread whose single step ends after its next instruction. */
  private stepping: ThreadState | undefined;
  /** The stepping thread ran its instruction, a system call that blocked: the step ends once the call returns. */
  private steppedOnce = false;
  /** The threads that resumed, when the debugger resumed only some (`vCont;c:TID`): the others stay stopped. */
  private resumed: Set<ThreadState> | undefined;
  /** Each thread's pc when the guest resumed: a breakpoint there is not hit before it moves. */
  private readonly resumePcs = new Map<ThreadState, number>();
  /** Signals the debugger passes on, by thread, delivered as each thread runs again. */
  private readonly passed = new Map<ThreadState, { sig: PendingSignal; forced: boolean }>();
  private stopSignal: StopSignal | undefined;
  /** The guest has not run yet: the stop GDB found on connecting has no signal to pass on. */
  private initialStop = true;
  /** Why the guest stopped, as the stop reply says it (without the thread, which is formatted when sent). */
  private stopHead = "T05";
  private stopThread!: ThreadState;
  /** The stop must be told (it happened while the debugger waited for one). */
  private notify = false;
  private auxvBytes: Uint8Array = new Uint8Array(0);
  /** When the socket was last read while the guest ran (`performance.now()`). */
  private lastPoll = 0;

  constructor(private readonly listener: Deno.Listener, private readonly log: Log) {}

  get mem(): AddressSpace {
    return this.proc.mem;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get watching(): boolean {
    return this.watchpoints.length !== 0;
  }

  held(t: ThreadState): boolean {
    if (this.resumed === undefined || this.resumed.has(t)) return false;
    // Held while a resumed thread can run: one that blocks (on a lock a held thread owns) or exits would otherwise
    // leave the guest hanging, where qemu, which never holds threads, would go on.
    for (const r of this.resumed) if (!r.exited && r.call === undefined) return true;
    return false;
  }

  threads(): ThreadState[] {
    return [...this.proc.threads.values()].filter((t) => !t.exited);
  }

  stopReply(): string {
    // Formatted when asked: `qSupported` may have chosen multiprocess thread ids since the stop.
    return `${this.stopHead}thread:${formatThreadId(this, this.stopThread.tid)};`;
  }

  auxv(): Uint8Array {
    return this.auxvBytes;
  }

  /** Stops listening (once the debugger came, or the run ended first); a unix socket's file is removed. */
  close(): void {
    try {
      this.listener.close();
    } catch {
      // Closed already.
    }
    const addr = this.listener.addr;
    if (addr.transport === "unix" && addr.path) {
      try {
        Deno.removeSync(addr.path);
      } catch {
        // Removed already.
      }
    }
  }

  async start(proc: Process, cache: TbCache): Promise<void> {
    this.proc = proc;
    this.cache = cache;
    this.auxvBytes = procAuxv(proc);
    const conn = await this.listener.accept().catch(() => undefined);
    this.close();
    if (conn === undefined) return;
    this.conn = new Connection(conn);
    // Blocks end before breakpoints while the debugger is attached (blockInsns); the user's limit is kept.
    this.savedMaxInsns = cache.maxInsns;
    this.attached = true;
    const main = this.threads()[0];
    this.regThread = main;
    this.stopped = true;
    this.notify = false;
    this.stopHead = "T05";
    this.stopThread = main;
  }

  blockInsns(pc: number): number {
    if (this.perInsn) return 1;
    const sorted = this.sortedBreakpoints ??= [...this.breakpoints].sort((a, b) => a - b);
    // The first breakpoint above pc (binary search).
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= pc) lo = mid + 1;
      else hi = mid;
    }
    if (lo === sorted.length) return this.savedMaxInsns;
    // Instructions are at most 4 bytes: this many end at or before the breakpoint.
    return Math.max(1, Math.min(this.savedMaxInsns, Math.floor((sorted[lo] - pc) / 4)));
  }

  beforeInsn(t: ThreadState, pc: number): boolean {
    if (this.resumePcs.size !== 0) {
      const from = this.resumePcs.get(t);
      this.resumePcs.delete(t);
      if (from === pc) return false;
    }
    if (this.stepping === t && this.steppedOnce) {
      this.stop(t, { kind: "trap", signo: GDB_SIGTRAP });
      return true;
    }
    if (this.breakpoints.size !== 0 && this.breakpoints.has(pc)) {
      this.stop(t, { kind: "trap", signo: GDB_SIGTRAP });
      return true;
    }
    return false;
  }

  afterInsn(t: ThreadState, access: Access | undefined): boolean {
    if (access !== undefined) {
      for (const w of this.watchpoints) {
        if (access.addr >= w.addr + w.len || w.addr >= access.addr + access.size) continue;
        const hit = w.type === "watch" ? access.write : w.type === "rwatch" ? access.read : true;
        if (!hit) continue;
        this.stop(t, { kind: "watch", type: w.type, addr: w.addr });
        return true;
      }
    }
    if (this.stepping === t) {
      if (t.call !== undefined) {
        // Blocked in a system call: the step ends when the call returns.
        this.steppedOnce = true;
        return false;
      }
      this.stop(t, { kind: "trap", signo: GDB_SIGTRAP });
      return true;
    }
    return false;
  }

  stop(t: ThreadState, reason: StopReason): void {
    this.stopped = true;
    this.notify = true;
    this.stepping = undefined;
    this.steppedOnce = false;
    this.resumePcs.clear();
    this.regThread = t;
    this.stopThread = t;
    if (reason.kind === "signal") {
      this.stopSignal = { t, sig: reason.sig, forced: reason.forced };
      this.stopHead = `T${hex2(gdbSignal(reason.sig.signo))}`;
    } else if (reason.kind === "watch") {
      this.stopHead = `T${hex2(GDB_SIGTRAP)}${reason.type}:${reason.addr.toString(16)};`;
    } else {
      this.stopHead = `T${hex2(reason.signo)}`;
    }
  }

  takeSignal(t: ThreadState): { sig: PendingSignal; forced: boolean } | undefined {
    if (this.passed.size === 0) return undefined;
    const s = this.passed.get(t);
    this.passed.delete(t);
    return s;
  }

  async serve(): Promise<number | undefined> {
    const conn = this.conn;
    if (!this.attached || conn === undefined) return undefined;
    if (!this.stopped) {
      const now = performance.now();
      if (now - this.lastPoll < RUNNING_POLL_MS) return undefined;
      this.lastPoll = now;
      const e = await conn.poll();
      if (e?.kind === "closed") {
        this.detach("the debugger closed the connection");
        return undefined;
      }
      if (e?.kind === "interrupt") {
        const t = this.threads()[0];
        if (t) this.stop(t, { kind: "trap", signo: GDB_SIGINT });
      }
      if (!this.stopped) return undefined;
    }
    if (this.notify) {
      this.notify = false;
      await conn.send(this.stopReply());
    }
    for (;;) {
      const e = await conn.next();
      if (e.kind === "closed") {
        this.detach("the debugger closed the connection");
        return undefined;
      }
      if (e.kind === "interrupt") continue;
      let action: Action;
      try {
        action = handlePacket(this, e.data);
      } catch {
        // A packet no handler foresaw is the debugger's error, not plume's: refused.
        action = { kind: "reply", data: "E22" };
      }
      switch (action.kind) {
        case "reply":
          await conn.send(action.data);
          break;
        case "resume":
          if (this.resume(action.actions)) return undefined;
          await conn.send("E22");
          break;
        case "detach":
          await conn.send("OK");
          this.detach(undefined);
          return undefined;
        case "kill":
          if (action.reply !== undefined) await conn.send(action.reply);
          this.log.error("plume: terminated via GDBstub\n");
          conn.close();
          this.attached = false;
          this.proc.exitStatus = 0;
          this.proc.releaseResources();
          return 0;
      }
    }
  }

  /** Resumes as `actions` say; false when one names a thread that does not exist or a signal Linux lacks. */
  private resume(actions: ResumeAction[]): boolean {
    const threads = this.threads();
    let step: ThreadState | undefined;
    const passed = new Map<ThreadState, { sig: PendingSignal; forced: boolean }>();
    const stop = this.stopSignal;
    // An action without a thread id applies to every thread; with only thread-specific ones, the rest stay stopped.
    const resumed = actions.some((a) => a.tid === undefined) ? undefined : new Set<ThreadState>();
    for (const a of actions) {
      const targets = a.tid === undefined
        ? (stop ? [stop.t] : [this.regThread])
        : threads.filter((t) => t.tid === a.tid);
      if (targets.length === 0) return false;
      const t = targets[0];
      resumed?.add(t);
      if (a.step && step === undefined) step = t;
      // GDB passes the initial stop's "SIGTRAP" on when told to pass SIGTRAP; qemu drops it, and so does plume.
      if (a.signal !== 0 && !passed.has(t) && !this.initialStop) {
        const signo = linuxSignal(a.signal);
        if (signo === undefined) return false;
        // The signal the thread stopped for keeps its siginfo; another one is sent as by kill().
        if (stop && stop.t === t && gdbSignal(stop.sig.signo) === a.signal) passed.set(t, stop);
        else passed.set(t, { sig: { signo, code: 0, pid: 0, uid: 0, tid: t.tid }, forced: false });
      }
    }
    for (const [t, s] of passed) this.passed.set(t, { sig: s.sig, forced: s.forced });
    this.stopSignal = undefined;
    this.initialStop = false;
    this.resumed = resumed;
    this.stepping = step;
    this.steppedOnce = false;
    for (const t of threads) this.resumePcs.set(t, t.cpu.pc);
    const perInsn = step !== undefined || this.watchpoints.length !== 0;
    if (perInsn !== this.perInsn) {
      // Blocks of the other kind would run too few or too many instructions at a time.
      this.perInsn = perInsn;
      this.cache.flush();
    }
    this.stopped = false;
    return true;
  }

  /** The debugger is gone: the guest runs on as without `-g` (a signal it stopped for is delivered). */
  private detach(why: string | undefined): void {
    if (why !== undefined) this.log.error(`plume: gdb stub: ${why}; the guest runs on\n`);
    this.conn?.close();
    this.attached = false;
    this.stopped = false;
    this.breakpoints.clear();
    this.watchpoints.length = 0;
    this.stepping = undefined;
    this.resumed = undefined;
    const stop = this.stopSignal;
    this.stopSignal = undefined;
    for (const [t, s] of this.passed) this.requeue(t, s);
    this.passed.clear();
    if (stop) this.requeue(stop.t, stop);
    this.cache.maxInsns = this.savedMaxInsns;
    this.cache.flush();
  }

  private requeue(t: ThreadState, s: { sig: PendingSignal; forced: boolean }): void {
    if (s.forced) forceSignal(this.proc, t, s.sig);
    else {
      t.pending.unshift(s.sig);
      this.proc.signals.count++;
    }
  }

  async end(proc: Process, status: number): Promise<void> {
    this.close();
    const conn = this.conn;
    if (!this.attached || conn === undefined) return;
    this.attached = false;
    const who = this.multiprocess ? `;process:${proc.pid.toString(16)}` : "";
    await conn.send(proc.killedBy ? `X${hex2(gdbSignal(proc.killedBy))}${who}` : `W${hex2(status & 0xff)}${who}`);
    conn.close();
  }

  insertPoint(type: PointType, addr: number, len: number): boolean {
    if (this.breakpoints.size + this.watchpoints.length >= MAX_POINTS) return false;
    if (type <= 1) {
      if (!this.breakpoints.has(addr)) {
        this.breakpoints.add(addr);
        this.sortedBreakpoints = undefined;
        // Blocks translated before run across the new breakpoint: drop those on its page (and those reaching into it).
        const page = Math.floor(addr / PAGE_SIZE);
        this.cache.invalidatePages(page, Math.floor((addr + 3) / PAGE_SIZE));
      }
      return true;
    }
    if (len === 0 || len > MAX_WATCH_LEN) return false;
    this.watchpoints.push({ type: WATCH_TYPES[type - 2], addr, len });
    return true;
  }

  removePoint(type: PointType, addr: number, len: number): boolean {
    if (type <= 1) {
      this.sortedBreakpoints = undefined;
      return this.breakpoints.delete(addr);
    }
    const kind = WATCH_TYPES[type - 2];
    const i = this.watchpoints.findIndex((w) => w.type === kind && w.addr === addr && w.len === len);
    if (i < 0) return false;
    this.watchpoints.splice(i, 1);
    return true;
  }
}

const WATCH_TYPES = ["watch", "rwatch", "awatch"] as const;

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
