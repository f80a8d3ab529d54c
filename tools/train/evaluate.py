#!/usr/bin/python3
"""Held-out masked-LM top-1 accuracy of ordo's bundled models, from the exported files.

The evaluation is defined so that the C++ tools can reproduce it exactly:
 1. Encode every line of the held-out file with the model's tokenizer.model
    (plain SentencePiece ids, no special tokens) and concatenate them, in file
    order, into one stream of pieces.
 2. Cut the stream into consecutive chunks of L-2 pieces (an incomplete last
    chunk is dropped) and frame each as [CLS] chunk [SEP]: L = 128 (the training
    length) and L = 256, 512, 1024 (2x, 4x and 8x beyond it).
 3. Masks: one SplitMix64 generator seeded with --seed (default 12345) per
    setting. For each sequence in order, for each position p = 1 .. L-2, draw
    u = (next() >> 11) * 2^-53; position p is scored iff u < 0.15 and its id
    is an ordinary piece (id >= 5, i.e. not [PAD] [UNK] [CLS] [SEP] [MASK]).
    Every scored position is replaced by [MASK] (id 4); token types all 0;
    attention mask all 1.
 4. Prediction = argmax over the whole vocabulary of the MLM head's logits,
    computed in float32 from the F16 weights. Accuracy = correct / scored.
Buckets are by the position p inside the framed sequence ([CLS] is position 0).
Baseline: always predict the most frequent ordinary piece of the train split.
The learned model has a table of 128 positions: it cannot run L > 128 ("n/a").

Usage: evaluate.py --heldout models/heldout.txt --train WORK/corpus/train.txt \
                   --json WORK/eval.json models/ordo-sinusoidal models/ordo-learned
"""
import argparse
import collections
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))  # tools/py: the ordo_tools package
from ordo_tools import mlm  # noqa: E402  (first: sets the thread environment before torch loads)
from ordo_tools.bert import load_model_dir  # noqa: E402

import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402

BUCKETS = [(0, 31), (32, 63), (64, 127), (128, 255), (256, 511), (512, 1023)]
LENGTHS = (128, 256, 512, 1024)  # the training length and 2x, 4x, 8x beyond it
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def summarize(correct, scored, is_zh, length):
    """Accuracy overall, per position bucket and per script of the target piece."""
    positions = torch.arange(correct.shape[1])[None].expand_as(correct)
    res = {"overall": acc(correct, scored)}
    for lo, hi in BUCKETS:
        if lo < length:
            res[f"{lo}-{hi}"] = acc(correct, scored & (positions >= lo) & (positions <= hi))
    res["cjk_piece_targets"] = acc(correct, scored & is_zh)  # piece contains a CJK character
    res["other_targets"] = acc(correct, scored & ~is_zh)
    return res


def acc(correct, where):
    n = int(where.sum())
    return {"accuracy": round(float((correct & where).sum()) / n, 4) if n else None, "scored": n}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dirs", nargs="+")
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--train", help="train split, for the most-frequent-piece baseline")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--save-in-model-dirs", action="store_true",
                    help="also write MODEL_DIR/eval.json for each model")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    results = {"seed": args.seed, "heldout": args.heldout, "models": {}}
    for model_dir in args.model_dirs:
        cfg, model = load_model_dir(model_dir)
        sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "tokenizer.model"))
        stream = [i for ids in mlm.encode_lines(sp, args.heldout) for i in ids]
        counts = collections.Counter(i for ids in mlm.encode_lines(sp, args.train or args.heldout)
                                     for i in ids if i >= mlm.FIRST_ORDINARY_ID)
        top_id = counts.most_common(1)[0][0]
        is_zh_piece = torch.tensor([bool(CJK.search(sp.id_to_piece(i)))
                                    for i in range(sp.get_piece_size())])
        entry = {"position_embedding_type": cfg["position_embedding_type"],
                 "heldout_pieces": len(stream),
                 "baseline_piece": {"id": top_id, "piece": sp.id_to_piece(top_id),
                                    "from": "train" if args.train else "heldout"}}
        for length in LENGTHS:
            if cfg["position_embedding_type"] == "absolute" and length > cfg["max_position_embeddings"]:
                entry[f"L{length}"] = {"note": "learned table has "
                                       f"{cfg['max_position_embeddings']} positions; "
                                       "positions >= 128 cannot be represented"}
                continue
            ids, inputs, scored = mlm.masked_eval_set(stream, length, args.seed)
            pred = mlm.predict(model, inputs)
            is_zh = is_zh_piece[ids]
            entry[f"L{length}"] = {
                "sequences": ids.shape[0],
                "model": summarize(pred == ids, scored, is_zh, length),
                "baseline": summarize(torch.full_like(ids, top_id) == ids, scored, is_zh, length),
            }
        results["models"][os.path.basename(os.path.normpath(model_dir))] = entry
        if args.save_in_model_dirs:
            with open(os.path.join(model_dir, "eval.json"), "w") as f:
                json.dump(dict(entry, seed=args.seed), f, indent=1, ensure_ascii=False)
        print(json.dumps({os.path.basename(os.path.normpath(model_dir)): entry}, ensure_ascii=False,
                         indent=1), flush=True)

    print("\n| model | L | overall | 0-31 | 32-63 | 64-127 | 128-255 | 256-511 | 512-1023 "
          "| CJK-piece targets | other targets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, entry in results["models"].items():
        for length in LENGTHS:
            block = entry[f"L{length}"]
            if "note" in block:
                print(f"| {name} | {length} | n/a: {block['note']} |" + " |" * 8)
                continue
            for who in ("model", "baseline"):
                r = block[who]
                cells = [r.get(k, {}).get("accuracy") for k in
                         ("overall", "0-31", "32-63", "64-127", "128-255", "256-511",
                          "512-1023", "cjk_piece_targets", "other_targets")]
                label = name if who == "model" else f"{name} baseline `{entry['baseline_piece']['piece']}`"
                print(f"| {label} | {length} | " + " | ".join(
                    "—" if c is None else f"{100 * c:.1f}%" for c in cells) + " |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
