/**
 * Which optional extensions of `rv64gc.decode` (its `!ext=` lines) a run
 * has, chosen as qemu-riscv64 chooses them: `-cpu rv64` (also `any`, and the
 * default) is what Debian's qemu-riscv64 7.2 gives its default CPU, Zba, Zbb,
 * Zbc and Zbs; `-cpu max` has every extension plume implements (as QEMU 10's
 * max, which has Zfh, Zfhmin, Zfa, Zvfhmin and Zvfh besides); `-cpu rva22u64` and
 * `-cpu rva23u64` (QEMU 10's profile models) have what those profiles
 * mandate of what plume implements; and
 * `,NAME=on|off` (or `true`/`false`, `yes`/`no`) after a model turns one on or off
 * (`-cpu rv64,zba=false,zicond=true`). An instruction of an extension the run
 * lacks decodes as illegal (SIGILL), as under QEMU.
 *
 * @module
 */

import type { Insn } from "./insn.ts";
import { ENCODING_EXTENSIONS, type Extension, EXTENSIONS, OP_INFO } from "./ops_generated.ts";

/**
 * What `-cpu rv64` has: what qemu-riscv64 7.2 (Debian bookworm) enables by
 * default. Measured there: sh1add, andn, clmul and bset run, and are SIGILL
 * with `-cpu rv64,zba=false,zbb=false,zbc=false,zbs=false`; czero.eqz
 * (Zicond), c.lbu (Zcb), fadd.h (Zfh), fcvt.s.h (Zfhmin) and fli.d (Zfa),
 * which QEMU 7.2's rv64 leaves off, are SIGILL.
 */
export const DEFAULT_EXTENSIONS: readonly Extension[] = ["zba", "zbb", "zbc", "zbs"];

/**
 * The vector extensions with instructions of their own: those run in the
 * vector helper (`core/jit/vector.ts`) and read the vector state. Zvbb
 * needs V (QEMU refuses to start without it).
 */
export const VECTOR_EXTENSIONS: ReadonlySet<string> = new Set(["v", "zvbb"]);

/**
 * The RVA22U64 profile's optional extensions that plume implements: Zba,
 * Zbb, Zbs, Zicboz and Zfhmin (the rest of what it mandates is RV64GC, HINTs
 * such as Zicbop and Zihintpause, counters, or not implemented: Zicbom,
 * which QEMU 10's user mode traps anyway, and Zkt). Measured under QEMU 10's
 * `-cpu rva22u64`: its /proc/cpuinfo lists these and neither Zbc nor Zfh.
 */
const RVA22U64: readonly Extension[] = ["zba", "zbb", "zbs", "zicboz", "zfhmin"];

/**
 * RVA23U64's: RVA22U64's with V, Zvbb, Zvfhmin, Zicond, Zimop, Zcb, Zcmop,
 * Zfa and Zawrs (of what it adds, plume has no Zvkt, Zihintntl's own
 * instructions beyond HINTs, or Supm).
 */
const RVA23U64: readonly Extension[] = [
  ...RVA22U64,
  "v",
  "zvbb",
  "zvfhmin",
  "zicond",
  "zimop",
  "zcb",
  "zcmop",
  "zfa",
  "zawrs",
];

/**
 * The CPU models `-cpu` accepts (`any` is qemu-riscv64's name for its
 * default) and what each has, before its toggles.
 */
const CPU_MODELS: Readonly<Record<string, readonly Extension[]>> = {
  rv64: DEFAULT_EXTENSIONS,
  any: DEFAULT_EXTENSIONS,
  max: EXTENSIONS,
  rva22u64: RVA22U64,
  rva23u64: RVA23U64,
};

/** Whether `name` is an extension plume implements (a recording's header lists them by name). */
export function isExtension(name: string): name is Extension {
  return (EXTENSIONS as readonly string[]).includes(name);
}

/**
 * Parses a `-cpu` argument: a model, then `,NAME=VALUE` toggles.
 *
 * @param spec what follows `-cpu`, such as `rv64,zba=off`
 * @returns the enabled extensions
 * @throws {Error} with a one-line message for an unknown model, extension or value
 *
 * @example
 * ```ts
 * import { parseCpu } from "./extensions.ts";
 * import { deepStrictEqual } from "node:assert";
 * deepStrictEqual([...parseCpu("rv64,zbc=false,zicond=on")], ["zba", "zbb", "zbs", "zicond"]);
 * deepStrictEqual([...parseCpu("rva22u64")], ["zba", "zbb", "zbs", "zicboz", "zfhmin"]);
 * ```
 */
