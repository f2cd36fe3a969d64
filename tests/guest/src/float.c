/* RV64FD: arithmetic and its exception flags, every rounding mode (static in
 * the instruction and dynamic through fcsr/fenv), conversions with
 * saturation, min/max/sign-injection/classify/compare rules, NaN boxing and
 * canonical NaNs, fused multiply-add, and libm/printf over both types.
 * Values are printed as %a (exact) and %.17g/%.9g so any bit difference shows.
 * Built with -ffp-contract=off so that C expressions are not fused into fma. */
#include <fenv.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;

static u64 dbits(double d) {
  u64 u;
  memcpy(&u, &d, 8);
  return u;
}
static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static double bdouble(u64 u) {
  double d;
  memcpy(&d, &u, 8);
  return d;
}
static float bfloat(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* fflags as a short string: NV DZ OF UF NX. Rotates through buffers because
 * one printf often formats several. */
static const char *flags_str(unsigned f) {
  static char bufs[8][16];
  static unsigned next;
  char *buf = bufs[next++ % 8];
  snprintf(buf, sizeof bufs[0], "%s%s%s%s%s", f & 16 ? "NV" : "--", f & 8 ? "DZ" : "--", f & 4 ? "OF" : "--",
           f & 2 ? "UF" : "--", f & 1 ? "NX" : "--");
  return buf;
}

static unsigned read_fflags(void) {
  unsigned long f;
  __asm__ volatile("frflags %0" : "=r"(f));
  return (unsigned)f;
}
static void clear_fflags(void) { __asm__ volatile("fsflags zero"); }

static const double dvals[] = {0.0,  -0.0, 1.0,     -1.0,    0.1,      1.0 / 3,  2.5,      -2.5,    3.5,
                               1e308, DBL_MAX, DBL_MIN, 4.9e-324, 0x1p-1070, INFINITY, -INFINITY, NAN, 1e-310,
                               9007199254740993.0, 0x1.fffffffffffffp+62, -0x1p+63, 0x1p+64, 4294967296.5, -0.5, 1.5};
#define NDV (sizeof dvals / sizeof dvals[0])

#define FOP2D(name, insn)                                                         \
  static double name(double a, double b) {                                        \
    double r;                                                                     \
    __asm__ volatile(insn " %0, %1, %2" : "=f"(r) : "f"(a), "f"(b));              \
    return r;                                                                     \
  }
#define FOP2S(name, insn)                                                         \
  static float name(float a, float b) {                                           \
    float r;                                                                      \
    __asm__ volatile(insn " %0, %1, %2" : "=f"(r) : "f"(a), "f"(b));              \
    return r;                                                                     \
  }
FOP2D(fadd_d, "fadd.d") FOP2D(fsub_d, "fsub.d") FOP2D(fmul_d, "fmul.d") FOP2D(fdiv_d, "fdiv.d")
FOP2D(fmin_d, "fmin.d") FOP2D(fmax_d, "fmax.d") FOP2D(fsgnj_d, "fsgnj.d") FOP2D(fsgnjn_d, "fsgnjn.d")
FOP2D(fsgnjx_d, "fsgnjx.d")
FOP2S(fadd_s, "fadd.s") FOP2S(fsub_s, "fsub.s") FOP2S(fmul_s, "fmul.s") FOP2S(fdiv_s, "fdiv.s")
FOP2S(fmin_s, "fmin.s") FOP2S(fmax_s, "fmax.s")

/* Binary ops over all value pairs: hash of result bits and of the flags each raised. */
static void run_binary(void) {
  static const struct {
    const char *name;
    double (*d)(double, double);
    float (*s)(float, float);
  } ops[] = {{"add", fadd_d, fadd_s}, {"sub", fsub_d, fsub_s}, {"mul", fmul_d, fmul_s},
             {"div", fdiv_d, fdiv_s}, {"min", fmin_d, fmin_s}, {"max", fmax_d, fmax_s}};
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    u64 hd = 0xcbf29ce484222325ull, hs = hd;
    for (size_t i = 0; i < NDV; i++) {
      for (size_t j = 0; j < NDV; j++) {
        clear_fflags();
        double rd = ops[k].d(dvals[i], dvals[j]);
        unsigned fd = read_fflags();
        clear_fflags();
        float rs = ops[k].s((float)dvals[i], (float)dvals[j]);
        unsigned fs = read_fflags();
        hd = (hd ^ dbits(rd)) * 0x100000001b3ull;
        hd = (hd ^ fd) * 0x100000001b3ull;
        hs = (hs ^ fbits(rs)) * 0x100000001b3ull;
        hs = (hs ^ fs) * 0x100000001b3ull;
      }
    }
    printf("f%s.d hash=%016" PRIx64 "  f%s.s hash=%016" PRIx64 "\n", ops[k].name, hd, ops[k].name, hs);
  }
}

