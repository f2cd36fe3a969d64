/*
 * Inputs from outside the guest, for plume's -record/-replay tests
 * (tests/record_replay_test.ts): a file, the clocks (system calls and the
 * rdtime counter), random bytes (getrandom, /dev/urandom, AT_RANDOM), the
 * process id, a timer signal arriving in the middle of a computation, and
 * threads whose interleaving depends on random sleeps.
 *
 *   record_inputs                 checks only (deterministic output: the differential test)
 *   record_inputs raw FILE        also prints every value read: two runs differ, a replay does not
 *   record_inputs raw FILE threads  and the threads' finishing order
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;
static int raw;

static void check(const char *what, int ok) {
  printf("%-50s %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) failures++;
}

static void hex(const char *what, const unsigned char *b, int n) {
  if (!raw) return;
  printf("%s ", what);
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

static volatile sig_atomic_t fired;
static void on_alarm(int s) {
  (void)s;
  fired = 1;
}

static unsigned long rdtime(void) {
  unsigned long t;
  __asm__ volatile("rdtime %0" : "=r"(t));
  return t;
}

#define THREADS 4
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long order[THREADS];
static int finished;

static void *worker(void *arg) {
  long id = (long)arg;
  unsigned char r = 0;
  if (getrandom(&r, 1, 0) != 1) return NULL;
  struct timespec ts = {0, (r % 4) * 1000000L + 100000};
  nanosleep(&ts, NULL);
  volatile unsigned long spins = 0;
  for (int i = 0; i < 2000 + r * 100; i++) spins += i;
  pthread_mutex_lock(&mu);
  order[finished++] = id;
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char **argv) {
  raw = argc > 1 && strcmp(argv[1], "raw") == 0;
  if (raw && argc > 2) {
    FILE *f = fopen(argv[2], "r");
    char buf[256];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    printf("file: %s", buf);
    check("the file was read", f != NULL && n > 0);
    if (f) fclose(f);
  }

  struct timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  unsigned long t0 = rdtime();
  if (raw) {
    printf("realtime %ld.%09ld monotonic %ld.%09ld\n", (long)rt.tv_sec, rt.tv_nsec, (long)mono.tv_sec, mono.tv_nsec);
    printf("gettimeofday %ld.%06ld time %ld rdtime %lu\n", (long)tv.tv_sec, (long)tv.tv_usec, (long)time(NULL), t0);
  }
  check("realtime after 2020", rt.tv_sec > 1577836800);

  unsigned char b[16];
  check("getrandom(16)", getrandom(b, 16, 0) == 16);
  hex("getrandom", b, 16);
  int fd = open("/dev/urandom", O_RDONLY);
  check("/dev/urandom read", fd >= 0 && read(fd, b, 16) == 16);
  hex("urandom", b, 16);
  close(fd);
  hex("AT_RANDOM", (const unsigned char *)getauxval(AT_RANDOM), 16);
  if (raw) printf("pid %d\n", (int)getpid());

  /* A timer signal in the middle of a loop: where it lands depends on time. */
  signal(SIGALRM, on_alarm);
  struct itimerval it = {{0, 0}, {0, 3000}};
  setitimer(ITIMER_REAL, &it, NULL);
  unsigned long loops = 0;
  while (!fired) loops++;
  if (raw) printf("SIGALRM after %lu loops, rdtime advanced %lu\n", loops, rdtime() - t0);
  check("SIGALRM arrived", fired);

  if (raw && argc > 3 && strcmp(argv[3], "threads") == 0) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("threads finished in order");
    for (int i = 0; i < finished; i++) printf(" %ld", order[i]);
    printf("\n");
    check("every thread finished", finished == THREADS);
  }
  printf("failures: %d\n", failures);
  return failures != 0;
}
