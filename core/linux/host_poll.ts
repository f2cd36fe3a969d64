/**
 * Readiness of the host's descriptors behind the guest's standard streams
 * (a terminal or a pipe): Deno has no `poll`, so plume calls the C
 * library's (`host_libc.ts`). Without it (no permission, no libc) every
 * stream counts as ready, which makes a read block the host thread.
 *
 * @module
 */

import { libc } from "./host_libc.ts";

/** `poll` event bits (`asm-generic/poll.h`, the host's too on Linux). */
export const POLL = {
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  NVAL: 0x20,
  RDNORM: 0x40,
  RDBAND: 0x80,
  WRNORM: 0x100,
  WRBAND: 0x200,
} as const;

/** What Linux reports for files that are always ready (`DEFAULT_POLLMASK`). */
export const DEFAULT_POLLMASK = POLL.IN | POLL.OUT | POLL.RDNORM | POLL.WRNORM;

/** One host descriptor to poll. */
export interface HostPollFd {
  /** Host descriptor (0, 1 or 2). */
  fd: number;
  /** Requested `POLL` bits. */
  events: number;
}

/**
 * Polls host descriptors, waiting up to `timeoutMs` (0: just look) for
 * one to be ready; returns each one's `revents`, or undefined when plume
 * cannot poll the host.
 *
 * @example
 * ```ts
 * import { POLL, pollHost } from "./host_poll.ts";
 * import { deepStrictEqual } from "node:assert";
 * const revents = pollHost([{ fd: 1, events: POLL.OUT }], 0);
 * if (revents) deepStrictEqual(revents, [POLL.OUT]); // standard output takes writes
 * ```
 */
export function pollHost(fds: readonly HostPollFd[], timeoutMs: number): number[] | undefined {
  const c = libc();
  if (c === null) return undefined;
  const buf = new Uint8Array(8 * fds.length);
  const v = new DataView(buf.buffer);
  fds.forEach((f, i) => {
    v.setInt32(8 * i, f.fd, true);
    v.setInt16(8 * i + 4, f.events, true);
  });
  const ms = Math.max(0, Math.min(Math.ceil(timeoutMs), 0x7fff_ffff));
  if (c.poll(buf, BigInt(fds.length), ms) < 0) return fds.map(() => 0);
  return fds.map((_, i) => v.getUint16(8 * i + 6, true));
}
