/**
 * The half-precision oracle program (tests/fpu/fp16_vectors.c: every Zfh and
 * Zfhmin instruction in every rounding mode over special operands, and
 * checksums of sweeps over all 65,536 halves or random operands) run whole
 * under plume `-cpu max`: what it prints must be what it printed under QEMU
 * 10 (tests/fpu/testdata, made by build/gen_fp16_vectors.sh), byte for byte.
 * It runs with every region WebAssembly at once (the harness's `-jit-warmup 0
 * -jit-wasm always`), and the flags' and NaN-boxing's cases once more
 * through the JavaScript tiers alone (`-jit-wasm off`).
 */

import { assertEquals } from "./assert.ts";
import { firstDifference, ROOT, runPlume } from "./harness.ts";

const PROGRAM = `${ROOT}/tests/fpu/fp16_vectors`;
const VECTORS = `${ROOT}/tests/fpu/testdata/fp16_vectors.txt.gz`;

async function expected(): Promise<Uint8Array> {
  const gz = await Deno.readFile(VECTORS);
  return new Uint8Array(
    await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
}

for (const tier of [[], ["-jit-wasm", "off"]]) {
  Deno.test(`fp16_vectors under plume -cpu max ${tier.join(" ") || "(WebAssembly)"} prints QEMU 10's results`, async () => {
    const want = await expected();
    const r = await runPlume([PROGRAM], { flags: ["-cpu", "max", ...tier] });
    assertEquals(r.status, 0, new TextDecoder().decode(r.stderr));
    const at = firstDifference(want, r.stdout);
    assertEquals(at, undefined, at && `line ${at.line}: expected ${at.expectedLine}, got ${at.actualLine}`);
    assertEquals(want.length > 500_000, true, `${want.length} bytes of vectors`);
  });
}

Deno.test("fp16_vectors without Zfh (qemu-riscv64 7.2's default CPU) stops at its first half instruction", async () => {
  assertEquals((await runPlume([PROGRAM])).status, 132);
});
