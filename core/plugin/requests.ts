/**
 * Answering a plugin's requests during a synchronous call (registers,
 * memory, disassembly, symbols), with the rules enforced here, on the
 * emulator's side: the plugin's side checks them too, but it is the
 * plugin's own process and may be anything.
 *
 * Each call carries a {@link CallContext} saying what its callback may
 * do: guest state only in callbacks that run with the vCPU stopped,
 * writes only in those registered `QEMU_PLUGIN_CB_RW_REGS` (and vCPU,
 * system call and discontinuity callbacks, as on the plugin's side),
 * disassembly and symbols only while a block is translated. A request
 * outside its callback's rights, or malformed, is a {@link PluginFailure}:
 * the honest plugin side never sends one.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { VLENB } from "../cpu/vector_state.ts";
import { disassemble } from "../isa/disasm.ts";
import type { TranslationBlock } from "../jit/translator.ts";
import { readVectorCsr, writeVectorCsr } from "../jit/vector.ts";
import type { AddressSpace } from "../mem/address_space.ts";
import type { SymbolTable } from "../elf/symbols.ts";
import {
  CTL,
  CTL_BYTES,
  DEATH,
  lastRegister,
  PAYLOAD,
  PluginFailure,
  putBytes,
  putString,
  REG,
  REGS,
  REQ,
  VECTOR_CSRS,
} from "./channel.ts";

/** What the callback of a call may reach. */
export const ACCESS = {
  /** Nothing of the guest (translation, flush, atexit, install, NO_REGS). */
  NONE: 0,
  /** Registers and memory, read only (`QEMU_PLUGIN_CB_R_REGS`). */
  READ: 1,
  /** Registers and memory, read and write, and the pc (`QEMU_PLUGIN_CB_RW_REGS`). */
  WRITE: 2,
} as const;

/** The rights of one synchronous call, decided by the emulator from what it calls. */
export interface CallContext {
  /** What the callback may do with guest state ({@link ACCESS}). */
  access: number;
  /** The vCPU the call is about, when guest state may be read. */
  cpu?: Cpu;
  /** The block being translated, during a translation callback. */
  tb?: TranslationBlock;
  /** True when the callback may continue the vCPU elsewhere (`qemu_plugin_set_pc`). */
  setPc: boolean;
}

/** A call whose callback may reach nothing of the guest. */
export const NO_ACCESS: CallContext = { access: ACCESS.NONE, setPc: false };

/** Registers a request may name ({@link REG}): x0–x31, pc, f0–f31, fflags, frm, fcsr, and with V v0–v31 and the vector CSRs. */
const REG_PC = REG.PC, REG_F0 = REG.F0, REG_FFLAGS = REG.FFLAGS, REG_FRM = REG.FRM, REG_FCSR = REG.FCSR;

/** The vector CSRs a plugin may not write (`vl`, `vtype`, `vlenb` are read-only, as under QEMU's gdbstub). */
const READ_ONLY_VECTOR_CSRS = new Set([0xc20, 0xc21, 0xc22]);

/** Size in bytes of register `reg` as a plugin reads and writes it. */
function registerSize(reg: number): number {
  if (reg >= REG.VCSR0) return 8;
  if (reg >= REG.V0) return VLENB;
  return reg >= REG_FFLAGS ? 4 : 8;
}

/** Largest guest memory access one request may make: what fits the control block's payload. */
export const MAX_MEMORY_REQUEST = (DEATH - PAYLOAD - 8) * 4;

/** Names of requests, for messages. */
const REQ_NAMES: Record<number, string> = {
  [REQ.READ_REG]: "read a register",
  [REQ.WRITE_REG]: "write a register",
  [REQ.READ_MEM]: "read guest memory",
  [REQ.WRITE_MEM]: "write guest memory",
  [REQ.SYMBOL]: "look up symbols",
  [REQ.DISAS]: "disassemble",
};

