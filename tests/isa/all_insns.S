# Every RV64GC, Zba, Zbb, Zbc, Zbs, Zicboz, Zawrs, Zfhmin and Zfh instruction and every alias form objdump prints, for the
# disassembler fixture. build/gen_isa_fixtures.sh assembles and links this file
# and records objdump's listing next to it; core/isa/disasm_test.ts decodes each
# listed instruction and compares the disassembly with objdump's text.
#
# Full-size instructions come first (.option norvc), then the compressed ones
# (.option rvc). `.insn` writes encodings the assembler would not produce from
# a mnemonic: HINTs, reserved fields and encodings outside RV64GC.

        .attribute priv_spec, 1
        .attribute priv_spec_minor, 11
        .option norelax
        .text
        .globl _start
_start:
        .option norvc

# ---------------------------------------------------------------- RV64I: upper immediates, jumps
        lui     a0, 0x12345
        lui     t6, 0xfffff
        lui     zero, 1
        auipc   ra, 0
        auipc   s11, 0x80000
1:      jal     ra, 1b
        jal     zero, 1f
        jal     a5, 1b
        jal     t0, 1f
1:      .insn   0x8000006f              # j with the most negative offset: a wrapped address
        .insn   0x7ffff0ef              # jal ra with the most positive offset
        jalr    t1, 0(t3)
        jalr    t1, -1(t3)
        jalr    t1, 2047(t3)
        jalr    ra, 0(a0)
        jalr    ra, -8(a0)
        jalr    zero, 0(a0)
        jalr    zero, 12(a0)
        jalr    zero, 0(ra)
        jalr    zero, 4(ra)
        jalr    zero, 0(zero)
        jalr    s0, 0(s0)

# ---------------------------------------------------------------- RV64I: branches
1:      beq     a0, a1, 1b
        beq     a0, zero, 1f
        beq     zero, a0, 1b
        beq     zero, zero, 1f
        bne     t0, t1, 1b
        bne     t0, zero, 1f
        bne     zero, t0, 1b
        blt     a0, a1, 1f
        blt     a0, zero, 1b
        blt     zero, a0, 1f
        blt     zero, zero, 1b
        bge     a0, a1, 1f
        bge     a0, zero, 1b
        bge     zero, a0, 1f
        bge     zero, zero, 1b
        bltu    a0, a1, 1f
        bltu    zero, a1, 1b
        bltu    a0, zero, 1f
        bgeu    a0, a1, 1b
        bgeu    zero, a1, 1f
        bgeu    a0, zero, 1b
        bgt     a0, a1, 1f
        ble     a0, a1, 1b
        bgtu    a0, a1, 1f
        bleu    a0, a1, 1b
        .insn   0x80000063              # beq zero, zero with the most negative offset
        .insn   0x7e000fe3              # beq zero, zero with the most positive offset
1:      nop

# ---------------------------------------------------------------- RV64I: loads and stores
        lb      a0, 0(a1)
        lh      a0, -2048(a1)
        lw      a0, 2047(sp)
        ld      ra, 8(sp)
        lbu     t0, -1(t1)
        lhu     s11, 100(zero)
        lwu     zero, 4(a0)
        sb      a0, 0(a1)
        sh      t6, -2048(a1)
        sw      zero, 2047(sp)
        sd      ra, -8(sp)

# ---------------------------------------------------------------- RV64I: immediate arithmetic
        addi    zero, zero, 0
        addi    a0, zero, 0
        addi    a0, zero, -2048
        addi    zero, zero, 5
        addi    a0, a1, 0
        addi    zero, a1, 0
        addi    sp, sp, -16
        addi    a0, a1, 2047
        slti    a0, a1, -1
        slti    a0, zero, 0
        sltiu   a0, a1, 1
        sltiu   a0, a1, -1
        sltiu   a0, a1, 0
        xori    a0, a1, -1
        xori    a0, a1, 1
        xori    a0, a1, 0
        ori     a0, a1, 0
        ori     a0, zero, -1
        andi    a0, a1, 255
        andi    a0, a1, 254
        andi    a0, a1, -1
        slli    a0, a1, 0
        slli    a0, a1, 1
        slli    a0, a1, 63
        srli    a0, a1, 32
        srli    zero, zero, 0
        srai    a0, a1, 63
        srai    a0, a1, 1

