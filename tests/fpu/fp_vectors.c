/*
 * Oracle vectors for plume's F/D helpers (core/fpu/).
 *
 * Runs every F/D computational instruction on RV64 (under qemu-riscv64, whose
 * softfloat is the oracle) over interesting and pseudo-random operands, once
 * per static rounding mode and once per dynamic mode (after fsrm), and prints
 * what the hardware produced. fflags is cleared before each instruction and
 * read right after it.
 *
 * Output (text, one operand tuple per line, hex without leading zeros):
 *   @<mnemonic>                   starts the cases of one instruction
 *   <ops...> <res>:<fl> x10       rounded ops: results for static rne rtz rdn
 *                                 rup rmm, then dyn with frm = 0..4
 *   <ops...> <res>:<fl>           ops without a rounding mode
 * Operands and FP results are full 64-bit register patterns (so NaN-boxing is
 * visible); integer results are the 64-bit destination register.
 *
 * Built by build/gen_fpu_vectors.sh; deterministic (fixed seed).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>

typedef uint64_t u64;
typedef unsigned (*op_fn)(int rm, u64 a, u64 b, u64 c, u64 *r);

/* rm 0..4: static mode in the instruction; 5..9: dyn with frm = rm - 5. */
#define NMODES 10

static void set_frm(int m) { __asm__ volatile("fsrm %0" : : "r"(m)); }

/* ---- instruction wrappers ------------------------------------------------ */

#define PRE_F1 "fmv.d.x ft0, %2\n\tfsflags zero\n\t"
#define PRE_F2 "fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\tfsflags zero\n\t"
#define PRE_F3 "fmv.d.x ft0, %2\n\tfmv.d.x ft1, %3\n\tfmv.d.x ft2, %4\n\tfsflags zero\n\t"
#define POST_F "\n\tfrflags %1\n\tfmv.x.d %0, ft3"
#define POST_X "\n\tfrflags %1"
#define CLOB "ft0", "ft1", "ft2", "ft3"

#define ASM_FF1(I) __asm__ volatile(PRE_F1 I POST_F : "=r"(o), "=r"(fl) : "r"(a) : CLOB)
#define ASM_FF2(I) __asm__ volatile(PRE_F2 I POST_F : "=r"(o), "=r"(fl) : "r"(a), "r"(b) : CLOB)
#define ASM_FF3(I) __asm__ volatile(PRE_F3 I POST_F : "=r"(o), "=r"(fl) : "r"(a), "r"(b), "r"(c) : CLOB)
#define ASM_XF1(I) __asm__ volatile(PRE_F1 I POST_X : "=r"(o), "=r"(fl) : "r"(a) : CLOB)
#define ASM_XF2(I) __asm__ volatile(PRE_F2 I POST_X : "=r"(o), "=r"(fl) : "r"(a), "r"(b) : CLOB)
#define ASM_FX1(I) __asm__ volatile("fsflags zero\n\t" I POST_F : "=r"(o), "=r"(fl) : "r"(a) : CLOB)

/* One function per instruction; SWITCH expands the asm once per mode. */
#define SWITCH(ASM, I)                                                                                                 \
  switch (rm) {                                                                                                        \
  case 0: ASM(I ", rne"); break;                                                                                       \
  case 1: ASM(I ", rtz"); break;                                                                                       \
  case 2: ASM(I ", rdn"); break;                                                                                       \
  case 3: ASM(I ", rup"); break;                                                                                       \
  case 4: ASM(I ", rmm"); break;                                                                                       \
  default: set_frm(rm - 5); ASM(I ", dyn"); break;                                                                     \
  }

