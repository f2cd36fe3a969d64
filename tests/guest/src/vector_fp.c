/*
 * The vector extension's floating point (V 1.0, VLEN = 128) at SEW 32 and 64,
 * and Zvfhmin's SEW 16 conversions: every FP instruction over special
 * operands (NaNs, signaling NaNs, ±0, infinities, subnormals, the largest
 * finite values, ties, integer edges) in all pairs, in the five rounding
 * modes (frm), unmasked at VLMAX and masked with a tail, with a scalar f[rs1]
 * sometimes improperly NaN-boxed; vfrec7 and vfrsqrt7 over every entry of
 * their tables in five exponent ranges; then each instruction one element at
 * a time (vl = 1), so that each value's fflags are seen alone.
 *
 * The instructions are words in a table of stubs (`insn; ret`), made from
 * one list with fixed registers: vd = v8 (f11 for vfmv.f.s), vs2 = v16, vs1
 * = v24 (f10 for the .vf forms). A run loads v0 (the mask) and v8-v31, f10,
 * frm, vtype, vl and vstart, calls the stub, and keeps v8-v15 (the only
 * group an instruction writes), fflags, f11 and vstart. Each line prints, for one instruction, SEW, LMUL, mask and
 * frm, the union of the fflags of its runs and a hash (FNV-1a) of every
 * run's registers and flags; `vector_fp dump NAME` prints each run of NAME
 * in hex instead. A SIGILL prints as such, so the last part runs each
 * instruction where QEMU 10 refuses it or not: vl = 0, vstart > 0, a
 * reserved frm, LMUL 8, vill, SEW 8 and 16; and register groups that are not
 * aligned or overlap (the last part, with stubs of their own).
 *
 * `vector_fp zvfh` does the same at SEW 16 (Zvfh: every instruction; the
 * conversions between halves and 8-bit integers at SEW 8), the estimates over
 * their half-precision inputs, and where QEMU 10 refuses them at SEW 16.
 *
 * Built by build/build_guests.sh with clang-19 -march=rv64gcv; expected
 * output from QEMU 10.0 `-cpu rv64,v=true,vlen=128` (tests/vector_fp_test.ts),
 * with `,zvfhmin=true` and, for `zvfh`, `,zvfh=true` as well.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long ul;

enum { K_SS, K_WS, K_WW, K_NS, K_MASK, K_RED, K_WRED, K_FS };

/* X(name, kind, funct6, funct3, vs1 field, vs2 field, vd field, vm of the first stub, vm of the second) */
#define OPS(X) \
  X("vfadd.vv", K_SS, 0, 1, 24, 16, 8, 1, 0) \
  X("vfadd.vf", K_SS, 0, 5, 10, 16, 8, 1, 0) \
  X("vfsub.vv", K_SS, 2, 1, 24, 16, 8, 1, 0) \
  X("vfsub.vf", K_SS, 2, 5, 10, 16, 8, 1, 0) \
  X("vfrsub.vf", K_SS, 39, 5, 10, 16, 8, 1, 0) \
  X("vfwadd.vv", K_WS, 48, 1, 24, 16, 8, 1, 0) \
  X("vfwadd.vf", K_WS, 48, 5, 10, 16, 8, 1, 0) \
  X("vfwsub.vv", K_WS, 50, 1, 24, 16, 8, 1, 0) \
  X("vfwsub.vf", K_WS, 50, 5, 10, 16, 8, 1, 0) \
  X("vfwadd.wv", K_WW, 52, 1, 24, 16, 8, 1, 0) \
  X("vfwadd.wf", K_WW, 52, 5, 10, 16, 8, 1, 0) \
  X("vfwsub.wv", K_WW, 54, 1, 24, 16, 8, 1, 0) \
  X("vfwsub.wf", K_WW, 54, 5, 10, 16, 8, 1, 0) \
  X("vfmul.vv", K_SS, 36, 1, 24, 16, 8, 1, 0) \
  X("vfmul.vf", K_SS, 36, 5, 10, 16, 8, 1, 0) \
  X("vfdiv.vv", K_SS, 32, 1, 24, 16, 8, 1, 0) \
  X("vfdiv.vf", K_SS, 32, 5, 10, 16, 8, 1, 0) \
  X("vfrdiv.vf", K_SS, 33, 5, 10, 16, 8, 1, 0) \
  X("vfwmul.vv", K_WS, 56, 1, 24, 16, 8, 1, 0) \
  X("vfwmul.vf", K_WS, 56, 5, 10, 16, 8, 1, 0) \
  X("vfmadd.vv", K_SS, 40, 1, 24, 16, 8, 1, 0) \
  X("vfmadd.vf", K_SS, 40, 5, 10, 16, 8, 1, 0) \
  X("vfnmadd.vv", K_SS, 41, 1, 24, 16, 8, 1, 0) \
  X("vfnmadd.vf", K_SS, 41, 5, 10, 16, 8, 1, 0) \
  X("vfmsub.vv", K_SS, 42, 1, 24, 16, 8, 1, 0) \
  X("vfmsub.vf", K_SS, 42, 5, 10, 16, 8, 1, 0) \
  X("vfnmsub.vv", K_SS, 43, 1, 24, 16, 8, 1, 0) \
  X("vfnmsub.vf", K_SS, 43, 5, 10, 16, 8, 1, 0) \
  X("vfmacc.vv", K_SS, 44, 1, 24, 16, 8, 1, 0) \
  X("vfmacc.vf", K_SS, 44, 5, 10, 16, 8, 1, 0) \
  X("vfnmacc.vv", K_SS, 45, 1, 24, 16, 8, 1, 0) \
  X("vfnmacc.vf", K_SS, 45, 5, 10, 16, 8, 1, 0) \
  X("vfmsac.vv", K_SS, 46, 1, 24, 16, 8, 1, 0) \
  X("vfmsac.vf", K_SS, 46, 5, 10, 16, 8, 1, 0) \
  X("vfnmsac.vv", K_SS, 47, 1, 24, 16, 8, 1, 0) \
  X("vfnmsac.vf", K_SS, 47, 5, 10, 16, 8, 1, 0) \
  X("vfwmacc.vv", K_WS, 60, 1, 24, 16, 8, 1, 0) \
  X("vfwmacc.vf", K_WS, 60, 5, 10, 16, 8, 1, 0) \
  X("vfwnmacc.vv", K_WS, 61, 1, 24, 16, 8, 1, 0) \
  X("vfwnmacc.vf", K_WS, 61, 5, 10, 16, 8, 1, 0) \
  X("vfwmsac.vv", K_WS, 62, 1, 24, 16, 8, 1, 0) \
  X("vfwmsac.vf", K_WS, 62, 5, 10, 16, 8, 1, 0) \
  X("vfwnmsac.vv", K_WS, 63, 1, 24, 16, 8, 1, 0) \
  X("vfwnmsac.vf", K_WS, 63, 5, 10, 16, 8, 1, 0) \
  X("vfmin.vv", K_SS, 4, 1, 24, 16, 8, 1, 0) \
  X("vfmin.vf", K_SS, 4, 5, 10, 16, 8, 1, 0) \
  X("vfmax.vv", K_SS, 6, 1, 24, 16, 8, 1, 0) \
  X("vfmax.vf", K_SS, 6, 5, 10, 16, 8, 1, 0) \
  X("vfsgnj.vv", K_SS, 8, 1, 24, 16, 8, 1, 0) \
  X("vfsgnj.vf", K_SS, 8, 5, 10, 16, 8, 1, 0) \
  X("vfsgnjn.vv", K_SS, 9, 1, 24, 16, 8, 1, 0) \
  X("vfsgnjn.vf", K_SS, 9, 5, 10, 16, 8, 1, 0) \
  X("vfsgnjx.vv", K_SS, 10, 1, 24, 16, 8, 1, 0) \
  X("vfsgnjx.vf", K_SS, 10, 5, 10, 16, 8, 1, 0) \
  X("vmfeq.vv", K_MASK, 24, 1, 24, 16, 8, 1, 0) \
  X("vmfeq.vf", K_MASK, 24, 5, 10, 16, 8, 1, 0) \
  X("vmfle.vv", K_MASK, 25, 1, 24, 16, 8, 1, 0) \
  X("vmfle.vf", K_MASK, 25, 5, 10, 16, 8, 1, 0) \
  X("vmflt.vv", K_MASK, 27, 1, 24, 16, 8, 1, 0) \
  X("vmflt.vf", K_MASK, 27, 5, 10, 16, 8, 1, 0) \
  X("vmfne.vv", K_MASK, 28, 1, 24, 16, 8, 1, 0) \
  X("vmfne.vf", K_MASK, 28, 5, 10, 16, 8, 1, 0) \
  X("vmfgt.vf", K_MASK, 29, 5, 10, 16, 8, 1, 0) \
  X("vmfge.vf", K_MASK, 31, 5, 10, 16, 8, 1, 0) \
  X("vfredusum.vs", K_RED, 1, 1, 24, 16, 8, 1, 0) \
  X("vfredosum.vs", K_RED, 3, 1, 24, 16, 8, 1, 0) \
  X("vfredmin.vs", K_RED, 5, 1, 24, 16, 8, 1, 0) \
  X("vfredmax.vs", K_RED, 7, 1, 24, 16, 8, 1, 0) \
  X("vfwredusum.vs", K_WRED, 49, 1, 24, 16, 8, 1, 0) \
  X("vfwredosum.vs", K_WRED, 51, 1, 24, 16, 8, 1, 0) \
  X("vfslide1up.vf", K_SS, 14, 5, 10, 16, 8, 1, 0) \
  X("vfslide1down.vf", K_SS, 15, 5, 10, 16, 8, 1, 0) \
  X("vfmerge.vfm", K_SS, 23, 5, 10, 16, 8, 0, 0) \
  X("vfmv.v.f", K_SS, 23, 5, 10, 0, 8, 1, 1) \
  X("vfmv.f.s", K_FS, 16, 1, 0, 16, 11, 1, 1) \
  X("vfmv.s.f", K_SS, 16, 5, 10, 0, 8, 1, 1) \
  X("vfcvt.xu.f.v", K_SS, 18, 1, 0, 16, 8, 1, 0) \
  X("vfcvt.x.f.v", K_SS, 18, 1, 1, 16, 8, 1, 0) \
  X("vfcvt.f.xu.v", K_SS, 18, 1, 2, 16, 8, 1, 0) \
  X("vfcvt.f.x.v", K_SS, 18, 1, 3, 16, 8, 1, 0) \
  X("vfcvt.rtz.xu.f.v", K_SS, 18, 1, 6, 16, 8, 1, 0) \
  X("vfcvt.rtz.x.f.v", K_SS, 18, 1, 7, 16, 8, 1, 0) \
  X("vfwcvt.xu.f.v", K_WS, 18, 1, 8, 16, 8, 1, 0) \
  X("vfwcvt.x.f.v", K_WS, 18, 1, 9, 16, 8, 1, 0) \
  X("vfwcvt.f.xu.v", K_WS, 18, 1, 10, 16, 8, 1, 0) \
  X("vfwcvt.f.x.v", K_WS, 18, 1, 11, 16, 8, 1, 0) \
  X("vfwcvt.f.f.v", K_WS, 18, 1, 12, 16, 8, 1, 0) \
  X("vfwcvt.rtz.xu.f.v", K_WS, 18, 1, 14, 16, 8, 1, 0) \
  X("vfwcvt.rtz.x.f.v", K_WS, 18, 1, 15, 16, 8, 1, 0) \
  X("vfncvt.xu.f.w", K_NS, 18, 1, 16, 16, 8, 1, 0) \
  X("vfncvt.x.f.w", K_NS, 18, 1, 17, 16, 8, 1, 0) \
  X("vfncvt.f.xu.w", K_NS, 18, 1, 18, 16, 8, 1, 0) \
  X("vfncvt.f.x.w", K_NS, 18, 1, 19, 16, 8, 1, 0) \
  X("vfncvt.f.f.w", K_NS, 18, 1, 20, 16, 8, 1, 0) \
  X("vfncvt.rod.f.f.w", K_NS, 18, 1, 21, 16, 8, 1, 0) \
  X("vfncvt.rtz.xu.f.w", K_NS, 18, 1, 22, 16, 8, 1, 0) \
  X("vfncvt.rtz.x.f.w", K_NS, 18, 1, 23, 16, 8, 1, 0) \
  X("vfsqrt.v", K_SS, 19, 1, 0, 16, 8, 1, 0) \
  X("vfrsqrt7.v", K_SS, 19, 1, 4, 16, 8, 1, 0) \
  X("vfrec7.v", K_SS, 19, 1, 5, 16, 8, 1, 0) \
  X("vfclass.v", K_SS, 19, 1, 16, 16, 8, 1, 0)


