/**
 * Test assertions. A thin layer over `node:assert` (JSR's `@std/assert` is
 * not reachable here), so that switching to `@std/assert` later is one edit.
 *
 * @module
 */

import nodeAssert from "node:assert";

/** Asserts that `actual` deep-equals `expected` (strictly). */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Asserts that `actual` is not deep-equal to `expected`. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** Asserts that `actual` includes `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new nodeAssert.AssertionError({
      message: msg ?? `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
      actual,
      expected,
    });
  }
}

/** Asserts that `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  // A message of the caller's replaces Node's, which shows the text: keep the text in it.
  nodeAssert.match(
    actual,
    re,
    msg === undefined ? undefined : `${msg}: ${JSON.stringify(actual)} does not match ${re}`,
  );
}

/**
 * Asserts that `fn` throws, optionally an instance of `ErrorClass` whose
 * message includes `msgIncludes`. Returns the thrown error.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  msgIncludes?: string,
): E {
  try {
    fn();
  } catch (e) {
    if (ErrorClass && !(e instanceof ErrorClass)) {
      throw new nodeAssert.AssertionError({ message: `Expected ${ErrorClass.name}, got ${e}` });
    }
    if (msgIncludes !== undefined && !(e as Error).message.includes(msgIncludes)) {
      throw new nodeAssert.AssertionError({
        message: `Expected error message to include ${JSON.stringify(msgIncludes)}, got ${
          JSON.stringify((e as Error).message)
        }`,
      });
    }
    return e as E;
  }
  throw new nodeAssert.AssertionError({ message: "Expected function to throw" });
}

/** Asserts that the promise rejects; returns the error. */
export async function assertRejects(fn: () => Promise<unknown>, msgIncludes?: string): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (msgIncludes !== undefined && !(e as Error).message.includes(msgIncludes)) {
      throw new nodeAssert.AssertionError({ message: `Expected rejection including ${msgIncludes}, got ${e}` });
    }
    return e as Error;
  }
  throw new nodeAssert.AssertionError({ message: "Expected promise to reject" });
}