/* fcvt.d.s/w/wu take no rm operand in GNU as: encode them with .insn. */
#define SWITCH_INSN(ASM, F7, RD, RS1, RS2)                                                                             \
  switch (rm) {                                                                                                        \
  case 0: ASM(".insn r OP_FP, 0, " F7 ", " RD ", " RS1 ", " RS2); break;                                               \
  case 1: ASM(".insn r OP_FP, 1, " F7 ", " RD ", " RS1 ", " RS2); break;                                               \
  case 2: ASM(".insn r OP_FP, 2, " F7 ", " RD ", " RS1 ", " RS2); break;                                               \
  case 3: ASM(".insn r OP_FP, 3, " F7 ", " RD ", " RS1 ", " RS2); break;                                               \
  case 4: ASM(".insn r OP_FP, 4, " F7 ", " RD ", " RS1 ", " RS2); break;                                               \
  default: set_frm(rm - 5); ASM(".insn r OP_FP, 7, " F7 ", " RD ", " RS1 ", " RS2); break;                             \
  }

#define DEF(NAME, BODY)                                                                                                \
  static unsigned NAME(int rm, u64 a, u64 b, u64 c, u64 *r) {                                                          \
    u64 o, fl;                                                                                                         \
    (void)rm; (void)a; (void)b; (void)c;                                                                               \
    BODY;                                                                                                              \
    *r = o;                                                                                                            \
    return (unsigned)fl;                                                                                               \
  }

#define FF1R(N, I) DEF(N, SWITCH(ASM_FF1, I " ft3, ft0"))
#define FF2R(N, I) DEF(N, SWITCH(ASM_FF2, I " ft3, ft0, ft1"))
#define FF3R(N, I) DEF(N, SWITCH(ASM_FF3, I " ft3, ft0, ft1, ft2"))
#define FF2(N, I) DEF(N, ASM_FF2(I " ft3, ft0, ft1"))
#define XF2(N, I) DEF(N, ASM_XF2(I " %0, ft0, ft1"))
#define XF1(N, I) DEF(N, ASM_XF1(I " %0, ft0"))
#define XF1R(N, I) DEF(N, SWITCH(ASM_XF1, I " %0, ft0"))
#define FX1R(N, I) DEF(N, SWITCH(ASM_FX1, I " ft3, %2"))
#define FX1(N, I) DEF(N, ASM_FX1(I " ft3, %2"))

