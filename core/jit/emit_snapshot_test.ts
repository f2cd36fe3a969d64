/**
 * Snapshots of the JavaScript the translator emits, for a few small blocks
 * assembled here: a plain block, blocks with inline plugin counters, with
 * synchronous and conditional callbacks, with memory instrumentation, with
 * more actions at one point than are emitted inline, and a region of three
 * blocks. Each snapshot is `testdata/<name>.snap`: a comment saying what the
 * case shows (the guest code, the instrumentation, the runtime helpers and
 * constants the function uses) followed by the function's source exactly as
 * `Runtime.compile` is given it. `every_insn.snap` adds every instruction of
 * `tests/isa/all_insns.S`, each translated alone; `wasm_region.snap` the
 * code of the WebAssembly function the WebAssembly tier makes of a loop
 * (`wasm/region.ts`), listed one instruction a line. The source is compared
 * byte for byte, so any change to emitted code shows here, with the first
 * differing line.
 *
 * After an intended change to the emitted code, rewrite the snapshots and
 * review their diff:
 *
 * ```sh
 * UPDATE_SNAPSHOTS=1 deno test --allow-all core/jit/emit_snapshot_test.ts
 * git diff core/jit/testdata/
 * ```
 *
 * @module
 */

import { assert, assertEquals } from "../../tests/assert.ts";
import { firstDifference } from "../../tests/harness.ts";
import { add, addi, beq, bne, ecall, j, li, lw, slli, sw } from "../cpu/_asm_testing.ts";
import { decode } from "../isa/decoder.ts";
import { AddressSpace, PROT_EXEC, PROT_READ } from "../mem/address_space.ts";
import {
  type BlockInstrumentation,
  COND,
  type ExecAction,
  INLINE_ADD,
  type MemAction,
  type PluginHooks,
} from "./plugin_actions.ts";
import { makeRuntime, NO_PLUGIN_HOOKS, type Runtime } from "./runtime.ts";
import { Emitter } from "./emitter.ts";
import { formRegion } from "./region.ts";
import { TbCache } from "./tb_cache.ts";
import { compileBlock, decodeBlock, emitBlock } from "./translator.ts";
import { fileUrlToPath } from "../util/file_url.ts";
import { OP } from "./wasm/encoding.ts";
import { FN, MEM } from "./wasm/layout.ts";
import { lastBody, leb } from "./wasm/_module_testing.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_SNAPSHOTS") === "1";
const CODE = 0x10000;

