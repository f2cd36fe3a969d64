/**
 * Plugin instrumentation in the WebAssembly tier: the actions of
 * `../plugin_actions.ts` at a block's entry and before each instruction,
 * at the same points as the JavaScript tier puts them (`../instrument.ts`).
 * Inline operations (add to or store into a scoreboard entry, per vCPU)
 * are loads and stores on the plugin memory, where each plugin instance's
 * arena is mapped a second time (`runtime.ts`); a record (of a block, an
 * instruction, or after a load or store, of a memory access) is written in
 * place into the ring's batch store, moved into the plugin memory too (or,
 * when it cannot be, is a call of the imported `record` or `memRecord`); a
 * conditional action tests its entry in place. A region with
 * synchronous callbacks, or with memory actions on an atomic (whose
 * accesses the tier leaves to JavaScript's helpers), stays in JavaScript.
 *
 * @module
 */

import {
  type ArenaRef,
  type BlockInstrumentation,
  COND,
  type ExecAction,
  INLINE_STORE,
  type MemAction,
} from "../plugin_actions.ts";
import type { Insn } from "../../isa/insn.ts";
import { BATCH_WORDS, ID_MASK, memRecordWords, TAG } from "../record_format.ts";
import { FN, MEM } from "./layout.ts";
import { I32, I64, OP, VOID } from "./encoding.ts";
import type { PromotedCounter, WasmEmitter } from "./emitter.ts";
import { ARENA_WINDOW_BYTES } from "./runtime.ts";
import { MAX_INLINE_ACTIONS } from "../instrument.ts";

/** Where plugins' memory lies in the plugin memory (`MEM.plugins`), mapping it on first use. */
export interface ArenaWindows {
  /** Byte offset of arena `arena`'s window (undefined: it has none). */
  arena(arena: number): number | undefined;
  /**
   * Byte offset of ring `ring`'s batch store (`RingWriter.moveBatch`),
   * where records are appended in place (undefined: they go through the
   * imported `record` and `memRecord`).
   */
  batch(ring: number): number | undefined;
}

/** Whether the tier can run `a`: no synchronous callback, every arena it names mapped. */
function supported(a: ExecAction | MemAction, windows: ArenaWindows): boolean {
  switch (a.kind) {
    case "inline":
      return windows.arena(a.ref.arena) !== undefined;
    case "record":
      return true;
    case "cond":
      return windows.arena(a.ref.arena) !== undefined && supported(a.then, windows);
    default: // "sync"
      return false;
  }
}

/**
 * Whether the WebAssembly tier can carry `instr` (undefined: a block no
 * plugin instruments). A point with more than {@link MAX_INLINE_ACTIONS}
 * actions keeps the region in JavaScript, which runs the rest through one
 * closure: emitted inline, a plugin's thousands of never-true conditions
 * made V8 run out of memory compiling the module (8 instances, 7.9 GB).
 */
export function wasmInstrumentable(
  instr: BlockInstrumentation | undefined,
  insns: readonly (Insn | null)[],
  windows: ArenaWindows,
): boolean {
  if (!instr) return true;
  const ok = (actions: readonly (ExecAction | MemAction)[] | undefined) =>
    !actions || (actions.length <= MAX_INLINE_ACTIONS && actions.every((a) => supported(a, windows)));
  const memOk = (actions: readonly MemAction[] | undefined, k: number) =>
    !actions?.length || (ok(actions) && !isAtomic(insns[k]));
  return ok(instr.block) && instr.insn.every(ok) && instr.mem.every(memOk);
}

/** LR, SC and AMOs: their accesses go through JavaScript's helpers, which report them there. */
function isAtomic(insn: Insn | null | undefined): boolean {
  return !!insn && (insn.op.startsWith("lr.") || insn.op.startsWith("sc.") || insn.op.startsWith("amo"));
}