#define PER_FMT(T)                                                                                                     \
  FF2R(fadd_##T, "fadd." #T)                                                                                           \
  FF2R(fsub_##T, "fsub." #T)                                                                                           \
  FF2R(fmul_##T, "fmul." #T)                                                                                           \
  FF2R(fdiv_##T, "fdiv." #T)                                                                                           \
  FF1R(fsqrt_##T, "fsqrt." #T)                                                                                         \
  FF3R(fmadd_##T, "fmadd." #T)                                                                                         \
  FF3R(fmsub_##T, "fmsub." #T)                                                                                         \
  FF3R(fnmsub_##T, "fnmsub." #T)                                                                                       \
  FF3R(fnmadd_##T, "fnmadd." #T)                                                                                       \
  FF2(fmin_##T, "fmin." #T)                                                                                            \
  FF2(fmax_##T, "fmax." #T)                                                                                            \
  FF2(fsgnj_##T, "fsgnj." #T)                                                                                          \
  FF2(fsgnjn_##T, "fsgnjn." #T)                                                                                        \
  FF2(fsgnjx_##T, "fsgnjx." #T)                                                                                        \
  XF2(feq_##T, "feq." #T)                                                                                              \
  XF2(flt_##T, "flt." #T)                                                                                              \
  XF2(fle_##T, "fle." #T)                                                                                              \
  XF1(fclass_##T, "fclass." #T)                                                                                        \
  XF1R(fcvt_w_##T, "fcvt.w." #T)                                                                                       \
  XF1R(fcvt_wu_##T, "fcvt.wu." #T)                                                                                     \
  XF1R(fcvt_l_##T, "fcvt.l." #T)                                                                                       \
  XF1R(fcvt_lu_##T, "fcvt.lu." #T)                                                                                     \
  FX1R(fcvt_##T##_l, "fcvt." #T ".l")                                                                                  \
  FX1R(fcvt_##T##_lu, "fcvt." #T ".lu")

PER_FMT(s)
PER_FMT(d)
FX1R(fcvt_s_w, "fcvt.s.w")
FX1R(fcvt_s_wu, "fcvt.s.wu")
DEF(fcvt_d_w, SWITCH_INSN(ASM_FX1, "0x69", "ft3", "%2", "x0"))
DEF(fcvt_d_wu, SWITCH_INSN(ASM_FX1, "0x69", "ft3", "%2", "x1"))
FF1R(fcvt_s_d, "fcvt.s.d")
DEF(fcvt_d_s, SWITCH_INSN(ASM_FF1, "0x21", "ft3", "ft0", "f0"))
XF1(fmv_x_w, "fmv.x.w")
XF1(fmv_x_d, "fmv.x.d")
FX1(fmv_w_x, "fmv.w.x")
FX1(fmv_d_x, "fmv.d.x")

/* ---- pseudo-random numbers (xorshift64*, fixed seed) --------------------- */

static u64 rng = 0x2545F4914F6CDD1DULL;
static u64 rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DULL;
}
static u64 rndn(u64 n) { return rnd() % n; }

static u64 box(u64 s) { return 0xffffffff00000000ULL | (s & 0xffffffffULL); }
static double as_d(u64 x) { double d; memcpy(&d, &x, 8); return d; }
static u64 d_bits(double d) { u64 x; memcpy(&x, &d, 8); return x; }
static float as_f(u64 x) { uint32_t w = (uint32_t)x; float f; memcpy(&f, &w, 4); return f; }
static u64 f_bits(float f) { uint32_t w; memcpy(&w, &f, 4); return box(w); }

/* ---- operand pools -------------------------------------------------------- */

static const u64 SPECIAL_D[] = {
  0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x8000000000000001, 0x0000000000000003,
  0x000fffffffffffff, 0x800fffffffffffff, 0x0008000000000000, 0x0010000000000000, 0x8010000000000000,
  0x0010000000000001, 0x001fffffffffffff, 0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000000000001,
  0x3fefffffffffffff, 0x3fe0000000000000, 0xbfe0000000000000, 0x3fe0000000000001, 0x3ff8000000000000,
  0xbff8000000000000, 0x4000000000000000, 0x4004000000000000, 0xc00c000000000000, 0x7fefffffffffffff,
  0xffefffffffffffff, 0x7fe0000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
  0xfff8000000000000, 0x7ff0000000000001, 0x7ff4000000000000, 0xfff0000000000001, 0x7ffc000000000123,
  0x3ca0000000000000, 0x3cb0000000000000, 0x3ca8000000000000, 0x4340000000000000, 0x4330000000000001,
  0x41e0000000000000, 0xc1e0000000000000, 0x41dfffffffc00000, 0xc1e0000000200000, 0x41efffffffe00000,
  0x41f0000000000000, 0x43e0000000000000, 0xc3e0000000000000, 0x43dfffffffffffff, 0xc3e0000000000001,
  0x43f0000000000000, 0x43efffffffffffff, 0x3fd5555555555555, 0x400921fb54442d18, 0x1ff0000000000000,
  0x5ff0000000000000, 0x0350000000000000, 0x36a0000000000000, 0x47efffffe0000000, 0x47efffffefffffff,
  0x3810000000000000, 0x380fffffffffffff, 0x3800000000000000, 0x4330000000000000,
};
#define N_SPECIAL_D (sizeof SPECIAL_D / sizeof SPECIAL_D[0])

static const uint32_t SPECIAL_S32[] = {
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x00000003, 0x007fffff, 0x807fffff, 0x00400000, 0x00800000,
  0x80800000, 0x00800001, 0x00ffffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x3f000000, 0xbf000000,
  0x3f000001, 0x3fc00000, 0xbfc00000, 0x40000000, 0x40200000, 0xc0600000, 0x7f7fffff, 0xff7fffff, 0x7f000000,
  0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0xff800001, 0x7fc12345, 0x33000000,
  0x33800000, 0x33400000, 0x4b800000, 0x4b000001, 0x4f000000, 0xcf000000, 0x4effffff, 0xcf000001, 0x4f7fffff,
  0x4f800000, 0x5f000000, 0xdf000000, 0x5effffff, 0xdf000001, 0x5f800000, 0x5f7fffff, 0x3eaaaaab, 0x40490fdb,
  0x1f800000, 0x5f800001, 0x0c800000, 0x4b000000,
};
#define N_SPECIAL_S32 (sizeof SPECIAL_S32 / sizeof SPECIAL_S32[0])

/* Register patterns that are not properly NaN-boxed singles. */
static const u64 UNBOXED[] = {
  0x000000003f800000, 0x7ff8000000000000, 0xfffffffe3f800000, 0x3ff0000000000000, 0x7fffffff7f800001,
};
#define N_UNBOXED (sizeof UNBOXED / sizeof UNBOXED[0])

static const u64 SPECIAL_INT[] = {
  0, 1, 2, 3, 0xffffffffffffffff, 0xfffffffffffffffe, 0x7fffffff, 0x80000000, 0xffffffff80000000,
  0xffffffff7fffffff, 0xffffffff, 0x100000000, 0x1000000, 0x1000001, 0x1000003, 0xffffffffff000001, 0x2000005,
  0x20000000000000, 0x20000000000001, 0x20000000000003, 0x1fffffffffffff, 0xffdfffffffffffff,
  0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001, 0xfffffffffffffbff, 0xfffffffffffffc00,
  0x7ffffffffffffc00, 0x7ffffffffffffe00, 0x7ffffffffffffdff, 0xffffff7fffffffff, 0xffffff8000000000,
  0x8000008000000000, 0x4000004000000000, 0x4000004000000001, 0x00000000ffffff80, 0x00000000ffffff7f,
  0x000000007fffffc0, 0x000000007fffffbf, 0x0000000080000080, 0xffffffffffffff80,
};
#define N_SPECIAL_INT (sizeof SPECIAL_INT / sizeof SPECIAL_INT[0])

/* Values around the integer conversion limits and rounding ties. */
static const double CVT_D[] = {
  0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994, 0.5000000000000001, 0.75, -0.75,
  -1.0, -0.0, 3.5, 4.5, -3.5, 1e-300, -1e-300, 4503599627370495.5, -4503599627370495.5, 4503599627370496.0,
  2147483647.0, 2147483647.5, 2147483648.0, 2147483648.5, -2147483648.0, -2147483648.5, -2147483649.0,
  -2147483648.25, 2147483646.5, 2147483647.25, 4294967295.0, 4294967295.5, 4294967296.0, 4294967294.5,
  4294967295.25, -1.25, -0.25, 9223372036854775807.0, 9223372036854774784.0, -9223372036854775808.0,
  -9223372036854777856.0, 18446744073709549568.0, 18446744073709551616.0, 1e30, -1e30, 1e300, -1e300,
};
#define N_CVT_D (sizeof CVT_D / sizeof CVT_D[0])

static const float CVT_S[] = {
  0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, 0.50000006f, -0.49999997f, -1.0f, -0.0f, 8388607.5f,
  -8388607.5f, 8388608.0f, 2147483520.0f, 2147483648.0f, -2147483648.0f, -2147483904.0f, 4294967040.0f,
  4294967296.0f, 9223371487098961920.0f, 9223372036854775808.0f, -9223372036854775808.0f, -9223373136366403584.0f,
  18446742974197923840.0f, 18446744073709551616.0f, -0.75f, 0.75f, 1e-30f, -1e-30f, 1e30f, -1e30f,
};
#define N_CVT_S (sizeof CVT_S / sizeof CVT_S[0])

/* A random double with a structured exponent/significand mix. */
static u64 rand_d(void) {
  u64 sign = rnd() & 0x8000000000000000ULL;
  u64 frac = rnd() & 0x000fffffffffffffULL;
  u64 e;
  switch (rndn(10)) {
  case 0: return rnd();                                           /* anything, NaN and inf included */
  case 1: e = 1023 - 40 + rndn(80); break;                        /* near 1 */
  case 2: e = 1023 - 40 + rndn(80); frac &= ~0ULL << rndn(53); break; /* few significant bits */
  case 3: e = rndn(60); break;                                    /* subnormals, near the underflow edge */
  case 4: e = 2046 - rndn(40); break;                             /* near overflow */
  case 5: e = 1023 - 511 - 30 + rndn(60); break;                  /* products near the underflow edge */
  case 6: e = 1023 + 511 - 30 + rndn(60); break;                  /* products near overflow */
  case 7: return d_bits((double)((int64_t)rndn(1 << 21) - (1 << 20)));
  case 8: e = 1023 + 20 + rndn(48); frac &= ~0ULL << rndn(53); break; /* integer-conversion range */
  default: e = 1 + rndn(2046); break;
  }
  return sign | (e << 52) | frac;
}

static u64 rand_s(void) {
  uint32_t sign = (uint32_t)rnd() & 0x80000000u;
  uint32_t frac = (uint32_t)rnd() & 0x7fffffu;
  uint32_t e;
  switch (rndn(10)) {
  case 0: return box(rnd());
  case 1: e = 127 - 20 + rndn(40); break;
  case 2: e = 127 - 20 + rndn(40); frac &= ~0u << rndn(24); break;
  case 3: e = rndn(30); break;
  case 4: e = 254 - rndn(20); break;
  case 5: e = 127 - 63 - 15 + rndn(30); break;
  case 6: e = 127 + 63 - 15 + rndn(30); break;
  case 7: return f_bits((float)((int32_t)rndn(1 << 13) - (1 << 12)));
  case 8: e = 127 + 10 + rndn(58); frac &= ~0u << rndn(24); break;
  default: e = 1 + rndn(254); break;
  }
  return box(sign | (e << 23) | frac);
}

/* Results that sit on a boundary: the smallest normal (tininess after
   rounding), just below it, the largest finite (overflow in directed modes). */
static const double TARGET_D[] = {0x1p-1022, 0x1.fffffffffffffp-1023, 0x1.0000000000001p-1022, 0x1p-1074,
                                  0x1.fffffffffffffp1023, 0x1p-1023};
static const float TARGET_S[] = {0x1p-126f, 0x1.fffffep-127f, 0x1.000002p-126f, 0x1p-149f, 0x1.fffffep127f, 0x1p-127f};

/* An operand that puts the sum, product or quotient with `a` near a boundary, give or take a few ulps. */
static u64 boundary_d(u64 a) {
  double t = TARGET_D[rndn(6)] * ((rnd() & 1) ? -1 : 1), x = as_d(a), b;
  switch (rndn(3)) {
  case 0: b = t - x; break;
  case 1: b = t / x; break;
  default: b = x / t; break;
  }
  return d_bits(b) ^ rndn(4);
}

static u64 boundary_s(u64 a) {
  float t = TARGET_S[rndn(6)] * ((rnd() & 1) ? -1 : 1), x = as_f(a), b;
  switch (rndn(3)) {
  case 0: b = t - x; break;
  case 1: b = t / x; break;
  default: b = x / t; break;
  }
  return box(f_bits(b) ^ rndn(4));
}

/* A second operand related to the first: cancellation, ties, scaled copies, boundaries. */
static u64 related_d(u64 a) {
  switch (rndn(7)) {
  case 5: return boundary_d(a);
  case 0: return a ^ 0x8000000000000000ULL ^ rndn(256);            /* near -a: cancellation */
  case 1: return a ^ rndn(16);                                     /* near a */
  case 2: {                                                        /* a scaled: exponent gap */
    int64_t e = (int64_t)((a >> 52) & 0x7ff) - (int64_t)rndn(70);
    if (e < 1) e = 1;
    return (a & 0x800fffffffffffffULL) ^ ((u64)e << 52) ^ (rnd() & 0x8000000000000000ULL);
  }
  case 3: return d_bits(as_d(a) * 0x1p-53 * (double)(1 + 2 * rndn(4))); /* halfway-ish addend */
  default: return rand_d();
  }
}

static u64 related_s(u64 a) {
  switch (rndn(7)) {
  case 5: return boundary_s(a);
  case 0: return box((a ^ 0x80000000u ^ rndn(64)));
  case 1: return box(a ^ rndn(8));
  case 2: {
    int32_t e = (int32_t)((a >> 23) & 0xff) - (int32_t)rndn(36);
    if (e < 1) e = 1;
    return box(((a & 0x807fffffu) ^ ((uint32_t)e << 23)) ^ ((uint32_t)rnd() & 0x80000000u));
  }
  case 3: return f_bits(as_f(a) * 0x1p-24f * (float)(1 + 2 * rndn(4)));
  default: return rand_s();
  }
}

static u64 rand_int(void) {
  u64 v = rnd();
  switch (rndn(4)) {
  case 0: return v;
  case 1: return v >> rndn(64);                                   /* random bit length, positive */
  case 2: return (u64)(-(int64_t)(v >> rndn(64)));                /* random bit length, negative */
  default: return (v >> rndn(64)) & (~0ULL << rndn(40));          /* trailing zeros: exact or ties */
  }
}

/* ---- printing -------------------------------------------------------------- */

static void run(op_fn f, int rounded, int nops, u64 a, u64 b, u64 c) {
  u64 ops[3] = {a, b, c};
  for (int i = 0; i < nops; i++) printf("%lx ", (unsigned long)ops[i]);
  int n = rounded ? NMODES : 1;
  for (int m = 0; m < n; m++) {
    u64 r;
    unsigned fl = f(m, a, b, c, &r);
    printf(m + 1 < n ? "%lx:%x " : "%lx:%x\n", (unsigned long)r, fl);
  }
  set_frm(0);
}

typedef struct {
  const char *name;
  op_fn fn;
  int rounded;
  int nops;
  char in;  /* operand pool: 'd' double, 's' single, 'i' integer */
} Op;

static u64 pool_d[N_SPECIAL_D], pool_s[N_SPECIAL_S32 + N_UNBOXED];
static int n_pool_s;

static u64 pick(char in, int special, int i) {
  if (in == 'd') return special ? pool_d[i % N_SPECIAL_D] : rand_d();
  if (in == 's') return special ? pool_s[i % n_pool_s] : rand_s();
  return special ? SPECIAL_INT[i % N_SPECIAL_INT] : rand_int();
}

static int pool_size(char in) { return in == 'd' ? (int)N_SPECIAL_D : in == 's' ? n_pool_s : (int)N_SPECIAL_INT; }

static u64 related(char in, u64 a) { return in == 'd' ? related_d(a) : related_s(a); }

/* All special pairs, then random pairs (half of them related). */
static void gen2(const Op *op, int nrand) {
  int n = pool_size(op->in);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) run(op->fn, op->rounded, 2, pick(op->in, 1, i), pick(op->in, 1, j), 0);
  for (int k = 0; k < nrand; k++) {
    u64 a = pick(op->in, 0, 0);
    u64 b = (k & 1) ? related(op->in, a) : (k & 2) ? pick(op->in, 1, (int)rndn(n)) : pick(op->in, 0, 0);
    if (k & 4) { u64 t = a; a = b; b = t; }
    run(op->fn, op->rounded, 2, a, b, 0);
  }
}

/* Unary: all specials, extra conversion values, random operands. */
static void gen1(const Op *op, int nrand) {
  int n = pool_size(op->in);
  for (int i = 0; i < n; i++) run(op->fn, op->rounded, 1, pick(op->in, 1, i), 0, 0);
  if (op->in == 'd')
    for (unsigned i = 0; i < N_CVT_D; i++) run(op->fn, op->rounded, 1, d_bits(CVT_D[i]), 0, 0);
  if (op->in == 's')
    for (unsigned i = 0; i < N_CVT_S; i++) run(op->fn, op->rounded, 1, f_bits(CVT_S[i]), 0, 0);
  for (int k = 0; k < nrand; k++) run(op->fn, op->rounded, 1, pick(op->in, 0, 0), 0, 0);
}

/* Fused ops: cube of the first `nspec` specials, then random triples whose
   addend is often minus the rounded product (cancellation) or tiny (ties). */
static void gen3(const Op *op, int nspec, int nrand) {
  char in = op->in;
  int n = pool_size(in), stride = n / nspec;
  for (int i = 0; i < nspec; i++)
    for (int j = 0; j < nspec; j++)
      for (int k = 0; k < nspec; k++)
        run(op->fn, 1, 3, pick(in, 1, i * stride), pick(in, 1, j * stride), pick(in, 1, k * stride + 1));
  for (int t = 0; t < nrand; t++) {
    u64 a = pick(in, 0, 0), b = pick(in, 0, 0), c;
    if (t % 4 == 3) b = related(in, a);
    switch (rndn(10)) {
    case 9: /* a*b a hair off half an ulp of c: a binary64 sum lands on a midpoint of singles */
      if (in == 'd') {
        a = d_bits(1 + 0x1p-52 * (double)(1 + rndn(2)));
        b = d_bits(ldexp((rnd() & 1) ? 1 - 0x1p-52 : -1 + 0x1p-52, ilogb(as_d(c = pick(in, 0, 0) | 1)) - 53));
      } else {
        a = f_bits(1 + 0x1p-23f * (float)(1 + rndn(2)));
        b = f_bits(ldexpf((rnd() & 1) ? 1 - 0x1p-23f : -1 + 0x1p-23f, ilogbf(as_f(c = pick(in, 0, 0) | 1)) - 24));
      }
      break;
    case 7: case 8: { /* exact result a hair off a tie of the destination format */
      if (in == 'd') {
        long double p = (long double)as_d(a) * as_d(b), t = (double)p;
        long double half = ldexpl(1.0L, ilogb((double)t) - 53 - (int)rndn(2));
        c = d_bits((double)(t + ((rnd() & 1) ? half : -half) - p)) ^ rndn(3);
      } else {
        double p = (double)as_f(a) * as_f(b), t = (float)p;
        double half = ldexp(1.0, ilogbf((float)t) - 24 - (int)rndn(2));
        c = f_bits((float)(t + ((rnd() & 1) ? half : -half) - p)) ^ rndn(3);
      }
      break;
    }
    case 5: /* result near a boundary */
      if (in == 'd') c = d_bits(TARGET_D[rndn(6)] - as_d(a) * as_d(b)) ^ rndn(4);
      else c = box(f_bits(TARGET_S[rndn(6)] - as_f(a) * as_f(b)) ^ rndn(4));
      break;
    case 6: /* a power of two with the product near half its ulp */
      if (in == 'd') c = d_bits(ldexp((rnd() & 1) ? -1.0 : 1.0, ilogb(as_d(a) * as_d(b)) + 52 + (int)rndn(4)));
      else c = f_bits(ldexpf((rnd() & 1) ? -1.0f : 1.0f, ilogbf(as_f(a) * as_f(b)) + 23 + (int)rndn(4)));
      break;
    case 0: case 1:
      if (in == 'd') c = d_bits(-(as_d(a) * as_d(b))) ^ rndn(4);
      else c = box(f_bits(-(as_f(a) * as_f(b))) ^ rndn(4));
      break;
    case 2:
      if (in == 'd') c = d_bits(as_d(a) * as_d(b) * 0x1p-53 * (double)(1 + 2 * rndn(3)));
      else c = f_bits(as_f(a) * as_f(b) * 0x1p-24f * (float)(1 + 2 * rndn(3)));
      break;
    case 3: c = pick(in, 1, (int)rndn(n)); break;
    default: c = pick(in, 0, 0); break;
    }
    run(op->fn, 1, 3, a, b, c);
  }
}

#define N_RAND2 2000
#define N_RAND1 2500
#define N_RAND3 3000
#define N_RAND_CHEAP 600

int main(void) {
  memcpy(pool_d, SPECIAL_D, sizeof SPECIAL_D);
  for (unsigned i = 0; i < N_SPECIAL_S32; i++) pool_s[n_pool_s++] = box(SPECIAL_S32[i]);
  for (unsigned i = 0; i < N_UNBOXED; i++) pool_s[n_pool_s++] = UNBOXED[i];

  static const Op ops[] = {
#define ARITH(T, IN)                                                                                                   \
  {"fadd." #T, fadd_##T, 1, 2, IN}, {"fsub." #T, fsub_##T, 1, 2, IN}, {"fmul." #T, fmul_##T, 1, 2, IN},                \
    {"fdiv." #T, fdiv_##T, 1, 2, IN}, {"fsqrt." #T, fsqrt_##T, 1, 1, IN}, {"fmadd." #T, fmadd_##T, 1, 3, IN},          \
    {"fmsub." #T, fmsub_##T, 1, 3, IN}, {"fnmsub." #T, fnmsub_##T, 1, 3, IN}, {"fnmadd." #T, fnmadd_##T, 1, 3, IN},    \
    {"fmin." #T, fmin_##T, 0, 2, IN}, {"fmax." #T, fmax_##T, 0, 2, IN}, {"fsgnj." #T, fsgnj_##T, 0, 2, IN},            \
    {"fsgnjn." #T, fsgnjn_##T, 0, 2, IN}, {"fsgnjx." #T, fsgnjx_##T, 0, 2, IN}, {"feq." #T, feq_##T, 0, 2, IN},        \
    {"flt." #T, flt_##T, 0, 2, IN}, {"fle." #T, fle_##T, 0, 2, IN}, {"fclass." #T, fclass_##T, 0, 1, IN},              \
    {"fcvt.w." #T, fcvt_w_##T, 1, 1, IN}, {"fcvt.wu." #T, fcvt_wu_##T, 1, 1, IN},                                      \
    {"fcvt.l." #T, fcvt_l_##T, 1, 1, IN}, {"fcvt.lu." #T, fcvt_lu_##T, 1, 1, IN},                                      \
    {"fcvt." #T ".w", fcvt_##T##_w, 1, 1, 'i'}, {"fcvt." #T ".wu", fcvt_##T##_wu, 1, 1, 'i'},                          \
    {"fcvt." #T ".l", fcvt_##T##_l, 1, 1, 'i'}, {"fcvt." #T ".lu", fcvt_##T##_lu, 1, 1, 'i'}
    ARITH(s, 's'), ARITH(d, 'd'),
    {"fcvt.s.d", fcvt_s_d, 1, 1, 'd'}, {"fcvt.d.s", fcvt_d_s, 1, 1, 's'},
    {"fmv.x.w", fmv_x_w, 0, 1, 's'}, {"fmv.x.d", fmv_x_d, 0, 1, 'd'},
    {"fmv.w.x", fmv_w_x, 0, 1, 'i'}, {"fmv.d.x", fmv_d_x, 0, 1, 'i'},
  };
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const Op *op = &ops[i];
    printf("@%s\n", op->name);
    int main_op = strncmp(op->name, "fmadd", 5) == 0;
    if (op->nops == 3) gen3(op, main_op ? 16 : 10, main_op ? N_RAND3 : N_RAND3 / 3);
    else if (op->nops == 2) gen2(op, op->rounded ? N_RAND2 : N_RAND_CHEAP);
    else gen1(op, op->rounded ? N_RAND1 : N_RAND_CHEAP);
  }
  return 0;
}
