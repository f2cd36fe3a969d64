/*
 * The vector extension's foundation (V 1.0, VLEN = 128): vset{i}vl{i} and
 * the vector CSRs, every load and store form (unit-stride, strided, indexed
 * ordered and unordered, segments, fault-only-first, whole-register, mask)
 * with masks and tails, and the first integer operations, at several SEW
 * and LMUL. Each case loads known bytes into v0 (the mask), v4–v7 (indices),
 * v8–v15 (destination), v16–v31 (sources) with whole-register loads, runs
 * one instruction under a vtype set with vsetvl (some with vstart > 0), and prints the registers
 * or memory it may have changed, in hex.
 *
 * `vector inherit` shows the vector state a forked child and a new thread start with.
 * `vector illegal` runs encodings that are reserved under their vtype (register
 * groups, overlaps, EMUL, vill, read-only CSRs) behind a SIGILL handler.
 * `vector segv-load`, `segv-ff` and `segv-store` end with a vector access that
 * faults on its first element; the SIGSEGV handler prints the fault address
 * relative to the buffer and whether the pc is the faulting instruction's.
 *
 * Built by build/build_guests.sh with clang-19 -march=rv64gcv; expected
 * output from QEMU 10.0 `-cpu rv64,v=true,vlen=128` (tests/vector_test.ts).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

typedef unsigned long ul;

static unsigned char regs_in[512] __attribute__((aligned(16)));
static unsigned char regs_out[512] __attribute__((aligned(16)));
static unsigned char mem[1024] __attribute__((aligned(16)));
static ul out_vl;

/* vtype fields */
#define VT(sew, lmul, ta, ma) ((ul)((ma) << 7 | (ta) << 6 | (sew) << 3 | (lmul)))
enum { E8, E16, E32, E64 };
enum { M1, M2, M4, M8, MRES, MF8, MF4, MF2 };

static void fill(void) {
  for (int i = 0; i < 512; i++) regs_in[i] = (unsigned char)(i * 37 + 11);
  /* the mask v0: an irregular pattern */
  static const unsigned char m[16] = {0xa5, 0x3c, 0xf0, 0x0f, 0x96, 0x69, 0x81, 0x7e,
                                      0x55, 0xaa, 0x33, 0xcc, 0x01, 0x80, 0xff, 0x00};
  memcpy(regs_in, m, 16);
  for (int i = 0; i < 1024; i++) mem[i] = (unsigned char)(i * 13 + 5);
}

static void hex(const char *what, const unsigned char *p, int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) printf("%s%02x", i % 16 == 0 ? " " : "", p[i]);
  printf("\n");
}

