/**
 * The operating-system calls the plugin sandbox is made of, through Deno's
 * foreign-function interface: shared memory between plume and a plugin
 * process (`memfd_create` + `mmap`), waiting on it across processes
 * (`futex`, since `Atomics.wait` works only on a `SharedArrayBuffer` and
 * only within one process), watching a plugin process (`pidfd_open` +
 * `waitid`), and confining one (`setrlimit`, `setsid`, `prctl`,
 * `seccomp`).
 *
 * Both sides use this module: plume, and the plugin process before it
 * gives up its permissions. Every function here keeps working after the
 * plugin process revoked its FFI permission: calling a symbol opened
 * earlier is not checked again, and addresses are plain numbers computed
 * in advance (pointer arithmetic through `Deno.UnsafePointer` is checked).
 * Nothing here is ever reachable from a plugin's code.
 *
 * Linux on x86-64 or AArch64 with glibc; {@link os} throws
 * {@link SandboxUnavailable} elsewhere.
 *
 * @module
 */

import type { StreamSocket } from "../runtime/state.ts";

/** Plugins cannot run here (no Linux, no glibc, no FFI permission): one line for the user. */
export class SandboxUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxUnavailable";
  }
}

/**
 * The C library's functions plume binds. Binding costs about 0.14 ms a
 * function with a buffer or pointer among its parameters (measured: all 28
 * of before took 3.9–5.3 ms, `syscall` alone 0.7 ms), at the start of every
 * plugin process and before plume starts the first one: calls that take
 * only integers go through `syscall` instead, and the socket calls are bound
 * only by a process given a unix socket ({@link SOCKET_SYMBOLS}).
 */
