import { assertEquals } from "../../tests/assert.ts";
import { E } from "./errno.ts";
import { procCpuinfo } from "./paths.ts";
import { HWPROBE } from "./sys_riscv.ts";
import { Process } from "./process.ts";
import { type SyscallEnv, withEnv } from "./_testing.ts";

/** `asm/hwprobe.h`: `IMA_FD | IMA_C`, and Zca, Zcd, Zicntr, Zaamo and Zalrsc, which Linux derives from RV64GC. */
const RV64GC_BITS = 3n | 1n << 43n | 1n << 45n | 1n << 50n | 1n << 56n | 1n << 57n;
/** `RISCV_HWPROBE_EXT_ZBA`, `ZBB`, `ZBS` and `ZBC`: the default -cpu's. */
const ZBA_ZBB_ZBS_ZBC = 1n << 3n | 1n << 4n | 1n << 5n | 1n << 7n;

function probe(env: SyscallEnv, keys: number[], flags = 0): { ret: number; pairs: [bigint, bigint][] } {
  const a = env.alloc(16 * keys.length);
  keys.forEach((k, i) => env.mem.view.setBigInt64(a + 16 * i, BigInt(k), true));
  const ret = env.call("riscv_hwprobe", a, keys.length, 0, 0, flags);
  const pairs = keys.map((_, i): [bigint, bigint] => [
    env.mem.view.getBigInt64(a + 16 * i, true),
    env.mem.view.getBigUint64(a + 16 * i + 8, true),
  ]);
  return { ret, pairs };
}

Deno.test(
  "riscv_hwprobe reports RV64IMAFDC with Zba, Zbb, Zbs and Zbc, no vector, slow misaligned accesses, and -1 for unknown keys",
  withEnv((env) => {
    const { ret, pairs } = probe(env, [
      HWPROBE.BASE_BEHAVIOR,
      HWPROBE.IMA_EXT_0,
      HWPROBE.MISALIGNED_SCALAR_PERF,
      HWPROBE.CPUPERF_0,
      HWPROBE.MISALIGNED_VECTOR_PERF,
      HWPROBE.TIME_CSR_FREQ,
      HWPROBE.HIGHEST_VIRT_ADDRESS,
      HWPROBE.MVENDORID,
      HWPROBE.ZICBOZ_BLOCK_SIZE,
      99,
    ]);
    assertEquals(ret, 0);
    assertEquals(pairs, [
      [3n, 1n],
      [4n, RV64GC_BITS | ZBA_ZBB_ZBS_ZBC],
      [9n, 2n],
      [5n, 2n],
      [10n, 4n],
      [8n, 10_000_000n],
      [7n, BigInt(env.mem.size - 1)],
      [0n, 0n],
      [6n, 0n],
      [-1n, 0n],
    ]);
  }),
);

Deno.test(
  "riscv_hwprobe checks its flags and CPU set; WHICH_CPUS keeps the hart only when the values match",
  withEnv((env) => {
    assertEquals(probe(env, [HWPROBE.IMA_EXT_0], 2).ret, -E.EINVAL);
    const a = env.alloc(16), set = env.alloc(8);
    env.mem.view.setBigInt64(a, BigInt(HWPROBE.IMA_EXT_0), true);
    env.mem.view.setBigUint64(a + 8, RV64GC_BITS | ZBA_ZBB_ZBS_ZBC, true);
    env.mem.u8[set] = 1;
    assertEquals(env.call("riscv_hwprobe", a, 1, 8, set, 1), 0);
    assertEquals(env.mem.u8[set], 1);
    env.mem.view.setBigUint64(a + 8, RV64GC_BITS | ZBA_ZBB_ZBS_ZBC | 4n, true); // asks for V too
    assertEquals(env.call("riscv_hwprobe", a, 1, 8, set, 1), 0);
    assertEquals(env.mem.u8[set], 0);
    env.mem.u8[set] = 2;
    assertEquals(env.call("riscv_hwprobe", a, 1, 8, set, 0), -E.EINVAL, "only CPU 1 asked");
    assertEquals(env.call("riscv_hwprobe", 0x3000000, 1, 0, 0, 0), -E.EFAULT);
  }),
);

Deno.test(
  "riscv_hwprobe reports Zfh (1 << 27), Zfhmin (1 << 28) and Zfa (1 << 32) in IMA_EXT_0 when -cpu has them, and a fork's child too",
  withEnv((env) => {
    env.proc.extensions = new Set(["zba", "zbb", "zbc", "zbs", "zfhmin"]);
    assertEquals(probe(env, [HWPROBE.IMA_EXT_0]).pairs, [[4n, RV64GC_BITS | ZBA_ZBB_ZBS_ZBC | 1n << 28n]]);
    env.proc.extensions = new Set(["zfhmin", "zfh"]);
    assertEquals(probe(env, [HWPROBE.IMA_EXT_0]).pairs, [[4n, RV64GC_BITS | 1n << 27n | 1n << 28n]]);
    env.proc.extensions = new Set(["zfa"]);
    assertEquals(probe(env, [HWPROBE.IMA_EXT_0]).pairs, [[4n, RV64GC_BITS | 1n << 32n]]);
    assertEquals(new Process(env.mem, env.proc.log, env.proc).extensions, env.proc.extensions);
  }),
);

Deno.test(
  "riscv_hwprobe reports V (1 << 2), Zicboz (1 << 6) with its 64-byte block, Zicond (1 << 35) and Zcb (1 << 44)",
  withEnv((env) => {
    env.proc.extensions = new Set(["v", "zicboz", "zicond", "zcb"]);
    assertEquals(probe(env, [HWPROBE.IMA_EXT_0, HWPROBE.ZICBOZ_BLOCK_SIZE]).pairs, [
      [4n, RV64GC_BITS | 1n << 2n | 1n << 6n | 1n << 35n | 1n << 44n],
      [6n, 64n],
    ]);
  }),
);

Deno.test(
  "/proc/cpuinfo describes one hart with the run's extensions, not the host",
  withEnv((env) => {
    env.proc.extensions = new Set(["zba", "zbb", "zbc", "zbs", "v"]);
    const isa = "rv64imafdcbv_zicbop_zicntr_zicsr_zifencei_zihintntl_zihintpause_zaamo_zalrsc_zca_zcd" +
      "_zba_zbb_zbc_zbs_zve32f_zve32x_zve64d_zve64f_zve64x";
    assertEquals(
      procCpuinfo(env.proc.extensions),
      `processor\t: 0\nhart\t\t: 0\nisa\t\t: ${isa}\nmmu\t\t: sv39\nuarch\t\t: plume\n` +
        `mvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\nhart isa\t: ${isa}\n\n`,
    );
    const fd = env.call("openat", -100, env.str("/proc/cpuinfo"), 0, 0);
    const buf = env.alloc(1024);
    const n = env.call("read", fd, buf, 1024);
    assertEquals(env.text(buf, n), procCpuinfo(env.proc.extensions));
  }),
);
