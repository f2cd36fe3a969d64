#!/usr/bin/env bash
# Builds the guest test programs in tests/guest/src into tests/guest/bin with
# Debian's riscv64 cross compiler. The binaries are committed, so tests and CI
# need no compiler; run this only after changing a source.
#
#   build/build_guests.sh            build everything
#   build/build_guests.sh fib alu    build only the named outputs
#
# Outputs (see tests/guest/README.md for what each program checks):
#   NAME        static glibc, -O2, stripped (fib stays unstripped for symbol tests;
#               gdb_target and gdb_threads are -O0 -g for the gdb stub tests)
#   NAME_O0/_Os the same source at another optimisation level
#   NAME_pie    static-pie over the freestanding runtime in src/lib (Debian's
#               riscv64 cross glibc has no rcrt1.o, so glibc cannot do static-pie)
#   *.S         assembly, -nostdlib
#   dyn/NAME    dynamically linked (run with -L at a Debian libc6 sysroot)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/tests/guest/src
BIN=$ROOT/tests/guest/bin
CC=${CC:-riscv64-linux-gnu-gcc}

if ! command -v "$CC" >/dev/null; then
  echo "build_guests: $CC not found (Debian package gcc-riscv64-linux-gnu)" >&2
  exit 1
fi
mkdir -p "$BIN"

# No build id and relative source names keep rebuilds byte-identical.
BASE=(-march=rv64gc -mabi=lp64d -Wall -Werror -Wl,--build-id=none -ffile-prefix-map="$SRC"=.)
GLIBC=(-static -Wl,--gc-sections -ffunction-sections -fdata-sections)
TINY=(-DTINY_RT -ffreestanding -fno-builtin -fPIE -static-pie -nostdlib -Wl,--no-dynamic-linker -I.
  lib/tiny_start.S lib/tiny_rt.c)
FP=(-ffp-contract=off) # C expressions must not be fused into fma behind the test's back

ONLY=("$@")
wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local n
  for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

# build OUT SOURCE FLAGS... -- LIBS...
build() {
  local out=$1 src=$2
  shift 2
  local flags=() libs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  libs=("$@")
  wanted "$out" || return 0
  echo "build_guests: $out <- $src ${flags[*]}"
  (cd "$SRC" && "$CC" "${BASE[@]}" "${flags[@]}" -o "$BIN/$out" "$src" "${libs[@]}")
}

# Plain static glibc programs, -O2, stripped.
for p in exit_codes args_env alu memstr sha256 crc32 sieve malloc_stress mmap_test files time_id \
  segv illegal ebreak abort selfmod signals threads threads_cpu execve events fork host_exec sockets sockbench forkbomb \
  alarm_spin stack_depth syscall_edges process_groups self_loop posix_timers fifos; do
  build "$p" "$p.c" "${GLIBC[@]}" -O2 -s
done
build atomics atomics.c "${GLIBC[@]}" -O2 -s -- -latomic
build float float.c "${GLIBC[@]}" "${FP[@]}" -O2 -s -- -lm
build nbody nbody.c "${GLIBC[@]}" "${FP[@]}" -O2 -s -- -lm
build matmul matmul.c "${GLIBC[@]}" "${FP[@]}" -O2 -s
build fib fib.c "${GLIBC[@]}" -O2 # unstripped: symbol tests look up fib_rec and main
build calls calls.c "${GLIBC[@]}" -O2 # unstripped: the uftrace and callgrind tests name its functions
build gdb_target gdb_target.c "${GLIBC[@]}" -O0 -g # with debug information: tests/gdb_test.ts debugs them
build gdb_threads gdb_threads.c "${GLIBC[@]}" -O0 -g -pthread
build record_inputs record_inputs.c "${GLIBC[@]}" -O2 -s -pthread # tests/record_replay_test.ts
# Zba, Zbb, Zbc and Zbs in compiler-generated code (qemu-riscv64 7.2's default CPU has them).
build bitmanip bitmanip.c "${GLIBC[@]}" -march=rv64gc_zba_zbb_zbc_zbs -O2 -s

