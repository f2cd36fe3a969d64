/**
 * Proves that the per-operation tables are checked by the type system: a
 * `Record<Op, …>` built the way the translator builds `TRANS` (extension
 * tables with explicit keys, joined) fails `deno check` when one operation is
 * missing, and the message names it; the same table with the operation
 * present passes. That is what makes adding a line to `rv64gc.decode` demand
 * an implementation in every tier.
 *
 * @module
 */

import { assert, assertStringIncludes } from "../../tests/assert.ts";
import { type Op, OPS } from "./ops_generated.ts";

const OPS_MODULE = new URL("./ops_generated.ts", import.meta.url).href;

/** The operation left out; a dotted name, to show such names are reported as written. */
const MISSING: Op = "fence.i";

/**
 * A module that builds a `Record<Op, Handler>` from two extension tables
 * (each `satisfies Partial<Record<Op, Handler>>`, as `trans_*.ts` do) holding
 * every operation of `ops`.
 */
function tableModule(ops: readonly Op[]): string {
  const half = Math.ceil(ops.length / 2);
  const entries = (part: readonly Op[]) => part.map((op) => `  ${JSON.stringify(op)}: handle,\n`).join("");
  return `import type { Op } from ${JSON.stringify(OPS_MODULE)};
type Handler = (x: number) => number;
const handle: Handler = (x) => x;
const FIRST = {
${entries(ops.slice(0, half))}} satisfies Partial<Record<Op, Handler>>;
const SECOND = {
${entries(ops.slice(half))}} satisfies Partial<Record<Op, Handler>>;
export const TABLE: Record<Op, Handler> = { ...FIRST, ...SECOND };
`;
}

/** Runs `deno check` on `source` as a file of its own; returns whether it passed and what it printed. */
async function denoCheck(dir: string, name: string, source: string): Promise<{ ok: boolean; output: string }> {
  const file = `${dir}/${name}`;
  await Deno.writeTextFile(file, source);
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { ok: success, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("a Record<Op, …> table fails deno check naming the one operation it lacks, and passes with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plume_op_tables_" });
  try {
    const [without, complete] = await Promise.all([
      denoCheck(dir, "without.ts", tableModule(OPS.filter((op) => op !== MISSING))),
      denoCheck(dir, "complete.ts", tableModule(OPS)),
    ]);
    assert(!without.ok, `deno check passed a table without ${MISSING}:\n${without.output}`);
    assertStringIncludes(without.output, `Property '"${MISSING}"' is missing in type`);
    assertStringIncludes(without.output, "but required in type 'Record<Op, Handler>'");
    assert(complete.ok, `deno check failed on the complete table:\n${complete.output}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
