import { assertEquals } from "../../tests/assert.ts";
import { hasInsn, parseCpu } from "./extensions.ts";
import { decode, insnLength } from "./decoder.ts";
import type { Insn } from "./insn.ts";

type Fields = Partial<Omit<Insn, "raw" | "size">> & { op: string };

/**
 * Encodings per extension with the fields the specification gives them; the
 * comment is the assembly gas turned into the encoding. Fields not listed
 * must decode as 0 (false). `null` marks reserved or non-RV64GC encodings.
 */
const CASES: [group: string, bits: number, expected: Fields | null][] = [
  ["RV64I", 0x12345537, { op: "lui", rd: 10, imm: 0x12345000 }], // lui a0, 0x12345
  ["RV64I", 0xfffff2b7, { op: "lui", rd: 5, imm: -0x1000 }], // lui t0, 0xfffff
  ["RV64I", 0x80000097, { op: "auipc", rd: 1, imm: -0x80000000 }], // auipc ra, 0x80000
  ["RV64I", 0x001000ef, { op: "jal", rd: 1, imm: 2048 }], // jal ra, .+2048
  ["RV64I", 0x8000006f, { op: "jal", rd: 0, imm: -0x100000 }], // jal zero, .-1048576
  ["RV64I", 0xfffe0367, { op: "jalr", rd: 6, rs1: 28, imm: -1 }], // jalr t1, -1(t3)
  ["RV64I", 0x80b50063, { op: "beq", rs1: 10, rs2: 11, imm: -0x1000 }], // beq a0, a1, .-4096
  ["RV64I", 0x7e62ffe3, { op: "bgeu", rs1: 5, rs2: 6, imm: 4094 }], // bgeu t0, t1, .+4094
  ["RV64I", 0x00044463, { op: "blt", rs1: 8, imm: 8 }], // blt s0, zero, .+8
  ["RV64I", 0x80058503, { op: "lb", rd: 10, rs1: 11, imm: -2048 }], // lb a0, -2048(a1)
  ["RV64I", 0x7ff16383, { op: "lwu", rd: 7, rs1: 2, imm: 2047 }], // lwu t2, 2047(sp)
  ["RV64I", 0x00813083, { op: "ld", rd: 1, rs1: 2, imm: 8 }], // ld ra, 8(sp)
  ["RV64I", 0xfe813c23, { op: "sd", rs1: 2, rs2: 8, imm: -8 }], // sd s0, -8(sp)
  ["RV64I", 0x7ff78fa3, { op: "sb", rs1: 15, rs2: 31, imm: 2047 }], // sb t6, 2047(a5)
  ["RV64I", 0xfd658513, { op: "addi", rd: 10, rs1: 11, imm: -42 }], // addi a0, a1, -42
  ["RV64I", 0xfff5b513, { op: "sltiu", rd: 10, rs1: 11, imm: -1 }], // sltiu a0, a1, -1
  ["RV64I", 0x0ff6f613, { op: "andi", rd: 12, rs1: 13, imm: 255 }], // andi a2, a3, 255
  ["RV64I", 0x03f51513, { op: "slli", rd: 10, rs1: 10, imm: 63 }], // slli a0, a0, 63
  ["RV64I", 0x42165593, { op: "srai", rd: 11, rs1: 12, imm: 33 }], // srai a1, a2, 33
  ["RV64I", 0x00165593, { op: "srli", rd: 11, rs1: 12, imm: 1 }], // srli a1, a2, 1
  ["RV64I", 0x413904b3, { op: "sub", rd: 9, rs1: 18, rs2: 19 }], // sub s1, s2, s3
  ["RV64I", 0x407352b3, { op: "sra", rd: 5, rs1: 6, rs2: 7 }], // sra t0, t1, t2
  ["RV64I", 0x00b03533, { op: "sltu", rd: 10, rs2: 11 }], // sltu a0, zero, a1
  ["RV64I", 0xfff5051b, { op: "addiw", rd: 10, rs1: 10, imm: -1 }], // addiw a0, a0, -1
  ["RV64I", 0x41f5d51b, { op: "sraiw", rd: 10, rs1: 11, imm: 31 }], // sraiw a0, a1, 31
  ["RV64I", 0x40c5853b, { op: "subw", rd: 10, rs1: 11, rs2: 12 }], // subw a0, a1, a2
  ["RV64I", 0x40c5d53b, { op: "sraw", rd: 10, rs1: 11, rs2: 12 }], // sraw a0, a1, a2
  ["RV64I", 0x0205151b, null], // slliw with shamt[5] set: reserved on RV64
  ["RV64I", 0x4400d513, null], // shift-right immediate with funct6 010001
  ["RV64I", 0x00b50133, { op: "add", rd: 2, rs1: 10, rs2: 11 }], // add sp, a0, a1
  ["RV64I", 0x0ff0000f, { op: "fence", imm: 255 }], // fence
  ["RV64I", 0x0310000f, { op: "fence", imm: 49 }], // fence rw, w
  ["RV64I", 0x8330000f, { op: "fence.tso", imm: 51 }], // fence.tso
  ["RV64I", 0x0100000f, { op: "fence", imm: 16 }], // pause
  ["RV64I", 0x00000073, { op: "ecall" }], // ecall
  ["RV64I", 0x00100073, { op: "ebreak" }], // ebreak
  ["RV64I", 0x30200073, null], // mret: privileged
  ["RV64I", 0x10500073, null], // wfi: privileged
  ["Zifencei", 0x0000100f, { op: "fence.i" }], // fence.i
  ["Zicsr", 0x00359573, { op: "csrrw", rd: 10, rs1: 11, csr: 0x3 }], // csrrw a0, fcsr, a1
  ["Zicsr", 0xc00022f3, { op: "csrrs", rd: 5, csr: 0xc00 }], // csrrs t0, cycle, zero
  ["Zicsr", 0xfff4b073, { op: "csrrc", rs1: 9, csr: 0xfff }], // csrrc zero, 0xfff, s1
  ["Zicsr", 0x0020d573, { op: "csrrwi", rd: 10, imm: 1, csr: 0x2 }], // csrrwi a0, frm, 1
  ["Zicsr", 0x001fe073, { op: "csrrsi", imm: 31, csr: 0x1 }], // csrrsi zero, fflags, 31
  ["Zicsr", 0x800872f3, { op: "csrrci", rd: 5, imm: 16, csr: 0x800 }], // csrrci t0, 0x800, 16
  ["M", 0x02c58533, { op: "mul", rd: 10, rs1: 11, rs2: 12 }], // mul a0, a1, a2
  ["M", 0x027322b3, { op: "mulhsu", rd: 5, rs1: 6, rs2: 7 }], // mulhsu t0, t1, t2
  ["M", 0x0324d43b, { op: "divuw", rd: 8, rs1: 9, rs2: 18 }], // divuw s0, s1, s2
  ["M", 0x02d767bb, { op: "remw", rd: 15, rs1: 14, rs2: 13 }], // remw a5, a4, a3
  ["M", 0x02d777b3, { op: "remu", rd: 15, rs1: 14, rs2: 13 }], // remu a5, a4, a3
  ["A", 0x1405a52f, { op: "lr.w", rd: 10, rs1: 11, aq: true }], // lr.w.aq a0, (a1)
  ["A", 0x1001352f, { op: "lr.d", rd: 10, rs1: 2 }], // lr.d a0, (sp)
  ["A", 0x1a63b2af, { op: "sc.d", rd: 5, rs1: 7, rs2: 6, rl: true }], // sc.d.rl t0, t1, (t2)
  ["A", 0x0eb6252f, { op: "amoswap.w", rd: 10, rs1: 12, rs2: 11, aq: true, rl: true }], // amoswap.w.aqrl a0, a1, (a2)
  ["A", 0xe094302f, { op: "amomaxu.d", rs1: 8, rs2: 9 }], // amomaxu.d zero, s1, (s0)
  ["A", 0x00b6252f, { op: "amoadd.w", rd: 10, rs1: 12, rs2: 11 }], // amoadd.w a0, a1, (a2)
  ["A", 0x1015a52f, null], // lr.w with rs2 = 1: reserved
  ["A", 0x28b6252f, null], // amocas.w (Zacas)
  ["A", 0x00b6052f, null], // amoadd.b (Zabha)
  ["F", 0xffc12007, { op: "flw", rd: 0, rs1: 2, imm: -4 }], // flw ft0, -4(sp)
  ["F", 0x7ea52fa7, { op: "fsw", rs1: 10, rs2: 10, imm: 2047 }], // fsw fa0, 2047(a0)
  ["F", 0x68c58543, { op: "fmadd.s", rd: 10, rs1: 11, rs2: 12, rs3: 13, rm: 0 }], // fmadd.s fa0, fa1, fa2, fa3, rne
  ["F", 0xf820f04f, { op: "fnmadd.s", rd: 0, rs1: 1, rs2: 2, rs3: 31, rm: 7 }], // fnmadd.s ft0, ft1, ft2, ft11, dyn
  ["F", 0x1924c453, { op: "fdiv.s", rd: 8, rs1: 9, rs2: 18, rm: 4 }], // fdiv.s fs0, fs1, fs2, rmm
  ["F", 0x5805b553, { op: "fsqrt.s", rd: 10, rs1: 11, rm: 3 }], // fsqrt.s fa0, fa1, rup
  ["F", 0x20b5a553, { op: "fsgnjx.s", rd: 10, rs1: 11, rs2: 11 }], // fsgnjx.s fa0, fa1, fa1
  ["F", 0x28209053, { op: "fmax.s", rd: 0, rs1: 1, rs2: 2 }], // fmax.s ft0, ft1, ft2
  ["F", 0xc0051553, { op: "fcvt.w.s", rd: 10, rs1: 10, rm: 1 }], // fcvt.w.s a0, fa0, rtz
  ["F", 0xd0352553, { op: "fcvt.s.lu", rd: 10, rs1: 10, rm: 2 }], // fcvt.s.lu fa0, a0, rdn
  ["F", 0xe0008553, { op: "fmv.x.w", rd: 10, rs1: 1 }], // fmv.x.w a0, ft1
  ["F", 0xf00500d3, { op: "fmv.w.x", rd: 1, rs1: 10 }], // fmv.w.x ft1, a0
  ["F", 0xe00615d3, { op: "fclass.s", rd: 11, rs1: 12 }], // fclass.s a1, fa2
  ["F", 0xa0c58553, { op: "fle.s", rd: 10, rs1: 11, rs2: 12 }], // fle.s a0, fa1, fa2
  ["F", 0x00b55553, { op: "fadd.s", rd: 10, rs1: 10, rs2: 11, rm: 5 }], // reserved rm 5 is the translator's to reject
  ["F", 0x00b56553, { op: "fadd.s", rd: 10, rs1: 10, rs2: 11, rm: 6 }], // reserved rm 6
  ["Zfh", 0x0405f043, { op: "fmadd.h", rs1: 11, rm: 7 }], // fmt 10: half
  ["Zfh", 0xffe59507, { op: "flh", rd: 10, rs1: 11, imm: -2 }],
  ["Zfh", 0x00a59327, { op: "fsh", rs1: 11, rs2: 10, imm: 6 }],
  ["Zfh", 0x44059553, { op: "fcvt.h.s", rd: 10, rs1: 11, rm: 1 }],
  ["Zfh", 0x4025f553, { op: "fcvt.s.h", rd: 10, rs1: 11, rm: 7 }],
  ["Zfh", 0xf4058553, { op: "fmv.h.x", rd: 10, rs1: 11 }],
  ["Zfh", 0xe4059553, { op: "fclass.h", rd: 10, rs1: 11 }],
  ["Zfh", 0x44359553, null], // fcvt.h with rs2 = 3 (fcvt.h.q without Q)
  ["Zfa", 0xf2140553, { op: "fli.d", rd: 10, rs1: 8 }], // fli.d fa0, 0.25: rs1 is the table index
  ["Zfa", 0xf41f0553, { op: "fli.h", rd: 10, rs1: 30 }], // fli.h fa0, inf
  ["Zfa", 0x28c5a553, { op: "fminm.s", rd: 10, rs1: 11, rs2: 12 }],
  ["Zfa", 0x2ac5b553, { op: "fmaxm.d", rd: 10, rs1: 11, rs2: 12 }],
  ["Zfa", 0x40459553, { op: "fround.s", rd: 10, rs1: 11, rm: 1 }], // fround.s fa0, fa1, rtz
  ["Zfa", 0x4255f553, { op: "froundnx.d", rd: 10, rs1: 11, rm: 7 }],
  ["Zfa", 0xc2859553, { op: "fcvtmod.w.d", rd: 10, rs1: 11 }], // fcvtmod.w.d a0, fa1, rtz
  ["Zfa", 0xc2858553, null], // fcvtmod.w.d with rm = rne: the encoding fixes rtz
  ["Zfa", 0xa0c5c553, { op: "fleq.s", rd: 10, rs1: 11, rs2: 12 }],
  ["Zfa", 0xa4c5d553, { op: "fltq.h", rd: 10, rs1: 11, rs2: 12 }],
  ["Zfa", 0xe2158553, null], // fmvh.x.d: RV32 only
  ["Zfa", 0xb2c58553, null], // fmvp.d.x: RV32 only
  ["Zfa", 0xf2109553, null], // fli.d's encoding with funct3 001
  ["F", 0x06b57553, null], // fadd.q (Q)
  ["F", 0x0005c507, null], // flq (Q)
  ["F", 0xe0052553, null], // fclass.s with rs2 = 0 but funct3 010
  ["D", 0x00853507, { op: "fld", rd: 10, rs1: 10, imm: 8 }], // fld fa0, 8(a0)
  ["D", 0x81bfb027, { op: "fsd", rs1: 31, rs2: 27, imm: -2048 }], // fsd fs11, -2048(t6)
  ["D", 0x6ac59547, { op: "fmsub.d", rd: 10, rs1: 11, rs2: 12, rs3: 13, rm: 1 }], // fmsub.d fa0, fa1, fa2, fa3, rtz
  ["D", 0x02c5f553, { op: "fadd.d", rd: 10, rs1: 11, rs2: 12, rm: 7 }], // fadd.d fa0, fa1, fa2
  ["D", 0x22c59553, { op: "fsgnjn.d", rd: 10, rs1: 11, rs2: 12 }], // fsgnjn.d fa0, fa1, fa2
  ["D", 0x4015f553, { op: "fcvt.s.d", rd: 10, rs1: 11, rm: 7 }], // fcvt.s.d fa0, fa1
  ["D", 0x42058553, { op: "fcvt.d.s", rd: 10, rs1: 11, rm: 0 }], // fcvt.d.s fa0, fa1
  ["D", 0xc2058553, { op: "fcvt.w.d", rd: 10, rs1: 11, rm: 0 }], // fcvt.w.d a0, fa1, rne
  ["D", 0xd235f553, { op: "fcvt.d.lu", rd: 10, rs1: 11, rm: 7 }], // fcvt.d.lu fa0, a1
  ["D", 0xd2058553, { op: "fcvt.d.w", rd: 10, rs1: 11, rm: 0 }], // fcvt.d.w fa0, a1
  ["D", 0xd205f553, { op: "fcvt.d.w", rd: 10, rs1: 11, rm: 7 }], // older assemblers write rm = dyn
  ["D", 0xe2058553, { op: "fmv.x.d", rd: 10, rs1: 11 }], // fmv.x.d a0, fa1
  ["D", 0xf2058553, { op: "fmv.d.x", rd: 10, rs1: 11 }], // fmv.d.x fa0, a1
  ["D", 0xa2c5a553, { op: "feq.d", rd: 10, rs1: 11, rs2: 12 }], // feq.d a0, fa1, fa2
  ["D", 0xe2059553, { op: "fclass.d", rd: 10, rs1: 11 }], // fclass.d a0, fa1
  ["C", 0x1fe8, { op: "addi", rd: 10, rs1: 2, imm: 1020 }], // c.addi4spn a0, sp, 1020
  ["C", 0x0044, { op: "addi", rd: 9, rs1: 2, imm: 4 }], // c.addi4spn s1, sp, 4
  ["C", 0x0008, null], // c.addi4spn with nzuimm 0
  ["C", 0x0000, null], // all-zero halfword
  ["C", 0x3fe8, { op: "fld", rd: 10, rs1: 15, imm: 248 }], // c.fld fa0, 248(a5)
  ["C", 0x5de8, { op: "lw", rd: 10, rs1: 11, imm: 124 }], // c.lw a0, 124(a1)
  ["C", 0x6384, { op: "ld", rd: 9, rs1: 15, imm: 0 }], // c.ld s1, 0(a5)
  ["C", 0xa480, { op: "fsd", rs1: 9, rs2: 8, imm: 8 }], // c.fsd fs0, 8(s1)
  ["C", 0xc33c, { op: "sw", rs1: 14, rs2: 15, imm: 64 }], // c.sw a5, 64(a4)
  ["C", 0xfef0, { op: "sd", rs1: 13, rs2: 12, imm: 248 }], // c.sd a2, 248(a3)
  ["C", 0x8000, { op: "lbu", rd: 8, rs1: 8, imm: 0 }], // quadrant 0, funct3 100: reserved but for Zcb's c.lbu
  ["C", 0x0001, { op: "addi" }], // c.nop
  ["C", 0x1501, { op: "addi", rd: 10, rs1: 10, imm: -32 }], // c.addi a0, -32
  ["C", 0x2505, { op: "addiw", rd: 10, rs1: 10, imm: 1 }], // c.addiw a0, 1
  ["C", 0x2001, null], // c.addiw with rd = 0
  ["C", 0x57fd, { op: "addi", rd: 15, rs1: 0, imm: -1 }], // c.li a5, -1
  ["C", 0x7501, { op: "lui", rd: 10, imm: -0x20000 }], // c.lui a0, 0xfffe0
  ["C", 0x64fd, { op: "lui", rd: 9, imm: 0x1f000 }], // c.lui s1, 31
  ["C", 0x6501, null], // c.lui with nzimm 0
  ["C", 0x7101, { op: "addi", rd: 2, rs1: 2, imm: -512 }], // c.addi16sp sp, -512
  ["C", 0x617d, { op: "addi", rd: 2, rs1: 2, imm: 496 }], // c.addi16sp sp, 496
  ["C", 0x6101, null], // c.addi16sp with nzimm 0
  ["C", 0x917d, { op: "srli", rd: 10, rs1: 10, imm: 63 }], // c.srli a0, 63
  ["C", 0x8485, { op: "srai", rd: 9, rs1: 9, imm: 1 }], // c.srai s1, 1
  ["C", 0x9b81, { op: "andi", rd: 15, rs1: 15, imm: -32 }], // c.andi a5, -32
  ["C", 0x8c05, { op: "sub", rd: 8, rs1: 8, rs2: 9 }], // c.sub s0, s1
  ["C", 0x8d2d, { op: "xor", rd: 10, rs1: 10, rs2: 11 }], // c.xor a0, a1
  ["C", 0x8e55, { op: "or", rd: 12, rs1: 12, rs2: 13 }], // c.or a2, a3
  ["C", 0x8f7d, { op: "and", rd: 14, rs1: 14, rs2: 15 }], // c.and a4, a5
  ["C", 0x9d1d, { op: "subw", rd: 10, rs1: 10, rs2: 15 }], // c.subw a0, a5
  ["C", 0x9ca9, { op: "addw", rd: 9, rs1: 9, rs2: 10 }], // c.addw s1, a0
  ["C", 0x9c41, { op: "mul", rd: 8, rs1: 8, rs2: 8 }], // funct3 100, 12 = 1, 11:10 = 11, 6:5 = 10: Zcb's c.mul
  ["Zcb", 0x8000 | (5 << 7) | (1 << 6) | (1 << 5) | (4 << 2), { op: "lbu", rd: 12, rs1: 13, imm: 3 }],
  ["Zcb", 0x8400 | (5 << 7) | (1 << 5) | (4 << 2), { op: "lhu", rd: 12, rs1: 13, imm: 2 }],
  ["Zcb", 0x8440 | (5 << 7) | (4 << 2), { op: "lh", rd: 12, rs1: 13, imm: 0 }],
  ["Zcb", 0x8800 | (5 << 7) | (1 << 6) | (4 << 2), { op: "sb", rs2: 12, rs1: 13, imm: 1 }],
  ["Zcb", 0x8c00 | (5 << 7) | (1 << 5) | (4 << 2), { op: "sh", rs2: 12, rs1: 13, imm: 2 }],
  ["Zcb", 0x8c40, null], // c.sh's bit 6 set: reserved
  ["Zcb", 0x9c61 | (2 << 7), { op: "andi", rd: 10, rs1: 10, imm: 255 }], // c.zext.b
  ["Zcb", 0x9c65 | (2 << 7), { op: "sext.b", rd: 10, rs1: 10 }],
  ["Zcb", 0x9c69 | (2 << 7), { op: "zext.h", rd: 10, rs1: 10 }],
  ["Zcb", 0x9c6d | (2 << 7), { op: "sext.h", rd: 10, rs1: 10 }],
  ["Zcb", 0x9c71 | (2 << 7), { op: "add.uw", rd: 10, rs1: 10, rs2: 0 }], // c.zext.w
  ["Zcb", 0x9c75 | (2 << 7), { op: "xori", rd: 10, rs1: 10, imm: -1 }], // c.not
  ["Zcb", 0x9c79, null], // funct6 100111, 11 110: reserved
  ["Zcb", 0x9c7d, null], // funct6 100111, 11 111: reserved
  ["C", 0xb001, { op: "jal", rd: 0, imm: -2048 }], // c.j .-2048
  ["C", 0xaffd, { op: "jal", rd: 0, imm: 2046 }], // c.j .+2046
  ["C", 0xcd7d, { op: "beq", rs1: 10, rs2: 0, imm: 254 }], // c.beqz a0, .+254
  ["C", 0xf081, { op: "bne", rs1: 9, rs2: 0, imm: -256 }], // c.bnez s1, .-256
  ["C", 0x157e, { op: "slli", rd: 10, rs1: 10, imm: 63 }], // c.slli a0, 63
  ["C", 0x347e, { op: "fld", rd: 8, rs1: 2, imm: 504 }], // c.fldsp fs0, 504(sp)
  ["C", 0x50fe, { op: "lw", rd: 1, rs1: 2, imm: 252 }], // c.lwsp ra, 252(sp)
  ["C", 0x4002, null], // c.lwsp with rd = 0
  ["C", 0x757e, { op: "ld", rd: 10, rs1: 2, imm: 504 }], // c.ldsp a0, 504(sp)
  ["C", 0x6002, null], // c.ldsp with rd = 0
  ["C", 0x8502, { op: "jalr", rd: 0, rs1: 10, imm: 0 }], // c.jr a0
  ["C", 0x8002, null], // c.jr with rs1 = 0
  ["C", 0x852e, { op: "add", rd: 10, rs1: 0, rs2: 11 }], // c.mv a0, a1
  ["C", 0x9002, { op: "ebreak" }], // c.ebreak
  ["C", 0x9282, { op: "jalr", rd: 1, rs1: 5, imm: 0 }], // c.jalr t0
  ["C", 0x952e, { op: "add", rd: 10, rs1: 10, rs2: 11 }], // c.add a0, a1
  ["C", 0xbfa2, { op: "fsd", rs1: 2, rs2: 8, imm: 504 }], // c.fsdsp fs0, 504(sp)
  ["C", 0xdfaa, { op: "sw", rs1: 2, rs2: 10, imm: 252 }], // c.swsp a0, 252(sp)
  ["C", 0xe46e, { op: "sd", rs1: 2, rs2: 27, imm: 8 }], // c.sdsp s11, 8(sp)
  ["C hint", 0x4015, { op: "addi", rd: 0, rs1: 0, imm: 5 }], // c.li zero, 5
  ["C hint", 0x000d, { op: "addi", rd: 0, rs1: 0, imm: 3 }], // c.nop 3
  ["C hint", 0x802a, { op: "add", rd: 0, rs1: 0, rs2: 10 }], // c.mv zero, a0
  ["C hint", 0x0502, { op: "slli", rd: 10, rs1: 10, imm: 0 }], // c.slli64 a0
  ["C hint", 0x6005, { op: "lui", rd: 0, imm: 0x1000 }], // c.lui zero, 1
  ["other", 0x0000000b, null], // custom-0
  ["other", 0x44001057, null], // OPFVV funct6 010001: reserved
  ["V", 0x02c55457, { op: "vfadd.vf", rs1: 10 }], // vfadd.vf v8, v12, fa0: rs1 names an FP register
  ["V", 0x42c015d7, { op: "vfmv.f.s", rd: 11 }], // vfmv.f.s fa1, v12
  ["V", 0x4a801457, { op: "vfcvt.xu.f.v" }], // VFUNARY0's sub-opcode in the vs1 field
  ["B", 0x20b52533, { op: "sh1add", rd: 10, rs1: 10, rs2: 11 }],
  ["B", 0x0805951b, { op: "slli.uw", rd: 10, rs1: 11, imm: 0 }],
  ["B", 0x0bf5951b, { op: "slli.uw", rd: 10, rs1: 11, imm: 63 }],
  ["B", 0x63f5d513, { op: "rori", rd: 10, rs1: 11, imm: 63 }],
  ["B", 0x61f5d51b, { op: "roriw", rd: 10, rs1: 11, imm: 31 }],
  ["B", 0x6205951b, null], // roriw with shamt[5] set
  ["B", 0x6b95d513, null], // rev8's RV32 encoding
  ["B", 0x602f9d93, { op: "cpop", rd: 27, rs1: 31 }],
  ["B", 0x0ac5b033, { op: "clmulh", rd: 0, rs1: 11, rs2: 12 }],
  ["B", 0x2a859513, { op: "bseti", rd: 10, rs1: 11, imm: 40 }],
  ["Zicond", 0x0ec5d533, { op: "czero.eqz", rd: 10, rs1: 11, rs2: 12 }],
  ["Zicond", 0x0ec5f533, { op: "czero.nez", rd: 10, rs1: 11, rs2: 12 }],
  ["other", 0x0000001f, null], // 48-bit encoding
  ["other", 0x0000003f, null], // 64-bit encoding
  ["other", 0x0000007f, null], // 80-bit and longer
];

