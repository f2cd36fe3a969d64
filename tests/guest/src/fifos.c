/*
 * Named FIFOs, compared with qemu-riscv64: mkfifo and mknod(S_IFIFO) with
 * the umask, the opens that wait for the other end (a reader for a later
 * writer and a writer for a later reader, each in another process), the
 * non-blocking opens (ENXIO for a writer alone, end of file for a reader
 * alone), O_RDWR, readiness (poll, select, FIONREAD), 200 KB through one
 * with blocking writes, five writers let in by one reader (and one by a
 * non-blocking reader at once), EMFILE before a wait, a writer waiting
 * on a FIFO renamed and replaced by a regular file, O_DIRECT, sendfile from a
 * FIFO, fsync, F_GETPIPE_SZ and F_SETPIPE_SZ, flock, EPIPE once the reader is
 * gone, fstat, fchmod, a reopen through /proc/self/fd, a signal that
 * interrupts an open waiting for a writer, and truncate (EINVAL). Usage:
 * fifos DIR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[4096];

static void show(const char *what, long r) {
  printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static void on_alarm(int sig) { (void)sig; }

/* Reads until end of file; returns the byte count and a checksum of the bytes. */
static long drain(int fd, unsigned *sum) {
  char buf[3000];
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? -1 : total;
    for (ssize_t i = 0; i < n; i++) *sum = *sum * 31 + (unsigned char)buf[i];
    total += n;
  }
}

