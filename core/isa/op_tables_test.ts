/**
 * Proves that the per-operation tables are checked by the type system: a
 * `Record<Op, …>` built the way the translator builds `TRANS` (extension
 * tables with explicit keys, joined) fails `deno check` when one operation is
 * missing, and the message names it; the same table with the operation
 * present passes. Then the same on plume's own tables: a copy of `core/`
 * with one operation's entry taken out of every tier's table (the
 * translator's, the interpreter's, the disassembler's, the WebAssembly
 * tier's) fails `deno check` once per table. That is what makes adding a line
 * to `rv64gc.decode` demand an implementation in every tier.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { fileUrlToPath } from "../util/file_url.ts";
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
  return await denoCheckFiles([file]);
}

/** Runs `deno check` on `files`; returns whether it passed and what it printed. */
async function denoCheckFiles(files: string[]): Promise<{ ok: boolean; output: string }> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", ...files],
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

/**
 * plume's tables with an entry per operation: the module that declares
 * each, where {@link MISSING}'s entry is written (what the test cuts), and
 * the keys its type requires (the interpreter's and the WebAssembly tier's
 * scalar tables are typed without the vector operations, which are added to
 * them by a loop: `core/util/record_of.ts`).
 */
const TABLES: { table: string; module: string; file: string; entry: RegExp; keys: string }[] = [
  {
    table: "TRANS",
    module: "jit/translator.ts",
    file: "jit/trans_rvi.ts",
    entry: /^ {2}"fence\.i": .*\n/m,
    keys: "Op",
  },
  {
    table: "SCALAR_HANDLERS",
    module: "jit/interpreter.ts",
    file: "jit/interpreter.ts",
    entry: /^ {2}"fence\.i": .*\n/m,
    keys: "ScalarOp",
  },
  { table: "FORMATS", module: "isa/disasm.ts", file: "isa/disasm.ts", entry: /(?<=\[[^\]]*)"fence\.i", /, keys: "Op" },
  {
    table: "SCALAR_TRANS",
    module: "jit/wasm/trans.ts",
    file: "jit/wasm/trans.ts",
    entry: /^ {2}"fence\.i": .*\n/m,
    keys: "ScalarOp",
  },
];

/** Copies the modules of `core/` (tests and test data aside) to `to`. */
async function copyCore(from: string, to: string): Promise<void> {
  for await (const e of Deno.readDir(from)) {
    const [src, dst] = [join(from, e.name), join(to, e.name)];
    if (e.isDirectory && e.name !== "testdata") await copyCore(src, dst);
    else if (e.isFile && /\.ts$/.test(e.name) && !/_test\.ts$/.test(e.name)) {
      await Deno.mkdir(dirname(dst), { recursive: true });
      await Deno.copyFile(src, dst);
    }
  }
}

Deno.test("plume's per-operation tables fail deno check, each naming the operation, when one lacks it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "plume_op_tables_" });
  try {
    await copyCore(fileUrlToPath(new URL("../", import.meta.url)), dir);
    for (const { table, file, entry } of TABLES) {
      const source = await Deno.readTextFile(join(dir, file));
      assert(entry.test(source), `${file}: no entry for ${MISSING} found to take out of ${table} (${entry})`);
      await Deno.writeTextFile(join(dir, file), source.replace(entry, ""));
    }
    const { ok, output } = await denoCheckFiles(TABLES.map((t) => join(dir, t.module)));
    assert(!ok, "deno check passed tables without " + MISSING);
    const errors = output.split("[ERROR]: ").slice(1);
    for (const { table, module, keys } of TABLES) {
      const error = errors.find((e) => e.includes(`const ${table}: `) && e.includes(`${join(dir, module)}:`));
      assert(error, `no error for ${table} (${module}) in:\n${output}`);
      assertStringIncludes(error, `Property '"${MISSING}"' is missing in type`);
      assertStringIncludes(error, `but required in type 'Readonly<Record<${keys}, `);
    }
    assertEquals(errors.length, TABLES.length, output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
