/**
 * The WebAssembly tier: a region of hot blocks (`../region.ts` chooses
 * them) compiled to one WebAssembly function instead of one JavaScript
 * function. Guest registers are i64 locals, so 64-bit arithmetic costs one
 * instruction instead of the JavaScript tiers' int32-pair sequences; guest
 * memory is the address space's own `WebAssembly.Memory`, and page flags
 * are a second memory, checked on every access as in the JavaScript tier.
 *
 * The function is the JavaScript region's loop in WebAssembly's structured
 * control flow: a `loop` around nested `block`s entered through a
 * `br_table` on the current block number, each guest block's code after
 * the `end` of its `block`; a jump inside the region sets the number and
 * branches to the loop, with the same budget on backward jumps and the
 * same return sites for indirect jumps. Everything else leaves with the
 * next pc (or an exit code) as an f64.
 *
 * A region qualifies when every one of its instructions has a translation
 * (`trans.ts`) and no plugin instruments it; otherwise the caller compiles
 * it in JavaScript.
 *
 * @module
 */

import type { Cpu } from "../../cpu/state.ts";
import { OP_INFO } from "../../isa/ops_generated.ts";
import { EXIT_ILLEGAL } from "../emitter.ts";
import { blockExits, REGION_BUDGET, type RegionLimits, returnSites } from "../region.ts";
import type { WasmRuntime } from "./runtime.ts";
import type { BlockFn, TranslationBlock } from "../translator.ts";
import type { Insn } from "../../isa/insn.ts";
import { Code, F64, I32, I64, name, OP, section, unsignedLeb, VOID } from "./encoding.ts";
import { WasmEmitter } from "./emitter.ts";
import { FN, FP_HELPERS, type FpHelper, IMPORTED_NAMES, MEM, WASM_FAULT } from "./layout.ts";
import { SLOT } from "../../cpu/register_arena.ts";
import {
  LEFT_TO_JAVASCRIPT,
  PAGE_NEEDS,
  VECTOR_SET,
  WASM_TRANS,
  wasmTranslatable,
  wordResults,
  wordsAfter,
} from "./trans.ts";
import { type Scope, type Structure, structure } from "./structure.ts";
import {
  type ArenaWindows,
  cacheBatchCounts,
  countRepeats,
  emitCounterEntry,
  emitCounterFlush,
  emitExecActions,
  emitMemActions,
  emitRepeatJump,
  flushBatchCounts,
  flushRepeats,
  promoteCounters,
  repeatableRecord,
  usesVcpuIndex,
  wasmInstrumentable,
} from "./instrument.ts";
import { type ExecAction, streamsRecords } from "../plugin_actions.ts";
import { hasVector, WRITES_RD } from "../vector_ops.ts";
import type { VectorTier } from "./runtime.ts";

/**
 * Limits of a WebAssembly region: larger than a JavaScript one's, since a
 * module compiles in a fraction of the time. Measured on busybox gzip -6
 * of 4 MB: its deflate loop is more than 48 blocks, and with the JavaScript
 * limits two regions called each other 2.5 M times each; with these, all
 * region calls together were 25 K.
 */
export const WASM_REGION_LIMITS: RegionLimits = { blocks: 128, insns: 2048 };

/** The module's own helpers, `(a: i64, b: i64) -> i64`, in `FN` order from `FN.mulhu` (after the imports). */
const HELPERS: readonly ((c: Code) => number[])[] = [
  ...mHelpers(FN.mulhu),
  (c) => clmulBody(c, "clmul"),
  (c) => clmulBody(c, "clmulr"),
  (c) => clmulBody(c, "clmulh"),
];

/**
 * Zbc's carry-less products, as the specification's loops: for each bit i of
 * b that is set, a shifted left by i (clmul), or right by 63 - i (clmulr) or
 * 64 - i (clmulh, from i = 1), is xored into the result.
 */
function clmulBody(c: Code, kind: "clmul" | "clmulr" | "clmulh"): number[] {
  // Locals: 0 a, 1 b, 2 the result, 3 i.
  const result = 2, i = 3;
  if (kind === "clmulh") c.i64Const(1).localSet(i);
  c.open(OP.loop, VOID);
  c.localGet(result).localGet(0);
  if (kind === "clmul") c.localGet(i).op(OP.i64_shl);
  else c.i64Const(kind === "clmulr" ? 63 : 64).localGet(i).op(OP.i64_sub).op(OP.i64_shr_u);
  // All ones when bit i of b is set, else 0.
  c.i64Const(0).localGet(1).localGet(i).op(OP.i64_shr_u).i64Const(1).op(OP.i64_and).op(OP.i64_sub);
  c.op(OP.i64_and).op(OP.i64_xor).localSet(result);
  c.localGet(i).i64Const(1).op(OP.i64_add).localTee(i).i64Const(64).op(OP.i64_lt_u);
  c.br(OP.br_if, 0).op(OP.end);
  c.localGet(result);
  return [I64, I64];
}

