/**
 * Helpers called from translated code: memory slow paths, atomics and CSRs.
 * One runtime is made per address space; translated functions take what
 * they need from it once, when they are created.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { GuestTrap, IllegalInstruction, SIGBUS } from "../cpu/trap.ts";
import { type AddressSpace, PAGE_SHIFT } from "../mem/address_space.ts";
import * as int64 from "./int64.ts";
import * as bitmanip from "./bitmanip.ts";
import * as fpu from "../fpu/mod.ts";
import type { PluginHooks } from "./plugin_actions.ts";
import { makeWasmRuntime, type WasmRuntime } from "./wasm/runtime.ts";
import { isVectorCsr, makeVectorExecutors, makeVectorHelper, readVectorCsr, writeVectorCsr } from "./vector.ts";
import { DEFAULT_EXTENSIONS } from "../isa/extensions.ts";
import type { Extension } from "../isa/ops_generated.ts";

/** Hooks for a run without plugins: instrumented code is never made then. */
export const NO_PLUGIN_HOOKS: PluginHooks = {
  arenas: [],
  record() {},
  memRecord() {},
  sync: () => false,
  syncMem: () => false,
  fault() {},
};

/** `si_code` for SIGBUS: invalid address alignment. */
const BUS_ADRALN = 1;

const TWO32 = 4294967296;

/** CSR numbers user mode may access. */
export const CSR = {
  fflags: 0x001,
  frm: 0x002,
  fcsr: 0x003,
  cycle: 0xc00,
  time: 0xc01,
  instret: 0xc02,
} as const;

/** The exact address `base + imm` for a base register given as an int32 pair. */
export function effectiveAddress(lo: number, hi: number, imm: number): number {
  return hi * TWO32 + (lo >>> 0) + imm;
}

/** Operations of the `csr` helper: what Zicsr's csrrw(i), csrrs(i) and csrrc(i) do to the CSR. */
export const CSR_OP = { write: 0, set: 1, clear: 2 } as const;

/**
 * Whether a Zicsr instruction writes its CSR: csrrw(i) always; csrrs(i) and
 * csrrc(i) only with a source other than x0 (or a nonzero zimm), so that
 * they can read read-only CSRs.
 */
export function csrWrites(op: number, immediate: boolean, insn: { rs1: number; imm: number }): boolean {
  return op === CSR_OP.write || (immediate ? insn.imm !== 0 : insn.rs1 !== 0);
}

/** Bytes `cbo.zero` zeroes: QEMU's default `cboz_blocksize`. */
const CBO_BLOCK = 64;

/** Operation codes of the `amo` helper, in the order of the A extension's funct5 table. */
export const AMO_OPS = ["swap", "add", "xor", "and", "or", "min", "max", "minu", "maxu"] as const;

/** What translated functions see: memory views, helper functions, and the FPU. */
export type Runtime = ReturnType<typeof makeRuntime>;

/** The name of a runtime helper, as emitted code refers to it (`Emitter.rt`). */
export type RuntimeHelper = Exclude<keyof Runtime, "compile" | "wasm">;

/**
 * Builds the runtime for one address space. `counterValue`, when given,
 * turns each value the guest reads from `time`/`cycle`/`instret` into the
 * one it gets (`-record` writes them down, `-replay` gives recorded ones).
 * `extensions` are the run's (`-cpu`), which the vector helper asks about
 * the extensions that have no instructions of their own (Zvfhmin).
 *
 * @example Load through the slow path
 * ```ts
 * import { makeRuntime } from "./runtime.ts";
 * import { AddressSpace, PROT_READ, PROT_WRITE } from "../mem/address_space.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { strictEqual } from "node:assert";
 * const mem = new AddressSpace(1 << 24);
 * const a = mem.mmap(0, 4096, PROT_READ | PROT_WRITE, { name: "" });
 * mem.writeU32(a + 1, 0xdeadbeef);
 * const rt = makeRuntime(mem);
 * strictEqual(rt.ld(new Cpu(), a, 0, 1, 4, false) >>> 0, 0xdeadbeef); // unaligned, at a + 1
 * ```
 */
