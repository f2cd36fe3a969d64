/**
 * Differential test harness: runs a guest program under `qemu-riscv64` (the
 * oracle) and under plume with the same arguments, environment, standard input
 * and working directory, normalizes the ways the two report a guest's death by
 * signal, and compares the results byte for byte.
 *
 * Both emulators pass their own environment to the guest, so both processes are
 * started with the same clean environment ({@link guestEnv}). Deno needs its
 * cache directory to run plume, so `DENO_DIR` is part of that environment for
 * both runs rather than only for plume: the guests must see identical bytes.
 *
 * @example Compare one program
 * ```ts
 * import { compareRuns, GUEST_BIN, runPlume, runQemu } from "./harness.ts";
 * const argv = [`${GUEST_BIN}/hello_asm`];
 * compareRuns("hello_asm", await runQemu(argv), await runPlume(argv)); // throws on any difference
 * ```
 *
 * @module
 */

import nodeAssert from "node:assert";
import { assertEquals } from "./assert.ts";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMANDS } from "../core/cli/options.ts";
import { SIGNAL_NUMBERS } from "../core/linux/signals.ts";

/** Repository root (the directory holding deno.json). */
export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Temporary directories made through {@link tempDir}, removed when the test process ends. */
const tempDirs: string[] = [];

/**
 * A fresh temporary directory, removed (with whatever the test left in it)
 * when the test process ends: tests leave no files behind.
 *
 * @param prefix the directory name's prefix
 * @returns the directory's path
 */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  if (tempDirs.length === 0) {
    globalThis.addEventListener("unload", () => {
      for (const d of tempDirs) {
        try {
          Deno.removeSync(d, { recursive: true });
        } catch { /* already gone */ }
      }
    });
  }
  tempDirs.push(dir);
  return dir;
}

/**
 * QEMU 7.2's own build of plugin `name` (`.cache/qemu-plugins/lib<name>.so`,
 * made by `build/fetch_qemu_plugins.sh`), or undefined when it was not built.
 */
export function qemuPlugin(name: string): string | undefined {
  const path = join(ROOT, ".cache", "qemu-plugins", `lib${name}.so`);
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** Why a comparison with QEMU's plugin `name` cannot run here (a test-name suffix), or "" when it can. */
export function qemuPluginMissing(name: string): string {
  if (!qemuAvailable()) return " (skipped: qemu-riscv64 not found)";
  if (!qemuPlugin(name)) {
    return ` (skipped: .cache/qemu-plugins/lib${name}.so not built; build/fetch_qemu_plugins.sh ${name})`;
  }
  return "";
}

/** Directory of the committed guest binaries. */
export const GUEST_BIN: string = join(ROOT, "tests", "guest", "bin");

/** Result of one emulator run, with a death by signal N reported as status 128+N. */
export interface RunResult {
  /** Everything the guest wrote to standard output. */
  stdout: Uint8Array;
  /** Standard error, with the uncaught-signal line in plume's spelling. */
  stderr: Uint8Array;
  /** Exit status; 128+N when the guest died of signal N. */
  status: number;
}

/** Options shared by {@link runQemu} and {@link runPlume}. */
export interface RunOptions {
  /** Working directory of the emulator (and so of the guest). @default a new empty temporary directory */
  cwd?: string;
  /** Complete environment of the emulator process, which it passes on to the guest. @default guestEnv() */
  env?: Record<string, string>;
  /** Bytes fed to the guest's standard input; none means an empty, closed stdin. */
  stdin?: Uint8Array;
  /** Emulator options placed before the program, e.g. `["-one-insn-per-tb"]`. */
  flags?: string[];
  /**
   * Run plume with its JIT warm-up, as users do. Off by default here: test programs are short, and
   * during the warm-up (`-jit-warmup`) most of their blocks would never be compiled, leaving the
   * compiled code untested; `-jit-warmup 0` compiles every block that ran a few times.
   */
  warmup?: boolean;
  /** Kill the run after this many milliseconds. @default 120000 */
  timeoutMs?: number;
  /** The qemu-riscv64 binary {@link runQemu} runs (QEMU 10's: {@link qemu10}). @default the installed qemu-riscv64 */
  qemu?: string;
}

/** Default per-run timeout: plume is an interpreter-backed JIT and the CI machine is small. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Linux signal numbers (the guest's and, on Linux hosts, the host's) by name. */
export { SIGNAL_NUMBERS };

/** glibc's strsignal() text for the signals whose default action dumps core. */
export const CORE_SIGNAL_NAMES: Readonly<Record<number, string>> = {
  3: "Quit",
  4: "Illegal instruction",
  5: "Trace/breakpoint trap",
  6: "Aborted",
  7: "Bus error",
  8: "Floating point exception",
  11: "Segmentation fault",
  24: "CPU time limit exceeded",
  25: "File size limit exceeded",
  31: "Bad system call",
};

/**
 * The line plume prints when the guest dies of an uncaught core-dumping signal.
 *
 * @param signo guest signal number
 * @returns the line with its newline, e.g. `plume: uncaught target signal 11 (Segmentation fault) - core dumped\n`
 * @example
 * ```ts
 * import { uncaughtSignalLine } from "./harness.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(uncaughtSignalLine(4), "plume: uncaught target signal 4 (Illegal instruction) - core dumped\n");
 * ```
 */
export function uncaughtSignalLine(signo: number): string {
  const name = CORE_SIGNAL_NAMES[signo];
  if (name === undefined) throw new RangeError(`Signal ${signo} does not dump core`);
  return `plume: uncaught target signal ${signo} (${name}) - core dumped\n`;
}

/**
 * Exit status of a finished process in shell convention: a death by signal N
 * becomes 128+N, as plume itself reports it.
 *
 * @param code the exit code Deno reports
 * @param signal the signal name Deno reports, or null for a normal exit
 * @returns the normalized status
 */
export function normalizeStatus(code: number, signal: string | null): number {
  if (signal === null) return code;
  const n = SIGNAL_NUMBERS[signal];
  if (n === undefined) throw new RangeError(`Unknown signal name ${signal}`);
  return 128 + n;
}

const QEMU_SIGNAL_LINE = /^qemu: uncaught target signal (\d+) \(([^)]*)\) - core dumped\n/m;