# ---------------------------------------------------------------- RV64I: register arithmetic
        add     a0, a1, a2
        add     a0, zero, a2
        add     a0, a1, zero
        sub     a0, a1, a2
        sub     a0, zero, a2
        sub     zero, zero, zero
        sll     a0, a1, a2
        slt     a0, a1, a2
        slt     a0, a1, zero
        slt     a0, zero, a2
        slt     a0, zero, zero
        sltu    a0, a1, a2
        sltu    a0, zero, a2
        sltu    a0, a2, zero
        xor     a0, a1, a2
        srl     a0, a1, a2
        sra     a0, a1, a2
        or      a0, a1, a2
        and     a0, a1, a2

# ---------------------------------------------------------------- RV64I: word arithmetic
        addiw   a0, a1, 0
        addiw   a0, a1, 1
        addiw   a0, a1, -2048
        addiw   zero, zero, 0
        slliw   a0, a1, 0
        slliw   a0, a1, 31
        srliw   a0, a1, 16
        sraiw   a0, a1, 31
        addw    a0, a1, a2
        subw    a0, a1, a2
        subw    a0, zero, a2
        sllw    a0, a1, a2
        srlw    a0, a1, a2
        sraw    a0, a1, a2
        .insn   0x0205151b              # slliw with shamt[5] set: reserved on RV64

# ---------------------------------------------------------------- RV64I: fences and system
        fence
        fence   iorw, iorw
        fence   rw, rw
        fence   r, r
        fence   w, w
        fence   r, rw
        fence   rw, w
        fence   i, o
        fence   io, ir
        fence   ow, iorw
        .insn   0x0100000f              # pause (fence w, 0)
        .insn   0x0000000f              # fence 0, 0
        .insn   0x00f0000f              # fence 0, iorw
        fence.tso
        .insn   0x1ff0000f              # fence with fm = 1 (reserved, a plain fence)
        .insn   0x0ff5000f              # fence with rs1 = a0 (reserved, ignored)
        .insn   0x8335008f              # fence.tso with rs1 and rd set (reserved, ignored)
        fence.i
        .insn   0x0005100f              # fence.i with rs1 = a0 (reserved, ignored)
        ecall
        ebreak
        .insn   0x00100173              # ebreak with rd = sp: not an RV64GC instruction

# ---------------------------------------------------------------- Zicsr
        csrrw   a0, fcsr, a1
        csrrw   zero, fcsr, a1
        csrrw   a0, frm, a1
        csrrw   zero, frm, a1
        csrrw   a0, fflags, a1
        csrrw   zero, fflags, a1
        csrrw   a0, mstatus, a1
        csrrw   zero, sstatus, a1
        csrrw   zero, cycle, zero
        csrrw   zero, time, zero
        csrrs   a0, fcsr, zero
        csrrs   a0, frm, zero
        csrrs   a0, fflags, zero
        csrrs   a0, cycle, zero
        csrrs   a0, time, zero
        csrrs   a0, instret, zero
        csrrs   a0, cycleh, zero
        csrrs   a0, hpmcounter3, zero
        csrrs   a0, hpmcounter31, zero
        csrrs   a0, hpmcounter17h, zero
        csrrs   a0, ustatus, zero
        csrrs   a0, satp, zero
        csrrs   a0, mhartid, zero
        csrrs   a0, pmpaddr15, zero
        csrrs   a0, mhpmevent31, zero
        csrrs   a0, vl, zero
        csrrs   a0, vlenb, zero
        csrrs   a0, dscratch1, zero
        csrrs   a0, tdata3, zero
        csrrs   a0, seed, zero
        csrrs   zero, fcsr, zero
        csrrs   a0, 0x7ff, zero
        csrrs   a0, 0xfff, zero
        csrrs   a0, 0x800, a1
        csrrs   zero, fflags, a1
        csrrs   a0, fflags, a1
        csrrc   a0, fflags, a1
        csrrc   zero, 0xc00, a1
        csrrc   a0, frm, zero
        csrrwi  a0, fflags, 31
        csrrwi  zero, fflags, 1
        csrrwi  a0, frm, 0
        csrrwi  zero, frm, 2
        csrrwi  a0, fcsr, 3
        csrrwi  zero, fcsr, 4
        csrrwi  zero, mstatus, 8
        csrrsi  a0, fflags, 1
        csrrsi  zero, fflags, 1
        csrrsi  zero, 0x123, 0
        csrrci  a0, fcsr, 31
        csrrci  zero, sie, 2

