/**
 * Plugin instrumentation in the interpreter: the same actions as compiled
 * code runs (`instrument.ts`), at the same points, so that instrumented
 * blocks are interpreted for their first runs like any other.
 *
 * Compiling every block at once cost an instrumented `busybox echo hi`
 * 180 ms of its 600 (930 blocks, most run only a few times); the tiers
 * must agree exactly, which `interpreter_test.ts` checks with plugin
 * actions too.
 *
 * Actions are turned into closures once per block, not interpreted as
 * data at each run: an inline add is then a few typed-array operations, a
 * record one hook call.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { COND, type ExecAction, INLINE_STORE, type MemAction, memInfo, type PluginHooks } from "./instrument.ts";
import * as int64 from "./int64.ts";
import type { Handler } from "./interpreter.ts";
import { LOADS, STORES } from "./memory_access.ts";
import { AMO_OPS } from "./runtime.ts";

const RH = int64.RH;

/** Runs the actions of one point; returns true when a synchronous callback moved the pc (the block ends). */
export type ActionsFn = (c: Cpu, pc: number) => boolean;

/** A memory access as mem actions see it. */
type AccessFn = (
  c: Cpu,
  pc: number,
  baseLo: number,
  baseHi: number,
  imm: number,
  info: number,
  valueLo: number,
  valueHi: number,
) => boolean;

function pair(v: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
}

/** One execution action as a closure (true: the pc moved). */
function execAction(a: ExecAction, P: PluginHooks): ActionsFn {
  switch (a.kind) {
    case "inline": {
      const [lo, hi] = pair(a.value), { index, stride } = a.ref, arena = a.ref.arena;
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
  const [lo, hi] = pair(value), il = lo >>> 0, ih = hi >>> 0;
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
  const fns = actions.map((a) => execAction(a, P));
  if (fns.length === 1) return fns[0];
  return (c, pc) => {
    for (const f of fns) if (f(c, pc)) return true;
    return false;
  };
}

/** The memory actions of one instruction as a closure run after each of its accesses. */
function accessActions(actions: readonly MemAction[], P: PluginHooks): AccessFn {
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

const SIZE_SHIFT: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

function set(x: Int32Array, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = hi;
  }
}

/**
 * The handler of a memory instruction with memory actions: the access
 * through the runtime's exact slow path, then the actions (with the base
 * register read before the instruction and the value the access moved,
 * as compiled code reports them), then the register write. A synchronous
 * action that moves the pc ends the block there. Undefined for an
 * instruction that does not access memory.
 */
export function memoryHandler(op: string, actions: readonly MemAction[], P: PluginHooks): Handler | undefined {
  const after = accessActions(actions, P);
  const load = LOADS[op];
  if (load) {
    const { size, signed } = load, info = memInfo(SIZE_SHIFT[size], signed && size < 8, false);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
      const lo = rt.ld(c, bl, bh, i.imm, size, signed);
      const hi = size === 8 ? RH[0] : signed ? lo >> 31 : 0;
      if (after(c, pc, bl, bh, i.imm, info, lo, hi)) return c.pc;
      set(x, i.rd, lo, hi);
      return undefined;
    };
  }
  const store = STORES[op];
  if (store) {
    const info = memInfo(SIZE_SHIFT[store], false, true);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = x[2 * i.rs2], vh = x[2 * i.rs2 + 1];
      rt.st(c, bl, bh, i.imm, store, vl, vh);
      return after(c, pc, bl, bh, i.imm, info, vl, vh) ? c.pc : undefined;
    };
  }
  if (op === "flw" || op === "fld") {
    // As compiled code: FP loads go through the signed load path.
    const size = op === "flw" ? 4 : 8, info = memInfo(SIZE_SHIFT[size], size < 8, false);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
      const lo = rt.ld(c, bl, bh, i.imm, size, true);
      const hi = size === 8 ? RH[0] : lo >> 31;
      if (after(c, pc, bl, bh, i.imm, info, lo, hi)) return c.pc;
      c.fi[2 * i.rd] = lo;
      c.fi[2 * i.rd + 1] = size === 8 ? hi : -1;
      return undefined;
    };
  }
  if (op === "fsw" || op === "fsd") {
    const size = op === "fsw" ? 4 : 8, info = memInfo(SIZE_SHIFT[size], false, true);
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = c.fi[2 * i.rs2], vh = size === 8 ? c.fi[2 * i.rs2 + 1] : 0;
      rt.st(c, bl, bh, i.imm, size, vl, vh);
      return after(c, pc, bl, bh, i.imm, info, vl, vh) ? c.pc : undefined;
    };
  }
  const atomic = /^(lr|sc|amo\w+)\.([wd])$/.exec(op);
  if (!atomic) return undefined;
  const size = atomic[2] === "w" ? 4 : 8, shift = SIZE_SHIFT[size];
  const loadInfo = memInfo(shift, size === 4, false), storeInfo = memInfo(shift, false, true);
  if (atomic[1] === "lr") {
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
      const lo = rt.lr(c, bl, bh, size), hi = RH[0];
      if (after(c, pc, bl, bh, 0, loadInfo, lo, hi)) return c.pc;
      set(x, i.rd, lo, hi);
      return undefined;
    };
  }
  if (atomic[1] === "sc") {
    return (c, x, i, pc, rt) => {
      const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1], vl = x[2 * i.rs2], vh = x[2 * i.rs2 + 1];
      const r = rt.sc(c, bl, bh, size, vl, vh), ol = RH[1], oh = RH[2];
      if (after(c, pc, bl, bh, 0, loadInfo, ol, oh) || after(c, pc, bl, bh, 0, storeInfo, vl, vh)) return c.pc;
      set(x, i.rd, r, 0);
      return undefined;
    };
  }
  const code = AMO_OPS.indexOf(atomic[1].slice(3) as typeof AMO_OPS[number]);
  if (code < 0) return undefined;
  return (c, x, i, pc, rt) => {
    const bl = x[2 * i.rs1], bh = x[2 * i.rs1 + 1];
    const lo = rt.amo(c, code, bl, bh, size, x[2 * i.rs2], x[2 * i.rs2 + 1]), hi = RH[0], sl = RH[1], sh = RH[2];
    if (after(c, pc, bl, bh, 0, loadInfo, lo, hi) || after(c, pc, bl, bh, 0, storeInfo, sl, sh)) return c.pc;
    set(x, i.rd, lo, hi);
    return undefined;
  };
}
