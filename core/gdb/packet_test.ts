import { assertEquals } from "../../tests/assert.ts";
import { checksum, decodeBody, escape, framePacket, fromHex, MAX_PACKET, PacketReader, toHex } from "./packet.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("checksum is the sum of the payload's bytes modulo 256", () => {
  for (
    const [payload, sum] of [["", 0], ["OK", 0x9a], ["g", 0x67], ["qSupported", 0x37], ["\xff\xff", 0xfe]] as const
  ) {
    assertEquals(checksum(payload), sum, payload);
  }
});

Deno.test("framePacket escapes #, $, } and * and sums the escaped bytes", () => {
  assertEquals(escape("#$}*a"), "}\x03}\x04}]}\x0aa");
  assertEquals(framePacket("OK"), "$OK#9a");
  const framed = framePacket("a*b");
  assertEquals(framed, `$a}\x0ab#${checksum("a}\x0ab").toString(16).padStart(2, "0")}`);
});

Deno.test("decodeBody undoes escapes and run-length encoding and refuses malformed bodies", () => {
  const table: [string, string | undefined][] = [
    ["abc", "abc"],
    ["}]", "}"],
    ["}\x03}\x04", "#$"],
    ["0* ", "0000"], // ' ' is 32: 32 - 29 = 3 more
    ['x*"', "xxxxxx"], // '"' is 34: 5 more
    ["}", undefined], // dangling escape
    ["*!", undefined], // a run with nothing to repeat
    ["a*", undefined], // a run without its count
    ["a*\x10", undefined], // a count below 3
    ["a*~".repeat(200), undefined], // expands past MAX_PACKET
  ];
  for (const [body, want] of table) assertEquals(decodeBody(body), want, JSON.stringify(body));
});

Deno.test("PacketReader yields packets, acks and interrupts, and flags bad checksums", () => {
  const r = new PacketReader();
  const events = r.feed(bytes("junk+$g#67-\x03$m10,4#00$OK#9a"));
  assertEquals(events, [
    { kind: "ack", ok: true },
    { kind: "packet", data: "g" },
    { kind: "ack", ok: false },
    { kind: "interrupt" },
    { kind: "bad" },
    { kind: "packet", data: "OK" },
  ]);
});

Deno.test("PacketReader reassembles a packet split across reads, at every split point", () => {
  const whole = bytes(framePacket("qSupported:multiprocess+;swbreak+"));
  for (let cut = 0; cut <= whole.length; cut++) {
    const r = new PacketReader();
    const events = [...r.feed(whole.subarray(0, cut)), ...r.feed(whole.subarray(cut))];
    assertEquals(events, [{ kind: "packet", data: "qSupported:multiprocess+;swbreak+" }], `cut at ${cut}`);
  }
});

Deno.test("PacketReader drops an over-long packet whole and goes on with the next one", () => {
  const r = new PacketReader();
  const long = "$" + "A".repeat(MAX_PACKET * 4) + "#00";
  assertEquals(r.feed(bytes(long)), [{ kind: "bad" }]);
  // Even with a matching checksum, too long is too long.
  const body = "B".repeat(MAX_PACKET + 1);
  assertEquals(r.feed(bytes(`$${body}#${checksum(body).toString(16).padStart(2, "0")}`)), [{ kind: "bad" }]);
  assertEquals(r.feed(bytes("$g#67")), [{ kind: "packet", data: "g" }]);
});

Deno.test("PacketReader refuses checksums that are not two hex digits", () => {
  const r = new PacketReader();
  assertEquals(r.feed(bytes("$g#zz$g#6")), [{ kind: "bad" }]);
  assertEquals(r.feed(bytes("7")), [{ kind: "packet", data: "g" }]);
});

Deno.test("toHex and fromHex are inverses; fromHex refuses odd lengths and non-hex digits", () => {
  const b = new Uint8Array([0, 1, 0x7f, 0x80, 0xff]);
  assertEquals(toHex(b), "00017f80ff");
  assertEquals(fromHex("00017f80ff"), b);
  assertEquals(fromHex("0"), undefined);
  assertEquals(fromHex("zz"), undefined);
});
