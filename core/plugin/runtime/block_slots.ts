/**
 * Block registration (the plugin side of a translation): the callbacks a
 * plugin registers on a block while its translation callback runs, kept
 * as pending slots, then laid out as the block's replay when the
 * translation ends, with the registration words for the emulator pushed
 * meanwhile. The API functions (`api.ts`) check their arguments and call
 * {@link addExecSlot}; the translation call (`calls.ts`) calls
 * {@link finishBlockSlots}.
 *
 * @module
 */

import { ACT } from "../channel.ts";
import { ACCESS, type AnyFn, instance, type MemSlot, pushAct, SLOT, VARIES } from "./state.ts";

/** A slot registered during the translation in progress; `index` is its place in the block once finished. */
interface PendingSlot {
  where: number;
  fn: AnyFn;
  ud: unknown;
  kind: number;
  regs: number;
  index: number;
}

/** Per-translation slot list, reused across translations. */
const pendingSlots: PendingSlot[] = [];

/**
 * Builds the replay of the block being translated from the registered
 * slots (for the translation call): block slots first, then each
 * instruction's, in registration order within each (a counting sort:
 * translations are frequent at start-up, and each allocation here is
 * paid then).
 */
export function finishBlockSlots(block: number, pcs: number[]): void {
  const n = pcs.length, m = pendingSlots.length;
  // start[g]: where group g (0: the block, k + 1: instruction k) begins. Plain arrays: a typed array costs Deno an
  // allocation outside V8's heap (spare_bytes.ts), and this runs at every translation (under `bb` at Python's start-up,
  // 40,000 of them, this function took 3.8 µs a translation with two typed arrays here, 2.5 µs without; profiled).
  const start: number[] = new Array(n + 2).fill(0);
  for (let i = 0; i < m; i++) start[pendingSlots[i].where + 2]++;
  for (let g = 1; g <= n + 1; g++) start[g] += start[g - 1];
  const next = start.slice();
  const fns: AnyFn[] = new Array(m), uds: unknown[] = new Array(m), kinds: number[] = new Array(m);
  const regs: number[] = new Array(m);
  let streams = false;
  for (let i = 0; i < m; i++) {
    const s = pendingSlots[i], p = next[s.where + 1]++;
    s.index = p;
    fns[p] = s.fn;
    uds[p] = s.ud;
    kinds[p] = s.kind;
    regs[p] = s.regs;
    if (s.kind === SLOT.STREAM) streams = true;
  }
  const insnStart: number[] = new Array(n + 1);
  for (let k = 0; k < n; k++) insnStart[k] = start[k + 1];
  insnStart[n] = m;
  const runStart: number[] = [], runEnd: number[] = [], runFn: AnyFn[] = [], runUd: unknown[] = [];
  for (let p = 0; p < m; p++) {
    if (kinds[p] !== SLOT.STREAM) continue;
    const last = runFn.length - 1;
    if (last >= 0 && runEnd[last] === p && runFn[last] === fns[p]) {
      runEnd[last] = p + 1;
      // Object.is: 0 and -0 are different user data (a plugin can tell them apart), NaN is the same.
      if (!Object.is(runUd[last], uds[p])) runUd[last] = VARIES;
    } else {
      runStart.push(p);
      runEnd.push(p + 1);
      runFn.push(fns[p]);
      runUd.push(uds[p]);
    }
  }
  const solo = runFn.length === 1 && runUd[0] !== VARIES;
  instance.blocks[block] = {
    pcs,
    fns,
    uds,
    kinds,
    regs,
    insnStart,
    streams,
    runStart,
    runEnd,
    runFn,
    runUd,
    soloFn: solo ? runFn[0] : undefined,
    soloUd: solo ? runUd[0] : undefined,
    soloN: solo ? runEnd[0] - runStart[0] : 0,
    slots: m,
  };
  const replay = instance.blocks[block]!;
  for (const m of translationMemSlots) m.replay = replay, m.upTo = insnStart[m.insn + 1];
  translationMemSlots.length = 0;
  // Slot positions are known now: patch the ids registered during translation.
  for (const fix of slotFixups) fix();
  slotFixups.length = 0;
  pendingSlots.length = 0;
  if (streams) pushAct(ACT.RECORD, -1, block), instance.streamedSlots = true;
}

/** Memory callbacks registered during the translation in progress (their block's replay is made at its end). */
export const translationMemSlots: MemSlot[] = [];

/** Deferred id patches of conditional and synchronous slots: a slot's index is known when the block is complete. */
const slotFixups: (() => void)[] = [];

function addSlot(where: number, fn: AnyFn, ud: unknown, kind: number, regs: number): PendingSlot {
  const slot = { where, fn, ud, kind, regs, index: -1 };
  pendingSlots.push(slot);
  return slot;
}

/**
 * Adds an execution callback at `where` (-1: the block, else the
 * instruction's index) of the block being translated: streamed when it
 * may not look at registers (`regs` is `ACCESS.NONE`), else synchronous;
 * conditional with `condArgs` (condition, scoreboard entry and value
 * words, already checked).
 */
export function addExecSlot(
  where: number,
  block: number,
  cb: AnyFn,
  userdata: unknown,
  regs: number,
  condArgs: number[] | undefined,
): void {
  if (regs === ACCESS.NONE) {
    if (!condArgs) {
      addSlot(where, cb, userdata, SLOT.STREAM, regs);
      return;
    }
    const slot = addSlot(where, cb, userdata, SLOT.COND, regs);
    const id = instance.condSlots.length;
    instance.condSlots.push(block, -1);
    slotFixups.push(() => (instance.condSlots[id + 1] = slot.index));
    pushAct(ACT.COND_RECORD, where, ...condArgs, id / 2);
    return;
  }
  const slot = addSlot(where, cb, userdata, SLOT.SYNC, regs);
  const syncId = instance.syncSlots.length;
  const sync = { block, slot: -1 };
  instance.syncSlots.push(sync);
  slotFixups.push(() => (sync.slot = slot.index));
  if (condArgs) pushAct(ACT.COND_SYNC, where, ...condArgs, syncId, regs === ACCESS.WRITE ? 1 : 0);
  else pushAct(ACT.SYNC, where, syncId, regs === ACCESS.WRITE ? 1 : 0);
}
