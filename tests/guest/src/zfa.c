/*
 * Zfa (additional floating-point instructions) for single, double and half
 * precision: every instruction over special operands (signed zeros,
 * subnormals, infinities, quiet and signaling NaNs, improperly NaN-boxed
 * singles and halves, values around the integer ranges), printing each
 * result's 64 register bits and the fflags it raised. fli's 32 entries in
 * each width; fround/froundnx in the five static rounding modes and
 * dynamically under each frm; fcvtmod.w.d on large, infinite and NaN values.
 * Then the encodings that must trap (reserved rounding modes, a reserved
 * dynamic frm, fcvtmod.w.d with rm other than rtz, RV32's fmvh.x.d and
 * fmvp.d.x), behind a SIGILL handler, and riscv_hwprobe's Zfa bit.
 * Arguments: none (everything), `illegal` (the hwprobe bit and the trapping
 * encodings only), `first` (runs one fli.d after printing a line: without
 * Zfa, the program dies of SIGILL there).
 *
 * The whole table runs PASSES times; passes after the first print only a
 * hash of their results, so that code compiled while the program warms up
 * is compared too. Built with clang-19 -march=rv64gc_zfa_zfh; the expected
 * output is QEMU 10's (tests/zfa_test.ts).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PASSES 4

static int printing = 1;
static uint64_t hash = 1469598103934665603ull;

/* One result: printed in the first pass, hashed in every pass. */
static void report(const char *what, uint64_t a, uint64_t b, uint64_t r, unsigned flags) {
  hash = (hash ^ r) * 1099511628211ull;
  hash = (hash ^ flags) * 1099511628211ull;
  if (printing) printf("%-12s %016llx %016llx -> %016llx fl=%02x\n", what, (unsigned long long)a,
                       (unsigned long long)b, (unsigned long long)r, flags);
}

/* Two FP sources (raw register bits), FP result: fminm, fmaxm. */
#define FP2(fn, insn)                                                              \
  static uint64_t fn(uint64_t a, uint64_t b, unsigned *fl) {                     \
    uint64_t r, f;                                                                 \
    asm volatile("fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\tcsrw fflags, zero\n\t" insn \
                 " ft2, ft0, ft1\n\tfrflags %1\n\tfmv.x.d %0, ft2"                 \
                 : "=r"(r), "=r"(f)                                                \
                 : "r"(a), "r"(b)                                                  \
                 : "ft0", "ft1", "ft2");                                           \
    *fl = f;                                                                       \
    return r;                                                                      \
  }

/* Two FP sources, integer result: fleq, fltq. */
#define CMP(fn, insn)                                                                        \
  static uint64_t fn(uint64_t a, uint64_t b, unsigned *fl) {                               \
    uint64_t r, f;                                                                           \
    asm volatile("fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\tcsrw fflags, zero\n\t" insn          \
                 " %0, ft0, ft1\n\tfrflags %1"                                               \
                 : "=&r"(r), "=&r"(f)                                                        \
                 : "r"(a), "r"(b)                                                            \
                 : "ft0", "ft1");                                                            \
    *fl = f;                                                                                 \
    return r;                                                                                \
  }

/* One FP source, FP result, rounding mode spelled in `insn`: fround, froundnx. */
#define RND(fn, insn)                                                                          \
  static uint64_t fn(uint64_t a, unsigned *fl) {                                             \
    uint64_t r, f;                                                                             \
    asm volatile("fmv.d.x ft0, %2\n\tcsrw fflags, zero\n\t" insn "\n\tfrflags %1\n\tfmv.x.d %0, ft2" \
                 : "=r"(r), "=r"(f)                                                            \
                 : "r"(a)                                                                      \
                 : "ft0", "ft2");                                                              \
    *fl = f;                                                                                   \
    return r;                                                                                  \
  }

FP2(fminm_s, "fminm.s")
FP2(fmaxm_s, "fmaxm.s")
FP2(fminm_d, "fminm.d")
FP2(fmaxm_d, "fmaxm.d")
FP2(fminm_h, "fminm.h")
FP2(fmaxm_h, "fmaxm.h")
CMP(fleq_s, "fleq.s")
CMP(fltq_s, "fltq.s")
CMP(fleq_d, "fleq.d")
CMP(fltq_d, "fltq.d")
CMP(fleq_h, "fleq.h")
CMP(fltq_h, "fltq.h")

