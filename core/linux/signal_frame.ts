/**
 * The riscv64 signal frame as Linux lays it out on the user stack
 * (`arch/riscv/kernel/signal.c`): `struct rt_sigframe` is a `siginfo_t`
 * followed by a `ucontext_t`, whose `mcontext` holds the integer registers
 * with the pc in slot 0 (`struct user_regs_struct`) and the D extension's
 * state (32 doubles and fcsr) inside the 528-byte FP union, whose last
 * words are a reserved word (must be 0) and the end-of-extensions header.
 *
 * | offset | field                                                    |
 * | ------ | -------------------------------------------------------- |
 * | 0      | `info` (`siginfo_t`, 128 bytes)                          |
 * | 128    | `uc.uc_flags`                                            |
 * | 136    | `uc.uc_link`                                             |
 * | 144    | `uc.uc_stack` (`ss_sp`, `ss_flags`, `ss_size`)           |
 * | 168    | `uc.uc_sigmask` (then 120 unused bytes)                  |
 * | 304    | `uc.uc_mcontext.sc_regs` (pc, x1…x31)                    |
 * | 560    | `uc.uc_mcontext.sc_fpregs.d.f[32]`                       |
 * | 816    | `uc.uc_mcontext.sc_fpregs.d.fcsr`                        |
 * | 1076   | `uc.uc_mcontext.sc_extdesc.reserved` (0)                 |
 * | 1080   | `uc.uc_mcontext.sc_extdesc.hdr` (END: magic 0, size 0)    |
 *
 * 1088 bytes in all, a multiple of 16 as the kernel rounds it. When the
 * run has V, the first extension header is V's instead
 * (`arch/riscv/kernel/signal.c` `save_v_state`, the layout of
 * `asm/sigcontext.h` and `asm/ptrace.h`), and the END header follows it:
 *
 * | offset | field                                                          |
 * | ------ | -------------------------------------------------------------- |
 * | 1080   | `struct __riscv_ctx_hdr`: `RISCV_V_MAGIC`, size 568            |
 * | 1088   | `struct __riscv_v_ext_state`: vstart, vl, vtype, vcsr, vlenb   |
 * | 1128   | its `datap`: the address of the registers, 1136                |
 * | 1136   | v0…v31, 16 bytes each                                          |
 * | 1648   | END header (magic 0, size 0)                                   |
 *
 * 1664 bytes in all. Linux writes the V block only once the thread has used
 * V (its vector state is not off); plume writes it in every frame of a run
 * with V. QEMU 10's linux-user writes none (its `target_sigcontext` ends
 * at fcsr, and `rt_sigreturn` leaves the vector state as the handler left
 * it).
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { VLENB } from "../cpu/vector_state.ts";
import { type AddressSpace, GuestMemoryError } from "../mem/address_space.ts";
import { type PendingSignal, SI_QUEUE, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP } from "./signals.ts";

/** Size of `siginfo_t`. */
export const SIGINFO_SIZE = 128;
/** Offset of the `ucontext_t` in the frame. */
export const UC_OFFSET = 128;
/** Offset of `uc_stack` in `ucontext_t`. */
export const UC_STACK = 16;
/** Offset of `uc_sigmask` in `ucontext_t`. */
export const UC_SIGMASK = 40;
/** Offset of `uc_mcontext` in `ucontext_t` (16-aligned after 1024 bits of signal set). */
export const UC_MCONTEXT = 176;
/** Offset of the FP state in `struct sigcontext`. */
export const SC_FPREGS = 256;
/** Offset of fcsr in `struct sigcontext`. */
export const SC_FCSR = SC_FPREGS + 256;
/** Offset of the reserved word of `__riscv_extra_ext_header` in `struct sigcontext`. */
export const SC_RESERVED = SC_FPREGS + 516;
/** Size of `struct sigcontext`: the registers and the 528-byte FP union. */
const SIGCONTEXT_SIZE = SC_FPREGS + 528;
/** Size of `struct rt_sigframe`, rounded up to 16. */
export const FRAME_SIZE = (UC_OFFSET + UC_MCONTEXT + SIGCONTEXT_SIZE + 15) & ~15;
/** Offset of the first extension header (`sc_extdesc.hdr`) in `struct sigcontext`. */
export const SC_EXT_HDR = SC_FPREGS + 520;
/** `RISCV_V_MAGIC`: the header of the vector state. */
export const RISCV_V_MAGIC = 0x53465457;
/** `END_MAGIC` (and `END_HDR_SIZE`, 0 as well): the header after the last extension. */
const END_MAGIC = 0;
/** Size of `struct __riscv_ctx_hdr`: magic, then size, 32 bits each. */
const CTX_HDR_SIZE = 8;
/** Size of `struct __sc_riscv_v_state`: vstart, vl, vtype, vcsr, vlenb and datap, 64 bits each. */
const V_STATE_SIZE = 48;
/** `riscv_v_sc_size`: the V block's header, state and 32 registers. */
export const V_BLOCK_SIZE = CTX_HDR_SIZE + V_STATE_SIZE + 32 * VLENB;

