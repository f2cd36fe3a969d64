/* Signal delivery: handlers for faults (SIGSEGV, SIGBUS, SIGILL, SIGTRAP) and
 * for signals sent by kill/raise/tgkill/sigqueue, siginfo and ucontext
 * contents, sigreturn restoring every register (integer and FP), nested
 * signals, masks and pending signals, SA_NODEFER, SA_RESETHAND, SA_ONSTACK
 * with sigaltstack (also catching a stack overflow), sigsuspend,
 * sigtimedwait, SA_RESTART on a blocking pipe read, interval timers,
 * SIGPIPE, default actions that ignore.
 *
 * Usage: signals [all|term|usr1|pipe|alarm|wait|spin|ignore|flood|thread-exit]
 *   all   every check, exit 0 (1 if one fails)
 *   term  SIGTERM left at its default: killed, status 143, nothing printed by the emulator
 *   usr1  uncaught SIGUSR1 from a handler-less kill: status 138
 *   pipe  write to a pipe without reader, SIGPIPE uncaught: status 141
 *   alarm alarm(1) then pause(): SIGALRM handler, exit 0 (takes a second)
 *   wait  catches SIGINT, SIGTERM and SIGHUP, prints "ready", waits in sigsuspend and
 *         prints the signal that came (for a test that signals the emulator itself)
 *   spin  the same, but waits in a busy loop instead of a system call
 *   ignore ignores SIGINT, prints "ready", sleeps half a second and exits 0
 *   flood queues 30,000 blocked real-time signals with sigqueue (a system call after each, where pending
 *         signals are looked at), then takes some back: the order and values Linux gives
 *   thread-exit  signals queued to a thread that blocks them die with it: they no longer count against
 *         RLIMIT_SIGPENDING (64 here; Linux counts every process of the user, so only the last queue is shown)
 *   jobs  job control of a child: SIGSTOP and SIGTSTP stop it (wait4 with WUNTRACED, waitid with WSTOPPED
 *         and WNOWAIT, the parent's SIGCHLD with CLD_STOPPED unless SA_NOCLDSTOP), a stopped child runs
 *         nothing (not even a blocked read that data would end), SIGCONT continues it (WCONTINUED,
 *         CLD_CONTINUED), a handled SIGTSTP does not stop, SIGKILL ends a stopped child, raise(SIGSTOP)
 *         stops at once, a stop ends epoll_wait and sigtimedwait with EINTR; `jobs nocldstop`
 *         also checks that SA_NOCLDSTOP keeps the stop's SIGCHLD away (qemu-user 7.2 does not)
 *
 * Output holds only relations and counts (no addresses or times). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

/* Events recorded by handlers, printed from main: handlers only append. */
static char events[256];
static volatile int nevents;
static void event(char c) {
  if (nevents < (int)sizeof events - 1) events[nevents++] = c;
}
static void show_events(const char *what) {
  events[nevents] = 0;
  printf("%s: %s\n", what, events);
  nevents = 0;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, 0) != 0) perror("sigaction");
}

/* ---- faults ------------------------------------------------------------- */

static sigjmp_buf jump;
static siginfo_t last_info;
static uintptr_t last_pc;

static void on_fault(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  last_info = *si;
  last_pc = uc->uc_mcontext.__gregs[REG_PC];
  (void)sig;
  siglongjmp(jump, 1);
}

extern char segv_insn[], ill_insn[], trap_insn[], ctrap_insn[], bus_insn[];

static void faults(void) {
  install(SIGSEGV, on_fault, 0);
  install(SIGILL, on_fault, 0);
  install(SIGBUS, on_fault, 0);
  volatile uintptr_t bad = 0x10;
  if (sigsetjmp(jump, 1) == 0) {
    __asm__ volatile("segv_insn: sd zero, 0(%0)" ::"r"(bad) : "memory");
    check(0, "SIGSEGV: store to 0x10 faulted");
  } else {
    check(last_info.si_signo == SIGSEGV && last_info.si_code == SEGV_MAPERR, "SIGSEGV: signo and SEGV_MAPERR");
    check((uintptr_t)last_info.si_addr == 0x10, "SIGSEGV: si_addr is the data address");
    check(last_pc == (uintptr_t)segv_insn, "SIGSEGV: mcontext pc is the faulting store");
  }
  /* Writing to read-only memory (a string literal's page) is an access error. */
  if (sigsetjmp(jump, 1) == 0) {
    static const char ro[] = "read only";
    *(volatile char *)ro = 'R';
    check(0, "SIGSEGV: store to .rodata faulted");
  } else {
    check(last_info.si_code == SEGV_ACCERR, "SIGSEGV: SEGV_ACCERR on a read-only page");
  }
  if (sigsetjmp(jump, 1) == 0) {
    __asm__ volatile("ill_insn: .word 0xc0001073" ::: "memory"); /* csrrw zero, cycle, zero */
    check(0, "SIGILL: write to cycle faulted");
  } else {
    check(last_info.si_signo == SIGILL && last_info.si_code == ILL_ILLOPC, "SIGILL: signo and ILL_ILLOPC");
    check((uintptr_t)last_info.si_addr == (uintptr_t)ill_insn && last_pc == (uintptr_t)ill_insn,
          "SIGILL: si_addr and pc are the instruction");
  }
  if (sigsetjmp(jump, 1) == 0) {
    volatile uintptr_t odd = (uintptr_t)&last_pc + 1;
    __asm__ volatile("bus_insn: amoadd.w zero, zero, (%0)" ::"r"(odd) : "memory");
    check(0, "SIGBUS: misaligned AMO faulted");
  } else {
    check(last_info.si_signo == SIGBUS && last_info.si_code == BUS_ADRALN, "SIGBUS: BUS_ADRALN for a misaligned AMO");
    check(last_pc == (uintptr_t)bus_insn, "SIGBUS: pc is the AMO");
  }
  signal(SIGSEGV, SIG_DFL);
  signal(SIGILL, SIG_DFL);
  signal(SIGBUS, SIG_DFL);
}

