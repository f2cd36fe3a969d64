/**
 * The vector extension (V) against QEMU 10's output, committed in
 * tests/guest/expected/ (build/build_guests.sh writes it with QEMU 10.0
 * `-cpu rv64,v=true,vlen=128`): `tests/guest/bin/vector` runs every vset*
 * form, the vector CSRs, every load and store form with masks and tails,
 * fault-only-first across an unmapped page and the integer operations at
 * several SEW and LMUL; one run shows what a forked child and a new thread
 * inherit; one tries encodings reserved under their vtype
 * behind a SIGILL handler, and three end in a vector access's SIGSEGV.
 * Each is compared byte for byte under plume's tiers: compiled at once with
 * WebAssembly regions, compiled without WebAssembly, and the default warm-up
 * (blocks interpreted until hot). The live comparison with QEMU 10 is in
 * tests/differential_test.ts.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { assertSameOutput, GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");

/** Runs of `vector` (its argument) and the expected output's file. */
const RUNS: { arg?: string; file: string }[] = [
  { file: "vector.out" },
  { arg: "illegal", file: "vector_illegal.out" },
  { arg: "inherit", file: "vector_inherit.out" },
  { arg: "segv-load", file: "vector_segv-load.out" },
  { arg: "segv-ff", file: "vector_segv-ff.out" },
  { arg: "segv-store", file: "vector_segv-store.out" },
];

for (const run of RUNS) {
  for (const tier of TIERS) {
    const name = `vector ${run.arg ?? ""} under -cpu rv64,v=on prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, "vector"), ...(run.arg ? [run.arg] : [])], {
          flags: ["-cpu", "rv64,v=on", ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        const expected = Deno.readTextFileSync(join(EXPECTED, run.file));
        assertSameOutput(got, expected, `vector ${run.arg ?? ""}`);
      },
    });
  }
}

Deno.test({
  name: "vector without V (the default -cpu) dies of SIGILL, as under QEMU 10's -cpu rv64",
  ignore: !plumeAvailable(),
  async fn() {
    const r = await runPlume([join(GUEST_BIN, "vector")], { flags: ["-cpu", "rv64,zba=on"] });
    assertEquals(r.status, 132);
    assertEquals(r.stdout.length, 0);
  },
});