# ---------------------------------------------------------------- M
        mul     a0, a1, a2
        mulh    a0, a1, a2
        mulhsu  a0, a1, a2
        mulhu   a0, a1, a2
        div     a0, a1, a2
        divu    a0, a1, a2
        rem     a0, a1, a2
        remu    a0, a1, a2
        mulw    a0, a1, a2
        divw    a0, a1, a2
        divuw   a0, a1, a2
        remw    a0, a1, a2
        remuw   zero, zero, zero

# ---------------------------------------------------------------- A
        lr.w        a0, (a1)
        lr.w.aq     a0, (a1)
        lr.w.rl     a0, (a1)
        lr.w.aqrl   a0, (a1)
        sc.w        a0, a2, (a1)
        sc.w.aq     a0, a2, (a1)
        sc.w.rl     a0, a2, (a1)
        sc.w.aqrl   a0, a2, (a1)
        amoswap.w   a0, a2, (a1)
        amoadd.w    a0, a2, (a1)
        amoxor.w    a0, a2, (a1)
        amoand.w    a0, a2, (a1)
        amoor.w     a0, a2, (a1)
        amomin.w    a0, a2, (a1)
        amomax.w    a0, a2, (a1)
        amominu.w   a0, a2, (a1)
        amomaxu.w   zero, zero, (sp)
        amoswap.w.aq a0, a2, (a1)
        amoadd.w.rl a0, a2, (a1)
        amoor.w.aqrl a0, a2, (a1)
        lr.d        a0, (a1)
        lr.d.aq     a0, (a1)
        lr.d.rl     a0, (a1)
        lr.d.aqrl   a0, (a1)
        sc.d        a0, a2, (a1)
        sc.d.aq     a0, a2, (a1)
        sc.d.rl     a0, a2, (a1)
        sc.d.aqrl   a0, a2, (a1)
        amoswap.d   a0, a2, (a1)
        amoadd.d    a0, a2, (a1)
        amoxor.d    a0, a2, (a1)
        amoand.d    a0, a2, (a1)
        amoor.d     a0, a2, (a1)
        amomin.d    a0, a2, (a1)
        amomax.d    a0, a2, (a1)
        amominu.d   a0, a2, (a1)
        amomaxu.d   a0, a2, (a1)
        amoxor.d.aq t0, t1, (t2)
        amomin.d.rl t0, t1, (t2)
        amomaxu.d.aqrl t0, t1, (t2)
        .insn   0x1015a52f              # lr.w with rs2 = 1: reserved

# ---------------------------------------------------------------- F
        flw     ft0, -4(sp)
        flw     fa0, 2047(a0)
        fsw     fs11, -2048(t6)
        fmadd.s fa0, fa1, fa2, fa3
        fmadd.s fa0, fa1, fa2, fa3, rne
        fmsub.s ft0, ft1, ft2, ft3, rtz
        fnmsub.s fs0, fs1, fs2, fs3, rdn
        fnmadd.s ft8, ft9, ft10, ft11, rup
        fadd.s  fa0, fa1, fa2, rmm
        fadd.s  fa0, fa1, fa2, dyn
        .insn   0x00b55553              # fadd.s with reserved rm 5
        .insn   0x00b56553              # fadd.s with reserved rm 6
        fsub.s  fa0, fa1, fa2
        fmul.s  fa0, fa1, fa2, rne
        fdiv.s  fa0, fa1, fa2, rtz
        fsqrt.s fa0, fa1
        fsqrt.s fa0, fa1, rdn
        fsgnj.s fa0, fa1, fa2
        fsgnj.s fa0, fa1, fa1
        fsgnjn.s fa0, fa1, fa2
        fsgnjn.s fa0, fa1, fa1
        fsgnjx.s fa0, fa1, fa2
        fsgnjx.s fa0, fa1, fa1
        fmin.s  fa0, fa1, fa2
        fmax.s  fa0, fa1, fa1
        fcvt.w.s a0, fa0
        fcvt.w.s a0, fa0, rtz
        fcvt.wu.s a0, fa0, rne
        fcvt.l.s a0, fa0, rup
        fcvt.lu.s a0, fa0
        fmv.x.w a0, fa0
        fclass.s a0, fa0
        feq.s   a0, fa0, fa1
        flt.s   a0, fa0, fa1
        fle.s   a0, fa0, fa1
        fcvt.s.w fa0, a0
        fcvt.s.wu fa0, a0, rmm
        fcvt.s.l fa0, a0, rtz
        fcvt.s.lu fa0, a0
        fmv.w.x fa0, a0
        .insn   0x0405f043              # fmadd.h with rs2 = rs3 = ft0 (Zfh)

