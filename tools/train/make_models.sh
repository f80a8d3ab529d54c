#!/bin/bash
# Regenerate ordo's two bundled models from scratch, in order:
#   corpus -> SentencePiece -> train sinusoidal -> train learned -> export -> evaluate
#
# Usage (from the repository root):
#   tools/train/make_models.sh [WORKDIR]        # WORKDIR defaults to /tmp/ordo-train
# Environment: STEPS (default 3000), PYTHON (default /usr/bin/python3), NICE (default 19),
#   FROM=corpus|spm|sinusoidal|learned|export|evaluate to resume at that stage, reusing the
#   earlier stages' outputs in WORKDIR (default: corpus, i.e. everything from scratch).
# Needs Debian packages: python3-torch python3-numpy python3-sentencepiece sentencepiece
# man-db groff-base bsdextrautils (col) and the data packages debian-reference-en
# debian-reference-zh-cn manpages manpages-dev manpages-zh.
# Everything runs under `nice`; the two models are trained one after the other.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/ordo-train}
steps=${STEPS:-3000}
python=${PYTHON:-/usr/bin/python3}
run="nice -n ${NICE:-19}"
stages="corpus spm sinusoidal learned export evaluate"
from=${FROM:-corpus}
case " $stages " in *" $from "*) ;; *) echo "FROM must be one of: $stages" >&2; exit 2 ;; esac
# want STAGE: true if STAGE is at or after $from
want() { case " ${stages#*$from} " in *" $1 "*) return 0 ;; esac; [ "$1" = "$from" ]; }
mkdir -p "$work"

if want corpus; then
echo "== 1/6 corpus -> $work/corpus"
$run "$python" "$here/build_corpus.py" "$work/corpus" --seed 1234 | tee "$work/corpus.log"
fi

if want spm; then
echo "== 2/6 SentencePiece unigram tokenizer -> $work/spm"
mkdir -p "$work/spm"
# The trainer spec (input path, prefix) is stored in the .model, so run from fixed relative paths.
# One thread: spm_train 0.1.97 with --num_threads=2 can give different vocabularies from the
# same input and seed; single-threaded it is reproducible.
# Full character coverage + byte fallback: rare CJK characters (猫 occurs 5 times in the corpus)
# get their own piece instead of [UNK], and anything unseen falls back to UTF-8 bytes.
(cd "$work" && $run spm_train \
    --input=corpus/train.txt --model_prefix=spm/ordo \
    --model_type=unigram --vocab_size=8000 --character_coverage=1.0 --byte_fallback=true \
    --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 \
    --pad_piece='[PAD]' --unk_piece='[UNK]' --control_symbols='[CLS],[SEP],[MASK]' \
    --input_sentence_size=1000000 --shuffle_input_sentence=true --random_seed=1234 \
    --num_threads=1 >spm/train.log 2>&1)
tail -n 3 "$work/spm/train.log"
fi

for pe in sinusoidal learned; do
    want "$pe" || continue
    echo "== 3-4/6 train $pe ($steps steps) -> $work/$pe"
    /usr/bin/time -f "$pe wall %e s" $run "$python" "$here/train_mlm.py" --pe "$pe" \
        --train "$work/corpus/train.txt" --spm "$work/spm/ordo.model" \
        --steps "$steps" --out "$work/$pe" 2>&1 | tee "$work/train-$pe.log"
done

if want export; then
echo "== 5/6 export -> $repo/models"
for pe in sinusoidal learned; do
    $run "$python" "$here/export_model.py" --checkpoint "$work/$pe/checkpoint.pt" \
        --spm "$work/spm/ordo.model" --out "$repo/models/ordo-$pe"
    cp "$work/$pe/train_log.tsv" "$work/$pe/run.json" "$repo/models/ordo-$pe/"
done
cp "$work/corpus/heldout.txt" "$repo/models/heldout.txt"
fi

echo "== 6/6 evaluate"
$run "$python" "$here/evaluate.py" --heldout "$repo/models/heldout.txt" \
    --train "$work/corpus/train.txt" --json "$work/eval.json" --save-in-model-dirs \
    "$repo/models/ordo-sinusoidal" "$repo/models/ordo-learned" | tee "$work/eval.log"
ls -l "$repo/models" "$repo/models/ordo-sinusoidal" "$repo/models/ordo-learned"
