import { assertEquals } from "../../tests/assert.ts";
import { printable } from "./printable.ts";

Deno.test("printable escapes every control and format character and keeps the rest", () => {
  const cases: [string, string][] = [
    ["plain text, ünïcödé ✓", "plain text, ünïcödé ✓"],
    ["a\nb\r\tc", "a\\nb\\r\\tc"],
    ["\x1b[31mred\x07\x7f\x85", "\\x1b[31mred\\x07\\x7f\\x85"],
    [
      "\u2028\u2029\u202e\u2066\u200b\u200e\u061c\ufeff\u00ad",
      "\\u2028\\u2029\\u202e\\u2066\\u200b\\u200e\\u061c\\ufeff\\xad",
    ],
    ["tag\u{e0041}", "tag\\u{e0041}"],
  ];
  for (const [input, expected] of cases) assertEquals(printable(input), expected, JSON.stringify(input));
  assertEquals(printable("x".repeat(10), 4), "xxxx…");
});
