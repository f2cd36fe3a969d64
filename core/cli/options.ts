/**
 * The command line, mirroring `qemu-riscv64`: single-dash options with a
 * separate argument, parsed up to the first non-option (the program), each
 * with the QEMU environment variable that sets it too. `node:util`'s
 * `parseArgs` cannot express single-dash long options, so the parser is a
 * table here.
 *
 * @module
 */

import { LOG_ITEMS } from "../util/log.ts";
import { DEFAULT_EXTENSIONS, parseCpu } from "../isa/extensions.ts";
import type { Extension } from "../isa/ops_generated.ts";

/** A command-line error: printed as one line, exit status 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One `-plugin` occurrence. */
export interface PluginSpec {
  /** File path or built-in name. */
  file: string;
  /** `key=value` arguments in order (QEMU's `arg=value` form becomes `arg`). */
  args: string[];
  /**
   * Permissions granted to this instance with `-plugin-allow`: Deno's (`read=PATH`, `write=PATH`, `net=HOST`,
   * `env=VAR`) and plume's own `unix=PATH` (one unix stream socket, connected for it) and `guest=write`
   * (changing the guest).
   */
  allow: string[];
}

/** Everything the command line chose. */
export interface Options {
  /** What to do. */
  command: "run" | "help" | "version" | "log-help" | "demo" | "plugins" | "plugin-help";
  /** Guest program path (for `run`). */
  program: string;
  /** Guest arguments after the program. */
  args: string[];
  /** `-L`: interpreter prefix / sysroot. */
  sysroot: string;
  /** `-E` and `-U` in command-line order: `[name, value]` sets, `[name, undefined]` unsets. */
  envChanges: [string, string | undefined][];
  /** `-0`: argv[0] override. */
  argv0: string | undefined;
  /** `-d`: log items. */
  logItems: Set<string>;
  /** `-D`: log file. */
  logFile: string | undefined;
  /** `-strace`. */
  strace: boolean;
  /** `-one-insn-per-tb` (`-singlestep`). */
  oneInsnPerTb: boolean;
  /** `-seed`. */
  seed: number | undefined;
  /** `-jit-warmup`: ms after the first translation during which new blocks compile only once very hot. */
  jitWarmupMs: number | undefined;
  /** `-jit-wasm`: when regions become WebAssembly (`hot`, the default; `always`; `off`). */
  jitWasm: "off" | "hot" | "always";
  /** `-cpu`: the optional extensions the guest has. */
  extensions: ReadonlySet<Extension>;
  /** `-s`: the main thread's stack size in bytes (undefined: as qemu-user, the host's `RLIMIT_STACK` or 8 MiB). */
  stackSize: number | undefined;
  /** `-r`: uname release override. */
  unameRelease: string | undefined;
  /** `-nproc`: the most guest tasks (processes and threads) at once, the guest's `RLIMIT_NPROC`. */
  nproc: number;
  /** `-plugin`, in load order. */
  plugins: PluginSpec[];
  /** `-plugin-watchdog`: seconds a plugin may take to answer. */
  pluginWatchdog: number;
  /** `-plugin-memory`: memory limit of each plugin process in MiB, beyond the runtime's own (0: no limit). */
  pluginMemory: number;
  /** `-plugin-forks`: the most forked processes each plugin follows at once. */
  pluginForks: number;
  /** `-plugin-errors`: what a failing plugin does to the run. */
  pluginErrors: "unload" | "fatal";
  /** `-g`: the TCP port (on 127.0.0.1) or unix socket path to wait for a debugger on. */
  gdb: string | undefined;
  /** `-record`: the file to record the run to. */
  record: string | undefined;
  /** `-replay`: the recording to replay (the program and its arguments come from it). */
  replay: string | undefined;
}