/** Whether `instr`'s code needs the vCPU's index (entries per vCPU, records). */
export function usesVcpuIndex(instr: BlockInstrumentation | undefined): boolean {
  const uses = (a: ExecAction | MemAction): boolean =>
    a.kind === "record" || (a.kind === "inline" && a.ref.stride !== 0) ||
    (a.kind === "cond" && (a.ref.stride !== 0 || uses(a.then)));
  return !!instr &&
    (instr.block.some(uses) || instr.insn.some((actions) => actions?.some(uses)) ||
      instr.mem.some((actions) => actions?.some(uses)));
}

/**
 * Pushes the i32 address (before the window's base, which the access's
 * offset adds) of vCPU `vcpu`'s entry of `ref`, and runs `access` with it,
 * or `outside` when the entry is outside its window: as the JavaScript
 * tier's typed array ignores an index past its end, so a plugin's
 * scoreboard never reaches another's window.
 */
function atEntry(
  e: WasmEmitter,
  ref: ArenaRef,
  vcpu: number,
  access: (address: () => void) => void,
  outside?: () => void,
) {
  const c = e.code, { index, stride } = ref;
  if (stride === 0) {
    if (index >= 0 && index * 4 <= ARENA_WINDOW_BYTES - 8) access(() => c.i32Const(index * 4));
    else outside?.();
    return;
  }
  // Byte offset index * 4 + vcpu * stride * 4, in 64 bits: a negative or huge one is out of the window.
  const offset = e.tempI64();
  c.localGet(vcpu).i64Const(stride * 4).op(OP.i64_mul).i64Const(index * 4).op(OP.i64_add).localTee(offset);
  c.i64Const(ARENA_WINDOW_BYTES - 7).op(OP.i64_lt_u);
  e.if(outside ? I64 : VOID);
  access(() => c.localGet(offset).op(OP.i32_wrap_i64));
  if (outside) e.else(), outside();
  e.end();
}

/** A scoreboard entry's identity within a region. */
function refKey(ref: ArenaRef): string {
  return `${ref.arena}:${ref.index}:${ref.stride}`;
}

/**
 * The entries a region's inline adds target that it may keep in locals
 * (adding each sum to its entry once, when the region leaves) instead of
 * loading, adding and storing at every block: a loop's adds to one entry
 * were a chain through memory, each waiting for the last one's store
 * (sha256_pie under `insn,inline=on`: 766 against 534 ms plain). Not
 * those of an arena the region also stores into or tests (an inline store
 * or a condition must see every add before it). The plugin, which reads
 * its scoreboard from its own thread, sees a region's adds when the region
 * leaves, as it sees its records when they are published.
 */
export function promoteCounters(
  blocks: readonly (BlockInstrumentation | undefined)[],
  windows: ArenaWindows,
): ArenaRef[] {
  const adds = new Map<string, ArenaRef>(), excluded = new Set<number>();
  forEachAction(blocks, (a) => {
    if (a.kind === "inline" && a.op !== INLINE_STORE) adds.set(refKey(a.ref), a.ref);
    else if (a.kind === "inline" || a.kind === "cond") excluded.add(a.ref.arena);
  });
  const refs = [...adds.values()].filter((ref) => !excluded.has(ref.arena) && windows.arena(ref.arena) !== undefined);
  // Each is added back at every exit: a region adding to many entries (a counter per instruction) keeps its adds.
  return refs.length <= MAX_PROMOTED ? refs : [];
}

/** Calls `visit` with every action of `blocks`: at blocks, instructions and accesses, and those conditions guard. */
function forEachAction(
  blocks: readonly (BlockInstrumentation | undefined)[],
  visit: (a: ExecAction | MemAction) => void,
): void {
  const each = (a: ExecAction | MemAction) => {
    visit(a);
    if (a.kind === "cond") each(a.then);
  };
  for (const instr of blocks) {
    if (!instr) continue;
    instr.block.forEach(each);
    for (const list of instr.insn) list?.forEach(each);
    for (const list of instr.mem) list?.forEach(each);
  }
}

/** Most entries a region keeps in locals ({@link promoteCounters}). */
const MAX_PROMOTED = 8;

