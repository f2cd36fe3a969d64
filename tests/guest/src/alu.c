/* RV64I/M integer edge cases. Every instruction runs through inline asm (so
 * the compiler cannot fold it) over a table of boundary values, is checked
 * against a C reference model, and its results are hashed; register shifts
 * run every amount 0..127 and immediate shifts every encodable amount. The
 * famous corner cases (division by zero, INT64_MIN / -1, mulh*) are printed
 * in full. Output: one line per instruction plus the corner cases. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;

static const u64 vals[] = {
    0,
    1,
    2,
    3,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    0xdeadbeef,
    0x123456789abcdef0,
    0x5555555555555555,
    0xaaaaaaaaaaaaaaaa,
    0x7fffffffffffffff,
    0x8000000000000000,
    0xffffffff80000000,
    0xfffffffffffffffe,
    0xffffffffffffffff,
};
#define NVALS (sizeof vals / sizeof vals[0])

static u64 sext32(u64 x) { return (u64)(i64)(i32)(u32)x; }

/* Reference model: plain C with the ISA's rules for the cases C leaves undefined. */
static u64 ref_div(u64 a, u64 b) {
  if (b == 0) return ~0ull;
  if ((i64)a == INT64_MIN && (i64)b == -1) return a;
  return (u64)((i64)a / (i64)b);
}
static u64 ref_rem(u64 a, u64 b) {
  if (b == 0) return a;
  if ((i64)a == INT64_MIN && (i64)b == -1) return 0;
  return (u64)((i64)a % (i64)b);
}
static u64 ref_divw(u64 a, u64 b) {
  i32 x = (i32)a, y = (i32)b;
  if (y == 0) return ~0ull;
  if (x == INT32_MIN && y == -1) return sext32((u32)x);
  return sext32((u32)(x / y));
}
static u64 ref_remw(u64 a, u64 b) {
  i32 x = (i32)a, y = (i32)b;
  if (y == 0) return sext32((u32)x);
  if (x == INT32_MIN && y == -1) return 0;
  return sext32((u32)(x % y));
}
static u64 ref_divuw(u64 a, u64 b) { return (u32)b == 0 ? ~0ull : sext32((u32)a / (u32)b); }
static u64 ref_remuw(u64 a, u64 b) { return (u32)b == 0 ? sext32((u32)a) : sext32((u32)a % (u32)b); }

#define RR(name, insn, expr)                                                                  \
  static u64 asm_##name(u64 a, u64 b) {                                                       \
    u64 r;                                                                                    \
    __asm__ volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));                          \
    return r;                                                                                 \
  }                                                                                           \
  static u64 ref_##name##_(u64 a, u64 b) { return (expr); }

RR(add, "add", a + b)
RR(sub, "sub", a - b)
RR(sll, "sll", a << (b & 63))
RR(srl, "srl", a >> (b & 63))
RR(sra, "sra", (u64)((i64)a >> (b & 63)))
RR(slt, "slt", (i64)a < (i64)b)
RR(sltu, "sltu", a < b)
RR(xor, "xor", a ^ b)
RR(or, "or", a | b)
RR(and, "and", a & b)
RR(addw, "addw", sext32(a + b))
RR(subw, "subw", sext32(a - b))
RR(sllw, "sllw", sext32((u32)a << (b & 31)))
RR(srlw, "srlw", sext32((u32)a >> (b & 31)))
RR(sraw, "sraw", (u64)(i64)((i32)a >> (b & 31)))
RR(mul, "mul", a * b)
RR(mulh, "mulh", (u64)(((__int128)(i64)a * (__int128)(i64)b) >> 64))
RR(mulhsu, "mulhsu", (u64)(((__int128)(i64)a * (__int128)b) >> 64))
RR(mulhu, "mulhu", (u64)(((unsigned __int128)a * b) >> 64))
RR(mulw, "mulw", sext32((u32)a * (u32)b))
RR(div, "div", ref_div(a, b))
RR(divu, "divu", b ? a / b : ~0ull)
RR(rem, "rem", ref_rem(a, b))
RR(remu, "remu", b ? a % b : a)
RR(divw, "divw", ref_divw(a, b))
RR(divuw, "divuw", ref_divuw(a, b))
RR(remw, "remw", ref_remw(a, b))
RR(remuw, "remuw", ref_remuw(a, b))