# The same source for the scalar extensions of RVA23 that QEMU 7.2 lacks (Zicond, Zcb, Zicboz), which GCC 12 does not know
# (Zicond, Zcb):
# with clang-19 (apt), compared with QEMU 10 (tests/differential_test.ts).
if wanted bitmanip_rva; then
  echo "build_guests: bitmanip_rva <- bitmanip.c (clang-19, Zicond, Zcb, Zicboz)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gc_zba_zbb_zbc_zbs_zicond_zcb_zicboz -mabi=lp64d \
    -Wall -Werror -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" -O2 -s -o "$BIN/bitmanip_rva" bitmanip.c)
fi

# QEMU 10 (build/fetch_debian.sh qemu-user, amd64), the oracle of the extensions QEMU 7.2 lacks.
QEMU10=${PLUME_QEMU10:-$ROOT/.cache/debian/qemu-user/usr/bin/qemu-riscv64}
# expect_qemu10 OUT CPU PROGRAM ARGS...: records QEMU 10's output of PROGRAM ARGS under -cpu CPU, then "status N",
# as tests/guest/expected/OUT.out (without QEMU 10 the committed output stays, and a line says so).
expect_qemu10() {
  local out=$ROOT/tests/guest/expected/$1.out cpu=$2 status=0
  shift 2
  if [ ! -x "$QEMU10" ]; then
    echo "build_guests: QEMU 10 not found; $out left as it is" >&2
    return 0
  fi
  mkdir -p "$ROOT/tests/guest/expected"
  "$QEMU10" -cpu "$cpu" "$@" > "$out" || status=$?
  echo "status $status" >> "$out"
}

# The vector extension (V) with clang-19, which GCC 12 cannot target; -fno-vectorize keeps the compiler's own code
# scalar (the program's vector instructions are its inline assembly). Their expected output is QEMU 10's
# (`-cpu rv64,v=true`: VLEN 128) when QEMU 10 is here (tests/harness.ts qemu10()), compared by tests/vector_test.ts
# (vector) and tests/vector_int_test.ts (vector_int, which has Zvbb too).
# build_vector NAME EXTENSIONS ARGS...: builds NAME from NAME.c for RV64GCV and EXTENSIONS (`_zvbb`…) and records
# QEMU 10's output for each argument ("" for none), with those extensions on (`,zvbb=true`…).
build_vector() {
  local name=$1 exts=$2
  shift 2
  wanted "$name" || return 0
  echo "build_guests: $name <- $name.c (clang-19, V)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march="rv64gcv$exts" -mabi=lp64d -Wall -Werror \
    -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" -O1 -fno-vectorize -fno-slp-vectorize -s \
    -pthread -o "$BIN/$name" "$name.c")
  local arg cpu
  cpu="rv64,v=true,vlen=128$(echo "$exts" | sed 's/_\([a-z0-9]*\)/,\1=true/g')"
  for arg in "$@"; do
    # shellcheck disable=SC2086 # no argument is none
    expect_qemu10 "$name${arg:+_$arg}" "$cpu" "$BIN/$name" $arg
  done
}
build_vector vector "" "" inherit illegal segv-load segv-ff segv-store
build_vector vector_int _zvbb "" illegal sweep
# Vector loads and stores of every form, no libc (clang-19, V): tests/plugins_vector_mem_test.ts compares plume's
# plugins with QEMU 7.2's on it, live.
if wanted vector_mem; then
  echo "build_guests: vector_mem <- vector_mem.S (clang-19, V)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gcv -mabi=lp64d -Wall -Werror \
    -Wl,--build-id=none -ffile-prefix-map="$SRC"=. -nostdlib -static -o "$BIN/vector_mem" vector_mem.S)
fi
build_vector vector_hostile "" index vstart-load vstart-store illegal write-only fast

