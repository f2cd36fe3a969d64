/* glibc string and memory routines over many sizes and every source and
 * destination misalignment (its word-at-a-time paths load misaligned and
 * read past string ends within a page), each checked against byte loops;
 * qsort/bsearch; and explicit misaligned loads/stores of every width at every
 * offset, including ones straddling a page boundary. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int failures;
static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

typedef struct {
  const char *name;
  uint64_t hash;
  unsigned n, bad;
} tally;

static void tally_add(tally *t, uint64_t v, int ok, const char *detail) {
  t->hash = (t->hash ^ v) * 0x100000001b3ull;
  t->n++;
  if (!ok) {
    if (t->bad < 3) printf("  MISMATCH %s: %s\n", t->name, detail);
    t->bad++;
    failures++;
  }
}

static void tally_print(const tally *t) {
  printf("%-10s n=%-6u hash=%016" PRIx64 " %s\n", t->name, t->n, t->hash, t->bad ? "FAIL" : "ok");
}

static uint64_t hash_bytes(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

#define BUF 1024
static unsigned char src[BUF + 64], dst[BUF + 64], ref[BUF + 64];

static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 511, 777, 1000};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void fill(unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)next_rand();
}

static void run_memcpy_memset(void) {
  tally tc = {"memcpy", 0xcbf29ce484222325ull, 0, 0}, ts = {"memset", 0xcbf29ce484222325ull, 0, 0};
  tally tm = {"memmove", 0xcbf29ce484222325ull, 0, 0}, tcmp = {"memcmp", 0xcbf29ce484222325ull, 0, 0};
  tally tchr = {"memchr", 0xcbf29ce484222325ull, 0, 0};
  char detail[128];
  for (size_t k = 0; k < NSIZES; k++) {
    size_t n = sizes[k];
    for (int so = 0; so < 8; so++) {
      for (int d = 0; d < 8; d++) {
        fill(src, sizeof src);
        fill(dst, sizeof dst);
        memcpy(ref, dst, sizeof dst);
        for (size_t i = 0; i < n; i++) ref[d + i] = src[so + i];
        memcpy(dst + d, src + so, n);
        snprintf(detail, sizeof detail, "n=%zu so=%d do=%d", n, so, d);
        tally_add(&tc, hash_bytes(dst, sizeof dst), memcmp(dst, ref, sizeof dst) == 0 && dst[0] == ref[0], detail);

        int c = (int)(next_rand() & 0xff);
        for (size_t i = 0; i < n; i++) ref[d + i] = (unsigned char)c;
        memset(dst + d, c, n);
        int same = 1;
        for (size_t i = 0; i < sizeof dst; i++) same &= dst[i] == ref[i];
        tally_add(&ts, hash_bytes(dst, sizeof dst), same, detail);

        /* memmove with overlap in both directions inside one buffer */
        memcpy(ref, src, sizeof src);
        unsigned char tmp[BUF + 64];
        for (size_t i = 0; i < n; i++) tmp[i] = ref[so + i];
        for (size_t i = 0; i < n && d + 3 + i < sizeof ref; i++) ref[d + 3 + i] = tmp[i];
        if (d + 3 + n <= sizeof src) {
          memmove(src + d + 3, src + so, n);
          same = 1;
          for (size_t i = 0; i < sizeof src; i++) same &= src[i] == ref[i];
          tally_add(&tm, hash_bytes(src, sizeof src), same, detail);
        }

        /* memcmp: equal, then differing at the last byte */
        memcpy(dst + d, src + so, n);
        int r1 = memcmp(dst + d, src + so, n);
        int r2 = 0;
        if (n) {
          dst[d + n - 1] ^= 0x80;
          r2 = memcmp(dst + d, src + so, n);
        }
        int want2 = n ? ((dst[d + n - 1] > src[so + n - 1]) ? 1 : -1) : 0;
        tally_add(&tcmp, (uint64_t)(r1 == 0) * 2 + (uint64_t)((r2 > 0) - (r2 < 0) + 1), r1 == 0 && ((r2 > 0) - (r2 < 0)) == want2, detail);

        /* memchr for a byte placed at the end */
        if (n) {
          memset(dst + d, 0x11, n);
          dst[d + n - 1] = 0x99;
          const unsigned char *hit = memchr(dst + d, 0x99, n);
          const unsigned char *miss = memchr(dst + d, 0x77, n);
          tally_add(&tchr, (uint64_t)(hit ? hit - (dst + d) : -1), hit == dst + d + n - 1 && miss == NULL, detail);
        }
      }
    }
  }
  tally_print(&tc);
  tally_print(&ts);
  tally_print(&tm);
  tally_print(&tcmp);
  tally_print(&tchr);
}