/**
 * Rewrites qemu's report of an uncaught guest signal into plume's form.
 *
 * QEMU kills itself with the guest's signal. Whether it prints
 * `qemu: uncaught target signal …` first depends on the target having ELF core
 * dump support: qemu-riscv64 7.2 has none and prints nothing. plume always
 * prints the line, so the qemu side gets it appended (or its prefix rewritten)
 * whenever qemu died of a core-dumping signal.
 *
 * @param stderr qemu's standard error
 * @param signal the signal that ended the qemu process, or null
 * @returns standard error as plume would have written it
 */
export function normalizeQemuStderr(stderr: Uint8Array, signal: string | null): Uint8Array {
  let text = latin1(stderr);
  const printed = QEMU_SIGNAL_LINE.exec(text);
  if (printed) text = text.replace(QEMU_SIGNAL_LINE, (line) => line.replace(/^qemu:/, "plume:"));
  const signo = signal === null ? undefined : SIGNAL_NUMBERS[signal];
  if (!printed && signo !== undefined && CORE_SIGNAL_NAMES[signo] !== undefined) {
    text += uncaughtSignalLine(signo);
  }
  return fromLatin1(text);
}

/** Byte-preserving bytes→string, so regular expressions can work on arbitrary output. */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return s;
}

function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let qemuChecked: boolean | undefined;
let qemuHelp: string | undefined;

/**
 * Translates plume's spelling of emulator flags into the one the installed
 * qemu understands: `-one-insn-per-tb` was called `-singlestep` before QEMU 8.1.
 *
 * @param flags flags as plume spells them
 * @param help the output of `qemu-riscv64 -h`
 * @returns the flags for that qemu
 */
export function qemuFlags(flags: readonly string[], help: string): string[] {
  const modern = help.includes("-one-insn-per-tb");
  return flags.map((f) => f === "-one-insn-per-tb" && !modern ? "-singlestep" : f);
}

function installedQemuHelp(): string {
  if (qemuHelp === undefined) {
    const out = new Deno.Command("qemu-riscv64", { args: ["-h"], stderr: "null" }).outputSync();
    qemuHelp = new TextDecoder().decode(out.stdout);
  }
  return qemuHelp;
}

/**
 * QEMU 10's static qemu-riscv64 (Debian trixie's amd64 `qemu-user`), the
 * oracle for extensions QEMU 7.2 lacks (Zicond, Zcb): `$PLUME_QEMU10`, or
 * where `PLUME_DEBIAN_ARCH=amd64 build/fetch_debian.sh qemu-user` puts it.
 *
 * @returns its path, or undefined when it is not here
 */
