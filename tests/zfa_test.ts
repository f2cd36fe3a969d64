/**
 * Zfa against QEMU 10's output, committed in tests/guest/expected/
 * (build/build_guests.sh writes it with QEMU 10.0): `tests/guest/bin/zfa`
 * runs every Zfa instruction in single, double and half precision over
 * special operands and prints each result's bits and fflags (fli's 32
 * entries, fround/froundnx in every static and dynamic rounding mode,
 * fcvtmod.w.d, the quiet comparisons), four times over, then tries the
 * encodings that must trap behind a SIGILL handler. Compared byte for byte
 * under plume's tiers (compiled at once with WebAssembly regions, compiled
 * without WebAssembly, and the default warm-up that interprets cold blocks);
 * then without Zfh (`-cpu max,zfh=off`: the half-precision forms trap as
 * under QEMU 10's `max,zfh=false`) and without Zfa (the default `-cpu`,
 * QEMU 7.2's rv64: the first Zfa instruction is SIGILL, as under QEMU 10's
 * `rv64,zfa=false`).
 *
 * @module
 */

import { assertSameOutput, GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");

/** Runs of `zfa`: plume's `-cpu`, the program's argument, the expected output's file. */
const RUNS: { cpu: string; arg?: string; file: string }[] = [
  { cpu: "max", file: "zfa_max.out" },
  { cpu: "max,zfh=off", arg: "illegal", file: "zfa_max_zfh_false_illegal.out" },
  { cpu: "rv64", arg: "first", file: "zfa_rv64_zfa_false_first.out" },
];

for (const run of RUNS) {
  for (const tier of TIERS) {
    const name = `zfa ${run.arg ?? ""} under -cpu ${run.cpu} prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, "zfa"), ...(run.arg ? [run.arg] : [])], {
          flags: ["-cpu", run.cpu, ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        const expected = Deno.readTextFileSync(join(EXPECTED, run.file));
        assertSameOutput(got, expected, `zfa ${run.arg ?? ""}`);
      },
    });
  }
}