# ---------------------------------------------------------------- D
        fld     ft0, -4(sp)
        fld     fa0, 2047(a0)
        fsd     fs11, -2048(t6)
        fmadd.d fa0, fa1, fa2, fa3
        fmsub.d ft0, ft1, ft2, ft3, rne
        fnmsub.d fs0, fs1, fs2, fs3, rtz
        fnmadd.d ft8, ft9, ft10, ft11, rdn
        fadd.d  fa0, fa1, fa2, rup
        fsub.d  fa0, fa1, fa2, rmm
        fmul.d  fa0, fa1, fa2
        fdiv.d  fa0, fa1, fa2, dyn
        .insn   0x1ab5d553              # fdiv.d with reserved rm 5
        fsqrt.d fa0, fa1
        fsqrt.d fa0, fa1, rtz
        fsgnj.d fa0, fa1, fa2
        fsgnj.d fa0, fa1, fa1
        fsgnjn.d fa0, fa1, fa2
        fsgnjn.d fa0, fa1, fa1
        fsgnjx.d fa0, fa1, fa2
        fsgnjx.d fa0, fa1, fa1
        fmin.d  fa0, fa1, fa2
        fmax.d  fa0, fa1, fa2
        fcvt.s.d fa0, fa1
        fcvt.s.d fa0, fa1, rne
        fcvt.d.s fa0, fa1
        .insn   0x4205f553              # fcvt.d.s with rm = dyn, which objdump does not know
        feq.d   a0, fa0, fa1
        flt.d   a0, fa0, fa1
        fle.d   a0, fa0, fa1
        fclass.d a0, fa0
        fcvt.w.d a0, fa0
        fcvt.w.d a0, fa0, rtz
        fcvt.wu.d a0, fa0, rdn
        fcvt.l.d a0, fa0, rup
        fcvt.lu.d a0, fa0, rmm
        fmv.x.d a0, fa0
        fcvt.d.w fa0, a0
        .insn   0xd205f553              # fcvt.d.w with rm = dyn, which objdump does not know
        fcvt.d.wu fa0, a0
        .insn   0xd2159553              # fcvt.d.wu with rm = rtz
        fcvt.d.l fa0, a0
        fcvt.d.l fa0, a0, rtz
        fcvt.d.lu fa0, a0, rne
        fmv.d.x fa0, a0
        .insn   0x06b57553              # fadd.q: Q, not RV64GC

# ---------------------------------------------------------------- Zba
        add.uw  a0, a1, a2
        add.uw  t0, t1, zero            # zext.w
        add.uw  a0, zero, a1
        sh1add  a0, a1, a2
        sh2add  s0, s1, zero
        sh3add  t6, zero, t5
        sh1add.uw a0, a1, a2
        sh2add.uw a0, a1, a2
        sh3add.uw ra, sp, gp
        slli.uw a0, a1, 0
        slli.uw a0, a1, 31
        slli.uw a0, a1, 32
        slli.uw a0, a1, 63

# ---------------------------------------------------------------- Zbb
        andn    a0, a1, a2
        orn     a0, a1, zero
        xnor    t0, t1, t2
        clz     a0, a1
        ctz     a0, zero
        cpop    s11, t6
        sext.b  a0, a1
        sext.h  a0, a1
        clzw    a0, a1
        ctzw    a0, a1
        cpopw   a0, a1
        max     a0, a1, a2
        maxu    a0, a1, a2
        min     a0, a1, a2
        minu    a0, a1, a2
        orc.b   a0, a1
        rev8    a0, a1
        zext.h  a0, a1
        rol     a0, a1, a2
        ror     a0, a1, a2
        rolw    a0, a1, a2
        rorw    a0, a1, a2
        rori    a0, a1, 0
        rori    a0, a1, 1
        rori    a0, a1, 32
        rori    a0, a1, 63
        roriw   a0, a1, 0
        roriw   a0, a1, 31
        .insn   0x6205951b              # roriw with shamt[5] set: reserved
        .insn   0x6105d513              # rori a0, a1, 16 written as a word
        .insn   0x60659513              # funct 0110000 rs2 = 6 at funct3 001: reserved
        .insn   0x6b95d513              # rev8 with the rv32 field: reserved on RV64

