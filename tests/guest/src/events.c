/* eventfd and epoll between threads: counters and semaphores, blocking and
 * non-blocking reads, epoll's interest list (add, modify, delete,
 * one-shot), waits with and without timeouts woken by another thread,
 * nested epoll, refusal of regular files, descriptors closed while watched.
 *
 * Usage: events DIR (a writable directory); exit status 0, 1 if a check fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int failures;
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static int efd, pipefd[2];

static void *poster(void *arg) {
  (void)arg;
  struct timespec ts = {0, 10 * 1000 * 1000};
  nanosleep(&ts, NULL);
  uint64_t one = 5;
  if (write(efd, &one, 8) != 8) perror("write eventfd");
  nanosleep(&ts, NULL);
  if (write(pipefd[1], "pipe!", 5) != 5) perror("write pipe");
  return NULL;
}

static void eventfds(void) {
  int e = eventfd(2, EFD_CLOEXEC);
  uint64_t v = 3;
  check(write(e, &v, 8) == 8, "eventfd write adds");
  check(read(e, &v, 8) == 8 && v == 5, "eventfd read takes the whole count");
  int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  int n = 0;
  while (read(s, &v, 8) == 8) n += (int)v;
  check(n == 3 && errno == EAGAIN, "EFD_SEMAPHORE: three reads of 1, then EAGAIN");
  check(read(s, &v, 4) == -1 && errno == EINVAL, "a read shorter than 8 bytes: EINVAL");
  v = UINT64_MAX;
  check(write(s, &v, 8) == -1 && errno == EINVAL, "writing 2^64-1: EINVAL");
  close(e);
  close(s);
}

static void epolls(const char *dir) {
  efd = eventfd(0, 0);
  if (pipe2(pipefd, O_CLOEXEC) != 0) perror("pipe2");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1111222233334444ull};
  check(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0, "epoll_ctl add eventfd");
  ev.data.u64 = 77;
  check(epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev) == 0, "epoll_ctl add pipe");
  check(epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev) == -1 && errno == EEXIST, "adding twice: EEXIST");
  struct epoll_event out[4];
  check(epoll_wait(ep, out, 4, 0) == 0, "nothing ready yet");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  check(epoll_wait(ep, out, 4, 15) == 0, "a 15 ms wait times out");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  check(ms >= 14, "the timeout took its time");

  pthread_t t;
  pthread_create(&t, NULL, poster, NULL);
  uint64_t v;
  check(read(efd, &v, 8) == 8 && v == 5, "a blocking eventfd read waits for another thread's write");
  int n = epoll_wait(ep, out, 4, -1);
  check(n == 1 && out[0].data.u64 == 77 && (out[0].events & EPOLLIN), "epoll_wait wakes for the pipe, with its data");
  pthread_join(t, NULL);
  char buf[8];
  check(read(pipefd[0], buf, 8) == 5, "the pipe has the bytes");

  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = 0xabcdef;
  check(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) == 0, "epoll_ctl mod to one-shot");
  v = 1;
  if (write(efd, &v, 8) != 8) perror("write");
  n = epoll_wait(ep, out, 4, 0);
  check(n == 1 && out[0].data.u64 == 0xabcdef, "one-shot reported once");
  check(epoll_wait(ep, out, 4, 0) == 0, "then disabled while still readable");
  check(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) == 0 && epoll_wait(ep, out, 4, 0) == 1, "re-armed by mod");

  epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev); /* armed again, and the eventfd is still readable */
  int inner = epoll_create1(0);
  struct epoll_event iev = {.events = EPOLLIN, .data.u64 = 9};
  epoll_ctl(inner, EPOLL_CTL_ADD, ep, &iev);
  check(epoll_wait(inner, out, 4, 0) == 1 && out[0].data.u64 == 9, "a nested epoll is readable when its set is");

  check(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL) == 0, "epoll_ctl del");
  check(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL) == -1 && errno == ENOENT, "del twice: ENOENT");
  check(epoll_wait(ep, out, 4, 0) == 0, "a deleted descriptor is not reported");

  char path[4096];
  snprintf(path, sizeof path, "%s/plain", dir);
  int f = open(path, O_RDWR | O_CREAT, 0644);
  check(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev) == -1 && errno == EPERM, "a regular file: EPERM");
  check(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL, "an epoll watching itself: EINVAL");
  check(epoll_wait(ep, out, 0, 0) == -1 && errno == EINVAL, "maxevents 0: EINVAL");
  check(epoll_wait(f, out, 1, 0) == -1 && errno == EINVAL, "epoll_wait on a file: EINVAL");

  close(pipefd[1]);
  n = epoll_wait(ep, out, 4, 0);
  check(n == 1 && (out[0].events & EPOLLHUP), "a pipe whose writer closed reports EPOLLHUP");
  close(f);
  close(inner);
  close(ep);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: events DIR\n");
    return 2;
  }
  eventfds();
  epolls(argv[1]);
  printf("events: %d failure(s)\n", failures);
  return failures != 0;
}
