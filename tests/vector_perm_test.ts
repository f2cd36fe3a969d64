/**
 * The vector extension's mask and permutation instructions against QEMU
 * 10's output, committed in tests/guest/expected/ (build/build_guests.sh
 * writes it with QEMU 10.0 `-cpu rv64,v=true,vlen=128`):
 * `tests/guest/bin/vector_perm` runs the mask-register logical operations,
 * vcpop, vfirst, vmsbf/vmsif/vmsof, viota, vid, the slides, gathers,
 * vcompress and whole-register moves at several SEW and LMUL, masked and
 * not, with tails, vstart > 0 and offsets or indices past VLMAX; one run
 * tries illegal encodings behind a SIGILL handler. Each is compared byte for
 * byte under plume's tiers, as tests/vector_test.ts does.
 *
 * @module
 */

import { assertSameOutput, GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");

/** Runs of `vector_perm` (its argument) and the expected output's file. */
const RUNS: { arg?: string; file: string }[] = [
  { file: "vector_perm.out" },
  { arg: "illegal", file: "vector_perm_illegal.out" },
];

for (const run of RUNS) {
  for (const tier of TIERS) {
    const name = `vector_perm ${run.arg ?? ""} under -cpu rv64,v=on prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, "vector_perm"), ...(run.arg ? [run.arg] : [])], {
          flags: ["-cpu", "rv64,v=on", ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        const expected = Deno.readTextFileSync(join(EXPECTED, run.file));
        assertSameOutput(got, expected, `vector_perm ${run.arg ?? ""}`);
      },
    });
  }
}
