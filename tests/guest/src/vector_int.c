/*
 * The vector extension's integer arithmetic (V 1.0, VLEN = 128): every
 * instruction of the chapter "Vector Integer Arithmetic Instructions" but
 * the moves (vector.c has those): single-width, widening and narrowing,
 * extensions, carries, compares, multiply, divide, multiply-add and merge,
 * at SEW 8/16/32/64 and LMUL from 1/8 to 8 where the form is legal, unmasked
 * at VLMAX and masked with a tail. Each case loads known bytes into v0 (the
 * mask), v8–v15 (destination, also an addend), v16–v31 (sources) with
 * whole-register loads, runs one instruction under a vtype set with vsetvl,
 * and prints the destination register group in hex. A second pass runs the
 * multiply, divide, compare and min/max operations on edge values (0, -1,
 * the most negative, the largest) at each SEW; a third starts some at
 * vstart = 3.
 *
 * The Zvbb instructions (vandn, vbrev, vbrev8, vrev8, vclz, vctz, vcpop.v,
 * vrol, vror, vwsll) are among them: it runs with V and Zvbb.
 *
 * `vector_int sweep` runs every integer encoding with vd, vs2, vs1 and vm
 * over edge registers under vtypes of every shape behind the SIGILL handler,
 * one character per encoding (legal or SIGILL).
 *
 * `vector_int illegal` runs encodings reserved under their vtype (SEW 64 or
 * LMUL 8 for widening, misaligned or overlapping groups, vd = v0 for the
 * carry forms, extensions from below SEW 8, vill) behind a SIGILL handler.
 *
 * Built by build/build_guests.sh with clang-19 -march=rv64gcv_zvbb; expected
 * output from QEMU 10.0 `-cpu rv64,v=true,vlen=128,zvbb=true` (tests/vector_int_test.ts).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef unsigned long ul;

static unsigned char regs_in[512] __attribute__((aligned(16)));
static unsigned char regs_out[512] __attribute__((aligned(16)));
static ul out_vl;

#define VT(sew, lmul, ta, ma) ((ul)((ma) << 7 | (ta) << 6 | (sew) << 3 | (lmul)))
enum { E8, E16, E32, E64 };
enum { M1, M2, M4, M8, MRES, MF8, MF4, MF2 };

/* The shapes of the operations: which vtypes they are legal under and how many registers they write. */
enum kind { S, M, W, WW, N, E2, E4, E8X };

/* Bytes of pseudo-random data, and an irregular mask in v0. */
static void fill(void) {
  for (int i = 0; i < 512; i++) regs_in[i] = (unsigned char)(i * 37 + 11);
  static const unsigned char m[16] = {0xa5, 0x3c, 0xf0, 0x0f, 0x96, 0x69, 0x81, 0x7e,
                                      0x55, 0xaa, 0x33, 0xcc, 0x01, 0x80, 0xff, 0x00};
  memcpy(regs_in, m, 16);
}

/* Edge values at SEW `bytes` in v16–v23 (vs2) and v24–v31 (vs1): 0, ±1, the most negative and the largest. */
static void fill_edges(int bytes) {
  fill();
  static const long a[8] = {0, 1, -1, (long)0x8000000000000000ul, 0x7fffffffffffffffl, -7, 100, -1};
  static const long b[8] = {0, -1, 0, -1, -1, 3, -7, 1};
  for (int i = 0; i < 128 / bytes; i++) {
    int bits = bytes * 8;
    long x = a[(i + i / 8) % 8], y = b[i % 8];
    /* the most negative and the largest at this SEW */
    if (x == (long)0x8000000000000000ul && bits < 64) x = -(1l << (bits - 1));
    if (x == 0x7fffffffffffffffl && bits < 64) x = (1l << (bits - 1)) - 1;
    memcpy(regs_in + 256 + i * bytes, &x, bytes);
    memcpy(regs_in + 384 + i * bytes, &y, bytes);
  }
}

static void hex(const char *what, const unsigned char *p, int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf("%s%02x", i % 16 == 0 ? " " : "", p[i]);
  printf("\n");
}

