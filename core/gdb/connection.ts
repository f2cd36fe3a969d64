/**
 * One debugger connection: bytes in, {@link PacketEvent}s out, packets
 * sent with their checksum, `+` for each good packet received and `-` for a
 * bad one (GDB then sends it again), and a resend of the last packet when
 * the debugger answers `-`. Reading never throws: a closed or failed
 * connection is an event like any other.
 *
 * @module
 */

import { framePacket, latin1, type PacketEvent, PacketReader } from "./packet.ts";

/** What {@link Connection.next} gives: a packet, an interrupt, or the end of the connection. */
export type Incoming = { kind: "packet"; data: string } | { kind: "interrupt" } | { kind: "closed" };

/** Resends of one packet on `-` before the stub gives up on the debugger. */
const MAX_RESENDS = 8;

/**
 * A debugger connection over any Deno stream (TCP or a unix socket).
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * declare const conn: Deno.Conn; // accepted from the debugger
 * const c = new Connection(conn);
 * const first = await c.next(); // its first packet, usually qSupported
 * if (first.kind === "packet") await c.send("");
 * ```
 */
export class Connection {
  private readonly reader = new PacketReader();
  private readonly queue: Incoming[] = [];
  private reading: Promise<void> | undefined;
  private lastSent = "";
  private resends = 0;
  /** The connection is gone (closed by either side, or failed). */
  closed = false;

  /** @param conn the accepted connection */
  constructor(private readonly conn: Deno.Conn) {}

  /** Reads once from the socket (at most one read in flight) and queues what it completes. */
  private readMore(): Promise<void> {
    this.reading ??= (async () => {
      const buf = new Uint8Array(4096);
      let n: number | null = null;
      try {
        n = await this.conn.read(buf);
      } catch {
        n = null;
      }
      this.reading = undefined;
      if (n === null) {
        this.close();
        return;
      }
      for (const e of this.reader.feed(buf.subarray(0, n))) await this.take(e);
    })();
    return this.reading;
  }

  private async take(e: PacketEvent): Promise<void> {
    if (e.kind === "packet") {
      await this.write("+");
      this.queue.push(e);
    } else if (e.kind === "bad") await this.write("-");
    else if (e.kind === "interrupt") this.queue.push(e);
    else if (!e.ok && this.lastSent !== "" && this.resends++ < MAX_RESENDS) await this.write(this.lastSent);
    else if (e.ok) this.resends = 0;
  }

  /** The next packet or interrupt, waiting for it; `closed` once the connection is gone. */
  async next(): Promise<Incoming> {
    while (this.queue.length === 0 && !this.closed) await this.readMore();
    return this.queue.shift() ?? { kind: "closed" };
  }

  /**
   * What arrived so far without waiting for more: lets a read that is
   * ready complete (one turn of the event loop) and returns the first event,
   * if any.
   */
  async poll(): Promise<Incoming | undefined> {
    if (this.queue.length === 0 && !this.closed) {
      void this.readMore();
      await new Promise((r) => setTimeout(r, 0));
    }
    if (this.queue.length > 0) return this.queue.shift();
    return this.closed ? { kind: "closed" } : undefined;
  }

  /** Sends a packet with `data` as its payload. */
  send(data: string): Promise<void> {
    this.lastSent = framePacket(data);
    this.resends = 0;
    return this.write(this.lastSent);
  }

  private async write(s: string): Promise<void> {
    if (this.closed) return;
    const bytes = latin1(s);
    try {
      for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
    } catch {
      this.close();
    }
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // Already closed by the other side.
    }
  }
}
