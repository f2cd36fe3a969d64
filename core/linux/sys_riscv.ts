/**
 * `riscv_hwprobe`: what the emulated hart implements, as Linux reports it
 * from its hardware probing, answered truthfully for plume: RV64IMAFDC
 * (with Zicsr and Zifencei) and the optional extensions the run's `-cpu`
 * has (V, Zba, Zbb, Zbs, Zicboz with its 64-byte block, Zbc, Zvbb, Zfh, Zfhmin,
 * Zvfh, Zvfhmin, Zfa, Zicond, Zimop, Zcb, Zcmop, Zawrs), one hart, a 10 MHz `time` CSR, and misaligned scalar
 * accesses that work but are slow (plume's translated code takes an
 * out-of-line path for them), which also keeps glibc on the same string
 * functions as under qemu-user 7.2 (which has no `riscv_hwprobe`).
 *
 * `IMA_EXT_0` also has the bits Linux 6.11 and later derives from the base
 * letters whatever the firmware says: Zca and Zcd (C with D), Zaamo and
 * Zalrsc (A), Zicntr (I, on device-tree systems). QEMU 10 differs by its own
 * choices: it knows bits 0 to 35 only (none of those, nor Zimop's 42, Zcb's
 * 44, Zcmop's 47 or Zawrs's 48), keys 0 to 6 only (later keys come back as
 * -1), and calls misaligned accesses fast.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import type { Extension } from "../isa/ops_generated.ts";
import { E, SyscallError } from "./errno.ts";
import type { Process } from "./process.ts";
import { def, type SyscallDef } from "./syscall_table.ts";

/** `riscv_hwprobe` keys (`asm/hwprobe.h`). */
export const HWPROBE = {
  MVENDORID: 0,
  MARCHID: 1,
  MIMPID: 2,
  BASE_BEHAVIOR: 3,
  IMA_EXT_0: 4,
  CPUPERF_0: 5,
  ZICBOZ_BLOCK_SIZE: 6,
  HIGHEST_VIRT_ADDRESS: 7,
  TIME_CSR_FREQ: 8,
  MISALIGNED_SCALAR_PERF: 9,
  MISALIGNED_VECTOR_PERF: 10,
  VENDOR_EXT_THEAD_0: 11,
  ZICBOM_BLOCK_SIZE: 12,
} as const;

/** `RISCV_HWPROBE_BASE_BEHAVIOR_IMA`: the base integer ISA with M and A, as user space sees it. */
const BASE_BEHAVIOR_IMA = 1n;
/** `RISCV_HWPROBE_IMA_FD` and `RISCV_HWPROBE_IMA_C`: F and D, and compressed instructions. */
const IMA_FD_C = 1n | 2n;
/**
 * `RISCV_HWPROBE_IMA_V` and the `RISCV_HWPROBE_EXT_*` bits of `IMA_EXT_0`
 * (`asm/hwprobe.h`) for each optional extension, so that a new extension
 * without a bit here is a type error.
 */
const IMA_EXT_BITS: Record<Extension, bigint> = {
  v: 1n << 2n,
  zba: 1n << 3n,
  zbb: 1n << 4n,
  zbs: 1n << 5n,
  zicboz: 1n << 6n,
  zbc: 1n << 7n,
  zfh: 1n << 27n,
  zfhmin: 1n << 28n,
  zfa: 1n << 32n,
  zvbb: (1n << 17n) | (1n << 19n), // ZVBB and ZVKB, its subset (QEMU 10 reports both)
  zvfh: 1n << 30n,
  zvfhmin: 1n << 31n,
  zicond: 1n << 35n,
  zimop: 1n << 42n,
  zcb: 1n << 44n,
  zcmop: 1n << 47n,
  zawrs: 1n << 48n,
};
/** `RISCV_HWPROBE_EXT_ZCA`, `ZCD`, `ZICNTR`, `ZAAMO` and `ZALRSC`: what Linux derives from RV64GC's letters. */
const IMA_EXT_BASE = (1n << 43n) | (1n << 45n) | (1n << 50n) | (1n << 56n) | (1n << 57n);
/** `cbo.zero`'s block size (QEMU's `cboz_blocksize`, what `core/jit/` zeroes). */
const ZICBOZ_BLOCK_SIZE = 64n;
/** `RISCV_HWPROBE_MISALIGNED_SCALAR_SLOW`. */
const MISALIGNED_SLOW = 2n;
/** `RISCV_HWPROBE_MISALIGNED_VECTOR_UNSUPPORTED`. */
const MISALIGNED_VECTOR_UNSUPPORTED = 4n;
/** Frequency of the `time` CSR (the runtime's counter runs at 10 MHz). */
const TIME_CSR_FREQ = 10_000_000n;
/** `RISCV_HWPROBE_WHICH_CPUS`: keep the CPUs whose values match instead of reporting values. */
const WHICH_CPUS = 1;

