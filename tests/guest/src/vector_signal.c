/*
 * The vector state in signal frames (built with clang-19 -march=rv64gcv, run
 * with V on; tests/vector_signal_test.ts).
 *
 *   vector_signal preserve  a handler that does not touch V interrupts code
 *                           that holds values in v8, v9, vl, vtype and vcsr;
 *                           the interrupted code sees them unchanged (QEMU 10
 *                           prints the same)
 *   vector_signal frame     the handler finds Linux's V block in its frame
 *                           (the layout of asm/sigcontext.h and asm/ptrace.h,
 *                           Linux 6.5 and later), checks it holds the
 *                           interrupted code's values, clobbers the live
 *                           registers, and changes v8, vl and vcsr in the
 *                           frame: after rt_sigreturn the interrupted code
 *                           sees the frame's values, as on Linux; then a
 *                           frame whose vtype is illegal comes back as vill
 *                           with vl 0. Prints ok or FAIL per check, exit
 *                           status 1 on a failure. QEMU 10 writes no V block
 *                           (and says so here).
 *
 * The interrupted code is one asm block that sets the state, sends itself
 * SIGUSR1 with tgkill (delivered on the system call's return) and reads the
 * state back, so that no compiled code runs between.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* asm/sigcontext.h and asm/ptrace.h (Linux 6.5+): the extension headers after the FP state. */
#define RISCV_V_MAGIC 0x53465457
#define END_MAGIC 0
struct riscv_ctx_hdr {
  uint32_t magic, size;
};
struct riscv_v_ext_state {
  unsigned long vstart, vl, vtype, vcsr, vlenb;
  void *datap;
};
/* sc_extdesc.hdr: the first extension header, 520 bytes into the 528-byte FP union. */
#define EXT_HDR_OFFSET (32 * 8 + 520)

enum { VLENB = 16 };

static unsigned char in8[VLENB], in9[VLENB], out8[VLENB], out9[VLENB];
static unsigned long out_vl, out_vtype, out_vcsr;
static int failures;
static int mode_frame, make_illegal;

static void check(const char *what, int ok) {
  printf("%s: %s\n", what, ok ? "ok" : "FAIL");
  if (!ok) failures++;
}

static void hex(const char *name, const unsigned char *b) {
  printf("%s", name);
  for (int i = 0; i < VLENB; i++) printf(" %02x", b[i]);
  printf("\n");
}

/* Sets vl = 3 at e32/m1, vxrm = 1 and vxsat = 1, v8 and v9 from in8/in9, signals, and reads everything back. */
static void interrupted(void) {
  long pid = getpid(), tid = syscall(SYS_gettid);
  register long a0 asm("a0") = pid;
  register long a1 asm("a1") = tid;
  register long a2 asm("a2") = SIGUSR1;
  register long a7 asm("a7") = SYS_tgkill;
  asm volatile(
      "vsetvli t0, zero, e8, m1, ta, ma\n\t"
      "vle8.v v8, (%[in8])\n\t"
      "vle8.v v9, (%[in9])\n\t"
      "vsetivli zero, 3, e32, m1, tu, mu\n\t"
      "csrwi vcsr, 3\n\t"
      "ecall\n\t"
      "csrr %[vl], vl\n\t"
      "csrr %[vtype], vtype\n\t"
      "csrr %[vcsr], vcsr\n\t"
      "vs1r.v v8, (%[out8])\n\t"
      "vs1r.v v9, (%[out9])\n\t"
      : [vl] "=&r"(out_vl), [vtype] "=&r"(out_vtype), [vcsr] "=&r"(out_vcsr), "+r"(a0)
      : [in8] "r"(in8), [in9] "r"(in9), [out8] "r"(out8), [out9] "r"(out9), "r"(a1), "r"(a2), "r"(a7)
      : "t0", "memory", "v8", "v9", "vl", "vtype");
}

