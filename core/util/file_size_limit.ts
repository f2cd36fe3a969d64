/**
 * Whether the host limits the size of the files plume's process writes
 * (`ulimit -f`, `prlimit --fsize`): its soft limit as `/proc/self/limits`
 * reads now, which a process outside may have changed since plume started.
 * False where that file cannot be read.
 *
 * @example
 * ```ts
 * import { fileSizeLimited } from "./file_size_limit.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(typeof fileSizeLimited(), "boolean");
 * ```
 *
 * @module
 */

/** See the module's description. */
export function fileSizeLimited(): boolean {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n").find((l) => l.startsWith("Max file size"));
    return line !== undefined && line.slice("Max file size".length).trim().split(/\s+/)[0] !== "unlimited";
  } catch {
    return false;
  }
}
