#!/bin/sh
# Regenerates the half-precision (Zfh) oracle vectors of tests/fp16_vectors_test.ts.
#
# Builds tests/fpu/fp16_vectors.c for RV64GC with Zfh (static, Debian's
# riscv64-linux-gnu-gcc: binutils 2.40 knows Zfh), runs it under QEMU 10
# (`-cpu max`; qemu-riscv64 7.2 has Zfh only as `-cpu rv64,Zfh=true`) and
# stores its output, gzipped, in tests/fpu/testdata/fp16_vectors.txt.gz. The
# built binary is committed too. QEMU 10 is found as the tests find it
# ($PLUME_QEMU10, or .cache/debian/qemu-user from build/fetch_debian.sh).
#
# Usage: build/gen_fp16_vectors.sh [--no-build]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/tests/fpu/fp16_vectors.c"
bin="$root/tests/fpu/fp16_vectors"
out="$root/tests/fpu/testdata/fp16_vectors.txt.gz"
qemu=${PLUME_QEMU10:-$root/.cache/debian/qemu-user/usr/bin/qemu-riscv64}

if [ "${1:-}" != "--no-build" ]; then
  riscv64-linux-gnu-gcc -static -O2 -march=rv64gc_zfh -mabi=lp64d -Wall -Wextra -o "$bin" "$src"
  riscv64-linux-gnu-strip "$bin"
fi

mkdir -p "$(dirname "$out")"
"$qemu" -cpu max "$bin" | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
echo "$(zcat "$out" | grep -vc '^[@#]') vector lines and $(zcat "$out" | grep -c '^#') sweeps in $out"
