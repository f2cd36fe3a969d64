/**
 * The vCPU loop: find the translated block for the pc, run it, handle what
 * made it return (a system call, a trap), repeat until the process exits.
 *
 * @module
 */

import { doSyscall } from "../linux/syscalls.ts";
import type { Process } from "../linux/process.ts";
import { GuestMemoryError } from "../mem/address_space.ts";
import { EXIT_EBREAK, EXIT_ECALL, EXIT_FENCE_I, EXIT_ILLEGAL, EXIT_STALE } from "../jit/emitter.ts";
import type { TbCache } from "../jit/tb_cache.ts";
import { REGION_THRESHOLD } from "../jit/region.ts";
import { COMPILE_THRESHOLD } from "../jit/interpreter.ts";
import type { Cpu } from "./state.ts";
import { DISCON, type VcpuHooks } from "./vcpu_hooks.ts";
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
} from "./trap.ts";

/** Host `strsignal` texts, which QEMU prints for uncaught signals. */
export const SIGNAL_NAMES: Readonly<Record<number, string>> = {
  1: "Hangup",
  2: "Interrupt",
  3: "Quit",
  4: "Illegal instruction",
  5: "Trace/breakpoint trap",
  6: "Aborted",
  7: "Bus error",
  8: "Floating point exception",
  9: "Killed",
  10: "User defined signal 1",
  11: "Segmentation fault",
  12: "User defined signal 2",
  13: "Broken pipe",
  14: "Alarm clock",
  15: "Terminated",
};

/** Signals whose default action dumps core (Linux `SIG_KERNEL_COREDUMP_MASK`). */
const CORE_SIGNALS = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);

/** Converts what a translated block threw into a guest trap, or rethrows a real bug. */
export function toTrap(err: unknown, pc: number): GuestTrap {
  if (err instanceof GuestTrap) return err;
  if (err instanceof GuestMemoryError) {
    return new GuestTrap(SIGSEGV, err.permission ? SEGV_ACCERR : SEGV_MAPERR, err.addr);
  }
  if (err instanceof IllegalInstruction) return new GuestTrap(SIGILL, ILL_ILLOPC, pc);
  throw err;
}

/**
 * Ends the process for an uncaught signal as qemu-user does: a line on
 * stderr, exit status 128 + signal.
 */
export function dieOfSignal(proc: Process, signo: number): void {
  const name = SIGNAL_NAMES[signo] ?? `Signal ${signo}`;
  const core = CORE_SIGNALS.has(signo) ? "core dumped" : "no core";
  proc.log.error(`plume: uncaught target signal ${signo} (${name}) - ${core}\n`);
  proc.exitStatus = 128 + signo;
}

/** A system call with plugins watching: entry, filter, the call, return. */
function syscallWithHooks(proc: Process, cpu: Cpu, hooks: VcpuHooks): void {
  const from = cpu.pc - 4;
  hooks.discon(cpu, DISCON.HOSTCALL, from, cpu.pc);
  const num = cpu.getXNumber(17);
  const args = [10, 11, 12, 13, 14, 15, 16, 17].map((r) => cpu.getX(r));
  const filtered = hooks.syscall(cpu, num, args);
  if (filtered === undefined) doSyscall(proc, cpu);
  else cpu.setX(10, filtered);
  if (proc.exitStatus === null) hooks.syscallRet(cpu, num, cpu.getX(10));
}

/**
 * Runs `cpu` until the process exits; returns its exit status.
 *
 * @example
 * ```ts ignore
 * const status = cpuLoop(proc, cpu, cache);
 * ```
 */
export function cpuLoop(proc: Process, cpu: Cpu, cache: TbCache, hooks?: VcpuHooks): number {
  const jc = cache.jmpCache;
  const mask = jc.length - 1;
  let pc = cpu.pc;
  while (proc.exitStatus === null) {
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
        pc = tb.fn(cpu);
        if (pc >= 0) continue;
        if (pc === EXIT_ECALL) {
          cpu.pc += 4;
          if (hooks) syscallWithHooks(proc, cpu, hooks);
          else doSyscall(proc, cpu);
          if (proc.exitStatus !== null) break;
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
      dieOfSignal(proc, trap.signo);
    }
  }
  return proc.exitStatus ?? 0;
}