/* Loads v0..v31 from regs_in, sets vtype/vl, runs INSN, stores v0..v31 to regs_out. */
#define CASE(name, insn)                                                                        \
  static void name(ul vtype, ul avl, void *base, long stride) {                                 \
    register void *a0 asm("a0") = base;                                                          \
    register long a1 asm("a1") = stride;                                                         \
    asm volatile("vl8re8.v v0, (%[in])\n"                                                        \
                 "addi t1, %[in], 128\n vl8re8.v v8, (t1)\n"                                     \
                 "addi t1, %[in], 256\n vl8re8.v v16, (t1)\n"                                    \
                 "addi t1, %[in], 384\n vl8re8.v v24, (t1)\n"                                    \
                 "vsetvl t0, %[avl], %[vt]\n" insn "\n"                                          \
                 "csrr t0, vl\n sd t0, (%[vlp])\n"                                               \
                 "vs8r.v v0, (%[out])\n"                                                         \
                 "addi t1, %[out], 128\n vs8r.v v8, (t1)\n"                                      \
                 "addi t1, %[out], 256\n vs8r.v v16, (t1)\n"                                     \
                 "addi t1, %[out], 384\n vs8r.v v24, (t1)\n"                                     \
                 :                                                                              \
                 : [in] "r"(regs_in), [out] "r"(regs_out), [avl] "r"(avl), [vt] "r"(vtype),      \
                   [vlp] "r"(&out_vl), "r"(a0), "r"(a1)                                          \
                 : "t0", "t1", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", \
                   "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", \
                   "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");       \
  }

/* loads */
CASE(vle8, "vle8.v v8, (a0)")
CASE(vle16, "vle16.v v8, (a0)")
CASE(vle32m, "vle32.v v8, (a0), v0.t")
CASE(vle64, "vle64.v v8, (a0)")
CASE(vle64m, "vle64.v v8, (a0), v0.t")
CASE(vle8m, "vle8.v v8, (a0), v0.t")
CASE(vlseg2e16, "vlseg2e16.v v8, (a0)")
CASE(vlseg3e8m, "vlseg3e8.v v8, (a0), v0.t")
CASE(vlse32, "vlse32.v v8, (a0), a1")
CASE(vlse8m, "vlse8.v v8, (a0), a1, v0.t")
CASE(vlsseg2e16, "vlsseg2e16.v v8, (a0), a1")
CASE(vluxei8, "vluxei8.v v8, (a0), v4")
CASE(vloxei16m, "vloxei16.v v8, (a0), v4, v0.t")
CASE(vluxei32, "vluxei32.v v8, (a0), v4")
CASE(vloxei64, "vloxei64.v v8, (a0), v4")
CASE(vluxseg2ei8, "vluxseg2ei8.v v8, (a0), v4")
CASE(vle32ff, "vle32ff.v v8, (a0)")
CASE(vle8ffm, "vle8ff.v v8, (a0), v0.t")
CASE(vlseg2e16ff, "vlseg2e16ff.v v8, (a0)")
CASE(vl1re16, "vl1re16.v v8, (a0)")
CASE(vl2re8, "vl2re8.v v10, (a0)")
CASE(vl4re64, "vl4re64.v v12, (a0)")
CASE(vl8re32, "vl8re32.v v8, (a0)")
CASE(vlm, "vlm.v v8, (a0)")
/* stores */
CASE(vse8, "vse8.v v16, (a0)")
CASE(vse16m, "vse16.v v16, (a0), v0.t")
CASE(vse32, "vse32.v v16, (a0)")
CASE(vse64m, "vse64.v v16, (a0), v0.t")
CASE(vsseg3e16, "vsseg3e16.v v16, (a0)")
CASE(vsse64, "vsse64.v v16, (a0), a1")
CASE(vsse16m, "vsse16.v v16, (a0), a1, v0.t")
CASE(vsuxei8, "vsuxei8.v v16, (a0), v4")
CASE(vsoxei32m, "vsoxei32.v v16, (a0), v4, v0.t")
CASE(vsoxei64, "vsoxei64.v v16, (a0), v4")
CASE(vs1r, "vs1r.v v17, (a0)")
CASE(vs2r, "vs2r.v v18, (a0)")
CASE(vs4r, "vs4r.v v20, (a0)")
CASE(vs8r, "vs8r.v v24, (a0)")
CASE(vsm, "vsm.v v17, (a0)")
/* integer operations */
CASE(vadd_vv, "vadd.vv v8, v16, v24")
CASE(vadd_vvm, "vadd.vv v8, v16, v24, v0.t")
CASE(vadd_vx, "vadd.vx v8, v16, a1")
CASE(vadd_vi, "vadd.vi v8, v16, -7")
CASE(vadd_vim, "vadd.vi v8, v16, 15, v0.t")
CASE(vsub_vv, "vsub.vv v8, v16, v24")
CASE(vsub_vxm, "vsub.vx v8, v16, a1, v0.t")
CASE(vand_vv, "vand.vv v8, v16, v24")
CASE(vand_vx, "vand.vx v8, v16, a1")
CASE(vand_vi, "vand.vi v8, v16, 12")
CASE(vor_vvm, "vor.vv v8, v16, v24, v0.t")
CASE(vor_vx, "vor.vx v8, v16, a1")
CASE(vor_vi, "vor.vi v8, v16, -16")
CASE(vxor_vv, "vxor.vv v8, v16, v24")
CASE(vxor_vxm, "vxor.vx v8, v16, a1, v0.t")
CASE(vxor_vi, "vxor.vi v8, v16, -1")
CASE(vmv_vv, "vmv.v.v v8, v16")
CASE(vmv_vx, "vmv.v.x v8, a1")
CASE(vmv_vi, "vmv.v.i v8, -3")
CASE(vmv_sx, "vmv.s.x v8, a1")

/* vstart > 0: the instruction starts at element 3 (csrr vstart afterwards reads 0 again) */
CASE(vs_vle8, "csrwi vstart, 3\n vle8.v v8, (a0)")
CASE(vs_vle32m, "csrwi vstart, 3\n vle32.v v8, (a0), v0.t")
CASE(vs_vlse16, "csrwi vstart, 3\n vlse16.v v8, (a0), a1")
CASE(vs_vluxei8, "csrwi vstart, 3\n vluxei8.v v8, (a0), v4")
CASE(vs_vlseg2e8, "csrwi vstart, 3\n vlseg2e8.v v8, (a0)")
CASE(vs_vle16ff, "csrwi vstart, 3\n vle16ff.v v8, (a0)")
CASE(vs_vl2re8, "csrwi vstart, 3\n vl2re8.v v8, (a0)")
CASE(vs_vs1r, "csrwi vstart, 3\n vs1r.v v16, (a0)")
CASE(vs_vlm, "csrwi vstart, 1\n vlm.v v8, (a0)")
CASE(vs_vse8, "csrwi vstart, 3\n vse8.v v16, (a0)")
CASE(vs_vsse32, "csrwi vstart, 3\n vsse32.v v16, (a0), a1")
CASE(vs_vadd, "csrwi vstart, 3\n vadd.vv v8, v16, v24")
CASE(vs_vmv_vx, "csrwi vstart, 3\n vmv.v.x v8, a1")
CASE(vs_vmv_sx, "csrwi vstart, 3\n vmv.s.x v8, a1")
CASE(vs_after, "csrwi vstart, 3\n vadd.vi v8, v16, 1\n csrr t0, vstart\n sd t0, 0(a0)")

typedef void (*case_fn)(ul, ul, void *, long);

/* Runs one case and prints vl, the registers and the memory buffer. */
static void run(const char *name, case_fn f, ul vtype, ul avl, int offset, long stride) {
  fill();
  f(vtype, avl, mem + offset, stride);
  printf("%s vtype=%#lx avl=%lu vl=%lu\n", name, vtype, avl, out_vl);
  hex(" v0-v7", regs_out, 128);
  hex(" v8-v15", regs_out + 128, 128);
  hex(" v16-v23", regs_out + 256, 128);
  hex(" v24-v31", regs_out + 384, 128);
  hex(" mem", mem, 512);
}

/* The configurations a case runs under: SEW and LMUL, with a short AVL (tail) and VLMAX. */
static const struct {
  ul vtype;
} CONFIGS[] = {
    {VT(E8, M1, 1, 1)}, {VT(E16, M2, 0, 0)}, {VT(E32, MF2, 1, 0)}, {VT(E64, M1, 0, 1)}, {VT(E32, M4, 1, 1)},
    {VT(E16, MF4, 0, 0)}, {VT(E64, M8, 1, 1)},
};

/* Whether a case of data EEW `eew` (bytes) and `nf` fields is legal under vtype: EMUL in 1/8..8, nf*EMUL <= 8. */
static int legal(ul vtype, int eew, int nf, int vd) {
  int sew = 1 << ((vtype >> 3) & 7);
  int l = (int)(vtype & 7);
  if (l >= 4) l -= 8;
  /* log2 EMUL = log2(eew/sew) + lmul */
  int lg = __builtin_ctz(eew) - __builtin_ctz(sew) + l;
  if (lg < -3 || lg > 3) return 0;
  int regs = lg > 0 ? 1 << lg : 1;
  if (regs * nf > 8) return 0;
  if (vd % regs) return 0;
  return 1;
}

struct ldst {
  const char *name;
  case_fn f;
  int eew; /* data EEW in bytes, 0: SEW (indexed) */
  int nf;
  int index_eew; /* indexed forms */
};

static void vset_cases(void) {
  static const ul vtypes[] = {
      VT(E8, M1, 0, 0), VT(E8, M8, 1, 1), VT(E16, MF2, 1, 0), VT(E64, MF2, 0, 0), VT(E32, MF8, 0, 0),
      VT(E16, MF8, 0, 0), VT(E8, MF8, 0, 0), VT(E64, MF8, 0, 0), VT(E32, MF4, 1, 1), VT(E64, MF4, 1, 1),
      VT(E64, M8, 1, 1), VT(E8, MRES, 0, 0), 4u << 3, 5u << 3, 0x100, 0x200, 0x400, 1ul << 63,
      (1ul << 63) | VT(E8, M1, 0, 0), 1ul << 40,
  };
  static const ul avls[] = {0, 1, 3, 15, 16, 17, 31, 64, 128, 129, ~0ul, 1ul << 32};
  for (unsigned i = 0; i < sizeof vtypes / sizeof vtypes[0]; i++) {
    for (unsigned j = 0; j < sizeof avls / sizeof avls[0]; j++) {
      ul vl, vt, rvl;
      asm volatile("vsetvl %0, %3, %4\n csrr %1, vtype\n csrr %2, vl"
                   : "=r"(vl), "=r"(vt), "=r"(rvl)
                   : "r"(avls[j]), "r"(vtypes[i]));
      printf("vsetvl avl=%#lx vtype=%#lx: vl=%lu vtype=%#lx csr vl=%lu\n", avls[j], vtypes[i], vl, vt, rvl);
    }
    /* rs1 = x0, rd != x0: VLMAX */
    ul vl, vt;
    asm volatile("vsetvl %0, zero, %2\n csrr %1, vtype" : "=r"(vl), "=r"(vt) : "r"(vtypes[i]));
    printf("vsetvl x0 vtype=%#lx: vl=%lu vtype=%#lx\n", vtypes[i], vl, vt);
    /* rs1 = x0, rd = x0: keeps vl (set to 5 at e8,m1 first) */
    asm volatile("vsetivli zero, 5, e8, m1, ta, ma\n vsetvl zero, zero, %2\n csrr %0, vl\n csrr %1, vtype"
                 : "=r"(vl), "=r"(vt)
                 : "r"(vtypes[i]));
    printf("vsetvl x0,x0 vtype=%#lx: vl=%lu vtype=%#lx\n", vtypes[i], vl, vt);
  }
  ul a, b, c, d;
  asm volatile("vsetvli %0, %4, e16, m2, ta, mu\n csrr %1, vtype\n vsetivli %2, 31, e32, mf2, tu, ma\n csrr %3, vtype"
               : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d)
               : "r"(100ul));
  printf("vsetvli: %lu %#lx vsetivli: %lu %#lx\n", a, b, c, d);
  asm volatile("vsetivli %0, 31, e8, m8, ta, ma\n vsetivli %1, 0, e32, m1, ta, ma\n vsetvli %2, zero, e8, mf8, ta, ma\n"
               "vsetvli %3, zero, e32, m8, tu, mu"
               : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d));
  printf("vsetivli 31 e8 m8: %lu, 0: %lu, vlmax e8 mf8: %lu, e32 m8: %lu\n", a, b, c, d);
  /* the CSRs */
  ul vlenb, vstart, vxrm, vxsat, vcsr;
  asm volatile("csrr %0, vlenb" : "=r"(vlenb));
  asm volatile("csrw vstart, %1\n csrr %0, vstart\n csrwi vstart, 0" : "=r"(vstart) : "r"(0xfffful));
  asm volatile("csrw vxrm, %1\n csrr %0, vxrm" : "=r"(vxrm) : "r"(7ul));
  asm volatile("csrw vxsat, %1\n csrr %0, vxsat" : "=r"(vxsat) : "r"(3ul));
  asm volatile("csrr %0, vcsr" : "=r"(vcsr));
  printf("vlenb=%lu vstart=%#lx vxrm=%lu vxsat=%lu vcsr=%#lx\n", vlenb, vstart, vxrm, vxsat, vcsr);
  asm volatile("csrw vcsr, %3\n csrr %0, vcsr\n csrr %1, vxrm\n csrr %2, vxsat"
               : "=&r"(vcsr), "=&r"(vxrm), "=&r"(vxsat)
               : "r"(0x1dul));
  printf("vcsr=%#lx vxrm=%lu vxsat=%lu\n", vcsr, vxrm, vxsat);
}

