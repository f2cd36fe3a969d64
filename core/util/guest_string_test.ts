import { assertEquals } from "../../tests/assert.ts";
import { decodeGuestString, encodeGuestString } from "./guest_string.ts";

Deno.test("guest strings: any bytes come back from decode and encode, valid UTF-8 decodes as TextDecoder does", () => {
  // A fixed seed: random byte strings, most with bytes past 0x7f, and pieces of valid and nearly valid UTF-8.
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
  const pieces = [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [
    0xf4,
    0x90,
  ]];
  for (let run = 0; run < 5000; run++) {
    const bytes: number[] = [];
    for (let k = next() % 12; k > 0; k--) {
      if (next() % 3 === 0) bytes.push(...pieces[next() % pieces.length]);
      else bytes.push(next() % 256);
    }
    const b = new Uint8Array(bytes);
    assertEquals(encodeGuestString(decodeGuestString(b)), b, `bytes ${bytes}`);
    let valid: string | undefined;
    try {
      valid = new TextDecoder("utf-8", { fatal: true }).decode(b);
    } catch {
      valid = undefined;
    }
    if (valid !== undefined) assertEquals(decodeGuestString(b), valid);
  }
  // Encoded surrogates, overlong forms and code points past U+10FFFF are bytes, not characters.
  assertEquals(decodeGuestString(new Uint8Array([0xed, 0xa0, 0x80])), "\udced\udca0\udc80");
  assertEquals(decodeGuestString(new Uint8Array([0xc0, 0xaf])), "\udcc0\udcaf");
  assertEquals(decodeGuestString(new Uint8Array([0xf4, 0x90, 0x80, 0x80])), "\udcf4\udc90\udc80\udc80");
  // A lone surrogate that stands for no byte is U+FFFD, as TextEncoder makes it.
  assertEquals(encodeGuestString("\ud800x\udcff"), new Uint8Array([0xef, 0xbf, 0xbd, 0x78, 0xff]));
});