/* SIGTRAP: the handler steps over the ebreak by changing the saved pc. */
static void on_trap(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  (void)sig;
  event(si->si_code == TRAP_BRKPT ? 'B' : '?');
  uint16_t half = *(uint16_t *)uc->uc_mcontext.__gregs[REG_PC];
  uc->uc_mcontext.__gregs[REG_PC] += (half & 3) == 3 ? 4 : 2;
}

static void traps(void) {
  install(SIGTRAP, on_trap, 0);
  __asm__ volatile(".option push\n.option norvc\ntrap_insn: ebreak\n.option pop" ::: "memory");
  __asm__ volatile(".option push\n.option rvc\nctrap_insn: c.ebreak\n.option pop" ::: "memory");
  show_events("SIGTRAP: ebreak and c.ebreak stepped over by the handler");
  signal(SIGTRAP, SIG_DFL);
}

/* ---- sigreturn restores every register ------------------------------------ */

static uint64_t before[64], after[64];

static void clobber(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  (void)sig;
  (void)si;
  /* Trash integer temporaries and FP registers, and the FP flags and rounding mode. */
  __asm__ volatile(
      "li t0, -1\n li t1, -1\n li t2, -1\n li t3, -1\n li t4, -1\n li t5, -1\n li t6, -1\n"
      "li a3, -1\n li a4, -1\n li a5, -1\n li a6, -1\n li a7, -1\n"
      "fcvt.d.l ft0, t0\n fmv.d ft1, ft0\n fmv.d fs0, ft0\n fmv.d fs11, ft0\n fmv.d fa0, ft0\n fmv.d ft11, ft0\n"
      "csrwi fflags, 31\n csrwi frm, 3\n" ::
          : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a3", "a4", "a5", "a6", "a7", "ft0", "ft1", "fs0", "fs11",
            "fa0", "ft11", "memory");
  uint16_t half = *(uint16_t *)uc->uc_mcontext.__gregs[REG_PC];
  uc->uc_mcontext.__gregs[REG_PC] += (half & 3) == 3 ? 4 : 2;
  event('C');
}

/* Loads distinct values into t0-t6, a3-a7, s2-s11 and f0-f31, sets fcsr, takes SIGTRAP,
 * then stores them all: everything must come back as it was. */
