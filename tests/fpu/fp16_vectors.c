/*
 * Oracle vectors for plume's half-precision helpers (core/fpu/half.ts).
 *
 * Runs every Zfh/Zfhmin instruction on RV64 (under QEMU 10, whose softfloat
 * is the oracle) once per static rounding mode and once per dynamic mode
 * (after fsrm), over special operands (printed one case a line) and over
 * large sweeps (printed as one checksum per instruction and mode): every one
 * of the 65,536 halves for the one-operand instructions, pseudo-random
 * operands for the others. fflags is cleared before each instruction and read
 * right after it.
 *
 * The first line is riscv_hwprobe's answer for Zfh and Zfhmin.
 *
 * Output (text, hex without leading zeros):
 *   @<mnemonic>                    starts the cases of one instruction
 *   <ops...> <res>:<fl> x10        static rne rtz rdn rup rmm, then dyn with frm = 0..4
 *   <ops...> <res>:<fl>            instructions without a rounding mode
 *   #<sweep> <checksum> x10|x1     a sweep's checksum per mode
 * Operands and FP results are full 64-bit register patterns (so NaN-boxing is
 * visible); integer results are the 64-bit destination register.
 *
 * Built by build/gen_fp16_vectors.sh; deterministic (fixed seed).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t u64;
typedef unsigned (*op_fn)(int rm, u64 a, u64 b, u64 c, u64 *r);

#define NMODES 10

static void set_frm(int m) { __asm__ volatile("fsrm %0" : : "r"(m)); }

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
#define ASM_FX1(I) __asm__ volatile("fmv.d.x ft3, zero\n\tfsflags zero\n\t" I POST_F : "=r"(o), "=r"(fl) : "r"(a) : CLOB)

#define SWITCH(ASM, I)                                                                                                 \
  switch (rm) {                                                                                                        \
  case 0: ASM(I ", rne"); break;                                                                                       \
  case 1: ASM(I ", rtz"); break;                                                                                       \
  case 2: ASM(I ", rdn"); break;                                                                                       \
  case 3: ASM(I ", rup"); break;                                                                                       \
  case 4: ASM(I ", rmm"); break;                                                                                       \
  default: set_frm(rm - 5); ASM(I ", dyn"); break;                                                                     \
  }

/* fcvt.s.h and fcvt.d.h are exact: the assembler takes no rm operand, so .insn writes each mode. */
#define SWITCH_INSN(ASM, F7, RS2)                                                                                      \
  switch (rm) {                                                                                                        \
  case 0: ASM(".insn r OP_FP, 0, " F7 ", ft3, ft0, " RS2); break;                                                      \
  case 1: ASM(".insn r OP_FP, 1, " F7 ", ft3, ft0, " RS2); break;                                                      \
  case 2: ASM(".insn r OP_FP, 2, " F7 ", ft3, ft0, " RS2); break;                                                      \
  case 3: ASM(".insn r OP_FP, 3, " F7 ", ft3, ft0, " RS2); break;                                                      \
  case 4: ASM(".insn r OP_FP, 4, " F7 ", ft3, ft0, " RS2); break;                                                      \
  default: set_frm(rm - 5); ASM(".insn r OP_FP, 7, " F7 ", ft3, ft0, " RS2); break;                                    \
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

FF2R(fadd_h, "fadd.h")
FF2R(fsub_h, "fsub.h")
FF2R(fmul_h, "fmul.h")
FF2R(fdiv_h, "fdiv.h")
FF1R(fsqrt_h, "fsqrt.h")
FF3R(fmadd_h, "fmadd.h")
FF3R(fmsub_h, "fmsub.h")
FF3R(fnmsub_h, "fnmsub.h")
FF3R(fnmadd_h, "fnmadd.h")
FF2(fmin_h, "fmin.h")
FF2(fmax_h, "fmax.h")
FF2(fsgnj_h, "fsgnj.h")
FF2(fsgnjn_h, "fsgnjn.h")
FF2(fsgnjx_h, "fsgnjx.h")
XF2(feq_h, "feq.h")
XF2(flt_h, "flt.h")
XF2(fle_h, "fle.h")
XF1(fclass_h, "fclass.h")
XF1(fmv_x_h, "fmv.x.h")
FX1(fmv_h_x, "fmv.h.x")
XF1R(fcvt_w_h, "fcvt.w.h")
XF1R(fcvt_wu_h, "fcvt.wu.h")
XF1R(fcvt_l_h, "fcvt.l.h")
XF1R(fcvt_lu_h, "fcvt.lu.h")
FX1R(fcvt_h_w, "fcvt.h.w")
FX1R(fcvt_h_wu, "fcvt.h.wu")
FX1R(fcvt_h_l, "fcvt.h.l")
FX1R(fcvt_h_lu, "fcvt.h.lu")
DEF(fcvt_s_h, SWITCH_INSN(ASM_FF1, "0x20", "f2"))
DEF(fcvt_d_h, SWITCH_INSN(ASM_FF1, "0x21", "f2"))
FF1R(fcvt_h_s, "fcvt.h.s")
FF1R(fcvt_h_d, "fcvt.h.d")

/* flh/fsh through memory: the loaded register, and the stored halfword beside untouched bytes. */
static unsigned flh_fsh(int rm, u64 a, u64 b, u64 c, u64 *r) {
  (void)rm; (void)b; (void)c;
  uint16_t mem[3] = {0x1111, (uint16_t)a, 0x2222};
  uint16_t out[3] = {0x3333, 0x3333, 0x3333};
  u64 o;
  __asm__ volatile("flh ft0, 2(%1)\n\tfsh ft0, 2(%2)\n\tfmv.x.d %0, ft0" : "=r"(o) : "r"(mem), "r"(out) : "ft0", "memory");
  *r = o ^ ((u64)out[0] << 16) ^ ((u64)out[1] << 32) ^ ((u64)out[2] << 48);
  return 0;
}

static u64 rng = 0x2545F4914F6CDD1DULL;
static u64 rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545F4914F6CDD1DULL;
}

