/* Processes: fork and vfork, wait4/waitpid/waitid with exit codes and
 * signals, WNOHANG, SIGCHLD, kill of a child, pipes and a shared file
 * offset between parent and child, a grandchild, and ECHILD. Every line is
 * printed by the parent after the child it talks about has ended, so the
 * output does not depend on how the two are scheduled. Children never run
 * another program (qemu-user runs a child's execve on the host, where a
 * RISC-V binary needs binfmt_misc). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static volatile sig_atomic_t chld_seen, chld_code, chld_status, chld_pid;
static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  chld_seen++;
  chld_code = si->si_code;
  chld_status = si->si_status;
  chld_pid = si->si_pid;
}

static int global = 41;

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  sigaction(SIGCHLD, &sa, NULL);

  /* fork: the child has a copy of memory and its own pid; the parent reads what it sends. */
  int p[2];
  pipe(p);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    global++;
    char buf[64];
    int n = snprintf(buf, sizeof buf, "global=%d ppid-is-parent=%d own-pid=%d", global, getppid() == parent,
                     getpid() != parent);
    write(p[1], buf, n);
    _exit(7);
  }
  close(p[1]);
  char buf[128] = {0};
  int n = 0, r;
  while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0) n += r;
  close(p[0]);
  printf("child said: %s\n", buf);
  check(global == 41, "the parent's memory is its own");
  int st;
  check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7, "waitpid: exit status 7");
  check(chld_seen == 1, "SIGCHLD handled once");
  check(chld_code == CLD_EXITED && chld_status == 7 && chld_pid == pid, "SIGCHLD's siginfo: CLD_EXITED, status 7, pid");

  /* WNOHANG while the child waits for the parent; then kill it. */
  int go[2];
  pipe(go);
  pid = fork();
  if (pid == 0) {
    close(go[1]);
    char c;
    read(go[0], &c, 1); /* never returns: the parent kills us first */
    _exit(0);
  }
  close(go[0]);
  check(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG: the child is still running");
  kill(pid, SIGTERM);
  check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "killed by SIGTERM");
  check(chld_code == CLD_KILLED && chld_status == SIGTERM && chld_pid == pid, "SIGCHLD's siginfo: CLD_KILLED, SIGTERM");
  close(go[1]);

  /* A child killed by itself, collected with waitid. */
  pid = fork();
  if (pid == 0) {
    raise(SIGKILL);
    _exit(1);
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  check(waitid(P_PID, pid, &si, WEXITED) == 0 && si.si_pid == pid && si.si_code == CLD_KILLED &&
            si.si_status == SIGKILL && si.si_signo == SIGCHLD,
        "waitid: CLD_KILLED by SIGKILL");

  /* The file offset is shared: the child's write moves the parent's offset. */
  char path[] = "/tmp/plume-fork-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  pid = fork();
  if (pid == 0) {
    write(fd, "child,", 6);
    _exit(0);
  }
  waitpid(pid, &st, 0);
  write(fd, "parent", 6);
  char content[32] = {0};
  pread(fd, content, sizeof content - 1, 0);
  printf("file: %s\n", content);
  check(strcmp(content, "child,parent") == 0, "the offset is shared");
  close(fd);

  /* File locks between processes: flock's belong to the open file description, fcntl's (POSIX) ones to the
   * process and go when it closes any descriptor of the file, OFD ones to the description. A child that opens the
   * file again conflicts with its parent's locks; through the descriptor it inherited, it shares the flock. */
  char lpath[] = "/tmp/plume-lock-XXXXXX";
  int lfd = mkstemp(lpath);
  write(lfd, "0123456789", 10);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
  check(flock(lfd, LOCK_EX) == 0 && fcntl(lfd, F_SETLK, &fl) == 0, "locks: the parent takes flock and bytes 0-4");
  int lk[2];
  pipe(lk);
  pid = fork();
  if (pid == 0) {
    int cfd = open(lpath, O_RDWR), r = 0;
    if (flock(cfd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK) r |= 1;
    if (flock(lfd, LOCK_EX | LOCK_NB) == 0) r |= 2;
    struct flock g = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 1};
    if (fcntl(cfd, F_GETLK, &g) == 0 && g.l_type == F_WRLCK && g.l_pid == getppid() && g.l_start == 0 && g.l_len == 5)
      r |= 4;
    struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 4, .l_len = 0};
    if (fcntl(cfd, F_SETLK, &w) == -1 && errno == EAGAIN) r |= 8;
    w.l_start = 5;
    if (fcntl(cfd, F_SETLK, &w) == 0) r |= 16;
    struct flock o = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(cfd, F_OFD_SETLK, &o) == -1 && errno == EAGAIN) r |= 32;
    o.l_pid = 1;
    if (fcntl(cfd, F_OFD_SETLK, &o) == -1 && errno == EINVAL) r |= 64;
    write(lk[1], &r, sizeof r);
    /* Waits until the parent closes a descriptor of the file (its POSIX locks go then). */
    w.l_start = 0;
    _exit(fcntl(cfd, F_SETLKW, &w) == 0 ? 0 : 1);
  }
  int got = 0;
  read(lk[0], &got, sizeof got);
  close(lk[0]);
  close(lk[1]);
  check(got == 127, "locks: the child sees the parent's (flock, GETLK, SETLK, OFD; the inherited flock is shared)");
  if (got != 127) printf("  child's bits: %d\n", got);
  /* A description of the file the parent never locked through: closing it is enough. */
  int d = open(lpath, O_RDONLY);
  close(d);
  check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "locks: closing any descriptor of the file frees the parent's range, which the waiting child then takes");
  int other = open(lpath, O_RDWR);
  check(flock(other, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK, "locks: the flock stays with its description");
  close(lfd);
  check(flock(other, LOCK_SH | LOCK_NB) == 0, "locks: and goes with its last descriptor");
  close(other);
  unlink(lpath);

  /* A grandchild: the child waits for it and passes its status on. */
  pid = fork();
  if (pid == 0) {
    pid_t g = fork();
    if (g == 0) _exit(20);
    int gs;
    if (waitpid(g, &gs, 0) != g) _exit(99);
    _exit(WEXITSTATUS(gs) + 1);
  }
  check(waitpid(-1, &st, 0) == pid && WEXITSTATUS(st) == 21, "a grandchild's status, passed on");

  /* vfork: the child _exits at once. */
  pid = vfork();
  if (pid == 0) _exit(5);
  check(pid > 0 && waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 5, "vfork: exit status 5");

  /* A pipe holds 64 KiB: a blocking write of 1 MiB waits for the child reading it and ends whole (plume's pipes had
   * no bound: a writer ahead of its reader grew plume's memory without end) */
  int big[2];
  static char blob[1 << 20];
  memset(blob, 'b', sizeof blob);
  check(pipe(big) == 0, "pipe for a large write");
  pid = fork();
  if (pid == 0) {
    close(big[1]);
    static char rb[5000];
    long got = 0, n;
    usleep(20000);
    while ((n = read(big[0], rb, sizeof rb)) > 0) got += n;
    _exit(got == (long)sizeof blob ? 0 : 1);
  }
  close(big[0]);
  check(write(big[1], blob, sizeof blob) == (long)sizeof blob, "a blocking write of 1 MiB into a pipe ends whole");
  close(big[1]);
  check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "and its reader read all of it");

  /* Several children, collected in any order. */
  int sum = 0;
  for (int i = 1; i <= 3; i++)
    if (fork() == 0) _exit(i);
  for (int i = 0; i < 3; i++) {
    if (wait(&st) > 0) sum += WEXITSTATUS(st);
  }
  check(sum == 6, "three children collected with wait");

  /* A grandchild that writes to its parent and then waits for a signal (the parent's read must not be taken for a
   * deadlock), asking for SIGTERM when its parent ends (PR_SET_PDEATHSIG): its end closes the pipe. */
  int q[2];
  pipe(q);
  pid = fork();
  if (pid == 0) {
    if (fork() == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      write(q[1], "r", 1);
      pause();
      _exit(0);
    }
    char c;
    _exit(read(q[0], &c, 1) == 1 ? 3 : 4);
  }
  close(q[1]);
  char c;
  check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 3, "a child reads what its paused child wrote");
  check(read(q[0], &c, 1) == 0, "the grandchild ends with its parent (PR_SET_PDEATHSIG), closing the pipe");
  close(q[0]);

  /* clone with CLONE_PARENT_SETTID and a tid pointer that cannot be written: the store is skipped, the child made */
  long cl = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, 0, 0, 0);
  if (cl == 0) _exit(4);
  check(cl > 0 && waitpid(cl, &st, 0) == cl && WEXITSTATUS(st) == 4, "clone with a null CLONE_PARENT_SETTID pointer");

  /* prctl: what programs read back. */
  int sig = -1;
  check(prctl(PR_GET_DUMPABLE) == 1 && prctl(PR_SET_DUMPABLE, 0) == 0 && prctl(PR_GET_DUMPABLE) == 0 &&
            prctl(PR_SET_DUMPABLE, 1) == 0,
        "PR_GET_DUMPABLE and PR_SET_DUMPABLE");
  check(prctl(PR_GET_KEEPCAPS) == 0 && prctl(PR_GET_TIMERSLACK) == 50000, "PR_GET_KEEPCAPS, PR_GET_TIMERSLACK");
  check(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
            prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
        "PR_SET_NO_NEW_PRIVS");
  check(prctl(PR_SET_PDEATHSIG, SIGUSR1) == 0 && prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == SIGUSR1,
        "PR_GET_PDEATHSIG");
  char comm[32] = {0};
  int named = prctl(PR_SET_NAME, "renamed"), cfd = open("/proc/self/comm", O_RDONLY);
  check(named == 0 && read(cfd, comm, sizeof comm - 1) == 8 && strcmp(comm, "renamed\n") == 0,
        "/proc/self/comm after PR_SET_NAME");
  close(cfd);
  /* What capabilities, securebits and machine-check policy a program reads (libcap's tools; plume said EINVAL) */
  errno = 0;
  int capbset = prctl(PR_CAPBSET_READ, 0, 0, 0, 0);
  check((capbset == 0 || capbset == 1) && prctl(PR_CAPBSET_READ, 41, 0, 0, 0) == -1 && errno == EINVAL,
        "PR_CAPBSET_READ");
  check(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) >= 0 && prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_DEFAULT &&
            prctl(PR_GET_TIMING, 0, 0, 0, 0) == PR_TIMING_STATISTICAL,
        "PR_GET_SECUREBITS, PR_MCE_KILL_GET, PR_GET_TIMING");
  check(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) >= 0 &&
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0,
        "PR_CAP_AMBIENT");
  /* A scheduling policy is kept and inherited (plume forgot SCHED_BATCH), SCHED_RESET_ON_FORK is not inherited */
  struct sched_param sp0 = {0};
  check(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp0) == 0 &&
            sched_getscheduler(0) == (SCHED_BATCH | SCHED_RESET_ON_FORK),
        "sched_setscheduler(SCHED_BATCH | SCHED_RESET_ON_FORK)");
  pid = fork();
  if (pid == 0) _exit(sched_getscheduler(0) == SCHED_BATCH ? 0 : 1);
  check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 0, "a child keeps SCHED_BATCH without the flag");
  check(sched_setscheduler(0, SCHED_OTHER, &sp0) == 0 && sched_getscheduler(0) == SCHED_OTHER, "back to SCHED_OTHER");

  errno = 0;
  check(wait(&st) == -1 && errno == ECHILD, "no child left: ECHILD");
  printf("fork: %d failure(s)\n", failures);
  return failures != 0;
}