export function parseCpu(spec: string): Set<Extension> {
  const [model, ...toggles] = spec.split(",");
  if (!Object.hasOwn(CPU_MODELS, model)) throw new Error(`Unable to find CPU definition '${model}'`);
  const on = new Set<Extension>(CPU_MODELS[model]);
  const turnedOff = new Set<Extension>();
  for (const toggle of toggles) {
    // As QEMU's property parser: NAME=VALUE, names exactly as QEMU spells them, its boolean spellings.
    const m = /^([^=]*)=(.*)$/.exec(toggle);
    if (!m) throw new Error(`Expected key=value format in -cpu, found '${toggle}'`);
    const [, name, value] = m;
    if (!isExtension(name)) throw new Error(`Unknown CPU property '${name}' (known: ${EXTENSIONS.join(", ")})`);
    if (["on", "true", "yes"].includes(value)) on.add(name);
    else if (["off", "false", "no"].includes(value)) on.delete(name), turnedOff.add(name);
    else throw new Error(`Invalid value '${value}' for CPU property '${name}' (on or off)`);
  }
  impliedExtensions(on, turnedOff);
  requiredExtensions(on);
  return new Set(EXTENSIONS.filter((e) => on.has(e)));
}

/**
 * Applies what one extension implies of another, as QEMU 10 does after the
 * toggles (measured there: `-cpu rv64,zfh=true` runs fcvt.s.h, Zfhmin's; with
 * `,zfhmin=false` as well, neither fadd.h nor fcvt.s.h runs; `rv64,v=true,zvfh=true`
 * lists zfhmin and zvfhmin; `,zvfhmin=false` leaves zvfh listed without it;
 * `,zfhmin=false` stops QEMU 10 with the message thrown here).
 */
function impliedExtensions(on: Set<Extension>, turnedOff: ReadonlySet<Extension>): void {
  if (on.has("zvfh")) {
    // Unlike Zfh's, a Zvfhmin turned off stays off and Zvfh stays on (its conversions trap, its arithmetic runs).
    if (!turnedOff.has("zvfhmin")) on.add("zvfhmin");
    if (turnedOff.has("zfhmin")) throw new Error("Zvfh extensions requires Zfhmin extension");
    on.add("zfhmin");
  }
  if (on.has("zfh")) {
    if (turnedOff.has("zfhmin")) on.delete("zfh");
    else on.add("zfhmin");
  }
}

/**
 * Refuses, with QEMU 10's messages, a run with an extension that lacks one
 * it needs: Zvbb, Zvfhmin and Zvfh need V (QEMU 10 also takes the subset Zve32f,
 * which plume does not have on its own, and turns Zve32f on for Zvfhmin by
 * itself: under `-cpu rv64,zvfhmin=on` it runs, plume refuses).
 */
function requiredExtensions(on: ReadonlySet<Extension>): void {
  if (on.has("zvbb") && !on.has("v")) throw new Error("Vector crypto extensions require V or Zve* extensions");
  if ((on.has("zvfhmin") || on.has("zvfh")) && !on.has("v")) {
    throw new Error("Zvfh/Zvfhmin extensions require Zve32f extension");
  }
}

/**
 * The names of an ISA string in Linux's canonical order (`riscv_isa_ext[]`
 * in `arch/riscv/kernel/cpufeature.c`, after chapter 27 of the unprivileged
 * specification): single letters first, then the multi-letter extensions by
 * category (Zi*, Za*, Zf*, Zc*, Zb*, Zv*), each with what makes a hart have
 * it: `true` for what RV64GC gives plume in every run (the Zicbop,
 * Zihintntl and Zihintpause hints run as RV64GC encodings; Zicntr's
 * counters; C with D is Zca and Zcd; A is Zaamo and Zalrsc), else the
 * optional extensions it needs (B is Zba, Zbb and Zbs; V brings the
 * embedded vector subsets, as Linux and QEMU 10 list them).
 */
const ISA_NAMES: readonly [string, true | readonly Extension[]][] = [
  ["i", true],
  ["m", true],
  ["a", true],
  ["f", true],
  ["d", true],
  ["c", true],
  ["b", ["zba", "zbb", "zbs"]],
  ["v", ["v"]],
  ["zicbop", true],
  ["zicboz", ["zicboz"]],
  ["zicntr", true],
  ["zicond", ["zicond"]],
  ["zicsr", true],
  ["zifencei", true],
  ["zihintntl", true],
  ["zihintpause", true],
  ["zimop", ["zimop"]],
  ["zaamo", true],
  ["zalrsc", true],
  ["zawrs", ["zawrs"]],
  ["zfa", ["zfa"]],
  ["zfh", ["zfh"]],
  ["zfhmin", ["zfhmin"]],
  ["zca", true],
  ["zcb", ["zcb"]],
  ["zcd", true],
  ["zcmop", ["zcmop"]],
  ["zba", ["zba"]],
  ["zbb", ["zbb"]],
  ["zbc", ["zbc"]],
  ["zbs", ["zbs"]],
  ["zvbb", ["zvbb"]],
  ["zve32f", ["v"]],
  ["zve32x", ["v"]],
  ["zve64d", ["v"]],
  ["zve64f", ["v"]],
  ["zve64x", ["v"]],
  ["zvfh", ["zvfh"]],
  ["zvfhmin", ["zvfhmin"]],
  ["zvkb", ["zvbb"]], // the subset of Zvbb that Zvbb brings, as Linux and QEMU 10 list it
];

