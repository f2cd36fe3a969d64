/* See tiny_rt.h. Built with -ffreestanding -fPIE; tiny_relocate runs before
 * relocations are applied, so it touches no global data. */
#include "tiny_rt.h"

#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define DT_RELAENT 9
#define R_RISCV_RELATIVE 3

unsigned long tiny_load_base;
static unsigned long *tiny_auxv;

static long sys3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

long write(int fd, const void *buf, unsigned long n) { return sys3(64, fd, (long)buf, (long)n); }
long read(int fd, void *buf, unsigned long n) { return sys3(63, fd, (long)buf, (long)n); }

void exit(int status) {
  for (;;) sys3(94, status, 0, 0);
}

void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++) {
    if (*x != *y) return *x - *y;
  }
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

typedef struct {
  unsigned long offset, info;
  long addend;
} rela_t;

void tiny_relocate(unsigned long base, const long *dyn) {
  unsigned long rela = 0, relasz = 0, relaent = sizeof(rela_t);
  for (; dyn[0] != DT_NULL; dyn += 2) {
    if (dyn[0] == DT_RELA) rela = (unsigned long)dyn[1];
    if (dyn[0] == DT_RELASZ) relasz = (unsigned long)dyn[1];
    if (dyn[0] == DT_RELAENT) relaent = (unsigned long)dyn[1];
  }
  for (unsigned long off = 0; rela && off < relasz; off += relaent) {
    const rela_t *r = (const rela_t *)(base + rela + off);
    if ((r->info & 0xffffffff) == R_RISCV_RELATIVE) *(unsigned long *)(base + r->offset) = base + (unsigned long)r->addend;
  }
}

unsigned long tiny_getauxval(unsigned long type) {
  for (unsigned long *a = tiny_auxv; a && a[0]; a += 2) {
    if (a[0] == type) return a[1];
  }
  return 0;
}

int main(int argc, char **argv, char **envp);

__attribute__((noreturn)) void tiny_start_c(long *sp) {
  extern const char __ehdr_start[];
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  char **p = envp;
  while (*p) p++;
  tiny_auxv = (unsigned long *)(p + 1);
  tiny_load_base = (unsigned long)__ehdr_start;
  exit(main(argc, argv, envp));
}
