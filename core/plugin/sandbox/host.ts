/**
 * The plugin process: what runs one plugin instance, started by plume
 * (`spawn.ts`) as a Deno process of its own. As a list of stages:
 *
 * 1. **attach**: map the channel plume created (its memfd, opened through
 *    `/proc/PLUME/fd/N`) and point standard error at a small sealed
 *    memfd plume reads when the process dies;
 * 2. **connect** the unix sockets the user granted (`unix=PATH`), as
 *    QEMU's lockstep plugin does: to the peer listening there, or, when
 *    nobody is, listening for one (this waits for the peer);
 * 3. **confine**: a session of its own (terminal signals for plume do not
 *    reach it), a memory limit covering everything it can allocate (heap,
 *    `ArrayBuffer`s, WebAssembly memories, workers), no core dumps, the
 *    seccomp filter, and every Deno permission revoked but the grants;
 * 4. **boot**: tell plume it is ready for the plugin's code;
 * 5. **receive** the code and its arguments on standard input;
 * 6. **empty the global object** down to what a plugin may reach;
 * 7. **run** the plugin side (`runtime/dispatcher.ts`) until plume kills
 *    the process or goes away.
 *
 * Anything the plugin does happens to this process alone: plume sees a
 * channel that stops answering, a process that ended, or a message.
 *
 * @module
 */

import { CTL, DEATH, LAYOUT, mappedChannel, putString, STATE } from "../channel.ts";
import { apiObject } from "../runtime/binding_generated.ts";
import { type RuntimeInit, start } from "../runtime/dispatcher.ts";
import { type Forker, instance, type StreamSocket } from "../runtime/state.ts";
import { confineProcess, PR_SET_PDEATHSIG, SIGKILL } from "./confine.ts";
import { type Mapping, os } from "./os.ts";
import { strerror } from "../../linux/errno.ts";
import { confineGlobals } from "./realm.ts";

/** What plume tells a plugin process on its command line (JSON, the last argument). */
export interface HostArgs {
  /** plume's pid: where the descriptors are, and whose death ends this process. */
  parent: number;
  /** plume's descriptor of the channel's memfd. */
  channelFd: number;
  /** plume's descriptor of the standard-error memfd. */
  stderrFd: number;
  /** Memory limit in MiB beyond what the runtime uses at start (0: none). */
  memoryMb: number;
  /** Deno permission kinds granted (`read`, `write`, `net`, `env`): kept, all others revoked. */
  grants: string[];
  /** Globals the grants make reachable. */
  keep: string[];
  /**
   * Absolute paths of the unix sockets granted (`unix=PATH`): connected
   * before the process confines itself, which then makes no socket of its
   * own.
   */
  sockets?: string[];
  /** plume's working directory, against which the plugin names a granted socket by a relative path. */
  cwd?: string;
  /**
   * True when V8 runs on this one thread (`--single-threaded`), so that a
   * copy of the process, which has only the thread that made it, never
   * waits for a helper thread it lacks: only then does the process copy
   * itself for a forked guest.
   */
  forkable?: boolean;
}

/** Bytes of a forked copy's standard-error file (as plume makes it for a plugin process it starts). */
const STDERR_BYTES = 64 * 1024;

/**
 * How this process copies itself for a forked guest: the child's channel
 * and standard-error file are memfds made here, sealed to their size as
 * plume makes them, the channel holding the copied control block and
 * scoreboards; then a copy of this process, a child of plume, which maps
 * its channel where this one's is (so that every view of the channel
 * made before the permissions were revoked shows the new one), puts up
 * again the one wall a copy loses (death with plume) and takes its own
 * standard error. Limits, session, seccomp filter and permissions are
 * inherited.
 */
function forker(parent: number, mapping: Mapping): Forker {
  const o = os();
  // A copy's own files stay open for plume to open through /proc (it does so at once); its parent's it closes.
  let kept: number[] = [];
  return (copy) => {
    const channelFd = o.memfd("plume-plugin", LAYOUT.size);
    let stderrFd = -1, pid: number;
    try {
      stderrFd = o.memfd("plume-plugin-stderr", STDERR_BYTES);
      o.writeAt(channelFd, copy.ctl, LAYOUT.ctl);
      o.writeAt(channelFd, copy.arena, LAYOUT.arena);
      pid = o.forkSibling(parent);
    } catch (err) {
      o.close(channelFd);
      if (stderrFd >= 0) o.close(stderrFd);
      throw err;
    }
    if (pid !== 0) {
      // Here: the copy holds the new files; plume opens them through /proc/PID/fd.
      o.close(channelFd);
      o.close(stderrFd);
      return { pid, channelFd, stderrFd };
    }
    // The copy, which dies with plume already (forkSibling saw to it before anything of the plugin's could run).
    o.remap(mapping, channelFd, LAYOUT.size);
    o.dup2(stderrFd, 2);
    for (const fd of kept) o.close(fd);
    // A connection is one process's conversation with its peer: the copy's writes would be mixed into it. The
    // list is this module's (the plugin may have replaced Map's iterators by now), walked by index.
    for (let i = 0; i < granted.length; i++) granted[i].close();
    kept = [channelFd, stderrFd];
    return { pid: 0, channelFd, stderrFd };
  };
}

