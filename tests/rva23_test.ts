/**
 * Code as compilers emit it for RVA23 against QEMU 10: `tests/guest/bin/rva23`
 * is tests/guest/src/rva23.c built by clang-19 `-O3 -march=rva23u64`
 * (vectorized loops: V with Zvbb's vcpop/vrev8/vror and Zvfhmin's
 * conversions, ordered and unordered reductions, widening, narrowing,
 * gathers, Zba/Zbb, Zicond, Zfa, Zfh), `rva23_rv64gc` the same source for
 * rv64gc with Zfh, no vectors. Both print exact checksums of every loop's
 * result; QEMU 10 printed the same lines for both (its outputs, committed
 * in tests/guest/expected/, are compared here too). plume must print them
 * under `-cpu rva23u64` in each tier, byte for byte. So must it for
 * programs of the repository built the same way (`sha256_rva23`,
 * `matmul_rva23`, `nbody_rva23`: loops vectorized in other shapes).
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");

Deno.test("QEMU 10 printed the same results for the vectorized rva23u64 build and the rv64gc build", () => {
  const vector = Deno.readTextFileSync(join(EXPECTED, "rva23.out"));
  assertEquals(Deno.readTextFileSync(join(EXPECTED, "rva23_rv64gc.out")), vector);
  // Every loop printed: not a program that stopped early.
  assertEquals(vector.split("\n").filter((l) => l !== "").length, 19);
  assert(vector.endsWith("status 0\n"));
});

for (const [bin, cpu] of [["rva23", "rva23u64"], ["rva23_rv64gc", "rv64,zfh=on"]]) {
  for (const tier of TIERS) {
    const name = `${bin} under -cpu ${cpu} prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, bin)], { flags: ["-cpu", cpu, ...tier.flags], warmup: tier.warmup });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        assertEquals(got, Deno.readTextFileSync(join(EXPECTED, `${bin}.out`)));
      },
    });
  }
}

/** Programs of the repository built by clang-19 -O3 for rva23u64, with the arguments QEMU 10's outputs were made with. */
const PROGRAMS: readonly [string, ...string[]][] = [["sha256_rva23", "200000"], ["matmul_rva23"], [
  "nbody_rva23",
  "20000",
]];

for (const [bin, ...args] of PROGRAMS) {
  for (const tier of TIERS) {
    const name = `${[bin, ...args].join(" ")} under -cpu rva23u64 prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, bin), ...args], {
          flags: ["-cpu", "rva23u64", ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        assertEquals(got, Deno.readTextFileSync(join(EXPECTED, `${bin}.out`)));
      },
    });
  }
}
