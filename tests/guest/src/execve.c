/* execve(2): replacing the process image, and the ways it fails.
 *
 * Usage: execve MODE [DIR]
 *   run DIR     sets up descriptors (one close-on-exec), signal dispositions
 *               (a handler, an ignored signal), a blocked signal and a thread,
 *               then execs itself as `execve child …` with a new environment;
 *               the child prints what it inherited and exits with status 7
 *   script DIR  writes a `#!` script whose interpreter is this program and execs it:
 *               the child sees the interpreter, its argument and the script's path
 *   errors DIR  execve of what cannot run: ENOENT, EACCES (directory, no x bit),
 *               ENOEXEC (text without #!, an ELF for another machine), ENAMETOOLONG;
 *               nothing changes in the caller (exit status 0)
 *   fork        fork + execve and posix_spawn of this program (and of nothing);
 *               the children report and end with status 9
 *
 * run, script and fork need an emulator that runs RV64 programs from execve (plume;
 * qemu-user without binfmt_misc fails them with ENOEXEC). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int failures;
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static void on_usr1(int sig) { (void)sig; }

static const char *self(void) {
  static char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  path[n > 0 ? n : 0] = 0;
  return path;
}

static void *idle_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int child(int argc, char **argv) {
  printf("child: argc %d:", argc);
  for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
  printf("\n");
  const char *v = getenv("PLUME_EXEC");
  printf("child: PLUME_EXEC=%s, HOME %s\n", v ? v : "(unset)", getenv("HOME") ? "set" : "unset");
  check(fcntl(5, F_GETFD) == 0, "descriptor 5 (no FD_CLOEXEC) is still open");
  check(fcntl(6, F_GETFD) == -1 && errno == EBADF, "descriptor 6 (FD_CLOEXEC) was closed");
  char buf[16] = {0};
  check(pread(5, buf, 5, 0) == 5 && strcmp(buf, "hello") == 0, "the open file reads as before");
  struct sigaction sa;
  sigaction(SIGUSR1, NULL, &sa);
  check(sa.sa_handler == SIG_DFL, "a caught signal is back to SIG_DFL");
  sigaction(SIGUSR2, NULL, &sa);
  check(sa.sa_handler == SIG_IGN, "an ignored signal stays ignored");
  sigset_t mask;
  sigprocmask(SIG_SETMASK, NULL, &mask);
  check(sigismember(&mask, SIGTERM), "the blocked mask is kept");
  check(getpid() == gettid(), "the process runs on one thread, with the pid as its tid");
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  check(strstr(exe, "execve") != NULL, "/proc/self/exe is the new program");
  printf("child: %d failure(s)\n", failures);
  return failures ? 1 : 7;
}

static void run(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (write(fd, "hello", 5) != 5) perror("write");
  dup2(fd, 5);
  dup3(fd, 6, O_CLOEXEC);
  close(fd);
  signal(SIGUSR1, on_usr1);
  signal(SIGUSR2, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  pthread_t t;
  pthread_create(&t, NULL, idle_thread, NULL);
  char *argv[] = {"execve", "child", "two words", "", NULL};
  char *envp[] = {"PLUME_EXEC=yes", NULL};
  printf("parent: exec\n");
  fflush(stdout);
  execve(self(), argv, envp);
  perror("execve");
  exit(1);
}

/* Writes `text` to DIR/NAME with `mode`; `path` gets the file's path. */
static void write_file(char *path, size_t size, const char *dir, const char *name, const char *text, mode_t mode) {
  snprintf(path, size, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  chmod(path, mode);
}

static void script(const char *dir) {
  char path[4096], text[4200];
  snprintf(text, sizeof text, "#!%s child-from-script\nthis line is not read\n", self());
  write_file(path, sizeof path, dir, "script", text, 0755);
  char *argv[] = {"script-name", "arg1", NULL};
  printf("parent: exec %s\n", "script");
  fflush(stdout);
  /* By a relative name: the interpreter gets the script's name as given (Linux's bprm->filename). */
  if (chdir(dir) != 0) perror("chdir");
  execve("./script", argv, environ);
  perror("execve");
  exit(1);
}

static void expect_errno(const char *path, int want, const char *what) {
  char *argv[] = {"x", NULL};
  errno = 0;
  int r = execve(path, argv, environ);
  int e = errno;
  printf("%s %s: %s\n", r == -1 && e == want ? "ok  " : "FAIL", what, strerror(e));
  if (!(r == -1 && e == want)) failures++;
}

static void errors(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/missing", dir);
  expect_errno(path, ENOENT, "a missing file");
  expect_errno(dir, EACCES, "a directory");
  write_file(path, sizeof path, dir, "noexec", "#!/bin/sh\necho hi\n", 0644);
  expect_errno(path, EACCES, "a file without execute permission");
  write_file(path, sizeof path, dir, "text", "just some text, not a program\n", 0755);
  expect_errno(path, ENOEXEC, "an executable text file without #!");
  /* An ELF header for a machine nobody here runs (EM_S390). */
  snprintf(path, sizeof path, "%s/foreign", dir);
  unsigned char elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  elf[16] = 2;  /* ET_EXEC */
  elf[18] = 22; /* EM_S390 */
  elf[20] = 1;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (write(fd, elf, sizeof elf) != (ssize_t)sizeof elf) perror("write");
  close(fd);
  expect_errno(path, ENOEXEC, "an ELF file for another machine");
  char longname[5000];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  expect_errno(longname, ENAMETOOLONG, "a path longer than PATH_MAX");
  snprintf(path, sizeof path, "%s/text/below", dir);
  expect_errno(path, ENOTDIR, "a path through a file");
  /* #! lines Linux cannot parse: no interpreter, or one running past the 256 bytes it reads */
  write_file(path, sizeof path, dir, "empty-shebang", "#!\necho hi\n", 0755);
  expect_errno(path, ENOEXEC, "a #! line without an interpreter");
  char line[320] = "#!/";
  memset(line + 3, 'x', 300);
  strcpy(line + 303, "\necho hi\n");
  write_file(path, sizeof path, dir, "long-shebang", line, 0755);
  expect_errno(path, ENOEXEC, "a #! interpreter longer than the line Linux reads");
  /* Arguments larger than Linux takes: 40,000 pointers to one 128 KiB string (plume read them all into 5 GB of
   * strings before it counted, and ended) */
  static char big[128 * 1024];
  memset(big, 'a', sizeof big - 1);
  char **many = calloc(40001, sizeof *many);
  for (int i = 0; i < 40000; i++) many[i] = big;
  errno = 0;
  int r = execve("/bin/true", many, environ), e = errno;
  printf("%s too many bytes of arguments: %s\n", r == -1 && e == E2BIG ? "ok  " : "FAIL", strerror(e));
  if (!(r == -1 && e == E2BIG)) failures++;
  free(many);
  printf("errors: %d failure(s)\n", failures);
  exit(failures != 0);
}

static void forks(void) {
  int st;
  pid_t p = fork();
  if (p == 0) {
    execl("/proc/self/exe", "execve", "spawned", "fork", (char *)NULL);
    _exit(127);
  }
  check(p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 9,
        "fork + execve: the child ran this program again (status 9)");
  pid_t child;
  char *argv[] = {"execve", "spawned", "posix_spawn", NULL};
  int r = posix_spawn(&child, "/proc/self/exe", NULL, NULL, argv, environ);
  check(r == 0 && waitpid(child, &st, 0) == child && WEXITSTATUS(st) == 9, "posix_spawn: status 9");
  /* glibc's child reports a failed execve through memory it shares with the parent under vfork; plume gives a
   * vfork child a copy, so the failure shows as the child's status 127 instead of posix_spawn's ENOENT. */
  char *none[] = {"none", NULL};
  r = posix_spawn(&child, "/nonexistent/program", NULL, NULL, none, environ);
  check((r == 0 && waitpid(child, &st, 0) == child && WEXITSTATUS(st) == 127) || r == ENOENT,
        "posix_spawn of nothing: ENOENT or status 127");
  check(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "no child left to wait for");
  printf("fork: %d failure(s)\n", failures);
  exit(failures != 0);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "child") == 0) return child(argc, argv);
  if (strcmp(mode, "spawned") == 0) {
    printf("spawned by %s, a process of its own: %d\n", argc > 2 ? argv[2] : "?", getppid() != getpid());
    return 9;
  }
  if (strcmp(mode, "child-from-script") == 0) {
    printf("script child: argc %d:", argc);
    for (int i = 1; i < argc; i++) printf(" [%s]", strstr(argv[i], "/script") && argv[i][0] == '/' ? "DIR/script" : argv[i]);
    printf("\n");
    return 0;
  }
  if (strcmp(mode, "run") == 0 && argc > 2) run(argv[2]);
  if (strcmp(mode, "script") == 0 && argc > 2) script(argv[2]);
  if (strcmp(mode, "errors") == 0 && argc > 2) errors(argv[2]);
  if (strcmp(mode, "fork") == 0) forks();
  fprintf(stderr, "usage: execve run|script|errors DIR | fork\n");
  return 2;
}
