/**
 * Registers in GDB's wire format (`g`/`G`/`p`/`P`): each register's bytes
 * in target order (little-endian), as hex. `g` carries x0–x31 and pc (as
 * qemu's riscv stub does); the FP registers and CSRs of the target
 * description are read and written one at a time with `p`/`P`.
 *
 * @module
 */

import type { Cpu } from "../cpu/state.ts";
import { fromHex, toHex } from "./packet.ts";
import { REG_F0, REG_FCSR, REG_FFLAGS, REG_FRM, REG_PC } from "./target_xml.ts";

/** Registers in a `g` packet: x0–x31 and pc. */
const G_REGS = 33;

function le64(v: bigint): string {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return toHex(b);
}

function le32(v: number): string {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return toHex(b);
}

function readLe(hex: string): bigint | undefined {
  const b = fromHex(hex);
  if (b === undefined || (b.length !== 8 && b.length !== 4)) return undefined;
  const v = new DataView(b.buffer);
  return b.length === 8 ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
}

/**
 * One register as hex, or undefined when `n` is not in the target description.
 *
 * @param cpu the vCPU
 * @param n GDB's register number
 * @returns its value as hex, little-endian
 *
 * @example
 * ```ts
 * import { readRegister } from "./registers.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { strictEqual } from "node:assert";
 * const cpu = new Cpu();
 * cpu.pc = 0x10078;
 * strictEqual(readRegister(cpu, 32), "7800010000000000");
 * ```
 */
export function readRegister(cpu: Cpu, n: number): string | undefined {
  if (n >= 0 && n < 32) return le64(cpu.getX(n));
  if (n === REG_PC) return le64(BigInt(cpu.pc));
  if (n >= REG_F0 && n < REG_F0 + 32) return le64(cpu.getFBits(n - REG_F0));
  if (n === REG_FFLAGS) return le32(cpu.fflags);
  if (n === REG_FRM) return le32(cpu.frm);
  if (n === REG_FCSR) return le32(cpu.fcsr);
  return undefined;
}

/**
 * Writes one register from hex (8 bytes, or 4 for the CSRs); false when
 * `n` is unknown or the value malformed.
 *
 * @param cpu the vCPU
 * @param n GDB's register number
 * @param hex the value, little-endian hex
 * @returns whether it was written
 *
 * @example
 * ```ts
 * import { writeRegister } from "./registers.ts";
 * import { Cpu } from "../cpu/state.ts";
 * import { strictEqual } from "node:assert";
 * const cpu = new Cpu();
 * writeRegister(cpu, 10, "2a00000000000000");
 * strictEqual(cpu.getX(10), 42n);
 * ```
 */
export function writeRegister(cpu: Cpu, n: number, hex: string): boolean {
  const v = readLe(hex);
  if (v === undefined) return false;
  const csr = n === REG_FFLAGS || n === REG_FRM || n === REG_FCSR;
  if (hex.length !== (csr ? 8 : 16)) return false;
  if (n >= 0 && n < 32) cpu.setX(n, v);
  else if (n === REG_PC) {
    // plume's addresses stay below 2^53 (a JS number); a pc above that could never be fetched.
    if (v >= 1n << 53n) return false;
    cpu.pc = Number(v);
  } else if (n >= REG_F0 && n < REG_F0 + 32) cpu.setFBits(n - REG_F0, v);
  else if (n === REG_FFLAGS) cpu.fflags = Number(v) & 31;
  else if (n === REG_FRM) cpu.frm = Number(v) & 7;
  else if (n === REG_FCSR) cpu.fcsr = Number(v) & 0xff;
  else return false;
  return true;
}

/**
 * The `g` reply: x0–x31 and pc.
 *
 * @param cpu the vCPU
 * @returns hex, 33 registers of 8 bytes
 */
export function readGeneral(cpu: Cpu): string {
  let s = "";
  for (let n = 0; n < G_REGS; n++) s += readRegister(cpu, n)!;
  return s;
}

/**
 * Writes x0–x31 and pc from a `G` packet (fewer registers are allowed: the
 * rest are left as they are); false when malformed.
 *
 * @param cpu the vCPU
 * @param hex the packet's data
 * @returns whether it was written
 */
export function writeGeneral(cpu: Cpu, hex: string): boolean {
  if (hex.length % 16 !== 0 || hex.length > G_REGS * 16 || fromHex(hex) === undefined) return false;
  for (let n = 0; n * 16 < hex.length; n++) {
    if (!writeRegister(cpu, n, hex.slice(n * 16, n * 16 + 16))) return false;
  }
  return true;
}
