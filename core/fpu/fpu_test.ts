/**
 * Replays the oracle vectors of tests/fpu/testdata (produced by QEMU's
 * softfloat from tests/fpu/fp_vectors.c, see build/gen_fpu_vectors.sh)
 * through every helper, in every rounding mode, static and dynamic, with
 * NX clear and with NX already accrued (the fast paths skip the inexact
 * check then), and once with the destination aliasing the first source.
 */

import { assertEquals } from "../../tests/assert.ts";
import { FFLAG_NX, type FpuState } from "./fpu_state.ts";
import * as fpu from "./mod.ts";

const VECTORS = new URL("../../tests/fpu/testdata/fp_vectors.txt.gz", import.meta.url);

/** How an instruction takes its operands and gives its result. */
type Kind =
  | "ff1r" // fd = op(fs1), rm
  | "ff2r" // fd = op(fs1, fs2), rm
  | "ff3r" // fd = op(fs1, fs2, fs3), rm
  | "ff2" // fd = op(fs1, fs2)
  | "xf2" // x = op(fs1, fs2)
  | "xf1" // x = op(fs1)
  | "xf1r" // x = op(fs1), rm
  | "fx1r" // fd = op(x), rm
  | "fx1"; // fd = op(x)

// deno-lint-ignore no-explicit-any
type Helper = (...args: any[]) => any;

function kindOf(op: string): Kind {
  if (/^f(add|sub|mul|div)\./.test(op)) return "ff2r";
  if (/^f(sqrt\.|cvt\.[sd]\.[sd]$)/.test(op)) return "ff1r";
  if (/^fn?m(add|sub)\./.test(op)) return "ff3r";
  if (/^f(min|max|sgnj[nx]?)\./.test(op)) return "ff2";
  if (/^f(eq|lt|le)\./.test(op)) return "xf2";
  if (/^f(class|mv\.x)\./.test(op)) return "xf1";
  if (/^fcvt\.(w|wu|l|lu)\./.test(op)) return "xf1r";
  if (/^fcvt\.[sd]\./.test(op)) return "fx1r";
  if (/^fmv\.[wd]\.x$/.test(op)) return "fx1";
  throw new Error(`Unknown instruction in vectors: ${op}`);
}

/** A 64-bit hex pattern as [lo, hi] int32 words. */
function words(hex: string): [number, number] {
  if (hex.length <= 8) return [parseInt(hex, 16) | 0, 0];
  return [parseInt(hex.slice(-8), 16) | 0, parseInt(hex.slice(0, -8), 16) | 0];
}

function hex64(lo: number, hi: number): string {
  return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);
}

function newState(): FpuState {
  const f = new Float64Array(32);
  return { f, fi: new Int32Array(f.buffer), fflags: 0, frm: 0, retHi: 0 };
}

const RD = 4;
const GARBAGE = 0x5a5a5a5a;

/** Runs one case; returns the result as hex. */
function runCase(c: FpuState, op: string, kind: Kind, fn: Helper, ops: string[], rm: number, rd: number): string {
  const fi = c.fi;
  if (kind === "fx1r" || kind === "fx1") {
    const [lo, hi] = words(ops[0]);
    fi[2 * rd] = GARBAGE, fi[2 * rd + 1] = GARBAGE;
    const wide = /\.(l|lu|d\.x)$/.test(op) || op === "fmv.d.x";
    if (kind === "fx1r") wide ? fn(c, rd, lo, hi, rm) : fn(c, rd, lo, rm);
    else wide ? fn(c, rd, lo, hi) : fn(c, rd, lo);
    return hex64(fi[2 * rd], fi[2 * rd + 1]);
  }
  for (let i = 0; i < ops.length; i++) [fi[2 * (i + 1)], fi[2 * (i + 1) + 1]] = words(ops[i]);
  if (rd !== 1) fi[2 * rd] = GARBAGE, fi[2 * rd + 1] = GARBAGE;
  switch (kind) {
    case "ff1r":
      fn(c, rd, 1, rm);
      break;
    case "ff2r":
      fn(c, rd, 1, 2, rm);
      break;
    case "ff3r":
      fn(c, rd, 1, 2, 3, rm);
      break;
    case "ff2":
      fn(c, rd, 1, 2);
      break;
    case "xf2":
      return hex64(fn(c, 1, 2), 0);
    case "xf1":
    case "xf1r": {
      c.retHi = GARBAGE;
      const lo = kind === "xf1" ? fn(c, 1) : fn(c, 1, rm);
      if (/^fclass/.test(op)) return hex64(lo, 0);
      // 64-bit results come back as lo + retHi; 32-bit ones are sign-extended like hardware.
      const wide = /^(fcvt\.lu?\.|fmv\.x\.d)/.test(op);
      return hex64(lo, wide ? c.retHi : lo >> 31);
    }
  }
  return hex64(fi[2 * rd], fi[2 * rd + 1]);
}

