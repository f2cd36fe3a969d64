/**
 * `deno task build`: plume as one executable (`dist/plume`), with `deno
 * compile`.
 *
 * The executable gets the same permissions and flags as `deno task plume`
 * (one source of truth: the `plume` task in deno.json), and embeds what is
 * loaded at run time rather than imported: the plugin process's entry
 * point (`core/plugin/sandbox/host.ts`: the executable runs itself with
 * `--plume-plugin-host` to start a plugin) and the built-in plugins'
 * sources (`COMPILE_INCLUDES`).
 *
 * `deno compile` needs the `denort` runtime matching this Deno, which it
 * downloads from Deno's release server unless `DENORT_BIN` names a local
 * copy. Where neither works (a machine without that network access) this
 * script says so plainly and exits 2 after checking everything else.
 *
 * Usage: deno task build [--check] [--output PATH]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileUrlToPath } from "../core/util/file_url.ts";

const ROOT = fileUrlToPath(new URL("..", import.meta.url));

/**
 * Files loaded at run time by path or URL rather than by static import, so
 * the module graph does not pull them in: they must be embedded explicitly.
 */
const COMPILE_INCLUDES: readonly string[] = ["plugins/", "core/plugin/", "core/app/command_line.ts"];

/** Deno flags of the `plume` task in deno.json (between `deno run` and `main.ts`). */
export function plumeRunFlags(denoJson: string): string[] {
  const task: string | undefined = JSON.parse(denoJson)?.tasks?.plume;
  const m = task && /^deno run (.*) main\.ts$/.exec(task);
  if (!m) throw new Error(`Unexpected plume task in deno.json: ${task}`);
  return m[1].split(/\s+/).filter((f) => f.length > 0);
}

/**
 * Modules imported through a computed specifier (so that runs without
 * plugins never load them), by import-map name: the compiled binary bundles
 * plugins with esbuild-wasm, as it cannot spawn esbuild's executable.
 */
const COMPILE_MODULES: readonly string[] = ["esbuild-wasm"];

/** The `deno compile` command line for plume. */
export function compileCommand(output: string, denoJson: string): string[] {
  const imports: Record<string, string> = JSON.parse(denoJson)?.imports ?? {};
  const modules = COMPILE_MODULES.map((name) => {
    if (!imports[name]) throw new Error(`deno.json has no import named ${name}`);
    return imports[name];
  });
  const includes = [...COMPILE_INCLUDES.filter((p) => exists(`${ROOT}${p}`)), ...modules].flatMap((p) => [
    "--include",
    p,
  ]);
  return ["compile", ...plumeRunFlags(denoJson), ...includes, "--output", output, "main.ts"];
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `deno compile`'s error text says the runtime could not be downloaded. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /denort|base binary/i.test(stderr) &&
    /(error sending request|dns error|failed to lookup|connect)/i.test(stderr);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { check: { type: "boolean" }, output: { type: "string", default: "dist/plume" } },
  });
  const denoJson = Deno.readTextFileSync(`${ROOT}deno.json`);
  const args = compileCommand(values.output!, denoJson);
  console.log(`deno ${args.join(" ")}`);
  // Type-check the whole graph first: compile errors are then plume's, not the runtime's.
  const check = await new Deno.Command(Deno.execPath(), { args: ["check", "main.ts"], cwd: ROOT }).output();
  if (!check.success) {
    console.error(new TextDecoder().decode(check.stderr));
    return 1;
  }
  if (values.check) return 0;
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.success) {
    console.log(`built ${values.output}`);
    return 0;
  }
  if (isRuntimeDownloadFailure(stderr)) {
    console.error(
      "build: deno compile could not get the denort runtime it embeds (it downloads it from Deno's release\n" +
        "server, which this machine cannot reach). Everything else is ready: run this again where that server\n" +
        "is reachable, or set DENORT_BIN to a denort binary of the same Deno version.",
    );
    return 2;
  }
  console.error(stderr);
  return 1;
}

if (import.meta.main) Deno.exit(await main());
