/**
 * What WebAssembly region modules import, made once per address space:
 * the guest memory and its page flags (the address space's own
 * `WebAssembly.Memory`s), the register arena where each vCPU's registers
 * live (`core/cpu/register_arena.ts`), the slow-path load and store,
 * atomics and CSR access, which wrap the JavaScript tier's (`../runtime.ts`)
 * so that faults are the same in every tier, and the exact IEEE helpers of
 * `core/fpu/`, which read and write the FP registers in the slot; and, once
 * a region carries a plugin's inline operations, the plugin memory: a
 * window per plugin instance where the instance's scoreboard arena (shared
 * with its process) is mapped a second time, so that the region adds to
 * and stores into the arena in place, as JavaScript does through
 * `PluginHooks.arenas`; the batch stores regions append records to, and
 * a window per ring where the instance's event ring is mapped, so that a
 * full batch reaches the ring by `memory.copy`.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { ARENA_MAX_PAGES, arenaBytes, registerMemory, SLOT } from "../../cpu/register_arena.ts";
import type { AddressSpace } from "../../mem/address_space.ts";
import * as fpu from "../../fpu/mod.ts";
import { resolveRm, RM_DYN } from "../../fpu/fpu_state.ts";
import { FP_HELPERS, type FpHelper, type FpShape } from "./layout.ts";
import type { PluginHooks } from "../plugin_actions.ts";
import { BATCH_STORE_WORDS, BATCH_WORDS } from "../record_format.ts";
import { name, OP, section, unsignedLeb } from "./encoding.ts";
import type { Executor } from "../vector/element.ts";
import { lastShape } from "../vector/fast.ts";

/** The JavaScript tier's slow paths, as `../runtime.ts` defines them. */
export interface SlowPaths {
  ld(c: Cpu, lo: number, hi: number, imm: number, size: number, signed: boolean): number;
  st(c: Cpu, lo: number, hi: number, imm: number, size: number, vlo: number, vhi: number): void;
  lr(c: Cpu, lo: number, hi: number, size: number): number;
  sc(c: Cpu, lo: number, hi: number, size: number, vlo: number, vhi: number): number;
  amo(c: Cpu, op: number, lo: number, hi: number, size: number, blo: number, bhi: number): number;
  csr(c: Cpu, num: number, op: number, write: boolean, vlo: number): number;
  cboZero(c: Cpu, lo: number, hi: number): void;
  /** The executor of vector instruction word `raw` (`../vector.ts`'s `makeVectorExecutors`). */
  vectorExecutor(raw: number): Executor;
  /** High word of a 64-bit slow-path load (and of `lr`'s and `amo`'s result). */
  readonly RH: Int32Array;
}

/** The shape a vector word last ran in legally: its `vtype` (-1 with `vill`) and `vl`; undefined when unknown. */
export type ShapeOf = (raw: number) => readonly [vtype: number, vl: number] | undefined;

/** The vector side of the WebAssembly tier at translation time: shapes words last ran in, and whether stores may run inline. */
export interface VectorTier {
  shapeOf: ShapeOf;
  /**
   * False while something watches stores made through the address space
   * (record and replay's write tap). Asked when a region is compiled: the
   * recorder sets its tap when it attaches a process, before the process's
   * first translation (forked children included).
   */
  storesInline(): boolean;
}

