/**
 * The emulated Linux process: its address space, files, program break,
 * identity and exit state. System calls (`syscalls.ts`) act on it.
 *
 * @module
 */

import { DEFAULT_EXTENSIONS } from "../isa/extensions.ts";
import type { Extension } from "../isa/ops_generated.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { DEFAULT_STACK_SIZE, type GuestRange } from "../elf/loader.ts";
import type { Cpu } from "../cpu/state.ts";
import { Log } from "../util/log.ts";
import { Credentials } from "./credentials.ts";
import { FdTable } from "./fd_table.ts";
import { fileIdentity, type OpenFile } from "./open_file.ts";
import { hostUmask, uptimeNow } from "./host_info.ts";
import { HostSignals } from "./host_signals.ts";
import { IntervalTimers } from "./itimers.ts";
import { PosixTimers } from "./posix_timers.ts";
import { ResourceLimits } from "./rlimits.ts";
import type { RunLog } from "./run_log.ts";
import { FutexTable } from "./futex_table.ts";
import { ProcessTable } from "./process_table.ts";
import { SharedMappings } from "./shared_mappings.ts";
import { SignalState } from "./signals.ts";
import { ThreadState } from "./thread.ts";

/** A program image `execve` loaded, as a recording keeps it (`record_replay.ts`). */
export interface ExecImage {
  /** The program's host path, and its bytes. */
  path: string;
  bytes: Uint8Array;
  /** Its ELF interpreter, if dynamically linked. */
  interp?: { path: string; bytes: Uint8Array };
  /** argv (a `#!` line's interpreter and argument in front), environment, `AT_EXECFN`. */
  argv: string[];
  envp: string[];
  execfn: string;
  /** `AT_RANDOM`, `AT_UID`, `AT_GID`. */
  random: Uint8Array;
  uid: number;
  gid: number;
}

/** Linux's default timer slack (`PR_GET_TIMERSLACK`, and what `PR_SET_TIMERSLACK` 0 sets): 50 µs. */
export const DEFAULT_TIMER_SLACK_NS = 50_000;
/** `TASK_COMM_LEN`: a task's name is kept in 15 bytes and a NUL. */
export const COMM_LEN = 16;

/** The bytes of a task's name as Linux keeps it (`comm`): the first 15 of its UTF-8. */
export function commBytes(name: string): Uint8Array {
  return new TextEncoder().encode(name).subarray(0, COMM_LEN - 1);
}

/** `sched_setscheduler`'s flag: children do not inherit a privileged policy (plume has none to give). */
export const SCHED_RESET_ON_FORK = 0x4000_0000;

/**
 * State of one guest process shared by all its threads.
 *
 * @example Create a process over a fresh address space
 * ```ts
 * import { Process } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 24));
 * strictEqual(proc.exitStatus, null); // still running
 * ```
 */
export class Process {
  /** The guest address space. */
  readonly mem: AddressSpace;
  /** Debug log (`-d`, `-D`). */
  log: Log;
  /** Print system calls as `-strace` does. */
  strace = false;
  /** Sysroot given with `-L` (absolute host path), or "" for none. */
  sysroot = "";
  /** Size of the main thread's stack of each program this process runs (`-s`; `execve` keeps it). */
  stackSize: number = DEFAULT_STACK_SIZE;
  /** Absolute host path of the running executable (`/proc/self/exe`). */
  exePath = "";
  /** Start of the program break area (end of the loaded image, page aligned). */
  brkStart = 0;
  /** Current program break. */
  brk = 0;
  /** Lowest address of the loaded program's code. */
  startCode = 0;
  /** End of the loaded program's code. */
  endCode = 0;
  /** Entry point of the program (not of the interpreter). */
  entry = 0;
  /** Process id the guest sees (the host's, as under qemu-user). */
  pid: number = Deno.pid;
  /** Exit status once the guest called `exit_group` (or died of a signal), else null. */
  exitStatus: number | null = null;
  /** Set by a system call after which the scheduler must pick a thread again (`sched_yield`, `exit`, `clone`). */
  reschedule = false;
  /** The recording (`-record`) or replay (`-replay`) of this run, if any (`record_replay.ts`). */
  runLog: RunLog | undefined = undefined;

