/*
 * The program tests/gdb_test.ts debugs with gdb-multiarch, under plume's and
 * qemu-riscv64's gdb stubs (-g): a function with arguments to break on, a
 * global to print and watch, output, and exit status 3.
 */
#include <stdio.h>

int counter = 5;
long total;

__attribute__((noinline)) int add(int a, int b) {
  int s = a + b;
  total += s;
  return s;
}

__attribute__((noinline)) void bump(int by) {
  counter += by;
  total += 1;
}

int main(void) {
  int r = add(2, 3);
  printf("add: %d\n", r);
  bump(7);
  printf("counter: %d total: %ld\n", counter, total);
  return counter - 9;
}
