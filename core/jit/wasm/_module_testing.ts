/**
 * Reading the WebAssembly modules the tier builds, for its tests
 * (`region_test.ts`, `../emit_snapshot_test.ts`): LEB128 numbers, the
 * sections, the last function body.
 *
 * @module
 */

/**
 * Reads an unsigned (or, with `signed`, a signed) LEB128 number at `at` of
 * `b`; returns it and the position after it.
 *
 * @example
 * ```ts
 * import { leb } from "./_module_testing.ts";
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual(leb(new Uint8Array([0xe5, 0x8e, 0x26]), 0), [624485n, 3]);
 * deepStrictEqual(leb(new Uint8Array([0x7f]), 0, true), [-1n, 1]);
 * ```
 */
export function leb(b: Uint8Array, at: number, signed = false): [bigint, number] {
  let v = 0n, shift = 0n, byte: number;
  do {
    byte = b[at++];
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte & 0x80);
  if (signed && byte & 0x40) v -= 1n << shift;
  return [v, at];
}

/** {@link leb} of an unsigned number, as a number (sizes, counts, indices and offsets). */
export function uleb(b: Uint8Array, at: number): [number, number] {
  const [v, next] = leb(b, at);
  return [Number(v), next];
}

/** A section of a module: its id and where its contents start and end. */
export interface Section {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

/** The sections of `module`, in order. */
export function sections(module: Uint8Array): Section[] {
  const out: Section[] = [];
  for (let at = 8; at < module.length;) {
    const [size, start] = uleb(module, at + 1);
    out.push({ id: module[at], start, end: start + size });
    at = start + size;
  }
  return out;
}

/**
 * Where the last function body of `module` (a region module's region
 * function) starts, after its size (its locals first), and ends.
 */
export function lastBody(module: Uint8Array): { start: number; end: number } {
  const code = sections(module).find((s) => s.id === 10);
  if (!code) throw new Error("the module has no code section");
  let [count, at] = uleb(module, code.start), body = { start: at, end: at };
  for (; count > 0; count--) {
    const [size, start] = uleb(module, at);
    body = { start, end: start + size };
    at = start + size;
  }
  return body;
}
