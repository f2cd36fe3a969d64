/* Identity and time: uname fields that do not depend on the host kernel
 * build, uid/gid consistency (without the passwd database), pid/tid, clocks
 * that must be monotonic or sane (never printed), nanosleep, getrandom
 * (only its return count), clock_getres, times and sysinfo plausibility. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok) {
  printf("%-58s %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) failures++;
}

static long long ns_of(const struct timespec *t) { return (long long)t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(void) {
  struct utsname u;
  check("uname", uname(&u) == 0);
  printf("sysname=%s machine=%s\n", u.sysname, u.machine);
  check("release looks like a version", u.release[0] >= '1' && u.release[0] <= '9' && strchr(u.release, '.') != NULL);
  check("nodename is set", u.nodename[0] != 0);

  check("getuid == geteuid", getuid() == geteuid());
  check("getgid == getegid", getgid() == getegid());
  uid_t r, e, s;
  check("getresuid agrees", getresuid(&r, &e, &s) == 0 && r == getuid() && e == geteuid() && s == geteuid());
  gid_t gr, ge, gs;
  check("getresgid agrees", getresgid(&gr, &ge, &gs) == 0 && gr == getgid() && ge == getegid());
  int ng = getgroups(0, NULL);
  check("getgroups count >= 0", ng >= 0);
  /* In a PID namespace the program may be pid 1 and its parent, group and
   * session may lie outside (reported as 0): only consistency is checked. */
  check("getpid > 0", getpid() > 0);
  check("gettid == getpid (single thread)", syscall(SYS_gettid) == getpid());
  check("getppid >= 0", getppid() >= 0);
  check("getpgrp == getpgid(0) == getpgid(getpid())", getpgrp() >= 0 && getpgrp() == getpgid(0) && getpgid(0) == getpgid(getpid()));
  check("getsid(0) == getsid(getpid())", getsid(0) >= 0 && getsid(0) == getsid(getpid()));

  struct timespec prev, now;
  clock_gettime(CLOCK_MONOTONIC, &prev);
  int mono = 1;
  for (int i = 0; i < 10000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    mono &= ns_of(&now) >= ns_of(&prev);
    prev = now;
  }
  check("CLOCK_MONOTONIC never goes back (10000 reads)", mono);
  struct timespec rt;
  struct timeval tv;
  clock_gettime(CLOCK_REALTIME, &rt);
  gettimeofday(&tv, NULL);
  long long diff = (long long)tv.tv_sec * 1000000LL + tv.tv_usec - ns_of(&rt) / 1000;
  check("gettimeofday within 1 s of CLOCK_REALTIME", diff >= 0 && diff < 1000000);
  check("realtime after 2020-01-01", rt.tv_sec > 1577836800);
  check("time() agrees with CLOCK_REALTIME", time(NULL) - rt.tv_sec <= 1 && time(NULL) >= rt.tv_sec);
  struct timespec res;
  check("clock_getres MONOTONIC in (0, 10 ms]", clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns_of(&res) > 0 && ns_of(&res) <= 10000000);
  struct timespec cpu0, cpu1;
  check("CLOCK_PROCESS_CPUTIME_ID readable", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0) == 0);
  volatile unsigned long spin = 0;
  for (unsigned long i = 0; i < 2000000; i++) spin += i;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  check("  and non-decreasing", ns_of(&cpu1) >= ns_of(&cpu0));

  struct timespec t0, t1, req = {0, 2000000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  check("nanosleep 2 ms", nanosleep(&req, NULL) == 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  check("  slept at least 2 ms", ns_of(&t1) - ns_of(&t0) >= 2000000);
  check("  and less than 2 s", ns_of(&t1) - ns_of(&t0) < 2000000000LL);
  check("clock_nanosleep relative 1 ms", clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, 1000000}, NULL) == 0);

  unsigned char rnd[64];
  memset(rnd, 0, sizeof rnd);
  ssize_t n = getrandom(rnd, sizeof rnd, 0);
  printf("getrandom(64) returned %zd\n", n);
  int nonzero = 0;
  for (int i = 0; i < 64; i++) nonzero += rnd[i] != 0;
  check("getrandom filled the buffer (some nonzero bytes)", nonzero > 8);
  printf("getrandom(0) returned %zd\n", getrandom(rnd, 0, 0));

  struct tms tm;
  check("times() does not fail", times(&tm) != (clock_t)-1);
  struct rusage ru;
  check("getrusage(SELF)", getrusage(RUSAGE_SELF, &ru) == 0);
  struct rlimit rl;
  check("getrlimit(STACK) soft <= hard", getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur <= rl.rlim_max);
  check("sysconf(_SC_PAGESIZE) == 4096", sysconf(_SC_PAGESIZE) == 4096);
  check("sysconf(_SC_CLK_TCK) == 100", sysconf(_SC_CLK_TCK) == 100);
  printf("failures: %d\n", failures);
  return failures != 0;
}