static void show_d(const char *what, double r) {
  unsigned f = read_fflags();
  printf("%-28s %-24a %-24.17g %016" PRIx64 " %s\n", what, r, r, dbits(r), flags_str(f));
}
static void show_s(const char *what, float r) {
  unsigned f = read_fflags();
  printf("%-28s %-16a %-16.9g %08" PRIx32 " %s\n", what, (double)r, (double)r, fbits(r), flags_str(f));
}

static void run_specials(void) {
  volatile double zero = 0.0, one = 1.0, three = 3.0, big = DBL_MAX, tiny = DBL_MIN, m1 = -1.0, inf = INFINITY;
  volatile float fzero = 0.0f, fone = 1.0f, fthree = 3.0f, fbig = FLT_MAX;
  clear_fflags(); show_d("1/3", one / three);
  clear_fflags(); show_d("1/0", one / zero);
  clear_fflags(); show_d("-1/0", m1 / zero);
  clear_fflags(); show_d("0/0 (canonical NaN)", zero / zero);
  clear_fflags(); show_d("sqrt(-1)", __builtin_sqrt(m1));
  clear_fflags(); show_d("DBL_MAX*2", big * 2);
  clear_fflags(); show_d("DBL_MIN*DBL_MIN", tiny * tiny);
  clear_fflags(); show_d("DBL_MIN/3 (subnormal)", tiny / 3);
  clear_fflags(); show_d("inf-inf", inf - inf);
  clear_fflags(); show_d("0*inf", zero * inf);
  clear_fflags(); show_d("sqrt(2)", __builtin_sqrt(one + one));
  clear_fflags(); show_d("-0 + 0", -zero + zero);
  clear_fflags(); show_d("-0 - 0", -zero - zero);
  clear_fflags(); show_s("1f/3f", fone / fthree);
  clear_fflags(); show_s("0f/0f", fzero / fzero);
  clear_fflags(); show_s("FLT_MAX*2", fbig * 2);
  clear_fflags(); show_s("sqrtf(2)", __builtin_sqrtf(fone + fone));
  clear_fflags(); show_s("(float)DBL_MAX", (float)big);
  clear_fflags(); show_s("(float)0.1", (float)(one / 10));
  clear_fflags(); show_d("(double)0.1f", (double)(fone / 10));
}

/* Static rounding modes in the instruction encoding. */
#define CVT_RM(name, insn, rm, T, src, cons)                                \
  static T name(src a) {                                                    \
    T r;                                                                    \
    __asm__ volatile(insn " %0, %1, " rm : "=r"(r) : cons(a));              \
    return r;                                                               \
  }