/** The imports shared by the region modules of one address space. */
export interface WasmRuntime {
  /** Imports of every region module (the `core/fpu/` helpers among them are made at the first use). */
  readonly imports: WebAssembly.Imports;
  /** The helpers that may fault (`imports.h` but the `core/fpu/` ones), for the WebAssembly interpreter. */
  readonly faulting: Readonly<Record<string, (...args: number[]) => number>>;
  /** The memories of `imports.m`: the guest's, its page flags, the register arena. */
  readonly memories: {
    readonly guest: WebAssembly.Memory;
    readonly pages: WebAssembly.Memory;
    readonly regs: WebAssembly.Memory;
  };
  /** Size of the guest memory, in 64 KiB WebAssembly pages. */
  readonly guestPages: number;
  /** Size of the page-flag memory, in WebAssembly pages. */
  readonly pagesPages: number;
  /** Most pages of the register arena (the modules declare it). */
  readonly arenaMaxPages: number;
  /** The pc a region left at byte `offset` of `cpu`'s slot (`SLOT.ip`, `SLOT.exitPc`). */
  pcOf(cpu: Cpu, offset: number): number;
  /** The vCPU running a region (the slow paths' `c`). */
  cpu: Cpu | undefined;
  /** What the last failed helper threw, for the region's caller to throw. */
  fault: unknown;
  /**
   * Byte offset in the plugin memory (`MEM.plugins`) of the window where
   * plugin arena `arena` is mapped, mapping it on first use; undefined when
   * it cannot be (then regions it instruments stay in JavaScript).
   */
  arenaWindow(arena: number): number | undefined;
  /**
   * Byte offset in the plugin memory of ring `ring`'s batch store, moved
   * there on first use (`PluginHooks.shareBatch`), where regions append
   * their records in place; undefined when it cannot be.
   */
  recordBatch(ring: number): number | undefined;
  /**
   * The plugin memory's most pages (it grows to them as windows are
   * mapped), 0 until {@link arenaWindow} or {@link recordBatch} made it.
   */
  pluginPages: number;
  /**
   * The plugin memory, once {@link arenaWindow} or {@link recordBatch} made
   * it: the WebAssembly interpreter appends records there too.
   */
  readonly pluginMemory: WebAssembly.Memory | undefined;
  /** Writes `cpu.vcpuIndex` to its slot, for a region with per-vCPU scoreboard entries. */
  noteVcpuIndex(cpu: Cpu): void;
  /** Tells the plugins that a region streaming records stopped at the instruction at `pc` (`PluginHooks.fault`). */
  reportFault(cpu: Cpu, pc: number): void;
  /** What translation asks of vector words (`vector.ts`). */
  readonly vector: VectorTier;
}

/**
 * Bytes of a plugin arena's window in the plugin memory: a channel's
 * arena (`core/plugin/channel.ts`) is this size. The windows are address
 * space only until an arena is mapped into one.
 */
export const ARENA_WINDOW_BYTES = 64 << 20;
/** Windows of the plugin memory: instances loaded past it keep their regions in JavaScript. */
const ARENA_WINDOWS = 8;

/**
 * Where the rings' batch stores lie in the plugin memory: first, in the
 * pages the memory starts with. The rings' windows and the arenas' come
 * after, each grown into when it is mapped: the memory's size counts as
 * V8's external memory, and a memory of all of them at once (576 MiB) in
 * every guest process that streams records made a forked shell under
 * `-plugin bb` collect twice as often and run 10% longer.
 */
export const BATCH_AREA = 0;
/** Bytes between two rings' batch stores (a store, rounded up to 64). */
export const BATCH_STORE_BYTES = Math.ceil((BATCH_STORE_WORDS * 4) / 64) * 64;
/** Words of the longest record a region appends (a memory access's). */
export const MAX_RECORD_WORDS = 5;

const WASM_PAGE = 65536;

/** Where the rings' windows lie in the plugin memory: after the batch stores, on a page of their own. */
const RING_AREA = Math.ceil((BATCH_AREA + ARENA_WINDOWS * BATCH_STORE_BYTES) / WASM_PAGE) * WASM_PAGE;
/** Bytes of a ring's window: more than a channel's event ring (4 MiB and its header, in 64 KiB pages). */
const RING_WINDOW_BYTES = 8 << 20;
/** Where the arenas' windows lie in the plugin memory: after the rings'. */
const ARENA_AREA = RING_AREA + ARENA_WINDOWS * RING_WINDOW_BYTES;
/** The plugin memory's most pages, which modules declare (it starts with the batch stores'). */
const PLUGIN_PAGES = (ARENA_AREA + ARENA_WINDOWS * ARENA_WINDOW_BYTES) / WASM_PAGE;

/**
 * `memory.copy` within `memory` (shared, of at most `pages` pages) as a function
 * `(to, from, bytes)`: a module of its own, built when a ring is mapped.
 */