static void ldst_cases(void) {
  static const struct ldst cases[] = {
      {"vle8", vle8, 1, 1, 0},         {"vle16", vle16, 2, 1, 0},         {"vle32m", vle32m, 4, 1, 0},
      {"vle64", vle64, 8, 1, 0},       {"vle64m", vle64m, 8, 1, 0},       {"vle8m", vle8m, 1, 1, 0},
      {"vlseg2e16", vlseg2e16, 2, 2, 0}, {"vlseg3e8m", vlseg3e8m, 1, 3, 0}, {"vlse32", vlse32, 4, 1, 0},
      {"vlse8m", vlse8m, 1, 1, 0},     {"vlsseg2e16", vlsseg2e16, 2, 2, 0}, {"vluxei8", vluxei8, 0, 1, 1},
      {"vloxei16m", vloxei16m, 0, 1, 2}, {"vluxei32", vluxei32, 0, 1, 4}, {"vloxei64", vloxei64, 0, 1, 8},
      {"vluxseg2ei8", vluxseg2ei8, 0, 2, 1}, {"vle32ff", vle32ff, 4, 1, 0}, {"vle8ffm", vle8ffm, 1, 1, 0},
      {"vlseg2e16ff", vlseg2e16ff, 2, 2, 0}, {"vse8", vse8, 1, 1, 0},     {"vse16m", vse16m, 2, 1, 0},
      {"vse32", vse32, 4, 1, 0},       {"vse64m", vse64m, 8, 1, 0},       {"vsseg3e16", vsseg3e16, 2, 3, 0},
      {"vsse64", vsse64, 8, 1, 0},     {"vsse16m", vsse16m, 2, 1, 0},     {"vsuxei8", vsuxei8, 0, 1, 1},
      {"vsoxei32m", vsoxei32m, 0, 1, 4}, {"vsoxei64", vsoxei64, 0, 1, 8},
  };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    for (unsigned c = 0; c < sizeof CONFIGS / sizeof CONFIGS[0]; c++) {
      ul vt = CONFIGS[c].vtype;
      int sew = 1 << ((vt >> 3) & 7);
      int eew = cases[k].eew ? cases[k].eew : sew;
      int is_store = cases[k].name[1] == 's';
      if (!legal(vt, eew, cases[k].nf, is_store ? 16 : 8)) continue;
      if (cases[k].index_eew) {
        /* the index group v4.. at EMUL = index EEW / SEW * LMUL must fit v4..v7 and be aligned */
        if (!legal(vt, cases[k].index_eew, 1, 4)) continue;
        int l = (int)(vt & 7);
        if (l >= 4) l -= 8;
        int lg = __builtin_ctz(cases[k].index_eew) - __builtin_ctz(sew) + l;
        if (lg > 2) continue;
        /* indices: small, in-bounds offsets, multiples of the data size, in a scrambled order */
        for (int i = 0; i < 64; i++) {
          ul off = (ul)(((i * 7 + 3) % 40) * eew);
          memcpy(regs_in + 64 + i * cases[k].index_eew, &off, cases[k].index_eew);
          if (64 + (i + 1) * cases[k].index_eew >= 128) break;
        }
      }
      for (int t = 0; t < 2; t++) {
        ul avl = t == 0 ? 5 : 1000;
        ul saved[64];
        /* fill() runs in run(); index bytes must survive it, so they are put back by a wrapper */
        memcpy(saved, regs_in + 64, 64);
        (void)saved;
        case_fn f = cases[k].f;
        int strided = f == vlse32 || f == vlse8m || f == vlsseg2e16 || f == vsse64 || f == vsse16m;
        long stride = strided ? (k % 2 ? -3 * eew : 3 * eew) : 0;
        int offset = stride < 0 ? 400 : 16;
        fill();
        memcpy(regs_in + 64, saved, 64);
        cases[k].f(vt, avl, mem + offset, stride);
        printf("%s vtype=%#lx avl=%lu stride=%ld vl=%lu\n", cases[k].name, vt, avl, stride, out_vl);
        if (is_store) hex(" mem", mem, 512);
        else hex(" v8-v15", regs_out + 128, 128);
      }
    }
  }
  /* whole-register and mask forms */
  static const struct {
    const char *name;
    case_fn f;
  } whole[] = {{"vl1re16", vl1re16}, {"vl2re8", vl2re8}, {"vl4re64", vl4re64}, {"vl8re32", vl8re32},
               {"vlm", vlm},         {"vs1r", vs1r},     {"vs2r", vs2r},     {"vs4r", vs4r},
               {"vs8r", vs8r},       {"vsm", vsm}};
  static const ul wvl[] = {0, 1, 7, 13, 16, 100};
  for (unsigned k = 0; k < sizeof whole / sizeof whole[0]; k++) {
    for (unsigned j = 0; j < sizeof wvl / sizeof wvl[0]; j++) {
      if (j > 1 && k != 4 && k != 9 && j != 3) continue;
      run(whole[k].name, whole[k].f, VT(E8, M8, 0, 0), wvl[j], 32, 0);
    }
  }
}

