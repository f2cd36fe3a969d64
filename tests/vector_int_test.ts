/**
 * The vector extension's integer arithmetic against QEMU 10's output,
 * committed in tests/guest/expected/ (build/build_guests.sh writes it with
 * QEMU 10.0 `-cpu rv64,v=true,vlen=128`): `tests/guest/bin/vector_int` runs
 * every integer arithmetic instruction at SEW 8 to 64 and LMUL 1/8 to 8
 * where its form is legal, unmasked at VLMAX and masked with a tail, on edge
 * values, from vstart 3 and with the overlaps the rules allow; one run tries
 * encodings reserved under their vtype (register groups, overlaps, masked
 * sources in v0, widening at SEW 64, extensions below 8 bits, vill) behind a
 * SIGILL handler, and one sweeps every integer encoding's vd, vs2, vs1 and
 * vm over edge registers under vtypes of every shape (legal or SIGILL).
 * Zvbb's instructions are among them (run with Zvbb on). Each is compared byte for byte under plume's tiers:
 * compiled at once with WebAssembly regions, compiled without WebAssembly,
 * and the default warm-up (blocks interpreted until hot).
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { assertSameOutput, GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");

/** Runs of `vector_int` (its argument) and the expected output's file. */
const RUNS: { arg?: string; file: string }[] = [
  { file: "vector_int.out" },
  { arg: "illegal", file: "vector_int_illegal.out" },
  { arg: "sweep", file: "vector_int_sweep.out" },
];

for (const run of RUNS) {
  for (const tier of TIERS) {
    const name = `vector_int ${run.arg ?? ""} under -cpu rv64,v=on,zvbb=on prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, "vector_int"), ...(run.arg ? [run.arg] : [])], {
          flags: ["-cpu", "rv64,v=on,zvbb=on", ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        const expected = Deno.readTextFileSync(join(EXPECTED, run.file));
        assertSameOutput(got, expected, `vector_int ${run.arg ?? ""}`);
      },
    });
  }
}

Deno.test({
  name: "vector_int without Zvbb (-cpu rv64,v=on) dies of SIGILL at its first Zvbb instruction, as under QEMU 10",
  ignore: !plumeAvailable(),
  async fn() {
    // QEMU 10 -cpu rv64,v=true runs the cases before vandn.vv and dies there, having flushed 253952 bytes of
    // them (64 KiB buffers): the start of what it prints with Zvbb.
    const r = await runPlume([join(GUEST_BIN, "vector_int")], { flags: ["-cpu", "rv64,v=on"] });
    assertEquals(r.status, 132);
    const got = new TextDecoder().decode(r.stdout);
    assertEquals(got.length, 253952);
    assertEquals(got, Deno.readTextFileSync(join(EXPECTED, "vector_int.out")).slice(0, got.length));
  },
});