function memoryCopy(memory: WebAssembly.Memory, pages: number): (to: number, from: number, bytes: number) => void {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(out, 1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]);
  const imports = [1];
  name(imports, "m"), name(imports, "plugins"), imports.push(0x02, 0x03, 0), unsignedLeb(imports, pages);
  section(out, 2, imports);
  section(out, 3, [1, 0]);
  const exports = [1];
  name(exports, "copy"), exports.push(0x00, 0);
  section(out, 7, exports);
  const code = [0, OP.local_get, 0, OP.local_get, 1, OP.local_get, 2, 0xfc, 10, 0, 0, OP.end];
  section(out, 10, [1, code.length, ...code]);
  const module = new WebAssembly.Module(new Uint8Array(out));
  return new WebAssembly.Instance(module, { m: { plugins: memory } }).exports.copy as (
    to: number,
    from: number,
    bytes: number,
  ) => void;
}

/** Views of the whole register arena, made again when it has grown. */
function arenaViews(): () => { i32: Int32Array; f64: Float64Array } {
  let views = { i32: new Int32Array(registerMemory.buffer), f64: new Float64Array(registerMemory.buffer) };
  return () => {
    if (views.i32.byteLength !== arenaBytes()) {
      views = { i32: new Int32Array(registerMemory.buffer), f64: new Float64Array(registerMemory.buffer) };
    }
    return views;
  };
}

/**
 * The import that calls `core/fpu/` helper `fn` with the running vCPU and
 * the arguments `shape` names. Each is a function of its own (made by
 * `new Function`, not one closure shared by all), so that V8 sees one
 * callee at each wrapper's call site instead of fifty at a shared one.
 */
function fpImport(
  fn: (...args: never[]) => number | void,
  shape: FpShape,
  w: WasmRuntime,
  setValue: (lo: number, hi: number) => void,
): (...args: number[]) => number | void {
  const [args, result] = shape.split("->");
  const params = args.split(",").map((_, k) => `a${k}`).join(", ");
  const body = result === "x64" ? `{ const c = w.cpu; setValue(fn(c, ${params}), c.retHi); }` : `fn(w.cpu, ${params})`;
  return new Function("fn", "w", "setValue", `"use strict";\nreturn (${params}) => ${body};`)(fn, w, setValue);
}

/**
 * The WebAssembly runtime of `mem`, or undefined when its memory is not a
 * `WebAssembly.Memory` (then every region stays in JavaScript).
 */
