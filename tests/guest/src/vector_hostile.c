/* Hostile vector programs that plume got wrong (found attacking the V commits):
 *
 * Usage: vector_hostile MODE
 *   index       indexed loads and stores whose 64-bit offsets are negative (2^64 - k): the address wraps
 *               modulo 2^64 to base - k (vluxei64, vloxei64, vsuxei64, vsoxei64, vluxseg2ei64)
 *   vstart-load a unit-stride, strided and indexed load (e8, vl 32) whose element 16 is on a PROT_NONE page:
 *               the SIGSEGV handler reads vstart, which holds the faulting element's index (16)
 *   vstart-store the same for stores
 *   illegal     masked indexed accesses that read v0 at another EEW than the mask's (the index vs2 = v0, or an
 *               indexed store's data vs3 = v0): QEMU 10 refuses them (SIGILL, its vext_check_input_eew), as it
 *               lets unit-stride and strided stores of v0 under v0.t and unmasked uses run; and masked
 *               gathers and slides reading v0 as a source (SIGILL under QEMU 10 too); an indexed store
 *               whose data and index groups overlap at different EEWs (SIGILL under QEMU 10)
 *   write-only  loads (scalar and vector) from a private PROT_WRITE page: Linux's riscv protection_map makes
 *               it readable (PAGE_COPY), and QEMU 10 reads it; also after mprotect to PROT_WRITE
 *   mem N       N rounds of six vector loads/stores of 4 elements each (for the mem plugin's count)
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t src[16];

static void show(const char *name, const int64_t *v, int n) {
  printf("%s:", name);
  for (int i = 0; i < n; i++) printf(" %lld", (long long)v[i]);
  printf("\n");
}

static void indexed(void) {
  for (int i = 0; i < 16; i++) src[i] = 100 + i;
  int64_t idx[2] = {-8, -24}; /* base = &src[8]: elements 7 and 5 */
  int64_t out[4] = {0, 0, 0, 0};
  long vl;
  asm volatile("vsetivli %0, 2, e64, m1, ta, ma\n vle64.v v8, (%1)\n vluxei64.v v9, (%2), v8\n vse64.v v9, (%3)"
               : "=&r"(vl) : "r"(idx), "r"(&src[8]), "r"(out) : "memory", "v8", "v9");
  show("vluxei64", out, 2);
  memset(out, 0, sizeof out);
  asm volatile("vsetivli %0, 2, e64, m1, ta, ma\n vle64.v v8, (%1)\n vloxei64.v v9, (%2), v8\n vse64.v v9, (%3)"
               : "=&r"(vl) : "r"(idx), "r"(&src[8]), "r"(out) : "memory", "v8", "v9");
  show("vloxei64", out, 2);
  memset(out, 0, sizeof out);
  asm volatile("vsetivli %0, 2, e64, m1, ta, ma\n vle64.v v8, (%1)\n vluxseg2ei64.v v10, (%2), v8\n"
               " vse64.v v10, (%3)\n vse64.v v11, (%4)"
               : "=&r"(vl) : "r"(idx), "r"(&src[8]), "r"(out), "r"(out + 2) : "memory", "v8", "v10", "v11");
  show("vluxseg2ei64", out, 4);
  int64_t vals[2] = {-1, -2};
  asm volatile("vsetivli %0, 2, e64, m1, ta, ma\n vle64.v v8, (%1)\n vle64.v v9, (%3)\n vsuxei64.v v9, (%2), v8"
               : "=&r"(vl) : "r"(idx), "r"(&src[8]), "r"(vals) : "memory", "v8", "v9");
  show("vsuxei64", src, 8);
  vals[0] = -3, vals[1] = -4;
  asm volatile("vsetivli %0, 2, e64, m1, ta, ma\n vle64.v v8, (%1)\n vle64.v v9, (%3)\n vsoxei64.v v9, (%2), v8"
               : "=&r"(vl) : "r"(idx), "r"(&src[8]), "r"(vals) : "memory", "v8", "v9");
  show("vsoxei64", src, 8);
}

static uint8_t *page;

static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  long vstart;
  asm volatile("csrr %0, vstart" : "=r"(vstart));
  printf("  signal %d at page+%ld, vstart %ld\n", sig, (long)((uint8_t *)si->si_addr - page), vstart);
  fflush(stdout);
  _exit(0);
}

/* Runs access k (0 unit-stride, 1 strided, 2 indexed) in a child; the handler ends it. */
static void fault(int store, int k) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    page = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 4096, 4096, PROT_NONE);
    uint8_t *at = page + 4096 - 16, idx[32];
    for (int i = 0; i < 32; i++) idx[i] = i;
    long vl;
    asm volatile("vsetvli %0, %1, e8, m2, ta, ma\n vle8.v v8, (%2)" : "=&r"(vl) : "r"(32L), "r"(idx) : "v8", "v9");
    if (!store && k == 0) asm volatile("vle8.v v4, (%0)" ::"r"(at) : "memory", "v4", "v5");
    if (!store && k == 1) asm volatile("vlse8.v v4, (%0), %1" ::"r"(at), "r"(1L) : "memory", "v4", "v5");
    if (!store && k == 2) asm volatile("vluxei8.v v4, (%0), v8" ::"r"(at) : "memory", "v4", "v5");
    if (store && k == 0) asm volatile("vse8.v v8, (%0)" ::"r"(at) : "memory");
    if (store && k == 1) asm volatile("vsse8.v v8, (%0), %1" ::"r"(at), "r"(1L) : "memory");
    if (store && k == 2) asm volatile("vsuxei8.v v8, (%0), v8" ::"r"(at) : "memory");
    printf("  no fault\n");
    _exit(1);
  }
  int status;
  waitpid(p, &status, 0);
  printf("%s %s: status %d\n", store ? "store" : "load", k == 0 ? "unit-stride" : k == 1 ? "strided" : "indexed",
         status);
}

