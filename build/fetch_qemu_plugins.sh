#!/usr/bin/env bash
# Builds QEMU 7.2's own TCG plugins from Debian's `qemu` source package
# (bookworm) into .cache/qemu-plugins/lib<name>.so, for comparisons with
# Debian's qemu-riscv64 7.2: the benchmark's start-up row compares
# `plume -plugin insn` with `qemu-riscv64 -plugin libinsn.so`.
#
#   build/fetch_qemu_plugins.sh [NAME...]     (default: insn bb mem syscall)
#
# NAME is a plugin of the source's tests/plugin/ or contrib/plugins/. Needs
# apt-get (a private configuration, the machine's own left untouched),
# gcc, pkg-config and libglib2.0-dev. The archive is the one the machine's
# apt sources already name, or $PLUME_DEBIAN_MIRROR. Nothing of QEMU is
# kept but the built plugins.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/.cache/qemu-plugins
say() { echo "fetch_qemu_plugins: $*" >&2; }
die() {
  say "$*"
  exit 1
}

NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(insn bb mem syscall)
todo=()
for n in "${NAMES[@]}"; do [ -f "$OUT/lib$n.so" ] || todo+=("$n"); done
[ ${#todo[@]} -gt 0 ] || {
  say "already built: ${NAMES[*]}"
  exit 0
}
for tool in apt-get gcc pkg-config tar; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
pkg-config --exists glib-2.0 || die "glib-2.0 not found (install libglib2.0-dev)"

mirror=${PLUME_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hoE '^URIs: +\S+/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1 || true)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(grep -hoE '^deb +(\[[^]]*\] +)?\S+/debian ' /etc/apt/sources.list | awk '{print $NF}' | head -1 || true)
fi
[ -n "$mirror" ] || die "No Debian archive found in the apt sources (set PLUME_DEBIAN_MIRROR)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$OUT"
echo "deb-src $mirror bookworm main" >"$work/sources.list"
O=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
say "downloading Debian's qemu source package (bookworm)"
apt-get "${O[@]}" -q update >&2 || die "apt-get update failed"
(cd "$work" && apt-get "${O[@]}" -q source --download-only qemu >&2) || die "apt-get source failed"
orig=$(ls "$work"/qemu_*.orig.tar.* | head -1)
tar -C "$work" -xf "$orig" --wildcards '*/include/qemu/qemu-plugin.h' '*/tests/plugin/*.c' '*/contrib/plugins/*.c'
src=$(ls -d "$work"/qemu-*/ | head -1)
for n in "${todo[@]}"; do
  file=$(ls "$src"tests/plugin/"$n".c "$src"contrib/plugins/"$n".c 2>/dev/null | head -1 || true)
  [ -n "$file" ] || die "no plugin named $n in QEMU's sources"
  # shellcheck disable=SC2046
  gcc -shared -fPIC -O2 -I"$src"include/qemu -o "$OUT/lib$n.so" "$file" $(pkg-config --cflags --libs glib-2.0) ||
    die "building $n failed"
  say "built $OUT/lib$n.so"
done