# ---------------------------------------------------------------- Zbc
        clmul   a0, a1, a2
        clmulr  a0, a1, a2
        clmulh  zero, a1, a2

# ---------------------------------------------------------------- Zbs
        bclr    a0, a1, a2
        bclri   a0, a1, 0
        bclri   a0, a1, 63
        bext    a0, a1, a2
        bexti   a0, a1, 31
        bexti   a0, a1, 32
        binv    a0, a1, a2
        binvi   a0, a1, 5
        bset    a0, a1, a2
        bseti   a0, a1, 40

# ---------------------------------------------------------------- Zicboz
        cbo.zero (a0)
        cbo.zero (zero)
        .insn   0x0045200f | (1 << 7)   # cbo.zero with rd set: reserved
        .insn   0x0015200f              # cbo.clean (Zicbom): illegal in user mode, as under QEMU 10

# ---------------------------------------------------------------- Zawrs
        wrs.nto
        wrs.sto
        .insn   0x00d00073 | (1 << 7)   # wrs.nto with rd set: reserved
        .insn   0x01d00073 | (1 << 15)  # wrs.sto with rs1 set: reserved

# ---------------------------------------------------------------- Zfhmin, Zfh
        flh     fa0, -2(a1)
        flh     ft0, 2047(sp)
        fsh     fa0, 6(a1)
        fsh     ft11, -2048(zero)
        fmv.x.h a0, fa1
        fmv.h.x fa0, a1
        fcvt.s.h fa0, fa1
        .insn   0x4025f553              # fcvt.s.h with rm = dyn, which objdump does not know
        fcvt.h.s fa0, fa1
        fcvt.h.s fa0, fa1, rtz
        fcvt.d.h fa0, fa1
        .insn   0x4225c553              # fcvt.d.h with rm = rmm
        fcvt.h.d fa0, fa1
        fcvt.h.d fa0, fa1, rup
        fmadd.h fa0, fa1, fa2, fa3
        fmadd.h fa0, fa1, fa2, fa3, rne
        fmsub.h ft0, ft1, ft2, ft3, rtz
        fnmsub.h fs0, fs1, fs2, fs3, rdn
        fnmadd.h ft8, ft9, ft10, ft11, rmm
        fadd.h  fa0, fa1, fa2
        fadd.h  fa0, fa1, fa2, rup
        fsub.h  fa0, fa1, fa2, rtz
        fmul.h  fa0, fa1, fa2
        fdiv.h  fa0, fa1, fa2, rdn
        fsqrt.h fa0, fa1
        fsqrt.h fa0, fa1, rmm
        fsgnj.h fa0, fa1, fa2
        fsgnjn.h fa0, fa1, fa2
        fsgnjx.h fa0, fa1, fa2
        fmv.h   fa0, fa1
        fneg.h  fa0, fa1
        fabs.h  fa0, fa1
        fmin.h  fa0, fa1, fa2
        fmax.h  fa0, fa1, fa2
        fcvt.w.h a0, fa1
        fcvt.w.h a0, fa1, rtz
        fcvt.wu.h a0, fa1, rne
        fcvt.l.h a0, fa1, rdn
        fcvt.lu.h a0, fa1
        fclass.h a0, fa1
        feq.h   a0, fa1, fa2
        flt.h   a0, fa1, fa2
        fle.h   a0, fa1, fa2
        fcvt.h.w fa0, a1
        fcvt.h.w fa0, a1, rtz
        fcvt.h.wu fa0, a1, rup
        fcvt.h.l fa0, a1
        fcvt.h.lu fa0, a1, rmm

# ---------------------------------------------------------------- outside RV64GC and B
        .insn   4, 0x0000000b           # custom-0
        .insn   4, 0x02000057           # vector

