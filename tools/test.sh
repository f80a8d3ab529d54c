#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. warnings-as-errors Release build (shared libordo), every test through CTest, including
#      the install of the package and the example built against it, and the numeric and kernel
#      suites again under ORDO_ISA=avx2 and ORDO_ISA=generic (CTest label `isa`: the paths of a
#      CPU without AVX-512);
#   2. the same with a static libordo.a, built with AddressSanitizer + UndefinedBehaviorSanitizer
#      (without the `isa` reruns: what they switch to is oneDNN code, which ASan does not see;
#      ordo's side of those paths, Kernel::onednn and plain weights, runs in the main suites);
#   3. the concurrency tests built with ThreadSanitizer;
#   4. clang-format check of the C++ sources;
#   5. static analysis: clang-tidy and cppcheck (tools/lint.sh);
#   6. fuzzing: every seed and past crash replayed, then each libFuzzer target run for
#      ORDO_FUZZ_SECONDS (default 45) under ASan + UBSan (fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-deps.sh

echo "== build (Release, -Werror) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DORDO_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== build with AddressSanitizer + UBSan (static libordo) and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORDO_WERROR=ON \
  -DORDO_SANITIZE=address,undefined -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
# oneDNN's JIT and OpenMP runtime are not instrumented; leaks are checked, ODR is not.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -LE isa

echo "== build the concurrency tests with ThreadSanitizer and run them"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORDO_WERROR=ON \
  -DORDO_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$(nproc)" --target test_concurrency test_model_concurrency
# libgomp is not built with TSan: it cannot see the synchronisation inside OpenMP's own
# barriers and would report races that are not there. With one OpenMP thread every parallel
# region runs on the calling thread, so what TSan checks is ordo's sharing between the
# application's threads. oneDNN's JIT kernels are not instrumented either; the bit-for-bit
# comparison in the tests covers what they write. No suppressions: any report fails the stage.
for test in test_concurrency test_model_concurrency; do
  OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 "build-tsan/tests/$test" --gtest_brief=1
done

echo "== clang-format"
git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run -Werror

echo "== static analysis"
tools/lint.sh

echo "== fuzzing, ${ORDO_FUZZ_SECONDS:-45} s per target"
fuzz/run.sh replay
fuzz/run.sh all "${ORDO_FUZZ_SECONDS:-45}"
echo "all checks passed"
