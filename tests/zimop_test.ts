/**
 * Zimop, Zcmop and Zawrs against QEMU 10's output, committed in
 * tests/guest/expected/ (build/build_guests.sh writes it with QEMU 10.0):
 * `tests/guest/bin/zimop` runs every mop.r.N and mop.rr.N (rd is 0 after
 * each), every c.mop.N (xN keeps its value), wrs.nto and wrs.sto (they
 * return, and a following sc.w fails: the reservation is gone), then all of
 * them in a hot loop whose hash is printed. Compared byte for byte under
 * plume's tiers (compiled at once with WebAssembly regions, compiled without
 * WebAssembly, and the default warm-up that interprets cold blocks) with
 * `-cpu max` and `rva23u64`; then each part alone where the model lacks its
 * extension and it dies of SIGILL as under QEMU 10 (plume's default rv64 is
 * QEMU 7.2's, with none of the three; QEMU 10's rv64 has Zawrs, so it is
 * spelled `rv64,zawrs=false` there), and Zawrs or Zcmop alone, neither of
 * which brings Zimop.
 *
 * @module
 */

import { assertSameOutput, GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");

/** Runs of `zimop`: plume's `-cpu`, the program's argument, the expected output's file (named by QEMU 10's `-cpu`). */
const RUNS: { cpu: string; arg?: string; file: string }[] = [
  { cpu: "max", file: "zimop_max.out" },
  { cpu: "rva23u64", file: "zimop_rva23u64.out" },
  { cpu: "rv64", arg: "mop", file: "zimop_rv64_zawrs_false_mop.out" },
  { cpu: "rv64", arg: "cmop", file: "zimop_rv64_zawrs_false_cmop.out" },
  { cpu: "rv64", arg: "wrs", file: "zimop_rv64_zawrs_false_wrs.out" },
  { cpu: "rv64,zawrs=on", arg: "wrs", file: "zimop_rv64_wrs.out" },
  { cpu: "rv64,zcmop=on", arg: "mop", file: "zimop_rv64_zcmop_true_mop.out" },
  { cpu: "rv64,zimop=on", arg: "cmop", file: "zimop_rv64_zimop_true_cmop.out" },
];

for (const run of RUNS) {
  for (const tier of TIERS) {
    const name = `zimop ${run.arg ?? ""} under -cpu ${run.cpu} prints what QEMU 10 printed (${tier.name})`;
    Deno.test({
      name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([join(GUEST_BIN, "zimop"), ...(run.arg ? [run.arg] : [])], {
          flags: ["-cpu", run.cpu, ...tier.flags],
          warmup: tier.warmup,
        });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        const expected = Deno.readTextFileSync(join(EXPECTED, run.file));
        assertSameOutput(got, expected, `zimop ${run.arg ?? ""}`);
      },
    });
  }
}
