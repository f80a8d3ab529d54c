#!/usr/bin/python3
"""How far a learned position table travelled in training: from its random start, and from
the sinusoid. Writes MODEL_DIR/position_table.json, which the model card's `learned-table`
table is made from (tools/train/card_tables.py).

The starting table is drawn again exactly as train_mlm.py drew it (BertForMaskedLM.init_weights
with the seed, embed_init_std and position_init of the twin's run.json: the position table has
its own generator, so nothing else needs to be drawn the same way). Measured on the exported
F16 table, which is what ordo runs:
  row_cosine_with_initial    per row, cosine between the final and the initial row
  rms / initial_rms / change_rms
  row_cosine_with_sinusoid   per row, cosine with the interleaved sinusoid's row (the table
                             the sinusoidal twin adds): is the table its own?
  change_correlation         mean cosine between what training added to rows p and p + d:
                             has what it learned the shape of distance?

Usage: learned_table.py MODEL_DIR   (a twin with position_embedding_type "absolute")
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))  # tools/py: the ordo_tools package
from ordo_tools import mlm  # noqa: E402,F401  (first: sets the thread environment before torch loads)
from ordo_tools.bert import BertForMaskedLM, load_model_dir  # noqa: E402
from ordo_tools.sinusoid import sinusoidal_table  # noqa: E402

import numpy as np  # noqa: E402

TABLE = "bert.embeddings.position_embeddings.weight"
DISTANCES = [1, 2, 4, 8, 16, 32, 64]


def row_cosines(a, b):
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def rms(x):
    return float(np.sqrt((x.astype(np.float64) ** 2).mean()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", type=Path)
    args = ap.parse_args()
    cfg, model = load_model_dir(args.model_dir)
    if cfg.get("position_embedding_type") != "absolute":
        sys.exit(f"learned_table.py: {args.model_dir}/config.json: position_embedding_type is "
                 f"{cfg.get('position_embedding_type')!r}, not 'absolute' (a learned table)")
    with open(args.model_dir / "run.json", encoding="utf-8") as f:
        run = json.load(f)
    final = model.state_dict()[TABLE].numpy().astype(np.float64)
    start = BertForMaskedLM(cfg)
    start.init_weights(run["seed"], embed_std=run["embed_init_std"],
                       position_init=run["position_init"])
    initial = start.state_dict()[TABLE].numpy().astype(np.float64)
    sinusoid = sinusoidal_table(*final.shape, blocked=False).astype(np.float64)
    change = final - initial

    def summary(values):
        return {"mean": float(values.mean()), "min": float(values.min()),
                "max": float(values.max())}

    report = {
        "model": args.model_dir.name, "rows": final.shape[0], "hidden": final.shape[1],
        "seed": run["seed"], "position_init": run["position_init"],
        "embed_init_std": run["embed_init_std"], "steps": run["steps"],
        "rms": rms(final), "initial_rms": rms(initial), "change_rms": rms(change),
        "row_cosine_with_initial": summary(row_cosines(final, initial)),
        "row_cosine_with_sinusoid": summary(row_cosines(final, sinusoid)),
        "change_correlation": {str(d): float(row_cosines(change[:-d], change[d:]).mean())
                               for d in DISTANCES},
    }
    out = args.model_dir / "position_table.json"
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"{out}: rows keep cosine {report['row_cosine_with_initial']['mean']:.3f} with their "
          f"start, {report['row_cosine_with_sinusoid']['mean']:.3f} with the sinusoid")


if __name__ == "__main__":
    main()