function expectedInsn(bits: number, fields: Fields): Insn {
  const compressed = (bits & 3) !== 3;
  return {
    rd: 0,
    rs1: 0,
    rs2: 0,
    rs3: 0,
    imm: 0,
    rm: 0,
    aq: false,
    rl: false,
    csr: 0,
    ...fields,
    raw: compressed ? bits & 0xffff : bits >>> 0,
    size: compressed ? 2 : 4,
  };
}

for (const group of new Set(CASES.map(([g]) => g))) {
  Deno.test(`decode gives the specified fields for ${group} encodings`, () => {
    for (const [, bits, fields] of CASES.filter(([g]) => g === group)) {
      const hex = `0x${bits.toString(16)}`;
      assertEquals(decode(bits), fields === null ? null : expectedInsn(bits, fields), hex);
    }
  });
}

Deno.test("decode ignores the upper halfword of a compressed instruction", () => {
  assertEquals(decode(0xffff4505), decode(0x4505));
  assertEquals(decode(0x12340001)?.raw, 0x0001);
});

Deno.test("decode treats bits as unsigned or signed alike", () => {
  assertEquals(decode(0xfe813c23 | 0), decode(0xfe813c23));
});

Deno.test("quadrant-0 funct3 100 holds only Zcb's loads and stores, which a run without Zcb does not have", () => {
  const zcb = new Set(["lbu", "lhu", "lh", "sb", "sh"]);
  for (let low = 0; low < 0x2000; low += 4) {
    const insn = decode(0x8000 | low), where = `0x${(0x8000 | low).toString(16)}`;
    if (insn === null) continue;
    assertEquals(zcb.has(insn.op), true, `${where} is ${insn.op}`);
    assertEquals(hasInsn(insn, parseCpu("rv64")), false, where);
    assertEquals(hasInsn(insn, parseCpu("rv64,zcb=on")), true, where);
  }
  assertEquals(decode(0x9000), null); // funct3 100 with bit 12 set: reserved with Zcb too
});

