/**
 * Loading plugins, as a list of stages: resolve each `-plugin` (a file or a
 * built-in), bundle it under the allowlist, start its sandbox (all in
 * parallel), check `qemu_plugin_version` against the supported window, then
 * install the instances in load order. Any failure is one line and exit
 * status 1 before the guest starts.
 *
 * @module
 */

import type { PluginSpec } from "../cli/options.ts";
import type { Guest } from "../emulator.ts";
import type { Log } from "../util/log.ts";
import { bundlePlugin, GRANT_GLOBALS, PluginLoadError } from "./bundle.ts";
import { BUILTIN_PLUGINS, builtinPath } from "./builtins.ts";
import { CTL, OP } from "./channel.ts";
import type { PluginCore } from "./core.ts";
import { PluginFailure, PluginInstance } from "./instance.ts";
import type { QemuInfo } from "./runtime/api.ts";
import { type SandboxPermissions, spawnSandbox } from "./sandbox.ts";
import { FORBIDDEN_GLOBALS } from "./bundle.ts";

/** The plugin API version plume implements (QEMU's current one). */
export const PLUGIN_API_CURRENT = 7;
/**
 * The oldest plugin API version accepted. Version 1's global inline
 * operations and `qemu_plugin_n_vcpus` were removed in version 2, and plume
 * provides neither; everything from version 2 on is here with its
 * semantics (`qemu_plugin_insn_data` also answers in its version-2 form).
 */
export const PLUGIN_API_MIN = 2;

/** How plugins are loaded. */
export interface LoadOptions {
  /** `-plugin-watchdog` in seconds. */
  watchdog: number;
  /** `-plugin-memory` in MiB. */
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
      `plugin '${file}': no such built-in plugin, nor a .ts/.js file (built-ins: ${
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

/** Deno permissions for an instance's grants (`read=PATH`…). */
export function grantPermissions(allow: readonly string[]): SandboxPermissions {
  if (allow.length === 0) return "none";
  const p: { read?: string[]; write?: string[]; net?: string[]; env?: string[] } = {};
  for (const g of allow) {
    const eq = g.indexOf("=");
    const kind = g.slice(0, eq) as "read" | "write" | "net" | "env", value = g.slice(eq + 1);
    (p[kind] ??= []).push(kind === "read" || kind === "write" ? absolute(value) : value);
  }
  return p;
}

function randomId(): bigint {
  return crypto.getRandomValues(new BigUint64Array(1))[0];
}

/**
 * Loads and installs every plugin into `core`, in load order.
 *
 * @throws {PluginLoadError} with one line for the user
 */
export async function loadPlugins(core: PluginCore, specs: readonly PluginSpec[], guest: Guest, opts: LoadOptions) {
  const resolved = specs.map((s) => {
    const allowed = [...new Set(s.allow.flatMap((g) => GRANT_GLOBALS[g.slice(0, g.indexOf("="))] ?? []))];
    return { spec: s, allowed, ...resolvePlugin(s.file) };
  });
  const info: QemuInfo = {
    target_name: "riscv64",
    version: { min: PLUGIN_API_MIN, cur: PLUGIN_API_CURRENT },
    system_emulation: false,
    system: { smp_vcpus: 1, max_vcpus: 1 },
  };
  const outs = opts.log.on("plugin");
  const decoder = new TextDecoder();
  // Sandboxes first: their workers boot (about 0.5 s for a heap-limited one) while the plugins are bundled.
  const instances = resolved.map((r, i) => {
    const inst = new PluginInstance(i, r.name, randomId(), opts.watchdog * 1000, (bytes) => {
      if (outs) opts.log.write(decoder.decode(bytes));
    });
    inst.sandbox = spawnSandbox({
      name: r.name,
      code: "",
      id: inst.id,
      argv: r.spec.args,
      info,
      ...inst.bufs,
      outs,
      program: {
        path: guest.proc.exePath ?? "",
        start: guest.proc.startCode,
        end: guest.proc.endCode,
        entry: guest.proc.entry,
      },
      hide: FORBIDDEN_GLOBALS.filter((g) => !r.allowed.includes(g)),
    }, { permissions: grantPermissions(r.spec.allow), memoryMb: opts.memoryMb });
    return inst;
  });
  try {
    await Promise.all(resolved.map(async (r, i) => {
      try {
        instances[i].sandbox!.load((await bundlePlugin(r.path, { allowed: r.allowed })).code);
      } catch (err) {
        if (err instanceof PluginLoadError) throw new PluginLoadError(`plugin '${r.name}': ${err.message}`);
        throw err;
      }
    }));
  } catch (err) {
    for (const inst of instances) inst.sandbox?.kill();
    throw err;
  }
  const readies = await Promise.all(instances.map((inst) => inst.sandbox!.ready));
  const fail = (i: number, message: string): never => {
    for (const inst of instances) inst.sandbox?.kill();
    throw new PluginLoadError(`plugin '${resolved[i].name}': ${message}`);
  };
  for (let i = 0; i < instances.length; i++) {
    const r = readies[i];
    if (!r.ready) fail(i, r.error);
    else if (r.version === undefined) fail(i, "does not export qemu_plugin_version");
    else if (typeof r.version !== "number" || !Number.isInteger(r.version)) {
      fail(i, `qemu_plugin_version is not an integer (${String(r.version)})`);
    } else if ((r.version as number) < PLUGIN_API_MIN || (r.version as number) > PLUGIN_API_CURRENT) {
      fail(
        i,
        `qemu_plugin_version ${r.version} is outside the supported range [${PLUGIN_API_MIN}, ${PLUGIN_API_CURRENT}]`,
      );
    } else if (!r.hasInstall) fail(i, "does not export a qemu_plugin_install function");
  }
  for (const inst of instances) {
    core.add(inst);
    let ret = 0;
    try {
      ret = inst.call(OP.INSTALL, [])[CTL.ARGS + 1];
    } catch (err) {
      if (err instanceof PluginFailure) fail(inst.index, err.message);
      throw err;
    } finally {
      inst.drainText();
    }
    if (ret !== 0) fail(inst.index, `qemu_plugin_install returned ${ret}`);
  }
}