static void fault_first(void) {
  long page = sysconf(_SC_PAGESIZE);
  unsigned char *p = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p + page, page);
  for (int i = 0; i < page; i++) p[i] = (unsigned char)(i * 3);
  static const int offsets[] = {8, 12, 16, 40, 64};
  for (unsigned k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
    fill();
    vle32ff(VT(E32, M4, 0, 0), 12, p + page - offsets[k], 0);
    printf("vle32ff at end-%d: vl=%lu\n", offsets[k], out_vl);
    hex(" v8-v15", regs_out + 128, 128);
    fill();
    vle8ffm(VT(E8, M1, 0, 0), 16, p + page - offsets[k], 0);
    printf("vle8ff.v masked at end-%d: vl=%lu\n", offsets[k], out_vl);
    hex(" v8-v15", regs_out + 128, 128);
    fill();
    vlseg2e16ff(VT(E16, M2, 0, 0), 9, p + page - offsets[k], 0);
    printf("vlseg2e16ff at end-%d: vl=%lu\n", offsets[k], out_vl);
    hex(" v8-v15", regs_out + 128, 128);
  }
}

static void arith_cases(void) {
  static const struct {
    const char *name;
    case_fn f;
  } ops[] = {
      {"vadd.vv", vadd_vv}, {"vadd.vv masked", vadd_vvm}, {"vadd.vx", vadd_vx}, {"vadd.vi", vadd_vi},
      {"vadd.vi masked", vadd_vim}, {"vsub.vv", vsub_vv}, {"vsub.vx masked", vsub_vxm}, {"vand.vv", vand_vv},
      {"vand.vx", vand_vx}, {"vand.vi", vand_vi}, {"vor.vv masked", vor_vvm}, {"vor.vx", vor_vx},
      {"vor.vi", vor_vi}, {"vxor.vv", vxor_vv}, {"vxor.vx masked", vxor_vxm}, {"vxor.vi", vxor_vi},
      {"vmv.v.v", vmv_vv}, {"vmv.v.x", vmv_vx}, {"vmv.v.i", vmv_vi}, {"vmv.s.x", vmv_sx},
  };
  for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    for (unsigned c = 0; c < sizeof CONFIGS / sizeof CONFIGS[0]; c++) {
      for (int t = 0; t < 2; t++) {
        fill();
        ops[k].f(CONFIGS[c].vtype, t == 0 ? 3 : 1000, mem, (long)0x8123456789abcdefl);
        printf("%s vtype=%#lx vl=%lu\n", ops[k].name, CONFIGS[c].vtype, out_vl);
        hex(" v8-v15", regs_out + 128, 128);
      }
    }
  }
  /* vmv.x.s at each SEW, sign-extended */
  for (int sew = 0; sew < 4; sew++) {
    ul x;
    fill();
    asm volatile("vl1re8.v v9, (%1)\n vsetvl zero, zero, %2\n vmv.x.s %0, v9"
                 : "=r"(x)
                 : "r"(regs_in + 200), "r"(VT(sew, M1, 0, 0))
                 : "v9");
    printf("vmv.x.s e%d: %#lx\n", 8 << sew, x);
  }
}

