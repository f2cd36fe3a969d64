/**
 * Strings a guest passes as bytes (arguments, environment, paths in a
 * recording), kept byte for byte through JavaScript strings: UTF-8, with
 * each byte that is not part of valid UTF-8 held as a lone surrogate
 * U+DC80..U+DCFF (Python's "surrogateescape"). `TextDecoder` replaced such
 * bytes by U+FFFD: an argument of Latin-1 bytes reached the program
 * `execve` started as `ef bf bd` for each.
 *
 * @module
 */

/** The first of the surrogates that stand for bytes 0x80..0xFF. */
const ESCAPE = 0xdc00;

const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes `bytes` as UTF-8, keeping each byte of an invalid sequence as
 * U+DC00 + byte, so that {@link encodeGuestString} gives the bytes back.
 *
 * @example
 * ```ts
 * import { decodeGuestString, encodeGuestString } from "./guest_string.ts";
 * import { deepStrictEqual, strictEqual } from "node:assert";
 * const bytes = new Uint8Array([0x61, 0xff, 0xc3, 0xa9]); // "a", a lone 0xff, "é"
 * strictEqual(decodeGuestString(bytes), "a\udcffé");
 * deepStrictEqual(encodeGuestString(decodeGuestString(bytes)), bytes);
 * ```
 */
export function decodeGuestString(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    // Not all valid: sequence by sequence below.
  }
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(ESCAPE + bytes[i]);
      i++;
    } else {
      out += strict.decode(bytes.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

/** The length of the valid UTF-8 sequence at `bytes[i]`, or 0 when none starts there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  // The lead byte's length and the range its second byte must lie in (which rules out overlong forms, surrogates and
  // code points past U+10FFFF), as in the Unicode standard's table of well-formed byte sequences.
  let n: number, lo = 0x80, hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) (n = 3, lo = b0 === 0xe0 ? 0xa0 : 0x80, hi = b0 === 0xed ? 0x9f : 0xbf);
  else if (b0 >= 0xf0 && b0 <= 0xf4) (n = 4, lo = b0 === 0xf0 ? 0x90 : 0x80, hi = b0 === 0xf4 ? 0x8f : 0xbf);
  else return 0;
  if (i + n > bytes.length || bytes[i + 1] < lo || bytes[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0;
  return n;
}

const encoder = new TextEncoder();

/**
 * Encodes `s` as UTF-8, giving back the byte each U+DC80..U+DCFF not paired
 * with a high surrogate stands for ({@link decodeGuestString}); any other
 * lone surrogate becomes U+FFFD, as `TextEncoder` makes it.
 */
export function encodeGuestString(s: string): Uint8Array {
  if (!/[\udc80-\udcff]/.test(s)) return encoder.encode(s);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    const paired = i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
    if (u >= 0xdc80 && u <= 0xdcff && !paired) {
      parts.push(encoder.encode(s.slice(from, i)), new Uint8Array([u - ESCAPE]));
      from = i + 1;
    }
  }
  parts.push(encoder.encode(s.slice(from)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