export function makeRuntime(
  mem: AddressSpace,
  plugins: PluginHooks = NO_PLUGIN_HOOKS,
  counterValue?: (real: number) => number,
  extensions: ReadonlySet<Extension> = new Set(DEFAULT_EXTENSIONS),
) {
  const view = mem.view;
  const RH = int64.RH;
  const startTime = performance.now();

  /** Slow-path load: any address, any alignment; faults as the hardware would. */
  function ld(_c: Cpu, lo: number, hi: number, imm: number, size: number, signed: boolean): number {
    const addr = effectiveAddress(lo, hi, imm);
    mem.check(addr, size, "read");
    switch (size) {
      case 1:
        return signed ? view.getInt8(addr) : view.getUint8(addr);
      case 2:
        return signed ? view.getInt16(addr, true) : view.getUint16(addr, true);
      case 4:
        return view.getInt32(addr, true);
      default:
        RH[0] = view.getInt32(addr + 4, true);
        return view.getInt32(addr, true);
    }
  }

  /** Slow-path store: any address and alignment; invalidates translated code it overwrites. */
  function st(_c: Cpu, lo: number, hi: number, imm: number, size: number, vlo: number, vhi: number): void {
    const addr = effectiveAddress(lo, hi, imm);
    mem.check(addr, size, "write");
    switch (size) {
      case 1:
        view.setInt8(addr, vlo);
        break;
      case 2:
        view.setInt16(addr, vlo, true);
        break;
      case 4:
        view.setInt32(addr, vlo, true);
        break;
      default:
        view.setInt32(addr, vlo, true);
        view.setInt32(addr + 4, vhi, true);
    }
    mem.noteWrite(addr, size);
  }

  function atomicAddress(lo: number, hi: number, size: number, write: boolean): number {
    const addr = effectiveAddress(lo, hi, 0);
    if (addr % size !== 0) throw new GuestTrap(SIGBUS, BUS_ADRALN, addr);
    mem.check(addr, size, write ? "write" : "read");
    return addr;
  }

  /** `lr.w` / `lr.d`: loads and reserves. */
  function lr(c: Cpu, lo: number, hi: number, size: number): number {
    const addr = atomicAddress(lo, hi, size, false);
    const vlo = view.getInt32(addr, true);
    const vhi = size === 8 ? view.getInt32(addr + 4, true) : vlo >> 31;
    c.reservation = addr;
    c.reservedLo = vlo;
    c.reservedHi = vhi;
    RH[0] = vhi;
    return vlo;
  }

  /**
   * `sc.w` / `sc.d`: stores if the reservation holds and memory still has
   * the reserved value (as QEMU does, so it also works across vCPUs).
   * Returns 0 on success, 1 on failure.
   */
  function sc(c: Cpu, lo: number, hi: number, size: number, vlo: number, vhi: number): number {
    const addr = atomicAddress(lo, hi, size, true);
    const reserved = c.reservation;
    c.reservation = -1;
    RH[1] = view.getInt32(addr, true);
    RH[2] = size === 8 ? view.getInt32(addr + 4, true) : RH[1] >> 31;
    if (reserved !== addr) return 1;
    if (view.getInt32(addr, true) !== c.reservedLo) return 1;
    if (size === 8 && view.getInt32(addr + 4, true) !== c.reservedHi) return 1;
    view.setInt32(addr, vlo, true);
    if (size === 8) view.setInt32(addr + 4, vhi, true);
    mem.noteWrite(addr, size);
    return 0;
  }

  /** Atomic read-modify-write (`amo<op>.w/.d`); returns the old value (sign-extended for .w). */
  function amo(_c: Cpu, op: number, lo: number, hi: number, size: number, blo: number, bhi: number): number {
    const addr = atomicAddress(lo, hi, size, true);
    const alo = view.getInt32(addr, true);
    const ahi = size === 8 ? view.getInt32(addr + 4, true) : alo >> 31;
    if (size === 4) bhi = blo >> 31;
    let rlo: number, rhi: number;
    switch (op) {
      case 0: // swap
        rlo = blo, rhi = bhi;
        break;
      case 1: // add
        rlo = (alo + blo) | 0;
        rhi = (ahi + bhi + ((rlo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
        break;
      case 2:
        rlo = alo ^ blo, rhi = ahi ^ bhi;
        break;
      case 3:
        rlo = alo & blo, rhi = ahi & bhi;
        break;
      case 4:
        rlo = alo | blo, rhi = ahi | bhi;
        break;
      default: {
        const less = op === 5 || op === 6
          ? ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0))
          : (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
        const takeA = op === 5 || op === 7 ? less : !less;
        rlo = takeA ? alo : blo, rhi = takeA ? ahi : bhi;
      }
    }
    view.setInt32(addr, rlo, true);
    if (size === 8) view.setInt32(addr + 4, rhi, true);
    mem.noteWrite(addr, size);
    RH[0] = ahi;
    RH[1] = rlo;
    RH[2] = rhi;
    return alo;
  }

  /**
   * `cbo.zero` (Zicboz): zeroes the {@link CBO_BLOCK}-byte block holding the
   * address, faulting as a store to the block would, and invalidating the
   * translated code it overwrites.
   */
  function cboZero(_c: Cpu, lo: number, hi: number): void {
    const addr = effectiveAddress(lo & -CBO_BLOCK, hi, 0);
    mem.check(addr, CBO_BLOCK, "write");
    mem.u8.fill(0, addr, addr + CBO_BLOCK);
    mem.noteWrite(addr, CBO_BLOCK);
  }

  function counter(): number {
    // A 10 MHz timebase, as QEMU's virt machine and most Linux riscv64 boards use.
    const v = Math.floor((performance.now() - startTime) * 10_000);
    return counterValue === undefined ? v : counterValue(v);
  }

  /**
   * Zicsr access: `op` is a {@link CSR_OP} (0 = write, 1 = set bits, 2 = clear bits); `write`
   * false when the instruction does not write (csrrs/csrrc with x0 or zimm 0).
   * Returns the old value (high word in `RH[0]`).
   */
  function csr(c: Cpu, num: number, op: number, write: boolean, vlo: number): number {
    let old: number;
    switch (num) {
      case CSR.fflags:
        old = c.fflags;
        break;
      case CSR.frm:
        old = c.frm;
        break;
      case CSR.fcsr:
        old = c.fcsr;
        break;
      case CSR.cycle:
      case CSR.time:
      case CSR.instret: {
        if (write) throw new IllegalInstruction(`Write to read-only CSR 0x${num.toString(16)}`);
        const v = counter();
        RH[0] = Math.floor(v / TWO32) | 0;
        return v | 0;
      }
      default: {
        // Translation made the vector CSRs illegal when the run lacks V (`hasInsn`).
        if (!isVectorCsr(num)) throw new IllegalInstruction(`Unknown CSR 0x${num.toString(16)}`);
        const lo = readVectorCsr(c, num, RH);
        if (write) writeVectorCsr(c, num, op === CSR_OP.write ? vlo : op === CSR_OP.set ? lo | vlo : lo & ~vlo);
        return lo;
      }
    }
    if (write) {
      const v = op === CSR_OP.write ? vlo : op === CSR_OP.set ? old | vlo : old & ~vlo;
      if (num === CSR.fflags) c.fflags = v & 31;
      else if (num === CSR.frm) c.frm = v & 7;
      else c.fcsr = v & 0xff;
    }
    RH[0] = 0;
    return old;
  }

  // Object.assign, not spreads: spreading the module namespaces (some 165 names) into a literal, then the helpers
  // into the runtime, took 1.5–4 ms of every start-up (V8 still cold); assigning them takes a tenth of that.
  const helpers = Object.assign(
    {
      u8: mem.u8,
      i8: mem.i8,
      u16: mem.u16,
      i16: mem.i16,
      i32: mem.i32,
      pg: mem.pages,
      PAGE_SHIFT,
      ld,
      st,
      lr,
      sc,
      amo,
      csr,
      cboZero,
      vector: makeVectorHelper(mem, RH, extensions),
      vectorExecutor: makeVectorExecutors(mem, RH, extensions),
      P: plugins,
    },
    int64,
    bitmanip,
    fpu,
  );
  /**
   * Makes a block function from a parenthesized function expression that
   * refers to the runtime helpers `uses`. The helpers become locals of a
   * factory, so the block reaches them as plain variables. Parentheses make
   * V8 compile the function eagerly instead of pre-parsing it and parsing it
   * again on its first call (measured: 2.5× less time to create and first
   * call 2000 blocks; a direct `eval` in one scope binding all helpers was
   * slower still). `data` is the function's own constants, `D[i]` in its
   * code (closures for crowded plugin actions, `instrument.ts`).
   */
  function compile(uses: Iterable<string>, fnSource: string, data: readonly unknown[] = []): (c: Cpu) => number {
    return new Function("rt", "D", `"use strict";\nconst { ${[...uses].join(", ")} } = rt;\nreturn ${fnSource}`)(
      helpers,
      data,
    );
  }
  /** The WebAssembly tier's runtime, once asked for (null: not yet). */
  let wasm: WasmRuntime | undefined | null = null;
  const runtime = Object.assign(helpers, { compile });
  // The helpers object is the runtime too (a copy cost as much as the assignments): `compile`'s factories take only
  // the names they use from it.
  return Object.defineProperty(runtime, "wasm", {
    /**
     * What the WebAssembly tier's modules import (undefined: the tier is
     * off for this memory), made on first use: 2.6 ms of wrappers and
     * closures that a short run, which never makes a region, does not pay.
     */
    get(): WasmRuntime | undefined {
      if (wasm === null) {
        const slow = { ld, st, lr, sc, amo, csr, cboZero, vectorExecutor: helpers.vectorExecutor, RH };
        wasm = makeWasmRuntime(mem, slow, plugins);
      }
      return wasm;
    },
    enumerable: true,
  }) as typeof runtime & { readonly wasm: WasmRuntime | undefined };
}
