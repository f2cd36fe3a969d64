/**
 * Resource limits (`getrlimit`, `setrlimit`, `prlimit64`), starting as the
 * host's. Only plume's own bookkeeping changes; limits that plume enforces
 * are read from here (`RLIMIT_NOFILE` for descriptors, `RLIMIT_NPROC` for
 * the tasks of a run).
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { hostLimits } from "./host_info.ts";

/** `RLIM_INFINITY`. */
export const RLIM_INFINITY: bigint = 0xffff_ffff_ffff_ffffn;
/** Number of resources (`RLIM_NLIMITS`). */
const RLIM_NLIMITS = 16;
/** Stack size limit. */
export const RLIMIT_STACK = 3;
/** Tasks (processes and threads) limit. */
export const RLIMIT_NPROC = 6;
/**
 * The most tasks (threads of every guest process, zombies included) one
 * plume run starts with as `RLIMIT_NPROC` (`-nproc`): plume runs all guest
 * processes inside its own host process, where the host's limit never
 * applies, and a forked process costs plume a copy of its memory (and,
 * under plugins, a host process per plugin).
 */
export const DEFAULT_NPROC = 512;
/** Open descriptors limit. */
export const RLIMIT_NOFILE = 7;
/** Queued signals limit. */
export const RLIMIT_SIGPENDING = 11;
/** Linux's `fs.nr_open` default: the most descriptors a process may have. */
const NR_OPEN = 1048576;

/** A soft/hard pair. */
export interface RLimit {
  /** Soft limit. */
  cur: bigint;
  /** Hard limit. */
  max: bigint;
}

/** Linux defaults, used when the host's limits cannot be read. */
const DEFAULTS: readonly [number, number][] = [
  [Infinity, Infinity], // CPU
  [Infinity, Infinity], // FSIZE
  [Infinity, Infinity], // DATA
  [8 << 20, Infinity], // STACK
  [0, Infinity], // CORE
  [Infinity, Infinity], // RSS
  [63_000, 63_000], // NPROC
  [1024, 4096], // NOFILE
  [8 << 20, 8 << 20], // MEMLOCK
  [Infinity, Infinity], // AS
  [Infinity, Infinity], // LOCKS
  [63_000, 63_000], // SIGPENDING
  [819200, 819200], // MSGQUEUE
  [0, 0], // NICE
  [0, 0], // RTPRIO
  [Infinity, Infinity], // RTTIME
];

function toRlim(v: number): bigint {
  return v === Infinity ? RLIM_INFINITY : BigInt(v);
}

/**
 * The limits of one process.
 *
 * @example
 * ```ts
 * import { ResourceLimits, RLIMIT_STACK } from "./rlimits.ts";
 * import { ok } from "node:assert";
 * const l = new ResourceLimits();
 * ok(l.get(RLIMIT_STACK).cur > 0n);
 * ```
 */
export class ResourceLimits {
  private readonly limits: RLimit[];

  /** @param limits the limits to start from (a copy's), else the host's */
  constructor(limits?: readonly RLimit[]) {
    if (limits !== undefined) {
      this.limits = limits.map((l) => ({ ...l }));
      return;
    }
    const host = hostLimits();
    this.limits = DEFAULTS.map(([cur, max], i) => {
      const h = host.get(i);
      return { cur: toRlim(h?.cur ?? cur), max: toRlim(h?.max ?? max) };
    });
  }

  /** An independent copy (what `fork` gives the child), made without reading the host's limits again. */
  copy(): ResourceLimits {
    return new ResourceLimits(this.limits);
  }

  /** The limit of `resource`; `EINVAL` for an unknown one. */
  get(resource: number): RLimit {
    if (!Number.isInteger(resource) || resource < 0 || resource >= RLIM_NLIMITS) {
      throw new SyscallError(E.EINVAL, `Unknown resource ${resource}`);
    }
    return { ...this.limits[resource] };
  }

  /** Changes a limit with an unprivileged process's rules: soft ≤ hard, hard never raised. */
  set(resource: number, limit: RLimit): void {
    const old = this.get(resource);
    if (limit.cur > limit.max) throw new SyscallError(E.EINVAL, `Soft limit ${limit.cur} above hard ${limit.max}`);
    if (limit.max > old.max) throw new SyscallError(E.EPERM, `Cannot raise the hard limit to ${limit.max}`);
    if (resource === RLIMIT_NOFILE && limit.max > BigInt(NR_OPEN)) throw new SyscallError(E.EPERM);
    this.limits[resource] = { ...limit };
  }

  /**
   * Lowers a limit to at most `n` (soft and hard), as plume's own caps do
   * before the guest starts: a guest may lower it further and raise the
   * soft limit back up to `n`, never above.
   */
  lower(resource: number, n: number): void {
    const old = this.get(resource), cap = BigInt(n);
    this.limits[resource] = { cur: old.cur < cap ? old.cur : cap, max: old.max < cap ? old.max : cap };
  }

  /** The soft limit as a number (`Infinity` for unlimited). */
  soft(resource: number): number {
    const cur = this.get(resource).cur;
    return cur === RLIM_INFINITY ? Infinity : Number(cur);
  }
}
