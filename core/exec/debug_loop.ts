/**
 * Running a thread under a debugger (`-g`, the gdb stub in `core/gdb/`).
 *
 * Correctness first: while a debugger is attached, {@link runDebugSlice}
 * runs the debugged process block by block (compiled once hot, never joined
 * into regions), where each block ends before the next breakpoint (the stub
 * says how long one may be, and drops the blocks across a breakpoint it
 * sets) and holds a single instruction while single steps or watchpoints
 * need to see each one. It asks the debugger before each block (a
 * breakpoint at its start) and tells it after each one (single steps,
 * watchpoints, whose accesses are computed from the decoded instruction and
 * the registers before it runs). Signals stop the thread
 * before they are delivered, so that the debugger sees them and decides
 * whether the guest gets them. The normal CPU loop (`cpu_loop.ts`) is not
 * touched: a run without `-g` pays nothing for this.
 *
 * @module
 */

import { type PendingSignal, SIGKILL } from "../linux/signals.ts";
import type { Process } from "../linux/process.ts";
import { deliverSignals, dequeueSignal, forceSignal, hasDeliverable } from "../linux/signal_delivery.ts";
import type { ThreadState } from "../linux/thread.ts";
import { doSyscall } from "../linux/syscalls.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, EXIT_ILLEGAL, EXIT_STALE } from "../jit/emitter.ts";
import type { TbCache } from "../jit/tb_cache.ts";
import type { Insn } from "../isa/insn.ts";
import { OP_INFO } from "../isa/ops_generated.ts";
import type { Cpu } from "../cpu/state.ts";
import type { VcpuHooks } from "../cpu/vcpu_hooks.ts";
import { GuestTrap, ILL_ILLOPC, SIGILL, SIGTRAP, TRAP_BRKPT } from "../cpu/trap.ts";
import { syscallWithHooks, toTrap } from "./cpu_loop.ts";
import { COMPILE_THRESHOLD } from "../jit/interpreter.ts";

/** A memory access an instruction is about to make. */
export interface Access {
  /** First byte. */
  addr: number;
  /** Length in bytes. */
  size: number;
  /** It reads memory. */
  read: boolean;
  /** It writes memory. */
  write: boolean;
}

/** Why a thread stopped for the debugger. */
export type StopReason =
  /** A breakpoint, a finished single step or an interrupt: `signo` is 5 (SIGTRAP) or 2 (SIGINT). */
  | { kind: "trap"; signo: number }
  /** A watchpoint: the access just done, at the watchpoint's address. */
  | { kind: "watch"; type: "watch" | "rwatch" | "awatch"; addr: number }
  /** A signal about to be delivered (taken off the queue; the debugger decides whether it is passed on). */
  | { kind: "signal"; sig: PendingSignal; forced: boolean };

/**
 * What the CPU loop asks of a debugger. The stub implements it; the
 * scheduler and the process runner call it only when one is attached.
 */
export interface Debugger {
  /** A debugger is attached (false after a detach or a lost connection: the guest then runs normally). */
  readonly attached: boolean;
  /** The guest is stopped for the debugger: no thread may run until it resumes. */
  readonly stopped: boolean;
  /** True when some watchpoint is set (accesses are then computed before each instruction). */
  readonly watching: boolean;
  /** Thread `t` stays stopped while others run (the debugger resumed only some threads). */
  held(t: ThreadState): boolean;
  /**
   * The most instructions a block starting at `pc` may hold: 1 while every instruction must be seen (single steps,
   * watchpoints), else as many as end before the next breakpoint, so that a block never runs past one.
   */
  blockInsns(pc: number): number;
  /** Thread `t` is about to run the block at `pc`: true to stop there instead (a breakpoint). */
  beforeInsn(t: ThreadState, pc: number): boolean;
  /** Thread `t` ran one block (one instruction while watching), which made `access`: true when it stopped. */
  afterInsn(t: ThreadState, access: Access | undefined): boolean;
  /** Stops the guest for `reason`, with `t` as the thread that stopped. */
  stop(t: ThreadState, reason: StopReason): void;
  /** The signal the debugger passes on to `t` as it resumes (taken once), if any. */
  takeSignal(t: ThreadState): { sig: PendingSignal; forced: boolean } | undefined;
}

/** What the process runner asks of a debugger between rounds. */
export interface DebugServer {
  /** A debugger is attached. */
  readonly attached: boolean;
  /**
   * Serves the debugger: waits while it keeps the guest stopped, else reads what it sent (an interrupt) without
   * waiting. Returns an exit status to end the run with (the debugger killed the guest), or undefined.
   */
  serve(): Promise<number | undefined>;
}

/** A debugger for a whole run: the emulator starts it before the first instruction and tells it of the end. */
export interface DebugSession extends Debugger, DebugServer {
  /**
   * Waits for the debugger to connect and take control of `proc` (the guest has not run an instruction yet);
   * sets up `cache` for debugging (one-instruction blocks).
   */
  start(proc: Process, cache: TbCache): Promise<void>;
  /** The guest ended with `status` (killed by signal `proc.killedBy` when nonzero): tell the debugger. */
  end(proc: Process, status: number): Promise<void>;
}

/** Blocks a thread runs under a debugger before the scheduler gets control back. */
const DEBUG_SLICE = 4096;

