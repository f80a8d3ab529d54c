#!/bin/bash
# Draws the model card's figures (models/figures/) from the bundled twins with the ordo CLI, so
# that the card's pictures are what `ordo` computes on the models it ships:
#   compare-pe.svg        ordo compare-pe over the six twins: accuracy by position bucket to 8x
#                         the training length, order sensitivity, position structure
#   heads-<kind>.svg      ordo heads: every twin's layers x heads grid, positional or content
#   decompose-<kind>.svg  ordo pe --decompose: word and position recovered from their sum (the
#                         twins whose encoding is added to the input)
# (heldout-curves.svg is drawn from the training logs by make_models.sh's evaluate stage.)
# Each command's --json report goes to DATA, from which tools/train/card_tables.py then writes
# the card's tables.
#
# Usage (from the repository root, after a build): tools/train/draw_figures.sh [ORDO]
#   ORDO: the ordo executable (default: build/tools/ordo)
#   DATA (environment): where the JSON reports go (default /tmp/ordo-figures)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
ordo=${1:-$repo/build/tools/ordo}
[ -x "$ordo" ] || { echo "draw_figures.sh: no ordo executable at $ordo (build first)" >&2; exit 2; }
models=$repo/models
figures=$models/figures
data=${DATA:-/tmp/ordo-figures}
mkdir -p "$figures" "$data"
twins="none sinusoidal learned rotary alibi relative-bias"
for kind in $twins; do
  [ -f "$models/ordo-$kind/config.json" ] || { echo "draw_figures.sh: $models/ordo-$kind is missing" >&2; exit 2; }
done

echo "== compare-pe -> $figures/compare-pe.svg"
# shellcheck disable=SC2046  # one argument per twin directory
"$ordo" compare-pe $(for kind in $twins; do echo "$models/ordo-$kind"; done) \
  --svg "$figures/compare-pe.svg" --json >"$data/compare-pe.json"
for kind in $twins; do
  echo "== heads, ordo-$kind -> $figures/heads-$kind.svg"
  "$ordo" heads --model "$models/ordo-$kind" --svg "$figures/heads-$kind.svg" --json \
    >"$data/heads-$kind.json"
done
for kind in sinusoidal learned; do
  echo "== pe --decompose, ordo-$kind -> $figures/decompose-$kind.svg"
  "$ordo" pe --decompose --model "$models/ordo-$kind" --svg "$figures/decompose-$kind.svg" \
    --json >"$data/decompose-$kind.json"
done
echo "== the card's tables (models/README.md) from the JSON reports in $data"
/usr/bin/python3 "$repo/tools/train/card_tables.py" --data "$data" --models "$models"