/** High 64 bits of the unsigned 128-bit product, from four 32×32 products. Returns its extra locals. */
function mulhuBody(c: Code): number[] {
  // Locals: 0 a, 1 b, 2 ah, 3 bh, 4 lo×lo, 5 lo×hi, 6 hi×lo.
  const lowHalf = (x: number) => c.localGet(x).i64Const(0xffffffff).op(OP.i64_and);
  const highHalf = (x: number) => c.localGet(x).i64Const(32).op(OP.i64_shr_u);
  highHalf(0).localSet(2);
  highHalf(1).localSet(3);
  lowHalf(0), lowHalf(1), c.op(OP.i64_mul).localSet(4);
  lowHalf(0), c.localGet(3).op(OP.i64_mul).localSet(5);
  c.localGet(2), lowHalf(1), c.op(OP.i64_mul).localSet(6);
  // hi×hi + (lo×hi >> 32) + (hi×lo >> 32) + the carry of the middle column.
  c.localGet(2).localGet(3).op(OP.i64_mul);
  c.localGet(5).i64Const(32).op(OP.i64_shr_u).op(OP.i64_add);
  c.localGet(6).i64Const(32).op(OP.i64_shr_u).op(OP.i64_add);
  c.localGet(4).i64Const(32).op(OP.i64_shr_u);
  lowHalf(5).op(OP.i64_add);
  lowHalf(6).op(OP.i64_add);
  c.i64Const(32).op(OP.i64_shr_u).op(OP.i64_add);
  return [I64, I64, I64, I64, I64];
}

/** mulh (both signed) or mulhsu (a signed): mulhu (function `mulhu` of the module) corrected by the signs. */
function mulhBody(c: Code, bSigned: boolean, mulhu: number): number[] {
  c.localGet(0).localGet(1).call(mulhu);
  // - (a < 0 ? b : 0)
  c.localGet(1).localGet(0).i64Const(63).op(OP.i64_shr_s).op(OP.i64_and).op(OP.i64_sub);
  // - (b < 0 ? a : 0)
  if (bSigned) c.localGet(0).localGet(1).i64Const(63).op(OP.i64_shr_s).op(OP.i64_and).op(OP.i64_sub);
  return [];
}

/**
 * RISC-V division and remainder, which never trap: by zero the quotient
 * is all ones and the remainder the dividend; the signed overflow
 * (MIN / -1) gives MIN and 0, which dividing by 1 instead also gives.
 * The 32-bit forms work on the low words and sign-extend the result.
 */
function divBody(c: Code, bits: 32 | 64, signed: boolean, kind: "div" | "rem"): number[] {
  const w = bits === 32;
  const a = () => (c.localGet(0), w ? c.op(OP.i32_wrap_i64) : c);
  const b = () => (c.localGet(1), w ? c.op(OP.i32_wrap_i64) : c);
  const eqz = w ? OP.i32_eqz : OP.i64_eqz;
  const one = () => (w ? c.i32Const(1) : c.i64Const(1));
  const minusOne = () => (w ? c.i32Const(-1) : c.i64Const(-1));
  const eq = w ? OP.i32_eq : OP.i64_eq;
  const op = w
    ? { div: [OP.i32_div_s, OP.i32_div_u], rem: [OP.i32_rem_s, OP.i32_rem_u] }[kind][signed ? 0 : 1]
    : { div: [OP.i64_div_s, OP.i64_div_u], rem: [OP.i64_rem_s, OP.i64_rem_u] }[kind][signed ? 0 : 1];
  b().op(eqz);
  c.open(OP.if, w ? I32 : I64);
  if (kind === "div") minusOne();
  else a();
  c.op(OP.else);
  a();
  if (signed) {
    // The divisor, or 1 on overflow.
    one(), b();
    a(), (w ? c.i32Const(-0x80000000) : c.i64Const(-(2n ** 63n))), c.op(eq);
    b(), minusOne(), c.op(eq);
    c.op(OP.i32_and).op(OP.select);
  } else {
    b();
  }
  c.op(op).op(OP.end);
  if (w) c.op(OP.i64_extend_i32_s);
  return [];
}

/**
 * The bodies of the M extension's helpers, in `FN` order from `mulhu`
 * (mulhu, mulh, mulhsu, div, divu, rem, remu, divw, divuw, remw, remuw),
 * for a module whose `mulhu` is function `mulhu`.
 */
export function mHelpers(mulhu: number): ((c: Code) => number[])[] {
  return [
    mulhuBody,
    (c) => mulhBody(c, true, mulhu),
    (c) => mulhBody(c, false, mulhu),
    (c) => divBody(c, 64, true, "div"),
    (c) => divBody(c, 64, false, "div"),
    (c) => divBody(c, 64, true, "rem"),
    (c) => divBody(c, 64, false, "rem"),
    (c) => divBody(c, 32, true, "div"),
    (c) => divBody(c, 32, false, "div"),
    (c) => divBody(c, 32, true, "rem"),
    (c) => divBody(c, 32, false, "rem"),
  ];
}

/** Function types of the module, by index in {@link TYPES}. */
const TYPE = { region: 0, arith: 1 } as const;
/** Most i32 parameters of an imported helper. */
const MAX_IMPORT_PARAMS = 8;
const PARAM_COUNTS = Array.from({ length: MAX_IMPORT_PARAMS + 1 }, (_, n) => n);
/**
 * Function types as [parameters, results]: the region, the arithmetic
 * helpers, then `(i32 × n) -> i32` and `(i32 × n) -> ()` for n up to
 * {@link MAX_IMPORT_PARAMS} (imported helpers: {@link importType}).
 */
const TYPES: readonly [number[], number[]][] = [
  [[I32], [F64]], // the region: the vCPU's slot -> the next pc or an exit code
  [[I64, I64], [I64]],
  ...PARAM_COUNTS.map((n): [number[], number[]] => [new Array(n).fill(I32), [I32]]),
  ...PARAM_COUNTS.map((n): [number[], number[]] => [new Array(n).fill(I32), []]),
];