/** Gives each of `refs` its locals and sets them at the region's entry (`vcpu`: the vCPU's index, or -1). */
export function emitCounterEntry(
  e: WasmEmitter,
  refs: readonly ArenaRef[],
  windows: ArenaWindows,
  vcpu: number,
): Map<string, PromotedCounter> {
  const c = e.code, counters = new Map<string, PromotedCounter>();
  for (const ref of refs) {
    const counter = {
      ref,
      base: windows.arena(ref.arena)!,
      delta: e.local(I64),
      offset: e.local(I32),
      inWindow: e.local(I32),
    };
    c.i64Const(0).localSet(counter.delta);
    // As atEntry: the byte offset in 64 bits, in the window when below its end.
    const offset = e.local(I64);
    if (ref.stride === 0) c.i64Const(ref.index * 4);
    else c.localGet(vcpu).i64Const(ref.stride * 4).op(OP.i64_mul).i64Const(ref.index * 4).op(OP.i64_add);
    c.localTee(offset).op(OP.i32_wrap_i64).localSet(counter.offset);
    c.localGet(offset).i64Const(ARENA_WINDOW_BYTES - 7).op(OP.i64_lt_u).localSet(counter.inWindow);
    counters.set(refKey(ref), counter);
  }
  return counters;
}

/** Adds each counter's sum to its entry (on the region's way out). */
export function emitCounterFlush(e: WasmEmitter, counters: ReadonlyMap<string, PromotedCounter>): void {
  const c = e.code;
  for (const counter of counters.values()) {
    c.localGet(counter.inWindow).open(OP.if);
    c.localGet(counter.offset);
    c.localGet(counter.offset).mem(OP.i64_load, MEM.plugins, 2, counter.base).localGet(counter.delta).op(OP.i64_add);
    c.mem(OP.i64_store, MEM.plugins, 2, counter.base);
    c.op(OP.end);
  }
}

/**
 * Emits `actions` (all {@link supported}). `vcpu` is the i64 local holding
 * the vCPU's index (see {@link usesVcpuIndex}). `counted`, one of them,
 * is the block record a pass that jumped back counts instead
 * ({@link countRepeats}).
 */
export function emitExecActions(
  e: WasmEmitter,
  actions: readonly ExecAction[] | undefined,
  windows: ArenaWindows,
  vcpu: number,
  counted?: ExecAction,
): void {
  for (const a of actions ?? []) {
    if (a === counted && a.kind === "record") emitCountedRecord(e, a, windows.batch(a.ring)!, vcpu);
    else emitAction(e, a, windows, vcpu);
  }
}

/** Words of a `REPEAT` record. */
const REPEAT_WORDS = 2;

/**
 * The block record of `instr` when it is the block's only record and
 * appended in place, beside inline operations only (no memory record, no
 * condition): a pass of such a block that jumped to itself may count,
 * and the count become one `REPEAT` record ({@link countRepeats}).
 */
export function repeatableRecord(
  instr: BlockInstrumentation | undefined,
  windows: ArenaWindows,
): ExecAction | undefined {
  if (!instr) return undefined;
  let record: ExecAction | undefined, others = false;
  forEachAction([instr], (a) => {
    if (a.kind === "inline") return;
    const isBlockRecord = a.kind === "record" && (a.id & ~ID_MASK) === TAG.BLOCK && instr.block.includes(a);
    if (isBlockRecord && record === undefined) record = a;
    else others = true;
  });
  return !others && record?.kind === "record" && windows.batch(record.ring) !== undefined ? record : undefined;
}

/**
 * Makes the region count the passes of its blocks that jump to
 * themselves, where `records` (from {@link repeatableRecord}) are their
 * block records: a pass that came by that jump adds one to its batch
 * store's count instead of appending a record, and the count is written
 * as one `REPEAT` record (`record_format.ts`) before the next record of
 * that store, before each call (a callee may publish the batch or call the
 * plugins: a flush's callbacks must come after the passes before it), and
 * at the region's exits ({@link flushRepeats}). In own sha256 under `bb`,
 * 88% of the block records were such passes (busybox sha256sum's 19%,
 * gzip's 1%). Room for the `REPEAT` is kept when the block's record is
 * appended, so that writing it never has to publish the batch (the exits
 * cannot); a flush uses that room, and the block's next pass appends its
 * record again.
 */
