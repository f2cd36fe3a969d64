/*
 * POSIX timers (timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete), compared with qemu-riscv64: a one-shot CLOCK_MONOTONIC timer
 * without a sigevent (SIGALRM, taken with sigwaitinfo, si_code SI_TIMER), a
 * periodic CLOCK_REALTIME one to a SIGUSR1 handler with a value, an absolute
 * expiry, a SIGEV_NONE timer that is only read, and the errors Linux gives
 * (bad clock, a clock without timers, bad notify or signal, no such timer,
 * bad nanoseconds, no new setting, a bad address for the id).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static volatile int count;
static volatile int last_code, last_value, last_overrun_ok;
static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)ctx;
  count++;
  last_code = si->si_code;
  last_value = si->si_value.sival_int;
}

int main(void) {
  timer_t t;
  /* NULL sevp: SIGALRM carrying the timer's id. */
  sigset_t set; sigemptyset(&set); sigaddset(&set, SIGALRM); sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  printf("create monotonic %d\n", timer_create(CLOCK_MONOTONIC, NULL, &t));
  struct itimerspec its = { {0, 0}, {0, 30000000} };
  printf("settime %d\n", timer_settime(t, 0, &its, NULL));
  struct itimerspec cur; timer_gettime(t, &cur);
  printf("armed left in (0, 30ms] %d interval 0 %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30000000, cur.it_interval.tv_nsec == 0);
  siginfo_t si;
  int s = sigwaitinfo(&set, &si);
  /* (Its si_value is the timer's id in Linux; qemu-riscv64's ids are its own, so that is not printed.) */
  printf("signal %d code SI_TIMER %d\n", s, si.si_code == SI_TIMER);
  timer_gettime(t, &cur);
  printf("disarmed after %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  printf("delete %d\n", timer_delete(t));
  errno = 0;
  printf("gettime deleted %d %s\n", timer_gettime(t, &cur), strerror(errno));

  /* SIGEV_SIGNAL SIGUSR1 with a value, periodic, to a handler. */
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = on_usr1; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent ev; memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGUSR1; ev.sigev_value.sival_int = 1234;
  printf("create realtime %d\n", timer_create(CLOCK_REALTIME, &ev, &t));
  struct itimerspec per = { {0, 5000000}, {0, 5000000} };
  timer_settime(t, 0, &per, NULL);
  while (count < 5) pause();
  timer_delete(t);
  printf("periodic: 5 signals, code SI_TIMER %d value %d\n", last_code == SI_TIMER, last_value);

  /* Absolute time on CLOCK_REALTIME. */
  count = 0;
  timer_create(CLOCK_REALTIME, &ev, &t);
  struct timespec now; clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 20000000; if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  struct itimerspec abs = { {0, 0}, now };
  printf("absolute settime %d\n", timer_settime(t, TIMER_ABSTIME, &abs, NULL));
  while (count < 1) pause();
  printf("absolute fired %d\n", count);
  timer_delete(t);

  /* SIGEV_NONE: only read. */
  ev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec one = { {0, 0}, {1, 0} };
  struct itimerspec old;
  timer_settime(t, 0, &one, &old);
  timer_gettime(t, &cur);
  printf("none: left in (0, 1s] %d old disarmed %d\n", (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0) || (cur.it_value.tv_sec == 1 && cur.it_value.tv_nsec == 0), old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
  timer_delete(t);

  /* Errors (raw calls: glibc's wrappers add their own checks). */
  int id;
  errno = 0; printf("bad clock %ld %d\n", syscall(SYS_timer_create, 99, NULL, &id), errno);
  errno = 0; printf("coarse clock %ld %d\n", syscall(SYS_timer_create, CLOCK_MONOTONIC_COARSE, NULL, &id), errno);
  ev.sigev_notify = 7;
  errno = 0; printf("bad notify %ld %d\n", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), errno);
  ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = 0;
  errno = 0; printf("bad signo %ld %d\n", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), errno);
  ev.sigev_signo = 65;
  errno = 0; printf("signo 65 %ld %d\n", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id), errno);
  errno = 0; printf("gettime 12345 %ld %d\n", syscall(SYS_timer_gettime, 12345, &cur), errno);
  errno = 0; printf("delete 12345 %ld %d\n", syscall(SYS_timer_delete, 12345), errno);
  ev.sigev_signo = SIGUSR1;
  syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id);
  struct itimerspec bad = { {0, 0}, {0, 1000000000} };
  errno = 0; printf("bad nsec %ld %d\n", syscall(SYS_timer_settime, id, 0, &bad, NULL), errno);
  errno = 0; printf("null new %ld %d\n", syscall(SYS_timer_settime, id, 0, NULL, NULL), errno);
  errno = 0; printf("overrun %ld %d\n", syscall(SYS_timer_getoverrun, id), errno);
  errno = 0; printf("create efault %ld %d\n", syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, (void *)8), errno);
  return 0;
}