/** Parameters of the faulting helpers (each returns its status). */
const FAULTING_PARAMS: Readonly<Record<string, number>> = {
  ld: 5,
  st: 4,
  lr: 3,
  sc: 3,
  amo: 4,
  csr: 4,
  badRm: 0,
  cboZero: 2,
  wrs: 0,
  record: 3,
  memRecord: 8,
  batchFull: 1,
  vector: 5,
};

/** The type index of imported helper `field`: its i32 parameters, and an i32 result or none. */
function importType(field: typeof IMPORTED_NAMES[number]): number {
  let params: number, result: boolean;
  if (field in FP_HELPERS) {
    const [args, res] = FP_HELPERS[field as FpHelper].split("->");
    params = args.split(",").length;
    result = res === "x";
  } else {
    params = FAULTING_PARAMS[field];
    result = true;
  }
  return 2 + (result ? 0 : MAX_IMPORT_PARAMS + 1) + params;
}

/** The imported functions (`runtime.ts`), in `FN` order, with their types. */
const IMPORTED: readonly [string, number][] = IMPORTED_NAMES.map((field) => [field, importType(field)]);

/** A function body: its locals (grouped by type), its code and `end`, with its size in front. */
export function body(locals: readonly number[], code: readonly number[]): Uint8Array {
  const head: number[] = [];
  const groups: [number, number][] = [];
  for (const t of locals) {
    if (groups.length && groups[groups.length - 1][1] === t) groups[groups.length - 1][0]++;
    else groups.push([1, t]);
  }
  unsignedLeb(head, groups.length);
  for (const [n, t] of groups) unsignedLeb(head, n), head.push(t);
  const size: number[] = [];
  unsignedLeb(size, head.length + code.length + 1);
  const out = new Uint8Array(size.length + head.length + code.length + 1);
  out.set(size);
  out.set(head, size.length);
  out.set(code, size.length + head.length);
  out[out.length - 1] = OP.end;
  return out;
}

/**
 * The custom section of branch hints (the WebAssembly branch hinting
 * proposal, which V8 follows) for function `func`, each hint's offset
 * counted from the start of the function's locals. V8 then lays the slow
 * paths out of line and moves their register spills there: without the
 * hints, crc32's table loop spilled the values live across a slow path's
 * helper call on every iteration (side by side, medians of 5: crc32 408 →
 * 340 ms, matmul 783 → 730, nbody 432 → 409; ARCHITECTURE.md).
 */
function branchHints(func: number, hints: readonly (readonly [offset: number, likely: 0 | 1])[]): number[] {
  const out: number[] = [];
  if (hints.length === 0) return out;
  const contents: number[] = [];
  name(contents, "metadata.code.branch_hint");
  unsignedLeb(contents, 1);
  unsignedLeb(contents, func);
  unsignedLeb(contents, hints.length);
  // Each hint: the instruction's offset, the payload's size (1 byte), and the payload.
  for (const [at, likely] of hints) unsignedLeb(contents, at), contents.push(1, likely);
  section(out, 0, contents);
  return out;
}

/** Memory limits as an import declares them: exactly `pages` pages. */
function limits(out: number[], pages: number, shared: boolean): void {
  out.push(shared ? 0x03 : 0x01);
  unsignedLeb(out, pages);
  unsignedLeb(out, pages);
}

/** The helpers' bodies, the same in every module: encoded once. */
let helperBodies: Uint8Array | undefined;

/** Everything of a module before its code section, which is the same for every region of `w`'s address space. */
const headers = new WeakMap<WasmRuntime, { pluginPages: number; header: Uint8Array }>();

function moduleHeader(w: WasmRuntime): Uint8Array {
  const cached = headers.get(w);
  if (cached?.pluginPages === w.pluginPages) return cached.header;
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // The types of TYPES, each a function type: 0x60, its parameters, its results.
  const types: number[] = [TYPES.length];
  for (const [params, results] of TYPES) types.push(0x60, params.length, ...params, results.length, ...results);
  section(out, 1, types);
  const imports: number[] = [IMPORTED.length + (w.pluginPages > 0 ? 4 : 3)];
  const imp = (module: string, field: string) => (name(imports, module), name(imports, field));
  for (const [field, type] of IMPORTED) imp("h", field), imports.push(0x00, type);
  imp("m", "guest"), imports.push(0x02), limits(imports, w.guestPages, true);
  imp("m", "pages"), imports.push(0x02), limits(imports, w.pagesPages, false);
  imp("m", "regs"), imports.push(0x02, 0x03, 1), unsignedLeb(imports, w.arenaMaxPages);
  // The plugin memory grows as windows are mapped into it: at least none of its pages, at most all.
  if (w.pluginPages > 0) imp("m", "plugins"), imports.push(0x02, 0x03, 0), unsignedLeb(imports, w.pluginPages);
  section(out, 2, imports);
  const funcs: number[] = [];
  unsignedLeb(funcs, HELPERS.length + 1);
  for (let k = 0; k < HELPERS.length; k++) funcs.push(TYPE.arith);
  funcs.push(TYPE.region);
  section(out, 3, funcs);
  const exports: number[] = [1];
  name(exports, "run");
  exports.push(0x00);
  unsignedLeb(exports, FN.mulhu + HELPERS.length);
  section(out, 7, exports);
  const header = new Uint8Array(out);
  headers.set(w, { pluginPages: w.pluginPages, header });
  return header;
}

