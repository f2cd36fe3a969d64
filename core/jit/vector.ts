/**
 * The vector extension (V 1.0, VLEN = 128, ELEN = 64): the one runtime
 * helper every tier calls for a vector instruction (the JavaScript tier
 * emits a call, the interpreter makes it, the WebAssembly tier calls it
 * through an import where its inline code does not run), and the vector
 * CSRs.
 *
 * Each instruction word is turned once into an executor (cached by its
 * bits) by the first group in {@link GROUPS} that knows its operation: one
 * module per group under `vector/` (configuration, loads and stores,
 * integer…), all built on `vector/element.ts` (element access, checks, and
 * the element-wise driver over SEW, LMUL, the mask and vstart).
 *
 * Policies as QEMU 10 runs them by default (`rvv_ta_all_1s` and
 * `rvv_ma_all_1s` off): tail and masked-off elements are left undisturbed
 * whatever vta and vma say. The checks that make an encoding illegal
 * (`vill`, register groups not aligned to LMUL or EMUL, a masked
 * destination v0, EMUL out of 1/8…8, segments past v31) follow QEMU's
 * `trans_rvv.c.inc`.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { IllegalInstruction } from "../cpu/trap.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import { decode } from "../isa/decoder.ts";
import type { Extension } from "../isa/ops_generated.ts";
import {
  type ElementAccess,
  type Executor,
  type VectorContext,
  type VectorGroup,
  VLEN,
  VLENB,
} from "./vector/element.ts";
import { configGroup } from "./vector/config.ts";
import { memoryGroup } from "./vector/memory.ts";
import { integerGroup } from "./vector/integer.ts";
import { fixedPointGroup } from "./vector/fixed_point.ts";
import { reductionGroup } from "./vector/reduction.ts";
import { maskGroup } from "./vector/mask.ts";
import { permutationGroup } from "./vector/permutation.ts";
import { floatGroup } from "./vector/float.ts";
import { withFastPaths } from "./vector/fast.ts";

/**
 * The groups of vector instructions, asked in turn for an operation's
 * executor: adding a group is a module under `vector/` and a line here.
 */
const GROUPS: readonly VectorGroup[] = [
  configGroup,
  memoryGroup,
  integerGroup,
  fixedPointGroup,
  reductionGroup,
  maskGroup,
  permutationGroup,
  floatGroup,
];

/** Vector CSR numbers. */
export const VCSR = {
  vstart: 0x008,
  vxsat: 0x009,
  vxrm: 0x00a,
  vcsr: 0x00f,
  vl: 0xc20,
  vtype: 0xc21,
  vlenb: 0xc22,
} as const;

const VECTOR_CSRS: ReadonlySet<number> = new Set(Object.values(VCSR));

/** Whether `num` is a vector CSR. */
export function isVectorCsr(num: number): boolean {
  return VECTOR_CSRS.has(num);
}

/**
 * Reads vector CSR `num`; the high word of the 64-bit value goes to `hi[0]`
 * (only `vtype` has one: `vill` is bit 63).
 */
export function readVectorCsr(c: Cpu, num: number, hi: Int32Array): number {
  const s = c.vec;
  hi[0] = 0;
  switch (num) {
    case VCSR.vstart:
      return s.vstart;
    case VCSR.vxsat:
      return s.vxsat;
    case VCSR.vxrm:
      return s.vxrm;
    case VCSR.vcsr:
      return (s.vxrm << 1) | s.vxsat;
    case VCSR.vl:
      return s.vl;
    case VCSR.vtype:
      if (s.vill) hi[0] = 1 << 31;
      return s.vtype;
    default:
      return VLENB;
  }
}

/**
 * Writes vector CSR `num` with the low word `v` (every writable one is
 * narrower); `vl`, `vtype` and `vlenb` are read-only.
 */
