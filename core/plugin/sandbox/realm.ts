/**
 * Empties the plugin process's global object down to what a plugin may
 * reach ({@link REACHABLE_GLOBALS}, plus what its grants bring back),
 * before the plugin's code runs. Whatever path the plugin takes to the
 * global object (`[].constructor.constructor("return this")()`, a
 * generator's constructor, `Reflect.construct`…) leads here.
 *
 * Not the only wall: the process has no permissions and a seccomp filter;
 * this one keeps the runtime's own objects (`Deno`, `process`, `console`,
 * timers, workers) out of reach, so that a plugin meets only ECMAScript
 * and the API.
 *
 * @module
 */

import { REACHABLE_GLOBALS } from "../plugin_globals.ts";

/**
 * Removes every global except `REACHABLE_GLOBALS` and `keep`, the global
 * object's inherited methods (`addEventListener`…) included.
 *
 * @throws {Error} when a global cannot be removed: the sandbox then refuses to start
 *
 * @example
 * ```ts
 * import { confineGlobals } from "./realm.ts";
 * confineGlobals([]); // in the plugin process only: this empties the global object
 * ```
 */
export function confineGlobals(keep: readonly string[]): void {
  const g = globalThis as Record<PropertyKey, unknown>;
  const allowed = new Set<PropertyKey>([...REACHABLE_GLOBALS, ...keep]);
  // Some names exist twice (Deno's `queueMicrotask` shadows V8's own): delete until none is left.
  for (let round = 0; round < 4; round++) {
    for (const key of Reflect.ownKeys(g)) {
      if (!allowed.has(key) && !Reflect.deleteProperty(g, key)) throw new Error(`Cannot remove global ${String(key)}`);
    }
  }
  const left = Reflect.ownKeys(g).filter((key) => !allowed.has(key));
  if (left.length > 0) throw new Error(`Cannot remove globals ${left.map(String).join(", ")}`);
  // EventTarget and Window methods live on the global object's prototype chain.
  if (!Reflect.setPrototypeOf(g, Object.prototype)) throw new Error("Cannot detach the global object's prototype");
}
