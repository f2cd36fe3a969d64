/**
 * The WebAssembly interpreter's scan (`WasmInterpreter.scan`, generated
 * from the encoding table) against the JavaScript path it stands in for
 * (`decodeBlock`, then `WasmInterpreter.block`): the same blocks taken,
 * the same records, words, lengths and ends, and the same instructions
 * once a scanned block's are asked for.
 */

import { assertEquals } from "../../../tests/assert.ts";
import { decode } from "../../isa/decoder.ts";
import { DEFAULT_EXTENSIONS, hasInsn } from "../../isa/extensions.ts";
import { AddressSpace, PROT_EXEC, PROT_READ } from "../../mem/address_space.ts";
import { makeRuntime } from "../runtime.ts";
import { decodeBlock, ScannedBlock } from "../translator.ts";
import { WasmInterpreter } from "./interpreter.ts";
import { NUMBER, RECORD } from "./interpreter_module.ts";
import { rng } from "../_rng_testing.ts";

const CODE = 0x10000, PAGE = 4096;
const EXTENSIONS = new Set(DEFAULT_EXTENSIONS);

/** An interpreter over a guest memory of 4 pages from CODE: three executable, the fourth readable only. */
function setUp() {
  const mem = new AddressSpace(1 << 24);
  mem.mmap(CODE, 3 * PAGE, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  mem.mmap(CODE + 3 * PAGE, PAGE, PROT_READ, { name: "data", fixed: true });
  return { mem, it: new WasmInterpreter(makeRuntime(mem).wasm!) };
}

/**
 * The block at `pc` both ways, with `maxInsns` and chain credit 7: what the
 * JavaScript path writes (undefined when it does not take the block) and
 * what the scan writes, as comparable values.
 */
function bothWays(mem: AddressSpace, it: WasmInterpreter, pc: number, maxInsns: number) {
  let js;
  try {
    const block = decodeBlock(mem, pc, maxInsns, EXTENSIONS);
    const at = it.codeBytes;
    if (it.block({ pc, ...block }, 7)) {
      js = { n: block.insns.length, end: block.end, raws: block.raws, records: records(it, at, block.insns.length) };
    }
  } catch {
    js = undefined; // the first instruction cannot be fetched: the scan must leave it to the JavaScript path too
  }
  const got = it.scan(pc, maxInsns, mem.size, 7);
  const scan = got && { n: got.n, end: got.end, raws: got.raws, records: records(it, got.at, got.n) };
  return { js, scan };
}

/** The words of `n` records and the end record at `at`, less the end record's second word (never read). */
function records(it: WasmInterpreter, at: number, n: number): number[] {
  const words = [...it.codeWords(at, (n + 1) * (RECORD / 4))];
  words.splice(n * (RECORD / 4) + 1, 1);
  return words;
}

Deno.test("the interpreter's scan decodes every compressed word, and full-size words of every opcode, funct3 and funct7, as the JavaScript path does", () => {
  const { mem, it } = setUp();
  const random = rng(0x5ca4);
  let taken = 0, words = 0;
  const check = (lo: number, hi: number) => {
    mem.view.setUint16(CODE, lo, true);
    mem.view.setUint16(CODE + 2, hi, true);
    const { js, scan } = bothWays(mem, it, CODE, 1);
    if (scan) taken++;
    if (++words % 8192 === 0) it.reset();
    assertEquals(scan, js, `word ${(hi * 65536 + lo).toString(16)}`);
  };
  for (let lo = 0; lo < 65536; lo++) check(lo, random() & 0xffff);
  for (let op = 0; op < 32; op++) {
    for (let f3 = 0; f3 < 8; f3++) {
      for (let f7 = 0; f7 < 128; f7++) {
        const w = (f7 << 25 | (random() & 0x3ff) << 15 | f3 << 12 | (random() & 0x1f) << 7 | op << 2 | 3) >>> 0;
        check(w & 0xffff, w >>> 16);
      }
    }
  }
  for (let k = 0; k < 50_000; k++) check(random() & 0xffff, random() & 0xffff);
  // Most compressed words and a good share of the others are the interpreter's.
  assertEquals(taken > 40_000, true, `${taken} words taken`);
});

/** Words the interpreter runs (most), and others: FP, system, illegal, Zcb's encodings of base operations. */
function wordPools(random: () => number) {
  const ours: number[] = [], others: number[] = [];
  while (ours.length < 4000 || others.length < 1000) {
    const w = random() & 1 ? (random() & 0xffff) : (random() >>> 0) | 3;
    const insn = decode(w);
    const theirs = insn !== null && NUMBER.has(insn.op) && hasInsn(insn, EXTENSIONS);
    (theirs ? ours : others).push(insn?.size === 2 || (w & 3) !== 3 ? w & 0xffff : w);
  }
  return { ours, others };
}

Deno.test("the interpreter's scan makes the blocks the JavaScript path makes, across page ends, fetch faults and instruction limits, and a scanned block decodes to decodeBlock's instructions", () => {
  const { mem, it } = setUp();
  const random = rng(0xb10c);
  const { ours, others } = wordPools(random);
  let scanned = 0;
  for (let round = 0; round < 300; round++) {
    // Fill the four pages with instructions, mostly the interpreter's (its blocks end at branches and jumps).
    let at = CODE;
    while (at < CODE + 4 * PAGE - 4) {
      const pool = random() % 20 === 0 ? others : ours;
      const w = pool[random() % pool.length];
      if (w > 0xffff) mem.view.setUint32(at, w, true), at += 4;
      else mem.view.setUint16(at, w, true), at += 2;
    }
    for (let k = 0; k < 40; k++) {
      // Starts anywhere, often near a page's end (instructions straddle it; the fourth page cannot be executed).
      const near = CODE + PAGE * (1 + random() % 3) - 2 * (random() % 24);
      const pc = random() & 1 ? near : CODE + 2 * (random() % (2 * PAGE));
      const maxInsns = [1, 2, 5, 256][random() % 4];
      const { js, scan } = bothWays(mem, it, pc, maxInsns);
      assertEquals(scan, js, `block at ${pc.toString(16)}, at most ${maxInsns}`);
      if (scan) {
        scanned++;
        const block = decodeBlock(mem, pc, maxInsns, EXTENSIONS);
        const tb = new ScannedBlock(pc, scan.raws, scan.end, 1, 0, EXTENSIONS);
        assertEquals([tb.insns, tb.pcs], [block.insns, block.pcs]);
      }
    }
    it.reset();
  }
  assertEquals(scanned > 2000, true, `${scanned} blocks scanned`);
});

Deno.test("the interpreter's scan agrees with the JavaScript path at the end of what guest memory maps, and past the end", () => {
  const mem = new AddressSpace(1 << 24);
  // The last page of an address space is never mapped: the highest code ends where it begins.
  const top = mem.size - PAGE;
  assertEquals(mem.mmap(top - PAGE, PAGE, PROT_READ | PROT_EXEC, { name: "top", fixed: true }), top - PAGE);
  const it = new WasmInterpreter(makeRuntime(mem).wasm!);
  // A compressed addi in the last halfword (the block ends there), then the low half of a full-size instruction
  // whose high half lies on the unmapped page (nothing to run: the JavaScript path reports the fault).
  for (const [lo, block] of [[0x0505, true], [0x0513, false]] as const) {
    mem.view.setUint16(top - 2, lo, true);
    const { js, scan } = bothWays(mem, it, top - 2, 256);
    assertEquals(scan, js);
    assertEquals(scan?.end, block ? top : undefined);
  }
  // Past the end of guest memory, and far past it (pcs of 2^32 and more): never scanned.
  for (const pc of [mem.size, mem.size + 2, 2 ** 32, 2 ** 32 + 0x10000, 2 ** 40]) {
    assertEquals(it.scan(pc, 256, mem.size, 0), undefined, pc.toString(16));
  }
});
