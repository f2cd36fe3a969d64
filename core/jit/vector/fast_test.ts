import { assert, assertEquals } from "../../../tests/assert.ts";
import { Cpu } from "../../cpu/state.ts";
import { decode } from "../../isa/decoder.ts";
import type { Op } from "../../isa/ops_generated.ts";
import { parseTable, TABLE_PATH } from "../../../build/gen_decoder.ts";
import { AddressSpace, PROT_READ, PROT_WRITE } from "../../mem/address_space.ts";
import { makeVectorExecutors } from "../vector.ts";
import { rng } from "../_rng_testing.ts";
import { WRITES_FD } from "../vector_ops.ts";
import { hasFastPath, makeFastPath, VECTOR_FAST_POLICY } from "./fast.ts";

const DATA = 0x10000, DATA_SIZE = 0x4000;
/** A read-only page after the data, then nothing mapped. */
const READ_ONLY = DATA + DATA_SIZE;

/** The patterns of the operations that have fast paths. */
const PATTERNS = parseTable(Deno.readTextFileSync(new URL(`../../../${TABLE_PATH}`, import.meta.url))).patterns
  .filter((p) => p.op !== "illegal" && hasFastPath(p.op as Op));

/** A random number, as an element of `bytes` bytes likely to be a normal float of moderate size. */
function niceFloats(v: Uint8Array, sew: number, next: () => number): void {
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  for (let at = 0; at < v.length; at += sew) {
    const x = ((next() / 2 ** 32) - 0.5) * 2 ** ((next() % 40) - 20);
    if (sew === 4) view.setFloat32(at, x, true);
    else if (sew === 8) view.setFloat64(at, x, true);
  }
}

Deno.test("vector fast paths do what the general executors do, or decline and change nothing", () => {
  const before = VECTOR_FAST_POLICY.runs;
  VECTOR_FAST_POLICY.runs = 0; // the executors below stay general
  try {
    const mem = new AddressSpace(1 << 20);
    mem.mmap(DATA, DATA_SIZE, PROT_READ | PROT_WRITE, { name: "data" });
    mem.mmap(READ_ONLY, 4096, PROT_READ, { name: "read-only" });
    const rh = new Int32Array(1);
    const executor = makeVectorExecutors(mem, rh, new Set(["v", "zvbb", "zvfh"]));
    const vsetvl = executor(0x80007057 | (5 << 20) | (6 << 15)); // vsetvl x0, x6, x5
    /** What an instruction may change: the vector state, the FP registers, fcsr and the data. */
    const stateOf = (c: Cpu) => ({
      vec: [...c.vec.v, c.vec.vl, c.vec.vtype, c.vec.vstart],
      fi: [...c.fi],
      fcsr: c.fcsr,
      data: mem.u8.slice(DATA, DATA + DATA_SIZE),
    });
    const next = rng(0xfa57);
    const ran = new Map<string, number>();
    let declined = 0, general = 0, refused = 0;
    for (let round = 0; round < 20000; round++) {
      const p = PATTERNS[next() % PATTERNS.length];
      let bits = ((next() & ~p.mask) | p.value) >>> 0;
      // Aligned register groups mostly (where the pattern leaves the field free), one field for unit-stride
      // forms, unmasked half the time.
      for (const at of [7, 15, 20]) {
        if ((p.mask & (0x1f << at)) === 0 && next() % 4) bits = (bits & ~(0x1f << at)) | ((8 * (next() % 4)) << at);
      }
      if (/^v[ls]e\d/.test(p.op)) bits &= ~(7 << 29);
      if ((p.mask & (1 << 25)) === 0 && next() % 2) bits |= 1 << 25;
      const insn = decode(bits >>> 0);
      if (!insn || insn.op !== p.op) continue;
      const op = insn.op;
      const vtype = [0, 1, 2, 3, 2, 3][next() % 6] << 3 | [0, 1, 2, 5, 6, 7][next() % 6];
      const avl = next() % 3 ? 1000 : next() % 40;
      const sew = 1 << ((vtype >> 3) & 7);
      const regs = new Uint8Array(512).map(() => next());
      if (op.startsWith("vf") && next() % 4) niceFloats(regs, sew, next);
      const data = new Uint8Array(DATA_SIZE + 4096).map(() => next());
      // Mostly a word-aligned address well inside the data, sometimes unaligned, read-only or unmapped.
      const where = next() % 8;
      const address = where === 0
        ? READ_ONLY + (next() % 64) * 4
        : where === 1
        ? READ_ONLY + 4096 - 64 + (next() % 16) * 4
        : DATA + (next() % 512) * 4 + (where === 2 ? 1 + (next() % 3) : 0);
      const scalar = [next() | 0, next() % 3 === 0 ? -1 : next() | 0];
      const fcsr = next() % 4 ? 1 : next() & 0xff; // NX accrued under round-to-nearest-even mostly
      const setUp = (): Cpu => {
        const c = new Cpu();
        c.vec.v.set(regs);
        mem.u8.set(data.subarray(0, DATA_SIZE), DATA);
        c.fcsr = 0;
        vsetvl(c, avl, 0, vtype, 0);
        c.fcsr = fcsr;
        return c;
      };
      const memory = /^v[ls](e\d|\d)/.test(op);
      const lo = memory ? address : scalar[0], hi = memory ? 0 : scalar[1];
      const a = setUp();
      let failed = false;
      try {
        rh[0] = 0;
        const value = executor(bits)(a, lo, hi, 0, 0);
        // vfmv.f.s's value is f[rd]'s, which compiled code writes (trans_rvv.ts).
        if (WRITES_FD.has(op)) a.fi[2 * insn.rd] = value, a.fi[2 * insn.rd + 1] = rh[0];
      } catch {
        failed = true;
      }
      if (failed) {
        general++;
        // Legal under this shape (it runs with frm = 0 and mapped memory), so a fast path may exist: here it
        // must decline, for the general executor to fault.
        const probe = setUp();
        probe.fcsr = 1;
        try {
          executor(bits)(probe, memory ? DATA : lo, hi, 0, 0);
        } catch {
          continue;
        }
        const b = setUp(), fast = makeFastPath(op, bits, b.vec.vill ? -1 : b.vec.vtype, b.vec.vl, mem);
        if (!fast) continue;
        const before = stateOf(b);
        assertEquals(fast(b, lo, hi), false, `fast path of ${op} ${bits.toString(16)} where the executor throws`);
        assertEquals(stateOf(b), before);
        refused++;
        continue;
      }
      const after = stateOf(a);
      const b = setUp();
      const fast = makeFastPath(op, bits, b.vec.vill ? -1 : b.vec.vtype, b.vec.vl, mem);
      if (!fast) continue;
      const what = `${op} ${bits.toString(16)} vtype=${vtype} vl=${b.vec.vl} at ${address.toString(16)} fcsr=${fcsr}`;
      const initial = stateOf(b);
      const done = fast(b, lo, hi);
      const state = stateOf(b);
      if (done) {
        assertEquals(state, after, `fast path of ${what}`);
        ran.set(op, (ran.get(op) ?? 0) + 1);
      } else {
        assertEquals(state, initial, `declined fast path of ${what}`);
        declined++;
      }
    }
    // Every operation with a fast path ran it, most of them often.
    const missing = PATTERNS.map((p) => p.op).filter((op) => !ran.has(op));
    assertEquals(missing, [], `operations whose fast path never ran`);
    assert(declined > 500 && general > 500, `${declined} declined, ${general} left to the general executor`);
    assert(refused > 300, `${refused} faults or illegal states the fast path refused`);
  } finally {
    VECTOR_FAST_POLICY.runs = before;
  }
});

