/* Buffered decimal/hex output over write(2) for guest programs that must also
 * build without libc (see tiny_rt.h): printf would tie them to glibc. */
#ifndef GUEST_OUT_H
#define GUEST_OUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef TINY_RT
#include "tiny_rt.h"
#else
#include <unistd.h>
#endif

static char out_buf[4096];
static size_t out_len;

static inline void out_flush(void) {
  size_t done = 0;
  while (done < out_len) {
    long n = write(1, out_buf + done, out_len - done);
    if (n <= 0) break;
    done += (size_t)n;
  }
  out_len = 0;
}

static inline void out_char(char c) {
  if (out_len == sizeof out_buf) out_flush();
  out_buf[out_len++] = c;
}

static inline void out_str(const char *s) {
  while (*s) out_char(*s++);
}

static inline void out_u64(uint64_t v) {
  char tmp[24];
  int i = 0;
  do {
    tmp[i++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (i) out_char(tmp[--i]);
}

static inline void out_i64(int64_t v) {
  if (v < 0) {
    out_char('-');
    out_u64(-(uint64_t)v);
  } else {
    out_u64((uint64_t)v);
  }
}

/* Fixed-width lower-case hex, `digits` nibbles. */
static inline void out_hex(uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; i--) out_char("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

/* Parses a decimal argument; returns `dflt` when absent or malformed. */
static inline uint64_t arg_u64(int argc, char **argv, int index, uint64_t dflt) {
  if (index >= argc) return dflt;
  const char *s = argv[index];
  uint64_t v = 0;
  if (!*s) return dflt;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return dflt;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  return v;
}

#endif