/* Encodings that are illegal (SIGILL) or not under a vtype, each run behind a SIGILL handler. */
static sigjmp_buf illegal_jmp;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(illegal_jmp, 1);
}

#define ILLEGAL_CASE(text, setup, insn)                                                               \
  if (sigsetjmp(illegal_jmp, 1) == 0) {                                                              \
    register void *a0 asm("a0") = mem;                                                               \
    asm volatile(setup "\n" insn : : "r"(a0) : "t0", "memory", "v0", "v4", "v5", "v6", "v7", "v8", "v9", \
                 "v10", "v11");                                                                        \
    printf("%s: ok\n", text);                                                                        \
  } else {                                                                                           \
    printf("%s: SIGILL\n", text);                                                                    \
  }

static void illegal_cases(void) {
  struct sigaction sa = {0};
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  ILLEGAL_CASE("index wider, vd = vs2", "vsetivli zero, 4, e8, m1, ta, ma", "vluxei16.v v4, (%0), v4")
  ILLEGAL_CASE("index wider, vd = vs2 + 1", "vsetivli zero, 4, e8, m1, ta, ma", "vluxei16.v v5, (%0), v4")
  ILLEGAL_CASE("index narrower, highest part", "vsetivli zero, 4, e16, m2, ta, ma", "vluxei8.v v4, (%0), v5")
  ILLEGAL_CASE("index narrower, lowest part", "vsetivli zero, 4, e16, m2, ta, ma", "vluxei8.v v4, (%0), v4")
  ILLEGAL_CASE("index narrower, e16 m1", "vsetivli zero, 4, e16, m1, ta, ma", "vluxei8.v v4, (%0), v4")
  ILLEGAL_CASE("index narrower, e32 m4 highest", "vsetivli zero, 4, e32, m4, ta, ma", "vluxei8.v v4, (%0), v7")
  ILLEGAL_CASE("index narrower, e32 m2", "vsetivli zero, 4, e32, m2, ta, ma", "vluxei8.v v4, (%0), v5")
  ILLEGAL_CASE("segment over its index", "vsetivli zero, 4, e8, m1, ta, ma", "vluxseg2ei8.v v4, (%0), v5")
  ILLEGAL_CASE("segment, index wider, vd = vs2", "vsetivli zero, 4, e8, m1, ta, ma", "vluxseg2ei16.v v4, (%0), v4")
  ILLEGAL_CASE("index store over data", "vsetivli zero, 4, e8, m1, ta, ma", "vsuxei8.v v4, (%0), v4")
  ILLEGAL_CASE("index EMUL 16", "vsetivli zero, 4, e8, m2, ta, ma", "vluxei64.v v8, (%0), v4")
  ILLEGAL_CASE("index EMUL 1/8", "vsetivli zero, 4, e64, m1, ta, ma", "vluxei8.v v8, (%0), v4")
  ILLEGAL_CASE("vill", "vsetvl zero, zero, %0", "vadd.vv v8, v8, v8")
  ILLEGAL_CASE("vill load", "vsetvl zero, zero, %0", "vle8.v v8, (%0)")
  ILLEGAL_CASE("vill whole-register load", "vsetvl zero, zero, %0", "vl1re8.v v8, (%0)")
  ILLEGAL_CASE("vill vmv.x.s", "vsetvl zero, zero, %0", "vmv.x.s t0, v8")
  ILLEGAL_CASE("vill vlm", "vsetvl zero, zero, %0", "vlm.v v8, (%0)")
  ILLEGAL_CASE("vd not aligned to LMUL", "vsetivli zero, 4, e8, m2, ta, ma", "vadd.vv v9, v4, v6")
  ILLEGAL_CASE("vs2 not aligned to LMUL", "vsetivli zero, 4, e8, m4, ta, ma", "vadd.vi v8, v6, 1")
  ILLEGAL_CASE("masked vd = v0", "vsetivli zero, 4, e8, m1, ta, ma", ".insn 4, 0x00430057 # vadd.vv v0, v4, v6, v0.t")
  ILLEGAL_CASE("masked load to v0", "vsetivli zero, 4, e8, m1, ta, ma", ".insn 4, 0x00050007 # vle8.v v0, (a0), v0.t")
  ILLEGAL_CASE("masked store of v0", "vsetivli zero, 4, e8, m1, ta, ma", "vse8.v v0, (%0), v0.t")
  ILLEGAL_CASE("load EMUL 16", "vsetivli zero, 4, e8, m4, ta, ma", "vle64.v v8, (%0)")
  ILLEGAL_CASE("load EMUL 1/8", "vsetivli zero, 4, e64, m1, ta, ma", "vle8.v v8, (%0)")
  ILLEGAL_CASE("load EMUL 1/4", "vsetivli zero, 4, e64, m1, ta, ma", "vle16.v v8, (%0)")
  ILLEGAL_CASE("segment past 8 registers", "vsetivli zero, 4, e8, m4, ta, ma", "vlseg3e8.v v8, (%0)")
  ILLEGAL_CASE("segment past v31", "vsetivli zero, 4, e8, m1, ta, ma", "vlseg4e8.v v30, (%0)")
  ILLEGAL_CASE("load vd not aligned to EMUL", "vsetivli zero, 4, e8, m1, ta, ma", "vle32.v v9, (%0)")
  ILLEGAL_CASE("whole-register vd not aligned", "vsetivli zero, 4, e8, m1, ta, ma", ".insn 4, 0x22850487 # vl2re8.v v9, (a0)")
  ILLEGAL_CASE("vmv.v.v vs1 not aligned", "vsetivli zero, 4, e8, m2, ta, ma", "vmv.v.v v8, v5")
  ILLEGAL_CASE("csrw vl", "csrr t0, vl", "csrw vl, t0")
  ILLEGAL_CASE("csrw vtype", "csrr t0, vtype", "csrw vtype, t0")
  ILLEGAL_CASE("csrw vlenb", "csrr t0, vlenb", "csrw vlenb, t0")
  ILLEGAL_CASE("csrs vl, x0", "csrr t0, vl", "csrrs t0, vl, zero")
}