/** The module's bytes around the region function's locals and code. */
function moduleBytes(
  w: WasmRuntime,
  regionLocals: readonly number[],
  regionCode: readonly number[],
  regionHints: readonly (readonly [offset: number, likely: 0 | 1])[],
): Uint8Array<ArrayBuffer> {
  if (!helperBodies) {
    const parts = HELPERS.map((make) => {
      const c = new Code();
      return body(make(c), c.bytes);
    });
    helperBodies = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (helperBodies!.set(p, at), at + p.length), 0);
  }
  const region = body(regionLocals, regionCode);
  // The hints' offsets count from the start of the body's locals, after its size (a LEB128: up to its first byte < 0x80).
  const codeStart = region.length - (region.findIndex((b) => b < 0x80) + 1) - regionCode.length - 1;
  const hints = branchHints(FN.mulhu + HELPERS.length, regionHints.map(([at, likely]) => [codeStart + at, likely]));
  const header = moduleHeader(w);
  const count: number[] = [];
  unsignedLeb(count, HELPERS.length + 1);
  const size: number[] = [10];
  unsignedLeb(size, count.length + helperBodies.length + region.length);
  const parts = [header, hints, size, count, helperBodies, region];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, at), at += part.length;
  return out;
}

/**
 * Whether the WebAssembly tier can compile `region`: with `w`, blocks whose
 * plugin instrumentation is inline operations on arenas `w` can map are
 * taken too.
 */
export function wasmRegionSupported(region: readonly TranslationBlock[], w?: WasmRuntime): boolean {
  const windows: ArenaWindows | undefined = w && { arena: (k) => w.arenaWindow(k), batch: (r) => w.recordBatch(r) };
  return region.every((tb) =>
    // Instrumented vector instructions stay in JavaScript, which reports their elements.
    (tb.instr === undefined ||
      (windows !== undefined && wasmInstrumentable(tb.instr, tb.insns, windows) && !hasVector(tb.insns))) &&
    wasmTranslatable(tb.insns, w?.vector)
  );
}

/** The jumps between blocks of `region` ([from, to] indexes) that its code may take, as far as known before emitting. */
function regionEdges(region: readonly TranslationBlock[], sites: readonly TranslationBlock[]): [number, number][] {
  const index = new Map(region.map((tb, k) => [tb.pc, k]));
  const edges: [number, number][] = [];
  const to = (from: number, pc: number) => {
    const k = index.get(pc);
    if (k !== undefined) edges.push([from, k]);
  };
  region.forEach((tb, k) => {
    const { targets, indirect } = blockExits(tb);
    for (const pc of targets) to(k, pc);
    if (indirect) { for (const site of sites) to(k, site.pc); }
  });
  return edges;
}

/**
 * The registers (bits) holding sign-extended words at the start of each
 * block of `region` whatever jump led there (`wordsAfter` in `trans.ts`),
 * given its `edges`: those every predecessor leaves, found by iterating
 * from "all" down to a fixed point; none at a block no edge reaches. The
 * head is entered from the dispatcher too, where nothing is known. With
 * `checkedHead`, its caller checks at each entry that the registers hold
 * the words that the jumps back to the head leave even so (what a loop's
 * body makes words: a register the loop does not write would be one
 * there only because it was at the entry), and those are known there too
 * ({@link compileWasmRegion}).
 */
function startWords(
  region: readonly TranslationBlock[],
  edges: readonly [number, number][],
  checkedHead: boolean,
): number[] {
  const from: number[][] = region.map(() => []);
  for (const [f, t] of edges) from[t].push(f);
  /** The fixed point with `head` known at the head. */
  const solve = (head: number) => {
    const out = region.map(() => ~0);
    const start = region.map((_, k) => (k === 0 ? head : from[k].length > 0 ? ~0 : 0));
    for (let changed = true; changed;) {
      changed = false;
      region.forEach((tb, k) => {
        if (k > 0 && from[k].length > 0) start[k] = from[k].reduce((w, f) => w & out[f], ~0);
        let w = start[k];
        for (const i of tb.insns) if (i !== null) w = wordsAfter(i, w);
        if (w !== out[k]) out[k] = w, changed = true;
      });
    }
    return { start, out };
  };
  const unchecked = solve(0);
  if (!checkedHead || from[0].length === 0) return unchecked.start;
  // More known at the head only adds to what the jumps back leave: these stay true there.
  const back = from[0].reduce((w, f) => w & unchecked.out[f], ~0) & ~1; // x0 goes without saying
  return back === 0 ? unchecked.start : solve(back).start;
}

/**
 * The region's blocks in reverse postorder from its head (the head stays
 * first): then a jump back to an earlier block is a loop's, and a loop's
 * blocks come together, which `structure.ts` needs (a region's own order
 * puts a loop entered in its middle, as compilers lay out `while` loops,
 * after its head). Blocks no jump reaches keep their order, at the end.
 */
function reversePostorder(region: readonly TranslationBlock[]): TranslationBlock[] {
  const next: number[][] = region.map(() => []);
  for (const [from, to] of regionEdges(region, returnSites(region))) next[from].push(to);
  const seen = new Uint8Array(region.length), post: number[] = [];
  const visit = (k: number) => {
    seen[k] = 1;
    for (const to of next[k]) if (!seen[to]) visit(to);
    post.push(k);
  };
  visit(0);
  const order = post.reverse();
  region.forEach((_, k) => seen[k] || order.push(k));
  return order.map((k) => region[k]);
}

/** The structure of `region`'s function (undefined: one `br_table` for all jumps), for tests and diagnostics. */
export function regionStructure(region: readonly TranslationBlock[]): Structure | undefined {
  region = reversePostorder(region);
  return structure(regionEdges(region, returnSites(region)));
}