static void run_strings(void) {
  tally tl = {"strlen", 0xcbf29ce484222325ull, 0, 0}, tcmp = {"strcmp", 0xcbf29ce484222325ull, 0, 0};
  tally tcpy = {"strcpy", 0xcbf29ce484222325ull, 0, 0}, tchr = {"strchr", 0xcbf29ce484222325ull, 0, 0};
  tally tstr = {"strstr", 0xcbf29ce484222325ull, 0, 0};
  char detail[128];
  static char a[BUF + 64], b[BUF + 64];
  for (size_t k = 0; k < NSIZES; k++) {
    size_t n = sizes[k];
    for (int o = 0; o < 16; o++) {
      snprintf(detail, sizeof detail, "len=%zu off=%d", n, o);
      for (size_t i = 0; i < sizeof a; i++) a[i] = (char)('a' + next_rand() % 26);
      a[o + n] = 0;
      tally_add(&tl, strlen(a + o), strlen(a + o) == n, detail);

      int ob = (o * 5) % 16;
      memcpy(b + ob, a + o, n + 1);
      int r0 = strcmp(a + o, b + ob);
      int r1 = 0, r2 = 0;
      if (n) {
        b[ob + n / 2] = 'A'; /* smaller than any lower-case letter */
        r1 = strcmp(a + o, b + ob);
        r2 = strncmp(a + o, b + ob, n / 2);
      }
      tally_add(&tcmp, (uint64_t)((r1 > 0) * 4 + (r0 == 0) * 2 + (r2 == 0)), r0 == 0 && (n == 0 || (r1 > 0 && r2 == 0)), detail);

      char *ret = strcpy(b + ob, a + o);
      tally_add(&tcpy, hash_bytes((unsigned char *)b + ob, n + 1), ret == b + ob && memcmp(b + ob, a + o, n + 1) == 0, detail);
      strcat(b + ob, "XYZ");
      tally_add(&tcpy, strlen(b + ob), strlen(b + ob) == n + 3 && strcmp(b + ob + n, "XYZ") == 0, detail);

      if (n) {
        a[o + n - 1] = '#';
        char *first = strchr(a + o, '#'), *last = strrchr(a + o, 'q'), *nul = strchr(a + o, 0);
        const char *want_last = NULL;
        for (size_t i = 0; i < n; i++) {
          if (a[o + i] == 'q') want_last = a + o + i;
        }
        tally_add(&tchr, (uint64_t)(first - (a + o)), first == a + o + n - 1 && last == want_last && nul == a + o + n, detail);
        if (n > 4) {
          char needle[4] = {a[o + n - 4], a[o + n - 3], a[o + n - 2], 0};
          char *s = strstr(a + o, needle);
          char *want = NULL;
          for (size_t i = 0; i + 3 <= n && !want; i++) {
            if (memcmp(a + o + i, needle, 3) == 0) want = a + o + i;
          }
          tally_add(&tstr, (uint64_t)(s ? s - (a + o) : -1), s == want, detail);
        }
      }
    }
  }
  tally_print(&tl);
  tally_print(&tcmp);
  tally_print(&tcpy);
  tally_print(&tchr);
  tally_print(&tstr);
}

static int cmp_u32(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return (a > b) - (a < b);
}
static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static void run_sort_search(void) {
  enum { N = 5000 };
  static uint32_t v[N];
  for (int i = 0; i < N; i++) v[i] = (uint32_t)(next_rand() % 100000);
  qsort(v, N, sizeof v[0], cmp_u32);
  int sorted = 1;
  for (int i = 1; i < N; i++) sorted &= v[i - 1] <= v[i];
  uint64_t h = hash_bytes((unsigned char *)v, sizeof v);
  int found = 0, correct = 1;
  for (uint32_t key = 0; key < 100000; key += 7) {
    uint32_t *p = bsearch(&key, v, N, sizeof v[0], cmp_u32);
    int present = 0;
    for (int i = 0; i < N && !present; i++) present = v[i] == key;
    correct &= (p != NULL) == present && (!p || *p == key);
    found += p != NULL;
  }
  printf("qsort u32 sorted=%d hash=%016" PRIx64 " bsearch found=%d %s\n", sorted, h, found, sorted && correct ? "ok" : "FAIL");
  failures += !(sorted && correct);

  static char words[400][12];
  static char *ptrs[400];
  for (int i = 0; i < 400; i++) {
    int len = 1 + (int)(next_rand() % 10);
    for (int j = 0; j < len; j++) words[i][j] = (char)('a' + next_rand() % 26);
    words[i][len] = 0;
    ptrs[i] = words[i];
  }
  qsort(ptrs, 400, sizeof ptrs[0], cmp_str);
  sorted = 1;
  for (int i = 1; i < 400; i++) sorted &= strcmp(ptrs[i - 1], ptrs[i]) <= 0;
  printf("qsort strings sorted=%d first=%s last=%s\n", sorted, ptrs[0], ptrs[399]);
  failures += !sorted;
}

/* Misaligned loads/stores with explicit instructions (the compiler would split
 * them into byte accesses). */
