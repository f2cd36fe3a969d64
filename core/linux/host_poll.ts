/**
 * Readiness of the host's descriptors behind the guest's standard streams
 * (a terminal or a pipe): Deno has no `poll`, so plume calls the C
 * library's through Deno's foreign-function interface, loaded on first
 * use. Without it (no permission, no libc) every stream counts as ready,
 * which makes a read block the host thread as before.
 *
 * @module
 */

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

type PollLib = { symbols: { poll(fds: Uint8Array, n: bigint, timeout: number): number } };

let lib: PollLib | null | undefined;

function libc(): PollLib | null {
  if (lib === undefined) {
    try {
      lib = Deno.dlopen("libc.so.6", { poll: { parameters: ["buffer", "u64", "i32"], result: "i32" } }) as PollLib;
    } catch {
      lib = null;
    }
  }
  return lib;
}

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
 * ```ts ignore
 * const [stdin] = pollHost([{ fd: 0, events: POLL.IN }], 0) ?? [POLL.IN];
 * ```
 */
export function pollHost(fds: readonly HostPollFd[], timeoutMs: number): number[] | undefined {
  const l = libc();
  if (l === null) return undefined;
  const buf = new Uint8Array(8 * fds.length);
  const v = new DataView(buf.buffer);
  fds.forEach((f, i) => {
    v.setInt32(8 * i, f.fd, true);
    v.setInt16(8 * i + 4, f.events, true);
  });
  const ms = Math.max(0, Math.min(Math.ceil(timeoutMs), 0x7fff_ffff));
  if (l.symbols.poll(buf, BigInt(fds.length), ms) < 0) return fds.map(() => 0);
  return fds.map((_, i) => v.getUint16(8 * i + 6, true));
}
