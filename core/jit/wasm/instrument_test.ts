import { assert, assertEquals } from "../../../tests/assert.ts";
import { addi, amoaddW, bne, ecall, emit, li, lw, slli } from "../../cpu/_asm_testing.ts";
import { Scheduler } from "../../exec/scheduler.ts";
import { Cpu } from "../../cpu/state.ts";
import { Process } from "../../linux/process.ts";
import { SYS } from "../../linux/syscall_names.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { Log } from "../../util/log.ts";
import { os } from "../../plugin/sandbox/os.ts";
import { makeRuntime, NO_PLUGIN_HOOKS } from "../runtime.ts";
import { TbCache } from "../tb_cache.ts";
import {
  COND,
  type ExecAction,
  INLINE_ADD,
  INLINE_STORE,
  type MemAction,
  type PluginHooks,
} from "../plugin_actions.ts";
import type { TranslationBlock } from "../translator.ts";
import { ARENA_WINDOW_BYTES } from "./runtime.ts";
import { promoteCounters } from "./instrument.ts";
import {
  EVENT_RING_WORDS,
  ID_MASK,
  memRecordWords,
  RING,
  RING_HEADER,
  ringWord,
  RingWriter,
  TAG,
} from "../../plugin/channel.ts";

const CODE = 0x10000;
const WORDS = ARENA_WINDOW_BYTES / 4;

/** Two scoreboard arenas in shared mappings, as plugin channels' are, and hooks that can map them again. */
function mappedArena(): { hooks: PluginHooks; arena: Int32Array; next: Int32Array; close(): void } {
  const fds = [0, 1].map(() => os().memfd("plume-wasm-inline-test", ARENA_WINDOW_BYTES));
  const maps = fds.map((fd) => os().map(fd, ARENA_WINDOW_BYTES));
  const arenas = maps.map((m) => new Int32Array(m.region(0, ARENA_WINDOW_BYTES)));
  const hooks: PluginHooks = {
    ...NO_PLUGIN_HOOKS,
    arenas,
    shareArena: (k, target, bytes) => k < 2 && os().alias(maps[k].address, bytes, target),
  };
  return { hooks, arena: arenas[0], next: arenas[1], close: () => fds.forEach((fd) => os().close(fd)) };
}

const add = (index: number, stride: number, value: bigint): ExecAction => ({
  kind: "inline",
  op: INLINE_ADD,
  ref: { arena: 0, index, stride },
  value,
});

/**
 * Counts x5 down from 2^13 in a one-block loop with `instrument`'s
 * actions, as vCPU `vcpu`, under WebAssembly policy `wasm`; returns the
 * cache (for its region counts) once the guest exited.
 */
