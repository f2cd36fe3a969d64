/* A loop whose inner block jumps to itself (32 passes each time round the
 * outer loop), for the test of REPEAT records (tests/plugins_e2e_test.ts):
 * prints a sum of the work. */
#include <stdio.h>

volatile unsigned sink;

int main(void) {
  unsigned x = 1, y = 0;
  for (unsigned i = 0; i < 200000; i++) {
    for (unsigned j = 0; j < 32; j++) x = x * 3 + j;
    y += x ^ i;
    if (y & 1)
      y += 7;
    else
      y ^= 5;
  }
  sink = y;
  printf("%u\n", y);
  return 0;
}
