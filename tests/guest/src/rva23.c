/*
 * Loops as compilers vectorize them for RVA23 (clang -O3 -march=rva23u64:
 * V with Zvbb and Zvfhmin, Zba/Zbb/Zbs, Zicond, Zcb, Zfa, Zfh), each
 * printing an exact result, so that the same program built for rv64gc
 * prints the same lines. `rva23 [REPS]` runs every loop REPS times (the
 * benchmark's work); the checksums are of the last pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 4099 /* not a multiple of any VLMAX: every loop has a tail */

static uint8_t b8[N], c8[N];
static int16_t s16[N], t16[N];
static int32_t i32[N], j32[N];
static int64_t i64[N], j64[N];
static float f32[N], g32[N];
static double f64[N], g64[N];
static _Float16 h16[N];

#define NOINLINE __attribute__((noinline))

NOINLINE void copy_bytes(uint8_t *restrict d, const uint8_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = s[i]; }
NOINLINE int64_t sum_i32(const int32_t *v, int n) { int64_t s = 0; for (int i = 0; i < n; i++) s += v[i]; return s; }
NOINLINE int32_t dot_i16(const int16_t *a, const int16_t *b, int n) { int32_t s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
NOINLINE void saxpy(float a, const float *restrict x, float *restrict y, int n) { for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i]; }
NOINLINE double dot_f64(const double *a, const double *b, int n) { double s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
NOINLINE int popcount_bytes(const uint8_t *b, int n) { int s = 0; for (int i = 0; i < n; i++) s += __builtin_popcount(b[i]); return s; }
NOINLINE int64_t select_sum(const int64_t *a, const int64_t *b, int n) { int64_t s = 0; for (int i = 0; i < n; i++) s += a[i] > 3 ? b[i] : 0; return s; }
NOINLINE void sat_add(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b, int n) {
  for (int i = 0; i < n; i++) { unsigned x = a[i] + b[i]; d[i] = x > 255 ? 255 : x; }
}
NOINLINE int32_t max_i32(const int32_t *v, int n) { int32_t m = INT32_MIN; for (int i = 0; i < n; i++) m = v[i] > m ? v[i] : m; return m; }
NOINLINE uint32_t min_u32(const uint32_t *v, int n) { uint32_t m = UINT32_MAX; for (int i = 0; i < n; i++) m = v[i] < m ? v[i] : m; return m; }
NOINLINE void reverse_i32(int32_t *restrict d, const int32_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = s[n - 1 - i]; }
NOINLINE void rotate_u32(uint32_t *restrict d, const uint32_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = (s[i] << 7) | (s[i] >> 25); }
NOINLINE void bswap_u32(uint32_t *restrict d, const uint32_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_bswap32(s[i]); }
NOINLINE void widen_mul(int64_t *restrict d, const int32_t *restrict a, const int32_t *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = (int64_t)a[i] * b[i]; }
NOINLINE void to_float(float *restrict d, const int32_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = (float)s[i] * 0.5f; }
NOINLINE void to_int(int32_t *restrict d, const double *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = (int32_t)(s[i] * 3.0); }
NOINLINE void half_scale(_Float16 *restrict d, const _Float16 *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = s[i] * (_Float16)0.75f; }
NOINLINE float half_sum(const _Float16 *v, int n) { float s = 0; for (int i = 0; i < n; i++) s += (float)v[i]; return s; }
NOINLINE void shift_mix(int32_t *restrict d, const int32_t *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = (s[i] >> 3) ^ (s[i] << 2) ^ (int32_t)((uint32_t)s[i] >> 29); }
NOINLINE int count_matches(const uint8_t *s, uint8_t c, int n) { int k = 0; for (int i = 0; i < n; i++) k += s[i] == c; return k; }
NOINLINE void abs_diff(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]; }
NOINLINE void fma_f64(double *restrict d, const double *restrict a, const double *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_fma(a[i], b[i], d[i]); }
NOINLINE void minmax_f32(float *restrict d, const float *restrict a, const float *restrict b, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_fminf(a[i], b[i]) + __builtin_fmaxf(a[i], b[i]) * 0.5f; }
NOINLINE void sqrt_f32(float *restrict d, const float *restrict s, int n) { for (int i = 0; i < n; i++) d[i] = __builtin_sqrtf(s[i]); }
NOINLINE uint64_t bits_scalar(uint64_t x) {
  uint64_t r = 0;
  for (int i = 0; i < 64; i++) { r += __builtin_clzll(x | 1) + __builtin_ctzll(x | (1ull << 63)) + __builtin_popcountll(x); x = (x << 13 | x >> 51) ^ (x * 0x9e3779b97f4a7c15ull); r ^= r << 5; }
  return r;
}