static void registers_survive(void) {
  install(SIGTRAP, clobber, 0);
  for (int i = 0; i < 64; i++) before[i] = 0x0101010101010101ull * (i + 1) ^ (uint64_t)i << 56;
  __asm__ volatile(
      "mv t6, %0\n"
      "fld f0, 0(t6)\n fld f1, 8(t6)\n fld f2, 16(t6)\n fld f3, 24(t6)\n fld f4, 32(t6)\n fld f5, 40(t6)\n"
      "fld f6, 48(t6)\n fld f7, 56(t6)\n fld f8, 64(t6)\n fld f9, 72(t6)\n fld f10, 80(t6)\n fld f11, 88(t6)\n"
      "fld f12, 96(t6)\n fld f13, 104(t6)\n fld f14, 112(t6)\n fld f15, 120(t6)\n fld f16, 128(t6)\n"
      "fld f17, 136(t6)\n fld f18, 144(t6)\n fld f19, 152(t6)\n fld f20, 160(t6)\n fld f21, 168(t6)\n"
      "fld f22, 176(t6)\n fld f23, 184(t6)\n fld f24, 192(t6)\n fld f25, 200(t6)\n fld f26, 208(t6)\n"
      "fld f27, 216(t6)\n fld f28, 224(t6)\n fld f29, 232(t6)\n fld f30, 240(t6)\n fld f31, 248(t6)\n"
      "ld t0, 256(t6)\n ld t1, 264(t6)\n ld t2, 272(t6)\n ld t3, 280(t6)\n ld t4, 288(t6)\n ld t5, 296(t6)\n"
      "ld a3, 304(t6)\n ld a4, 312(t6)\n ld a5, 320(t6)\n ld a6, 328(t6)\n ld a7, 336(t6)\n"
      "ld s2, 344(t6)\n ld s3, 352(t6)\n ld s4, 360(t6)\n ld s5, 368(t6)\n ld s6, 376(t6)\n ld s7, 384(t6)\n"
      "ld s8, 392(t6)\n ld s9, 400(t6)\n ld s10, 408(t6)\n ld s11, 416(t6)\n"
      "csrwi fflags, 5\n csrwi frm, 1\n"
      ".option push\n.option norvc\nebreak\n.option pop\n"
      "mv t6, %1\n"
      "fsd f0, 0(t6)\n fsd f1, 8(t6)\n fsd f2, 16(t6)\n fsd f3, 24(t6)\n fsd f4, 32(t6)\n fsd f5, 40(t6)\n"
      "fsd f6, 48(t6)\n fsd f7, 56(t6)\n fsd f8, 64(t6)\n fsd f9, 72(t6)\n fsd f10, 80(t6)\n fsd f11, 88(t6)\n"
      "fsd f12, 96(t6)\n fsd f13, 104(t6)\n fsd f14, 112(t6)\n fsd f15, 120(t6)\n fsd f16, 128(t6)\n"
      "fsd f17, 136(t6)\n fsd f18, 144(t6)\n fsd f19, 152(t6)\n fsd f20, 160(t6)\n fsd f21, 168(t6)\n"
      "fsd f22, 176(t6)\n fsd f23, 184(t6)\n fsd f24, 192(t6)\n fsd f25, 200(t6)\n fsd f26, 208(t6)\n"
      "fsd f27, 216(t6)\n fsd f28, 224(t6)\n fsd f29, 232(t6)\n fsd f30, 240(t6)\n fsd f31, 248(t6)\n"
      "sd t0, 256(t6)\n sd t1, 264(t6)\n sd t2, 272(t6)\n sd t3, 280(t6)\n sd t4, 288(t6)\n sd t5, 296(t6)\n"
      "sd a3, 304(t6)\n sd a4, 312(t6)\n sd a5, 320(t6)\n sd a6, 328(t6)\n sd a7, 336(t6)\n"
      "sd s2, 344(t6)\n sd s3, 352(t6)\n sd s4, 360(t6)\n sd s5, 368(t6)\n sd s6, 376(t6)\n sd s7, 384(t6)\n"
      "sd s8, 392(t6)\n sd s9, 400(t6)\n sd s10, 408(t6)\n sd s11, 416(t6)\n"
      "csrr t0, fcsr\n sd t0, 424(t6)\n"
      :
      : "r"(before), "r"(after)
      : "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
        "s8", "s9", "s10", "s11", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12",
        "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27",
        "f28", "f29", "f30", "f31", "memory");
  int same = 1;
  for (int i = 0; i < 53; i++) same &= before[i] == after[i];
  show_events("sigreturn: handler ran");
  check(same, "sigreturn: 21 integer and 32 FP registers restored");
  check(after[53] == ((1 << 5) | 5), "sigreturn: fcsr (frm 1, flags 5) restored");
  signal(SIGTRAP, SIG_DFL);
}

/* ---- sent signals, siginfo, nesting, masks ------------------------------- */

static void on_usr(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  event(sig == SIGUSR1 ? '1' : '2');
  last_info = *si;
}

static volatile int nest_once;
static void nest_outer(int sig, siginfo_t *si, void *uc) {
  (void)si;
  (void)uc;
  event('(');
  if (sig == SIGUSR1 && nest_once++ == 0) {
    raise(SIGUSR2); /* another handler: runs nested, now */
    raise(SIGUSR1); /* blocked while its handler runs: delivered after it returns */
    event('r');
  }
  event(')');
}