interface Tally {
  cases: number;
  mismatches: string[];
}

/** Replays every result of one vector line, with NX clear and preset. */
function replayLine(tally: Tally, c: FpuState, op: string, kind: Kind, fn: Helper, fields: string[], n: number): void {
  const rounded = kind.endsWith("r");
  const nops = fields.length - (rounded ? 10 : 1);
  const ops = fields.slice(0, nops);
  const results = fields.slice(nops);
  results.forEach((res, mode) => {
    const [expect, flagHex] = res.split(":");
    const expectFlags = parseInt(flagHex, 16);
    // Static modes run with a different frm, to show it is ignored.
    const rm = !rounded ? 0 : mode < 5 ? mode : 7;
    const frm = !rounded ? 0 : mode < 5 ? (mode + 1) % 5 : mode - 5;
    for (const preset of [0, FFLAG_NX]) {
      // Every third line also writes over the first source register.
      const rd = n % 3 === 0 && !kind.startsWith("x") && kind !== "fx1r" && kind !== "fx1" ? 1 : RD;
      c.fflags = preset;
      c.frm = frm;
      const got = runCase(c, op, kind, fn, ops, rm, rd);
      tally.cases++;
      const want = expectFlags | preset;
      if (got !== expect || c.fflags !== want) {
        const label = !rounded ? "" : mode < 5 ? ` rm=${mode}` : ` dyn frm=${frm}`;
        tally.mismatches.push(
          `${op}${label} fflags0=${preset} rd=f${rd} [${ops.join(" ")}]: expected ${expect}:${want.toString(16)}, ` +
            `got ${got}:${c.fflags.toString(16)}`,
        );
      }
    }
  });
}

async function loadVectors(): Promise<string> {
  const bytes = await Deno.readFile(VECTORS);
  return await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

Deno.test("fpu helpers match QEMU softfloat on every oracle vector", async () => {
  const text = await loadVectors();
  const helpers = fpu as unknown as Record<string, Helper>;
  const tally: Tally = { cases: 0, mismatches: [] };
  const perOp = new Map<string, number>();
  let op = "", kind: Kind = "ff2", fn: Helper = () => {};
  let n = 0;
  const c = newState();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("@")) {
      op = line.slice(1);
      kind = kindOf(op);
      fn = helpers[op.replaceAll(".", "_")];
      if (typeof fn !== "function") throw new Error(`No helper for ${op}`);
      perOp.set(op, 0);
      continue;
    }
    n++;
    const before = tally.mismatches.length;
    replayLine(tally, c, op, kind, fn, line.split(" "), n);
    perOp.set(op, perOp.get(op)! + tally.mismatches.length - before);
  }
  const bad = [...perOp].filter(([, k]) => k > 0).map(([o, k]) => `${o}: ${k}`);
  console.log(
    `${tally.cases} cases from ${n} vector lines over ${perOp.size} instructions: ` +
      `${tally.cases - tally.mismatches.length} pass` + (bad.length ? `; failing ${bad.join(", ")}` : ""),
  );
  assertEquals(tally.mismatches.slice(0, 40), [], `${tally.mismatches.length} mismatches`);
  assertEquals(perOp.size, 58, "every F/D computational instruction has vectors");
});
