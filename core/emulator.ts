/**
 * Running a guest program, as a list of stages: read the program, create
 * the process, load the image, prepare the vCPU and the translator, run.
 *
 * @module
 */

import type { Extension } from "./isa/ops_generated.ts";
import { ProcessRunner } from "./exec/process_runner.ts";
import { Scheduler } from "./exec/scheduler.ts";
import { Cpu } from "./cpu/state.ts";
import { type ElfSymbol, readSymbols } from "./elf/elf.ts";
import { DEFAULT_STACK_SIZE, defaultStackSize, interpreterPath, loadProgram } from "./elf/loader.ts";
import { ProgramFileError, readProgramFile } from "./elf/program_file.ts";
import { SymbolTable } from "./elf/symbols.ts";
import { disassemble } from "./isa/disasm.ts";
import { makeRuntime } from "./jit/runtime.ts";
import type { BlockInstrumentation, PluginHooks } from "./jit/plugin_actions.ts";
import { TbCache, type WasmPolicy } from "./jit/tb_cache.ts";
import type { TranslationBlock } from "./jit/translator.ts";
import { Process } from "./linux/process.ts";
import { HostFile } from "./linux/open_file.ts";
import { HostFifo } from "./linux/host_fifo.ts";
import type { InheritedDescriptor } from "./linux/inherited_fds.ts";
// Types only: the recorder's modules load (main.ts) only for -record and -replay.
import type { Recorder, Replayer } from "./linux/record_replay.ts";
import { DEFAULT_NPROC, RLIMIT_NPROC, RLIMIT_STACK } from "./linux/rlimits.ts";
import { catchHostFileSizeSignal } from "./linux/host_signals.ts";
import { SYS } from "./linux/syscall_names.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "./mem/address_space.ts";
import { makeExecTracer } from "./jit/exec_trace.ts";
import type { Log } from "./util/log.ts";
import type { VcpuHooks } from "./cpu/vcpu_hooks.ts";
import type { DebugSession } from "./exec/debug_loop.ts";

/** What to run and how. */
export interface GuestConfig {
  /** Program path as given on the command line. */
  program: string;
  /** argv of the guest, argv[0] included. */
  argv: string[];
  /** Environment of the guest, as `NAME=value` strings. */
  envp: string[];
  /** `-L` sysroot ("" for none). */
  sysroot: string;
  /** Debug log. */
  log: Log;
  /** `-strace`. */
  strace: boolean;
  /** `-one-insn-per-tb`. */
  oneInsnPerTb: boolean;
  /** `-seed`: makes `AT_RANDOM` (and later other randomness) reproducible. */
  seed: number | undefined;
  /** `-jit-warmup`: ms after the first translation during which blocks compile later (default: the cache's). */
  jitWarmupMs?: number;
  /** `-jit-wasm`: when regions become WebAssembly (default: the cache's). */
  jitWasm?: WasmPolicy;
  /** `-cpu`: the optional extensions the guest has (default: qemu-riscv64 7.2's, `DEFAULT_EXTENSIONS`). */
  extensions?: ReadonlySet<Extension>;
  /** `-nproc`: the most tasks of the run, the guest's `RLIMIT_NPROC` (default {@link DEFAULT_NPROC}). */
  nproc?: number;
  /** `-s`: the main thread's stack size in bytes (default: as qemu-user, the host's `RLIMIT_STACK`, else 8 MiB). */
  stackSize?: number;
  /**
   * The descriptors above 2 plume was started with (`linux/inherited_fds.ts`), which the guest's first process gets
   * at the same numbers, as under qemu-user (not under `-record` or `-replay`).
   */
  inherited?: readonly InheritedDescriptor[];
  /** Instrumentation from the plugin core, when plugins are loaded. */
  instrumentation?: Instrumentation;
  /** vCPU events for the plugin core, when plugins are loaded. */
  vcpuHooks?: VcpuHooks;
  /** The debugger (`-g`): the run waits for it before the first instruction. */
  debug?: DebugSession;
  /**
   * `-record` or `-replay`: the run's inputs from outside are written down or
   * taken from the recording (whose header then gave argv, environment, `-L`,
   * `-seed` and `-one-insn-per-tb`).
   */
  runLog?: Recorder | Replayer;
}