static void sent(void) {
  install(SIGUSR1, on_usr, 0);
  kill(getpid(), SIGUSR1);
  check(nevents == 1, "kill to itself: handler ran before kill returned");
  check(last_info.si_code == SI_USER && last_info.si_pid == getpid() && last_info.si_uid == getuid(),
        "kill: SI_USER, si_pid, si_uid");
  raise(SIGUSR1);
  check(last_info.si_code == SI_TKILL, "raise: SI_TKILL");
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  check(last_info.si_code == SI_TKILL && last_info.si_pid == getpid(), "tgkill: SI_TKILL, si_pid");
  union sigval v = {.sival_int = 4242};
  sigqueue(getpid(), SIGUSR1, v);
  check(last_info.si_code == SI_QUEUE && last_info.si_value.sival_int == 4242, "sigqueue: SI_QUEUE and si_value");
  show_events("sent");

  install(SIGUSR1, nest_outer, 0);
  install(SIGUSR2, nest_outer, 0);
  raise(SIGUSR1);
  show_events("nested: outer(inner) then the blocked repeat");

  install(SIGUSR1, nest_outer, SA_NODEFER);
  signal(SIGUSR2, SIG_IGN);
  nest_once = 0;
  raise(SIGUSR1);
  show_events("SA_NODEFER: the repeat nests at once, SIGUSR2 ignored");

  /* Blocked signals stay pending; unblocking delivers them at once, lowest number first. */
  install(SIGUSR1, on_usr, 0);
  install(SIGUSR2, on_usr, 0);
  sigset_t set, pending, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR2);
  raise(SIGUSR1);
  raise(SIGUSR1); /* a standard signal is pending once */
  sigpending(&pending);
  check(nevents == 0 && sigismember(&pending, SIGUSR1) && sigismember(&pending, SIGUSR2), "mask: both pending");
  sigprocmask(SIG_SETMASK, &old, 0);
  show_events("mask: delivered on unblock");

  /* A pending signal that becomes ignored is discarded. */
  sigprocmask(SIG_BLOCK, &set, &old);
  raise(SIGUSR1);
  signal(SIGUSR1, SIG_IGN);
  install(SIGUSR1, on_usr, 0);
  sigprocmask(SIG_SETMASK, &old, 0);
  show_events("ignoring discards pending");

  /* Default actions that ignore: SIGCHLD, SIGURG, SIGWINCH. */
  signal(SIGCHLD, SIG_DFL);
  kill(getpid(), SIGCHLD);
  kill(getpid(), SIGURG);
  kill(getpid(), SIGWINCH);
  check(1, "SIGCHLD, SIGURG, SIGWINCH ignored by default");

  /* SA_RESETHAND: one-shot handler. */
  install(SIGUSR2, on_usr, SA_RESETHAND);
  raise(SIGUSR2);
  struct sigaction now;
  sigaction(SIGUSR2, 0, &now);
  check(now.sa_handler == SIG_DFL, "SA_RESETHAND: back to SIG_DFL after one delivery");
  show_events("SA_RESETHAND");

  /* The handler's mask: sa_mask and the signal itself are blocked inside, restored after. */
  sigprocmask(SIG_SETMASK, 0, &old);
  check(!sigismember(&old, SIGUSR1), "mask restored after handlers");
}

/* ---- alternate stack ------------------------------------------------------ */

static char altstack[64 * 1024];
static volatile int on_alt;
static volatile int depth;

static void on_alt_usr(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)si;
  (void)uc;
  char local;
  on_alt = &local > altstack && &local < altstack + sizeof altstack;
  stack_t cur;
  sigaltstack(0, &cur);
  event(cur.ss_flags == SS_ONSTACK ? 'O' : 'o');
}

static void on_overflow(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)si;
  (void)uc;
  char local;
  on_alt = &local > altstack && &local < altstack + sizeof altstack;
  siglongjmp(jump, 1);
}

static volatile int forever = 1;
static int recurse(int n) {
  volatile char pad[4096];
  pad[0] = (char)n;
  depth++;
  return forever ? recurse(n + 1) + pad[0] : 0;
}

static void alternate_stack(void) {
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  check(sigaltstack(&ss, 0) == 0, "sigaltstack set");
  install(SIGUSR1, on_alt_usr, SA_ONSTACK);
  raise(SIGUSR1);
  check(on_alt, "SA_ONSTACK: the handler ran on the alternate stack");
  install(SIGUSR1, on_alt_usr, 0);
  raise(SIGUSR1);
  check(!on_alt, "without SA_ONSTACK: the normal stack");
  show_events("sigaltstack flags seen inside");
  stack_t cur;
  sigaltstack(0, &cur);
  check(cur.ss_flags == 0 && cur.ss_size == sizeof altstack, "sigaltstack outside: not on it");

  install(SIGSEGV, on_overflow, SA_ONSTACK);
  if (sigsetjmp(jump, 1) == 0) {
    recurse(0);
  } else {
    check(on_alt && depth > 100, "stack overflow caught on the alternate stack");
  }
  signal(SIGSEGV, SIG_DFL);

  /* A forked child keeps the alternate stack (and its handler's SA_ONSTACK). */
  install(SIGUSR1, on_alt_usr, SA_ONSTACK);
  pid_t child = fork();
  if (child == 0) {
    stack_t in;
    sigaltstack(0, &in);
    on_alt = 0;
    raise(SIGUSR1);
    _exit(in.ss_sp == altstack && in.ss_flags == 0 && on_alt ? 0 : 1);
  }
  int status = -1;
  waitpid(child, &status, 0);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork: the child keeps the alternate stack");
  signal(SIGUSR1, SIG_DFL);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, 0);
}

/* ---- a wait that is over ends with its result, a signal meanwhile or not ------ */

