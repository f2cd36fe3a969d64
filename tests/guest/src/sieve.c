/* Sieve of Eratosthenes up to N (`sieve [N]`, default 2000000, at most
 * 16777216) in a 2 MiB bit array in .bss (so the loader's zero-fill matters);
 * prints the count, the largest prime and a hash of all primes, and checks
 * pi(10^k) for the powers of ten it reaches. Also built as sieve_pie. */
#include "lib/out.h"

#define MAX_N (1u << 24)
static uint8_t composite[MAX_N / 8 + 1];

static int is_comp(uint32_t i) { return composite[i >> 3] >> (i & 7) & 1; }

int main(int argc, char **argv) {
  uint64_t n = arg_u64(argc, argv, 1, 2000000);
  if (n > MAX_N) n = MAX_N;
  if (n < 2) n = 2;
  for (uint64_t i = 2; i * i <= n; i++) {
    if (is_comp((uint32_t)i)) continue;
    for (uint64_t j = i * i; j <= n; j += i) composite[j >> 3] |= (uint8_t)(1u << (j & 7));
  }
  static const uint32_t pi[] = {0, 4, 25, 168, 1229, 9592, 78498, 664579, 5761455};
  uint64_t count = 0, last = 0, hash = 0xcbf29ce484222325ull, next_pow = 10;
  int k = 1, ok = 1;
  for (uint64_t i = 2; i <= n; i++) {
    if (!is_comp((uint32_t)i)) {
      count++;
      last = i;
      hash = (hash ^ i) * 0x100000001b3ull;
    }
    if (i == next_pow) {
      out_str("pi(");
      out_u64(i);
      out_str(") = ");
      out_u64(count);
      int good = count == pi[k];
      ok &= good;
      out_str(good ? " ok\n" : " FAIL\n");
      next_pow *= 10;
      k++;
    }
  }
  out_str("primes <= ");
  out_u64(n);
  out_str(": ");
  out_u64(count);
  out_str(", largest ");
  out_u64(last);
  out_str(", hash ");
  out_hex(hash, 16);
  out_char('\n');
  out_flush();
  return ok ? 0 : 1;
}