export function writeVectorCsr(c: Cpu, num: number, v: number): void {
  const s = c.vec;
  switch (num) {
    case VCSR.vstart:
      // QEMU keeps log2(VLEN) bits.
      s.vstart = v & (VLEN - 1);
      break;
    case VCSR.vxsat:
      s.vxsat = v & 1;
      break;
    case VCSR.vxrm:
      s.vxrm = v & 3;
      break;
    case VCSR.vcsr:
      s.vxrm = (v >> 1) & 3;
      s.vxsat = v & 1;
      break;
    default:
      throw new IllegalInstruction(`Write to read-only CSR 0x${num.toString(16)}`);
  }
}

/** The executor of one vector instruction word. */
function executorFor(raw: number, ctx: VectorContext): Executor {
  const insn = decode(raw);
  if (insn === null) throw new IllegalInstruction(`Not a vector instruction 0x${raw.toString(16)}`);
  for (const group of GROUPS) {
    const run = group(insn.op, raw, ctx);
    if (run !== undefined) return withFastPaths(insn.op, raw, run, ctx.mem);
  }
  throw new IllegalInstruction(`Vector instruction ${insn.op} not implemented`);
}

/**
 * Makes the vector helper for one address space and the run's optional
 * extensions `extensions` (those without instructions of their own, such as
 * Zvfhmin, make more forms legal): `vector(c, raw, lo1, hi1, lo2, hi2)`
 * runs instruction word `raw` with rs1 = (lo1, hi1) and rs2 = (lo2, hi2),
 * and returns the low word of what it writes to rd (the high word in
 * `hi[0]`); only `vset*`, `vmv.x.s`, `vcpop.m`, `vfirst.m` and `vfmv.f.s`
 * write rd. A load or store instrumented by plugins also gets `after`, run
 * after each element access, and its `pc`; it returns 1 when `after` moved
 * the pc.
 *
 * @example `vsetivli a0, 4, e32, m1, ta, ma` then `vmv.v.i v8, 5`
 * ```ts
 * import { makeVectorHelper } from "./vector.ts";
 * import { AddressSpace } from "../mem/address_space.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { strictEqual } from "node:assert";
 * const vector = makeVectorHelper(new AddressSpace(1 << 20), new Int32Array(1), new Set(["v"]));
 * const c = new Cpu();
 * strictEqual(vector(c, 0xcd027557, 0, 0, 0, 0), 4);
 * vector(c, 0x5e02b457, 0, 0, 0, 0);
 * strictEqual(c.vec.view.getUint32(8 * 16 + 12, true), 5);
 * ```
 */
export function makeVectorHelper(
  mem: AddressSpace,
  hi: Int32Array,
  extensions: ReadonlySet<Extension>,
): (
  c: Cpu,
  raw: number,
  lo1: number,
  hi1: number,
  lo2: number,
  hi2: number,
  after?: ElementAccess,
  pc?: number,
) => number {
  const executor = makeVectorExecutors(mem, hi, extensions);
  return (c, raw, lo1, hi1, lo2, hi2, after, pc) => {
    hi[0] = 0;
    return executor(raw)(c, lo1, hi1, lo2, hi2, after, pc);
  };
}

/**
 * The executor of instruction word `raw` for one address space and the
 * run's optional extensions, made once per word: compiled code calls it
 * straight from the instruction's site
 * (one callee there, and no lookup per execution: the lookup and the call
 * through the shared helper were 13% of a vectorized program). Its
 * `(c, lo1, hi1, lo2, hi2)` are rs1's and rs2's words; what it returns and
 * leaves in `hi[0]` is as {@link makeVectorHelper}'s, but `hi[0]` is the
 * caller's to clear first.
 */
export function makeVectorExecutors(
  mem: AddressSpace,
  hi: Int32Array,
  extensions: ReadonlySet<Extension>,
): (raw: number) => Executor {
  const cache = new Map<number, Executor>(), ctx: VectorContext = { mem, hi, extensions };
  return (raw) => {
    let run = cache.get(raw);
    if (run === undefined) {
      // A program that writes ever new vector words (self-modifying code) must not grow the cache without end.
      if (cache.size >= MAX_CACHED_EXECUTORS) cache.clear();
      cache.set(raw, run = executorFor(raw, ctx));
    }
    return run;
  };
}

/** Executors kept per address space; real programs use a few hundred distinct vector words. */
const MAX_CACHED_EXECUTORS = 1 << 14;