export function qemu10(): string | undefined {
  const path = Deno.env.get("PLUME_QEMU10") ??
    join(ROOT, ".cache", "debian", "qemu-user", "usr", "bin", "qemu-riscv64");
  return isFile(path) ? path : undefined;
}

/**
 * Whether `qemu-riscv64` can be run here.
 *
 * @returns true when `qemu-riscv64 -version` succeeds
 */
export function qemuAvailable(): boolean {
  if (qemuChecked === undefined) {
    try {
      qemuChecked = new Deno.Command("qemu-riscv64", { args: ["-version"], stdout: "null", stderr: "null" })
        .outputSync().success;
    } catch {
      qemuChecked = false;
    }
  }
  return qemuChecked;
}

/**
 * Whether plume can be started from this checkout (its entry point exists).
 *
 * @returns true when main.ts is present
 */
export function plumeAvailable(): boolean {
  return isFile(join(ROOT, "main.ts"));
}

/**
 * Path of Debian's riscv64 busybox: `$PLUME_BUSYBOX`, or the one
 * `build/fetch_debian.sh busybox-static` extracts under `.cache/debian`.
 *
 * @returns the path, or undefined when neither exists
 */
export function busyboxPath(): string | undefined {
  const fromEnv = Deno.env.get("PLUME_BUSYBOX");
  if (fromEnv) return isFile(fromEnv) ? resolve(fromEnv) : undefined;
  const cached = join(ROOT, ".cache", "debian", "busybox-static", "usr", "bin", "busybox");
  return isFile(cached) ? cached : undefined;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

let denoDir: string | undefined;

/** Deno's cache directory, so the plume process reuses the compiled modules. */
function hostDenoDir(): string {
  if (denoDir === undefined) {
    denoDir = Deno.env.get("DENO_DIR");
    if (!denoDir) {
      const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).outputSync();
      denoDir = String(JSON.parse(new TextDecoder().decode(out.stdout)).denoDir);
    }
  }
  return denoDir;
}

/**
 * The clean environment both emulators (and so both guests) run with.
 *
 * @param home value of HOME, normally a temporary directory shared by the two runs
 * @param extra additional variables
 * @returns PATH, LANG, HOME, DENO_DIR and `extra`
 */
export function guestEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: "/usr/bin:/bin", LANG: "C", HOME: home, DENO_DIR: hostDenoDir(), ...extra };
}

/**
 * Deno flags of the `plume` task in deno.json, the one source of truth for
 * how plume runs from a checkout.
 *
 * @param denoJson the text of deno.json
 * @returns the flags between `deno run` and `main.ts`
 */
export function plumeTaskFlags(denoJson: string): string[] {
  const task = JSON.parse(denoJson)?.tasks?.plume;
  if (typeof task !== "string") throw new Error("Task plume not found in deno.json");
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run") throw new Error(`Task plume does not start with "deno run": ${task}`);
  const main = words.findIndex((w) => /(^|\/)main\.ts$/.test(w));
  if (main < 0) throw new Error(`Task plume does not run main.ts: ${task}`);
  return words.slice(2, main);
}

/** What plume needs to run from a checkout: its entry, its configuration, its modules and the built-in plugins. */
const CHECKOUT = ["main.ts", "deno.json", "deno.lock", "core", "plugins"];

/**
 * Copies this checkout's run-time files into `dir` (a plain copy: no git, no
 * `.cache`, so not the bundles of plume's own modules either).
 */
export async function copyCheckout(dir: string): Promise<void> {
  const copy = async (from: string, to: string): Promise<void> => {
    const info = await Deno.stat(from);
    if (!info.isDirectory) return await Deno.copyFile(from, to);
    await Deno.mkdir(to, { recursive: true });
    for await (const e of Deno.readDir(from)) await copy(join(from, e.name), join(to, e.name));
  };
  await Deno.mkdir(dir, { recursive: true });
  for (const name of CHECKOUT) await copy(join(ROOT, name), join(dir, name));
}

/**
 * Runs plume from the checkout at `checkout` (see {@link copyCheckout}) as its
 * `plume` task does, with text output.
 */
