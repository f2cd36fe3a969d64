/**
 * The replay of streamed records: the plugin side consumes the event ring
 * in order, turning each block record into the per-instruction callbacks
 * of that block and running memory, conditional and truncation records
 * where they fall among them.
 *
 * Replay is lazy: a block record says the block started, and its
 * callbacks run when the next record or call shows how far it got (the
 * whole block, or up to a fault). That pending block is the state kept
 * here, module-local, for {@link consumeRing}, the hot path (a few
 * nanoseconds per instruction callback): it keeps the state in locals and
 * allocates nothing per record. Synchronous calls reach the pending block
 * only through the functions exported below.
 *
 * @module
 */

import {
  EVENT_RING_WORDS,
  ID_MASK,
  memRecordWords,
  RING,
  RING_HEADER,
  ringWord,
  STAT,
  STATS,
  TAG,
} from "../channel.ts";
import { die, fnName } from "./failure.ts";
import { type AnyFn, type BlockReplay, instance, type MemSlot, VARIES } from "./state.ts";

/** The event ring's words, and the position up to which records were consumed. */
let rw: Int32Array;
let tail = 0;

/** Replay state: the block being executed, the next slot to consider and the first run not done. */
let pend: BlockReplay | undefined;
let pendVcpu = 0;
let pos = 0;
let run = 0;

/** The streamed callback running (for the message when it throws). */
let current: AnyFn | undefined;

/** The replay statistics in the control block ({@link STAT}), for `-d plugin_stats`. */
let stats: Float64Array<ArrayBufferLike> = new Float64Array(5);
/** Streamed callbacks run since the statistics were last written. */
let ran = 0;
/**
 * A clock finer than `Date.now`, taken before the plugin runs (its global
 * object keeps only ECMAScript's) and never handed to it.
 */
const clock = performance.now.bind(performance);

/** Keeps the replay statistics in the control block `ctl`, from zero (a forked copy counts its own). */
export function bindStats(ctl: ArrayBufferLike): void {
  stats = new Float64Array(ctl, STATS * 4, 5);
  stats.fill(0);
  ran = 0;
}

/** Starts consuming the event ring `ring` (`instance.ring`) where its consumer position stands. */
export function bindRing(ring: Int32Array): void {
  rw = ring;
  tail = Atomics.load(rw, RING.TAIL);
  memAt = -1;
}

/** True when the ring holds records not consumed yet. */
export function hasRecords(): boolean {
  return Atomics.load(rw, RING.HEAD) !== tail;
}

/**
 * Reports the plugin dead for an exception thrown out of a replay, naming
 * the streamed callback that was running: streamed callbacks run without
 * a `try` around them (it would stop V8 from inlining them), so whoever
 * called the replay catches for them.
 */
export function dieInReplay(err: unknown): never {
  // The memory callback that threw left its record's position (it never returned to clear it).
  const slot = memAt < 0 ? undefined : instance.memSlots[ringWord(rw, memAt) & ID_MASK];
  memAt = -1;
  if (slot) die(`mem callback ${fnName(slot.fn)}`, err);
  die(`exec callback ${fnName(current)}`, err);
}

/**
 * Calls `f(v, u)` `n` times. A function of its own, without exception
 * handling, so that V8 inlines the callback into the loop (measured: 0.5 ns
 * a call; with a `try` around the loop V8 inlined nothing and a call cost
 * 1.2 ns). Four calls a turn: the built-in insn plugin's 1.97 G callbacks
 * on sha256 of 20 MB replayed in 4.0 s with one call a turn, and the run
 * took 2.4 s instead of 4.4 (medians of 5).
 */
function repeat(f: AnyFn, v: number, u: unknown, n: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    f(v, u);
    f(v, u);
    f(v, u);
    f(v, u);
  }
  for (; i < n; i++) f(v, u);
}

/**
 * Calls `f(v, uds[k])` for each slot `k` from `from` up to (not including)
 * `to`: a run whose slots share the callback but not the user data (howvec
 * gives each instruction its class's counter). One function, four calls a
 * turn, as {@link repeat}: howvec on busybox sha256sum of 8 MiB replayed
 * 669 M callbacks at 6 ns each when such runs were cut at every change of
 * user data.
 */
function each(f: AnyFn, v: number, uds: unknown[], from: number, to: number): void {
  let k = from;
  for (; k + 4 <= to; k += 4) {
    f(v, uds[k]);
    f(v, uds[k + 1]);
    f(v, uds[k + 2]);
    f(v, uds[k + 3]);
  }
  for (; k < to; k++) f(v, uds[k]);
}

