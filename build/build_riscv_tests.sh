#!/usr/bin/env bash
# Builds the riscv-tests ISA tests of the extensions beyond RV64GC as Linux
# user-mode programs into tests/guest/bin/riscv-tests (committed, so tests
# need neither the sources nor a compiler). The sources are not in this
# repository: point RISCV_TESTS at a checkout of
# github.com/riscv-software-src/riscv-tests (its isa/ directory is all that is
# read). tests/guest/src/riscv_tests/riscv_test.h is the environment: a pass
# exits with 0, a failure with the failing case's number.
#
#   RISCV_TESTS=~/riscv-tests build/build_riscv_tests.sh
#
# Zba, Zbb, Zbc, Zbs and Zfh are built with Debian's riscv64-linux-gnu-gcc
# (binutils 2.40 knows them); Zicond with clang-19 (from apt), which does.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/tests/guest/bin/riscv-tests
ENV=$ROOT/tests/guest/src/riscv_tests
: "${RISCV_TESTS:?set RISCV_TESTS to a riscv-tests checkout}"
ISA=$RISCV_TESTS/isa
mkdir -p "$BIN"

# suite compiler -march tests...
build() {
  local suite=$1 cc=$2 march=$3
  shift 3
  local t
  for t in "$@"; do
    echo "build_riscv_tests: $suite-$t"
    "$cc" "${TARGET[@]}" -march="$march" -mabi=lp64d -static -nostdlib -nostartfiles -Wl,--build-id=none \
      -I"$ENV" -I"$ISA/macros/scalar" -o "$BIN/$suite-$t" "$ISA/$suite/$t.S"
  done
}

# The tests of a suite, as its Makefrag lists them.
tests_of() {
  sed -n "/^$1_sc_tests = /,/^\$/p" "$ISA/$1/Makefrag" | tr -d '\\' | tr ' \t' '\n\n' | grep -v -e '^$' -e '=' \
    -e "_sc_tests"
}

TARGET=()
for suite in rv64uzba rv64uzbb rv64uzbc rv64uzbs; do
  # shellcheck disable=SC2046
  build "$suite" riscv64-linux-gnu-gcc rv64gc_zba_zbb_zbc_zbs $(tests_of "$suite")
done
# shellcheck disable=SC2046
build rv64uzfh riscv64-linux-gnu-gcc rv64gc_zfh $(tests_of rv64uzfh)
TARGET=(--target=riscv64-linux-gnu -fuse-ld=lld)
# shellcheck disable=SC2046
build rv64uzicond clang-19 rv64gc_zicond $(tests_of rv64uzicond)
echo "build_riscv_tests: $(find "$BIN" -type f | wc -l) binaries in $BIN"
