/**
 * How the plugin side fails: whatever the plugin throws becomes one death
 * message in the control block, naming the callback, and the plugin's
 * thread stops serving the channel. A module of its own because every
 * other stage (replay, synchronous calls, start) ends this way, and
 * because reading what a plugin threw is itself dangerous: the value may
 * be a Proxy or have throwing getters, so nothing here runs more of the
 * plugin's code than a property read, and nothing here throws but
 * {@link Died}.
 *
 * @module
 */

import { CTL, DEATH, putString, RING, STATE } from "../channel.ts";
import { type AnyFn, instance, isOurs } from "./state.ts";

/** Thrown to stop the loop once the plugin died. */
export class Died extends Error {
  readonly #died = true;
  /** Whether `v` is one the runtime threw ({@link isOurs}). */
  static is(v: unknown): v is Died {
    return isOurs(v) && #died in v;
  }
}
Object.freeze(Died.prototype), Object.freeze(Died);

/** Reads a property of a value the plugin made, which may be a Proxy or have throwing getters. */
function safeGet(v: unknown, key: string): unknown {
  try {
    return (v as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * What the plugin threw, as text: never runs more of the plugin's code
 * than a property read and never throws (the emulator escapes the text).
 */
export function errorText(err: unknown): string {
  try {
    if (typeof err === "object" && err !== null) {
      const name = safeGet(err, "name"), message = safeGet(err, "message");
      if (typeof message === "string") {
        // Deno's advice is for its own command line; plume's way to grant is -plugin-allow.
        const text = message.replace(/, run again with the --allow-\w+ flag/, " (not granted; see -plugin-allow)");
        return `${typeof name === "string" ? name : "Error"}: ${text}`;
      }
      return "an exception that is not an Error";
    }
    if (typeof err === "symbol") return "a symbol";
    // A function's text would come from its own toString (the plugin's code): its name is a property read.
    if (typeof err === "function") return `a function ${fnName(err as AnyFn)}`;
    return `${typeof err} ${String(err)}`;
  } catch {
    return "an exception that could not be read";
  }
}

/** A callback's name for a message: `'name'`, or `(anonymous)`. */
export function fnName(fn: AnyFn | undefined): string {
  const name = safeGet(fn, "name");
  return typeof name === "string" && name !== "" ? `'${name}'` : "(anonymous)";
}

/**
 * Writes the death message and marks the channel dead, waking the
 * emulator whether it waits for a call's end or for room in the ring.
 */
export function markDead(message: string): void {
  putString(instance.ctl, DEATH, message);
  Atomics.store(instance.ci, CTL.STATE, STATE.DEAD);
  instance.waiter.wake(instance.ci, CTL.STATE);
  instance.waiter.wake(instance.ring, RING.TAIL);
}

/** Reports the plugin dead with a message naming the callback, and stops the loop. */
export function die(what: string, err: unknown): never {
  if (Died.is(err)) throw err;
  markDead(`${what}: ${errorText(err)}`);
  throw new Died();
}