/* Loads v0..v31 from regs_in, sets vtype/vl (and vstart), runs INSN, stores v0..v31 to regs_out. */
#define CASE(name, insn)                                                                          \
  static void name(ul vtype, ul avl, long x, ul vstart) {                                         \
    register long a1 asm("a1") = x;                                                               \
    asm volatile("vl8re8.v v0, (%[in])\n"                                                         \
                 "addi t1, %[in], 128\n vl8re8.v v8, (t1)\n"                                      \
                 "addi t1, %[in], 256\n vl8re8.v v16, (t1)\n"                                     \
                 "addi t1, %[in], 384\n vl8re8.v v24, (t1)\n"                                     \
                 "vsetvl t0, %[avl], %[vt]\n csrw vstart, %[vs]\n" insn "\n"                      \
                 "csrr t0, vl\n sd t0, (%[vlp])\n"                                                \
                 "vs8r.v v0, (%[out])\n"                                                          \
                 "addi t1, %[out], 128\n vs8r.v v8, (t1)\n"                                       \
                 "addi t1, %[out], 256\n vs8r.v v16, (t1)\n"                                      \
                 "addi t1, %[out], 384\n vs8r.v v24, (t1)\n"                                      \
                 :                                                                               \
                 : [in] "r"(regs_in), [out] "r"(regs_out), [avl] "r"(avl), [vt] "r"(vtype),       \
                   [vlp] "r"(&out_vl), [vs] "r"(vstart), "r"(a1)                                  \
                 : "t0", "t1", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", \
                   "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", \
                   "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");        \
  }

/* name, instruction unmasked, masked (the carry and merge forms always read v0: the same), kind */
#define OPS(X) \
  X(vrsub_vx, "vrsub.vx v8, v16, a1", "vrsub.vx v8, v16, a1, v0.t", S) \
  X(vrsub_vi, "vrsub.vi v8, v16, -7", "vrsub.vi v8, v16, -7, v0.t", S) \
  X(vminu_vv, "vminu.vv v8, v16, v24", "vminu.vv v8, v16, v24, v0.t", S) \
  X(vminu_vx, "vminu.vx v8, v16, a1", "vminu.vx v8, v16, a1, v0.t", S) \
  X(vmin_vv, "vmin.vv v8, v16, v24", "vmin.vv v8, v16, v24, v0.t", S) \
  X(vmin_vx, "vmin.vx v8, v16, a1", "vmin.vx v8, v16, a1, v0.t", S) \
  X(vmaxu_vv, "vmaxu.vv v8, v16, v24", "vmaxu.vv v8, v16, v24, v0.t", S) \
  X(vmaxu_vx, "vmaxu.vx v8, v16, a1", "vmaxu.vx v8, v16, a1, v0.t", S) \
  X(vmax_vv, "vmax.vv v8, v16, v24", "vmax.vv v8, v16, v24, v0.t", S) \
  X(vmax_vx, "vmax.vx v8, v16, a1", "vmax.vx v8, v16, a1, v0.t", S) \
  X(vsll_vv, "vsll.vv v8, v16, v24", "vsll.vv v8, v16, v24, v0.t", S) \
  X(vsll_vx, "vsll.vx v8, v16, a1", "vsll.vx v8, v16, a1, v0.t", S) \
  X(vsll_vi, "vsll.vi v8, v16, 13", "vsll.vi v8, v16, 13, v0.t", S) \
  X(vsrl_vv, "vsrl.vv v8, v16, v24", "vsrl.vv v8, v16, v24, v0.t", S) \
  X(vsrl_vx, "vsrl.vx v8, v16, a1", "vsrl.vx v8, v16, a1, v0.t", S) \
  X(vsrl_vi, "vsrl.vi v8, v16, 31", "vsrl.vi v8, v16, 31, v0.t", S) \
  X(vsra_vv, "vsra.vv v8, v16, v24", "vsra.vv v8, v16, v24, v0.t", S) \
  X(vsra_vx, "vsra.vx v8, v16, a1", "vsra.vx v8, v16, a1, v0.t", S) \
  X(vsra_vi, "vsra.vi v8, v16, 9", "vsra.vi v8, v16, 9, v0.t", S) \
  X(vmul_vv, "vmul.vv v8, v16, v24", "vmul.vv v8, v16, v24, v0.t", S) \
  X(vmul_vx, "vmul.vx v8, v16, a1", "vmul.vx v8, v16, a1, v0.t", S) \
  X(vmulh_vv, "vmulh.vv v8, v16, v24", "vmulh.vv v8, v16, v24, v0.t", S) \
  X(vmulh_vx, "vmulh.vx v8, v16, a1", "vmulh.vx v8, v16, a1, v0.t", S) \
  X(vmulhu_vv, "vmulhu.vv v8, v16, v24", "vmulhu.vv v8, v16, v24, v0.t", S) \
  X(vmulhu_vx, "vmulhu.vx v8, v16, a1", "vmulhu.vx v8, v16, a1, v0.t", S) \
  X(vmulhsu_vv, "vmulhsu.vv v8, v16, v24", "vmulhsu.vv v8, v16, v24, v0.t", S) \
  X(vmulhsu_vx, "vmulhsu.vx v8, v16, a1", "vmulhsu.vx v8, v16, a1, v0.t", S) \
  X(vdivu_vv, "vdivu.vv v8, v16, v24", "vdivu.vv v8, v16, v24, v0.t", S) \
  X(vdivu_vx, "vdivu.vx v8, v16, a1", "vdivu.vx v8, v16, a1, v0.t", S) \
  X(vdiv_vv, "vdiv.vv v8, v16, v24", "vdiv.vv v8, v16, v24, v0.t", S) \
  X(vdiv_vx, "vdiv.vx v8, v16, a1", "vdiv.vx v8, v16, a1, v0.t", S) \
  X(vremu_vv, "vremu.vv v8, v16, v24", "vremu.vv v8, v16, v24, v0.t", S) \
  X(vremu_vx, "vremu.vx v8, v16, a1", "vremu.vx v8, v16, a1, v0.t", S) \
  X(vrem_vv, "vrem.vv v8, v16, v24", "vrem.vv v8, v16, v24, v0.t", S) \
  X(vrem_vx, "vrem.vx v8, v16, a1", "vrem.vx v8, v16, a1, v0.t", S) \
  X(vmseq_vv, "vmseq.vv v8, v16, v24", "vmseq.vv v8, v16, v24, v0.t", M) \
  X(vmseq_vx, "vmseq.vx v8, v16, a1", "vmseq.vx v8, v16, a1, v0.t", M) \
  X(vmseq_vi, "vmseq.vi v8, v16, -5", "vmseq.vi v8, v16, -5, v0.t", M) \
  X(vmsne_vv, "vmsne.vv v8, v16, v24", "vmsne.vv v8, v16, v24, v0.t", M) \
  X(vmsne_vx, "vmsne.vx v8, v16, a1", "vmsne.vx v8, v16, a1, v0.t", M) \
  X(vmsne_vi, "vmsne.vi v8, v16, 7", "vmsne.vi v8, v16, 7, v0.t", M) \
  X(vmsltu_vv, "vmsltu.vv v8, v16, v24", "vmsltu.vv v8, v16, v24, v0.t", M) \
  X(vmsltu_vx, "vmsltu.vx v8, v16, a1", "vmsltu.vx v8, v16, a1, v0.t", M) \
  X(vmslt_vv, "vmslt.vv v8, v16, v24", "vmslt.vv v8, v16, v24, v0.t", M) \
  X(vmslt_vx, "vmslt.vx v8, v16, a1", "vmslt.vx v8, v16, a1, v0.t", M) \
  X(vmsleu_vv, "vmsleu.vv v8, v16, v24", "vmsleu.vv v8, v16, v24, v0.t", M) \
  X(vmsleu_vx, "vmsleu.vx v8, v16, a1", "vmsleu.vx v8, v16, a1, v0.t", M) \
  X(vmsleu_vi, "vmsleu.vi v8, v16, -3", "vmsleu.vi v8, v16, -3, v0.t", M) \
  X(vmsle_vv, "vmsle.vv v8, v16, v24", "vmsle.vv v8, v16, v24, v0.t", M) \
  X(vmsle_vx, "vmsle.vx v8, v16, a1", "vmsle.vx v8, v16, a1, v0.t", M) \
  X(vmsle_vi, "vmsle.vi v8, v16, -16", "vmsle.vi v8, v16, -16, v0.t", M) \
  X(vmsgtu_vx, "vmsgtu.vx v8, v16, a1", "vmsgtu.vx v8, v16, a1, v0.t", M) \
  X(vmsgtu_vi, "vmsgtu.vi v8, v16, -2", "vmsgtu.vi v8, v16, -2, v0.t", M) \
  X(vmsgt_vx, "vmsgt.vx v8, v16, a1", "vmsgt.vx v8, v16, a1, v0.t", M) \
  X(vmsgt_vi, "vmsgt.vi v8, v16, 15", "vmsgt.vi v8, v16, 15, v0.t", M) \
  X(vwaddu_vv, "vwaddu.vv v8, v16, v24", "vwaddu.vv v8, v16, v24, v0.t", W) \
  X(vwaddu_vx, "vwaddu.vx v8, v16, a1", "vwaddu.vx v8, v16, a1, v0.t", W) \
  X(vwaddu_wv, "vwaddu.wv v8, v16, v24", "vwaddu.wv v8, v16, v24, v0.t", WW) \
  X(vwaddu_wx, "vwaddu.wx v8, v16, a1", "vwaddu.wx v8, v16, a1, v0.t", WW) \
  X(vwadd_vv, "vwadd.vv v8, v16, v24", "vwadd.vv v8, v16, v24, v0.t", W) \
  X(vwadd_vx, "vwadd.vx v8, v16, a1", "vwadd.vx v8, v16, a1, v0.t", W) \
  X(vwadd_wv, "vwadd.wv v8, v16, v24", "vwadd.wv v8, v16, v24, v0.t", WW) \
  X(vwadd_wx, "vwadd.wx v8, v16, a1", "vwadd.wx v8, v16, a1, v0.t", WW) \
  X(vwsubu_vv, "vwsubu.vv v8, v16, v24", "vwsubu.vv v8, v16, v24, v0.t", W) \
  X(vwsubu_vx, "vwsubu.vx v8, v16, a1", "vwsubu.vx v8, v16, a1, v0.t", W) \
  X(vwsubu_wv, "vwsubu.wv v8, v16, v24", "vwsubu.wv v8, v16, v24, v0.t", WW) \
  X(vwsubu_wx, "vwsubu.wx v8, v16, a1", "vwsubu.wx v8, v16, a1, v0.t", WW) \
  X(vwsub_vv, "vwsub.vv v8, v16, v24", "vwsub.vv v8, v16, v24, v0.t", W) \
  X(vwsub_vx, "vwsub.vx v8, v16, a1", "vwsub.vx v8, v16, a1, v0.t", W) \
  X(vwsub_wv, "vwsub.wv v8, v16, v24", "vwsub.wv v8, v16, v24, v0.t", WW) \
  X(vwsub_wx, "vwsub.wx v8, v16, a1", "vwsub.wx v8, v16, a1, v0.t", WW) \
  X(vwmul_vv, "vwmul.vv v8, v16, v24", "vwmul.vv v8, v16, v24, v0.t", W) \
  X(vwmul_vx, "vwmul.vx v8, v16, a1", "vwmul.vx v8, v16, a1, v0.t", W) \
  X(vwmulu_vv, "vwmulu.vv v8, v16, v24", "vwmulu.vv v8, v16, v24, v0.t", W) \
  X(vwmulu_vx, "vwmulu.vx v8, v16, a1", "vwmulu.vx v8, v16, a1, v0.t", W) \
  X(vwmulsu_vv, "vwmulsu.vv v8, v16, v24", "vwmulsu.vv v8, v16, v24, v0.t", W) \
  X(vwmulsu_vx, "vwmulsu.vx v8, v16, a1", "vwmulsu.vx v8, v16, a1, v0.t", W) \
  X(vzext_vf2, "vzext.vf2 v8, v16", "vzext.vf2 v8, v16, v0.t", E2) \
  X(vzext_vf4, "vzext.vf4 v8, v16", "vzext.vf4 v8, v16, v0.t", E4) \
  X(vzext_vf8, "vzext.vf8 v8, v16", "vzext.vf8 v8, v16, v0.t", E8X) \
  X(vsext_vf2, "vsext.vf2 v8, v16", "vsext.vf2 v8, v16, v0.t", E2) \
  X(vsext_vf4, "vsext.vf4 v8, v16", "vsext.vf4 v8, v16, v0.t", E4) \
  X(vsext_vf8, "vsext.vf8 v8, v16", "vsext.vf8 v8, v16, v0.t", E8X) \
  X(vnsrl_wv, "vnsrl.wv v8, v16, v24", "vnsrl.wv v8, v16, v24, v0.t", N) \
  X(vnsrl_wx, "vnsrl.wx v8, v16, a1", "vnsrl.wx v8, v16, a1, v0.t", N) \
  X(vnsrl_wi, "vnsrl.wi v8, v16, 21", "vnsrl.wi v8, v16, 21, v0.t", N) \
  X(vnsra_wv, "vnsra.wv v8, v16, v24", "vnsra.wv v8, v16, v24, v0.t", N) \
  X(vnsra_wx, "vnsra.wx v8, v16, a1", "vnsra.wx v8, v16, a1, v0.t", N) \
  X(vnsra_wi, "vnsra.wi v8, v16, 21", "vnsra.wi v8, v16, 21, v0.t", N) \
  X(vmacc_vv, "vmacc.vv v8, v24, v16", "vmacc.vv v8, v24, v16, v0.t", S) \
  X(vmacc_vx, "vmacc.vx v8, a1, v16", "vmacc.vx v8, a1, v16, v0.t", S) \
  X(vnmsac_vv, "vnmsac.vv v8, v24, v16", "vnmsac.vv v8, v24, v16, v0.t", S) \
  X(vnmsac_vx, "vnmsac.vx v8, a1, v16", "vnmsac.vx v8, a1, v16, v0.t", S) \
  X(vmadd_vv, "vmadd.vv v8, v24, v16", "vmadd.vv v8, v24, v16, v0.t", S) \
  X(vmadd_vx, "vmadd.vx v8, a1, v16", "vmadd.vx v8, a1, v16, v0.t", S) \
  X(vnmsub_vv, "vnmsub.vv v8, v24, v16", "vnmsub.vv v8, v24, v16, v0.t", S) \
  X(vnmsub_vx, "vnmsub.vx v8, a1, v16", "vnmsub.vx v8, a1, v16, v0.t", S) \
  X(vwmaccu_vv, "vwmaccu.vv v8, v24, v16", "vwmaccu.vv v8, v24, v16, v0.t", W) \
  X(vwmaccu_vx, "vwmaccu.vx v8, a1, v16", "vwmaccu.vx v8, a1, v16, v0.t", W) \
  X(vwmacc_vv, "vwmacc.vv v8, v24, v16", "vwmacc.vv v8, v24, v16, v0.t", W) \
  X(vwmacc_vx, "vwmacc.vx v8, a1, v16", "vwmacc.vx v8, a1, v16, v0.t", W) \
  X(vwmaccsu_vv, "vwmaccsu.vv v8, v24, v16", "vwmaccsu.vv v8, v24, v16, v0.t", W) \
  X(vwmaccsu_vx, "vwmaccsu.vx v8, a1, v16", "vwmaccsu.vx v8, a1, v16, v0.t", W) \
  X(vwmaccus_vx, "vwmaccus.vx v8, a1, v16", "vwmaccus.vx v8, a1, v16, v0.t", W) \
  X(vadc_vvm, "vadc.vvm v8, v16, v24, v0", "vadc.vvm v8, v16, v24, v0", S) \
  X(vadc_vxm, "vadc.vxm v8, v16, a1, v0", "vadc.vxm v8, v16, a1, v0", S) \
  X(vadc_vim, "vadc.vim v8, v16, -9, v0", "vadc.vim v8, v16, -9, v0", S) \
  X(vsbc_vvm, "vsbc.vvm v8, v16, v24, v0", "vsbc.vvm v8, v16, v24, v0", S) \
  X(vsbc_vxm, "vsbc.vxm v8, v16, a1, v0", "vsbc.vxm v8, v16, a1, v0", S) \
  X(vmadc_vvm, "vmadc.vvm v8, v16, v24, v0", "vmadc.vvm v8, v16, v24, v0", M) \
  X(vmadc_vxm, "vmadc.vxm v8, v16, a1, v0", "vmadc.vxm v8, v16, a1, v0", M) \
  X(vmadc_vim, "vmadc.vim v8, v16, 11, v0", "vmadc.vim v8, v16, 11, v0", M) \
  X(vmadc_vv, "vmadc.vv v8, v16, v24", "vmadc.vv v8, v16, v24", M) \
  X(vmadc_vx, "vmadc.vx v8, v16, a1", "vmadc.vx v8, v16, a1", M) \
  X(vmadc_vi, "vmadc.vi v8, v16, -1", "vmadc.vi v8, v16, -1", M) \
  X(vmsbc_vvm, "vmsbc.vvm v8, v16, v24, v0", "vmsbc.vvm v8, v16, v24, v0", M) \
  X(vmsbc_vxm, "vmsbc.vxm v8, v16, a1, v0", "vmsbc.vxm v8, v16, a1, v0", M) \
  X(vmsbc_vv, "vmsbc.vv v8, v16, v24", "vmsbc.vv v8, v16, v24", M) \
  X(vmsbc_vx, "vmsbc.vx v8, v16, a1", "vmsbc.vx v8, v16, a1", M) \
  X(vmerge_vvm, "vmerge.vvm v8, v16, v24, v0", "vmerge.vvm v8, v16, v24, v0", S) \
  X(vmerge_vxm, "vmerge.vxm v8, v16, a1, v0", "vmerge.vxm v8, v16, a1, v0", S) \
  X(vmerge_vim, "vmerge.vim v8, v16, -11, v0", "vmerge.vim v8, v16, -11, v0", S) \
  X(vandn_vv, "vandn.vv v8, v16, v24", "vandn.vv v8, v16, v24, v0.t", S) \
  X(vandn_vx, "vandn.vx v8, v16, a1", "vandn.vx v8, v16, a1, v0.t", S) \
  X(vbrev_v, "vbrev.v v8, v16", "vbrev.v v8, v16, v0.t", S) \
  X(vbrev8_v, "vbrev8.v v8, v16", "vbrev8.v v8, v16, v0.t", S) \
  X(vrev8_v, "vrev8.v v8, v16", "vrev8.v v8, v16, v0.t", S) \
  X(vclz_v, "vclz.v v8, v16", "vclz.v v8, v16, v0.t", S) \
  X(vctz_v, "vctz.v v8, v16", "vctz.v v8, v16, v0.t", S) \
  X(vcpop_v, "vcpop.v v8, v16", "vcpop.v v8, v16, v0.t", S) \
  X(vrol_vv, "vrol.vv v8, v16, v24", "vrol.vv v8, v16, v24, v0.t", S) \
  X(vrol_vx, "vrol.vx v8, v16, a1", "vrol.vx v8, v16, a1, v0.t", S) \
  X(vror_vv, "vror.vv v8, v16, v24", "vror.vv v8, v16, v24, v0.t", S) \
  X(vror_vx, "vror.vx v8, v16, a1", "vror.vx v8, v16, a1, v0.t", S) \
  X(vror_vi, "vror.vi v8, v16, 45", "vror.vi v8, v16, 45, v0.t", S) \
  X(vror_vi5, "vror.vi v8, v16, 5", "vror.vi v8, v16, 5, v0.t", S) \
  X(vwsll_vv, "vwsll.vv v8, v16, v24", "vwsll.vv v8, v16, v24, v0.t", W) \
  X(vwsll_vx, "vwsll.vx v8, v16, a1", "vwsll.vx v8, v16, a1, v0.t", W) \
  X(vwsll_vi, "vwsll.vi v8, v16, 27", "vwsll.vi v8, v16, 27, v0.t", W) \

#define DEFINE(name, insn, masked, kind) CASE(name, insn) CASE(name##_m, masked)
OPS(DEFINE)

/* A few with the destination over a source, as the overlap rules allow. */
CASE(vmseq_same, "vmseq.vv v16, v16, v24")
CASE(vmsltu_same1, "vmsltu.vx v24, v24, a1, v0.t")
CASE(vmadc_same, "vmadc.vvm v16, v16, v24, v0")
CASE(vnsrl_low, "vnsrl.wi v16, v16, 3")
CASE(vwadd_wv_same, "vwadd.wv v16, v16, v24")
CASE(vwaddu_high, "vwaddu.vv v16, v17, v24")
CASE(vmacc_same, "vmacc.vv v8, v8, v8")

typedef void (*case_fn)(ul, ul, long, ul);

static const struct op {
  const char *name;
  case_fn f, fm;
  enum kind kind;
} OPS_TABLE[] = {
#define ROW(name, insn, masked, kind) {#name, name, name##_m, kind},
    OPS(ROW)
};

/* The vtypes every operation runs under where it is legal. */
static const ul CONFIGS[] = {
    VT(E8, M1, 1, 1),  VT(E16, M2, 0, 0), VT(E32, MF2, 1, 0), VT(E64, M1, 0, 1), VT(E32, M4, 1, 1),
    VT(E16, MF4, 0, 0), VT(E64, M8, 1, 1), VT(E8, M4, 0, 0),   VT(E8, MF8, 1, 1),  VT(E16, M1, 0, 0),
};

/* Scalars for the .vx forms, one per run. */
static const long SCALARS[] = {(long)0x8123456789abcdeful, 3, -1, 0, 0x80, 0x7fffffffffffffffl, -128, 0x10000, 63, -2};

static int lmul_log2(ul vt) {
  int l = (int)(vt & 7);
  return l >= 4 ? l - 8 : l;
}

/* The registers the destination group spans, or 0 if the operation is reserved under vt. */
static int dest_regs(enum kind k, ul vt) {
  int sew = 1 << ((vt >> 3) & 7), l = lmul_log2(vt);
  switch (k) {
  case S:
  case N:
    if (k == N && (sew == 8 || l > 2)) return 0;
    return l > 0 ? 1 << l : 1;
  case M:
    return 1;
  case W:
  case WW:
    if (sew == 8 || l > 2) return 0;
    return l + 1 > 0 ? 1 << (l + 1) : 1;
  default: {
    int f = k == E2 ? 2 : k == E4 ? 4 : 8, lf = k == E2 ? 1 : k == E4 ? 2 : 3;
    if (sew / f < 1 || l - lf < -3) return 0;
    return l > 0 ? 1 << l : 1;
  }
  }
}

static void show(const char *name, const char *how, ul vt, ul avl, int regs) {
  printf("%s%s vtype=%#lx avl=%lu vl=%lu\n", name, how, vt, avl, out_vl);
  hex(" vd", regs_out + 128, 16 * regs);
}

static void arith_cases(void) {
  int run = 0;
  for (unsigned k = 0; k < sizeof OPS_TABLE / sizeof OPS_TABLE[0]; k++) {
    const struct op *op = &OPS_TABLE[k];
    for (unsigned c = 0; c < sizeof CONFIGS / sizeof CONFIGS[0]; c++) {
      int regs = dest_regs(op->kind, CONFIGS[c]);
      if (regs == 0) continue;
      long x = SCALARS[run++ % (sizeof SCALARS / sizeof SCALARS[0])];
      fill();
      op->f(CONFIGS[c], 1000, x, 0);
      show(op->name, "", CONFIGS[c], 1000, regs);
      fill();
      op->fm(CONFIGS[c], 13, x, 0);
      show(op->name, " masked", CONFIGS[c], 13, regs);
    }
  }
}

/* The operations whose edge values matter, on edge values at each SEW. */
static void edge_cases(void) {
  static const char *const names[] = {"vmul_vv", "vmulh_vv", "vmulhu_vv", "vmulhsu_vv", "vdivu_vv", "vdiv_vv",
                                      "vremu_vv", "vrem_vv", "vdiv_vx", "vrem_vx", "vdivu_vx", "vmin_vv", "vmaxu_vv",
                                      "vmslt_vv", "vmsle_vi", "vmsleu_vi", "vmsgtu_vi", "vmsltu_vx",
                                      "vmsgt_vx", "vwmulsu_vv", "vwmul_vx", "vsra_vv", "vnsra_wv", "vsext_vf2",
                                      "vmadc_vvm", "vmsbc_vv", "vmsbc_vxm", "vadc_vvm", "vsbc_vxm", "vwmaccsu_vv",
                                      "vwmaccus_vx", "vnmsub_vx", "vwsub_wx", "vclz_v", "vctz_v", "vcpop_v",
                                      "vrol_vx", "vror_vx"};
  static const long xs[] = {-1, 0, (long)0x8000000000000000ul};
  for (unsigned n = 0; n < sizeof names / sizeof names[0]; n++) {
    const struct op *op = 0;
    for (unsigned k = 0; k < sizeof OPS_TABLE / sizeof OPS_TABLE[0]; k++)
      if (strcmp(OPS_TABLE[k].name, names[n]) == 0) op = &OPS_TABLE[k];
    for (int sew = 0; sew < 4; sew++) {
      ul vt = VT(sew, M1, 0, 0);
      int regs = dest_regs(op->kind, vt);
      if (regs == 0) continue;
      for (unsigned j = 0; j < sizeof xs / sizeof xs[0]; j++) {
        fill_edges(1 << sew);
        op->f(vt, 1000, xs[j], 0);
        printf("edge x=%ld ", xs[j]);
        show(op->name, "", vt, 1000, regs);
      }
    }
  }
}

/* Some operations of each shape starting at element 3, with VL 10 and 2 (below vstart). */
static void vstart_cases(void) {
  static const char *const names[] = {"vrsub_vx", "vwaddu_vv", "vwsub_wx", "vnsrl_wi", "vzext_vf2", "vsext_vf4",
                                      "vmseq_vv", "vmsgt_vi", "vmadc_vvm", "vmsbc_vx", "vadc_vim", "vmerge_vvm",
                                      "vmacc_vx", "vwmaccu_vv", "vdiv_vv", "vmulhsu_vx"};
  static const ul vtypes[] = {VT(E16, M2, 0, 0), VT(E32, M1, 1, 1)};
  for (unsigned n = 0; n < sizeof names / sizeof names[0]; n++) {
    const struct op *op = 0;
    for (unsigned k = 0; k < sizeof OPS_TABLE / sizeof OPS_TABLE[0]; k++)
      if (strcmp(OPS_TABLE[k].name, names[n]) == 0) op = &OPS_TABLE[k];
    for (unsigned t = 0; t < 2; t++) {
      for (int a = 0; a < 2; a++) {
        ul avl = a == 0 ? 10 : 2;
        int regs = dest_regs(op->kind, vtypes[t]);
        if (regs == 0) continue;
        fill();
        op->f(vtypes[t], avl, -3, 3);
        printf("vstart 3 ");
        show(op->name, "", vtypes[t], avl, regs);
        fill();
        op->fm(vtypes[t], avl, -3, 3);
        printf("vstart 3 ");
        show(op->name, " masked", vtypes[t], avl, regs);
      }
    }
  }
}

static void overlap_cases(void) {
  static const struct {
    const char *name;
    case_fn f;
  } cases[] = {{"vmseq.vv v16, v16, v24", vmseq_same},   {"vmsltu.vx v24, v24, a1, v0.t", vmsltu_same1},
               {"vmadc.vvm v16, v16, v24, v0", vmadc_same}, {"vnsrl.wi v16, v16, 3", vnsrl_low},
               {"vwadd.wv v16, v16, v24", vwadd_wv_same}, {"vwaddu.vv v16, v17, v24", vwaddu_high},
               {"vmacc.vv v8, v8, v8", vmacc_same}};
  static const ul vtypes[] = {VT(E8, M1, 0, 0), VT(E16, M1, 0, 0), VT(E32, MF2, 0, 0)};
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    for (unsigned t = 0; t < 3; t++) {
      fill();
      cases[k].f(vtypes[t], 1000, 0x5a5a5a5a5a5a5a5al, 0);
      printf("%s vtype=%#lx vl=%lu\n", cases[k].name, vtypes[t], out_vl);
      hex(" v8-v9", regs_out + 128, 32);
      hex(" v16-v17", regs_out + 256, 32);
      hex(" v24", regs_out + 384, 16);
    }
  }
}

/* Encodings that are illegal (SIGILL) or not under a vtype, each run behind a SIGILL handler. */
static sigjmp_buf illegal_jmp;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(illegal_jmp, 1);
}

