/**
 * Loading plugins, as a list of stages:
 *
 * 1. **start** (before the guest program is read, so that the processes
 *    boot meanwhile): resolve each `-plugin` (a file or a built-in) and
 *    start its sandbox process ({@link startPlugins});
 * 2. **bundle** every plugin under the allowlist, in parallel;
 * 3. **boot**: wait for each process to have confined itself;
 * 4. **evaluate**: send each its code and wait for the report, within the
 *    watchdog (a plugin whose top level never ends is stopped);
 * 5. **check** `qemu_plugin_version` against the supported window and
 *    that `qemu_plugin_install` exists;
 * 6. **install** the instances in load order (a synchronous call).
 *
 * Any failure is one line naming the plugin and exit status 1 before the
 * guest starts; every process is stopped.
 *
 * @module
 */

import type { PluginSpec } from "../cli/options.ts";
import type { Guest } from "../emulator.ts";
import type { Log } from "../util/log.ts";
import { printable } from "../util/printable.ts";
import { resolvedPath } from "../util/posix_path.ts";
import { bundlePlugin, PluginLoadError } from "./bundle.ts";
import { BUILTIN_PLUGINS, builtinPath, type BuiltinPlugin } from "./builtins.ts";
import { getString, type LoadReport, OP, PAYLOAD, PluginFailure } from "./channel.ts";
import type { PluginCore } from "./core.ts";
import { type CallReply, PluginInstance } from "./instance.ts";
import { GRANT_GLOBALS } from "./plugin_globals.ts";
import type { QemuInfo } from "./runtime/api.ts";
import { SandboxUnavailable } from "./sandbox/os.ts";
import { Sandbox } from "./sandbox/spawn.ts";
import { lowerHelperThreads } from "./helper_threads.ts";

/** The plugin API version plume implements (QEMU's current one). */
export const PLUGIN_API_CURRENT = 7;
/**
 * The oldest plugin API version accepted. Version 1's global inline
 * operations and `qemu_plugin_n_vcpus` were removed in version 2, and plume
 * provides neither; everything from version 2 on is here with its
 * semantics (`qemu_plugin_insn_data` also answers in its version-2 form).
 */
export const PLUGIN_API_MIN = 2;

/**
 * How long a plugin process may take to start (Deno's start, plume's
 * modules, its confinement), in ms: plume's own work, not the plugin's,
 * so it does not depend on the watchdog; generous for loaded machines.
 */
const BOOT_TIMEOUT_MS = 30_000;

/** How plugins are loaded. */
export interface LoadOptions {
  /** `-plugin-watchdog` in seconds: also the time a plugin's top level may take. */
  watchdog: number;
  /** `-plugin-memory` in MiB (0: no limit). */
  memoryMb: number;
  /** Where plugin output goes (null: nowhere, without `-d plugin`). */
  log: Log;
}

