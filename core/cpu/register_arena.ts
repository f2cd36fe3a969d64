/**
 * Where every vCPU's registers live: a slot of one shared
 * `WebAssembly.Memory`, so that WebAssembly regions read and write them in
 * place, as JavaScript does through `Cpu.x`, `Cpu.fi` and `Cpu.fflags`, with
 * no copy on entry or exit (copying the integer registers both ways cost
 * more than a short region's work: 30 % of `fib`'s time). A slot holds the
 * integer and FP registers, `fflags` and `frm`, and what a region leaves for
 * its caller: the pc of a faulting instruction, a slow-path value, an exit pc;
 * and in its second half the vector registers and `vl`, `vtype` and
 * `vstart` (`vector_state.ts`), which WebAssembly regions read and write in
 * place too.
 *
 * The memory is shared so that it can grow without detaching the views
 * existing vCPUs hold. Slots of vCPUs that are gone are reused.
 *
 * @module
 */

/** Bytes per slot: 32 integer and 32 FP registers of 8 bytes, the words below, then the vector state. */
export const SLOT_SIZE = 2048;

/** Byte offsets in a slot. */
export const SLOT = {
  /** x0…x31 as i64, the layout of `Cpu.x` (low word first). */
  regs: 0,
  /** f0…f31 as 64-bit patterns, the layout of `Cpu.fi` (singles NaN-boxed). */
  fregs: 256,
  /** pc of the instruction whose helper call threw (f64). */
  ip: 512,
  /** A value passed to or from a slow-path helper (i64). */
  value: 520,
  /** pc for an exit code other than a jump (f64). */
  exitPc: 528,
  /** Accrued FP exception flags, `Cpu.fflags` (i32, 0…31). */
  fflags: 536,
  /** Dynamic rounding mode, `Cpu.frm` (i32, 0…7). */
  frm: 540,
  /** Blocks a region may still finish in a counted slice, `Cpu.blocksLeft` (i32). */
  blocksLeft: 544,
  /**
   * `Cpu.vcpuIndex` (i32), written by a WebAssembly region's caller when the
   * region carries per-vCPU plugin scoreboard operations.
   */
  vcpuIndex: 548,
  /** v0…v31, 16 bytes each (`VectorState.v`), then its configuration words (`VectorState.config`). */
  vregs: 1024,
} as const;

const PAGE = 65536;
/** Most pages: 128 MiB (address space only until used), 65,536 live vCPUs. */
export const ARENA_MAX_PAGES = 2048;

/** The memory every slot is in. */
export const registerMemory = new WebAssembly.Memory({ initial: 1, maximum: ARENA_MAX_PAGES, shared: true });

let next = 0;
/** The arena's size in bytes, kept here: reading `registerMemory.buffer` makes a new object each time. */
let size = PAGE;

/** The register arena's size in bytes (it grows as vCPUs are made). */
export function arenaBytes(): number {
  return size;
}

const free: number[] = [];
const released = new FinalizationRegistry<number>((slot) => free.push(slot));

/** A slot's byte offset and views of its parts. */
export interface RegisterSlot {
  at: number;
  /** x0…x31 as int32 pairs. */
  x: Int32Array;
  /** f0…f31 as doubles. */
  f: Float64Array;
  /** f0…f31 as int32 pairs (aliases `f`). */
  fi: Int32Array;
  /** `fflags` at 0, `frm` at 1. */
  fcsr: Int32Array;
  /** The budget of a region in a counted slice, at 0. */
  blocksLeft: Int32Array;
}

/**
 * Takes a free slot, zeroed, and returns its byte offset with views of its
 * registers; the slot is reused once `owner` (which holds the views) is
 * collected.
 *
 * @example
 * ```ts
 * import { newRegisterSlot, SLOT_SIZE } from "./register_arena.ts";
 * import { strictEqual } from "node:assert";
 * const { at, x, fi } = newRegisterSlot({});
 * strictEqual(at % SLOT_SIZE, 0);
 * strictEqual(x.length, 64);
 * strictEqual(fi.length, 64);
 * strictEqual(x.every((w) => w === 0), true);
 * ```
 */
export function newRegisterSlot(owner: object): RegisterSlot {
  let at = free.pop();
  if (at === undefined) {
    at = next;
    next += SLOT_SIZE;
    const pages = registerMemory.buffer.byteLength / PAGE;
    if (next > pages * PAGE) {
      if (pages >= ARENA_MAX_PAGES) throw new RangeError("Too many vCPUs");
      registerMemory.grow(Math.min(pages, ARENA_MAX_PAGES - pages));
      size = registerMemory.buffer.byteLength;
    }
  }
  new Uint8Array(registerMemory.buffer, at, SLOT_SIZE).fill(0);
  const buffer = registerMemory.buffer;
  const f = new Float64Array(buffer, at + SLOT.fregs, 32);
  released.register(owner, at);
  return {
    at,
    x: new Int32Array(buffer, at + SLOT.regs, 64),
    f,
    fi: new Int32Array(buffer, at + SLOT.fregs, 64),
    fcsr: new Int32Array(buffer, at + SLOT.fflags, 2),
    blocksLeft: new Int32Array(buffer, at + SLOT.blocksLeft, 1),
  };
}
