/**
 * The futex wait queues of a process: threads waiting on a guest address,
 * in arrival order, each with the bitset of `FUTEX_WAIT_BITSET` (all ones
 * for `FUTEX_WAIT`). Waking marks entries as woken and takes them off the
 * queue; the waiting thread notices on its next poll (see `wait.ts`).
 *
 * All the guest's threads share one address space, so private and shared
 * futexes are the same thing here: the key is the address.
 *
 * @module
 */

/** One waiting thread. */
export interface FutexWaiter {
  /** Thread id (for reports). */
  readonly tid: number;
  /** Which `FUTEX_WAKE_BITSET` wakes it (`FUTEX_BITSET_MATCH_ANY` for plain waits). */
  readonly bitset: number;
  /** The address it is queued on (changes when requeued). */
  addr: number;
  /** Set when a wake took it off the queue. */
  woken: boolean;
}

/** Bitset that matches every wake. */
export const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;

/**
 * Wait queues by address.
 *
 * @example Two threads wait, one wake takes the first
 * ```ts
 * import { FutexTable } from "./futex_table.ts";
 * import { strictEqual } from "node:assert";
 * const t = new FutexTable();
 * const a = t.enqueue(0x1000, 101), b = t.enqueue(0x1000, 102);
 * strictEqual(t.wake(0x1000, 1), 1);
 * strictEqual(a.woken, true);
 * strictEqual(b.woken, false);
 * ```
 */
export class FutexTable {
  private readonly queues = new Map<number, FutexWaiter[]>();

  /** Queues thread `tid` on `addr`; returns its entry. */
  enqueue(addr: number, tid: number, bitset = FUTEX_BITSET_MATCH_ANY): FutexWaiter {
    const w: FutexWaiter = { tid, bitset: bitset >>> 0, addr, woken: false };
    let q = this.queues.get(addr);
    if (q === undefined) this.queues.set(addr, q = []);
    q.push(w);
    return w;
  }

  /** Takes a waiter off its queue without waking it (timeout, signal). */
  remove(w: FutexWaiter): void {
    const q = this.queues.get(w.addr);
    if (q === undefined) return;
    const i = q.indexOf(w);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.queues.delete(w.addr);
  }

  /** Wakes up to `n` waiters on `addr` whose bitset meets `bitset`, oldest first; returns how many. */
  wake(addr: number, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
    const q = this.queues.get(addr);
    if (q === undefined || n <= 0) return 0;
    let woken = 0;
    for (let i = 0; i < q.length && woken < n;) {
      const w = q[i];
      if ((w.bitset & bitset) === 0) {
        i++;
        continue;
      }
      q.splice(i, 1);
      w.woken = true;
      woken++;
    }
    if (q.length === 0) this.queues.delete(addr);
    return woken;
  }

  /**
   * Wakes up to `nWake` waiters on `from` and moves up to `nRequeue` of the
   * rest to the end of `to`'s queue; returns woken plus requeued, as
   * `FUTEX_CMP_REQUEUE` does.
   */
  requeue(from: number, to: number, nWake: number, nRequeue: number): number {
    const woken = this.wake(from, nWake);
    const q = this.queues.get(from);
    if (q === undefined || nRequeue <= 0) return woken;
    const moved = q.splice(0, nRequeue);
    if (q.length === 0) this.queues.delete(from);
    let dst = this.queues.get(to);
    if (dst === undefined) this.queues.set(to, dst = []);
    for (const w of moved) {
      w.addr = to;
      dst.push(w);
    }
    return woken + moved.length;
  }

  /** Number of threads waiting on `addr`. */
  waiters(addr: number): number {
    return this.queues.get(addr)?.length ?? 0;
  }

  /** Number of threads waiting on any address. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Forgets every waiter (`execve`). */
  clear(): void {
    this.queues.clear();
  }
}
