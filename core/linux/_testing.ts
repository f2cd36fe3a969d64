/**
 * Test fixture for the system-call tests: a process over a small address
 * space with a scratch area, a vCPU, a temporary working directory, and a
 * log file whose text can be read back (for `-strace` and `-d unimp`).
 *
 * @module
 */

import { Cpu } from "../cpu/state.ts";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
import { Log } from "../util/log.ts";
import { Process } from "./process.ts";
import { SYS } from "./syscall_names.ts";
import { doSyscall, pollBlockedCall } from "./syscalls.ts";
import type { ThreadState } from "./thread.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A process, its vCPU and helpers to call system calls on them. */
export class SyscallEnv {
  /** The process. */
  readonly proc: Process;
  /** Its vCPU. */
  readonly cpu: Cpu = new Cpu();
  /** Temporary directory, also the working directory. */
  readonly dir: string;
  /** Start of a 64 KiB read-write scratch area. */
  readonly scratch: number;
  private readonly logPath: string;
  private readonly logFile: Deno.FsFile;
  private next: number;

  /** @param logItems `-d` items to enable */
  constructor(logItems: string[] = []) {
    this.dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "plume_linux_" }));
    this.logPath = Deno.makeTempFileSync({ prefix: "plume_log_" });
    this.logFile = Deno.openSync(this.logPath, { write: true, truncate: true });
    const mem = new AddressSpace(1 << 26);
    this.proc = new Process(mem, new Log(new Set(logItems), this.logFile));
    this.proc.pid = 4242;
    this.proc.cwd = this.dir;
    this.proc.umask = 0o022;
    this.scratch = mem.mmap(0, 1 << 16, PROT_READ | PROT_WRITE, { name: "" });
    this.next = this.scratch;
  }

  /** The address space. */
  get mem(): AddressSpace {
    return this.proc.mem;
  }

  /**
   * Runs system call `name` with integer arguments; returns a0 (negative
   * errno on failure), or undefined when the call blocked (see {@link poll}).
   */
  call(name: keyof typeof SYS, ...args: (number | bigint)[]): number {
    return this.callOn(this.cpu, name, ...args) as number;
  }

  /** Runs system call `name` on another vCPU (a thread made with {@link thread}); undefined when it blocked. */
  callOn(cpu: Cpu, name: keyof typeof SYS, ...args: (number | bigint)[]): number | undefined {
    cpu.setXNumber(17, SYS[name]);
    for (let i = 0; i < 6; i++) {
      const v = args[i] ?? 0;
      if (typeof v === "bigint") cpu.setX(10 + i, v);
      else cpu.setXNumber(10 + i, v);
    }
    return doSyscall(this.proc, cpu) ? cpu.getXNumber(10) : undefined;
  }

  /** A second thread of the process, with its own vCPU. */
  thread(): ThreadState {
    this.proc.thread(this.cpu);
    return this.proc.addThread(new Cpu());
  }

  /**
   * Asks the call `cpu`'s thread is blocked in whether it is over (at time
   * `now`, default the present); its result, or undefined while it waits.
   */
  poll(cpu: Cpu = this.cpu, now = performance.now()): number | undefined {
    const t = this.proc.thread(cpu);
    if (t.call === undefined) throw new Error(`Thread ${t.tid} is not blocked`);
    return pollBlockedCall(this.proc, t, now) ? cpu.getXNumber(10) : undefined;
  }

  /** Runs system call number `nr`. */
  callNr(nr: number, ...args: number[]): number {
    this.cpu.setXNumber(17, nr);
    for (let i = 0; i < 6; i++) this.cpu.setXNumber(10 + i, args[i] ?? 0);
    doSyscall(this.proc, this.cpu);
    return this.cpu.getXNumber(10);
  }

  /** Reserves `n` bytes (8-aligned) of the scratch area. */
  alloc(n: number): number {
    const a = this.next;
    this.next += (n + 7) & ~7;
    if (this.next > this.scratch + (1 << 16)) throw new RangeError(`Scratch area exhausted by ${n} bytes`);
    return a;
  }

  /** Copies a NUL-terminated string into the scratch area; returns its address. */
  str(s: string): number {
    const b = encoder.encode(s + "\0");
    const a = this.alloc(b.length);
    this.mem.writeBytes(a, b);
    return a;
  }

  /** Copies bytes into the scratch area; returns their address. */
  bytes(b: Uint8Array): number {
    const a = this.alloc(b.length);
    this.mem.writeBytes(a, b);
    return a;
  }

  /** Reads `n` guest bytes at `addr` as text. */
  text(addr: number, n: number): string {
    return decoder.decode(this.mem.readBytes(addr, n));
  }

  /** Everything written to the log so far. */
  log(): string {
    return Deno.readTextFileSync(this.logPath);
  }

  /** A path inside the temporary directory. */
  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Closes the process's files and removes the temporary directory and log. */
  dispose(): void {
    this.proc.releaseResources();
    this.proc.log.close();
    Deno.removeSync(this.dir, { recursive: true });
    Deno.removeSync(this.logPath);
  }
}

/** Runs `body` with a fresh {@link SyscallEnv}, disposing it afterwards. */
export function withEnv(body: (env: SyscallEnv) => void, logItems: string[] = []): () => void {
  return () => {
    const env = new SyscallEnv(logItems);
    try {
      body(env);
    } finally {
      env.dispose();
    }
  };
}