#define STUB(name, kind, f6, f3, vs1, vs2, vd, vma, vmb)                                                \
  ".word (" #f6 "<<26)|(" #vma "<<25)|(" #vs2 "<<20)|(" #vs1 "<<15)|(" #f3 "<<12)|(" #vd "<<7)|0x57\n" \
  "jalr x0, 0(x1)\n"                                                                                  \
  ".word (" #f6 "<<26)|(" #vmb "<<25)|(" #vs2 "<<20)|(" #vs1 "<<15)|(" #f3 "<<12)|(" #vd "<<7)|0x57\n" \
  "jalr x0, 0(x1)\n"

/* Two stubs of 8 bytes per instruction: unmasked (or its only form), then masked. */
asm(".text\n.balign 8\n.option push\n.option norvc\nfp_stubs:\n" OPS(STUB) ".option pop\n");
extern char fp_stubs[];

struct op {
  const char *name;
  int kind;
  int fixed_vm; /* vm is part of the operation (vfmerge, the moves): no masked variant */
};
#define ENTRY(name, kind, f6, f3, vs1, vs2, vd, vma, vmb) {name, kind, vma == vmb},
static const struct op ops[] = {OPS(ENTRY)};
#define NOPS (int)(sizeof ops / sizeof ops[0])

/* Special values: 32 of each width (40000.5 and -32768.5 round out of int16's range in some modes). */
static const uint16_t H[32] = {
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x3e00, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe55, 0x7d00, 0x0001,
    0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c01, 0x4200, 0x4248, 0x1400, 0x7800, 0xf800, 0x3800, 0xb800,
    0x4100, 0x03ff, 0x0200, 0x6400, 0x5bff, 0xc0ff, 0x7fff, 0x8001};
