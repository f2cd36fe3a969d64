/**
 * Plugin instrumentation as data: what plugins asked to happen when a
 * block or an instruction executes or a memory access completes, built by
 * the plugin core at translation time ({@link BlockInstrumentation}), and
 * the hooks instrumented code calls ({@link PluginHooks}). The translator
 * emits it as code (`instrument.ts`); the interpreter, and compiled code
 * at points crowded with actions, run it as closures built here once per
 * block ({@link execActions}, {@link accessActions}).
 *
 * Kinds of action, cheapest first:
 * - `inline`: add to or store into a 64-bit entry of a plugin's scoreboard
 *   arena (an `Int32Array` shared with the plugin), per vCPU;
 * - `record`: append a record to a plugin's event ring, replayed by the
 *   plugin's thread in parallel with the guest (`QEMU_PLUGIN_CB_NO_REGS`);
 * - `sync`: stop the vCPU and call the plugin synchronously, with registers
 *   in the register file and `c.pc` at the instruction, so the callback may
 *   read (and with `rw`, write) guest state;
 * - `cond`: any of the above, only when an arena entry compares true
 *   against an immediate (QEMU's conditional callbacks).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";

/** Inline operation: add the immediate (`QEMU_PLUGIN_INLINE_ADD_U64`). */
export const INLINE_ADD = 0;
/** Inline operation: store the immediate (`QEMU_PLUGIN_INLINE_STORE_U64`). */
export const INLINE_STORE = 1;

/** Conditions of conditional callbacks, with QEMU's `enum qemu_plugin_cond` values. */
export const COND = { NEVER: 0, ALWAYS: 1, EQ: 2, NE: 3, LT: 4, LE: 5, GT: 6, GE: 7 } as const;

/** A 64-bit entry of a scoreboard: `arenas[arena]` at int32 index `index + vcpu * stride`. */
export interface ArenaRef {
  /** Which arena (one per plugin instance). */
  arena: number;
  /** Int32 index of vCPU 0's entry (low word; the high word follows). */
  index: number;
  /** Int32 distance between consecutive vCPUs' entries. */
  stride: number;
}

/** Something to do when a block or instruction executes. */
export type ExecAction =
  | { kind: "inline"; op: typeof INLINE_ADD | typeof INLINE_STORE; ref: ArenaRef; value: bigint }
  | { kind: "record"; ring: number; id: number }
  | { kind: "sync"; id: number }
  | { kind: "cond"; cond: number; ref: ArenaRef; value: bigint; then: ExecAction };

/** Something to do after a memory access, for accesses matching `rw` (1 read, 2 write, 3 both). */
export type MemAction =
  & { rw: number }
  & (
    | { kind: "inline"; op: typeof INLINE_ADD | typeof INLINE_STORE; ref: ArenaRef; value: bigint }
    | { kind: "record"; ring: number; id: number }
    | { kind: "sync"; id: number }
  );

/**
 * Instrumentation of one block. An instruction without actions has
 * {@link NO_ACTIONS}, shared: a block's plan stays as long as its
 * translation, and an empty list per instruction and kind was most of what
 * `bb` kept of Python's start-up (286,000 arrays for 33,000 blocks).
 */
export interface BlockInstrumentation {
  /** Actions when the block starts executing (block callbacks and inline ops). */
  block: ExecAction[];
  /** Actions before each instruction, by index in the block. */
  insn: (readonly ExecAction[])[];
  /** Actions after each memory access of each instruction, by index in the block. */
  mem: (readonly MemAction[])[];
}

/** The actions of an instruction that has none (frozen: every such instruction shares it). */
export const NO_ACTIONS: readonly never[] = Object.freeze([]);

/**
 * The actions of instruction `k` in `lists` (a {@link BlockInstrumentation}'s
 * `insn` or `mem`), as a list of its own to add to.
 */
export function actionsToAddTo<T>(lists: (readonly T[])[], k: number): T[] {
  if (lists[k] === NO_ACTIONS) lists[k] = [];
  return lists[k] as T[];
}