/** Resolves a `-plugin` argument to a source path and a display name. */
export function resolvePlugin(file: string): { path: string; name: string } {
  const builtin = builtinPath(file);
  if (builtin && !file.includes("/")) return { path: builtin, name: file };
  if (!file.includes("/") && !/\.[cm]?[jt]s$/.test(file)) {
    throw new PluginLoadError(
      `plugin '${printable(file)}': no such built-in plugin, nor a .ts/.js file (built-ins: ${
        BUILTIN_PLUGINS.map((p) => p.name).join(", ")
      })`,
    );
  }
  const path = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  return { path, name: file };
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

/** `path` absolute, its `.` and `..` resolved as Deno reads a grant: by the name alone (`nx/..` is the directory). */
function grantedPath(path: string): string {
  return resolvedPath(path, Deno.cwd());
}

/** The grant that lets a plugin change the guest (which acts with the user's permissions). */
const GUEST_WRITE_GRANT = "guest=write";

/** The Deno permission grants of one instance, with paths made absolute (`read=PATH`…). */
export function absoluteGrants(allow: readonly string[]): string[] {
  return allow.filter((g) => g !== GUEST_WRITE_GRANT).map((g) => {
    const eq = g.indexOf("="), kind = g.slice(0, eq), value = g.slice(eq + 1);
    // A socket's path is the key plume_unix_socket finds it by: resolved, so that every spelling of it finds it.
    if (kind === "unix") return `unix=${grantedPath(value)}`;
    return kind === "read" || kind === "write" ? `${kind}=${absolute(value)}` : g;
  });
}

/**
 * The grants a built-in plugin gets from its own options: write access to
 * exactly the files it writes, named by its `writes` option or the
 * plugin's default (`drcov,filename=cov.log` gets `write=cov.log`;
 * `bbv,outfile=v` gets `write=v.0.bb` to `write=v.255.bb`, its
 * `writes.files`). A plugin loaded from a file gets only what
 * `-plugin-allow` grants.
 *
 * @throws {PluginLoadError} when the option names no file, or a directory
 * (a grant on a directory would cover everything under it), or is missing
 * where the plugin has no default (`bbv`: `outfile unspecified`)
 */
export function builtinGrants(spec: PluginSpec): string[] {
  if (spec.file.includes("/")) return [];
  const builtin = BUILTIN_PLUGINS.find((p) => p.name === spec.file);
  return [...socketGrants(spec, builtin), ...writeGrants(spec, builtin?.writes)];
}

/**
 * The unix socket a built-in talks through (`lockstep,sockpath=PATH` gets
 * `unix=PATH`): none when the option is absent (the plugin says so, as
 * QEMU's does).
 *
 * @throws {PluginLoadError} for an option the built-in does not have (QEMU's `option parsing failed: ARG`)
 */
function socketGrants(spec: PluginSpec, builtin: BuiltinPlugin | undefined): string[] {
  const socket = builtin?.socket;
  if (!socket) return [];
  // The socket is set up before the plugin reads its options: a mistyped one is refused before a listener waits.
  const keys = builtin.options.map(([syntax]) => syntax.split("=")[0]);
  const unknown = spec.args.find((arg) => !keys.includes(arg.split("=")[0]));
  if (unknown !== undefined) {
    throw new PluginLoadError(`plugin '${printable(spec.file)}': option parsing failed: ${printable(unknown)}`);
  }
  const prefix = `${socket.option}=`;
  let path: string | undefined;
  for (const arg of spec.args) if (arg.startsWith(prefix)) path = arg.slice(prefix.length);
  return path ? [`unix=${path}`] : [];
}

/** The files a built-in writes (see {@link builtinGrants}). */
function writeGrants(spec: PluginSpec, writes: BuiltinPlugin["writes"]): string[] {
  if (!writes) return [];
  const prefix = `${writes.option}=`;
  let path = writes.default;
  // As the plugin reads its arguments: the last one counts.
  for (const arg of spec.args) if (arg.startsWith(prefix)) path = arg.slice(prefix.length);
  if (path === undefined) throw new PluginLoadError(`plugin '${printable(spec.file)}': ${writes.option} unspecified`);
  // Its own directory, which it reads back to merge what every process of the guest wrote there.
  if (writes.directory) {
    const grant = directoryGrant(spec.file, prefix, path, writes.directory);
    return [grant, grant.replace(/^write=/, "read=")];
  }
  if (writes.perProcess && path.includes("%p")) return [perProcessGrant(spec.file, prefix, path)];
  const files = writes.files?.(path) ?? [path];
  for (const file of files) {
    // A last component `.` or `..` names a directory, there or not yet (`nx/.` would grant `nx` once made).
    let directory = file === "" || file.endsWith("/") || /(^|\/)\.\.?$/.test(file);
    try {
      // What the grant covers, not what the name reaches: `nx/..` names no file yet grants the whole directory.
      directory ||= Deno.statSync(grantedPath(file)).isDirectory;
    } catch { /* not there yet: the plugin creates it */ }
    if (directory) {
      throw new PluginLoadError(`plugin '${printable(spec.file)}': ${prefix}${printable(path)} does not name a file`);
    }
  }
  return files.map((file) => `write=${file}`);
}

/**
 * The grant of a directory a built-in makes anew (`uftrace,dir=PATH`):
 * refused when the name is a file, a symbolic link, or a directory that
 * is neither empty nor one the plugin wrote before (holding only files,
 * among them `marker` starting with `magic`: a directory that merely has
 * an entry of that name, such as `.git` with its `info`, is not), since
 * the grant covers everything under it and the plugin removes it.
 */
function directoryGrant(
  plugin: string,
  prefix: string,
  path: string,
  { marker, magic }: { marker: string; magic: string },
): string {
  const target = grantedPath(path);
  const refuse = (why: string) =>
    new PluginLoadError(`plugin '${printable(plugin)}': ${prefix}${printable(path)} ${why}`);
  if (path === "" || target === "/") throw refuse("does not name a directory of its own");
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(target);
  } catch {
    return `write=${path}`; // not there yet: the plugin makes it
  }
  if (!info.isDirectory) throw refuse("is not a directory");
  const entries = [...Deno.readDirSync(target)];
  if (entries.length === 0) return `write=${path}`;
  const mark = entries.find((e) => e.name === marker);
  if (!mark) throw refuse(`is a directory neither empty nor written by ${plugin} (it has no '${marker}')`);
  if (!mark.isFile || !startsWith(`${target}/${marker}`, magic)) {
    throw refuse(`is a directory neither empty nor written by ${plugin} (its '${marker}' is not ${plugin}'s)`);
  }
  const other = entries.find((e) => !e.isFile);
  if (other) {
    throw refuse(`is a directory not written by ${plugin} alone ('${printable(other.name)}' is not a file)`);
  }
  return `write=${path}`;
}

