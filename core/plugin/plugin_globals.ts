/**
 * The globals a plugin's code can reach: one list, used by the sandbox
 * (which removes every other global from the plugin process before the
 * plugin's code runs) and by the bundler (which refuses, at load, a plugin
 * that names a global outside it, with the file and line).
 *
 * What remains is ECMAScript's standard library and three computation-only
 * Web APIs plugins use to handle bytes and fast code: `TextEncoder`,
 * `TextDecoder` and `WebAssembly` (a plugin's memory is bounded by its
 * process's limit, WebAssembly memories included). Nothing of Deno's
 * runtime (`Deno`, `process`, `console`, timers, workers, messaging) is
 * reachable unless a grant brings it back ({@link GRANT_GLOBALS}).
 *
 * @module
 */

/**
 * Every global left in a plugin process's global object (own properties).
 * ECMAScript 2025's global object properties, in the order of the
 * specification's section 19, then the Web APIs named above.
 */
export const REACHABLE_GLOBALS: readonly string[] = [
  // Value properties (19.1) and function properties (19.2).
  "globalThis",
  "Infinity",
  "NaN",
  "undefined",
  "eval",
  "isFinite",
  "isNaN",
  "parseFloat",
  "parseInt",
  "decodeURI",
  "decodeURIComponent",
  "encodeURI",
  "encodeURIComponent",
  "escape",
  "unescape",
  // Constructors (19.3).
  "AggregateError",
  "Array",
  "ArrayBuffer",
  "BigInt",
  "BigInt64Array",
  "BigUint64Array",
  "Boolean",
  "DataView",
  "Date",
  "Error",
  "EvalError",
  "FinalizationRegistry",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "Function",
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Iterator",
  "Map",
  "Number",
  "Object",
  "Promise",
  "Proxy",
  "RangeError",
  "ReferenceError",
  "RegExp",
  "Set",
  "SharedArrayBuffer",
  "String",
  "Symbol",
  "SyntaxError",
  "TypeError",
  "Uint8Array",
  "Uint8ClampedArray",
  "Uint16Array",
  "Uint32Array",
  "URIError",
  "WeakMap",
  "WeakRef",
  "WeakSet",
  // Other properties (19.4).
  "Atomics",
  "JSON",
  "Math",
  "Reflect",
  "Intl",
  // Web APIs that only compute.
  "TextEncoder",
  "TextDecoder",
  "WebAssembly",
];

/**
 * Reachable globals a plugin still may not name in its source: they
 * evaluate code or hand out the global object, which the load-time
 * analysis cannot follow. At run time they lead only to what is listed
 * above.
 */
export const UNNAMEABLE_GLOBALS: readonly string[] = ["globalThis", "eval", "Function"];

/** Globals each grant kind makes reachable (and nameable) again. */
export const GRANT_GLOBALS: Readonly<Record<string, readonly string[]>> = {
  read: ["Deno"],
  write: ["Deno"],
  env: ["Deno"],
  net: ["Deno", "fetch", "WebSocket"],
};

/** Worker, Node.js and CommonJS names absent from this process's global object, refused as well (and the API's own). */
export const ABSENT_GLOBALS: readonly string[] = [
  ..."self window global process require postMessage importScripts close navigator location".split(" "),
  "__plume_api__",
];

/**
 * Names the bundler refuses in a plugin's source: every global of Deno's
 * runtime (read from this process's global object, which has the same
 * runtime) and the names a worker or Node.js would have, except what is
 * reachable, nameable, or `granted`.
 *
 * @example
 * ```ts
 * import { forbiddenGlobals } from "./plugin_globals.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(forbiddenGlobals([]).includes("Deno"), true);
 * strictEqual(forbiddenGlobals(["Deno"]).includes("Deno"), false); // granted
 * ```
 */
export function forbiddenGlobals(granted: readonly string[]): string[] {
  const runtime = new Set<string>([...Object.getOwnPropertyNames(globalThis), ...ABSENT_GLOBALS]);
  const allowed = new Set([...REACHABLE_GLOBALS.filter((g) => !UNNAMEABLE_GLOBALS.includes(g)), ...granted]);
  return [...runtime].filter((g) => !allowed.has(g) && /^[A-Za-z_$][\w$]*$/.test(g)).sort();
}