export function countRepeats(e: WasmEmitter, records: readonly ExecAction[], windows: ArenaWindows, vcpu: number) {
  const counts = new Map<number, number>();
  for (const a of records) {
    const store = a.kind === "record" ? windows.batch(a.ring) : undefined;
    if (store !== undefined && !counts.has(store)) counts.set(store, e.local(I32));
  }
  if (counts.size > 0) e.repeats = { counts, again: e.local(I32), vcpu };
}

/** A block's jump to itself: its next pass counts (the region's jumps call this where {@link countRepeats} applies). */
export function emitRepeatJump(e: WasmEmitter): void {
  e.code.i32Const(1).localSet(e.repeats!.again);
}

/** The record action `a`, appended to `store` unless this pass came by the block's jump to itself. */
function emitCountedRecord(e: WasmEmitter, a: ExecAction & { kind: "record" }, store: number, vcpu: number): void {
  const c = e.code, { counts, again } = e.repeats!, count = counts.get(store)!;
  // Counted only when it came by the jump back and the count is armed (not flushed since the block's record).
  c.localGet(again).localGet(count).i32Const(0).op(OP.i32_ge_s).op(OP.i32_and);
  e.if(VOID);
  c.localGet(count).i32Const(1).op(OP.i32_add).localSet(count);
  e.else();
  appendRecord(e, a.ring, store, blockRecordWords(e, a.id, vcpu), REPEAT_WORDS);
  c.i32Const(0).localSet(count); // armed: room is kept for its REPEAT
  e.end();
  c.i32Const(0).localSet(again);
}

/** The words of a block (or conditional) record: its tag and id, and the vCPU's index. */
function blockRecordWords(e: WasmEmitter, id: number, vcpu: number): (() => void)[] {
  const c = e.code;
  return [() => c.i32Const(id), () => c.localGet(vcpu).op(OP.i32_wrap_i64)];
}

/**
 * Writes the passes counted for batch store `only` (all stores when
 * undefined) as `REPEAT` records, into the room kept for them, and leaves
 * the count disarmed (-1): that room is used, so the block's next pass
 * appends its record again (keeping room anew) instead of counting.
 */
export function flushRepeats(e: WasmEmitter, only?: number): void {
  const repeats = e.repeats;
  if (!repeats) return;
  const c = e.code;
  for (const [store, count] of repeats.counts) {
    if (only !== undefined && store !== only) continue;
    const cached = e.batchCounts!.get(store)!;
    c.localGet(count).i32Const(0).op(OP.i32_gt_s);
    e.if(VOID);
    c.localGet(cached).i32Const(2).op(OP.i32_shl);
    c.i32Const(TAG.REPEAT).localGet(count).op(OP.i32_or).mem(OP.i32_store, MEM.plugins, 2, store + 4);
    c.localGet(cached).i32Const(2).op(OP.i32_shl);
    c.localGet(repeats.vcpu).op(OP.i32_wrap_i64).mem(OP.i32_store, MEM.plugins, 2, store + 8);
    c.localGet(cached).i32Const(REPEAT_WORDS).op(OP.i32_add).localSet(cached);
    e.end();
    c.i32Const(-1).localSet(count);
  }
}

