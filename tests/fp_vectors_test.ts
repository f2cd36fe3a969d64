/**
 * The F/D oracle program run whole under plume, every region WebAssembly
 * at once (the harness's `-jit-warmup 0 -jit-wasm always`): what it prints
 * must be what it printed under qemu-riscv64 (tests/fpu/testdata, made by
 * build/gen_fpu_vectors.sh), byte for byte. core/fpu/fpu_test.ts checks the
 * helpers on the same vectors directly; this checks the translated code
 * around them (rounding-mode fields, fsrm and frflags, NaN-boxing, inline
 * fast paths, moves, loads and stores) as plume runs it: blocks mostly made
 * of helper calls stay in JavaScript (`WASM_POLICY` in core/jit/wasm/trans.ts),
 * the rest are WebAssembly. core/jit/interpreter_test.ts runs every block the
 * tier can translate in it.
 */

import { assertEquals } from "./assert.ts";
import { firstDifference, ROOT, runPlume } from "./harness.ts";

const PROGRAM = `${ROOT}/tests/fpu/fp_vectors`;
const VECTORS = `${ROOT}/tests/fpu/testdata/fp_vectors.txt.gz`;

Deno.test("fp_vectors under plume's WebAssembly tier prints QEMU's softfloat results", async () => {
  const gz = await Deno.readFile(VECTORS);
  const expected = new Uint8Array(
    await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
  const r = await runPlume([PROGRAM]);
  assertEquals(r.status, 0, new TextDecoder().decode(r.stderr));
  const at = firstDifference(expected, r.stdout);
  assertEquals(at, undefined, at && `line ${at.line}: expected ${at.expectedLine}, got ${at.actualLine}`);
  assertEquals(expected.length > 1_000_000, true, `${expected.length} bytes of vectors`);
});
