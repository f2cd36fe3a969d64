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
 *   fast        words run hot enough for their shape-specialised fast paths (plume's vector/fast.ts) and then
 *               in another state: vmv1r.v and vmv2r.v under vill after 2999 runs under e32 (SIGILL under
 *               QEMU 10, as they need a legal vtype); a vse32.v that rewrites a function's code 200 times,
 *               each new version called; vadd.vv, vmsltu.vv, vfadd.vv (fflags) in one loop whose vtype and vl
 *               change every few iterations; one loop in two threads at once, each in its own vtype and vl
 */
#include <pthread.h>
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

/* SIGILL goes to on_ill, which jumps back to the test that raised it. */
static void catch_sigill(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_ill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
}

static void illegal(void) {
  catch_sigill();
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

/* vsetvl zero, zero, vtype (vl kept), then vmv1r.v or vmv2r.v: the same block in every call */
__attribute__((noinline)) static void move1(unsigned long vtype) {
  asm volatile("vsetvl zero, zero, %0\n vmv1r.v v8, v16" ::"r"(vtype) : "v8");
}
__attribute__((noinline)) static void move2(unsigned long vtype) {
  asm volatile("vsetvl zero, zero, %0\n vmv2r.v v10, v16" ::"r"(vtype) : "v10", "v11");
}

static void fast_vill(void) {
  catch_sigill();
  static int32_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
  for (int k = 0; k < 2; k++) {
    asm volatile("vsetivli zero, 4, e32, m1, ta, ma\n vle32.v v16, (%0)\n vle32.v v17, (%1)\n vmv.v.i v8, 0\n"
                 " vmv.v.i v11, 0" ::"r"(in), "r"(in + 4) : "v8", "v11", "v16", "v17");
    /* 3000 runs under e32, m1, vl 4, then one under vill (the last call) */
    volatile int i = 0;
    int sig = sigsetjmp(jump, 1);
    if (!sig) {
      for (i = 0; i < 3000; i++) {
        unsigned long vtype = i < 2999 ? 0xd0 : 1UL << 63;
        k ? move2(vtype) : move1(vtype);
      }
      printf("%s under vill ran\n", k ? "vmv2r.v" : "vmv1r.v");
    } else
      printf("%s under vill: signal %d after %d runs\n", k ? "vmv2r.v" : "vmv1r.v", sig, i);
    asm volatile("vsetivli zero, 4, e32, m1, ta, ma\n vse32.v v8, (%0)\n vse32.v v11, (%1)" ::"r"(out), "r"(out + 4)
                 : "memory");
    printf("  copied:");
    for (int j = 0; j < 8; j++) printf(" %d", out[j]);
    printf("\n");
  }
}

static void fast_smc(void) {
  uint32_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  code[0] = 0x00008067; /* ret */
  long sum = 0, wrong = 0;
  for (long i = 0; i < 200; i++) {
    /* li a0, i; ret: written by a vector store over the code the last call ran */
    uint32_t words[2] = {(uint32_t)(i << 20) | (10 << 7) | 0x13, 0x00008067};
    long vl;
    asm volatile("vsetivli %0, 2, e32, m1, ta, ma\n vle32.v v1, (%1)\n vse32.v v1, (%2)\n fence.i"
                 : "=&r"(vl) : "r"(words), "r"(code) : "memory", "v1");
    long got = ((long (*)(void))code)();
    sum += got;
    wrong += got != i;
  }
  printf("code rewritten by vse32.v: sum %ld, %ld calls ran stale code\n", sum, wrong);
}

static void fast_shapes(void) {
  static uint32_t a[64] __attribute__((aligned(16))), b[64] __attribute__((aligned(16))), c[64];
  for (int i = 0; i < 64; i++) a[i] = i * 0x9e3779b9u, b[i] = i * 0x85ebca6bu ^ 0x5bd1e995u;
  uint64_t hash = 0;
  for (int i = 0; i < 600; i++) {
    long avl = 1 + (i / 7) % 9, vl, mask;
    if ((i / 50) % 3 == 0)
      asm volatile("vsetvli %0, %1, e32, m2, ta, ma\n vle32.v v2, (%2)\n vle32.v v4, (%3)\n vadd.vv v6, v2, v4\n"
                   " vmsltu.vv v1, v2, v4\n vse32.v v6, (%4)"
                   : "=&r"(vl) : "r"(avl), "r"(a + i % 8), "r"(b), "r"(c) : "memory", "v1", "v2", "v3", "v4", "v5",
                     "v6", "v7");
    else if ((i / 50) % 3 == 1)
      asm volatile("vsetvli %0, %1, e16, mf2, ta, ma\n vle16.v v2, (%2)\n vle16.v v4, (%3)\n vadd.vv v6, v2, v4\n"
                   " vmsltu.vv v1, v2, v4\n vse16.v v6, (%4)"
                   : "=&r"(vl) : "r"(avl), "r"(a + i % 8), "r"(b), "r"(c) : "memory", "v1", "v2", "v4", "v6");
    else
      asm volatile("vsetvli %0, %1, e64, m1, ta, ma\n vle64.v v2, (%2)\n vle64.v v4, (%3)\n vadd.vv v6, v2, v4\n"
                   " vmsltu.vv v1, v2, v4\n vse64.v v6, (%4)"
                   : "=&r"(vl) : "r"(avl), "r"(a + 2 * (i % 8)), "r"(b), "r"(c) : "memory", "v1", "v2", "v4", "v6");
    asm volatile("vsetivli zero, 1, e8, m1, ta, ma\n vmv.x.s %0, v1" : "=r"(mask));
    for (int k = 0; k < 16; k++) hash = hash * 31 + c[k];
    hash = hash * 31 + (mask & 0xff) + vl;
  }
  printf("vadd.vv, vmsltu.vv under changing shapes: %016llx\n", (unsigned long long)hash);
  static double x[4] __attribute__((aligned(16))) = {1.0, 2.0, 0.5, 3e-308};
  static double y[4] __attribute__((aligned(16))) = {3.0, 0.1, 1e-310, -2.9e-308}, z[4];
  unsigned flags = 0;
  for (long i = 0; i < 300; i++) {
    /* NX accrued before or not; vl 4 (a subnormal sum), then 1 or 2 */
    long f, avl = i < 150 ? 4 : 1 + i % 2;
    asm volatile("csrw fflags, %5\n vsetvli zero, %3, e64, m1, ta, ma\n vle64.v v2, (%1)\n vle64.v v4, (%2)\n"
                 " vfadd.vv v6, v2, v4\n vse64.v v6, (%4)\n csrr %0, fflags"
                 : "=&r"(f) : "r"(x), "r"(i % 3 ? y : x), "r"(avl), "r"(z), "r"(i % 4 ? 1L : 0L)
                 : "memory", "v2", "v4", "v6");
    flags = flags * 3 + f;
  }
  printf("vfadd.vv fflags: %08x, last %a %a\n", flags, z[0], z[1]);
}

/* One loop in two threads at once, each in its own shape (e32, m1, vl 4; e16, m1, vl 3): the same words, each vCPU's
   own vtype and vl */
static void *shaped_thread(void *arg) {
  long e16 = (long)arg, vl;
  uint32_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  uint64_t sum = 0;
  for (long i = 0; i < 5000; i++) {
    asm volatile("vsetvl %0, %2, %3\n vle32.v v2, (%1)\n vadd.vx v2, v2, %4\n vse32.v v2, (%1)"
                 : "=&r"(vl) : "r"(a), "r"(e16 ? 3L : 4L), "r"(e16 ? 0xc8L : 0xd0L), "r"(i) : "memory", "v2", "v3");
    for (int k = 0; k < 8; k++) sum = sum * 31 + a[k];
    sum += vl;
  }
  return (void *)(uintptr_t)sum;
}

static void fast_threads(void) {
  pthread_t t[2];
  void *sums[2];
  for (long k = 0; k < 2; k++) pthread_create(&t[k], 0, shaped_thread, (void *)k);
  for (int k = 0; k < 2; k++) pthread_join(t[k], &sums[k]);
  printf("two threads, one loop, two shapes: %016llx %016llx\n", (unsigned long long)(uintptr_t)sums[0],
         (unsigned long long)(uintptr_t)sums[1]);
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
  else if (!strcmp(mode, "fast")) fast_vill(), fast_smc(), fast_shapes(), fast_threads();
  else {
    fprintf(stderr, "usage: vector_hostile index|vstart-load|vstart-store|illegal|write-only|mem N|fast\n");
    return 2;
  }
  return 0;
}
