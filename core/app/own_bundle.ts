/**
 * plume's own modules bundled into a few JavaScript files, cached in the
 * checkout (`.cache/modules`, a folder per key) the way Python caches bytecode next to
 * its sources, so that a run loads those instead of some 130 TypeScript
 * modules.
 *
 * Why: Deno loads, checks against its transpile cache and instantiates
 * every module on its own, and plume's dynamic imports load in waves. On
 * this project's machines importing the emulator's modules took 63 ms from
 * the sources and 30 ms from a bundle, and `busybox echo hi` 94 against
 * 84 ms quiet; on a loaded machine 132 against 75 ms (best runs) and 266
 * against 98 ms (medians). See ARCHITECTURE.md, "Start-up".
 *
 * The key covers what the bundle is made of: every module under `core/`
 * (path, size, modification time), `deno.json`, the bundle's format and
 * Deno's version; an edited source makes a new key, so a bundle never runs
 * code older than the checkout. The first run after a change builds the
 * bundle (esbuild, which plume uses for plugins: about half a second) and
 * renames it into place whole, so that concurrent runs never see half of
 * one. Whatever fails (no esbuild, a read-only checkout), plume runs from
 * the sources, as it does in the compiled executable (whose modules are
 * already in one file) and with `PLUME_OWN_BUNDLE=off`.
 *
 * `import.meta.url` in a bundled module is replaced by its source file's
 * URL, so that what a module finds next to itself (the built-in plugins)
 * it finds next to its source; plugin processes run the bundle's copy of
 * `host.ts`.
 *
 * @module
 */

import { fileUrlToPath } from "../util/file_url.ts";
import { fileSizeLimited } from "../util/file_size_limit.ts";

type CommandLine = typeof import("./command_line.ts");

/** The checkout: the folder of `main.ts`, `deno.json` and `core/`. */
const ROOT = new URL("../../", import.meta.url);
/** Changes whenever the way the bundle is made changes, so that a bundle made otherwise is not used. */
const FORMAT = "3";
/** The modules the bundle starts from (relative to the checkout), and what they become in it. */
const ENTRIES = ["core/app/command_line.ts", "core/plugin/sandbox/host.ts"] as const;
const bundled = (entry: string) => entry.replace(/\.ts$/, ".js");
/** How many bundles a checkout keeps: runs of older sources may still load chunks from theirs. */
const KEEP = 4;

/**
 * The command line's module: from the cached bundle (built first when the
 * sources changed), else from the sources.
 */
export async function loadCommandLine(): Promise<CommandLine> {
  const dir = ROOT.protocol === "file:" && !Deno.build.standalone && wanted()
    ? await ownBundle(fileUrlToPath(ROOT)).catch(() => undefined)
    : undefined;
  if (dir !== undefined) {
    try {
      const cli: CommandLine = await import(new URL(bundled(ENTRIES[0]), dir).href);
      cli.useHostModule(fileUrlToPath(new URL(bundled(ENTRIES[1]), dir)));
      return cli;
    } catch {
      // A bundle damaged since it was built: the sources still run (their modules are others than the bundle's).
    }
  }
  // A computed specifier: Deno follows a literal one before plume's first line runs, reading and checking
  // every source module it leads to (about 150, 9 ms of `plume -version`'s 36), which a run from the bundle
  // never loads. (`deno compile` is told to include them: build/compile.ts.)
  const sources = "./command_line.ts";
  return await import(sources);
}

function wanted(): boolean {
  try {
    return Deno.env.get("PLUME_OWN_BUNDLE") !== "off";
  } catch {
    return false;
  }
}

/**
 * The bundle of the checkout at `root` (a path ending in `/`), as a
 * directory URL: the cached one, or one built now.
 *
 * @throws when it can be neither found nor built
 */
