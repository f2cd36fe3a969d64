/**
 * What the WebAssembly translators (`trans.ts`) write through: the code of
 * one region function, its locals, and the control transfers, which the
 * region compiler (`region.ts`) turns into jumps inside the function or
 * exits to the dispatcher.
 *
 * Guest registers are i64 locals for the whole function, loaded from the
 * vCPU's slot of the register arena on entry and stored back on exit; 64-bit
 * arithmetic is then one instruction (the JavaScript tiers use int32
 * pairs). Only a helper call can fault (the slow path of a load, a store
 * or an atomic): it returns a status instead of throwing, and a failed one
 * leaves through the function's fault exit, which stores the registers and
 * the faulting instruction's pc to the slot, so that the state a signal
 * handler sees is exact.
 *
 * @module
 */

import { wrapPc } from "../emitter.ts";
import { Code, F32, F64, I32, I64, OP, V128 } from "./encoding.ts";
import { SLOT } from "../../cpu/register_arena.ts";
import { MEM } from "./layout.ts";
import type { VectorTier } from "./runtime.ts";
import type { ArenaRef } from "../plugin_actions.ts";

/**
 * A scoreboard entry a region adds to through a local: `delta` (i64) sums
 * the region's adds, `offset` (i32) is the entry's byte offset in its
 * window for the running vCPU and `inWindow` (i32) whether it lies in the
 * window (computed once at entry: the vCPU does not change in a region).
 */
export interface PromotedCounter {
  ref: ArenaRef;
  base: number;
  delta: number;
  offset: number;
  inWindow: number;
}

/**
 * What the first access of an access group checks for the whole group
 * (`groupAccess` in `trans.ts`): the `length` bytes from base register
 * `base` + `lo`, on one page whose flags masked by `mask` are `want`.
 */
export interface GroupCheck {
  readonly base: number;
  readonly lo: number;
  readonly length: number;
  readonly mask: number;
  readonly want: number;
  /** Whether every access of the group is at the same offset with the same size. */
  readonly oneAddress: boolean;
}

/** One region function being emitted. */
export class WasmEmitter {
  readonly code = new Code();
  /** The function's parameter: the byte offset of the running vCPU's slot in the register arena. */
  readonly slot = 0;
  /** Types of the function's locals (after the parameter), in index order. */
  readonly localTypes: number[] = [];
  /** Local index of each guest register used (x1…x31), -1 for unused ones. */
  readonly reg: number[] = new Array(32).fill(-1);
  /** Guest pc of the instruction being translated. */
  pc = 0;
  /** Its size in bytes. */
  size = 4;
  /** True once the current block has ended with a control transfer. */
  ended = false;
  /** Blocks (`if`, `block`) opened inside the current guest block's code. */
  nest = 0;
  /** Jump to a known pc: set by the region compiler. */
  goto: (e: WasmEmitter, pc: number) => void = () => {
    throw new Error("goto not set");
  };
  /** Jump to the pc in i64 local `target`: set by the region compiler. */
  gotoDynamic: (e: WasmEmitter, target: number) => void = () => {
    throw new Error("gotoDynamic not set");
  };
  /**
   * Plugins' actions after a memory access of the current instruction, set
   * by the region compiler when it has any: `info` is the access's QEMU
   * meminfo, `address` and `value` the i64 locals holding the effective
   * address and the value loaded or stored (as the JavaScript tier reports
   * it).
   */
  afterAccess: ((info: number, address: number, value: number) => void) | undefined = undefined;
  /**
   * Set by the region compiler while it emits a load or store of an access
   * group (see `accessGroups` in `region.ts`): the i32 local the group's
   * check sets to 1 when all of its accesses may run inline; -1 for an
   * access outside any group.
   */
  groupOk = -1;
  /** Set while the region compiler emits the first access of an access group: what it checks for the group. */
  groupFirst: GroupCheck | undefined = undefined;
  /** Scoreboard entries the region adds to through locals (`instrument.ts`'s `promoteCounters`), by entry. */
  counters: ReadonlyMap<string, PromotedCounter> | undefined = undefined;
  /** The i32 local holding each record batch store's count, by the store's offset (`instrument.ts`'s `cacheBatchCounts`). */
  batchCounts: ReadonlyMap<number, number> | undefined = undefined;
  /**
   * Block records the region counts instead of appending (`instrument.ts`'s `countRepeats`): the i32 local holding
   * the passes not yet written as a `REPEAT` record, by batch store; and the i32 local a block's jump to itself sets,
   * so that its next pass counts rather than records; and the i64 local holding the vCPU's index.
   */
  repeats: { counts: ReadonlyMap<number, number>; again: number; vcpu: number } | undefined = undefined;
  /** The tier's view of vector words, for their inline code (`vector.ts`): set by the region compiler. */
  vector: VectorTier | undefined = undefined;
  /** Leave the function with the f64 on the stack as its result: set by the region compiler. */
  leave: (e: WasmEmitter) => void = () => {
    throw new Error("leave not set");
  };

