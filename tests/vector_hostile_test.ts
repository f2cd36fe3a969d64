/**
 * Hostile vector programs (`tests/guest/src/vector_hostile.c`) that plume
 * got wrong, against QEMU 10's output committed in tests/guest/expected/
 * (build/build_guests.sh, `-cpu rv64,v=true,vlen=128`), under each tier:
 *
 * - `index`: indexed accesses whose 64-bit offsets are negative (2^64 - k)
 *   wrap modulo 2^64 to base - k; plume adds 2^64 - k as a number and faults.
 * - `vstart-load`, `vstart-store`: a vector access faulting at element 16
 *   leaves vstart = 16 for the SIGSEGV handler, as QEMU 10 does (the spec's
 *   resumable trap); plume leaves it 0.
 * - `illegal`: masked indexed accesses that read v0 at another EEW than the
 *   mask's (index vs2 = v0, or an indexed store's data vs3 = v0) are SIGILL
 *   under QEMU 10 (`vext_check_input_eew`), and so are masked gathers and
 *   slides reading v0 as a source, and indexed stores whose data and index
 *   groups overlap at different EEWs; plume runs them.
 * - `write-only`: a private PROT_WRITE page is readable (Linux's riscv
 *   `protection_map` gives it PAGE_COPY; QEMU 10 reads it), by scalar and
 *   vector loads; plume raises SIGSEGV.
 * - `fast`: words hot enough for their fast paths (`core/jit/vector/fast.ts`),
 *   then run in another state: vmv1r.v/vmv2r.v under vill must be SIGILL; a
 *   vse32.v rewriting code that then runs must invalidate its translation;
 *   vfadd.vv's fflags with and without NX accrued before; vadd.vv and
 *   vmsltu.vv in a loop whose vtype and vl change; one loop in two threads,
 *   each in its own vtype and vl.
 *
 * And the mem plugin's count: QEMU's plugin memory callbacks see each
 * element of a vector load or store (QEMU 10 here loads no plugins; QEMU
 * 7.2 with .cache/qemu-plugins/libmem.so counts 3597 more accesses for
 * `mem 100` than `mem 0`); at least the 2400 element accesses of the 100
 * rounds of six 4-element loads and stores must be counted.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { GUEST_BIN, plumeAvailable, runPlume, TIERS } from "./harness.ts";
import { join } from "node:path";

const EXPECTED = join(GUEST_BIN, "..", "expected");
const PROGRAM = join(GUEST_BIN, "vector_hostile");

for (const arg of ["index", "vstart-load", "vstart-store", "illegal", "write-only", "fast"]) {
  for (const tier of TIERS) {
    Deno.test({
      name: `vector_hostile ${arg} prints what QEMU 10 printed (${tier.name})`,
      ignore: !plumeAvailable(),
      async fn() {
        const r = await runPlume([PROGRAM, arg], { flags: ["-cpu", "rv64,v=on", ...tier.flags], warmup: tier.warmup });
        const got = new TextDecoder().decode(r.stdout) + `status ${r.status}\n`;
        assertEquals(got, Deno.readTextFileSync(join(EXPECTED, `vector_hostile_${arg}.out`)));
      },
    });
  }
}

Deno.test({
  name: "the mem plugin counts the element accesses of vector loads and stores",
  ignore: !plumeAvailable(),
  async fn() {
    const count = async (rounds: number) => {
      const r = await runPlume([PROGRAM, "mem", String(rounds)], {
        flags: ["-cpu", "rv64,v=on", "-plugin", "mem,callback=on", "-d", "plugin"],
      });
      const m = /mem accesses: (\d+)/.exec(new TextDecoder().decode(r.stderr));
      assert(m !== null, "no count from the mem plugin");
      return Number(m[1]);
    };
    const extra = (await count(100)) - (await count(0));
    assert(extra >= 2400, `100 rounds of 24 vector element accesses counted as ${extra} accesses`);
  },
});