static void finished_waits(void) {
  install(SIGCHLD, on_usr, 0); /* no SA_RESTART: a wait a signal interrupts fails with EINTR */
  pid_t child = fork();
  if (child == 0) {
    usleep(50 * 1000);
    _exit(9);
  }
  int status = -1;
  pid_t r = waitpid(child, &status, 0);
  check(r == child && WIFEXITED(status) && WEXITSTATUS(status) == 9,
        "waitpid with a SIGCHLD handler: the child, not EINTR");
  int p[2];
  if (pipe(p) != 0) perror("pipe");
  child = fork();
  if (child == 0) {
    usleep(50 * 1000);
    (void)!write(p[1], "y", 1);
    _exit(0);
  }
  char c = 0;
  ssize_t n = read(p[0], &c, 1);
  check(n == 1 && c == 'y', "read from a pipe a child writes to and exits: the byte, not EINTR");
  waitpid(child, 0, 0);
  close(p[0]);
  close(p[1]);
  signal(SIGCHLD, SIG_DFL);
  show_events("SIGCHLD handler");
}

/* ppoll's temporary mask goes away as it returns a count: a signal only that mask let through stays pending. */
static void temporary_mask(void) {
  install(SIGUSR1, on_usr, 0);
  sigset_t block, empty, cur, pending;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, 0);
  raise(SIGUSR1);
  int p[2];
  if (pipe(p) != 0) perror("pipe");
  (void)!write(p[1], "x", 1);
  struct pollfd f = {.fd = p[0], .events = POLLIN};
  int r = ppoll(&f, 1, 0, &empty);
  int ran = nevents;
  sigprocmask(SIG_SETMASK, 0, &cur);
  sigpending(&pending);
  check(r == 1 && ran == 0 && sigismember(&cur, SIGUSR1) && sigismember(&pending, SIGUSR1),
        "ppoll returning a count: its mask goes away, the signal stays pending");
  sigprocmask(SIG_UNBLOCK, &block, 0);
  show_events("SIGUSR1 once unblocked");
  close(p[0]);
  close(p[1]);
  signal(SIGUSR1, SIG_DFL);
}

/* ---- waiting for signals ---------------------------------------------------- */

static void waiting(void) {
  install(SIGUSR1, on_usr, 0);
  sigset_t block, empty, old;
  sigemptyset(&block);
  sigemptyset(&empty);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, &old);
  raise(SIGUSR1);
  int r = sigsuspend(&empty);
  check(r == -1 && errno == EINTR, "sigsuspend: -1 EINTR after the handler");
  sigset_t cur;
  sigprocmask(SIG_SETMASK, 0, &cur);
  check(sigismember(&cur, SIGUSR1), "sigsuspend: mask restored (SIGUSR1 blocked again)");
  show_events("sigsuspend");

  sigaddset(&block, SIGUSR2);
  sigprocmask(SIG_BLOCK, &block, 0);
  raise(SIGUSR2);
  siginfo_t si;
  struct timespec ts = {0, 10 * 1000 * 1000};
  r = sigtimedwait(&block, &si, &ts);
  /* glibc folds raise()'s SI_TKILL into SI_USER here. */
  check(r == SIGUSR2 && si.si_code == SI_USER, "sigtimedwait: takes the pending SIGUSR2 without a handler");
  r = sigtimedwait(&block, &si, &ts);
  check(r == -1 && errno == EAGAIN, "sigtimedwait: EAGAIN after the timeout");
  sigprocmask(SIG_SETMASK, &old, 0);
  check(nevents == 0, "sigtimedwait: no handler ran");
}

/* ---- interrupted system calls ----------------------------------------------- */

static int pipefd[2];
static void on_alarm_write(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  event(si->si_code == SI_KERNEL ? 'A' : 'a');
  (void)!write(pipefd[1], "x", 1);
}

static void arm_ms(int ms) {
  struct itimerval it = {{0, 0}, {0, ms * 1000}};
  setitimer(ITIMER_REAL, &it, 0);
}

static void restart(void) {
  if (pipe(pipefd) != 0) perror("pipe");
  char c = 0;
  install(SIGALRM, on_alarm_write, SA_RESTART);
  arm_ms(20);
  ssize_t n = read(pipefd[0], &c, 1);
  check(n == 1 && c == 'x', "SA_RESTART: the read restarted and got the handler's byte");
  install(SIGALRM, on_alarm_write, 0);
  arm_ms(20);
  n = read(pipefd[0], &c, 1);
  int e = errno;
  check(n == -1 && e == EINTR, "without SA_RESTART: the read failed with EINTR");
  n = read(pipefd[0], &c, 1);
  check(n == 1, "the byte is still there");
  show_events("SIGALRM from setitimer");

  /* A periodic timer, waited for with sigsuspend. */
  install(SIGALRM, on_usr, 0);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  sigset_t block, empty;
  sigemptyset(&block);
  sigemptyset(&empty);
  sigaddset(&block, SIGALRM);
  sigprocmask(SIG_BLOCK, &block, 0);
  setitimer(ITIMER_REAL, &it, 0);
  int ticks = 0;
  while (ticks < 5) {
    sigsuspend(&empty);
    ticks++;
  }
  struct itimerval off = {{0, 0}, {0, 0}}, was;
  setitimer(ITIMER_REAL, &off, &was);
  check(was.it_interval.tv_usec == 5000, "getitimer/setitimer: old interval returned");
  sigprocmask(SIG_UNBLOCK, &block, 0);
  check(ticks == 5, "periodic ITIMER_REAL: five ticks");
  nevents = 0;

  /* ITIMER_VIRTUAL counts running time: a busy loop gets the signal. */
  install(SIGVTALRM, on_usr, 0);
  struct itimerval v = {{0, 0}, {0, 10000}};
  setitimer(ITIMER_VIRTUAL, &v, 0);
  volatile unsigned long spin = 0;
  while (nevents == 0) spin++;
  check(nevents == 1, "ITIMER_VIRTUAL: SIGVTALRM during a busy loop");
  nevents = 0;

  /* SIGPIPE with a handler: write fails with EPIPE after it ran. */
  install(SIGPIPE, on_usr, 0);
  int p2[2];
  if (pipe(p2) != 0) perror("pipe");
  close(p2[0]);
  n = write(p2[1], "y", 1);
  e = errno;
  check(n == -1 && e == EPIPE && nevents == 1 && last_info.si_signo == SIGPIPE, "SIGPIPE: handler, then EPIPE");
  nevents = 0;
  signal(SIGPIPE, SIG_IGN);
  n = write(p2[1], "y", 1);
  check(n == -1 && errno == EPIPE && nevents == 0, "SIGPIPE ignored: just EPIPE");
}