/**
 * The grant of a file name holding `%p`, one file per guest process
 * (`callgrind,outfile=callgrind.out.%p`): the pids are not known before
 * the processes are, so the directory the files go to is granted (`.` for
 * a bare name), refused when `%p` is in a directory's name.
 */
function perProcessGrant(plugin: string, prefix: string, path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  if (dir.includes("%p")) {
    throw new PluginLoadError(`plugin '${printable(plugin)}': ${prefix}${printable(path)} has %p in a directory`);
  }
  return `write=${dir}`;
}

/** True when the regular file `path` starts with the bytes of `magic` (latin-1). */
function startsWith(path: string, magic: string): boolean {
  const head = new Uint8Array(magic.length);
  let n = 0;
  try {
    using file = Deno.openSync(path);
    for (let r; n < head.length && (r = file.readSync(head.subarray(n))) !== null;) n += r;
  } catch {
    return false;
  }
  return n === head.length && head.every((b, i) => b === magic.charCodeAt(i));
}

/** A built-in's arguments with its default output passed when the plugin cannot know it (`writes.passDefault`). */
function builtinArgs(spec: PluginSpec): string[] {
  const writes = spec.file.includes("/") ? undefined : BUILTIN_PLUGINS.find((p) => p.name === spec.file)?.writes;
  if (!writes?.passDefault || spec.args.some((a) => a.startsWith(`${writes.option}=`))) return spec.args;
  return [...spec.args, `${writes.option}=${writes.default}`];
}

function randomId(): bigint {
  return crypto.getRandomValues(new BigUint64Array(1))[0];
}

/** One `-plugin`, from its start to its install. */
interface Started {
  spec: PluginSpec;
  /** Display name (`insn`, `./my.ts`). */
  name: string;
  /** Source path. */
  path: string;
  /** Globals its grants make reachable. */
  keep: string[];
  /** Its process (undefined when it could not start: `error` says why). */
  sandbox?: Sandbox;
  error?: string;
}

/**
 * Whether a plugin's `write` grants name a directory, whose entries it may
 * then make, remove and rename: a built-in's own directory (uftrace's),
 * or a grant naming an existing directory (callgrind's with one file per
 * process, a `-plugin-allow write=` of one), or a user's grant of a name
 * ending in `/` (a directory the plugin makes). A grant of a file, or of a name not
 * there yet, writes that one file.
 */
function writesDirectory(spec: PluginSpec, grants: readonly string[]): boolean {
  const builtin = spec.file.includes("/") ? undefined : BUILTIN_PLUGINS.find((p) => p.name === spec.file)?.writes;
  if (builtin?.directory) return true; // made by the plugin: not there yet, maybe
  // A user's grant of a directory the plugin makes: a name ending in '/'.
  if (spec.allow.some((g) => g.startsWith("write=") && g.endsWith("/"))) return true;
  // Callgrind's files per process are granted through their directory, which exists.
  return grants.some((g) => {
    if (!g.startsWith("write=")) return false;
    try {
      return Deno.statSync(g.slice("write=".length)).isDirectory;
    } catch {
      return false;
    }
  });
}

