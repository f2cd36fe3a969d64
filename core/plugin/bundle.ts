/**
 * Bundling a plugin at load time, with the allowlist enforced the way a
 * dynamic loader refuses an `undefined symbol`: the plugin and its relative
 * imports become one CommonJS script whose only import is the API object.
 *
 * Refused, with the file, line and offending name:
 * - importing a name `"qemu-plugin"` does not export;
 * - importing any other module (`node:`, `npm:`, `jsr:`, URLs, bare names);
 * - dynamic `import()` and `require`;
 * - free references to globals a plugin may not name (`Deno`, `fetch`,
 *   `globalThis`…: everything outside `plugin_globals.ts`), found by
 *   esbuild's own scope analysis: each is `define`d to a marker and the
 *   markers are looked up in the output through its source map.
 *
 * esbuild never touches the file system: every file is read here and
 * handed to it, so the same code works with the native esbuild (a
 * checkout: about 20 ms a plugin) and with esbuild-wasm (the compiled
 * binary, which cannot spawn esbuild's executable from its embedded file
 * system: about 1 s to compile the WebAssembly first). Bundles are cached
 * by content hash.
 *
 * @module
 */

import type { SpawnOptions } from "node:child_process";
import { PLUGIN_API_NAMES } from "./allowlist_generated.ts";
import { ABSENT_GLOBALS, forbiddenGlobals, REACHABLE_GLOBALS, UNNAMEABLE_GLOBALS } from "./plugin_globals.ts";

/** A plugin that cannot be loaded: one line for the user. */
export class PluginLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginLoadError";
  }
}

/** How to bundle a plugin. */
export interface BundleOptions {
  /** Globals the instance's grants make reachable (see `GRANT_GLOBALS`). @default [] */
  allowed?: readonly string[];
  /** Which esbuild. @default the one {@link loadEsbuild} picks */
  esbuild?: Esbuild;
  /** Cache directory, or null for none. @default {@link cacheDir} */
  cache?: string | null;
  /** The time files' last changes are judged against (tests move it on). @default Date.now */
  now?: () => number;
  /** Milliseconds esbuild may take before the load fails (and its service is stopped). @default no bound */
  timeoutMs?: number;
}

/** A bundled plugin. */
export interface Bundle {
  /** CommonJS code expecting `module`, `exports` and `__plume_api__`. */
  code: string;
  /** Source files that went into it. */
  files: string[];
  /** True when it came from the cache. */
  cached: boolean;
}

// deno-lint-ignore no-explicit-any
type Esbuild = any;

let esbuildPromise: Promise<Esbuild> | undefined;

/**
 * Imports an npm package named in deno.json's imports. The specifier is
 * not a literal on purpose: Deno resolves literal dynamic imports when the
 * program starts, so every run of plume, plugins or not, would resolve
 * (and on a fresh machine download and announce on stderr) esbuild.
 */
function importPackage(name: "esbuild" | "esbuild-wasm"): Promise<{ default?: Esbuild } & Esbuild> {
  return import(name);
}

/**
 * Runs `start`, which starts esbuild's service process, with that process's
 * stderr going nowhere. esbuild's JavaScript API spawns its service (the Go
 * executable, or Node running esbuild-wasm) with plume's own stderr, where a
 * source that overflows the service's stack put hundreds of lines of the Go
 * runtime's trace (a quote in a regular expression hides a chain of
 * operators from {@link operatorRun}); plume reports the failure in one line
 * instead. The service reports its errors through its pipe, not stderr.
 */
async function withServiceStderrIgnored<T>(start: () => Promise<T>): Promise<T> {
  const childProcess = (await import("node:child_process")).default;
  const spawn = childProcess.spawn;
  // esbuild spawns its service synchronously within the API call, so the replacement is in place only meanwhile.
  const quiet = (command: string, args: readonly string[], options: SpawnOptions) => {
    const [stdin = "pipe", stdout = "pipe"] = Array.isArray(options?.stdio) ? options.stdio : [];
    return spawn(command, args, { ...options, stdio: [stdin, stdout, "ignore"] });
  };
  childProcess.spawn = quiet as typeof spawn;
  let started: Promise<T>;
  try {
    started = start();
  } finally {
    childProcess.spawn = spawn;
  }
  return await started;
}

