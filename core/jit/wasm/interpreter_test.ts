import { assertEquals } from "../../../tests/assert.ts";
import { runSlice } from "../../exec/cpu_loop.ts";
import { Cpu } from "../../cpu/state.ts";
import { emit, j } from "../../cpu/_asm_testing.ts";
import { makeRuntime, NO_PLUGIN_HOOKS } from "../runtime.ts";
import type { MemAction, PluginHooks } from "../plugin_actions.ts";
import { memRecordWords } from "../record_format.ts";
import { EVENT_RING_WORDS, RING, RING_HEADER, ringWord, RingWriter, TAG } from "../../plugin/channel.ts";
import { CHAIN_CREDIT, TbCache, WARMUP_EXTRA_RUNS, type WasmPolicy } from "../tb_cache.ts";
import { COMPILE_THRESHOLD } from "../interpreter.ts";
import { Process } from "../../linux/process.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { Log } from "../../util/log.ts";
import { decode } from "../../isa/decoder.ts";
import { WasmInterpreter } from "./interpreter.ts";
import { CODE_MAX_PAGES, RECORD, TABLE_BYTES } from "./interpreter_module.ts";

// Encodings the loop below needs.
const I = (op: number, f3: number, rd: number, rs1: number, imm: number) =>
  ((imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op) >>> 0;
const S = (f3: number, rs1: number, rs2: number, imm: number) =>
  (((imm >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1f) << 7 | 0x23) >>> 0;
const R = (f3: number, f7: number, rd: number, rs1: number, rs2: number) =>
  (f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x33) >>> 0;
const branch = (f3: number, rs1: number, rs2: number, off: number) => {
  const b = off & 0x1fff;
  return ((((b >> 12) & 1) << 31) | (((b >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((b >> 1) & 0xf) << 8) | (((b >> 11) & 1) << 7) | 0x63) >>> 0;
};
const addi = (rd: number, rs1: number, imm: number) => I(0x13, 0, rd, rs1, imm);
const lui = (rd: number, imm20: number) => (imm20 << 12 | rd << 7 | 0x37) >>> 0;
const bne = (rs1: number, rs2: number, off: number) => branch(1, rs1, rs2, off);
const [ra, t0, t1, t2, a0, a1, a2, a3, a4, a7] = [1, 5, 6, 7, 10, 11, 12, 13, 14, 17];

const CODE = 0x10000, DATA = 0x20000;
/** The instruction of `func` the loop rewrites (its third), and what it becomes. */
const PATCHED = CODE + 21 * 4, PATCH = addi(t0, t0, 5);

/**
 * Three times 2,000 calls of a function that loads, adds, stores and xors;
 * halfway through each the loop rewrites an instruction of the function
 * (a store into its code, which plume sees without `fence.i`), so that a
 * block the WebAssembly interpreter may chain into is dropped during a
 * chain.
 */
const PROGRAM = [
  lui(a2, DATA >> 12),
  lui(t2, CODE >> 12),
  addi(a0, 0, 0),
  addi(a3, 0, 3),
  addi(a1, 0, 2000), // 4: outer
  j(56) | ra << 7, // 5: loop: jal ra, func
  addi(a1, a1, -1),
  addi(t1, 0, 1000),
  bne(a1, t1, 16),
  I(0x03, 2, t1, a2, 16), // lw t1, 16(a2): the new instruction
  S(2, t2, t1, PATCHED - CODE), // sw t1, (the instruction)(t2)
  addi(0, 0, 0), // nop: the store alone makes the function's block stale, in the WebAssembly interpreter too
  bne(a1, 0, -28), // 12: to loop
  addi(a3, a3, -1),
  bne(a3, 0, -40), // to outer
  S(3, a2, a0, 0), // sd a0, 0(a2)
  I(0x13, 7, a0, a0, 0x7f), // andi a0, a0, 127: the exit status
  addi(a7, 0, 93),
  0x73, // ecall: exit
  I(0x03, 3, t0, a2, 8), // 19: func: ld t0, 8(a2)
  R(0, 0, a0, a0, t0), // add a0, a0, t0
  addi(t0, t0, 3), // 21: rewritten to addi t0, t0, 5
  S(3, a2, t0, 8), // sd t0, 8(a2)
  R(4, 0, a0, a0, a1), // xor a0, a0, a1
  I(0x67, 0, 0, ra, 0), // ret
];

/** Runs the program to its exit with `policy`; returns its registers, its data and the CPU loop's dispatches of `func`. */
function run(policy: WasmPolicy, chain: boolean) {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(DATA, 4096, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
  emit(mem, CODE, PROGRAM);
  mem.view.setUint32(DATA + 16, PATCH, true);
  const cpu = new Cpu();
  cpu.pc = CODE;
  cpu.runsAlone = true;
  const proc = new Process(mem, new Log());
  const cache = new TbCache(mem, makeRuntime(mem));
  cache.wasm = policy;
  cache.chainInterpreted = chain;
  // Every block is new during the warm-up, so its compile waits (tb_cache.ts): the blocks stay interpreted.
  cache.warmupMs = 60_000;
  const t = proc.thread(cpu);
  while (proc.exitStatus === null) runSlice(proc, t, cache, undefined, 8192, Infinity);
  const func = cache.get(CODE + 19 * 4);
  return {
    status: proc.exitStatus,
    x: [...cpu.x],
    data: [...new Uint8Array(mem.u8.buffer, DATA, 32)],
    patched: mem.view.getUint32(PATCHED, true),
    funcDispatches: func.hits - cache.get(CODE).hits + 1, // both began at the same warm-up count
  };
}

Deno.test("blocks the WebAssembly interpreter chains run as the JavaScript interpreter runs them, through a rewrite of their code", () => {
  const js = run("off", false), alone = run("hot", false), chained = run("hot", true);
  assertEquals(js.patched, PATCH);
  for (const other of [alone, chained]) {
    assertEquals(other.status, js.status);
    assertEquals(other.x, js.x);
    assertEquals(other.data, js.data);
  }
  // Each of the last 1,000 calls (after the last rewrite, which translated the function again) is a dispatch of the
  // CPU loop, unless the interpreter went on into the function.
  assertEquals(js.funcDispatches, 1001);
  assertEquals(alone.funcDispatches, 1001);
  assertEquals(chained.funcDispatches < 100, true, `${chained.funcDispatches} dispatches of the function, chained`);
});

Deno.test("the WebAssembly interpreter's code memory is bounded: once full, blocks go to the JavaScript interpreter until a flush empties it", () => {
  // A guest that makes new code without end makes new blocks without end; their records must not grow plume.
  const mem = new AddressSpace(1 << 24);
  const it = new WasmInterpreter(makeRuntime(mem).wasm!);
  const block = { pc: CODE, insns: [decode(addi(a0, a0, 1))!], pcs: [CODE], end: CODE + 4 };
  let taken = 0;
  while (it.block(block, 1)) taken++;
  // Each block takes two records (its instruction, its end), after the chain table.
  assertEquals(taken, Math.floor((CODE_MAX_PAGES * 65536 - TABLE_BYTES) / (2 * RECORD)));
  assertEquals(it.block(block), undefined);
  it.reset();
  assertEquals(it.block(block) !== undefined, true);
});

/** A lone thread starting at CODE in `mem`, whose cache gives every new block the warm-up's lead. */
function loneThread(mem: AddressSpace) {
  const cpu = new Cpu();
  cpu.pc = CODE;
  cpu.runsAlone = true;
  const proc = new Process(mem, new Log());
  const cache = new TbCache(mem, makeRuntime(mem));
  cache.warmupMs = 60_000;
  return { cpu, proc, cache, t: proc.thread(cpu) };
}

Deno.test("a block whose chain table entry a later block took takes it back when it runs, and is chained into again", () => {
  // L and C are 64 KiB apart: the same entry of the table. L runs once (entering the table), C runs once (taking
  // L's entry), then L loops 4,096 times. Each of those iterations is a dispatch of the CPU loop unless L took its
  // entry back at its first.
  const L = CODE + 0x100, C = L + 0x10000, EXIT = L + 24;
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x20000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  emit(mem, CODE, [addi(a1, 0, 1), j(L - (CODE + 4))]);
  emit(mem, L, [
    addi(a0, a0, 1), // L: the loop, one block
    addi(a1, a1, -1),
    bne(a1, 0, -8),
    bne(a3, 0, EXIT - (L + 12)), // the second time: exit
    addi(a3, 0, 1),
    j(C - (L + 20)),
    addi(a7, 0, 93), // EXIT
    0x73, // ecall: exit
  ]);
  emit(mem, C, [addi(a2, a2, 1), lui(a1, 1), j(L - (C + 8))]);
  const { cpu, proc, cache, t } = loneThread(mem);
  while (proc.exitStatus === null) runSlice(proc, t, cache, undefined, 8192, Infinity);
  assertEquals(proc.exitStatus, (1 + 4096) & 0xff);
  assertEquals(cpu.x[a2 * 2], 1); // C ran once
  // The loop's block began at the warm-up's lead (-10,000); only the CPU loop's dispatches count up from there.
  const dispatches = cache.get(L).hits + WARMUP_EXTRA_RUNS;
  assertEquals(dispatches < 100, true, `${dispatches} dispatches of the loop's block`);
});

Deno.test("a block the interpreter chained into as often as its credit allows compiles at its next dispatches", () => {
  // A loop of one block runs CHAIN_CREDIT + 500 times, chained into itself (up to CHAIN_LIMIT runs a call) until its
  // credit is spent, then from the CPU loop, compiled. Before, it ran down its warm-up lead in dispatches first
  // (10,000 returns to the CPU loop) and compiled only then.
  const L = CODE + 0x100;
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  const iterations = CHAIN_CREDIT + 500;
  emit(mem, CODE, [lui(a1, (iterations + 0x800) >> 12), addi(a1, a1, ((iterations & 0xfff) << 20) >> 20)]);
  emit(mem, CODE + 8, [j(L - (CODE + 8))]);
  emit(mem, L, [addi(a0, a0, 1), addi(a1, a1, -1), bne(a1, 0, -8), addi(a7, 0, 93), 0x73]);
  const { proc, cache, t } = loneThread(mem);
  // A slice of one dispatch at a time: the slices are the dispatches.
  let dispatches = 0;
  while (proc.exitStatus === null) runSlice(proc, t, cache, undefined, 1, Infinity), dispatches++;
  assertEquals(proc.exitStatus, iterations & 0xff);
  assertEquals(cache.get(L).hits >= COMPILE_THRESHOLD, true, "the loop is compiled");
  assertEquals(dispatches < 1000, true, `${dispatches} dispatches`);
});

/**
 * A ring of plugin records read back whole, and hooks that append to it as
 * the plugin core does; with `inPlace`, its batch store can be moved where
 * WebAssembly code appends block records itself (`PluginHooks.shareBatch`).
 */
function recordRing(inPlace: boolean, onPublish?: () => void) {
  const buffer = new SharedArrayBuffer((RING_HEADER + EVENT_RING_WORDS) * 4), w = new Int32Array(buffer);
  const got: number[] = [];
  const drain = () => {
    const head = Atomics.load(w, RING.HEAD);
    for (let t = Atomics.load(w, RING.TAIL); t !== head; t = (t + 1) | 0) got.push(ringWord(w, t));
    Atomics.store(w, RING.TAIL, head);
  };
  const ring = new RingWriter(buffer, () => onPublish?.(), drain);
  const hooks: PluginHooks = {
    ...NO_PLUGIN_HOOKS,
    record: (_ring, id, vcpu) => ring.put2(id, vcpu),
    memRecord: (_ring, id, vcpu, baseLo, baseHi, imm, info, valueLo, valueHi) => {
      const address = (baseHi * 2 ** 32 + (baseLo >>> 0) + imm) | 0;
      if (memRecordWords(info) === 4) ring.put4(TAG.MEM | id, info | (vcpu << 17), address, valueLo);
      else ring.put5(TAG.MEM | id, info | (vcpu << 17), address, valueLo, valueHi);
    },
    fault: (c, pc) => ring.put3(TAG.TRUNC | 1, c.vcpuIndex, pc),
    ...(inPlace
      ? { shareBatch: (_ring, store) => (ring.moveBatch(store), true), publishBatch: () => ring.publish() }
      : {}),
  };
  return { hooks, words: () => (ring.publish(), drain(), got) };
}

/**
 * Runs `program` (at CODE, data at DATA) on vCPU 3 to its end with a block
 * record per block (its id the block's offset from CODE; none with
 * `blockRecords` false) and `mem`'s memory records at every instruction,
 * under `policy`; with `flushes`, every publish of the ring flushes all
 * translations, as a plugin's reset seen then does (`PluginInstance.wake`).
 * Returns the exit status, the ring's words and the CPU loop's dispatches
 * of the block at `watched`.
 */
function recorded(
  program: number[],
  policy: WasmPolicy,
  inPlace: boolean,
  watched: number,
  mem: MemAction[],
  { blockRecords = true, flushes = false } = {},
) {
  const space = new AddressSpace(1 << 24);
  space.mmap(CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, { name: "code", fixed: true });
  space.mmap(DATA, 4096, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
  emit(space, CODE, program);
  space.view.setUint32(DATA + 16, PATCH, true);
  let cache: TbCache | undefined = undefined;
  const { hooks, words } = recordRing(inPlace, flushes ? () => cache?.flush() : undefined);
  const cpu = new Cpu();
  cpu.pc = CODE;
  cpu.runsAlone = true;
  cpu.vcpuIndex = 3;
  const proc = new Process(space, new Log());
  cache = new TbCache(space, makeRuntime(space, hooks));
  cache.wasm = policy;
  cache.warmupMs = 60_000;
  cache.instrument = (tb) => ({
    block: blockRecords ? [{ kind: "record", ring: 0, id: tb.pc - CODE }] : [],
    insn: tb.insns.map(() => []),
    mem: tb.insns.map(() => mem),
  });
  const t = proc.thread(cpu);
  while (proc.exitStatus === null) runSlice(proc, t, cache, undefined, 8192, Infinity);
  return { status: proc.exitStatus, words: words(), dispatches: cache.get(watched).hits - cache.get(CODE).hits + 1 };
}

Deno.test("the WebAssembly interpreter appends plugins' block and memory records itself and chains such blocks: the same records, faults included", () => {
  // A loop of two blocks walking a2 past the end of the data page: the load of its 513th pass faults (SIGSEGV), in
  // the block the other one went on into, at its second instruction.
  const WALK = [
    lui(a2, DATA >> 12),
    addi(a1, 0, 1000),
    addi(t1, t1, 1), // 2: A
    I(0x03, 3, t0, a2, 0), // ld t0, 0(a2)
    addi(a2, a2, 8),
    j(4), // to B
    addi(a1, a1, -1), // 6: B
    bne(a1, 0, -20), // to A
    addi(a7, 0, 93),
    0x73,
  ];
  // Every load and store the interpreter runs, of a value that changes sign now and then, 300 times.
  const ACCESS = [
    lui(a2, DATA >> 12),
    addi(a1, 0, 300),
    addi(t1, 0, 1234),
    S(3, a2, t1, 0), // 3: loop: sd t1, 0(a2)
    ...[[0, 0], [1, 2], [2, 4], [4, 1], [5, 2], [6, 4], [3, 0]].map(([f3, at]) => I(0x03, f3, t0, a2, at)),
    S(0, a2, t1, 8), // sb
    S(1, a2, t1, 10), // sh
    S(2, a2, t1, 12), // sw
    addi(t1, t1, -77),
    addi(a1, a1, -1),
    bne(a1, 0, -52), // to loop
    addi(a7, 0, 93),
    0x73,
  ];
  const cases = [[PROGRAM, CODE + 19 * 4, undefined], [WALK, CODE + 8, 128 + 11], [ACCESS, CODE + 12, 0]] as const;
  // Memory records of reads, of writes and of both, by two ids (mem's callbacks, and a second plugin's).
  const mems: MemAction[][] = [[], [{ rw: 3, kind: "record", ring: 0, id: 7 }], [
    { rw: 1, kind: "record", ring: 0, id: 8 },
    { rw: 2, kind: "record", ring: 0, id: 9 },
  ]];
  for (const [[program, watched, status], mem] of cases.flatMap((c) => mems.map((m) => [c, m] as const))) {
    const js = recorded([...program], "off", true, watched, mem);
    if (status !== undefined) assertEquals(js.status, status);
    // Every block run is a record: the function's 6,000 calls alone are 12,000 words, the walk's 512 passes 2,048,
    // the accesses' 300 passes 600.
    assertEquals(js.words.length > 600, true, `${js.words.length} words`);
    if (status === 128 + 11) assertEquals(js.words.slice(-3), [TAG.TRUNC | 1, 3, CODE + 12], "the fault's truncation");
    for (const inPlace of [true, false]) {
      const wasm = recorded([...program], "hot", inPlace, watched, mem);
      assertEquals(wasm.status, js.status);
      const k = wasm.words.findIndex((v, i) => v !== js.words[i]);
      assertEquals(k, -1, `word ${k} differs (records in place: ${inPlace}, memory records ${JSON.stringify(mem)})`);
      assertEquals(wasm.words.length, js.words.length);
      // In place, the blocks chain; without a batch store to append to, each returns to the CPU loop for its records.
      if (inPlace) assertEquals(wasm.dispatches < 100, true, `${wasm.dispatches} dispatches, records in place`);
      else assertEquals(wasm.dispatches > 250, true, `${wasm.dispatches} dispatches, records through the hooks`);
    }
  }
});

Deno.test("a fault of a block with records is reported though the block was dropped while it ran, or records none of its accesses", () => {
  const loadZero = I(0x03, 3, t0, 0, 0); // ld t0, 0(x0): faults
  // One block: a store into its own code page (which drops it), then the fault.
  const SMC = [
    lui(t2, CODE >> 12),
    addi(a1, 0, 5),
    S(2, t2, a1, 1024),
    loadZero,
    addi(a0, 0, 1),
    addi(a7, 0, 93),
    0x73,
  ];
  // Memory records of reads only, and a store that faults: no record, but the block streams records.
  const STORE = [lui(a2, DATA >> 12), I(0x03, 3, t1, a2, 0), S(3, 0, t1, 0), addi(a7, 0, 93), 0x73];
  const reads: MemAction[] = [{ rw: 1, kind: "record", ring: 0, id: 7 }];
  for (const [program, mem, blockRecords] of [[SMC, [], true], [STORE, reads, false], [STORE, reads, true]] as const) {
    const js = recorded([...program], "off", true, CODE, [...mem], { blockRecords });
    assertEquals(js.status, 128 + 11);
    assertEquals(js.words.slice(-3).slice(0, 2), [TAG.TRUNC | 1, 3], "the fault's truncation");
    const wasm = recorded([...program], "hot", true, CODE, [...mem], { blockRecords });
    assertEquals(wasm.words, js.words);
  }
  // A plugin's reset seen at every publish flushes every translation, in the middle of a block now and then; a load of
  // the walk faults at pass p, in the same block run as a flush for some p.
  for (let p = 2; p <= 14; p++) {
    const start = DATA + 4096 - 256 * (p - 1);
    const WALK = [
      lui(a2, DATA >> 12),
      lui(a4, (start + 0x800) >> 12),
      addi(a4, a4, ((start & 0xfff) << 20) >> 20),
      addi(a1, 0, 100),
      ...Array.from({ length: 150 }, () => I(0x03, 3, t0, a2, 0)), // 4: the loop's block
      I(0x03, 3, t0, a4, 0),
      addi(a4, a4, 256),
      addi(a1, a1, -1),
      bne(a1, 0, -4 * 153),
      addi(a7, 0, 93),
      0x73,
    ];
    const mem: MemAction[] = [{ rw: 3, kind: "record", ring: 0, id: 7 }];
    const js = recorded([...WALK], "off", true, CODE + 16, mem, { flushes: true });
    assertEquals(js.status, 128 + 11);
    const wasm = recorded([...WALK], "hot", true, CODE + 16, mem, { flushes: true });
    const k = wasm.words.findIndex((v, i) => v !== js.words[i]);
    assertEquals(k, -1, `word ${k} differs, fault at pass ${p}`);
    assertEquals(wasm.words.length, js.words.length, `fault at pass ${p}`);
  }
});
