/* RV64A: lr/sc success and failure rules, every amo*.w/.d (plus aq/rl
 * encodings) over boundary values, checking the returned old value (.w forms
 * sign-extend it), the new memory value and that the neighbouring word is
 * untouched; then C11 atomics on 8/16/32/64-bit objects (sub-word ones are
 * lr/sc loops in libatomic). Single-threaded: this checks semantics, not races. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t u64;
typedef int64_t i64;

static int failures;

static void check(const char *what, u64 got, u64 want) {
  printf("%-40s %016" PRIx64 " %s\n", what, got, got == want ? "ok" : "FAIL");
  if (got != want) failures++;
}

static u64 sext32(u64 x) { return (u64)(i64)(int32_t)(uint32_t)x; }

#define AMO(name, insn)                                                                    \
  static u64 name(void *p, u64 v) {                                                        \
    u64 old;                                                                               \
    __asm__ volatile(insn " %0, %2, (%1)" : "=&r"(old) : "r"(p), "r"(v) : "memory");       \
    return old;                                                                            \
  }

AMO(amoswap_w, "amoswap.w") AMO(amoadd_w, "amoadd.w") AMO(amoxor_w, "amoxor.w") AMO(amoand_w, "amoand.w")
AMO(amoor_w, "amoor.w") AMO(amomin_w, "amomin.w") AMO(amomax_w, "amomax.w") AMO(amominu_w, "amominu.w")
AMO(amomaxu_w, "amomaxu.w")
AMO(amoswap_d, "amoswap.d") AMO(amoadd_d, "amoadd.d") AMO(amoxor_d, "amoxor.d") AMO(amoand_d, "amoand.d")
AMO(amoor_d, "amoor.d") AMO(amomin_d, "amomin.d") AMO(amomax_d, "amomax.d") AMO(amominu_d, "amominu.d")
AMO(amomaxu_d, "amomaxu.d")
AMO(amoadd_w_aq, "amoadd.w.aq") AMO(amoadd_d_rl, "amoadd.d.rl") AMO(amoswap_d_aqrl, "amoswap.d.aqrl")
AMO(amomaxu_w_aqrl, "amomaxu.w.aqrl")

typedef struct {
  const char *name;
  u64 (*run)(void *, u64);
  int word;
  u64 (*ref)(u64 mem, u64 v); /* new memory value, on the operand width */
} amo_op;

static u64 f_swap(u64 m, u64 v) { (void)m; return v; }
static u64 f_add(u64 m, u64 v) { return m + v; }
static u64 f_xor(u64 m, u64 v) { return m ^ v; }
static u64 f_and(u64 m, u64 v) { return m & v; }
static u64 f_or(u64 m, u64 v) { return m | v; }
static u64 f_mind(u64 m, u64 v) { return (i64)m < (i64)v ? m : v; }
static u64 f_maxd(u64 m, u64 v) { return (i64)m > (i64)v ? m : v; }
static u64 f_minud(u64 m, u64 v) { return m < v ? m : v; }
static u64 f_maxud(u64 m, u64 v) { return m > v ? m : v; }
static u64 f_minw(u64 m, u64 v) { return (int32_t)m < (int32_t)v ? m : v; }
static u64 f_maxw(u64 m, u64 v) { return (int32_t)m > (int32_t)v ? m : v; }
static u64 f_minuw(u64 m, u64 v) { return (uint32_t)m < (uint32_t)v ? m : v; }
static u64 f_maxuw(u64 m, u64 v) { return (uint32_t)m > (uint32_t)v ? m : v; }

static const amo_op ops[] = {
    {"amoswap.w", amoswap_w, 1, f_swap},   {"amoadd.w", amoadd_w, 1, f_add},       {"amoxor.w", amoxor_w, 1, f_xor},
    {"amoand.w", amoand_w, 1, f_and},      {"amoor.w", amoor_w, 1, f_or},          {"amomin.w", amomin_w, 1, f_minw},
    {"amomax.w", amomax_w, 1, f_maxw},     {"amominu.w", amominu_w, 1, f_minuw},   {"amomaxu.w", amomaxu_w, 1, f_maxuw},
    {"amoswap.d", amoswap_d, 0, f_swap},   {"amoadd.d", amoadd_d, 0, f_add},       {"amoxor.d", amoxor_d, 0, f_xor},
    {"amoand.d", amoand_d, 0, f_and},      {"amoor.d", amoor_d, 0, f_or},          {"amomin.d", amomin_d, 0, f_mind},
    {"amomax.d", amomax_d, 0, f_maxd},     {"amominu.d", amominu_d, 0, f_minud},   {"amomaxu.d", amomaxu_d, 0, f_maxud},
    {"amoadd.w.aq", amoadd_w_aq, 1, f_add}, {"amoadd.d.rl", amoadd_d_rl, 0, f_add}, {"amoswap.d.aqrl", amoswap_d_aqrl, 0, f_swap},
    {"amomaxu.w.aqrl", amomaxu_w_aqrl, 1, f_maxuw},
};

