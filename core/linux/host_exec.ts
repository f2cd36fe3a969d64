/**
 * `execve` of a program plume cannot run (an executable of the host's own
 * machine, or a `#!` script whose interpreter is one), handed to the host
 * as qemu-user does: qemu calls the host's `execve`, so `system()` and
 * `popen()` run the host's `/bin/sh`. plume starts the program as a host
 * process instead, and the guest process that called `execve` becomes its
 * stand-in: no threads left, it ends when the host program ends, with its
 * status, and its parent collects that as usual.
 *
 * Deno can give a new host process only plume's own standard streams;
 * where the guest's descriptor 0, 1 or 2 is something else (a pipe from
 * `popen`, a redirection to a file), plume copies between it and a pipe to
 * the host program.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { hostChildren } from "./host_children.ts";
import { entriesChanged, type OpenFile } from "./open_file.ts";
import type { Process } from "./process.ts";
import { SIGNAL_NUMBERS } from "./signals.ts";
import { StdioFile } from "./stdio.ts";
import { Blocked } from "./wait.ts";

/** `e_machine` of the host's executables. */
const HOST_MACHINE: Record<string, number> = { x86_64: 62, aarch64: 183 };

/**
 * True when `bytes` (the start of an executable file) is something the
 * host runs itself: an ELF file for the host's machine, or a `#!` script.
 *
 * @example
 * ```ts
 * import { isHostProgram } from "./host_exec.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(isHostProgram(new TextEncoder().encode("#!/bin/sh\necho hi\n")), true);
 * ```
 */
export function isHostProgram(bytes: Uint8Array): boolean {
  if (bytes[0] === 0x23 && bytes[1] === 0x21) return true;
  if (bytes.length < 20 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    return false;
  }
  return (bytes[18] | (bytes[19] << 8)) === HOST_MACHINE[Deno.build.arch];
}

/** How long an input pump waits before it looks at an empty guest pipe again. */
const INPUT_POLL_MS = 5;

/** How the host program gets descriptor `fd` of the guest: plume's own, none, or through a pipe plume feeds. */
function plan(f: OpenFile | undefined, fd: number): "inherit" | "null" | "piped" {
  if (f === undefined) return "null";
  return f instanceof StdioFile && f.hostFd === fd ? "inherit" : "piped";
}

/** Copies what the host program writes into the guest's description `f` until the stream ends. */
async function pumpOut(stream: ReadableStream<Uint8Array>, f: OpenFile): Promise<void> {
  f.retain();
  try {
    for await (const chunk of stream) await writeWaiting(f, chunk);
  } catch {
    // A guest description that refuses (EPIPE, a full disk) ends the copy, as a broken pipe would.
  } finally {
    f.drop();
  }
}

/**
 * Writes all of `chunk` to `f`; a write that would block a guest thread (a
 * socket whose buffer is full, a full pipe) is waited for here instead,
 * polling its waiter or trying again. A pipe takes what it has room for
 * (64 KiB): the rest was dropped, and the host program then died of
 * `SIGPIPE` (a reviewer's find).
 */
async function writeWaiting(f: OpenFile, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length;) {
    try {
      done += f.write(chunk.subarray(done));
    } catch (err) {
      if (err instanceof SyscallError && err.errno === E.EAGAIN) {
        await new Promise((res) => setTimeout(res, INPUT_POLL_MS));
        continue;
      }
      if (!(err instanceof Blocked)) throw err;
      let r: number | undefined;
      while ((r = err.waiter.poll(performance.now())) === undefined) {
        await new Promise((res) => setTimeout(res, INPUT_POLL_MS));
      }
      if (r < 0) throw new SyscallError(-r);
      return;
    }
  }
}

/** Copies the guest's description `f` into the host program's input until it reaches end of file. */
async function pumpIn(stream: WritableStream<Uint8Array>, f: OpenFile): Promise<void> {
  f.retain();
  const writer = stream.getWriter();
  const buf = new Uint8Array(65536);
  try {
    for (;;) {
      let n: number;
      try {
        n = f.read(buf);
      } catch (err) {
        if (err instanceof SyscallError && err.errno === E.EAGAIN) {
          await new Promise((r) => setTimeout(r, INPUT_POLL_MS));
          continue;
        }
        throw err;
      }
      if (n === 0) break;
      await writer.write(buf.slice(0, n));
    }
    await writer.close();
  } catch {
    // The host program stopped reading, or the description failed: it sees end of file.
    await writer.abort().catch(() => {});
  } finally {
    f.drop();
  }
}

/**
 * Starts `path` on the host with `argv` (its first element is not passed:
 * Deno names the program itself) and the environment `envp`, in the
 * guest's working directory. Descriptors 0, 1 and 2 that are plume's own
 * are inherited; others (a pipe, a file) are fed through pipes plume
 * copies. When the program ends (and its output is copied), `proc` ends
 * with its exit code, or as killed by its signal.
 *
 * @throws {Deno.errors.NotFound} and the like when the host cannot start it
 */
export function runOnHost(proc: Process, path: string, argv: string[], envp: string[]): void {
  const env: Record<string, string> = {};
  for (const kv of envp) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  // A standard descriptor with close-on-exec is closed for the new program.
  const [fin, fout, ferr] = [0, 1, 2].map((fd) =>
    proc.fds.lookup(fd) && !proc.fds.getCloexec(fd) ? proc.fds.get(fd) : undefined
  );
  const [pin, pout, perr] = [plan(fin, 0), plan(fout, 1), plan(ferr, 2)];
  const child = new Deno.Command(path, {
    args: argv.slice(1),
    env,
    clearEnv: true,
    cwd: proc.cwd,
    stdin: pin,
    stdout: pout,
    stderr: perr,
  }).spawn();
  // plume's main thread may keep to one core while plugins run (plugin/sandbox/cpus.ts): not the program's.
  hostChildren.started?.(child.pid);
  const pumps: Promise<void>[] = [];
  if (pin === "piped") pumps.push(pumpIn(child.stdin, fin!));
  if (pout === "piped") pumps.push(pumpOut(child.stdout, fout!));
  if (perr === "piped") pumps.push(pumpOut(child.stderr, ferr!));
  proc.hostProgram = child;
  proc.hostChild = Promise.all([child.status, ...pumps]).then(([s]) => {
    // The host program may have moved or removed files the guest holds open (`system("mv a b")`).
    entriesChanged();
    proc.hostChild = undefined;
    proc.hostProgram = undefined;
    if (proc.exitStatus !== null) return;
    const signo = s.signal === null ? 0 : SIGNAL_NUMBERS[s.signal] ?? 0;
    proc.killedBy = signo;
    proc.exitStatus = signo !== 0 ? 128 + signo : s.code & 0xff;
    proc.releaseResources();
  });
}

/**
 * Sends signal `signo` to the host program `proc` stands in for; false
 * when there is none (or the signal has no host name), so that the caller
 * queues it for the guest as usual.
 */
export function signalHostProgram(proc: Process, signo: number): boolean {
  const name = Object.keys(SIGNAL_NUMBERS).find((n) => SIGNAL_NUMBERS[n] === signo);
  if (proc.hostProgram === undefined || name === undefined) return false;
  try {
    proc.hostProgram.kill(name as Deno.Signal);
  } catch {
    // It has just ended.
  }
  return true;
}