  /** A new local of `type`. */
  local(type: number): number {
    return this.localTypes.push(type); // index 0 is the parameter
  }

  /**
   * Registers the function may write (bit i for x_i): the only ones stored
   * back, since the others still hold in the slot what was loaded.
   */
  private written = 0;

  /** Gives registers `regs` (bit i for x_i) a local each; `written` are those the code may write. */
  useRegisters(regs: number, written: number): void {
    for (let r = 1; r < 32; r++) if (regs & (1 << r) && this.reg[r] < 0) this.reg[r] = this.local(I64);
    this.written = written & regs;
  }

  /** Scratch locals by value type: free ones, and those the current instruction took. */
  private readonly scratch = new Map<number, { free: number[]; used: number[] }>();

  /** A scratch local of value type `type`, free again at the next instruction. */
  temp(type: number): number {
    let pool = this.scratch.get(type);
    if (!pool) this.scratch.set(type, pool = { free: [], used: [] });
    const t = pool.free.pop() ?? this.local(type);
    pool.used.push(t);
    return t;
  }

  /** A scratch i64 local ({@link temp}). */
  tempI64(): number {
    return this.temp(I64);
  }

  /** A scratch i32 local ({@link temp}). */
  tempI32(): number {
    return this.temp(I32);
  }

  /** A scratch f64 local ({@link temp}). */
  tempF64(): number {
    return this.temp(F64);
  }

  /** A scratch f32 local ({@link temp}). */
  tempF32(): number {
    return this.temp(F32);
  }

  /** A scratch v128 local ({@link temp}). */
  tempV128(): number {
    return this.temp(V128);
  }

  /** Starts translating the instruction at `pc`: scratch locals are free again. */
  startInsn(pc: number, size: number): void {
    this.pc = pc;
    this.size = size;
    for (const pool of this.scratch.values()) pool.free.push(...pool.used.splice(0));
  }

  /**
   * Registers (bit i for x_i) known to hold a sign-extended 32-bit value
   * before the current instruction (`wordsAfter` in `trans.ts` says what
   * each instruction leaves; `startWords` in `region.ts` what every
   * jump into a block keeps): an operation whose operands all are may work
   * on their low words, which V8 then takes from the 32-bit results that
   * made them instead of sign-extending those first.
   */
  words = 0;

  /**
   * Whether the current instruction, a bitwise one, is computed on low
   * words when its operands are words (`wordResults` in `trans.ts`): set
   * by the region compiler.
   */
  wordResult = false;

  /** Starts emitting a guest block, whose registers `words` hold sign-extended words ({@link words}). */
  startBlock(words: number): void {
    this.words = words;
    this.ended = false;
    this.nest = 0;
  }

  /** Whether register `r` holds a sign-extended 32-bit value (x0 does). */
  isWord(r: number): boolean {
    return r === 0 || (this.words & (1 << r)) !== 0;
  }