/**
 * What instrumented code calls; provided by the plugin core. Records are
 * pushed with the vCPU index; memory records also carry the access.
 */
export interface PluginHooks {
  /** Scoreboard arenas by number. */
  arenas: Int32Array[];
  /** Appends a block-execution (or instruction) record to ring `ring`. */
  record(ring: number, id: number, vcpu: number): void;
  /**
   * Appends a memory-access record: the exact address is `base + imm`
   * (base as an int32 pair), `info` is QEMU's meminfo, the value the
   * accessed data.
   */
  memRecord(
    ring: number,
    id: number,
    vcpu: number,
    baseLo: number,
    baseHi: number,
    imm: number,
    info: number,
    valueLo: number,
    valueHi: number,
  ): void;
  /**
   * Runs synchronous callback `id` on vCPU `c` (registers are in the
   * register file, `c.pc` is the instruction's). Returns true when the
   * callback changed the pc (`qemu_plugin_set_pc`): execution continues at
   * `c.pc`.
   */
  sync(c: Cpu, id: number): boolean;
  /**
   * Synchronous memory callback, with the access as for {@link memRecord}.
   * Returns true when the callback changed the pc.
   */
  syncMem(
    c: Cpu,
    id: number,
    baseLo: number,
    baseHi: number,
    imm: number,
    info: number,
    valueLo: number,
    valueHi: number,
  ): boolean;
  /** A block stopped at the instruction at `pc` because it raised an exception. */
  fault(c: Cpu, pc: number): void;
  /**
   * Maps arena `arena`'s memory a second time at host address `target`
   * (`bytes` long, page-aligned), so that WebAssembly code can reach it
   * there; returns false when it cannot (an arena that is no shared
   * mapping, such as a test's `SharedArrayBuffer`). Absent: never.
   */
  shareArena?(arena: number, target: number, bytes: number): boolean;
  /**
   * Moves ring `ring`'s batch store into `store` (`RingWriter.moveBatch`),
   * where WebAssembly regions append the records of {@link record} and
   * {@link memRecord} themselves; false when there is no such ring. Absent:
   * never. With `window`, the ring is also mapped at `window.address`
   * (at most `window.bytes`), in the memory that holds `store`, and its
   * batches go there through `window.copy` (`RingWriter`'s `BatchCopy`);
   * where it cannot be mapped, they are copied as before.
   */
  shareBatch?(ring: number, store: Int32Array, window?: RingWindow): boolean;
  /** Publishes ring `ring`'s batch, which a region found full (nothing for a ring gone since). */
  publishBatch?(ring: number): void;
}

/** Where {@link PluginHooks.shareBatch} may map a ring, and the copy of batches into it there. */
export interface RingWindow {
  /** Address of the window in this process. */
  address: number;
  /** Its size in bytes. */
  bytes: number;
  /** Copies `words` words of the batch, from its word `from`, to the ring's word `to` (header included). */
  copy(to: number, from: number, words: number): void;
}

/** QEMU's `qemu_plugin_meminfo_t` bits: size shift in 3:0, sign in 4, store in 16. */
export function memInfo(sizeShift: number, signed: boolean, store: boolean): number {
  return sizeShift | (signed ? 1 << 4 : 0) | (store ? 1 << 16 : 0);
}

/** True when some action of a block's instrumentation is of kind `kind` (a conditional's action included). */
function hasAction(instr: BlockInstrumentation, kind: "sync" | "record"): boolean {
  const is = (a: ExecAction | MemAction): boolean =>
    a.kind === kind || (a.kind === "cond" && is((a as { then: ExecAction }).then));
  return instr.block.some(is) || instr.insn.some((l) => l?.some(is)) || instr.mem.some((l) => l?.some(is));
}

/** True when a block's instrumentation needs guest registers in the register file. */
export function needsRegisterFile(instr: BlockInstrumentation | undefined): boolean {
  return instr !== undefined && hasAction(instr, "sync");
}

