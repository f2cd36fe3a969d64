/**
 * Text from outside plume (a plugin's exception, a value it returned) made
 * safe to print inside plume's own one-line messages: no newline, escape
 * sequence or other control character survives, so such text can neither
 * forge another line (`plume: plugin 'victim' …`) nor drive the terminal.
 *
 * @module
 */

/** Longest piece of outside text kept in a message, in characters. */
const PRINTABLE_MAX = 400;

/**
 * Escapes control and format characters (Unicode's Cc and Cf categories:
 * C0, DEL, C1, bidirectional and zero-width controls, tags; and the line
 * and paragraph separators) as `\n`, `\xNN`, `\uNNNN` or `\u{…}`, and
 * shortens the text to `max` characters.
 *
 * @example
 * ```ts
 * import { printable } from "./printable.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(printable("boom\nplume: forged\x1b[31m"), "boom\\nplume: forged\\x1b[31m");
 * ```
 */
export function printable(text: string, max = PRINTABLE_MAX): string {
  const short = text.length > max ? text.slice(0, max) + "…" : text;
  return short.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (ch) => {
    if (ch === "\n") return "\\n";
    if (ch === "\r") return "\\r";
    if (ch === "\t") return "\\t";
    const code = ch.codePointAt(0)!;
    if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
    return code < 0x10000 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\u{${code.toString(16)}}`;
  });
}
