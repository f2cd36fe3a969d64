import { assertEquals } from "../../../tests/assert.ts";
import {
  add,
  addi,
  addiw,
  addw,
  andi,
  beq,
  blt,
  bltu,
  bne,
  emit,
  j,
  or,
  slli,
  sltu,
  srliw,
  xor,
  xori,
} from "../../cpu/_asm_testing.ts";
import { Cpu } from "../../cpu/state.ts";
import { AddressSpace, PROT_EXEC, PROT_READ } from "../../mem/address_space.ts";
import { interpretBlock } from "../interpreter.ts";
import { compileRegion, successors } from "../region.ts";
import { makeRuntime } from "../runtime.ts";
import { decodeBlock, type TranslationBlock } from "../translator.ts";
import { compileWasmRegion, regionStructure } from "./region.ts";
import { type Scope, structure } from "./structure.ts";
import { rng } from "../_rng_testing.ts";

/** Checks that the scopes nest and that every edge has its label around its source. */
function checkStructure(edges: [number, number][], n: number): boolean {
  const s = structure(edges);
  if (!s) return false;
  const around = (k: number, scope: Scope | undefined) => scope !== undefined && scope.first <= k && k <= scope.last;
  for (const a of s.scopes) {
    for (const b of s.scopes) {
      const apart = a.last < b.first || b.last < a.first;
      const nested = (a.first <= b.first && b.last <= a.last) || (b.first <= a.first && a.last <= b.last);
      if (!apart && !nested) throw new Error(`scopes overlap: ${JSON.stringify([a, b])}`);
    }
  }
  for (const [from, to] of edges) {
    if (to <= from) {
      if (!around(from, s.loopAt.get(to))) throw new Error(`no loop around ${from} for ${from}->${to}`);
    } else if (!around(from, s.blockTo.get(to))) {
      const loop = s.entryOf.get(to);
      if (!loop || !around(from, s.blockTo.get(loop.first))) {
        throw new Error(`no block around ${from} for ${from}->${to}: ${JSON.stringify(edges)}`);
      }
      if (s.blockTo.get(to)!.first !== loop.first) throw new Error(`entry ${to}'s block does not start with its loop`);
    }
  }
  for (const scope of s.scopes) if (scope.first < 0 || scope.last >= n) throw new Error("scope out of range");
  return true;
}

Deno.test("structure: scopes nest and every jump has a label around it, on random graphs in reverse postorder", () => {
  const next = rng(7);
  let structured = 0;
  for (let round = 0; round < 2000; round++) {
    const n = 2 + (next() % 30);
    const out: number[][] = Array.from({ length: n }, () => []);
    for (let k = 0; k < n; k++) {
      for (let m = next() % 2; m >= 0; m--) out[k].push(next() % n);
      if (k + 1 < n && next() % 2) out[k].push(k + 1);
    }
    // Reverse postorder from block 0, as the region compiler orders blocks.
    const seen = new Uint8Array(n), post: number[] = [];
    const visit = (k: number) => {
      seen[k] = 1;
      for (const to of out[k]) if (!seen[to]) visit(to);
      post.push(k);
    };
    visit(0);
    const order = post.reverse(), at = new Map(order.map((k, i) => [k, i]));
    const edges: [number, number][] = [];
    for (const k of order) for (const to of out[k]) edges.push([at.get(k)!, at.get(to)!]);
    if (checkStructure(edges, order.length)) structured++;
  }
  // Most random graphs are irreducible somewhere; those left unstructured are checked end to end below.
  if (structured < 600) throw new Error(`only ${structured} of 2000 graphs structured`);
});

const CODE = 0x100000;
/** Where the programs stop: before the code, within a branch's reach of every piece. */
const EXIT = CODE - 0x400;

/** `jal rd, off`. */
const jal = (rd: number, off: number) => (j(off) | (rd << 7)) >>> 0;
/** `jalr x0, 0(ra)`: a return. */
const ret = 0x00008067;

/**
 * A random program of `n` pieces: each counts x31 down and leaves for
 * EXIT at zero, does some arithmetic on x5..x12, then branches, jumps or
 * calls (a leaf function after the pieces) to random pieces, or loops 1 to
 * 16 times in a block of its own (counting x30 down).
 */
