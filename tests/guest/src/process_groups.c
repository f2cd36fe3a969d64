/* Process groups and sessions among a program's own processes: setpgid's and setsid's rules, getpgid and getsid of
 * children (living, zombie, collected), kill(0) and kill(-pgid) reaching exactly a group's members, and waitpid(0),
 * waitpid(-pgid) and waitid(P_PGID) choosing children by group. Nothing printed depends on the host's process ids:
 * ids are printed as comparisons. The program first makes itself a group of its own, so that kill(0) under
 * qemu-riscv64 (where its processes are the host's) reaches no process of the test's.
 *
 * `process_groups tty`, on a terminal: a child in a group of its own makes it the terminal's foreground group, as a
 * job-control shell does, and reads it back (a shell loops on SIGTTIN until it does). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
  case EPERM: return "EPERM";
  case ESRCH: return "ESRCH";
  case EINVAL: return "EINVAL";
  case EACCES: return "EACCES";
  case ECHILD: return "ECHILD";
  default: return strerror(errno);
  }
}

/* Each child's end of the acknowledgement pipe, and its letter. */
static int ack_fd = -1;
static char me = '?';

static void on_signal(int sig) {
  char b[2] = {me, sig == SIGUSR1 ? '1' : '?'};
  (void)!write(ack_fd, b, 2);
}

/* A child that answers SIGUSR1 on the pipe until killed; `own` puts it in a group of its own first. */
static pid_t spawn(char letter, int ack, int own) {
  pid_t c = fork();
  if (c == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (own) setpgid(0, 0);
    me = letter;
    ack_fd = ack;
    char b[2] = {letter, 'r'};
    (void)!write(ack_fd, b, 2); /* ready: handlers are in place (installed before the fork) */
    for (;;) pause();
  }
  return c;
}

/* Reads SIGUSR1 acknowledgements until `want` processes have answered (or 10 s passed), then any that come in the
 * next 300 ms (a process the signal should not have reached); returns the letters that answered, in order. */
static void collect(int fd, int want, char *got) {
  char seen[128] = {0};
  int n = 0, timeout = 10000;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, n < want ? timeout : 300) <= 0) break;
    char b[2];
    if (read(fd, b, 2) != 2) break;
    if (b[1] == '1' && !seen[(unsigned char)b[0]]) seen[(unsigned char)b[0]] = 1, n++;
  }
  n = 0;
  for (int c = 'A'; c <= 'Z'; c++)
    if (seen[c]) got[n++] = (char)c;
  got[n] = 0;
}

/* Waits for `n` ready answers. */
static void ready(int fd, int n) {
  for (int i = 0; i < n; i++) {
    char b[2];
    if (read(fd, b, 2) != 2) return;
  }
}