/** True when a block's instrumentation streams records (so a fault in it must be reported to the plugins). */
export function streamsRecords(instr: BlockInstrumentation): boolean {
  return hasAction(instr, "record");
}

/**
 * True when a block's instrumentation can all run when it starts, before
 * its code, whatever runs that ({@link withEntryActions}): records and
 * inline operations where it starts (the insn plugin's: its callbacks per
 * instruction are one record per block), and inline adds at its
 * instructions (`insn,inline=on`'s), which are then added up front and
 * those after a faulting instruction taken back. Memory actions, and
 * anything else at an instruction, need the instruction.
 */
export function onlyAtEntry(instr: BlockInstrumentation): boolean {
  return instr.mem.every((l) => l.length === 0) &&
    instr.block.every((a) => a.kind === "record" || a.kind === "inline") &&
    instr.insn.every((l) => l.every(isInlineAdd));
}

/** A record the WebAssembly interpreter appends itself: the ring it goes to and its id. */
export interface RingRecord {
  readonly ring: number;
  readonly id: number;
}

/**
 * What the WebAssembly interpreter appends itself for a block
 * (`wasm/interpreter.ts`): block records where it starts, and each
 * instruction's memory records with the accesses they are for (`rw`: 1
 * reads, 2 writes, 3 both).
 */
export interface InterpreterRecords {
  readonly block: readonly RingRecord[];
  readonly mem: readonly (readonly (RingRecord & { readonly rw: number })[])[];
}

/**
 * The records of an instrumentation that is records alone, block records
 * where the block starts (`bb`'s callbacks, `insn`'s: one record a block)
 * and memory records (`mem`'s), each to a ring `batched` accepts (at most
 * 255), as the WebAssembly interpreter appends them. Undefined for
 * anything else, or no record at all.
 */
export function interpreterRecords(
  instr: BlockInstrumentation,
  batched: (ring: number) => boolean,
): InterpreterRecords | undefined {
  const ok = <A extends ExecAction | MemAction>(a: A): a is A & RingRecord =>
    a.kind === "record" && a.ring >= 0 && a.ring <= 255 && batched(a.ring);
  const { block, insn, mem } = instr;
  if (insn.some((l) => l.length > 0) || !block.every(ok) || !mem.every((l) => l.every(ok))) return undefined;
  if (block.length === 0 && mem.every((l) => l.length === 0)) return undefined;
  return {
    block: block.map(({ ring, id }) => ({ ring, id })),
    mem: mem.map((l) => l.map(({ ring, id, rw }) => ({ ring, id, rw }))),
  };
}

/** True for an inline add (`QEMU_PLUGIN_INLINE_ADD_U64`). */
export function isInlineAdd(a: ExecAction): a is InlineAction {
  return a.kind === "inline" && a.op === INLINE_ADD;
}

/** True when two references name the same scoreboard entry. */
export function sameRef(a: ArenaRef, b: ArenaRef): boolean {
  return a.arena === b.arena && a.index === b.index && a.stride === b.stride;
}

/** Inline adds summed per entry, in the order each entry first appears (`sign` -1: the sums taken back). */
function summedAdds(adds: Iterable<InlineAction>, sign: 1 | -1): InlineAction[] {
  const out: InlineAction[] = [];
  for (const a of adds) {
    const acc = out.find((o) => sameRef(o.ref, a.ref));
    const value = BigInt.asUintN(64, sign === 1 ? a.value : -a.value);
    if (acc) acc.value = BigInt.asUintN(64, acc.value + value);
    else out.push({ ...a, value });
  }
  return out;
}

/**
 * Block code `run` (of the block at `pc`, its instructions at `pcs`) after
 * the block's actions when it starts ({@link onlyAtEntry}), its
 * instructions' inline adds summed after them. An exception of either,
 * with `c.pc` at the faulting instruction (the block's first for its
 * actions, as `run` leaves it for its code), takes back the adds of the
 * instructions after that one (QEMU's run before their instruction, so
 * the faulting one's stay) and is reported to the plugins that stream
 * records, as the interpreter does. `run` must not go on into other
 * blocks: a fault there would cut this block's replay short. A plugin
 * that reads its scoreboard from its own thread meanwhile may see a
 * block's adds before its instructions ran, as merged adds
 * (`mergeInlineAdds`) already show them.
 */