/** Usage text for `-h`. */
export const USAGE = `usage: plume [options] program [arguments...]
       plume demo | plume plugins | plume -h | plume -version
Linux user-mode emulator for RISC-V 64-bit programs (RV64GC), with sandboxed
QEMU-style instrumentation plugins.

Options and associated environment variables:

Argument             Env-variable      Description
-h                                     print this help
-help
-L path              QEMU_LD_PREFIX    set the elf interpreter prefix to 'path'
-s size              QEMU_STACK_SIZE   set the stack size to 'size' bytes
-cpu model[,ext=on|off...]
                     QEMU_CPU          select CPU: 'rv64' (or 'any', the default: RV64GC with
                                       Zba, Zbb, Zbc, Zbs, as qemu-riscv64 7.2), 'max' (also
                                       Zicond, Zcb, Zicboz, Zfh), or QEMU 10's profiles
                                       'rva22u64' and 'rva23u64'; ',zba=off', ',zcb=on'...
                                       toggle extensions
-E var=value         QEMU_SET_ENV      sets targets environment variable (see below)
-U var               QEMU_UNSET_ENV    unsets targets environment variable (see below)
-0 argv0             QEMU_ARGV0        forces target process argv[0] to be 'argv0'
-r uname             QEMU_UNAME        set uname release string to 'uname'
-d item[,...]        QEMU_LOG          enable logging of specified items (use '-d help' for a list of items)
-D logfile           QEMU_LOG_FILENAME write logs to 'logfile' (default stderr)
-g port              QEMU_GDB          wait gdb connection to 'port' (on 127.0.0.1, or a unix
                                       socket path)
-one-insn-per-tb     QEMU_SINGLESTEP   run with one guest instruction per translation block
-singlestep                            same as -one-insn-per-tb
-strace              QEMU_STRACE       log system calls
-record file                           record the run to 'file': what it takes from outside
                                       (system call results, signals, time, randomness) so
                                       that -replay repeats it exactly; one process only
-replay file                           replay a recorded run (program, arguments and
                                       environment come from the recording; a program
                                       given after the options must be the recorded one);
                                       touches no file, clock or network; any -plugin
-seed number         QEMU_RAND_SEED    seed for the pseudo-random number generator
-jit-warmup ms                         for this long after a process's first translation,
                                       compile only very hot blocks, and those the WebAssembly
                                       interpreter runs always (default 200; 0: compile every
                                       warm block)
-jit-wasm on|off|always                compile hot regions to WebAssembly where the tier
                                       covers their instructions (default on; always: every
                                       region at once)
-nproc n                               at most n guest processes and threads at once: the
                                       guest's RLIMIT_NPROC, fork and clone fail with EAGAIN
                                       beyond it (default 512, or the host's if lower)
-plugin file[,a=b]   QEMU_PLUGIN       load a plugin (file or built-in name; '-plugin help')
-plugin-allow perm                     grant the preceding -plugin one permission: read=PATH,
                                       write=PATH, net=HOST[:PORT], env=VAR, unix=PATH (a
                                       unix socket, connected for it), or guest=write
                                       (change the guest's registers, memory, pc and system
                                       calls: the guest acts with your permissions; repeatable;
                                       plugins get no permission otherwise)
-plugin-watchdog s                     seconds a plugin may take to answer (default 10)
-plugin-memory mb                      memory limit of each plugin process in MiB
                                       (default 512; 0: no limit)
-plugin-forks n                        each plugin follows at most n forked processes at once
                                       (a process each); beyond them a process runs without it
                                       (default 64; 0: none)
-plugin-errors mode                    'unload' a failing plugin and go on (default) or
                                       make plugin errors 'fatal' (exit status 1)
-version             QEMU_VERSION      display version information and exit

Commands:
plume demo                             run an embedded guest program under plugins
plume plugins                          list the built-in plugins and their options

-E and -U may be repeated, or given comma-separated lists; QEMU_SET_ENV and
QEMU_UNSET_ENV take the same lists. The exit status is the guest's.
`;

interface OptionDef {
  env?: string;
  arg: boolean;
  apply: (o: Options, value: string) => void;
}

function parseSize(name: string, v: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v);
  if (!m) throw new UsageError(`Invalid ${name} size '${v}'`);
  const mult = { "": 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2].toLowerCase()]!;
  return Number(m[1]) * mult;
}

/** `-s`'s size, rounded up to whole pages (the loader refuses one too large for the address space). */
function parseStackSize(v: string): number {
  const size = Math.ceil(parseSize("stack", v) / 4096) * 4096;
  if (size === 0) throw new UsageError(`Invalid stack size '${v}'`);
  return size;
}

function splitList(v: string): string[] {
  return v.split(",").filter((s) => s.length > 0);
}

/** Parses a `-plugin` argument: `[file=]FILE[,key=value…]`. */
export function parsePluginSpec(v: string): PluginSpec {
  const parts = v.split(",");
  let file = parts.shift() ?? "";
  if (file.startsWith("file=")) file = file.slice(5);
  if (file === "") throw new UsageError(`Missing plugin file in '-plugin ${v}'`);
  const args = parts.map((p) => (p.startsWith("arg=") ? p.slice(4) : p));
  return { file, args, allow: [] };
}

const GRANT = /^((read|write|net|env|unix)=.+|guest=write)$/;

