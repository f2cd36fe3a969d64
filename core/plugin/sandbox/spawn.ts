/**
 * Starting and watching plugin processes (plume's side of the sandbox).
 *
 * Each plugin instance runs in a Deno process of its own (`host.ts`),
 * started from plume's main thread with no permissions but its grants,
 * standard output discarded, an environment holding only what Deno needs
 * and the granted variables, and two shared files plume creates: the
 * channel and a small, fixed-size file that becomes the process's
 * standard error (read when it dies, to tell an out-of-memory death from a
 * crash). A kill, a crash or an out-of-memory death is the process's own;
 * plume notices it through a pidfd.
 *
 * The process boots while plume reads the guest program and bundles the
 * plugin; its code follows on standard input.
 *
 * @module
 */

import {
  type Channel,
  CTL,
  DEATH,
  getString,
  LAYOUT,
  type LoadReport,
  mappedChannel,
  PAYLOAD,
  PluginFailure,
  STATE,
} from "../channel.ts";
import type { RuntimeInit } from "../runtime/dispatcher.ts";
import type { PluginProcess } from "../instance.ts";
import type { HostArgs } from "./host.ts";
import { SIGNAL_NUMBERS } from "../../linux/signals.ts";
import { TREE_GRANT } from "./confine.ts";
import { type ExitStatus, type Mapping, os, SandboxUnavailable } from "./os.ts";
import { bundledHostModule, PLUGIN_HOST_FLAG } from "./host_flag.ts";
import { type CpuSplit, splitCpus } from "./cpus.ts";
import { fileUrlToPath } from "../../util/file_url.ts";

/** Bytes of a plugin process's standard error that plume keeps (the rest is refused by the file's seal). */
const STDERR_BYTES = 64 * 1024;

/**
 * V8's flags in a plugin process: no helper threads (no concurrent
 * compilation, marking or sweeping). A copy made for a forked guest has
 * only the thread that made it, and V8 waited forever for helpers the
 * copy lacked (measured: 20 of 20 copies that collected garbage and
 * compiled hot code hung with helpers, none without).
 */
const V8_FLAGS = "--single-threaded";

/** Seals a channel memfd made by a plugin's copy must carry: its size fixed for good (as plume's own). */
const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4;

/** A unix socket grant's prefix: plume's own, not a Deno permission (the process connects it before confining itself). */
const UNIX_GRANT = "unix=";

/**
 * How long a load stage sleeps at a time on the channel's state word (ms),
 * which the process wakes at each stage it reaches, before it lets the
 * event loop run (the process's standard error is read there, other
 * plugins' stages go on, a bundle is built).
 */
const WAIT_SLICE_MS = 0.5;

/** How to start a plugin process. */
export interface SandboxOptions {
  /** Plugin name, for the process's memfd names. */
  name: string;
  /**
   * `-plugin-allow` grants: Deno's `read=PATH`, `write=PATH`, `net=HOST`,
   * `env=VAR`, and plume's `unix=PATH` (a socket the process connects
   * before it confines itself), paths absolute.
   */
  grants: readonly string[];
  /** Globals the grants make reachable. */
  keep: readonly string[];
  /** Memory limit in MiB (0: none). */
  memoryMb: number;
  /**
   * A `write` grant names a directory (uftrace's, callgrind's of one file
   * per process, a user's grant of one): the process may make, remove and
   * rename entries. Without it, a grant of a file writes that file only.
   */
  writesTree?: boolean;
}

function hostPath(): string {
  return bundledHostModule() ?? fileUrlToPath(new URL("./host.ts", import.meta.url));
}

/**
 * The plugin process's environment before grants: only what Deno needs to find its cache (so that the process
 * finds its compiled modules there); `env=` grants add their variables.
 */
