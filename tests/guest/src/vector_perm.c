/*
 * The vector extension's mask and permutation instructions (V 1.0, VLEN =
 * 128): the mask-register logical operations, vcpop.m, vfirst.m,
 * vmsbf/vmsif/vmsof.m, viota.m, vid.v; the slides, register gathers,
 * vcompress.vm and the whole-register moves, at several SEW and LMUL,
 * masked and unmasked, with a tail (short vl), vl = 0, vstart > 0 and offsets or
 * indices past VLMAX. Each case loads known bytes into v0 (the mask), v1–v7,
 * v8–v15 (destination), v16–v23 (vs2), v24–v31 (vs1: indices or a mask)
 * with whole-register loads, runs one instruction under a vtype set with
 * vsetvl, and prints vl, the x register it writes, vstart afterwards and
 * v8–v15 in hex.
 *
 * `vector_perm illegal` runs encodings that are reserved or illegal under
 * their vtype (overlaps, alignment, vstart > 0, vill, vm = 0 where only
 * vm = 1 is defined) behind a SIGILL handler.
 *
 * Built by build/build_guests.sh with clang-19 -march=rv64gcv; expected
 * output from QEMU 10.0 `-cpu rv64,v=true,vlen=128` (tests/vector_perm_test.ts).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long ul;

static unsigned char regs_in[512] __attribute__((aligned(16)));
static unsigned char regs_out[512] __attribute__((aligned(16)));
static ul out_vl, out_vstart, out_x;

/* vtype fields */
#define VT(sew, lmul, ta, ma) ((ul)((ma) << 7 | (ta) << 6 | (sew) << 3 | (lmul)))
enum { E8, E16, E32, E64 };
enum { M1, M2, M4, M8, MRES, MF8, MF4, MF2 };

static void hex(const char *what, const unsigned char *p, int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf("%s%02x", i % 16 == 0 ? " " : "", p[i]);
  printf("\n");
}

/*
 * Loads v0..v31 from regs_in, sets vtype/vl and vstart, runs INSN (x input
 * in a1, x result in a2), records vstart and vl, stores v0..v31 to regs_out.
 */