/**
 * Size of the frame (Linux's `get_rt_frame_size`): `struct rt_sigframe`,
 * with the V block when the run has V, rounded up to 16.
 */
export function frameSize(vector: boolean): number {
  return (FRAME_SIZE + (vector ? V_BLOCK_SIZE : 0) + 15) & ~15;
}

/** `stack_t` values saved in and restored from the frame. */
export interface StackT {
  /** `ss_sp`. */
  sp: number;
  /** `ss_flags`. */
  flags: number;
  /** `ss_size`. */
  size: number;
}

/** A frame that `rt_sigreturn` refuses (the reserved word is not 0): the kernel forces SIGSEGV. */
export class BadFrame extends Error {
  constructor(why: string) {
    super(why);
    this.name = "BadFrame";
  }
}

const FAULT_SIGNALS = new Set([SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV]);

/** True for a fault the kernel raised (its `siginfo_t` carries `si_addr`). */
export function isFault(sig: PendingSignal): boolean {
  return FAULT_SIGNALS.has(sig.signo) && sig.code > 0 && sig.info === undefined;
}

/**
 * The `siginfo_t` a signal carries: the sender's pid and uid (and value
 * for `sigqueue`), or the faulting address for a fault the kernel raised
 * (`si_code` > 0).
 *
 * @example
 * ```ts
 * import { encodeSiginfo } from "./signal_frame.ts";
 * import { strictEqual } from "node:assert";
 * const b = encodeSiginfo({ signo: 11, code: 1, pid: 0, uid: 0, tid: 7, addr: 0x1234 });
 * strictEqual(new DataView(b.buffer).getBigUint64(16, true), 0x1234n); // si_addr
 * ```
 */
export function encodeSiginfo(sig: PendingSignal): Uint8Array {
  if (sig.info) return sig.info.slice(0, SIGINFO_SIZE);
  const b = new Uint8Array(SIGINFO_SIZE);
  const v = new DataView(b.buffer);
  v.setInt32(0, sig.signo, true);
  v.setInt32(8, sig.code, true);
  if (isFault(sig)) {
    v.setBigUint64(16, BigInt(sig.addr ?? 0), true);
  } else {
    v.setInt32(16, sig.pid, true);
    v.setUint32(20, sig.uid, true);
    if (sig.code === SI_QUEUE || sig.value !== undefined) v.setBigUint64(24, BigInt.asUintN(64, sig.value ?? 0n), true);
    else if (sig.status !== undefined) v.setInt32(24, sig.status, true);
  }
  return b;
}

/**
 * Writes the frame at `frame` (16-aligned): siginfo, the saved alternate
 * stack, the mask to restore, and every register of `cpu` as it is now.
 *
 * @throws {GuestMemoryError} when the frame is not writable
 */
export function writeSigframe(
  mem: AddressSpace,
  frame: number,
  cpu: Cpu,
  info: Uint8Array,
  stack: StackT,
  mask: bigint,
  vector = false,
): void {
  const size = frameSize(vector);
  mem.check(frame, size, "write");
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set(info.subarray(0, SIGINFO_SIZE), 0);
  const uc = UC_OFFSET;
  v.setBigUint64(uc + UC_STACK, BigInt(stack.sp), true);
  v.setInt32(uc + UC_STACK + 8, stack.flags | 0, true);
  v.setBigUint64(uc + UC_STACK + 16, BigInt(stack.size), true);
  v.setBigUint64(uc + UC_SIGMASK, BigInt.asUintN(64, mask), true);
  const sc = uc + UC_MCONTEXT;
  v.setBigUint64(sc, BigInt(cpu.pc), true);
  for (let i = 1; i < 32; i++) {
    v.setInt32(sc + 8 * i, cpu.x[2 * i], true);
    v.setInt32(sc + 8 * i + 4, cpu.x[2 * i + 1], true);
  }
  for (let i = 0; i < 32; i++) {
    v.setInt32(sc + SC_FPREGS + 8 * i, cpu.fi[2 * i], true);
    v.setInt32(sc + SC_FPREGS + 8 * i + 4, cpu.fi[2 * i + 1], true);
  }
  v.setUint32(sc + SC_FCSR, cpu.fcsr, true);
  // The END header is all zeros, after the V block or in its place.
  if (vector) writeVectorBlock(b, v, sc + SC_EXT_HDR, frame, cpu);
  mem.u8.set(b, frame);
  mem.noteWrite(frame, size);
}

/** `save_v_state`: the V block at `hdr` in the frame's bytes `b` (the frame is at guest address `frame`). */
function writeVectorBlock(b: Uint8Array, v: DataView, hdr: number, frame: number, cpu: Cpu): void {
  const s = cpu.vec, state = hdr + CTX_HDR_SIZE, data = state + V_STATE_SIZE;
  v.setUint32(hdr, RISCV_V_MAGIC, true);
  v.setUint32(hdr + 4, V_BLOCK_SIZE, true);
  v.setBigUint64(state, BigInt(s.vstart), true);
  v.setBigUint64(state + 8, BigInt(s.vl), true);
  v.setBigUint64(state + 16, s.vill ? 1n << 63n : BigInt(s.vtype), true);
  v.setBigUint64(state + 24, BigInt((s.vxrm << 1) | s.vxsat), true);
  v.setBigUint64(state + 32, BigInt(VLENB), true);
  v.setBigUint64(state + 40, BigInt(frame + data), true);
  b.set(s.v, data);
}

