/**
 * `-d exec` and `-d cpu` (with `fpu`): a line per executed block, and the
 * registers before it, in QEMU's layout. Tracing wraps each block's code
 * and keeps blocks out of regions (as QEMU's `nochain`), so that every
 * block execution is seen.
 *
 * @module
 */

import { type Cpu, FREG_NAMES, XREG_NAMES } from "../cpu/state.ts";
import type { SymbolTable } from "../elf/symbols.ts";
import type { Log } from "../util/log.ts";
import type { TranslationBlock } from "./translator.ts";

function hex64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

/** QEMU's `-d cpu` register dump (RISC-V layout: pc, then x0..x31 four to a line; FP registers with `fpu`). */
function formatCpu(cpu: Cpu, fpu: boolean): string {
  let s = ` pc       ${hex64(BigInt(cpu.pc))}\n`;
  for (let r = 0; r < 32; r++) {
    s += ` ${`x${r}/${XREG_NAMES[r]}`.padEnd(9)}${hex64(cpu.getX(r))}${r % 4 === 3 ? "\n" : ""}`;
  }
  if (fpu) {
    for (let r = 0; r < 32; r++) {
      s += ` ${`f${r}/${FREG_NAMES[r]}`.padEnd(9)}${hex64(cpu.getFBits(r))}${r % 4 === 3 ? "\n" : ""}`;
    }
    s += ` fcsr     ${hex64(BigInt(cpu.fcsr))}\n`;
  }
  return s;
}

/**
 * Makes the tracer the translation cache calls before each block, or
 * undefined when neither `exec` nor `cpu` is logged.
 *
 * @example
 * ```ts
 * import { makeExecTracer } from "./exec_trace.ts";
 * import type { TbCache } from "./tb_cache.ts";
 * import type { SymbolTable } from "../elf/symbols.ts";
 * import type { Log } from "../util/log.ts";
 * declare const cache: TbCache, log: Log, symbols: SymbolTable; // a loaded guest's, and the -d log
 * cache.trace = makeExecTracer(log, symbols);
 * ```
 */
export function makeExecTracer(
  log: Log,
  symbols: SymbolTable,
): ((tb: TranslationBlock, cpu: Cpu) => void) | undefined {
  const exec = log.on("exec"), cpuDump = log.on("cpu"), fpu = log.on("fpu");
  if (!exec && !cpuDump) return undefined;
  return (tb, cpu) => {
    // QEMU prints the host address of the translated code first; plume has
    // none, so it prints the block's number in its place.
    if (exec) {
      log.write(
        `Trace ${cpu.vcpuIndex}: 0x${tb.id.toString(16).padStart(12, "0")} ` +
          `[0000000000000000/${hex64(BigInt(tb.pc))}/00000000/00000000] ${symbols.lookup(tb.pc)}\n`,
      );
    }
    if (cpuDump) log.write(formatCpu(cpu, fpu));
  };
}
