/**
 * User and group ids of the guest process and the `set*id` rules Linux
 * applies to an unprivileged process (no `CAP_SETUID`/`CAP_SETGID`): ids
 * may only be exchanged among the real, effective and saved ones. The
 * host's identity never changes; only what the guest sees does.
 *
 * @module
 */

import { E, SyscallError } from "./errno.ts";
import { hostIds } from "./host_info.ts";

/** `(uid_t)-1`: "leave unchanged" for `setre*id`/`setres*id`. */
export const ID_UNCHANGED = 0xffff_ffff;
/** Linux's `NGROUPS_MAX`. */
export const NGROUPS_MAX = 65536;

/** One of the two id families. */
export class IdSet {
  /** Real id. */
  real: number;
  /** Effective id. */
  effective: number;
  /** Saved set-id. */
  saved: number;
  /** File-system id. */
  fs: number;

  /** @param ids real, effective, saved, fs */
  constructor(ids: readonly [number, number, number, number]) {
    [this.real, this.effective, this.saved, this.fs] = ids;
  }

  private isCurrent(id: number): boolean {
    return id === this.real || id === this.effective || id === this.saved;
  }

  /** `setuid`/`setgid`: only to the real or saved id; changes the effective (and fs) id. */
  set(id: number): void {
    if (id === ID_UNCHANGED) throw new SyscallError(E.EINVAL, "Id -1");
    if (id !== this.real && id !== this.saved) throw new SyscallError(E.EPERM, `Cannot switch to id ${id}`);
    this.effective = this.fs = id;
  }

  /** `setreuid`/`setregid`. */
  setRe(real: number, effective: number): void {
    if (real !== ID_UNCHANGED && real !== this.real && real !== this.effective) {
      throw new SyscallError(E.EPERM, `Cannot set real id ${real}`);
    }
    if (effective !== ID_UNCHANGED && !this.isCurrent(effective)) {
      throw new SyscallError(E.EPERM, `Cannot set effective id ${effective}`);
    }
    const oldReal = this.real;
    if (real !== ID_UNCHANGED) this.real = real;
    if (effective !== ID_UNCHANGED) this.effective = effective;
    if (real !== ID_UNCHANGED || (effective !== ID_UNCHANGED && effective !== oldReal)) this.saved = this.effective;
    this.fs = this.effective;
  }

  /** `setresuid`/`setresgid`. */
  setRes(real: number, effective: number, saved: number): void {
    for (const id of [real, effective, saved]) {
      if (id !== ID_UNCHANGED && !this.isCurrent(id)) throw new SyscallError(E.EPERM, `Cannot set id ${id}`);
    }
    if (real !== ID_UNCHANGED) this.real = real;
    if (effective !== ID_UNCHANGED) this.effective = effective;
    if (saved !== ID_UNCHANGED) this.saved = saved;
    this.fs = this.effective;
  }

  /** `setfsuid`/`setfsgid`: returns the old fs id; changes it only to a current id. */
  setFs(id: number): number {
    const old = this.fs;
    if (this.isCurrent(id) || id === this.fs) this.fs = id;
    return old;
  }
}

/**
 * The guest's credentials, starting as the host process's.
 *
 * @example An unprivileged process may not become someone else
 * ```ts
 * import { Credentials } from "./credentials.ts";
 * import { throws } from "node:assert";
 * const c = new Credentials([1000, 1000, 1000, 1000], [100, 100, 100, 100], []);
 * throws(() => c.uid.set(0), { name: "SyscallError", errno: 1 }); // EPERM
 * ```
 */
export class Credentials {
  /** User ids. */
  readonly uid: IdSet;
  /** Group ids. */
  readonly gid: IdSet;
  /** Supplementary groups. */
  readonly groups: readonly number[];

  /**
   * @param uids real, effective, saved, fs user ids
   * @param gids real, effective, saved, fs group ids
   * @param groups supplementary groups
   */
  constructor(
    uids: readonly [number, number, number, number],
    gids: readonly [number, number, number, number],
    groups: readonly number[],
  ) {
    this.uid = new IdSet(uids);
    this.gid = new IdSet(gids);
    this.groups = groups;
  }

  /** An independent copy (what `fork` gives the child). */
  copy(): Credentials {
    const ids = (s: IdSet) => [s.real, s.effective, s.saved, s.fs] as const;
    return new Credentials(ids(this.uid), ids(this.gid), [...this.groups]);
  }

  /** The host process's credentials. */
  static fromHost(): Credentials {
    const h = hostIds();
    return new Credentials(h.uids, h.gids, h.groups);
  }
}