#define CVT_ALL(base, insn, T, src, cons)                                   \
  CVT_RM(base##_rne, insn, "rne", T, src, cons)                             \
  CVT_RM(base##_rtz, insn, "rtz", T, src, cons)                             \
  CVT_RM(base##_rdn, insn, "rdn", T, src, cons)                             \
  CVT_RM(base##_rup, insn, "rup", T, src, cons)                             \
  CVT_RM(base##_rmm, insn, "rmm", T, src, cons)
#define F "f"
CVT_ALL(w_d, "fcvt.w.d", int64_t, double, F)
CVT_ALL(wu_d, "fcvt.wu.d", int64_t, double, F)
CVT_ALL(l_d, "fcvt.l.d", int64_t, double, F)
CVT_ALL(lu_d, "fcvt.lu.d", int64_t, double, F)
CVT_ALL(w_s, "fcvt.w.s", int64_t, float, F)
CVT_ALL(lu_s, "fcvt.lu.s", int64_t, float, F)

static void run_conversions(void) {
  static const struct {
    const char *name;
    int64_t (*f[5])(double);
  } dconv[] = {{"fcvt.w.d", {w_d_rne, w_d_rtz, w_d_rdn, w_d_rup, w_d_rmm}},
               {"fcvt.wu.d", {wu_d_rne, wu_d_rtz, wu_d_rdn, wu_d_rup, wu_d_rmm}},
               {"fcvt.l.d", {l_d_rne, l_d_rtz, l_d_rdn, l_d_rup, l_d_rmm}},
               {"fcvt.lu.d", {lu_d_rne, lu_d_rtz, lu_d_rdn, lu_d_rup, lu_d_rmm}}};
  static const double inputs[] = {2.5, -2.5, 3.5, -0.5, 0.5, 1.4999999999999998, -1e300, 1e300, 2147483647.5,
                                  -2147483648.6, 4294967295.5, 0x1p63, -0x1p63, 0x1p64, INFINITY, -INFINITY, NAN, -0.0};
  for (size_t k = 0; k < sizeof dconv / sizeof dconv[0]; k++) {
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
      printf("%-10s %-22a", dconv[k].name, inputs[i]);
      for (int m = 0; m < 5; m++) {
        clear_fflags();
        int64_t r = dconv[k].f[m](inputs[i]);
        unsigned fl = read_fflags();
        printf(" %016" PRIx64 ":%s", (u64)r, flags_str(fl));
      }
      putchar('\n');
    }
  }
  static const float finputs[] = {2.5f, -2.5f, 0.5f, -1.0f, 3e9f, -3e9f, 1.8446744e19f, INFINITY, NAN};
  int64_t (*const fs[2][5])(float) = {{w_s_rne, w_s_rtz, w_s_rdn, w_s_rup, w_s_rmm},
                                      {lu_s_rne, lu_s_rtz, lu_s_rdn, lu_s_rup, lu_s_rmm}};
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < sizeof finputs / sizeof finputs[0]; i++) {
      printf("%-10s %-22a", k ? "fcvt.lu.s" : "fcvt.w.s", (double)finputs[i]);
      for (int m = 0; m < 5; m++) {
        clear_fflags();
        int64_t r = fs[k][m](finputs[i]);
        printf(" %016" PRIx64 ":%s", (u64)r, flags_str(read_fflags()));
      }
      putchar('\n');
    }
  }
  /* integer -> float rounding (dynamic mode = RNE here) */
  static const int64_t ints[] = {0, 1, -1, 9007199254740993LL, INT64_MAX, INT64_MIN, 16777217, -16777217};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    clear_fflags();
    double d = (double)ints[i];
    unsigned fd = read_fflags();
    clear_fflags();
    float f = (float)ints[i];
    unsigned ff = read_fflags();
    clear_fflags();
    double du = (double)(uint64_t)ints[i];
    unsigned fdu = read_fflags();
    printf("from %20" PRId64 ": d=%a %s  s=%a %s  d(u)=%a %s\n", ints[i], d, flags_str(fd), (double)f,
           flags_str(ff), du, flags_str(fdu));
  }
}

static void run_classify_compare(void) {
  static const u64 cl[] = {0xfff0000000000000ull, 0xbff0000000000000ull, 0x800fffffffffffffull, 0x8000000000000000ull,
                           0x0000000000000000ull, 0x000fffffffffffffull, 0x3ff0000000000000ull, 0x7ff0000000000000ull,
                           0x7ff0000000000001ull, 0x7ff8000000000000ull};
  for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
    u64 r;
    __asm__ volatile("fclass.d %0, %1" : "=r"(r) : "f"(bdouble(cl[i])));
    float f = (float)bdouble(cl[i]);
    if (i == 8) f = bfloat(0x7f800001); /* (float) of an sNaN would quiet it */
    u64 rs;
    __asm__ volatile("fclass.s %0, %1" : "=r"(rs) : "f"(f));
    printf("fclass %016" PRIx64 " -> d:%03" PRIx64 " s:%03" PRIx64 "\n", cl[i], r, rs);
  }
  double snan = bdouble(0x7ff0000000000001ull), qnan = NAN;
  static const struct {
    const char *name;
    double a, b;
  } cmp[] = {{"1,2", 1, 2}, {"2,1", 2, 1}, {"-0,+0", -0.0, 0.0}, {"qnan,1", 0, 1}, {"snan,1", 0, 1}, {"inf,inf", INFINITY, INFINITY}};
  for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++) {
    double a = i == 3 ? qnan : i == 4 ? snan : cmp[i].a, b = cmp[i].b;
    u64 eq, lt, le;
    clear_fflags();
    __asm__ volatile("feq.d %0, %1, %2" : "=r"(eq) : "f"(a), "f"(b));
    unsigned feq = read_fflags();
    clear_fflags();
    __asm__ volatile("flt.d %0, %1, %2" : "=r"(lt) : "f"(a), "f"(b));
    unsigned flt = read_fflags();
    clear_fflags();
    __asm__ volatile("fle.d %0, %1, %2" : "=r"(le) : "f"(a), "f"(b));
    unsigned fle = read_fflags();
    printf("cmp %-8s feq=%" PRIu64 " %s flt=%" PRIu64 " %s fle=%" PRIu64 " %s\n", cmp[i].name, eq, flags_str(feq), lt,
           flags_str(flt), le, flags_str(fle));
  }
  /* min/max: NaN operands, both NaN, signed zeros, sNaN raises NV */
  clear_fflags(); show_d("fmin(qnan, 2)", fmin_d(qnan, 2));
  clear_fflags(); show_d("fmax(2, qnan)", fmax_d(2, qnan));
  clear_fflags(); show_d("fmin(qnan, qnan)", fmin_d(qnan, -qnan));
  clear_fflags(); show_d("fmin(snan, 2)", fmin_d(snan, 2));
  clear_fflags(); show_d("fmin(-0, +0)", fmin_d(-0.0, 0.0));
  clear_fflags(); show_d("fmax(-0, +0)", fmax_d(-0.0, 0.0));
  clear_fflags(); show_d("fsgnj(1, -2)", fsgnj_d(1, -2));
  clear_fflags(); show_d("fsgnjn(1, -2)", fsgnjn_d(1, -2));
  clear_fflags(); show_d("fsgnjx(-1, -2)", fsgnjx_d(-1, -2));
  clear_fflags(); show_d("fsgnj(qnan, -1)", fsgnj_d(qnan, -1));
  clear_fflags(); show_d("snan + 1", fadd_d(snan, 1));
}