export async function runCheckout(
  checkout: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  const flags = plumeTaskFlags(await Deno.readTextFile(join(checkout, "deno.json")));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `--config=${join(checkout, "deno.json")}`, join(checkout, "main.ts"), ...args],
    cwd: opts.cwd,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { status: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** How to start plume: the deno binary running this test, the task's flags, main.ts by absolute path. */
export function plumeCommand(): string[] {
  const flags = plumeTaskFlags(Deno.readTextFileSync(join(ROOT, "deno.json")));
  // The guest's cwd is a test directory, so config discovery from cwd would miss deno.json.
  return [Deno.execPath(), "run", ...flags, `--config=${join(ROOT, "deno.json")}`, join(ROOT, "main.ts")];
}

interface RawResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
  code: number;
  signal: string | null;
}

async function feed(stdin: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = stdin.getWriter();
  // A guest that exits without reading all of stdin closes the pipe: not an error here.
  await writer.write(bytes).catch(() => {});
  await writer.close().catch(() => {});
}

async function spawn(cmd: string[], opts: RunOptions, label: string): Promise<RawResult> {
  // A directory made here is the run's own: removed afterwards, whatever the guest left in it.
  const ownDir = opts.cwd === undefined ? await Deno.makeTempDir({ prefix: "plume-run-" }) : undefined;
  const cwd = opts.cwd ?? ownDir!;
  const env = opts.env ?? guestEnv(cwd);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    // The spawner passes `env` in hash-map order, which differs from run to
    // run; env(1) sets it in one fixed order, so both emulators' guests see
    // the same environment in the same order.
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const child = new Deno.Command("/usr/bin/env", {
      args: ["-i", ...envArgs, ...cmd],
      cwd,
      env: {},
      clearEnv: true,
      stdin: opts.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).spawn();
    // Feed stdin while the output is being read: a guest that writes before it has
    // read everything would otherwise fill its stdout pipe and both sides would wait.
    const feeding = opts.stdin ? feed(child.stdin, opts.stdin) : Promise.resolve();
    const out = await child.output();
    await feeding;
    if (abort.signal.aborted) throw new Error(`Timed out after ${timeoutMs} ms: ${label} ${cmd.join(" ")}`);
    return { stdout: out.stdout, stderr: out.stderr, code: out.code, signal: out.signal };
  } finally {
    clearTimeout(timer);
    if (ownDir) await Deno.remove(ownDir, { recursive: true }).catch(() => {});
  }
}

/**
 * Runs `qemu-riscv64 [flags] PROGRAM ARGS…`.
 *
 * Core files are disabled for the run: qemu kills itself with the guest's
 * signal, and a host core of the whole emulator would land in the test's cwd.
 *
 * @param argv program path followed by its arguments
 * @param opts working directory, environment, stdin, flags, timeout
 * @returns output and normalized status
 * @example
 * ```ts
 * import { GUEST_BIN, runQemu } from "./harness.ts";
 * import { strictEqual } from "node:assert";
 * const r = await runQemu([`${GUEST_BIN}/exit_codes`, "3"]);
 * strictEqual(r.status, 3);
 * ```
 */
export async function runQemu(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  // The shell would export PWD into qemu's (and so the guest's) environment: unset it again.
  if (opts.env && "PWD" in opts.env) throw new Error(`Unsupported variable PWD=${opts.env.PWD} in the run environment`);
  const script = 'ulimit -c 0; unset PWD; exec "$0" "$@"';
  const qemu = opts.qemu ?? "qemu-riscv64";
  const flags = opts.flags?.length && !opts.qemu ? qemuFlags(opts.flags, installedQemuHelp()) : opts.flags ?? [];
  const cmd = ["/bin/sh", "-c", script, qemu, ...flags, ...argv];
  const raw = await spawn(cmd, opts, "qemu");
  return {
    stdout: raw.stdout,
    stderr: normalizeQemuStderr(raw.stderr, raw.signal),
    status: normalizeStatus(raw.code, raw.signal),
  };
}

/**
 * Runs `plume [flags] PROGRAM ARGS…` from this checkout, as `deno task plume` would.
 *
 * @param argv program path followed by its arguments
 * @param opts working directory, environment, stdin, flags, timeout
 * @returns output and status (plume already exits with 128+N on a guest signal)
 * @example
 * ```ts
 * import { GUEST_BIN, runPlume } from "./harness.ts";
 * import { strictEqual } from "node:assert";
 * const r = await runPlume([`${GUEST_BIN}/hello_asm`]);
 * strictEqual(r.status, 7);
 * ```
 */