function randomProgram(mem: AddressSpace, next: () => number, n: number): number {
  const PIECE = 64, fnAt = CODE + n * PIECE;
  for (let k = 0; k < n; k++) {
    const at = CODE + k * PIECE;
    const words = [addi(31, 31, -1), beq(31, 0, EXIT - (at + 4))];
    for (let m = next() % 4; m > 0; m--) {
      const rd = 5 + (next() % 8), rs1 = 5 + (next() % 8), rs2 = 5 + (next() % 8);
      // 64-bit arithmetic, and word operations whose results blocks further on may know to be words.
      const makers = [
        () => slli(rd, rs1, next() % 64),
        () => add(rd, rs1, rs2),
        () => addi(rd, rs1, next() % 2048),
        () => addw(rd, rs1, rs2),
        () => addiw(rd, rs1, next() % 2 ? 0 : next() % 2048),
        () => srliw(rd, rs1, next() % 32),
        () => xor(rd, rs1, rs2),
        () => or(rd, rs1, rs2),
        () => xori(rd, rs1, next() % 2 ? -1 : next() % 2048),
        () => andi(rd, rs1, next() % 2 ? 255 : -16),
        () => sltu(rd, rs1, rs2),
        () => addi(rd, rs1, 0), // mv
        () => add(rd, 0, rs2), // c.mv
      ];
      words.push(makers[next() % makers.length]());
    }
    const to = CODE + (next() % n) * PIECE, here = at + 4 * words.length;
    switch (next() % 6) {
      case 4: { // a block that jumps to itself
        words.push(andi(30, 5 + (next() % 8), 15), addi(30, 30, 1));
        const self = at + 4 * words.length;
        words.push(addi(30, 30, -1), add(5 + (next() % 8), 5 + (next() % 8), 5 + (next() % 8)));
        words.push(bne(30, 0, self - (at + 4 * words.length)));
        break;
      }
      case 0: {
        const rs1 = 5 + (next() % 8), rs2 = 5 + (next() % 8);
        words.push([bne, blt, bltu][next() % 3](rs1, rs2, to - here));
        break;
      }
      case 1:
        words.push(beq(5 + (next() % 8), 0, to - here));
        break;
      case 2:
        words.push(j(to - here));
        break;
      case 3:
        words.push(jal(1, fnAt - here));
        break;
      default: // falls through to the next piece
    }
    // On to the next piece (the last one loops back: the function after it is only called).
    const after = k + 1 < n ? at + PIECE : CODE;
    while (words.length < PIECE / 4) words.push(j(after - (at + 4 * words.length)));
    emit(mem, at, words.slice(0, PIECE / 4));
  }
  emit(mem, fnAt, [add(5, 5, 6), addi(1, 1, 0), ret]);
  return fnAt + 12;
}

/** Runs from CODE to EXIT: the region at CODE through `head`, other blocks interpreted. */
function run(
  mem: AddressSpace,
  rt: ReturnType<typeof makeRuntime>,
  head: ((c: Cpu) => number) | undefined,
  x: Int32Array,
) {
  const c = new Cpu();
  c.x.set(x);
  let pc = CODE;
  for (let steps = 0; pc !== EXIT; steps++) {
    if (steps > 100_000) throw new Error("no exit");
    const fn = pc === CODE && head ? head : interpretBlock(decodeBlock(mem, pc), rt);
    pc = fn(c);
    if (pc < 0) throw new Error(`exit ${pc}`);
  }
  return [...c.x];
}

/**
 * A random program at CODE and its region: every block reachable from CODE, the head first, the others in a
 * random order; and registers to start it with.
 */