/** `mul rd, rs1, rs2` (not in `_asm_testing.ts`). */
const mul = (rd: number, rs1: number, rs2: number) => ((1 << 25) | (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33) >>> 0;
/** `ret` (`jalr x0, 0(ra)`). */
const ret = 0x00008067;
/** `c.li a4, 1`: a compressed instruction, decoded as `addi a4, zero, 1` of size 2. */
const cLiA4 = 0x4705;

/** One guest instruction: its encoding (16 bits for a compressed one) and how it is written. */
type Line = readonly [bits: number, asm: string];

/** An arena entry shared by all vCPUs (stride 0) and one per vCPU (stride 2: the low and high words). */
const SHARED = { arena: 0, index: 0, stride: 0 };
const PER_VCPU = { arena: 0, index: 2, stride: 2 };
const add1 = (ref = PER_VCPU): ExecAction => ({ kind: "inline", op: INLINE_ADD, ref, value: 1n });
/** After each load, an inline count; after every access, a record. */
const MEM_ACTIONS: MemAction[] = [
  { rw: 1, kind: "inline", op: INLINE_ADD, ref: SHARED, value: 1n },
  { rw: 3, kind: "record", ring: 0, id: 7 },
];

interface BlockCase {
  name: string;
  /** What the snapshot shows, for a reviewer. */
  shows: string;
  code: readonly Line[];
  instr?: BlockInstrumentation;
}

const BLOCKS: readonly BlockCase[] = [
  {
    name: "plain",
    shows: "A block without plugins: registers read and written in the register file (x[2r] low word, " +
      "x[2r+1] high word), a compressed instruction, a multiply through a runtime helper, a load and a store " +
      "with their inline fast path and slow path, and a conditional branch returning the next pc.",
    code: [
      [cLiA4, "c.li a4, 1"],
      [addi(10, 10, 1), "addi a0, a0, 1"],
      [slli(11, 10, 3), "slli a1, a0, 3"],
      [mul(15, 10, 11), "mul a5, a0, a1"],
      [lw(13, 2, 8), "lw a3, 8(sp)"],
      [sw(13, 2, 12), "sw a3, 12(sp)"],
      [bne(10, 12, -22), "bne a0, a2, 0x10000"],
    ],
  },
  {
    name: "inline",
    shows: "Inline plugin counters: at block entry an add of the block's length to an entry shared by all vCPUs, " +
      "before each instruction an add of 1 to a per-vCPU entry (index + vi * stride); the arena is read once " +
      "into A0 at function entry.",
    code: [
      [addi(10, 10, 1), "addi a0, a0, 1"],
      [add(11, 11, 10), "add a1, a1, a0"],
      [bne(10, 12, -8), "bne a0, a2, 0x10000"],
    ],
    instr: {
      block: [{ kind: "inline", op: INLINE_ADD, ref: SHARED, value: 3n }],
      insn: [[add1()], [add1()], [add1()]],
      mem: [],
    },
  },
  {
    name: "sync",
    shows: "Synchronous callbacks: one at block entry and one before the store, each setting c.pc and ip and " +
      "leaving the block when the callback moved the pc; a conditional callback (when a per-vCPU entry equals 5) " +
      "before the ecall, which ends the block with EXIT_ECALL (-1).",
    code: [
      [addi(10, 10, 1), "addi a0, a0, 1"],
      [sw(10, 2, 0), "sw a0, 0(sp)"],
      [ecall, "ecall"],
    ],
    instr: {
      block: [{ kind: "sync", id: 1 }],
      insn: [[], [{ kind: "sync", id: 2 }], [{
        kind: "cond",
        cond: COND.EQ,
        ref: PER_VCPU,
        value: 5n,
        then: { kind: "sync", id: 3 },
      }]],
      mem: [],
    },
  },
  {
    name: "memory",
    shows: "Memory instrumentation after each access: an inline count of loads (rw 1) and a record of every " +
      "access (rw 3) with its base, offset, meminfo and value; records make the exception handler report a " +
      "fault to the plugins (P.fault). The block ends with a return (a computed jump).",
    code: [
      [lw(10, 11, 0), "lw a0, 0(a1)"],
      [addi(10, 10, 1), "addi a0, a0, 1"],
      [sw(10, 11, 4), "sw a0, 4(a1)"],
      [ret, "ret"],
    ],
    instr: {
      block: [],
      insn: [],
      mem: [MEM_ACTIONS, [], MEM_ACTIONS, []],
    },
  },
  {
    name: "crowded",
    shows: "More actions at one point than MAX_INLINE_ACTIONS (4): the first four are emitted inline, the rest " +
      "run through one closure built at translation time, the function's constant D[0].",
    code: [
      [li(10, 1), "li a0, 1"],
      [ecall, "ecall"],
    ],
    instr: {
      block: [],
      insn: [[0, 2, 4, 6, 8, 10].map((index) => add1({ arena: 0, index, stride: 0 })), []],
      mem: [],
    },
  },
];

/** The region: a loop of three blocks, with a forward branch, a jump and a backward branch. */
const REGION: readonly Line[] = [
  [addi(10, 10, -1), "addi a0, a0, -1"],
  [beq(11, 0, 16), "beq a1, zero, 0x10014"],
  [addi(12, 12, 1), "addi a2, a2, 1"],
  [add(13, 13, 12), "add a3, a3, a2"],
  [j(4), "j 0x10014"],
  [add(14, 14, 10), "add a4, a4, a0"],
  [bne(10, 0, -24), "bne a0, zero, 0x10000"],
  [ecall, "ecall"],
];

/** What one call of `Runtime.compile` was given. */
interface Compiled {
  uses: string[];
  source: string;
  data: readonly unknown[];
}

/** A real runtime (so the source must compile) that also keeps what it compiled. */
function capturingRuntime(mem: AddressSpace, hooks: PluginHooks): { rt: Runtime; compiled: Compiled[] } {
  const real = makeRuntime(mem, hooks);
  const compiled: Compiled[] = [];
  const rt: Runtime = {
    ...real,
    compile(uses, source, data = []) {
      compiled.push({ uses: [...uses], source, data });
      return real.compile(uses, source, data);
    },
  };
  return { rt, compiled };
}

/** Guest memory with `code` at {@link CODE}; returns the address after it. */
function loadCode(code: readonly Line[]): { mem: AddressSpace; end: number } {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  let at = CODE;
  for (const [bits] of code) {
    const compressed = (bits & 3) !== 3;
    if (compressed) mem.view.setUint16(at, bits, true);
    else mem.view.setUint32(at, bits, true);
    at += compressed ? 2 : 4;
  }
  return { mem, end: at };
}

/** The guest code as comment lines; `labels` names the instructions that start a region's blocks. */
function listing(code: readonly Line[], labels: ReadonlyMap<number, string> = new Map()): string[] {
  const lines: string[] = [];
  let at = CODE;
  for (const [bits, asm] of code) {
    const compressed = (bits & 3) !== 3;
    const hex = bits.toString(16).padStart(compressed ? 4 : 8, "0");
    const label = labels.get(at) ?? "";
    lines.push(`//   ${label.padEnd(8)}${at.toString(16)}  ${hex.padEnd(8)}  ${asm}`);
    at += compressed ? 2 : 4;
  }
  return lines;
}

function instrumentationText(instr: BlockInstrumentation | undefined): string[] {
  if (!instr) return ["// instrumentation: none"];
  const json = (v: unknown) => JSON.stringify(v, (_k, x) => typeof x === "bigint" ? `${x}n` : x);
  const lines = ["// instrumentation:"];
  if (instr.block.length) lines.push(`//   block: ${json(instr.block)}`);
  instr.insn.forEach((a, k) => a.length && lines.push(`//   insn ${k}: ${json(a)}`));
  instr.mem.forEach((a, k) => a.length && lines.push(`//   mem ${k}: ${json(a)}`));
  return lines;
}

function render(name: string, shows: string, header: string[], c: Compiled): string {
  const data = c.data.map((d, k) => `D[${k}] ${typeof d}`).join(", ") || "none";
  return [
    `// ${name}: ${wrap(shows)}`,
    "// Written by core/jit/emit_snapshot_test.ts (UPDATE_SNAPSHOTS=1 rewrites it); the source below is compared exactly.",
    "//",
    ...header,
    `// runtime helpers: ${c.uses.join(", ") || "none"}`,
    `// constants: ${data}`,
    c.source,
  ].join("\n");
}

/** Wraps a comment paragraph at about 110 columns. */
function wrap(text: string): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length > 110) out.push(line), line = "";
    line += (line ? " " : "") + word;
  }
  out.push(line);
  return out.join("\n//   ");
}

