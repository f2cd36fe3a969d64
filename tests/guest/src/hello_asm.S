/* Raw Linux syscalls, no libc: write(1, msg, len), then exit(7).
 * Position-independent (lla only, no data relocations), so the same source
 * also links as static-pie. exit (93), not exit_group, on purpose: a
 * single-threaded process must end on it too. */
	.file "hello_asm.S" /* else the linker names a random temporary object: rebuilds must be identical */
	.section .rodata
msg:
	.ascii "Hello from RISC-V assembly, no libc\n"
msg_end:
	.equ MSG_LEN, msg_end - msg

	.text
	.globl _start
	.type _start, @function
_start:
	li a0, 1
	lla a1, msg
	li a2, MSG_LEN
	li a7, 64
	ecall
	li t0, MSG_LEN
	bne a0, t0, bad
	li a0, 7
	li a7, 93
	ecall
bad:
	li a0, 1
	li a7, 93
	ecall
	.size _start, . - _start
	.section .note.GNU-stack,"",@progbits
