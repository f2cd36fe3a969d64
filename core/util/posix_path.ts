/**
 * POSIX paths by their names alone, as Deno reads a permission grant (no
 * look at the file system: `nx/..` is the directory whether or not `nx`
 * exists).
 *
 * @module
 */

/**
 * `path` made absolute against `cwd` (itself absolute), its `.`, `..` and
 * repeated slashes resolved by name.
 *
 * @example
 * ```ts
 * import { resolvedPath } from "./posix_path.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(resolvedPath("../b/./s.sock", "/tmp/a"), "/tmp/b/s.sock");
 * strictEqual(resolvedPath("/x//y/../z", "/ignored"), "/x/z");
 * strictEqual(resolvedPath("../../..", "/tmp"), "/");
 * ```
 */
export function resolvedPath(path: string, cwd: string): string {
  const parts: string[] = [];
  for (const c of (path.startsWith("/") ? path : `${cwd}/${path}`).split("/")) {
    if (c === "..") parts.pop();
    else if (c !== "" && c !== ".") parts.push(c);
  }
  return `/${parts.join("/")}`;
}
