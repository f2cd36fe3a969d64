/* Hand-written RVC (compressed) instruction mix. Every result is reported as
 * "NN value-in-hex" through write(2); the expected values are in the comments
 * and in tests/guest/README.md, and qemu-riscv64 is the oracle for the rest.
 * No libc: built with -nostdlib. */
	.file "compressed.S" /* else the linker names a random temporary object: rebuilds must be identical */
	.option rvc

/* REPORT: print the value in a1 with the next sequence number. */
	.macro REPORT reg
	mv a1, \reg
	call report
	.endm

	.text
	.globl _start
	.type _start, @function
_start:
	/* The linker relaxes lla of .data symbols to gp-relative forms. */
	.option push
	.option norelax
	lla gp, __global_pointer$
	.option pop
	/* 01: c.li negative -> ffffffffffffffe0 */
	c.li a0, -32
	REPORT a0
	/* 02: c.li positive -> 1f */
	c.li a0, 31
	REPORT a0
	/* 03: c.lui positive -> 1f000 */
	c.lui a0, 0x1f
	REPORT a0
	/* 04: c.lui negative -> fffffffffffe0000 */
	c.lui a0, 0xfffe0
	REPORT a0
	/* 05: c.addi -> 1f000 - 1 = 1efff */
	c.lui a0, 0x1f
	c.addi a0, -1
	REPORT a0
	/* 06: c.addiw wraps and sign-extends: 7fffffff + 1 -> ffffffff80000000 */
	li a0, 0x7fffffff
	c.addiw a0, 1
	REPORT a0
	/* 07: c.addiw 0 is sext.w: 0x00000001_80000000 -> ffffffff80000000 */
	li a0, 0x180000000
	c.addiw a0, 0
	REPORT a0
	/* 08: c.addi16sp: down 64, up 32, difference -> 20 */
	mv s1, sp
	c.addi16sp sp, -64
	c.addi16sp sp, 32
	sub a0, s1, sp
	mv sp, s1
	REPORT a0
	/* 09: c.addi4spn: a0 = sp + 1020 -> 3fc */
	c.addi4spn a0, sp, 1020
	sub a0, a0, sp
	REPORT a0
	/* 10: c.slli by 63 -> 8000000000000000 */
	c.li a0, 1
	c.slli a0, 63
	REPORT a0
	/* 11: c.srli logical -> 4000000000000000 */
	li s0, 0x8000000000000000
	c.srli s0, 1
	REPORT s0
	/* 12: c.srai arithmetic -> ff00000000000000 */
	li s0, 0x8000000000000000
	c.srai s0, 7
	REPORT s0
	/* 13: c.andi with negative immediate -> 123456789abcdef0 */
	li s0, 0x123456789abcdef1
	c.andi s0, -2
	REPORT s0
	/* 14: c.mv + c.add -> 2468acf13579bde2 */
	li s1, 0x123456789abcdef1
	c.mv a0, s1
	c.add a0, s1
	REPORT a0
	/* 15: c.sub -> fffffffffffffffe */
	c.li s0, 3
	c.li s1, 5
	c.sub s0, s1
	c.addi s0, 0
	REPORT s0
	/* 16: c.and -> f0f0 & ff00 = f000 */
	li s0, 0xf0f0
	li s1, 0xff00
	c.and s0, s1
	REPORT s0
	/* 17: c.or -> fff0 */
	li s0, 0xf0f0
	li s1, 0xff00
	c.or s0, s1
	REPORT s0
	/* 18: c.xor -> 0ff0 */
	li s0, 0xf0f0
	li s1, 0xff00
	c.xor s0, s1
	REPORT s0
	/* 19: c.addw overflow -> ffffffff80000000 */
	li s0, 0x7fffffff
	c.li s1, 1
	c.addw s0, s1
	REPORT s0
	/* 20: c.subw underflow -> 7fffffff */
	li s0, 0x80000000
	c.li s1, 1
	c.subw s0, s1
	REPORT s0

	/* Memory forms on a scratch buffer. */
	lla s0, scratch
	/* 21: c.sw + c.lw sign-extends -> ffffffff87654321 */
	li s1, 0x87654321
	c.sw s1, 4(s0)
	c.lw a2, 4(s0)
	REPORT a2
	/* 22: c.sd + c.ld -> fedcba9876543210 */
	li s1, 0xfedcba9876543210
	c.sd s1, 8(s0)
	c.ld a2, 8(s0)
	REPORT a2
	/* 23: c.lw at the highest offset 124 -> 0000000000abcdef */
	li s1, 0xabcdef
	sw s1, 124(s0)
	lla s0, scratch
	c.lw a2, 124(s0)
	REPORT a2
	/* 24: c.ld at the highest offset 248 -> 1122334455667788 */
	li s1, 0x1122334455667788
	sd s1, 248(s0)
	c.ld a2, 248(s0)
	REPORT a2
	/* 25: c.fsd + c.fld round trip of a bit pattern -> 400921fb54442d18 */
	li s1, 0x400921fb54442d18
	fmv.d.x fa0, s1
	c.fsd fa0, 16(s0)
	c.fld fa1, 16(s0)
	fmv.x.d a2, fa1
	REPORT a2
	/* 26: c.swsp/c.lwsp (sign-extends), c.sdsp/c.ldsp, c.fsdsp/c.fldsp; sum -> 40f20303c5060709 */
	c.addi16sp sp, -64
	li s1, 0xc0000001
	c.swsp s1, 4(sp)
	li s1, 0x0102030405060708
	c.sdsp s1, 8(sp)
	li s1, 0x3ff0000000000000
	fmv.d.x fa2, s1
	c.fsdsp fa2, 56(sp)
	c.lwsp a3, 4(sp)
	c.ldsp a4, 8(sp)
	c.fldsp fa3, 56(sp)
	fmv.x.d a5, fa3
	c.addi16sp sp, 64
	add a3, a3, a4
	add a3, a3, a5
	REPORT a3

	/* 27: c.j skips an instruction -> 1 */
	c.li a0, 1
	c.j 1f
	c.li a0, 2