typedef struct {
  const char *name;
  u64 (*run)(u64, u64);
  u64 (*ref)(u64, u64);
  int shift; /* second operand also sweeps 0..127 */
} rr_op;

#define OP(n, s) {#n, asm_##n, ref_##n##_, s}
static const rr_op rr_ops[] = {
    OP(add, 0),    OP(sub, 0),   OP(sll, 1),   OP(srl, 1),   OP(sra, 1),    OP(slt, 0),    OP(sltu, 0),
    OP(xor, 0),    OP(or, 0),    OP(and, 0),   OP(addw, 0),  OP(subw, 0),   OP(sllw, 1),   OP(srlw, 1),
    OP(sraw, 1),   OP(mul, 0),   OP(mulh, 0),  OP(mulhsu, 0), OP(mulhu, 0), OP(mulw, 0),   OP(div, 0),
    OP(divu, 0),   OP(rem, 0),   OP(remu, 0),  OP(divw, 0),  OP(divuw, 0),  OP(remw, 0),   OP(remuw, 0),
};

static int failures;

typedef struct {
  u64 hash;
  unsigned n, bad;
} tally;

static void tally_add(tally *t, const char *name, u64 a, u64 b, u64 got, u64 want) {
  for (int i = 0; i < 8; i++) t->hash = (t->hash ^ ((got >> (8 * i)) & 0xff)) * 0x100000001b3ull;
  t->n++;
  if (got != want) {
    if (t->bad < 4) printf("  MISMATCH %s(%#" PRIx64 ", %#" PRIx64 ") = %#" PRIx64 ", want %#" PRIx64 "\n", name, a, b, got, want);
    t->bad++;
    failures++;
  }
}

static void tally_print(const char *name, const tally *t) {
  printf("%-8s n=%-5u hash=%016" PRIx64 " %s\n", name, t->n, t->hash, t->bad ? "FAIL" : "ok");
}

static void run_rr(void) {
  for (size_t k = 0; k < sizeof rr_ops / sizeof rr_ops[0]; k++) {
    const rr_op *op = &rr_ops[k];
    tally t = {0xcbf29ce484222325ull, 0, 0};
    for (size_t i = 0; i < NVALS; i++) {
      for (size_t j = 0; j < NVALS; j++) tally_add(&t, op->name, vals[i], vals[j], op->run(vals[i], vals[j]), op->ref(vals[i], vals[j]));
      if (op->shift) {
        for (u64 s = 0; s < 128; s++) tally_add(&t, op->name, vals[i], s, op->run(vals[i], s), op->ref(vals[i], s));
      }
    }
    tally_print(op->name, &t);
  }
}

/* Immediate shifts: one case per encodable amount, so every encoding runs. */
#define R8(M, insn, base) M(insn, base + 0) M(insn, base + 1) M(insn, base + 2) M(insn, base + 3) M(insn, base + 4) M(insn, base + 5) M(insn, base + 6) M(insn, base + 7)
#define R32(M, insn) R8(M, insn, 0) R8(M, insn, 8) R8(M, insn, 16) R8(M, insn, 24)
#define R64(M, insn) R32(M, insn) R8(M, insn, 32) R8(M, insn, 40) R8(M, insn, 48) R8(M, insn, 56)
#define SHI(insn, n)                                                     \
  case n:                                                                \
    __asm__ volatile(insn " %0, %1, " #n : "=r"(r) : "r"(a)); \
    break;

static u64 shi_slli(u64 a, int n) { u64 r = 0; switch (n) { R64(SHI, "slli") } return r; }
static u64 shi_srli(u64 a, int n) { u64 r = 0; switch (n) { R64(SHI, "srli") } return r; }
static u64 shi_srai(u64 a, int n) { u64 r = 0; switch (n) { R64(SHI, "srai") } return r; }
static u64 shi_slliw(u64 a, int n) { u64 r = 0; switch (n) { R32(SHI, "slliw") } return r; }
static u64 shi_srliw(u64 a, int n) { u64 r = 0; switch (n) { R32(SHI, "srliw") } return r; }
static u64 shi_sraiw(u64 a, int n) { u64 r = 0; switch (n) { R32(SHI, "sraiw") } return r; }

static void run_shift_imm(void) {
  static const struct {
    const char *name;
    u64 (*run)(u64, int);
    int width;
  } ops[] = {{"slli", shi_slli, 64},   {"srli", shi_srli, 64},   {"srai", shi_srai, 64},
             {"slliw", shi_slliw, 32}, {"srliw", shi_srliw, 32}, {"sraiw", shi_sraiw, 32}};
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    tally t = {0xcbf29ce484222325ull, 0, 0};
    for (size_t i = 0; i < NVALS; i++) {
      u64 a = vals[i];
      for (int n = 0; n < ops[k].width; n++) {
        u64 want;
        switch (k) {
        case 0: want = a << n; break;
        case 1: want = a >> n; break;
        case 2: want = (u64)((i64)a >> n); break;
        case 3: want = sext32((u32)a << n); break;
        case 4: want = sext32((u32)a >> n); break;
        default: want = (u64)(i64)((i32)a >> n); break;
        }
        tally_add(&t, ops[k].name, a, (u64)n, ops[k].run(a, n), want);
      }
    }
    tally_print(ops[k].name, &t);
  }
}