static void vstart_cases(void) {
  static const struct {
    const char *name;
    case_fn f;
  } cases[] = {
      {"vle8", vs_vle8},       {"vle32 masked", vs_vle32m}, {"vlse16", vs_vlse16}, {"vluxei8", vs_vluxei8},
      {"vlseg2e8", vs_vlseg2e8}, {"vle16ff", vs_vle16ff},   {"vl2re8", vs_vl2re8}, {"vs1r", vs_vs1r},
      {"vlm", vs_vlm},         {"vse8", vs_vse8},           {"vsse32", vs_vsse32}, {"vadd.vv", vs_vadd},
      {"vmv.v.x", vs_vmv_vx},  {"vmv.s.x", vs_vmv_sx},      {"vstart after", vs_after},
  };
  static const ul vtypes[] = {VT(E8, M1, 0, 0), VT(E16, M2, 1, 1), VT(E32, M1, 0, 0)};
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    for (unsigned t = 0; t < 3; t++) {
      for (int a = 0; a < 2; a++) {
        ul avl = a == 0 ? 10 : 2;
        /* small indices for vluxei8 */
        fill();
        for (int i = 0; i < 64; i++) regs_in[64 + i] = (unsigned char)((i * 5) % 32);
        cases[k].f(vtypes[t], avl, mem + 32, 6);
        printf("vstart %s vtype=%#lx avl=%lu vl=%lu\n", cases[k].name, vtypes[t], avl, out_vl);
        hex(" v8-v15", regs_out + 128, 64);
        hex(" mem", mem, 128);
      }
    }
  }
}

