/*
 * Runs a command with statx(2) refused: deny_statx ERRNO COMMAND ARGS...
 * installs a seccomp filter that fails every statx call with ERRNO, as some
 * container profiles did (EPERM) and old kernels do (ENOSYS), then executes
 * COMMAND. Built with the host's gcc by tests/host_statx_test.ts.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: deny_statx ERRNO COMMAND ARGS...\n");
    return 2;
  }
  int err = atoi(argv[1]);
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_statx, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("deny_statx: seccomp");
    return 2;
  }
  execvp(argv[2], argv + 2);
  perror("deny_statx: exec");
  return 2;
}