/** How plugins instrument translated code: hooks the code calls, and the per-block plan. */
export interface Instrumentation {
  hooks: PluginHooks;
  instrument(tb: TranslationBlock): BlockInstrumentation | undefined;
  /** Whether the instrumentation since the last flush asks for a flush before the next translation. */
  overBudget?(): boolean;
  /**
   * Whether a new block must be shown to the plugins now ({@link instrument}); when false, translating it would
   * reach none of them, and it may be decoded and run as without plugins. Absent: always.
   */
  watchesTranslation?(): boolean;
}

/** A program file that cannot be run: one line for the user, exit status 1. */
export class ProgramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProgramError";
  }
}

function hostErrorText(err: unknown): string {
  if (err instanceof ProgramFileError) {
    return err.errno === "EACCES" ? `Permission denied (${err.message})` : err.message;
  }
  if (err instanceof Deno.errors.NotFound) return "No such file or directory";
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) return "Permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "Is a directory";
  return err instanceof Error ? err.message : String(err);
}

/** Reads a program file (a regular file of bounded size), turning host errors into {@link ProgramError}. */
function readProgram(path: string): Uint8Array<ArrayBuffer> {
  try {
    if (Deno.statSync(path).isDirectory) throw new Deno.errors.IsADirectory();
    return readProgramFile(path);
  } catch (err) {
    throw new ProgramError(`${path}: ${hostErrorText(err)}`);
  }
}

