/**
 * plume's `-cpu` models against QEMU 10's, seen from a guest
 * (`tests/guest/bin/cpu_probe`): which instructions of the optional
 * extensions run or raise SIGILL under each model, and what
 * `riscv_hwprobe` and `AT_HWCAP` say of them. `IMA_EXT_0` is checked
 * against the extensions QEMU 10's hart has (its `/proc/cpuinfo` isa line),
 * mapped to bits by Linux's `asm/hwprobe.h`, and QEMU 10's own answer
 * against the same bits where it knows them (up to Zicond's, 35). Other
 * keys where QEMU 10 chose differently are not compared: `CPUPERF_0`
 * (plume: misaligned accesses slow) and keys 7 and up (QEMU 10: unknown).
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { GUEST_BIN, plumeAvailable, qemu10, runPlume, runQemu } from "./harness.ts";
import { join } from "node:path";

const PROBE = join(GUEST_BIN, "cpu_probe");
const QEMU10 = qemu10();
const skip = !plumeAvailable()
  ? "main.ts not present"
  : !QEMU10
  ? "QEMU 10 not found (see qemu10() in harness.ts)"
  : "";

/** A model as QEMU 10 spells it and as plume runs it. */
interface Model {
  qemu: string;
  plume: string;
}

/** QEMU 10's rv64 has Zicboz, Zfa and Zawrs, which plume's (QEMU 7.2's) has not. */
const QEMU10_RV64 = "rv64,zicboz=false,zfa=false,zawrs=false";

const MODELS: Model[] = [
  { qemu: QEMU10_RV64, plume: "rv64" },
  { qemu: "rva22u64", plume: "rva22u64" },
  { qemu: "rva23u64", plume: "rva23u64" },
  { qemu: "max", plume: "max" },
  { qemu: `${QEMU10_RV64},zicond=true,zcb=true,zfhmin=true`, plume: "rv64,zicond=on,zcb=on,zfhmin=on" },
  { qemu: `${QEMU10_RV64},zicond=true,zbc=false`, plume: "rv64,zicond=on,zbc=off" },
  { qemu: "rv64,zfa=false,zcb=true,zfh=true,zba=false", plume: "rv64,zicboz=on,zcb=on,zfh=on,zba=off,zawrs=on" },
  { qemu: `${QEMU10_RV64},zimop=true`, plume: "rv64,zimop=on" },
  { qemu: `${QEMU10_RV64},zcmop=true`, plume: "rv64,zcmop=on" },
  { qemu: "rva23u64,zawrs=false", plume: "rva23u64,zawrs=off" },
  { qemu: `${QEMU10_RV64},v=true`, plume: "rv64,v=on" },
  { qemu: `${QEMU10_RV64},v=true,zvfhmin=true`, plume: "rv64,v=on,zvfhmin=on" },
  { qemu: "rva23u64,zvfhmin=false", plume: "rva23u64,zvfhmin=off" },
  { qemu: `${QEMU10_RV64},v=true,zvfh=true`, plume: "rv64,v=on,zvfh=on" },
  { qemu: `${QEMU10_RV64},v=true,zvfh=true,zvfhmin=false`, plume: "rv64,v=on,zvfh=on,zvfhmin=off" },
  { qemu: "rva23u64,zvfh=true", plume: "rva23u64,zvfh=on" },
];

for (const m of MODELS) {
  const name = `cpu_probe insns: plume -cpu ${m.plume} runs the instructions QEMU 10's -cpu ${m.qemu} runs`;
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== "",
    async fn() {
      const q = await runQemu([PROBE, "insns"], { qemu: QEMU10, flags: ["-cpu", m.qemu] });
      const p = await runPlume([PROBE, "insns"], { flags: ["-cpu", m.plume] });
      assertEquals(q.status, 0, `QEMU 10 -cpu ${m.qemu}`);
      assertEquals(new TextDecoder().decode(p.stdout), new TextDecoder().decode(q.stdout));
      assertEquals(p.status, 0);
    },
  });
}

/**
 * `riscv_hwprobe`'s `IMA_EXT_0` bit of each extension plume may report
 * (`asm/hwprobe.h`); `fd` stands for `RISCV_HWPROBE_IMA_FD` (letters f and d).
 */
const HWPROBE_BITS: Record<string, bigint> = {
  fd: 0n,
  c: 1n,
  v: 2n,
  zba: 3n,
  zbb: 4n,
  zbs: 5n,
  zicboz: 6n,
  zbc: 7n,
  zvbb: 17n,
  zvkb: 19n,
  zfh: 27n,
  zfhmin: 28n,
  zvfh: 30n,
  zvfhmin: 31n,
  zfa: 32n,
  zicond: 35n,
  zimop: 42n,
  zca: 43n,
  zcb: 44n,
  zcd: 45n,
  zcmop: 47n,
  zawrs: 48n,
  zicntr: 50n,
  zaamo: 56n,
  zalrsc: 57n,
};

/** The highest `IMA_EXT_0` bit QEMU 10 knows (Zicond's): it reports no later one. */
const QEMU10_LAST_BIT = 35n;