function pluginEnvironment(): Record<string, string> {
  // V8 on one thread: a copy of the process for a forked guest has only the thread that made it (host.ts).
  const env: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", DENO_V8_FLAGS: V8_FLAGS };
  for (const name of ["DENO_DIR", "HOME", "XDG_CACHE_HOME", "PATH"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/** The command line of a plugin process and its environment. */
function hostCommand(
  opts: SandboxOptions,
  args: HostArgs,
): { cmd: string; argv: string[]; env: Record<string, string> } {
  const env = pluginEnvironment();
  const byKind = new Map<string, string[]>();
  for (const g of opts.grants.filter((g) => !g.startsWith(UNIX_GRANT))) {
    const eq = g.indexOf("="), kind = g.slice(0, eq), value = g.slice(eq + 1);
    if (value.includes(",")) throw new SandboxUnavailable(`grant '${g}': a value may not contain ','`);
    byKind.set(kind, [...byKind.get(kind) ?? [], value]);
    if (kind === "env") {
      const v = Deno.env.get(value);
      if (v !== undefined) env[value] = v;
    }
  }
  if (Deno.build.standalone) {
    // The executable's permissions were fixed when it was compiled: it could only keep a whole kind.
    // (A unix socket is no Deno permission: the process connects it before it confines itself.)
    if (byKind.size > 0) {
      throw new SandboxUnavailable(
        "plugin permission grants need plume run by deno (the compiled executable cannot restrict a grant to a path)",
      );
    }
    return { cmd: Deno.execPath(), argv: [PLUGIN_HOST_FLAG, JSON.stringify(args)], env };
  }
  const flags = [...byKind].map(([kind, values]) => `--allow-${kind}=${values.join(",")}`);
  return {
    cmd: Deno.execPath(),
    argv: [
      "run",
      "--quiet",
      "--no-prompt",
      "--no-config",
      "--no-lock",
      // V8's code cache is a file plume's own runs trust: the plugin process must not hold it open for writing.
      "--no-code-cache",
      "--allow-ffi",
      ...flags,
      hostPath(),
      JSON.stringify(args),
    ],
    env,
  };
}

/** True once plume's inherited descriptors were made close-on-exec (once per process). */
let descriptorsClosed = false;

/** Why a plugin process ended, in words for a message (never the process's own text: it is the plugin's). */
function endReason(status: ExitStatus | undefined, stderrFd: number, memoryMb: number): string {
  const stderr = stderrFd < 0 ? "" : new TextDecoder().decode(os().readStart(stderrFd, STDERR_BYTES));
  // V8's "Fatal JavaScript out of memory", Rust's "memory allocation of N bytes failed" (an abort: signal 6), or V8's
  // trap for a failed reservation (signal 5) under a limit.
  if (/out of memory|allocation (of \d+ bytes )?failed/i.test(stderr) || (status?.signal === 5 && memoryMb > 0)) {
    return memoryMb > 0 ? `out of memory (limit ${memoryMb} MiB)` : "out of memory";
  }
  if (status?.signal !== undefined) return `its process was killed by signal ${status.signal}`;
  if (status?.code !== undefined) return `its process exited with status ${status.code}`;
  return "its process ended";
}

/** The parent and session of process `pid` (`/proc/PID/stat`), undefined when it is gone. */
function parentAndSession(pid: number): { ppid: number; session: number } | undefined {
  let stat: string;
  try {
    stat = os().readSmallFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp session …: the name may hold spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(f[1]), session: Number(f[3]) };
}

/**
 * The processes of one plugin: the first one's session, which its copies
 * share, and the pids in it that plume knows (the first process and the
 * copies it accepted and has not killed).
 */
interface ProcessFamily {
  session: number;
  known: Set<number>;
  /** Copies nobody asked for that {@link watchStrays} ended (not those a fork refused). */
  unasked: number;
}

/** Every plugin's family, unloaded plugins' too: copies that outlived their plugin are still ended. */
const families: ProcessFamily[] = [];

/** Plugin processes started and not killed, and the cores they and plume's main thread keep apart meanwhile. */
let running = 0, split: CpuSplit | undefined;

/** How often plume looks for copies of plugins' processes it did not ask for (ms): a look costs 0.1–0.3 ms. */
const STRAY_CHECK_MS = 100;
let nextStrayCheck = 0;

/**
 * At most every {@link STRAY_CHECK_MS}: ends the copies of every plugin's
 * process that plume did not ask for (only a plugin driving its own
 * process's fork code makes them: an attacker helper's find, 2^N
 * processes, past `-plugin-forks` and `-plugin-memory`), looking again
 * until none is left, as a copy may make another meanwhile; counts them
 * in their family's {@link ProcessFamily.unasked}.
 */
function watchStrays(forking?: ProcessFamily): void {
  const now = performance.now();
  if (now < nextStrayCheck) return;
  nextStrayCheck = now + STRAY_CHECK_MS;
  for (const f of families) {
    for (let pass = 0; pass < 64; pass++) {
      // The family whose fork call is under way may have one unknown child: the copy its reply will name.
      const ended = endStrays(f, f === forking ? 1 : 0);
      f.unasked += ended;
      if (ended === 0) break;
    }
  }
}

/**
 * Ends the processes in `f`'s session that are children of plume but not
 * known to it: copies the plugin's process made for a forked guest whose
 * pid plume was never told (the fork call failed) or refused (the reply
 * named another), or made when no guest forked at all ({@link
 * watchStrays}). Unseen, each would live as long as plume. With `allowed`
 * of them or fewer it ends none (a fork call's copy before its reply
 * names it). Returns how many it ended.
 */
function endStrays(f: ProcessFamily, allowed = 0): number {
  const o = os();
  const strays = plumeChildren().filter((pid) =>
    Number.isInteger(pid) && pid > 0 && !f.known.has(pid) && !dying.some((d) => d.pid === pid) && isStray(f, pid)
  );
  if (strays.length <= allowed) return 0;
  let ended = 0;
  for (const pid of strays) {
    const pidfd = o.pidfd(pid);
    // Looked at again once held: the pidfd names that very process, whatever reuses its pid later.
    if (pidfd < 0) continue;
    if (!isStray(f, pid)) {
      o.close(pidfd);
      continue;
    }
    o.signal(pidfd, 9);
    dying.push({ pidfd, pid });
    ended++;
  }
  collectCopies();
  return ended;
}

/**
 * The pids of plume's children (`/proc/self/task/TID/children`: a few
 * small files, where a look at every process read all of `/proc`), or of
 * every process where the kernel does not list children.
 */
function plumeChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const task of Deno.readDirSync("/proc/self/task")) {
      for (const word of Deno.readTextFileSync(`/proc/self/task/${task.name}/children`).split(" ")) {
        if (word.trim() !== "") pids.push(Number(word));
      }
    }
    return pids;
  } catch {
    // No children lists (or no /proc): every process, if /proc is there at all.
  }
  try {
    return [...Deno.readDirSync("/proc")].map((e) => Number(e.name));
  } catch {
    return [];
  }
}

