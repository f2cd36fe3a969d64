/**
 * The operating-system walls a plugin process puts up around itself
 * before it sees the plugin's code: death with plume, a session of its own
 * (terminal signals for plume's session no longer reach it), no core dumps, a
 * memory limit covering everything it can allocate (`RLIMIT_DATA`: heap,
 * `ArrayBuffer`s, WebAssembly memories, worker isolates), the seccomp
 * filter, and every Deno permission revoked but the grants.
 *
 * @module
 */

import { os, PR_SET_PDEATHSIG, SIGKILL } from "./os.ts";
import { seccompFilter } from "./seccomp.ts";

/** What the walls let through. */
export interface Confinement {
  /** plume's pid: the process ends when plume does, however plume ends. */
  parent: number;
  /** Memory limit in MiB beyond what the runtime uses at start (0: none). */
  memoryMb: number;
  /**
   * Deno permission kinds granted (`read`, `write`, `net`, `env`): kept,
   * all others revoked; and {@link TREE_GRANT} when a `write` grant names a
   * directory.
   */
  grants: readonly string[];
}

/** Not a Deno permission: a `write` grant names a directory, whose entries the plugin may make, remove and rename. */
export const TREE_GRANT = "tree";

const RLIMIT_DATA = 2, RLIMIT_CORE = 4;
export { PR_SET_PDEATHSIG, SIGKILL };
const PR_SET_NO_NEW_PRIVS = 38;
const PERMISSIONS = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;

/**
 * Confines this process. After it, the FFI permission is gone: only
 * symbols opened before keep working (see `os.ts`).
 *
 * @throws {Error} when a wall cannot be put up: the plugin must not run then
 *
 * @example
 * ```ts
 * import { confineProcess } from "./confine.ts";
 * confineProcess({ parent: Deno.ppid, memoryMb: 512, grants: [] }); // in a plugin process only
 * ```
 */
export function confineProcess(c: Confinement): void {
  const o = os();
  // Killed with plume, even by SIGKILL, even while a callback spins (plume starts it from its main
  // thread, which lives as long as plume). Checked after: plume may have gone before the request.
  o.prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (o.getppid() !== c.parent) o.exit(0);
  o.setsid();
  o.setrlimit(RLIMIT_CORE, 0);
  if (c.memoryMb > 0) {
    // What the runtime already holds counts too: the limit is that plus the plugin's allowance.
    const status = o.readSmallFile("/proc/self/status");
    const vmData = Number(/^VmData:\s*(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
    if (!Number.isFinite(vmData)) throw new Error("Cannot read VmData from /proc/self/status");
    o.setrlimit(RLIMIT_DATA, vmData + c.memoryMb * 1024 * 1024);
  }
  // Time zone data is read on first use: read it now, before the filter refuses opening files.
  new Date().toString();
  const filter = seccompFilter(o.arch, {
    pid: o.getpid(),
    open: c.grants.includes("read") || c.grants.includes("write"),
    write: c.grants.includes("write"),
    tree: c.grants.includes("write") && c.grants.includes(TREE_GRANT),
    net: c.grants.includes("net"),
  });
  if (filter) {
    o.prctl(PR_SET_NO_NEW_PRIVS, 1);
    o.seccomp(filter);
  }
  for (const name of PERMISSIONS) {
    if (!c.grants.includes(name)) Deno.permissions.revokeSync({ name });
  }
}
