# Exits with the low byte of the initial stack pointer: where the loader put
# argc depends on the size of everything above it (the argument and
# environment strings and the word at the very top), so two loaders that lay
# out the stack alike give the same status for every argument length.
	.file "stack_top.s"
	.text
	.globl _start
	.type _start, @function
_start:
	andi a0, sp, 0xff
	li a7, 93
	ecall
	.size _start, . - _start