/** Whether process `pid` is a child of plume in `f`'s session. */
function isStray(f: ProcessFamily, pid: number): boolean {
  const p = parentAndSession(pid);
  return p !== undefined && p.ppid === Deno.pid && p.session === f.session;
}

/**
 * The copy of a plugin process made for a forked guest (`host.ts`): a
 * child of plume, confined as the process it copies (it inherited the
 * limits, the session, the seccomp filter and the permissions, and put
 * up again its death with plume), serving a channel of its own.
 * Everything it says is checked as the process it copies is: its pid
 * names a child of plume in that session before plume touches anything of
 * it; its channel is a memfd of the channel's size, sealed so.
 */
class ForkedSandbox implements PluginProcess {
  readonly channel: Channel;
  /** The channel's mapping in plume, given back when the copy is killed. */
  private mapping: Mapping | undefined;
  private readonly ci: Int32Array;
  private pidfd: number;
  private stderrFd: number;
  private killed = false;
  private exited: ExitStatus | undefined;

  constructor(
    readonly pid: number,
    channelFd: number,
    stderrFd: number,
    private readonly family: ProcessFamily,
    private readonly memoryMb: number,
  ) {
    const o = os();
    if (!Number.isInteger(pid) || pid <= 0) throw new PluginFailure(`fork: the plugin's process named pid ${pid}`);
    this.pidfd = o.pidfd(pid);
    const f = parentAndSession(pid);
    // Only a process known to be the plugin's copy is ever opened, waited for or killed.
    if (this.pidfd < 0 || f === undefined || f.ppid !== Deno.pid || f.session !== this.family.session) {
      if (this.pidfd >= 0) o.close(this.pidfd);
      throw new PluginFailure(`fork: pid ${pid} is not a copy of the plugin's process`);
    }
    this.stderrFd = -1;
    let fd = -1;
    try {
      // Read-only first: the copy names the descriptor, and only a sealed memfd of the channel's size is opened for
      // writing, through plume's own descriptor (which the copy cannot change in between). F_GET_SEALS fails (-1,
      // every bit set) on any other file: a file the plugin may only read once passed for a channel and was written.
      const named = o.open(`/proc/${pid}/fd/${channelFd | 0}`, false, true);
      try {
        const seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW, has = o.seals(named);
        if (has < 0 || (has & seals) !== seals || o.size(named) !== LAYOUT.size) {
          throw new PluginFailure("fork: the copy's channel is not a sealed memfd of the channel's size");
        }
        fd = o.open(`/proc/self/fd/${named}`, true, true);
      } finally {
        o.close(named);
      }
      this.mapping = o.map(fd, LAYOUT.size);
      this.channel = mappedChannel(this.mapping, { wait: o.futexWait, wake: o.futexWake });
      // Read only for the death message; whatever the copy named, opening it must not wait.
      this.stderrFd = o.open(`/proc/${pid}/fd/${stderrFd | 0}`, false, true);
    } catch (err) {
      // A copy that ended before its files were opened leaves a zombie whose /proc/PID/fd is empty: say how it ended.
      const ended = o.ended(this.pidfd) ? ` (the copy ended at once: ${this.deathReason()})` : "";
      this.kill();
      if (err instanceof PluginFailure) throw err;
      throw new PluginFailure(`fork: ${(err as Error).message}${ended}`);
    } finally {
      if (fd >= 0) o.close(fd);
    }
    this.ci = new Int32Array(this.channel.ctl);
    this.started = performance.now();
    family.known.add(pid);
  }