/** The granted sockets that were made, for a forked copy to close (a list of this module's own). */
const granted: StreamSocket[] = [];

/** The granted socket at `path`, or why there is none, in `perror`'s words (`failed to connect: Connection refused`). */
function connect(path: string, listening: () => void): StreamSocket | string {
  const r = os().unixStream(path, listening);
  return "step" in r ? `${r.step}: ${strerror(r.errno)}` : r;
}

/** Largest init message accepted on standard input (the plugin's bundle and its arguments). */
const MAX_INIT_BYTES = 256 << 20;

/** Reads standard input to its end. */
function readInit(): RuntimeInit {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(1 << 20);
    const n = Deno.stdin.readSync(buf);
    if (n === null) break;
    chunks.push(buf.subarray(0, n));
    total += n;
    if (total > MAX_INIT_BYTES) throw new Error("Plugin code too large");
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) all.set(c, at), at += c.length;
  return JSON.parse(new TextDecoder().decode(all));
}

/**
 * Runs the plugin process with `args` (the JSON plume put on its command
 * line). Returns only if plume is gone; the process then exits.
 */
export function hostMain(argsJson: string): void {
  const args = JSON.parse(argsJson) as HostArgs;
  const o = os();
  // Stage 1: attach.
  const fd = o.open(`/proc/${args.parent}/fd/${args.channelFd}`, true);
  const mapping = o.map(fd, LAYOUT.size);
  o.close(fd);
  const channel = mappedChannel(mapping, { wait: o.futexWait, wake: o.futexWake });
  const ci = new Int32Array(channel.ctl);
  const fail = (stage: string, err: unknown) => {
    putString(channel.ctl, DEATH, `${stage}: ${err instanceof Error ? err.message : String(err)}`);
    Atomics.store(ci, CTL.STATE, STATE.DEAD);
    o.futexWake(mapping.address + LAYOUT.ctl + CTL.STATE * 4);
    o.exit(3);
  };
  try {
    const err = o.open(`/proc/${args.parent}/fd/${args.stderrFd}`, true);
    o.dup2(err, 2);
    o.close(err);
    // Stage 2: connect. A listener waits for its peer here: it must not outlive plume meanwhile.
    o.prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (o.getppid() !== args.parent) o.exit(0);
    instance.cwd = args.cwd ?? "/";
    const listening = () => Atomics.store(ci, CTL.STATE, STATE.LISTENING);
    for (const path of args.sockets ?? []) {
      const socket = connect(path, listening);
      instance.sockets.set(path, socket);
      if (typeof socket !== "string") granted.push(socket);
    }
    // Stage 3: confine.
    confineProcess(args);
  } catch (err) {
    fail("confining the plugin process", err);
  }
  // Stage 4: boot.
  Atomics.store(ci, CTL.STATE, STATE.BOOTED);
  channel.waiter.wake(ci, CTL.STATE);
  // Stage 5: receive.
  let init: RuntimeInit;
  try {
    init = readInit();
  } catch (err) {
    return fail("receiving the plugin", err);
  }
  // Stage 6: empty the global object.
  const api = apiObject();
  try {
    confineGlobals(args.keep);
  } catch (err) {
    return fail("confining the plugin's globals", err);
  }
  // Stage 7: run, until plume kills this process or is gone.
  const exit = o.exit, getppid = o.getppid;
  start(init, channel, api, () => {
    if (getppid() !== args.parent) exit(0);
  }, args.forkable ? forker(args.parent, mapping) : undefined);
  // The plugin failed to load, or died: its message is in the channel; wait for plume to end this process.
  for (;;) {
    channel.waiter.wait(ci, CTL.DOORBELL, Atomics.load(ci, CTL.DOORBELL), 100);
    if (getppid() !== args.parent) exit(0);
  }
}

if (import.meta.main) hostMain(Deno.args[Deno.args.length - 1]);