export function withEntryActions(
  pc: number,
  instr: BlockInstrumentation,
  P: PluginHooks,
  run: (c: Cpu) => number,
  pcs: readonly number[],
): (c: Cpu) => number {
  const perInsn = instr.insn.map((l) => l.filter(isInlineAdd));
  const entry = execActions([...instr.block, ...summedAdds(perInsn.flat(), 1)], P);
  if (entry === undefined) return run;
  const records = streamsRecords(instr);
  /** The adds of the instructions after the `k`th, as actions taking them back (made at the first such fault). */
  const undo: (ActionsFn | undefined)[] = [];
  const takeBack = (c: Cpu) => {
    const k = pcs.indexOf(c.pc);
    if (k < 0 || k + 1 >= perInsn.length) return;
    undo[k] ??= execActions(summedAdds(perInsn.slice(k + 1).flat(), -1), P) ?? (() => false);
    undo[k]!(c, c.pc);
  };
  return (c) => {
    let started = false;
    try {
      entry(c, pc);
      started = true;
      return run(c);
    } catch (err) {
      if (!started) c.pc = pc;
      else takeBack(c);
      if (records) P.fault(c, c.pc);
      throw err;
    }
  };
}

/** Runs the actions of one point; returns true when a synchronous callback moved the pc (the block ends). */
export type ActionsFn = (c: Cpu, pc: number) => boolean;

/** A memory access as mem actions see it; true when a synchronous callback moved the pc. */
export type AccessFn = (
  c: Cpu,
  pc: number,
  baseLo: number,
  baseHi: number,
  imm: number,
  info: number,
  valueLo: number,
  valueHi: number,
) => boolean;

/** A 64-bit immediate as the int32 pair (low, high) the arena holds. */
export function u64Pair(v: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
}

/** One execution action as a closure (true: the pc moved). */
function execAction(a: ExecAction, P: PluginHooks): ActionsFn {
  switch (a.kind) {
    case "inline": {
      const [lo, hi] = u64Pair(a.value), { index, stride } = a.ref, arena = a.ref.arena;
      if (a.op === INLINE_STORE) {
        return (c) => {
          const A = P.arenas[arena], k = index + c.vcpuIndex * stride;
          A[k] = lo;
          A[k + 1] = hi;
          return false;
        };
      }
      return (c) => {
        const A = P.arenas[arena], k = index + c.vcpuIndex * stride;
        const t = (A[k] + lo) | 0;
        A[k + 1] = (A[k + 1] + hi + ((t >>> 0) < (A[k] >>> 0) ? 1 : 0)) | 0;
        A[k] = t;
        return false;
      };
    }
    case "record": {
      const { ring, id } = a;
      return (c) => (P.record(ring, id, c.vcpuIndex), false);
    }
    case "sync": {
      const id = a.id;
      return (c, pc) => {
        c.pc = pc;
        return P.sync(c, id);
      };
    }
    case "cond": {
      const then = execAction(a.then, P), holds = condition(a.cond, a.value);
      const { index, stride } = a.ref, arena = a.ref.arena;
      return (c, pc) => {
        const A = P.arenas[arena], k = index + c.vcpuIndex * stride;
        return holds(A[k + 1] >>> 0, A[k] >>> 0) ? then(c, pc) : false;
      };
    }
  }
}

/** QEMU's condition on a 64-bit entry (as unsigned words) against an immediate. */
function condition(cond: number, value: bigint): (vh: number, vl: number) => boolean {
  const [lo, hi] = u64Pair(value), il = lo >>> 0, ih = hi >>> 0;
  const lt = (vh: number, vl: number) => vh < ih || (vh === ih && vl < il);
  const eq = (vh: number, vl: number) => vh === ih && vl === il;
  switch (cond) {
    case COND.ALWAYS:
      return () => true;
    case COND.EQ:
      return eq;
    case COND.NE:
      return (vh, vl) => !eq(vh, vl);
    case COND.LT:
      return lt;
    case COND.LE:
      return (vh, vl) => lt(vh, vl) || eq(vh, vl);
    case COND.GT:
      return (vh, vl) => !(lt(vh, vl) || eq(vh, vl));
    case COND.GE:
      return (vh, vl) => !lt(vh, vl);
    default:
      return () => false;
  }
}