static const uint32_t S[32] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x7f800000, 0xff800000, 0x7fc00000,
    0x7f800001, 0xffc12345, 0x7fa00000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0xff7fffff,
    0x3f800001, 0x40400000, 0x40490fdb, 0x471c4080, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000,
    0x3effffff, 0x3f000000, 0xc0200000, 0x01000001, 0x7fffffff, 0xc7000080, 0x477fe000, 0xc77ff000};
static const uint64_t D[32] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
    0x3ff8000000000000, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0x7ff0000000000001, 0xfff8123456789abc, 0x7ff4000000000000, 0x0000000000000001,
    0x800fffffffffffff, 0x0010000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
    0x3ff0000000000001, 0x4008000000000000, 0x400921fb54442d18, 0x3800000000000000,
    0x41e0000000000000, 0xc1e0000000200000, 0x41f0000000000000, 0x43e0000000000000,
    0x36a0000000000000, 0x3ff0000010000000, 0xc004000000000000, 0x47f0000000000000,
    0x3ff0000030000000, 0x0020000000000001, 0x43f0000000000000, 0xb7f0000000000000};

/* 8-bit integers, the sources of the SEW-8 conversions to halves (Zvfh). */
static const uint8_t B[32] = {0x00, 0x01, 0xff, 0x7f, 0x80, 0x81, 0x7e, 0x02, 0xfe, 0x10, 0xf0, 0x55, 0xaa, 0x33, 0xcc, 0x64,
                              0x9c, 0x0f, 0xf1, 0x40, 0xc0, 0x03, 0xfd, 0x20, 0xe0, 0x11, 0xef, 0x7d, 0x83, 0x08, 0xf8, 0x3f};