static const u64 vals[] = {0,          1,          0x7fffffff, 0x80000000,         0xffffffff,         0x100000001,
                           0x7fffffffffffffff,     0x8000000000000000,             0xffffffffffffffff, 0xfffffffe80000000,
                           0x123456789abcdef0,     0x00000000deadbeef};
#define NVALS (sizeof vals / sizeof vals[0])

static void run_amos(void) {
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    const amo_op *op = &ops[k];
    u64 hash = 0xcbf29ce484222325ull;
    unsigned bad = 0;
    for (size_t i = 0; i < NVALS; i++) {
      for (size_t j = 0; j < NVALS; j++) {
        /* mem[1] is the target; for .w the target is the low word of mem[1] and
         * the high word must survive. */
        _Alignas(16) u64 mem[3] = {0x1111111111111111ull, vals[i], 0x2222222222222222ull};
        u64 old = op->run(&mem[1], vals[j]);
        u64 want_old, want_mem;
        if (op->word) {
          want_old = sext32(vals[i]);
          want_mem = (vals[i] & 0xffffffff00000000ull) | (uint32_t)op->ref(vals[i], vals[j]);
        } else {
          want_old = vals[i];
          want_mem = op->ref(vals[i], vals[j]);
        }
        int ok = old == want_old && mem[1] == want_mem && mem[0] == 0x1111111111111111ull && mem[2] == 0x2222222222222222ull;
        if (!ok && bad++ < 3)
          printf("  MISMATCH %s mem=%#" PRIx64 " v=%#" PRIx64 ": old=%#" PRIx64 " mem'=%#" PRIx64 " want %#" PRIx64 " %#" PRIx64 "\n", op->name,
                 vals[i], vals[j], old, mem[1], want_old, want_mem);
        hash = (hash ^ old) * 0x100000001b3ull;
        hash = (hash ^ mem[1]) * 0x100000001b3ull;
      }
    }
    printf("%-16s hash=%016" PRIx64 " %s\n", op->name, hash, bad ? "FAIL" : "ok");
    failures += bad != 0;
  }
}

static u64 lr_d(u64 *p) {
  u64 v;
  __asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"(p) : "memory");
  return v;
}
static u64 lr_w(void *p) {
  u64 v;
  __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(p) : "memory");
  return v;
}
static u64 sc_d(u64 *p, u64 v) {
  u64 r;
  __asm__ volatile("sc.d %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");
  return r;
}
static u64 sc_w(void *p, u64 v) {
  u64 r;
  __asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(r) : "r"(p), "r"(v) : "memory");
  return r;
}

static void run_lrsc(void) {
  /* No calls between lr and sc: printf takes stdio locks with atomics, and any
   * sc in between (or a trap) may drop the reservation. */
  _Alignas(16) u64 m[2] = {0x8000000012345678ull, 0};
  u64 loaded = lr_d(&m[0]);
  u64 first = sc_d(&m[0], 42);
  u64 after_first = m[0];
  u64 second = sc_d(&m[0], 43);
  check("lr.d loads", loaded, 0x8000000012345678ull);
  check("sc.d after lr.d succeeds (0)", first, 0);
  check("  memory updated", after_first, 42);
  check("second sc.d without lr.d fails (1)", second, 1);
  check("  memory unchanged", m[0], 42);
  (void)lr_d(&m[0]);
  u64 other = sc_d(&m[1], 7);
  check("sc.d to another address fails", other != 0, 1);
  check("  other address unchanged", m[1], 0);

  uint32_t w[2] = {0x80000001u, 0x55555555u};
  u64 wl = lr_w(&w[0]);
  u64 ws = sc_w(&w[0], 0xfffffffff0000000ull);
  u64 ws2 = sc_w(&w[0], 1);
  check("lr.w sign-extends", wl, 0xffffffff80000001ull);
  check("sc.w after lr.w succeeds", ws, 0);
  check("  sc.w stores the low word only", ((u64)w[1] << 32) | w[0], 0x55555555f0000000ull);
  check("sc.w without reservation fails", ws2 != 0, 1);

  /* A fetch-and-multiply built from an lr/sc retry loop, the way compilers do it. */
  u64 acc = 3, old, tmp, fail;
  for (int i = 0; i < 20; i++) {
    __asm__ volatile("1: lr.d.aq %0, (%3)\n\t"
                     "mul %1, %0, %4\n\t"
                     "sc.d.rl %2, %1, (%3)\n\t"
                     "bnez %2, 1b"
                     : "=&r"(old), "=&r"(tmp), "=&r"(fail)
                     : "r"(&acc), "r"((u64)7)
                     : "memory");
  }
  check("lr/sc loop: 3 * 7^20", acc, 3ull * 79792266297612001ull);
}