/** The actions of one point (block entry or an instruction) as one closure, or undefined when there are none. */
export function execActions(actions: readonly ExecAction[] | undefined, P: PluginHooks): ActionsFn | undefined {
  if (!actions || actions.length === 0) return undefined;
  // Runs of inline operations on one arena (a plugin's counters) become one loop over typed arrays.
  const fns: ActionsFn[] = [];
  for (let i = 0; i < actions.length;) {
    const a = actions[i];
    let j = i;
    while (j < actions.length && actions[j].kind === "inline" && inlineArena(actions[j]) === inlineArena(a)) j++;
    if (j - i > 1) fns.push(inlineRun(actions.slice(i, j) as InlineAction[], P));
    else fns.push(execAction(a, P));
    i = Math.max(j, i + 1);
  }
  if (fns.length === 1) return fns[0];
  return (c, pc) => {
    for (const f of fns) if (f(c, pc)) return true;
    return false;
  };
}

type InlineAction = Extract<ExecAction, { kind: "inline" }>;

function inlineArena(a: ExecAction): number {
  return a.kind === "inline" ? a.ref.arena : -1;
}

/** A run of inline operations on one arena, in order. */
function inlineRun(run: readonly InlineAction[], P: PluginHooks): ActionsFn {
  const n = run.length, arena = run[0].ref.arena;
  const index = Int32Array.from(run, (a) => a.ref.index), stride = Int32Array.from(run, (a) => a.ref.stride);
  const store = Uint8Array.from(run, (a) => (a.op === INLINE_STORE ? 1 : 0));
  const lo = Int32Array.from(run, (a) => u64Pair(a.value)[0]), hi = Int32Array.from(run, (a) => u64Pair(a.value)[1]);
  return (c) => {
    const A = P.arenas[arena], vi = c.vcpuIndex;
    for (let j = 0; j < n; j++) {
      const k = index[j] + vi * stride[j];
      if (store[j] === 1) {
        A[k] = lo[j];
        A[k + 1] = hi[j];
      } else {
        const t = (A[k] + lo[j]) | 0;
        A[k + 1] = (A[k + 1] + hi[j] + ((t >>> 0) < (A[k] >>> 0) ? 1 : 0)) | 0;
        A[k] = t;
      }
    }
    return false;
  };
}

/** The memory actions of one instruction as a closure run after each of its accesses. */
export function accessActions(actions: readonly MemAction[], P: PluginHooks): AccessFn {
  const fns = actions.map((a): [number, AccessFn] => {
    switch (a.kind) {
      case "inline": {
        const f = execAction({ kind: "inline", op: a.op, ref: a.ref, value: a.value }, P);
        return [a.rw, (c, pc) => f(c, pc)];
      }
      case "record": {
        const { ring, id } = a;
        return [
          a.rw,
          (c, _pc, bl, bh, imm, info, vl, vh) => (P.memRecord(ring, id, c.vcpuIndex, bl, bh, imm, info, vl, vh), false),
        ];
      }
      case "sync": {
        const id = a.id;
        return [a.rw, (c, pc, bl, bh, imm, info, vl, vh) => {
          c.pc = pc;
          return P.syncMem(c, id, bl, bh, imm, info, vl, vh);
        }];
      }
    }
  });
  return (c, pc, bl, bh, imm, info, vl, vh) => {
    const kind = (info & (1 << 16)) !== 0 ? 2 : 1;
    for (const [rw, f] of fns) if ((rw & kind) !== 0 && f(c, pc, bl, bh, imm, info, vl, vh)) return true;
    return false;
  };
}
