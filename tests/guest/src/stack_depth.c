/* Recursion N deep, each frame some 200 bytes of its own: how deep the main thread's stack lets a program go.
 * 100000 levels need about 20 MiB: more than the default 8 MiB stack, less than `-s 64M` gives. */
#include <stdio.h>
#include <stdlib.h>

static int depth(int n) {
  volatile char frame[200];
  frame[0] = (char)n;
  if (n == 0) return frame[0];
  return depth(n - 1) + frame[0];
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  printf("depth %d: %d\n", n, depth(n));
  return 0;
}
