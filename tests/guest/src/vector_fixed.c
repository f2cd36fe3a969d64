/*
 * The vector extension's fixed-point instructions and integer reductions
 * (V 1.0, VLEN = 128): every form of vsaddu, vsadd, vssubu, vssub, vaaddu,
 * vaadd, vasubu, vasub, vsmul, vssrl, vssra, vnclipu, vnclip, and of
 * vredsum…vredmax, vwredsumu and vwredsum, at SEW 8, 16, 32 and 64 under
 * several LMUL, in each rounding mode (vxrm), masked and unmasked, with a
 * short vl (a tail) and VLMAX. Each case loads v0 (the mask), v8–v15
 * (destination), v16–v23 (vs2) and v24–v31 (vs1) with whole-register
 * loads, the sources with elements of the case's widths drawn among
 * boundary values (0, ±1, the extremes and their neighbours) and random
 * ones, runs one instruction, and prints vl, vxsat, the destination group
 * in hex and a hash of all 32 registers (nothing else may change).
 *
 * `vector_fixed illegal` runs encodings reserved under their vtype (register
 * groups, narrowing overlaps and widths, vstart for reductions, vill)
 * behind a SIGILL handler.
 *
 * Built by build/build_guests.sh with clang-19 -march=rv64gcv; expected
 * output from QEMU 10.0 `-cpu rv64,v=true,vlen=128` (tests/vector_fixed_test.ts).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long ul;

static unsigned char regs_in[512] __attribute__((aligned(16)));
static unsigned char regs_out[512] __attribute__((aligned(16)));
/* vl and vxsat after the instruction */
static ul out_state[2];

/* vtype fields */
#define VT(sew, lmul) ((ul)((sew) << 3 | (lmul)))
enum { E8, E16, E32, E64 };
enum { M1, M2, M4, M8, MRES, MF8, MF4, MF2 };

static unsigned long long rng_state;

static unsigned long long rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* An element of `bits` bits: a boundary value one time in two, random bits otherwise. */
static unsigned long long element(int bits) {
  unsigned long long all = bits == 64 ? ~0ull : (1ull << bits) - 1, top = 1ull << (bits - 1);
  unsigned long long r = rng();
  switch (r % 16) {
    case 0: return 0;
    case 1: return 1;
    case 2: return all;             /* -1 */
    case 3: return top - 1;         /* signed max */
    case 4: return top;             /* signed min */
    case 5: return top + 1;
    case 6: return top - 2;
    case 7: return all - 1;         /* unsigned max - 1 */
    default: return (r >> 8) & all;
  }
}

/* Fills `n` bytes at `p` with elements of `bits` bits. */
static void fill_elements(unsigned char *p, int n, int bits) {
  for (int i = 0; i < n; i += bits / 8) {
    unsigned long long e = element(bits);
    memcpy(p + i, &e, bits / 8);
  }
}

/*
 * The registers a case starts with: the mask v0 an irregular pattern, v8–v15
 * known bytes (what is left undisturbed shows), vs2 (v16–v23) with elements
 * of `wide` bits and vs1 (v24–v31) with elements of `bits` bits.
 */
static void fill(unsigned seed, int bits, int wide) {
  static const unsigned char m[16] = {0xa5, 0x3c, 0xf0, 0x0f, 0x96, 0x69, 0x81, 0x7e,
                                      0x55, 0xaa, 0x33, 0xcc, 0x01, 0x80, 0xff, 0x00};
  rng_state = 0x9e3779b97f4a7c15ull * (seed + 1);
  for (int i = 0; i < 128; i++) regs_in[i] = (unsigned char)(i * 37 + 11);
  memcpy(regs_in, m, 16);
  for (int i = 128; i < 256; i++) regs_in[i] = (unsigned char)(i * 29 + 3);
  fill_elements(regs_in + 256, 128, wide);
  fill_elements(regs_in + 384, 128, bits);
}

static void hex(const char *what, const unsigned char *p, int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf("%s%02x", i % 16 == 0 ? " " : "", p[i]);
  printf("\n");
}