export async function runPlume(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.env && "PWD" in opts.env) throw new Error(`Unsupported variable PWD=${opts.env.PWD} in the run environment`);
  // Started through the same shell as qemu, so that the guest's environment
  // comes in the same order (the shell, not the spawner, decides it).
  const script = 'unset PWD; exec "$0" "$@"';
  // Options follow a command (plume demo, plume plugins).
  const command = COMMANDS.includes(argv[0]) ? [argv[0]] : [];
  // Short test programs exercise compiled code only without the warm-up, and WebAssembly regions only when every
  // region is one at once (the tier's forced mode; the default waits until a region is hot).
  const warmup = opts.warmup ? [] : ["-jit-warmup", "0", "-jit-wasm", "always"];
  const rest = argv.slice(command.length);
  const cmd = ["/bin/sh", "-c", script, ...plumeCommand(), ...command, ...warmup, ...(opts.flags ?? []), ...rest];
  const raw = await spawn(cmd, opts, "plume");
  return { stdout: raw.stdout, stderr: raw.stderr, status: normalizeStatus(raw.code, raw.signal) };
}

/** Where two byte strings first differ, in terms a person can find in the output. */
export interface FirstDifference {
  /** Byte offset of the first difference (the shorter length if one is a prefix of the other). */
  offset: number;
  /** 1-based line number containing that byte. */
  line: number;
  /** That line in the expected output (without newline), possibly clipped. */
  expectedLine: string;
  /** That line in the actual output (without newline), possibly clipped. */
  actualLine: string;
}

/**
 * Finds the first differing byte of two outputs.
 *
 * @param expected oracle output
 * @param actual output under test
 * @returns the position and the two lines there, or undefined when equal
 */
export function firstDifference(expected: Uint8Array, actual: Uint8Array): FirstDifference | undefined {
  const n = Math.min(expected.length, actual.length);
  let i = 0;
  while (i < n && expected[i] === actual[i]) i++;
  if (i === n && expected.length === actual.length) return undefined;
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < i; k++) {
    if (expected[k] === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { offset: i, line, expectedLine: lineAt(expected, lineStart), actualLine: lineAt(actual, lineStart) };
}

const LINE_CLIP = 300;

function lineAt(bytes: Uint8Array, start: number): string {
  let end = bytes.indexOf(0x0a, start);
  if (end < 0) end = bytes.length;
  const text = new TextDecoder().decode(bytes.subarray(start, Math.min(end, start + LINE_CLIP)));
  return end - start > LINE_CLIP ? text + "…" : text;
}

/**
 * Describes every difference between two runs, or returns an empty list.
 *
 * @param expected the oracle's run (qemu)
 * @param actual the run under test (plume)
 * @returns one human-readable paragraph per differing stream or status
 */
export function describeDifferences(expected: RunResult, actual: RunResult): string[] {
  const problems: string[] = [];
  if (expected.status !== actual.status) {
    problems.push(`exit status differs: qemu ${expected.status}, plume ${actual.status}`);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const d = firstDifference(expected[stream], actual[stream]);
    if (!d) continue;
    problems.push(
      `${stream} differs (qemu ${expected[stream].length} bytes, plume ${actual[stream].length} bytes); ` +
        `first difference at byte ${d.offset}, line ${d.line}:\n` +
        `  qemu : ${JSON.stringify(d.expectedLine)}\n` +
        `  plume: ${JSON.stringify(d.actualLine)}`,
    );
  }
  return problems;
}

/**
 * Asserts that two runs produced identical stdout, stderr and status.
 *
 * @param label what was run, for the failure message
 * @param expected the oracle's run (qemu)
 * @param actual the run under test (plume)
 * @throws AssertionError naming each differing stream with its lengths and first differing line
 */
export function compareRuns(label: string, expected: RunResult, actual: RunResult): void {
  const problems = describeDifferences(expected, actual);
  if (problems.length === 0) return;
  throw new nodeAssert.AssertionError({ message: `${label}: plume differs from qemu-riscv64\n${problems.join("\n")}` });
}

/** Options of {@link differential}. */
export interface DifferentialOptions extends Omit<RunOptions, "cwd" | "env"> {
  /** Extra environment variables on top of {@link guestEnv}. */
  env?: Record<string, string>;
  /** Fills the fresh working directory before each run (both runs see identical contents). */
  setup?: (dir: string) => void | Promise<void>;
  /** Also compare the working directory after the runs ({@link snapshotDir}). */
  compareDir?: boolean;
  /** Flags for plume only, after `flags` (options qemu does not have, such as `-jit-wasm off`). */
  plumeFlags?: string[];
}

/**
 * A listing of a directory tree that changes when anything a guest could
 * observe or create changes: names, types, sizes, file contents (as SHA-256),
 * link targets and permission bits. Times and owners are left out.
 *
 * @param dir the directory
 * @returns one line per entry, sorted by path
 */
export async function snapshotDir(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (rel: string) => {
    const entries = Array.from(Deno.readDirSync(join(dir, rel))).sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const full = join(dir, path);
      const st = Deno.lstatSync(full);
      const mode = ((st.mode ?? 0) & 0o7777).toString(8);
      if (e.isSymlink) {
        lines.push(`${path} symlink -> ${Deno.readLinkSync(full)}`);
      } else if (e.isDirectory) {
        lines.push(`${path} dir ${mode}`);
        await walk(path);
      } else {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", Deno.readFileSync(full)));
        const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
        lines.push(`${path} file ${mode} ${st.size} ${hex}`);
      }
    }
  };
  await walk("");
  return lines.join("\n") + "\n";
}

