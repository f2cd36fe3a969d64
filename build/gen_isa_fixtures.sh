#!/bin/sh
# Rebuilds the disassembler fixtures in tests/isa/ from tests/isa/all_insns.S:
# the linked ELF (all_insns.elf) and GNU objdump's listing of it (all_insns.dis),
# both committed so that the tests run without the cross toolchain.
#
# Needs riscv64-linux-gnu-gcc and riscv64-linux-gnu-objdump (Debian's
# gcc-riscv64-linux-gnu and binutils-riscv64-linux-gnu). The listing is
# binutils-version specific; its first line records the objdump that wrote it.
set -eu

cd "$(dirname "$0")/.."
CC=${CC:-riscv64-linux-gnu-gcc}
OBJDUMP=${OBJDUMP:-riscv64-linux-gnu-objdump}
DIR=tests/isa

# --no-relax keeps every encoding as written; no build id keeps the ELF reproducible.
"$CC" -march=rv64gc_zba_zbb_zbc_zbs_zicboz_zawrs_zfh -mabi=lp64d -nostdlib -static \
  -Wl,--no-relax -Wl,--build-id=none \
  -o "$DIR/all_insns.elf" "$DIR/all_insns.S"

{
  echo "# $("$OBJDUMP" --version | head -n 1)"
  "$OBJDUMP" -d "$DIR/all_insns.elf"
} > "$DIR/all_insns.dis"

echo "Wrote $DIR/all_insns.elf and $DIR/all_insns.dis"