/** Compares `actual` with the snapshot file (or rewrites it with UPDATE_SNAPSHOTS=1). */
async function assertSnapshot(name: string, actual: string): Promise<void> {
  const file = new URL(`${name}.snap`, TESTDATA);
  if (UPDATE) {
    await Deno.mkdir(TESTDATA, { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`No snapshot ${fileUrlToPath(file)}: write it with UPDATE_SNAPSHOTS=1 and review it`);
    }
    throw err;
  }
  if (expected === actual) return;
  const enc = new TextEncoder();
  const d = firstDifference(enc.encode(expected), enc.encode(actual))!;
  throw new Error(
    `Emitted code differs from ${fileUrlToPath(file)} at line ${d.line}:\n` +
      `  expected: ${d.expectedLine}\n` +
      `  actual:   ${d.actualLine}\n` +
      `(${expected.split("\n").length} lines expected, ${actual.split("\n").length} actual; ` +
      `if the change is intended, rerun with UPDATE_SNAPSHOTS=1 and review git diff core/jit/testdata/)`,
  );
}

/** A hook object for instrumented blocks: the snapshots only need the arena to exist. */
const HOOKS: PluginHooks = { ...NO_PLUGIN_HOOKS, arenas: [new Int32Array(16)] };

for (const c of BLOCKS) {
  Deno.test(`compileBlock emits the snapshot of the ${c.name} block`, async () => {
    const { mem } = loadCode(c.code);
    const { rt, compiled } = capturingRuntime(mem, c.instr ? HOOKS : NO_PLUGIN_HOOKS);
    const block = decodeBlock(mem, CODE);
    assertEquals(block.insns.length, c.code.length, "the case's code is one block");
    compileBlock({ pc: CODE, ...block, instr: c.instr }, rt);
    assertEquals(compiled.length, 1);
    const header = ["// guest code:", ...listing(c.code), ...instrumentationText(c.instr)];
    await assertSnapshot(c.name, render(c.name, c.shows, header, compiled[0]));
  });
}