/* FNV-1a over all 32 registers after the instruction. */
static unsigned long long hash_regs(void) {
  unsigned long long h = 0xcbf29ce484222325ull;
  for (int i = 0; i < 512; i++) h = (h ^ regs_out[i]) * 0x100000001b3ull;
  return h;
}

/*
 * Loads v0..v31 from regs_in, sets vxrm, clears vxsat (or sets it when
 * `sat` is 1), sets vtype/vl, runs INSN, stores vl, vxsat and v0..v31.
 */
#define CASE(name, insn)                                                                         \
  static void name(ul vtype, ul avl, ul vxrm, ul sat, long x) {                                   \
    register long a1 asm("a1") = x;                                                               \
    asm volatile("vl8re8.v v0, (%[in])\n"                                                         \
                 "addi t1, %[in], 128\n vl8re8.v v8, (t1)\n"                                      \
                 "addi t1, %[in], 256\n vl8re8.v v16, (t1)\n"                                     \
                 "addi t1, %[in], 384\n vl8re8.v v24, (t1)\n"                                     \
                 "csrw vxrm, %[rm]\n csrw vxsat, %[sat]\n"                                        \
                 "vsetvl t0, %[avl], %[vt]\n" insn "\n"                                           \
                 "csrr t0, vl\n sd t0, 0(%[st])\n csrr t0, vxsat\n sd t0, 8(%[st])\n"             \
                 "vs8r.v v0, (%[out])\n"                                                          \
                 "addi t1, %[out], 128\n vs8r.v v8, (t1)\n"                                       \
                 "addi t1, %[out], 256\n vs8r.v v16, (t1)\n"                                      \
                 "addi t1, %[out], 384\n vs8r.v v24, (t1)\n"                                      \
                 :                                                                               \
                 : [in] "r"(regs_in), [out] "r"(regs_out), [avl] "r"(avl), [vt] "r"(vtype),       \
                   [rm] "r"(vxrm), [sat] "r"(sat), [st] "r"(out_state), "r"(a1)                   \
                 : "t0", "t1", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", \
                   "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", \
                   "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");        \
  }

/* Each form unmasked and masked (the immediate forms with two immediates). */
#define CASES(id, text, vs1) CASE(id, text " v8, v16, " vs1) CASE(id##_m, text " v8, v16, " vs1 ", v0.t")
CASES(vsaddu_vv, "vsaddu.vv", "v24")
CASES(vsaddu_vx, "vsaddu.vx", "a1")
CASE(vsaddu_vi, "vsaddu.vi v8, v16, -3")
CASE(vsaddu_vi_m, "vsaddu.vi v8, v16, 15, v0.t")
CASES(vsadd_vv, "vsadd.vv", "v24")
CASES(vsadd_vx, "vsadd.vx", "a1")
CASE(vsadd_vi, "vsadd.vi v8, v16, -16")
CASE(vsadd_vi_m, "vsadd.vi v8, v16, 7, v0.t")
CASES(vssubu_vv, "vssubu.vv", "v24")
CASES(vssubu_vx, "vssubu.vx", "a1")
CASES(vssub_vv, "vssub.vv", "v24")
CASES(vssub_vx, "vssub.vx", "a1")
CASES(vaaddu_vv, "vaaddu.vv", "v24")
CASES(vaaddu_vx, "vaaddu.vx", "a1")
CASES(vaadd_vv, "vaadd.vv", "v24")
CASES(vaadd_vx, "vaadd.vx", "a1")
CASES(vasubu_vv, "vasubu.vv", "v24")
CASES(vasubu_vx, "vasubu.vx", "a1")
CASES(vasub_vv, "vasub.vv", "v24")
CASES(vasub_vx, "vasub.vx", "a1")
CASES(vsmul_vv, "vsmul.vv", "v24")
CASES(vsmul_vx, "vsmul.vx", "a1")
CASES(vssrl_vv, "vssrl.vv", "v24")
CASES(vssrl_vx, "vssrl.vx", "a1")
CASE(vssrl_vi, "vssrl.vi v8, v16, 3")
CASE(vssrl_vi_m, "vssrl.vi v8, v16, 31, v0.t")
CASES(vssra_vv, "vssra.vv", "v24")
CASES(vssra_vx, "vssra.vx", "a1")
CASE(vssra_vi, "vssra.vi v8, v16, 1")
CASE(vssra_vi_m, "vssra.vi v8, v16, 30, v0.t")
CASES(vnclipu_wv, "vnclipu.wv", "v24")
CASES(vnclipu_wx, "vnclipu.wx", "a1")
CASE(vnclipu_wi, "vnclipu.wi v8, v16, 0")
CASE(vnclipu_wi_m, "vnclipu.wi v8, v16, 5, v0.t")
CASES(vnclip_wv, "vnclip.wv", "v24")
CASES(vnclip_wx, "vnclip.wx", "a1")
CASE(vnclip_wi, "vnclip.wi v8, v16, 17")
CASE(vnclip_wi_m, "vnclip.wi v8, v16, 31, v0.t")
CASES(vredsum, "vredsum.vs", "v24")
CASES(vredand, "vredand.vs", "v24")
CASES(vredor, "vredor.vs", "v24")
CASES(vredxor, "vredxor.vs", "v24")
CASES(vredminu, "vredminu.vs", "v24")
CASES(vredmin, "vredmin.vs", "v24")
CASES(vredmaxu, "vredmaxu.vs", "v24")
CASES(vredmax, "vredmax.vs", "v24")
CASES(vwredsumu, "vwredsumu.vs", "v24")
CASES(vwredsum, "vwredsum.vs", "v24")

/* A narrowing clip into the lowest part of its own source, a reduction into its vs2 and into v0, a start past 0. */
CASE(vnclip_self, "vnclip.wi v16, v16, 4")
CASE(vnclipu_self_m, "vnclipu.wv v16, v16, v24, v0.t")
CASE(vredsum_self, "vredsum.vs v16, v16, v24")
CASE(vredmax_v0, "vredmax.vs v0, v16, v0, v0.t")
CASE(vwredsum_v24, "vwredsum.vs v24, v16, v24, v0.t")
CASE(vs_vsadd, "csrwi vstart, 3\n vsadd.vv v8, v16, v24")
CASE(vs_vnclip, "csrwi vstart, 2\n vnclip.wx v8, v16, a1, v0.t")
CASE(vs_vaadd, "csrwi vstart, 5\n vaadd.vx v8, v16, a1")

typedef void (*case_fn)(ul, ul, ul, ul, long);

enum { SINGLE, NARROW, REDUCE, WIDEN };

static const struct op {
  const char *name;
  case_fn f, fm;
  int kind;
} OPS[] = {
    {"vsaddu.vv", vsaddu_vv, vsaddu_vv_m, SINGLE},  {"vsaddu.vx", vsaddu_vx, vsaddu_vx_m, SINGLE},
    {"vsaddu.vi", vsaddu_vi, vsaddu_vi_m, SINGLE},  {"vsadd.vv", vsadd_vv, vsadd_vv_m, SINGLE},
    {"vsadd.vx", vsadd_vx, vsadd_vx_m, SINGLE},     {"vsadd.vi", vsadd_vi, vsadd_vi_m, SINGLE},
    {"vssubu.vv", vssubu_vv, vssubu_vv_m, SINGLE},  {"vssubu.vx", vssubu_vx, vssubu_vx_m, SINGLE},
    {"vssub.vv", vssub_vv, vssub_vv_m, SINGLE},     {"vssub.vx", vssub_vx, vssub_vx_m, SINGLE},
    {"vaaddu.vv", vaaddu_vv, vaaddu_vv_m, SINGLE},  {"vaaddu.vx", vaaddu_vx, vaaddu_vx_m, SINGLE},
    {"vaadd.vv", vaadd_vv, vaadd_vv_m, SINGLE},     {"vaadd.vx", vaadd_vx, vaadd_vx_m, SINGLE},
    {"vasubu.vv", vasubu_vv, vasubu_vv_m, SINGLE},  {"vasubu.vx", vasubu_vx, vasubu_vx_m, SINGLE},
    {"vasub.vv", vasub_vv, vasub_vv_m, SINGLE},     {"vasub.vx", vasub_vx, vasub_vx_m, SINGLE},
    {"vsmul.vv", vsmul_vv, vsmul_vv_m, SINGLE},     {"vsmul.vx", vsmul_vx, vsmul_vx_m, SINGLE},
    {"vssrl.vv", vssrl_vv, vssrl_vv_m, SINGLE},     {"vssrl.vx", vssrl_vx, vssrl_vx_m, SINGLE},
    {"vssrl.vi", vssrl_vi, vssrl_vi_m, SINGLE},     {"vssra.vv", vssra_vv, vssra_vv_m, SINGLE},
    {"vssra.vx", vssra_vx, vssra_vx_m, SINGLE},     {"vssra.vi", vssra_vi, vssra_vi_m, SINGLE},
    {"vnclipu.wv", vnclipu_wv, vnclipu_wv_m, NARROW}, {"vnclipu.wx", vnclipu_wx, vnclipu_wx_m, NARROW},
    {"vnclipu.wi", vnclipu_wi, vnclipu_wi_m, NARROW}, {"vnclip.wv", vnclip_wv, vnclip_wv_m, NARROW},
    {"vnclip.wx", vnclip_wx, vnclip_wx_m, NARROW},  {"vnclip.wi", vnclip_wi, vnclip_wi_m, NARROW},
    {"vredsum.vs", vredsum, vredsum_m, REDUCE},     {"vredand.vs", vredand, vredand_m, REDUCE},
    {"vredor.vs", vredor, vredor_m, REDUCE},        {"vredxor.vs", vredxor, vredxor_m, REDUCE},
    {"vredminu.vs", vredminu, vredminu_m, REDUCE},  {"vredmin.vs", vredmin, vredmin_m, REDUCE},
    {"vredmaxu.vs", vredmaxu, vredmaxu_m, REDUCE},  {"vredmax.vs", vredmax, vredmax_m, REDUCE},
    {"vwredsumu.vs", vwredsumu, vwredsumu_m, WIDEN}, {"vwredsum.vs", vwredsum, vwredsum_m, WIDEN},
};

/* SEW 8, 16, 32 and 64 under whole and fractional LMUL (the narrowing and widening ones skip what they cannot run). */
static const ul CONFIGS[] = {VT(E8, M1), VT(E8, M8),  VT(E8, MF2),  VT(E16, M2), VT(E16, MF4),
                             VT(E32, M4), VT(E32, MF2), VT(E64, M1), VT(E64, M8)};

/* rs1 values: the low bits give shift amounts of every size; the rest saturate or not. */
static const long SCALARS[] = {(long)0x8123456789abcdefl, -1, 1, 0x7f, (long)0x8000000000000000l, 0x5a5a5a5a5a5a5a5a, 0,
                               (long)0xfffffffffffffff9l, 0x3f, 0x7fffffffffffffffl, 0x10, -129};

static int lmul_log2(ul vtype) {
  int l = (int)(vtype & 7);
  return l >= 4 ? l - 8 : l;
}

/* Registers of a group of EMUL = 2^log2. */
static int group_regs(int log2) {
  return log2 > 0 ? 1 << log2 : 1;
}

static void run(const struct op *op, int masked, ul vtype, ul avl, ul vxrm, ul sat, long x, unsigned seed) {
  int sew = 8 << ((vtype >> 3) & 7);
  int wide = op->kind == NARROW ? 2 * sew : sew;
  fill(seed, op->kind == WIDEN ? 2 * sew : sew, wide);
  (masked ? op->fm : op->f)(vtype, avl, vxrm, sat, x);
  printf("%s%s vtype=%#lx avl=%lu vxrm=%lu x=%#lx vl=%lu vxsat=%lu hash=%016llx\n", op->name, masked ? " masked" : "",
         vtype, avl, vxrm, (ul)x, out_state[0], out_state[1], hash_regs());
  int regs = op->kind == REDUCE || op->kind == WIDEN ? 1 : group_regs(lmul_log2(vtype));
  hex(" vd", regs_out + 128, 16 * regs);
}

/* Every operation under every configuration it may run in: each vxrm with VLMAX on the same operands, then a tail. */
static void op_cases(void) {
  unsigned seed = 0;
  for (unsigned k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
    const struct op *op = &OPS[k];
    for (unsigned c = 0; c < sizeof CONFIGS / sizeof CONFIGS[0]; c++) {
      ul vt = CONFIGS[c];
      int sew = (int)((vt >> 3) & 7), lmul = lmul_log2(vt);
      if (op->kind == NARROW && (sew == E64 || lmul == 3)) continue;
      if (op->kind == WIDEN && sew == E64) continue;
      for (int masked = 0; masked < 2; masked++) {
        /* the same operands in each rounding mode */
        for (ul rm = 0; rm < 4; rm++) run(op, masked, vt, 1000, rm, 0, SCALARS[seed % 12], seed);
        seed++;
        /* a short vl: the tail stays; reductions also with vl = 0 (vd untouched) */
        run(op, masked, vt, 3, 1, 0, SCALARS[seed % 12], seed);
        seed++;
        if (op->kind >= REDUCE) {
          run(op, masked, vt, 0, 0, 0, SCALARS[seed % 12], seed);
          seed++;
        }
      }
    }
  }
}

/* Cases with a register overlap, vxsat set beforehand, vstart > 0. */
static void special_cases(void) {
  static const struct {
    const char *name;
    case_fn f;
    ul vtype;
    int wide;
  } cases[] = {
      {"vnclip.wi v16, v16, 4", vnclip_self, VT(E16, M2), 1},
      {"vnclip.wi v16, v16, 4 (e8, mf2)", vnclip_self, VT(E8, MF2), 1},
      {"vnclipu.wv v16, v16, v24, v0.t", vnclipu_self_m, VT(E32, M4), 1},
      {"vredsum.vs v16, v16, v24", vredsum_self, VT(E32, M2), 0},
      {"vredmax.vs v0, v16, v0, v0.t", vredmax_v0, VT(E8, M1), 0},
      {"vwredsum.vs v24, v16, v24, v0.t", vwredsum_v24, VT(E16, M4), 0},
      {"vstart 3 vsadd.vv", vs_vsadd, VT(E16, M1), 0},
      {"vstart 2 vnclip.wx masked", vs_vnclip, VT(E8, M1), 1},
      {"vstart 5 vaadd.vx", vs_vaadd, VT(E32, M2), 0},
  };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    for (ul sat = 0; sat < 2; sat++) {
      int sew = 8 << ((cases[k].vtype >> 3) & 7);
      fill(1000 + k, sew, cases[k].wide ? 2 * sew : sew);
      cases[k].f(cases[k].vtype, 1000, 2, sat, 0x1234567);
      printf("%s vtype=%#lx vxsat before=%lu vl=%lu vxsat=%lu hash=%016llx\n", cases[k].name, cases[k].vtype, sat,
             out_state[0], out_state[1], hash_regs());
      hex(" v0", regs_out, 16);
      hex(" v8-v15", regs_out + 128, 128);
      hex(" v16-v23", regs_out + 256, 128);
      hex(" v24", regs_out + 384, 16);
    }
  }
  /* vcsr holds vxrm and vxsat: set by a saturating vsaddu, read back whole */
  ul vcsr;
  asm volatile("csrwi vcsr, 0\n csrwi vxrm, 3\n vsetivli zero, 2, e8, m1, ta, ma\n vmv.v.i v8, -1\n"
               "vsaddu.vi v8, v8, 1\n csrr %0, vcsr"
               : "=r"(vcsr)
               :
               : "v8");
  printf("vcsr after a saturating vsaddu with vxrm 3: %#lx\n", vcsr);
}

/* Encodings that are illegal (SIGILL) or not under a vtype, each run behind a SIGILL handler. */
static sigjmp_buf illegal_jmp;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(illegal_jmp, 1);
}