/**
 * Plain loads and stores of one block through one base register, checked
 * together (`groupAccess` in `trans.ts`): when the bytes from the lowest
 * offset to the end of the highest access lie on one page that allows all
 * of them, every access of the group runs inline without a check of its
 * own; otherwise each checks for itself as a lone access does. Nothing
 * between the check and the group's last access changes the answer: the
 * base register keeps its value, and a page's flags change only through a
 * system call, a translation or `munmap`/`mprotect` from another thread,
 * none of which can come inside a block (threads run one at a time); a
 * store into translated code may only clear a page's code flag.
 */
interface AccessGroup {
  /** The index of the group's first access, where its check runs. */
  readonly first: number;
  readonly base: number;
  /** The lowest offset of its accesses, and the highest end (offset + size). */
  lo: number;
  end: number;
  loads: boolean;
  stores: boolean;
  /** Whether all of its accesses are at the same offset with the same size. */
  oneAddress: boolean;
  /** Its accesses' indexes. */
  readonly members: number[];
}

/**
 * The most bytes a group spans: the wider, the more often its range
 * crosses a page and its accesses check one by one after all.
 */
const GROUP_SPAN = 1024;

/**
 * The access groups of a block of `insns`, by access index; only groups of
 * two accesses or more. A group ends where its base register is written
 * (a load into it is the group's last access), at a jump, an atomic or
 * vector instruction or a cache-block operation (which reach memory
 * through helpers), and where an access would make it span more than
 * {@link GROUP_SPAN} bytes (which starts a new one).
 */
function accessGroups(insns: readonly (Insn | null)[]): Map<number, AccessGroup> {
  const byAccess = new Map<number, AccessGroup>();
  const open = new Map<number, AccessGroup>();
  const close = (g: AccessGroup) => {
    if (g.members.length > 1) { for (const k of g.members) byAccess.set(k, g); }
    open.delete(g.base);
  };
  for (let j = 0; j < insns.length; j++) {
    const i = insns[j];
    if (!i) break;
    const info = OP_INFO[i.op], kind = info.mem?.kind;
    if (kind === "load" || kind === "store") {
      const size = info.mem!.size;
      let g = open.get(i.rs1);
      if (g && Math.max(g.end, i.imm + size) - Math.min(g.lo, i.imm) > GROUP_SPAN) close(g), g = undefined;
      if (!g) {
        g = {
          first: j,
          base: i.rs1,
          lo: i.imm,
          end: i.imm + size,
          loads: false,
          stores: false,
          oneAddress: true,
          members: [],
        };
        open.set(i.rs1, g);
      }
      if (i.imm !== g.lo || i.imm + size !== g.end) g.oneAddress = false;
      g.lo = Math.min(g.lo, i.imm), g.end = Math.max(g.end, i.imm + size);
      g.members.push(j);
      if (kind === "load") g.loads = true;
      else g.stores = true;
    } else if (info.flow || kind !== undefined || VECTOR_SET.has(i.op) || i.op.startsWith("cbo.")) {
      for (const g of [...open.values()]) close(g);
      continue;
    }
    // An integer register the instruction writes ends the group through it (after a load's own access).
    const g = i.rd !== 0 && !info.fp.includes("rd") ? open.get(i.rd) : undefined;
    if (g) close(g);
  }
  for (const g of [...open.values()]) close(g);
  return byAccess;
}

/**
 * Backward jumps a WebAssembly region may make before it returns, while its
 * thread runs alone and once it is warm ({@link WARM_MS}), instead of
 * `REGION_BUDGET`. Each return goes through the CPU loop, and its next
 * dispatch may be to a block that heads a smaller region (a region is
 * entered at its head only): after a return in the middle of own sha256's
 * compression loop, four or five regions ran before its main one again
 * (150,000 region calls for 64 MiB).
 * 2^16 bounds how late the CPU loop sees a signal or a timer to a few
 * milliseconds even for long loop bodies.
 */
const LONG_REGION_BUDGET = 1 << 16;
/** How long after its compile a region keeps the short budget (ms): about when TurboFan's code is ready. */
const WARM_MS = 20;
/**
 * How far below zero the budget may go at backward jumps to other blocks
 * than the head, and at indirect jumps, before the region leaves anyway
 * (`countBackwardJump` in {@link emitWasmRegion}).
 */
const OVERDRAFT = REGION_BUDGET;

/** What {@link emitWasmRegion} throws when its structure does not fit the code after all. */
class Unstructured extends Error {}

/** A region function's code, its locals and branch hints, and the words its head takes for granted (`startWords`). */
interface EmittedRegion {
  locals: number[];
  code: number[];
  hints: [number, 0 | 1][];
  headWords: number;
}

/**
 * Emits the region function's code. With `structured`, jumps are `br`s to
 * the labels `structure.ts` places (where it can), otherwise through one
 * `br_table` in an outer loop. `counted`: as the JavaScript tier's
 * `compileRegion`, every jump from one block of the region to another is
 * a block done, against the slot's `blocksLeft`. `checkedHead`: the
 * caller checks the head's words at each entry (`startWords`).
 */
