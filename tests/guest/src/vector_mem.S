/* Vector loads and stores of every form on fixed data, for the plugins'
 * memory callbacks (tests/plugins_vector_mem_test.ts): unit-stride at each
 * EEW, strided, indexed (ordered and unordered), segments (unit-stride,
 * strided, indexed), whole registers, mask (vlm/vsm), fault-only-first
 * (whole, and cut short by the unmapped page after the image), and masked
 * forms (masked-off elements access nothing). No libc and no stack: both
 * emulators run the same instructions on the same addresses. The whole runs
 * 40 times, so that plume interprets it and then runs it compiled. Exit
 * status 0, 1 when fault-only-first did not shorten vl to 2. */
	.file "vector_mem.S" /* else the linker names a random temporary object: rebuilds must be identical */
	.data
	.balign 64
src:	/* 64 bytes 0x00..0x3f */
	.byte 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.byte 16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.byte 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.byte 48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
index:	/* byte offsets, out of order */
	.byte 12, 0, 7, 3, 9, 1, 15, 4
	.half 6, 2, 14, 8
	.word 24, 16, 0, 8

	.bss
	.balign 4096
dst:	.skip 256
	.balign 4096
	.skip 4096 - 8
tail:	/* the last 8 bytes of the image: the page after it is not mapped */
	.skip 8

	.text
	.globl _start
	.type _start, @function
_start:
	li s0, 40
loop:
	lla a0, src
	lla a1, dst
	lla a2, index
	/* unit-stride at each EEW */
	vsetivli t0, 4, e32, m1, ta, ma
	vle32.v v1, (a0)
	vse32.v v1, (a1)
	vsetivli t0, 3, e8, m1, ta, ma
	vle8.v v2, (a0)
	vse8.v v2, (a1)
	vsetivli t0, 2, e64, m1, ta, ma
	vle64.v v3, (a0)
	vse64.v v3, (a1)
	vsetivli t0, 5, e16, m1, ta, ma
	vle16.v v4, (a0)
	vse16.v v4, (a1)
	/* strided: a positive, a negative and a zero stride */
	li t1, 6
	vsetivli t0, 4, e16, m1, ta, ma
	vlse16.v v5, (a0), t1
	vsse16.v v5, (a1), t1
	addi t2, a0, 48
	li t1, -16
	vsetivli t0, 3, e64, m1, ta, ma
	vlse64.v v6, (t2), t1
	vsse64.v v6, (a1), zero
	/* indexed: 8-bit indices into 16-bit data, 16-bit into 8-bit, 32-bit into 64-bit */
	vsetivli t0, 8, e8, m1, ta, ma
	vle8.v v7, (a2)
	vsetivli t0, 8, e16, m1, ta, ma
	vluxei8.v v8, (a0), v7
	vsuxei8.v v8, (a1), v7
	addi t2, a2, 8
	vsetivli t0, 4, e16, m1, ta, ma
	vle16.v v14, (t2)
	vsetivli t0, 4, e8, m1, ta, ma
	vloxei16.v v10, (a0), v14
	vsoxei16.v v10, (a1), v14
	addi t2, a2, 16
	vsetivli t0, 4, e32, m1, ta, ma
	vle32.v v11, (t2)
	vsetivli t0, 4, e64, m2, ta, ma
	vluxei32.v v12, (a0), v11
	vsoxei32.v v12, (a1), v11
	/* segments: unit-stride, strided, indexed */
	vsetivli t0, 3, e8, m1, ta, ma
	vlseg3e8.v v16, (a0)
	vsseg3e8.v v16, (a1)
	vsetivli t0, 2, e32, m1, ta, ma
	li t1, 20
	vlsseg2e32.v v16, (a0), t1
	vssseg2e32.v v16, (a1), t1
	vsetivli t0, 4, e16, m1, ta, ma
	vluxseg2ei8.v v18, (a0), v7
	vsuxseg2ei8.v v18, (a1), v7
	/* whole registers (vtype and vl play no part) */
	vl2re32.v v20, (a0)
	vs1r.v v20, (a1)
	vl1re64.v v22, (a0)
	vs2r.v v20, (a1)
	/* mask: ceil(vl / 8) bytes */
	vsetivli t0, 20, e8, m2, ta, ma
	vlm.v v0, (a0)
	vsm.v v0, (a1)
	/* masked: v0 = 0b...0101 1010 (src's byte 0x1a = 26 at offset 26) */
	addi t2, a0, 26
	vsetivli t0, 8, e8, m1, ta, ma
	vlm.v v0, (t2)
	vsetivli t0, 8, e32, m2, ta, mu
	vle32.v v24, (a0), v0.t
	vse32.v v24, (a1), v0.t
	vsetivli t0, 4, e16, m1, ta, mu
	vlse16.v v26, (a0), t1, v0.t
	vluxei8.v v27, (a0), v7, v0.t
	vsuxei8.v v27, (a1), v7, v0.t
	vsetivli t0, 4, e8, m1, ta, mu
	vlseg2e8.v v28, (a0), v0.t
	/* fault-only-first: all four elements, then cut short at element 2 */
	vsetivli t0, 4, e16, m1, ta, ma
	vle16ff.v v29, (a0)
	lla t2, tail
	vsetivli t0, 2, e32, m1, ta, ma
	vse32.v v1, (t2)
	vsetivli t0, 4, e32, m1, ta, ma
	vle32ff.v v30, (t2)
	csrr t3, vl
	vsetivli t0, 4, e16, m1, ta, mu
	vle16ff.v v31, (a0), v0.t
	li t4, 2
	bne t3, t4, fail
	addi s0, s0, -1
	bnez s0, loop
	li a0, 0
	li a7, 93
	ecall
fail:
	li a0, 1
	li a7, 93
	ecall
	.size _start, . - _start
