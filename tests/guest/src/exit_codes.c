/* Exit status selected by argv: `exit_codes STATUS [how]` where how is
 * exit (default), return, _exit (skips stdio flushing: the buffered line is
 * lost on purpose), atexit (a handler prints, then the status stands) or
 * exit_group (raw syscall). The status is taken modulo 256 like the kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_exit_handler(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv) {
  int status = argc > 1 ? atoi(argv[1]) : 0;
  const char *how = argc > 2 ? argv[2] : "exit";
  printf("exiting with %d via %s\n", status, how);
  if (strcmp(how, "return") == 0) return status;
  if (strcmp(how, "_exit") == 0) _exit(status);
  if (strcmp(how, "exit_group") == 0) {
    fflush(stdout);
    syscall(SYS_exit_group, status);
  }
  if (strcmp(how, "atexit") == 0) atexit(on_exit_handler);
  exit(status);
}