function emitAction(e: WasmEmitter, a: ExecAction, windows: ArenaWindows, vcpu: number): void {
  const c = e.code;
  switch (a.kind) {
    case "inline": {
      const base = windows.arena(a.ref.arena)!, value = BigInt.asIntN(64, a.value);
      const counter = a.op === INLINE_STORE ? undefined : e.counters?.get(refKey(a.ref));
      if (counter) {
        // A counter the region keeps in a local and adds to the entry when it leaves (promoteCounters).
        c.localGet(counter.delta).i64Const(value).op(OP.i64_add).localSet(counter.delta);
        return;
      }
      atEntry(e, a.ref, vcpu, (address) => {
        address();
        if (a.op === INLINE_STORE) c.i64Const(value);
        else address(), c.mem(OP.i64_load, MEM.plugins, 2, base).i64Const(value).op(OP.i64_add);
        c.mem(OP.i64_store, MEM.plugins, 2, base);
      });
      return;
    }
    case "record": {
      const store = windows.batch(a.ring);
      if (store !== undefined) {
        appendRecord(e, a.ring, store, blockRecordWords(e, a.id, vcpu));
        return;
      }
      c.i32Const(a.ring).i32Const(a.id).localGet(vcpu).op(OP.i32_wrap_i64).call(FN.record);
      e.checkStatus();
      return;
    }
    case "cond": {
      const base = windows.arena(a.ref.arena)!;
      // The entry's value; one outside the window reads as 0, as JavaScript's `undefined >>> 0`.
      atEntry(e, a.ref, vcpu, (address) => (address(), c.mem(OP.i64_load, MEM.plugins, 2, base)), () => c.i64Const(0));
      const test = CONDITION[a.cond];
      if (test === undefined) c.op(OP.drop).i32Const(a.cond === COND.ALWAYS ? 1 : 0);
      else c.i64Const(BigInt.asIntN(64, a.value)).op(test);
      e.if(VOID);
      emitAction(e, a.then, windows, vcpu);
      e.end();
    }
  }
}

/**
 * Emits memory actions `actions` (all {@link supported}) after one access
 * with meminfo `info`: those whose `rw` matches it, in order. `address` and
 * `value` are i64 locals.
 */
export function emitMemActions(
  e: WasmEmitter,
  actions: readonly MemAction[],
  windows: ArenaWindows,
  vcpu: number,
  info: number,
  address: number,
  value: number,
): void {
  const c = e.code, kind = (info & (1 << 16)) !== 0 ? 2 : 1;
  for (const a of actions) {
    if ((a.rw & kind) === 0) continue;
    if (a.kind === "inline") emitAction(e, { kind: "inline", op: a.op, ref: a.ref, value: a.value }, windows, vcpu);
    else if (a.kind === "record") {
      const store = windows.batch(a.ring);
      if (store !== undefined) {
        // The words of the plugin core's memory record: tag and slot, meminfo and vCPU, address, value.
        const words = [
          () => c.i32Const(TAG.MEM | a.id),
          () => c.localGet(vcpu).op(OP.i32_wrap_i64).i32Const(17).op(OP.i32_shl).i32Const(info).op(OP.i32_or),
          () => c.localGet(address).op(OP.i32_wrap_i64),
          () => c.localGet(value).op(OP.i32_wrap_i64),
          () => c.localGet(value).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64),
        ];
        appendRecord(e, a.ring, store, words.slice(0, memRecordWords(info)));
        continue;
      }
      c.i32Const(a.ring).i32Const(a.id).localGet(vcpu).op(OP.i32_wrap_i64);
      for (const local of [address, value]) {
        c.localGet(local).op(OP.i32_wrap_i64).localGet(local).i64Const(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
        if (local === address) c.i32Const(info);
      }
      c.call(FN.memRecord);
      e.checkStatus();
    }
  }
}

/**
 * The batch stores (byte offsets in the plugin memory) that the record
 * actions of `blocks` append to.
 */
function batchStores(blocks: readonly (BlockInstrumentation | undefined)[], windows: ArenaWindows): Set<number> {
  const stores = new Set<number>();
  forEachAction(blocks, (a) => {
    const store = a.kind === "record" ? windows.batch(a.ring) : undefined;
    if (store !== undefined) stores.add(store);
  });
  return stores;
}

