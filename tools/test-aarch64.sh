#!/usr/bin/env bash
# Builds ordo for 64-bit ARM (aarch64) and runs its tests there, under qemu-user emulation: the
# check that ordo works on a CPU without x86 code, where oneDNN runs its aarch64 kernels and ordo
# its generic paths (and `char` is unsigned).
#   tools/test-aarch64.sh [BUILD_DIR] [CTEST_ARGS...]     (default BUILD_DIR: build-aarch64)
# Installs qemu-user, debootstrap and Debian's aarch64 cross compiler (tools/setup-deps.sh
# --aarch64), unpacks Debian 12's arm64 -dev packages ordo builds against into
# BUILD_DIR/sysroot (downloaded once, about 110 MB, from ORDO_DEBIAN_MIRROR, default
# http://deb.debian.org/debian), cross-builds ordo and runs CTest; each test binary and every
# CLI the tests start runs through qemu-aarch64. Nothing is installed for arm64 on the host.
# Without CTEST_ARGS it runs the suite except the tests whose subject is x86 or the host, and
# the slowest (below): an emulated test takes 11-13x its native time.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-aarch64}
shift || true
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
sysroot="$build/sysroot"
mirror=${ORDO_DEBIAN_MIRROR:-http://deb.debian.org/debian}

"$repo/tools/setup-deps.sh" --tests --aarch64

# The arm64 packages ordo builds against (tools/setup-deps.sh's list, for the other CPU).
arm64_packages=libdnnl-dev,libsentencepiece-dev,libicu-dev,libgtest-dev,libgmock-dev,nlohmann-json3-dev,libcpp-httplib-dev,libstdc++-12-dev
if [[ ! -f "$sysroot/.ordo-complete" ]]; then
  echo "== arm64 tree: $sysroot (Debian 12 packages from $mirror)"
  rm -rf "$sysroot"
  # --foreign only downloads and unpacks (the second stage would need the arm64 CPU); the
  # requested packages are left in the tree's apt cache and unpacked here.
  debootstrap --arch=arm64 --foreign --variant=minbase --include="$arm64_packages" bookworm \
    "$sysroot" "$mirror" >"$build-debootstrap.log" 2>&1 ||
    { tail -n 20 "$build-debootstrap.log" >&2; echo "test-aarch64.sh: debootstrap failed" >&2; exit 1; }
  for deb in "$sysroot"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  touch "$sysroot/.ordo-complete"
fi

echo "== cross-build for aarch64 -> $build"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DORDO_WERROR=ON -DORDO_PYTHON=OFF \
  -DCMAKE_TOOLCHAIN_FILE="$repo/cmake/aarch64-linux-gnu.cmake" -DORDO_SYSROOT="$sysroot" >/dev/null
cmake --build "$build" -j"$(nproc)"

echo "== tests under qemu-aarch64"
if (($# == 0)); then
  # Not run emulated: the ORDO_ISA reruns (x86 levels), the huge-page test (qemu-user does not
  # pass madvise's advice on, so the kernel's page flags cannot show it), the install test (it
  # builds an example for the host), the pictures in a browser (an x86 Chromium; the SVGs are
  # checked for content in the CLI suites) and the Python-driven suites.
  # Left out for time: the threads stress test (11 minutes emulated; ThreadSanitizer covers it
  # in tools/test.sh), compare-pe's reports (2-5 minutes each) and the int8 benchmark of a
  # BERT-base shape (over 12 minutes: oneDNN's aarch64 int8 matmul is slow emulated).
  set -- -LE isa -E 'AlignedBuffer\.LargeBuffersStartOnAHugePage|InstallAndBuildExample|BrowserPictures|PythonModule|Server|DocExamples|ModelConcurrency|CliComparePe|CliBench\.Int8'
fi
# Passive OpenMP waits: spinning threads cost far more emulated.
cd "$build" && OMP_WAIT_POLICY=passive ctest -j"$(nproc)" --timeout 1800 --output-on-failure "$@"