static void run_nan_boxing(void) {
  u64 r;
  /* fmv.w.x writes a NaN-boxed single: upper 32 bits all ones */
  __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(0x3f800000ull) : "ft0");
  printf("fmv.w.x 1.0f boxed      %016" PRIx64 "\n", r);
  /* flw boxes too */
  float one = 1.0f;
  __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(r) : "r"(&one) : "ft0");
  printf("flw 1.0f boxed          %016" PRIx64 "\n", r);
  /* An improperly boxed single reads as the canonical NaN */
  __asm__ volatile("fmv.d.x ft0, %1\n\tfadd.s ft1, ft0, ft0\n\tfmv.x.w %0, ft1" : "=r"(r) : "r"(0x000000003f800000ull) : "ft0", "ft1");
  printf("fadd.s of unboxed       %016" PRIx64 "\n", r);
  /* fmv.x.w sign-extends the low 32 bits whatever the boxing */
  __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.w %0, ft0" : "=r"(r) : "r"(0x12345678bf800000ull) : "ft0");
  printf("fmv.x.w sign-extends    %016" PRIx64 "\n", r);
  /* fsgnj.s on an unboxed value: operands are the canonical NaN */
  __asm__ volatile("fmv.d.x ft0, %1\n\tfsgnj.s ft1, ft0, ft0\n\tfmv.x.d %0, ft1" : "=r"(r) : "r"(0x00000000bf800000ull) : "ft0", "ft1");
  printf("fsgnj.s of unboxed      %016" PRIx64 "\n", r);
  /* fcvt.d.s of an unboxed single */
  __asm__ volatile("fmv.d.x ft0, %1\n\tfcvt.d.s ft1, ft0\n\tfmv.x.d %0, ft1" : "=r"(r) : "r"(0x000000003f800000ull) : "ft0", "ft1");
  printf("fcvt.d.s of unboxed     %016" PRIx64 "\n", r);
  /* float NaN -> double gives the canonical double NaN (payload dropped) */
  __asm__ volatile("fmv.w.x ft0, %1\n\tfcvt.d.s ft1, ft0\n\tfmv.x.d %0, ft1" : "=r"(r) : "r"(0x7fc12345ull) : "ft0", "ft1");
  printf("fcvt.d.s of NaN payload %016" PRIx64 "\n", r);
}

