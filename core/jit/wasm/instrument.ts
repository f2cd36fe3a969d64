/**
 * Plugin instrumentation in the WebAssembly tier: the inline operations of
 * `../plugin_actions.ts` (add to or store into a scoreboard entry, per
 * vCPU) as loads and stores on the plugin memory, where each plugin
 * instance's arena is mapped a second time (`runtime.ts`), at the same
 * points as the JavaScript tier puts them (`../instrument.ts`): at a
 * block's entry and before each instruction. A region with any other
 * action (records, synchronous or conditional callbacks, memory actions)
 * stays in JavaScript.
 *
 * @module
 */

import type { BlockInstrumentation, ExecAction } from "../plugin_actions.ts";
import { INLINE_STORE } from "../plugin_actions.ts";
import { MEM } from "./layout.ts";
import { OP, VOID } from "./encoding.ts";
import type { WasmEmitter } from "./emitter.ts";
import { ARENA_WINDOW_BYTES } from "./runtime.ts";

/** Where arena `arena`'s window starts in the plugin memory (undefined: it has none). */
export type ArenaWindows = (arena: number) => number | undefined;

/** Whether the WebAssembly tier can carry `instr` (undefined: a block no plugin instruments). */
export function wasmInstrumentable(instr: BlockInstrumentation | undefined, windows: ArenaWindows): boolean {
  if (!instr) return true;
  if (instr.mem.some((actions) => actions.length > 0)) return false;
  const inline = (a: ExecAction) => a.kind === "inline" && windows(a.ref.arena) !== undefined;
  return instr.block.every(inline) && instr.insn.every((actions) => actions.every(inline));
}

/** Whether `instr` has an entry per vCPU (the code then needs the vCPU's index). */
export function usesVcpuIndex(instr: BlockInstrumentation | undefined): boolean {
  const strided = (a: ExecAction) => a.kind === "inline" && a.ref.stride !== 0;
  return !!instr && (instr.block.some(strided) || instr.insn.some((actions) => actions.some(strided)));
}

/**
 * Emits `actions` (all inline, see {@link wasmInstrumentable}). `vcpu` is
 * the i64 local holding the vCPU's index. An entry outside its window is
 * skipped, as the JavaScript tier's typed array ignores an index past its
 * end: a plugin's scoreboard never reaches another's window.
 */
export function emitInlineActions(
  e: WasmEmitter,
  actions: readonly ExecAction[] | undefined,
  windows: ArenaWindows,
  vcpu: number,
): void {
  const c = e.code;
  for (const a of actions ?? []) {
    if (a.kind !== "inline") throw new Error(`${a.kind} action in a WebAssembly region`);
    const base = windows(a.ref.arena)!, { index, stride } = a.ref;
    const operate = (address: () => void) => {
      address();
      if (a.op === INLINE_STORE) c.i64Const(BigInt.asIntN(64, a.value));
      else address(), c.mem(OP.i64_load, MEM.plugins, 2, base).i64Const(BigInt.asIntN(64, a.value)).op(OP.i64_add);
      c.mem(OP.i64_store, MEM.plugins, 2, base);
    };
    if (stride === 0) {
      if (index < 0 || index * 4 > ARENA_WINDOW_BYTES - 8) continue;
      operate(() => c.i32Const(index * 4));
      continue;
    }
    // Byte offset index * 4 + vcpu * stride * 4, in 64 bits: a negative or huge one is out of the window.
    const offset = e.tempI64();
    c.localGet(vcpu).i64Const(stride * 4).op(OP.i64_mul).i64Const(index * 4).op(OP.i64_add).localTee(offset);
    c.i64Const(ARENA_WINDOW_BYTES - 7).op(OP.i64_lt_u);
    e.if(VOID);
    operate(() => c.localGet(offset).op(OP.i32_wrap_i64));
    e.end();
  }
}
