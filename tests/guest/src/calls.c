/* Calls of every kind a call tracer must follow, in a known structure, for
 * the uftrace and callgrind built-ins' tests: direct calls, tail calls
 * (`return g(…)` compiled to a jump), an indirect call through a function
 * pointer, recursion left by longjmp, and a signal handler run at the
 * return of the system call that raised it. Left unstripped: the tests name
 * the functions. Prints the sum it computed; exit status 0.
 *
 * The calls, in order: main calls tail_a three times (tail_a jumps to
 * tail_b, which jumps to leaf); jumper, which calls setjmp and deep(3),
 * which recurses to deep(0) and longjmps back into jumper; raiser, which
 * raises SIGUSR1, whose handler calls leaf; and leaf through a pointer. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf env;
volatile int sink;

__attribute__((noinline)) int leaf(int x) {
  sink += x;
  return x * 2;
}

__attribute__((noinline)) int tail_b(int x) {
  sink++;
  return leaf(x + 1);
}

__attribute__((noinline)) int tail_a(int x) {
  sink++;
  return tail_b(x + 1);
}

__attribute__((noinline)) void deep(int n) {
  if (n < 0) return;
  if (n == 0) longjmp(env, 1);
  deep(n - 1);
  sink++;
}

__attribute__((noinline)) void jumper(void) {
  if (setjmp(env) == 0) deep(3);
  sink++;
}

__attribute__((noinline)) void handler(int sig) { leaf(sig); }

__attribute__((noinline)) void raiser(void) { raise(SIGUSR1); }

int (*volatile pointer)(int) = leaf;

int main(void) {
  signal(SIGUSR1, handler);
  for (int i = 0; i < 3; i++) tail_a(i);
  jumper();
  raiser();
  pointer(5);
  printf("sum %d\n", sink);
  return 0;
}
