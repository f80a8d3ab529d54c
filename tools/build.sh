#!/usr/bin/env bash
# Installs what is missing, then configures and builds ordo into build/ (Release).
# Extra arguments go to the CMake configure step, e.g. tools/build.sh -DORDO_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