/**
 * Keeps the count of each batch store the region's records go to in an
 * i32 local: read at the region's entry, written back before every call
 * (a callee may publish the batch, or be another function reading it) and
 * read again after it, and written back at the region's exits
 * ({@link flushBatchCounts}). A record is then its words' stores and an
 * add to a local, where it was a load and a store of the count in memory
 * too: a chain through memory from each record to the next, besides the
 * bounds checks of the plugin memory. busybox sha256sum of 8 MiB under
 * `mem,callback=on`: the guest's own time 1,006 → 892 ms (ARCHITECTURE.md,
 * "Plugins' actions").
 */
export function cacheBatchCounts(
  e: WasmEmitter,
  blocks: readonly (BlockInstrumentation | undefined)[],
  windows: ArenaWindows,
): void {
  const stores = batchStores(blocks, windows);
  if (stores.size === 0) return;
  const c = e.code, counts = new Map<number, number>();
  for (const store of stores) {
    const count = e.local(I32);
    c.i32Const(0).mem(OP.i32_load, MEM.plugins, 2, store).localSet(count);
    counts.set(store, count);
  }
  e.batchCounts = counts;
  c.aroundCall = {
    // Passes counted so far go first: the callee may publish the batch, or call the plugins (a flush does).
    before: () => (flushRepeats(e), flushBatchCounts(e)),
    after: () => {
      for (const [store, count] of counts) c.i32Const(0).mem(OP.i32_load, MEM.plugins, 2, store).localSet(count);
    },
  };
}

/** Writes the counts {@link cacheBatchCounts} keeps in locals back to their batch stores. */
export function flushBatchCounts(e: WasmEmitter): void {
  for (const [store, count] of e.batchCounts ?? []) {
    e.code.i32Const(0).localGet(count).mem(OP.i32_store, MEM.plugins, 2, store);
  }
}

/**
 * Appends a record (`words` push its i32 words) to ring `ring`'s batch
 * store at byte offset `store` of the plugin memory, as `RingWriter.put*`
 * would: the count first, then the words. A store without room for it
 * (and `reserve` words more) is published first (the imported
 * `batchFull`), which empties it. The count is the region's local where it
 * keeps one ({@link cacheBatchCounts}).
 */
function appendRecord(
  e: WasmEmitter,
  ring: number,
  store: number,
  words: readonly (() => void)[],
  reserve = 0,
): void {
  // Passes counted for this store come first, in the room kept for them.
  flushRepeats(e, store);
  const c = e.code, at = e.tempI32(), cached = e.batchCounts?.get(store);
  const loadCount = () =>
    cached === undefined ? c.i32Const(0).mem(OP.i32_load, MEM.plugins, 2, store) : c.localGet(cached);
  loadCount().localTee(at);
  c.i32Const(BATCH_WORDS - words.length - reserve).op(OP.i32_gt_u).unlikely();
  e.if(VOID);
  c.i32Const(ring).call(FN.batchFull);
  e.checkStatus();
  loadCount().localSet(at);
  e.end();
  c.localGet(at).i32Const(2).op(OP.i32_shl).localSet(at); // the count in bytes
  words.forEach((push, k) => {
    c.localGet(at);
    push();
    c.mem(OP.i32_store, MEM.plugins, 2, store + 4 + 4 * k);
  });
  if (cached === undefined) c.i32Const(0);
  c.localGet(at).i32Const(2).op(OP.i32_shr_u).i32Const(words.length).op(OP.i32_add);
  if (cached === undefined) c.mem(OP.i32_store, MEM.plugins, 2, store);
  else c.localSet(cached);
}

/** The unsigned comparison of each condition but ALWAYS and NEVER. */
const CONDITION: Readonly<Record<number, number>> = {
  [COND.EQ]: OP.i64_eq,
  [COND.NE]: OP.i64_ne,
  [COND.LT]: OP.i64_lt_u,
  [COND.LE]: OP.i64_le_u,
  [COND.GT]: OP.i64_gt_u,
  [COND.GE]: OP.i64_ge_u,
};