static uint64_t value(int width, int i) {
  i %= 32;
  return width == 8 ? B[i] : width == 16 ? H[i] : width == 32 ? S[i] : D[i];
}

static unsigned char regs_in[512] __attribute__((aligned(16)));
static unsigned char regs_out[128] __attribute__((aligned(16))); /* v8-v15, which only vd is among */
static ul results[3]; /* fflags, f11, vstart */

static void put(int reg, int width, int i, uint64_t v) { memcpy(regs_in + reg * 16 + i * (width / 8), &v, width / 8); }

static void run(const void *stub, ul vtype, ul avl, ul frm, ul f10, ul vstart) {
  asm volatile("vl8re64.v v0, (%[in])\n"
               "addi t1, %[in], 128\n vl8re64.v v8, (t1)\n"
               "addi t1, %[in], 256\n vl8re64.v v16, (t1)\n"
               "addi t1, %[in], 384\n vl8re64.v v24, (t1)\n"
               "fmv.d.x fa0, %[f]\n"
               "li t0, -1\n fmv.d.x fa1, t0\n"
               "fsrm %[frm]\n csrwi fflags, 0\n"
               "vsetvl t0, %[avl], %[vt]\n"
               "csrw vstart, %[vs]\n"
               "li a0, 0x5a5a5a5a\n" /* x10 differs from f10: a .vf form must read the FP register */
               "jalr ra, 0(%[stub])\n"
               "frflags t0\n sd t0, 0(%[res])\n"
               "fmv.x.d t0, fa1\n sd t0, 8(%[res])\n"
               "csrr t0, vstart\n sd t0, 16(%[res])\n"
               "vs8r.v v8, (%[out])\n"
               "fsrm zero\n"
               :
               : [in] "r"(regs_in), [out] "r"(regs_out), [avl] "r"(avl), [vt] "r"(vtype), [f] "r"(f10),
                 [frm] "r"(frm), [vs] "r"(vstart), [stub] "r"(stub), [res] "r"(results)
               : "t0", "t1", "a0", "ra", "fa0", "fa1", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8",
                 "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
                 "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
}

static sigjmp_buf illegal_jmp;
static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(illegal_jmp, 1);
}

static uint64_t hash;
static void mix(const void *p, int n) {
  const uint64_t *w = p;
  for (int i = 0; i < n / 8; i++) hash = (hash ^ w[i]) * 0x100000001b3ull;
}

static const char *dump_name; /* print each run of this instruction */
static int lmul_log2(int kind, int sew) {
  (void)sew;
  return kind == K_WS || kind == K_WW || kind == K_NS ? 2 : 3;
}

/* The element widths of vd, vs2 and vs1 of an instruction of `kind` at `sew`. */
static void widths(int kind, int sew, int *wd, int *w2, int *w1) {
  *wd = *w2 = *w1 = sew;
  if (kind == K_WS || kind == K_WW || kind == K_WRED) *wd = 2 * sew;
  if (kind == K_WW || kind == K_NS) *w2 = 2 * sew;
  if (kind == K_WRED) *w1 = 2 * sew;
}

/* Fills v8-v31 for round r of n over vlmax elements: over the rounds, every pair of vs2 and vs1 values meets. */
static ul fill(int kind, int sew, int elems, int r) {
  int wd, w2, w1;
  widths(kind, sew, &wd, &w2, &w1);
  int blocks = elems >= 32 ? 1 : 32 / elems, blk = r % blocks, shift = r / blocks;
  for (int i = 0; i < 128 / (wd / 8); i++) put(8, wd, i, value(wd, 3 * i + 2 * shift + 7));
  for (int i = 0; i < 128 / (w2 / 8); i++) put(16, w2, i, value(w2, blk * elems + i));
  for (int i = 0; i < 128 / (w1 / 8); i++) put(24, w1, i, value(w1, blk * elems + i + shift));
  uint64_t f = value(sew, 7 * r + 3);
  if (sew == 16) f |= ~0xffffull;
  if (sew == 32) f |= ~0xffffffffull;
  if (sew < 64 && r % 8 == 5) f &= 0x00000000ffffffffull; /* improperly boxed: the canonical NaN */
  return f;
}

static const int SEW_CODE[] = {[8] = 0, [16] = 1, [32] = 2, [64] = 3};

