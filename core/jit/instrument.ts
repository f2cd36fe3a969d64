/**
 * Plugin instrumentation as code: the translator's emission of the actions
 * of `plugin_actions.ts` into a compiled block, at the block's entry,
 * before each instruction and after each memory access. With no plugin
 * loaded there is no instrumentation and translated code is exactly the
 * uninstrumented code.
 *
 * @module
 */

import { LEAVE } from "./emitter.ts";
import type { Emitter, RegPair } from "./emitter.ts";
import {
  accessActions,
  type ArenaRef,
  COND,
  type ExecAction,
  execActions,
  INLINE_STORE,
  type MemAction,
  u64Pair,
} from "./plugin_actions.ts";

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
 * Most actions emitted as code at one point (a block's entry, an
 * instruction, a memory access); more go through one call of a closure
 * built at translation time (`plugin_actions.ts`). Each emitted
 * action is tens of bytes of source and more of machine code: 16 inline
 * adds on every instruction took `memstr` from 141 MB and 1.3 s to 1.3 GB
 * and 16 s, V8 compiling the functions.
 */
export const MAX_INLINE_ACTIONS = 4;

/**
 * Emits the code of block or instruction actions at the current point.
 * Synchronous callbacks need the registers in the register file, so blocks
 * with them are compiled alone, never into regions.
 */
export function emitExecActions(e: Emitter, actions: readonly ExecAction[] | undefined): void {
  if (!actions || actions.length === 0) return;
  const inline = e.hooks ? actions.slice(0, MAX_INLINE_ACTIONS) : actions;
  for (const a of inline) emitExecAction(e, a);
  // The rest, in order after the first ones, through one closure.
  const rest = actions.slice(inline.length);
  if (rest.length === 0) return;
  if (rest.some((a) => a.kind === "sync" || (a.kind === "cond" && a.then.kind === "sync"))) e.mayThrow();
  const f = e.datum(execActions(rest, e.hooks!));
  e.line(`if (${f}(c, ${e.pc})) { nx = c.pc; ${LEAVE} }`);
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
  let { base, value } = access;
  const applicable = actions.filter((a) => (a.rw & (store ? 2 : 1)) !== 0);
  if (applicable.length > 1 && applicable.some((a) => a.kind === "sync")) {
    // A synchronous callback may write registers: the actions after it must see the access as it was.
    const [bl, bh, vl, vh] = [e.temp(), e.temp(), e.temp(), e.temp()];
    e.line(`${bl} = ${base.lo}; ${bh} = ${base.hi}; ${vl} = ${value.lo}; ${vh} = ${value.hi};`);
    base = { lo: bl, hi: bh };
    value = { lo: vl, hi: vh };
  }
  const args = `${base.lo}, ${base.hi}, ${access.imm}, ${access.info}, ${value.lo}, ${value.hi}`;
  if (actions.length > MAX_INLINE_ACTIONS && e.hooks) {
    if (actions.some((a) => a.kind === "sync")) e.mayThrow();
    const f = e.datum(accessActions(actions, e.hooks));
    e.line(`if (${f}(c, ${e.pc}, ${args})) { nx = c.pc; ${LEAVE} }`);
    return;
  }
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