  /** When the copy was found: it has the watchdog's time from then to serve its channel. */
  private readonly started: number;

  /**
   * Waits until the copy serves its channel (it marks it idle), at most
   * `ms` since it was found: not at the fork, so that the copy starts while
   * the parent goes on, but before plume's first call to it.
   */
  ready(ms: number): void {
    const deadline = this.started + ms;
    for (;;) {
      const state = Atomics.load(this.ci, CTL.STATE);
      if (state === STATE.IDLE || state === STATE.DEAD) return;
      if (state !== STATE.BOOTED) {
        this.kill();
        throw new PluginFailure(`fork: the copy set its channel to state ${state}`);
      }
      if (this.gone()) {
        const why = this.deathReason();
        this.kill();
        throw new PluginFailure(`fork: ${why}`);
      }
      if (performance.now() > deadline) {
        this.kill();
        throw new PluginFailure(`fork: the copy did not start within ${ms / 1000} s (watchdog)`);
      }
      // Known by now: copies it or its parent make meanwhile are looked for (a copy may take the watchdog's time).
      watchStrays();
      this.channel.waiter.wait(this.ci, CTL.STATE, state, 5);
    }
  }

  gone(): boolean {
    return this.exited !== undefined || this.killed || os().ended(this.pidfd);
  }

  forked(pid: number, channelFd: number, stderrFd: number): PluginProcess {
    return new ForkedSandbox(pid, channelFd, stderrFd, this.family, this.memoryMb);
  }

  endStrays(): number {
    return endStrays(this.family);
  }

  /**
   * The copies of this plugin's processes plume did not ask for and ended,
   * in all ({@link watchStrays} runs first; `forking` during a fork call of
   * this process).
   */
  strays(forking = false): number {
    watchStrays(forking ? this.family : undefined);
    return this.family.unasked;
  }

  deathMessage(): string {
    try {
      const [text] = getString(this.channel.ctl, DEATH);
      if (text !== "") return text;
    } catch {
      // A bad length: the process's own reason instead.
    }
    return this.deathReason();
  }

