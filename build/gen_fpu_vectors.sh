#!/bin/sh
# Regenerates the F/D oracle vectors used by core/fpu/fpu_test.ts.
#
# Builds tests/fpu/fp_vectors.c for RV64GC (static), runs it under
# qemu-riscv64 (QEMU's softfloat is the oracle) and stores its output,
# gzipped, in tests/fpu/testdata/fp_vectors.txt.gz. The built binary is
# committed too, so the vectors can be regenerated without the cross compiler.
#
# Usage: build/gen_fpu_vectors.sh [--no-build]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/tests/fpu/fp_vectors.c"
bin="$root/tests/fpu/fp_vectors"
out="$root/tests/fpu/testdata/fp_vectors.txt.gz"

if [ "${1:-}" != "--no-build" ]; then
  riscv64-linux-gnu-gcc -static -O2 -march=rv64gc -mabi=lp64d -Wall -Wextra -o "$bin" "$src" -lm
  riscv64-linux-gnu-strip "$bin"
fi

mkdir -p "$(dirname "$out")"
qemu-riscv64 "$bin" | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
echo "$(zcat "$out" | grep -vc '^@') vector lines in $out ($(wc -c < "$out") bytes)"