/** Plugin processes started before the guest is created. */
export interface StartedPlugins {
  readonly plugins: readonly Started[];
  /** Stops every process (after a failure, or when the guest cannot be created). */
  stop(): void;
}

/**
 * Stage 1: resolves every `-plugin` and starts its process, with its
 * grants (`-plugin-allow`'s, and a built-in's from its options), which
 * boots while plume reads the guest program.
 *
 * @throws {PluginLoadError} for a plugin that does not exist, or a file a built-in cannot be granted
 */
export function startPlugins(specs: readonly PluginSpec[], opts: Pick<LoadOptions, "memoryMb">): StartedPlugins {
  const resolved = specs.map((spec) => ({ spec, ...resolvePlugin(spec.file) }));
  const plugins = resolved.map(({ spec, name, path }): Started => {
    const allow = [...spec.allow, ...builtinGrants(spec)];
    const keep = [...new Set(allow.flatMap((g) => GRANT_GLOBALS[g.slice(0, g.indexOf("="))] ?? []))];
    try {
      const grants = absoluteGrants(allow), writesTree = writesDirectory(spec, grants);
      const sandbox = new Sandbox({ name, grants, keep, memoryMb: opts.memoryMb, writesTree });
      return { spec, name, path, keep, sandbox };
    } catch (err) {
      if (!(err instanceof SandboxUnavailable)) throw err;
      return { spec, name, path, keep, error: err.message };
    }
  });
  // From now on plugin processes compete with plume's threads for the cores: V8's helpers yield to them.
  if (plugins.some((p) => p.sandbox !== undefined)) lowerHelperThreads();
  return { plugins, stop: () => plugins.forEach((p) => p.sandbox?.kill()) };
}

/** A load failure of plugin `name`: one line, the plugin's own text escaped. */
function loadError(name: string, message: string): PluginLoadError {
  return new PluginLoadError(`plugin '${printable(name)}': ${printable(message)}`);
}

/**
 * Stages 2–6: loads and installs every started plugin into `core`, in load
 * order. On failure every process is stopped.
 *
 * @throws {PluginLoadError} with one line for the user
 */
export async function loadPlugins(core: PluginCore, started: StartedPlugins, guest: Guest, opts: LoadOptions) {
  try {
    await loadAll(core, started, guest, opts);
  } catch (err) {
    started.stop();
    throw err;
  }
}

/** What every plugin process is told when its plugin's code is sent (`qemu_info_t` and the program). */
interface LoadContext {
  info: QemuInfo;
  program: { path: string; start: number; end: number; entry: number };
  /** True when plugin output is shown (`-d plugin`). */
  outs: boolean;
  watchdogMs: number;
}

async function loadAll(core: PluginCore, started: StartedPlugins, guest: Guest, opts: LoadOptions) {
  const plugins = started.plugins;
  for (const p of plugins) if (p.error) throw loadError(p.name, p.error);
  const ctx: LoadContext = {
    info: {
      target_name: "riscv64",
      version: { min: PLUGIN_API_MIN, cur: PLUGIN_API_CURRENT },
      system_emulation: false,
      system: { smp_vcpus: 1, max_vcpus: 1 },
      pid: guest.proc.pid,
    },
    program: {
      path: guest.proc.exePath ?? "",
      start: guest.proc.startCode,
      end: guest.proc.endCode,
      entry: guest.proc.entry,
    },
    outs: opts.log.on("plugin"),
    watchdogMs: opts.watchdog * 1000,
  };
  // The instances exist from the start, so that their output is drained while they load.
  const instances = plugins.map((p, i) => newInstance(p, i, ctx, opts.log));
  // Stages 2–4 for every plugin at once; failures are reported in load order.
  const reports = await Promise.allSettled(
    plugins.map(async (p, i) =>
      evaluate(p, instances[i], await bundle(p, Math.max(ctx.watchdogMs, MIN_BUNDLE_BOUND_MS)), ctx)
    ),
  );
  for (const r of reports) if (r.status === "rejected") throw r.reason;
  plugins.forEach((p, i) => check(p, (reports[i] as PromiseFulfilledResult<LoadReport>).value));
  for (let i = 0; i < plugins.length; i++) install(core, plugins[i], instances[i]);
}

