#!/usr/bin/env bash
# Static analysis, as CI runs it: clang-tidy with the checks in .clang-tidy on every source file
# of engine/ models/ tokenizer/ api/ tools/ fuzz/ (through the compile database of a configure-only
# clang build in build-lint/), then cppcheck on the same directories. Any finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ORDO_LINT_BUILD:-build-lint}
jobs=${ORDO_JOBS:-$(nproc)}

# Configured with clang so the database holds flags clang-tidy understands, and with the fuzz
# targets so they are checked too. Nothing is compiled.
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DORDO_FUZZ=ON -DORDO_BUILD_TESTS=OFF >/dev/null
# tools/examples/ is an application of the installed package with its own CMake project (built
# and run by the InstallAndBuildExample test), not in this compile database.
mapfile -t sources < <(git ls-files 'engine/*.cpp' 'models/*.cpp' 'tokenizer/*.cpp' 'api/*.cpp' \
  'tools/*.cpp' 'fuzz/*.cpp' ':!tools/examples/*' ':!tools/python/*')

echo "== clang-tidy (${#sources[@]} files)"
printf '%s\n' "${sources[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy-14 -p "$build" --quiet 2>/dev/null
# The Python module is not part of a sanitized (fuzz) configuration: its own database.
cmake -S . -B "$build-python" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DORDO_BUILD_TESTS=OFF >/dev/null
echo "== clang-tidy (the Python module)"
clang-tidy-14 -p "$build-python" --quiet tools/python/ordo_python.cpp 2>/dev/null

echo "== cppcheck"
# missingReturn: cppcheck 2.10 does not follow [[noreturn]] error helpers (Where::fail,
# JsonFile::fail) and reports their callers; -Werror=return-type in every build checks this.
cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr --quiet \
  --std=c++17 --language=c++ --suppress=missingIncludeSystem --suppress=missingReturn \
  -I api/include -I engine/include -I engine -I models -I tokenizer -I tools/ordo \
  engine models tokenizer api tools/ordo fuzz
echo "lint: clean"
