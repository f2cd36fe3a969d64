/* Dense matrix multiply (`matmul [N]`, default 96) in double and in 64-bit
 * integers, naive i-j-k and cache-blocked i-k-j orders: the integer results
 * must agree exactly; the double ones are printed as %a sums of each order
 * (they differ between orders by design, but not between emulators). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 96;
  if (n < 1) n = 1;
  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
  double *c1 = calloc((size_t)n * n, sizeof(double)), *c2 = calloc((size_t)n * n, sizeof(double));
  int64_t *ia = malloc(sizeof(int64_t) * n * n), *ib = malloc(sizeof(int64_t) * n * n);
  int64_t *ic1 = calloc((size_t)n * n, sizeof(int64_t)), *ic2 = calloc((size_t)n * n, sizeof(int64_t));
  if (!a || !b || !c1 || !c2 || !ia || !ib || !ic1 || !ic2) {
    printf("out of memory for n=%d\n", n);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      a[i * n + j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0 + 1.0 / (i + j + 1);
      b[i * n + j] = (double)((i * 5 + j * 11) % 23) / 4.0 - 2.5;
      ia[i * n + j] = (int64_t)((i * 31 + j * 17) % 1009) - 500;
      ib[i * n + j] = (int64_t)((i * 13 + j * 29) % 997) * 1000003 - 400000000;
    }
  }
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) {
      double s = 0;
      int64_t is = 0;
      for (int k = 0; k < n; k++) {
        s += a[i * n + k] * b[k * n + j];
        is += ia[i * n + k] * ib[k * n + j];
      }
      c1[i * n + j] = s;
      ic1[i * n + j] = is;
    }
  }
  const int bs = 16;
  for (int ii = 0; ii < n; ii += bs) {
    for (int kk = 0; kk < n; kk += bs) {
      for (int i = ii; i < ii + bs && i < n; i++) {
        for (int k = kk; k < kk + bs && k < n; k++) {
          double av = a[i * n + k];
          int64_t iav = ia[i * n + k];
          for (int j = 0; j < n; j++) {
            c2[i * n + j] += av * b[k * n + j];
            ic2[i * n + j] += iav * ib[k * n + j];
          }
        }
      }
    }
  }
  double sum1 = 0, sum2 = 0, trace = 0, maxdiff = 0;
  uint64_t ih = 0xcbf29ce484222325ull;
  int int_ok = 1;
  for (int i = 0; i < n * n; i++) {
    sum1 += c1[i];
    sum2 += c2[i];
    double d = c1[i] - c2[i];
    if (d < 0) d = -d;
    if (d > maxdiff) maxdiff = d;
    int_ok &= ic1[i] == ic2[i];
    ih = (ih ^ (uint64_t)ic1[i]) * 0x100000001b3ull;
  }
  for (int i = 0; i < n; i++) trace += c1[i * n + i];
  printf("n=%d double: sum(ijk)=%a sum(blocked)=%a trace=%.17g max|diff|=%a\n", n, sum1, sum2, trace, maxdiff);
  printf("n=%d int64: hash=%016" PRIx64 " c[0][0]=%" PRId64 " orders agree: %s\n", n, ih, ic1[0], int_ok ? "yes" : "NO");
  free(a);
  free(b);
  free(c1);
  free(c2);
  free(ia);
  free(ib);
  free(ic1);
  free(ic2);
  return int_ok ? 0 : 1;
}
