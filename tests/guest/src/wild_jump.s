# Jumps to addresses at the top of the 64-bit space (negative as signed
# numbers), chosen by the first letter of argv[1]; each must end in SIGSEGV
# at the fetch, as under Linux and qemu:
#   a: jr to -2 (0xff..fe)   b: jr to -4   c: jr to -100
#   d: jal 1 MiB backwards from near the start of the image, below address 0
#   e: jr to 2^63
# No libc: argv is on the initial stack.
	.file "wild_jump.s"
	.text
	.globl _start
	.type _start, @function
_start:
	ld t1, 16(sp)        # argv[1]
	beqz t1, none
	lbu t1, 0(t1)
	li t2, 'a'
	beq t1, t2, to_m2
	li t2, 'b'
	beq t1, t2, to_m4
	li t2, 'c'
	beq t1, t2, to_m100
	li t2, 'd'
	beq t1, t2, back
	li t2, 'e'
	beq t1, t2, to_top
none:
	li a0, 1
	li a7, 93
	ecall
to_m2:
	li t0, -1
	jr t0
to_m4:
	li t0, -4
	jr t0
to_m100:
	li t0, -100
	jr t0
to_top:
	li t0, 1
	slli t0, t0, 63
	jr t0
back:
	.word 0x8000006f     # jal x0, -0x100000
	.size _start, . - _start
