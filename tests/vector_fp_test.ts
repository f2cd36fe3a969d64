/**
 * Vector floating point against QEMU 10's output, committed in
 * tests/guest/expected/vector_fp.out (build/build_guests.sh writes it with
 * QEMU 10.0 `-cpu rv64,v=true,vlen=128`): `tests/guest/bin/vector_fp` runs
 * every V floating-point instruction at SEW 32 and 64 over all pairs of
 * special operands in the five rounding modes, masked and unmasked, prints
 * the fflags and a hash of the registers of each, then where QEMU refuses
 * an instruction (vl = 0, vstart > 0, a reserved frm, SEW 8 and 16, LMUL 8,
 * register groups) behind a SIGILL handler. Compared byte for byte under
 * plume's tiers, as tests/vector_test.ts does. Run again with Zvfhmin
 * (QEMU 10 `-cpu rv64,v=true,vlen=128,zvfhmin=true`, expected in
 * vector_fp_zvfhmin.out): its SEW-16 vfwcvt.f.f.v and vfncvt.f.f.w, which
 * trap in the first run, convert. `vector_fp zvfh` runs every instruction at
 * SEW 16 (and the conversions between halves and 8-bit integers at SEW 8)
 * with Zvfh (`,zvfh=true`, vector_fp_zvfh.out) and without it (Zvfhmin only:
 * all but Zvfhmin's two conversions trap, vector_fp_zvfh_zvfhmin.out).
 *
 * @module
 */

import { assertSameOutput, GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

/** plume's -cpu of each run, the program's arguments and the file with QEMU 10's output for the same. */
const RUNS: { cpu: string; args: string[]; expected: string }[] = [
  { cpu: "rv64,v=on", args: [], expected: "vector_fp.out" },
  { cpu: "rv64,v=on,zvfhmin=on", args: [], expected: "vector_fp_zvfhmin.out" },
  { cpu: "rv64,v=on,zvfh=on", args: ["zvfh"], expected: "vector_fp_zvfh.out" },
  { cpu: "rv64,v=on,zvfhmin=on", args: ["zvfh"], expected: "vector_fp_zvfh_zvfhmin.out" },
];

for (const { cpu, args, expected: file } of RUNS) {
  for (const tier of TIERS) {
    const name = `${["vector_fp", ...args].join(" ")} under -cpu ${cpu} prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      fn: () => compare(cpu, args, tier, join(GUEST_BIN, "..", "expected", file)),
    });
  }
}

/** Runs vector_fp `args` under plume's -cpu `cpu` in `tier` and compares its output with the file `expectedPath`. */
async function compare(cpu: string, args: string[], tier: typeof TIERS[number], expectedPath: string): Promise<void> {
  const r = await runPlume([join(GUEST_BIN, "vector_fp"), ...args], {
    flags: ["-cpu", cpu, ...tier.flags],
    warmup: tier.warmup,
  });
  const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
  const expected = Deno.readTextFileSync(expectedPath);
  assertSameOutput(got, expected, `vector_fp`);
}