/**
 * The memory access `insn` will make with `cpu`'s registers as they are,
 * or undefined when it makes none.
 *
 * @example
 * ```ts
 * import { accessOf } from "./debug_loop.ts";
 * import { decode } from "../isa/decoder.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { deepStrictEqual } from "node:assert";
 * const cpu = new Cpu();
 * cpu.setXNumber(10, 0x1000);
 * const sd = decode(0x00b53423)!; // sd a1, 8(a0)
 * deepStrictEqual(accessOf(sd, cpu), { addr: 0x1008, size: 8, read: false, write: true });
 * ```
 */
export function accessOf(insn: Insn | null | undefined, cpu: Cpu): Access | undefined {
  const mem = insn ? OP_INFO[insn.op].mem : undefined;
  if (!insn || !mem) return undefined;
  const atomic = mem.kind === "lr" || mem.kind === "sc" || mem.kind === "amo";
  const addr = cpu.getXNumber(insn.rs1) + (atomic ? 0 : insn.imm);
  return {
    addr,
    size: mem.size,
    read: mem.kind !== "store" && mem.kind !== "sc",
    write: mem.kind === "store" || mem.kind === "sc" || mem.kind === "amo",
  };
}

/**
 * Gives `t` the signal the debugger passed on, then delivers (or stops for)
 * its pending signals, as the scheduler does before a slice. Returns true
 * when the thread stopped for the debugger or the process ended.
 */
function signalsBeforeRunning(proc: Process, t: ThreadState, hooks: VcpuHooks | undefined, dbg: Debugger): boolean {
  const passed = dbg.takeSignal(t);
  if (passed) {
    if (passed.forced) forceSignal(proc, t, passed.sig);
    else {
      t.pending.unshift(passed.sig);
      proc.signals.count++;
    }
    // Delivered now, without asking again: the debugger has seen it.
    deliverSignals(proc, t, hooks);
    return proc.exitStatus !== null;
  }
  if (proc.signals.count === 0 && t.savedMask === undefined) return false;
  if (hasDeliverable(proc, t)) {
    const sig = dequeueSignal(proc, t)!;
    if (sig.signo === SIGKILL) {
      t.pending.unshift(sig);
      proc.signals.count++;
      deliverSignals(proc, t, hooks);
      return true;
    }
    dbg.stop(t, { kind: "signal", sig, forced: false });
    return true;
  }
  deliverSignals(proc, t, hooks);
  return proc.exitStatus !== null;
}

/**
 * Runs thread `t` block by block for at most {@link DEBUG_SLICE} blocks,
 * stopping for the debugger at breakpoints, after single
 * steps and watched accesses, and before signals. Returns when it stopped,
 * blocked, asked to be rescheduled or the process ended.
 *
 * @example
 * ```ts
 * import { runDebugSlice, type Debugger } from "./debug_loop.ts";
 * import type { Process } from "../linux/process.ts";
 * import type { ThreadState } from "../linux/thread.ts";
 * import type { TbCache } from "../jit/tb_cache.ts";
 * declare const proc: Process, t: ThreadState, cache: TbCache, dbg: Debugger; // a loaded guest and the stub
 * runDebugSlice(proc, t, cache, undefined, dbg);
 * ```
 */
export function runDebugSlice(
  proc: Process,
  t: ThreadState,
  cache: TbCache,
  hooks: VcpuHooks | undefined,
  dbg: Debugger,
): void {
  if (dbg.held(t) || signalsBeforeRunning(proc, t, hooks, dbg)) return;
  const cpu = t.cpu;
  // Every block must return here: none goes on into the next in the WebAssembly interpreter.
  cache.chainInterpreted = false;
  const jc = cache.jmpCache, mask = jc.length - 1;
  for (let n = 0; n < DEBUG_SLICE; n++) {
    const pc = cpu.pc;
    if (dbg.beforeInsn(t, pc)) return;
    let access: Access | undefined;
    try {
      let tb = jc[(pc >>> 1) & mask];
      if (tb === undefined || tb.pc !== pc) {
        // A block translated now ends before the next breakpoint (the stub drops blocks across a new one).
        cache.maxInsns = dbg.blockInsns(pc);
        tb = cache.get(pc);
      }
      if (++tb.hits === COMPILE_THRESHOLD) cache.compile(tb);
      if (dbg.watching) access = accessOf(tb.insns[0], cpu);
      const next = tb.fn(cpu);
      if (next >= 0) cpu.pc = next;
      else if (next === EXIT_ECALL) {
        cpu.pc += 4;
        const done = hooks ? syscallWithHooks(proc, cpu, hooks) : doSyscall(proc, cpu);
        if (proc.exitStatus !== null) return;
        // A call that blocked ends a single step only once it returns (the debugger is told so).
        if (dbg.afterInsn(t, undefined) || !done) return;
        if (signalsBeforeRunning(proc, t, hooks, dbg)) return;
        if (proc.reschedule || t.exited) return;
        continue;
      } else if (next === EXIT_EBREAK) throw new GuestTrap(SIGTRAP, TRAP_BRKPT, cpu.pc);
      else if (next === EXIT_ILLEGAL) throw new GuestTrap(SIGILL, ILL_ILLOPC, cpu.pc);
      else if (next !== EXIT_FENCE_I && next !== EXIT_STALE) throw new Error(`Translated code returned exit ${next}`);
    } catch (err) {
      const trap = toTrap(err, cpu.pc);
      const sig = { signo: trap.signo, code: trap.code, pid: 0, uid: 0, tid: t.tid, addr: trap.addr };
      dbg.stop(t, { kind: "signal", sig, forced: true });
      return;
    }
    if (dbg.afterInsn(t, access)) return;
  }
}
