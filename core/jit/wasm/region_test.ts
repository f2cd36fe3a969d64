import { assertEquals } from "../../../tests/assert.ts";
import { addi, bne, emit, li, lw, sw } from "../../cpu/_asm_testing.ts";
import { Cpu } from "../../cpu/state.ts";
import { AddressSpace, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { makeRuntime } from "../runtime.ts";
import { interpretBlock } from "../interpreter.ts";
import { rng } from "../_rng_testing.ts";
import { TbCache } from "../tb_cache.ts";
import { compileWasmRegion, wasmRegionModule } from "./region.ts";
import { lastBody, sections, uleb } from "./_module_testing.ts";
import { EXIT_ECALL } from "../emitter.ts";
import { EXTENSIONS } from "../../isa/ops_generated.ts";
import type { TranslationBlock } from "../translator.ts";

const CODE = 0x10000, DATA = 0x20000;

/**
 * A WebAssembly region of one block at CODE that adds 1 to the word at `DATA` three times, the store after the load
 * of its address (which then checks the page for the store too), in memory where DATA's page has `prot`.
 */
function incrementLoop(prot: number) {
  const mem = new AddressSpace(1 << 20);
  mem.mmap(CODE, 4096, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(DATA, 4096, prot, { name: "data", fixed: true });
  // DATA holds an instruction, so that it can hold translated code too.
  emit(mem, DATA, [li(10, 7), 0x73]);
  emit(mem, CODE, [lw(5, 11, 0), addi(5, 5, 1), sw(5, 11, 0), addi(31, 31, -1), bne(31, 0, -16), 0x73]);
  const cache = new TbCache(mem, makeRuntime(mem));
  const fn = compileWasmRegion([cache.get(CODE)], cache.rt.wasm!)!;
  const cpu = new Cpu();
  cpu.setXNumber(11, DATA);
  cpu.setXNumber(31, 3);
  return { mem, cache, fn, cpu };
}

Deno.test("a store after a load of its address faults at its own pc on a page the load may only read", () => {
  const { fn, cpu } = incrementLoop(PROT_READ);
  let fault: unknown;
  try {
    fn(cpu);
  } catch (err) {
    fault = err;
  }
  assertEquals(fault !== undefined, true, "the store to a read-only page faulted");
  assertEquals(cpu.pc, CODE + 8); // the sw, not the lw
  assertEquals(cpu.getXNumber(5), li(10, 7) + 1); // the load and the add ran
});

Deno.test("a store after a load of its address invalidates the translated code on its page", () => {
  const { mem, cache, fn, cpu } = incrementLoop(PROT_READ | PROT_WRITE | PROT_EXEC);
  const old = cache.get(DATA); // translated: DATA's page now holds code
  assertEquals(fn(cpu), CODE + 20); // the loop ran out: on to the ecall
  assertEquals(mem.view.getUint32(DATA, true), li(10, 7) + 3);
  assertEquals(old.valid, false, "the block at DATA was invalidated");
  assertEquals(cache.get(DATA) !== old, true, "translated again");
});

/**
 * Checks the branch hints of the module of a region of one block of `words` at CODE: each on an `if` or `br_if` of
 * the region's function, in increasing order of offset (as the branch hinting proposal requires); returns the hints.
 */
function checkHints(words: number[], vector = false): [offset: number, likely: number, opcode: number][] {
  const mem = new AddressSpace(1 << 20);
  mem.mmap(CODE, 4096, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  emit(mem, CODE, words);
  const rt = makeRuntime(mem, undefined, undefined, vector ? new Set(EXTENSIONS) : undefined);
  // Vector words run once first, so that the region inlines each for the shape it ran in (`vector.ts`).
  const cpu = new Cpu();
  if (vector) { for (const raw of words.slice(0, -1)) rt.vectorExecutor(raw)(cpu, 0, 0, 0, 0); }
  const cache = new TbCache(mem, rt);
  if (vector) cache.extensions = new Set(EXTENSIONS);
  const bytes = wasmRegionModule([cache.get(CODE)], cache.rt.wasm!)!;
  const all = sections(bytes);
  const custom = all.filter((c) => c.id === 0).map(({ start: s, end }) => {
    const [length, start] = uleb(bytes, s);
    return { name: new TextDecoder().decode(bytes.subarray(start, start + length)), start: start + length, end };
  });
  const hints = custom.find((c) => c.name === "metadata.code.branch_hint")!;
  assertEquals(hints !== undefined, true, "the module has a branch hint section");
  let [funcs, at] = uleb(bytes, hints.start);
  assertEquals(funcs, 1);
  const [func, afterFunc] = uleb(bytes, at);
  const [count, first] = uleb(bytes, afterFunc);
  // The hinted function is the last body of the code section, and the exported `run`.
  const exports = all.find((c) => c.id === 7)!;
  const [, nameAt] = uleb(bytes, exports.start);
  const [nameLength, nameStart] = uleb(bytes, nameAt);
  assertEquals(new TextDecoder().decode(bytes.subarray(nameStart, nameStart + nameLength)), "run");
  assertEquals(uleb(bytes, nameStart + nameLength + 1)[0], func);
  const body = lastBody(bytes).start;
  at = first;
  const out: [number, number, number][] = [];
  for (let k = 0; k < count; k++) {
    const [offset, sizeAt] = uleb(bytes, at);
    assertEquals(bytes[sizeAt], 1, "one byte");
    assertEquals(bytes[sizeAt + 1] <= 1, true, "likely or unlikely");
    assertEquals([0x04, 0x0d].includes(bytes[body + offset]), true, `hint ${k} at ${offset} is on an if or a br_if`);
    if (k > 0) assertEquals(offset > out[k - 1][0], true, `hint ${k} at ${offset} follows the one before`);
    out.push([offset, bytes[sizeAt + 1], bytes[body + offset]]);
    at = sizeAt + 2;
  }
  assertEquals(at, hints.end);
  return out;
}

Deno.test("every branch hint of a region's module marks an `if` or `br_if` of the region's function", () => {
  const hints = checkHints([lw(5, 11, 0), addi(5, 5, 1), sw(5, 11, 4), addi(31, 31, -1), bne(31, 0, -16), 0x73]);
  // The load's and the store's slow paths, their status checks, and the loop's budget at least.
  assertEquals(hints.length >= 5, true, `${hints.length} hints`);
});

Deno.test("the branch hints of FP fast paths mark `if`s of the region's function, likely", () => {
  const hints = checkHints([
    0x023170d3, // fadd.d ft1, ft2, ft3 (dynamic rounding)
    0x10628253, // fmul.s ft4, ft5, ft6, rne
    0x1a20f3c3, // fmadd.d ft7, ft1, ft2, ft3
    0x5a00f453, // fsqrt.d fs0, ft1
    0x1a20f4d3, // fdiv.d fs1, ft1, ft2
    0xc200f653, // fcvt.w.d a2, ft1
    0x0015b427, // fsd ft1, 8(a1)
    0x73,
  ]);
  // One likely fast path for each of the five arithmetic operations at least.
  assertEquals(hints.filter(([, likely]) => likely === 1).length >= 5, true, `${hints.length} hints`);
});

Deno.test("the branch hints of vector declines mark `br_if`s of the region's function, unlikely", () => {
  const hints = checkHints([0xcd027057, 0x022180d7, 0x022180d7, 0x73], true); // vsetivli x0, 4, e32; vadd.vv v1, v2, v3 twice
  // Each vadd.vv declines its inline path (a br_if) unless the shape is the one it ran in.
  const declines = hints.filter(([, likely, opcode]) => likely === 0 && opcode === 0x0d).length;
  assertEquals(declines >= 2, true, `${declines} unlikely br_ifs`);
});

/**
 * Runs `code` (ending in an ecall) as a WebAssembly region at CODE with x11 = `base`, in memory where DATA's page
 * has `prot` (the page after it is unmapped); returns the region's pc or what it threw, the vCPU and the memory.
 */
function runGroup(
  code: number[],
  base: number,
  prot = PROT_READ | PROT_WRITE,
  init?: (mem: AddressSpace) => void,
  before?: (cache: TbCache) => void,
) {
  const mem = new AddressSpace(1 << 20);
  mem.mmap(CODE, 4096, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(DATA, 4096, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
  for (let k = 0; k < 4096; k += 4) mem.view.setUint32(DATA + k, 0x01010101 * (k & 0xff), true);
  init?.(mem);
  if (prot !== (PROT_READ | PROT_WRITE)) mem.mprotect(DATA, 4096, prot);
  emit(mem, CODE, [...code, 0x73]);
  const cache = new TbCache(mem, makeRuntime(mem));
  const fn = compileWasmRegion([cache.get(CODE)], cache.rt.wasm!)!;
  const cpu = new Cpu();
  cpu.setXNumber(11, base);
  cpu.setXNumber(5, 0x5555);
  before?.(cache);
  let result: unknown;
  try {
    result = fn(cpu);
  } catch (err) {
    result = err;
  }
  return { result, cpu, mem, cache };
}

Deno.test("accesses through one base that run into an unmapped page fault at the first access there", () => {
  // A group from DATA + 4088 to DATA + 4100: the last word is on the next page, which is not mapped.
  const { result, cpu, mem } = runGroup([sw(5, 11, 0), lw(6, 11, 4), lw(7, 11, 8)], DATA + 4088);
  assertEquals(typeof result === "number", false, "the region faulted");
  assertEquals(cpu.pc, CODE + 8); // the second lw
  assertEquals(mem.view.getUint32(DATA + 4088, true), 0x5555); // the store before it ran
  assertEquals(cpu.getXNumber(6), mem.view.getInt32(DATA + 4092, true)); // and the load
});

Deno.test("accesses through one base read and write misaligned words inside a page", () => {
  const { result, cpu, mem } = runGroup([lw(6, 11, 0), lw(7, 11, 4), sw(5, 11, 2)], DATA + 1);
  assertEquals(result, EXIT_ECALL);
  const expected = new DataView(new Uint8Array(Array.from({ length: 16 }, (_, k) => k & ~3)).buffer);
  assertEquals(cpu.getXNumber(6), expected.getInt32(1, true));
  assertEquals(cpu.getXNumber(7), expected.getInt32(5, true));
  assertEquals(mem.view.getUint32(DATA + 3, true), 0x5555);
});

Deno.test("a load and a store of different words through one base fault at the store on a page it may only read", () => {
  const { result, cpu } = runGroup([lw(6, 11, 0), addi(6, 6, 1), sw(6, 11, 8)], DATA + 16, PROT_READ);
  assertEquals(typeof result === "number", false, "the region faulted");
  assertEquals(cpu.pc, CODE + 8); // the sw
  assertEquals(cpu.getXNumber(6), 0x10101010 + 1); // the load and the add ran
});

Deno.test("a store of a group into a page holding translated code invalidates that code", () => {
  let old: TranslationBlock | undefined;
  const { result, mem, cache } = runGroup(
    [lw(6, 11, 0), sw(5, 11, 8)],
    DATA,
    PROT_READ | PROT_WRITE | PROT_EXEC,
    (mem) => void emit(mem, DATA, [li(10, 7), 0x73]),
    (cache) => void (old = cache.get(DATA)), // translated: DATA's page now holds code
  );
  assertEquals(result, EXIT_ECALL);
  assertEquals(mem.view.getUint32(DATA + 8, true), 0x5555);
  assertEquals(old!.valid, false, "the block at DATA was invalidated");
  assertEquals(cache.get(DATA) !== old, true, "translated again");
});

Deno.test("a load into its group's base register ends the group: the next access checks the new address", () => {
  // DATA's first word holds an address on the unmapped page after DATA.
  const { result, cpu } = runGroup([lw(11, 11, 0), lw(6, 11, 4)], DATA, PROT_READ | PROT_WRITE, (mem) => {
    mem.view.setUint32(DATA, DATA + 4096, true);
  });
  assertEquals(typeof result === "number", false, "the region faulted");
  assertEquals(cpu.pc, CODE + 4);
  assertEquals(cpu.getXNumber(11), DATA + 4096);
});

Deno.test("a group whose lowest offset is below its first access's checks the range from there: a fault below", () => {
  // lw 0 at DATA + 8 is readable; lw -16 reaches DATA - 8, on the unmapped page before DATA.
  const { result, cpu, mem } = runGroup([lw(6, 11, 0), lw(7, 11, -16)], DATA + 8);
  assertEquals(typeof result === "number", false, "the region faulted");
  assertEquals(cpu.pc, CODE + 4); // the second lw
  assertEquals(cpu.getXNumber(6), mem.view.getInt32(DATA + 8, true)); // the first ran
});

Deno.test("two interleaved groups keep their own checks: a read-only page's store still faults", () => {
  // Group x11: lw 0, sw 8 (its check fails: the page is read-only); group x12: two loads (its check passes).
  const { result, cpu, mem } = runGroup(
    [addi(12, 11, 64), lw(6, 11, 0), lw(7, 12, 0), lw(8, 12, 4), sw(5, 11, 8)],
    DATA,
    PROT_READ,
  );
  assertEquals(typeof result === "number", false, "the region faulted");
  assertEquals(cpu.pc, CODE + 16); // the sw
  assertEquals(cpu.getXNumber(8), mem.view.getInt32(DATA + 68, true)); // the loads before it ran
  assertEquals(mem.view.getUint32(DATA + 8, true), 0x08080808); // the page is unchanged
});

/** An I-type word (loads, addi) and an S-type word (stores). */
const iType = (op: number, f3: number, rd: number, rs1: number, imm: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const sType = (op: number, f3: number, rs2: number, rs1: number, imm: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | op) >>> 0;

Deno.test("WebAssembly regions agree with the interpreter on random groups near page ends, across prots and code", () => {
  // Two data pages at DATA and DATA + 4096 (the page after them unmapped) and one further on; accesses through x11,
  // x12 and x0 at offsets that cross pages, reach below the base, or wrap; loads into the bases and FP registers of
  // the bases' numbers; each page readable, writable, both, neither, or holding translated code.
  const next = rng(0x6a0e), pick = <T>(xs: readonly T[]) => xs[next() % xs.length];
  const offsets = [0, 1, 2, 3, 4, 6, 7, 8, 12, 16, -1, -2, -4, -8, -16, 1020, -1020, 2047, -2048];
  const loads = [[3, 0], [3, 1], [3, 2], [3, 3], [3, 4], [3, 5], [3, 6], [7, 2], [7, 3]]; // lb…lwu, flw, fld
  const stores = [[0x23, 0], [0x23, 1], [0x23, 2], [0x23, 3], [0x27, 2], [0x27, 3]]; // sb…sd, fsw, fsd
  const prots = [PROT_READ | PROT_WRITE, PROT_READ, PROT_WRITE, 0, PROT_READ | PROT_WRITE | PROT_EXEC];
  const P2 = DATA + 4096;
  const bases = [DATA + 8, DATA + 4092, P2 - 4, P2 + 4, P2 + 4088, P2 + 4095, DATA + 2048, P2 + 1, DATA + 1021];
  let compared = 0;
  for (let round = 0; round < 1500; round++) {
    const words = Array.from({ length: 2 + next() % 7 }, () => {
      const base = pick([11, 12, 0]), r = next() % 6;
      if (r <= 1) return iType(...pick(loads) as [number, number], pick([5, 6, 11, 12, 7]), base, pick(offsets));
      if (r <= 3) return sType(...pick(stores) as [number, number], pick([5, 6, 11, 12]), base, pick(offsets));
      if (r === 4) return iType(0x13, 0, pick([11, 12]), pick([11, 12]), pick([4, -4, 8, 1, 0]));
      return iType(0x13, 0, 6, 5, 1);
    });
    const prot1 = pick(prots), prot2 = pick(prots), code = next() % 2 === 0;
    const x11 = BigInt(pick(bases)), x12 = pick([BigInt(pick(bases)), -8n, 2n ** 32n + BigInt(DATA), BigInt(DATA)]);
    const run = (tier: "interpreter" | "wasm") => {
      const mem = new AddressSpace(1 << 20);
      mem.mmap(CODE, 4096, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
      mem.mmap(DATA, 8192, PROT_READ | PROT_WRITE, { name: "data", fixed: true });
      mem.mmap(DATA + 0x3000, 4096, PROT_READ | PROT_WRITE, { name: "more", fixed: true });
      for (let k = 0; k < 8192; k++) mem.u8[DATA + k] = (k * 7 + 3) & 0xff;
      if (code) emit(mem, DATA, [li(10, 7), 0x73]);
      mem.mprotect(DATA, 4096, prot1);
      mem.mprotect(P2, 4096, prot2);
      emit(mem, CODE, [...words, 0x73]);
      const cache = new TbCache(mem, makeRuntime(mem));
      const old = code && (prot1 & PROT_EXEC) ? cache.get(DATA) : undefined; // DATA's page then holds code
      const tb = cache.get(CODE);
      const fn = tier === "interpreter" ? interpretBlock(tb, cache.rt) : compileWasmRegion([tb], cache.rt.wasm!);
      if (!fn) return undefined;
      const cpu = new Cpu();
      cpu.setX(11, x11);
      cpu.setX(12, x12);
      cpu.setX(5, 0x1122334455667788n);
      cpu.setX(6, -3n);
      let result: unknown;
      try {
        result = fn(cpu);
      } catch (err) {
        result = (err as Error).name;
      }
      const data = mem.u8.slice(DATA, DATA + 8192);
      return { result, pc: cpu.pc, x: [...cpu.x], f: [...cpu.fi], data, valid: old?.valid };
    };
    const wasm = run("wasm");
    if (!wasm) continue;
    assertEquals(wasm, run("interpreter"), `${words.map((w) => w.toString(16))} x11 ${x11} x12 ${x12}`);
    compared++;
  }
  assertEquals(compared > 1400, true, `${compared} compared`);
});

/** The WebAssembly region of the blocks at `heads` (the first its head) of code `words` at CODE. */
function codeRegion(words: number[], heads = [CODE]) {
  const mem = new AddressSpace(1 << 20);
  mem.mmap(CODE, 4096, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  emit(mem, CODE, words);
  const cache = new TbCache(mem, makeRuntime(mem));
  return compileWasmRegion(heads.map((pc) => cache.get(pc)), cache.rt.wasm!)!;
}

Deno.test("a region returns after REGION_BUDGET backward jumps, and once warm after more while its thread runs alone", () => {
  // x5 counts the loop's passes; x31 counts down from far more than any budget.
  const fn = codeRegion([addi(5, 5, 1), addi(31, 31, -1), bne(31, 0, -8), 0x73]);
  const passes = (alone: boolean) => {
    const cpu = new Cpu();
    cpu.setXNumber(31, 1 << 24);
    cpu.runsAlone = alone;
    assertEquals(fn(cpu), CODE); // back at the loop's head, for the CPU loop
    // Only a long call asks the CPU loop to read its clock at once (it may have taken milliseconds).
    assertEquals(cpu.clockDue, cpu.getXNumber(5) > 4097, "clockDue");
    return cpu.getXNumber(5);
  };
  // The first pass runs in the loop's block, the budget counts each jump back (REGION_BUDGET = 4096).
  assertEquals(passes(true), 4097, "cold: the short budget even alone");
  assertEquals(passes(false), 4097);
  const until = performance.now() + 25; // past WARM_MS
  while (performance.now() < until) { /* the region warms up */ }
  assertEquals(passes(false), 4097, "warm, with other threads: the short budget");
  assertEquals(passes(true), 65537, "warm and alone: the long one");
});

Deno.test("a region out of budget leaves at its next jump back to its head, or once overdrawn by as much again", () => {
  // The head counts its passes in x6 and sets x7 inner passes; the inner loop at CODE + 8 counts its passes in x5.
  const fn = codeRegion([
    addi(6, 6, 1),
    addi(7, 13, 0),
    addi(5, 5, 1),
    addi(7, 7, -1),
    bne(7, 0, -8),
    addi(31, 31, -1),
    bne(31, 0, -24),
    0x73,
  ], [CODE, CODE + 8, CODE + 20]);
  const run = (inner: number) => {
    const cpu = new Cpu();
    cpu.setXNumber(13, inner);
    cpu.setXNumber(31, 1 << 24);
    const pc = fn(cpu);
    return [pc - CODE, cpu.getXNumber(6), cpu.getXNumber(5)];
  };
  // Nine backward jumps a pass of the head (eight in the inner loop): the budget of 4,096 runs out in the inner loop
  // of the 456th pass, which still goes back to the head before the region leaves.
  assertEquals(run(10), [0, 456, 4560]);
  // An inner loop that never goes back to the head leaves after 4,096 + 4,097 jumps, at its own block.
  assertEquals(run(1 << 24), [8, 1, 8194]);
});
