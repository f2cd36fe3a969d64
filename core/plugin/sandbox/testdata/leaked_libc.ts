/**
 * Run by `confine_test.ts` as a process of its own: confines itself as a
 * plugin process does, but keeps a handle on the C library opened before
 * (what a plugin would hold if it found a way to an FFI symbol), then
 * tries, through it, what the seccomp filter must refuse. Prints one JSON
 * object (call name → result, negative errno on failure), then allocates
 * twice its memory allowance: the allocation fails (a second line says so)
 * or V8 stops the process for want of memory.
 *
 * @module
 */

import { confineProcess } from "../confine.ts";

const libc = Deno.dlopen("libc.so.6", {
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
  __errno_location: { parameters: [], result: "pointer" },
});
// A view of errno made now: reading through a pointer later needs the FFI permission.
const errno = new Int32Array(Deno.UnsafePointerView.getArrayBuffer(libc.symbols.__errno_location()!, 4));
// In an ArrayBuffer of its own: a small typed array made with a length may be moved by the collector.
const path = new Uint8Array(new ArrayBuffer(64));
path.set(new TextEncoder().encode("/etc/hostname\0"));
const pathAt = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(path)));
const sys = (nr: number, ...a: bigint[]): number => {
  const args = [...a, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) as [bigint, bigint, bigint, bigint, bigint, bigint];
  const r = Number(libc.symbols.syscall(BigInt(nr), ...args));
  return r < 0 ? -errno[0] : r;
};
const memoryMb = Number(Deno.args[0] ?? 64);
confineProcess({ parent: Deno.ppid, memoryMb, grants: [] });

const ppid = BigInt(Deno.ppid);
const AT_FDCWD = -100n;
const results: Record<string, number | string> = {
  // Refused.
  "kill(plume, 0)": sys(62, ppid, 0n),
  "kill(-1, 0)": sys(62, -1n, 0n),
  "tgkill(plume, plume, 0)": sys(234, ppid, ppid, 0n),
  "openat(/etc/hostname)": sys(257, AT_FDCWD, pathAt, 0n),
  "open(/etc/hostname)": sys(2, pathAt, 0n),
  "socket(AF_INET)": sys(41, 2n, 1n, 0n),
  "socket(AF_UNIX)": sys(41, 1n, 1n, 0n),
  "fork()": sys(57),
  "clone(SIGCHLD)": sys(56, 17n, 0n, 0n, 0n, 0n),
  // The plugin's own copy for a forked guest is CLONE_PARENT | SIGCHLD exactly: with anything more, refused.
  "clone(CLONE_PARENT|CLONE_FILES|SIGCHLD)": sys(56, 0x8000n | 0x400n | 17n, 0n, 0n, 0n, 0n),
  "clone(CLONE_PARENT|CLONE_NEWUSER|SIGCHLD)": sys(56, 0x8000n | 0x10000000n | 17n, 0n, 0n, 0n, 0n),
  "clone3()": sys(435, 0n, 0n),
  "execve(/etc/hostname)": sys(59, pathAt, 0n, 0n),
  "ptrace(ATTACH, plume)": sys(101, 16n, ppid, 0n, 0n),
  "process_vm_readv(plume)": sys(310, ppid, 0n, 0n, 0n, 0n, 0n),
  "pidfd_open(plume)": sys(434, ppid, 0n),
  "setrlimit(DATA)": sys(160, 2n, 0n),
  "prlimit64(self, DATA, new)": sys(302, 0n, 2n, pathAt, 0n),
  "unlink(/etc/hostname)": sys(87, pathAt),
  "shmget": sys(29, 1234n, 4096n, 0o1600n),
  "io_uring_setup": sys(425, 8n, 0n),
  "setpriority(plume)": sys(141, 0n, ppid, 10n),
  // A descriptor that signals its owner when ready: the owner may not be named.
  "fcntl(0, F_SETOWN, plume)": sys(72, 0n, 8n, ppid),
  "fcntl(0, F_SETSIG, SIGKILL)": sys(72, 0n, 10n, 9n),
  "fcntl(0, F_SETOWN_EX)": sys(72, 0n, 15n, 0n),
  "ioctl(0, FIOSETOWN)": sys(16, 0n, 0x8901n, 0n),
  "ioctl(0, TIOCSTI)": sys(16, 0n, 0x5412n, 0n),
  // Allowed.
  "getpid()": sys(39),
  "kill(self, 0)": sys(62, BigInt(Deno.pid), 0n),
  "prlimit64(self, DATA, query)": sys(302, 0n, 2n, 0n, pathAt),
  "fcntl(0, F_GETFD)": sys(72, 0n, 1n),
};
console.log(JSON.stringify(results));
// The memory limit: allocating twice the allowance fails inside this process.
try {
  const hoard: Uint8Array[] = [];
  for (let i = 0; i < 2 * memoryMb; i++) hoard.push(new Uint8Array(1 << 20).fill(1));
  console.log("allocated twice the limit");
} catch (err) {
  console.log(`allocation refused (${(err as Error).name})`);
}
