/**
 * The vCPU loop: find the translated block for the pc, run it, handle what
 * made it return (a system call, a trap), repeat until the thread's time
 * slice is used up or it blocks. The scheduler (`scheduler.ts`) calls it
 * for one thread at a time; {@link cpuLoop} runs a whole process.
 *
 * @module
 */

import { doSyscall } from "../linux/syscalls.ts";
import type { Process } from "../linux/process.ts";
import { deliverSignals, forceSignal } from "../linux/signal_delivery.ts";
import type { ThreadState } from "../linux/thread.ts";
import { GuestMemoryError } from "../mem/address_space.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, EXIT_ILLEGAL, EXIT_STALE } from "../jit/emitter.ts";
import { type TbCache, WASM_REGION_THRESHOLD } from "../jit/tb_cache.ts";
import { REGION_THRESHOLD } from "../jit/region.ts";
import { COMPILE_THRESHOLD } from "../jit/interpreter.ts";
import type { Cpu } from "../cpu/state.ts";
import { DISCON, type VcpuHooks } from "../cpu/vcpu_hooks.ts";
import {
  GuestTrap,
  ILL_ILLOPC,
  IllegalInstruction,
  SEGV_ACCERR,
  SEGV_MAPERR,
  SIGILL,
  SIGSEGV,
  SIGTRAP,
  TRAP_BRKPT,
} from "../cpu/trap.ts";

/** Converts what a translated block threw into a guest trap, or rethrows a real bug. */
export function toTrap(err: unknown, pc: number): GuestTrap {
  if (err instanceof GuestTrap) return err;
  if (err instanceof GuestMemoryError) {
    return new GuestTrap(SIGSEGV, err.permission ? SEGV_ACCERR : SEGV_MAPERR, err.addr);
  }
  if (err instanceof IllegalInstruction) return new GuestTrap(SIGILL, ILL_ILLOPC, pc);
  throw err;
}

/** A system call with plugins watching: entry, filter, the call, return (unless it blocked). */
export function syscallWithHooks(proc: Process, cpu: Cpu, hooks: VcpuHooks): boolean {
  const from = cpu.pc - 4;
  hooks.discon(cpu, DISCON.HOSTCALL, from, cpu.pc);
  const num = cpu.getXNumber(17);
  const args = [10, 11, 12, 13, 14, 15, 16, 17].map((r) => cpu.getX(r));
  const filtered = hooks.syscall(cpu, num, args);
  if (filtered !== undefined) {
    cpu.setX(10, filtered);
    return true;
  }
  const done = doSyscall(proc, cpu);
  if (done && proc.exitStatus === null) hooks.syscallRet(cpu, num, cpu.getX(10));
  return done;
}

/** Dispatches between two looks at the clock in {@link runSlice} (a power of two). */
const CLOCK_CHECK_INTERVAL = 1024;

/**
 * Runs thread `t` for at most `budget` dispatched blocks (blocks finished, those
 * inside regions too, when the cache counts slices), or until `performance.now()` passes
 * `deadline` (checked every {@link CLOCK_CHECK_INTERVAL} dispatches; pass
 * `Infinity` for a slice that only counts, which keeps thread
 * interleavings deterministic). A lone thread's slice that makes a thread
 * (`clone` clears `Cpu.runsAlone`) only counts from then on, at most
 * `shared` more dispatches: the clock must not decide which thread runs
 * first. Returns early
 * when the thread blocks in a system call, asks to be rescheduled
 * (`sched_yield`, `clone`, `exit`), takes a fault, or the process ends.
 * Signals are delivered on the way back from each system call, as Linux
 * does on its return to user mode; a fault becomes a signal at once.
 *
 * @example A slice of a three-instruction guest that exits
 * ```ts
 * import { runSlice } from "./cpu_loop.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { ecall, emit, li } from "../cpu/_asm_testing.ts";
 * import { makeRuntime } from "../jit/runtime.ts";
 * import { TbCache } from "../jit/tb_cache.ts";
 * import { Process } from "../linux/process.ts";
 * import { AddressSpace, PROT_EXEC, PROT_READ } from "../mem/address_space.ts";
 * import { Log } from "../util/log.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const cpu = new Cpu();
 * cpu.pc = mem.mmap(0, 4096, PROT_READ | PROT_EXEC, { name: "code" });
 * emit(mem, cpu.pc, [li(10, 7), li(17, 94), ecall]); // exit_group(7)
 * const proc = new Process(mem, new Log());
 * const cache = new TbCache(mem, makeRuntime(mem));
 * runSlice(proc, proc.thread(cpu), cache, undefined, 8192, Infinity);
 * strictEqual(proc.exitStatus, 7);
 * ```
 */
export function runSlice(
  proc: Process,
  t: ThreadState,
  cache: TbCache,
  hooks: VcpuHooks | undefined,
  budget: number,
  deadline: number,
  shared = budget,
): void {
  const cpu = t.cpu;
  const jc = cache.jmpCache;
  const mask = jc.length - 1;
  // Counted slices: a region may finish several blocks in one dispatch, each counted (see TbCache.countedSlices).
  const counted = cache.countedSlices;
  let pc = cpu.pc;
  try {
    for (;;) {
      let tb = jc[(pc >>> 1) & mask];
      if (tb === undefined || tb.pc !== pc) {
        cpu.pc = pc;
        tb = cache.get(pc);
      }
      const hits = ++tb.hits;
      if (hits === COMPILE_THRESHOLD) cache.compile(tb);
      else if (hits === REGION_THRESHOLD) cache.promote(tb);
      else if (hits === WASM_REGION_THRESHOLD) cache.promoteWasm(tb);
      if (counted) {
        // The block or region runs; a region finishes at most budget - 1 blocks before the one this loop counts.
        cpu.blocksLeft[0] = budget - 1;
        pc = tb.fn(cpu);
        budget = cpu.blocksLeft[0] + 1;
      } else pc = tb.fn(cpu);
      if (pc >= 0) {
        // The clock is read only every CLOCK_CHECK_INTERVAL dispatches (performance.now() costs ~180 ns).
        if ((--budget & (CLOCK_CHECK_INTERVAL - 1)) !== 0 && !cpu.clockDue) continue;
        cpu.clockDue = false;
        if (budget > 0 && performance.now() < deadline) continue;
        cpu.pc = pc;
        return;
      }
      if (pc === EXIT_ECALL) {
        cpu.pc += 4;
        const done = hooks ? syscallWithHooks(proc, cpu, hooks) : doSyscall(proc, cpu);
        if (!done || proc.exitStatus !== null) return;
        if (!cpu.runsAlone && deadline !== Infinity) deadline = Infinity, budget = Math.min(budget, shared);
        if (proc.signals.count !== 0 || t.savedMask !== undefined) deliverSignals(proc, t, hooks);
        if (proc.reschedule || t.exited || proc.exitStatus !== null) return;
      } else if (pc === EXIT_EBREAK) {
        throw new GuestTrap(SIGTRAP, TRAP_BRKPT, cpu.pc);
      } else if (pc === EXIT_ILLEGAL) {
        throw new GuestTrap(SIGILL, ILL_ILLOPC, cpu.pc);
      } else if (pc !== EXIT_FENCE_I && pc !== EXIT_STALE) {
        throw new Error(`Translated code returned unknown exit ${pc}`);
      }
      pc = cpu.pc;
    }
  } catch (err) {
    const trap = toTrap(err, cpu.pc);
    forceSignal(proc, t, { signo: trap.signo, code: trap.code, pid: 0, uid: 0, tid: t.tid, addr: trap.addr });
    deliverSignals(proc, t, hooks);
  }
}