/** The emulator's end of plugin `p`'s channel, the `index`th loaded. */
function newInstance(p: Started, index: number, ctx: LoadContext, log: Log): PluginInstance {
  // One decoder per instance, streaming: a character may be split between two drains.
  const decoder = new TextDecoder();
  const inst = new PluginInstance(index, p.name, randomId(), ctx.watchdogMs, (bytes) => {
    if (ctx.outs) log.write(decoder.decode(bytes, { stream: true }));
  }, p.sandbox!);
  inst.guestWrite = p.spec.allow.includes(GUEST_WRITE_GRANT);
  return inst;
}

/**
 * The least time bundling a plugin may take, whatever the watchdog: a cold
 * esbuild-wasm compiles for about a second, and more on a loaded machine.
 * The bound is there for a source the bundler never finishes (esbuild-wasm
 * stops answering when its stack overflows).
 */
const MIN_BUNDLE_BOUND_MS = 10_000;

/** Stage 2: the plugin's code, bundled under the allowlist and its grants, within the watchdog or the least bound. */
async function bundle(p: Started, timeoutMs: number): Promise<string> {
  try {
    return (await bundlePlugin(p.path, { allowed: p.keep, timeoutMs })).code;
  } catch (err) {
    if (err instanceof PluginLoadError) throw loadError(p.name, err.message);
    throw err;
  }
}

/**
 * Stages 3 and 4: sends the process the code (it waits in the pipe until
 * the process has booted and confined itself), waits for the boot and for
 * the load report, draining the plugin's output meanwhile.
 */
async function evaluate(p: Started, inst: PluginInstance, code: string, ctx: LoadContext): Promise<LoadReport> {
  const sandbox = p.sandbox!, drain = () => inst.drainText();
  try {
    const sent = sandbox.send({
      name: p.name,
      code,
      id: String(inst.id),
      argv: builtinArgs(p.spec),
      info: ctx.info,
      outs: ctx.outs,
      program: ctx.program,
      guestWrite: inst.guestWrite,
    });
    await sandbox.booted(BOOT_TIMEOUT_MS, drain);
    await sent;
    return await sandbox.loaded(ctx.watchdogMs, drain);
  } catch (err) {
    if (err instanceof PluginFailure) throw loadError(p.name, err.message);
    throw err;
  } finally {
    drain();
  }
}

/** Stage 5: the report says the code ran, exports a supported `qemu_plugin_version` and `qemu_plugin_install`. */
function check(p: Started, r: LoadReport): void {
  if (!r.ok) throw loadError(p.name, r.error);
  if (r.versionType === "undefined") throw loadError(p.name, "does not export qemu_plugin_version");
  if (r.version === undefined || !Number.isInteger(r.version)) {
    const named = /^-?(NaN|Infinity)$/.test(r.versionType);
    const what = r.version ??
      (named ? r.versionType : `${/^[aeiou]/.test(r.versionType) ? "an" : "a"} ${r.versionType}`);
    throw loadError(p.name, `qemu_plugin_version is not an integer (${what})`);
  }
  if (r.version < PLUGIN_API_MIN || r.version > PLUGIN_API_CURRENT) {
    throw loadError(
      p.name,
      `qemu_plugin_version ${r.version} is outside the supported range [${PLUGIN_API_MIN}, ${PLUGIN_API_CURRENT}]`,
    );
  }
  if (!r.hasInstall) throw loadError(p.name, "does not export a qemu_plugin_install function");
}

/** Stage 6: adds the instance to the core and calls `qemu_plugin_install`, which must return the integer 0. */
function install(core: PluginCore, p: Started, inst: PluginInstance): void {
  core.add(inst);
  let reply: CallReply;
  try {
    reply = inst.call(OP.INSTALL, []);
  } catch (err) {
    if (err instanceof PluginFailure) throw loadError(p.name, err.message);
    throw err;
  } finally {
    inst.drainText();
  }
  if (reply[1] !== 0) {
    let value = "a nonzero value";
    try {
      value = getString(inst.channel.ctl, PAYLOAD)[0];
    } catch { /* a malformed description: the plain words above */ }
    throw loadError(p.name, `qemu_plugin_install returned ${value}`);
  }
}
