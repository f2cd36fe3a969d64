/**
 * Framing of GDB's remote serial protocol: `$payload#cs` packets with a
 * modulo-256 checksum, `}`-escapes (`}` then the byte xor 0x20) for `#`, `$`,
 * `}` and `*`, run-length encoding (`X*n` repeats X `n - 29` more times) on
 * input, the `+`/`-` acknowledgements and the interrupt byte 0x03.
 *
 * The reader is fed raw bytes as they arrive and yields events; it never
 * throws on bad input (a debugger client is untrusted): a bad checksum is
 * answered with `-` by the caller, garbage outside packets is skipped, and a
 * packet longer than {@link MAX_PACKET} is dropped whole.
 *
 * @module
 */

/** Longest packet payload plume accepts (and announces as `PacketSize`, in bytes of payload). */
export const MAX_PACKET = 0x4000;

/** What the reader found in the byte stream. */
export type PacketEvent =
  /** A packet whose checksum matched, unescaped and run-length decoded (latin-1 text). */
  | { kind: "packet"; data: string }
  /** A packet whose checksum did not match, or that was too long: answer `-` (a resend). */
  | { kind: "bad" }
  /** `+` or `-` from the client. */
  | { kind: "ack"; ok: boolean }
  /** The interrupt byte (Ctrl-C in gdb). */
  | { kind: "interrupt" };

/**
 * The modulo-256 sum of the bytes of `s` (char codes below 256).
 *
 * @param s the payload as sent (escaped)
 * @returns the checksum, 0..255
 *
 * @example
 * ```ts
 * import { checksum } from "./packet.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(checksum("OK"), 0x9a);
 * ```
 */
export function checksum(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return sum;
}

/**
 * Escapes a payload for sending: `#`, `$`, `}` and `*` become `}` and the
 * byte xor 0x20.
 *
 * @param data the payload (char codes below 256)
 * @returns the escaped payload
 *
 * @example
 * ```ts
 * import { escape } from "./packet.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(escape("a#b"), "a}\x03b");
 * ```
 */
export function escape(data: string): string {
  return data.replace(/[#$}*]/g, (c) => "}" + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

/**
 * Frames a payload: `$`, the escaped payload, `#` and two hex digits of the checksum.
 *
 * @param data the payload (char codes below 256)
 * @returns the packet as a string of bytes
 *
 * @example
 * ```ts
 * import { framePacket } from "./packet.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(framePacket("OK"), "$OK#9a");
 * ```
 */
export function framePacket(data: string): string {
  const body = escape(data);
  return `$${body}#${checksum(body).toString(16).padStart(2, "0")}`;
}

/**
 * Undoes escapes and run-length encoding of a received payload; undefined
 * when it is malformed (a dangling `}`, a run with nothing before it or an
 * invalid count).
 *
 * @param body the payload as received, between `$` and `#`
 * @returns the payload, or undefined
 *
 * @example
 * ```ts
 * import { decodeBody } from "./packet.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(decodeBody("0* "), "0000"); // ' ' is 32: three more
 * strictEqual(decodeBody("}]"), "}");
 * ```
 */
export function decodeBody(body: string): string | undefined {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "}") {
      if (++i >= body.length) return undefined;
      out += String.fromCharCode(body.charCodeAt(i) ^ 0x20);
    } else if (c === "*") {
      if (out.length === 0 || ++i >= body.length) return undefined;
      const n = body.charCodeAt(i) - 29;
      if (n < 3 || n > 97) return undefined;
      out += out[out.length - 1].repeat(n);
      if (out.length > MAX_PACKET) return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

const enum State {
  Idle,
  Body,
  Sum1,
  Sum2,
}

/**
 * Splits the byte stream from a client into {@link PacketEvent}s.
 *
 * @example
 * ```ts
 * import { PacketReader } from "./packet.ts";
 * import { deepStrictEqual } from "node:assert";
 * const r = new PacketReader();
 * const events = r.feed(new TextEncoder().encode("+$g#67\x03$g#00"));
 * deepStrictEqual(events.map((e) => e.kind), ["ack", "packet", "interrupt", "bad"]);
 * ```
 */
export class PacketReader {
  private state = State.Idle;
  private body = "";
  private sum = "";
  private tooLong = false;

  /**
   * Takes the next bytes and returns the events they complete.
   *
   * @param bytes bytes as read from the connection
   * @returns the events, in order
   */
  feed(bytes: Uint8Array): PacketEvent[] {
    const events: PacketEvent[] = [];
    for (const b of bytes) {
      const c = String.fromCharCode(b);
      switch (this.state) {
        case State.Idle:
          if (c === "$") {
            this.state = State.Body;
            this.body = "";
            this.tooLong = false;
          } else if (c === "+" || c === "-") events.push({ kind: "ack", ok: c === "+" });
          else if (b === 3) events.push({ kind: "interrupt" });
          // Anything else between packets is noise: skipped, as gdbserver does.
          break;
        case State.Body:
          if (c === "#") this.state = State.Sum1;
          else if (this.body.length >= MAX_PACKET) this.tooLong = true;
          else this.body += c;
          break;
        case State.Sum1:
          this.sum = c;
          this.state = State.Sum2;
          break;
        case State.Sum2: {
          this.state = State.Idle;
          const sum = this.sum + c;
          const data = /^[0-9a-fA-F]{2}$/.test(sum) && parseInt(sum, 16) === checksum(this.body) && !this.tooLong
            ? decodeBody(this.body)
            : undefined;
          events.push(data === undefined ? { kind: "bad" } : { kind: "packet", data });
          this.body = "";
          break;
        }
      }
    }
    return events;
  }
}

/**
 * Latin-1 bytes of a string of char codes below 256 (packets are bytes, not UTF-8).
 *
 * @param s the string
 * @returns its bytes
 */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Hex digits of bytes, two per byte, lower case.
 *
 * @param bytes the bytes
 * @returns the hex string
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Bytes of a hex string; undefined when it has an odd length or a non-hex digit.
 *
 * @param hex the hex string
 * @returns the bytes, or undefined
 */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
