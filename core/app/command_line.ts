/**
 * plume's command line: `plume [options] PROGRAM [ARGS…]` to a run.
 *
 * Every failure the user can cause (a bad option, a missing program, a file
 * that is not an RV64 executable) ends with one line on stderr and exit
 * status 1; the exit status is otherwise the guest's.
 *
 * @module
 */

// Only the command line is imported here: every module costs start-up time (about 0.2 ms each, and
// plume has over a hundred), so the plugin side loads only when plugins are asked for, and the
// emulator's modules load afterwards (`loadEmulator`), while the plugin processes boot.
import { Log, writeAll } from "../util/log.ts";
import { LOG_ITEMS } from "../util/log.ts";
import { inheritedDescriptors } from "../linux/inherited_fds.ts";
import { type Options, parseOptions, USAGE, UsageError } from "../cli/options.ts";
import { isExtension } from "../isa/extensions.ts";
import type { GuestConfig } from "../emulator.ts";
import type { Replayer } from "../linux/record_replay.ts";
import type { StartedPlugins } from "../plugin/loader.ts";
export { useHostModule } from "../plugin/sandbox/host_flag.ts";

/** The emulator's modules (most of plume's code). */
function loadEmulator() {
  return import("../emulator.ts");
}

/**
 * The plugin side's first part: starting plugin processes, bundling and
 * loading plugins. The rest (`loadPluginCore`) loads after the processes
 * are started: each boots for some 30 ms, which every module loaded before
 * its start would add to.
 */
async function loadPluginLoader() {
  const [loader, bundle] = await Promise.all([import("../plugin/loader.ts"), import("../plugin/bundle.ts")]);
  return { ...loader, ...bundle };
}

type PluginLoader = Awaited<ReturnType<typeof loadPluginLoader>>;

/** The plugin core the emulator calls. */
function loadPluginCore() {
  return import("../plugin/core.ts");
}

/**
 * A failure the user caused, from the emulator's or the plugin side's modules (one line, exit status 1). Told by name:
 * those modules load lazily, so their classes are not at hand here.
 */
function isUserError(err: unknown): err is Error {
  return err instanceof Error &&
    ["ProgramError", "ElfError", "PluginLoadError", "PluginFatalError", "GdbStubError", "RecordingError"].includes(
      err.name,
    );
}

/** plume's version, printed by `-version`. */
export const VERSION = "0.1.0";

const encoder = new TextEncoder();

function print(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text));
}

function fail(message: string): number {
  writeAll(Deno.stderr, encoder.encode(`plume: ${message}\n`));
  return 1;
}

/**
 * The host environment in its original order, as qemu-user passes it on.
 * `Deno.env.toObject()` loses the order, so it is read from
 * `/proc/self/environ` where that exists.
 */
