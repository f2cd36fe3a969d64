/* Self-modifying code: instructions written into an RWX page and into a
 * page flipped between RW and RX with mprotect, executed, overwritten,
 * fence.i, executed again; a loop that patches its callee 1000 times; a
 * patch of a later instruction in the same straight-line block; and code
 * moved with mremap. Checks that translated code is invalidated. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static int failures;

static void check(const char *what, long got, long want) {
  printf("%-52s %ld %s\n", what, got, got == want ? "ok" : "FAIL");
  if (got != want) failures++;
}

static uint32_t addi_a0(int imm) { return ((uint32_t)(imm & 0xfff) << 20) | (10u << 15) | (0u << 12) | (10u << 7) | 0x13; } /* addi a0, a0, imm */
static uint32_t li_a0(int imm) { return ((uint32_t)(imm & 0xfff) << 20) | (0u << 15) | (10u << 7) | 0x13; }              /* addi a0, zero, imm */
static const uint32_t RET = 0x00008067;                                                                                   /* jalr zero, 0(ra) */
static const uint16_t C_LI_A0_5 = 0x4515;                                                                                 /* c.li a0, 5 */
static const uint16_t C_JR_RA = 0x8082;                                                                                   /* c.jr ra */

static void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

typedef long (*fn0)(void);
typedef long (*fn1)(long);

int main(void) {
  /* 1. RWX page: write, run, rewrite, fence.i, run */
  uint32_t *rwx = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (rwx == MAP_FAILED) {
    printf("mmap RWX failed\n");
    return 1;
  }
  rwx[0] = li_a0(1);
  rwx[1] = RET;
  fence_i();
  check("rwx: first version returns", ((fn0)rwx)(), 1);
  rwx[0] = li_a0(2);
  fence_i();
  check("rwx: rewritten after fence.i", ((fn0)rwx)(), 2);
  rwx[0] = li_a0(-7);
  fence_i();
  check("rwx: negative immediate", ((fn0)rwx)(), -7);

  /* 2. a loop patching its callee every iteration */
  long sum = 0;
  for (int i = 0; i < 1000; i++) {
    rwx[0] = addi_a0(i - 1000);
    fence_i();
    sum += ((fn1)rwx)(i);
  }
  long want = 0;
  for (int i = 0; i < 1000; i++) want += i + (i - 1000);
  check("patch-in-a-loop sum", sum, want);

  /* 3. longer block: patch an instruction near its end, and switch to RVC */
  for (int i = 0; i < 20; i++) rwx[i] = addi_a0(1);
  rwx[20] = RET;
  fence_i();
  check("block of 20 addi", ((fn1)rwx)(0), 20);
  rwx[19] = addi_a0(100);
  fence_i();
  check("  last addi patched", ((fn1)rwx)(0), 119);
  uint16_t *half = (uint16_t *)rwx;
  half[0] = C_LI_A0_5;
  half[1] = C_JR_RA;
  fence_i();
  check("  replaced by compressed c.li/c.jr", ((fn1)rwx)(0), 5);

  /* 4. W^X discipline: RW to write, RX to run, and back */
  uint32_t *wx = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  wx[0] = li_a0(11);
  wx[1] = RET;
  mprotect(wx, 8192, PROT_READ | PROT_EXEC);
  fence_i();
  check("mprotect RX: runs", ((fn0)wx)(), 11);
  mprotect(wx, 8192, PROT_READ | PROT_WRITE);
  wx[0] = li_a0(22);
  mprotect(wx, 8192, PROT_READ | PROT_EXEC);
  fence_i();
  check("  rewritten through RW, back to RX", ((fn0)wx)(), 22);

  /* 5. code spanning a page boundary, patched on the second page */
  mprotect(wx, 8192, PROT_READ | PROT_WRITE);
  uint32_t *cross = wx + 1024 - 2;
  cross[0] = li_a0(1);
  cross[1] = addi_a0(2);
  cross[2] = addi_a0(3);
  cross[3] = RET;
  mprotect(wx, 8192, PROT_READ | PROT_EXEC);
  fence_i();
  check("block across a page boundary", ((fn0)cross)(), 6);
  mprotect(wx, 8192, PROT_READ | PROT_WRITE);
  cross[2] = addi_a0(30);
  mprotect(wx, 8192, PROT_READ | PROT_EXEC);
  fence_i();
  check("  second page patched", ((fn0)cross)(), 33);

  /* 6. unmap and map new code at the same address */
  munmap(wx, 8192);
  uint32_t *again = mmap(wx, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  again[0] = li_a0(44);
  again[1] = RET;
  fence_i();
  check("new mapping at a reused address", ((fn0)again)(), 44);

  /* 7. code moved by mremap runs at its new address */
  uint32_t *moved = mremap(rwx, 4096, 8192, MREMAP_MAYMOVE);
  moved[0] = li_a0(55);
  moved[1] = RET;
  fence_i();
  check("code after mremap", ((fn0)moved)(), 55);
  printf("failures: %d\n", failures);
  return failures != 0;
}