static void run_fma(void) {
  static const double a[] = {1 + 0x1p-52, 0.1, -3.0, 1e308, 0x1p-1000};
  static const double b[] = {1 - 0x1p-52, 10.0, 7.0, 10.0, 0x1p-100};
  static const double c[] = {-1.0, -1.0, 21.0, -1e308, 0x1p-1074};
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
    double r[4];
    unsigned f[4];
    clear_fflags();
    __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(r[0]) : "f"(a[i]), "f"(b[i]), "f"(c[i]));
    f[0] = read_fflags();
    clear_fflags();
    __asm__ volatile("fmsub.d %0, %1, %2, %3" : "=f"(r[1]) : "f"(a[i]), "f"(b[i]), "f"(c[i]));
    f[1] = read_fflags();
    clear_fflags();
    __asm__ volatile("fnmadd.d %0, %1, %2, %3" : "=f"(r[2]) : "f"(a[i]), "f"(b[i]), "f"(c[i]));
    f[2] = read_fflags();
    clear_fflags();
    __asm__ volatile("fnmsub.d %0, %1, %2, %3" : "=f"(r[3]) : "f"(a[i]), "f"(b[i]), "f"(c[i]));
    f[3] = read_fflags();
    printf("fma[%zu] %a %s | %a %s | %a %s | %a %s\n", i, r[0], flags_str(f[0]), r[1], flags_str(f[1]), r[2],
           flags_str(f[2]), r[3], flags_str(f[3]));
  }
  float fr;
  clear_fflags();
  __asm__ volatile("fmadd.s %0, %1, %2, %3" : "=f"(fr) : "f"(1 + 0x1p-23f), "f"(1 - 0x1p-23f), "f"(-1.0f));
  show_s("fmadd.s exact residue", fr);
  double inf = INFINITY, z = 0.0, q = NAN, rr;
  clear_fflags();
  __asm__ volatile("fmadd.d %0, %1, %2, %3" : "=f"(rr) : "f"(inf), "f"(z), "f"(q));
  show_d("fmadd(inf, 0, qnan) NV", rr);
}