/**
 * Loads esbuild: the native one when its executable can be spawned, else
 * esbuild-wasm. `PLUME_ESBUILD=wasm` forces the WebAssembly build.
 */
export function loadEsbuild(): Promise<Esbuild> {
  esbuildPromise ??= (async () => {
    await stopped;
    if (Deno.env.get("PLUME_ESBUILD") !== "wasm") {
      try {
        const mod = await importPackage("esbuild");
        const esbuild = mod.default ?? mod;
        await startService(esbuild);
        return esbuild;
      } catch { /* no executable: fall back to WebAssembly */ }
    }
    return await loadEsbuildWasm();
  })();
  return esbuildPromise;
}

/** Loads esbuild-wasm (what the compiled binary uses; exported for tests). */
export async function loadEsbuildWasm(): Promise<Esbuild> {
  const mod = await importPackage("esbuild-wasm");
  const esbuild = mod.default ?? mod;
  await withServiceStderrIgnored(() => esbuild.initialize({ worker: false })).catch((err: Error) => {
    // Initializing twice is an error; the first initialization is the one in use.
    if (!/more than once/.test(err.message)) throw err;
  });
  await startService(esbuild);
  return esbuild;
}

/**
 * Waits for esbuild's service to answer a call that does no work:
 * esbuild-wasm's (Node) compiles esbuild's WebAssembly before its first
 * answer, half a second here and seconds on a loaded machine, which is not
 * to be counted in the bound of a plugin's bundle.
 */
