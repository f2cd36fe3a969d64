/**
 * Which functions of a freshly built bundle a run of plume calls: a
 * training run with V8's function log on — a short C program, its start-up
 * through glibc included (`tests/guest/bin/sieve`; `plume demo` in a
 * checkout without it) — read back as offsets into each of the bundle's
 * files. `own_bundle.ts` makes those functions eager
 * (`eager_functions.ts`), so that later runs find their bytecode in Deno's
 * code cache instead of compiling them again.
 *
 * Only the functions a run calls: making every function of the bundle
 * eager made its code cache three times as large, and reading it back cost
 * what compiling saved (`busybox echo hi`: 119 → 117 ms, 1.3 MB more
 * memory); the functions of this training run gave 123 → 109 ms. Training
 * under plugins too (`plume demo`) made `-plugin insn` runs 10 ms faster
 * and plain ones 0.8 MB larger and 3 ms slower: plain runs are the common
 * case (medians of 21–25 runs, side by side). A second training run under
 * `insn` applied only to the files plain runs do not load left a user
 * plugin's load where it was (121 → 120 ms): its cost is the plugin's
 * process.
 *
 * @module
 */

/** How long the training run may take before it is stopped (it takes about a second). */
const TRAINING_TIMEOUT_MS = 30_000;

/**
 * The offsets at which the functions a run of the bundle in `dir` called
 * start (V8's: a function's parameter list, an arrow's first token), by
 * file relative to `dir`; an empty map when the training run failed.
 * `cProgram` is the C program run first (`sieve`: its argument is 1000).
 * `config` is the checkout's `deno.json` (the bundle imports esbuild by
 * the names it maps).
 */
export async function startupFunctions(
  dir: string,
  config: string,
  cProgram?: string,
): Promise<Map<string, Set<number>>> {
  const log = `${dir}/v8-functions.log`;
  const entry = `${dir}/training.js`;
  const runs = cProgram === undefined ? [["demo"]] : [[cProgram, "1000"]];
  Deno.writeTextFileSync(
    entry,
    `import * as cli from "./core/app/command_line.js";\n` +
      `cli.useHostModule(${JSON.stringify(`${dir}/core/plugin/sandbox/host.js`)});\n` +
      `for (const args of ${JSON.stringify(runs)}) if (await cli.commandLine(args) !== 0) Deno.exit(1);\n`,
  );
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--quiet",
        `--config=${config}`,
        "--no-lock",
        // The training run's modules are not the ones later runs load: nothing of theirs is worth caching.
        "--no-code-cache",
        // Relative to the bundle's directory (the child's working directory): V8's flags are split at commas,
        // which a checkout's path may hold.
        "--v8-flags=--log-function-events,--logfile=v8-functions.log,--no-logfile-per-isolate",
        entry,
      ],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Ended meanwhile.
      }
    }, TRAINING_TIMEOUT_MS);
    const status = await child.status.finally(() => clearTimeout(timer));
    if (!status.success) return new Map();
    return functionsOfLog(Deno.readTextFileSync(log), dir);
  } catch {
    return new Map();
  } finally {
    for (const f of [log, entry]) {
      try {
        Deno.removeSync(f);
      } catch {
        // Never written (the run failed before logging).
      }
    }
  }
}

/**
 * The functions V8's log (`--log-function-events`) shows compiled or first
 * run, as offsets by file for the scripts under `dir`.
 *
 * @example
 * ```ts
 * import { functionsOfLog } from "./startup_profile.ts";
 * import { deepStrictEqual } from "node:assert";
 * const log = "script-details,7,file:///b/core/x.js,0,0\n" +
 *   "function,parse-function,7,120,200,0.01,5,f\n" +
 *   "function,first-execution,7,300,400,0,6,g\n" +
 *   "function,parse-function,8,1,2,0.01,7,h\n";
 * deepStrictEqual(functionsOfLog(log, "/b"), new Map([["core/x.js", new Set([120, 300])]]));
 * ```
 */
export function functionsOfLog(log: string, dir: string): Map<string, Set<number>> {
  const prefix = `file://${dir}/`;
  const files = new Map<string, string>();
  const out = new Map<string, Set<number>>();
  for (const line of log.split("\n")) {
    const f = line.split(",");
    const url = f[0] === "script-details" && f[2] !== undefined ? safeDecode(f[2]) : undefined;
    if (url?.startsWith(prefix)) {
      files.set(f[1], url.slice(prefix.length));
    } else if (f[0] === "function" && (f[1] === "parse-function" || f[1] === "first-execution")) {
      const file = files.get(f[2]), at = Number(f[3]);
      if (file === undefined || !Number.isSafeInteger(at)) continue;
      let set = out.get(file);
      if (set === undefined) out.set(file, set = new Set());
      set.add(at);
    }
  }
  return out;
}

function safeDecode(url: string): string | undefined {
  try {
    return decodeURIComponent(url);
  } catch {
    return undefined;
  }
}