const SYMBOLS = {
  syscall: { parameters: ["i64", "usize", "usize", "usize", "usize", "usize", "usize"], result: "i64" },
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  mmap: { parameters: ["usize", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
} as const;

/** The socket calls, bound when a unix socket is connected (before the process confines itself). */
const SOCKET_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  unlink: { parameters: ["buffer"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
} as const;

/**
 * System call numbers that glibc has no wrapper for, or whose wrapper is not
 * bound (those that take only integers), per host architecture.
 */
const SYSCALL_NUMBERS = {
  x86_64: {
    close: 3,
    dup3: 292,
    ftruncate: 77,
    getpid: 39,
    getppid: 110,
    setsid: 112,
    prctl: 157,
    exit_group: 231,
    futex: 202,
    waitid: 247,
    pidfd_open: 434,
    seccomp: 317,
    ppoll: 271,
    fcntl: 72,
    clone: 56,
    madvise: 28,
    mmap: 9,
    mremap: 25,
    lseek: 8,
    pidfd_send_signal: 424,
    setpriority: 141,
    sched_setaffinity: 203,
    sched_getaffinity: 204,
    getcpu: 309,
  },
  aarch64: {
    close: 57,
    dup3: 24,
    ftruncate: 46,
    getpid: 172,
    getppid: 173,
    setsid: 157,
    prctl: 167,
    exit_group: 94,
    futex: 98,
    waitid: 95,
    pidfd_open: 434,
    seccomp: 277,
    ppoll: 73,
    fcntl: 25,
    clone: 220,
    madvise: 233,
    mmap: 222,
    mremap: 216,
    lseek: 62,
    pidfd_send_signal: 424,
    setpriority: 140,
    sched_setaffinity: 122,
    sched_getaffinity: 123,
    getcpu: 168,
  },
} as const;

const PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
/** Bytes of a CPU mask: 1,024 CPUs, as glibc's `cpu_set_t`. */
const CPU_MASK_BYTES = 128;
const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;
const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
const F_ADD_SEALS = 1033, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_SEAL = 1;
const FUTEX_WAIT = 0, FUTEX_WAKE = 1;
/** `setpriority`'s "which" for one thread (a thread id is a process id to it). */
const PRIO_PROCESS = 0;
const P_PIDFD = 3, WEXITED = 4, WNOHANG = 1, WNOWAIT = 0x01000000, POLLIN = 1;
const F_SETFD = 2, FD_CLOEXEC = 1, F_GET_SEALS = 1034, SEEK_END = 2, O_NONBLOCK = 0o4000;
/** `clone` flags of {@link Os.forkSibling}: the copy is a child of the caller's parent (`CLONE_PARENT`), `SIGCHLD` at its end. */
const CLONE_PARENT_SIGCHLD = 0x8000 | 17;
const MADV_DOFORK = 11;
/** `prctl` option: the signal this process gets when its parent ends. */
export const PR_SET_PDEATHSIG = 1;
/** The signal plugin processes get when plume ends. */
export const SIGKILL = 9;
/** The user part of the x86-64 and AArch64 address spaces (47 and 48 bits: madvise skips what is not mapped). */
const USER_SPACE_END = 2 ** 48;
const CLD_EXITED = 1;
const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000, MSG_NOSIGNAL = 0x4000;
const EINTR = 4, ENOENT = 2;
/** Bytes of `sockaddr_un.sun_path`, its terminating zero included. */
const SUN_PATH_BYTES = 108;

/** How a watched process ended. */
export type ExitStatus = { code: number; signal?: undefined } | { signal: number; code?: undefined };

/** A shared mapping in this process. */
export interface Mapping {
  /** Address of the first byte in this process. */
  address: number;
  /**
   * `length` bytes from `offset` as an `ArrayBuffer` (not a
   * `SharedArrayBuffer`: wait with {@link Os.futexWait}, not
   * `Atomics.wait`). Only before the FFI permission is revoked.
   */
  region(offset: number, length: number): ArrayBuffer;
}

/** The calls, bound to the host C library. */
export interface Os {
  /** Creates an anonymous shared-memory file of `size` bytes that cannot grow or shrink; returns its descriptor. */
  memfd(name: string, size: number): number;
  /** Maps `size` bytes of file `fd` shared, readable and writable. */
  map(fd: number, size: number): Mapping;
  /**
   * Opens `path` (for `/proc/PID/fd/N`: another process's descriptor);
   * returns a descriptor. `nonblocking`: an open that would wait (a FIFO
   * without a writer) does not.
   */
  open(path: string, write: boolean, nonblocking?: boolean): number;
  /** Reads a small file completely (such as `/proc/self/status`). */
  readSmallFile(path: string): string;
  /** Reads up to `max` bytes of file `fd` from its start. */
  readStart(fd: number, max: number): Uint8Array;
  /** Closes a descriptor. */
  close(fd: number): void;
  /** Writes `bytes` to file `fd` at `offset`. */
  writeAt(fd: number, bytes: Uint8Array, offset: number): void;
  /**
   * Puts `size` bytes of file `fd` where `mapping` is, in its place: the
   * `ArrayBuffer`s made over the mapping then show the new file (no new
   * buffer is made, which would need the FFI permission).
   */
  remap(mapping: Mapping, fd: number, size: number): void;
  /**
   * Puts `size` bytes of private anonymous memory where `mapping` is, in
   * its place: the file's pages go back to the host once nothing else maps
   * them, while the `ArrayBuffer`s made over the mapping stay valid (they
   * read zeros). The address range stays taken (an unmapped one would make
   * a stale buffer's access crash the process).
   */
  discard(mapping: Mapping, size: number): void;
  /**
   * Maps the `size` bytes of the shared mapping at `address` a second time,
   * at `target`, in place of what was there (`mremap` with an old size of
   * 0): both addresses then show the same memory. Returns false when the
   * kernel refuses (`address` is not a shared mapping).
   */
  alias(address: number, size: number, target: number): boolean;
  /** The seals of memfd `fd` (`F_GET_SEALS`; -1 when it is not one). */
  seals(fd: number): number;
  /** The size of file `fd` in bytes. */
  size(fd: number): number;
  /**
   * Copies this process (`clone(CLONE_PARENT | SIGCHLD)`): returns the
   * copy's pid here, 0 in the copy, which is a child of this process's
   * parent. Every mapping is copied first made inheritable again
   * (`MADV_DOFORK`): V8 marks its heap `MADV_DONTFORK`, which a copy of a
   * running isolate needs. Only the calling thread goes on in the copy.
   * The copy dies with its parent (`PR_SET_PDEATHSIG`, which a copy does
   * not inherit), or ends at once when `parent` is no longer its parent,
   * before it returns: between the `clone` and that, no JavaScript but
   * this function's runs, nor any global it would look up (a plugin may
   * have replaced `Number` or `BigInt` by code that never returns).
   */
  forkSibling(parent: number): number;
  /** Sends signal `signo` to the process behind `pidfd`. */
  signal(pidfd: number, signo: number): void;
  /**
   * Collects the ended process behind `pidfd`, so that it leaves no zombie:
   * waits for it to end when `wait`; returns false when it has not ended.
   */
  reap(pidfd: number, wait: boolean): boolean;
  /** Makes `fd` also descriptor `target`. */
  dup2(fd: number, target: number): void;
  /** Sleeps while the int32 at `address` holds `expected`, at most `ms` milliseconds (shared futex). */
  futexWait(address: number, expected: number, ms: number): void;
  /** Wakes every sleeper on the int32 at `address`. */
  futexWake(address: number): void;
  /** A descriptor that refers to process `pid` (-1 when the kernel has no `pidfd_open`). */
  pidfd(pid: number): number;
  /**
   * True once the process behind `pidfd` has ended, whether or not it was
   * reaped since (Deno reaps its children whenever its event loop runs).
   */
  ended(pidfd: number): boolean;
  /**
   * How the process behind `pidfd` ended, while it is not reaped yet (it
   * stays waitable by its owner); undefined while it runs or once reaped.
   */
  exitStatus(pidfd: number): ExitStatus | undefined;
  /** Marks every descriptor above 2 close-on-exec, so that no process started later inherits it. */
  closeOnExecAbove2(): void;
  /** This process's id. */
  getpid(): number;
  /** The parent process's id. */
  getppid(): number;
  /** Sets the nice value of thread `tid` of this process (`setpriority`); false when the kernel refuses. */
  setNice(tid: number, nice: number): boolean;
  /**
   * The CPUs thread `tid` (0: the calling one) may run on (`sched_getaffinity`); undefined when the kernel refuses.
   * This and the next two are plume's (`cpus.ts`), never called in a plugin's process.
   */
  cpusOf(tid: number): number[] | undefined;
  /** Lets thread `tid` (0: the calling one) run on `cpus` only (`sched_setaffinity`); false when the kernel refuses. */
  setCpus(tid: number, cpus: readonly number[]): boolean;
  /** The CPU the calling thread runs on now (`getcpu`); -1 when the kernel does not say. */
  currentCpu(): number;
  /** Starts a new session: terminal signals for plume's session no longer reach this process. */
  setsid(): void;
  /** Sets a resource limit (soft and hard). */
  setrlimit(resource: number, bytes: number): void;
  /** `prctl(option, arg2)`; throws on failure. */
  prctl(option: number, arg2: number): void;
  /** Installs a seccomp filter (`sock_filter` bytes) on every thread of the process. */
  seccomp(filter: Uint8Array): void;
  /** Ends this process at once, with no event or handler run. */
  exit(status: number): never;
  /**
   * A unix stream socket on `path`, as QEMU's lockstep plugin makes one:
   * connected to the peer listening there, or, when nothing is at the
   * path, listening there for one peer, accepted (this waits for it), the
   * path then removed (`listening` is called before the wait). Made
   * before the process confines itself: the
   * seccomp filter refuses new sockets, and Deno's permissions do not see
   * these calls. On failure, the step and its errno.
   */
  unixStream(path: string, listening?: () => void): StreamSocket | { step: string; errno: number };
  /** The host architecture's system call numbers. */
  arch: keyof typeof SYSCALL_NUMBERS;
}

let loaded: Os | undefined;

/**
 * The calls, loading the C library on first use.
 *
 * @throws {SandboxUnavailable} when they cannot be made here
 *
 * @example
 * ```ts
 * import { os } from "./os.ts";
 * import { strictEqual } from "node:assert";
 * const fd = os().memfd("example", 4096);
 * const a = os().map(fd, 4096), b = os().map(fd, 4096);
 * new Int32Array(a.region(0, 4096))[0] = 1;
 * strictEqual(new Int32Array(b.region(0, 4096))[0], 1); // two mappings of one memory
 * os().close(fd);
 * ```
 */
export function os(): Os {
  return loaded ??= bind();
}

function bind(): Os {
  const arch = Deno.build.arch;
  if (Deno.build.os !== "linux" || (arch !== "x86_64" && arch !== "aarch64")) {
    throw new SandboxUnavailable(`plugins need Linux on x86-64 or AArch64 (this is ${Deno.build.os} on ${arch})`);
  }
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (err) {
    throw new SandboxUnavailable(`plugins need the host C library through FFI: ${(err as Error).message}`);
  }
  const c = lib.symbols, nr = SYSCALL_NUMBERS[arch];
  // Taken now: a plugin shares the process and may replace the globals before the calls below are made. Every
  // value a call below passes to the kernel is made with these, never with a global looked up at the call: the
  // copy a forked guest gets runs `remap` after the plugin's code, and a `BigInt` replaced there chose the system
  // call and its arguments (found by an attacker helper: a write into a file the process held, a `clone` that
  // outlived plume).
  const big = BigInt, num = Number, floor = Math.floor, round = Math.round, AB = ArrayBuffer;
  const pointerOf = Deno.UnsafePointer.of, pointerValue = Deno.UnsafePointer.value;
  const arrayBufferAt = Deno.UnsafePointerView.getArrayBuffer;
  /** A system call of up to four integer (or address) arguments: its result, or -1 with errno set (as the wrappers). */
  const call = (n: number, a = 0n, b = 0n, d = 0n, e = 0n): number => num(c.syscall(big(n), a, b, d, e, 0n, 0n));
  const close = (fd: number) => call(nr.close, big(fd));
  const fcntl = (fd: number, cmd: number, arg: number) => call(nr.fcntl, big(fd), big(cmd), big(arg));
  const prctl = (option: number, arg2: bigint) => call(nr.prctl, big(option), arg2);
  let sockets: Deno.DynamicLibrary<typeof SOCKET_SYMBOLS>["symbols"] | undefined;
  const errnoAt = c.__errno_location();
  // errno copied out by a call: once a plugin process revoked its permissions, reading memory through a pointer
  // (Deno.UnsafePointerView) needs the FFI permission, while calling a symbol bound before does not.
  const errnoWord = new Int32Array(new ArrayBuffer(4));
  const errno = () => errnoAt === null ? 0 : (c.memcpy(errnoWord, errnoAt, 4n), errnoWord[0]);
  const fail = (what: string): never => {
    throw new Error(`${what} failed (errno ${errno()})`);
  };
  // Memory the kernel reads or writes through an address passed to `syscall`, taken once while it may be.
  // It is one ArrayBuffer of its own: V8 never moves those, while a small typed array made with a length
  // lives in the JavaScript heap, where the collector moves it and the kernel would write over something else.
  const scratch = new ArrayBuffer(256);
  const address = (bytes: Uint8Array) => big(pointerValue(pointerOf(bytes)));
  const timespec = new BigInt64Array(scratch, 0, 2), timespecBytes = new Uint8Array(scratch, 0, 16);
  const zeroTimespec = new Uint8Array(scratch, 16, 16);
  const poll = new Uint8Array(scratch, 32, 8), pollView = new DataView(scratch, 32, 8);
  const prog = new Uint8Array(scratch, 48, 16), progView = new DataView(scratch, 48, 16);
  const siginfo = new Uint8Array(scratch, 128, 128), siginfoView = new DataView(scratch, 128, 128);
  // A cpu_set_t (1,024 CPUs, as the C library's) and getcpu's answer, in a buffer of their own as `scratch`.
  const cpuMask = new Uint8Array(new AB(CPU_MASK_BYTES + 4)), cpuMaskAt = address(cpuMask);
  const cpuWord = new Int32Array(cpuMask.buffer, CPU_MASK_BYTES, 1), cpuWordAt = cpuMaskAt + big(CPU_MASK_BYTES);
  // Taken now, before any plugin code exists: what the copy made by `forkSibling` runs before it dies with plume.
  const forkWords = {
    prctl: big(nr.prctl),
    deathSignal: big(PR_SET_PDEATHSIG),
    getppid: big(nr.getppid),
    exit: big(nr.exit_group),
    madvise: big(nr.madvise),
    userSpace: big(USER_SPACE_END - 4096),
    doFork: big(MADV_DOFORK),
    clone: big(nr.clone),
    flags: big(CLONE_PARENT_SIGCHLD),
    kill: big(SIGKILL),
  };
  const futexNr = big(nr.futex), FUTEX_WAIT_N = big(FUTEX_WAIT), FUTEX_WAKE_N = big(FUTEX_WAKE);
  const timespecAt = address(timespecBytes), siginfoAt = address(siginfo);
  const pollAt = address(poll), zeroTimespecAt = address(zeroTimespec), progAt = address(prog);
  const limit = new BigUint64Array(2), limitBytes = new Uint8Array(limit.buffer);
  const encoder = new TextEncoder(), encode = TextEncoder.prototype.encode;
  const decoder = new TextDecoder(), decode = TextDecoder.prototype.decode;
  /** A path's bytes, made with the encoder's method as it was here (a plugin may replace it), `end` after them. */
  const pathBytes = (s: string, end = ""): Uint8Array => {
    if (typeof s !== "string") throw new TypeError("a path must be a string");
    return apply(encode, encoder, [s + end]);
  };
  /** A path's bytes for the C library: NUL-terminated. */
  const cString = (s: string): Uint8Array => pathBytes(s, "\0");
  // Taken now: a plugin shares this process and may replace them before it calls a socket's methods (the
  // kernel would then write past a buffer: in the plugin's own process, but nothing here should help it).
  // The kernel is given views made here, over the bytes' buffer at byte offsets computed here, so that neither
  // a species constructor (subarray's) nor an element size other than one byte can widen what it touches.
  const apply = Reflect.apply, typedArray = Object.getPrototypeOf(Uint8Array.prototype), U8 = Uint8Array;
  const fill = typedArray.fill;
  const getter = (o: object, name: PropertyKey) => Object.getOwnPropertyDescriptor(o, name)!.get!;
  const tagOf = getter(typedArray, Symbol.toStringTag), bufferOf = getter(typedArray, "buffer");
  const offsetOf = getter(typedArray, "byteOffset"), lengthOf = getter(typedArray, "byteLength");
  const resizable = getter(ArrayBuffer.prototype, "resizable");
  /** `bytes` as a buffer, offset and length, when it is a `Uint8Array` over an ArrayBuffer of fixed length. */
  const plainBytes = (bytes: unknown): { buffer: ArrayBuffer; offset: number; n: number } | undefined => {
    if (apply(tagOf, bytes, []) !== "Uint8Array") return undefined;
    const buffer = apply(bufferOf, bytes, []);
    try {
      // A SharedArrayBuffer (which another thread could change meanwhile) makes the getter throw.
      if (apply(resizable, buffer, [])) return undefined;
    } catch {
      return undefined;
    }
    return { buffer, offset: apply(offsetOf, bytes, []), n: apply(lengthOf, bytes, []) };
  };
  const EBADF = 9, EINVAL = 22;
  /**
   * Moves all of `bytes` through `io` (a read or a send of up to `n` bytes at `view`), again after EINTR; stops at
   * 0 (the peer closed). Returns the bytes moved, or -errno when none were.
   */
  const whole = (bytes: unknown, io: (view: Uint8Array, n: number) => number): number => {
    const b = plainBytes(bytes);
    if (b === undefined) return -EINVAL;
    const { buffer, offset, n } = b;
    let done = 0;
    while (done < n) {
      const r = io(new U8(buffer, offset + done, n - done), n - done);
      if (r < 0 && errno() === EINTR) continue;
      if (r < 0) return done > 0 ? done : -errno();
      if (r === 0) break;
      done += r;
    }
    return done;
  };
  const stream = (fd: number, how: StreamSocket["how"]): StreamSocket => {
    let open = true;
    return Object.freeze<StreamSocket>({
      how,
      // MSG_NOSIGNAL: a peer that went away is an error here, not a SIGPIPE.
      write: (bytes) => open ? whole(bytes, (view, n) => num(sockets!.send(fd, view, big(n), MSG_NOSIGNAL))) : -EBADF,
      read: (bytes) => open ? whole(bytes, (view, n) => num(c.read(fd, view, big(n)))) : -EBADF,
      close() {
        if (open) close(fd), open = false;
      },
    });
  };
  return {
    arch,
    memfd(name, size) {
      const fd = c.memfd_create(cString(name), MFD_CLOEXEC | MFD_ALLOW_SEALING);
      if (fd < 0) fail("memfd_create");
      if (call(nr.ftruncate, big(fd), big(size)) !== 0) fail("ftruncate");
      // A fixed size: neither side can make the other's mapping fault past its end.
      if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !== 0) fail("fcntl(F_ADD_SEALS)");
      return fd;
    },
    map(fd, size) {
      const p = c.mmap(0n, big(size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0n);
      const at = p === null ? 0n : big(pointerValue(p));
      if (at === 0n || at === 0xffffffffffffffffn) fail("mmap");
      return {
        address: num(at),
        region: (offset, length) => {
          if (offset < 0 || length <= 0 || offset + length > size) {
            throw new RangeError(`Bad region ${offset}+${length}`);
          }
          return arrayBufferAt(p!, length, offset);
        },
      };
    },
    open(path, write, nonblocking) {
      const fd = c.open(cString(path), (write ? 2 : 0) | (nonblocking ? O_NONBLOCK : 0), 0);
      if (fd < 0) fail(`open ${path}`);
      return fd;
    },
    readSmallFile(path) {
      const fd = c.open(cString(path), 0, 0);
      if (fd < 0) fail(`open ${path}`);
      const size = 16384, buf = new AB(size);
      let n = 0;
      for (;;) {
        const r = num(c.read(fd, new U8(buf, n, size - n), big(size - n)));
        if (r <= 0) break;
        n += r;
      }
      close(fd);
      return apply(decode, decoder, [new U8(buf, 0, n)]);
    },
    readStart(fd, max) {
      const buf = new AB(max);
      const r = num(c.pread(fd, new U8(buf), big(max), 0n));
      return new U8(buf, 0, r > 0 ? r : 0);
    },
    close(fd) {
      close(fd);
    },
    writeAt(fd, bytes, offset) {
      const b = plainBytes(bytes);
      if (b === undefined) throw new TypeError("writeAt: not a Uint8Array over an ArrayBuffer of fixed length");
      for (let done = 0; done < b.n;) {
        const n = num(c.pwrite(fd, new U8(b.buffer, b.offset + done, b.n - done), big(b.n - done), big(offset + done)));
        if (n <= 0) fail("pwrite");
        done += n;
      }
    },
    remap(mapping, fd, size) {
      // Plain numbers, not pointers: making a pointer would need the FFI permission.
      const at = c.syscall(
        big(nr.mmap),
        big(mapping.address),
        big(size),
        big(PROT_READ | PROT_WRITE),
        big(MAP_SHARED | MAP_FIXED),
        big(fd),
        0n,
      );
      if (at !== big(mapping.address)) fail("mmap(MAP_FIXED)");
    },
    discard(mapping, size) {
      const at = c.syscall(
        big(nr.mmap),
        big(mapping.address),
        big(size),
        big(PROT_READ | PROT_WRITE),
        big(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE),
        0xffffffffffffffffn, // no file: -1
        0n,
      );
      if (at !== big(mapping.address)) fail("mmap(MAP_FIXED|MAP_ANONYMOUS)");
    },
    alias(address, size, target) {
      const flags = big(MREMAP_MAYMOVE | MREMAP_FIXED);
      return c.syscall(big(nr.mremap), big(address), 0n, big(size), flags, big(target), 0n) ===
        big(target);
    },
    seals(fd) {
      return fcntl(fd, F_GET_SEALS, 0);
    },
    size(fd) {
      return call(nr.lseek, big(fd), 0n, big(SEEK_END));
    },
    forkSibling(parent) {
      const parentWord = big(parent);
      // Unmapped holes make madvise fail with ENOMEM after it changed every mapping: expected.
      c.syscall(forkWords.madvise, 4096n, forkWords.userSpace, forkWords.doFork, 0n, 0n, 0n);
      const r = c.syscall(forkWords.clone, forkWords.flags, 0n, 0n, 0n, 0n, 0n);
      if (r === 0n) {
        c.syscall(forkWords.prctl, forkWords.deathSignal, forkWords.kill, 0n, 0n, 0n, 0n);
        if (c.syscall(forkWords.getppid, 0n, 0n, 0n, 0n, 0n, 0n) !== parentWord) {
          c.syscall(forkWords.exit, 0n, 0n, 0n, 0n, 0n, 0n);
        }
        return 0;
      }
      if (r < 0n) fail("clone");
      return num(r);
    },
    signal(pidfd, signo) {
      call(nr.pidfd_send_signal, big(pidfd), big(signo));
    },
    reap(pidfd, wait) {
      apply(fill, siginfo, [0]);
      const flags = big(WEXITED | (wait ? 0 : WNOHANG));
      const r = call(nr.waitid, big(P_PIDFD), big(pidfd), siginfoAt, flags);
      // WNOHANG with nothing ended leaves si_pid 0; an error (already collected) counts as collected.
      return r !== 0 || siginfoView.getInt32(16, true) !== 0;
    },
    dup2(fd, target) {
      // dup3 refuses a descriptor onto itself, which dup2 leaves as it is.
      if (fd !== target && call(nr.dup3, big(fd), big(target)) < 0) fail("dup2");
    },
    futexWait(at, expected, ms) {
      const whole = floor(ms / 1000);
      timespec[0] = big(whole);
      timespec[1] = big(round((ms - whole * 1000) * 1e6));
      c.syscall(futexNr, big(at), FUTEX_WAIT_N, big(expected >>> 0), timespecAt, 0n, 0n);
    },
    futexWake(at) {
      c.syscall(futexNr, big(at), FUTEX_WAKE_N, 0x7fffffffn, 0n, 0n, 0n);
    },
    pidfd(pid) {
      return call(nr.pidfd_open, big(pid));
    },
    ended(pidfd) {
      // struct pollfd { int fd; short events; short revents; }: POLLIN on a pidfd means the process ended.
      pollView.setInt32(0, pidfd, true);
      pollView.setInt16(4, POLLIN, true);
      pollView.setInt16(6, 0, true);
      const r = num(c.syscall(big(nr.ppoll), pollAt, 1n, zeroTimespecAt, 0n, 8n, 0n));
      return r === 1 && (pollView.getInt16(6, true) & POLLIN) !== 0;
    },
    closeOnExecAbove2() {
      let names: string[];
      try {
        names = [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name);
      } catch {
        return;
      }
      for (const name of names) {
        const fd = num(name);
        if (fd > 2) fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    },
    exitStatus(pidfd) {
      apply(fill, siginfo, [0]);
      const flags = big(WEXITED | WNOHANG | WNOWAIT);
      const r = call(nr.waitid, big(P_PIDFD), big(pidfd), siginfoAt, flags);
      // siginfo_t: si_signo, si_errno, si_code, then (for SIGCHLD) si_pid, si_uid, si_status.
      if (r !== 0 || siginfoView.getInt32(16, true) === 0) return undefined;
      const code = siginfoView.getInt32(8, true), status = siginfoView.getInt32(24, true);
      return code === CLD_EXITED ? { code: status } : { signal: status };
    },
    getpid: () => call(nr.getpid),
    getppid: () => call(nr.getppid),
    setNice: (tid, nice) => call(nr.setpriority, big(PRIO_PROCESS), big(tid), big(nice)) === 0,
    cpusOf(tid) {
      for (let i = 0; i < CPU_MASK_BYTES; i++) cpuMask[i] = 0;
      // The raw call answers how many bytes of the mask the kernel wrote.
      if (call(nr.sched_getaffinity, big(tid), big(CPU_MASK_BYTES), cpuMaskAt) <= 0) return undefined;
      const cpus: number[] = [];
      for (let cpu = 0; cpu < 8 * CPU_MASK_BYTES; cpu++) if (cpuMask[cpu >> 3] & (1 << (cpu & 7))) cpus.push(cpu);
      return cpus;
    },
    setCpus(tid, cpus) {
      for (let i = 0; i < CPU_MASK_BYTES; i++) cpuMask[i] = 0;
      for (const cpu of cpus) {
        if (floor(cpu) !== cpu || cpu < 0 || cpu >= 8 * CPU_MASK_BYTES) return false;
        cpuMask[cpu >> 3] |= 1 << (cpu & 7);
      }
      return call(nr.sched_setaffinity, big(tid), big(CPU_MASK_BYTES), cpuMaskAt) === 0;
    },
    currentCpu() {
      cpuWord[0] = -1;
      return call(nr.getcpu, cpuWordAt, 0n, 0n) === 0 ? cpuWord[0] : -1;
    },
    setsid() {
      call(nr.setsid);
    },
    setrlimit(resource, bytes) {
      limit[0] = limit[1] = big(bytes);
      if (c.setrlimit(resource, limitBytes) !== 0) fail(`setrlimit(${resource})`);
    },
    prctl(option, arg2) {
      if (prctl(option, big(arg2)) !== 0) fail(`prctl(${option})`);
    },
    unixStream(path, listening) {
      const name = pathBytes(path);
      if (name.length >= SUN_PATH_BYTES) return { step: "socket path", errno: 36 /* ENAMETOOLONG */ };
      // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
      const addr = new Uint8Array(2 + SUN_PATH_BYTES);
      new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
      addr.set(name, 2);
      const len = 2 + name.length + 1;
      try {
        sockets ??= Deno.dlopen("libc.so.6", SOCKET_SYMBOLS).symbols;
      } catch {
        return { step: "bind the C library's socket calls", errno: EINVAL };
      }
      const s = sockets;
      const socket = () => s.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      const failed = (step: string, fd: number) => {
        const e = errno();
        if (fd >= 0) close(fd);
        return { step, errno: e };
      };
      let fd = socket();
      if (fd < 0) return failed("create socket", -1);
      if (s.connect(fd, addr, len) === 0) return stream(fd, "connected");
      if (errno() !== ENOENT) return failed("failed to connect", fd);
      // Nobody there: listen for one peer, as the first of the two processes.
      close(fd);
      fd = socket();
      if (fd < 0) return failed("create socket", -1);
      if (s.bind(fd, addr, len) !== 0) return failed("bind socket", fd);
      if (s.listen(fd, 1) !== 0) {
        const failure = failed("listen socket", fd);
        s.unlink(cString(path));
        return failure;
      }
      listening?.();
      let peer = s.accept4(fd, null, null, SOCK_CLOEXEC);
      while (peer < 0 && errno() === EINTR) peer = s.accept4(fd, null, null, SOCK_CLOEXEC);
      const e = errno();
      // Connected (or failed): the path has done its work, and must not outlive this process.
      s.unlink(cString(path));
      close(fd);
      return peer < 0 ? { step: "accept socket", errno: e } : stream(peer, "listened");
    },
    exit(status): never {
      call(nr.exit_group, big(status & 0xff));
      throw new Error("exit_group returned");
    },
    seccomp(filter) {
      // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
      // The filter is copied into an ArrayBuffer of its own for the same reason.
      const bytes = new Uint8Array(new ArrayBuffer(filter.length));
      bytes.set(filter);
      const view = progView;
      view.setUint16(0, filter.length / 8, true);
      view.setBigUint64(8, address(bytes), true);
      const SECCOMP_SET_MODE_FILTER = 1, SECCOMP_FILTER_FLAG_TSYNC = 1;
      const r = c.syscall(
        big(nr.seccomp),
        big(SECCOMP_SET_MODE_FILTER),
        big(SECCOMP_FILTER_FLAG_TSYNC),
        progAt,
        0n,
        0n,
        0n,
      );
      if (r !== 0n) fail("seccomp");
    },
  };
}