function emitWasmRegion(
  region: readonly TranslationBlock[],
  structured: boolean,
  counted: boolean,
  windows: ArenaWindows,
  perVcpu: boolean,
  checkedHead: boolean,
  vector?: VectorTier,
): EmittedRegion {
  region = reversePostorder(region);
  const e = new WasmEmitter();
  e.vector = vector;
  let regs = 0, written = 0;
  for (const tb of region) {
    for (const i of tb.insns) {
      if (!i) continue;
      if (VECTOR_SET.has(i.op)) {
        // Vector register numbers are not integer registers: x[rs1] and x[rs2] go to the executor, x[rd] only
        // some write.
        regs |= (1 << i.rs1) | (1 << i.rs2);
        if (WRITES_RD.has(i.op)) regs |= 1 << i.rd, written |= 1 << i.rd;
        continue;
      }
      // Fields naming FP registers are not integer registers (FP registers stay in the slot).
      const fp = OP_INFO[i.op].fp;
      for (const field of ["rd", "rs1", "rs2"] as const) if (!fp.includes(field)) regs |= 1 << i[field];
      if (!fp.includes("rd")) written |= 1 << i.rd;
    }
  }
  e.useRegisters(regs, written);
  const bud = e.local(I32), nx = e.local(F64);
  e.ip = e.local(F64);
  const n = region.length;
  const index = new Map(region.map((tb, k) => [tb.pc, k]));
  const sites = returnSites(region);
  const edges = regionEdges(region, sites);
  const shape = structured ? structure(edges) : undefined;
  const wordsAtStart = startWords(region, edges, checkedHead);
  const c = e.code;
  let current = 0;
  /** Labels open around the current code, innermost last (the structured form). */
  const open: Scope[] = [];
  /** The structured form's `br` depth of `scope`, or undefined when it is not around the current code. */
  const depthOf = (scope: Scope | undefined) => {
    const at = scope ? open.lastIndexOf(scope) : -1;
    return at < 0 ? undefined : open.length - 1 - at + e.nest;
  };
  // Without a structure: the blocks' code follows the `end`s of n nested `block`s inside one loop,
  // entered through a `br_table` on block number `b`.
  const b = shape ? -1 : e.local(I32);
  // Without a structure, a block that jumps to itself still loops in a `loop` of its own (selfLoop is 1 inside
  // it), not through the `br_table`: sha256's round loops are such blocks inside a region that does not nest.
  const loopsToItself = shape ? new Set<number>() : new Set(edges.flatMap(([f, t]) => f === t ? [f] : []));
  let selfLoop = 0;
  /** The block records that blocks jumping to themselves count instead of appending at each pass, by block. */
  const repeatable = new Map<number, ExecAction>();
  /** Which entry of a loop with several the next pass through its head goes to (0: the head). */
  const entry = shape?.scopes.some((scope) => scope.entries) ? e.local(I32) : -1;
  const toLoop = () => n - 1 - current + e.nest + selfLoop;
  const toExit = () => (shape ? open.length : n - current + selfLoop) + e.nest;
  e.leave = () => (c.localSet(nx), c.br(OP.br, toExit()));
  e.fault = () => c.br(OP.br, toExit() + 1);
  /**
   * Before a backward jump to block k (at `pc`): counts it against the budget. The region leaves when the budget has
   * run out at a jump back to its head, so that the CPU loop's next dispatch is the region again; at other jumps only
   * once it is overdrawn by {@link OVERDRAFT} (an inner loop that does not go back to the head still returns).
   */
  const countBackwardJump = (k: number, pc: number) => {
    c.localGet(bud).i32Const(1).op(OP.i32_sub).localTee(bud).i32Const(k === 0 ? 0 : -OVERDRAFT).op(OP.i32_lt_s);
    c.unlikely();
    e.if(VOID);
    c.f64Const(pc), e.leave(e);
    e.end();
  };
  /** In a counted region, before a jump to another block: leaves with `pc` when no block is left, else counts one. */
  const countBlock = (pc: number) => {
    if (!counted) return;
    // `<= 0`, not `== 0`: a budget that arrived below zero still stops the region at its next jump.
    c.localGet(bud).i32Const(0).op(OP.i32_le_s);
    c.unlikely();
    e.if(VOID);
    c.f64Const(pc), e.leave(e);
    e.end();
    c.localGet(bud).i32Const(1).op(OP.i32_sub).localSet(bud);
  };
  /** Jumps to block k (at `pc`), or leaves with `pc` when no label of the structure leads there. */
  const enter = (k: number, pc: number) => {
    if (!shape) {
      countBlock(pc);
      if (k === current && selfLoop) {
        if (repeatable.has(k)) emitRepeatJump(e);
        return c.br(OP.br, e.nest);
      }
      return k > current
        ? c.br(OP.br, k - current - 1 + e.nest + selfLoop)
        : (c.i32Const(k).localSet(b), c.br(OP.br, toLoop()));
    }
    let depth = depthOf(k > current ? shape.blockTo.get(k) : shape.loopAt.get(k));
    const loop = shape.entryOf.get(k);
    if (depth === undefined && loop && loop.first > current) {
      // Another entry of a loop ahead: through the loop's head, with the entry's number set.
      depth = depthOf(shape.blockTo.get(loop.first));
      if (depth !== undefined) c.i32Const(loop.entries!.indexOf(k) + 1).localSet(entry);
    }
    if (depth === undefined) return c.f64Const(pc), e.leave(e);
    countBlock(pc);
    if (k === current && repeatable.has(k)) emitRepeatJump(e);
    c.br(OP.br, depth);
  };
  e.goto = (e, pc) => {
    const k = index.get(pc);
    if (k === undefined) return c.f64Const(pc), e.leave(e);
    if (k <= current && !counted) countBackwardJump(k, pc);
    enter(k, pc);
  };
  e.gotoDynamic = (e, target) => {
    c.localGet(target).op(OP.f64_convert_i64_u).localSet(nx);
    if (sites.length > 0) {
      // Counted, each jump to a return site counts as it is taken (enter); else any indirect jump counts.
      if (!counted) {
        c.localGet(bud).i32Const(1).op(OP.i32_sub).localTee(bud).i32Const(-OVERDRAFT).op(OP.i32_ge_s);
        e.if(VOID);
      }
      for (const tb of sites) {
        c.localGet(target).i64Const(tb.pc).op(OP.i64_eq);
        e.if(VOID);
        enter(index.get(tb.pc)!, tb.pc);
        e.end();
      }
      if (!counted) e.end();
    }
    c.localGet(nx), e.leave(e);
  };
  e.loadRegisters();
  const vcpu = perVcpu ? e.local(I64) : -1;
  if (vcpu >= 0) {
    c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.vcpuIndex).op(OP.i64_extend_i32_u).localSet(vcpu);
  }
  const promoted = promoteCounters(region.map((tb) => tb.instr), windows);
  if (promoted.length > 0) e.counters = emitCounterEntry(e, promoted, windows, vcpu);
  cacheBatchCounts(e, region.map((tb) => tb.instr), windows);
  for (const [f, t] of edges) {
    const record = f === t ? repeatableRecord(region[f].instr, windows) : undefined;
    if (record) repeatable.set(f, record);
  }
  countRepeats(e, [...repeatable.values()], windows, vcpu);
  // Blocks left in a counted slice, else the backward jumps its caller allows (`compileWasmRegion`).
  c.localGet(e.slot).mem(OP.i32_load, MEM.regs, 2, SLOT.blocksLeft).localSet(bud);
  c.open(OP.block).open(OP.block); // the fault exit, the normal exit
  if (!shape) {
    c.open(OP.loop);
    for (let k = n - 1; k >= 0; k--) c.open(OP.block);
    c.localGet(b).brTable(region.map((_, k) => k), 0);
  }
  /** The i32 locals of the access groups' checks, the n-th group of each block in the n-th (made when needed). */
  const groupLocals: number[] = [];
  let next = 0; // the next scope of the structure to open
  region.forEach((tb, k) => {
    current = k;
    if (!shape) {
      c.op(OP.end);
      selfLoop = loopsToItself.has(k) ? 1 : 0;
      if (selfLoop) c.open(OP.loop);
    } else {
      for (; next < shape.scopes.length && shape.scopes[next].first === k; next++) {
        open.push(shape.scopes[next]);
        c.open(shape.scopes[next].kind === "loop" ? OP.loop : OP.block);
      }
      const entries = shape.loopAt.get(k)?.entries;
      e.nest = 0; // the depths below are from the loop's top, outside any block of this block's code
      if (entries) {
        // The loop's top: on to the entry numbered in `entry` (and back to 0 for the next pass).
        c.open(OP.block).localGet(entry).i32Const(0).localSet(entry);
        const depths = entries.map((to) => depthOf(shape.blockTo.get(to)));
        if (depths.some((d) => d === undefined)) throw new Unstructured();
        c.brTable([0, ...depths.map((d) => d! + 1)], 0).op(OP.end);
      }
    }
    e.startBlock(wordsAtStart[k]);
    // Instrumented accesses check one by one, as the plugins' memory actions follow each of them.
    const groups = tb.instr ? new Map<number, AccessGroup>() : accessGroups(tb.insns);
    const groupOk = new Map<AccessGroup, number>();
    const words = wordResults(tb.insns);
    for (let j = 0; j < tb.insns.length && !e.ended; j++) {
      const insn = tb.insns[j];
      e.startInsn(tb.pcs[j], insn?.size ?? 4);
      e.wordResult = words[j];
      const group = groups.get(j);
      if (group?.first === j) groupOk.set(group, groupLocals[groupOk.size] ??= e.local(I32));
      e.groupOk = group ? groupOk.get(group)! : -1;
      e.groupFirst = group?.first === j
        ? {
          base: group.base,
          lo: group.lo,
          length: group.end - group.lo,
          mask: (group.loads ? PAGE_NEEDS.load.mask : 0) | (group.stores ? PAGE_NEEDS.store.mask : 0),
          want: (group.loads ? PAGE_NEEDS.load.want : 0) | (group.stores ? PAGE_NEEDS.store.want : 0),
          oneAddress: group.oneAddress,
        }
        : undefined;
      // The block's actions, then the instruction's: a record that fails does so at the block's first instruction.
      if (tb.instr && j === 0) emitExecActions(e, tb.instr.block, windows, vcpu, repeatable.get(k));
      if (tb.instr) emitExecActions(e, tb.instr.insn[j], windows, vcpu);
      const mem = tb.instr?.mem[j];
      e.afterAccess = mem?.length
        ? (info, address, value) => emitMemActions(e, mem, windows, vcpu, info, address, value)
        : undefined;
      // wasmTranslatable took no block with an operation left to JavaScript; an illegal one (null) exits.
      const trans = insn === null ? LEFT_TO_JAVASCRIPT : WASM_TRANS[insn.op];
      if (insn === null || trans === LEFT_TO_JAVASCRIPT || !trans(e, insn)) e.exit(EXIT_ILLEGAL, e.pc);
      else e.words = wordsAfter(insn, e.words);
    }
    if (!e.ended) e.jump(tb.end);
    if (selfLoop) c.op(OP.end), selfLoop = 0;
    while (open.length > 0 && open[open.length - 1].last === k) open.pop(), c.op(OP.end);
  });
  if (!shape) c.op(OP.end); // the loop
  else if (open.length > 0) throw new Unstructured();
  c.op(OP.end); // the normal exit block
  c.aroundCall = undefined; // nothing is called after this
  e.storeRegisters();
  if (e.counters) emitCounterFlush(e, e.counters);
  flushRepeats(e);
  flushBatchCounts(e);
  // What is left: blocks in a counted slice; else backward jumps, which tell the caller whether the region ran long.
  c.localGet(e.slot).localGet(bud).mem(OP.i32_store, MEM.regs, 2, SLOT.blocksLeft);
  c.localGet(nx).op(OP.return);
  c.op(OP.end); // the fault exit block
  e.storeRegisters();
  if (e.counters) emitCounterFlush(e, e.counters);
  flushRepeats(e);
  flushBatchCounts(e);
  c.localGet(e.slot).localGet(e.ip).mem(OP.f64_store, MEM.regs, 3, SLOT.ip);
  c.f64Const(WASM_FAULT);
  return { locals: e.localTypes, code: c.bytes, hints: c.hints, headWords: wordsAtStart[0] };
}