static int foreground(void) {
  signal(SIGTTOU, SIG_IGN);
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    int r = tcsetpgrp(0, getpgrp());
    printf("child: tcsetpgrp %s, tcgetpgrp() == getpgrp(): %d\n", err(r), tcgetpgrp(0) == getpgrp());
    _exit(0);
  }
  waitpid(c, 0, 0);
  printf("parent: tcsetpgrp %s, ", err(tcsetpgrp(0, getpgrp())));
  printf("tcgetpgrp() == getpgrp(): %d\n", tcgetpgrp(0) == getpgrp());
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, 0, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "tty") == 0) return foreground();
  /* A group of its own (the test runner's group is left alone). */
  printf("setpgid(0, 0): %s\n", err(setpgid(0, 0)));
  pid_t self = getpid(), group = getpgrp();
  printf("getpgrp() == getpid(): %d\n", group == self);
  printf("getpgid(0) == getpgrp(): %d\n", getpgid(0) == group);
  printf("getsid(0) == getsid(getpid()): %d\n", getsid(0) == getsid(self));
  printf("setpgid(0, -1): %s\n", err(setpgid(0, -1)));
  printf("setpgid(getppid(), 0): %s\n", err(setpgid(getppid(), 0)));
  printf("getpgid(-1): %s\n", err(getpgid(-1)));

  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, 0);
  int acks[2];
  if (pipe(acks) != 0) return 1;
  ack_fd = acks[1];
  me = 'P';

  /* A and B stay in the parent's group, C makes one of its own, D is moved into C's by the parent. */
  pid_t a = spawn('A', acks[1], 0), b = spawn('B', acks[1], 0), c = spawn('C', acks[1], 1);
  ready(acks[0], 3);
  pid_t d = spawn('D', acks[1], 0);
  ready(acks[0], 1);
  printf("child A inherits the group: %d\n", getpgid(a) == group);
  printf("child C leads its own: %d\n", getpgid(c) == c);
  printf("child A's session is ours: %d\n", getsid(a) == getsid(0));
  printf("setpgid(D, C) (C's group, same session): %s\n", err(setpgid(d, c)));
  printf("getpgid(D) == C: %d\n", getpgid(d) == c);
  printf("setpgid(D, a group that does not exist): %s\n", err(setpgid(d, d + 100000)));
  printf("setpgid(D, getpgrp()) (back): %s\n", err(setpgid(d, group)));
  printf("setpgid(D, C) again: %s\n", err(setpgid(d, c)));
  printf("setpgid(D, 0) (D's own): %s\n", err(setpgid(d, 0)));
  printf("getpgid(D) == D: %d\n", getpgid(d) == d);
  printf("setpgid(D, C): %s\n", err(setpgid(d, c)));
  printf("setsid() as a group leader: %s\n", err(setsid()));

  char got[64];
  /* kill(0): this process and its group's other members, A and B. */
  printf("kill(0, SIGUSR1): %s\n", err(kill(0, SIGUSR1)));
  collect(acks[0], 3, got);
  printf("  reached: %s\n", got);
  /* kill(-C): C and D. */
  printf("kill(-C, SIGUSR1): %s\n", err(kill(-c, SIGUSR1)));
  collect(acks[0], 2, got);
  printf("  reached: %s\n", got);
  printf("kill(-(a group that does not exist), SIGUSR1): %s\n", err(kill(-(d + 100000), SIGUSR1)));
  printf("kill(-C, 0): %s\n", err(kill(-c, 0)));
  printf("killpg(getpgrp(), 0): %s\n", err(killpg(group, 0)));
  /* A bad signal: Linux looks for the target first (ESRCH), then checks the signal (EINVAL). */
  printf("kill(C, 99): %s\n", err(kill(c, 99)));
  printf("kill(a process that does not exist, 99): %s\n", err(kill(d + 100000, 99)));
  printf("kill(-C, 99): %s\n", err(kill(-c, 99)));
  printf("kill(-(a group that does not exist), -1): %s\n", err(kill(-(d + 100000), -1)));
  printf("kill(INT_MIN, 99): %s\n", err(kill(INT_MIN, 99)));
  printf("kill(-1, 99): %s\n", err(kill(-1, 99)));

  /* Waits by group: D ends first; waitpid(0) does not see it (another group), waitpid(-C) does. */
  int st;
  kill(d, SIGKILL);
  usleep(200000);
  printf("getpgid(D) as a zombie == C: %d\n", getpgid(d) == c);
  printf("waitpid(0, WNOHANG) with only D ended: %d\n", (int)waitpid(0, &st, WNOHANG));
  printf("waitpid(-(a group that does not exist), WNOHANG): %s\n", err(waitpid(-(d + 100000), &st, WNOHANG)));
  pid_t w = waitpid(-c, &st, 0);
  printf("waitpid(-C) collects D: %d, killed by %d\n", w == d, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  printf("getpgid(D) once collected: %s\n", err(getpgid(d)));
  kill(a, SIGKILL);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  printf("waitid(P_PGID, 0) collects A: %s", err(waitid(P_PGID, 0, &si, WEXITED)));
  printf(", %d\n", si.si_pid == a);
  kill(c, SIGKILL);
  memset(&si, 0, sizeof si);
  printf("waitid(P_PGID, C) collects C: %s", err(waitid(P_PGID, c, &si, WEXITED)));
  printf(", %d\n", si.si_pid == c);
  printf("waitpid(-C) with none left in C's group: %s\n", err(waitpid(-c, &st, WNOHANG)));
  kill(b, SIGKILL);
  printf("waitpid(0) collects B: %d\n", waitpid(0, &st, 0) == b);

  /* A child that makes a session: it leads it and its group; setpgid on it fails from both sides. */
  int sync1[2], sync2[2];
  if (pipe(sync1) != 0 || pipe(sync2) != 0) return 1;
  pid_t s = fork();
  if (s == 0) {
    char r[160];
    pid_t sid = setsid();
    int n = snprintf(r, sizeof r, "%s %d %d %d %s %s|", err(sid), sid == getpid(), getsid(0) == getpid(),
                     getpgrp() == getpid(), err(setsid()), err(setpgid(0, 0)));
    (void)!write(sync1[1], r, (size_t)n);
    char x;
    (void)!read(sync2[0], &x, 1);
    _exit(0);
  }
  char r[160] = {0};
  for (int n = 0; n < (int)sizeof r - 1 && (n == 0 || r[n - 1] != '|');) {
    ssize_t k = read(sync1[0], r + n, sizeof r - 1 - (size_t)n);
    if (k <= 0) break;
    n += (int)k;
  }
  printf("in a child, setsid(), == pid, getsid(0) == pid, getpgrp() == pid, setsid() again, setpgid(0, 0): %s\n", r);
  printf("getsid(S) == S: %d\n", getsid(s) == s);
  printf("setpgid(S, S) (another session): %s\n", err(setpgid(s, s)));
  printf("setpgid(S, getpgrp()): %s\n", err(setpgid(s, group)));
  (void)!write(sync2[1], "x", 1);
  waitpid(s, &st, 0);

  /* A child that has called execve (of the host's shell: qemu-user runs a guest program's execve on the host, and
   * neither emulator runs a RISC-V program there): setpgid on it is EACCES. */
  int ex[2];
  if (pipe(ex) != 0) return 1;
  pid_t e = fork();
  if (e == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(ex[0]);
    dup2(ex[1], 1);
    execl("/bin/sh", "sh", "-c", "echo x; exec sleep 30", (char *)0);
    _exit(127);
  }
  close(ex[1]);
  char x;
  printf("the child ran execve: %d\n", read(ex[0], &x, 1) == 1);
  printf("setpgid(E, E) after its execve: %s\n", err(setpgid(e, e)));
  kill(e, SIGKILL);
  waitpid(e, &st, 0);

  /* Priorities by group: setpriority(PRIO_PGRP) reaches every member, getpriority(PRIO_PGRP) reads the highest. */
  pid_t g1 = spawn('G', acks[1], 0), g2 = spawn('H', acks[1], 0);
  ready(acks[0], 2);
  errno = 0;
  printf("setpriority(PRIO_PGRP, 0, 5): %s\n", err(setpriority(PRIO_PGRP, 0, 5)));
  printf("getpriority(PRIO_PROCESS, G): %d\n", getpriority(PRIO_PROCESS, g1));
  printf("setpriority(PRIO_PROCESS, H, 9): %s\n", err(setpriority(PRIO_PROCESS, g2, 9)));
  errno = 0;
  printf("getpriority(PRIO_PGRP, 0): %d\n", getpriority(PRIO_PGRP, 0));
  printf("setpriority(PRIO_PGRP, G's group + 100000, 1): %s\n", err(setpriority(PRIO_PGRP, group + 100000, 1)));
  kill(g1, SIGKILL), kill(g2, SIGKILL);
  while (waitpid(-1, &st, 0) > 0) {
  }
  printf("done\n");
  return 0;
}