  /** Open file descriptors. */
  readonly fds: FdTable = new FdTable();
  /** The optional extensions the guest has (`-cpu`), which `riscv_hwprobe` reports. */
  extensions: ReadonlySet<Extension> = new Set(DEFAULT_EXTENSIONS);
  /**
   * Current working directory (absolute host path). The guest's, kept
   * here: plume never changes the host process's directory.
   */
  cwd: string;
  /** File mode creation mask. */
  umask: number;
  /** Signal dispositions and raised signals. */
  readonly signals: SignalState;
  /** User and group ids. */
  readonly creds: Credentials;
  /** Resource limits. */
  readonly rlimits: ResourceLimits;
  /** `MAP_SHARED` file mappings. */
  readonly sharedMaps: SharedMappings = new SharedMappings();
  /** Threads by thread id, in creation order (the scheduler's round-robin order). */
  readonly threads: Map<number, ThreadState> = new Map();
  /** Futex wait queues. */
  readonly futexes: FutexTable = new FutexTable();
  /** Interval timers (`setitimer`). */
  readonly timers: IntervalTimers = new IntervalTimers();
  /** POSIX timers (`timer_create`): none in a forked child, deleted by `execve`. */
  readonly posixTimers: PosixTimers = new PosixTimers();
  /** Host signals passed on to the guest. */
  readonly hostSignals: HostSignals = new HostSignals();
  /** Milliseconds the guest's vCPUs have spent running (the clock of `ITIMER_VIRTUAL`/`ITIMER_PROF`). */
  runTime = 0;
  /** 16 bytes for a new image's `AT_RANDOM` (reproducible with `-seed`). */
  randomBytes: () => Uint8Array = () => crypto.getRandomValues(new Uint8Array(16));
  /** Number of successful `execve` calls so far. */
  execs = 0;
  /** Called when `execve` replaced the image: translations and plugins' per-block data must go. */
  onExec: () => void = () => {};
  /** Told of every image `execve` loads, while set (`-record`). */
  onImage: ((img: ExecImage) => void) | undefined = undefined;
  /** A replay's `wait4` collected this process before it ended here (it leaves no zombie). */
  collected = false;
  /** The signal that stopped this process (job control), 0 while it runs ({@link canStop}). */
  stopSignal = 0;
  /** A stop or continuation its parent has not collected yet with `WUNTRACED`/`WCONTINUED`. */
  waitEvent: "stopped" | "continued" | undefined = undefined;