/**
 * Runs the streamed slots of block `b` on vCPU `v` from slot `from` (run
 * `r` being the first not finished) up to (not including) slot `to`;
 * returns the first run not finished then.
 */
function replay(b: BlockReplay, v: number, from: number, r: number, to: number): number {
  const rs = b.runStart, re = b.runEnd, rf = b.runFn, ru = b.runUd;
  for (; r < rs.length; r++) {
    const start = rs[r], end = re[r];
    if (start >= to) break;
    const stop = end < to ? end : to, f = rf[r], begin = start > from ? start : from, n = stop - begin;
    if (f !== current) current = f;
    const u = ru[r];
    if (u === VARIES) each(f, v, b.uds, begin, stop);
    else repeat(f, v, u, n);
    ran += n;
    if (stop < end) break;
  }
  return r;
}

/** Runs the streamed slots of the pending block from `pos` up to (not including) `to`. */
function advance(to: number): void {
  const b = pend;
  if (!b || to <= pos) return;
  run = replay(b, pendVcpu, pos, run, to);
  pos = to;
}

/** Runs what is left of the pending block: a call or record shows it ran to its end. */
export function finishPending(): void {
  if (pend) {
    rw[RING.REPLAYING] = 1;
    advance(pend.slots);
    rw[RING.REPLAYING] = 0;
  }
  pend = undefined;
  stats[STAT.CALLBACKS] += ran;
  ran = 0;
}

function blockOf(id: number): BlockReplay | undefined {
  return id >= instance.validFrom ? instance.blocks[id] : undefined;
}

/** Makes block `id` on `vcpu` the pending one, finishing the previous unless it is the same execution. */
function enter(id: number, vcpu: number): BlockReplay | undefined {
  const b = blockOf(id);
  if (b !== pend || vcpu !== pendVcpu) {
    finishPending();
    pend = b;
    pendVcpu = vcpu;
    pos = run = 0;
  }
  return b;
}

/**
 * Before memory callback `m` runs on `vcpu`: its block becomes the
 * pending one, and the streamed slots up to the end of its instruction's
 * run (an instruction's callbacks come before its accesses).
 */
export function replayBeforeAccess(m: MemSlot, vcpu: number): void {
  const b = enter(m.block, vcpu);
  if (b && pos < b.insnStart[m.insn + 1]) advance(b.insnStart[m.insn + 1]);
}

/**
 * Before slot `slot` of block `id` runs synchronously on `vcpu`: the block
 * becomes the pending one, the streamed slots before it run, and replay
 * resumes after it. Returns the block (undefined for a dropped one).
 */
export function replayBeforeSlot(id: number, vcpu: number, slot: number): BlockReplay | undefined {
  const b = enter(id, vcpu);
  if (!b) return undefined;
  advance(slot);
  pos = slot + 1;
  return b;
}

/** The pending block stops here (a synchronous callback moved the pc): the rest of its slots never run. */
export function dropPending(): void {
  pend = undefined;
}

function onCond(id: number, vcpu: number): void {
  const blockId = instance.condSlots[2 * id], slot = instance.condSlots[2 * id + 1];
  const b = enter(blockId, vcpu);
  if (!b || instance.pending) return;
  advance(slot);
  try {
    // A function call: `b.fns[slot](…)` would give the callback the runtime's array as `this`.
    const fn = b.fns[slot];
    fn(vcpu, b.uds[slot]);
  } catch (err) {
    die(`conditional exec callback ${fnName(b.fns[slot])}`, err);
  }
  pos = slot + 1;
}

/**
 * `n` more runs of the pending block on `vcpu` (a `REPEAT` record): as
 * many block records would, the pending run ends, n - 1 run whole, and
 * the last is pending. A callback that uninstalls or resets the plugin
 * stops them, as a block record of an old translation would be ignored.
 */
function onRepeat(n: number, vcpu: number): void {
  const b = pend;
  if (!b || vcpu !== pendVcpu) return;
  advance(b.slots);
  const f = b.soloFn, inst = instance;
  if (f !== undefined && b.soloN === 1) {
    // One callback a run (a block counter): the runs are the calls.
    if (f !== current) current = f;
    const u = b.soloUd;
    let k = 1;
    for (; k < n && !inst.pending; k++) f(vcpu, u);
    ran += k - 1;
  } else {
    for (let k = 1; k < n && !inst.pending; k++) {
      if (f === undefined) replay(b, vcpu, 0, 0, b.slots);
      else {
        if (f !== current) current = f;
        repeat(f, vcpu, b.soloUd, b.soloN);
        ran += b.soloN;
      }
    }
  }
  if (inst.pending) pend = undefined;
  else pos = run = 0;
}

