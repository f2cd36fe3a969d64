/**
 * Cost of the F/D helpers per call, as translated code makes them: round to
 * nearest even (dynamic rm with frm = 0), normal-range inexact operands,
 * with NX clear (the fast path must prove inexactness) and with NX already
 * accrued (it may skip that work). Each iteration runs {@link BATCH} calls
 * over rotating registers, so divide the reported time by {@link BATCH}.
 *
 * Run: `deno bench core/fpu/fpu_bench.ts`
 */

import { FFLAG_NX } from "../cpu/state.ts";
import * as fpu from "./mod.ts";
import type { FpuState } from "./fpu_state.ts";

/** Calls per bench iteration. */
const BATCH = 1000;

function state(): FpuState {
  const f = new Float64Array(32);
  const fi = new Int32Array(f.buffer);
  // f1..f8: inexact-producing doubles; f9..f16: the same values as boxed singles.
  const vals = [1.1, 2.3, -0.7, 3.14159, 1e-3, 12345.678, -9.81, 0.333];
  vals.forEach((v, i) => {
    f[1 + i] = v;
    new Float32Array(fi.buffer, 8 * (9 + i), 1)[0] = v;
    fi[2 * (9 + i) + 1] = -1;
  });
  return { f, fi, fflags: 0, frm: 0, retHi: 0 };
}

const c = state();

/** Sink for integer results so the calls are not dead code. */
let sink = 0;

type Binary = (c: FpuState, rd: number, rs1: number, rs2: number, rm: number) => void;
type Ternary = (c: FpuState, rd: number, rs1: number, rs2: number, rs3: number, rm: number) => void;

function benchBinary(name: string, fn: Binary, base: number, nx: number): void {
  Deno.bench(`${name} ${nx ? "NX set" : "NX clear"} (x${BATCH})`, { group: name }, () => {
    for (let i = 0; i < BATCH; i++) {
      c.fflags = nx;
      fn(c, 20 + (i & 7), base + (i & 7), base + ((i + 3) & 7), 7);
    }
  });
}

function benchTernary(name: string, fn: Ternary, base: number, nx: number): void {
  Deno.bench(`${name} ${nx ? "NX set" : "NX clear"} (x${BATCH})`, { group: name }, () => {
    for (let i = 0; i < BATCH; i++) {
      c.fflags = nx;
      fn(c, 20 + (i & 7), base + (i & 7), base + ((i + 3) & 7), base + ((i + 5) & 7), 7);
    }
  });
}

Deno.bench(`baseline: loop with fflags store only (x${BATCH})`, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = i & 1;
    sink += c.f[1 + (i & 7)];
  }
});

for (const nx of [0, FFLAG_NX]) {
  benchBinary("fadd_d", fpu.fadd_d, 1, nx);
  benchBinary("fmul_d", fpu.fmul_d, 1, nx);
  benchBinary("fdiv_d", fpu.fdiv_d, 1, nx);
  benchTernary("fmadd_d", fpu.fmadd_d, 1, nx);
  benchBinary("fadd_s", fpu.fadd_s, 9, nx);
  benchBinary("fmul_s", fpu.fmul_s, 9, nx);
  benchTernary("fmadd_s", fpu.fmadd_s, 9, nx);
}

Deno.bench(`fsqrt_d NX clear (x${BATCH})`, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fsqrt_d(c, 20 + (i & 7), 1 + (i & 3), 7);
  }
});

Deno.bench(`fcvt_w_d rtz (x${BATCH})`, () => {
  for (let i = 0; i < BATCH; i++) sink += fpu.fcvt_w_d(c, 1 + (i & 7), 1);
});

Deno.bench(`fadd_d directed (RUP, exact path) (x${BATCH})`, () => {
  for (let i = 0; i < BATCH; i++) fpu.fadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), 3);
});

Deno.bench(`fmadd_d directed (RUP, exact path) (x${BATCH})`, () => {
  for (let i = 0; i < BATCH; i++) fpu.fmadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), 1 + ((i + 5) & 7), 3);
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