/** The extension names of an `isa` line (`rv64imafdcv_zba_zbb…`), single letters as names of their own. */
function isaNames(line: string): Set<string> {
  const [base, ...multi] = line.replace(/^isa\s*:\s*/, "").trim().split("_");
  const letters = [...base.replace(/^rv64/, "")];
  const names = new Set([...letters, ...multi]);
  if (names.has("f") && names.has("d")) names.add("fd");
  return names;
}

/** What `cpu_probe hwprobe` printed: the value of each key, AT_HWCAP and the `isa` line. */
function parseHwprobe(out: string): { keys: Map<number, [bigint, bigint]>; hwcap: string; isa: string } {
  const keys = new Map<number, [bigint, bigint]>();
  let hwcap = "", isa = "";
  for (const line of out.split("\n")) {
    const k = /^key (\d+) (-?\d+) (0x[0-9a-f]+|0)$/.exec(line);
    if (k) keys.set(Number(k[1]), [BigInt(k[2]), BigInt(k[3])]);
    if (line.startsWith("AT_HWCAP ")) hwcap = line;
    if (/^isa\s*:/.test(line)) isa = line;
  }
  return { keys, hwcap, isa };
}

for (const m of MODELS) {
  const name =
    `cpu_probe hwprobe: plume -cpu ${m.plume} reports in riscv_hwprobe and AT_HWCAP the extensions of QEMU 10's -cpu ${m.qemu}`;
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== "",
    async fn() {
      const q = parseHwprobe(
        new TextDecoder().decode((await runQemu([PROBE, "hwprobe"], { qemu: QEMU10, flags: ["-cpu", m.qemu] })).stdout),
      );
      const p = parseHwprobe(
        new TextDecoder().decode((await runPlume([PROBE, "hwprobe"], { flags: ["-cpu", m.plume] })).stdout),
      );
      // What IMA_EXT_0 says of the extensions QEMU 10's hart has (its isa line), of those plume may report.
      const has = isaNames(q.isa);
      const expected = Object.entries(HWPROBE_BITS).reduce((v, [n, bit]) => has.has(n) ? v | 1n << bit : v, 0n);
      // QEMU 10's own answer agrees on the bits it knows.
      const known = Object.values(HWPROBE_BITS).filter((b) => b <= QEMU10_LAST_BIT).reduce((v, b) => v | 1n << b, 0n);
      assertEquals((q.keys.get(4)![1] & known).toString(16), (expected & known).toString(16), "QEMU 10's IMA_EXT_0");
      assertEquals(p.keys.get(4), [4n, expected], "IMA_EXT_0");
      assertEquals(p.keys.get(3), q.keys.get(3), "BASE_BEHAVIOR");
      assertEquals(p.keys.get(6), q.keys.get(6), "ZICBOZ_BLOCK_SIZE");
      assertEquals(p.hwcap, q.hwcap);
    },
  });
}

/**
 * The names of the isa line that depend on `-cpu` in plume (its other names,
 * RV64GC's, are in every run: `core/isa/extensions_test.ts`).
 */
const OPTIONAL_NAMES = new Set([
  "b",
  "v",
  "zicboz",
  "zicond",
  "zimop",
  "zawrs",
  "zcmop",
  "zfa",
  "zfh",
  "zfhmin",
  "zcb",
  "zba",
  "zbb",
  "zbc",
  "zbs",
  "zve32f",
  "zve32x",
  "zve64d",
  "zve64f",
  "zve64x",
  "zvbb",
  "zvfh",
  "zvfhmin",
  "zvkb",
]);

for (const m of MODELS) {
  const name =
    `cpu_probe hwprobe: plume -cpu ${m.plume} lists in /proc/cpuinfo the extensions of QEMU 10's -cpu ${m.qemu}`;
  Deno.test({
    name: skip ? `${name} (skipped: ${skip})` : name,
    ignore: skip !== "",
    async fn() {
      const q = new TextDecoder().decode(
        (await runQemu([PROBE, "hwprobe"], { qemu: QEMU10, flags: ["-cpu", m.qemu] })).stdout,
      );
      const p = new TextDecoder().decode((await runPlume([PROBE, "hwprobe"], { flags: ["-cpu", m.plume] })).stdout);
      const optional = (line: string) => [...isaNames(line)].filter((n) => OPTIONAL_NAMES.has(n)).sort();
      const qemuNames = optional(parseHwprobe(q).isa);
      // QEMU 10's rv64 model leaves misa's B off though it has Zba, Zbb and Zbs; its profiles and max set it.
      if (m.qemu.startsWith("rv64") && ["zba", "zbb", "zbs"].every((n) => qemuNames.includes(n))) qemuNames.push("b");
      assertEquals(optional(parseHwprobe(p).isa), qemuNames.sort());
      // Linux 6.x prints the hart's string again as "hart isa"; QEMU 10 does not.
      const hartIsa = p.split("\n").find((l) => l.startsWith("hart isa"));
      assertEquals(hartIsa?.replace(/^hart isa\s*:/, ""), parseHwprobe(p).isa.replace(/^isa\s*:/, ""));
    },
  });
}