Deno.test("compileRegion emits the snapshot of a region of three blocks", async () => {
  const { mem } = loadCode(REGION);
  const { rt, compiled } = capturingRuntime(mem, NO_PLUGIN_HOOKS);
  const cache = new TbCache(mem, rt);
  // The JavaScript region, not the WebAssembly one the tier would make of these RV64I blocks.
  cache.wasm = "off";
  const blocks = new Map([CODE, CODE + 8, CODE + 0x14].map((pc) => [pc, cache.get(pc)]));
  const head = blocks.get(CODE)!;
  // The region's cases are numbered in the order formRegion finds the blocks (a branch's target first).
  const cases = new Map(formRegion(head, (pc) => blocks.get(pc)).map((tb, k) => [tb.pc, `case ${k}:`]));
  assertEquals(cases.size, 3);
  cache.promote(head);
  assertEquals(cache.regions, 1);
  assertEquals(compiled.length, 1, "only the region is compiled (the blocks alone are interpreted)");
  const shows = "A region (tb_cache.ts promote, region.ts): three blocks on a loop compiled into one function, " +
    "`for (;;) switch (b)`, with guest registers in locals loaded on entry and stored back on every exit; " +
    "a jump inside the region is `b = k; continue`, counting down the budget `bud` when it goes to the same or " +
    "an earlier case; the loop's exit returns the next pc to the dispatcher. Cases are numbered in the order " +
    "formRegion found the blocks.";
  const header = ["// guest code:", ...listing(REGION, cases), "// instrumentation: none"];
  await assertSnapshot("region", render("region", shows, header, compiled[0]));
});

/** A loop of one block with a load, a store and a multiply, for the WebAssembly tier. */
const WASM_REGION: readonly Line[] = [
  [lw(15, 11, 0), "lw a5, 0(a1)"],
  [addi(10, 10, -1), "addi a0, a0, -1"],
  [add(15, 15, 10), "add a5, a5, a0"],
  [sw(15, 11, 0), "sw a5, 0(a1)"],
  [mul(13, 13, 15), "mul a3, a3, a5"],
  [bne(10, 0, -20), "bne a0, zero, 0x10000"],
  [ecall, "ecall"],
];

/**
 * The last function of a WebAssembly module (a region module's region
 * function), one instruction a line, indented by nesting: opcodes by their
 * names in `encoding.ts`, calls by the helper's name (`layout.ts`), memory
 * operands by the memory's name, so that the listing does not change when
 * function indices do.
 */
function wasmListing(module: Uint8Array): string {
  const { start, end } = lastBody(module);
  const body = module.subarray(start, end);
  const opName = new Map(
    Object.entries(OP).map(([name, code]) => [code as number, name.replace(/^(i32|i64|f32|f64|local)_/, "$1.")]),
  );
  const fnName = new Map(Object.entries(FN).map(([name, index]) => [index, name]));
  const memName = new Map(Object.entries(MEM).map(([name, index]) => [index as number, name]));
  const valType: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7c: "f64", 0x40: "" };
  let [groups, p] = leb(body, 0);
  const locals: string[] = [];
  for (; groups > 0n; groups--) {
    const [n, q] = leb(body, p);
    locals.push(`${n} ${valType[body[q]]}`);
    p = q + 1;
  }
  const out = [`(locals ${locals.join(", ")})`];
  let depth = 0;
  while (p < body.length) {
    const code = body[p++];
    const name = opName.get(code) ?? `0x${code.toString(16)}`;
    let args = "";
    const num = (signed = false) => {
      const [v, q] = leb(body!, p, signed);
      p = q;
      return v;
    };
    if (code === OP.block || code === OP.loop || code === OP.if) args = valType[body[p++]];
    else if (code === OP.br || code === OP.br_if || code === OP.local_get || code === OP.local_set) args = `${num()}`;
    else if (code === OP.local_tee || code === OP.i32_const || code === OP.i64_const) {
      args = `${code === OP.local_tee ? num() : num(true)}`;
    } else if (code === OP.call) args = fnName.get(Number(num())) ?? "?";
    else if (code === OP.br_table) {
      const targets = Array.from({ length: Number(num()) }, () => num());
      args = `[${targets.join(" ")}] ${num()}`;
    } else if (code === OP.f64_const) {
      args = `${new DataView(body.buffer, body.byteOffset + p, 8).getFloat64(0, true)}`, p += 8;
    } else if (/load|store/.test(name)) {
      const flags = body[p++];
      const memory = flags & 0x40 ? Number(num()) : 0;
      args = `${memName.get(memory)} align=${1 << (flags & 0x3f)} offset=${num()}`;
    }
    if (code === OP.end || code === OP.else) depth--;
    out.push(`${"  ".repeat(Math.max(depth, 0))}${name}${args ? " " + args : ""}`);
    if (code === OP.block || code === OP.loop || code === OP.if || code === OP.else) depth++;
  }
  return out.join("\n");
}