#define ILLEGAL_CASE(setup, insn)                                                                     \
  if (sigsetjmp(illegal_jmp, 1) == 0) {                                                              \
    asm volatile(setup "\n" insn : : "r"(1ul << 63) : "t0", "a1", "v0", "v1", "v2", "v3", "v4", "v5", \
                 "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17");     \
    printf("%s / %s: ok\n", setup, insn);                                                            \
  } else {                                                                                           \
    printf("%s / %s: SIGILL\n", setup, insn);                                                        \
  }

#define E8M1 "vsetivli zero, 4, e8, m1, ta, ma"
#define E8M2 "vsetivli zero, 4, e8, m2, ta, ma"
#define E16M1 "vsetivli zero, 4, e16, m1, ta, ma"
#define E16M2 "vsetivli zero, 4, e16, m2, ta, ma"
#define E16M4 "vsetivli zero, 4, e16, m4, ta, ma"
#define E16M8 "vsetivli zero, 4, e16, m8, ta, ma"
#define E32MF2 "vsetivli zero, 4, e32, mf2, ta, ma"
#define E32M1 "vsetivli zero, 4, e32, m1, ta, ma"
#define E64M1 "vsetivli zero, 4, e64, m1, ta, ma"
#define E64M2 "vsetivli zero, 4, e64, m2, ta, ma"
#define E8MF2 "vsetivli zero, 4, e8, mf2, ta, ma"
#define E8MF8 "vsetivli zero, 1, e8, mf8, ta, ma"
#define E16MF4 "vsetivli zero, 1, e16, mf4, ta, ma"
#define VILL "vsetvl zero, zero, %0"