/* One line: instruction `op` at `sew` over all rounds (one for the `special` runs), or SIGILL. */
static void line(int op, int sew, int masked, int frm, int special) {
  int kind = ops[op].kind, lmul = lmul_log2(kind, sew);
  if (special == 4) lmul = 3;               /* LMUL 8 for all */
  int elems = (128 << lmul) / sew;          /* VLMAX */
  if (elems > 32) elems = 32;
  int rounds = special ? 1 : 32 * 32 / elems;
  if (special == 6) elems = 1, rounds = 32; /* one element at a time: its own fflags */
  ul vtype = special == 5 ? 1ul << 63 : (ul)(SEW_CODE[sew] << 3 | lmul | 0xc0);
  ul avl = masked ? (ul)elems - 3 : (ul)elems, vstart = 0;
  if (special == 1) avl = 0;
  if (special == 2) vstart = 2;
  ul fr = special == 3 ? 5 : (ul)frm;
  unsigned flags = 0;
  hash = 0xcbf29ce484222325ull;
  printf("%-18s e%-2d m%d %s frm=%lu", ops[op].name, sew, 1 << lmul, masked ? "v0.t" : "    ", fr);
  if (special == 1) printf(" vl=0");
  if (special == 2) printf(" vstart=2");
  if (special == 5) printf(" vill");
  if (special == 6) printf(" vl=1");
  fflush(stdout);
  if (sigsetjmp(illegal_jmp, 1) != 0) {
    printf(": SIGILL\n");
    return;
  }
  for (int r = 0; r < rounds; r++) {
    ul f = fill(kind, sew, elems, r);
    run(fp_stubs + op * 16 + (masked ? 8 : 0), vtype, avl, fr, f, vstart);
    flags |= results[0];
    mix(results, sizeof results);
    mix(regs_out, sizeof regs_out);
    if (dump_name && strcmp(dump_name, ops[op].name) == 0) {
      printf("\n  round %d f10=%016lx fflags=%02lx f11=%016lx vstart=%lu\n", r, f, results[0], results[1], results[2]);
      for (int g = 8; g < 32; g += 8) {
        printf("  in  v%-2d:", g);
        for (int i = 0; i < 128; i++) printf("%s%02x", i % 16 == 0 ? " " : "", regs_in[g * 16 + i]);
        printf("\n");
      }
      printf("  out v8 :");
      for (int i = 0; i < 128; i++) printf("%s%02x", i % 16 == 0 ? " " : "", regs_out[i]);
      printf("\n");
    }
  }
  printf(": fflags %02x hash %016llx\n", flags, (unsigned long long)hash);
}

/* The estimates' inputs: 640 values of `sew` bits, 128 table indices (the top 7 fraction bits) in each of five
   exponent ranges: 1.x, -2.x, the largest two exponents (subnormal results of vfrec7), subnormals (its
   overflows; both exponent parities of vfrsqrt7 once normalized) and 0.5.x. */
static uint64_t estimate_input(int sew, int k) {
  int frac = sew == 16 ? 10 : sew == 32 ? 23 : 52, bias = sew == 16 ? 15 : sew == 32 ? 127 : 1023;
  int idx = k & 127, group = k >> 7;
  uint64_t low = ((uint64_t)k * 2654435761u) & ((1ull << (frac - 7)) - 1), exp, sign = 0;
  switch (group) {
  case 0: exp = bias; break;
  case 1: exp = bias + 1, sign = 1; break;
  case 2: exp = 2 * bias - 1 + (k & 1); break;
  case 3: exp = 0, low >>= k & 15; break;
  default: exp = bias - 1; break;
  }
  if (group == 3) idx >>= k & 3;
  return sign << (sew - 1) | exp << frac | (uint64_t)idx << (frac - 7) | low;
}

/* vfrec7.v or vfrsqrt7.v (`op`) over every estimate input at `sew` and `frm`, 32 or 16 at a time. */
static void sweep(int op, int sew, int frm, int one) {
  int elems = one ? 1 : 1024 / sew;
  unsigned flags = 0;
  hash = 0xcbf29ce484222325ull;
  for (int r = 0; r < 640 / elems; r++) {
    for (int i = 0; i < elems; i++) put(16, sew, i, estimate_input(sew, r * elems + i));
    run(fp_stubs + op * 16, (ul)(SEW_CODE[sew] << 3 | 3 | 0xc0), (ul)elems, (ul)frm, 0, 0);
    flags |= results[0];
    mix(results, sizeof results);
    mix(regs_out, sizeof regs_out);
  }
  printf("%-18s e%-2d m8 every table entry%s frm=%d: fflags %02x hash %016llx\n", ops[op].name, sew,
         one ? " vl=1" : "", frm, flags,
         (unsigned long long)hash);
}