async function startService(esbuild: Esbuild): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      withServiceStderrIgnored<unknown>(() => esbuild.transform("", {})),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer after ${SERVICE_START_MS / 1000} s`)), SERVICE_START_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long esbuild's service may take to answer its first call: a minute, for a machine loaded as heavily as CI's. */
const SERVICE_START_MS = 60_000;

/** A bundle that failed because esbuild's service did (crashed or stopped answering), not because of a message. */
class ServiceFailure extends PluginLoadError {}

/** The bundles being made by the shared service, each told whether another ran beside it. */
const bundling = new Set<{ shared: boolean }>();

/** The tail of the bundles run one at a time ({@link oneAtATime}). */
let alone: Promise<unknown> = Promise.resolve();

/** Runs `f` once every bundle run this way before it has ended. */
function oneAtATime<T>(f: () => Promise<T>): Promise<T> {
  const run = alone.then(f, f);
  alone = run.catch(() => {});
  return run;
}

/** Settles once the service stopped last has stopped: the next one starts after it. */
let stopped: Promise<void> = Promise.resolve();

/**
 * Stops esbuild's service (`which`, when it is still the current one) so
 * that the process can exit, or a service a source crashed is replaced.
 * The next {@link loadEsbuild} starts a new service once this one has
 * stopped: esbuild-wasm has one service per process, and a stop that
 * overlapped a start ended the new service (an innocent plugin's bundle
 * failed as "The service was stopped").
 */
export function stopEsbuild(which: Promise<Esbuild> | undefined = esbuildPromise): Promise<void> {
  if (which === undefined || which !== esbuildPromise) return stopped;
  esbuildPromise = undefined;
  const before = stopped;
  stopped = (async () => {
    await before;
    try {
      await (await which).stop?.();
    } catch { /* a service that failed to start has nothing to stop */ }
  })();
  return stopped;
}

/** The `"qemu-plugin"` module as plugins see it: the allowlisted names, nothing else. */
export function apiModuleSource(): string {
  return `const api = __plume_api__;\n` + PLUGIN_API_NAMES.map((n) => `export const ${n} = api.${n};`).join("\n");
}

const LOADERS: Record<string, string> = { ".ts": "ts", ".mts": "ts", ".js": "js", ".mjs": "js", ".tsx": "tsx" };

function loaderOf(path: string): string {
  const ext = path.slice(path.lastIndexOf("."));
  return LOADERS[ext] ?? "ts";
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Largest plugin source file, and all of a plugin's files together, in
 * bytes. The bundler holds about fifty times a source's size while it
 * works (a 16 MB source took plume to 975 MB); real plugins are a few
 * kilobytes.
 */
export const MAX_PLUGIN_FILE_BYTES = 1 << 20;
/** See {@link MAX_PLUGIN_FILE_BYTES}. */
const MAX_PLUGIN_SOURCE_BYTES = 4 << 20;
/**
 * Deepest nesting of brackets in a plugin source: esbuild's parser is
 * recursive, and 200,000 nested `[` crashed it with its runtime's stack
 * trace on plume's stderr. Real code stays far below.
 */
const MAX_PLUGIN_NESTING = 512;
/**
 * Longest chain of operator characters (`! ~ - + * = ? : < > & | ^ % /`)
 * a plugin source may have without a `;`, `,` or `}` between them: esbuild's parser recurses on each prefix operator, arrow,
 * assignment and conditional of a chain too, and 200,000 `!`, 300,000
 * `x=>` or 450,000 `a=` crashed it (its runtime's stack trace, 433 lines on
 * plume's stderr). Real code breaks its expressions long before.
 */
const MAX_PLUGIN_OPERATOR_RUN = 10_000;

/**
 * A regular file's text, read to at most {@link MAX_PLUGIN_FILE_BYTES}
 * whatever its size says (procfs's files say 0: `/proc/self/pagemap` holds
 * 256 GiB); "not a file" for anything else (a pipe, a device: never opened,
 * since opening a FIFO waits for its writer), "too large" past the bound.
 */
async function readBounded(path: string): Promise<{ text: string } | { refused: "not a file" | "too large" }> {
  if (!(await Deno.stat(path)).isFile) return { refused: "not a file" };
  const f = await Deno.open(path);
  try {
    if (!(await f.stat()).isFile) return { refused: "not a file" };
    // Room for one read past the bound, of 8 bytes: procfs's pagemap takes only multiples of 8.
    const buf = new Uint8Array(MAX_PLUGIN_FILE_BYTES + 8);
    let n = 0;
    for (;;) {
      const got = n < buf.length ? await f.read(buf.subarray(n, Math.min(buf.length, n + 65536))) : null;
      if (got === null) break;
      n += got;
    }
    if (n > MAX_PLUGIN_FILE_BYTES) return { refused: "too large" };
    return { text: new TextDecoder().decode(buf.subarray(0, n)) };
  } finally {
    f.close();
  }
}

/** Reads one plugin source file: a regular file within the size bound, nested within the bound. */
async function readSource(path: string): Promise<string> {
  const read = await readBounded(path);
  if ("refused" in read) {
    throw new PluginLoadError(
      read.refused === "not a file"
        ? `${path}: not a regular file`
        : `${path}: larger than ${MAX_PLUGIN_FILE_BYTES} bytes`,
    );
  }
  const text = read.text;
  const depth = nesting(text);
  if (depth > MAX_PLUGIN_NESTING) {
    throw new PluginLoadError(`${path}: brackets nested ${depth} deep (at most ${MAX_PLUGIN_NESTING})`);
  }
  const run = operatorRun(text);
  if (run > MAX_PLUGIN_OPERATOR_RUN) {
    throw new PluginLoadError(`${path}: ${run} operators in one expression (at most ${MAX_PLUGIN_OPERATOR_RUN})`);
  }
  return text;
}

/** Operator characters, by code: see {@link MAX_PLUGIN_OPERATOR_RUN}. */
const OPERATOR = new Uint8Array(128);
for (const c of "!~-+*=?:<>&|^%/") OPERATOR[c.charCodeAt(0)] = 1;

/**
 * The most operator characters in a source with no `;`, `,` or `}`
 * between them (a `)` or `]` ends no chain: `(x)=>(x)=>…` and
 * `a[0]=a[0]=…` are chains too): an upper bound on how deeply one expression can make
 * a parser recurse through its operators. What quotes hold is skipped (a
 * long line of dashes in a string is no expression), but the quotes end
 * no chain (`a?"x":a?"y":…` is one); template literals are read through,
 * since their `${}` hold expressions.
 */
export function operatorRun(text: string): number {
  let run = 0, max = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 || ch === 0x27) {
      // A string: to its closing quote (or the line's end, where an unclosed one is an error anyway).
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 0x5c) i++;
        else if (c === ch || c === 0x0a) break;
      }
    } else if (ch < 128 && OPERATOR[ch]) {
      if (++run > max) max = run;
    } else if (ch === 0x3b || ch === 0x2c || ch === 0x7d) run = 0;
  }
  return max;
}

/**
 * The deepest nesting of `(`, `[` and `{` in a source, strings, comments,
 * template literals and regular expressions included: an upper bound that
 * needs no parser (template expressions and regular expressions made a
 * parser-like scan undercount), and real code stays far below the limit.
 */
export function nesting(text: string): number {
  let depth = 0, max = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x28 || ch === 0x5b || ch === 0x7b) {
      if (++depth > max) max = depth;
    } else if ((ch === 0x29 || ch === 0x5d || ch === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/**
 * Where a relative import of the plugin may lead: a script file (by its
 * extension) whose real path lies under the entry file's own directory.
 * The bundler reads files with plume's permissions, so without this bound
 * `import "../../home/me/.env"` would compile a secret into the plugin
 * (a dotenv file is valid JavaScript), and a parse error would show a piece
 * of any other file.
 */
function inPluginTree(root: string, path: string): boolean {
  if (!Object.hasOwn(LOADERS, path.slice(path.lastIndexOf(".")))) return false;
  try {
    const real = Deno.realPathSync(path);
    return real.startsWith(root.endsWith("/") ? root : `${root}/`);
  } catch {
    return false;
  }
}

/** Decodes a source map's mappings into [generated line, generated column, source, original line, original column]. */
function decodeMappings(mappings: string): number[][] {
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const out: number[][] = [];
  let src = 0, oline = 0, ocol = 0;
  const lines = mappings.split(";");
  for (let gl = 0; gl < lines.length; gl++) {
    let gcol = 0;
    for (const seg of lines[gl].split(",")) {
      if (!seg) continue;
      const vals: number[] = [];
      let shift = 0, value = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
          shift = value = 0;
        }
      }
      gcol += vals[0];
      if (vals.length >= 4) {
        src += vals[1];
        oline += vals[2];
        ocol += vals[3];
        out.push([gl, gcol, src, oline, ocol]);
      }
    }
  }
  return out;
}

/**
 * Finds free references to forbidden globals in one source file: returns
 * the first as `[name, line, column]` (1-based line), or undefined.
 */
async function findForbiddenGlobal(
  esbuild: Esbuild,
  contents: string,
  path: string,
  forbidden: readonly string[],
): Promise<[string, number, number] | undefined> {
  const define: Record<string, string> = {};
  forbidden.forEach((name, i) => (define[name] = `__plume_forbidden_${i}__`));
  const out = await esbuild.transform(contents, {
    loader: loaderOf(path),
    define,
    sourcemap: "external",
    sourcefile: path,
    format: "esm",
    target: "esnext",
  });
  const re = /__plume_forbidden_(\d+)__/g;
  const lines = out.code.split("\n");
  const maps = decodeMappings(JSON.parse(out.map).mappings);
  for (let l = 0; l < lines.length; l++) {
    re.lastIndex = 0;
    const m = re.exec(lines[l]);
    if (!m) continue;
    const col = m.index;
    let best: number[] | undefined;
    for (const seg of maps) if (seg[0] === l && seg[1] <= col && (!best || seg[1] >= best[1])) best = seg;
    return [forbidden[Number(m[1])], best ? best[3] + 1 : 0, best ? best[4] : 0];
  }
  return undefined;
}

interface Message {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

function formatMessage(m: Message): string {
  let text = m.text;
  const noExport = /^No matching export in "[^"]*" for import "([^"]+)"$/.exec(text);
  if (noExport) text = `undefined symbol '${noExport[1]}' (not exported by "qemu-plugin")`;
  const loc = m.location;
  if (!loc) return text;
  // Files are named as the user would: without esbuild's namespace, relative to the working directory.
  let file = loc.file.replace(/^plume-file:/, "");
  const cwd = Deno.cwd() + "/";
  if (file.startsWith(cwd)) file = file.slice(cwd.length);
  return `${file}:${loc.line}:${loc.column + 1}: ${text}`;
}

/**
 * The esbuild plugin that resolves and loads every file itself and
 * enforces the allowlist.
 */
function guard(
  esbuild: Esbuild,
  forbidden: readonly string[],
  files: Map<string, string>,
  root: string,
  stamps: Stamps,
  now: () => number,
) {
  return {
    name: "plume-allowlist",
    // deno-lint-ignore no-explicit-any
    setup(build: any) {
      // deno-lint-ignore no-explicit-any
      build.onResolve({ filter: /.*/ }, (args: any) => {
        if (args.kind === "entry-point") return { path: args.path, namespace: "plume-file" };
        if (args.kind === "dynamic-import") {
          return { errors: [{ text: `dynamic import() of '${args.path}' is not allowed` }] };
        }
        if (args.kind === "require-call" || args.kind === "require-resolve") {
          return { errors: [{ text: `require('${args.path}') is not allowed` }] };
        }
        if (args.path === "qemu-plugin") return { path: "qemu-plugin", namespace: "plume-api" };
        if (args.path.startsWith("./") || args.path.startsWith("../")) {
          const base = normalize(`${dirname(args.importer)}/${args.path}`);
          for (const candidate of [base, `${base}.ts`, `${base}.js`]) {
            if (!exists(candidate)) continue;
            if (!inPluginTree(root, candidate)) {
              return {
                errors: [{
                  text: `import of '${args.path}' is not allowed (only .ts/.js files under the plugin's directory)`,
                }],
              };
            }
            return { path: candidate, namespace: "plume-file" };
          }
          return { errors: [{ text: `cannot find module '${args.path}'` }] };
        }
        return {
          errors: [{
            text: `module '${args.path}' is not allowed (only "qemu-plugin" and relative files may be imported)`,
          }],
        };
      });
      build.onLoad({ filter: /.*/, namespace: "plume-api" }, () => ({ contents: apiModuleSource(), loader: "js" }));
      // deno-lint-ignore no-explicit-any
      build.onLoad({ filter: /.*/, namespace: "plume-file" }, async (args: any) => {
        let contents: string;
        try {
          takeStamp(stamps, args.path, now());
          contents = await readSource(args.path);
        } catch (err) {
          return { errors: [{ text: `cannot read ${args.path}: ${(err as Error).message}` }] };
        }
        let total = contents.length;
        for (const text of files.values()) total += text.length;
        if (total > MAX_PLUGIN_SOURCE_BYTES) {
          return { errors: [{ text: `the plugin's sources are larger than ${MAX_PLUGIN_SOURCE_BYTES} bytes` }] };
        }
        files.set(args.path, contents);
        const bad = await findForbiddenGlobal(esbuild, contents, args.path, forbidden);
        if (bad) {
          const [name, line, column] = bad;
          return {
            errors: [{
              text:
                `reference to global '${name}' is not allowed (plugins reach the emulator only through "qemu-plugin")`,
              location: { file: args.path, line, column, lineText: contents.split("\n")[line - 1] ?? "" },
            }],
          };
        }
        return { contents, loader: loaderOf(args.path), resolveDir: dirname(args.path) };
      });
    },
  };
}