function onTrunc(inclusive: boolean, vcpu: number, pc: number): void {
  const b = pend;
  if (!b || vcpu !== pendVcpu) return;
  const k = b.pcs.indexOf(pc);
  if (k < 0) return;
  advance(inclusive ? b.insnStart[k + 1] : b.insnStart[k]);
  pend = undefined;
}

/**
 * Handles a record other than a block or memory record (those
 * {@link consumeRing} handles) at `t`; returns the position after it.
 */
function otherRecord(w0: number, t: number): number {
  switch (w0 & ~ID_MASK) {
    case TAG.COND:
      onCond(w0 & ID_MASK, ringWord(rw, t + 1));
      return (t + 2) | 0;
    case TAG.REPEAT:
      onRepeat(w0 & ID_MASK, ringWord(rw, t + 1));
      return (t + 2) | 0;
    default:
      onTrunc((w0 & 1) !== 0, ringWord(rw, t + 1), ringWord(rw, t + 2) >>> 0);
      return (t + 3) | 0;
  }
}

/**
 * Consumes every published record, in order. Block records, by far the
 * most frequent, and memory records take a short path with the replay
 * state in locals (a plugin without streamed execution callbacks, a loop
 * of its own: {@link memoryRecordsAlone}); the rare kinds go through
 * {@link otherRecord} with the state written back.
 * A callback's exception goes through (see {@link dieInReplay}).
 */
export function consumeRing(): void {
  const w = rw, m = EVENT_RING_WORDS - 1;
  // Every synchronous call starts here: with nothing published (and no count to add), not even the clock is read.
  if (ran === 0 && Atomics.load(w, RING.HEAD) === tail) return;
  const began = clock();
  w[RING.REPLAYING] = 1;
  const h = Atomics.load(w, RING.HEAD);
  let t = tail, n = 0, nBlocks = 0, nMems = 0, nOthers = 0;
  let b = pend, v = pendVcpu, p = pos, r = run;
  // Imports in locals, and memory callbacks counted in one: a memory record's path read each import through its
  // module binding and added to the module's count (in-process, calls of 150,000 records after a warm-up, best of
  // 50: 11.6–14.7 → 9.6–12.3 ns a record).
  const inst = instance, blocks = inst.blocks, memSlots = inst.memSlots;
  const H = RING_HEADER, BLOCK = TAG.BLOCK, MEM = TAG.MEM, REPEAT = TAG.REPEAT, ID = ID_MASK;
  let first = inst.pending ? blocks.length : inst.validFrom, mems = 0;
  while (t !== h) {
    const w0 = w[H + (t & m)];
    const tag = w0 & ~ID;
    if (tag === BLOCK) {
      if (b !== undefined) {
        const f = b.soloFn;
        if (f !== undefined && p === 0) {
          // The whole block, one callback: no run arrays to read.
          if (f !== current) current = f;
          repeat(f, v, b.soloUd, b.soloN);
          ran += b.soloN;
        } else replay(b, v, p, r, b.slots);
        // The callback may have uninstalled or reset the plugin: nothing of the old translations runs again.
        if (inst.pending) first = blocks.length;
      }
      b = w0 < first ? undefined : blocks[w0];
      v = w[H + ((t + 1) & m)];
      p = r = 0;
      t = (t + 2) | 0;
      nBlocks++;
    } else if (tag === MEM && !inst.streamedSlots) {
      t = memoryRecordsAlone(t, h, first, 4096 - n);
      nMems += memRun, mems += memCalls, n += memRun - 1;
      // A callback may have uninstalled or reset the plugin: nothing of the old translations runs again.
      if (inst.pending) first = blocks.length;
    } else if (tag === MEM) {
      // Memory records among block records: here, with the replay state in locals. Its record's words are what
      // the callback reads of its access (memAt).
      const slot = memSlots[w0 & ID], word = w[H + ((t + 1) & m)], at = t;
      t = (t + memRecordWords(word)) | 0;
      nMems++;
      if (slot !== undefined && slot.block >= first) {
        const vcpu = word >>> 17, mb = slot.replay;
        if (mb !== b || vcpu !== v) {
          if (b !== undefined) replay(b, v, p, r, b.slots);
          b = mb, v = vcpu, p = r = 0;
        }
        if (b !== undefined) {
          const to = slot.upTo;
          if (p < to) r = replay(b, v, p, r, to), p = to;
        }
        // Called as a function, not as the slot's method: the callback must not get the runtime's slot as `this`.
        const f = slot.fn;
        memAt = at;
        f(vcpu, word & 0x1ffff, w[H + ((at + 2) & m)] >>> 0, slot.ud);
        memAt = -1;
        mems++;
        if (inst.pending) first = blocks.length;
      }
    } else {
      pend = b, pendVcpu = v, pos = p, run = r;
      if (tag === REPEAT) nBlocks += w0 & ID, nOthers--; // counted as the block runs it stands for
      t = otherRecord(w0, t);
      b = pend, v = pendVcpu, p = pos, r = run;
      nOthers++;
      // A callback may have uninstalled or reset the plugin: nothing of the old translations runs again.
      if (inst.pending) first = blocks.length;
    }
    // Hand space back regularly so a producer waiting on a full ring resumes early.
    if (++n >= 4096) {
      n = 0;
      pend = b, pendVcpu = v, pos = p, run = r;
      publishTail(t);
    }
  }
  pend = b, pendVcpu = v, pos = p, run = r;
  publishTail(t);
  w[RING.REPLAYING] = 0;
  const st = stats;
  st[STAT.BLOCKS] += nBlocks, st[STAT.MEMS] += nMems, st[STAT.OTHERS] += nOthers, st[STAT.CALLBACKS] += ran + mems;
  st[STAT.BUSY_MS] += clock() - began;
  ran = 0;
}