static void run_rounding_modes(void) {
  static const struct {
    const char *name;
    int mode;
  } modes[] = {{"nearest", FE_TONEAREST}, {"upward", FE_UPWARD}, {"downward", FE_DOWNWARD}, {"towardzero", FE_TOWARDZERO}};
  volatile double one = 1.0, three = 3.0, m2 = -2.0, big = 0x1p53, tenth = 0.1;
  volatile float fone = 1.0f, fthree = 3.0f;
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    fesetround(modes[i].mode);
    unsigned long frm;
    __asm__ volatile("frrm %0" : "=r"(frm));
    double q = one / three, nq = -one / three, s = big + one + one + one, sq = __builtin_sqrt(three);
    float fq = fone / fthree;
    long lr = lrint(m2 - 0.5), lr2 = lrint(2.5);
    double rn = rint(-2.5), ny = nearbyint(2.5);
    printf("%-10s frm=%lu 1/3=%a -1/3=%a 2^53+3=%.17g sqrt3=%a 1f/3f=%a lrint(-2.5)=%ld lrint(2.5)=%ld rint(-2.5)=%g "
           "nearbyint(2.5)=%g 0.1*3=%a\n",
           modes[i].name, frm, q, nq, s, sq, (double)fq, lr, lr2, rn, ny, tenth * three);
  }
  fesetround(FE_TONEAREST);
  /* frm write/read through fcsr, and the fcsr layout (frm << 5 | fflags) */
  unsigned long old, fcsr;
  __asm__ volatile("fsrmi %0, 3" : "=r"(old));
  __asm__ volatile("frcsr %0" : "=r"(fcsr));
  printf("fsrmi old=%lu fcsr after=%#lx\n", old, fcsr);
  __asm__ volatile("fscsr %0, %1" : "=r"(old) : "r"(0xffUL));
  __asm__ volatile("frcsr %0" : "=r"(fcsr));
  printf("fscsr 0xff: old=%#lx now=%#lx\n", old, fcsr);
  __asm__ volatile("fscsr zero");
  fesetround(FE_TONEAREST);
}

static void run_fenv(void) {
  static const struct {
    const char *name;
    int which;
  } ops[] = {{"1/3", 0}, {"1/0", 1}, {"0/0", 2}, {"DBL_MAX*2", 3}, {"DBL_MIN/2^10", 4}, {"1+1", 5}, {"sqrt(-1)", 6}};
  volatile double one = 1.0, zero = 0.0, big = DBL_MAX, tiny = DBL_MIN, m1 = -1.0;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    feclearexcept(FE_ALL_EXCEPT);
    volatile double r = 0;
    switch (ops[i].which) {
    case 0: r = one / 3; break;
    case 1: r = one / zero; break;
    case 2: r = zero / zero; break;
    case 3: r = big * 2; break;
    case 4: r = tiny / 1024; break;
    case 5: r = one + one; break;
    default: r = sqrt(m1); break;
    }
    (void)r;
    int e = fetestexcept(FE_ALL_EXCEPT);
    printf("fetestexcept %-14s INEXACT=%d DIVBYZERO=%d INVALID=%d OVERFLOW=%d UNDERFLOW=%d\n", ops[i].name,
           !!(e & FE_INEXACT), !!(e & FE_DIVBYZERO), !!(e & FE_INVALID), !!(e & FE_OVERFLOW), !!(e & FE_UNDERFLOW));
  }
  feclearexcept(FE_ALL_EXCEPT);
  feraiseexcept(FE_OVERFLOW | FE_INEXACT);
  printf("feraiseexcept OVERFLOW|INEXACT -> fflags %s\n", flags_str(read_fflags()));
  fenv_t env;
  fegetenv(&env);
  feclearexcept(FE_ALL_EXCEPT);
  fesetround(FE_UPWARD);
  fesetenv(&env);
  printf("fesetenv restores: round=%s flags=%s\n", fegetround() == FE_TONEAREST ? "nearest" : "other",
         flags_str(read_fflags()));
  feclearexcept(FE_ALL_EXCEPT);
}

