/* A freestanding runtime (raw Linux syscalls, self-relocating start) so that
 * guest programs can be linked as static-pie: Debian's riscv64 cross glibc has
 * no rcrt1.o, hence no static-pie support. */
#ifndef GUEST_TINY_RT_H
#define GUEST_TINY_RT_H

#include <stddef.h>
#include <stdint.h>

long write(int fd, const void *buf, unsigned long n);
long read(int fd, void *buf, unsigned long n);
__attribute__((noreturn)) void exit(int status);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Auxiliary vector value for `type`, or 0 when absent. */
unsigned long tiny_getauxval(unsigned long type);

/* Load bias the start code computed (0 would mean a non-PIE link). */
extern unsigned long tiny_load_base;

#endif