# Zfa (with Zfh, for its half-precision forms) with clang-19; the expected output is QEMU 10's (-cpu max, and
# -cpu max,zfh=false for the run that tries the encodings that must trap), compared by tests/zfa_test.ts.
if wanted zfa; then
  echo "build_guests: zfa <- zfa.c (clang-19, Zfa, Zfh)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gc_zfa_zfh -mabi=lp64d -Wall -Werror \
    -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" "${FP[@]}" -O2 -s -o "$BIN/zfa" zfa.c)
  for run in "max:" "max,zfh=false:illegal" "rv64,zfa=false:first"; do
    cpu=${run%%:*} arg=${run#*:}
    # shellcheck disable=SC2086 # no argument is none
    expect_qemu10 "zfa_${cpu//[,=]/_}${arg:+_$arg}" "$cpu" "$BIN/zfa" $arg
  done
fi

# Zimop, Zcmop and Zawrs with clang-19; the expected outputs are QEMU 10's: everything under -cpu max and
# rva23u64, and each part alone under models without its extension (QEMU 10's rv64 has Zawrs, plume's QEMU 7.2
# rv64 has none of the three), compared by tests/zimop_test.ts.
if wanted zimop; then
  echo "build_guests: zimop <- zimop.c (clang-19, Zimop, Zcmop, Zawrs)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gc_zimop_zcmop_zawrs -mabi=lp64d \
    -Wall -Werror -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" -O2 -s -o "$BIN/zimop" zimop.c)
  for run in "max:" "rva23u64:" "rv64,zawrs=false:mop" "rv64,zawrs=false:cmop" "rv64,zawrs=false:wrs" "rv64:wrs" \
    "rv64,zcmop=true:mop" "rv64,zimop=true:cmop"; do
    cpu=${run%%:*} arg=${run#*:}
    # shellcheck disable=SC2086 # no argument is none
    expect_qemu10 "zimop_${cpu//[,=]/_}${arg:+_$arg}" "$cpu" "$BIN/zimop" $arg
  done
fi

# The vector state in signal frames (clang-19, V). QEMU 10 writes no V block, so only the run that leaves V alone
# has its output from QEMU 10 (tests/vector_signal_test.ts); the other checks itself against Linux's layout.
if wanted vector_signal; then
  echo "build_guests: vector_signal <- vector_signal.c (clang-19, V)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gcv -mabi=lp64d -Wall -Werror \
    -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" -O1 -fno-vectorize -fno-slp-vectorize -s \
    -o "$BIN/vector_signal" vector_signal.c)
  expect_qemu10 vector_signal_preserve rv64,v=true,vlen=128 "$BIN/vector_signal" preserve
fi

# What a program sees of its CPU (-cpu models, riscv_hwprobe, AT_HWCAP, /proc/cpuinfo), compared with QEMU 10
# (tests/cpu_probe_test.ts); clang-19 like the other programs of extensions QEMU 7.2 lacks.
if wanted cpu_probe; then
  echo "build_guests: cpu_probe <- cpu_probe.c (clang-19)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gc -mabi=lp64d -Wall -Werror \
    -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" -O2 -s -o "$BIN/cpu_probe" cpu_probe.c)
fi

# V's fixed-point instructions and integer reductions, built and checked as `vector` above (tests/vector_fixed_test.ts).
build_vector vector_fixed "" "" illegal

# V's mask and permutation instructions, built and compared the same way (tests/vector_perm_test.ts).
build_vector vector_perm "" "" illegal