/** The real path of the directory holding the plugin's entry file: its imports stay under it. */
function pluginRoot(entry: string): string {
  try {
    return dirname(Deno.realPathSync(entry));
  } catch {
    return dirname(entry);
  }
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bundle cache directory: `$XDG_CACHE_HOME/plume/plugins` or `~/.cache/plume/plugins`. */
function cacheDir(): string | undefined {
  try {
    const xdg = Deno.env.get("XDG_CACHE_HOME");
    const home = Deno.env.get("HOME");
    const root = xdg || (home ? `${home}/.cache` : undefined);
    return root ? `${root}/plume/plugins` : undefined;
  } catch {
    return undefined;
  }
}

/** Cache key material that changes whenever the allowlist or the rules change. */
const RULES_VERSION = "2:" + PLUGIN_API_NAMES.join(",");

/**
 * What decides a bundle besides its files and grants, for its stamp: the
 * forbidden globals follow from Deno's version (its runtime's globals) and
 * plume's lists. Not the forbidden list itself: it also holds names a
 * process gains on the way (Node's `nodeBootstrap` once esbuild loaded),
 * which would make the stamp of one run miss in the next.
 */
const STAMP_RULES = [RULES_VERSION, Deno.version.deno, REACHABLE_GLOBALS, UNNAMEABLE_GLOBALS, ABSENT_GLOBALS].join(
  "\n",
);

/**
 * How long ago a file must have last changed for its `stat` to stand for its
 * content: a change within the same clock tick as the `stat` (or after the
 * content was read) leaves it looking unchanged, so a file changed this
 * recently is never stamped (as git treats "racily clean" index entries).
 */
const SETTLED_MS = 2000;

/**
 * What a file's `stat` says of its identity and last change, or undefined
 * when it changed too recently to be trusted ({@link SETTLED_MS}). `ctime`
 * is in it because only the kernel sets it: `touch -d` can put `mtime` back.
 */
function stampOf(path: string, now: number): string | undefined {
  const s = Deno.statSync(path);
  const mtime = s.mtime?.getTime(), ctime = s.ctime?.getTime();
  if (!s.isFile || mtime === undefined || ctime === undefined) return undefined;
  if (now - mtime < SETTLED_MS || now - ctime < SETTLED_MS) return undefined;
  return `${s.dev} ${s.ino} ${s.size} ${mtime} ${ctime}`;
}

/** The stamp file of a bundle's key material: a 32-bit FNV-1a of it names the file, which holds the material itself. */
function stampPath(dir: string, material: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < material.length; i++) h = Math.imul(h ^ material.charCodeAt(i), 0x01000193);
  return `${dir}/${(h >>> 0).toString(16).padStart(8, "0")}.stamp.json`;
}

