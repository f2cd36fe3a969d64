/**
 * Advisory file locks between the guest processes of a run: `flock`'s
 * whole-file locks, held by an open file description, and `fcntl`'s byte
 * ranges, held by a process (`F_SETLK`, POSIX locks) or by an open file
 * description (`F_OFD_SETLK`). As in Linux, `flock` locks and range locks
 * are separate, and POSIX and OFD range locks conflict with each other
 * whenever their owners differ (a process's POSIX lock and an OFD lock it
 * took through another descriptor included).
 *
 * Why here: every guest process runs inside plume, one host process, so
 * the host's locks cannot tell them apart (POSIX locks are the host
 * process's, whatever guest took them); before this table every lock was
 * granted, and two guest processes of one run (sqlite's, dpkg's) both got
 * the same exclusive lock. Locks held by programs outside plume are not
 * seen, nor do they see these.
 *
 * @module
 */

/** A lock's holder: an open file description (`flock`, OFD locks) or a process (POSIX locks). */
export type LockOwner = object;

/** A range lock. */
export interface RangeLock {
  /** Who holds it. */
  readonly owner: LockOwner;
  /** `l_pid` as `F_GETLK` reports it: the holding process's pid, or -1 for an OFD lock. */
  readonly pid: number;
  /** A write (exclusive) lock, else a read (shared) one. */
  readonly write: boolean;
  /** First byte. */
  readonly start: number;
  /** The byte after the last (`Infinity`: to the end of the file, however it grows). */
  readonly end: number;
}

/** A `flock` lock. */
interface WholeLock {
  readonly owner: LockOwner;
  readonly write: boolean;
}

/**
 * The locks of one run's processes, by file (`dev:ino`).
 *
 * @example Two owners, one byte range
 * ```ts
 * import { FileLocks } from "./file_locks.ts";
 * import { strictEqual } from "node:assert";
 * const locks = new FileLocks(), a = {}, b = {};
 * locks.setRange("1:2", a, 100, true, 0, 10);
 * strictEqual(locks.conflict("1:2", b, false, 5, 6)?.pid, 100); // a's write lock blocks b's read
 * strictEqual(locks.conflict("1:2", b, false, 10, 20), undefined);
 * ```
 */
export class FileLocks {
  private readonly ranges = new Map<string, RangeLock[]>();
  private readonly whole = new Map<string, WholeLock[]>();
  /** Owners waiting for a range lock (`F_SETLKW`), and for whose: how a deadlock is found. */
  private readonly waitingFor = new Map<LockOwner, LockOwner>();

  /** The first lock of another owner over `[start, end)` that a lock of this kind would conflict with. */
  conflict(file: string, owner: LockOwner, write: boolean, start: number, end: number): RangeLock | undefined {
    for (const l of this.ranges.get(file) ?? []) {
      if (l.owner !== owner && l.start < end && start < l.end && (write || l.write)) return l;
    }
    return undefined;
  }

  /**
   * Sets `owner`'s lock over `[start, end)` to a read or write lock, or
   * (`write` null) unlocks it, as `F_SETLK` does once no conflict is left:
   * what the owner held there is replaced, split around the range as
   * needed, and touching locks of one kind merge.
   */
  setRange(file: string, owner: LockOwner, pid: number, write: boolean | null, start: number, end: number): void {
    const others: RangeLock[] = [], mine: RangeLock[] = [];
    for (const l of this.ranges.get(file) ?? []) {
      if (l.owner !== owner) others.push(l);
      else if (l.end <= start || l.start >= end) mine.push(l);
      else {
        if (l.start < start) mine.push({ ...l, end: start });
        if (l.end > end) mine.push({ ...l, start: end });
      }
    }
    if (write !== null) mine.push({ owner, pid, write, start, end });
    mine.sort((a, b) => a.start - b.start);
    const merged: RangeLock[] = [];
    for (const l of mine) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.write === l.write && last.end >= l.start) {
        merged[merged.length - 1] = { ...last, end: Math.max(last.end, l.end) };
      } else merged.push(l);
    }
    const all = others.concat(merged);
    if (all.length > 0) this.ranges.set(file, all);
    else this.ranges.delete(file);
  }

  /**
   * Whether `owner`, about to wait for a lock `blocker` holds, would wait
   * forever: `blocker` waits, directly or through others, for `owner`
   * (Linux's `EDEADLK` for POSIX locks).
   */
  wouldDeadlock(owner: LockOwner, blocker: LockOwner): boolean {
    let at: LockOwner | undefined = blocker;
    for (let n = 0; at !== undefined && n < 1024; n++) {
      if (at === owner) return true;
      at = this.waitingFor.get(at);
    }
    return false;
  }

  /** Marks `owner` as waiting for `blocker`'s lock (undefined: no longer waiting). */
  setWaiting(owner: LockOwner, blocker: LockOwner | undefined): void {
    if (blocker === undefined) this.waitingFor.delete(owner);
    else this.waitingFor.set(owner, blocker);
  }

  /**
   * `flock` (`LOCK_SH`, `LOCK_EX`: `write`; `LOCK_UN`: null) for `owner`,
   * an open file description. A conversion drops the old lock first, as
   * Linux's does (so a refused one leaves none). False when another
   * owner's lock conflicts: nothing is then taken.
   */
  flock(file: string, owner: LockOwner, write: boolean | null): boolean {
    const held = this.whole.get(file) ?? [];
    const mine = held.find((l) => l.owner === owner);
    if (mine !== undefined && mine.write === write) return true;
    const others = held.filter((l) => l.owner !== owner);
    if (write !== null && !this.flockFree(file, owner, write)) {
      this.setWhole(file, others);
      return false;
    }
    this.setWhole(file, write === null ? others : [...others, { owner, write }]);
    return true;
  }

  /** Whether `flock` would grant `owner` the lock now. */
  flockFree(file: string, owner: LockOwner, write: boolean): boolean {
    return !(this.whole.get(file) ?? []).some((l) => l.owner !== owner && (write || l.write));
  }

  /** Drops every lock `owner` holds on `file` (a process closed a descriptor of it: POSIX locks go). */
  releaseRanges(file: string, owner: LockOwner): void {
    const held = this.ranges.get(file);
    if (held?.some((l) => l.owner === owner)) this.setRange(file, owner, 0, null, 0, Infinity);
  }

  /** Drops every lock `owner` holds anywhere (its description's last close, its process's end). */
  releaseAll(owner: LockOwner): void {
    // Every last close of a description comes here: most runs hold no lock at all.
    if (this.ranges.size === 0 && this.whole.size === 0 && this.waitingFor.size === 0) return;
    for (const file of [...this.ranges.keys()]) this.releaseRanges(file, owner);
    for (const [file, held] of [...this.whole]) {
      if (held.some((l) => l.owner === owner)) this.setWhole(file, held.filter((l) => l.owner !== owner));
    }
    this.waitingFor.delete(owner);
  }

  /** Whether `owner` holds any range lock (so that a close has something to drop). */
  holdsRanges(owner: LockOwner): boolean {
    for (const held of this.ranges.values()) if (held.some((l) => l.owner === owner)) return true;
    return false;
  }

  private setWhole(file: string, locks: WholeLock[]): void {
    if (locks.length > 0) this.whole.set(file, locks);
    else this.whole.delete(file);
  }
}