Deno.test("the WebAssembly tier emits the snapshot of a loop", async () => {
  const { mem } = loadCode(WASM_REGION);
  const cache = new TbCache(mem, makeRuntime(mem));
  cache.wasm = "always";
  // Translated first: its first block makes the WebAssembly interpreter's module, which is not the region's.
  const head = cache.get(CODE);
  const modules: Uint8Array[] = [];
  const Module = WebAssembly.Module;
  // The module's bytes, as the tier hands them to the engine.
  WebAssembly.Module = function (bytes: BufferSource) {
    modules.push(new Uint8Array(bytes as ArrayBuffer).slice());
    return new Module(bytes);
  } as unknown as typeof WebAssembly.Module;
  try {
    cache.promote(head);
  } finally {
    WebAssembly.Module = Module;
  }
  assertEquals(modules.length, 1, "one WebAssembly region");
  const shows = "A WebAssembly region (tb_cache.ts promote, wasm/region.ts, wasm/trans.ts): a loop of one block as " +
    "the code of one WebAssembly function, listed one instruction a line (calls by the helper's name, memories by " +
    "name). Guest registers are i64 locals loaded from the vCPU's slot (memory regs) on entry and stored back on " +
    "exit; each load and store checks its address inline (below 4 GiB, aligned, the page flag) and calls the slow " +
    "path otherwise, except the store after the load of its address, whose page the load checked for both; the " +
    "backward jump counts down the region's budget, which its caller wrote to the slot.";
  const text = [
    `// wasm_region: ${wrap(shows)}`,
    "// Written by core/jit/emit_snapshot_test.ts (UPDATE_SNAPSHOTS=1 rewrites it); the listing below is compared exactly.",
    "//",
    "// guest code:",
    ...listing(WASM_REGION),
    wasmListing(modules[0]),
  ].join("\n");
  await assertSnapshot("wasm_region", text + "\n");
});

/**
 * Every instruction of `tests/isa/all_insns.S` (objdump's listing of the
 * committed `all_insns.elf`: each RV64GC form, compressed ones and reserved
 * encodings included), each translated alone as a block of one instruction:
 * the function's locals and body as `emitBlock` makes them, without the
 * wrapper the other snapshots show.
 */
function everyInstruction(listing: string): string {
  const out = [
    "// every_insn: each instruction of tests/isa/all_insns.dis translated alone (a block of one instruction):",
    "//   its scratch locals and body as emitBlock makes them; the function around them is in the other snapshots.",
    "//   An encoding plume does not decode ends the block with EXIT_ILLEGAL (-4).",
    "// Written by core/jit/emit_snapshot_test.ts (UPDATE_SNAPSHOTS=1 rewrites it); compared exactly.",
  ];
  for (const line of listing.split("\n")) {
    const m = line.match(/^ *([0-9a-f]+):\t([0-9a-f]+) *\t(.*)$/);
    if (!m) continue;
    const [, address, hex, text] = m;
    const pc = parseInt(address, 16), insn = decode(parseInt(hex, 16));
    const e = new Emitter();
    e.hooks = NO_PLUGIN_HOOKS;
    emitBlock(e, { pc, insns: [insn], pcs: [pc], end: pc + (insn?.size ?? hex.length / 2) });
    const uses = e.uses.size ? ` (uses ${[...e.uses].join(", ")})` : "";
    out.push(
      "",
      `// ${address}  ${hex.padEnd(8)}  ${text.replaceAll("\t", " ")}${uses}`,
      (e.prologue() + e.body).trimEnd(),
    );
  }
  return out.join("\n");
}

Deno.test("emitBlock emits the snapshot of every instruction in tests/isa/all_insns.dis", async () => {
  const listing = await Deno.readTextFile(new URL("../../tests/isa/all_insns.dis", import.meta.url));
  await assertSnapshot("every_insn", everyInstruction(listing));
});

Deno.test("every snapshot in core/jit/testdata has a case", async () => {
  const names = new Set([...BLOCKS.map((c) => c.name), "region", "wasm_region", "every_insn"]);
  for await (const entry of Deno.readDir(TESTDATA)) {
    if (!entry.name.endsWith(".snap")) continue;
    assert(names.has(entry.name.slice(0, -5)), `${entry.name} belongs to no case: remove it`);
  }
});