static void illegal_cases(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  /* single-width: alignment to LMUL, masked vd = v0 */
  ILLEGAL_CASE(E8M2, "vrsub.vx v9, v2, a1")
  ILLEGAL_CASE(E8M2, "vminu.vv v8, v3, v2")
  ILLEGAL_CASE(E8M2, "vmul.vv v8, v2, v5")
  ILLEGAL_CASE(E16M4, "vsll.vi v8, v2, 3")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x94003057 # vsll.vi v0, v0, 0, v0.t")
  ILLEGAL_CASE(E8M1, ".insn 4, 0xb4416057 # vmacc.vx v0, sp, v4, v0.t")
  ILLEGAL_CASE(E8M1, "vdiv.vv v8, v9, v10")
  ILLEGAL_CASE(VILL, "vdivu.vx v8, v9, a1")
  ILLEGAL_CASE(VILL, "vmseq.vv v8, v9, v10")
  ILLEGAL_CASE(VILL, "vwadd.vv v8, v10, v11")
  ILLEGAL_CASE(VILL, "vzext.vf2 v8, v9")
  ILLEGAL_CASE(VILL, "vadc.vvm v8, v9, v10, v0")
  ILLEGAL_CASE(VILL, "vmerge.vim v8, v9, 1, v0")
  /* widening: SEW 64, LMUL 8, vd aligned to 2 LMUL, sources to LMUL, overlaps */
  ILLEGAL_CASE(E64M1, "vwaddu.vv v8, v10, v11")
  ILLEGAL_CASE(E64M1, "vwmul.vx v8, v10, a1")
  ILLEGAL_CASE(E16M8, "vwadd.vv v0, v8, v16")
  ILLEGAL_CASE(E16M4, "vwadd.vv v0, v8, v12")
  ILLEGAL_CASE(E16M4, "vwadd.vv v8, v0, v4")
  ILLEGAL_CASE(E16M1, "vwadd.vv v9, v10, v11")
  ILLEGAL_CASE(E16M2, "vwadd.vv v8, v10, v13")
  ILLEGAL_CASE(E16M1, ".insn 4, 0xc6852457 # vwadd.vv v8, v8, v10")
  ILLEGAL_CASE(E16M1, "vwadd.vv v8, v9, v10")
  ILLEGAL_CASE(E16M1, "vwadd.vv v8, v10, v9")
  ILLEGAL_CASE(E16M2, "vwadd.vv v8, v10, v12")
  ILLEGAL_CASE(E16M2, "vwadd.vv v8, v12, v14")
  ILLEGAL_CASE(E16M2, "vwadd.vv v8, v14, v12")
  ILLEGAL_CASE(E8MF2, ".insn 4, 0xc6852457 # vwadd.vv v8, v8, v10")
  ILLEGAL_CASE(E8MF2, "vwadd.vv v8, v9, v10")
  ILLEGAL_CASE(E8MF2, "vwadd.vx v9, v8, a1")
  ILLEGAL_CASE(E8MF8, ".insn 4, 0xc695e4d7 # vwadd.vx v9, v9, a1")
  ILLEGAL_CASE(E16M1, "vwadd.vx v8, v9, a1")
  ILLEGAL_CASE(E16M1, ".insn 4, 0xc4806057 # vwadd.vx v0, v8, zero, v0.t")
  ILLEGAL_CASE(E16M1, "vwadd.wv v8, v8, v10")
  ILLEGAL_CASE(E16M1, "vwadd.wv v8, v9, v10")
  ILLEGAL_CASE(E16M1, "vwadd.wv v8, v10, v9")
  ILLEGAL_CASE(E16M1, ".insn 4, 0xd6a42457 # vwadd.wv v8, v10, v8")
  ILLEGAL_CASE(E16M2, "vwadd.wv v8, v14, v12")
  ILLEGAL_CASE(E16M2, "vwadd.wv v8, v12, v14")
  ILLEGAL_CASE(E16M1, "vwadd.wx v8, v9, a1")
  ILLEGAL_CASE(E16M1, "vwadd.wx v8, v8, a1")
  ILLEGAL_CASE(E16M1, "vwadd.wx v8, v10, a1")
  ILLEGAL_CASE(E64M1, "vwadd.wx v8, v10, a1")
  ILLEGAL_CASE(E16M1, "vwmaccu.vv v8, v9, v10")
  ILLEGAL_CASE(E16M1, "vwmaccus.vx v8, a1, v9")
  ILLEGAL_CASE(E16M1, "vwmaccsu.vx v8, a1, v10")
  ILLEGAL_CASE(E64M1, "vwmaccsu.vx v8, a1, v10")
  /* narrowing */
  ILLEGAL_CASE(E64M1, "vnsrl.wi v8, v10, 1")
  ILLEGAL_CASE(E16M8, "vnsrl.wi v8, v0, 1")
  ILLEGAL_CASE(E16M4, "vnsrl.wv v8, v0, v12")
  ILLEGAL_CASE(E16M1, "vnsrl.wv v8, v9, v10")
  ILLEGAL_CASE(E16M1, "vnsrl.wv v8, v8, v10")
  ILLEGAL_CASE(E16M1, "vnsrl.wv v9, v8, v10")
  ILLEGAL_CASE(E16M1, "vnsrl.wv v10, v8, v10")
  ILLEGAL_CASE(E16M2, "vnsrl.wv v10, v8, v12")
  ILLEGAL_CASE(E16M2, "vnsrl.wv v12, v8, v12")
  ILLEGAL_CASE(E16M2, "vnsra.wx v8, v8, a1")
  ILLEGAL_CASE(E16M2, "vnsra.wx v10, v8, a1")
  ILLEGAL_CASE(E16M2, "vnsra.wx v9, v8, a1")
  ILLEGAL_CASE(E8MF2, "vnsra.wx v8, v9, a1")
  ILLEGAL_CASE(E8MF2, "vnsra.wx v9, v8, a1")
  ILLEGAL_CASE(E8MF2, "vnsra.wx v8, v8, a1")
  ILLEGAL_CASE(E16M1, ".insn 4, 0xb0803057 # vnsrl.wi v0, v8, 0, v0.t")
  /* extensions */
  ILLEGAL_CASE(E8M1, "vzext.vf2 v8, v9")
  ILLEGAL_CASE(E16M1, "vzext.vf4 v8, v9")
  ILLEGAL_CASE(E32M1, "vsext.vf8 v8, v9")
  ILLEGAL_CASE(E16M1, "vsext.vf2 v8, v8")
  ILLEGAL_CASE(E16M2, "vsext.vf2 v8, v9")
  ILLEGAL_CASE(E16M2, "vsext.vf2 v8, v10")
  ILLEGAL_CASE(E16M2, "vsext.vf2 v9, v10")
  ILLEGAL_CASE(E64M2, "vzext.vf4 v8, v9")
  ILLEGAL_CASE(E64M2, "vzext.vf2 v8, v9")
  ILLEGAL_CASE(E64M2, "vzext.vf8 v8, v9")
  ILLEGAL_CASE(E16MF4, "vzext.vf2 v8, v9")
  ILLEGAL_CASE(E16MF4, "vzext.vf4 v8, v9")
  ILLEGAL_CASE(E32MF2, "vzext.vf4 v8, v9")
  ILLEGAL_CASE(E32MF2, "vzext.vf8 v8, v9")
  ILLEGAL_CASE(E16M1, ".insn 4, 0x48932057 # vzext.vf2 v0, v9, v0.t")
  ILLEGAL_CASE(E16M1, ".insn 4, 0x48002057 # vzext.vf2 v0, v0, v0.t")
  /* carries and merge: vd = v0, alignment, mask outputs over sources */
  ILLEGAL_CASE(E8M1, ".insn 4, 0x40808057 # vadc.vvm v0, v8, v1, v0")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x48808057 # vsbc.vvm v0, v8, v1, v0")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x5c80b057 # vmerge.vim v0, v8, 1, v0")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x42808057 # vadc.vvm with vm = 1")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x5e808057 # vmerge.vvm with vm = 1, vs2 != 0")
  ILLEGAL_CASE(E8M2, "vadc.vvm v8, v9, v10, v0")
  ILLEGAL_CASE(E8M2, "vmerge.vxm v9, v10, a1, v0")
  ILLEGAL_CASE(E8M1, "vmadc.vvm v0, v8, v9, v0")
  ILLEGAL_CASE(E8M1, "vmsbc.vv v0, v8, v9")
  ILLEGAL_CASE(E8M2, "vmadc.vvm v9, v8, v10, v0")
  ILLEGAL_CASE(E8M2, "vmadc.vvm v8, v8, v10, v0")
  ILLEGAL_CASE(E8M2, "vmadc.vv v10, v8, v10")
  ILLEGAL_CASE(E8M2, "vmadc.vv v11, v8, v10")
  ILLEGAL_CASE(E8M2, "vmsbc.vx v9, v8, a1")
  ILLEGAL_CASE(E8M2, "vmadc.vim v9, v9, 1, v0")
  /* compares */
  ILLEGAL_CASE(E8M1, "vmseq.vv v0, v8, v9, v0.t")
  ILLEGAL_CASE(E8M1, "vmseq.vv v8, v8, v8")
  ILLEGAL_CASE(E8M2, "vmseq.vv v8, v8, v10")
  ILLEGAL_CASE(E8M2, "vmseq.vv v9, v8, v10")
  ILLEGAL_CASE(E8M2, "vmseq.vv v11, v8, v10")
  ILLEGAL_CASE(E8M2, "vmseq.vv v10, v8, v10")
  ILLEGAL_CASE(E8M2, "vmsne.vv v8, v9, v10")
  ILLEGAL_CASE(E8M2, "vmsltu.vx v9, v8, a1")
  ILLEGAL_CASE(E8M2, "vmsgt.vi v9, v8, 1, v0.t")
  ILLEGAL_CASE(E8M2, "vmsgt.vi v8, v8, 1, v0.t")
  ILLEGAL_CASE(E8MF2, "vmsle.vv v8, v9, v10")
  ILLEGAL_CASE(E8MF2, "vmsle.vv v9, v9, v10")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x6a803057 # vmsltu.vi v0, v8, 0")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x7a800057 # vmsgtu.vv v0, v8, v0")
  /* a masked instruction reads no source from v0 (the mask); v0 as an unmasked source is fine */
  ILLEGAL_CASE(E8M1, "vadd.vv v8, v0, v9, v0.t")
  ILLEGAL_CASE(E8M1, "vrsub.vx v8, v0, a1, v0.t")
  ILLEGAL_CASE(E8M1, "vmul.vv v8, v9, v0, v0.t")
  ILLEGAL_CASE(E8M1, "vmacc.vv v8, v0, v9, v0.t")
  ILLEGAL_CASE(E8M1, "vmul.vv v8, v9, v0")
  ILLEGAL_CASE(E16M1, "vwadd.vv v8, v0, v9, v0.t")
  ILLEGAL_CASE(E16M1, "vwadd.wv v8, v10, v0, v0.t")
  ILLEGAL_CASE(E16M1, "vwadd.wx v8, v0, a1, v0.t")
  ILLEGAL_CASE(E16M1, "vnsrl.wv v8, v0, v9, v0.t")
  ILLEGAL_CASE(E16M1, "vzext.vf2 v8, v0, v0.t")
  ILLEGAL_CASE(E16M1, "vzext.vf2 v8, v0")
  ILLEGAL_CASE(E8M1, "vmseq.vv v8, v0, v9, v0.t")
  ILLEGAL_CASE(E8M1, "vmslt.vv v8, v9, v0, v0.t")
  ILLEGAL_CASE(E8M1, "vmsgt.vi v8, v0, 3, v0.t")
  ILLEGAL_CASE(E8M1, "vadc.vvm v8, v0, v9, v0")
  ILLEGAL_CASE(E8M1, "vmerge.vvm v8, v9, v0, v0")
  ILLEGAL_CASE(E8M1, "vmerge.vvm v8, v0, v9, v0")
  ILLEGAL_CASE(E8M1, "vmerge.vxm v8, v0, a1, v0")
  ILLEGAL_CASE(E8M1, "vsbc.vvm v8, v9, v0, v0")
  ILLEGAL_CASE(E8M1, "vadd.vi v8, v0, 1, v0.t")
  ILLEGAL_CASE(E8M1, "vxor.vx v8, v0, a1, v0.t")
  ILLEGAL_CASE(E8M1, "vmadc.vvm v8, v0, v9, v0")
  ILLEGAL_CASE(E8M1, "vmsbc.vxm v8, v0, a1, v0")
  /* sources of different EEW may not overlap */
  ILLEGAL_CASE(E16M1, "vwadd.wv v8, v10, v11")
  ILLEGAL_CASE(E16M1, "vwadd.wv v8, v10, v10")
  ILLEGAL_CASE(E16M2, "vnsrl.wv v8, v12, v14")
  ILLEGAL_CASE(E16M2, "vnsrl.wv v8, v12, v12")
  ILLEGAL_CASE(E16M2, "vwmacc.vv v8, v10, v12")
  ILLEGAL_CASE(E16M2, "vwmacc.vv v8, v12, v10")
  ILLEGAL_CASE(E16M2, "vwmaccu.vx v8, a1, v10")
  ILLEGAL_CASE(E16M2, "vwmaccu.vx v8, a1, v12")
  ILLEGAL_CASE(E8MF2, ".insn 4, 0xf285e457 # vwmaccu.vx v8, a1, v8")
  ILLEGAL_CASE(E8MF2, "vwmacc.vv v8, v9, v10")
  /* Zvbb: the unary forms as vadd.vx, vwsll as the widening forms */
  ILLEGAL_CASE(E8M2, "vbrev.v v8, v9")
  ILLEGAL_CASE(E8M2, "vclz.v v9, v8")
  ILLEGAL_CASE(E8M1, "vcpop.v v8, v0, v0.t")
  ILLEGAL_CASE(E8M1, ".insn 4, 0x48872057 # vrev8.v v0, v8, v0.t")
  ILLEGAL_CASE(VILL, "vctz.v v8, v9")
  ILLEGAL_CASE(E8M2, "vror.vi v9, v8, 33")
  ILLEGAL_CASE(E8M2, "vandn.vv v8, v10, v11")
  ILLEGAL_CASE(E64M1, "vwsll.vi v8, v10, 1")
  ILLEGAL_CASE(E16M1, "vwsll.vv v8, v9, v10")
  ILLEGAL_CASE(E16M1, "vwsll.vx v9, v10, a1")
  ILLEGAL_CASE(E16M8, "vwsll.vx v0, v8, a1")
}