static u64 boxh(u64 h) { return 0xffffffffffff0000ULL | (h & 0xffff); }
static u64 boxs(u64 s) { return 0xffffffff00000000ULL | (s & 0xffffffff); }

static const uint16_t SPECIAL_H[] = {
  0x0000, 0x8000, 0x0001, 0x8001, 0x0003, 0x03ff, 0x83ff, 0x0200, 0x0400, 0x8400, 0x0401, 0x07ff, 0x3c00, 0xbc00,
  0x3c01, 0x3bff, 0x3800, 0xb800, 0x3801, 0x3e00, 0xbe00, 0x4000, 0x4500, 0xc700, 0x7bff, 0xfbff, 0x7800, 0x7c00,
  0xfc00, 0x7e00, 0xfe00, 0x7c01, 0x7d00, 0xfc01, 0x7e12, 0x1400, 0x1000, 0x5bff, 0x6400, 0x3555, 0x4248,
};
#define N_SPECIAL_H (sizeof SPECIAL_H / sizeof SPECIAL_H[0])

/* Register patterns that are not properly NaN-boxed halves. */
static const u64 UNBOXED[] = {0x0000000000003c00, 0xffffffff00003c00, 0xfffffffffffe3c00, 0x3ff0000000000000};
#define N_UNBOXED (sizeof UNBOXED / sizeof UNBOXED[0])

static const u64 SPECIAL_INT[] = {
  0, 1, 2, 3, 0xffffffffffffffff, 0xfffffffffffffffe, 2047, 2048, 2049, 2051, 4097, 4099, 65504, 65519, 65520,
  65535, 65536, 0xffffffffffff0010, 0xffffffffffff000f, 0x7fffffff, 0x80000000, 0xffffffff80000000, 0xffffffff,
  0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001, 0xfffffffffffff801, 0xfffffffffffff7ff,
};
#define N_SPECIAL_INT (sizeof SPECIAL_INT / sizeof SPECIAL_INT[0])

static const uint32_t SPECIAL_S[] = {
  0x00000000, 0x80000000, 0x00000001, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffa00000, 0x3f800000,
  0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000, 0x38800000, 0x387fc000, 0x387fe000, 0x387ff000,
  0x33800000, 0x33800001, 0x33000000, 0x33000001, 0x32ffffff, 0x3f801000, 0x3f801001, 0x3f803000, 0xbf801000,
  0x38000000, 0x37ffffff, 0x387fffff,
};
#define N_SPECIAL_S (sizeof SPECIAL_S / sizeof SPECIAL_S[0])

