/* A fork bomb that ends by itself: every process forks, and every child
 * forks again, until fork fails or the run's budget of forks is spent. The
 * budget is a pipe holding one byte per fork (a process takes a byte before
 * it forks and gives it back when the fork fails), so even with no limit on
 * processes at all the run makes at most BUDGET of them. A process whose
 * fork failed stops forking, waits for its children and exits; each failure
 * is written to a report pipe as its errno, which the first process reads at
 * the end.
 *
 * `forkbomb reap [N]` forks N (default 40) children one after another with
 * SIGCHLD ignored, each of which exits at once: Linux reaps them itself
 * (no zombies), so wait() gives ECHILD each time, and they never add up
 * against RLIMIT_NPROC.
 *
 * Arguments: [BUDGET [LIMIT]]. BUDGET (default 40) bounds the forks; LIMIT,
 * when given, is set first as RLIMIT_NPROC (soft and hard) with setrlimit,
 * as `ulimit -u` does, so that fork fails with EAGAIN once LIMIT tasks of
 * the user run. Without LIMIT the output is the same wherever the host allows
 * 41 processes; with it, the counts depend on how the processes were
 * scheduled, so only relations are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int tokens[2], report[2];

/* Forks until the budget is spent or a fork fails, in this process and (by returning 0 from fork) in every child. */
static void bomb(void) {
  for (;;) {
    char t;
    if (read(tokens[0], &t, 1) != 1) break; /* budget spent */
    pid_t pid = fork();
    if (pid == 0) continue; /* the child forks too */
    if (pid > 0) continue;
    int err = errno;
    if (write(tokens[1], &t, 1) != 1) _exit(3);
    unsigned char e = (unsigned char)err;
    if (write(report[1], &e, 1) != 1) _exit(3);
    break;
  }
  while (wait(NULL) > 0) {
  }
}

/* Children of a parent that ignores SIGCHLD are reaped by the kernel: wait() finds none. */
static int reap(long n) {
  signal(SIGCHLD, SIG_IGN);
  long made = 0, echild = 0, other = 0;
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(7);
    if (pid < 0) {
      printf("fork %ld failed: %s\n", i, strerror(errno));
      break;
    }
    made++;
    int status;
    pid_t w = wait(&status);
    if (w < 0 && errno == ECHILD) echild++;
    else other++;
  }
  printf("children made: %ld of %ld\n", made, n);
  printf("wait gave ECHILD (reaped already): %ld\n", echild);
  printf("wait gave a zombie or another error: %ld\n", other);
  return made == n && echild == n ? 0 : 1;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "reap") == 0) return reap(argc > 2 ? atol(argv[2]) : 40);
  long budget = argc > 1 ? atol(argv[1]) : 40;
  if (budget < 1 || budget > 60000) budget = 40;
  struct rlimit rl;
  if (argc > 2) {
    rl.rlim_cur = rl.rlim_max = (rlim_t)atol(argv[2]);
    if (setrlimit(RLIMIT_NPROC, &rl) != 0) {
      printf("setrlimit(RLIMIT_NPROC): %s\n", strerror(errno));
      return 1;
    }
    getrlimit(RLIMIT_NPROC, &rl);
    printf("RLIMIT_NPROC is the limit set: %s\n",
           rl.rlim_cur == (rlim_t)atol(argv[2]) && rl.rlim_max == rl.rlim_cur ? "yes" : "no");
  }
  if (pipe2(tokens, O_NONBLOCK) != 0 || pipe2(report, O_NONBLOCK) != 0) return 2;
  fcntl(tokens[0], F_SETPIPE_SZ, 65536);
  char fill[4096];
  memset(fill, 't', sizeof fill);
  for (long left = budget; left > 0;) {
    long n = left < (long)sizeof fill ? left : (long)sizeof fill;
    if (write(tokens[1], fill, (size_t)n) != n) return 2;
    left -= n;
  }
  pid_t first = getpid();
  bomb();
  if (getpid() != first) _exit(0);
  long left = 0, eagain = 0, other = 0;
  char t;
  while (read(tokens[0], &t, 1) == 1) left++;
  unsigned char e;
  while (read(report[0], &e, 1) == 1) {
    if (e == EAGAIN) eagain++;
    else {
      if (other == 0) printf("fork failed with %s\n", strerror(e));
      other++;
    }
  }
  printf("forks made: %s\n", left == 0 ? "the whole budget" : left < budget ? "part of the budget" : "none");
  printf("forks failed with EAGAIN: %s\n", eagain > 0 ? "yes" : "no");
  printf("forks failed otherwise: %ld\n", other);
  return other > 0 ? 1 : 0;
}