function randomRegion(next: () => number): { mem: AddressSpace; region: TranslationBlock[]; x: Int32Array } {
  const mem = new AddressSpace(1 << 22);
  mem.mmap(CODE, 0x100000, PROT_READ | PROT_EXEC, { name: "code", fixed: true });
  const end = randomProgram(mem, next, 2 + (next() % 24));
  const blocks = new Map<number, TranslationBlock>();
  const todo = [CODE];
  while (todo.length > 0) {
    const pc = todo.pop()!;
    if (blocks.has(pc) || pc < CODE || pc >= end) continue;
    const tb = { pc, ...decodeBlock(mem, pc), id: blocks.size, fn: () => 0, valid: true, hits: 0 } as TranslationBlock;
    blocks.set(pc, tb);
    todo.push(...successors(tb));
  }
  const rest = [...blocks.values()].slice(1);
  for (let k = rest.length - 1; k > 0; k--) {
    const m = next() % (k + 1);
    [rest[k], rest[m]] = [rest[m], rest[k]];
  }
  const x = new Int32Array(64);
  for (let i = 10; i < 26; i++) x[i] = next() % 7 === 0 ? 0 : next() | 0;
  x[62] = 50 + (next() % 3000); // x31, the countdown
  return { mem, region: [blocks.get(CODE)!, ...rest], x };
}

Deno.test("WebAssembly regions agree with the interpreter on random control flow: loops, loops with two entries, calls", () => {
  const next = rng(11);
  const kinds = {
    "structured": 0,
    "loops with two entries": 0,
    "one br_table": 0,
    "one br_table, a block looping to itself": 0,
  };
  for (let round = 0; round < 150; round++) {
    const { mem, region, x } = randomRegion(next);
    const shape = regionStructure(region);
    kinds[!shape ? "one br_table" : shape.entryOf.size > 0 ? "loops with two entries" : "structured"]++;
    // Such a block loops in a `loop` of its own.
    if (!shape && region.some((tb) => successors(tb).includes(tb.pc))) {
      kinds["one br_table, a block looping to itself"]++;
    }
    const rt = makeRuntime(mem);
    const fn = compileWasmRegion(region, rt.wasm!)!;
    assertEquals(run(mem, rt, fn, x), run(mem, rt, undefined, x), `round ${round}`);
  }
  // Every way of compiling jumps was taken, several times.
  for (const [kind, count] of Object.entries(kinds)) if (count < 10) throw new Error(`${kind}: ${count} regions`);
});

/**
 * Runs from CODE as the CPU loop runs a counted slice of `budget` blocks (`exec/cpu_loop.ts`): the region at CODE
 * through `head`, other blocks interpreted. Returns the registers, the pc where the slice ended and the blocks left.
 */
function runCounted(
  mem: AddressSpace,
  rt: ReturnType<typeof makeRuntime>,
  head: ((c: Cpu) => number) | undefined,
  x: Int32Array,
  budget: number,
) {
  const c = new Cpu();
  c.x.set(x);
  let pc = CODE;
  while (pc !== EXIT && budget > 0) {
    const fn = pc === CODE && head ? head : interpretBlock(decodeBlock(mem, pc), rt);
    c.blocksLeft[0] = budget - 1;
    pc = fn(c);
    budget = c.blocksLeft[0] + 1;
    if (pc < 0) throw new Error(`exit ${pc}`);
    budget--;
  }
  return { x: [...c.x], pc, budget };
}

Deno.test("counted regions of both tiers end a slice after exactly its number of blocks, as lone blocks do", () => {
  const next = rng(23);
  let stoppedInside = 0;
  for (let round = 0; round < 120; round++) {
    const { mem, region, x } = randomRegion(next);
    const rt = makeRuntime(mem);
    const tiers = {
      javascript: compileRegion(region, rt, true),
      webassembly: compileWasmRegion(region, rt.wasm!, true)!,
    };
    for (const budget of [1, 2, 3, 1 + (next() % 40), 1 + (next() % 2000)]) {
      const alone = runCounted(mem, rt, undefined, x, budget);
      if (alone.pc !== EXIT) stoppedInside++;
      for (const [tier, fn] of Object.entries(tiers)) {
        assertEquals(runCounted(mem, rt, fn, x, budget), alone, `${tier}, round ${round}, budget ${budget}`);
      }
    }
  }
  // Most slices end inside the program, at a block the budget chose.
  assertEquals(stoppedInside > 400, true, `${stoppedInside} slices ended before the program's end`);
});