#define RND_ALL(w)                                   \
  RND(fround_##w##_rne, "fround." #w " ft2, ft0, rne")     \
  RND(fround_##w##_rtz, "fround." #w " ft2, ft0, rtz")     \
  RND(fround_##w##_rdn, "fround." #w " ft2, ft0, rdn")     \
  RND(fround_##w##_rup, "fround." #w " ft2, ft0, rup")     \
  RND(fround_##w##_rmm, "fround." #w " ft2, ft0, rmm")     \
  RND(fround_##w##_dyn, "fround." #w " ft2, ft0, dyn")     \
  RND(froundnx_##w##_rne, "froundnx." #w " ft2, ft0, rne") \
  RND(froundnx_##w##_rtz, "froundnx." #w " ft2, ft0, rtz") \
  RND(froundnx_##w##_rdn, "froundnx." #w " ft2, ft0, rdn") \
  RND(froundnx_##w##_rup, "froundnx." #w " ft2, ft0, rup") \
  RND(froundnx_##w##_rmm, "froundnx." #w " ft2, ft0, rmm") \
  RND(froundnx_##w##_dyn, "froundnx." #w " ft2, ft0, dyn")
RND_ALL(s)
RND_ALL(d)
RND_ALL(h)

typedef uint64_t (*rnd_fn)(uint64_t, unsigned *);
static const struct {
  const char *name;
  rnd_fn fn[12]; /* fround rne..rmm, dyn, then froundnx */
} ROUNDS[] = {
  {"s",
   {fround_s_rne, fround_s_rtz, fround_s_rdn, fround_s_rup, fround_s_rmm, fround_s_dyn, froundnx_s_rne, froundnx_s_rtz,
    froundnx_s_rdn, froundnx_s_rup, froundnx_s_rmm, froundnx_s_dyn}},
  {"d",
   {fround_d_rne, fround_d_rtz, fround_d_rdn, fround_d_rup, fround_d_rmm, fround_d_dyn, froundnx_d_rne, froundnx_d_rtz,
    froundnx_d_rdn, froundnx_d_rup, froundnx_d_rmm, froundnx_d_dyn}},
  {"h",
   {fround_h_rne, fround_h_rtz, fround_h_rdn, fround_h_rup, fround_h_rmm, fround_h_dyn, froundnx_h_rne, froundnx_h_rtz,
    froundnx_h_rdn, froundnx_h_rup, froundnx_h_rmm, froundnx_h_dyn}},
};
static const char *RM_NAMES[] = {"rne", "rtz", "rdn", "rup", "rmm"};

static uint64_t fcvtmod(uint64_t a, unsigned *fl) {
  uint64_t r, f;
  asm volatile("fmv.d.x ft0, %2\n\tcsrw fflags, zero\n\tfcvtmod.w.d %0, ft0, rtz\n\tfrflags %1"
               : "=&r"(r), "=&r"(f)
               : "r"(a)
               : "ft0");
  *fl = f;
  return r;
}

/*
 * fli of every entry k (rs1 = k) into ft0, written as its encoding (rd = ft0), each stored to out[k]: one block
 * of straight-line code, which the loop in table() makes hot enough to be compiled.
 */
#define FLI(base, k) ".word " #base " + ((" #k ") << 15)\n\tfsd ft0, 8 * (" #k ")(%0)\n\t"
#define FLI8(base, k) FLI(base, k) FLI(base, k + 1) FLI(base, k + 2) FLI(base, k + 3) \
  FLI(base, k + 4) FLI(base, k + 5) FLI(base, k + 6) FLI(base, k + 7)
#define FLI_FN(fn, base)                                                                               \
  static void fn(uint64_t *out) {                                                                      \
    asm volatile(FLI8(base, 0) FLI8(base, 8) FLI8(base, 16) FLI8(base, 24) : : "r"(out) : "ft0", "memory"); \
  }
FLI_FN(fli_s, 0xf0100053)
FLI_FN(fli_d, 0xf2100053)
FLI_FN(fli_h, 0xf4100053)

/* Doubles: zeros, subnormals, fractions and ties, integer boundaries, huge values, infinities, NaNs. */
static const uint64_t D[] = {
    0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x800fffffffffffff, 0x0010000000000000,
    0x3ff0000000000000, 0xbff0000000000000, 0x3fe0000000000000, 0xbfe0000000000000, 0x3ff8000000000000,
    0x4004000000000000, 0xc004000000000000, 0x3fd3333333333333, 0xbfe6666666666666, 0x3fdfffffffffffff,
    0x432fffffffffffff, 0x4330000000000000, 0x4340000000000001, 0x41dfffffffe00000, 0x41dfffffffffffff,
    0x41e0000000000000, 0xc1e0000000000000, 0xc1e0000000100000, 0xc1e0000000200000, 0x41f0000005800000,
    0x41efffffffffffff, 0xc1ebb8d8f7800000, 0x43e0000000000000, 0x43f0000200000000, 0x4415af1d78b58c40,
    0x4530000000000001, 0x7fefffffffffffff, 0xffefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000,
    0x7ff8000000000000, 0xfff8000000000001, 0x7ff0000000000001, 0xfff4000000000000,
};
/* Singles, NaN-boxed unless the high word says otherwise. */
static const uint64_t S[] = {
    0xffffffff00000000, 0xffffffff80000000, 0xffffffff00000001, 0xffffffff807fffff, 0xffffffff00800000,
    0xffffffff3f800000, 0xffffffffbf800000, 0xffffffff3f000000, 0xffffffffbf000000, 0xffffffff3fc00000,
    0xffffffff40200000, 0xffffffffc0200000, 0xffffffff3e99999a, 0xffffffffbf333333, 0xffffffff4affffff,
    0xffffffff4b000000, 0xffffffff4b7fffff, 0xffffffffcb3fffff, 0xffffffff7f7fffff, 0xffffffffff7fffff,
    0xffffffff7f800000, 0xffffffffff800000, 0xffffffff7fc00000, 0xffffffffffc00001, 0xffffffff7f800001,
    0xffffffffffa00000, 0x000000003f800000, 0xfffffffe3f800000, 0x7ff0000000000000,
};
/* Halves, NaN-boxed unless the upper 48 bits say otherwise. */
static const uint64_t H[] = {
    0xffffffffffff0000, 0xffffffffffff8000, 0xffffffffffff0001, 0xffffffffffff83ff, 0xffffffffffff0400,
    0xffffffffffff3c00, 0xffffffffffffbc00, 0xffffffffffff3800, 0xffffffffffffb800, 0xffffffffffff3e00,
    0xffffffffffff4100, 0xffffffffffffc100, 0xffffffffffff34cd, 0xffffffffffffb99a, 0xffffffffffff63ff,
    0xffffffffffff6400, 0xffffffffffff67ff, 0xffffffffffffe5ff, 0xffffffffffff7bff, 0xfffffffffffffbff,
    0xffffffffffff7c00, 0xfffffffffffffc00, 0xffffffffffff7e00, 0xfffffffffffffe01, 0xffffffffffff7c01,
    0xfffffffffffffd00, 0x0000000000003c00, 0xfffffffeffff3c00, 0xffffffff00003c00,
};
/* Shorter lists for the two-operand instructions (every pair is tried). */
static const uint64_t D2[] = {
    0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x3ff0000000000000, 0xbff0000000000000,
    0x4004000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0xfff8000000000001,
    0x7ff0000000000001, 0xfff4000000000000,
};
static const uint64_t S2[] = {
    0xffffffff00000000, 0xffffffff80000000, 0xffffffff00000001, 0xffffffff3f800000, 0xffffffffbf800000,
    0xffffffff40200000, 0xffffffff7f800000, 0xffffffffff800000, 0xffffffff7fc00000, 0xffffffffffc00001,
    0xffffffff7f800001, 0xffffffffffa00000, 0x000000003f800000,
};
static const uint64_t H2[] = {
    0xffffffffffff0000, 0xffffffffffff8000, 0xffffffffffff0001, 0xffffffffffff3c00, 0xffffffffffffbc00,
    0xffffffffffff4100, 0xffffffffffff7c00, 0xfffffffffffffc00, 0xffffffffffff7e00, 0xfffffffffffffe01,
    0xffffffffffff7c01, 0xfffffffffffffd00, 0xfffffffeffff3c00,
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef uint64_t (*fp2_fn)(uint64_t, uint64_t, unsigned *);

static void pairs(const char *name, fp2_fn fn, const uint64_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      unsigned fl;
      uint64_t r = fn(v[i], v[j], &fl);
      report(name, v[i], v[j], r, fl);
    }
  }
}

static void set_frm(unsigned m) {
  asm volatile("fsrm %0" : : "r"(m));
}

static void rounds(int w, const uint64_t *v, size_t n) {
  char name[32];
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < 12; k++) {
      int nx = k >= 6, m = k % 6;
      if (m < 5) {
        unsigned fl;
        uint64_t r = ROUNDS[w].fn[k](v[i], &fl);
        snprintf(name, sizeof name, "fround%s.%s.%s", nx ? "nx" : "", ROUNDS[w].name, RM_NAMES[m]);
        report(name, v[i], 0, r, fl);
      } else {
        for (unsigned frm = 0; frm < 5; frm++) {
          unsigned fl;
          set_frm(frm);
          uint64_t r = ROUNDS[w].fn[k](v[i], &fl);
          set_frm(0);
          snprintf(name, sizeof name, "fround%s.%s.d%s", nx ? "nx" : "", ROUNDS[w].name, RM_NAMES[frm]);
          report(name, v[i], 0, r, fl);
        }
      }
    }
  }
}

static void table(void) {
  static const struct {
    const char *name;
    void (*fn)(uint64_t *);
  } FLIS[] = {{"fli.s", fli_s}, {"fli.d", fli_d}, {"fli.h", fli_h}};
  for (int rep = 0; rep < 16; rep++) {
    for (int w = 0; w < 3; w++) {
      uint64_t out[32];
      memset(out, 0, sizeof out);
      FLIS[w].fn(out);
      int was = printing;
      printing = was && rep == 0;
      for (int k = 0; k < 32; k++) report(FLIS[w].name, k, 0, out[k], 0);
      printing = was;
    }
  }
  pairs("fminm.s", fminm_s, S2, N(S2));
  pairs("fmaxm.s", fmaxm_s, S2, N(S2));
  pairs("fminm.d", fminm_d, D2, N(D2));
  pairs("fmaxm.d", fmaxm_d, D2, N(D2));
  pairs("fminm.h", fminm_h, H2, N(H2));
  pairs("fmaxm.h", fmaxm_h, H2, N(H2));
  pairs("fleq.s", fleq_s, S2, N(S2));
  pairs("fltq.s", fltq_s, S2, N(S2));
  pairs("fleq.d", fleq_d, D2, N(D2));
  pairs("fltq.d", fltq_d, D2, N(D2));
  pairs("fleq.h", fleq_h, H2, N(H2));
  pairs("fltq.h", fltq_h, H2, N(H2));
  rounds(0, S, N(S));
  rounds(1, D, N(D));
  rounds(2, H, N(H));
  for (size_t i = 0; i < N(D); i++) {
    unsigned fl;
    uint64_t r = fcvtmod(D[i], &fl);
    report("fcvtmod.w.d", D[i], 0, r, fl);
  }
}

/* ---- encodings that must trap ---- */

static sigjmp_buf jump;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(jump, 1);
}

#define TRY(what, code)                                  \
  do {                                                   \
    if (sigsetjmp(jump, 1) == 0) {                       \
      asm volatile(code ::: "a0", "ft0", "ft1", "memory"); \
      printf("%-40s ran\n", what);                       \
    } else {                                             \
      printf("%-40s SIGILL\n", what);                    \
    }                                                    \
  } while (0)

static void illegal(void) {
  signal(SIGILL, on_sigill);
  TRY("fround.s rm=5", ".insn 4, 0x40405053");
  TRY("fround.d rm=6", ".insn 4, 0x42406053");
  TRY("froundnx.h rm=5", ".insn 4, 0x44505053");
  TRY("fround.d dyn, frm=5", "li a0, 5\n\tfsrm a0\n\tfround.d ft0, ft1\n\tfsrm zero");
  TRY("fround.d dyn, frm=7", "li a0, 7\n\tfsrm a0\n\tfround.d ft0, ft1\n\tfsrm zero");
  TRY("fcvtmod.w.d rm=rne", ".insn 4, 0xc2800553");
  TRY("fcvtmod.w.d rm=dyn", ".insn 4, 0xc2807553");
  TRY("fcvtmod.w.d rm=rtz", ".insn 4, 0xc2801553");
  TRY("fmvh.x.d (RV32 only)", ".insn 4, 0xe2100553");
  TRY("fmvp.d.x (RV32 only)", ".insn 4, 0xb2000053");
  TRY("fli.d with funct3=1", ".insn 4, 0xf2101053");
  TRY("fminm.s", ".insn 4, 0x28002053");
  TRY("fli.h", ".insn 4, 0xf4100053");
  signal(SIGILL, SIG_DFL);
}

static void hwprobe(void) {
  struct {
    int64_t key;
    uint64_t value;
  } pair = {4, 0}; /* RISCV_HWPROBE_KEY_IMA_EXT_0 */
  long r = syscall(258, &pair, 1, 0, 0, 0);
  printf("riscv_hwprobe: %ld, IMA_EXT_0 Zfa (bit 32): %llu\n", r, (unsigned long long)(pair.value >> 32 & 1));
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "first") == 0) {
    /* Without Zfa: the first Zfa instruction is SIGILL (no handler). */
    printf("before\n");
    fflush(stdout);
    uint64_t out[32];
    fli_d(out);
    printf("fli.d 1.0: %016llx\n", (unsigned long long)out[16]);
    return 0;
  }
  hwprobe();
  if (argc > 1 && strcmp(argv[1], "illegal") == 0) {
    /* Only the trapping encodings (for a run without Zfh: the half-precision forms trap too). */
    illegal();
    return 0;
  }
  for (int pass = 0; pass < PASSES; pass++) {
    hash = 1469598103934665603ull;
    table();
    printf("pass %d: %016llx\n", pass, (unsigned long long)hash);
    printing = 0;
  }
  illegal();
  return 0;
}