/**
 * The bytes of the module holding `region`'s function (see
 * {@link compileWasmRegion}), or undefined when the tier cannot take it.
 */
export function wasmRegionModule(
  region: readonly TranslationBlock[],
  w: WasmRuntime,
  counted = false,
): Uint8Array<ArrayBuffer> | undefined {
  return wasmRegionSupported(region, w) ? regionModule(region, w, counted, false).bytes : undefined;
}

/** The module of `region`, which the tier covers ({@link wasmRegionModule}), and the words its head takes for granted. */
function regionModule(
  region: readonly TranslationBlock[],
  w: WasmRuntime,
  counted: boolean,
  checkedHead: boolean,
): { bytes: Uint8Array<ArrayBuffer>; headWords: number } {
  const windows: ArenaWindows = { arena: (k) => w.arenaWindow(k), batch: (r) => w.recordBatch(r) };
  const perVcpu = region.some((tb) => usesVcpuIndex(tb.instr));
  let emitted;
  try {
    emitted = emitWasmRegion(region, true, counted, windows, perVcpu, checkedHead, w.vector);
  } catch (err) {
    if (!(err instanceof Unstructured)) throw err;
    emitted = emitWasmRegion(region, false, counted, windows, perVcpu, checkedHead, w.vector);
  }
  return { bytes: moduleBytes(w, emitted.locals, emitted.code, emitted.hints), headWords: emitted.headWords };
}