static uint64_t hash(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 1;
  uint32_t seed = 12345;
  for (int i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    b8[i] = seed >> 24; c8[i] = seed >> 16;
    s16[i] = (int16_t)(seed >> 8); t16[i] = (int16_t)(seed ^ (seed >> 13));
    i32[i] = (int32_t)seed; j32[i] = (int32_t)(seed * 2654435761u);
    i64[i] = (int64_t)(seed % 11); j64[i] = (int64_t)seed * 3 - 7;
    f32[i] = (float)(int32_t)seed / 65536.0f; g32[i] = (float)i * 0.25f - 100.0f;
    f64[i] = (double)(int32_t)seed / 1e6; g64[i] = 1.0 / (i + 1);
    h16[i] = (_Float16)((float)(seed >> 20) / 64.0f);
  }
  static uint8_t d8[N]; static int32_t d32[N]; static uint32_t u32[N]; static int64_t d64[N];
  static float e32[N]; static double e64[N]; static _Float16 e16[N];
  int64_t s1 = 0, s4 = 0; int32_t s2 = 0, mx = 0; uint32_t mn = 0; double s3 = 0; float hs = 0;
  int pc = 0, cm = 0; uint64_t bits = 0;
  for (int r = 0; r < reps; r++) {
    copy_bytes(d8, b8, N);
    s1 = sum_i32(i32, N);
    s2 = dot_i16(s16, t16, N);
    memcpy(e32, g32, sizeof e32);
    saxpy(1.5f, f32, e32, N);
    s3 = dot_f64(f64, g64, N);
    pc = popcount_bytes(b8, N);
    s4 = select_sum(i64, j64, N);
    mx = max_i32(i32, N);
    mn = min_u32((const uint32_t *)j32, N);
    cm = count_matches(b8, 0x5a, N);
    bits = bits_scalar((uint64_t)s1);
    hs = half_sum(h16, N);
  }
  printf("copy %016llx\n", (unsigned long long)hash(d8, N));
  printf("sum_i32 %lld dot_i16 %d dot_f64 %a\n", (long long)s1, s2, s3);
  printf("saxpy %016llx\n", (unsigned long long)hash(e32, sizeof e32));
  printf("popcount %d select %lld max %d min %u matches %d\n", pc, (long long)s4, mx, mn, cm);
  sat_add(d8, b8, c8, N); printf("sat_add %016llx\n", (unsigned long long)hash(d8, N));
  abs_diff(d8, b8, c8, N); printf("abs_diff %016llx\n", (unsigned long long)hash(d8, N));
  reverse_i32(d32, i32, N); printf("reverse %016llx\n", (unsigned long long)hash(d32, sizeof d32));
  rotate_u32(u32, (const uint32_t *)i32, N); printf("rotate %016llx\n", (unsigned long long)hash(u32, sizeof u32));
  bswap_u32(u32, (const uint32_t *)j32, N); printf("bswap %016llx\n", (unsigned long long)hash(u32, sizeof u32));
  widen_mul(d64, i32, j32, N); printf("widen_mul %016llx\n", (unsigned long long)hash(d64, sizeof d64));
  shift_mix(d32, i32, N); printf("shift_mix %016llx\n", (unsigned long long)hash(d32, sizeof d32));
  to_float(e32, i32, N); printf("to_float %016llx\n", (unsigned long long)hash(e32, sizeof e32));
  to_int(d32, f64, N); printf("to_int %016llx\n", (unsigned long long)hash(d32, sizeof d32));
  memcpy(e64, g64, sizeof e64); fma_f64(e64, f64, f64, N); printf("fma %016llx\n", (unsigned long long)hash(e64, sizeof e64));
  minmax_f32(e32, f32, g32, N); printf("minmax %016llx\n", (unsigned long long)hash(e32, sizeof e32));
  sqrt_f32(e32, g32, N); printf("sqrt %016llx\n", (unsigned long long)hash(e32, sizeof e32));
  half_scale(e16, h16, N); printf("half_scale %016llx half_sum %a\n", (unsigned long long)hash(e16, sizeof e16), (double)hs);
  printf("bits %016llx\n", (unsigned long long)bits);
  return 0;
}
