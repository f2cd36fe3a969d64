/**
 * The sandbox of one plugin instance: a Deno Web Worker created with the
 * instance's permissions (`"none"` unless granted) that starts a
 * `node:worker_threads` Worker with a heap limit running the plugin.
 *
 * Two boundaries, because neither alone holds (measured with Deno 2.9.6):
 * a Web Worker that allocates without bound aborts the whole process; a
 * node worker with `resourceLimits` is stopped at its limit but, started
 * from the main thread, has all of plume's permissions. Started from the
 * restricted Web Worker, it inherits that worker's permissions. The price:
 * a node worker started from a Web Worker takes about 0.55 s to come up
 * (from the main thread: 30–50 ms), so `-plugin-memory 0` skips it and runs
 * the plugin in the Web Worker itself, without a memory limit.
 *
 * The Web Worker (the "relay") stays idle once the plugin runs; it reports
 * the node worker's death (out of memory, crash) into the control block,
 * where the emulator's waits see it at once.
 *
 * @module
 */

import { CTL, DEATH, RING, STATE } from "./channel.ts";
import type { RuntimeFailed, RuntimeInit, RuntimeReady } from "./runtime/dispatcher.ts";
import { RUNTIME_SOURCE } from "./runtime_bundle_generated.ts";

/** Permissions of a plugin worker: none, or Deno permission descriptors granted on the command line. */
export type SandboxPermissions = "none" | {
  read?: string[];
  write?: string[];
  net?: string[];
  env?: string[];
};

/** How to start a sandbox. */
export interface SandboxOptions {
  /** Deno permissions of the worker. */
  permissions: SandboxPermissions;
  /** Heap limit of the plugin in MiB; 0 runs it in the Web Worker without a limit. */
  memoryMb: number;
}

/** A started sandbox. */
export interface Sandbox {
  /** Hands the sandbox the plugin's bundled code (the worker boots before it is ready). */
  load(code: string): void;
  /** Settles when the plugin's code was evaluated (or failed to be). */
  ready: Promise<RuntimeReady | RuntimeFailed>;
  /** Stops the plugin's threads. Safe to call more than once. */
  kill(): void;
}

/** The relay's code: plain JavaScript, loaded from a data URL (the worker cannot read files). */
const RELAY_SOURCE = `
import { MessageChannel, Worker as NodeWorker } from "node:worker_threads";
const L = ${JSON.stringify({ STATE: CTL.STATE, DEAD: STATE.DEAD, DEATH, TAIL: RING.TAIL })};
let nw, codePort;
self.onmessage = (first) => {
  const { runtime, init, memoryMb } = first.data;
  const ci = new Int32Array(init.ctl);
  const dead = (msg) => {
    if (Atomics.load(ci, L.STATE) === L.DEAD) return;
    const bytes = new TextEncoder().encode(msg);
    new Uint8Array(init.ctl).set(bytes, (L.DEATH + 1) * 4);
    ci[L.DEATH] = bytes.length;
    Atomics.store(ci, L.STATE, L.DEAD);
    Atomics.notify(ci, L.STATE);
    Atomics.notify(new Int32Array(init.ring), L.TAIL);
  };
  if (memoryMb > 0) {
    // The node worker boots while the plugin is being bundled; the code follows in a message.
    let ready = false;
    const boot = runtime + ";\\nconst { workerData, parentPort } = require('node:worker_threads');\\n" +
      "const { receiveMessageOnPort } = require('node:worker_threads');\\n" +
      "const nap = new Int32Array(new SharedArrayBuffer(4));\\n" +
      "let m;\\nwhile (!(m = receiveMessageOnPort(workerData.port))) Atomics.wait(nap, 0, 0, 5);\\n" +
      "workerData.code = m.message;\\n" +
      "plumeRuntime.main(workerData, (m) => parentPort.postMessage(m));\\n";
    // The code arrives on a port read synchronously: a plugin running inside a message callback that
    // runs out of memory ends its worker without the "error" event that names the cause.
    const channel = new MessageChannel();
    codePort = channel.port1;
    nw = new NodeWorker(boot, {
      eval: true,
      workerData: { ...init, port: channel.port2 },
      transferList: [channel.port2],
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(64, memoryMb) },
    });
    nw.on("message", (m) => { ready = true; self.postMessage(m); });
    nw.on("error", (err) => {
      const oom = /memory limit|out of memory/i.test(String(err && err.message));
      const msg = oom ? "out of memory (heap limit " + memoryMb + " MiB)" : "crashed: " + (err && err.message);
      if (!ready) self.postMessage({ ready: false, error: msg }); else dead(msg);
    });
    // An "error" (out of memory) may follow the "exit": give it a moment to name the cause.
    nw.on("exit", (code) => setTimeout(() => {
      const msg = "stopped (exit code " + code + ")";
      if (!ready) self.postMessage({ ready: false, error: msg }); else dead(msg);
    }, 100));
  }
  self.onmessage = (e) => {
    if (e.data === "kill") {
      nw?.terminate();
      self.close();
    } else if (nw) {
      codePort.postMessage(e.data.code);
    } else {
      init.code = e.data.code;
      const post = (m) => self.postMessage(m);
      new Function(runtime + ";\\nreturn plumeRuntime;")().main(init, post);
    }
  };
};
`;

const RELAY_URL = `data:application/javascript;base64,${btoa(RELAY_SOURCE)}`;

/**
 * Starts the sandbox of one instance; the plugin's code follows with
 * {@link Sandbox.load} (the worker boots meanwhile).
 *
 * @example
 * ```ts ignore
 * const box = spawnSandbox(init, { permissions: "none", memoryMb: 512 });
 * box.load(bundle.code);
 * const r = await box.ready;
 * ```
 */
export function spawnSandbox(init: RuntimeInit, opts: SandboxOptions): Sandbox {
  const permissions = opts.permissions === "none" ? "none" : {
    read: opts.permissions.read ?? false,
    write: opts.permissions.write ?? false,
    net: opts.permissions.net ?? false,
    env: opts.permissions.env ?? false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
  const worker = new Worker(RELAY_URL, {
    type: "module",
    name: `plugin ${init.name}`,
    // deno-lint-ignore no-explicit-any
    deno: { permissions } as any,
  });
  let settled = false;
  const ready = new Promise<RuntimeReady | RuntimeFailed>((resolve) => {
    worker.onmessage = (e: MessageEvent<RuntimeReady | RuntimeFailed>) => {
      settled = true;
      resolve(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      if (!settled) resolve({ ready: false, error: e.message });
    };
  });
  worker.postMessage({ runtime: RUNTIME_SOURCE, init, memoryMb: opts.memoryMb });
  let killed = false;
  return {
    load: (code) => worker.postMessage({ code }),
    ready,
    kill() {
      if (killed) return;
      killed = true;
      // With a node worker the relay is idle and stops it; without, the plugin is this worker.
      if (opts.memoryMb > 0) worker.postMessage("kill");
      else worker.terminate();
    },
  };
}