  /** Pushes register `r` (x0 is the constant 0). */
  get(r: number): this {
    if (r === 0) this.code.i64Const(0);
    else this.code.localGet(this.reg[r]);
    return this;
  }

  /** Pushes the low word of register `r` as an i32. */
  getWord(r: number): this {
    if (r === 0) this.code.i32Const(0);
    else this.code.localGet(this.reg[r]).op(OP.i32_wrap_i64);
    return this;
  }

  /** Pops the i64 on the stack into register `r` (dropped for x0). */
  set(r: number): this {
    if (r === 0) this.code.op(OP.drop);
    else this.code.localSet(this.reg[r]);
    return this;
  }

  /** Pops the i32 on the stack into register `r`, sign-extended. */
  setFrom32(r: number): this {
    this.code.op(OP.i64_extend_i32_s);
    return this.set(r);
  }

  /** Opens an `if` (the condition is on the stack) with result type `type` (VOID for none). */
  if(type: number): this {
    this.code.open(OP.if, type);
    this.nest++;
    return this;
  }

  /** Opens a `block` without results. */
  block(): this {
    this.code.open(OP.block);
    this.nest++;
    return this;
  }

  /** `else` of the innermost `if`. */
  else(): this {
    this.code.op(OP.else);
    return this;
  }

  /** Closes the innermost `if` or `block`. */
  end(): this {
    this.code.op(OP.end);
    this.nest--;
    return this;
  }

  /** Stores every register local the code may have written to the slot. */
  storeRegisters(): void {
    for (let r = 1; r < 32; r++) {
      if (this.reg[r] < 0 || (this.written & (1 << r)) === 0) continue;
      this.code.localGet(this.slot).localGet(this.reg[r]).mem(OP.i64_store, MEM.regs, 3, SLOT.regs + 8 * r);
    }
  }

  /** Loads every register local from the slot. */
  loadRegisters(): void {
    for (let r = 1; r < 32; r++) {
      if (this.reg[r] < 0) continue;
      this.code.localGet(this.slot).mem(OP.i64_load, MEM.regs, 3, SLOT.regs + 8 * r).localSet(this.reg[r]);
    }
  }

  /** The f64 local holding the pc of the instruction whose helper call failed. */
  ip = -1;
  /** Branch to the region's fault exit (which stores the registers and `ip`): set by the region compiler. */
  fault: (e: WasmEmitter) => void = () => {
    throw new Error("fault not set");
  };

  /**
   * After a helper call, with the i32 status it returned on the stack: a
   * non-zero status (the helper raised a fault, which the runtime keeps)
   * leaves through the region's one fault exit with this instruction's pc.
   * One exit for all of them keeps the code small: storing the registers
   * at every call made memory-heavy regions several times larger.
   */
  checkStatus(): void {
    this.code.unlikely();
    this.if(0x40);
    this.code.f64Const(this.pc).localSet(this.ip);
    this.fault(this);
    this.end();
  }

  /** Ends the block with a jump to a constant target. */
  jump(target: number): void {
    this.goto(this, wrapPc(target));
    this.ended = true;
  }

  /** Ends the block with a jump to the pc in i64 local `target` (bit 0 already clear). */
  jumpDynamic(target: number): void {
    this.gotoDynamic(this, target);
    this.ended = true;
  }

  /** Ends the block with a two-way branch on the i32 condition on the stack. */
  branch(taken: number, notTaken: number): void {
    this.if(0x40);
    this.goto(this, wrapPc(taken));
    this.end();
    this.goto(this, notTaken);
    this.ended = true;
  }

  /** Ends the block returning exit code `code` (an `EXIT_*`) to the dispatcher with `c.pc = pc`. */
  exit(code: number, pc: number): void {
    this.code.localGet(this.slot).f64Const(pc).mem(OP.f64_store, MEM.regs, 3, SLOT.exitPc);
    this.code.f64Const(code);
    this.leave(this);
    this.ended = true;
  }
}