const OPTIONS: Record<string, OptionDef> = {
  h: { arg: false, apply: (o) => (o.command = "help") },
  help: { arg: false, apply: (o) => (o.command = "help") },
  version: { env: "QEMU_VERSION", arg: false, apply: (o) => (o.command = "version") },
  L: { env: "QEMU_LD_PREFIX", arg: true, apply: (o, v) => (o.sysroot = v) },
  s: { env: "QEMU_STACK_SIZE", arg: true, apply: (o, v) => (o.stackSize = parseStackSize(v)) },
  cpu: {
    env: "QEMU_CPU",
    arg: true,
    apply: (o, v) => {
      if (v === "help") {
        o.command = "help";
        return;
      }
      try {
        o.extensions = parseCpu(v);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    },
  },
  E: {
    env: "QEMU_SET_ENV",
    arg: true,
    apply: (o, v) => {
      for (const kv of splitList(v)) {
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UsageError(`Invalid environment assignment '${kv}' (expected VAR=VALUE)`);
        o.envChanges.push([kv.slice(0, eq), kv.slice(eq + 1)]);
      }
    },
  },
  U: {
    env: "QEMU_UNSET_ENV",
    arg: true,
    apply: (o, v) => o.envChanges.push(...splitList(v).map((k): [string, undefined] => [k, undefined])),
  },
  "0": { env: "QEMU_ARGV0", arg: true, apply: (o, v) => (o.argv0 = v) },
  r: { env: "QEMU_UNAME", arg: true, apply: (o, v) => (o.unameRelease = v) },
  d: {
    env: "QEMU_LOG",
    arg: true,
    apply: (o, v) => {
      for (const item of splitList(v)) {
        if (item === "help") o.command = "log-help";
        else if (!(item in LOG_ITEMS)) throw new UsageError(`Unknown log item '${item}' (try '-d help')`);
        else o.logItems.add(item);
      }
    },
  },
  D: { env: "QEMU_LOG_FILENAME", arg: true, apply: (o, v) => (o.logFile = v) },
  g: {
    env: "QEMU_GDB",
    arg: true,
    apply: (o, v) => {
      if (v === "") throw new UsageError(`Invalid gdb port or path ''`);
      o.gdb = v;
    },
  },
  record: {
    arg: true,
    apply: (o, v) => {
      if (v === "") throw new UsageError("Invalid -record file ''");
      o.record = v;
    },
  },
  replay: {
    arg: true,
    apply: (o, v) => {
      if (v === "") throw new UsageError("Invalid -replay file ''");
      o.replay = v;
    },
  },
  "one-insn-per-tb": { env: "QEMU_SINGLESTEP", arg: false, apply: (o) => (o.oneInsnPerTb = true) },
  singlestep: { arg: false, apply: (o) => (o.oneInsnPerTb = true) },
  strace: { env: "QEMU_STRACE", arg: false, apply: (o) => (o.strace = true) },
  seed: {
    env: "QEMU_RAND_SEED",
    arg: true,
    apply: (o, v) => {
      if (!/^\d+$/.test(v)) throw new UsageError(`Invalid seed number '${v}'`);
      o.seed = Number(v);
    },
  },
  nproc: {
    arg: true,
    apply: (o, v) => {
      // Linux's PID_MAX_LIMIT bounds the tasks there can be.
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 4194304) {
        throw new UsageError(`Invalid -nproc '${v}' (1 to 4194304 tasks)`);
      }
      o.nproc = Number(v);
    },
  },
  "jit-warmup": {
    arg: true,
    apply: (o, v) => {
      if (!/^\d+$/.test(v)) throw new UsageError(`Invalid JIT warm-up '${v}' (milliseconds)`);
      o.jitWarmupMs = Number(v);
    },
  },
  "jit-wasm": {
    arg: true,
    apply: (o, v) => {
      if (v !== "on" && v !== "off" && v !== "always") {
        throw new UsageError(`Invalid -jit-wasm '${v}' (on, off or always)`);
      }
      o.jitWasm = v === "on" ? "hot" : v;
    },
  },
  plugin: {
    env: "QEMU_PLUGIN",
    arg: true,
    apply: (o, v) => {
      if (v === "help") o.command = "plugin-help";
      else o.plugins.push(parsePluginSpec(v));
    },
  },
  // A separate option, so that a grant can never be mistaken for one of the plugin's own key=value arguments.
  "plugin-allow": {
    arg: true,
    apply: (o, v) => {
      const spec = o.plugins[o.plugins.length - 1];
      if (!spec) throw new UsageError(`'-plugin-allow ${v}' must follow the -plugin it applies to`);
      if (!GRANT.test(v)) {
        throw new UsageError(
          `Invalid plugin permission '${v}' (read=PATH, write=PATH, net=HOST, env=VAR, unix=PATH or guest=write)`,
        );
      }
      spec.allow.push(v);
    },
  },
  "plugin-watchdog": {
    arg: true,
    apply: (o, v) => {
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw new UsageError(`Invalid plugin watchdog '${v}' (seconds)`);
      o.pluginWatchdog = Number(v);
    },
  },
  "plugin-memory": {
    arg: true,
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || (Number(v) > 0 && Number(v) < 16)) {
        throw new UsageError(`Invalid plugin memory '${v}' (MiB, at least 16, or 0)`);
      }
      o.pluginMemory = Number(v);
    },
  },
  "plugin-forks": {
    arg: true,
    apply: (o, v) => {
      if (!/^\d+$/.test(v) || Number(v) > 65536) throw new UsageError(`Invalid plugin forks '${v}' (0 to 65536)`);
      o.pluginForks = Number(v);
    },
  },
  "plugin-errors": {
    arg: true,
    apply: (o, v) => {
      if (v !== "unload" && v !== "fatal") throw new UsageError(`Invalid plugin error mode '${v}' (unload or fatal)`);
      o.pluginErrors = v;
    },
  },
};

