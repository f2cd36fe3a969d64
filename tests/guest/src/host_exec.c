/* Programs of the host run from the guest, as qemu-user runs them (it hands
 * execve to the host): system() and popen() start the host's /bin/sh. Reads
 * and writes through popen's pipe (also by a reader that polls it without
 * blocking), output redirected to a file, a command
 * killed by a signal, a missing command, and a forked child that redirects
 * its stdout and execs a host program.
 *
 * Usage: host_exec DIR (a scratch directory) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

int main(int argc, char **argv) {
  if (argc < 2 || chdir(argv[1]) != 0) {
    fprintf(stderr, "usage: host_exec DIR\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IONBF, 0);

  FILE *w = popen("tr a-z A-Z; echo tr-done", "w");
  fprintf(w, "written by the guest\n");
  check(pclose(w) == 0, "popen for writing: the command read it all");

  FILE *r = popen("printf 'one\\ntwo\\n'; exit 4", "r");
  char line[64];
  int lines = 0;
  while (fgets(line, sizeof line, r)) {
    printf("read: %s", line);
    lines++;
  }
  int st = pclose(r);
  check(lines == 2 && WIFEXITED(st) && WEXITSTATUS(st) == 4, "popen for reading: two lines, status 4");

  /* More than a pipe holds, read only after the command has written it all: plume dropped what the pipe had no room
   * for (and the command died of SIGPIPE) once pipes held 64 KiB */
  r = popen("head -c 300000 /dev/zero", "r");
  sleep(1);
  static char big[4096];
  long total = 0;
  size_t got_now;
  while ((got_now = fread(big, 1, sizeof big, r)) > 0) total += (long)got_now;
  st = pclose(r);
  check(total == 300000 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "popen for reading: 300,000 bytes, read late");

  /* A reader that never blocks: it polls popen's pipe while the command runs. */
  r = popen("echo polled", "r");
  int fd = fileno(r);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  char got[64] = {0};
  ssize_t n;
  while ((n = read(fd, got, sizeof got - 1)) < 0 && errno == EAGAIN) {
  }
  check(n > 0 && strcmp(got, "polled\n") == 0 && pclose(r) == 0, "a non-blocking reader polling the pipe");

  st = system("echo to-file > out.txt; cat out.txt");
  check(st == 0, "system: a redirection and a second command");
  st = system("kill -TERM $$");
  check(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "system: a command killed by SIGTERM");
  st = system("/nonexistent/command 2>/dev/null");
  check(WIFEXITED(st) && WEXITSTATUS(st) == 127, "system: a missing command, status 127");

  pid_t p = fork();
  if (p == 0) {
    int fd = open("child.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    execlp("echo", "echo", "from a forked child", (char *)NULL);
    _exit(127);
  }
  check(waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork + execlp of a host program");
  char buf[64] = {0};
  fd = open("child.txt", O_RDONLY);
  read(fd, buf, sizeof buf - 1);
  close(fd);
  check(strcmp(buf, "from a forked child\n") == 0, "its output went to the file");
  printf("host_exec: %d failure(s)\n", failures);
  return failures != 0;
}