static void run_c11(void) {
  _Atomic uint8_t a8 = 0xf0;
  _Atomic uint16_t a16 = 0xfff0;
  _Atomic uint32_t a32 = 0xfffffff0u;
  _Atomic uint64_t a64 = 0xfffffffffffffff0ull;
  check("fetch_add u8 (old)", atomic_fetch_add(&a8, 0x20), 0xf0);
  check("  u8 wraps", a8, 0x10);
  check("fetch_sub u16 (old)", atomic_fetch_sub(&a16, 0xfff1), 0xfff0);
  check("  u16 wraps", a16, 0xffff);
  check("fetch_or u32", atomic_fetch_or(&a32, 0x0f), 0xfffffff0u);
  check("  u32", a32, 0xffffffffu);
  check("fetch_and u64", atomic_fetch_and(&a64, 0x00ff00ff00ff00ffull), 0xfffffffffffffff0ull);
  check("  u64", a64, 0x00ff00ff00ff00f0ull);
  check("fetch_xor u8", atomic_fetch_xor(&a8, 0xff), 0x10);
  check("  u8", a8, 0xef);
  check("exchange u16", atomic_exchange(&a16, 0x1234), 0xffff);
  check("  u16", a16, 0x1234);

  uint32_t expect = 1;
  int ok = atomic_compare_exchange_strong(&a32, &expect, 5);
  check("cas u32 fails on mismatch", ok, 0);
  check("  expected updated to current", expect, 0xffffffffu);
  ok = atomic_compare_exchange_strong(&a32, &expect, 5);
  check("cas u32 succeeds", ok, 1);
  check("  u32", a32, 5);
  uint8_t e8 = 0xef;
  ok = atomic_compare_exchange_strong(&a8, &e8, 0x01);
  check("cas u8 succeeds", ok, 1);
  check("  u8", a8, 1);
  uint64_t e64 = a64;
  while (!atomic_compare_exchange_weak(&a64, &e64, e64 * 3 + 1)) {
  }
  check("cas_weak loop u64", a64, 0x00ff00ff00ff00f0ull * 3 + 1);

  /* Sub-word atomics on every byte/halfword lane of one word: neighbours must survive. */
  _Alignas(8) _Atomic uint8_t lanes[8] = {0};
  for (int i = 0; i < 8; i++) atomic_fetch_add(&lanes[i], (uint8_t)(i * 17 + 1));
  u64 packed = 0;
  for (int i = 7; i >= 0; i--) packed = packed << 8 | lanes[i];
  check("byte lanes", packed, 0x7867564534231201ull);
  _Alignas(8) _Atomic uint16_t hl[4] = {0};
  for (int i = 0; i < 4; i++) atomic_fetch_sub(&hl[i], (uint16_t)(i + 1));
  packed = 0;
  for (int i = 3; i >= 0; i--) packed = packed << 16 | hl[i];
  check("halfword lanes", packed, 0xfffcfffdfffeffffull);

  atomic_flag flag = ATOMIC_FLAG_INIT;
  check("test_and_set first", atomic_flag_test_and_set(&flag), 0);
  check("test_and_set second", atomic_flag_test_and_set(&flag), 1);
  atomic_thread_fence(memory_order_seq_cst);
}

int main(void) {
  run_amos();
  run_lrsc();
  run_c11();
  printf("failures: %d\n", failures);
  return failures != 0;
}