  deathReason(): string {
    if (this.exited === undefined && !this.killed) this.exited = os().exitStatus(this.pidfd);
    return endReason(this.exited, this.stderrFd, this.memoryMb);
  }

  kill(): void {
    if (this.killed) return;
    this.killed = true;
    const o = os();
    if (this.pidfd >= 0) o.signal(this.pidfd, 9), dying.push({ pidfd: this.pidfd, pid: this.pid });
    if (this.stderrFd >= 0) o.close(this.stderrFd);
    this.stderrFd = this.pidfd = -1;
    this.family.known.delete(this.pid);
    // The copy's channel (its arena up to 64 MiB) went with it only when plume's mapping did: every followed fork
    // pinned about 67 MiB until plume ended (found by an attacking helper: 40 forks, 2.7 GiB). Stale views of it
    // read zeros from now on.
    if (this.mapping !== undefined) o.discard(this.mapping, LAYOUT.size);
    this.mapping = undefined;
    collectCopies();
  }
}

/**
 * Killed copies not collected yet (pidfd and pid: not strays to end, or
 * count, again). A copy is a child of plume
 * that Deno does not know, so plume collects it itself; a killed process
 * takes milliseconds to go, which a fork's end does not wait for: each
 * kill collects those gone meanwhile (those left when plume ends go with
 * it).
 */
const dying: { pidfd: number; pid: number }[] = [];

/** Collects the killed copies that ended, closing their pidfds. */
function collectCopies(): void {
  const o = os();
  for (let i = dying.length - 1; i >= 0; i--) {
    if (!o.reap(dying[i].pidfd, false)) continue;
    o.close(dying[i].pidfd);
    dying.splice(i, 1);
  }
}

/** Removes the unix socket file at `path`, if that is what is there. */
function removeSocket(path: string): void {
  try {
    if (Deno.lstatSync(path).isSocket) Deno.removeSync(path);
  } catch { /* gone already */ }
}

/**
 * Lets the event loop run once: a message to itself takes some 15 µs, where
 * a timer took 2.1 ms whatever its delay (Deno's `setTimeout` with 0 or 1,
 * medians of 50): a load stage that slept on a timer saw its process
 * boot or load up to 2 ms late, and the stages of a load took three turns.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** One plugin process, from plume's side. */
export class Sandbox {
  /** The channel, mapped in plume. */
  readonly channel: Channel;
  /** The process's id. */
  readonly pid: number;
  /** Its session (it starts one of its own): copies made for forked guests are in it too. */
  readonly session: number;
  /** This process and its copies that plume accepted. */
  private readonly family: ProcessFamily;
  /** The unix sockets granted: the process connects them before it boots, the first of two peers waiting for the other. */
  readonly sockets: string[];
  private readonly ci: Int32Array;
  private readonly child: Deno.ChildProcess;
  private pidfd: number;
  private channelFd: number;
  private stderrFd: number;
  /** What the process wrote to its standard error before it took the memfd (Deno's own start-up errors). */
  private bootError = "";
  private killed = false;
  private exited: ExitStatus | undefined;
  /** How the process ended, once Deno reaped it (its event loop resolves the child's status). */
  private reaped: ExitStatus | undefined;