static volatile sig_atomic_t caught;
static void on_host(int sig) { caught = sig; }

static int wait_for_host(int spin) {
  int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  sigset_t block, none;
  sigemptyset(&block);
  sigemptyset(&none);
  for (int i = 0; i < 3; i++) {
    signal(sigs[i], on_host);
    sigaddset(&block, sigs[i]);
  }
  if (!spin) sigprocmask(SIG_BLOCK, &block, NULL);
  printf("ready\n");
  if (spin) {
    volatile unsigned long n = 0;
    while (!caught) n++;
  } else {
    while (!caught) sigsuspend(&none);
  }
  printf("caught %s\n", caught == SIGINT ? "SIGINT" : caught == SIGTERM ? "SIGTERM" : "SIGHUP");
  return 0;
}

static void on_alarm(int sig) {
  (void)sig;
  event('A');
}

static volatile pid_t blocker_tid;
static volatile int blocker_go;

static void *blocker(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 1);
  pthread_sigmask(SIG_BLOCK, &s, 0);
  blocker_tid = syscall(SYS_gettid);
  while (!blocker_go) usleep(1000);
  return 0;
}

static int thread_exit(void) {
  /* Linux counts the pending signals of every process of the user against the limit: with 8, other processes of a
   * parallel test run (root's) sometimes held enough for qemu's sigqueue to fail. */
  struct rlimit r = {64, 64};
  setrlimit(RLIMIT_SIGPENDING, &r);
  pthread_t th;
  pthread_create(&th, 0, blocker, 0);
  while (!blocker_tid) usleep(1000);
  for (int i = 0; i < 64; i++) {
    siginfo_t si = {0};
    si.si_signo = SIGRTMIN + 1;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    (void)syscall(SYS_rt_tgsigqueueinfo, getpid(), blocker_tid, SIGRTMIN + 1, &si);
  }
  blocker_go = 1;
  pthread_join(th, 0);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 2);
  sigprocmask(SIG_BLOCK, &s, 0);
  union sigval v = {0};
  int rc = sigqueue(getpid(), SIGRTMIN + 2, v);
  printf("thread-exit: after its exit, sigqueue %d (errno %d)\n", rc, rc ? errno : 0);
  return 0;
}

/* Many blocked signals pending at once: each system call's check for a deliverable one must not cost the queue's
 * length (plume took 35 s for 50,000 where qemu takes 0.4). */
static int flood(void) {
  sigset_t s;
  sigemptyset(&s);
  for (int i = SIGRTMIN; i <= SIGRTMAX; i++) sigaddset(&s, i);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, 0);
  int queued = 0, refused = 0;
  for (int i = 0; i < 30000; i++) {
    union sigval v = {.sival_int = i};
    if (sigqueue(getpid(), SIGRTMIN + 7 - i % 8, v) == 0) queued++;
    else refused++;
    (void)getppid();
  }
  raise(SIGUSR1);
  sigset_t p;
  sigpending(&p);
  printf("flood: queued %d, refused %d, pending RTMIN %d RTMIN+7 %d USR1 %d RTMAX %d\n", queued, refused,
         sigismember(&p, SIGRTMIN), sigismember(&p, SIGRTMIN + 7), sigismember(&p, SIGUSR1), sigismember(&p, SIGRTMAX));
  siginfo_t info;
  for (int i = 0; i < 6; i++) {
    int sig = sigwaitinfo(&s, &info);
    printf("flood: took %s value %d\n", sig == SIGUSR1 ? "USR1" : sig == SIGRTMIN ? "RTMIN" : "other",
           sig == SIGUSR1 ? -1 : info.si_value.sival_int);
  }
  return 0;
}