/* Encodings legal or not by their registers, at e32 (vl 2): X(text, vlmul, funct6, funct3, vs1, vs2, vd, vm). */
#define REGS(X) \
  X("vfadd.vv v9, v16, v24 (m2: vd not aligned)", 1, 0, 1, 24, 16, 9, 1) \
  X("vfadd.vv v8, v17, v24 (m2: vs2 not aligned)", 1, 0, 1, 24, 17, 8, 1) \
  X("vfadd.vv v8, v16, v25 (m2: vs1 not aligned)", 1, 0, 1, 25, 16, 8, 1) \
  X("vfadd.vv v0, v16, v24, v0.t", 0, 0, 1, 24, 16, 0, 0) \
  X("vfmacc.vf v9, fa0, v16 (m2)", 1, 44, 5, 10, 16, 9, 1) \
  X("vfwadd.vv v16, v16, v24 (m1: vs2 the low half of vd)", 0, 48, 1, 24, 16, 16, 1) \
  X("vfwadd.vv v16, v17, v24 (m1: vs2 the high half of vd)", 0, 48, 1, 24, 17, 16, 1) \
  X("vfwadd.vv v16, v8, v17 (m1: vs1 the high half of vd)", 0, 48, 1, 17, 8, 16, 1) \
  X("vfwadd.vv v16, v18, v24 (m2: vs2 the high half of vd)", 1, 48, 1, 24, 18, 16, 1) \
  X("vfwadd.vv v16, v17, v24 (m2: vs2 not aligned)", 1, 48, 1, 24, 17, 16, 1) \
  X("vfwadd.vv v17, v8, v24 (m1: vd not aligned)", 0, 48, 1, 24, 8, 17, 1) \
  X("vfwadd.vv v16, v16, v24 (mf2: vd = vs2)", 7, 48, 1, 24, 16, 16, 1) \
  X("vfwadd.vf v16, v8, fa0 (m8)", 3, 48, 5, 10, 8, 16, 1) \
  X("vfwadd.wv v16, v16, v24 (m1: wide vs2 = vd)", 0, 52, 1, 24, 16, 16, 1) \
  X("vfwadd.wv v16, v17, v24 (m1: wide vs2 not aligned)", 0, 52, 1, 24, 17, 16, 1) \
  X("vfwadd.wv v16, v8, v17 (m1: vs1 the high half of vd)", 0, 52, 1, 17, 8, 16, 1) \
  X("vfwadd.wv v16, v8, v16 (m1: vs1 the low half of vd)", 0, 52, 1, 16, 8, 16, 1) \
  X("vfwmacc.vv v16, v17, v8 (m1)", 0, 60, 1, 17, 8, 16, 1) \
  X("vfwcvt.f.f.v v16, v17 (m1)", 0, 18, 1, 12, 17, 16, 1) \
  X("vfwcvt.f.f.v v16, v16 (m1)", 0, 18, 1, 12, 16, 16, 1) \
  X("vfwcvt.xu.f.v v0, v16, v0.t", 0, 18, 1, 8, 16, 0, 0) \
  X("vfncvt.f.f.w v16, v16 (m1: vd = vs2)", 0, 18, 1, 20, 16, 16, 1) \
  X("vfncvt.f.f.w v17, v16 (m1: vd the high half of vs2)", 0, 18, 1, 20, 16, 17, 1) \
  X("vfncvt.f.f.w v8, v17 (m1: vs2 not aligned)", 0, 18, 1, 20, 17, 8, 1) \
  X("vfncvt.x.f.w v16, v16 (m2: vd = vs2)", 1, 18, 1, 17, 16, 16, 1) \
  X("vfncvt.x.f.w v18, v16 (m2: vd the high half of vs2)", 1, 18, 1, 17, 16, 18, 1) \
  X("vfncvt.f.f.w v8, v16 (m8)", 3, 18, 1, 20, 16, 8, 1) \
  X("vmflt.vv v16, v16, v24 (m2: vd = vs2)", 1, 27, 1, 24, 16, 16, 1) \
  X("vmflt.vv v17, v16, v24 (m2: vd inside vs2)", 1, 27, 1, 24, 16, 17, 1) \
  X("vmflt.vv v25, v16, v24 (m2: vd inside vs1)", 1, 27, 1, 24, 16, 25, 1) \
  X("vmflt.vv v24, v16, v24 (m2: vd = vs1)", 1, 27, 1, 24, 16, 24, 1) \
  X("vmflt.vv v0, v16, v24, v0.t", 0, 27, 1, 24, 16, 0, 0) \
  X("vmfgt.vf v17, v16, fa0 (m2: vd inside vs2)", 1, 29, 5, 10, 16, 17, 1) \
  X("vmfeq.vv v8, v17, v24 (m2: vs2 not aligned)", 1, 24, 1, 24, 17, 8, 1) \
  X("vfslide1up.vf v16, v16, fa0", 0, 14, 5, 10, 16, 16, 1) \
  X("vfslide1up.vf v18, v16, fa0 (m2)", 1, 14, 5, 10, 16, 18, 1) \
  X("vfslide1down.vf v16, v16, fa0", 0, 15, 5, 10, 16, 16, 1) \
  X("vfslide1up.vf v0, v16, fa0, v0.t", 0, 14, 5, 10, 16, 0, 0) \
  X("vfmerge.vfm v0, v16, fa0, v0", 0, 23, 5, 10, 16, 0, 0) \
  X("vfmerge.vfm v9, v16, fa0, v0 (m2)", 1, 23, 5, 10, 16, 9, 0) \
  X("vfmv.v.f v9, fa0 (m2)", 1, 23, 5, 10, 0, 9, 1) \
  X("vfmv.s.f v9, fa0 (m2)", 1, 16, 5, 10, 0, 9, 1) \
  X("vfmv.f.s fa1, v17 (m2)", 1, 16, 1, 0, 17, 11, 1) \
  X("vfredosum.vs v8, v17, v24 (m2: vs2 not aligned)", 1, 3, 1, 24, 17, 8, 1) \
  X("vfredosum.vs v9, v16, v25 (m2: vd and vs1 single registers)", 1, 3, 1, 25, 16, 9, 1) \
  X("vfredosum.vs v16, v16, v24 (m2: vd = vs2)", 1, 3, 1, 24, 16, 16, 1) \
  X("vfredosum.vs v0, v16, v24, v0.t", 0, 3, 1, 24, 16, 0, 0) \
  X("vfwredosum.vs v9, v16, v25 (m2)", 1, 51, 1, 25, 16, 9, 1) \
  X("vfwredusum.vs v8, v16, v24 (m8)", 3, 49, 1, 24, 16, 8, 1) \
  X("vfsqrt.v v8, v17 (m2: vs2 not aligned)", 1, 19, 1, 0, 17, 8, 1) \
  X("vfclass.v v0, v16, v0.t", 0, 19, 1, 16, 16, 0, 0) \
  X("vfcvt.x.f.v v0, v16, v0.t", 0, 18, 1, 1, 16, 0, 0) \
  X("vfcvt.x.f.v (vs1 = 4: reserved)", 0, 18, 1, 4, 16, 8, 1) \
  X("vfsqrt.v (vs1 = 1: reserved)", 0, 19, 1, 1, 16, 8, 1) \
  X("vfmerge.vfm, vm = 1 and vs2 != 0 (reserved)", 0, 23, 5, 10, 16, 8, 1) \
  X("vfmv.f.s, vm = 0 (reserved)", 0, 16, 1, 0, 17, 11, 0) \
  X("vfadd.vv v8, v0, v24, v0.t (vs2 the mask)", 0, 0, 1, 24, 0, 8, 0) \
  X("vfadd.vv v8, v16, v0, v0.t (vs1 the mask)", 0, 0, 1, 0, 16, 8, 0) \
  X("vfadd.vv v8, v0, v24 (vs2 v0, unmasked)", 0, 0, 1, 24, 0, 8, 1) \
  X("vfadd.vf v8, v0, fa0, v0.t", 0, 0, 5, 10, 0, 8, 0) \
  X("vfmacc.vv v8, v0, v16, v0.t", 0, 44, 1, 0, 16, 8, 0) \
  X("vfsqrt.v v8, v0, v0.t", 0, 19, 1, 0, 0, 8, 0) \
  X("vfcvt.f.x.v v8, v0, v0.t", 0, 18, 1, 3, 0, 8, 0) \
  X("vfwcvt.f.f.v v8, v0, v0.t", 0, 18, 1, 12, 0, 8, 0) \
  X("vfncvt.f.f.w v8, v0, v0.t (m1: wide vs2 v0-v1)", 0, 18, 1, 20, 0, 8, 0) \
  X("vmflt.vv v8, v0, v24, v0.t", 0, 27, 1, 24, 0, 8, 0) \
  X("vmflt.vv v8, v16, v0, v0.t", 0, 27, 1, 0, 16, 8, 0) \
  X("vmfeq.vf v8, v0, fa0, v0.t", 0, 24, 5, 10, 0, 8, 0) \
  X("vfredosum.vs v8, v0, v24, v0.t", 0, 3, 1, 24, 0, 8, 0) \
  X("vfredosum.vs v8, v16, v0, v0.t", 0, 3, 1, 0, 16, 8, 0) \
  X("vfwredusum.vs v8, v0, v24, v0.t", 0, 49, 1, 24, 0, 8, 0) \
  X("vfwadd.vv v16, v0, v24, v0.t", 0, 48, 1, 24, 0, 16, 0) \
  X("vfwadd.wv v16, v0, v24, v0.t", 0, 52, 1, 24, 0, 16, 0) \
  X("vfmerge.vfm v8, v0, fa0, v0", 0, 23, 5, 10, 0, 8, 0) \
  X("vfslide1up.vf v8, v0, fa0, v0.t", 0, 14, 5, 10, 0, 8, 0) \
  X("vfslide1down.vf v8, v0, fa0, v0.t", 0, 15, 5, 10, 0, 8, 0) \
  X("vfwmacc.vv v16, v8, v17 (m1: vs2 the high half of vd)", 0, 60, 1, 8, 17, 16, 1) \
  X("vfwmacc.vv v16, v24, v8 (m1)", 0, 60, 1, 24, 8, 16, 1) \
  X("vfwmacc.vf v16, fa0, v17 (m1)", 0, 60, 5, 10, 17, 16, 1) \
  X("vfwmul.vv v16, v8, v17 (m1: vs1 the high half of vd)", 0, 56, 1, 17, 8, 16, 1) \
  X("vfwadd.wv v16, v8, v9 (m1: vs1 inside wide vs2)", 0, 52, 1, 9, 8, 16, 1) \
  X("vfwadd.wv v16, v16, v17 (m1: vs1 inside wide vs2 = vd)", 0, 52, 1, 17, 16, 16, 1) \
  X("vfwadd.wv v16, v18, v8 (m2: wide vs2 not aligned)", 1, 52, 1, 8, 18, 16, 1) \
  X("vfmacc.vv v8, v8, v16 (vs1 = vd)", 0, 44, 1, 8, 16, 8, 1) \
  X("vfwredosum.vs v8, v16, v17 (m2: vs1 inside vs2)", 1, 51, 1, 17, 16, 8, 1) \
  X("vfwadd.wv v16, v20, v8 (m2: wide vs2 with vs1 apart)", 1, 52, 1, 8, 20, 16, 1)

