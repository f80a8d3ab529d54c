#!/usr/bin/env bash
# Time and peak memory of the three ways to embed a file of lines, in one interleaved run:
# the CLI (`ordo encode --input FILE --output pooled --npy`), the C++ library (Model::embed,
# embed_lines.cpp) and the Python module (ordo.Model.encode, embed_lines.py); then checks that
# the three give the same vectors.
#   tools/bench/library_vs_cli.sh [LINES (default 20000)] [ROUNDS (default 3)]
# Needs a build in build/ (cmake --build build). Threads: OMP_NUM_THREADS, else all cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-20000}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# models/heldout.txt repeated until it has LINES lines: real text of many lengths.
touch "$work/lines.txt"
while (( $(wc -l <"$work/lines.txt") < lines )); do
  cat models/heldout.txt >>"$work/lines.txt"
done
head -n "$lines" "$work/lines.txt" >"$work/input.txt"
model=models/ordo-sinusoidal
export OMP_WAIT_POLICY=passive
measure() {  # label, command...: prints "label seconds peak_MB"
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  read -r seconds kilobytes <"$work/time"
  printf '%-8s %8.2f s %8.0f MB\n' "$label" "$seconds" "$((kilobytes / 1024))"
}
echo "$lines lines, model $model, OMP_NUM_THREADS=${OMP_NUM_THREADS:-all cores}, $rounds rounds"
for ((round = 1; round <= rounds; ++round)); do
  measure cli build/tools/ordo encode --model "$model" --input "$work/input.txt" --output pooled \
    --npy "$work/cli.npy"
  measure c++ build/tools/ordo_embed_lines "$work/input.txt" "$model" "$work/cpp.npy"
  measure python env PYTHONPATH=build/python /usr/bin/python3 tools/bench/embed_lines.py \
    "$work/input.txt" "$model" "$work/python.npy"
done
/usr/bin/python3 - "$work" <<'PY'
import sys
import numpy as np
work = sys.argv[1]
cli, cpp, py = (np.load(f"{work}/{name}.npy") for name in ("cli", "cpp", "python"))
print(f"max |c++ - cli| {np.abs(cpp - cli).max():.2e}, max |python - cli| {np.abs(py - cli).max():.2e}")
PY