  /**
   * Whether a stop signal stops this process: only a process with a guest
   * parent, which can continue it (the first process ignores them, as
   * nothing outside the sandbox could send it `SIGCONT`), and not in a
   * recorded or replayed run (whose schedule a stop would change).
   */
  canStop(): boolean {
    return this.parent !== undefined && this.runLog === undefined;
  }
  /** Called when a thread is removed without running again (`execve` ends the others). */
  onThreadGone: (t: ThreadState) => void = () => {};
  /**
   * Called by `clone` once it made a thread, so that plugins hear of its
   * vCPU then, as under QEMU (the scheduler announces it), not when the
   * slice of the thread that made it ends.
   */
  onThreadMade: () => void = () => {};
  /** Address of the signal-return trampoline (`li a7, 139; ecall`) handlers return to. */
  sigreturnAddr = 0;
  /** Last thread id handed out (new threads count up from the pid). */
  private lastTid = 0;
  /** Name the first thread set with `prctl(PR_SET_NAME)` (empty too); undefined means the executable's name. */
  threadName: string | undefined = undefined;
  /** Nice value (`getpriority`/`setpriority`). */
  nice = 0;
  /**
   * Process group and session ids (`process_groups.ts`): 0 while they are
   * the host's (the first process's until it changes them), else the ids a
   * `setpgid` or `setsid` gave; a forked child starts with its parent's.
   */
  pgrp = 0;
  /** See {@link pgrp}. */
  session = 0;
  /**
   * Scheduling policy as `sched_getscheduler` reports it (`SCHED_OTHER`, `SCHED_BATCH` or `SCHED_IDLE`, with
   * `SCHED_RESET_ON_FORK`); plume's own scheduler treats them alike. A child keeps the policy, not the flag.
   */
  schedPolicy = 0;
  /** `prctl` state: the signal this process gets when its parent ends (not kept by `fork`), and settings. */
  deathSignal = 0;
  /** `PR_SET_DUMPABLE` (kept by `fork`; `execve` makes it 1 again). */
  dumpable = 1;
  /** `PR_SET_KEEPCAPS`. */
  keepCaps = 0;
  /** `PR_SET_NO_NEW_PRIVS`: once set, kept by `fork` and `execve`, never cleared. */
  noNewPrivs = 0;
  /** `PR_SET_TIMERSLACK` in ns (0 sets the default, 50 µs). */
  timerSlack = DEFAULT_TIMER_SLACK_NS;
  /** The processes of this run (shared with every process `fork` made). */
  readonly family: ProcessTable<Process>;
  /** The process that forked this one; undefined for the first. */
  readonly parent: Process | undefined;
  /** Children not yet collected with `wait4`/`waitid` (running, or exited: zombies). */
  readonly children: Process[] = [];
  /** The signal that ended the process, or 0. */
  killedBy = 0;
  /** Signal the parent gets when this process ends (`clone`'s low byte: `SIGCHLD` for `fork`). */
  exitSignal = 0;
  /** The running program's arguments, argv[0] first (`/proc/self/cmdline`, as qemu-user makes it). */
  argv: readonly string[] = [];
  /** argv[0] of the running program (`/proc/self/stat` names the process by it, as qemu-user does). */
  get argv0(): string {
    return this.argv[0] ?? "";
  }
  /** Initial stack pointer of the running program (`/proc/self/stat`'s `start_stack`). */
  startStack = 0;
  /** Where the program's auxiliary vector lies on its initial stack (`/proc/self/auxv`). */
  auxv: GuestRange = { at: 0, bytes: 0 };
  /** When the process started, in clock ticks since the host booted (`/proc/self/stat`'s `starttime`). */
  readonly startTime: number = Math.floor(uptimeNow() * 100);
  /** The host program this process exec'd (`host_exec.ts`), while it runs. */
  hostProgram: Deno.ChildProcess | undefined;
  /** Settles when the host program this process exec'd ends (`host_exec.ts`); undefined when there is none. */
  hostChild: Promise<void> | undefined;

  /**
   * @param mem the guest address space
   * @param log debug log
   * @param parent for `fork`: the process the new one is a copy of (`mem`
   *   is then a copy of its address space)
   */
  constructor(mem: AddressSpace, log: Log = new Log(), parent?: Process) {
    this.mem = mem;
    this.log = log;
    this.parent = parent;
    // A forked child reads nothing from the host: what it inherits is its parent's (which may have changed it).
    if (parent === undefined) {
      this.family = new ProcessTable<Process>(this.pid);
      this.cwd = Deno.cwd();
      this.umask = hostUmask();
      this.signals = new SignalState();
      this.creds = Credentials.fromHost();
      this.rlimits = new ResourceLimits();
    } else {
      this.family = parent.family;
      this.pid = this.family.newPid();
      this.strace = parent.strace;
      this.sysroot = parent.sysroot;
      this.stackSize = parent.stackSize;
      this.exePath = parent.exePath;
      this.brkStart = parent.brkStart;
      this.brk = parent.brk;
      this.startCode = parent.startCode;
      this.endCode = parent.endCode;
      this.entry = parent.entry;
      this.fds = parent.fds.copy();
      this.extensions = parent.extensions;
      this.cwd = parent.cwd;
      this.umask = parent.umask;
      this.signals = parent.signals.copy();
      this.creds = parent.creds.copy();
      this.rlimits = parent.rlimits.copy();
      this.randomBytes = parent.randomBytes;
      this.sigreturnAddr = parent.sigreturnAddr;
      this.threadName = parent.threadName;
      this.dumpable = parent.dumpable;
      this.keepCaps = parent.keepCaps;
      this.noNewPrivs = parent.noNewPrivs;
      this.timerSlack = parent.timerSlack;
      this.argv = parent.argv;
      this.startStack = parent.startStack;
      this.auxv = parent.auxv;
      this.nice = parent.nice;
      this.pgrp = parent.pgrp;
      this.session = parent.session;
      this.schedPolicy = parent.schedPolicy & ~SCHED_RESET_ON_FORK;
      parent.children.push(this);
    }
    this.family.processes.set(this.pid, this);
    this.fds.onClose = (f) => closedFile(this, f);
  }