static void fill(int fd, long count) {
  static char buf[70000];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7 + 3);
  while (count > 0) {
    ssize_t n = write(fd, buf, count < (long)sizeof buf ? (size_t)count : sizeof buf);
    if (n <= 0) { perror("write"); exit(2); }
    count -= n;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return 1;
  snprintf(path, sizeof path, "%s/fifo", argv[1]);
  char other[4096];
  snprintf(other, sizeof other, "%s/node", argv[1]);
  umask(027);
  show("mkfifo", mkfifo(path, 0666));
  struct stat st;
  stat(path, &st);
  printf("mode %o fifo %d\n", st.st_mode & 07777, S_ISFIFO(st.st_mode));
  show("mkfifo again", mkfifo(path, 0666));
  show("mknod S_IFIFO", mknod(other, S_IFIFO | 0600, 0));
  stat(other, &st);
  printf("mode %o fifo %d\n", st.st_mode & 07777, S_ISFIFO(st.st_mode));
  unlink(other);

  /* Alone: a writer that will not wait is ENXIO; a reader that will not wait opens, and reads end of file. */
  show("open write nonblocking, no reader", open(path, O_WRONLY | O_NONBLOCK));
  int r = open(path, O_RDONLY | O_NONBLOCK);
  show("open read nonblocking", r >= 0);
  char buf[64];
  show("read with no writer", read(r, buf, sizeof buf));
  int w = open(path, O_WRONLY | O_NONBLOCK);
  show("open write nonblocking, a reader there", w >= 0);
  show("read, a writer there, nothing written", read(r, buf, sizeof buf));
  show("write", write(w, "hello", 5));
  int avail = -1;
  ioctl(r, FIONREAD, &avail);
  printf("FIONREAD %d\n", avail);
  struct pollfd p = { r, POLLIN, 0 };
  show("poll reader", poll(&p, 1, 0));
  printf("revents %#x\n", p.revents);
  fd_set set;
  FD_ZERO(&set);
  FD_SET(r, &set);
  struct timeval tv = { 0, 0 };
  show("select reader", select(r + 1, &set, NULL, NULL, &tv));
  show("read", read(r, buf, sizeof buf));
  fstat(w, &st);
  printf("fstat fifo %d size %ld\n", S_ISFIFO(st.st_mode), (long)st.st_size);
  close(w);
  p.revents = 0;
  poll(&p, 1, 0);
  printf("after the writer closed: revents %#x\n", p.revents);
  show("read after the writer closed", read(r, buf, sizeof buf));
  close(r);

  /* O_RDWR never waits: its own writes come back. */
  int rw = open(path, O_RDWR);
  show("open read-write", rw >= 0);
  show("write", write(rw, "both", 4));
  show("read", read(rw, buf, sizeof buf));
  /* By its descriptor: fchmod, and an open of /proc/self/fd/N, which opens the FIFO again (a writer is there). */
  show("fchmod", fchmod(rw, 0600));
  fstat(rw, &st);
  printf("mode %o\n", st.st_mode & 07777);
  write(rw, "again", 5);
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", rw);
  int again = open(self, O_RDONLY);
  show("open /proc/self/fd/N", again >= 0);
  show("read it", read(again, buf, sizeof buf));
  close(again);
  close(rw);

  /* A reader waits for a writer that comes later (another process); 200 KB in blocking writes. */
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(50000);
    int fd = open(path, O_WRONLY);
    if (fd < 0) _exit(3);
    fill(fd, 200000);
    _exit(0);
  }
  r = open(path, O_RDONLY);
  show("open read, waited for the writer", r >= 0);
  unsigned sum = 0;
  long got = drain(r, &sum);
  printf("read %ld bytes, sum %u\n", got, sum);
  close(r);
  int status;
  waitpid(pid, &status, 0);
  printf("writer status %d\n", WEXITSTATUS(status));

  /* A writer waits for a reader that comes later. */
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    usleep(50000);
    int fd = open(path, O_RDONLY);
    if (fd < 0) _exit(3);
    unsigned s = 0;
    long n = drain(fd, &s);
    printf("child read %ld bytes, sum %u\n", n, s);
    fflush(stdout);
    _exit(0);
  }
  w = open(path, O_WRONLY);
  show("open write, waited for the reader", w >= 0);
  fill(w, 100000);
  close(w);
  waitpid(pid, &status, 0);
  printf("reader status %d\n", WEXITSTATUS(status));

  /* Five writers wait in open; one reader's open lets them all in, and it reads every line. */
  fflush(stdout);
  for (int i = 0; i < 5; i++) {
    if (fork() == 0) {
      int fd = open(path, O_WRONLY);
      char line[8];
      snprintf(line, sizeof line, "w%d\n", i);
      write(fd, line, 3);
      _exit(fd < 0);
    }
  }
  usleep(100000);
  r = open(path, O_RDONLY);
  sum = 0;
  printf("five writers: %ld bytes\n", drain(r, &sum));
  close(r);
  while (wait(&status) > 0) {}

  /* A reader of the run's own lets a waiting writer in at once: a read then waits for its data (EAGAIN), it does
     not see end of file. */
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    int fd = open(path, O_WRONLY);
    usleep(100000);
    write(fd, "late", 4);
    _exit(fd < 0);
  }
  usleep(100000);
  r = open(path, O_RDONLY | O_NONBLOCK);
  show("read at once, a writer waiting", read(r, buf, sizeof buf));
  waitpid(pid, &status, 0);
  show("read after it wrote", read(r, buf, sizeof buf));
  close(r);

  /* With the descriptor table full, an open that would wait is EMFILE at once. */
  struct rlimit rl, few;
  getrlimit(RLIMIT_NOFILE, &rl);
  few = rl;
  few.rlim_cur = 3;
  setrlimit(RLIMIT_NOFILE, &few);
  show("open for writing, table full", open(path, O_WRONLY));
  show("open for reading, table full", open(path, O_RDONLY));
  setrlimit(RLIMIT_NOFILE, &rl);

  /* A writer waits on the FIFO itself: renamed away and replaced by a regular file, it is still the one opened. */
  char moved[4096];
  snprintf(moved, sizeof moved, "%s/moved", argv[1]);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    int fd = open(path, O_WRONLY);
    write(fd, "to the fifo", 11);
    _exit(fd < 0);
  }
  usleep(100000);
  rename(path, moved);
  int reg = open(path, O_CREAT | O_RDWR, 0600);
  r = open(moved, O_RDONLY);
  show("read the renamed fifo", read(r, buf, sizeof buf));
  waitpid(pid, &status, 0);
  fstat(reg, &st);
  printf("the regular file in its place: %ld bytes\n", (long)st.st_size);
  close(r);
  close(reg);
  unlink(path);
  rename(moved, path);

  /* What a FIFO refuses or answers: O_DIRECT, sendfile from it, fsync, and its pipe size, which can change. */
  show("open O_DIRECT", open(path, O_RDONLY | O_NONBLOCK | O_DIRECT));
  r = open(path, O_RDONLY | O_NONBLOCK);
  w = open(path, O_WRONLY | O_NONBLOCK);
  show("sendfile from it", sendfile(w, r, NULL, 10));
  off_t at = 0;
  show("sendfile from it at an offset", sendfile(w, r, &at, 10));
  show("fsync", fsync(w));
  show("F_GETPIPE_SZ", fcntl(r, F_GETPIPE_SZ));
  show("F_SETPIPE_SZ 8192", fcntl(w, F_SETPIPE_SZ, 8192));
  show("F_GETPIPE_SZ", fcntl(r, F_GETPIPE_SZ));
  /* flock is the FIFO's, whichever open takes it. */
  show("flock", flock(r, LOCK_EX | LOCK_NB));
  show("flock by another open", flock(w, LOCK_EX | LOCK_NB));
  close(r);
  close(w);

  /* The reader goes away: EPIPE (SIGPIPE ignored). */
  signal(SIGPIPE, SIG_IGN);
  r = open(path, O_RDONLY | O_NONBLOCK);
  w = open(path, O_WRONLY);
  close(r);
  show("write with no reader", write(w, "x", 1));
  close(w);

  /* A signal ends an open that waits for a writer (no SA_RESTART): EINTR. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(200000, 0);
  show("open read interrupted", open(path, O_RDONLY));
  /* truncate takes regular files only: a FIFO is EINVAL (it is not opened, which would wait for a reader). */
  show("truncate", truncate(path, 0));
  show("unlink", unlink(path));
  return 0;
}