static sigjmp_buf jump;
static void on_ill(int sig) { siglongjmp(jump, sig); }

#define TRY(insn)                                                                                          \
  do {                                                                                                     \
    int sig = sigsetjmp(jump, 1);                                                                          \
    if (!sig) {                                                                                            \
      asm volatile("mv a0, %0\n vsetivli t0, 4, e8, m1, ta, ma\n vmv.v.i v0, 5\n vmv.v.i v8, 1\n" insn    \
                   ::"r"(buffer + 1024) : "a0", "t0", "memory", "v0", "v8", "v9", "v10");                   \
      printf("%-36s ran\n", insn);                                                                         \
    } else                                                                                                 \
      printf("%-36s signal %d\n", insn, sig);                                                              \
  } while (0)

static uint8_t buffer[4096];

static void illegal(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_ill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  TRY("vse8.v v0, (a0), v0.t");
  TRY("vsse8.v v0, (a0), x0, v0.t");
  TRY("vsseg2e8.v v0, (a0), v0.t");
  TRY("vsuxei8.v v0, (a0), v8, v0.t");
  TRY("vsoxei8.v v8, (a0), v0, v0.t");
  TRY("vsuxei8.v v8, (a0), v0, v0.t");
  TRY("vluxei8.v v8, (a0), v0, v0.t");
  TRY("vloxei8.v v8, (a0), v0, v0.t");
  TRY("vloxseg3ei8.v v8, (a0), v0, v0.t");
  TRY("vluxei8.v v8, (a0), v0");
  TRY("vsuxei8.v v0, (a0), v8");
  /* an indexed store's data (EEW = SEW 8) and index (EEW 16) overlapping: two EEWs of one register */
  TRY("vsuxei16.v v8, (a0), v8");
  TRY("vsoxei16.v v9, (a0), v8");
  TRY("vsuxseg2ei16.v v8, (a0), v9");
  /* QEMU 10 checks the first field only: a later field on the index runs */
  TRY("vsuxseg3ei16.v v8, (a0), v10");
  TRY("vsuxei8.v v8, (a0), v8");
  /* the same rule on the permutations: a masked one may not read v0 as a source */
  TRY("vrgather.vv v8, v9, v0, v0.t");
  TRY("vrgather.vv v8, v0, v9, v0.t");
  TRY("vrgatherei16.vv v8, v9, v0, v0.t");
  TRY("vrgather.vx v8, v0, a0, v0.t");
  TRY("vrgather.vi v8, v0, 1, v0.t");
  TRY("vslideup.vx v8, v0, a0, v0.t");
  TRY("vslidedown.vx v8, v0, a0, v0.t");
  TRY("vslide1up.vx v8, v0, a0, v0.t");
  TRY("vslide1down.vx v8, v0, a0, v0.t");
  TRY("viota.m v8, v0, v0.t");
  TRY("vredsum.vs v8, v0, v9, v0.t");
}

static uint8_t *wo_page;

static void on_wo_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("  signal %d at page+%ld\n", sig, (long)((uint8_t *)si->si_addr - wo_page));
  fflush(stdout);
  _exit(0);
}

static void write_only(int how) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_wo_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    if (how < 2) wo_page = mmap(0, 4096, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    else {
      wo_page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      wo_page[8] = 42;
      mprotect(wo_page, 4096, PROT_WRITE);
    }
    *(volatile uint32_t *)(wo_page + 4) = 7;
    long v = 0, vl;
    if (how == 1) {
      uint8_t out[16];
      asm volatile("vsetivli %0, 16, e8, m1, ta, ma\n vle8.v v1, (%1)\n vse8.v v1, (%2)"
                   : "=&r"(vl) : "r"(wo_page), "r"(out) : "memory", "v1");
      v = out[4];
    } else v = *(volatile uint32_t *)(wo_page + 4) + wo_page[8];
    printf("  read %ld\n", v);
    fflush(stdout);
    _exit(0);
  }
  int status;
  waitpid(p, &status, 0);
  printf("%s: status %d\n", how == 0 ? "scalar load" : how == 1 ? "vector load" : "after mprotect", status);
}

static void mem_rounds(long n) {
  static int32_t a[64], b[64];
  for (int i = 0; i < 64; i++) a[i] = i;
  long vl;
  for (long k = 0; k < n; k++)
    asm volatile("vsetivli %0, 4, e32, m1, ta, ma\n vle32.v v1, (%1)\n vse32.v v1, (%2)\n vlse32.v v2, (%1), %3\n"
                 " vsse32.v v2, (%2), %3\n vl1re32.v v3, (%1)\n vs1r.v v3, (%2)"
                 : "=&r"(vl) : "r"(a), "r"(b), "r"(8L) : "memory", "v1", "v2", "v3");
  printf("%d\n", b[3]);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "index")) indexed();
  else if (!strcmp(mode, "vstart-load") || !strcmp(mode, "vstart-store"))
    for (int k = 0; k < 3; k++) fault(!strcmp(mode, "vstart-store"), k);
  else if (!strcmp(mode, "illegal")) illegal();
  else if (!strcmp(mode, "write-only"))
    for (int how = 0; how < 3; how++) write_only(how);
  else if (!strcmp(mode, "mem")) mem_rounds(argc > 2 ? atol(argv[2]) : 0);
  else {
    fprintf(stderr, "usage: vector_hostile index|vstart-load|vstart-store|illegal|write-only|mem N\n");
    return 2;
  }
  return 0;
}
