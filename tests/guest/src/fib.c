/* Recursive Fibonacci (`fib [N]`, default 27): call/return heavy, checked
 * against the iterative value. Kept unstripped in tests/guest/bin so symbol
 * lookups (fib_rec, main) can be tested. Also built as fib_pie. */
#include "lib/out.h"

__attribute__((noinline)) uint64_t fib_rec(uint64_t n) { return n < 2 ? n : fib_rec(n - 1) + fib_rec(n - 2); }

__attribute__((noinline)) uint64_t fib_iter(uint64_t n) {
  uint64_t a = 0, b = 1;
  while (n--) {
    uint64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

int main(int argc, char **argv) {
  uint64_t n = arg_u64(argc, argv, 1, 27);
  uint64_t r = fib_rec(n), it = fib_iter(n);
  out_str("fib(");
  out_u64(n);
  out_str(") = ");
  out_u64(r);
  out_str(r == it ? " ok\n" : " FAIL\n");
  out_str("fib_iter(90) = ");
  out_u64(fib_iter(90));
  out_char('\n');
  out_flush();
  return r == it ? 0 : 1;
}
