/*
 * Zimop, Zcmop and Zawrs, against QEMU 10 (tests/zimop_test.ts): every
 * mop.r.N (N 0..31) and mop.rr.N (N 0..7) with rd holding a value, rd = rs1,
 * rd = x0; every c.mop.N (N odd, 1..15: the encodings of c.lui xN, 0) with xN
 * holding a value; wrs.nto and wrs.sto, after which a reserved sc fails (they
 * drop the reservation in QEMU 10's user mode) and without which it succeeds.
 * Then a hot loop of all of them, hashed, so that compiled code is compared.
 *
 * Arguments: none (everything), or `mop`, `cmop` or `wrs`: only that part, for
 * the runs without its extension, where it dies of SIGILL after "before".
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t hash = 1469598103934665603ull;

static void mix(uint64_t v) {
  hash = (hash ^ v) * 1099511628211ull;
}

#define MOP_R(n)                                                                    \
  do {                                                                              \
    uint64_t rd = 0x1111111111111111ull * ((n) % 15 + 1), rs = 0xfedcba9876543210ull; \
    asm volatile("mop.r." #n " %0, %1" : "+r"(rd) : "r"(rs));                       \
    uint64_t same = 0x8000000000000001ull;                                          \
    asm volatile("mop.r." #n " %0, %0" : "+r"(same));                               \
    asm volatile("mop.r." #n " zero, %0" ::"r"(rs));                                \
    printf("mop.r.%-2d   rd=%016llx rd=rs1: %016llx\n", n, (unsigned long long)rd,  \
           (unsigned long long)same);                                               \
  } while (0)

#define MOP_RR(n)                                                                   \
  do {                                                                              \
    uint64_t rd = 0x0101010101010101ull * ((n) + 3), a = 7, b = ~0ull;               \
    asm volatile("mop.rr." #n " %0, %1, %2" : "+r"(rd) : "r"(a), "r"(b));           \
    uint64_t same = 0x7fffffffffffffffull;                                          \
    asm volatile("mop.rr." #n " %0, %0, %0" : "+r"(same));                          \
    asm volatile("mop.rr." #n " zero, %0, %1" ::"r"(a), "r"(b));                    \
    printf("mop.rr.%d    rd=%016llx rd=rs1=rs2: %016llx\n", n, (unsigned long long)rd, \
           (unsigned long long)same);                                               \
  } while (0)

static void mops(void) {
  MOP_R(0); MOP_R(1); MOP_R(2); MOP_R(3); MOP_R(4); MOP_R(5); MOP_R(6); MOP_R(7);
  MOP_R(8); MOP_R(9); MOP_R(10); MOP_R(11); MOP_R(12); MOP_R(13); MOP_R(14); MOP_R(15);
  MOP_R(16); MOP_R(17); MOP_R(18); MOP_R(19); MOP_R(20); MOP_R(21); MOP_R(22); MOP_R(23);
  MOP_R(24); MOP_R(25); MOP_R(26); MOP_R(27); MOP_R(28); MOP_R(29); MOP_R(30); MOP_R(31);
  MOP_RR(0); MOP_RR(1); MOP_RR(2); MOP_RR(3); MOP_RR(4); MOP_RR(5); MOP_RR(6); MOP_RR(7);
}

/*
 * c.mop.N names xN (ra, gp, t0, t2, s1, a1, a3, a5): each is loaded with a
 * value, the c.mop runs, and what the register holds after it is stored to
 * out[]. ra, gp and s1 are saved and restored around it.
 */
void cmop_probe(uint64_t *out);
asm(".text\n"
    ".globl cmop_probe\n"
    "cmop_probe:\n"
    "  addi sp, sp, -32\n"
    "  sd ra, 0(sp)\n"
    "  sd gp, 8(sp)\n"
    "  sd s1, 16(sp)\n"
    "  li ra, 0x101\n  c.mop.1\n  sd ra, 0(a0)\n"
    "  li gp, -3\n  c.mop.3\n  sd gp, 8(a0)\n"
    "  li t0, 0x505\n  c.mop.5\n  sd t0, 16(a0)\n"
    "  li t2, -0x707\n  c.mop.7\n  sd t2, 24(a0)\n"
    "  li s1, 0x909\n  c.mop.9\n  sd s1, 32(a0)\n"
    "  li a1, 11\n  c.mop.11\n  sd a1, 40(a0)\n"
    "  li a3, 0x7fffffff\n  c.mop.13\n  sd a3, 48(a0)\n"
    "  li a5, -1\n  c.mop.15\n  sd a5, 56(a0)\n"
    "  ld ra, 0(sp)\n"
    "  ld gp, 8(sp)\n"
    "  ld s1, 16(sp)\n"
    "  addi sp, sp, 32\n"
    "  ret\n");

static void cmops(void) {
  uint64_t out[8];
  memset(out, 0, sizeof out);
  cmop_probe(out);
  for (int k = 0; k < 8; k++) printf("c.mop.%-2d  x%-2d = %016llx\n", 2 * k + 1, 2 * k + 1, (unsigned long long)out[k]);
}

static int32_t word = 42;

/* sc.w's result (0: stored) after lr.w, then `between`, on `word`. */
#define LR_SC(between)                                                            \
  ({                                                                              \
    long failed, old;                                                             \
    asm volatile("lr.w %1, (%2)\n\t" between "\n\tsc.w %0, %1, (%2)"              \
                 : "=&r"(failed), "=&r"(old)                                      \
                 : "r"(&word)                                                     \
                 : "memory");                                                     \
    failed;                                                                       \
  })

static void wrs(void) {
  asm volatile("wrs.nto");
  printf("wrs.nto returned\n");
  asm volatile("wrs.sto");
  printf("wrs.sto returned\n");
  printf("lr.w; sc.w: sc.w gives %ld\n", LR_SC("nop"));
  printf("lr.w; wrs.nto; sc.w: sc.w gives %ld\n", LR_SC("wrs.nto"));
  printf("lr.w; wrs.sto; sc.w: sc.w gives %ld\n", LR_SC("wrs.sto"));
}

/* Everything in a loop hot enough for every tier. */
static void loop(void) {
  uint64_t v = 0x0123456789abcdefull, out[8];
  for (int i = 0; i < 20000; i++) {
    uint64_t r = v + i, s = v ^ i;
    asm volatile("mop.r.3 %0, %1" : "+r"(r) : "r"(s));
    mix(r + (uint64_t)i);
    r = v * i;
    asm volatile("mop.rr.5 %0, %1, %0" : "+r"(r) : "r"(s));
    mix(r ^ s);
    asm volatile("c.mop.7\n\twrs.nto\n\twrs.sto" ::: "t2", "memory");
    mix(LR_SC("wrs.sto"));
    mix(LR_SC("c.mop.5"));
    if (i % 1000 == 0) {
      cmop_probe(out);
      for (int k = 0; k < 8; k++) mix(out[k]);
    }
  }
  printf("loop hash %016llx\n", (unsigned long long)hash);
}

int main(int argc, char **argv) {
  const char *only = argc > 1 ? argv[1] : "";
  if (*only) {
    printf("before\n");
    fflush(stdout);
  }
  if (!*only || strcmp(only, "mop") == 0) mops();
  if (!*only || strcmp(only, "cmop") == 0) cmops();
  if (!*only || strcmp(only, "wrs") == 0) wrs();
  if (!*only) loop();
  return 0;
}