static const u64 SPECIAL_D[] = {
  0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x7ff0000000000000, 0x7ff8000000000000,
  0x7ff0000000000001, 0x3ff0000000000000, 0x40effc0000000000, 0x40effdffffffffff, 0x40effe0000000000,
  0x40effe0000000001, 0x40f0000000000000, 0x3f10000000000000, 0x3e70000000000000, 0x3e70000000000001,
  0x3e60000000000000, 0x3e60000000000001, 0x3e5fffffffffffff, 0x3ff0020000000000, 0x3ff0020000000001,
  0xbff0060000000000, 0x3f0ffc0000000000, 0x3f0ffe0000000000, 0x3f0fffffffffffff,
};
#define N_SPECIAL_D (sizeof SPECIAL_D / sizeof SPECIAL_D[0])

/* A half, a single near the half range, or a double near it, as a boxed register pattern. */
static u64 rnd_h(void) { return boxh(rnd()); }
static u64 rnd_s(void) {
  u64 x = rnd();
  u64 exp = 127 - 30 + (x >> 40) % 50;
  return boxs(((x >> 63) << 31) | (exp << 23) | (x & ((x >> 32 & 1) ? 0x7fffff : 0x7fe000)));
}
static u64 rnd_d(void) {
  u64 x = rnd();
  u64 exp = 1023 - 30 + (x >> 40) % 50;
  return ((x >> 63) << 63) | (exp << 52) | (rnd() & ((x >> 33 & 1) ? 0xfffffffffffffULL : 0xffe0000000000ULL));
}
static u64 rnd_int(void) {
  u64 x = rnd();
  return x >> (x & 63);
}

static void line_r(op_fn f, int nops, u64 a, u64 b, u64 c) {
  if (nops >= 1) printf("%llx", (unsigned long long)a);
  if (nops >= 2) printf(" %llx", (unsigned long long)b);
  if (nops >= 3) printf(" %llx", (unsigned long long)c);
  for (int m = 0; m < NMODES; m++) {
    u64 r;
    unsigned fl = f(m, a, b, c, &r);
    printf(" %llx:%x", (unsigned long long)r, fl);
  }
  printf("\n");
}

static void line_n(op_fn f, int nops, u64 a, u64 b) {
  u64 r;
  unsigned fl = f(0, a, b, 0, &r);
  if (nops == 1) printf("%llx %llx:%x\n", (unsigned long long)a, (unsigned long long)r, fl);
  else printf("%llx %llx %llx:%x\n", (unsigned long long)a, (unsigned long long)b, (unsigned long long)r, fl);
}

typedef u64 (*gen_fn)(void);

static u64 mix(u64 h, u64 r, unsigned fl) { return (h ^ r ^ ((u64)fl << 59)) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL; }

/* A sweep: n operand tuples from the generators (all 65,536 halves when exhaustive), one checksum per mode. */
static void sweep(op_fn f, int nops, int rounded, int exhaustive, int n, gen_fn g1, gen_fn g2, gen_fn g3) {
  u64 sum[NMODES];
  for (int m = 0; m < NMODES; m++) sum[m] = 0xcbf29ce484222325ULL;
  u64 saved = rng;
  for (int m = 0; m < (rounded ? NMODES : 1); m++) {
    rng = saved;
    for (int k = 0; k < n; k++) {
      u64 a = exhaustive ? boxh((u64)k) : g1(), b = nops >= 2 ? g2() : 0, c = nops >= 3 ? g3() : 0, r;
      unsigned fl = f(m, a, b, c, &r);
      sum[m] = mix(sum[m], r, fl);
    }
  }
  printf("#%s%d", exhaustive ? "all" : "random", n);
  for (int m = 0; m < (rounded ? NMODES : 1); m++) printf(" %llx", (unsigned long long)sum[m]);
  printf("\n");
}

enum { H = 0, S = 1, D = 2, I = 3 };

static u64 pool(int kind, unsigned k) {
  switch (kind) {
  case H: return k < N_SPECIAL_H ? boxh(SPECIAL_H[k]) : UNBOXED[k - N_SPECIAL_H];
  case S: return boxs(SPECIAL_S[k]);
  case D: return SPECIAL_D[k];
  default: return SPECIAL_INT[k];
  }
}
static unsigned pool_n(int kind) {
  switch (kind) {
  case H: return N_SPECIAL_H + N_UNBOXED;
  case S: return N_SPECIAL_S;
  case D: return N_SPECIAL_D;
  default: return N_SPECIAL_INT;
  }
}
static gen_fn gen_of(int kind) { return kind == H ? rnd_h : kind == S ? rnd_s : kind == D ? rnd_d : rnd_int; }

