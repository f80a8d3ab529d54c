#!/usr/bin/python3
"""Export a train_mlm.py checkpoint to a Hugging Face style model directory.

Usage: export_model.py --checkpoint WORK/sinusoidal/checkpoint.pt --spm WORK/spm/ordo.model \
                       --out models/ordo-sinusoidal
Writes config.json, model.safetensors (F16, BertForMaskedLM names; the decoder is
tied to bert.embeddings.word_embeddings.weight and not stored), tokenizer.model,
tokenizer_config.json and special_tokens_map.json.
"""
import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))  # tools/py: the ordo_tools package
from ordo_tools import mlm  # noqa: E402  (first: sets the thread environment before torch loads)
from ordo_tools.bert import BertForMaskedLM, load_model_dir  # noqa: E402
from ordo_tools.safetensors import write_safetensors  # noqa: E402

import torch  # noqa: E402

SPECIAL = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]",
           "sep_token": "[SEP]", "mask_token": "[MASK]"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--spm", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    ckpt = torch.load(args.checkpoint, map_location="cpu")
    cfg, state = ckpt["config"], ckpt["state_dict"]
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    st_path = os.path.join(args.out, "model.safetensors")
    write_safetensors(st_path, {name: ("F16", tensor.detach().to(torch.float16).cpu().numpy())
                                for name, tensor in state.items()}, metadata={"format": "pt"})
    shutil.copyfile(args.spm, os.path.join(args.out, "tokenizer.model"))
    tok_cfg = dict(SPECIAL, do_lower_case=False, sp_model="tokenizer.model", id_scheme="native",
                   template="[CLS] A [SEP] B [SEP]",
                   special_token_ids={v: i for i, v in enumerate(SPECIAL.values())})
    if cfg["position_embedding_type"] == "absolute":
        # Only a learned table bounds the length; the other kinds run any length (extrapolation
        # is what the lab measures), so their tokenizers declare no maximum.
        tok_cfg["model_max_length"] = cfg["max_position_embeddings"]
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "special_tokens_map.json"), "w") as f:
        json.dump(SPECIAL, f, indent=2)
        f.write("\n")

    # Round-trip check: the exported F16 file must load and match the F32 model closely.
    _, reloaded = load_model_dir(args.out)
    original = BertForMaskedLM(cfg)
    original.load_state_dict(state)
    original.eval()
    ids = torch.randint(mlm.FIRST_ORDINARY_ID, cfg["vocab_size"], (2, 64),
                        generator=torch.Generator().manual_seed(0))
    ids[:, 0], ids[:, -1] = mlm.CLS_ID, mlm.SEP_ID
    mask = torch.ones_like(ids)
    with torch.no_grad():
        a = original.bert(ids, mask)
        b = reloaded.bert(ids, mask)
    size = os.path.getsize(st_path)
    print(f"{st_path}: {size} bytes ({size / 2**20:.2f} MiB), {len(state)} tensors; "
          f"max |hidden(F32) - hidden(F16 weights)| = {(a - b).abs().max().item():.3g}")


if __name__ == "__main__":
    main()