/** What tells versions of a file apart: size, modification time and inode (undefined when it cannot be known). */
function fileStamp(path: string): string | undefined {
  try {
    const s = Deno.statSync(path);
    return `${s.size} ${s.mtime?.getTime()} ${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * A reader of the program's symbols for {@link SymbolTable.addLater}: the
 * file is read again at the first lookup (most runs make none), none when
 * it changed since it was loaded. Keeping its bytes for that would hold
 * the whole file in memory to the end of the run, when its segments are
 * already in guest memory (busybox: 1.6 MB).
 */
function symbolsOfFile(path: string, stamp: string | undefined): () => ElfSymbol[] {
  return () => {
    try {
      return stamp !== undefined && fileStamp(path) === stamp ? readSymbols(readProgramFile(path, true)) : [];
    } catch {
      return [];
    }
  };
}

/** A small deterministic generator (xorshift64*) for `-seed`. */
function seededBytes(seed: number, n: number): Uint8Array {
  let s = BigInt(seed) ^ 0x9e3779b97f4a7c15n;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s >> 12n;
    s ^= (s << 25n) & 0xffffffffffffffffn;
    s ^= s >> 27n;
    out[i] = Number(((s * 0x2545f4914f6cdd1dn) >> 56n) & 0xffn);
  }
  return out;
}

/** Bytes from their hex spelling. */
function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function randomBytes(seed: number | undefined): Uint8Array {
  return seed === undefined ? crypto.getRandomValues(new Uint8Array(16)) : seededBytes(seed, 16);
}

/** Everything a running guest is made of. */
export interface Guest {
  proc: Process;
  cpu: Cpu;
  cache: TbCache;
  symbols: SymbolTable;
  /** `-seed`, which also varies thread scheduling reproducibly. */
  seed?: number;
  /** Translations for the address space of a process made by `fork` (instrumented by its plugins, if any). */
  newCache: (proc: Process, instrumentation?: Instrumentation) => TbCache;
  /** The run's recording or replay (`-record`, `-replay`). */
  runLog?: Recorder | Replayer;
}

/**
 * vCPU hooks that follow the guest into the processes it forks: the
 * plugin core's. `fork` gives the child's (undefined: it runs without).
 */
export interface ForkingHooks extends VcpuHooks {
  /** The guest made a process whose one vCPU is `cpu` with system call `num`. */
  fork(cpu: Cpu, num: number): ForkedHooks | undefined;
}

/** The hooks of a forked process, and what its translations need of them. */
export interface ForkedHooks extends ForkingHooks {
  instrumentation(): Instrumentation;
  /** Connects them to the forked process once its translation cache exists. */
  attach(guest: Guest): void;
  /** True when the child may start with its parent's translations (their instrumentation means the same). */
  readonly inheritsTranslations: boolean;
}

/**
 * Loads the program into a new process and prepares its first vCPU.
 *
 * @throws {ProgramError} when the file cannot be read
 * @throws {ElfError} when it is not a loadable RV64 executable
 */
export function createGuest(cfg: GuestConfig): Guest {
  // Taken first: a file that changes while it is read then gets no symbols rather than another file's.
  const stamp = fileStamp(cfg.program);
  const bytes = readProgram(cfg.program);
  const rr = cfg.runLog;
  const replay = rr?.replaying ? rr as Replayer : undefined;
  replay?.checkProgram(cfg.program, bytes, replay.header.sha256);
  const mem = new AddressSpace();
  const proc = new Process(mem, cfg.log);
  if (cfg.extensions !== undefined) proc.extensions = cfg.extensions;
  if (replay) {
    // The guest sees the recorded run's process id (thread ids count up from it).
    proc.family.processes.delete(proc.pid);
    proc.pid = replay.header.pid;
    proc.family.processes.set(proc.pid, proc);
  }
  proc.strace = cfg.strace;
  proc.sysroot = cfg.sysroot;
  proc.exePath = Deno.realPathSync(cfg.program);
  // A recorded run takes nothing from outside that its recording does not hold: no descriptor but the standard ones.
  if (!rr) {
    for (const d of cfg.inherited ?? []) {
      const f = HostFile.inherited(d) ?? HostFifo.inherited(d);
      if (f !== undefined) proc.fds.installAt(d.fd, f, false);
    }
  }
  // A host file-size limit (set now or later, from outside) must not end plume with SIGXFSZ: the guest gets the
  // signal, and EFBIG.
  catchHostFileSizeSignal();
  // All guest processes live inside plume, where the host's RLIMIT_NPROC does not reach them.
  proc.rlimits.lower(RLIMIT_NPROC, cfg.nproc ?? DEFAULT_NPROC);
  // A replay's stack is the recorded one (it moves what the guest maps after it; 8 MiB before it was recorded).
  proc.stackSize = replay
    ? replay.header.stackSize ?? DEFAULT_STACK_SIZE
    : cfg.stackSize ?? defaultStackSize(proc.rlimits.soft(RLIMIT_STACK));
  const random = replay ? hexBytes(replay.header.random) : randomBytes(cfg.seed);
  const uid = replay ? replay.header.uid : Deno.uid() ?? 0, gid = replay ? replay.header.gid : Deno.gid() ?? 0;
  let interp: { path: string; sha256: string } | undefined;
  const loaded = loadProgram(mem, {
    path: cfg.program,
    mapName: proc.exePath,
    bytes,
    argv: cfg.argv,
    envp: cfg.envp,
    // The recorded name: its length moves the initial stack.
    execfn: replay ? replay.header.program : cfg.program,
    readInterp: (p) => {
      const path = interpreterPath(cfg.sysroot, p);
      const interpBytes = readProgram(path);
      if (rr) interp = { path, sha256: rr.sha256(interpBytes) };
      replay?.checkProgram(path, interpBytes, replay.header.interp?.sha256);
      return { path, bytes: interpBytes };
    },
    random,
    uid,
    gid,
    extensions: proc.extensions,
    stackSize: proc.stackSize,
  });
  if (rr && !rr.replaying) {
    rr.start({
      plume: rr.version,
      program: cfg.program,
      exePath: proc.exePath,
      sha256: rr.sha256(bytes),
      interp,
      argv: cfg.argv,
      envp: cfg.envp,
      // Absolute, so that a replay from another directory finds the interpreter.
      sysroot: cfg.sysroot === "" ? "" : Deno.realPathSync(cfg.sysroot),
      seed: cfg.seed,
      oneInsnPerTb: cfg.oneInsnPerTb,
      extensions: cfg.extensions && [...cfg.extensions],
      stackSize: proc.stackSize,
      random: Array.from(random, (b) => b.toString(16).padStart(2, "0")).join(""),
      uid,
      gid,
      pid: proc.pid,
    });
  }
  // The segments are in guest memory now: the file's bytes are let go at once rather than at the next full
  // collection: `echo hi`'s peak RSS 65.4 → 64.0 MB (means of 40 runs).
  bytes.buffer.transfer(0);
  proc.brkStart = proc.brk = loaded.brk;
  proc.sigreturnAddr = loaded.sigreturn;
  proc.randomBytes = () => randomBytes(cfg.seed === undefined ? undefined : cfg.seed + ++proc.execs);
  proc.startCode = loaded.main.startCode;
  proc.endCode = loaded.main.endCode;
  proc.entry = loaded.main.entry;
  const symbols = new SymbolTable();
  symbols.addLater(symbolsOfFile(cfg.program, stamp), loaded.main.bias);
  const cpu = new Cpu();
  cpu.pc = loaded.pc;
  cpu.setXNumber(2, loaded.sp);
  cpu.tid = proc.pid;
  proc.argv = cfg.argv;
  proc.startStack = loaded.sp;
  proc.auxv = loaded.auxv;
  // Processes made by fork get translations of their own, instrumented by the plugins that followed them.
  const newCache = (owner: Process, instrumentation?: Instrumentation) => {
    const mem = owner.mem;
    // Each process's counter reads go to its own stream of the recording.
    const counter = rr && ((v: number) => (owner.runLog ?? rr).counter(v));
    const cache = new TbCache(mem, makeRuntime(mem, instrumentation?.hooks, counter, cfg.extensions));
    if (instrumentation) {
      cache.instrument = (tb) => instrumentation.instrument(tb);
      if (instrumentation.overBudget) cache.overBudget = () => instrumentation.overBudget!();
      if (instrumentation.watchesTranslation) cache.watchesTranslation = () => instrumentation.watchesTranslation!();
    }
    if (cfg.oneInsnPerTb) cache.maxInsns = 1;
    if (cfg.jitWarmupMs !== undefined) cache.warmupMs = cfg.jitWarmupMs;
    if (cfg.jitWasm !== undefined) cache.wasm = cfg.jitWasm;
    if (cfg.extensions !== undefined) cache.extensions = cfg.extensions;
    if (cfg.log.on("in_asm")) cache.onTranslate = (tb) => cfg.log.write(formatInAsm(tb, symbols));
    cache.trace = makeExecTracer(cfg.log, symbols);
    cache.noChain = cfg.log.on("nochain");
    return cache;
  };
  const cache = newCache(proc, cfg.instrumentation);
  if (cfg.vcpuHooks) cache.onFlush = () => cfg.vcpuHooks!.flush();
  if (cfg.log.on("page")) cfg.log.write(formatMappings(mem));
  proc.thread(cpu);
  rr?.attach(proc);
  return { proc, cpu, cache, symbols, seed: cfg.seed, newCache, runLog: rr };
}

/** The guest's mappings as QEMU's `-d page` prints them. */
function formatMappings(mem: AddressSpace): string {
  const h = (n: number) => n.toString(16).padStart(16, "0");
  let s = "start            end              size             prot\n";
  for (const m of mem.mappings) {
    const prot = (m.prot & PROT_READ ? "r" : "-") + (m.prot & PROT_WRITE ? "w" : "-") +
      (m.prot & PROT_EXEC ? "x" : "-");
    s += `${h(m.start)}-${h(m.end)} ${h(m.end - m.start)} ${prot}\n`;
  }
  return s;
}

/** A block as QEMU's `-d in_asm` prints it. */
function formatInAsm(tb: TranslationBlock, symbols: SymbolTable): string {
  let s = `----------------\nIN: ${symbols.lookup(tb.pc)}\n`;
  for (let k = 0; k < tb.insns.length; k++) {
    const insn = tb.insns[k], pc = tb.pcs[k], raw = tb.raws[k];
    const hex = raw.toString(16).padStart(insn?.size === 2 || (raw & 3) !== 3 ? 4 : 8, "0");
    const text = insn ? disassemble(insn, pc) : "illegal";
    const sp = text.indexOf(" ");
    const mnemonic = sp < 0 ? text : text.slice(0, sp), operands = sp < 0 ? "" : text.slice(sp + 1);
    s += `0x${pc.toString(16).padStart(16, "0")}:  ${hex.padEnd(18)}${mnemonic.padEnd(24)}${operands}\n`;
  }
  return s + "\n";
}

/**
 * Runs a guest program to completion and returns its exit status.
 *
 * @example
 * ```ts
 * import { runGuest } from "./emulator.ts";
 * import { Log } from "./util/log.ts";
 * import { strictEqual } from "node:assert";
 * const program = "tests/guest/bin/hello_asm"; // prints a line and exits with 7
 * const status = await runGuest({ program, argv: [program], envp: [], sysroot: "", log: new Log(),
 *   strace: false, oneInsnPerTb: false, seed: undefined });
 * strictEqual(status, 7);
 * ```
 */
export function runGuest(cfg: GuestConfig): Promise<number> {
  return runCreatedGuest(createGuest(cfg), cfg.vcpuHooks, cfg.debug);
}

/**
 * The scheduler of a process `fork` made from the one `parent` runs: its
 * own translations, and the plugins that followed it (QEMU's user mode
 * forks with its plugins), which may start from the parent's translations.
 */
function forkedScheduler(g: Guest, child: Process, parent: Scheduler | undefined): Scheduler {
  const cpu = child.threads.values().next().value!.cpu;
  const parentHooks = parent?.hooks;
  const hooks = parentHooks && "fork" in parentHooks ? (parentHooks as ForkingHooks).fork(cpu, SYS.clone) : undefined;
  const cache = g.newCache(child, hooks?.instrumentation());
  if (hooks) {
    if (hooks.inheritsTranslations) cache.inherit(parent!.cache);
    cache.onFlush = () => hooks.flush();
    hooks.attach({ ...g, proc: child, cpu, cache });
  }
  return new Scheduler(child, cache, hooks, { seed: g.seed });
}

/**
 * Runs a guest made by {@link createGuest} to completion (plugins load
 * between the two) and returns its exit status.
 */
export async function runCreatedGuest(
  g: Guest,
  hooks: VcpuHooks | undefined,
  debug?: DebugSession,
): Promise<number> {
  await debug?.start(g.proc, g.cache);
  // The scheduler announces every vCPU (the main one first) to plugins as it starts and ends.
  const first = new Scheduler(g.proc, g.cache, hooks, { seed: g.seed, debug });
  const schedulers = new WeakMap<Process, Scheduler>([[g.proc, first]]);
  const status = await new ProcessRunner(first, (child) => {
    const s = forkedScheduler(g, child, child.parent && schedulers.get(child.parent));
    schedulers.set(child, s);
    return s;
  }, debug).run();
  await debug?.end(g.proc, status);
  hooks?.atexit(status);
  // After the plugins' reports: a replay that ends unlike its recording says so last.
  g.runLog?.finish(status);
  return status;
}
