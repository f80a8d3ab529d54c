#!/bin/bash
# Draws the model card's figures (models/figures/) from the bundled twins with the ordo CLI, so
# that the card's pictures are what `ordo` computes on the models it ships, and writes the
# card's tables from the same runs (tools/train/card_tables.py):
#   compare-pe.svg        ordo compare-pe over the six twins: accuracy by position bucket to 8x
#                         the training length, order sensitivity, position structure
#   heads-<kind>.svg      ordo heads: every twin's layers x heads grid, positional or content
#   decompose-<kind>.svg  ordo pe --decompose: word and position recovered from their sum (the
#                         twins whose encoding is added to the input)
# (heldout-curves.svg is drawn from the training logs by make_models.sh's evaluate stage.)
#
# Usage (from the repository root, after a build): tools/train/draw_figures.sh [ORDO]
#   ORDO: the ordo executable (default: build/tools/ordo)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
ordo=${1:-$repo/build/tools/ordo}
[ -x "$ordo" ] || { echo "draw_figures.sh: no ordo executable at $ordo (build first)" >&2; exit 2; }
models=$repo/models
for kind in none sinusoidal learned rotary alibi relative-bias; do
  [ -f "$models/ordo-$kind/config.json" ] || { echo "draw_figures.sh: $models/ordo-$kind is missing" >&2; exit 2; }
done
/usr/bin/python3 "$repo/tools/train/card_tables.py" --ordo "$ordo" --models "$models" \
  --figures "$models/figures"
