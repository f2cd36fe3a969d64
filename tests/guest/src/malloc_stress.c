/* glibc malloc under a deterministic mix of malloc/calloc/realloc/free
 * (`malloc_stress [OPS]`, default 20000): small bins, large blocks above the
 * 128 KiB mmap threshold, realloc growing and shrinking across it; every
 * block carries a pattern that is verified before it is freed or resized.
 * Also drives brk directly through sbrk. No addresses are printed. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 512

static uint64_t rng = 0x5851f42d4c957f2dull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

typedef struct {
  unsigned char *p;
  size_t size;
  unsigned char seed;
} slot;

static slot slots[SLOTS];
static int failures;
static uint64_t checksum = 0xcbf29ce484222325ull;

/* Big blocks get a sparse pattern (every 61st byte plus both ends): writing
 * every byte of megabytes would make this a memset benchmark. */
static size_t step_for(size_t n) { return n > 65536 ? 61 : 1; }

static void pattern(unsigned char *p, size_t n, unsigned char seed) {
  size_t step = step_for(n);
  for (size_t i = 0; i < n; i += step) p[i] = (unsigned char)(seed + i * 7 + (i >> 9));
  if (n) p[n - 1] = (unsigned char)(seed + (n - 1) * 7 + ((n - 1) >> 9));
}

/* Checks the first `n` bytes of a block whose pattern was written for `size`. */
static int verify_prefix(const unsigned char *p, size_t n, size_t size, unsigned char seed) {
  size_t step = step_for(size);
  if (n == size && n && p[n - 1] != (unsigned char)(seed + (n - 1) * 7 + ((n - 1) >> 9))) return 0;
  for (size_t i = 0; i < n; i += step) {
    if (p[i] != (unsigned char)(seed + i * 7 + (i >> 9))) return 0;
  }
  /* Sample patterned bytes only: the others may hold freed-chunk pointers. */
  for (size_t i = 0; i < n; i += step * 67) checksum = (checksum ^ p[i]) * 0x100000001b3ull;
  return 1;
}

static int verify(const unsigned char *p, size_t n, unsigned char seed) { return verify_prefix(p, n, n, seed); }

static size_t pick_size(void) {
  uint64_t r = next_rand() % 1000;
  if (r < 700) return 1 + next_rand() % 256;              /* tcache / fastbins */
  if (r < 950) return 257 + next_rand() % 8000;           /* small and large bins */
  if (r < 990) return 8192 + next_rand() % 100000;        /* below the mmap threshold */
  return 128 * 1024 + next_rand() % (2 * 1024 * 1024);    /* mmap'ed chunks */
}

int main(int argc, char **argv) {
  long ops = argc > 1 ? atol(argv[1]) : 20000;
  long n_malloc = 0, n_calloc = 0, n_realloc = 0, n_free = 0, n_big = 0;

  /* brk directly: grow, touch, shrink */
  void *b0 = sbrk(0);
  void *b1 = sbrk(256 * 1024);
  void *b2 = sbrk(0);
  int brk_ok = b1 == b0 && (char *)b2 == (char *)b0 + 256 * 1024;
  if (b1 != (void *)-1) memset(b1, 0x5a, 256 * 1024);
  int shrink_ok = sbrk(-256 * 1024) != (void *)-1 && sbrk(0) == b0;
  printf("sbrk grow by 256 KiB: %s, writable, shrink back: %s\n", brk_ok ? "ok" : "FAIL", shrink_ok ? "ok" : "FAIL");
  failures += !brk_ok + !shrink_ok;

  for (long op = 0; op < ops; op++) {
    slot *s = &slots[next_rand() % SLOTS];
    uint64_t what = next_rand() % 10;
    if (!s->p) {
      size_t n = pick_size();
      unsigned char seed = (unsigned char)next_rand();
      if (what < 2) {
        s->p = calloc(1, n);
        n_calloc++;
        for (size_t i = 0; s->p && i < n; i += step_for(n)) {
          if (s->p[i]) {
            printf("calloc(%zu) not zeroed at %zu\n", n, i);
            failures++;
            break;
          }
        }
      } else {
        s->p = malloc(n);
        n_malloc++;
      }
      if (!s->p) {
        printf("allocation of %zu failed\n", n);
        failures++;
        continue;
      }
      n_big += n >= 128 * 1024;
      s->size = n;
      s->seed = seed;
      pattern(s->p, n, seed);
    } else if (what < 6) {
      if (!verify(s->p, s->size, s->seed)) {
        printf("block of %zu corrupted before free\n", s->size);
        failures++;
      }
      free(s->p);
      s->p = NULL;
      n_free++;
    } else {
      size_t n = what < 8 ? s->size * 2 + 1 : s->size / 3 + 1;
      if (next_rand() % 20 == 0) n = 200 * 1024 + next_rand() % 65536; /* jump across the mmap threshold */
      if (n > (3u << 20)) n = 1000 + next_rand() % 1000;               /* keep repeated doubling bounded */
      unsigned char *q = realloc(s->p, n);
      n_realloc++;
      if (!q) {
        printf("realloc to %zu failed\n", n);
        failures++;
        continue;
      }
      size_t keep = n < s->size ? n : s->size;
      if (!verify_prefix(q, keep, s->size, s->seed)) {
        printf("realloc %zu -> %zu lost contents\n", s->size, n);
        failures++;
      }
      s->p = q;
      s->size = n;
      pattern(q, n, s->seed);
    }
  }
  long live = 0;
  for (int i = 0; i < SLOTS; i++) {
    if (slots[i].p) {
      live++;
      if (!verify(slots[i].p, slots[i].size, slots[i].seed)) failures++;
      free(slots[i].p);
    }
  }
  printf("ops=%ld malloc=%ld calloc=%ld realloc=%ld free=%ld big=%ld live-at-end=%ld\n", ops, n_malloc, n_calloc,
         n_realloc, n_free, n_big, live);
  printf("content checksum=%016" PRIx64 "\n", checksum);

  /* One very large block and many tiny ones, the extremes of the allocator. */
  unsigned char *huge = malloc(64 << 20);
  int huge_ok = huge != NULL;
  if (huge) {
    for (size_t i = 0; i < (64u << 20); i += 4096) huge[i] = (unsigned char)i;
    for (size_t i = 0; i < (64u << 20); i += 4096) huge_ok &= huge[i] == (unsigned char)i;
    free(huge);
  }
  void *tiny[10000];
  for (int i = 0; i < 10000; i++) tiny[i] = malloc(16);
  int tiny_ok = 1;
  for (int i = 0; i < 10000; i++) tiny_ok &= tiny[i] != NULL;
  for (int i = 9999; i >= 0; i--) free(tiny[i]);
  printf("64 MiB block: %s, 10000 x 16 bytes: %s\n", huge_ok ? "ok" : "FAIL", tiny_ok ? "ok" : "FAIL");
  failures += !huge_ok + !tiny_ok;
  printf("failures: %d\n", failures);
  return failures != 0;
}
