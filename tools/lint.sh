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
echo "== aarch64: every source compiles for a CPU without x86 code (warnings are errors)"
# ordo's x86 code (kernels, <immintrin.h>, __builtin_cpu_supports) must sit under ORDO_X86, so
# that the build works on aarch64, where the level is always generic. Debian's cross g++ checks
# each source of the compile database with its own flags; headers only the host has (oneDNN,
# nlohmann, SentencePiece, httplib) come from /usr/include after the cross compiler's own.
/usr/bin/python3 - "$build/compile_commands.json" "$jobs" <<'PY'
import json, shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
database, jobs = sys.argv[1], int(sys.argv[2])
def check(entry):
    # cpp-httplib's own feature switches pull in OpenSSL's per-architecture configuration
    # header, which only the host's multiarch directory has; they are not ordo's code.
    flags = [f for f in shlex.split(entry["command"])
             if f.startswith(("-I", "-D", "-std=")) and not f.startswith("-DCPPHTTPLIB_")]
    # Compiled (-c at -O0), not only parsed: -fsyntax-only misses the warnings GCC gives after
    # parsing, such as a function left unused off x86 (bf16_linear.cpp broke the -Werror
    # aarch64 build so, unseen).
    command = ["aarch64-linux-gnu-g++", "-c", "-o", "/dev/null", "-fopenmp", "-Wall", "-Wextra",
               "-Werror", "-idirafter", "/usr/include", *flags, entry["file"]]
    result = subprocess.run(command, cwd=entry["directory"], capture_output=True, text=True)
    return entry["file"], result.returncode, result.stderr
entries = [e for e in json.load(open(database)) if "/fuzz/" not in e["file"]]
failed = 0
with ThreadPoolExecutor(jobs) as pool:
    for path, code, errors in pool.map(check, entries):
        if code != 0:
            failed += 1
            print(f"aarch64: {path}\n{errors}", file=sys.stderr)
print(f"aarch64: {len(entries) - failed} of {len(entries)} sources compile")
sys.exit(1 if failed else 0)
PY
echo "lint: clean"
