/* Entry point of tiny-runtime programs: set gp, apply our own R_RISCV_RELATIVE
 * relocations (no dynamic loader runs for static-pie), then call C. */
	.file "tiny_start.S" /* else the linker names a random temporary object: rebuilds must be identical */
	.text
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax
	lla gp, __global_pointer$
	.option pop
	mv s0, sp
	lla a0, __ehdr_start
	lla a1, _DYNAMIC
	call tiny_relocate
	mv a0, s0
	call tiny_start_c
1:	j 1b
	.size _start, . - _start
	.section .note.GNU-stack,"",@progbits