/** The value of `key` for plume's hart, or undefined for a key Linux does not know. */
function hwprobeValue(proc: Process, key: bigint): bigint | undefined {
  switch (key) {
    case BigInt(HWPROBE.MVENDORID):
    case BigInt(HWPROBE.MARCHID):
    case BigInt(HWPROBE.MIMPID):
    case BigInt(HWPROBE.VENDOR_EXT_THEAD_0):
    case BigInt(HWPROBE.ZICBOM_BLOCK_SIZE):
      return 0n;
    case BigInt(HWPROBE.BASE_BEHAVIOR):
      return BASE_BEHAVIOR_IMA;
    case BigInt(HWPROBE.IMA_EXT_0):
      return [...proc.extensions].reduce((v, e) => v | IMA_EXT_BITS[e], IMA_FD_C | IMA_EXT_BASE);
    case BigInt(HWPROBE.ZICBOZ_BLOCK_SIZE):
      return proc.extensions.has("zicboz") ? ZICBOZ_BLOCK_SIZE : 0n;
    case BigInt(HWPROBE.CPUPERF_0):
    case BigInt(HWPROBE.MISALIGNED_SCALAR_PERF):
      return MISALIGNED_SLOW;
    case BigInt(HWPROBE.HIGHEST_VIRT_ADDRESS):
      return BigInt(proc.mem.size - 1);
    case BigInt(HWPROBE.TIME_CSR_FREQ):
      return TIME_CSR_FREQ;
    case BigInt(HWPROBE.MISALIGNED_VECTOR_PERF):
      return MISALIGNED_VECTOR_UNSUPPORTED;
    default:
      return undefined;
  }
}

/** `riscv_hwprobe(pairs, pair_count, cpusetsize, cpus, flags)`. */
function sysRiscvHwprobe(proc: Process, _cpu: Cpu, a: readonly number[]): number {
  const pairs = a[0], count = a[1], setsize = a[2], cpus = a[3], flags = a[4] >>> 0;
  if (flags & ~WHICH_CPUS) throw new SyscallError(E.EINVAL, `Bad flags ${flags}`);
  if (count < 0 || count > 1 << 20) throw new SyscallError(E.EINVAL, `Bad pair count ${count}`);
  // The only hart is CPU 0: a given set must contain it.
  if (setsize !== 0 || cpus !== 0) {
    if (setsize <= 0 || cpus === 0) throw new SyscallError(E.EFAULT);
    if ((proc.mem.readBytes(cpus, 1)[0] & 1) === 0 && !(flags & WHICH_CPUS)) {
      throw new SyscallError(E.EINVAL, "No known CPU in the set");
    }
  }
  const mem = proc.mem;
  mem.check(pairs, count * 16, "write");
  if (flags & WHICH_CPUS) {
    // Keep CPU 0 only if every pair matches it.
    let match = true;
    for (let i = 0; i < count; i++) {
      const v = hwprobeValue(proc, mem.view.getBigInt64(pairs + 16 * i, true));
      if (v === undefined || v !== mem.view.getBigUint64(pairs + 16 * i + 8, true)) match = false;
    }
    if (!match && setsize > 0) mem.writeBytes(cpus, new Uint8Array(Math.min(setsize, 8)));
    return 0;
  }
  for (let i = 0; i < count; i++) {
    const v = hwprobeValue(proc, mem.view.getBigInt64(pairs + 16 * i, true));
    if (v === undefined) mem.view.setBigInt64(pairs + 16 * i, -1n, true);
    mem.view.setBigUint64(pairs + 16 * i + 8, v ?? 0n, true);
  }
  mem.noteWrite(pairs, count * 16);
  return 0;
}

/** RISC-V specific system calls. */
export const RISCV_SYSCALLS: readonly SyscallDef[] = [def("riscv_hwprobe", sysRiscvHwprobe)];