export function makeWasmRuntime(
  mem: AddressSpace,
  slow: SlowPaths,
  plugins?: PluginHooks,
): WasmRuntime | undefined {
  const guest = mem.wasmMemory, pages = mem.pagesMemory;
  if (!guest || !pages) return undefined;
  const arena = arenaViews();
  /** Runs a slow path: status 0, or 1 with what it threw kept in `w.fault`. */
  const status = (run: () => void): number => {
    try {
      run();
      return 0;
    } catch (err) {
      w.fault = err;
      return 1;
    }
  };
  /** The running vCPU's slot's value word, as (low, high). */
  const value = (): [number, number] => {
    const i32 = arena().i32, at = (w.cpu!.slot + SLOT.value) >> 2;
    return [i32[at], i32[at + 1]];
  };
  const setValue = (lo: number, hi: number): void => {
    const i32 = arena().i32, at = (w.cpu!.slot + SLOT.value) >> 2;
    i32[at] = lo;
    i32[at + 1] = hi;
  };
  const memories = { guest, pages, regs: registerMemory };
  const h: Record<string, (...args: never[]) => number> = {
    ld: (lo: number, hi: number, imm: number, size: number, signed: number): number =>
      status(() => {
        const v = slow.ld(w.cpu!, lo, hi, imm, size, signed !== 0);
        // Loads of 1, 2 and 4 bytes come back extended to 32 bits as the instruction says, except lwu.
        setValue(v, size === 8 ? slow.RH[0] : signed !== 0 ? v >> 31 : 0);
      }),
    st: (lo: number, hi: number, imm: number, size: number): number =>
      status(() => {
        const [vlo, vhi] = value();
        slow.st(w.cpu!, lo, hi, imm, size, vlo, vhi);
      }),
    lr: (lo: number, hi: number, size: number): number =>
      status(() => {
        const v = slow.lr(w.cpu!, lo, hi, size);
        setValue(v, slow.RH[0]);
      }),
    sc: (lo: number, hi: number, size: number): number =>
      status(() => {
        const [vlo, vhi] = value();
        setValue(slow.sc(w.cpu!, lo, hi, size, vlo, vhi), 0);
      }),
    amo: (op: number, lo: number, hi: number, size: number): number =>
      status(() => {
        const [vlo, vhi] = value();
        const old = slow.amo(w.cpu!, op, lo, hi, size, vlo, vhi);
        setValue(old, slow.RH[0]);
      }),
    csr: (num: number, op: number, write: number, vlo: number): number =>
      status(() => {
        const old = slow.csr(w.cpu!, num, op, write !== 0, vlo);
        setValue(old, slow.RH[0]);
      }),
    badRm: (): number => status(() => resolveRm(w.cpu!, RM_DYN)),
    cboZero: (lo: number, hi: number): number => status(() => slow.cboZero(w.cpu!, lo, hi)),
    wrs: (): number => ((w.cpu!.reservation = -1), 0),
    // Not through `status`: a record is on the hot path, and `status` takes a closure made per call.
    record: (ring: number, id: number, vcpu: number): number => {
      try {
        plugins!.record(ring, id, vcpu);
        return 0;
      } catch (err) {
        w.fault = err;
        return 1;
      }
    },
    // A region found ring `ring`'s batch store full: publish it. A ring gone since keeps nothing.
    batchFull: (ring: number): number =>
      status(() => {
        plugins!.publishBatch!(ring);
        const at = batches.get(ring);
        if (at !== undefined) {
          const store = new Int32Array(pluginMemory!.buffer, at, 1);
          if (store[0] > BATCH_WORDS - MAX_RECORD_WORDS) store[0] = 0;
        }
      }),
    // The result (the low word; the high one in RH[0] where there is one) goes to the slot's value word.
    vector: (raw: number, lo1: number, hi1: number, lo2: number, hi2: number): number => {
      try {
        slow.RH[0] = 0;
        setValue(slow.vectorExecutor(raw >>> 0)(w.cpu!, lo1, hi1, lo2, hi2), slow.RH[0]);
        return 0;
      } catch (err) {
        w.fault = err;
        return 1;
      }
    },
    // A memory record, with the effective address already computed (so no offset).
    memRecord: (
      ring: number,
      id: number,
      vcpu: number,
      addressLo: number,
      addressHi: number,
      info: number,
      valueLo: number,
      valueHi: number,
    ): number => {
      try {
        plugins!.memRecord(ring, id, vcpu, addressLo, addressHi, 0, info, valueLo, valueHi);
        return 0;
      } catch (err) {
        w.fault = err;
        return 1;
      }
    },
  };
  const imports: { h: Record<string, WebAssembly.ImportValue>; m: Record<string, WebAssembly.ImportValue> } = {
    h: { ...h } as Record<string, WebAssembly.ImportValue>,
    m: { ...memories },
  };
  let fpImports = false;
  const w: WasmRuntime = {
    get imports() {
      // A function each, made by `new Function` (fpImport): 110 of them took about a millisecond at start-up, which
      // a run whose blocks the WebAssembly interpreter takes and that makes no region never needs.
      if (!fpImports) {
        fpImports = true;
        for (const name of Object.keys(FP_HELPERS) as FpHelper[]) {
          imports.h[name] = fpImport(
            fpu[name] as (...args: never[]) => number | void,
            FP_HELPERS[name],
            w,
            setValue,
          ) as WebAssembly.ImportValue;
        }
      }
      return imports;
    },
    faulting: h as unknown as Readonly<Record<string, (...args: number[]) => number>>,
    memories,
    guestPages: guest.buffer.byteLength / WASM_PAGE,
    pagesPages: pages.buffer.byteLength / WASM_PAGE,
    arenaMaxPages: ARENA_MAX_PAGES,
    pcOf: (cpu, offset) => arena().f64[(cpu.slot + offset) >> 3],
    cpu: undefined,
    fault: undefined,
    arenaWindow: (arena) => {
      if (!windows.has(arena)) windows.set(arena, mapArena(arena));
      return windows.get(arena);
    },
    recordBatch: (ring) => {
      if (!batches.has(ring)) batches.set(ring, moveBatch(ring));
      return batches.get(ring);
    },
    pluginPages: 0,
    get pluginMemory() {
      return pluginMemory;
    },
    noteVcpuIndex: (cpu) => void (arena().i32[(cpu.slot + SLOT.vcpuIndex) >> 2] = cpu.vcpuIndex),
    reportFault: (cpu, pc) => plugins?.fault(cpu, pc),
    vector: {
      shapeOf: (raw) => {
        try {
          return lastShape(slow.vectorExecutor(raw >>> 0));
        } catch {
          return undefined; // an encoding that runs as illegal
        }
      },
      storesInline: () => mem.writeTap === undefined,
    },
  };
  /** Each arena's window (undefined: it could not be mapped). */
  const windows = new Map<number, number | undefined>();
  let pluginMemory: WebAssembly.Memory | undefined;
  /** The plugin memory, made on first use, of the batch stores' pages (see {@link BATCH_AREA}). */
  const ensurePluginMemory = (): WebAssembly.Memory => {
    if (!pluginMemory) {
      pluginMemory = new WebAssembly.Memory({ initial: RING_AREA / WASM_PAGE, maximum: PLUGIN_PAGES, shared: true });
      imports.m.plugins = pluginMemory;
      w.pluginPages = PLUGIN_PAGES;
    }
    return pluginMemory;
  };
  /** Grows the plugin memory to hold `end` bytes (before a window there is mapped: growing must not replace it). */
  const growTo = (end: number): void => {
    const memory = ensurePluginMemory(), have = memory.buffer.byteLength;
    if (end > have) memory.grow(Math.ceil((end - have) / WASM_PAGE));
  };
  /** Each ring's batch store (undefined: the ring has none to move). */
  const batches = new Map<number, number | undefined>();
  const moveBatch = (ring: number): number | undefined => {
    if (!plugins?.shareBatch || ring < 0 || ring >= ARENA_WINDOWS) return undefined;
    const offset = BATCH_AREA + ring * BATCH_STORE_BYTES, memory = ensurePluginMemory();
    const store = new Int32Array(memory.buffer, offset, BATCH_STORE_WORDS);
    const at = pluginMemoryAddress(), window = RING_AREA + ring * RING_WINDOW_BYTES;
    if (at === undefined) return plugins.shareBatch(ring, store) ? offset : undefined;
    growTo(window + RING_WINDOW_BYTES);
    copy ??= memoryCopy(memory, w.pluginPages);
    const words = (to: number, from: number, n: number) => copy!(window + 4 * to, offset + 4 + 4 * from, 4 * n);
    return plugins.shareBatch(ring, store, { address: at + window, bytes: RING_WINDOW_BYTES, copy: words })
      ? offset
      : undefined;
  };
  /** `memory.copy` in the plugin memory, made with the first ring's window. */
  let copy: ((to: number, from: number, bytes: number) => void) | undefined;
  /** The plugin memory's address in this process; undefined without the FFI permission. */
  const pluginMemoryAddress = (): number | undefined => {
    try {
      return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(ensurePluginMemory().buffer))));
    } catch {
      return undefined;
    }
  };
  const mapArena = (arena: number): number | undefined => {
    if (!plugins?.shareArena || arena < 0 || arena >= ARENA_WINDOWS) return undefined;
    const base = pluginMemoryAddress();
    if (base === undefined) return undefined; // no FFI permission: no address to map at
    const offset = ARENA_AREA + arena * ARENA_WINDOW_BYTES;
    growTo(offset + ARENA_WINDOW_BYTES);
    return plugins.shareArena(arena, base + offset, ARENA_WINDOW_BYTES) ? offset : undefined;
  };
  return w;
}