#define ILLEGAL_CASE(text, setup, insn)                                                             \
  if (sigsetjmp(illegal_jmp, 1) == 0) {                                                            \
    asm volatile(setup "\n" insn : : : "t0", "memory", "v0", "v4", "v8", "v9", "v10", "v11", "v16", "v17", \
                 "v18", "v19", "v24", "v25");                                                        \
    printf("%s: ok\n", text);                                                                      \
  } else {                                                                                         \
    printf("%s: SIGILL\n", text);                                                                  \
  }

static void illegal_cases(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
#define E8M1 "vsetivli zero, 4, e8, m1, ta, ma"
#define E8M2 "vsetivli zero, 4, e8, m2, ta, ma"
#define VILL "li t0, -1\n vsetvl zero, zero, t0"
  /* single-width fixed-point */
  ILLEGAL_CASE("vill vsadd.vv", VILL, "vsadd.vv v8, v16, v24")
  ILLEGAL_CASE("vill vssrl.vi", VILL, "vssrl.vi v8, v16, 1")
  ILLEGAL_CASE("vsaddu.vv vd not aligned", E8M2, "vsaddu.vv v9, v16, v24")
  ILLEGAL_CASE("vaadd.vv vs2 not aligned", E8M2, "vaadd.vv v8, v17, v24")
  ILLEGAL_CASE("vsmul.vv vs1 not aligned", E8M2, "vsmul.vv v8, v16, v25")
  ILLEGAL_CASE("vssra.vx vs2 not aligned", E8M2, "vssra.vx v8, v17, t0")
  ILLEGAL_CASE("vasubu.vx aligned", E8M2, "vasubu.vx v8, v16, t0")
  ILLEGAL_CASE("vssub.vv masked vd = v0", E8M1, ".insn 4, 0x8d0c0057 # vssub.vv v0, v16, v24, v0.t")
  ILLEGAL_CASE("vaaddu.vx masked vd = v0", E8M1, ".insn 4, 0x210c6057 # vaaddu.vx v0, v16, s8, v0.t")
  ILLEGAL_CASE("vsadd.vv masked, vs2 = v0", E8M1, "vsadd.vv v8, v0, v24, v0.t")
  ILLEGAL_CASE("vsmul.vv masked, vs1 = v0", E8M1, "vsmul.vv v8, v24, v0, v0.t")
  ILLEGAL_CASE("vssubu.vx masked, vs2 = v0", E8M1, "vssubu.vx v8, v0, t0, v0.t")
  ILLEGAL_CASE("vssrl.vi masked, vs2 = v0", E8M1, "vssrl.vi v8, v0, 1, v0.t")
  ILLEGAL_CASE("vasub.vv unmasked, vs2 = vs1 = v0", E8M1, "vasub.vv v8, v0, v0")
  ILLEGAL_CASE("vsmul.vv at e64", "vsetivli zero, 2, e64, m1, ta, ma", "vsmul.vv v8, v16, v24")
  ILLEGAL_CASE("vsadd.vi m8 aligned", "vsetivli zero, 4, e8, m8, ta, ma", "vsadd.vi v8, v16, 1")
  ILLEGAL_CASE("vsadd.vi m8 vd v12", "vsetivli zero, 4, e8, m8, ta, ma", "vsadd.vi v12, v16, 1")
  /* narrowing */
  ILLEGAL_CASE("vill vnclip.wi", VILL, "vnclip.wi v8, v16, 1")
  ILLEGAL_CASE("vnclip.wi at e64", "vsetivli zero, 2, e64, m1, ta, ma", "vnclip.wi v8, v16, 1")
  ILLEGAL_CASE("vnclipu.wv at m8", "vsetivli zero, 4, e8, m8, ta, ma", "vnclipu.wv v8, v16, v24")
  ILLEGAL_CASE("vnclip.wi at m8", "vsetivli zero, 4, e8, m8, ta, ma", "vnclip.wi v8, v16, 1")
  ILLEGAL_CASE("vnclip.wx at m4", "vsetivli zero, 4, e8, m4, ta, ma", "vnclip.wx v8, v16, t0")
  ILLEGAL_CASE("vnclip.wi at e32 m4", "vsetivli zero, 4, e32, m4, ta, ma", "vnclip.wi v8, v16, 1")
  ILLEGAL_CASE("vnclip.wi vs2 not aligned to 2 LMUL", E8M1, "vnclip.wi v8, v17, 1")
  ILLEGAL_CASE("vnclip.wi vs2 not aligned to 2 LMUL (m2)", E8M2, "vnclip.wi v8, v18, 1")
  ILLEGAL_CASE("vnclip.wi vd not aligned (m2)", E8M2, "vnclip.wi v9, v16, 1")
  ILLEGAL_CASE("vnclip.wv vs1 not aligned (m2)", E8M2, "vnclip.wv v8, v16, v25")
  ILLEGAL_CASE("vnclip.wv vs1 aligned (m2)", E8M2, "vnclip.wv v8, v16, v26")
  ILLEGAL_CASE("vnclip.wi vd = vs2", E8M1, "vnclip.wi v16, v16, 1")
  ILLEGAL_CASE("vnclip.wi vd = vs2 + 1", E8M1, ".insn 4, 0xbf00b8d7 # vnclip.wi v17, v16, 1")
  ILLEGAL_CASE("vnclip.wi vd = vs2 (m2)", E8M2, "vnclip.wi v16, v16, 1")
  ILLEGAL_CASE("vnclip.wi vd = vs2 + 2 (m2)", E8M2, ".insn 4, 0xbf00b957 # vnclip.wi v18, v16, 1")
  ILLEGAL_CASE("vnclip.wi vd below vs2 (m2)", E8M2, "vnclip.wi v14, v16, 1")
  ILLEGAL_CASE("vnclip.wi vd after vs2 (m2)", E8M2, "vnclip.wi v20, v16, 1")
  ILLEGAL_CASE("vnclip.wi vd = vs2 + 1 (mf2)", "vsetivli zero, 4, e8, mf2, ta, ma", "vnclip.wi v17, v16, 1")
  ILLEGAL_CASE("vnclip.wv vd = vs1", E8M1, "vnclip.wv v24, v16, v24")
  ILLEGAL_CASE("vnclip.wv vs1 in vs2's group", E8M1, "vnclip.wv v8, v16, v17")
  ILLEGAL_CASE("vnclip.wv vs1 = vs2", E8M1, "vnclip.wv v8, v16, v16")
  ILLEGAL_CASE("vnclip.wv vd = vs2 = vs1", E8M1, "vnclip.wv v16, v16, v16")
  ILLEGAL_CASE("vnclip.wv vs1 = vs2 + 1 (mf2)", "vsetivli zero, 4, e8, mf2, ta, ma", "vnclip.wv v8, v16, v17")
  ILLEGAL_CASE("vnclip.wv vs1 = vs2 (mf2)", "vsetivli zero, 4, e8, mf2, ta, ma", "vnclip.wv v8, v16, v16")
  ILLEGAL_CASE("vnclip.wv masked, vs1 = v0", E8M1, "vnclip.wv v8, v16, v0, v0.t")
  ILLEGAL_CASE("vnclip.wx masked, vs2 = v0 (mf2)", "vsetivli zero, 4, e8, mf2, ta, ma", "vnclip.wx v8, v0, t0, v0.t")
  ILLEGAL_CASE("vnclip.wi unmasked vd = v0", E8M1, "vnclip.wi v0, v16, 1")
  ILLEGAL_CASE("vnclipu.wv masked vd = v0", E8M1, ".insn 4, 0xb90c0057 # vnclipu.wv v0, v16, v24, v0.t")
  ILLEGAL_CASE("vnclipu.wi vs2 = v0 masked", E8M1, ".insn 4, 0xb800b457 # vnclipu.wi v8, v0, 1, v0.t")
  /* reductions */
  ILLEGAL_CASE("vill vredsum", VILL, "vredsum.vs v8, v16, v24")
  ILLEGAL_CASE("vill vwredsum", VILL, "vwredsum.vs v8, v16, v24")
  ILLEGAL_CASE("vredsum vs2 not aligned", E8M2, "vredsum.vs v8, v17, v24")
  ILLEGAL_CASE("vredsum vd not aligned", E8M2, "vredsum.vs v9, v16, v24")
  ILLEGAL_CASE("vredsum vs1 not aligned", E8M2, "vredsum.vs v8, v16, v25")
  ILLEGAL_CASE("vredmax vd over vs2", E8M2, "vredmax.vs v17, v16, v24")
  ILLEGAL_CASE("vredand masked vd = v0", E8M1, ".insn 4, 0x050c2057 # vredand.vs v0, v16, v24, v0.t")
  ILLEGAL_CASE("vredsum masked, vs2 = v0", E8M1, "vredsum.vs v8, v0, v24, v0.t")
  ILLEGAL_CASE("vredmin masked, vs1 = v0", E8M1, "vredmin.vs v8, v16, v0, v0.t")
  ILLEGAL_CASE("vwredsum masked, vs2 = v0", E8M1, "vwredsum.vs v8, v0, v24, v0.t")
  ILLEGAL_CASE("vwredsum vs1 = vs2", E8M1, "vwredsum.vs v8, v16, v16")
  ILLEGAL_CASE("vwredsum vs1 in vs2's group (m2)", E8M2, "vwredsum.vs v8, v16, v17")
  ILLEGAL_CASE("vwredsumu vd odd in vs2's group (m2)", E8M2, "vwredsumu.vs v17, v16, v24")
  ILLEGAL_CASE("vredor vstart 1", E8M1 "\n csrwi vstart, 1", "vredor.vs v8, v16, v24")
  ILLEGAL_CASE("vredxor vstart 1, vl 0", "vsetivli zero, 0, e8, m1, ta, ma\n csrwi vstart, 1", "vredxor.vs v8, v16, v24")
  ILLEGAL_CASE("vredminu vstart 5, vl 4", E8M1 "\n csrwi vstart, 5", "vredminu.vs v8, v16, v24")
  ILLEGAL_CASE("vwredsumu vstart 1", E8M1 "\n csrwi vstart, 1", "vwredsumu.vs v8, v16, v24")
  ILLEGAL_CASE("vwredsumu at e64", "vsetivli zero, 2, e64, m1, ta, ma", "vwredsumu.vs v8, v16, v24")
  ILLEGAL_CASE("vwredsum at e32 m8", "vsetivli zero, 2, e32, m8, ta, ma", "vwredsum.vs v8, v16, v24")
  ILLEGAL_CASE("vwredsum vs2 not aligned (m4)", "vsetivli zero, 2, e16, m4, ta, ma", "vwredsum.vs v8, v18, v24")
  ILLEGAL_CASE("vwredsum vs1 odd (m4)", "vsetivli zero, 2, e16, m4, ta, ma", "vwredsum.vs v9, v16, v25")
  /* fixed-point with vstart > 0 runs (from there) */
  ILLEGAL_CASE("vsadd.vv vstart 1", E8M1 "\n csrwi vstart, 1", "vsadd.vv v8, v16, v24")
  ILLEGAL_CASE("vnclip.wi vstart 9, vl 4", E8M1 "\n csrwi vstart, 9", "vnclip.wi v8, v16, 1")
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc > 1 && strcmp(argv[1], "illegal") == 0) {
    illegal_cases();
    return 0;
  }
  op_cases();
  special_cases();
  return 0;
}
