/* Processes for comparing plugins that follow forks with qemu-riscv64's:
 * three children made one after another with fork (the second forks a
 * grandchild), a vfork child, and a child that kills itself with SIGKILL.
 * The parent waits for each before it goes on and prints its status, so
 * processes end in one order under any emulator and their plugin reports
 * are printed in that order; nothing depends on pids or timing, so every
 * process runs the same instructions and system calls under both. Tiny
 * runtime (static-pie), so that no C library start-up differs. */
#include "lib/out.h"

#define SIGCHLD 17
#define SIGKILL 9
#define CLONE_VM 0x100
#define CLONE_VFORK 0x4000

static long sys(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a3 __asm__("a3") = 0;
  register long a4 __asm__("a4") = 0;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
  return a0;
}

static long fork_(void) { return sys(220, SIGCHLD, 0, 0); }

/* The child's status as wait4 gives it (SIGCHLD is not caught: the wait is never interrupted). */
static int wait_(long pid) {
  int status = 0;
  sys(260, pid, (long)&status, 0);
  return status;
}

static uint64_t work(uint64_t n, uint64_t h) {
  for (uint64_t i = 0; i < n; i++) h = (h ^ i) * 0x100000001b3ull;
  return h;
}

static void report(const char *who, int status) {
  out_str(who);
  if (status & 0x7f) {
    out_str(" killed by signal ");
    out_u64((uint64_t)(status & 0x7f));
  } else {
    out_str(" exited with ");
    out_u64((uint64_t)((status >> 8) & 0xff));
  }
  out_char('\n');
  out_flush();
}

int main(void) {
  uint64_t h = work(1000, 0xcbf29ce484222325ull);
  for (int i = 0; i < 3; i++) {
    long pid = fork_();
    if (pid == 0) {
      h = work(500 * (uint64_t)(i + 1), h);
      if (i == 1) {
        long g = fork_();
        if (g == 0) exit((int)(work(300, h) & 1) + 8);
        report("grandchild", wait_(g));
      }
      exit(i + 1);
    }
    report("child", wait_(pid));
    h = work(100, h);
  }
  // vfork, as posix_spawn makes its child: the child leaves at once through _exit.
  long pid = sys(220, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0);
  if (pid == 0) {
    for (;;) sys(93, 5, 0, 0);
  }
  report("vfork child", wait_(pid));
  pid = fork_();
  if (pid == 0) {
    sys(129, sys(172, 0, 0, 0), SIGKILL, 0);
    for (;;) {
    }
  }
  report("killed child", wait_(pid));
  out_str("hash ");
  out_hex(h, 16);
  out_char('\n');
  out_flush();
  return 0;
}
