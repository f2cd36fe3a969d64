/**
 * Cost of the F/D helpers per call, as translated code makes them: dynamic
 * rm with frm = RNE, normal-range operands with inexact results, with NX
 * clear (the fast path must prove inexactness) and with NX already accrued
 * (it may skip that work). Each iteration makes {@link BATCH} calls over
 * rotating registers: divide the reported time by 1000 for ns per call.
 *
 * Every bench spells its call out, as a translated block does: a call site
 * shared by several helpers would be polymorphic, keep V8 from inlining,
 * and measure the dispatch rather than the helper.
 *
 * Run: `deno bench core/fpu/fpu_bench.ts`
 */

import { FFLAG_NX, type FpuState } from "./fpu_state.ts";
import * as fpu from "./mod.ts";

/** Calls per bench iteration. */
const BATCH = 1000;
const NX = FFLAG_NX;
const DYN = 7;

/** f1..f8 hold doubles, f9..f16 the same values as boxed singles; results go to f20..f27. */
function state(): FpuState {
  const f = new Float64Array(32);
  const fi = new Int32Array(f.buffer);
  const vals = [1.1, 2.3, 0.7, 3.14159, 1e-3, 12345.678, -9.81, 0.333];
  const f32 = new Float32Array(1);
  const bits = new Int32Array(f32.buffer);
  vals.forEach((v, i) => {
    f[1 + i] = v;
    f32[0] = v;
    fi[2 * (9 + i)] = bits[0];
    fi[2 * (9 + i) + 1] = -1;
  });
  return { f, fi, fflags: 0, frm: 0, retHi: 0 };
}

const c = state();
let sink = 0;

Deno.bench("baseline: the loop alone", { group: "baseline", baseline: true }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    c.f[20 + (i & 7)] = c.f[1 + (i & 7)];
  }
});

Deno.bench("fadd_d RNE, NX clear", { group: "fadd_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), DYN);
  }
});
Deno.bench("fadd_d RNE, NX set", { group: "fadd_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = NX;
    fpu.fadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), DYN);
  }
});
Deno.bench("fadd_d RUP (directed fast path)", { group: "fadd_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), 3);
  }
});

Deno.bench("fmul_d RNE, NX clear", { group: "fmul_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fmul_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), DYN);
  }
});
Deno.bench("fmul_d RNE, NX set", { group: "fmul_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = NX;
    fpu.fmul_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), DYN);
  }
});

Deno.bench("fdiv_d RNE, NX clear", { group: "fdiv_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fdiv_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), DYN);
  }
});
Deno.bench("fdiv_d RNE, NX set", { group: "fdiv_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = NX;
    fpu.fdiv_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), DYN);
  }
});

Deno.bench("fsqrt_d RNE, NX clear", { group: "fsqrt_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fsqrt_d(c, 20 + (i & 7), 1 + (i & 3), DYN);
  }
});

Deno.bench("fmadd_d RNE, NX clear", { group: "fmadd_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fmadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), 1 + ((i + 5) & 7), DYN);
  }
});
Deno.bench("fmadd_d RNE, NX set", { group: "fmadd_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = NX;
    fpu.fmadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), 1 + ((i + 5) & 7), DYN);
  }
});
Deno.bench("fmadd_d RUP (exact path)", { group: "fmadd_d" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fmadd_d(c, 20 + (i & 7), 1 + (i & 7), 1 + ((i + 3) & 7), 1 + ((i + 5) & 7), 3);
  }
});

Deno.bench("fadd_s RNE, NX clear", { group: "fadd_s" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fadd_s(c, 20 + (i & 7), 9 + (i & 7), 9 + ((i + 3) & 7), DYN);
  }
});
Deno.bench("fadd_s RNE, NX set", { group: "fadd_s" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = NX;
    fpu.fadd_s(c, 20 + (i & 7), 9 + (i & 7), 9 + ((i + 3) & 7), DYN);
  }
});

Deno.bench("fmul_s RNE, NX clear", { group: "fmul_s" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fmul_s(c, 20 + (i & 7), 9 + (i & 7), 9 + ((i + 3) & 7), DYN);
  }
});

Deno.bench("fmadd_s RNE, NX clear", { group: "fmadd_s" }, () => {
  for (let i = 0; i < BATCH; i++) {
    c.fflags = 0;
    fpu.fmadd_s(c, 20 + (i & 7), 9 + (i & 7), 9 + ((i + 3) & 7), 9 + ((i + 5) & 7), DYN);
  }
});

Deno.bench("fcvt_w_d RTZ (a C cast)", { group: "fcvt" }, () => {
  for (let i = 0; i < BATCH; i++) sink ^= fpu.fcvt_w_d(c, 1 + (i & 7), 1);
});
Deno.bench("fcvt_d_w", { group: "fcvt" }, () => {
  for (let i = 0; i < BATCH; i++) fpu.fcvt_d_w(c, 20 + (i & 7), i, DYN);
});

Deno.bench("flt_d", { group: "compare" }, () => {
  for (let i = 0; i < BATCH; i++) sink ^= fpu.flt_d(c, 1 + (i & 7), 1 + ((i + 3) & 7));
});

// A translated block of numeric code: a dozen dependent helper calls in one
// function. V8's inlining budget runs out after a few of them, so most are
// real calls, as in generated code; divide by 12 for an average per call.
Deno.bench("block of 12 mixed double ops (mul, fma, add, div, sub, sqrt)", { group: "block" }, () => {
  for (let i = 0; i < BATCH; i++) {
    const k = i & 7;
    c.fflags = 0;
    fpu.fmul_d(c, 20, 1 + k, 2, DYN);
    fpu.fmadd_d(c, 21, 3, 4 + (k & 3), 20, DYN);
    fpu.fadd_d(c, 22, 21, 5, DYN);
    fpu.fdiv_d(c, 23, 22, 6, DYN);
    fpu.fsub_d(c, 24, 23, 1, DYN);
    fpu.fmsub_d(c, 25, 24, 2, 3, DYN);
    fpu.fmul_d(c, 26, 25, 8, DYN);
    fpu.fnmsub_d(c, 27, 26, 4, 5, DYN);
    fpu.fadd_d(c, 28, 27, 1 + k, DYN);
    fpu.fmadd_d(c, 29, 28, 3, 2, DYN);
    fpu.fsqrt_d(c, 30, 2 + (k & 3), DYN);
    fpu.fmul_d(c, 31, 29, 30, DYN);
  }
});

globalThis.addEventListener("unload", () => {
  // Keeps `sink` observable so the integer results are not dead code.
  if (sink === 0x5eed) console.log(sink);
});
