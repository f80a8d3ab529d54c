#!/bin/bash
# Regenerate ordo's bundled twins from scratch, in order:
#   corpus -> SentencePiece -> train each twin -> export -> evaluate
#
# Usage (from the repository root):
#   tools/train/make_models.sh [WORKDIR]        # WORKDIR defaults to /tmp/ordo-train
# Environment: STEPS (default 16000), PYTHON (default /usr/bin/python3), NICE (default 19),
#   TWINS (default "none sinusoidal learned rotary alibi relative_bias"), PARALLEL (twins
#   trained at once, one thread each; default 2),
#   FROM=corpus|spm|train|export|evaluate to resume at that stage, reusing the earlier
#   stages' outputs in WORKDIR (default: corpus, i.e. everything from scratch). An
#   interrupted twin resumes from its last checkpoint when the train stage runs again.
#   MODELS (default: the repository's models/): where the export and evaluate stages put the
#   twins (MODELS/ordo-<kind>), the held-out text and the curves figure. A twin finished at a
#   new budget before the others can be exported on its own into a staging directory
#   (MODELS=models/next TWINS=<kind> FROM=export) and committed there, so no machine loses it.
# Needs Debian packages: python3-torch python3-numpy python3-sentencepiece sentencepiece
# man-db groff-base bsdextrautils (col) and the data packages debian-reference-en
# debian-reference-zh-cn manpages manpages-dev manpages-zh.
# Everything runs under `nice`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/ordo-train}
steps=${STEPS:-16000}
python=${PYTHON:-/usr/bin/python3}
run="nice -n ${NICE:-19}"
twins=${TWINS:-none sinusoidal learned rotary alibi relative_bias}
parallel=${PARALLEL:-2}
stages="corpus spm train export evaluate"
from=${FROM:-corpus}
case " $stages " in *" $from "*) ;; *) echo "FROM must be one of: $stages" >&2; exit 2 ;; esac
# want STAGE: true if STAGE is at or after $from
want() { case " ${stages#*$from} " in *" $1 "*) return 0 ;; esac; [ "$1" = "$from" ]; }
models=$(mkdir -p "${MODELS:-$repo/models}" && cd "${MODELS:-$repo/models}" && pwd)
model_dir() { echo "$models/ordo-${1//_/-}"; }  # relative_bias -> ordo-relative-bias
mkdir -p "$work"

if want corpus; then
echo "== 1/5 corpus -> $work/corpus"
$run "$python" "$here/build_corpus.py" "$work/corpus" --seed 1234 | tee "$work/corpus.log"
fi

if want spm; then
echo "== 2/5 SentencePiece unigram tokenizer -> $work/spm"
mkdir -p "$work/spm"
# The trainer spec (input path, prefix) is stored in the .model, so run from fixed relative paths.
# One thread: spm_train 0.1.97 with --num_threads=2 can give different vocabularies from the
# same input and seed; single-threaded it is reproducible.
# Full character coverage + byte fallback: rare CJK characters (猫 occurs 5 times in the corpus)
# get their own piece instead of [UNK], and anything unseen falls back to UTF-8 bytes.
# No dummy prefix: with one, a text's first word gets a "▁" it has nowhere else, so 我吃饭了
# began with ▁我 and 吃饭了我 ended with 我 — not a permutation of the same pieces.
(cd "$work" && $run spm_train \
    --input=corpus/train.txt --model_prefix=spm/ordo \
    --model_type=unigram --vocab_size=8000 --character_coverage=1.0 --byte_fallback=true \
    --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 \
    --pad_piece='[PAD]' --unk_piece='[UNK]' --control_symbols='[CLS],[SEP],[MASK]' \
    --input_sentence_size=1000000 --shuffle_input_sentence=true --random_seed=1234 \
    --add_dummy_prefix=false --num_threads=1 >spm/train.log 2>&1)
tail -n 3 "$work/spm/train.log"
fi

if want train; then
echo "== 3/5 train the twins ($steps steps each, $parallel at a time): $twins"
# One thread per twin: two single-threaded runs get more steps per second from two cores than
# one run with two threads. Rerunning resumes each twin from OUT/resume.pt.
# A twin with a final checkpoint and no resume.pt is done: it is not trained again.
# glibc keeps freed blocks instead of returning each large one to the kernel: a step's tensors
# are allocated again every step, and the page faults cost 6-7% of the time (0.45 against
# 0.48 s a step on Zen 5); the parameters after 18 steps are the same (their sum to 10 digits).
printf '%s\n' $twins | OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
  MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_TOP_PAD_=536870912 \
  xargs -P "$parallel" -I{} \
    sh -c 'if [ -f "$2/{}/checkpoint.pt" ] && [ ! -f "$2/{}/resume.pt" ]; then
             echo "{}: already trained"; exit 0; fi
           /usr/bin/time -f "{} wall %e s" '"$run"' "$0" "$1/train_mlm.py" --pe {} \
        --train "$2/corpus/train.txt" --heldout "$2/corpus/heldout.txt" \
        --spm "$2/spm/ordo.model" --steps "$3" --threads 1 --out "$2/{}" >"$2/train-{}.log" 2>&1 \
        && tail -n 1 "$2/train-{}.log"' "$python" "$here" "$work" "$steps"
fi

if want export; then
echo "== 4/5 export -> $models"
for pe in $twins; do
    $run "$python" "$here/export_model.py" --checkpoint "$work/$pe/checkpoint.pt" \
        --spm "$work/spm/ordo.model" --out "$(model_dir "$pe")"
    cp "$work/$pe/train_log.tsv" "$work/$pe/heldout_log.tsv" "$work/$pe/run.json" "$(model_dir "$pe")/"
    # How far the learned table moved from its random start (the model card's learned-table table).
    if [ "$pe" = learned ]; then $run "$python" "$here/learned_table.py" "$(model_dir "$pe")"; fi
done
cp "$work/corpus/heldout.txt" "$models/heldout.txt"
cp "$work/corpus/corpus_stats.json" "$models/corpus_stats.json"
fi

echo "== 5/5 evaluate"
dirs=$(for pe in $twins; do model_dir "$pe"; done)
# shellcheck disable=SC2086  # one argument per twin directory
$run "$python" "$here/evaluate.py" --heldout "$models/heldout.txt" \
    --train "$work/corpus/train.txt" --json "$work/eval.json" --save-in-model-dirs $dirs \
    | tee "$work/eval.log"
# shellcheck disable=SC2086
mkdir -p "$models/figures"
"$python" "$here/plot_curves.py" --out "$models/figures/heldout-curves.svg" $dirs
