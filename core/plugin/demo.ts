/**
 * `plume demo`: runs the embedded demo program (the Mandelbrot set in
 * ASCII) under the built-in `insn` and `hotblocks` plugins, with their
 * output shown, so that a first run needs no program and no plugin file.
 *
 * @module
 */

import { demoProgram } from "./demo_program_generated.ts";

/** The arguments `plume demo` runs with, after the program path. */
const DEMO_FLAGS: readonly string[] = [
  "-d",
  "plugin",
  "-plugin",
  "insn,inline=on",
  "-plugin",
  "hotblocks,limit=6",
];

/**
 * Writes the demo program to a temporary file and runs it through `run`
 * (plume's own entry point) with {@link DEMO_FLAGS}; returns its status.
 *
 * @example
 * ```ts
 * import { runDemo } from "./demo.ts";
 * import { main } from "../../main.ts";
 * const status: number = await runDemo(main, (s) => console.log(s));
 * ```
 */
export async function runDemo(run: (args: string[]) => Promise<number>, say: (text: string) => void): Promise<number> {
  const path = await Deno.makeTempFile({ prefix: "plume-demo-" });
  try {
    await Deno.writeFile(path, demoProgram(), { mode: 0o755 });
    say(
      `plume demo: an embedded RV64GC program under the built-in plugins insn (instructions, counted inline)\n` +
        `and hotblocks (the most executed blocks: the z = z^2 + c loop). Run it yourself with\n` +
        `  plume ${DEMO_FLAGS.join(" ")} PROGRAM\n\n`,
    );
    return await run([...DEMO_FLAGS, path]);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