static volatile sig_atomic_t chld_code, chld_status, chld_count;
static void on_chld(int sig, siginfo_t *si, void *uc) {
  (void)sig, (void)uc;
  chld_code = si->si_code, chld_status = si->si_status, chld_count++;
}
static volatile sig_atomic_t tstp_caught;
static void on_tstp(int sig) { (void)sig, tstp_caught++; }

/* Waits until the parent's SIGCHLD handler has run `n` times (it comes asynchronously). */
static void await_chld(int n) {
  for (int i = 0; i < 2000 && chld_count < n; i++) usleep(1000);
}

/* A child waits in epoll_wait on a pipe (`which` 0) or in sigtimedwait for SIGUSR2 (1); it says it is about to wait,
 * and is stopped well after, then continued. With `feed` the pipe is written, or SIGUSR2 sent, just before the stop.
 * Returns what the wait gave: 'I' for EINTR, 'R' for the event or the signal, 'x' otherwise; `*stopped` tells whether
 * the child was seen stopped (it may have ended first when fed). */
static char wait_through_stop(int which, int feed, int *stopped) {
  int ready[2], result[2], data[2];
  if (pipe(ready) != 0 || pipe(result) != 0 || pipe(data) != 0) return 'x';
  pid_t w = fork();
  if (w == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int ep = epoll_create1(0);
    struct epoll_event ev = {EPOLLIN, {0}};
    epoll_ctl(ep, EPOLL_CTL_ADD, data[0], &ev);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, 0);
    struct timespec ten = {10, 0};
    (void)!write(ready[1], "r", 1);
    errno = 0;
    int r = which == 0 ? epoll_wait(ep, &ev, 1, 10000) : sigtimedwait(&set, 0, &ten);
    char out = r < 0 && errno == EINTR ? 'I' : (which == 0 && r == 1) || (which == 1 && r == SIGUSR2) ? 'R' : 'x';
    (void)!write(result[1], &out, 1);
    _exit(0);
  }
  char b;
  int st = 0;
  (void)!read(ready[0], &b, 1);
  usleep(300000);
  if (feed && which == 0) (void)!write(data[1], "d", 1);
  if (feed && which == 1) kill(w, SIGUSR2);
  kill(w, SIGSTOP);
  *stopped = waitpid(w, &st, WUNTRACED) == w && WIFSTOPPED(st);
  kill(w, SIGCONT);
  if (read(result[0], &b, 1) != 1) b = 'x';
  waitpid(w, &st, 0);
  for (int i = 0; i < 2; i++) close(ready[i]), close(result[i]), close(data[i]);
  return b;
}