/**
 * The bundle recorded for `material` when every file that went into it
 * has the `stat` it had then: a cached load reads and hashes nothing (the
 * content check below took about 11 ms of plume's main thread in a load,
 * while the plugin's process boots).
 */
function readStamped(dir: string | null | undefined, material: string, now: number): Bundle | undefined {
  if (!dir) return undefined;
  try {
    const entry = JSON.parse(Deno.readTextFileSync(stampPath(dir, material))) as {
      material: string;
      files: [string, string][];
      code: string;
    };
    if (entry.material !== material || typeof entry.code !== "string" || entry.files.length === 0) return undefined;
    for (const [path, stamp] of entry.files) if (stampOf(path, now) !== stamp) return undefined;
    return { code: entry.code, files: entry.files.map(([p]) => p), cached: true };
  } catch {
    return undefined;
  }
}

/** Each file's stamp taken just before its content was read (undefined: too recent, or unreadable). */
type Stamps = Map<string, string | undefined>;

function takeStamp(stamps: Stamps, path: string, now: number): void {
  try {
    stamps.set(path, stampOf(path, now));
  } catch {
    stamps.set(path, undefined);
  }
}

/**
 * Records `bundle`'s files' stamps for {@link readStamped}: those taken
 * before their content was read (`before`), each settled by then and still
 * the file's now; else nothing (a file saved while the bundle was built
 * would have the new stamp beside the old code).
 */
