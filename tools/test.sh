#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. warnings-as-errors Release build, every GoogleTest suite through CTest;
#   2. the same suites built with AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. clang-format check of the C++ sources;
#   4. static analysis: clang-tidy and cppcheck (tools/lint.sh);
#   5. fuzzing: every seed and past crash replayed, then each libFuzzer target run for
#      ORDO_FUZZ_SECONDS (default 45) under ASan + UBSan (fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-deps.sh

echo "== build (Release, -Werror) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DORDO_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== build with AddressSanitizer + UBSan and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORDO_WERROR=ON \
  -DORDO_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$(nproc)"
# oneDNN's JIT and OpenMP runtime are not instrumented; leaks are checked, ODR is not.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)"

echo "== clang-format"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror

echo "== static analysis"
tools/lint.sh

echo "== fuzzing, ${ORDO_FUZZ_SECONDS:-45} s per target"
fuzz/run.sh replay
fuzz/run.sh all "${ORDO_FUZZ_SECONDS:-45}"
echo "all checks passed"