# ---------------------------------------------------------------- C, quadrant 0
        .option rvc
        c.addi4spn a0, sp, 4
        c.addi4spn s1, sp, 1020
        c.fld   fa0, 0(a5)
        c.fld   fs0, 248(s1)
        c.lw    a0, 124(a1)
        c.lw    s0, 0(a5)
        c.ld    s1, 248(a5)
        c.fsd   fa5, 8(a0)
        c.sw    a5, 64(a4)
        c.sd    a2, 0(a3)
        .insn   2, 0x0000               # the all-zero halfword: reserved
        .insn   2, 0x0008               # c.addi4spn with nzuimm 0: reserved
        .insn   2, 0x8000               # quadrant 0, funct3 100: reserved

# ---------------------------------------------------------------- C, quadrant 1
        c.nop
        c.addi  a0, -32
        c.addi  a0, 31
        c.addi  sp, 16
        c.addiw a0, 1
        c.addiw a0, 0
        c.addiw t6, -32
        c.li    a5, -1
        c.li    a0, 0
        c.li    ra, 31
        c.lui   a0, 0xfffe0
        c.lui   s1, 1
        c.lui   t6, 31
        c.addi16sp sp, -512
        c.addi16sp sp, 496
        c.addi16sp sp, 16
        c.srli  a0, 1
        c.srli  s0, 63
        c.srai  a5, 32
        c.andi  a5, -32
        c.andi  s1, 0
        c.andi  s1, 31
        c.sub   s0, s1
        c.xor   a0, a1
        c.or    a2, a3
        c.and   a4, a5
        c.subw  a0, a5
        c.addw  s1, a0
1:      c.j     1b
        c.j     1f
        c.beqz  a0, 1b
        c.bnez  s1, 1f
1:      .insn   2, 0xb001               # c.j with the most negative offset
        .insn   2, 0xd001               # c.beqz s0 with the most negative offset
        .insn   2, 0x2001               # c.addiw with rd = 0: reserved
        .insn   2, 0x6501               # c.lui with nzimm 0: reserved
        .insn   2, 0x9c41               # c.subw/c.addw slot 10: reserved

# ---------------------------------------------------------------- C, quadrant 2
        c.slli  a0, 1
        c.slli  t6, 63
        c.fldsp fs0, 504(sp)
        c.fldsp ft0, 0(sp)
        c.lwsp  ra, 252(sp)
        c.lwsp  a0, 0(sp)
        c.ldsp  a0, 504(sp)
        c.ldsp  s11, 8(sp)
        c.jr    a0
        c.jr    ra
        c.mv    a0, a1
        c.mv    sp, s0
        c.ebreak
        c.jalr  t0
        c.jalr  ra
        c.add   a0, a1
        c.add   sp, t6
        c.fsdsp fs0, 504(sp)
        c.swsp  a0, 252(sp)
        c.sdsp  s11, 8(sp)
        .insn   2, 0x4002               # c.lwsp with rd = 0: reserved
        .insn   2, 0x6002               # c.ldsp with rd = 0: reserved
        .insn   2, 0x8002               # c.jr with rs1 = 0: reserved

# ---------------------------------------------------------------- C: HINTs, which objdump names c.*
        .insn   2, 0x000d               # c.nop 3
        .insn   2, 0x1005               # c.nop -31
        .insn   2, 0x0501               # c.addi a0, 0
        .insn   2, 0x4015               # c.li zero, 5
        .insn   2, 0x4001               # c.li zero, 0
        .insn   2, 0x6005               # c.lui zero, 1
        .insn   2, 0x7001               # c.lui zero, 0xfffe0
        .insn   2, 0x0502               # c.slli64 a0
        .insn   2, 0x0016               # c.slli zero, 5
        .insn   2, 0x8101               # c.srli64 a0
        .insn   2, 0x8501               # c.srai64 a0
        .insn   2, 0x802a               # c.mv zero, a0
        .insn   2, 0x902a               # c.add zero, a0

# ---------------------------------------------------------------- C: plain mnemonics the assembler compresses
        addi    a0, a0, 1
        addi    a0, zero, 5
        addi    sp, sp, -64
        addi    a0, sp, 64
        add     a0, a0, a1
        mv      a0, a1
        li      a0, 0
        ld      ra, 24(sp)
        sd      ra, 24(sp)
        lw      a0, 4(a1)
        ret
        jr      a1
        jalr    a1
        j       _start
        beqz    a0, _start
        sext.w  a0, a0
        ebreak
        nop