1:	REPORT a0
	/* 28: c.beqz/c.bnez taken and not taken -> 5 (0b101) */
	c.li s0, 0
	c.li a0, 0
	c.beqz s0, 1f
	ori a0, a0, 2
1:	ori a0, a0, 1
	c.li s0, 1
	c.beqz s0, 2f
	ori a0, a0, 4
2:	c.bnez s0, 3f
	ori a0, a0, 8
3:	REPORT a0
	/* 29: loop with c.addi/c.bnez: sum 1..100 -> 13ba */
	c.li s0, 0
	li s1, 100
1:	c.add s0, s1
	c.addi s1, -1
	c.bnez s1, 1b
	REPORT s0
	/* 30: c.jalr to a leaf that returns with c.jr; a0 doubled -> 2a */
	c.li a0, 21
	lla t1, leaf_double
	c.jalr t1
	REPORT a0
	/* 31: c.jr through a register to a local label -> 2a */
	lla t1, 1f
	c.li a0, 0
	c.jr t1
	c.li a0, 1
1:	c.nop
	c.addi a0, 31
	c.addi a0, 11
	REPORT a0
	/* 32: c.slli of a W result then c.srli (zero-extend idiom) -> 80000000 */
	li s0, 0xffffffff80000000
	c.slli s0, 32
	c.srli s0, 32
	REPORT s0

	li a0, 0
	li a7, 94
	ecall
	.size _start, . - _start

leaf_double:
	c.add a0, a0
	c.jr ra

/* report(a1 = value): writes "NN xxxxxxxxxxxxxxxx\n". Clobbers a0-a7, t0-t3. */
report:
	lla t0, counter
	ld t1, 0(t0)
	addi t1, t1, 1
	sd t1, 0(t0)
	lla a0, line
	li t2, 10
	divu t3, t1, t2
	addi t3, t3, '0'
	sb t3, 0(a0)
	remu t3, t1, t2
	addi t3, t3, '0'
	sb t3, 1(a0)
	li t2, 15
	addi a2, a0, 3
1:	srli t3, a1, 60
	lla t0, hexdigits
	add t0, t0, t3
	lbu t3, 0(t0)
	sb t3, 0(a2)
	slli a1, a1, 4
	addi a2, a2, 1
	addi t2, t2, -1
	bgez t2, 1b
	li a0, 1
	lla a1, line
	li a2, 20
	li a7, 64
	ecall
	ret

	.section .rodata
hexdigits:
	.ascii "0123456789abcdef"

	.data
	.balign 8
counter:
	.dword 0
line:
	.ascii "NN xxxxxxxxxxxxxxxx\n"
	.balign 8
scratch:
	.zero 256
	.section .note.GNU-stack,"",@progbits
