/* A CPU-bound workload split over threads: each of T threads mixes its
 * share of N 64-bit values with a hash and sums them; the total does not
 * depend on T. For the benchmark (1 thread against 4) and as a check.
 *
 * Usage: threads_cpu [T (4)] [N (2000000)] [check]; exit status 0, or 1
 * when `check` recomputes the total on one thread afterwards and it
 * differs. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

struct part {
  uint64_t from, to, sum;
};

static void *work(void *arg) {
  struct part *p = arg;
  uint64_t s = 0;
  for (uint64_t i = p->from; i < p->to; i++) s += mix(i) >> 40;
  p->sum = s;
  return NULL;
}

int main(int argc, char **argv) {
  int t = argc > 1 ? atoi(argv[1]) : 4;
  uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
  if (t < 1 || t > 64) return 2;
  pthread_t th[64];
  struct part parts[64];
  for (int i = 0; i < t; i++) {
    parts[i] = (struct part){n * i / t, n * (i + 1) / t, 0};
    pthread_create(&th[i], NULL, work, &parts[i]);
  }
  uint64_t total = 0;
  for (int i = 0; i < t; i++) {
    pthread_join(th[i], NULL);
    total += parts[i].sum;
  }
  int ok = 1;
  if (argc > 3) {
    /* The whole range once more on this thread: the split must not change the total. */
    struct part whole = {0, n, 0};
    work(&whole);
    ok = whole.sum == total;
  }
  printf("threads_cpu: %d thread(s), %llu values, total %llu\n", t, (unsigned long long)n, (unsigned long long)total);
  if (!ok) printf("FAIL: the serial total differs\n");
  return ok ? 0 : 1;
}