  /**
   * Starts the process; its code follows with {@link send}.
   *
   * @throws {SandboxUnavailable} when plugin processes cannot run here
   */
  constructor(private readonly opts: SandboxOptions) {
    this.sockets = opts.grants.filter((g) => g.startsWith(UNIX_GRANT)).map((g) => g.slice(UNIX_GRANT.length));
    const o = os();
    // Whatever plume inherited without close-on-exec would be the plugin's too.
    if (!descriptorsClosed) o.closeOnExecAbove2(), descriptorsClosed = true;
    try {
      this.channelFd = o.memfd("plume-plugin", LAYOUT.size);
      this.stderrFd = o.memfd("plume-plugin-stderr", STDERR_BYTES);
    } catch (err) {
      throw new SandboxUnavailable(`cannot make a plugin's shared memory: ${(err as Error).message}`);
    }
    const mapping = o.map(this.channelFd, LAYOUT.size);
    this.channel = mappedChannel(mapping, { wait: o.futexWait, wake: o.futexWake });
    this.ci = new Int32Array(this.channel.ctl);
    const { cmd, argv, env } = hostCommand(opts, {
      parent: Deno.pid,
      channelFd: this.channelFd,
      stderrFd: this.stderrFd,
      memoryMb: opts.memoryMb,
      grants: [
        ...new Set(opts.grants.filter((g) => !g.startsWith(UNIX_GRANT)).map((g) => g.slice(0, g.indexOf("=")))),
        ...(opts.writesTree ? [TREE_GRANT] : []),
      ],
      keep: [...opts.keep],
      sockets: this.sockets,
      cwd: Deno.cwd(),
      // The compiled executable's V8 flags were fixed when it was compiled: not known to be single-threaded.
      forkable: !Deno.build.standalone,
    });
    try {
      this.child = new Deno.Command(cmd, {
        args: argv,
        env,
        clearEnv: true,
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (err) {
      o.close(this.channelFd);
      o.close(this.stderrFd);
      throw new SandboxUnavailable(`cannot start a plugin process: ${(err as Error).message}`);
    }
    this.pid = this.child.pid;
    this.session = this.pid;
    this.family = { session: this.session, known: new Set([this.pid]), unasked: 0 };
    families.push(this.family);
    this.pidfd = o.pidfd(this.pid);
    // Its main thread (whose id is its pid) runs the plugin; the threads it starts from now on inherit the cores.
    if (running++ === 0) split = splitCpus();
    if (split) o.setCpus(this.pid, split.plugins);
    this.child.status.then((s) => {
      this.reaped = s.signal === null ? { code: s.code } : { signal: SIGNAL_NUMBERS[s.signal] ?? 0 };
    }, () => {});
    this.readBootErrors();
  }

  /** Keeps the first bytes of what the process writes to its standard error before it confines itself. */
  private async readBootErrors(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.child.stderr) {
        if (this.bootError.length < 4096) this.bootError += decoder.decode(chunk, { stream: true });
      }
    } catch { /* the process is gone */ }
  }

  /** True once the process ended. */
  gone(): boolean {
    if (this.exited || this.reaped) return true;
    return this.pidfd >= 0 && !this.killed && os().ended(this.pidfd);
  }

  /**
   * How the process ended, when known: from the pidfd while it is not reaped
   * yet, else from Deno's own record once its event loop reaped it.
   */
  exitStatus(): ExitStatus | undefined {
    if (this.exited) return this.exited;
    if (this.pidfd >= 0 && !this.killed) this.exited = os().exitStatus(this.pidfd);
    return this.exited ?? this.reaped;
  }

  /**
   * Why the process died, in words for a message (never the process's own
   * text: it is the plugin's).
   */
  deathReason(): string {
    return endReason(this.exitStatus(), this.stderrFd, this.opts.memoryMb);
  }

  /**
   * The copy of this process made for a forked guest (`pid`, with its
   * descriptors of its channel and standard error), once checked: a child
   * of plume in this process's session, whose channel is a memfd of the
   * channel's size sealed so. It has `ms` to serve it ({@link PluginProcess.ready}).
   *
   * @throws {PluginFailure} when it is not
   */
  forked(pid: number, channelFd: number, stderrFd: number): PluginProcess {
    return new ForkedSandbox(pid, channelFd, stderrFd, this.family, this.opts.memoryMb);
  }

  /** Ends the copies of this process made for forked guests that plume does not know (see `endStrays`). */
  endStrays(): number {
    return endStrays(this.family);
  }

  /**
   * The copies of this plugin's processes plume did not ask for and ended,
   * in all ({@link watchStrays} runs first; `forking` during a fork call of
   * this process).
   */
  strays(forking = false): number {
    watchStrays(forking ? this.family : undefined);
    return this.family.unasked;
  }

  /**
   * Waits for `done()` to say yes, at most `ms` milliseconds: asleep on the
   * state word in slices, the event loop run between them, and `poll`
   * called meanwhile (to drain the plugin's output: a plugin whose top
   * level writes more than the text ring holds would otherwise wait for
   * room forever).
   */
  private async until(done: () => boolean, ms: number, what: string, poll?: () => void): Promise<void> {
    const deadline = performance.now() + ms;
    for (;;) {
      poll?.();
      if (done()) return;
      const state = Atomics.load(this.ci, CTL.STATE);
      if (state === STATE.DEAD) throw new PluginFailure(this.deathMessage());
      if (this.gone()) {
        // Deno's own start-up failure (before the process took its standard error) is plume's problem, not the plugin's.
        const detail = this.bootError.trim().split("\n")[0];
        throw new PluginFailure(`${what}: ${detail && state !== STATE.BOOTED ? detail : this.deathReason()}`);
      }
      if (performance.now() > deadline) throw new PluginFailure(`${what}: not done after ${ms / 1000} s (watchdog)`);
      this.channel.waiter.wait(this.ci, CTL.STATE, state, WAIT_SLICE_MS);
      await nextTask();
    }
  }

  /** The message a dead plugin left (its text, to be escaped by whoever prints it). */
  deathMessage(): string {
    try {
      const [text] = getString(this.channel.ctl, DEATH);
      if (text !== "") return text;
    } catch {
      // A bad length: the process's own reason instead.
    }
    return this.deathReason();
  }

  /**
   * Waits (at most `ms`) until the process confined itself and waits for
   * its code; without a limit when it has a unix socket to connect: the
   * first of two peers waits for the other, as under QEMU, for as long as
   * the user takes to start it.
   */
  async booted(ms: number, poll?: () => void): Promise<void> {
    const limit = this.sockets.length > 0 ? Infinity : ms;
    // The code may be in the pipe already: a process that booted while nobody looked may have loaded it too.
    await this.until(
      () => {
        const state = Atomics.load(this.ci, CTL.STATE);
        return state === STATE.BOOTED || state === STATE.LOADED;
      },
      limit,
      "starting the plugin process",
      poll,
    );
    // The process has its own descriptor of the channel now.
    os().close(this.channelFd);
    this.channelFd = -1;
  }

  /**
   * Sends the plugin's code and arguments, whenever the process is at: it
   * reads them once it has confined itself (sent while it boots, they wait
   * in the pipe, and the load does not wait for the write after the boot).
   */
  async send(init: RuntimeInit): Promise<void> {
    const writer = this.child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(JSON.stringify(init)));
      await writer.close();
    } catch {
      // The process died: the next stage says why.
    }
  }

  /**
   * Waits (at most `ms`) for the plugin's code to be evaluated and returns
   * what the process reports (checked: it is the plugin's side).
   */
  async loaded(ms: number, poll?: () => void): Promise<LoadReport> {
    await this.until(() => Atomics.load(this.ci, CTL.STATE) === STATE.LOADED, ms, "evaluating the plugin", poll);
    let report: LoadReport;
    try {
      report = JSON.parse(getString(this.channel.ctl, PAYLOAD, 65536)[0]);
    } catch {
      throw new PluginFailure("malformed load report");
    }
    const valid = typeof report === "object" && report !== null &&
      (report.ok === true
        ? (report.version === undefined || typeof report.version === "number") &&
          typeof report.versionType === "string" && typeof report.hasInstall === "boolean"
        : report.ok === false && typeof report.error === "string");
    if (!valid) throw new PluginFailure("malformed load report");
    if (report.ok && Atomics.compareExchange(this.ci, CTL.STATE, STATE.LOADED, STATE.IDLE) !== STATE.LOADED) {
      throw new PluginFailure("the plugin changed its channel's state while loading");
    }
    return report;
  }

  /** Ends the process. Safe to call more than once. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    if (--running === 0) split?.restore(), split = undefined;
    const listening = Atomics.load(this.ci, CTL.STATE) === STATE.LISTENING;
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
    // Stopped while it waited for its peer: its socket's file would be left (it removes it once connected).
    if (listening) { for (const path of this.sockets) removeSocket(path); }
    const o = os();
    for (const fd of [this.channelFd, this.stderrFd, this.pidfd]) if (fd >= 0) o.close(fd);
    this.channelFd = this.stderrFd = this.pidfd = -1;
  }
}
