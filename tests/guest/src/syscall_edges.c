/* System calls at their edges, where plume answered otherwise than Linux
 * (found by comparing with qemu-riscv64): each line names the call and
 * prints its result and errno, nothing that depends on the host.
 *
 * Usage: syscall_edges (exit 0); syscall_edges fsize [ignore]: prints
 * "ready", reads a byte, then writes past a file-size limit of 10 KiB the
 * caller set meanwhile (`prlimit`): SIGXFSZ ends it (status 153), or with
 * `ignore` the writes answer EFBIG. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
  printf("%-60s %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerrorname_np(errno) : "");
}

/* A file system's type, sizes, flags and id (the same machine's under both emulators). */
static void statfs_of(const char *what, int fd) {
  struct statfs f;
  if (fstatfs(fd, &f) != 0) {
    show(what, -1);
    return;
  }
  printf("%-60s %lx %ld %ld %ld %lx %ld %d,%d\n", what, (long)f.f_type, (long)f.f_bsize, (long)f.f_frsize,
         (long)f.f_namelen, (long)f.f_flags, (long)f.f_blocks, f.f_fsid.__val[0], f.f_fsid.__val[1]);
}

static char big[140000];

/* Writes 20,000 bytes, then 10 more, then extends the file to 1 MiB, under a limit of 10 KiB. */
static int fsize(int ignore) {
  if (ignore) signal(SIGXFSZ, SIG_IGN);
  /* The caller sets the limit once the emulator has started (Deno's own caches must not meet it), then writes a byte. */
  printf("ready\n");
  char go;
  if (read(0, &go, 1) != 1) return 1;
  char tmpl[] = "/tmp/plume-edges-fsize-XXXXXX";
  int f = mkstemp(tmpl);
  if (f < 0) return 1;
  unlink(tmpl);
  show("write of 20,000 bytes from 0", write(f, big, 20000));
  show("write of 10 bytes after them", write(f, big, 10));
  show("ftruncate to 1 MiB", ftruncate(f, 1 << 20));
  return 0;
}