Deno.test("a word gets its fast path after VECTOR_FAST_POLICY.runs runs in one shape, and keeps its result", () => {
  const mem = new AddressSpace(1 << 20);
  const executor = makeVectorExecutors(mem, new Int32Array(1), new Set(["v"]));
  const c = new Cpu();
  executor(0xcd027557)(c, 0, 0, 0, 0); // vsetivli a0, 4, e32, m1, ta, ma
  const vadd = executor(0x57 | (8 << 7) | (1 << 15) | (16 << 20) | (1 << 25)); // vadd.vv v8, v16, v1
  for (let k = 0; k < 4; k++) c.vec.u32[16 * 4 + k] = k, c.vec.u32[4 + k] = 10 * k;
  for (let run = 0; run < VECTOR_FAST_POLICY.runs + 5; run++) {
    c.vec.u32.fill(0, 8 * 4, 9 * 4);
    vadd(c, 0, 0, 0, 0);
    assertEquals([...c.vec.u32.subarray(8 * 4, 9 * 4)], [0, 11, 22, 33], `run ${run}`);
  }
});

Deno.test("executors with fast paths return what the general ones return, run after run, in every shape", () => {
  const mem = new AddressSpace(1 << 20);
  mem.mmap(DATA, DATA_SIZE, PROT_READ | PROT_WRITE, { name: "data" });
  const extensions = new Set(["v", "zvbb", "zvfh"] as const);
  const rh = new Int32Array(1);
  const fast = makeVectorExecutors(mem, rh, extensions);
  const before = VECTOR_FAST_POLICY.runs;
  const general = makeVectorExecutors(mem, rh, extensions);
  try {
    const next = rng(0x3a9);
    const a = new Cpu(), b = new Cpu();
    const vsetvl = general(0x80007057 | (5 << 20) | (6 << 15)); // vsetvl x0, x6, x5
    for (let round = 0; round < 3 * PATTERNS.length; round++) {
      const p = PATTERNS[round % PATTERNS.length];
      const insn = decode(((next() & ~p.mask) | p.value) >>> 0);
      if (!insn || /^v[ls](e\d|\d)/.test(insn.op)) continue;
      const vtype = [0, 1, 2, 3][next() % 4] << 3 | [0, 1][next() % 2];
      // The same word 12 times, under one shape then another: the wrapper builds, takes and changes its fast
      // path; then once with vill set (a reserved vtype), where it must not take it.
      for (let run = 0; run < 13; run++) {
        const regs = new Uint8Array(512).map(() => next());
        const lo = next() | 0, hi = next() % 2 ? -1 : next() | 0;
        const results = [a, b].map((c, k) => {
          c.vec.v.set(regs);
          c.fcsr = 0;
          vsetvl(c, run < 6 ? 1000 : 3, 0, run < 12 ? vtype : 0x100, 0);
          c.fcsr = 1;
          rh[0] = 0;
          // The policy is read at every run: 0 keeps the general side general.
          VECTOR_FAST_POLICY.runs = k === 0 ? 0 : 3;
          try {
            return [(k === 0 ? general : fast)(insn.raw)(c, lo, hi, 0, 0), rh[0]];
          } catch (err) {
            return (err as Error).name;
          }
        });
        const what = `${insn.op} ${insn.raw.toString(16)} vtype=${vtype} run ${run}`;
        assertEquals(results[1], results[0], `result of ${what}`);
        assertEquals(
          [...b.vec.v, b.vec.vl, b.fcsr, ...b.fi],
          [...a.vec.v, a.vec.vl, a.fcsr, ...a.fi],
          `state after ${what}`,
        );
      }
    }
  } finally {
    VECTOR_FAST_POLICY.runs = before;
  }
});