/**
 * The ISA string of a hart with RV64GC and the optional extensions
 * `enabled`, as Linux prints it in `/proc/cpuinfo`: `rv64`, the single
 * letters, then `_` and each multi-letter name, in canonical order.
 *
 * @example
 * ```ts
 * import { isaString } from "./extensions.ts";
 * import { strictEqual } from "node:assert";
 * strictEqual(
 *   isaString(new Set(["zba", "zbb", "zbs"])),
 *   "rv64imafdcb_zicbop_zicntr_zicsr_zifencei_zihintntl_zihintpause_zaamo_zalrsc_zca_zcd_zba_zbb_zbs",
 * );
 * ```
 */
export function isaString(enabled: ReadonlySet<Extension>): string {
  const names = ISA_NAMES.filter(([, needs]) => needs === true || needs.every((e) => enabled.has(e))).map(([n]) => n);
  return `rv64${names.filter((n) => n.length === 1).join("")}${
    names.filter((n) => n.length > 1).map((n) => `_${n}`).join("")
  }`;
}

/**
 * Whether a run with extensions `enabled` has decoded instruction `insn`.
 *
 * @example
 * ```ts
 * import { decode } from "./decoder.ts";
 * import { hasInsn } from "./extensions.ts";
 * import { strictEqual } from "node:assert";
 * const sh1add = decode(0x20b52533)!;
 * strictEqual(hasInsn(sh1add, new Set(["zba"])), true);
 * strictEqual(hasInsn(sh1add, new Set()), false);
 * ```
 */
export function hasInsn(insn: Insn, enabled: ReadonlySet<Extension>): boolean {
  const { ext, needs } = OP_INFO[insn.op];
  if (ext !== undefined && !enabled.has(ext)) return false;
  if (needs !== undefined && !enabled.has(needs)) return false;
  if (insn.size === 2) {
    for (const e of ENCODINGS_BY_SLOT[slot(insn.raw)]) {
      if ((insn.raw & e.mask) === e.value && !enabled.has(e.ext)) return false;
    }
  }
  return true;
}

/**
 * Whether a run with extensions `enabled` has the CSR a Zicsr instruction
 * `insn` names (true for other instructions): the vector CSRs exist only
 * with V, as QEMU's csr predicate `vs` says. The instruction itself is
 * RV64GC's, so it disassembles either way; it is illegal when run.
 *
 * @example
 * ```ts
 * import { decode } from "./decoder.ts";
 * import { hasCsr } from "./extensions.ts";
 * import { strictEqual } from "node:assert";
 * const csrrVlenb = decode(0xc2202573)!;
 * strictEqual(hasCsr(csrrVlenb, new Set(["v"])), true);
 * strictEqual(hasCsr(csrrVlenb, new Set()), false);
 * ```
 */
export function hasCsr(insn: Insn, enabled: ReadonlySet<Extension>): boolean {
  return !insn.op.startsWith("csrr") || !isVectorCsr(insn.csr) || enabled.has("v");
}

/** vstart, vxsat, vxrm, vcsr, vl, vtype and vlenb. */
function isVectorCsr(csr: number): boolean {
  return (csr >= 0x008 && csr <= 0x00a) || csr === 0x00f || (csr >= 0xc20 && csr <= 0xc22);
}

/** A halfword's quadrant and funct3 (bits 1:0 and 15:13), which most compressed patterns fix. */
const SLOT_BITS = 0xe003;

function slot(halfword: number): number {
  return ((halfword >> 11) & 0x1c) | (halfword & 3);
}

/**
 * {@link ENCODING_EXTENSIONS} by the quadrant and funct3 their halfwords can
 * have, so that most compressed instructions are checked against none (the
 * check runs for every instruction translated).
 */
const ENCODINGS_BY_SLOT: readonly (typeof ENCODING_EXTENSIONS[number])[][] = Array.from(
  { length: 32 },
  (_, k) => ENCODING_EXTENSIONS.filter((e) => (e.mask & SLOT_BITS) !== SLOT_BITS || slot(e.value) === k),
);