/** Whether registers `regs` of register file `x` (lo, hi words) all hold sign-extended 32-bit values. */
function holdWords(x: Int32Array, regs: readonly number[]): boolean {
  for (let k = 0; k < regs.length; k++) if (x[2 * regs[k] + 1] !== x[2 * regs[k]] >> 31) return false;
  return true;
}

/**
 * Compiles `region` (its first block is the entry) to a WebAssembly
 * function, or returns undefined when the tier cannot take it. `counted`:
 * for counted slices (see the JavaScript tier's `compileRegion`).
 */
export function compileWasmRegion(
  region: readonly TranslationBlock[],
  w: WasmRuntime,
  counted = false,
): BlockFn | undefined {
  return wasmRegionSupported(region, w) ? regionFunction(region, w, counted, true) : undefined;
}

/** {@link compileWasmRegion} of a region the tier covers; `checkedHead` as in `startWords`. */
function regionFunction(
  region: readonly TranslationBlock[],
  w: WasmRuntime,
  counted: boolean,
  checkedHead: boolean,
): BlockFn {
  const { bytes, headWords } = regionModule(region, w, counted, checkedHead);
  // The head's code takes words for granted where every jump back to it leaves them (`startWords`): an entry from
  // the dispatcher where they do not hold runs the same region made without them (made then).
  const heldWords: number[] = [];
  for (let r = 1; r < 32; r++) if (headWords & (1 << r)) heldWords.push(r);
  let unchecked: BlockFn | undefined;
  // Whether plugins' actions need the vCPU's index: the caller then writes it to the slot at each entry.
  const perVcpu = region.some((tb) => usesVcpuIndex(tb.instr));
  // As a JavaScript region's: any fault in a region that streams records truncates the plugins' last block record.
  const reportsFaults = region.some((tb) => tb.instr !== undefined && streamsRecords(tb.instr));
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes), w.imports).exports.run as (
    slot: number,
  ) => number;
  const made = performance.now();
  let warm = false;
  return (cpu: Cpu) => {
    if (heldWords.length > 0 && !holdWords(cpu.x, heldWords)) {
      return (unchecked ??= regionFunction(region, w, counted, false))(cpu);
    }
    let long = false;
    if (!counted) {
      // Not before the region is warm: V8 runs a call in the code it started in, and only the next call in
      // TurboFan's code once that is ready.
      warm ||= performance.now() - made > WARM_MS;
      long = warm && cpu.runsAlone;
      cpu.blocksLeft[0] = long ? LONG_REGION_BUDGET : REGION_BUDGET;
    }
    w.cpu = cpu;
    if (perVcpu) w.noteVcpuIndex(cpu);
    const nx = run(cpu.slot);
    // Past the short budget, the call may have taken milliseconds: the CPU loop reads its clock at once (it reads it
    // only every so many dispatches, else a slice would last 1,024 long calls: a signal seen a second late).
    if (long && cpu.blocksLeft[0] < LONG_REGION_BUDGET - REGION_BUDGET) cpu.clockDue = true;
    if (nx >= 0) return nx;
    if (nx === WASM_FAULT) {
      cpu.pc = w.pcOf(cpu, SLOT.ip);
      const err = w.fault;
      w.fault = undefined;
      if (reportsFaults) w.reportFault(cpu, cpu.pc);
      throw err;
    }
    cpu.pc = w.pcOf(cpu, SLOT.exitPc);
    return nx;
  };
}