/**
 * Writes `c`'s registers into a channel's register snapshot ({@link REGS})
 * and marks it valid: done before a call whose callbacks may read guest
 * state, so that their register reads need no request.
 */
export function snapshotRegisters(regs: Int32Array, c: Cpu): void {
  regs.set(c.x, REGS.X);
  regs[REGS.PC] = c.pc | 0;
  regs[REGS.PC + 1] = Math.floor(c.pc / 4294967296) | 0;
  regs.set(c.fi, REGS.F);
  regs[REGS.FFLAGS] = c.fflags;
  regs[REGS.FRM] = c.frm;
  regs[REGS.FCSR] = c.fcsr;
  // The vector state only in runs with V (the emulator set VLENB when it added the instance).
  if (regs[REGS.VLENB] !== 0) {
    const v = c.vec.v;
    regs.set(new Int32Array(v.buffer, v.byteOffset, v.length >> 2), REGS.V);
    const hi = new Int32Array(1);
    VECTOR_CSRS.forEach(([, num], k) => {
      regs[REGS.VCSRS + 2 * k] = readVectorCsr(c, num, hi);
      regs[REGS.VCSRS + 2 * k + 1] = hi[0];
    });
  }
  Atomics.store(regs, REGS.VALID, 1);
}

/** What the guest looks like to requests. */
export interface GuestView {
  mem: AddressSpace;
  symbols: SymbolTable;
  /** Whether the run has V (its registers exist). @default false */
  vector?: boolean;
}

function refuse(code: number, why: string): never {
  throw new PluginFailure(`the plugin asked to ${REQ_NAMES[code] ?? `do request ${code}`} ${why}`);
}

/**
 * Answers request `code` in control block `ctl` within `ctx`; returns
 * true (an allowed request that fails, such as a read of an unmapped
 * address, is answered with its failure in the reply words).
 *
 * @throws {PluginFailure} for a request its callback may not make, or a malformed one
 *
 * @example
 * ```ts
 * import { type CallContext, type GuestView, serveRequest } from "./requests.ts";
 * import type { PluginInstance } from "./instance.ts";
 * declare const inst: PluginInstance, op: number, args: number[], ctx: CallContext, guest: GuestView;
 * inst.call(op, args, undefined, (code) => serveRequest(inst.channel.ctl, code, ctx, guest));
 * ```
 */