/* One instruction: its special cases, then its sweeps. */
static void run(const char *name, op_fn f, int nops, int rounded, int kind) {
  printf("@%s\n", name);
  unsigned n = pool_n(kind);
  if (nops == 1) {
    for (unsigned i = 0; i < n; i++) {
      if (rounded) line_r(f, 1, pool(kind, i), 0, 0);
      else line_n(f, 1, pool(kind, i), 0);
    }
    if (kind == H) sweep(f, 1, rounded, 1, 65536, 0, 0, 0);
    else sweep(f, 1, rounded, 0, 20000, gen_of(kind), 0, 0);
  } else if (nops == 2) {
    for (unsigned i = 0; i < n; i++)
      for (unsigned j = 0; j < n; j += 3) {
        if (rounded) line_r(f, 2, pool(H, i), pool(H, (j + i) % n), 0);
        else line_n(f, 2, pool(H, i), pool(H, (j + i) % n));
      }
    sweep(f, 2, rounded, 0, 20000, rnd_h, rnd_h, 0);
  } else {
    for (unsigned i = 0; i < n; i++)
      for (unsigned j = 0; j < n; j += 5) line_r(f, 3, pool(H, i), pool(H, (i + j) % n), pool(H, (i * 7 + j * 3) % n));
    sweep(f, 3, 1, 0, 20000, rnd_h, rnd_h, rnd_h);
  }
}

/* riscv_hwprobe's IMA_EXT_0, masked to RISCV_HWPROBE_EXT_ZFH (1 << 27) and _ZFHMIN (1 << 28). */
static void hwprobe(void) {
  u64 pair[2] = {4, 0};
  register long a0 __asm__("a0") = (long)pair;
  register long a1 __asm__("a1") = 1;
  register long a2 __asm__("a2") = 0, a3 __asm__("a3") = 0, a4 __asm__("a4") = 0;
  register long a7 __asm__("a7") = 258;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
  printf("@riscv_hwprobe %ld %llx\n", a0, (unsigned long long)(pair[1] & (3ULL << 27)));
}

int main(void) {
  hwprobe();
  run("fadd.h", fadd_h, 2, 1, H);
  run("fsub.h", fsub_h, 2, 1, H);
  run("fmul.h", fmul_h, 2, 1, H);
  run("fdiv.h", fdiv_h, 2, 1, H);
  run("fsqrt.h", fsqrt_h, 1, 1, H);
  run("fmadd.h", fmadd_h, 3, 1, H);
  run("fmsub.h", fmsub_h, 3, 1, H);
  run("fnmsub.h", fnmsub_h, 3, 1, H);
  run("fnmadd.h", fnmadd_h, 3, 1, H);
  run("fmin.h", fmin_h, 2, 0, H);
  run("fmax.h", fmax_h, 2, 0, H);
  run("fsgnj.h", fsgnj_h, 2, 0, H);
  run("fsgnjn.h", fsgnjn_h, 2, 0, H);
  run("fsgnjx.h", fsgnjx_h, 2, 0, H);
  run("feq.h", feq_h, 2, 0, H);
  run("flt.h", flt_h, 2, 0, H);
  run("fle.h", fle_h, 2, 0, H);
  run("fclass.h", fclass_h, 1, 0, H);
  run("fmv.x.h", fmv_x_h, 1, 0, H);
  run("fmv.h.x", fmv_h_x, 1, 0, I);
  run("flh/fsh", flh_fsh, 1, 0, H);
  run("fcvt.w.h", fcvt_w_h, 1, 1, H);
  run("fcvt.wu.h", fcvt_wu_h, 1, 1, H);
  run("fcvt.l.h", fcvt_l_h, 1, 1, H);
  run("fcvt.lu.h", fcvt_lu_h, 1, 1, H);
  run("fcvt.h.w", fcvt_h_w, 1, 1, I);
  run("fcvt.h.wu", fcvt_h_wu, 1, 1, I);
  run("fcvt.h.l", fcvt_h_l, 1, 1, I);
  run("fcvt.h.lu", fcvt_h_lu, 1, 1, I);
  run("fcvt.s.h", fcvt_s_h, 1, 1, H);
  run("fcvt.d.h", fcvt_d_h, 1, 1, H);
  run("fcvt.h.s", fcvt_h_s, 1, 1, S);
  run("fcvt.h.d", fcvt_h_d, 1, 1, D);
  return 0;
}
