/*
 * Bit manipulation as compilers emit it for -march=rv64gc_zba_zbb_zbc_zbs:
 * popcount, leading and trailing zeros, rotates, byte swaps, min/max,
 * sh*add(.uw) address arithmetic, single-bit set/clear/invert/extract,
 * and/or/xor with a complement, sign and zero extensions; orc.b (a
 * word-at-a-time strlen), the carry-less products (a GF(2^64) hash and a
 * CRC-32 by carry-less multiplication) and the word rotates through inline
 * assembly, since GCC 12 emits those only for its builtins; built with
 * Zicboz (bitmanip_rva, by clang), also cbo.zero. Every result
 * goes into one hash per topic over values from a generator, each loop
 * runs long enough to be compiled (and to become a region): the output
 * must be qemu-riscv64's, byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;

static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

/* Values with the edges the operations care about: zero, all ones, single bits, bytes. */
static uint64_t value(void) {
  uint64_t r = next();
  switch (r & 7) {
  case 0: return 0;
  case 1: return ~0ull;
  case 2: return 1ull << (r >> 58);
  case 3: return (r >> 8) & 0xff;
  case 4: return (uint64_t)(int64_t)(int32_t)(r >> 16);
  default: return next();
  }
}

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

#define N 20000

static __attribute__((noinline)) uint64_t counts(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t v = value();
    uint32_t w = (uint32_t)v;
    h = mix(h, __builtin_popcountll(v));
    h = mix(h, v ? __builtin_clzll(v) : 64);
    h = mix(h, v ? __builtin_ctzll(v) : 64);
    h = mix(h, __builtin_popcount(w));
    h = mix(h, w ? __builtin_clz(w) : 32);
    h = mix(h, w ? __builtin_ctz(w) : 32);
  }
  return h;
}

static __attribute__((noinline)) uint64_t rotates(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t v = value();
    unsigned s = next() & 63;
    uint32_t w = (uint32_t)v, ws = s & 31;
    h = mix(h, (v << s) | (v >> ((64 - s) & 63)));
    h = mix(h, (v >> s) | (v << ((64 - s) & 63)));
    h = mix(h, (v >> 13) | (v << 51));
    h = mix(h, (uint64_t)(int64_t)(int32_t)((w << ws) | (w >> ((32 - ws) & 31))));
    h = mix(h, (uint64_t)(int64_t)(int32_t)((w >> ws) | (w << ((32 - ws) & 31))));
    int64_t r;
    __asm__("roriw %0, %1, 7" : "=r"(r) : "r"(v));
    h = mix(h, r);
  }
  return h;
}

static __attribute__((noinline)) uint64_t logic(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t a = value(), b = value();
    h = mix(h, a & ~b);
    h = mix(h, a | ~b);
    h = mix(h, ~(a ^ b));
    h = mix(h, __builtin_bswap64(a));
    h = mix(h, (uint64_t)(int64_t)(int8_t)a);
    h = mix(h, (uint64_t)(int64_t)(int16_t)a);
    h = mix(h, (uint16_t)a);
    h = mix(h, (uint32_t)a + b); /* add.uw */
    h = mix(h, (uint64_t)(uint32_t)a << 5); /* slli.uw */
    int64_t sa = (int64_t)a, sb = (int64_t)b;
    h = mix(h, sa < sb ? sa : sb);
    h = mix(h, sa > sb ? sa : sb);
    h = mix(h, a < b ? a : b);
    h = mix(h, a > b ? a : b);
  }
  return h;
}

static __attribute__((noinline)) uint64_t bits(void) {
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t a = value();
    unsigned n = next() & 63;
    h = mix(h, a | (1ull << n));
    h = mix(h, a & ~(1ull << n));
    h = mix(h, a ^ (1ull << n));
    h = mix(h, (a >> n) & 1);
    h = mix(h, a | (1ull << 40));
    h = mix(h, a & ~(1ull << 3));
    h = mix(h, a ^ (1ull << 63));
    h = mix(h, (a >> 33) & 1);
  }
  return h;
}

/* sh1add, sh2add, sh3add and their .uw forms: array indexing with 64-bit and unsigned 32-bit indexes. */
static uint16_t h16[4096];
static uint32_t h32[4096];
static uint64_t h64[4096];

