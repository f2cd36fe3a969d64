/**
 * Text from outside plume (a plugin's exception, a value it returned) made
 * safe to print inside plume's own one-line messages: no newline, escape
 * sequence or other control character survives, so such text can neither
 * forge another line (`plume: plugin 'victim' …`) nor drive the terminal.
 *
 * @module
 */

/** Longest piece of outside text kept in a message, in characters. */
export const PRINTABLE_MAX = 400;

/**
 * Escapes control characters (C0, DEL, C1, and the Unicode line, paragraph
 * and bidirectional controls) as `\n`, `\xNN` or `\uNNNN`, and shortens
 * the text to `max` characters.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * printable("boom\nplume: forged\x1b[31m"); // "boom\\nplume: forged\\x1b[31m"
 * ```
 */
export function printable(text: string, max = PRINTABLE_MAX): string {
  const short = text.length > max ? text.slice(0, max) + "…" : text;
  // deno-lint-ignore no-control-regex
  return short.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    if (ch === "\n") return "\\n";
    if (ch === "\r") return "\\r";
    if (ch === "\t") return "\\t";
    const code = ch.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
