/**
 * A few RV64 instruction encoders for tests that need tiny guest programs
 * (scheduler, signal delivery), so they run without a cross toolchain.
 *
 * @module
 */

const I = (op: number, f3: number, rd: number, rs1: number, imm: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;

/** `addi rd, rs1, imm`. */
export const addi = (rd: number, rs1: number, imm: number): number => I(0x13, 0, rd, rs1, imm);
/** `li rd, imm` for a 12-bit immediate. */
export const li = (rd: number, imm: number): number => addi(rd, 0, imm);
/** `andi rd, rs1, imm`. */
export const andi = (rd: number, rs1: number, imm: number): number => I(0x13, 7, rd, rs1, imm);
/** `slli rd, rs1, sh`. */
export const slli = (rd: number, rs1: number, sh: number): number => I(0x13, 1, rd, rs1, sh);
/** `lw rd, imm(rs1)`. */
export const lw = (rd: number, rs1: number, imm: number): number => I(0x03, 2, rd, rs1, imm);
/** `add rd, rs1, rs2`. */
export const add = (rd: number, rs1: number, rs2: number): number =>
  ((rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33) >>> 0;
/** `addiw rd, rs1, imm` (`sext.w rd, rs1` when imm is 0). */
export const addiw = (rd: number, rs1: number, imm: number): number => I(0x1b, 0, rd, rs1, imm);
/** `srliw rd, rs1, sh`. */
export const srliw = (rd: number, rs1: number, sh: number): number => I(0x1b, 5, rd, rs1, sh);
/** `xori rd, rs1, imm`. */
export const xori = (rd: number, rs1: number, imm: number): number => I(0x13, 4, rd, rs1, imm);
const R = (op: number, f3: number, f7: number, rd: number, rs1: number, rs2: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
/** `addw rd, rs1, rs2`. */
export const addw = (rd: number, rs1: number, rs2: number): number => R(0x3b, 0, 0, rd, rs1, rs2);
/** `xor rd, rs1, rs2`. */
export const xor = (rd: number, rs1: number, rs2: number): number => R(0x33, 4, 0, rd, rs1, rs2);
/** `or rd, rs1, rs2`. */
export const or = (rd: number, rs1: number, rs2: number): number => R(0x33, 6, 0, rd, rs1, rs2);
/** `sltu rd, rs1, rs2`. */
export const sltu = (rd: number, rs1: number, rs2: number): number => R(0x33, 3, 0, rd, rs1, rs2);
/** `sw rs2, imm(rs1)`. */
export const sw = (rs2: number, rs1: number, imm: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
/** `amoadd.w rd, rs2, (rs1)`. */
export const amoaddW = (rd: number, rs2: number, rs1: number): number =>
  ((rs2 << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x2f) >>> 0;
/** `lr.w rd, (rs1)`. */
export const lrW = (rd: number, rs1: number): number =>
  ((0b00010 << 27) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x2f) >>> 0;
/** `sc.w rd, rs2, (rs1)`. */
export const scW = (rd: number, rs2: number, rs1: number): number =>
  ((0b00011 << 27) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | (rd << 7) | 0x2f) >>> 0;
/** `ecall`. */
export const ecall = 0x73;
/** `ebreak`. */
export const ebreak = 0x00100073;

function branch(f3: number, rs1: number, rs2: number, off: number): number {
  const b = off & 0x1fff;
  return ((((b >> 12) & 1) << 31) | (((b >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((b >> 1) & 0xf) << 8) | (((b >> 11) & 1) << 7) | 0x63) >>> 0;
}

/** `bne rs1, rs2, off` (off in bytes from this instruction). */
export const bne = (rs1: number, rs2: number, off: number): number => branch(1, rs1, rs2, off);
/** `blt rs1, rs2, off`. */
export const blt = (rs1: number, rs2: number, off: number): number => branch(4, rs1, rs2, off);
/** `bltu rs1, rs2, off`. */
export const bltu = (rs1: number, rs2: number, off: number): number => branch(6, rs1, rs2, off);
/** `beq rs1, rs2, off`. */
export const beq = (rs1: number, rs2: number, off: number): number => branch(0, rs1, rs2, off);
/** `jal x0, off`. */
export const j = (off: number): number => {
  const b = off & 0x1fffff;
  return ((((b >> 20) & 1) << 31) | (((b >> 1) & 0x3ff) << 21) | (((b >> 11) & 1) << 20) | (((b >> 12) & 0xff) << 12) |
    0x6f) >>> 0;
};

/** Writes instructions at `addr` (the page must be mapped); returns the address after them. */
export function emit(mem: { view: DataView }, addr: number, words: readonly number[]): number {
  words.forEach((w, i) => mem.view.setUint32(addr + 4 * i, w, true));
  return addr + 4 * words.length;
}