Deno.test("Zfa's half-precision forms need Zfh as well (!needs=zfh), as in QEMU 10; its others need Zfa alone", () => {
  const fliH = decode(0xf41f0553)!, fliD = decode(0xf2140553)!;
  assertEquals(hasInsn(fliH, parseCpu("max")), true);
  assertEquals(hasInsn(fliH, parseCpu("max,zfh=off")), false);
  assertEquals(hasInsn(fliH, parseCpu("rv64,zfa=on,zfhmin=on")), false);
  assertEquals(hasInsn(fliH, parseCpu("rv64,zfa=on,zfh=on")), true);
  assertEquals(hasInsn(fliH, parseCpu("rv64,zfh=on")), false);
  assertEquals(hasInsn(fliD, parseCpu("max,zfh=off")), true);
  assertEquals(hasInsn(fliD, parseCpu("rv64")), false); // QEMU 7.2's rv64 has no Zfa
});

Deno.test("insnLength gives 2, 4, or 0 for the longer encodings", () => {
  const cases: [number, 2 | 4 | 0][] = [
    [0x0000, 2],
    [0x4505, 2],
    [0xfffe, 2],
    [0x0513, 4],
    [0x0073, 4],
    [0xffef, 4], // bits 4:2 = 011
    [0x001f, 0], // 48-bit
    [0x003f, 0], // 64-bit
    [0x007f, 0], // 80-bit and longer
    [0xffff, 0],
    [0x12340513, 4], // higher bits are ignored
  ];
  for (const [half, length] of cases) assertEquals(insnLength(half), length, `0x${half.toString(16)}`);
});