static void handler(int sig, siginfo_t *si, void *ctx) {
  (void)si;
  if (!mode_frame) return;
  printf("handler: signal %d\n", sig);
  char *sc = (char *)&((ucontext_t *)ctx)->uc_mcontext;
  struct riscv_ctx_hdr *hdr = (struct riscv_ctx_hdr *)(sc + EXT_HDR_OFFSET);
  if (hdr->magic != RISCV_V_MAGIC) {
    printf("no V block in the frame\n");
    return;
  }
  struct riscv_v_ext_state *st = (struct riscv_v_ext_state *)(hdr + 1);
  unsigned char *data = st->datap;
  printf("V block: size %u vstart %lu vl %lu vtype %#lx vcsr %#lx vlenb %lu\n", hdr->size, st->vstart, st->vl,
         st->vtype, st->vcsr, st->vlenb);
  check("size is riscv_v_sc_size (header, state, 32 registers)", hdr->size == 8 + 48 + 32 * VLENB);
  check("datap points right after the state, 16-aligned", data == (unsigned char *)(st + 1) && ((uintptr_t)data & 15) == 0);
  check("vl, vtype (e32, m1, tu, mu) and vcsr as interrupted", st->vl == 3 && st->vtype == 0x10 && st->vcsr == 3);
  check("v8 and v9 in the frame as interrupted",
        memcmp(data + 8 * VLENB, in8, VLENB) == 0 && memcmp(data + 9 * VLENB, in9, VLENB) == 0);
  struct riscv_ctx_hdr *end = (struct riscv_ctx_hdr *)((char *)hdr + hdr->size);
  check("an END header follows the V block", end->magic == END_MAGIC && end->size == 0);
  /* Clobber the live state: sigreturn must bring back the frame's. */
  asm volatile("vsetivli zero, 16, e8, m1, ta, ma\n\tvmv.v.i v9, 7\n\tvmv.v.i v8, -1\n\tcsrwi vcsr, 0" ::: "v8", "v9",
               "vl", "vtype");
  /* Change the frame: v8's bytes, vl, vxrm (vcsr = vxrm << 1 | vxsat). */
  for (int i = 0; i < VLENB; i++) data[8 * VLENB + i] = (unsigned char)(0xa0 + i);
  st->vl = 2;
  st->vcsr = 2 << 1;
  if (make_illegal) st->vtype = 1ul << 63;
}

static void run(const char *title) {
  memset(out8, 0, sizeof out8);
  memset(out9, 0, sizeof out9);
  interrupted();
  printf("%s\n", title);
  printf("vl %lu vtype %#lx vcsr %#lx\n", out_vl, out_vtype, out_vcsr);
  hex("v8", out8);
  hex("v9", out9);
}

int main(int argc, char **argv) {
  for (int i = 0; i < VLENB; i++) in8[i] = (unsigned char)(0x10 + i), in9[i] = (unsigned char)(0x80 ^ (7 * i));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  if (argc > 1 && strcmp(argv[1], "preserve") == 0) {
    run("after a handler that leaves V alone:");
    check("v8, v9, vl, vtype, vcsr as set",
          memcmp(out8, in8, VLENB) == 0 && memcmp(out9, in9, VLENB) == 0 && out_vl == 3 && out_vtype == 0x10 &&
              out_vcsr == 3);
  } else if (argc > 1 && strcmp(argv[1], "frame") == 0) {
    mode_frame = 1;
    run("after a handler that changed v8, vl and vcsr in the frame:");
    unsigned char want8[VLENB];
    for (int i = 0; i < VLENB; i++) want8[i] = (unsigned char)(0xa0 + i);
    check("v8 is the frame's", memcmp(out8, want8, VLENB) == 0);
    check("v9 is the frame's (the handler's clobbering is gone)", memcmp(out9, in9, VLENB) == 0);
    check("vl 2, vtype e32 m1, vcsr 4 from the frame", out_vl == 2 && out_vtype == 0x10 && out_vcsr == 4);
    make_illegal = 1;
    run("after a handler that made vtype illegal in the frame:");
    check("vtype is vill and vl 0", out_vtype == 1ul << 63 && out_vl == 0);
  } else {
    fprintf(stderr, "usage: vector_signal preserve|frame\n");
    return 2;
  }
  return failures ? 1 : 0;
}