/**
 * Runs argv under both emulators, each in a fresh working directory at the
 * same path with the same contents, and asserts identical results. Arguments
 * equal to `"$DIR"` are replaced by that directory's path.
 *
 * @param label what is being run, for messages
 * @param argv program path followed by its arguments
 * @param opts stdin, flags, timeout, extra environment and directory setup
 * @returns the qemu run, for extra checks against known values
 * @example
 * ```ts
 * import { differential, GUEST_BIN } from "./harness.ts";
 * await differential("files", [`${GUEST_BIN}/files`, "$DIR"]);
 * ```
 */
export async function differential(label: string, argv: string[], opts: DifferentialOptions = {}): Promise<RunResult> {
  const base = await Deno.makeTempDir({ prefix: "plume-diff-" });
  const dir = join(base, "work");
  const home = join(base, "home");
  await Deno.mkdir(home);
  const args = argv.map((a) => a === "$DIR" ? dir : a);
  const env = guestEnv(home, opts.env);
  const fresh = async () => {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir);
    await opts.setup?.(dir);
  };
  try {
    await fresh();
    const qemu = await runQemu(args, { ...opts, cwd: dir, env });
    const qemuDir = opts.compareDir ? await snapshotDir(dir) : "";
    await fresh();
    const plume = await runPlume(args, {
      ...opts,
      flags: [...opts.flags ?? [], ...opts.plumeFlags ?? []],
      cwd: dir,
      env,
    });
    compareRuns(label, qemu, plume);
    if (opts.compareDir) {
      const plumeDir = await snapshotDir(dir);
      const d = firstDifference(new TextEncoder().encode(qemuDir), new TextEncoder().encode(plumeDir));
      if (d) {
        throw new nodeAssert.AssertionError({
          message: `${label}: working directory after plume differs from after qemu-riscv64, line ${d.line}:\n` +
            `  qemu : ${JSON.stringify(d.expectedLine)}\n  plume: ${JSON.stringify(d.actualLine)}`,
        });
      }
    }
    return qemu;
  } finally {
    await Deno.remove(base, { recursive: true }).catch(() => {});
  }
}

/**
 * The tiers the differential tests of committed outputs run plume under:
 * compiled at once with WebAssembly regions, compiled without WebAssembly,
 * and the default warm-up (blocks interpreted until hot, then JavaScript).
 */
export const TIERS: readonly { name: string; flags: readonly string[]; warmup: boolean }[] = [
  { name: "WebAssembly regions", flags: [], warmup: false },
  { name: "JavaScript only", flags: ["-jit-wasm", "off"], warmup: false },
  { name: "interpreter, then JavaScript", flags: ["-jit-wasm", "off"], warmup: true },
];

/**
 * Asserts that a run's output `got` is `expected` byte for byte; when not,
 * the message names the first line that differs (and the one before it),
 * not two pages of output. `what` names the run.
 */
export function assertSameOutput(got: string, expected: string, what: string): void {
  if (got !== expected) {
    const a = got.split("\n"), b = expected.split("\n");
    const differs = a.findIndex((l, i) => l !== b[i]), line = differs < 0 ? a.length : differs;
    assertEquals(`${b[line - 1]}\n${a[line]}`, `${b[line - 1]}\n${b[line]}`, `${what}: line ${line + 1} differs`);
  }
  assertEquals(got.length, expected.length);
}
