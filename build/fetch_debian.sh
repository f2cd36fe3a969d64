#!/usr/bin/env bash
# Downloads Debian riscv64 packages by name and extracts them under
# .cache/debian/<pkg>/ (with dpkg-deb -x), for the tests' oracles: for example
# busybox-static gives .cache/debian/busybox-static/usr/bin/busybox.
#
#   build/fetch_debian.sh [--with-deps] PKG...
#
#   --with-deps   also download everything PKG depends on (Depends and
#                 Pre-Depends, recursively) and extract it all into the same
#                 .cache/debian/<pkg>/, which then serves as a sysroot (-L).
#
# The machine's own apt configuration is left untouched: a private one under
# .cache/debian/.apt points at the riscv64 side of the archive the machine
# already uses (read from its apt sources, or $PLUME_DEBIAN_MIRROR), suite
# $PLUME_DEBIAN_SUITE (default trixie). Packages already extracted are skipped.
# $PLUME_DEBIAN_ARCH picks another architecture: PLUME_DEBIAN_ARCH=amd64
# build/fetch_debian.sh qemu-user gives QEMU 10's static qemu-riscv64, the
# oracle for extensions QEMU 7.2 lacks (tests/riscv_tests_test.ts).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/.cache/debian
SUITE=${PLUME_DEBIAN_SUITE:-trixie}
ARCH=${PLUME_DEBIAN_ARCH:-riscv64}
MARKER=.plume-fetched

say() { echo "fetch_debian: $*" >&2; }
die() {
  say "$*"
  exit 1
}

WITH_DEPS=0
PKGS=()
for arg in "$@"; do
  case $arg in
  --with-deps) WITH_DEPS=1 ;;
  -h | --help)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  -*) die "Unknown option $arg" ;;
  *) PKGS+=("$arg") ;;
  esac
done
[ ${#PKGS[@]} -gt 0 ] || die "No package named (usage: build/fetch_debian.sh [--with-deps] PKG...)"
for tool in apt-get apt-cache dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool not found: this script needs a Debian-like machine"
done

mode=$([ $WITH_DEPS = 1 ] && echo with-deps || echo package-only)
todo=()
for pkg in "${PKGS[@]}"; do
  if [ -f "$CACHE/$pkg/$MARKER" ] && [ "$(cat "$CACHE/$pkg/$MARKER")" = "$mode" ]; then
    say "$pkg already in $CACHE/$pkg ($mode)"
  else
    todo+=("$pkg")
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

# The archive this machine already uses; never spelled in the repository.
mirror=${PLUME_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hoE '^URIs: +\S+/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1 || true)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(grep -hoE '^deb +(\[[^]]*\] +)?\S+/debian ' /etc/apt/sources.list | awk '{print $NF}' | head -1 || true)
fi
[ -n "$mirror" ] || die "No Debian archive found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set PLUME_DEBIAN_MIRROR)"

APT=$CACHE/.apt$([ "$ARCH" = riscv64 ] || echo "-$ARCH")
mkdir -p "$APT/lists/partial" "$APT/archives/partial"
echo "deb [arch=$ARCH] $mirror $SUITE main" >"$APT/sources.list"
O=(-o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Dir::Cache::Archives=$APT/archives"
  -o "APT::Architectures::=$ARCH" -o "APT::Architecture=$ARCH" -o APT::Sandbox::User=root)

# Refresh the private package lists at most once a day.
stamp=$APT/lists/.updated
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
  say "updating the private $ARCH package lists ($SUITE)"
  mkdir -p "$APT/cache"
  apt-get "${O[@]}" -q update >&2 || die "apt-get update failed"
  touch "$stamp"
fi

for pkg in "${todo[@]}"; do
  names=("$pkg")
  if [ $WITH_DEPS = 1 ]; then
    # Real packages only: apt-cache prints virtual ones as <name>.
    mapfile -t names < <(apt-cache "${O[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "$pkg" | grep -E '^[a-z0-9]' | sort -u)
    [ ${#names[@]} -gt 0 ] || die "Cannot resolve the dependencies of $pkg"
  fi
  work=$(mktemp -d "$CACHE/.work-XXXXXX")
  say "downloading ${names[*]}"
  (cd "$work" && apt-get "${O[@]}" -q download "${names[@]}" >&2) || {
    rm -rf "$work"
    die "apt-get download failed for $pkg"
  }
  mkdir "$work/root"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  if [ $WITH_DEPS = 1 ]; then
    # Merged /usr: the dynamic loader is looked up as /lib/ld-linux-*.so.1, and
    # the links that provide /lib come from packages a sysroot does not need.
    for d in lib bin sbin; do
      [ -e "$work/root/$d" ] || [ ! -d "$work/root/usr/$d" ] || ln -s "usr/$d" "$work/root/$d"
    done
  fi
  echo "$mode" >"$work/root/$MARKER"
  rm -rf "${CACHE:?}/$pkg"
  mv "$work/root" "$CACHE/$pkg"
  rm -rf "$work"
  say "$pkg extracted into $CACHE/$pkg ($mode, ${#names[@]} package(s))"
done