/** Default options (nothing chosen). */
function defaultOptions(): Options {
  return {
    command: "run",
    program: "",
    args: [],
    sysroot: "",
    envChanges: [],
    argv0: undefined,
    logItems: new Set(),
    logFile: undefined,
    strace: false,
    oneInsnPerTb: false,
    seed: undefined,
    jitWarmupMs: undefined,
    jitWasm: "hot",
    extensions: new Set(DEFAULT_EXTENSIONS),
    stackSize: undefined,
    unameRelease: undefined,
    nproc: 512,
    plugins: [],
    pluginWatchdog: 10,
    pluginMemory: 512,
    pluginForks: 64,
    pluginErrors: "unload",
    gdb: undefined,
    record: undefined,
    replay: undefined,
  };
}

/** `-record` and `-replay` with what they cannot go with. */
function checkRecordReplay(o: Options): void {
  if (o.record === undefined && o.replay === undefined) return;
  const which = o.record !== undefined ? "-record" : "-replay";
  if (o.record !== undefined && o.replay !== undefined) throw new UsageError("-record and -replay exclude each other");
  if (o.gdb !== undefined) throw new UsageError(`${which} cannot be used with -g`);
  if (o.replay !== undefined && o.args.length > 0) {
    throw new UsageError("-replay takes the program's arguments from the recording: give none");
  }
}

/** Commands, given as plume's first argument (options may follow them). */
export const COMMANDS: readonly string[] = ["demo", "plugins"];

/**
 * Parses plume's command line. Environment variables are applied first, so
 * options given on the command line win, as in QEMU.
 *
 * @param argv the arguments after `plume`
 * @param env the host environment (for `QEMU_*` variables)
 * @returns the chosen options
 * @throws {UsageError} for unknown options, missing arguments or bad values
 *
 * @example
 * ```ts
 * import { parseOptions } from "./options.ts";
 * import { deepStrictEqual, strictEqual } from "node:assert";
 * const o = parseOptions(["-strace", "-E", "A=1", "prog", "-x"], {});
 * strictEqual(o.program, "prog");
 * deepStrictEqual(o.args, ["-x"]); // options after the program are its own
 * strictEqual(o.strace, true);
 * ```
 */
export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string>>): Options {
  const o = defaultOptions();
  for (const def of Object.values(OPTIONS)) {
    if (!def.env || env[def.env] === undefined) continue;
    def.apply(o, env[def.env]);
  }
  let i = 0;
  if (COMMANDS.includes(argv[0])) {
    o.command = argv[0] as "demo" | "plugins";
    i = 1;
  }
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-") || a === "-") break;
    if (a === "--") {
      i++;
      break;
    }
    const name = a.replace(/^--?/, "");
    const def = OPTIONS[name];
    if (!def) throw new UsageError(`Unknown option '${a}' (try '-h')`);
    let value = "";
    if (def.arg) {
      if (i + 1 >= argv.length) throw new UsageError(`Missing argument for option '${a}'`);
      value = argv[++i];
    }
    def.apply(o, value);
  }
  if (o.command === "run" || o.command === "demo" || o.command === "plugins") {
    if (i < argv.length) {
      o.program = argv[i];
      o.args = argv.slice(i + 1);
    }
    if (o.command === "run" && o.program === "" && o.replay === undefined) {
      throw new UsageError("No program specified (try '-h')");
    }
    checkRecordReplay(o);
    if (o.command !== "run" && o.program !== "") {
      throw new UsageError(`Unexpected argument '${o.program}' after '${o.command}'`);
    }
  }
  return o;
}