export async function ownBundle(root: string): Promise<URL> {
  const cache = `${root}.cache/modules`;
  // Code run with all of plume's permissions: only from a folder no one else could have written to.
  if (!isPrivate(cache)) throw new Error(`${cache} is writable by others`);
  const key = await sourceKey(root);
  const dir = `${cache}/${key}`;
  const url = new URL(`.cache/modules/${key}/`, ROOT);
  if (isComplete(dir)) return url;
  // Under a file-size limit (`ulimit -f`) the build's writes would end plume with SIGXFSZ: this run uses the sources,
  // and a later one builds.
  if (fileSizeLimited()) throw new Error("a file-size limit is set: plume's bundle is not built in this run");
  // A build that failed for these sources (offline without esbuild, a read-only checkout) is not tried at every run.
  const failed = `${cache}/failed-${key}`;
  if (ageMs(failed) < DAY) throw new Error("building plume's bundle failed before");
  Deno.mkdirSync(cache, { recursive: true, mode: 0o755 });
  // One run builds (and trains, a second or two of CPU); runs started meanwhile use the sources rather than
  // build the same bundle on the same cores (a test suite starts many at once).
  const lock = `${cache}/lock-${key}`;
  if (!takeLock(lock)) throw new Error("another run is building plume's bundle");
  try {
    // Built by the run that held the lock a moment ago.
    if (isComplete(dir)) return url;
    await build(root, cache, dir);
  } catch (err) {
    try {
      Deno.writeTextFileSync(failed, `${err instanceof Error ? err.message : String(err)}\n`);
    } catch {
      // A checkout that cannot be written cannot remember either: each run tries again.
    }
    throw err;
  } finally {
    removeQuietly(lock);
  }
  return url;
}

/** How old a build's lock may be before it counts as left by a run that was killed. */
const LOCK_STALE_MS = 120_000;

/** Takes the lock directory `path`, unless another run holds it. */
function takeLock(path: string): boolean {
  for (let tries = 0; tries < 2; tries++) {
    try {
      Deno.mkdirSync(path, { mode: 0o700 });
      return true;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists) || ageMs(path) < LOCK_STALE_MS) return false;
      removeQuietly(path);
    }
  }
  return false;
}

const HOUR = 3600_000, DAY = 24 * HOUR;

/** How long ago `path` was modified (ms), or Infinity when it does not exist. */
function ageMs(path: string): number {
  try {
    return Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
  } catch {
    return Infinity;
  }
}

/** True when `dir` is missing (it will be made so), or owned by this user and writable by no one else. */
function isPrivate(dir: string): boolean {
  let info;
  try {
    info = Deno.statSync(dir);
  } catch {
    return true;
  }
  try {
    return (info.uid === null || info.uid === Deno.uid()) && ((info.mode ?? 0) & 0o022) === 0;
  } catch {
    return false; // No permission to know who we are: not sure enough.
  }
}

/** A bundle is complete once renamed into place: its entries exist. */
function isComplete(dir: string): boolean {
  try {
    return ENTRIES.every((e) => Deno.statSync(`${dir}/${bundled(e)}`).isFile);
  } catch {
    return false;
  }
}

