/*
 * A timer signal reaches a thread that spins in an inner loop: five times, a
 * 50 ms ITIMER_REAL timer is armed while the program runs a hash loop of
 * 1,000 rounds until the SIGALRM handler sets a flag; each line says whether
 * the signal came within 250 ms of the arming. The loop warms up first, so
 * an emulator compiles it as it would a program's hot loop.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t fired;

static void on_alarm(int signo) {
  (void)signo;
  fired = 1;
}

static double elapsed_ms(struct timespec a, struct timespec b) {
  return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static uint64_t x = 1, y = 2, z = 3;

/* One round of the hash: long enough a loop body that a loop of them runs for a while between jumps back. */
static inline void round_once(void) {
  x = x * 6364136223846793005ULL + y, y ^= x >> 13, z += y * 3 + (x >> 7), z ^= z << 5, y += z >> 3, x ^= y << 11;
  x = x * 6364136223846793005ULL + z, y ^= x >> 17, z += y * 5 + (x >> 9), z ^= z << 7, y += z >> 5, x ^= y << 13;
  x = x * 6364136223846793005ULL + y, y ^= x >> 19, z += y * 7 + (x >> 3), z ^= z << 3, y += z >> 7, x ^= y << 17;
}

int main(void) {
  signal(SIGALRM, on_alarm);
  for (long i = 0; i < 5000000; i++) round_once();
  for (int n = 1; n <= 5; n++) {
    fired = 0;
    struct itimerval it = {{0, 0}, {0, 50000}};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    setitimer(ITIMER_REAL, &it, 0);
    while (!fired) {
      for (int j = 0; j < 1000; j++) round_once();
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = elapsed_ms(t0, t1);
    if (ms < 250) printf("alarm %d: in time\n", n);
    else printf("alarm %d: %.0f ms after arming a 50 ms timer\n", n, ms);
  }
  return 0;
}
