#!/usr/bin/python3
"""Write a random-weight checkpoint twice: for ordo and for ONNX Runtime.

Usage (Debian's python3-torch + python3-numpy; no `onnx`, `safetensors` or
`transformers` needed):

    /usr/bin/python3 tools/bench/make_synthetic.py OUT_DIR --shape SHAPE [--seed N]

SHAPE is minilm or bert-base (BERT layout, below), or one of the families of
family_synthetic.py at base size, each in its real layout: mpnet-base, nomic-v1.5,
jina-v2-base, gte-base, modernbert-base (ModernBERT-base, local attention on all but every
3rd layer) and modernbert-base-global (the same weights, every layer global).

OUT_DIR receives
  config.json         Hugging Face config (BERT: model_type bert, absolute positions;
                      a family: the keys its real config.json has)
  model.safetensors   F32 weights under the Hugging Face names, [out][in]
  model.onnx          the same model exported by torch.onnx.export (TorchScript
                      exporter, opset 14 by default), inputs input_ids /
                      attention_mask (+ token_type_ids where the family has token
                      types: BERT, nomic-v1.5, jina-v2-base; int64, dynamic batch and
                      sequence), output last_hidden_state [batch, seq, hidden]
  synthetic.json      what was generated (shape, seed, opset, ONNX inputs, export check)

BERT: the exported module is ordo_tools.bert.Bert (tools/py): plain torch.nn
(Embedding, Linear, LayerNorm, GELU, softmax) written in the same order as
Hugging Face's BertModel, so ONNX Runtime's BERT fusions
(EmbedLayerNormalization, Attention, SkipLayerNorm, Gelu) can match it the way
they match a real exported BERT. Its parameter names ARE the Hugging Face
names, so the very arrays written to model.safetensors are loaded into it with
load_state_dict(strict=True). A family: the PyTorch port of its fixture script
(tools/make_*_fixture.py), see family_synthetic.py.

Export check: unless --no-check, the script runs the torch module and ONNX
Runtime (through tools/bench/ort_bench.js, since the onnxruntime Python
package is not installable here) on a few id batches of different shapes,
with and without padding, and fails if max |torch - ORT| > 1e-4 at real
(unpadded) positions. For the families the check adds a batch of 300 and 140
tokens (past ModernBERT's 128-token window and MPNet's 128-position bucket range)
and fails if the output has a NaN or does not vary over positions.

BERT weights: normal(0, 0.02) for embeddings, projections and biases (like a real
BERT init, but with non-zero biases so they are exercised); LayerNorm weight
1 + normal(0, 0.02), bias normal(0, 0.02). The families: the fixture scripts'
initialisation (family_synthetic.py). Deterministic for a given seed.

Exit status: 0 written, 1 the export check failed, 2 a usage error.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))  # tools/py: the ordo_tools package
from ordo_tools.bert import Bert  # noqa: E402
from ordo_tools.safetensors import write_safetensors  # noqa: E402

from family_synthetic import FAMILIES, family  # noqa: E402  (beside this script)

HERE = os.path.dirname(os.path.abspath(__file__))

SHAPES = {
    # name: layers, hidden, heads, ffn, vocab, positions
    "minilm": dict(num_hidden_layers=6, hidden_size=384, num_attention_heads=12,
                   intermediate_size=1536, vocab_size=30522, max_position_embeddings=512),
    "bert-base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12,
                      intermediate_size=3072, vocab_size=30522, max_position_embeddings=512),
}


def bert_config(shape: str) -> Dict[str, object]:
    config: Dict[str, object] = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "type_vocab_size": 2,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "ordo_synthetic_shape": shape,
    }
    config.update(SHAPES[shape])
    return config


# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------

def random_weights(model: nn.Module, seed: int) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = {}
    for name, param in sorted(model.state_dict().items()):
        shape = tuple(param.shape)
        noise = rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02)
        if name.endswith("LayerNorm.weight"):
            noise += np.float32(1.0)
        weights[name] = noise
    return weights


# ---------------------------------------------------------------------------
# Export and check
# ---------------------------------------------------------------------------

BERT_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def export_onnx(model: nn.Module, path: str, opset: int, inputs: List[str]) -> None:
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]])
    example = {"input_ids": ids, "attention_mask": (ids != 0).to(torch.int64),
               "token_type_ids": torch.zeros_like(ids)}
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            model, tuple(example[name] for name in inputs), path,
            input_names=inputs, output_names=["last_hidden_state"],
            dynamic_axes={name: axes for name in inputs + ["last_hidden_state"]},
            opset_version=opset, do_constant_folding=True)


def check_batches(vocab: int, long_rows: bool) -> List[Dict[str, list]]:
    rng = np.random.default_rng(7)
    batches = []
    shapes = [[16], [128], [37, 37, 37], [50, 9], [128, 100, 64, 3, 128]]
    for lengths in shapes + ([[300, 140]] if long_rows else []):
        longest = max(lengths)
        ids = np.zeros((len(lengths), longest), dtype=np.int64)
        types = np.zeros_like(ids)
        for row, n in enumerate(lengths):
            ids[row, :n] = rng.integers(5, vocab, size=n)
            types[row, n // 2:n] = 1  # exercise the second token type too
        mask = np.zeros_like(ids)
        for row, n in enumerate(lengths):
            mask[row, :n] = 1
        batches.append({"input_ids": ids.tolist(), "attention_mask": mask.tolist(),
                        "token_type_ids": types.tolist()})
    return batches


def check_export(model: nn.Module, out_dir: str, vocab: int, inputs: List[str],
                 long_rows: bool) -> float:
    """max |torch - ORT| over real positions of several batches (ORT via ort_bench.js);
    inf if either has a NaN or the hidden states do not vary over the real positions."""
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, batch in enumerate(check_batches(vocab, long_rows)):
            ids_path = os.path.join(tmp, f"ids{i}.json")
            out_path = os.path.join(tmp, f"ort{i}.npy")
            with open(ids_path, "w") as f:
                json.dump(batch, f)
            subprocess.run(["node", os.path.join(HERE, "ort_bench.js"), "check",
                            "--model", os.path.join(out_dir, "model.onnx"),
                            "--ids", ids_path, "--npy", out_path, "--threads", "1"],
                           check=True)
            ort = np.load(out_path)
            with torch.no_grad():
                ref = model(*(torch.tensor(batch[k]) for k in inputs)).numpy()
            real = np.array(batch["attention_mask"], dtype=bool)
            delta = float(np.max(np.abs(ort - ref)[real]))
            spread = float(ref[real].std(axis=0).mean())  # over positions, mean over features
            print(f"  export check batch {ort.shape[0]}x{ort.shape[1]}: "
                  f"max |torch - ORT| = {delta:.3g}, spread over positions {spread:.3g}")
            if not (np.isfinite(ref[real]).all() and spread > 1e-2):
                print(f"error: {out_dir}: degenerate output (NaN, or hidden states that do "
                      f"not vary over positions: {spread:.3g})", file=sys.stderr)
                delta = float("inf")
            worst = max(worst, delta)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--shape", choices=sorted(SHAPES) + list(FAMILIES), default="minilm")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--opset", type=int, default=14)
    parser.add_argument("--no-check", action="store_true",
                        help="skip the torch-vs-ONNX Runtime check (needs node + onnxruntime-node)")
    args = parser.parse_args()

    torch.set_num_threads(1)
    os.makedirs(args.out_dir, exist_ok=True)
    if args.shape in FAMILIES:
        config, weights, model, inputs = family(args.shape, args.seed)
    else:
        config, inputs = bert_config(args.shape), BERT_INPUTS
        model = Bert(config).eval()
        weights = random_weights(model, args.seed)
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    for p in model.parameters():
        p.requires_grad_(False)

    with open(os.path.join(args.out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    write_safetensors(os.path.join(args.out_dir, "model.safetensors"),
                      {name: ("F32", array) for name, array in weights.items()}, {"format": "pt"})
    export_onnx(model, os.path.join(args.out_dir, "model.onnx"), args.opset, inputs)

    info = {"shape": args.shape, "seed": args.seed, "opset": args.opset, "inputs": inputs,
            "torch": torch.__version__, "parameters": int(sum(v.size for v in weights.values()))}
    if not args.no_check:
        worst = check_export(model, args.out_dir, config["vocab_size"], inputs,
                             long_rows=args.shape in FAMILIES)
        info["max_abs_torch_vs_ort"] = worst
        if worst > 1e-4:
            print(f"error: ONNX export disagrees with torch: max |delta| {worst:.3g} > 1e-4",
                  file=sys.stderr)
            return 1
    with open(os.path.join(args.out_dir, "synthetic.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"wrote {args.shape} (seed {args.seed}, {info['parameters']} parameters) "
          f"to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