export function serveRequest(ctl: ArrayBufferLike, code: number, ctx: CallContext, guest: GuestView | undefined) {
  const ci = new Int32Array(ctl);
  const a1 = ci[CTL.ARGS + 1];
  switch (code) {
    case REQ.DISAS:
    case REQ.SYMBOL: {
      const tb = ctx.tb;
      if (!tb) refuse(code, "outside a translation callback");
      const lines = tb.insns.map((insn, k) =>
        code === REQ.DISAS ? (insn ? disassemble(insn, tb.pcs[k]) : ".insn") : (guest?.symbols.lookup(tb.pcs[k]) ?? "")
      );
      putString(ctl, CTL.ARGS + 1, lines.join("\n"));
      return true;
    }
    case REQ.READ_REG: {
      const c = ctx.cpu;
      if (!c || ctx.access < ACCESS.READ) refuse(code, "in a callback that may not read guest state");
      if (!(a1 >= 0 && a1 <= lastRegister(guest?.vector ?? false))) refuse(code, `with register number ${a1}`);
      const bytes = new Uint8Array(registerSize(a1));
      const dv = new DataView(bytes.buffer);
      if (a1 < 32) dv.setBigUint64(0, BigInt.asUintN(64, c.getX(a1)), true);
      else if (a1 === REG_PC) dv.setBigUint64(0, BigInt(c.pc), true);
      else if (a1 < REG_FFLAGS) dv.setBigUint64(0, c.getFBits(a1 - REG_F0), true);
      else if (a1 <= REG_FCSR) dv.setUint32(0, a1 === REG_FFLAGS ? c.fflags : a1 === REG_FRM ? c.frm : c.fcsr, true);
      else if (a1 < REG.VCSR0) bytes.set(c.vec.v.subarray((a1 - REG.V0) * VLENB, (a1 - REG.V0 + 1) * VLENB));
      else {
        const hi = new Int32Array(1);
        dv.setInt32(0, readVectorCsr(c, VECTOR_CSRS[a1 - REG.VCSR0][1], hi), true);
        dv.setInt32(4, hi[0], true);
      }
      putBytes(ctl, CTL.ARGS + 1, bytes);
      return true;
    }
    case REQ.WRITE_REG: {
      const c = ctx.cpu;
      if (!c || ctx.access < ACCESS.WRITE) refuse(code, "in a callback not registered with QEMU_PLUGIN_CB_RW_REGS");
      const csr = a1 >= REG.VCSR0 ? VECTOR_CSRS[a1 - REG.VCSR0]?.[1] : undefined;
      if (
        !(a1 >= 0 && a1 <= lastRegister(guest?.vector ?? false)) || a1 === REG_PC || READ_ONLY_VECTOR_CSRS.has(csr!)
      ) {
        refuse(code, `with register number ${a1}`);
      }
      const bytes = payloadBytes(ctl, code);
      const size = registerSize(a1);
      if (bytes.length < size) refuse(code, `with ${bytes.length} bytes for a ${size}-byte register`);
      const dv = new DataView(bytes.buffer);
      if (a1 < 32) c.setX(a1, dv.getBigUint64(0, true));
      else if (a1 < REG_FFLAGS) c.setFBits(a1 - REG_F0, dv.getBigUint64(0, true));
      else if (a1 === REG_FFLAGS) c.fflags = dv.getUint32(0, true) & 31;
      else if (a1 === REG_FRM) c.frm = dv.getUint32(0, true) & 7;
      else if (a1 === REG_FCSR) c.fcsr = dv.getUint32(0, true) & 0xff;
      else if (a1 < REG.VCSR0) c.vec.v.set(bytes.subarray(0, VLENB), (a1 - REG.V0) * VLENB);
      else writeVectorCsr(c, csr!, dv.getUint32(0, true));
      ci[CTL.ARGS + 1] = size;
      return true;
    }
    case REQ.READ_MEM: {
      if (!ctx.cpu || ctx.access < ACCESS.READ || !guest) refuse(code, "in a callback that may not read guest state");
      const len = ci[CTL.ARGS + 2];
      if (!(len > 0 && len <= MAX_MEMORY_REQUEST)) refuse(code, `of ${len} bytes`);
      try {
        if (a1 < 0) throw new RangeError("address");
        putBytes(ctl, CTL.ARGS + 2, guest.mem.readBytes(a1, len));
        ci[CTL.ARGS + 1] = len;
      } catch {
        ci[CTL.ARGS + 1] = -1;
      }
      return true;
    }
    case REQ.WRITE_MEM: {
      if (!ctx.cpu || ctx.access < ACCESS.WRITE || !guest) {
        refuse(code, "in a callback not registered with QEMU_PLUGIN_CB_RW_REGS");
      }
      const bytes = payloadBytes(ctl, code);
      try {
        if (a1 < 0) throw new RangeError("address");
        guest.mem.writeBytes(a1, bytes);
        ci[CTL.ARGS + 1] = 1;
      } catch {
        ci[CTL.ARGS + 1] = 0;
      }
      return true;
    }
  }
  return refuse(code, "(no such request)");
}

/**
 * A copy of the request's byte payload, bounded to the payload area. The
 * length word is read once: the plugin's process runs meanwhile and may
 * change it between a check and a second read.
 */
function payloadBytes(ctl: ArrayBufferLike, code: number): Uint8Array {
  const len = new Int32Array(ctl)[PAYLOAD];
  if (!(len >= 0 && (PAYLOAD + 1) * 4 + len <= Math.min(CTL_BYTES, DEATH * 4))) refuse(code, `with ${len} bytes`);
  return new Uint8Array(ctl, (PAYLOAD + 1) * 4, len).slice();
}