static __attribute__((noinline)) uint64_t indexing(void) {
  for (int i = 0; i < 4096; i++) h16[i] = (uint16_t)(i * 7), h32[i] = i * 77u, h64[i] = i * 7777ull;
  uint64_t h = 0;
  for (int i = 0; i < N; i++) {
    uint64_t k = next() & 4095;
    uint32_t u = (uint32_t)next() & 4095;
    h = mix(h, h16[k] + h32[k] + h64[k]);
    h = mix(h, h16[u] + h32[u] + h64[u]);
  }
  return h;
}

/* strlen a word at a time: orc.b makes each nonzero byte 0xff. */
static __attribute__((noinline)) size_t strlen_orc(const char *s) {
  const uint64_t *p = (const uint64_t *)((uintptr_t)s & ~7ull);
  unsigned skip = (uintptr_t)s & 7;
  uint64_t w, o;
  w = *p | ((1ull << (8 * skip)) - 1);
  for (;;) {
    __asm__("orc.b %0, %1" : "=r"(o) : "r"(w));
    if (o != ~0ull) break;
    w = *++p;
  }
  return (const char *)p - s + __builtin_ctzll(~o) / 8;
}

static __attribute__((noinline)) uint64_t strings(void) {
  static char buf[512] __attribute__((aligned(8)));
  uint64_t h = 0;
  for (int i = 0; i < 4000; i++) {
    unsigned start = next() % 64, len = next() % 300;
    memset(buf, 'a' + (i % 26), sizeof buf);
    buf[start + len] = 0;
    size_t got = strlen_orc(buf + start);
    if (got != len) printf("strlen_orc FAIL at %u+%u: %zu\n", start, len, got);
    h = mix(h, got);
  }
  return h;
}

static uint64_t clmul(uint64_t a, uint64_t b) {
  uint64_t r;
  __asm__("clmul %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

static uint64_t clmulh(uint64_t a, uint64_t b) {
  uint64_t r;
  __asm__("clmulh %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

static uint64_t clmulr(uint64_t a, uint64_t b) {
  uint64_t r;
  __asm__("clmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

/* The same products bit by bit, as the specification defines them. */
static void clmul_model(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
  uint64_t l = 0, h = 0;
  for (int i = 0; i < 64; i++) {
    if ((b >> i) & 1) {
      l ^= a << i;
      if (i) h ^= a >> (64 - i);
    }
  }
  *lo = l, *hi = h;
}

static __attribute__((noinline)) uint64_t carryless(void) {
  uint64_t h = 0;
  int bad = 0;
  for (int i = 0; i < N / 4; i++) {
    uint64_t a = value(), b = value(), lo, hi;
    clmul_model(a, b, &lo, &hi);
    uint64_t l = clmul(a, b), u = clmulh(a, b), r = clmulr(a, b);
    if (l != lo || u != hi || r != ((hi << 1) | (lo >> 63))) bad++;
    h = mix(mix(mix(h, l), u), r);
  }
  printf("clmul against the model: %s\n", bad ? "FAIL" : "ok");
  return h;
}

#ifdef __riscv_zicboz
/* cbo.zero zeroes the 64-byte block holding the address, whatever the address's offset in it. */
static __attribute__((noinline)) uint64_t cache_blocks(void) {
  static unsigned char buf[4096] __attribute__((aligned(64)));
  uint64_t h = 0;
  for (int i = 0; i < 2000; i++) {
    memset(buf, 0x5a + i % 100, sizeof buf); /* never 0 */
    unsigned char *p = buf + next() % (sizeof buf);
    __asm__ volatile("cbo.zero (%0)" : : "r"(p) : "memory");
    unsigned zeros = 0, first = sizeof buf;
    for (unsigned k = 0; k < sizeof buf; k++) {
      if (buf[k] == 0) {
        zeros++;
        if (k < first) first = k;
      }
    }
    if (zeros != 64 || first != (((uintptr_t)p - (uintptr_t)buf) & ~63u)) printf("cbo.zero FAIL at %u\n", first);
    h = mix(h, first);
  }
  return h;
}
#endif

int main(void) {
  printf("counts   %016llx\n", (unsigned long long)counts());
  printf("rotates  %016llx\n", (unsigned long long)rotates());
  printf("logic    %016llx\n", (unsigned long long)logic());
  printf("bits     %016llx\n", (unsigned long long)bits());
  printf("indexing %016llx\n", (unsigned long long)indexing());
  printf("strings  %016llx\n", (unsigned long long)strings());
  printf("clmul    %016llx\n", (unsigned long long)carryless());
#ifdef __riscv_zicboz
  printf("cbo.zero %016llx\n", (unsigned long long)cache_blocks());
#endif
  return 0;
}