/**
 * Reads the frame at `frame` back into `cpu` (all registers, the pc, the
 * FP registers and fcsr) as `rt_sigreturn` does; returns the mask and
 * alternate stack saved in it.
 *
 * With `vector` (the run has V), the extension headers are walked as
 * Linux's `restore_sigcontext` walks them: a V block restores the vector
 * registers from its `datap` and `vl`, `vtype` as `vsetvl` sets them, then
 * `vstart` and `vcsr`; anything but V blocks of the right size and an END
 * header of size 0 is refused.
 *
 * @throws {GuestMemoryError} when the frame (or a V block's registers) is not readable
 * @throws {BadFrame} when its reserved word is not zero or an extension header is not one Linux accepts
 */
export function readSigframe(
  mem: AddressSpace,
  frame: number,
  cpu: Cpu,
  vector = false,
): { mask: bigint; stack: StackT } {
  if (!Number.isSafeInteger(frame) || frame < 0) throw new GuestMemoryError(frame, "read", false);
  mem.check(frame, frameSize(vector), "read");
  const v = new DataView(mem.u8.slice(frame, frame + FRAME_SIZE).buffer);
  const uc = UC_OFFSET, sc = uc + UC_MCONTEXT;
  const reserved = v.getUint32(sc + SC_RESERVED, true);
  if (reserved !== 0) throw new BadFrame(`Reserved word of the signal frame is 0x${reserved.toString(16)}`);
  readExtensions(mem, frame + sc + SC_EXT_HDR, cpu, vector);
  cpu.pc = Number(v.getBigUint64(sc, true));
  for (let i = 1; i < 32; i++) {
    cpu.x[2 * i] = v.getInt32(sc + 8 * i, true);
    cpu.x[2 * i + 1] = v.getInt32(sc + 8 * i + 4, true);
  }
  for (let i = 0; i < 32; i++) {
    cpu.fi[2 * i] = v.getInt32(sc + SC_FPREGS + 8 * i, true);
    cpu.fi[2 * i + 1] = v.getInt32(sc + SC_FPREGS + 8 * i + 4, true);
  }
  cpu.fcsr = v.getUint32(sc + SC_FCSR, true);
  return {
    mask: v.getBigUint64(uc + UC_SIGMASK, true),
    stack: {
      sp: Number(v.getBigUint64(uc + UC_STACK, true)),
      flags: v.getInt32(uc + UC_STACK + 8, true),
      size: Number(v.getBigUint64(uc + UC_STACK + 16, true)),
    },
  };
}

/**
 * `restore_sigcontext`'s walk over the extension headers from guest address
 * `hdr`: each header's size leads to the next, until the END header.
 */
function readExtensions(mem: AddressSpace, hdr: number, cpu: Cpu, vector: boolean): void {
  for (;;) {
    mem.check(hdr, CTX_HDR_SIZE, "read");
    const magic = mem.view.getUint32(hdr, true), size = mem.view.getUint32(hdr + 4, true);
    if (magic === END_MAGIC) {
      if (size !== 0) throw new BadFrame(`END header of size ${size} in the signal frame`);
      return;
    }
    if (magic !== RISCV_V_MAGIC || !vector || size !== V_BLOCK_SIZE) {
      throw new BadFrame(`Extension header 0x${magic.toString(16)} of size ${size} in the signal frame`);
    }
    readVectorBlock(mem, hdr + CTX_HDR_SIZE, cpu);
    hdr += size;
  }
}

/** `__restore_v_state`: the vector registers from the block's `datap`, then its CSRs as Linux sets them. */
function readVectorBlock(mem: AddressSpace, state: number, cpu: Cpu): void {
  mem.check(state, V_STATE_SIZE, "read");
  const u64 = (i: number) => mem.view.getBigUint64(state + 8 * i, true);
  const vstart = u64(0), vl = u64(1), vtype = u64(2), vcsr = u64(3), datap = u64(5);
  if (datap > BigInt(Number.MAX_SAFE_INTEGER)) throw new GuestMemoryError(Number(datap), "read", false);
  const data = Number(datap);
  mem.check(data, 32 * VLENB, "read");
  const s = cpu.vec;
  s.v.set(mem.u8.subarray(data, data + 32 * VLENB));
  // vsetvl x0, vl, vtype; then csrw vstart and csrw vcsr, as __vstate_csr_restore.
  s.setConfig(vl > 0xffffffffn ? 2 ** 32 : Number(vl), Number(vtype & 0xffffffffn) | 0, Number(vtype >> 32n) | 0);
  s.vstart = Number(vstart & BigInt(VLENB * 8 - 1)); // as csrw vstart keeps it
  s.vxrm = Number((vcsr >> 1n) & 3n);
  s.vxsat = Number(vcsr & 1n);
}