#define LOAD(insn, T)                                                        \
  static uint64_t ld_##T(const void *p) {                                    \
    uint64_t v;                                                              \
    __asm__ volatile(insn " %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");        \
    return v;                                                                \
  }
#define STORE(insn, T)                                                       \
  static void st_##T(void *p, uint64_t v) { __asm__ volatile(insn " %1, 0(%0)" : : "r"(p), "r"(v) : "memory"); }
LOAD("lh", lh) LOAD("lhu", lhu) LOAD("lw", lw) LOAD("lwu", lwu) LOAD("ld", ld)
STORE("sh", sh) STORE("sw", sw) STORE("sd", sd)

static uint64_t ref_load(const unsigned char *p, int size, int sign) {
  uint64_t v = 0;
  for (int i = size - 1; i >= 0; i--) v = v << 8 | p[i];
  if (sign && size < 8 && (v >> (8 * size - 1)) & 1) v |= ~0ull << (8 * size);
  return v;
}

static void misaligned_at(unsigned char *base, tally *t) {
  char detail[96];
  for (int off = 0; off < 8; off++) {
    unsigned char *p = base + off;
    snprintf(detail, sizeof detail, "offset %d", off);
    uint64_t got[5] = {ld_lh(p), ld_lhu(p), ld_lw(p), ld_lwu(p), ld_ld(p)};
    uint64_t want[5] = {ref_load(p, 2, 1), ref_load(p, 2, 0), ref_load(p, 4, 1), ref_load(p, 4, 0), ref_load(p, 8, 0)};
    for (int i = 0; i < 5; i++) tally_add(t, got[i], got[i] == want[i], detail);
    unsigned char save[16];
    memcpy(save, p - 4, 16);
    st_sd(p, 0x0807060504030201ull);
    tally_add(t, ref_load(p, 8, 0), ref_load(p, 8, 0) == 0x0807060504030201ull && p[-1] == save[3] && p[8] == save[12], detail);
    st_sw(p + 1, 0xddccbbaa);
    tally_add(t, ref_load(p, 8, 0), ref_load(p, 8, 0) == 0x080706ddccbbaa01ull, detail);
    st_sh(p + 5, 0xeeff);
    tally_add(t, ref_load(p, 8, 0), ref_load(p, 8, 0) == 0x08eeffddccbbaa01ull, detail);
    double d = 3.25;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    __asm__ volatile("fsd %1, 0(%0)" : : "r"(p), "f"(d) : "memory");
    double back;
    __asm__ volatile("fld %0, 0(%1)" : "=f"(back) : "r"(p) : "memory");
    tally_add(t, ref_load(p, 8, 0), ref_load(p, 8, 0) == bits && back == d, detail);
    float f = -1.5f, fback;
    __asm__ volatile("fsw %1, 0(%0)" : : "r"(p), "f"(f) : "memory");
    __asm__ volatile("flw %0, 0(%1)" : "=f"(fback) : "r"(p) : "memory");
    tally_add(t, ref_load(p, 4, 0), ref_load(p, 4, 0) == 0xbfc00000u && fback == f, detail);
    memcpy(p - 4, save, 16);
  }
}

struct __attribute__((packed)) packed {
  char c;
  uint64_t x;
  uint32_t y;
  uint16_t z;
  double d;
};

static void run_misaligned(void) {
  tally t = {"misalign", 0xcbf29ce484222325ull, 0, 0};
  static unsigned char buf[64];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 37 + 11);
  misaligned_at(buf + 16, &t);
  tally_print(&t);

  /* Straddling a page boundary: two pages mapped together. */
  tally tp = {"pagecross", 0xcbf29ce484222325ull, 0, 0};
  unsigned char *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) {
    printf("mmap failed\n");
    failures++;
    return;
  }
  for (int i = 0; i < 8192; i++) pages[i] = (unsigned char)(i * 13 + 5);
  misaligned_at(pages + 4096 - 8, &tp);
  tally_print(&tp);
  munmap(pages, 8192);

  struct packed s[3];
  memset(s, 0, sizeof s);
  for (int i = 0; i < 3; i++) {
    s[i].c = (char)i;
    s[i].x = 0x1122334455667788ull * (uint64_t)(i + 1);
    s[i].y = 0x99aabbccu + (uint32_t)i;
    s[i].z = (uint16_t)(0xddee + i);
    s[i].d = 1.0 / (i + 3);
  }
  uint64_t sum = 0;
  for (int i = 0; i < 3; i++) sum += s[i].x + s[i].y + s[i].z + (uint64_t)(s[i].d * 1e6);
  printf("packed struct size=%zu sum=%016" PRIx64 " bytes=%016" PRIx64 "\n", sizeof s[0], sum,
         hash_bytes((unsigned char *)s, sizeof s));
}

int main(void) {
  run_memcpy_memset();
  run_strings();
  run_sort_search();
  run_misaligned();
  printf("failures: %d\n", failures);
  return failures != 0;
}