function run(
  hooks: PluginHooks,
  wasm: "always" | "off",
  vcpu: number,
  instrument: (tb: TranslationBlock) => ExecAction[][],
  faulting = false,
) {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  emit(mem, CODE, [li(5, 1), slli(5, 5, 13), addi(5, 5, -1), bne(5, 0, -4), li(10, 7), li(17, SYS.exit_group), ecall]);
  if (faulting) {
    // The loop also loads the next word of a 16 KiB page range each pass: the 4,097th load faults, in the loop.
    mem.mmap(0x20000, 0x4000, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
    emit(mem, CODE, [li(5, 1), slli(5, 5, 13), li(6, 1), slli(6, 6, 17), lw(7, 6, 0), addi(6, 6, 4), addi(5, 5, -1)]);
    emit(mem, CODE + 28, [bne(5, 0, -12), li(10, 7), li(17, SYS.exit_group), ecall]);
  }
  const proc = new Process(mem, new Log());
  const cpu = new Cpu();
  cpu.pc = CODE;
  cpu.vcpuIndex = vcpu;
  proc.thread(cpu);
  const cache = new TbCache(mem, makeRuntime(mem, hooks));
  cache.warmupMs = 0;
  cache.wasm = wasm;
  cache.instrument = (tb) => {
    const [block, ...insn] = instrument(tb);
    return { block, insn, mem: tb.insns.map(() => []) };
  };
  assertEquals(new Scheduler(proc, cache).runSync(), faulting ? 128 + 11 : 7);
  return cache;
}

Deno.test("WebAssembly regions carry inline scoreboard operations: the same counts as JavaScript, in the plugin's own arena", () => {
  const { hooks, arena, close } = mappedArena();
  try {
    // Per block: +1 at word 0; per instruction: +3 on vCPU 5's entry (index 2, stride 4), a store at word 40.
    const actions = (tb: TranslationBlock) => [
      [add(0, 0, 1n)],
      ...tb.insns.map(
        () => [add(2, 4, 3n), { ...add(40, 0, 0n), op: INLINE_STORE, value: 0x1_2345_6789n } as ExecAction],
      ),
    ];
    const counts = () => [arena[0], arena[1], arena[2 + 5 * 4], arena[3 + 5 * 4], arena[40], arena[41]];
    const js = run(hooks, "off", 5, actions);
    assertEquals(js.wasmRegions, 0);
    const inJs = counts();
    arena.fill(0, 0, 64);
    const wasm = run(hooks, "always", 5, actions);
    assert(wasm.wasmRegions > 0, "the loop did not become a WebAssembly region");
    assertEquals(counts(), inJs);
    // 2^13 passes through the loop's block, 2 instructions each, and the blocks around it.
    assert(inJs[0] > 8192 && inJs[2] === 3 * (2 * 8192 + 5), `counts ${inJs}`);
    assertEquals([inJs[4], inJs[5]], [0x2345_6789, 1]);
  } finally {
    close();
  }
});

Deno.test("WebAssembly regions keep a loop's inline adds in locals and add them up when leaving, at a fault too: the same counts as JavaScript", () => {
  const { hooks, arena, close } = mappedArena();
  try {
    // Only adds on arena 0 (per block at word 0, per instruction at vCPU 5's entry and at word 6): kept in locals.
    const actions = (tb: TranslationBlock) => [[add(0, 0, 1n)], ...tb.insns.map(() => [add(2, 4, 3n), add(6, 0, 1n)])];
    const windows = { arena: (k: number) => (k === 0 ? 0 : undefined), batch: () => undefined };
    const instr = { block: [add(0, 0, 1n)], insn: [[add(2, 4, 3n), add(6, 0, 1n)]], mem: [] };
    assertEquals(promoteCounters([instr], windows).length, 3);
    for (const faulting of [false, true]) {
      arena.fill(0, 0, 64);
      run(hooks, "off", 5, actions, faulting);
      const inJs = [...arena.subarray(0, 32)];
      arena.fill(0, 0, 64);
      const wasm = run(hooks, "always", 5, actions, faulting);
      assert(wasm.wasmRegions > 0, "the loop did not become a WebAssembly region");
      assertEquals([...arena.subarray(0, 32)], inJs, faulting ? "with a fault in the loop" : "");
      assert(inJs[0] > 4096 && inJs[6] > 8192, `counts ${inJs}`);
    }
  } finally {
    close();
  }
});

Deno.test("a region keeps no adds in locals on an arena it also stores into or tests, nor past eight entries", () => {
  const windows = { arena: () => 0, batch: () => undefined };
  const storeOn = (arena: number): ExecAction => ({
    kind: "inline",
    op: INLINE_STORE,
    ref: { arena, index: 40, stride: 0 },
    value: 1n,
  });
  const store = storeOn(0);
  const test: ExecAction = {
    kind: "cond",
    cond: COND.EQ,
    ref: { arena: 0, index: 8, stride: 0 },
    value: 0n,
    then: add(4, 0, 1n),
  };
  const instr = (insn: ExecAction[]) => ({ block: [add(0, 0, 1n)], insn: [insn], mem: [] });
  assertEquals(promoteCounters([instr([add(2, 0, 1n)])], windows).length, 2);
  assertEquals(promoteCounters([instr([add(2, 0, 1n), store])], windows), []);
  assertEquals(promoteCounters([instr([test])], windows), []);
  // Another arena's store leaves arena 0's adds in locals.
  assertEquals(promoteCounters([instr([storeOn(1)])], windows).length, 1);
  assertEquals(promoteCounters([instr(Array.from({ length: 9 }, (_, k) => add(2 + 2 * k, 0, 1n)))], windows), []);
});

Deno.test("WebAssembly regions: a 64-bit scoreboard entry carries into its high word; entries past the arena are skipped", () => {
  const { hooks, arena, next, close } = mappedArena();
  try {
    arena[0] = -2; // low word 0xfffffffe: the third add carries
    // vCPU 3's entry with a stride past the arena's end: skipped in both tiers, nothing else written.
    // (An add to next[(3 << 14) - 2], in the window after this arena's, if it were not skipped.)
    const actions = (tb: TranslationBlock) => [
      [add(0, 0, 1n), add(WORDS - 2, 1 << 14, 1n)],
      ...tb.insns.map(() => [add(0, 0, 0n), { ...add(0, 0, 0n), ref: { arena: 1, index: 8, stride: 0 } }]),
    ];
    const wasm = run(hooks, "always", 3, actions);
    assert(wasm.wasmRegions > 0);
    assertEquals(arena[1], 1);
    assert(arena[0] > 8192 - 2);
    assertEquals([arena[WORDS - 2], arena[WORDS - 1]], [0, 0]);
    assertEquals([next[(3 << 14) - 2], next[(3 << 14) - 1]], [0, 0]);
  } finally {
    close();
  }
});

Deno.test("WebAssembly regions: an arena that is no shared mapping keeps its regions in JavaScript", () => {
  const arena = new Int32Array(new SharedArrayBuffer(ARENA_WINDOW_BYTES));
  const hooks: PluginHooks = { ...NO_PLUGIN_HOOKS, arenas: [arena], shareArena: () => false };
  const cache = run(hooks, "always", 0, (tb) => [[add(0, 0, 1n)], ...tb.insns.map(() => [])]);
  assertEquals(cache.wasmRegions, 0);
  assert(cache.regions > 0);
  assert(arena[0] > 8192);
});

Deno.test("WebAssembly regions stream block records and test conditions as JavaScript does; a fault truncates the records", () => {
  const { hooks: mapped, arena, close } = mappedArena();
  try {
    const seen: string[] = [];
    const hooks: PluginHooks = {
      ...mapped,
      record: (ring, id, vcpu) => void seen.push(`r${ring}:${id}:${vcpu}`),
      fault: (c, pc) => void seen.push(`fault ${pc.toString(16)} on ${c.vcpuIndex}`),
    };
    // A record per block; an instruction record while word 0 (the block count) is below 100, then an add while it is
    // at least 100; an add to word 20 for vCPU 2 (stride 2) while its own entry is 0 (once).
    const actions = (tb: TranslationBlock) => [
      [add(0, 0, 1n), { kind: "record", ring: 0, id: 1 } as ExecAction],
      ...tb.insns.map((_, k): ExecAction[] =>
        k === 0
          ? [
            {
              kind: "cond",
              cond: COND.LT,
              ref: { arena: 0, index: 0, stride: 0 },
              value: 100n,
              then: { kind: "record", ring: 0, id: 2 },
            },
            { kind: "cond", cond: COND.GE, ref: { arena: 0, index: 0, stride: 0 }, value: 100n, then: add(10, 0, 1n) },
            { kind: "cond", cond: COND.EQ, ref: { arena: 0, index: 20, stride: 2 }, value: 0n, then: add(20, 2, 5n) },
            { kind: "cond", cond: COND.NEVER, ref: { arena: 0, index: 0, stride: 0 }, value: 0n, then: add(30, 0, 1n) },
          ]
          : []
      ),
    ];
    const outcome = () => [seen.join(" "), arena[0], arena[10], arena[24], arena[30]];
    for (const faulting of [false, true]) {
      run(hooks, "off", 2, actions, faulting);
      const inJs = outcome();
      seen.length = 0;
      arena.fill(0, 0, 64);
      const wasm = run(hooks, "always", 2, actions, faulting);
      assert(wasm.wasmRegions > 0, "the loop did not become a WebAssembly region");
      assertEquals(outcome(), inJs);
      assertEquals(inJs[3], 5);
      assert((inJs[0] as string).includes("r0:2:2") && (inJs[2] as number) > 8000 - 4096 * Number(faulting));
      assertEquals((inJs[0] as string).includes("fault 10010 on 2"), faulting);
      seen.length = 0;
      arena.fill(0, 0, 64);
    }
  } finally {
    close();
  }
});

Deno.test("WebAssembly regions: a point crowded with plugin actions keeps its region in JavaScript", () => {
  const { hooks, arena, close } = mappedArena();
  try {
    // One more action on each instruction than the tier takes: the JavaScript region runs the rest through a closure.
    const crowded = (
      tb: TranslationBlock,
    ) => [[], ...tb.insns.map(() => Array.from({ length: 5 }, () => add(0, 0, 1n)))];
    const cache = run(hooks, "always", 0, crowded);
    assertEquals(cache.wasmRegions, 0);
    assert(cache.regions > 0 && arena[0] === 5 * (2 * 8192 + 5), `count ${arena[0]}`);
    arena.fill(0, 0, 64);
    const fits = (tb: TranslationBlock) => [[], ...tb.insns.map(() => Array.from({ length: 4 }, () => add(0, 0, 1n)))];
    assert(run(hooks, "always", 0, fits).wasmRegions > 0);
    assertEquals(arena[0], 4 * (2 * 8192 + 5));
  } finally {
    close();
  }
});

/** An I-type word (loads). */
const iType = (op: number, f3: number, rd: number, rs1: number, imm: number) =>
  ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
/** An S-type word (stores). */
const sType = (op: number, f3: number, rs2: number, rs1: number, imm: number) =>
  (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op;

/**
 * Runs a 1,000-pass loop of loads and stores of every width, integer and
 * FP (`atomic`: with an amoadd.w among them), each instruction with memory
 * actions `actions`, under WebAssembly policy `wasm`; returns the cache.
 */
function runAccesses(hooks: PluginHooks, wasm: "always" | "off", actions: MemAction[], atomic = false) {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 0x1000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(0x20000, 0x4000, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
  for (let k = 0; k < 0x4000; k++) mem.view.setUint8(0x20000 + k, 0x80 + (k * 37) % 128);
  const body = [
    lw(7, 6, 0),
    iType(0x03, 3, 8, 6, 8), // ld x8, 8(x6)
    iType(0x03, 4, 9, 6, 1), // lbu x9, 1(x6)
    sType(0x23, 0, 7, 6, 64), // sb x7, 64(x6): the record carries all of x7
    sType(0x23, 3, 8, 6, 72), // sd x8, 72(x6)
    iType(0x07, 2, 1, 6, 16), // flw f1, 16(x6): reported as a signed load
    sType(0x27, 2, 1, 6, 80), // fsw f1, 80(x6): the register's low word
    iType(0x07, 3, 2, 6, 24), // fld f2, 24(x6)
    sType(0x23, 1, 9, 6, 88), // sh x9, 88(x6)
    atomic ? amoaddW(10, 9, 6) : addi(0, 0, 0),
    addi(6, 6, 8),
    addi(5, 5, -1),
  ];
  emit(mem, CODE, [li(5, 1000), li(6, 1), slli(6, 6, 17), ...body, bne(5, 0, -4 * body.length)]);
  emit(mem, CODE + 4 * (body.length + 4), [li(10, 7), li(17, SYS.exit_group), ecall]);
  const proc = new Process(mem, new Log());
  const cpu = new Cpu();
  cpu.pc = CODE;
  cpu.vcpuIndex = 1;
  proc.thread(cpu);
  const cache = new TbCache(mem, makeRuntime(mem, hooks));
  cache.warmupMs = 0;
  cache.wasm = wasm;
  cache.instrument = (tb) => ({ block: [], insn: tb.insns.map(() => []), mem: tb.insns.map(() => actions) });
  assertEquals(new Scheduler(proc, cache).runSync(), 7);
  return cache;
}

Deno.test("WebAssembly regions carry memory actions: the same records (address, meminfo, value) and counts as JavaScript", () => {
  const { hooks: mapped, arena, close } = mappedArena();
  try {
    const seen: string[] = [];
    const hooks: PluginHooks = {
      ...mapped,
      memRecord: (ring, id, vcpu, bl, bh, imm, info, vl, vh) =>
        void seen.push(`${ring}:${id}:${vcpu} ${(bh * 2 ** 32 + (bl >>> 0) + imm).toString(16)} ${info} ${vl} ${vh}`),
    };
    // A record of every access; +1 at word 0 per load, +1 per store on vCPU 1's entry (word 4 + 2 · 1).
    const actions: MemAction[] = [
      { rw: 3, kind: "record", ring: 2, id: 9 },
      { rw: 1, kind: "inline", op: INLINE_ADD, ref: { arena: 0, index: 0, stride: 0 }, value: 1n },
      { rw: 2, kind: "inline", op: INLINE_ADD, ref: { arena: 0, index: 4, stride: 2 }, value: 1n },
    ];
    const outcome = () => [seen.join("\n"), arena[0], arena[6]];
    assertEquals(runAccesses(hooks, "off", actions).wasmRegions, 0);
    const inJs = outcome();
    assertEquals([inJs[1], inJs[2]], [5000, 4000]);
    // flw's record: signed (bit 4 of the meminfo) and sign-extended, as the JavaScript tier loads it.
    assert((inJs[0] as string).includes(` ${2 | 16} `), "no signed 4-byte load record");
    seen.length = 0;
    arena.fill(0, 0, 64);
    assert(runAccesses(hooks, "always", actions).wasmRegions > 0, "the loop did not become a WebAssembly region");
    const inWasm = outcome();
    if (inWasm[0] !== inJs[0]) {
      const a = (inWasm[0] as string).split("\n"), b = (inJs[0] as string).split("\n");
      const k = a.findIndex((line, i) => line !== b[i]);
      assertEquals(a[k], b[k], `record ${k} differs`);
    }
    assertEquals(inWasm, inJs);
  } finally {
    close();
  }
});

Deno.test("WebAssembly regions: memory actions on an atomic keep the region in JavaScript (its accesses are reported there)", () => {
  const { hooks, arena, close } = mappedArena();
  try {
    const actions: MemAction[] = [{
      rw: 3,
      kind: "inline",
      op: INLINE_ADD,
      ref: { arena: 0, index: 0, stride: 0 },
      value: 1n,
    }];
    const cache = runAccesses(hooks, "always", actions, true);
    assertEquals(cache.wasmRegions, 0);
    // 9 accesses a pass, and the amo's load and store.
    assertEquals(arena[0], 11 * 1000);
  } finally {
    close();
  }
});

/**
 * Hooks that stream records into a real event ring, as the plugin core's
 * do (`put2`, `put4` or `put5`, and the batch store WebAssembly regions append to in
 * place, `shareBatch` "store"; "window": the ring is a shared mapping,
 * mapped again into the plugin memory, where batches are copied by
 * `memory.copy`), with a consumer that drains the ring whenever it is
 * full; every word streamed so far, and the batches copied through the
 * window.
 */
function ringHooks(
  base: PluginHooks,
  shareBatch: false | "store" | "window",
): {
  hooks: PluginHooks;
  words(): number[];
  windowCopies(): number;
  truncate(vcpu: number, pc: number): void;
  close(): void;
} {
  const bytes = Math.ceil(((RING_HEADER + EVENT_RING_WORDS) * 4) / 65536) * 65536;
  const fd = shareBatch === "window" ? os().memfd("plume-wasm-ring-test", bytes) : -1;
  const mapping = fd >= 0 ? os().map(fd, bytes) : undefined;
  const buffer = mapping?.region(0, bytes) ?? new SharedArrayBuffer(bytes), w = new Int32Array(buffer);
  let copies = 0;
  const got: number[] = [];
  const drain = () => {
    const head = Atomics.load(w, RING.HEAD);
    for (let t = Atomics.load(w, RING.TAIL); t !== head; t = (t + 1) | 0) got.push(ringWord(w, t));
    Atomics.store(w, RING.TAIL, head);
  };
  const ring = new RingWriter(buffer, () => {}, drain);
  const hooks: PluginHooks = {
    ...base,
    record: (_ring, id, vcpu) => ring.put2(id, vcpu),
    memRecord: (_ring, id, vcpu, bl, bh, imm, info, vl, vh) => {
      const address = (bh * 2 ** 32 + (bl >>> 0) + imm) | 0;
      if (memRecordWords(info) === 4) ring.put4(TAG.MEM | id, info | (vcpu << 17), address, vl);
      else ring.put5(TAG.MEM | id, info | (vcpu << 17), address, vl, vh);
    },
    ...(shareBatch
      ? {
        shareBatch: (_r, store, window) => {
          if (mapping === undefined || window === undefined) return ring.moveBatch(store), true;
          assert(os().alias(mapping.address, bytes, window.address) && bytes <= window.bytes, "ring not mapped");
          ring.moveBatch(store, (to, from, n) => (copies++, window.copy(to, from, n)));
          return true;
        },
        publishBatch: () => ring.publish(),
      }
      : {}),
  };
  return {
    hooks,
    words: () => (ring.publish(), drain(), got),
    windowCopies: () => copies,
    truncate: (vcpu, pc) => ring.put3(TAG.TRUNC | 1, vcpu, pc),
    close: () => fd >= 0 && os().close(fd),
  };
}

Deno.test("WebAssembly regions append block and memory records to the ring's batch in place: the same words as JavaScript's", () => {
  const { hooks: mapped, close } = mappedArena();
  try {
    const mem: MemAction[] = [{ rw: 3, kind: "record", ring: 0, id: 9 }];
    const streamed = (wasm: "always" | "off", shareBatch: false | "store" | "window") => {
      const { hooks, words, windowCopies, close } = ringHooks(mapped, shareBatch);
      try {
        const cache = runAccesses(hooks, wasm, mem);
        return { cache, words: words(), windowCopies: windowCopies() };
      } finally {
        close();
      }
    };
    const js = streamed("off", "store");
    assertEquals(js.cache.wasmRegions, 0);
    // 1,000 passes of 9 accesses, 4 words each (5 for the 8-byte ones): the 8,192-word batch filled and was published
    // many times.
    assert(js.words.length >= 9000 * 4, `${js.words.length} words`);
    for (const shareBatch of ["store", "window", false] as const) {
      const wasm = streamed("always", shareBatch);
      assert(wasm.cache.wasmRegions > 0, "the loop did not become a WebAssembly region");
      const k = wasm.words.findIndex((v, i) => v !== js.words[i]);
      assertEquals(k, -1, `word ${k} differs (batch store shared: ${shareBatch})`);
      assertEquals(wasm.words.length, js.words.length);
      if (shareBatch === "window") assert(wasm.windowCopies > 4, `${wasm.windowCopies} batches through the window`);
    }
    // Block records: two words each, the vCPU's index second. The loop is a block that jumps to itself: in
    // WebAssembly, its passes after the first of a region's call are counted and written as REPEAT records, which say
    // what as many block records would. With a load that faults in the loop, the fault's truncation record (as the
    // plugin core writes it) comes after the passes counted before it.
    for (const faulting of [false, true]) {
      const blocks = (wasm: "always" | "off") => {
        const { hooks, words, truncate } = ringHooks(mapped, "store");
        run(
          { ...hooks, fault: (c, pc) => truncate(c.vcpuIndex, pc) },
          wasm,
          3,
          (tb) => [[{ kind: "record", ring: 0, id: 4 }], ...tb.insns.map(() => [])],
          faulting,
        );
        return words();
      };
      const inJs = blocks("off"), inWasm = blocks("always");
      assert(inJs.length > 2 * (faulting ? 4096 : 8192) && inJs[0] === 4 && inJs[1] === 3, `${inJs.slice(0, 4)}`);
      assertEquals(inJs.filter((w) => (w & ~ID_MASK) === TAG.REPEAT).length, 0);
      const { words: expanded, repeats } = expandRepeats(inWasm);
      assert(repeats > 0 && inWasm.length < inJs.length / 10, `${repeats} REPEATs in ${inWasm.length} words`);
      assertEquals(expanded.findIndex((v, i) => v !== inJs[i]), -1, `faulting: ${faulting}`);
      assertEquals(expanded.length, inJs.length);
      assertEquals(inJs.at(-3)! & ~ID_MASK, faulting ? TAG.TRUNC : TAG.BLOCK);
    }
  } finally {
    close();
  }
});

/**
 * `words` (block records, truncations and REPEAT records only) with each
 * `[REPEAT | n, vcpu]` replaced by n copies of the block record before it,
 * as the plugin's replay reads them.
 */
function expandRepeats(words: readonly number[]): { words: number[]; repeats: number } {
  const out: number[] = [];
  let last: number[] = [], repeats = 0;
  for (let k = 0; k < words.length;) {
    const tag = words[k] & ~ID_MASK;
    if (tag === TAG.REPEAT) {
      assertEquals(words[k + 1], last[1], "a REPEAT names the vCPU of the block record before it");
      for (let n = words[k] & ID_MASK; n > 0; n--) out.push(...last);
      k += 2, repeats++;
    } else if (tag === TAG.TRUNC) out.push(...words.slice(k, k + 3)), k += 3;
    else {
      assertEquals(tag, TAG.BLOCK);
      last = words.slice(k, k + 2);
      out.push(...last), k += 2;
    }
  }
  return { words: out, repeats };
}