static int jobs(int nocldstop) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, 0);
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return 1;
  pid_t c = fork();
  if (c == 0) {
    /* A process group of its own, whose parent is in another group of the session: Linux discards the default
     * SIGTSTP, SIGTTIN and SIGTTOU of an orphaned process group, as the test's may be where it runs (CI's was: the
     * child never stopped, and qemu's run waited for ever). It dies with its parent, and sees the end of its pipe. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(to_child[1]);
    close(from_child[0]);
    signal(SIGTSTP, on_tstp);
    char b;
    /* Each byte from the parent is answered once read: a stopped child answers none. */
    while (read(to_child[0], &b, 1) == 1) {
      if (b == 't') b = tstp_caught ? 'T' : 'n';
      if (b == 'd') signal(SIGTSTP, SIG_DFL);
      (void)!write(from_child[1], &b, 1);
    }
    _exit(0);
  }
  close(to_child[0]);
  close(from_child[1]);
  char b = 'a';
  (void)!write(to_child[1], &b, 1);
  (void)!read(from_child[0], &b, 1);
  printf("jobs: child answered '%c'\n", b);
  int st = 0;
  kill(c, SIGSTOP);
  check(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "WUNTRACED: stopped by SIGSTOP");
  await_chld(1);
  check(chld_count == 1 && chld_code == CLD_STOPPED && chld_status == SIGSTOP, "SIGCHLD with CLD_STOPPED");
  check(waitpid(c, &st, WUNTRACED | WNOHANG) == 0, "a stop is reported once");
  /* A byte the stopped child would answer: nothing comes while it is stopped. */
  b = 'b';
  (void)!write(to_child[1], &b, 1);
  struct pollfd pfd = {from_child[0], POLLIN, 0};
  check(poll(&pfd, 1, 100) == 0, "a stopped child runs nothing");
  kill(c, SIGCONT);
  check(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "WCONTINUED: continued");
  await_chld(2);
  check(chld_count == 2 && chld_code == CLD_CONTINUED && chld_status == SIGCONT, "SIGCHLD with CLD_CONTINUED");
  check(read(from_child[0], &b, 1) == 1 && b == 'b', "continued, it answers the byte sent while it was stopped");
  /* A handled SIGTSTP runs its handler and does not stop. */
  kill(c, SIGTSTP);
  b = 't';
  (void)!write(to_child[1], &b, 1);
  (void)!read(from_child[0], &b, 1);
  check(b == 'T', "a handled SIGTSTP does not stop");
  check(waitpid(c, &st, WUNTRACED | WNOHANG) == 0, "nothing to report after it");
  /* Left to its default, SIGTSTP stops; waitid sees it, WNOWAIT leaves it to be seen again. */
  b = 'd';
  (void)!write(to_child[1], &b, 1);
  (void)!read(from_child[0], &b, 1);
  sa.sa_flags |= SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  kill(c, SIGTSTP);
  siginfo_t si = {0};
  check(waitid(P_PID, c, &si, WSTOPPED | WNOWAIT) == 0 && si.si_pid == c && si.si_code == CLD_STOPPED &&
          si.si_status == SIGTSTP, "waitid WSTOPPED|WNOWAIT: CLD_STOPPED by SIGTSTP");
  check(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "and wait4 still sees it");
  /* qemu-user 7.2 installs its host handlers without SA_NOCLDSTOP: under it the stop is signalled anyway, so the
   * check runs only when asked (`jobs nocldstop`, against Linux's documented behaviour). */
  usleep(20000);
  if (nocldstop) check(chld_count == 2, "SA_NOCLDSTOP: no SIGCHLD for that stop");
  /* SIGKILL ends a stopped child. */
  kill(c, SIGKILL);
  check(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL ends a stopped child");
  /* A child that stops itself stops at once, not at the end of its time slice (plume ran it on). */
  int self_pipe[2];
  if (pipe(self_pipe) != 0) return 1;
  pid_t s = fork();
  if (s == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    (void)!write(self_pipe[1], "x", 1);
    raise(SIGSTOP);
    (void)!write(self_pipe[1], "y", 1);
    _exit(3);
  }
  (void)!read(self_pipe[0], &b, 1);
  check(waitpid(s, &st, WUNTRACED) == s && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "raise(SIGSTOP) stops the child");
  struct pollfd sp = {self_pipe[0], POLLIN, 0};
  check(poll(&sp, 1, 100) == 0, "and it runs no further");
  kill(s, SIGCONT);
  check(read(self_pipe[0], &b, 1) == 1 && b == 'y', "continued, it goes on after raise");
  check(waitpid(s, &st, 0) == s && WIFEXITED(st) && WEXITSTATUS(st) == 3, "and exits");
  /* A stop ends epoll_wait and sigtimedwait: once continued they fail with EINTR, with no handler (signal(7));
   * plume let them wait on. */
  for (int which = 0; which < 2; which++) {
    int stopped;
    char got = wait_through_stop(which, 0, &stopped);
    check(stopped, "stopped while it waits");
    check(got == 'I',
          which == 0 ? "epoll_wait fails with EINTR after the stop" : "sigtimedwait fails with EINTR after the stop");
  }
  /* What was there when the stop came is the call's result, not EINTR (plume threw it away for a while). Whether the
   * child took it before the stop or not, it reports it: only that is printed. */
  for (int which = 0; which < 2; which++) {
    int stopped;
    check(wait_through_stop(which, 1, &stopped) == 'R',
          which == 0 ? "epoll_wait returns the event there when the stop came"
                     : "sigtimedwait returns the signal pending when the stop came");
  }
  printf("jobs: %d failure(s)\n", failures);
  return failures != 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "all";
  if (strcmp(mode, "jobs") == 0) {
    setvbuf(stdout, 0, _IOLBF, 0);
    return jobs(argc > 2 && strcmp(argv[2], "nocldstop") == 0);
  }
  setvbuf(stdout, 0, _IOLBF, 0);
  if (strcmp(mode, "term") == 0) {
    printf("signals: SIGTERM to itself\n");
    kill(getpid(), SIGTERM);
    printf("still alive\n");
    return 0;
  }
  if (strcmp(mode, "usr1") == 0) {
    printf("signals: uncaught SIGUSR1\n");
    raise(SIGUSR1);
    printf("still alive\n");
    return 0;
  }
  if (strcmp(mode, "pipe") == 0) {
    int p[2];
    if (pipe(p) != 0) perror("pipe");
    close(p[0]);
    printf("signals: write to a pipe without reader\n");
    (void)!write(p[1], "z", 1);
    printf("still alive\n");
    return 0;
  }
  if (strcmp(mode, "wait") == 0 || strcmp(mode, "spin") == 0) return wait_for_host(mode[0] == 's');
  if (strcmp(mode, "ignore") == 0) {
    signal(SIGINT, SIG_IGN);
    printf("ready\n");
    usleep(500 * 1000);
    printf("still alive\n");
    return 0;
  }
  if (strcmp(mode, "flood") == 0) return flood();
  if (strcmp(mode, "thread-exit") == 0) return thread_exit();
  if (strcmp(mode, "alarm") == 0) {
    signal(SIGALRM, on_alarm);
    alarm(1);
    pause();
    show_events("alarm(1) and pause()");
    return 0;
  }
  faults();
  traps();
  registers_survive();
  sent();
  alternate_stack();
  waiting();
  restart();
  finished_waits();
  temporary_mask();
  printf("signals: %d failure(s)\n", failures);
  return failures != 0;
}