/* Prints vl, vtype and v8-v9 as this thread or process sees them. */
static void *show_vector_state(void *who) {
  ul vl, vt;
  unsigned char v[32];
  asm volatile("csrr %0, vl\n csrr %1, vtype\n vs2r.v v8, (%2)" : "=&r"(vl), "=&r"(vt) : "r"(v) : "memory");
  printf("%s: vl=%lu vtype=%#lx\n", (const char *)who, vl, vt);
  hex(" v8-v9", v, 32);
  fflush(stdout);
  return 0;
}

/* A new process (fork) and a new thread (clone) start with the vector state of their parent, as under QEMU. */
static void inherit_cases(void) {
  ul vl;
  asm volatile("vsetivli %0, 7, e16, m2, tu, mu\n vmv.v.i v8, -5\n vsetivli %0, 5, e32, m1, ta, mu" : "=r"(vl) : : "v8", "v9");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    show_vector_state("fork child");
    _exit(0);
  }
  waitpid(pid, 0, 0);
  pthread_t t;
  pthread_create(&t, 0, show_vector_state, "thread");
  pthread_join(t, 0);
  show_vector_state("parent");
}

static unsigned char *fault_base;

static void on_segv(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  (void)sig;
  unsigned insn = *(unsigned *)uc->uc_mcontext.__gregs[0];
  printf("SIGSEGV at base%+ld, insn %08x\n", (long)((unsigned char *)si->si_addr - fault_base), insn);
  fflush(stdout);
  _exit(3);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  if (argc > 1 && strcmp(argv[1], "inherit") == 0) {
    inherit_cases();
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "illegal") == 0) {
    illegal_cases();
    return 0;
  }
  if (argc > 1) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(0, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + page, page);
    fault_base = p + page;
    fill();
    if (strcmp(argv[1], "segv-load") == 0) {
      /* element 0 is mapped, element 1 is not: a plain load faults there */
      vle32m(VT(E32, M1, 0, 0), 4, p + page - 4, 0);
    } else if (strcmp(argv[1], "segv-ff") == 0) {
      /* fault-only-first faults on element 0 like any load */
      vle32ff(VT(E32, M1, 0, 0), 4, p + page, 0);
    } else {
      mprotect(p, page, PROT_READ);
      vse8(VT(E8, M1, 0, 0), 4, p + page - 16, 0);
    }
    printf("no fault\n");
    return 1;
  }
  vset_cases();
  ldst_cases();
  fault_first();
  arith_cases();
  vstart_cases();
  return 0;
}