static void run_libm(void) {
  static const double xs[] = {0.5, -0.75, 1.0, 2.0, 3.141592653589793, 10.0, 100.5, -1e-5, 700.0, 0x1p-30};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i];
    printf("x=%a sqrt=%a sin=%a cos=%a tan=%a exp=%a log=%a log2=%a log10=%a\n", x, sqrt(fabs(x)), sin(x), cos(x),
           tan(x), exp(x), log(fabs(x)), log2(fabs(x)), log10(fabs(x)));
    printf("  pow(x,1.5)=%a pow(1.5,x)=%a atan2=%a cbrt=%a hypot=%a expm1=%a log1p=%a sinh=%a tanh=%a\n", pow(fabs(x), 1.5),
           pow(1.5, x), atan2(x, 1.25), cbrt(x), hypot(x, 3.0), expm1(x), log1p(fabs(x)), sinh(x > 700 ? 1 : x), tanh(x));
    printf("  floor=%g ceil=%g round=%g trunc=%g rint=%g lround=%ld fmod=%a remainder=%a\n", floor(x * 3.3),
           ceil(x * 3.3), round(x * 3.3), trunc(x * 3.3), rint(x * 3.3), lround(x * 3.3), fmod(x, 0.7),
           remainder(x, 0.7));
    float xf = (float)x;
    printf("  f: sqrtf=%a sinf=%a expf=%a logf=%a powf=%a fmaf=%a\n", (double)sqrtf(fabsf(xf)), (double)sinf(xf),
           (double)expf(xf > 80 ? 80 : xf), (double)logf(fabsf(xf)), (double)powf(fabsf(xf), 0.3f),
           (double)fmaf(xf, 3.0f, -1.0f));
    int ex;
    double fr = frexp(x, &ex), ip, fp = modf(x, &ip);
    printf("  frexp=%a,%d ldexp=%a modf=%a,%a nextafter=%a fma=%a\n", fr, ex, ldexp(x, -1074), fp, ip, nextafter(x, 0),
           fma(x, x, -x * x));
  }
}

static void run_printf_strtod(void) {
  static const double vs[] = {0.1, 1e23, 5e-324, 1.7976931348623157e308, 123456789.125, -0.0, 2.0 / 3, 1e-7, 0.5};
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
    printf("%.17g | %a | %e | %.3f | %g | %.0f\n", vs[i], vs[i], vs[i], vs[i], vs[i], vs[i]);
  printf("inf=%f -inf=%f nan=%f\n", INFINITY, -INFINITY, NAN);
  static const char *strs[] = {"0.1", "1e23", "2.2250738585072011e-308", "4.9e-324", "0x1.8p1", "1e400", "-1e-400",
                               "123456789012345678901234567890", "3.14159265358979323846264338327950288", "inf", "nan"};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    double d = strtod(strs[i], NULL);
    float f = strtof(strs[i], NULL);
    printf("strtod(%s) = %a  strtof = %a\n", strs[i], d, (double)f);
  }
}

/* Bulk: many pseudo-random operands through the arithmetic unit. */
static void run_bulk(void) {
  u64 s = 0x9e3779b97f4a7c15ull, h = 0xcbf29ce484222325ull;
  unsigned acc_flags = 0;
  clear_fflags();
  for (int i = 0; i < 20000; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    double a = bdouble((s & 0x800fffffffffffffull) | ((u64)(0x3c0 + (s >> 52) % 128) << 52));
    double b = bdouble(((s * 0x2545f4914f6cdd1dull) & 0x800fffffffffffffull) | ((u64)(0x3a0 + (s >> 40) % 192) << 52));
    double r1 = a + b, r2 = a * b, r3 = a / b, r4 = __builtin_sqrt(__builtin_fabs(a)), r5 = __builtin_fma(a, b, r1);
    float f1 = (float)a * (float)b, f2 = (float)a / (float)b;
    h = (h ^ dbits(r1)) * 0x100000001b3ull;
    h = (h ^ dbits(r2)) * 0x100000001b3ull;
    h = (h ^ dbits(r3)) * 0x100000001b3ull;
    h = (h ^ dbits(r4)) * 0x100000001b3ull;
    h = (h ^ dbits(r5)) * 0x100000001b3ull;
    h = (h ^ fbits(f1)) * 0x100000001b3ull;
    h = (h ^ fbits(f2)) * 0x100000001b3ull;
  }
  acc_flags = read_fflags();
  printf("bulk hash=%016" PRIx64 " flags=%s\n", h, flags_str(acc_flags));
}

int main(void) {
  run_binary();
  run_specials();
  run_conversions();
  run_classify_compare();
  run_nan_boxing();
  run_fma();
  run_rounding_modes();
  run_fenv();
  run_libm();
  run_printf_strtod();
  run_bulk();
  return 0;
}