#define CASE(name, insn)                                                                             \
  static void name(ul vtype, ul avl, ul vstart, ul x) {                                              \
    register ul a1 asm("a1") = x;                                                                    \
    register ul a2 asm("a2") = 0x5555;                                                               \
    asm volatile("vl8re8.v v0, (%[in])\n"                                                            \
                 "addi t1, %[in], 128\n vl8re8.v v8, (t1)\n"                                         \
                 "addi t1, %[in], 256\n vl8re8.v v16, (t1)\n"                                        \
                 "addi t1, %[in], 384\n vl8re8.v v24, (t1)\n"                                        \
                 "vsetvl t0, %[avl], %[vt]\n csrw vstart, %[vs]\n" insn "\n"                          \
                 "csrr t0, vstart\n sd t0, (%[vsp])\n csrwi vstart, 0\n"                             \
                 "csrr t0, vl\n sd t0, (%[vlp])\n"                                                   \
                 "vs8r.v v0, (%[out])\n"                                                             \
                 "addi t1, %[out], 128\n vs8r.v v8, (t1)\n"                                          \
                 "addi t1, %[out], 256\n vs8r.v v16, (t1)\n"                                         \
                 "addi t1, %[out], 384\n vs8r.v v24, (t1)\n"                                         \
                 : "+r"(a2)                                                                          \
                 : [in] "r"(regs_in), [out] "r"(regs_out), [avl] "r"(avl), [vt] "r"(vtype),          \
                   [vs] "r"(vstart), [vlp] "r"(&out_vl), [vsp] "r"(&out_vstart), "r"(a1)             \
                 : "t0", "t1", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", \
                   "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", \
                   "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");            \
    out_x = a2;                                                                                      \
  }

/* mask */
CASE(vmand, "vmand.mm v8, v16, v24")
CASE(vmnand, "vmnand.mm v8, v16, v24")
CASE(vmandn, "vmandn.mm v8, v16, v24")
CASE(vmxor, "vmxor.mm v8, v16, v24")
CASE(vmor, "vmor.mm v8, v16, v24")
CASE(vmnor, "vmnor.mm v8, v16, v24")
CASE(vmorn, "vmorn.mm v8, v16, v24")
CASE(vmxnor, "vmxnor.mm v8, v16, v24")
CASE(vmmv, "vmmv.m v8, v17")
CASE(vmnot_self, "vmnot.m v9, v9")
CASE(vmclr, "vmclr.m v8")
CASE(vmset, "vmset.m v8")
CASE(vcpop, "vcpop.m a2, v16")
CASE(vcpop_m, "vcpop.m a2, v16, v0.t")
CASE(vcpop_zero, "vcpop.m a2, v7")
CASE(vfirst, "vfirst.m a2, v16")
CASE(vfirst_m, "vfirst.m a2, v17, v0.t")
CASE(vfirst_late, "vfirst.m a2, v7")
CASE(vmsbf, "vmsbf.m v8, v16")
CASE(vmsbf_m, "vmsbf.m v8, v16, v0.t")
CASE(vmsif, "vmsif.m v8, v7")
CASE(vmsif_m, "vmsif.m v8, v16, v0.t")
CASE(vmsof, "vmsof.m v8, v16")
CASE(vmsof_m, "vmsof.m v8, v7, v0.t")
CASE(viota, "viota.m v8, v16")
CASE(viota_m, "viota.m v8, v16, v0.t")
CASE(vid, "vid.v v8")
CASE(vid_m, "vid.v v8, v0.t")
/* permutation */
CASE(vslideup_vx, "vslideup.vx v8, v16, a1")
CASE(vslideup_vxm, "vslideup.vx v8, v16, a1, v0.t")
CASE(vslideup_vi, "vslideup.vi v8, v16, 3")
CASE(vslideup_vi31, "vslideup.vi v8, v16, 31, v0.t")
CASE(vslidedown_vx, "vslidedown.vx v8, v16, a1")
CASE(vslidedown_vxm, "vslidedown.vx v8, v16, a1, v0.t")
CASE(vslidedown_vi, "vslidedown.vi v8, v16, 5")
CASE(vslidedown_vi31, "vslidedown.vi v8, v16, 31")
CASE(vslidedown_self, "vslidedown.vi v16, v16, 1")
CASE(vslide1up, "vslide1up.vx v8, v16, a1")
CASE(vslide1up_m, "vslide1up.vx v8, v16, a1, v0.t")
CASE(vslide1down, "vslide1down.vx v8, v16, a1")
CASE(vslide1down_m, "vslide1down.vx v8, v16, a1, v0.t")
CASE(vrgather_vv, "vrgather.vv v8, v16, v24")
CASE(vrgather_vvm, "vrgather.vv v8, v16, v24, v0.t")
CASE(vrgather_vx, "vrgather.vx v8, v16, a1")
CASE(vrgather_vxm, "vrgather.vx v8, v16, a1, v0.t")
CASE(vrgather_vi, "vrgather.vi v8, v16, 5")
CASE(vrgather_vi31, "vrgather.vi v8, v16, 31, v0.t")
CASE(vrgatherei16, "vrgatherei16.vv v8, v16, v24")
CASE(vrgatherei16_m, "vrgatherei16.vv v8, v16, v24, v0.t")
CASE(vcompress, "vcompress.vm v8, v16, v24")
CASE(vmv1r, "vmv1r.v v9, v17")
CASE(vmv2r, "vmv2r.v v10, v18")
CASE(vmv4r, "vmv4r.v v12, v20")
CASE(vmv8r, "vmv8r.v v8, v16")

typedef void (*case_fn)(ul, ul, ul, ul);

/* What a case needs: x values to try, indices in v24.., whether vstart > 0 is legal. */
enum { X = 1, INDEX_SEW = 2, INDEX_16 = 4, VSTART = 8, GROUP16 = 16 };

static const struct {
  const char *name;
  case_fn f;
  int flags;
} CASES[] = {
    {"vmand.mm", vmand, VSTART},
    {"vmnand.mm", vmnand, 0},
    {"vmandn.mm", vmandn, 0},
    {"vmxor.mm", vmxor, VSTART},
    {"vmor.mm", vmor, 0},
    {"vmnor.mm", vmnor, 0},
    {"vmorn.mm", vmorn, 0},
    {"vmxnor.mm", vmxnor, 0},
    {"vmmv.m", vmmv, 0},
    {"vmnot.m v9,v9", vmnot_self, 0},
    {"vmclr.m", vmclr, 0},
    {"vmset.m", vmset, VSTART},
    {"vcpop.m", vcpop, 0},
    {"vcpop.m masked", vcpop_m, 0},
    {"vcpop.m of zeros", vcpop_zero, 0},
    {"vfirst.m", vfirst, 0},
    {"vfirst.m masked", vfirst_m, 0},
    {"vfirst.m late", vfirst_late, 0},
    {"vmsbf.m", vmsbf, 0},
    {"vmsbf.m masked", vmsbf_m, 0},
    {"vmsif.m late", vmsif, 0},
    {"vmsif.m masked", vmsif_m, 0},
    {"vmsof.m", vmsof, 0},
    {"vmsof.m late masked", vmsof_m, 0},
    {"viota.m", viota, 0},
    {"viota.m masked", viota_m, 0},
    {"vid.v", vid, VSTART},
    {"vid.v masked", vid_m, VSTART},
    {"vslideup.vx", vslideup_vx, X | VSTART},
    {"vslideup.vx masked", vslideup_vxm, X | VSTART},
    {"vslideup.vi 3", vslideup_vi, VSTART},
    {"vslideup.vi 31 masked", vslideup_vi31, 0},
    {"vslidedown.vx", vslidedown_vx, X | VSTART},
    {"vslidedown.vx masked", vslidedown_vxm, X | VSTART},
    {"vslidedown.vi 5", vslidedown_vi, VSTART},
    {"vslidedown.vi 31", vslidedown_vi31, 0},
    {"vslidedown.vi v16,v16,1", vslidedown_self, 0},
    {"vslide1up.vx", vslide1up, X | VSTART},
    {"vslide1up.vx masked", vslide1up_m, X},
    {"vslide1down.vx", vslide1down, X | VSTART},
    {"vslide1down.vx masked", vslide1down_m, X},
    {"vrgather.vv", vrgather_vv, INDEX_SEW | VSTART},
    {"vrgather.vv masked", vrgather_vvm, INDEX_SEW},
    {"vrgather.vx", vrgather_vx, X | VSTART},
    {"vrgather.vx masked", vrgather_vxm, X},
    {"vrgather.vi 5", vrgather_vi, VSTART},
    {"vrgather.vi 31 masked", vrgather_vi31, 0},
    {"vrgatherei16.vv", vrgatherei16, INDEX_16 | GROUP16 | VSTART},
    {"vrgatherei16.vv masked", vrgatherei16_m, INDEX_16 | GROUP16},
    {"vcompress.vm", vcompress, 0},
    {"vmv1r.v", vmv1r, VSTART},
    {"vmv2r.v", vmv2r, VSTART},
    {"vmv4r.v", vmv4r, VSTART},
    {"vmv8r.v", vmv8r, VSTART},
};

static const ul CONFIGS[] = {
    VT(E8, M1, 1, 1), VT(E16, M2, 0, 0), VT(E32, MF2, 1, 0), VT(E64, M1, 0, 1),
    VT(E32, M4, 1, 1), VT(E16, MF4, 0, 0), VT(E64, M8, 1, 1), VT(E8, M8, 0, 0),
};

/* x[rs1]: offsets and indices inside VLMAX, at its edge and far past it; a value to slide in. */
static const ul XS[] = {0, 3, 17, 0x8123456789abcdeful};

static int lmul_log2(ul vt) {
  int l = (int)(vt & 7);
  return l >= 4 ? l - 8 : l;
}

static int vlmax(ul vt) {
  int sew = 8 << ((vt >> 3) & 7), l = lmul_log2(vt);
  return l >= 0 ? (128 << l) / sew : (128 >> -l) / sew;
}

static void fill(ul vt, int flags) {
  for (int i = 0; i < 512; i++) regs_in[i] = (unsigned char)(i * 37 + 11);
  /* the mask v0: an irregular pattern */
  static const unsigned char m[16] = {0xa5, 0x3c, 0xf0, 0x0f, 0x96, 0x69, 0x81, 0x7e,
                                      0x55, 0xaa, 0x33, 0xcc, 0x01, 0x80, 0xff, 0x00};
  memcpy(regs_in, m, 16);
  /* v7: no bit set below element 69, then one */
  memset(regs_in + 7 * 16, 0, 16);
  regs_in[7 * 16 + 8] = 0x20;
  regs_in[7 * 16 + 12] = 0x11;
  /* indices: a scrambled order, some past VLMAX */
  int n = vlmax(vt);
  if (flags & INDEX_SEW) {
    int bytes = 1 << ((vt >> 3) & 7);
    for (int i = 0; i < 128 / bytes; i++) {
      ul idx = (ul)((i * 7 + 3) % (n + 4));
      if (i % 11 == 10) idx = bytes == 8 ? 1ul << 40 : bytes == 4 ? 0x80000001ul : idx + 256;
      memcpy(regs_in + 384 + i * bytes, &idx, (size_t)bytes);
    }
  }
  if (flags & INDEX_16) {
    for (int i = 0; i < 64; i++) {
      unsigned short idx = (unsigned short)((i * 5 + 1) % (n + 3));
      if (i % 9 == 8) idx = 0xfff0;
      memcpy(regs_in + 384 + i * 2, &idx, 2);
    }
  }
}

static void run(int k, ul vt, ul avl, ul vstart, ul x) {
  fill(vt, CASES[k].flags);
  CASES[k].f(vt, avl, vstart, x);
  printf("%s vtype=%#lx avl=%lu vstart=%lu x=%#lx: vl=%lu vstart=%lu x=%#lx\n", CASES[k].name, vt, avl, vstart, x,
         out_vl, out_vstart, out_x);
  hex(" v8-v15", regs_out + 128, 128);
}

static void cases(void) {
  for (unsigned k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
    for (unsigned c = 0; c < sizeof CONFIGS / sizeof CONFIGS[0]; c++) {
      ul vt = CONFIGS[c];
      int l = lmul_log2(vt);
      /* vrgatherei16: EMUL = 16 / SEW * LMUL must be at most 8 */
      if ((CASES[k].flags & GROUP16) && 1 - (int)((vt >> 3) & 7) + l > 3) continue;
      /* whole-register moves of n registers need LMUL aligned groups only: any vtype */
      for (int a = 0; a < 2; a++) {
        ul avl = a == 0 ? 3 : 1000;
        if (CASES[k].flags & X) {
          for (unsigned j = 0; j < sizeof XS / sizeof XS[0]; j++) run(k, vt, avl, 0, XS[j]);
        } else {
          run(k, vt, avl, 0, 0);
        }
      }
      /* vl = 0: nothing but the whole-register moves writes; vcpop.m gives 0, vfirst.m -1 */
      if (c == 0) run(k, vt, 0, 0, 3);
      if (CASES[k].flags & VSTART) {
        run(k, vt, 1000, 2, 3);
        run(k, vt, 3, 5, 1);
        run(k, vt, 1000, 20, 0);
      }
    }
  }
}

/* Encodings that are illegal (SIGILL) or not under a vtype, each run behind a SIGILL handler. */
static sigjmp_buf illegal_jmp;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(illegal_jmp, 1);
}

#define ILLEGAL_CASE(text, setup, insn)                                                                  \
  if (sigsetjmp(illegal_jmp, 1) == 0) {                                                                 \
    ul vill = 1ul << 63;                                                                                \
    asm volatile(setup "\n" insn "\n csrwi vstart, 0"                                                   \
                 :                                                                                      \
                 : "r"(vill)                                                                            \
                 : "t0", "a2", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",    \
                   "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", \
                   "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");              \
    printf("%s: ok\n", text);                                                                           \
  } else {                                                                                              \
    asm volatile("csrwi vstart, 0");                                                                    \
    printf("%s: SIGILL\n", text);                                                                       \
  }

#define E8M1 "vsetivli zero, 4, e8, m1, ta, ma"
#define E8M2 "vsetivli zero, 4, e8, m2, ta, ma"
#define E32M4 "vsetivli zero, 4, e32, m4, ta, ma"
#define VILL "vsetvl zero, zero, %0"
#define VSTART1 E8M1 "\n csrwi vstart, 1"

static void illegal_cases(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  /* mask */
  ILLEGAL_CASE("vmand.mm vm=0", E8M1, ".insn 4, 0x642120d7 # vmand.mm v1, v2, v2, v0.t")
  ILLEGAL_CASE("vmand.mm into v0 at m8", "vsetivli zero, 4, e8, m8, ta, ma", "vmand.mm v0, v9, v17")
  ILLEGAL_CASE("vmand.mm vill", VILL, "vmand.mm v1, v2, v3")
  ILLEGAL_CASE("vmand.mm vstart 1", VSTART1, "vmand.mm v1, v2, v3")
  ILLEGAL_CASE("vcpop.m vill", VILL, "vcpop.m a2, v2")
  ILLEGAL_CASE("vcpop.m vstart 1", VSTART1, "vcpop.m a2, v2")
  ILLEGAL_CASE("vcpop.m v0, v0.t", E8M1, "vcpop.m a2, v0, v0.t")
  ILLEGAL_CASE("vfirst.m vstart 1", VSTART1, "vfirst.m a2, v2")
  ILLEGAL_CASE("vfirst.m vill", VILL, "vfirst.m a2, v2")
  ILLEGAL_CASE("vmsbf.m vd = vs2", E8M1, ".insn 4, 0x5220a157 # vmsbf.m v2, v2")
  ILLEGAL_CASE("vmsif.m masked vd = v0", E8M1, ".insn 4, 0x5021a057 # vmsif.m v0, v2, v0.t")
  ILLEGAL_CASE("vmsof.m masked vs2 = v0", E8M1, "vmsof.m v1, v0, v0.t")
  ILLEGAL_CASE("vmsbf.m vstart 1", VSTART1, "vmsbf.m v1, v2")
  ILLEGAL_CASE("vmsof.m vill", VILL, "vmsof.m v1, v2")
  ILLEGAL_CASE("viota.m vd = vs2", E8M1, ".insn 4, 0x52282157 # viota.m v2, v2")
  ILLEGAL_CASE("viota.m m2 vs2 in vd's group", E8M2, "viota.m v2, v3")
  ILLEGAL_CASE("viota.m m2 vs2 next to vd", E8M2, "viota.m v2, v4")
  ILLEGAL_CASE("viota.m m2 vd not aligned", E8M2, "viota.m v3, v6")
  ILLEGAL_CASE("viota.m masked vd = v0", E8M1, ".insn 4, 0x50082057 # viota.m v0, v0, v0.t")
  ILLEGAL_CASE("viota.m vstart 1", VSTART1, "viota.m v1, v2")
  ILLEGAL_CASE("vid.v vs2 = v1", E8M1, ".insn 4, 0x5218a257 # vid.v v4 with vs2 = v1")
  ILLEGAL_CASE("vid.v m4 vd not aligned", E32M4, "vid.v v6")
  ILLEGAL_CASE("vid.v masked vd = v0", E8M1, ".insn 4, 0x5008a057 # vid.v v0, v0.t")
  ILLEGAL_CASE("vid.v vstart 1", VSTART1, "vid.v v1")
  ILLEGAL_CASE("vid.v vill", VILL, "vid.v v1")
  /* permutation */
  ILLEGAL_CASE("vslideup.vx vd = vs2", E8M1, ".insn 4, 0x3a25c157 # vslideup.vx v2, v2, a1")
  ILLEGAL_CASE("vslideup.vi vd = vs2", E8M1, ".insn 4, 0x3a20b157 # vslideup.vi v2, v2, 1")
  ILLEGAL_CASE("vslideup.vi m2 vd = vs2 + 2", E8M2, "vslideup.vi v4, v2, 1")
  ILLEGAL_CASE("vslideup.vi m2 vs2 not aligned", E8M2, "vslideup.vi v4, v3, 1")
  ILLEGAL_CASE("vslideup.vx masked vd = v0", E8M1, ".insn 4, 0x3825c057 # vslideup.vx v0, v2, a1, v0.t")
  ILLEGAL_CASE("vslideup.vx vill", VILL, "vslideup.vx v1, v2, a1")
  ILLEGAL_CASE("vslide1up.vx vd = vs2", E8M1, ".insn 4, 0x3a25e157 # vslide1up.vx v2, v2, a1")
  ILLEGAL_CASE("vslidedown.vx vd = vs2", E8M1, "vslidedown.vx v2, v2, a1")
  ILLEGAL_CASE("vslidedown.vi m2 vd not aligned", E8M2, "vslidedown.vi v5, v2, 1")
  ILLEGAL_CASE("vslide1down.vx vd = vs2", E8M1, "vslide1down.vx v2, v2, a1")
  ILLEGAL_CASE("vslide1down.vx masked vd = v0", E8M1, ".insn 4, 0x3c25e057 # vslide1down.vx v0, v2, a1, v0.t")
  ILLEGAL_CASE("vrgather.vv vd = vs2", E8M1, ".insn 4, 0x32218157 # vrgather.vv v2, v2, v3")
  ILLEGAL_CASE("vrgather.vv vd = vs1", E8M1, ".insn 4, 0x322181d7 # vrgather.vv v3, v2, v3")
  ILLEGAL_CASE("vrgather.vv m2 vs1 not aligned", E8M2, "vrgather.vv v4, v2, v7")
  ILLEGAL_CASE("vrgather.vv masked vd = v0", E8M1, ".insn 4, 0x30218057 # vrgather.vv v0, v2, v3, v0.t")
  ILLEGAL_CASE("vrgather.vx vd = vs2", E8M1, ".insn 4, 0x3225c157 # vrgather.vx v2, v2, a1")
  ILLEGAL_CASE("vrgather.vi vd = vs2", E8M1, ".insn 4, 0x3220b157 # vrgather.vi v2, v2, 1")
  ILLEGAL_CASE("vrgather.vi vill", VILL, "vrgather.vi v1, v2, 1")
  ILLEGAL_CASE("vrgatherei16 e8 m8 (EMUL 16)", "vsetivli zero, 4, e8, m8, ta, ma", "vrgatherei16.vv v8, v16, v24")
  ILLEGAL_CASE("vrgatherei16 e8 m8 (EMUL 16) vs1 = v16", "vsetivli zero, 4, e8, m8, ta, ma",
               ".insn 4, 0x3b880457 # vrgatherei16.vv v8, v24, v16")
  ILLEGAL_CASE("vrgatherei16 e8 m4 vs1 EMUL 8 not aligned", "vsetivli zero, 4, e8, m4, ta, ma",
               "vrgatherei16.vv v8, v16, v28")
  ILLEGAL_CASE("vrgatherei16 e8 m4 vd in vs1 group", "vsetivli zero, 4, e8, m4, ta, ma",
               "vrgatherei16.vv v12, v16, v8")
  ILLEGAL_CASE("vrgatherei16 e32 m4 vs1 EMUL 2", E32M4, "vrgatherei16.vv v8, v16, v6")
  ILLEGAL_CASE("vrgatherei16 e32 m4 vs1 in vd group", E32M4, "vrgatherei16.vv v8, v16, v10")
  ILLEGAL_CASE("vrgatherei16 e64 m1 vs1 EMUL 1/4", "vsetvli zero, zero, e64, m1, ta, ma", "vrgatherei16.vv v8, v16, v17")
  ILLEGAL_CASE("vrgatherei16 e8 mf8 vs1 EMUL 1/4", "vsetivli zero, 1, e8, mf8, ta, ma", "vrgatherei16.vv v8, v16, v9")
  ILLEGAL_CASE("vcompress.vm vm=0", E8M1, ".insn 4, 0x5c862257 # vcompress.vm v4, v8, v12 with vm = 0")
  ILLEGAL_CASE("vcompress.vm vd = vs2", E8M1, ".insn 4, 0x5e21a157 # vcompress.vm v2, v2, v3")
  ILLEGAL_CASE("vcompress.vm vd = vs1", E8M1, ".insn 4, 0x5e21a1d7 # vcompress.vm v3, v2, v3")
  ILLEGAL_CASE("vcompress.vm m2 vs1 in vd group", E8M2, "vcompress.vm v4, v2, v5")
  ILLEGAL_CASE("vcompress.vm into v0", E8M1, "vcompress.vm v0, v2, v3")
  ILLEGAL_CASE("vcompress.vm vstart 1", VSTART1, "vcompress.vm v1, v2, v3")
  ILLEGAL_CASE("vcompress.vm vill", VILL, "vcompress.vm v1, v2, v3")
  ILLEGAL_CASE("vmv1r.v vm=0", E8M1, ".insn 4, 0x9c803257 # vmv1r.v v4, v8 with vm = 0")
  ILLEGAL_CASE("vmv<3>r.v", E8M1, ".insn 4, 0x9e813257 # vmv1r.v v4, v8 with simm5 = 2")
  ILLEGAL_CASE("vmv<16>r.v", E8M1, ".insn 4, 0x9e87b257 # simm5 = 15")
  ILLEGAL_CASE("vmv2r.v vd not aligned", E8M1, ".insn 4, 0x9e80b2d7 # vmv2r.v v5, v8")
  ILLEGAL_CASE("vmv4r.v vs2 not aligned", E8M1, ".insn 4, 0x9e61b457 # vmv4r.v v8, v6")
  ILLEGAL_CASE("vmv8r.v v8, v8", E8M1, "vmv8r.v v8, v8")
  ILLEGAL_CASE("vmv1r.v vill", VILL, "vmv1r.v v1, v2")
  ILLEGAL_CASE("vmv2r.v vstart 1", VSTART1, "vmv2r.v v2, v4")
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc > 1 && strcmp(argv[1], "illegal") == 0) {
    illegal_cases();
    return 0;
  }
  cases();
  return 0;
}