/** The cache key of the sources at `root`: a digest of every bundled module's path, size and modification time. */
export async function sourceKey(root: string): Promise<string> {
  const lines = [FORMAT, Deno.version.deno, root];
  const stamp = (rel: string) => {
    const s = Deno.statSync(`${root}${rel}`);
    lines.push(`${rel} ${s.size} ${s.mtime?.getTime()} ${s.ino}`);
  };
  const walk = (rel: string) => {
    const names = [...Deno.readDirSync(`${root}${rel}`)].sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of names) {
      if (e.isDirectory) walk(`${rel}${e.name}/`);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) stamp(`${rel}${e.name}`);
    }
  };
  stamp("deno.json");
  walk("core/");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(lines.join("\n")));
  return Array.from(new Uint8Array(digest).subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds the bundle into a directory of its own, then renames it to `dir` (unless another run was first). */
async function build(root: string, cache: string, dir: string): Promise<void> {
  const bundler = "../plugin/bundle.ts"; // computed, as above: only a build needs it
  const { loadEsbuild, stopEsbuild }: typeof import("../plugin/bundle.ts") = await import(bundler);
  const esbuild = await loadEsbuild();
  const tmp = Deno.makeTempDirSync({ dir: cache, prefix: "building-" });
  try {
    await esbuild.build({
      entryPoints: ENTRIES.map((e) => `${root}${e}`),
      outbase: root,
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "neutral",
      target: "esnext",
      // Without comments and indentation: less to read and parse at every start (names stay, for stack traces).
      minifyWhitespace: true,
      external: ["node:*", "npm:*"],
      logLevel: "silent",
      plugins: [{
        name: "plume-sources",
        // esbuild's types are not imported (it loads lazily, as `any`).
        // deno-lint-ignore no-explicit-any
        setup(b: any) {
          b.onLoad({ filter: /\.ts$/ }, async (args: { path: string }) => {
            const url = new URL(args.path.slice(root.length), ROOT).href;
            const text = await Deno.readTextFile(args.path);
            return { contents: text.replaceAll("import.meta.url", JSON.stringify(url)), loader: "ts" };
          });
        },
      }],
    });
    // Only faster or as it was: a rewrite that fails leaves the bundle as esbuild made it.
    await makeEager(root, tmp, esbuild).catch(() => {});
    try {
      Deno.renameSync(tmp, dir);
    } catch (err) {
      // Another run renamed its bundle of the same sources into place first: use that one.
      if (!isComplete(dir)) throw err;
    }
  } finally {
    await stopEsbuild();
    removeQuietly(tmp);
  }
  prune(cache);
}

/**
 * Makes the functions a training run of the bundle in `dir` calls eager
 * (`eager_functions.ts`, `startup_profile.ts`): each file rewritten is
 * parsed again by esbuild, and a file the rewrite is unsure of, or whose
 * rewrite does not parse, stays as esbuild made it.
 */
// deno-lint-ignore no-explicit-any
async function makeEager(root: string, dir: string, esbuild: any): Promise<void> {
  // Computed, as above: only a build needs them.
  const eagerModule = "./eager_functions.ts", profileModule = "./startup_profile.ts";
  const { eagerFunctions }: typeof import("./eager_functions.ts") = await import(eagerModule);
  const { startupFunctions }: typeof import("./startup_profile.ts") = await import(profileModule);
  const sieve = `${root}tests/guest/bin/sieve`;
  const started = await startupFunctions(dir, `${root}deno.json`, isFile(sieve) ? sieve : undefined);
  for (const [file, offsets] of started) {
    const path = `${dir}/${file}`;
    let code;
    try {
      code = Deno.readTextFileSync(path);
    } catch {
      continue; // the training run's own entry, gone
    }
    const eager = eagerFunctions(code, (at) => offsets.has(at));
    if (eager === undefined || eager === code) continue;
    try {
      await esbuild.transform(eager, { format: "esm", logLevel: "silent" });
    } catch {
      continue;
    }
    // Whole or not at all: a write cut short (a full disk) must not leave half a chunk in a bundle that is used.
    Deno.writeTextFileSync(`${path}.eager`, eager);
    Deno.renameSync(`${path}.eager`, path);
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch {
    // Gone already (renamed into place), or not ours to remove: nothing to do.
  }
}

/**
 * Removes all but the {@link KEEP} newest bundles, builds abandoned for an
 * hour (a run killed while building) and failures a day old.
 */
function prune(cache: string): void {
  const entries = [...Deno.readDirSync(cache)].map((e) => ({ name: e.name, path: `${cache}/${e.name}` }))
    .map((e) => ({ ...e, age: ageMs(e.path) }));
  for (const e of entries) {
    if (e.name.startsWith("building-") && e.age > HOUR) removeQuietly(e.path);
    if (e.name.startsWith("failed-") && e.age > DAY) removeQuietly(e.path);
    if (e.name.startsWith("lock-") && e.age > HOUR) removeQuietly(e.path);
  }
  const bundles = entries.filter((e) => /^[0-9a-f]+$/.test(e.name)).sort((a, b) => a.age - b.age);
  for (const e of bundles.slice(KEEP)) removeQuietly(e.path);
}
