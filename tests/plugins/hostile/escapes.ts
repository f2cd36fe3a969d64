/**
 * Hostile test plugin: reaches the global object by paths the load-time
 * check cannot see (the Function constructor through `[]`, a generator
 * function's constructor, `Reflect.construct`) and, in its first
 * translation callback, tries everything that would act outside its
 * process: signal plume, write to plume's stdout or stderr, read the
 * guest's stdin, touch files, the environment, the network, processes,
 * workers, FFI. Each attempt's outcome is printed (`-d plugin`); with
 * `raw=ACTION` the attempt is made without catching what it throws.
 * `marker=PATH` names a file that must never be created.
 *
 * @module
 */

import { type PluginId, qemu_plugin_outs, qemu_plugin_register_vcpu_tb_trans_cb, type QemuInfo } from "qemu-plugin";

export const qemu_plugin_version = 7;

// deno-lint-ignore no-explicit-any
type Any = any;

/** Paths to the global object that name nothing the bundler refuses. */
const GLOBAL_PATHS: Record<string, () => Any> = {
  function: () => ([] as Any).constructor.constructor("return this")(),
  generator: () => (function* () {}).constructor("return this")().next().value,
  reflect: () => (Reflect.construct(([] as Any).constructor.constructor, ["return this"]) as Any)(),
};

function actions(marker: string): Record<string, (g: Any) => unknown> {
  const enc = new TextEncoder();
  return {
    kill: (g) => g.process.kill(g.process.pid, "SIGKILL"),
    killParent: (g) => g.process.kill(g.process.ppid, "SIGKILL"),
    term: (g) => g.process.kill(g.process.ppid, "SIGTERM"),
    int: (g) => g.process.kill(g.process.ppid, "SIGINT"),
    stop: (g) => g.process.kill(g.process.ppid, "SIGSTOP"),
    denoKill: (g) => g.Deno.kill(g.Deno.ppid, "SIGKILL"),
    console: (g) => g.console.log("PLUGIN WROTE TO STDOUT"),
    consoleError: (g) => g.console.error("PLUGIN WROTE TO STDERR"),
    processStdout: (g) => g.process.stdout.write("PLUGIN WROTE TO STDOUT\n"),
    fsWrite: (g) => g.process.getBuiltinModule("node:fs").writeSync(1, "PLUGIN WROTE TO STDOUT\n"),
    fsReadStdin: (g) => g.process.getBuiltinModule("node:fs").readSync(0, new Uint8Array(4096)),
    denoStdout: (g) => g.Deno.stdout.writeSync(enc.encode("PLUGIN WROTE TO STDOUT\n")),
    denoStdin: (g) => g.Deno.stdin.readSync(new Uint8Array(4096)),
    writeFile: (g) => g.Deno.writeTextFileSync(marker, "x"),
    readFile: (g) => g.Deno.readTextFileSync("/etc/passwd"),
    env: (g) => g.Deno.env.get("HOME"),
    fetch: (g) => g.fetch("http://127.0.0.1:9/"),
    listen: (g) => g.Deno.listen({ port: 0 }),
    run: (g) => new g.Deno.Command("touch", { args: [marker] }).outputSync(),
    worker: (g) => new g.Worker("data:application/javascript,postMessage(1)", { type: "module" }),
    postMessage: (g) => g.postMessage("x"),
    require: (g) => g.require("node:fs"),
    ffi: (g) => g.Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } }),
    timers: (g) => g.setTimeout(() => {}, 0),
    eventTarget: (g) => g.addEventListener("unload", () => {}),
  };
}

export function qemu_plugin_install(id: PluginId, _info: QemuInfo, argv: string[]): number {
  const arg = (k: string) => argv.find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1);
  const marker = arg("marker") ?? "/nonexistent/plume-marker";
  const raw = arg("raw");
  const all = actions(marker);
  let done = false;
  qemu_plugin_register_vcpu_tb_trans_cb(id, function onTrans() {
    if (done) return;
    done = true;
    if (raw) return all[raw](GLOBAL_PATHS.function());
    for (const [path, reach] of Object.entries(GLOBAL_PATHS)) {
      const g = reach();
      qemu_plugin_outs(`${path}: ${Reflect.ownKeys(g).length} globals\n`);
      for (const [name, act] of Object.entries(all)) {
        let outcome: string;
        try {
          act(g);
          outcome = "DONE";
        } catch (err) {
          outcome = `refused (${(err as Error).name})`;
        }
        qemu_plugin_outs(`${path} ${name}: ${outcome}\n`);
      }
    }
  });
  return 0;
}
