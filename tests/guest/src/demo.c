/* The program `plume demo` runs (embedded in plume): the Mandelbrot set in
 * ASCII, 76x30 characters, then how many points escaped. Its inner loop
 * (z = z^2 + c) is what the demo's hotblocks plugin finds hottest. Built
 * as a static-pie over the tiny runtime, so the embedded image is small. */
#include "lib/out.h"

#define W 76
#define H 30
#define MAX_ITER 200

static int escape(double cr, double ci) {
  double zr = 0, zi = 0;
  for (int i = 0; i < MAX_ITER; i++) {
    double zr2 = zr * zr, zi2 = zi * zi;
    if (zr2 + zi2 > 4.0) return i;
    zi = 2 * zr * zi + ci;
    zr = zr2 - zi2 + cr;
  }
  return MAX_ITER;
}

int main(void) {
  static const char shades[] = " .:-=+*%#@";
  int inside = 0;
  for (int y = 0; y < H; y++) {
    for (int x = 0; x < W; x++) {
      double cr = -2.2 + 3.0 * x / W, ci = -1.2 + 2.4 * y / H;
      int n = escape(cr, ci);
      if (n == MAX_ITER) inside++;
      int shade = 0; /* log2 of the escape time: a smooth gradient towards the set */
      while (shade < 8 && (1 << shade) <= n) shade++;
      out_char(n == MAX_ITER ? '@' : shades[shade]);
    }
    out_char('\n');
  }
  out_str("Mandelbrot set: ");
  out_u64((uint64_t)inside);
  out_str(" of ");
  out_u64(W * H);
  out_str(" points inside after ");
  out_u64(MAX_ITER);
  out_str(" iterations\n");
  out_flush();
  return 0;
}