#define REG_STUB(text, vlmul, f6, f3, vs1, vs2, vd, vm) \
  ".word (" #f6 "<<26)|(" #vm "<<25)|(" #vs2 "<<20)|(" #vs1 "<<15)|(" #f3 "<<12)|(" #vd "<<7)|0x57\n" \
  "jalr x0, 0(x1)\n"
asm(".text\n.balign 8\n.option push\n.option norvc\nreg_stubs:\n" REGS(REG_STUB) ".option pop\n");
extern char reg_stubs[];
#define REG_ENTRY(text, vlmul, f6, f3, vs1, vs2, vd, vm) {text, vlmul},
static const struct {
  const char *text;
  int vlmul;
} reg_cases[] = {REGS(REG_ENTRY)};

static void register_cases(void) {
  for (int k = 0; k < (int)(sizeof reg_cases / sizeof reg_cases[0]); k++) {
    printf("%s", reg_cases[k].text);
    fflush(stdout);
    if (sigsetjmp(illegal_jmp, 1) != 0) {
      printf(": SIGILL\n");
      continue;
    }
    fill(K_WW, 32, 4, k);
    hash = 0xcbf29ce484222325ull;
    run(reg_stubs + 8 * k, (ul)(2 << 3 | reg_cases[k].vlmul | 0xc0), 2, 0, 0x3fc00000, 0);
    mix(results, sizeof results);
    mix(regs_out, sizeof regs_out);
    printf(": fflags %02lx hash %016llx\n", results[0], (unsigned long long)hash);
  }
}