/*
 * The sweep: every encoding of the integer section of rv64gc.decode (fields
 * other than vd, vs2, vs1 and vm as there; rs1 = a1, the immediate 5) with
 * vd, vs2, vs1 and vm over values that hit the alignment, overlap and v0
 * rules, under vtypes of every shape, run from a code buffer behind the
 * SIGILL handler: one character per encoding, `.` legal, `I` SIGILL.
 */
static const struct {
  const char *name;
  unsigned word;
  int free; /* 1: vm, 2: vs2, 4: vs1 are fields to sweep */
} SWEEP[] = {
    {"vadd.vv", 0x00000057, 7},
    {"vadd.vx", 0x0005c057, 3},
    {"vadd.vi", 0x0002b057, 3},
    {"vsub.vv", 0x08000057, 7},
    {"vsub.vx", 0x0805c057, 3},
    {"vand.vv", 0x24000057, 7},
    {"vand.vx", 0x2405c057, 3},
    {"vand.vi", 0x2402b057, 3},
    {"vor.vv", 0x28000057, 7},
    {"vor.vx", 0x2805c057, 3},
    {"vor.vi", 0x2802b057, 3},
    {"vxor.vv", 0x2c000057, 7},
    {"vxor.vx", 0x2c05c057, 3},
    {"vxor.vi", 0x2c02b057, 3},
    {"vmv.v.v", 0x5e000057, 4},
    {"vmv.v.x", 0x5e05c057, 0},
    {"vmv.v.i", 0x5e02b057, 0},
    {"vrsub.vx", 0x0c05c057, 3},
    {"vrsub.vi", 0x0c02b057, 3},
    {"vminu.vv", 0x10000057, 7},
    {"vminu.vx", 0x1005c057, 3},
    {"vmin.vv", 0x14000057, 7},
    {"vmin.vx", 0x1405c057, 3},
    {"vmaxu.vv", 0x18000057, 7},
    {"vmaxu.vx", 0x1805c057, 3},
    {"vmax.vv", 0x1c000057, 7},
    {"vmax.vx", 0x1c05c057, 3},
    {"vmseq.vv", 0x60000057, 7},
    {"vmseq.vx", 0x6005c057, 3},
    {"vmseq.vi", 0x6002b057, 3},
    {"vmsne.vv", 0x64000057, 7},
    {"vmsne.vx", 0x6405c057, 3},
    {"vmsne.vi", 0x6402b057, 3},
    {"vmsltu.vv", 0x68000057, 7},
    {"vmsltu.vx", 0x6805c057, 3},
    {"vmslt.vv", 0x6c000057, 7},
    {"vmslt.vx", 0x6c05c057, 3},
    {"vmsleu.vv", 0x70000057, 7},
    {"vmsleu.vx", 0x7005c057, 3},
    {"vmsleu.vi", 0x7002b057, 3},
    {"vmsle.vv", 0x74000057, 7},
    {"vmsle.vx", 0x7405c057, 3},
    {"vmsle.vi", 0x7402b057, 3},
    {"vmsgtu.vx", 0x7805c057, 3},
    {"vmsgtu.vi", 0x7802b057, 3},
    {"vmsgt.vx", 0x7c05c057, 3},
    {"vmsgt.vi", 0x7c02b057, 3},
    {"vsll.vv", 0x94000057, 7},
    {"vsll.vx", 0x9405c057, 3},
    {"vsll.vi", 0x9402b057, 3},
    {"vsrl.vv", 0xa0000057, 7},
    {"vsrl.vx", 0xa005c057, 3},
    {"vsrl.vi", 0xa002b057, 3},
    {"vsra.vv", 0xa4000057, 7},
    {"vsra.vx", 0xa405c057, 3},
    {"vsra.vi", 0xa402b057, 3},
    {"vnsrl.wv", 0xb0000057, 7},
    {"vnsrl.wx", 0xb005c057, 3},
    {"vnsrl.wi", 0xb002b057, 3},
    {"vnsra.wv", 0xb4000057, 7},
    {"vnsra.wx", 0xb405c057, 3},
    {"vnsra.wi", 0xb402b057, 3},
    {"vadc.vvm", 0x40000057, 6},
    {"vadc.vxm", 0x4005c057, 2},
    {"vadc.vim", 0x4002b057, 2},
    {"vsbc.vvm", 0x48000057, 6},
    {"vsbc.vxm", 0x4805c057, 2},
    {"vmadc.vvm", 0x44000057, 6},
    {"vmadc.vv", 0x46000057, 6},
    {"vmadc.vxm", 0x4405c057, 2},
    {"vmadc.vx", 0x4605c057, 2},
    {"vmadc.vim", 0x4402b057, 2},
    {"vmadc.vi", 0x4602b057, 2},
    {"vmsbc.vvm", 0x4c000057, 6},
    {"vmsbc.vv", 0x4e000057, 6},
    {"vmsbc.vxm", 0x4c05c057, 2},
    {"vmsbc.vx", 0x4e05c057, 2},
    {"vmerge.vvm", 0x5c000057, 6},
    {"vmerge.vxm", 0x5c05c057, 2},
    {"vmerge.vim", 0x5c02b057, 2},
    {"vdivu.vv", 0x80002057, 7},
    {"vdivu.vx", 0x8005e057, 3},
    {"vdiv.vv", 0x84002057, 7},
    {"vdiv.vx", 0x8405e057, 3},
    {"vremu.vv", 0x88002057, 7},
    {"vremu.vx", 0x8805e057, 3},
    {"vrem.vv", 0x8c002057, 7},
    {"vrem.vx", 0x8c05e057, 3},
    {"vmulhu.vv", 0x90002057, 7},
    {"vmulhu.vx", 0x9005e057, 3},
    {"vmul.vv", 0x94002057, 7},
    {"vmul.vx", 0x9405e057, 3},
    {"vmulhsu.vv", 0x98002057, 7},
    {"vmulhsu.vx", 0x9805e057, 3},
    {"vmulh.vv", 0x9c002057, 7},
    {"vmulh.vx", 0x9c05e057, 3},
    {"vmadd.vv", 0xa4002057, 7},
    {"vmadd.vx", 0xa405e057, 3},
    {"vnmsub.vv", 0xac002057, 7},
    {"vnmsub.vx", 0xac05e057, 3},
    {"vmacc.vv", 0xb4002057, 7},
    {"vmacc.vx", 0xb405e057, 3},
    {"vnmsac.vv", 0xbc002057, 7},
    {"vnmsac.vx", 0xbc05e057, 3},
    {"vwaddu.vv", 0xc0002057, 7},
    {"vwaddu.vx", 0xc005e057, 3},
    {"vwadd.vv", 0xc4002057, 7},
    {"vwadd.vx", 0xc405e057, 3},
    {"vwsubu.vv", 0xc8002057, 7},
    {"vwsubu.vx", 0xc805e057, 3},
    {"vwsub.vv", 0xcc002057, 7},
    {"vwsub.vx", 0xcc05e057, 3},
    {"vwaddu.wv", 0xd0002057, 7},
    {"vwaddu.wx", 0xd005e057, 3},
    {"vwadd.wv", 0xd4002057, 7},
    {"vwadd.wx", 0xd405e057, 3},
    {"vwsubu.wv", 0xd8002057, 7},
    {"vwsubu.wx", 0xd805e057, 3},
    {"vwsub.wv", 0xdc002057, 7},
    {"vwsub.wx", 0xdc05e057, 3},
    {"vwmulu.vv", 0xe0002057, 7},
    {"vwmulu.vx", 0xe005e057, 3},
    {"vwmulsu.vv", 0xe8002057, 7},
    {"vwmulsu.vx", 0xe805e057, 3},
    {"vwmul.vv", 0xec002057, 7},
    {"vwmul.vx", 0xec05e057, 3},
    {"vwmaccu.vv", 0xf0002057, 7},
    {"vwmaccu.vx", 0xf005e057, 3},
    {"vwmacc.vv", 0xf4002057, 7},
    {"vwmacc.vx", 0xf405e057, 3},
    {"vwmaccsu.vv", 0xfc002057, 7},
    {"vwmaccsu.vx", 0xfc05e057, 3},
    {"vwmaccus.vx", 0xf805e057, 3},
    {"vzext.vf8", 0x48012057, 3},
    {"vsext.vf8", 0x4801a057, 3},
    {"vzext.vf4", 0x48022057, 3},
    {"vsext.vf4", 0x4802a057, 3},
    {"vzext.vf2", 0x48032057, 3},
    {"vsext.vf2", 0x4803a057, 3},
    {"vandn.vv", 0x04000057, 7},
    {"vandn.vx", 0x0405c057, 3},
    {"vbrev8.v", 0x48042057, 3},
    {"vrev8.v", 0x4804a057, 3},
    {"vbrev.v", 0x48052057, 3},
    {"vclz.v", 0x48062057, 3},
    {"vctz.v", 0x4806a057, 3},
    {"vcpop.v", 0x48072057, 3},
    {"vrol.vv", 0x54000057, 7},
    {"vrol.vx", 0x5405c057, 3},
    {"vror.vv", 0x50000057, 7},
    {"vror.vx", 0x5005c057, 3},
    {"vror.vi", 0x5002b057, 3},
    {"vwsll.vv", 0xd4000057, 7},
    {"vwsll.vx", 0xd405c057, 3},
    {"vwsll.vi", 0xd402b057, 3},
};