# Vector floating point, the same way (tests/vector_fp_test.ts).
if wanted vector_fp; then
  echo "build_guests: vector_fp <- vector_fp.c (clang-19, V)"
  (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -march=rv64gcv -mabi=lp64d -Wall -Werror \
    -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" -O1 -fno-vectorize -fno-slp-vectorize -s \
    -o "$BIN/vector_fp" vector_fp.c)
  # EXTENSIONS:ARG:OUTPUT: V alone (its SEW-16 conversions between halves and singles trap), then with Zvfhmin
  # (they run); the SEW-16 run (`zvfh`) with Zvfh, and without it (Zvfhmin only: what Zvfh adds traps).
  for run in "::vector_fp" ",zvfhmin=true::vector_fp_zvfhmin" ",zvfh=true:zvfh:vector_fp_zvfh" \
    ",zvfhmin=true:zvfh:vector_fp_zvfh_zvfhmin"; do
    IFS=: read -r exts arg name <<< "$run"
    # shellcheck disable=SC2086 # no argument is none
    expect_qemu10 "$name" "rv64,v=true,vlen=128$exts" "$BIN/vector_fp" $arg
  done
fi

# Loops as compilers vectorize them for RVA23 (clang-19 -O3 -march=rva23u64, which clang 19 still calls
# experimental), and the same source for rv64gc with Zfh: QEMU 10 prints the same lines for both
# (tests/rva23_test.ts); `rva23 N` repeats the loops N times (build/bench.ts).
if wanted rva23; then
  echo "build_guests: rva23, rva23_rv64gc <- rva23.c (clang-19, rva23u64 and rv64gc_zfh)"
  for v in "rva23:-menable-experimental-extensions -march=rva23u64" "rva23_rv64gc:-march=rv64gc_zfh"; do
    # shellcheck disable=SC2086 # the flags are words
    (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld ${v#*:} -mabi=lp64d -Wall -Werror \
      -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" "${FP[@]}" -O3 -s -o "$BIN/${v%%:*}" rva23.c -lm)
  done
  expect_qemu10 rva23 rva23u64 "$BIN/rva23"
  expect_qemu10 rva23_rv64gc max "$BIN/rva23_rv64gc"
fi

# Programs of the repository built the same way for rva23u64, vectorized as clang chooses (loop shapes rva23.c does
# not have: strided and segment accesses, other reductions and widths), against QEMU 10 (tests/rva23_test.ts).
if wanted rva23_programs; then
  echo "build_guests: sha256_rva23, matmul_rva23, nbody_rva23 (clang-19, rva23u64)"
  for p in "sha256:200000" "matmul:" "nbody:20000"; do
    # shellcheck disable=SC2086 # the flags are words
    (cd "$SRC" && clang-19 --target=riscv64-linux-gnu -fuse-ld=lld -menable-experimental-extensions -march=rva23u64 \
      -mabi=lp64d -Wall -Werror -Wl,--build-id=none -ffile-prefix-map="$SRC"=. "${GLIBC[@]}" "${FP[@]}" -O3 -s \
      -o "$BIN/${p%%:*}_rva23" "${p%%:*}.c" -lm)
    # shellcheck disable=SC2086 # the arguments are words (none for matmul)
    expect_qemu10 "${p%%:*}_rva23" rva23u64 "$BIN/${p%%:*}_rva23" ${p#*:}
  done
fi

# Other optimisation levels of the same sources: different instruction mixes.
build alu_O0 alu.c "${GLIBC[@]}" -O0 -s
build memstr_O0 memstr.c "${GLIBC[@]}" -O0 -s
build fib_O0 fib.c "${GLIBC[@]}" -O0 -s
build float_Os float.c "${GLIBC[@]}" "${FP[@]}" -Os -s -- -lm

# Static-pie over the tiny runtime (small, so left unstripped).
for p in sha256 crc32 fib sieve; do
  build "${p}_pie" "$p.c" -O2 "${TINY[@]}" -- -lgcc
done
build pie_reloc pie_reloc.c -O2 "${TINY[@]}" -- -lgcc
build fork_tree fork_tree.c -O2 "${TINY[@]}" -- -lgcc
build demo demo.c -O2 "${TINY[@]}" "${FP[@]}" -- -lgcc # plume demo (embedded by build/gen_demo.ts)

# Dynamically linked (src/dyn and some of the programs above), run with -L at a
# sysroot of Debian's riscv64 libc6 (build/fetch_debian.sh --with-deps libc6).
mkdir -p "$BIN/dyn"
build dyn/dynamic dyn/dynamic.c -O2 -s -- -lm -ldl
for p in threads signals execve fork; do
  build "dyn/$p" "$p.c" -O2 -s
done

# Assembly, no libc.
build hello_asm hello_asm.S -nostdlib -static
build hello_asm_pie hello_asm.S -nostdlib -static-pie -Wl,--no-dynamic-linker
build compressed compressed.S -nostdlib -static
build wild_jump wild_jump.s -nostdlib -static
build stack_top stack_top.s -nostdlib -static

if [ ${#ONLY[@]} -eq 0 ]; then
  echo "build_guests: $(find "$BIN" -type f | wc -l) binaries, $(du -sh "$BIN" | cut -f1) in $BIN"
fi