  /** Thread id of the thread `cpu` runs (the pid for the main thread). */
  tidOf(cpu: Cpu): number {
    return cpu.tid || this.pid;
  }

  /** State of the thread `cpu` runs, created on first use (the main thread is made so). */
  thread(cpu: Cpu): ThreadState {
    const tid = this.tidOf(cpu);
    let t = this.threads.get(tid);
    if (t === undefined) {
      t = new ThreadState(tid, cpu);
      this.threads.set(tid, t);
    }
    return t;
  }

  /**
   * Registers a new thread running on `cpu` and gives it a thread id:
   * the next number above the pid that no thread of the guest uses.
   */
  addThread(cpu: Cpu): ThreadState {
    let tid = Math.max(this.lastTid, this.pid) + 1;
    while (this.threads.has(tid)) tid++;
    this.lastTid = tid;
    cpu.tid = tid;
    const t = new ThreadState(tid, cpu);
    this.threads.set(tid, t);
    return t;
  }

  /** The name of thread `t` (`PR_GET_NAME`): the process's for its first thread. */
  threadComm(t: ThreadState): string {
    return t.tid === this.pid ? this.comm : t.name ?? this.comm;
  }

  /**
   * The comm name of the first thread, which `/proc/PID/comm` and `ps`
   * show (`PR_GET_NAME` keeps 15 bytes of it): the executable's base name
   * by default.
   */
  get comm(): string {
    return this.threadName ?? this.exePath.slice(this.exePath.lastIndexOf("/") + 1);
  }

  /**
   * Finishes the process's files at exit: shared mappings are written
   * back, descriptors closed, the terminal restored.
   */
  releaseResources(): void {
    this.sharedMaps.removeAll(this.mem);
    this.fds.closeAll();
    this.family.locks.releaseAll(this);
    this.hostSignals.dispose();
  }
}

/**
 * A descriptor of `proc`'s is being closed (the file still open): its
 * POSIX locks on that file go (any close of the file does it, as in POSIX),
 * and the description's own locks (`flock`, OFD) when this is its last
 * reference.
 */
function closedFile(proc: Process, f: OpenFile): void {
  const locks = proc.family.locks;
  if (f.refs <= 1) locks.releaseAll(f);
  if (locks.holdsRanges(proc)) locks.releaseRanges(fileIdentity(f), proc);
}

/**
 * The process of the guest's that `id` names, by its pid or one of its
 * threads' ids (Linux's `find_task_by_vpid`): the caller's own, or another
 * of plume's made by `fork`, ended but not collected yet too.
 *
 * @example
 * ```ts
 * import { Process, processOfId } from "./process.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { strictEqual } from "node:assert";
 * const proc = new Process(new AddressSpace(1 << 20));
 * strictEqual(processOfId(proc, proc.pid), proc);
 * strictEqual(processOfId(proc, -5), undefined);
 * ```
 */
export function processOfId(proc: Process, id: number): Process | undefined {
  if (id <= 0) return undefined;
  if (id === proc.pid || proc.threads.has(id)) return proc;
  const byPid = proc.family.processes.get(id);
  if (byPid !== undefined) return byPid;
  for (const p of proc.family.processes.values()) if (p.exitStatus === null && p.threads.has(id)) return p;
  return undefined;
}