static void sweep_cases(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  unsigned *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static const ul vtypes[] = {VT(E8, M1, 0, 0), VT(E8, M2, 0, 0), VT(E16, M4, 0, 0), VT(E16, M8, 0, 0),
                              VT(E32, MF2, 0, 0), VT(E8, MF4, 0, 0), VT(E64, M1, 0, 0), VT(E32, M2, 0, 0)};
  static const int vds[] = {0, 1, 2, 8, 9}, vs2s[] = {0, 1, 8, 9, 10}, vs1s[] = {0, 8, 9, 11};
  for (unsigned k = 0; k < sizeof SWEEP / sizeof SWEEP[0]; k++) {
    for (unsigned t = 0; t < sizeof vtypes / sizeof vtypes[0]; t++) {
      printf("%s vtype=%#lx:", SWEEP[k].name, vtypes[t]);
      for (int vm = SWEEP[k].free & 1 ? 0 : 1; vm < 2; vm++) {
        for (unsigned d = 0; d < 5; d++) {
          for (unsigned s2 = 0; s2 < (SWEEP[k].free & 2 ? 5u : 1u); s2++) {
            printf(" ");
            for (unsigned s1 = 0; s1 < (SWEEP[k].free & 4 ? 4u : 1u); s1++) {
              unsigned w = SWEEP[k].word | (unsigned)vds[d] << 7;
              if (SWEEP[k].free & 1) w |= (unsigned)vm << 25;
              if (SWEEP[k].free & 2) w |= (unsigned)vs2s[s2] << 20;
              if (SWEEP[k].free & 4) w |= (unsigned)vs1s[s1] << 15;
              code[0] = 0x80b57057; /* vsetvl zero, a0, a1 */
              code[1] = w;
              code[2] = 0x00008067; /* ret */
              __builtin___clear_cache((char *)code, (char *)(code + 3));
              if (sigsetjmp(illegal_jmp, 1) == 0) {
                ((void (*)(ul, ul))code)(4, vtypes[t]);
                printf(".");
              } else {
                printf("I");
              }
            }
          }
        }
      }
      printf("\n");
    }
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc > 1 && strcmp(argv[1], "illegal") == 0) {
    illegal_cases();
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "sweep") == 0) {
    sweep_cases();
    return 0;
  }
  arith_cases();
  edge_cases();
  vstart_cases();
  overlap_cases();
  return 0;
}
