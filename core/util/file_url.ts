/**
 * File paths from `file:` URLs (`import.meta.url` and what is resolved
 * against it), as `node:url`'s `fileURLToPath` gives them on POSIX
 * systems: percent-escapes decoded (a checkout in `/home/me/my plugins`
 * has a `%20` in its URL, not in its path). Local rather than `node:url`,
 * whose import costs plume's start-up about 6 ms.
 *
 * @module
 */

/**
 * The file path of `url`.
 *
 * @throws {TypeError} for a URL that is not a local `file:` URL, or whose path encodes a `/`
 *
 * @example
 * ```ts
 * import { fileUrlToPath } from "./file_url.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(fileUrlToPath(new URL("file:///home/me/my%20plugins/a.ts")), "/home/me/my plugins/a.ts");
 * ```
 */
export function fileUrlToPath(url: URL | string): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError(`Not a file URL: ${u.href}`);
  if (u.hostname !== "" && u.hostname !== "localhost") throw new TypeError(`File URL host must be empty: ${u.href}`);
  if (/%2f/i.test(u.pathname)) throw new TypeError(`File URL path must not include an encoded '/': ${u.href}`);
  return decodeURIComponent(u.pathname);
}