/* Whether `op` has a SEW-16 form in V with Zvfhmin (conversions from and to halves, int16 <-> single). */
static int has_e16(const char *name) {
  return strncmp(name, "vfwcvt.f.", 9) == 0 || strcmp(name, "vfncvt.f.f.w") == 0 ||
         strncmp(name, "vfncvt.x", 8) == 0 || strncmp(name, "vfncvt.rtz.x", 12) == 0;
}

/* Whether `op` has a SEW-8 form with Zvfh (conversions between 8-bit integers and halves). */
static int has_e8(const char *name) {
  return strncmp(name, "vfwcvt.f.x", 10) == 0 || strncmp(name, "vfncvt.x", 8) == 0 || strncmp(name, "vfncvt.rtz.x", 12) == 0;
}

/* `vector_fp zvfh`: every instruction at SEW 16 (and the conversions at SEW 8), as the main run does at 32 and 64. */
static int zvfh(void) {
  for (int op = 0; op < NOPS; op++) {
    for (int sew = 8; sew <= 16; sew *= 2) {
      if (sew == 8 && !has_e8(ops[op].name)) continue;
      for (int frm = 0; frm < 5; frm++) line(op, sew, 0, frm, 0);
      if (!ops[op].fixed_vm) line(op, sew, 1, 0, 0);
    }
  }
  for (int op = 0; op < NOPS; op++) {
    if (strcmp(ops[op].name, "vfrec7.v") != 0 && strcmp(ops[op].name, "vfrsqrt7.v") != 0) continue;
    for (int frm = 0; frm < 5; frm++) sweep(op, 16, frm, 0), sweep(op, 16, frm, 1);
  }
  printf("-- one element at a time (the fflags of each value)\n");
  for (int op = 0; op < NOPS; op++) {
    line(op, 16, 0, 0, 6);
    if (has_e8(ops[op].name)) line(op, 8, 0, 0, 6);
  }
  printf("-- where QEMU 10 refuses an instruction or not\n");
  for (int op = 0; op < NOPS; op++) {
    line(op, 16, 0, 0, 1); /* vl = 0 */
    line(op, 16, 0, 0, 2); /* vstart = 2 */
    line(op, 16, 0, 0, 3); /* frm = 5 */
    line(op, 16, 0, 0, 4); /* LMUL 8 */
    if (!has_e8(ops[op].name)) line(op, 8, 0, 0, 0);
  }
  return 0;
}

int main(int argc, char **argv) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  if (argc > 2 && strcmp(argv[1], "dump") == 0) dump_name = argv[2];
  static const unsigned char m[16] = {0xa5, 0x3c, 0xf0, 0x0f, 0x96, 0x69, 0x81, 0x7e,
                                      0x55, 0xaa, 0x33, 0xcc, 0x01, 0x80, 0xff, 0x00};
  memcpy(regs_in, m, 16);
  for (int i = 16; i < 128; i++) regs_in[i] = (unsigned char)(i * 37 + 11);
  if (argc > 1 && strcmp(argv[1], "zvfh") == 0) return zvfh();
  for (int op = 0; op < NOPS; op++) {
    for (int sew = 16; sew <= 64; sew *= 2) {
      if (sew == 16 && !has_e16(ops[op].name)) continue;
      for (int frm = 0; frm < 5; frm++) line(op, sew, 0, frm, 0);
      if (!ops[op].fixed_vm) line(op, sew, 1, 0, 0);
    }
  }
  for (int op = 0; op < NOPS; op++) {
    if (strcmp(ops[op].name, "vfrec7.v") != 0 && strcmp(ops[op].name, "vfrsqrt7.v") != 0) continue;
    for (int sew = 32; sew <= 64; sew *= 2)
      for (int frm = 0; frm < 5; frm++) sweep(op, sew, frm, 0), sweep(op, sew, frm, 1);
  }
  printf("-- one element at a time (the fflags of each value)\n");
  for (int op = 0; op < NOPS; op++)
    for (int sew = 16; sew <= 64; sew *= 2)
      if (sew > 16 || has_e16(ops[op].name)) line(op, sew, 0, 0, 6);
  printf("-- where QEMU 10 refuses an instruction or not\n");
  for (int op = 0; op < NOPS; op++) {
    line(op, 32, 0, 0, 1); /* vl = 0 */
    line(op, 32, 0, 0, 2); /* vstart = 2 */
    line(op, 32, 0, 0, 3); /* frm = 5 */
    line(op, 32, 0, 0, 4); /* LMUL 8 */
    line(op, 32, 0, 0, 5); /* vill */
    line(op, 8, 0, 0, 0);
    if (!has_e16(ops[op].name)) line(op, 16, 0, 0, 0);
  }
  printf("-- register groups\n");
  register_cases();
  return 0;
}
