/**
 * The vector state in signal frames (`tests/guest/bin/vector_signal`, run
 * with `-cpu rv64,v=on`).
 *
 * `preserve`: a handler that leaves V alone interrupts code holding values
 * in v8, v9, vl, vtype and vcsr, which it finds unchanged after the
 * handler; compared byte for byte with QEMU 10's output (committed in
 * tests/guest/expected/), under each of plume's tiers.
 *
 * `frame`: QEMU 10 writes no V block in its frames, so there the oracle is
 * Linux's layout (`asm/sigcontext.h`, `asm/ptrace.h`) and `rt_sigreturn`'s
 * semantics, which the program checks itself: the handler finds the V
 * block after the FP state with the interrupted values, clobbers the live
 * registers, changes v8, vl and vcsr in the frame, and the interrupted code
 * sees the frame's values after the return; an illegal vtype in the frame
 * comes back as vill with vl 0.
 *
 * @module
 */

import { assert, assertEquals } from "./assert.ts";
import { GUEST_BIN, plumeAvailable, qemu10, runPlume, runQemu, TIERS } from "./harness.ts";
import { join } from "node:path";

const PROGRAM = join(GUEST_BIN, "vector_signal");
const EXPECTED = join(GUEST_BIN, "..", "expected", "vector_signal_preserve.out");

for (const tier of TIERS) {
  const name = `vector_signal preserve prints what QEMU 10 printed (${tier.name})`;
  Deno.test({
    name: plumeAvailable() ? name : `${name} (skipped: main.ts not present)`,
    ignore: !plumeAvailable(),
    async fn() {
      const r = await runPlume([PROGRAM, "preserve"], {
        flags: ["-cpu", "rv64,v=on", ...tier.flags],
        warmup: tier.warmup,
      });
      assertEquals(new TextDecoder().decode(r.stdout) + `status ${r.status}\n`, Deno.readTextFileSync(EXPECTED));
    },
  });
}

/** The checks `vector_signal frame` makes: 5 in each of its two handlers, 3 after the first return, 1 after the second. */
const FRAME_CHECKS = 14;

Deno.test({
  name: "vector_signal frame: the handler finds Linux's V block and its changes to it take effect on return",
  ignore: !plumeAvailable(),
  async fn() {
    const r = await runPlume([PROGRAM, "frame"], { flags: ["-cpu", "rv64,v=on"] });
    const out = new TextDecoder().decode(r.stdout);
    assertEquals(out.split("\n").filter((l) => l.endsWith(": FAIL")), []);
    assertEquals(out.split("\n").filter((l) => l.endsWith(": ok")).length, FRAME_CHECKS, out);
    assert(out.includes("V block: size 568 vstart 0 vl 3 vtype 0x10 vcsr 0x3 vlenb 16\n"), out);
    assert(out.includes("vl 2 vtype 0x10 vcsr 0x4\nv8 a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af\n"), out);
    assertEquals(r.status, 0);
  },
});

const q10 = qemu10();
Deno.test({
  name: "QEMU 10 writes no V block in its signal frames (what this test does not compare with it)",
  ignore: !q10,
  async fn() {
    const r = await runQemu([PROGRAM, "frame"], { qemu: q10, flags: ["-cpu", "rv64,v=true"] });
    assert(new TextDecoder().decode(r.stdout).includes("no V block in the frame\n"));
  },
});