/** Records consumed and callbacks run by the last {@link memoryRecordsAlone}. */
let memRun = 0, memCalls = 0;

/**
 * Where the record of the memory callback running stands in the ring, -1
 * outside one: its words are the access `qemu_plugin_mem_get_value` reads
 * ({@link streamedValue}), and its slot the callback named when it throws.
 * One store before the call and one after: the access's three words copied
 * into `MEMV` for every record cost the replay 1–2 ns of its 9 ns.
 */
let memAt = -1;

/**
 * The memory records from `t` on, up to `h`, the first record of another
 * kind or `most` records (the caller hands space back between runs), of a
 * plugin that never had streamed execution callbacks (`mem`, `hotpages`):
 * no instruction callback runs before an access, so no replay state is
 * kept. Returns the position after them. A loop of its own: the replay
 * state's checks, though never taken, cost `mem,callback=on` on sha256 of
 * 20 MB 2.3 ns of its 8.3 ns a record in {@link consumeRing}'s loop, and
 * with those and the `MEMV` copies gone the guest no longer waits for ring
 * space (docs/plugins.md, "Execution: streaming blocks, replaying instructions").
 */
function memoryRecordsAlone(t: number, h: number, first: number, most: number): number {
  const w = rw, m = EVENT_RING_WORDS - 1, H = RING_HEADER, MEM = TAG.MEM, ID = ID_MASK, memSlots = instance.memSlots;
  let k = 0, calls = 0;
  do {
    const w0 = w[H + (t & m)];
    if ((w0 & ~ID) !== MEM) break;
    const slot = memSlots[w0 & ID], word = w[H + ((t + 1) & m)], at = t;
    t = (t + memRecordWords(word)) | 0;
    k++;
    if (slot !== undefined && slot.block >= first) {
      // A function call, as above: `this` stays undefined.
      const f = slot.fn;
      memAt = at;
      f(word >>> 17, word & 0x1ffff, w[H + ((at + 2) & m)] >>> 0, slot.ud);
      memAt = -1;
      calls++;
      if (instance.pending) break;
    }
  } while (t !== h && k < most);
  memRun = k, memCalls = calls;
  return t;
}

/**
 * The access of the streamed memory callback running, `[info, value low
 * word, value high word]` (undefined outside one): from its record, which
 * stays in the ring until the callback returns (the tail moves past it
 * only after).
 */
export function streamedValue(): [number, number, number] | undefined {
  if (memAt < 0) return undefined;
  const w = rw, m = EVENT_RING_WORDS - 1, H = RING_HEADER, word = w[H + ((memAt + 1) & m)];
  const hi = memRecordWords(word) === 5 ? w[H + ((memAt + 4) & m)] : 0;
  return [word & 0x1ffff, w[H + ((memAt + 3) & m)], hi];
}

function publishTail(t: number): void {
  if (t === tail) return;
  tail = t;
  Atomics.store(rw, RING.TAIL, t);
  if (Atomics.load(rw, RING.PRODUCER_WAITING)) instance.waiter.wake(rw, RING.TAIL);
}
