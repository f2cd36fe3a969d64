import { assertEquals } from "../../../tests/assert.ts";
import { os } from "./os.ts";

Deno.test("os(): no call looks up a global or a method a plugin may replace once it runs (BigInt, Number, Math, encoders, typed arrays)", () => {
  if (Deno.build.os !== "linux") return;
  const o = os(); // bound while the globals are the real ones, as the plugin's process does before loading a plugin
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any, typedArray = Object.getPrototypeOf(Uint8Array.prototype);
  const trap = () => {
    throw new Error("looked up at the call");
  };
  const replaced: [object, string][] = [
    [g, "BigInt"],
    [g, "Number"],
    [Math, "floor"],
    [Math, "round"],
    [Math, "max"],
    [TextEncoder.prototype, "encode"],
    [TextDecoder.prototype, "decode"],
    [typedArray, "subarray"],
    [typedArray, "fill"],
  ];
  const saved = replaced.map(([o, k]) => Object.getOwnPropertyDescriptor(o, k)!);
  let results: unknown[];
  try {
    for (const [target, key] of replaced) Object.defineProperty(target, key, { value: trap, configurable: true });
    const fd = o.memfd("os-test", 4096);
    o.writeAt(fd, new Uint8Array([7, 8, 9]), 10);
    const start = o.readStart(fd, 16);
    const mapping = o.map(fd, 4096);
    // What a forked plugin's copy does with its new channel: the same pages mapped again where they were.
    o.remap(mapping, fd, 4096);
    const view = new Uint8Array(mapping.region(0, 4096));
    o.futexWake(mapping.address);
    o.futexWait(mapping.address, 1, 1); // the word is 0: returns at once
    const stat = o.readSmallFile("/proc/self/stat");
    o.close(fd);
    results = [[...start], view[11], stat.startsWith(`${Deno.pid} (`)];
  } finally {
    replaced.forEach(([target, key], i) => Object.defineProperty(target, key, saved[i]));
  }
  assertEquals(results, [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 8, 9, 0, 0, 0], 8, true]);
});