/* Immediate ALU forms at the 12-bit immediate's boundaries. */
#define IMMS(M, insn) M(insn, -2048) M(insn, -2047) M(insn, -1) M(insn, 0) M(insn, 1) M(insn, 2) M(insn, 0x7ff) M(insn, 0x555) M(insn, -0x556)
#define IMM_CASE(insn, imm)                                                   \
  {                                                                           \
    u64 r;                                                                    \
    __asm__ volatile(insn " %0, %1, " #imm : "=r"(r) : "r"(a));               \
    tally_add(&t, insn, a, (u64)(i64)(imm), r, ref(a, (u64)(i64)(imm)));      \
  }

static u64 ref_addi(u64 a, u64 i) { return a + i; }
static u64 ref_slti(u64 a, u64 i) { return (i64)a < (i64)i; }
static u64 ref_sltiu(u64 a, u64 i) { return a < i; }
static u64 ref_xori(u64 a, u64 i) { return a ^ i; }
static u64 ref_ori(u64 a, u64 i) { return a | i; }
static u64 ref_andi(u64 a, u64 i) { return a & i; }
static u64 ref_addiw(u64 a, u64 i) { return sext32(a + i); }

#define RUN_IMM(insn, fn)                                      \
  {                                                            \
    tally t = {0xcbf29ce484222325ull, 0, 0};                   \
    u64 (*ref)(u64, u64) = fn;                                 \
    for (size_t i = 0; i < NVALS; i++) {                       \
      u64 a = vals[i];                                         \
      IMMS(IMM_CASE, insn)                                     \
    }                                                          \
    tally_print(insn, &t);                                     \
  }

static void run_imm(void) {
  RUN_IMM("addi", ref_addi)
  RUN_IMM("slti", ref_slti)
  RUN_IMM("sltiu", ref_sltiu)
  RUN_IMM("xori", ref_xori)
  RUN_IMM("ori", ref_ori)
  RUN_IMM("andi", ref_andi)
  RUN_IMM("addiw", ref_addiw)
}

static void check(const char *what, u64 got, u64 want) {
  printf("%-34s = %016" PRIx64 " %s\n", what, got, got == want ? "ok" : "FAIL");
  if (got != want) failures++;
}

static void run_upper(void) {
  u64 r;
  __asm__ volatile("lui %0, 0" : "=r"(r));
  check("lui 0", r, 0);
  __asm__ volatile("lui %0, 1" : "=r"(r));
  check("lui 1", r, 0x1000);
  __asm__ volatile("lui %0, 0x7ffff" : "=r"(r));
  check("lui 0x7ffff", r, 0x7ffff000);
  __asm__ volatile("lui %0, 0x80000" : "=r"(r));
  check("lui 0x80000 (sign-extends)", r, 0xffffffff80000000);
  __asm__ volatile("lui %0, 0xfffff" : "=r"(r));
  check("lui 0xfffff", r, 0xfffffffffffff000);
  /* auipc relative to its own address, taken from a label */
  u64 here;
  __asm__ volatile("1: auipc %0, 0x12345\n\tlla %1, 1b\n\tsub %0, %0, %1" : "=&r"(r), "=&r"(here));
  check("auipc 0x12345 - pc", r, 0x12345000);
  __asm__ volatile("1: auipc %0, 0x80000\n\tlla %1, 1b\n\tsub %0, %0, %1" : "=&r"(r), "=&r"(here));
  check("auipc 0x80000 - pc (negative)", r, 0xffffffff80000000);
  __asm__ volatile("1: auipc %0, 0\n\tlla %1, 1b\n\tsub %0, %0, %1" : "=&r"(r), "=&r"(here));
  check("auipc 0 - pc", r, 0);
  /* writes to x0 are discarded */
  __asm__ volatile("li t0, 5\n\taddi zero, t0, 1\n\tmv %0, zero" : "=r"(r) : : "t0");
  check("x0 stays zero", r, 0);
}

/* Explicit RVC forms with known results (the compiler emits many more). */
static void run_compressed(void) {
  register u64 s0 __asm__("a4"); /* RVC register forms need x8-x15; s0 is the frame pointer at -O0 */
  register u64 s1 __asm__("a5");
  s0 = 0x8000000000000000ull;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.srai %0, 63\n\t.option pop" : "+r"(s0));
  check("c.srai 63", s0, ~0ull);
  s0 = 0xffffffffffffffffull;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.srli %0, 60\n\t.option pop" : "+r"(s0));
  check("c.srli 60", s0, 0xf);
  s0 = 0x0123456789abcdefull;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.andi %0, 0x1f\n\t.option pop" : "+r"(s0));
  check("c.andi 0x1f", s0, 0xf);
  s0 = 0x7fffffff;
  s1 = 0x7fffffff;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.addw %0, %1\n\t.option pop" : "+r"(s0) : "r"(s1));
  check("c.addw overflow", s0, 0xfffffffffffffffe);
  s0 = 0;
  s1 = 1;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.subw %0, %1\n\t.option pop" : "+r"(s0) : "r"(s1));
  check("c.subw 0-1", s0, ~0ull);
  s0 = 1;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.slli %0, 31\n\t.option pop" : "+r"(s0));
  check("c.slli 31", s0, 0x80000000);
  s0 = 0xffffffff;
  __asm__ volatile(".option push\n\t.option rvc\n\tc.addiw %0, 0\n\t.option pop" : "+r"(s0));
  check("c.addiw 0 (sext.w)", s0, ~0ull);
  __asm__ volatile(".option push\n\t.option rvc\n\tc.lui %0, 0xfffff\n\t.option pop" : "=r"(s0));
  check("c.lui 0xfffff", s0, 0xfffffffffffff000);
}

static void run_corners(void) {
  const u64 min = 0x8000000000000000ull, m1 = ~0ull;
  check("div INT64_MIN / -1", asm_div(min, m1), min);
  check("rem INT64_MIN % -1", asm_rem(min, m1), 0);
  check("div 7 / 0", asm_div(7, 0), m1);
  check("divu 7 / 0", asm_divu(7, 0), m1);
  check("rem 7 % 0", asm_rem(7, 0), 7);
  check("remu 7 % 0", asm_remu(7, 0), 7);
  check("div -7 / 2 (truncates)", asm_div((u64)-7, 2), (u64)-3);
  check("rem -7 % 2 (sign of dividend)", asm_rem((u64)-7, 2), (u64)-1);
  check("divw INT32_MIN / -1", asm_divw(0x80000000, m1), 0xffffffff80000000);
  check("remw INT32_MIN % -1", asm_remw(0x80000000, m1), 0);
  check("divw upper bits ignored", asm_divw(0x1234567800000010, 0xffffffff00000004), 4);
  check("divuw x / 0", asm_divuw(0x80000000, 0x100000000), m1);
  check("remuw x % 0 (sign-extends)", asm_remuw(0x80000000, 0x100000000), 0xffffffff80000000);
  check("mulh INT64_MIN * INT64_MIN", asm_mulh(min, min), 0x4000000000000000);
  check("mulhu max * max", asm_mulhu(m1, m1), 0xfffffffffffffffe);
  check("mulhsu -1 * max", asm_mulhsu(m1, m1), m1);
  check("mulhsu INT64_MIN * max", asm_mulhsu(min, m1), 0x8000000000000000);
  check("mulw wraps and sign-extends", asm_mulw(0x10000, 0x8000), 0xffffffff80000000);
  check("sra by 64 uses low 6 bits", asm_sra(min, 64), min);
  check("sraw by 32 uses low 5 bits", asm_sraw(0x80000000, 32), 0xffffffff80000000);
}

int main(void) {
  run_rr();
  run_shift_imm();
  run_imm();
  run_upper();
  run_compressed();
  run_corners();
  printf("failures: %d\n", failures);
  return failures != 0;
}