int main(int argc, char **args) {
  setvbuf(stdout, 0, _IONBF, 0);
  if (argc > 1 && strcmp(args[1], "fsize") == 0) return fsize(argc > 2);
  /* An argument longer than MAX_ARG_STRLEN (plume: "internal error"); a missing program before that. */
  memset(big, 'a', sizeof big - 1);
  char *argv[] = {"x", big, 0}, *envp[] = {0};
  errno = 0;
  show("execve with a 140,000-byte argument", execve("/bin/true", argv, envp));
  show("execve of a missing program with it", execve("/no/such/program", argv, envp));
  show("execve of a file that is not executable with it", execve("/etc/passwd", argv, envp));

  /* sendfile reads pages of a file: a pipe is EINVAL (plume read it, then blocked on the empty pipe). */
  int p[2];
  if (pipe(p) != 0) return 1;
  char tmpl[] = "/tmp/plume-edges-XXXXXX";
  int f = mkstemp(tmpl);
  if (f < 0) return 1;
  (void)!write(p[1], "ab", 2);
  show("sendfile from a pipe with data", sendfile(f, p[0], 0, 10));
  show("sendfile from an empty pipe", sendfile(f, p[0], 0, 1));
  off_t at = 0;
  show("sendfile from a pipe at an offset", sendfile(f, p[0], &at, 1));
  int zero = open("/dev/zero", O_RDONLY);
  show("sendfile from /dev/zero", sendfile(f, zero, 0, 10));

  /* readv: no buffers on a byte stream is 0 at once (plume waited for data); a huge count is EINVAL. */
  int s[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0) return 1;
  struct iovec v = {big, 16};
  show("readv of no buffers from a stream socket", readv(s[0], &v, 0));
  show("readv of 2^56 buffers", syscall(SYS_readv, p[0], &v, 1UL << 56));
  int d[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) != 0) return 1;
  (void)!write(d[1], "dgram", 5);
  struct iovec empty = {big, 0};
  show("readv of an empty buffer from a datagram socket", readv(d[0], &empty, 1));
  show("read of the datagram after it", read(d[0], big, 16));

  /* FUTEX_CLOCK_REALTIME only with FUTEX_WAIT_BITSET. */
  int word = 0;
  struct timespec ms = {0, 1000000};
  show("FUTEX_WAIT | FUTEX_CLOCK_REALTIME", syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &ms, 0, 0));
  struct timespec bad = {0, 2000000000};
  show("the same with a timeout of 2e9 ns", syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &bad, 0, 0));

  /* utimensat: a null path without a descriptor is a bad address (plume set the working directory's times). */
  struct timespec ts[2] = {{-1, 500000000}, {-1, 500000000}};
  show("utimensat(AT_FDCWD, NULL, times, 0)", syscall(SYS_utimensat, AT_FDCWD, 0, ts, 0));
  struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  show("the same with both times UTIME_OMIT", syscall(SYS_utimensat, AT_FDCWD, 0, omit, 0));
  show("utimensat(fd, NULL, NOW, AT_SYMLINK_NOFOLLOW)", syscall(SYS_utimensat, f, 0, 0, AT_SYMLINK_NOFOLLOW));
  /* Times before 1970 with nanoseconds: stat gives them back with tv_nsec in [0, 10^9). */
  show("utimensat to -1.5 s", utimensat(AT_FDCWD, tmpl, ts, 0));
  struct stat st;
  show("stat", stat(tmpl, &st));
  printf("%-60s %ld s %ld ns\n", "mtime", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  unlink(tmpl);

  /* epoll watches an open file, not a number: closing the number it was added under while a duplicate keeps the
   * file open leaves it in the set (plume dropped it), and that number names a new file's registration. */
  int q[2];
  if (pipe(q) != 0) return 1;
  int ep = epoll_create1(0), dup_end = dup(q[0]);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[4];
  show("epoll_ctl ADD a pipe's read end", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));
  close(q[0]);
  (void)!write(q[1], "x", 1);
  show("epoll_wait after closing it, a duplicate open", epoll_wait(ep, out, 4, 0));
  printf("%-60s %llu\n", "its data", (unsigned long long)out[0].data.u64);
  show("epoll_ctl DEL of the closed number", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], &ev));
  int again = eventfd(1, 0);
  printf("%-60s %d\n", "the number reused", again == q[0]);
  ev.data.u64 = 8;
  show("epoll_ctl ADD of the new file under that number", epoll_ctl(ep, EPOLL_CTL_ADD, again, &ev));
  show("epoll_wait: both", epoll_wait(ep, out, 4, 0));
  close(dup_end);
  show("epoll_wait after the last duplicate is closed", epoll_wait(ep, out, 4, 0));
  printf("%-60s %llu\n", "its data", (unsigned long long)out[0].data.u64);
  show("epoll_ctl MOD of the number", epoll_ctl(ep, EPOLL_CTL_MOD, again, &ev));
  /* fstatfs of files with no path: Linux's pipefs, sockfs and anon_inodefs (plume: the working directory's). */
  statfs_of("fstatfs of a pipe", q[1]);
  statfs_of("fstatfs of a socket", s[0]);
  statfs_of("fstatfs of an eventfd", again);
  statfs_of("fstatfs of an epoll", ep);
  /* A file whose number was taken by another comes back under it: its registration is found again (a reviewing
   * helper's case: plume added it twice and could never remove the old one). */
  int r[2];
  if (pipe(r) != 0) return 1;
  (void)!write(r[1], "y", 1);
  int ep2 = epoll_create1(0), a = r[0];
  show("epoll_ctl ADD a pipe as a", epoll_ctl(ep2, EPOLL_CTL_ADD, a, &ev));
  int keep = dup(a);
  close(a);
  int taker = eventfd(1, 0);
  printf("%-60s %d\n", "an eventfd took a", taker == a);
  show("epoll_ctl ADD the eventfd as a", epoll_ctl(ep2, EPOLL_CTL_ADD, taker, &ev));
  close(taker);
  int back = dup(keep);
  printf("%-60s %d\n", "the pipe is a again", back == a);
  show("epoll_ctl ADD the pipe as a again", epoll_ctl(ep2, EPOLL_CTL_ADD, back, &ev));
  show("epoll_wait", epoll_wait(ep2, out, 4, 0));
  show("epoll_ctl DEL a", epoll_ctl(ep2, EPOLL_CTL_DEL, back, &ev));
  show("epoll_ctl DEL a again", epoll_ctl(ep2, EPOLL_CTL_DEL, back, &ev));
  show("epoll_wait after it", epoll_wait(ep2, out, 4, 0));

  /* Edges of files and clocks. */
  char t2[] = "/tmp/plume-edges2-XXXXXX";
  int g = mkstemp(t2);
  if (g < 0) return 1;
  show("ftruncate to 2^63-1", ftruncate(g, 0x7fffffffffffffffLL));
  show("ftruncate to -1", ftruncate(g, -1));
  /* In a directory of its own: plume renamed the working directory itself (rename(".", "x") moved it away). */
  char dir[] = "/tmp/plume-edges-dir-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir) != 0) return 1;
  show("rename(\".\", a new name)", rename(".", "moved"));
  show("rename(\"..\", a new name)", rename("..", "moved"));
  show("rename(a file, \".\")", rename(t2, "."));
  show("rename(a file, \"sub/..\")", rename(t2, "sub/.."));
  show("rename(\"/\", a new name)", rename("/", "moved"));
  show("rename(\".\", \"nodir/x\"): the new parent first", rename(".", "nodir/x"));
  mkdir("d", 0700);
  show("renameat2(a file, \".\", RENAME_NOREPLACE)", syscall(SYS_renameat2, AT_FDCWD, t2, AT_FDCWD, ".", 1));
  show("renameat2(a file, \"d/..\", RENAME_NOREPLACE)", syscall(SYS_renameat2, AT_FDCWD, t2, AT_FDCWD, "d/..", 1));
  show("renameat2(\".\", \"d\", RENAME_EXCHANGE)", syscall(SYS_renameat2, AT_FDCWD, ".", AT_FDCWD, "d", 2));
  rmdir("d");
  show("rmdir(\".\")", rmdir("."));
  show("rmdir(\"..\")", rmdir(".."));
  show("chdir back", chdir("/tmp"));
  show("rmdir of the directory, still where it was", rmdir(dir));
  struct timespec tiny = {0, 1};
  show("clock_nanosleep(CLOCK_MONOTONIC_RAW)", -clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &tiny, 0));
  show("clock_nanosleep(CLOCK_REALTIME_COARSE)", -clock_nanosleep(CLOCK_REALTIME_COARSE, 0, &tiny, 0));
  show("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID)", -clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &tiny, 0));
  show("clock_nanosleep(CLOCK_BOOTTIME)", -clock_nanosleep(CLOCK_BOOTTIME, 0, &tiny, 0));
  unlink(t2);

  /* An int argument is the register's low word, whatever is above it (plume rounded values past 2^53: close(2^63-1)
   * closed descriptor 0, and a write to 2^56+1 went to descriptor 0). */
  show("write to descriptor 2^56+1, which is 1", syscall(SYS_write, 0x0100000000000001L, "low word\n", 9));
  show("close(2^63-1), which is -1", syscall(SYS_close, 0x7fffffffffffffffL));
  show("stdin is still open", fstat(0, &st));
  int h = open(".", O_RDWR | O_TMPFILE, 0600);
  if (h < 0) h = open("plume-edges-file", O_RDWR | O_CREAT | O_TRUNC, 0600), unlink("plume-edges-file");
  show("lseek to 2^53 (plume: internal error past 2^53)", syscall(SYS_lseek, h, 1L << 53, SEEK_SET));
  show("lseek to 2^63-1", syscall(SYS_lseek, h, 0x7fffffffffffffffL, SEEK_SET));
  show("lseek to 2^40", syscall(SYS_lseek, h, 1L << 40, SEEK_SET));
  show("lseek by 2^40 more", syscall(SYS_lseek, h, 1L << 40, SEEK_CUR));
  /* A positioned range whose end passes 2^63 - 1 is EINVAL (plume: EFBIG); the offset is checked first. */
  char one = 'x';
  show("pwrite of 1 byte at 2^63-1", syscall(SYS_pwrite64, h, &one, 1, 0x7fffffffffffffffL));
  show("pwrite of 0 bytes at 2^63-1", syscall(SYS_pwrite64, h, &one, 0, 0x7fffffffffffffffL));
  show("pread of 1 byte at 2^63-1", syscall(SYS_pread64, h, &one, 1, 0x7fffffffffffffffL));
  struct iovec onev = {.iov_base = &one, .iov_len = 1};
  show("pwritev of 1 byte at 2^63-1", syscall(SYS_pwritev, h, &onev, 1, 0x7fffffffffffffffL, 0));
  show("preadv of 1 byte at 2^63-1", syscall(SYS_preadv, h, &onev, 1, 0x7fffffffffffffffL, 0));
  show("pwrite to a bad descriptor at offset -1", syscall(SYS_pwrite64, -1, &one, 1, -1L));
  show("pread from a bad descriptor at offset -1", syscall(SYS_pread64, -1, &one, 1, -1L));
  /* fallocate past the end of a file (plume: internal error). */
  show("write 10 bytes", write(h, "0123456789", 10) == 10 ? 0 : -1);
  show("fallocate: punch a hole past the end", syscall(SYS_fallocate, h, 3, 100, 1));
  show("fallocate: zero a range past the end", syscall(SYS_fallocate, h, 0x10, 100, 1));
  show("the size after it", fstat(h, &st) == 0 ? st.st_size : -1);
  close(h);
  /* prctl's timer slack reads back as the low 32 bits of what was set (plume: internal error past 2^53). */
  show("PR_SET_TIMERSLACK 2^60", syscall(SYS_prctl, 29, 1L << 60, 0, 0, 0));
  show("PR_GET_TIMERSLACK", syscall(SYS_prctl, 30, 0, 0, 0, 0));
  show("PR_SET_TIMERSLACK 2^53+1", syscall(SYS_prctl, 29, (1L << 53) + 1, 0, 0, 0));
  show("PR_GET_TIMERSLACK", syscall(SYS_prctl, 30, 0, 0, 0, 0));
  show("PR_SET_TIMERSLACK 0 (the default)", syscall(SYS_prctl, 29, 0, 0, 0, 0));
  /* Disarming ITIMER_REAL forgets its interval; the longest timer reads back as KTIME_MAX. */
  struct itimerval itv = {{0, 100000}, {0, 0}}, old;
  show("setitimer(ITIMER_REAL) to 0 with an interval", setitimer(ITIMER_REAL, &itv, 0));
  show("getitimer(ITIMER_REAL)", getitimer(ITIMER_REAL, &old));
  printf("%-60s %ld.%06ld\n", "its interval", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
  struct itimerval longest = {{0x7fffffffffffffffL, 0}, {0x7fffffffffffffffL, 0}};
  show("setitimer(ITIMER_REAL) to 2^63-1 seconds", setitimer(ITIMER_REAL, &longest, 0));
  show("getitimer(ITIMER_REAL)", getitimer(ITIMER_REAL, &old));
  printf("%-60s %ld.%06ld\n", "its interval", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
  struct itimerval off = {{0, 0}, {0, 0}};
  show("setitimer(ITIMER_REAL) off", setitimer(ITIMER_REAL, &off, 0));
  show("clock_nanosleep(CLOCK_THREAD_CPUTIME_ID), the system call", syscall(SYS_clock_nanosleep, 3, 0, &tiny, 0));
  show("fchdir(AT_FDCWD)", syscall(SYS_fchdir, AT_FDCWD));
  show("membarrier(GLOBAL) with flags", syscall(SYS_membarrier, 1, 9));
  (void)!write(s[1], "abc", 3);
  struct iovec pv = {big, 8};
  show("preadv of a socket with data", preadv(s[0], &pv, 1, 0));
  show("read of it after", read(s[0], big, 8));

  /* waitid and wait4: unknown options are EINVAL and leave the child; a bad pointer is EFAULT with it collected. */
  show("wait4 without children, to a bad pointer", syscall(SYS_wait4, -1, (void *)8, 0, 0));
  pid_t c = fork();
  if (c == 0) _exit(7);
  siginfo_t si;
  memset(&si, 0x55, sizeof si);
  show("waitid(WEXITED | 0x10)", syscall(SYS_waitid, P_PID, c, &si, WEXITED | 0x10, 0));
  show("waitid(WEXITED) to a bad rusage", syscall(SYS_waitid, P_PID, c, &si, WEXITED | WNOWAIT, (void *)8));
  show("waitid(WEXITED)", waitid(P_PID, c, &si, WEXITED));
  /* Linux writes signo, errno, code, pid, uid and status alone (qemu also si_utime and si_stime, at 32 and 40). */
  printf("%-60s %d %d %d %#x %#x\n", "its code, status, pid is the child's, padding kept", si.si_code, si.si_status,
         si.si_pid == c, ((unsigned char *)&si)[12], ((unsigned char *)&si)[100]);
  c = fork();
  if (c == 0) _exit(8);
  show("wait4 to a bad status pointer", syscall(SYS_wait4, c, (void *)8, 0, 0) == c ? 0 : -1);
  show("wait4 again: the child was collected", syscall(SYS_wait4, c, 0, 0, 0));

  /* Signals queued to another process of the guest's (plume: ESRCH). */
  c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  /* Calls on another process of the guest's (plume: ESRCH). */
  struct rlimit rl;
  show("prlimit(child) read", prlimit(c, RLIMIT_NOFILE, 0, &rl));
  show("setpriority(child, 5)", setpriority(PRIO_PROCESS, c, 5));
  show("getpriority(child)", getpriority(PRIO_PROCESS, c));
  cpu_set_t cs;
  show("sched_getaffinity(child)", sched_getaffinity(c, sizeof cs, &cs));
  show("sched_getscheduler(child)", sched_getscheduler(c));
  union sigval sv = {.sival_int = 5};
  show("sigqueue(child, 0)", sigqueue(c, 0, sv));
  show("tkill(child, 0)", syscall(SYS_tkill, c, 0));
  /* A bad signal is EINVAL once the thread is found: tkill and tgkill look for it first. */
  show("tkill(child, 99)", syscall(SYS_tkill, c, 99));
  show("tgkill(child, child, -1)", syscall(SYS_tgkill, c, c, -1));
  show("tkill(a missing thread, 99)", syscall(SYS_tkill, 999999, 99));
  show("tgkill(child, a missing thread, 99)", syscall(SYS_tgkill, c, 999999, 99));
  show("tkill(0, 99)", syscall(SYS_tkill, 0, 99));
  show("tgkill(child, child, SIGTERM)", syscall(SYS_tgkill, c, c, SIGTERM));
  int status = 0;
  show("waitpid(child)", waitpid(c, &status, 0) == c ? 0 : -1);
  printf("%-60s %d\n", "the child ended by signal", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  show("tgkill(the collected child)", syscall(SYS_tgkill, c, c, SIGTERM));
  /* rt_sigqueueinfo reads the information first, then its origin, then looks for the process (plume: ESRCH, 0). */
  siginfo_t forged;
  memset(&forged, 0, sizeof forged);
  forged.si_code = SI_USER;
  show("rt_sigqueueinfo(a missing process, SI_USER)", syscall(SYS_rt_sigqueueinfo, 999999, SIGUSR1, &forged));
  show("rt_sigqueueinfo(itself, signal 0, no information)", syscall(SYS_rt_sigqueueinfo, getpid(), 0, 0));
  show("rt_tgsigqueueinfo(bad ids, no information)", syscall(SYS_rt_tgsigqueueinfo, 0, 0, SIGUSR1, 0));

  /* epoll sets in each other: a loop is ELOOP (plume recursed until its stack overflowed: internal error), and so
   * is a fifth level. */
  int e1 = epoll_create1(0), e2 = epoll_create1(0);
  struct epoll_event ee = {EPOLLIN, {.u64 = 0}};
  show("e2 in e1", epoll_ctl(e1, EPOLL_CTL_ADD, e2, &ee));
  show("e1 in e2: a loop", epoll_ctl(e2, EPOLL_CTL_ADD, e1, &ee));
  show("epoll_wait on e1", epoll_wait(e1, &ee, 1, 0));
  int chain[7];
  chain[0] = epoll_create1(0);
  for (int i = 1; i < 7; i++) {
    chain[i] = epoll_create1(0);
    char what[40];
    snprintf(what, sizeof what, "epoll set nested %d deep", i);
    show(what, epoll_ctl(chain[i], EPOLL_CTL_ADD, chain[i - 1], &ee));
  }
  show("e1 under the chain's top: too deep below", epoll_ctl(e1, EPOLL_CTL_ADD, chain[4], &ee));
  /* Level-triggered entries reported go to the back: a wait for one event at a time gets to them all. */
  int ring = epoll_create1(0), rp[3][2];
  for (int i = 0; i < 3; i++) {
    if (pipe(rp[i]) != 0) return 1;
    struct epoll_event r = {EPOLLIN, {.u64 = i}};
    epoll_ctl(ring, EPOLL_CTL_ADD, rp[i][0], &r);
    (void)!write(rp[i][1], "x", 1);
  }
  printf("%-60s", "one event at a time, four times:");
  for (int k = 0; k < 4; k++) {
    struct epoll_event r;
    printf(" %d", epoll_wait(ring, &r, 1, 0) == 1 ? (int)r.data.u64 : -1);
  }
  printf("\n");
  /* EPOLLEXCLUSIVE's rules, and the order of Linux's checks. */
  int xp[2];
  if (pipe(xp) != 0) return 1;
  ee.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  show("EPOLLEXCLUSIVE with EPOLLONESHOT", epoll_ctl(ring, EPOLL_CTL_ADD, xp[0], &ee));
  ee.events = EPOLLIN | EPOLLEXCLUSIVE;
  show("EPOLLEXCLUSIVE on an epoll set", epoll_ctl(ring, EPOLL_CTL_ADD, e2, &ee));
  show("EPOLLEXCLUSIVE", epoll_ctl(ring, EPOLL_CTL_ADD, xp[0], &ee));
  ee.events = EPOLLIN;
  show("EPOLL_CTL_MOD of an EPOLLEXCLUSIVE entry", epoll_ctl(ring, EPOLL_CTL_MOD, xp[0], &ee));
  show("epoll_ctl on a pipe of a closed descriptor", epoll_ctl(xp[0], EPOLL_CTL_ADD, 999, &ee));
  show("epoll_ctl on a pipe of a pipe", epoll_ctl(xp[0], EPOLL_CTL_ADD, xp[1], &ee));
  show("epoll_pwait of a closed descriptor for no events", syscall(SYS_epoll_pwait, 999, &ee, 0, 0, 0, 8));
  sigset_t none;
  sigemptyset(&none);
  show("epoll_pwait of a closed descriptor, sigset size 7", syscall(SYS_epoll_pwait, 999, &ee, 1, 0, &none, 7));
  show("epoll_ctl with an unknown op and no event", syscall(SYS_epoll_ctl, ring, 99, xp[0], 0));
  /* An entry modified while ready goes to the back, as one reported does. */
  struct epoll_event r0 = {EPOLLIN, {.u64 = 0}};
  show("EPOLL_CTL_MOD of entry 0, ready", epoll_ctl(ring, EPOLL_CTL_MOD, rp[0][0], &r0));
  printf("%-60s", "one event at a time, three times:");
  for (int k = 0; k < 3; k++) {
    struct epoll_event r;
    printf(" %d", epoll_wait(ring, &r, 1, 0) == 1 ? (int)r.data.u64 : -1);
  }
  printf("\n");
  /* Five levels of sets, each in every set of the level above (plume walked every path: minutes for this). */
  int level[5][12];
  for (int l = 0; l < 5; l++)
    for (int i = 0; i < 12; i++) level[l][i] = epoll_create1(0);
  int fails = 0;
  for (int l = 0; l < 4; l++)
    for (int i = 0; i < 12; i++)
      for (int j = 0; j < 12; j++) fails += epoll_ctl(level[l][i], EPOLL_CTL_ADD, level[l + 1][j], &ee) != 0;
  show("a tree of sets five levels deep: refusals", fails);
  show("a sixth level under it", epoll_ctl(level[4][0], EPOLL_CTL_ADD, e2, &ee));
  /* A set above may be held by another process only: the depth counts it (plume looked at the caller's alone). */
  int top[5];
  for (int i = 0; i < 5; i++) top[i] = epoll_create1(0);
  for (int i = 0; i < 3; i++) epoll_ctl(top[i], EPOLL_CTL_ADD, top[i + 1], &ee);
  int hold[2];
  if (pipe(hold) != 0) return 1;
  pid_t keeper = fork();
  if (keeper == 0) {
    char k;
    (void)!read(hold[0], &k, 1);
    _exit(0);
  }
  close(top[0]);
  int fifth = epoll_create1(0);
  show("a fourth level, the first held by a child alone", epoll_ctl(top[3], EPOLL_CTL_ADD, top[4], &ee));
  show("a fifth level under it", epoll_ctl(top[4], EPOLL_CTL_ADD, fifth, &ee));
  (void)!write(hold[1], "k", 1);
  waitpid(keeper, 0, 0);

  /* Files (a differential helper's findings, 2026-12-07); descriptor numbers are shown as 0, as qemu holds its own. */
  char fdir[] = "/tmp/plume-edges-files-XXXXXX";
  if (!mkdtemp(fdir)) return 1;
  char name[5][64];
  const char *names[5] = {"link", "target", "a", "b", "c"};
  for (int i = 0; i < 5; i++) snprintf(name[i], sizeof name[i], "%s/%s", fdir, names[i]);
  if (symlink("target", name[0]) != 0) return 1;
  char slashed[80];
  snprintf(slashed, sizeof slashed, "%s/", name[0]);
  /* plume made the directory the dangling link names. */
  show("mkdir of a dangling link, with a final slash", mkdir(slashed, 0755));
  show("access of the link's target after it", access(name[1], F_OK));
  int fa = open(name[2], O_CREAT | O_RDWR, 0644), fb = open(name[3], O_CREAT | O_WRONLY | O_APPEND, 0644);
  int fc = open(name[4], O_CREAT | O_WRONLY, 0644), fd = open(fdir, O_RDONLY | O_DIRECTORY);
  (void)!write(fa, "0123456789", 10);
  /* sendfile's own refusals (plume wrote, or read the directory). */
  off_t o = 0;
  show("sendfile into a file opened to append", sendfile(fb, fa, &o, 4));
  o = 0;
  show("sendfile of (size_t)-1 bytes", sendfile(fc, fa, &o, (size_t)-1));
  o = 0;
  show("sendfile from a directory", sendfile(fc, fd, &o, 4));
  int sp[2];
  if (pipe(sp) != 0) return 1;
  o = 0;
  show("sendfile from a pipe at an offset, to no descriptor", sendfile(999, sp[0], &o, 4));
  /* int arguments: Linux ignores the register's upper half (plume answered EINVAL). */
  long rv = syscall(SYS_fcntl, fa, F_DUPFD, (1L << 32) | 20);
  show("fcntl F_DUPFD with 2^32 + 20, at least 20", rv < 0 ? rv : rv >= 20 ? 0 : -1000);
  struct pollfd pf = {fa, POLLIN, 0};
  struct timespec z = {0, 0};
  show("ppoll of 2^32 + 1 descriptors", syscall(SYS_ppoll, &pf, (1L << 32) | 1, &z, NULL, 8));
  loff_t in = 0;
  show("copy_file_range with flags 2^32", syscall(SYS_copy_file_range, fa, &in, fc, NULL, 4, 1L << 32));
  /* A negative offset the count wraps past zero is EOVERFLOW, another EINVAL (plume: EINVAL for both). */
  in = -1;
  show("copy_file_range from offset -1", syscall(SYS_copy_file_range, fa, &in, fc, NULL, 4, 0));
  in = -100;
  show("copy_file_range from offset -100", syscall(SYS_copy_file_range, fa, &in, fc, NULL, 4, 0));
  in = 0;
  loff_t to = -2;
  show("copy_file_range to offset -2", syscall(SYS_copy_file_range, fa, &in, fc, &to, 4, 0));
  /* Per kind of file: O_ASYNC and FIOASYNC (only what can signal), O_DIRECT (not devices, sockets, directories,
   * procfs or anonymous inodes), FIONREAD (a regular file: its size less the offset, negative past the end). */
  int kinds[8], sk[2];
  const char *kind_names[8] = {"pipe", "socket", "eventfd", "epoll", "/dev/null", "/proc/self/status at 10",
                               "a file at 20 of 10", "a directory"};
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sk) != 0) return 1;
  kinds[0] = sp[0];
  kinds[1] = sk[0];
  kinds[2] = eventfd(0, 0);
  kinds[3] = epoll_create1(0);
  kinds[4] = open("/dev/null", O_RDWR);
  kinds[5] = open("/proc/self/status", O_RDONLY);
  kinds[6] = fa;
  kinds[7] = fd;
  char ten[10];
  (void)!read(kinds[5], ten, 10);
  lseek(fa, 20, SEEK_SET);
  for (int i = 0; i < 8; i++) {
    char what[100];
    int k = kinds[i], flags = fcntl(k, F_GETFL), on = 1, off = 0, n = 99;
    snprintf(what, sizeof what, "%s: F_SETFL O_ASYNC, then F_GETFL's", kind_names[i]);
    fcntl(k, F_SETFL, flags | O_ASYNC);
    show(what, (fcntl(k, F_GETFL) & O_ASYNC) != 0);
    fcntl(k, F_SETFL, flags);
    snprintf(what, sizeof what, "%s: FIOASYNC on, off", kind_names[i]);
    long r1 = ioctl(k, FIOASYNC, &on);
    show(what, r1 < 0 ? r1 : ioctl(k, FIOASYNC, &off));
    snprintf(what, sizeof what, "%s: F_SETFL O_DIRECT", kind_names[i]);
    show(what, fcntl(k, F_SETFL, flags | O_DIRECT));
    fcntl(k, F_SETFL, flags);
    snprintf(what, sizeof what, "%s: FIONREAD", kind_names[i]);
    if (ioctl(k, FIONREAD, &n) < 0) show(what, -1);
    else printf("%-60s %d\n", what, n);
  }
  /* A reviewing helper's cases: what has no offsets is ESPIPE before its range is judged; O_DIRECT is refused at open
   * where F_SETFL refuses it (plume opened /dev/null with it, then refused F_SETFL(F_GETFL | O_NONBLOCK)); a read past
   * the largest file is at its end; an appending write of nothing leaves the offset; a count that wraps a positive
   * offset is EOVERFLOW too; the random devices answer FIONREAD with EINVAL, an epoll set before its pointer. */
  show("pread of a pipe at 2^63-16", syscall(SYS_pread64, sp[0], ten, 8, 0x7ffffffffffffff0L));
  struct iovec nothing = {.iov_base = &one, .iov_len = 0};
  show("pwritev of an empty buffer to a pipe", syscall(SYS_pwritev, sp[1], &nothing, 1, 0, 0));
  show("preadv of a bad descriptor at offset -1", syscall(SYS_preadv, 999, &onev, 1, -1L, 0));
  show("open /dev/null O_DIRECT", open("/dev/null", O_RDONLY | O_DIRECT));
  int direct = open(name[2], O_RDONLY | O_DIRECT);
  show("F_SETFL(F_GETFL | O_NONBLOCK) of a file opened O_DIRECT",
       direct < 0 ? direct : fcntl(direct, F_SETFL, fcntl(direct, F_GETFL) | O_NONBLOCK));
  show("pread at 2^44", syscall(SYS_pread64, fa, ten, 1, 1L << 44));
  int app = open(name[2], O_WRONLY | O_APPEND);
  (void)!write(app, ten, 0);
  show("an appending write of nothing: the offset", lseek(app, 0, SEEK_CUR));
  in = 10;
  show("copy_file_range of (size_t)-1 bytes from offset 10", syscall(SYS_copy_file_range, fa, &in, fc, NULL, -1L, 0));
  int rnd = open("/dev/urandom", O_RDONLY), nr = 0;
  show("FIONREAD of /dev/urandom", ioctl(rnd, FIONREAD, &nr));
  show("FIONREAD of an epoll set into a bad pointer", ioctl(kinds[3], FIONREAD, (int *)8));
  /* A second helper's cases: getrandom fills up to MAX_RW_COUNT (plume stopped at 32 MiB - 1); a wait for "clone"
   * children sees no forked one; sched_getparam refuses a null pointer first; an eventfd takes any seek; a file
   * mapping at a negative offset overflows. */
  size_t want = 64 << 20;
  char *lots = malloc(want);
  show("getrandom of 64 MiB", lots ? syscall(SYS_getrandom, lots, want, 0) : -1);
  free(lots);
  pid_t kid = fork();
  if (kid == 0) _exit(0);
  usleep(100000);
  int kst;
  show("wait4 with __WCLONE | WNOHANG for a forked child", wait4(kid, &kst, __WCLONE | WNOHANG, NULL));
  show("wait4 with __WALL for it", wait4(kid, &kst, __WALL, NULL) == kid ? 0 : -1);
  show("sched_getparam of no structure", syscall(SYS_sched_getparam, 0, NULL));
  show("lseek of an eventfd", lseek(kinds[2], 5, SEEK_SET));
  show("mmap of a file at offset -4096", (long)mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fa, -4096));
  /* A shared mapping of a file opened read-only cannot become writable (plume allowed it; the writes were lost). */
  int ro = open(name[2], O_RDONLY);
  char *shared_ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
  show("mprotect PROT_WRITE of a shared mapping of a read-only descriptor",
       shared_ro == MAP_FAILED ? -1 : mprotect(shared_ro, 4096, PROT_READ | PROT_WRITE));
  char *private_ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
  show("mprotect PROT_WRITE of a private one", private_ro == MAP_FAILED ? -1 : mprotect(private_ro, 4096, PROT_WRITE));
  /* Hostile sizes and offsets: a 2 GiB random fill into a page, copies at 2^63-16 (past what plume passes on exactly),
   * a read at 2^53+1 (rounded, it read elsewhere). */
  char page[4096];
  show("getrandom of 2 GiB into a page", syscall(SYS_getrandom, page, 0x7ffff000L, 0));
  in = 0x7ffffffffffffff0LL;
  show("copy_file_range of 32 bytes from 2^63-16", syscall(SYS_copy_file_range, fa, &in, fc, NULL, 32, 0));
  in = 0, to = 0x7ffffffffffffff0LL;
  show("copy_file_range of 6 bytes to 2^63-16", syscall(SYS_copy_file_range, fa, &in, fc, &to, 6, 0));
  show("pread at 2^53+1", pread(fa, page, 1, (1LL << 53) + 1));
  /* /proc/self/maps names the program by its absolute path, however it was run (plume: as typed, ./prog). */
  char maps[512] = {0};
  int mf = open("/proc/self/maps", O_RDONLY);
  (void)!read(mf, maps, sizeof maps - 1);
  close(mf);
  char *eol = strchr(maps, '\n'), *slash = eol ? memchr(maps, '/', eol - maps) : NULL;
  if (eol) *eol = 0;
  printf("%-60s %d\n", "the first mapping's name is an absolute path to this program",
         slash != NULL && strlen(slash) > 14 && strcmp(slash + strlen(slash) - 14, "/syscall_edges") == 0);
  /* open's flags as Linux takes them before the path: O_TMPFILE's rules, O_PATH's companions only. */
  show("open O_TMPFILE read-only", open(fdir, O_TMPFILE | O_RDONLY, 0600));
  show("open O_TMPFILE | O_CREAT", open(fdir, O_TMPFILE | O_CREAT | O_RDWR, 0600));
  show("open of a file with every flag (O_PATH keeps O_DIRECTORY)", syscall(SYS_openat, AT_FDCWD, name[2], -1, 0));
  rv = syscall(SYS_openat, AT_FDCWD, fdir, O_PATH | O_TMPFILE | O_RDWR, 0);
  show("open O_PATH | O_TMPFILE | O_RDWR of a directory", rv < 0 ? rv : 0);
  /* mknod of no file type is EINVAL (plume: EPERM); fstatat takes statx's synchronisation flags (plume: EINVAL). */
  show("mknod of file type 0170000", mknod(name[3], 0170000 | 0644, 0));
  show("fstatat with AT_STATX_DONT_SYNC", fstatat(AT_FDCWD, name[2], &st, AT_STATX_DONT_SYNC));
  /* /proc/self/mem is the program's own memory (plume: the host's file of that name, Deno's memory, where a write
     killed plume): read and written at its addresses, a read-only page written all the same, a hole EIO. */
  static volatile long secret = 0x1122334455667788;
  int pm = open("/proc/self/mem", O_RDWR);
  long got = 0, put = 0x55;
  show("pread of a variable through /proc/self/mem", pread(pm, &got, 8, (long)&secret));
  printf("%-60s %lx\n", "its value", got);
  show("pwrite of it", pwrite(pm, &put, 8, (long)&secret));
  printf("%-60s %lx\n", "its value now", (long)secret);
  char *rop = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(rop + 4096, 4096);
  show("pwrite into a read-only page (forced)", pwrite(pm, &put, 1, (long)rop));
  printf("%-60s %d\n", "the page's first byte", rop[0]);
  show("pread across the page's end into a hole", pread(pm, page, 16, (long)rop + 4088));
  show("pread from the hole", pread(pm, page, 8, (long)rop + 4096));
  show("pwrite to the hole", pwrite(pm, &put, 8, (long)rop + 4096));
  close(pm);
  munmap(rop, 4096);
  /* A new process whose end would send its parent signal 100 (plume: an internal error at the child's end). */
  long cl = syscall(SYS_clone, 100, 0, 0, 0, 0);
  if (cl == 0) _exit(0);
  if (cl > 0) waitpid(cl, NULL, __WALL);
  show("clone of a process with exit signal 100", cl > 0 ? 0 : cl);
  for (int i = 0; i < 5; i++) unlink(name[i]);
  rmdir(name[1]);
  rmdir(fdir);
  return 0;
}
