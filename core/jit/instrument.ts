/**
 * Instrumentation of translated code: what plugins asked to happen when a
 * block or an instruction executes or a memory access completes, as data
 * the translator turns into code.
 *
 * The plugin core builds a {@link BlockInstrumentation} for each block at
 * translation time (after the plugins' translation callbacks ran) and
 * provides the {@link PluginHooks} the code calls. The translator knows
 * nothing else about plugins: with no plugin loaded there is no
 * instrumentation and translated code is exactly the uninstrumented code.
 *
 * Kinds of action, cheapest first:
 * - `inline`: add to or store into a 64-bit entry of a plugin's scoreboard
 *   arena (a shared `Int32Array`), per vCPU, in the translated code itself;
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
import { LEAVE } from "./emitter.ts";
import type { Emitter, RegPair } from "./emitter.ts";

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
  | { kind: "sync"; id: number; writesRegs: boolean }
  | { kind: "cond"; cond: number; ref: ArenaRef; value: bigint; then: ExecAction };

/** Something to do after a memory access, for accesses matching `rw` (1 read, 2 write, 3 both). */
export type MemAction =
  & { rw: number }
  & (
    | { kind: "inline"; op: typeof INLINE_ADD | typeof INLINE_STORE; ref: ArenaRef; value: bigint }
    | { kind: "record"; ring: number; id: number }
    | { kind: "sync"; id: number; writesRegs: boolean }
  );

/** Instrumentation of one block. */
export interface BlockInstrumentation {
  /** Actions when the block starts executing (block callbacks and inline ops). */
  block: ExecAction[];
  /** Actions before each instruction, by index in the block. */
  insn: ExecAction[][];
  /** Actions after each memory access of each instruction, by index in the block. */
  mem: MemAction[][];
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
}

/** QEMU's `qemu_plugin_meminfo_t` bits: size shift in 3:0, sign in 4, store in 16. */
export function memInfo(sizeShift: number, signed: boolean, store: boolean): number {
  return sizeShift | (signed ? 1 << 4 : 0) | (store ? 1 << 16 : 0);
}

/** True when a block's instrumentation needs guest registers in the register file. */
export function needsRegisterFile(instr: BlockInstrumentation | undefined): boolean {
  if (!instr) return false;
  const sync = (a: ExecAction | MemAction): boolean =>
    a.kind === "sync" || (a.kind === "cond" && sync((a as { then: ExecAction }).then));
  return instr.block.some(sync) || instr.insn.some((l) => l?.some(sync)) || instr.mem.some((l) => l?.some(sync));
}

function u64Pair(v: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
}

/** The arena (a local holding its view, see `Emitter.arenas`) and the int32 index of an entry for this vCPU. */
function arenaIndex(e: Emitter, ref: ArenaRef): { a: string; i: string } {
  e.rt("P");
  e.arenas.add(ref.arena);
  return { a: `A${ref.arena}`, i: ref.stride === 0 ? `${ref.index}` : `(${ref.index} + vi * ${ref.stride})` };
}

function emitInline(e: Emitter, op: number, ref: ArenaRef, value: bigint): void {
  const { a, i } = arenaIndex(e, ref);
  const [lo, hi] = u64Pair(value);
  const A = a, k = e.temp();
  if (op === INLINE_STORE) {
    e.line(`${k} = ${i}; ${A}[${k}] = ${lo}; ${A}[${k} + 1] = ${hi};`);
    return;
  }
  const t = e.temp();
  e.line(
    `${k} = ${i}; ${t} = (${A}[${k}] + ${lo}) | 0; ` +
      `${A}[${k} + 1] = (${A}[${k} + 1] + ${hi} + ((${t} >>> 0) < (${A}[${k}] >>> 0) ? 1 : 0)) | 0; ${A}[${k}] = ${t};`,
  );
}

function condExpr(e: Emitter, cond: number, ref: ArenaRef, value: bigint): string {
  const { a, i } = arenaIndex(e, ref);
  const [lo, hi] = u64Pair(value);
  const A = a, k = e.temp();
  e.line(`${k} = ${i};`);
  const vh = `(${A}[${k} + 1] >>> 0)`, vl = `(${A}[${k}] >>> 0)`, ih = String(hi >>> 0), il = String(lo >>> 0);
  const lt = `(${vh} < ${ih} || (${vh} === ${ih} && ${vl} < ${il}))`;
  const eq = `(${vh} === ${ih} && ${vl} === ${il})`;
  switch (cond) {
    case COND.ALWAYS:
      return "true";
    case COND.EQ:
      return eq;
    case COND.NE:
      return `!${eq}`;
    case COND.LT:
      return lt;
    case COND.LE:
      return `(${lt} || ${eq})`;
    case COND.GT:
      return `!(${lt} || ${eq})`;
    case COND.GE:
      return `!${lt}`;
    default:
      return "false";
  }
}

/**
 * Emits the code of block or instruction actions at the current point.
 * Synchronous callbacks need the registers in the register file, so blocks
 * with them are compiled alone, never into regions.
 */
export function emitExecActions(e: Emitter, actions: readonly ExecAction[] | undefined): void {
  for (const a of actions ?? []) emitExecAction(e, a);
}

function emitExecAction(e: Emitter, a: ExecAction): void {
  switch (a.kind) {
    case "inline":
      return emitInline(e, a.op, a.ref, a.value);
    case "record":
      e.line(`${e.rt("P")}.record(${a.ring}, ${a.id}, c.vcpuIndex);`);
      return;
    case "sync":
      e.mayThrow();
      e.line(`c.pc = ${e.pc}; if (${e.rt("P")}.sync(c, ${a.id})) { nx = c.pc; ${LEAVE} }`);
      return;
    case "cond": {
      const cond = condExpr(e, a.cond, a.ref, a.value);
      e.line(`if (${cond}) {`);
      emitExecAction(e, a.then);
      e.line(`}`);
    }
  }
}

/** A memory access as the memory-access emitters describe it to instrumentation. */
export interface AccessDescription {
  /** Base register of the address. */
  base: RegPair;
  /** Offset added to the base. */
  imm: number;
  /** QEMU meminfo of the access ({@link memInfo}). */
  info: number;
  /** The value loaded or stored (low and high words). */
  value: RegPair;
}

/** Emits the actions that follow one memory access. */
export function emitMemActions(e: Emitter, actions: readonly MemAction[], access: AccessDescription): void {
  const store = (access.info & (1 << 16)) !== 0;
  const args =
    `${access.base.lo}, ${access.base.hi}, ${access.imm}, ${access.info}, ${access.value.lo}, ${access.value.hi}`;
  for (const a of actions) {
    if ((a.rw & (store ? 2 : 1)) === 0) continue;
    switch (a.kind) {
      case "inline":
        emitInline(e, a.op, a.ref, a.value);
        break;
      case "record":
        e.line(`${e.rt("P")}.memRecord(${a.ring}, ${a.id}, c.vcpuIndex, ${args});`);
        break;
      case "sync":
        e.mayThrow();
        e.line(`c.pc = ${e.pc}; if (${e.rt("P")}.syncMem(c, ${a.id}, ${args})) { nx = c.pc; ${LEAVE} }`);
    }
  }
}