function hostEnvironment(): [string, string][] {
  try {
    const raw = new TextDecoder().decode(Deno.readFileSync("/proc/self/environ"));
    return raw.split("\0").filter((kv) => kv.includes("=")).map((kv) => {
      const eq = kv.indexOf("=");
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
  } catch {
    return Object.entries(Deno.env.toObject());
  }
}

/**
 * The guest's environment: the host's, changed by `-E` and `-U` in order,
 * in the order qemu-user gives it. QEMU keeps the environment as a list it
 * prepends to: host variables come out reversed, and a variable set with
 * `-E` moves to the front. Matching that makes programs that print their
 * environment agree with qemu byte for byte.
 */
function guestEnvironment(host: [string, string][], o: Options): string[] {
  let list: [string, string][] = [];
  const change = (name: string, value: string | undefined) => {
    list = list.filter(([k]) => k !== name);
    if (value !== undefined) list.unshift([name, value]);
  };
  for (const [k, v] of host) change(k, v);
  for (const [k, v] of o.envChanges) change(k, v);
  return list.map(([k, v]) => `${k}=${v}`);
}

/** Opens the `-D` log file; undefined with a message when it cannot be opened. */
function openLog(o: Options): Log | string {
  if (o.logFile === undefined) return new Log(o.logItems);
  try {
    return new Log(o.logItems, Deno.openSync(o.logFile, { write: true, create: true, truncate: true }));
  } catch (err) {
    return `cannot open log file ${o.logFile}: ${(err as Error).message}`;
  }
}

/**
 * Runs the guest with plugins: the guest is created (its program loaded),
 * the plugins are loaded and installed, then it runs.
 */
async function runWithPlugins(
  cfg: GuestConfig,
  o: Options,
  log: Log,
  side: PluginLoader,
  started: StartedPlugins,
): Promise<number> {
  const [{ createGuest, runCreatedGuest }, { PluginCore }] = await Promise.all([loadEmulator(), loadPluginCore()]);
  const { loadPlugins, stopEsbuild } = side;
  const core = new PluginCore(log, o.pluginErrors === "fatal");
  core.maxForks = o.pluginForks;
  let guest;
  try {
    guest = createGuest({ ...cfg, instrumentation: core.instrumentation(), vcpuHooks: core });
  } catch (err) {
    started.stop();
    throw err;
  }
  core.attach(guest);
  try {
    await loadPlugins(core, started, guest, { watchdog: o.pluginWatchdog, memoryMb: o.pluginMemory, log });
  } finally {
    // esbuild's service would keep the process alive and costs nothing once plugins are bundled.
    await stopEsbuild();
  }
  return await runCreatedGuest(guest, core, cfg.debug);
}

/**
 * Runs plume with command-line arguments and returns the exit status.
 *
 * @example
 * ```ts
 * import { main } from "./command_line.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(await main(["-version"]), 0); // after printing plume's version
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let o: Options;
  const hostEnv = hostEnvironment();
  try {
    o = parseOptions(args, Object.fromEntries(hostEnv));
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message);
    throw err;
  }
  switch (o.command) {
    case "help":
      print(USAGE);
      return 0;
    case "version":
      print(`plume version ${VERSION} (RV64GC Linux user-mode emulator)\n`);
      return 0;
    case "log-help":
      print("Log items (comma separated):\n");
      for (const [k, v] of Object.entries(LOG_ITEMS)) print(`${k.padEnd(16)}${v}\n`);
      return 0;
    case "plugins":
      print((await import("../plugin/builtins.ts")).builtinHelp());
      return 0;
    case "plugin-help":
      print((await import("../plugin/builtins.ts")).pluginHelp());
      return 0;
    case "demo":
      return await (await import("../plugin/demo.ts")).runDemo(main, print);
  }
  let log: Log | undefined;
  let started: StartedPlugins | undefined;
  let runLog: GuestConfig["runLog"];
  try {
    // A recording that cannot be replayed is refused before anything starts.
    if (o.record !== undefined || o.replay !== undefined) runLog = await openRunLog(o);
    // Taken before the plugin processes start: plume marks every descriptor close-on-exec for them.
    const inherited = inheritedDescriptors();
    // The plugin processes boot while the emulator's modules load and the guest program is read.
    const side = o.plugins.length > 0 ? await loadPluginLoader() : undefined;
    if (side) started = side.startPlugins(o.plugins, { memoryMb: o.pluginMemory });
    const opened = openLog(o);
    if (typeof opened === "string") {
      started?.stop();
      return fail(opened);
    }
    log = opened;
    const cfg: GuestConfig = {
      program: o.program,
      argv: [o.argv0 ?? o.program, ...o.args],
      envp: guestEnvironment(hostEnv, o),
      sysroot: o.sysroot,
      log,
      strace: o.strace || o.logItems.has("strace"),
      oneInsnPerTb: o.oneInsnPerTb,
      jitWarmupMs: o.jitWarmupMs,
      jitWasm: o.jitWasm,
      extensions: o.extensions,
      seed: o.seed,
      nproc: o.nproc,
      stackSize: o.stackSize,
      inherited,
    };
    if (runLog?.replaying) replayedRun(cfg, o, runLog);
    cfg.runLog = runLog;
    // The gdb stub listens before the program is read (a port in use fails at once) and waits for the debugger
    // before the first instruction.
    if (o.gdb !== undefined) cfg.debug = (await import("../gdb/stub.ts")).listenGdb(o.gdb, log);
    if (side && started) return await runWithPlugins(cfg, o, log, side, started);
    return await (await loadEmulator()).runGuest(cfg);
  } catch (err) {
    if (runLog !== undefined && !runLog.replaying) runLog.abandon();
    if (isUserError(err)) return fail(err.message);
    throw err;
  } finally {
    log?.close();
  }
}

/** Starts recording (`-record`), or opens and checks a recording (`-replay`). */
async function openRunLog(o: Options): Promise<GuestConfig["runLog"]> {
  const { Recorder, Replayer } = await import("../linux/record_replay.ts");
  return o.record !== undefined ? new Recorder(o.record, VERSION) : Replayer.open(o.replay!, VERSION);
}

/**
 * Makes `cfg` the recorded run's: its program (unless one is named), argv,
 * environment, sysroot, seed, block size and CPU extensions.
 */
function replayedRun(cfg: GuestConfig, o: Options, replay: Replayer): void {
  const h = replay.header;
  cfg.program = o.program !== "" ? o.program : h.exePath;
  cfg.argv = h.argv;
  cfg.envp = h.envp;
  cfg.sysroot = h.sysroot;
  cfg.seed = h.seed;
  cfg.oneInsnPerTb = h.oneInsnPerTb;
  if (h.extensions !== undefined) cfg.extensions = new Set(h.extensions.filter(isExtension));
}

/**
 * Runs plume's command line and returns the exit status: {@link main}, with
 * a bug in plume reported in one line (the stack only with `PLUME_DEBUG`).
 */
export async function commandLine(args: string[]): Promise<number> {
  try {
    return await main(args);
  } catch (err) {
    const status = fail(`internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (Deno.env.get("PLUME_DEBUG")) console.error(err);
    return status;
  }
}
