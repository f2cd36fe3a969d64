/**
 * plume's entry point: `plume [options] PROGRAM [ARGS…]`. The command line
 * itself is `core/app/command_line.ts`; this module only picks where it
 * loads from (plume's own modules bundled and cached, else the sources:
 * `core/app/own_bundle.ts`), and in the compiled executable also starts
 * plugin processes.
 *
 * Every failure the user can cause (a bad option, a missing program, a file
 * that is not an RV64 executable) ends with one line on stderr and exit
 * status 1; the exit status is otherwise the guest's.
 *
 * @module
 */

import { PLUGIN_HOST_FLAG } from "./core/plugin/sandbox/host_flag.ts";
import { loadCommandLine } from "./core/app/own_bundle.ts";

/**
 * Runs plume with command-line arguments and returns the exit status.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(await main(["-version"]), 0); // after printing plume's version
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // A computed specifier, as in own_bundle.ts: a literal one has Deno read every source module at start.
  const sources = "./core/app/command_line.ts";
  const cli: typeof import("./core/app/command_line.ts") = await import(sources);
  return await cli.main(args);
}

if (import.meta.main && Deno.args[0] === PLUGIN_HOST_FLAG) {
  // The compiled executable is also the plugin process (started by plume itself, never by the user).
  const host = "./core/plugin/sandbox/host.ts";
  (await import(host)).hostMain(Deno.args[1]);
} else if (import.meta.main) {
  Deno.exit(await (await loadCommandLine()).commandLine(Deno.args));
}
