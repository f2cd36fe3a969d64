/*
 * What a program learns about the CPU it runs on, for comparing plume's
 * -cpu models with QEMU 10's (tests/cpu_probe_test.ts).
 *
 *   cpu_probe insns    runs one instruction of each optional extension behind
 *                      a SIGILL handler and prints whether it ran
 *   cpu_probe hwprobe  prints riscv_hwprobe's answer for keys 0..13, AT_HWCAP
 *                      and the isa lines of /proc/cpuinfo
 *
 * Instructions are given as words (.4byte), so that the compiler needs no
 * -march for them.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf env;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(env, 1);
}

/* A 64-byte block for cbo.zero and a byte for c.lbu. */
static unsigned char block[64] __attribute__((aligned(64)));

#define INSN(word)                                                                       \
  static void run_##word(void) {                                                         \
    register uintptr_t a0 asm("a0") = (uintptr_t)block;                                  \
    register uintptr_t a1 asm("a1") = 3;                                                 \
    asm volatile(".4byte " #word : "+r"(a0) : "r"(a1) : "memory", "fa0");                \
  }
/* A vector instruction at SEW 16 (after vsetivli a0, 4, e16, mf2, ta, ma). */
#define VINSN16(word)                                                                    \
  static void run_##word(void) {                                                         \
    register uintptr_t a0 asm("a0") = 0;                                                 \
    asm volatile(".4byte 0xccf27557\n.4byte " #word : "+r"(a0) : : "memory");            \
  }
#define INSN16(half)                                                                     \
  static void run_##half(void) {                                                         \
    register uintptr_t a0 asm("a0") = (uintptr_t)block;                                  \
    asm volatile(".2byte " #half : "+r"(a0) : : "memory");                               \
  }

INSN(0x20b52533) /* sh1add a0, a0, a1 */
INSN(0x40b57533) /* andn a0, a0, a1 */
INSN(0x0ab51533) /* clmul a0, a0, a1 */
INSN(0x28b51533) /* bset a0, a0, a1 */
INSN(0x0eb55533) /* czero.eqz a0, a0, a1 */
INSN(0x0045200f) /* cbo.zero (a0) */
INSN(0x0015200f) /* cbo.clean (a0) */
INSN16(0x8108)   /* c.lbu a0, 0(a0) */
INSN(0x04a57553) /* fadd.h fa0, fa0, fa0 */
INSN(0x40250553) /* fcvt.s.h fa0, fa0 */
INSN(0xcd027557) /* vsetivli a0, 4, e32, m1, ta, ma */
INSN(0x81c54573) /* mop.r.0 a0, a0 */
INSN16(0x6781)   /* c.mop.15 */
INSN(0x00d00073) /* wrs.nto */
VINSN16(0x4b061457) /* vfwcvt.f.f.v v8, v16 */
VINSN16(0x02841457) /* vfadd.vv v8, v8, v8 */

static const struct {
  const char *ext, *insn;
  void (*run)(void);
} PROBES[] = {
  {"zba", "sh1add", run_0x20b52533},    {"zbb", "andn", run_0x40b57533},
  {"zbc", "clmul", run_0x0ab51533},     {"zbs", "bset", run_0x28b51533},
  {"zicond", "czero.eqz", run_0x0eb55533}, {"zicboz", "cbo.zero", run_0x0045200f},
  {"zicbom", "cbo.clean", run_0x0015200f}, {"zcb", "c.lbu", run_0x8108},
  {"zfh", "fadd.h", run_0x04a57553},    {"zfhmin", "fcvt.s.h", run_0x40250553},
  {"v", "vsetivli", run_0xcd027557},   {"zimop", "mop.r.0", run_0x81c54573},
  {"zcmop", "c.mop.15", run_0x6781},    {"zawrs", "wrs.nto", run_0x00d00073},
  {"zvfhmin", "vfwcvt.f.f.v", run_0x4b061457}, {"zvfh", "vfadd.vv", run_0x02841457},
};

static int insns(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigill;
  sigaction(SIGILL, &sa, 0);
  for (size_t i = 0; i < sizeof PROBES / sizeof PROBES[0]; i++) {
    int ran = 0;
    if (sigsetjmp(env, 1) == 0) {
      PROBES[i].run();
      ran = 1;
    }
    printf("%-7s %-12s %s\n", PROBES[i].ext, PROBES[i].insn, ran ? "runs" : "SIGILL");
  }
  return 0;
}

struct riscv_hwprobe {
  int64_t key;
  uint64_t value;
};

static int hwprobe(void) {
  struct riscv_hwprobe pairs[14];
  for (int i = 0; i < 14; i++) pairs[i].key = i, pairs[i].value = 0;
  long r = syscall(258, pairs, 14, 0, 0, 0);
  printf("riscv_hwprobe %ld\n", r);
  for (int i = 0; i < 14; i++) {
    printf("key %d %lld %#llx\n", i, (long long)pairs[i].key, (unsigned long long)pairs[i].value);
  }
  printf("AT_HWCAP %#lx\n", getauxval(AT_HWCAP));
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return 1;
  char line[8192];
  /* One hart's lines are enough: QEMU prints one block per host CPU. */
  while (fgets(line, sizeof line, f) && line[0] != '\n') {
    if (strncmp(line, "isa", 3) == 0 || strncmp(line, "hart isa", 8) == 0) fputs(line, stdout);
  }
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "insns") == 0) return insns();
  if (argc > 1 && strcmp(argv[1], "hwprobe") == 0) return hwprobe();
  fprintf(stderr, "usage: cpu_probe insns|hwprobe\n");
  return 2;
}