function writeStamped(
  dir: string | null | undefined,
  material: string,
  bundle: Bundle,
  before: Stamps,
  now: number,
): void {
  if (!dir) return;
  try {
    const files: [string, string][] = [];
    for (const path of bundle.files) {
      const stamp = before.get(path);
      if (stamp === undefined || stampOf(path, now) !== stamp) return;
      files.push([path, stamp]);
    }
    Deno.mkdirSync(dir, { recursive: true });
    const target = stampPath(dir, material), tmp = `${target}.${crypto.randomUUID()}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify({ material, files, code: bundle.code }));
    Deno.renameSync(tmp, target);
  } catch { /* a read-only cache only costs time */ }
}

async function readCache(
  dir: string | null | undefined,
  key: string,
  stamps: Stamps,
  now: number,
): Promise<Bundle | undefined> {
  if (!dir) return undefined;
  try {
    const entry = JSON.parse(await Deno.readTextFile(`${dir}/${key}.json`)) as {
      files: [string, string][];
      code: string;
    };
    let total = 0;
    for (const [path, hash] of entry.files) {
      takeStamp(stamps, path, now);
      // Read as the bundler reads a source (a regular file within the bounds): a file since turned into a link to a
      // pipe, a device or a huge file is a miss, not a wait, the guest's stdin read, or a gigabyte held.
      const read = await readBounded(path);
      if ("refused" in read) return undefined;
      total += read.text.length;
      if (total > MAX_PLUGIN_SOURCE_BYTES || await sha256(read.text) !== hash) return undefined;
    }
    return { code: entry.code, files: entry.files.map(([p]) => p), cached: true };
  } catch {
    return undefined;
  }
}

async function writeCache(
  dir: string | null | undefined,
  key: string,
  files: Map<string, string>,
  code: string,
): Promise<void> {
  if (!dir) return;
  try {
    const list: [string, string][] = [];
    for (const [path, text] of files) list.push([path, await sha256(text)]);
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${dir}/${key}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ files: list, code }));
    await Deno.rename(tmp, `${dir}/${key}.json`);
  } catch { /* a read-only cache only costs time */ }
}

/**
 * Bundles the plugin at absolute path `entry`.
 *
 * @throws {PluginLoadError} naming the file, line and offending name
 *
 * @example
 * ```ts
 * import { bundlePlugin, stopEsbuild } from "./bundle.ts";
 * import { fileUrlToPath } from "../util/file_url.ts";
 * import { deepStrictEqual, ok } from "node:assert";
 * const entry = fileUrlToPath(new URL("../../plugins/hotblocks.ts", import.meta.url));
 * const { code, files } = await bundlePlugin(entry, { cache: null });
 * ok(code.includes("qemu_plugin_install"));
 * deepStrictEqual(files, [entry]);
 * await stopEsbuild(); // its service would keep the process alive
 * ```
 */
export async function bundlePlugin(entry: string, opts: BundleOptions = {}): Promise<Bundle> {
  const allowed = opts.allowed ?? [], using = opts.esbuild, cache = opts.cache === undefined ? cacheDir() : opts.cache;
  const material = `${STAMP_RULES}\n${[...allowed].sort().join(",")}\n${entry}`;
  const now = opts.now ?? Date.now;
  // In the compiled executable the built-in plugins are files of its embedded file system, whose stat may not change
  // when the executable does: its bundles are checked by content only.
  const stampDir = Deno.build.standalone ? null : cache;
  const stamped = readStamped(stampDir, material, now());
  if (stamped) return stamped;
  let source: string;
  try {
    source = await readSource(entry);
  } catch (err) {
    if (err instanceof PluginLoadError) throw err;
    throw new PluginLoadError(
      `${entry}: ${err instanceof Deno.errors.NotFound ? "No such file or directory" : (err as Error).message}`,
    );
  }
  const forbidden = forbiddenGlobals(allowed);
  const key = await sha256(`${RULES_VERSION}\n${forbidden.join(",")}\n${entry}\n${source}`);
  const stamps: Stamps = new Map();
  const hit = await readCache(cache, key, stamps, now());
  if (hit) {
    writeStamped(stampDir, material, hit, stamps, now());
    return hit;
  }
  const files = new Map<string, string>();
  const attempt = async (service: Promise<Esbuild>) => {
    files.clear();
    stamps.clear();
    let timer: ReturnType<typeof setTimeout> | undefined, late = false, started = false;
    try {
      const esbuild = await service;
      started = true;
      // A service stopped after a crash starts again inside `build` (esbuild-wasm's `initialize` runs once only).
      const building = withServiceStderrIgnored<Esbuild>(() =>
        esbuild.build({
          entryPoints: [entry],
          // Messages name files relative to where the user runs plume.
          absWorkingDir: Deno.cwd(),
          bundle: true,
          write: false,
          format: "cjs",
          platform: "neutral",
          target: "es2022",
          logLevel: "silent",
          plugins: [guard(esbuild, forbidden, files, pluginRoot(entry), stamps, now)],
        })
      );
      const bound = opts.timeoutMs === undefined ? [] : [
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            late = true;
            reject(new Error("not done"));
          }, opts.timeoutMs);
        }),
      ];
      return await Promise.race([building, ...bound]);
    } catch (err) {
      const errors = (err as { errors?: Message[] }).errors;
      if (errors?.length) throw new PluginLoadError(formatMessage(errors[0]));
      // The service crashed on a source (its stack overflowed: Go ends the process, WebAssembly in Node stops
      // answering) or is still at it: a later bundle needs a service of its own.
      if (!using) await stopEsbuild(service);
      if (late) throw new ServiceFailure(`${entry}: bundling: not done after ${opts.timeoutMs! / 1000} s (watchdog)`);
      if (!started) throw new ServiceFailure(`${entry}: the bundler did not start: ${(err as Error).message}`);
      throw new ServiceFailure(`${entry}: the bundler failed on this source: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  };
  let result;
  // Whether another bundle ran in the same service meanwhile (and so may be the one that ended it). A bundle stays
  // listed while it is made again: one started meanwhile shares that service too.
  const mine = { shared: bundling.size > 0 };
  for (const other of bundling) other.shared = true;
  bundling.add(mine);
  try {
    result = await attempt(using ? Promise.resolve(using) : loadEsbuild());
  } catch (err) {
    if (!(err instanceof ServiceFailure) || using || !mine.shared) throw err;
    // Plugins are bundled at once by one service, so another plugin's source may have ended it: bundled again alone
    // (one plugin at a time, each with a new service), only the source that ends it fails, and its plugin is named.
    // A first attempt of another plugin may still join the service of a bundle made again: then again.
    for (;;) {
      mine.shared = false;
      try {
        result = await oneAtATime(() => attempt(loadEsbuild()));
        break;
      } catch (again) {
        if (!(again instanceof ServiceFailure) || !mine.shared) throw again;
      }
    }
  } finally {
    bundling.delete(mine);
  }
  const code = result.outputFiles[0].text as string;
  await writeCache(cache, key, files, code);
  const built = { code, files: [...files.keys()], cached: false };
  writeStamped(stampDir, material, built, stamps, now());
  return built;
}
