#!/usr/bin/env python3
"""Reference outputs for the bundled models, computed by PyTorch on text tokenized by
Python's sentencepiece (an independent path from ordo's C++ tokenizer and engine).

    /usr/bin/python3 tools/make_bundled_reference.py          # writes tests/fixtures/bundled/

For each bundled model directory models/ordo-* it reads config.json, model.safetensors (F16,
widened to F32) and tokenizer.model; tokenizes the sentences below as [CLS] pieces [SEP] with
sentencepiece.SentencePieceProcessor; runs a reference that is not the training code
(ordo_tools.bert): for encodings added to the input (and none) the torch.nn reference of
tools/make_fixtures.py (ordo_tools.reference: nn.Embedding, nn.LayerNorm,
nn.TransformerEncoderLayer), for those inside attention the functional encoder of
tools/make_position_fixtures.py; and stores input ids, mask and last_hidden_state in
tests/fixtures/bundled/<model>.safetensors. The sentences travel in the file's __metadata__
so the C++ test tokenizes exactly the same text.
"""
import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))  # tools/py: the ordo_tools package
from ordo_tools.bert import INSIDE_ATTENTION  # noqa: E402
from ordo_tools.reference import build_reference, run_reference  # noqa: E402
from ordo_tools.safetensors import read_safetensors, write_safetensors  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/: make_position_fixtures
from make_position_fixtures import encoder_forward  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCES = [
    "猫追老鼠",
    "老鼠追猫",
    "The cat chases the mouse.",
    "The mouse chases the cat.",
    "Debian 是一个自由的操作系统，由全世界的志愿者维护。",
    "Use apt-get to install packages from the Debian archive; dpkg handles the .deb files.",
    "",
    "混合 English 和中文 text 的句子 with emoji 😀 and full-width ＡＢＣ",
]


def tokenize(processor: spm.SentencePieceProcessor, text: str):
    return ([processor.piece_to_id("[CLS]")] + processor.encode(text, out_type=int) +
            [processor.piece_to_id("[SEP]")])


MASKED = ["The cat [MASK] the mouse.", "Debian 是一个自由的[MASK]作系统。"]


def continuation_ids(processor: spm.SentencePieceProcessor, text: str):
    """The ids `text` has after a word of a longer text: behind a one-letter word, whose own
    pieces are then dropped. Without a dummy prefix, a text's leading whitespace is dropped
    and its first word gets no "▁"; after [MASK] it must keep it (" the" is "▁the", as where
    a masked word was in training)."""
    if not text[:1].isspace():
        return processor.encode(text, out_type=int)
    pieces = processor.encode("a" + text, out_type="immutable_proto").pieces
    first = next(i for i, piece in enumerate(pieces) if piece.end > 1)
    assert first > 0 and pieces[first].begin >= 1, text
    return [piece.id for piece in pieces[first:]]


def masked_ids(processor: spm.SentencePieceProcessor, text: str):
    """[CLS] pieces [SEP] with each "[MASK]" as the mask id; the text around it is
    tokenized piece by piece, as tokenizers treat special tokens, the text after a mask as a
    continuation (continuation_ids)."""
    ids = [processor.piece_to_id("[CLS]")]
    parts = text.split("[MASK]")
    for i, part in enumerate(parts):
        ids += continuation_ids(processor, part) if i > 0 else processor.encode(part, out_type=int)
        if i + 1 < len(parts):
            ids.append(processor.piece_to_id("[MASK]"))
    return ids + [processor.piece_to_id("[SEP]")]


def mlm_logits(config, weights, hidden: torch.Tensor) -> torch.Tensor:
    """BertForMaskedLM's head from torch.nn pieces: Linear, GELU (erf), LayerNorm, then the
    decoder tied to the word embeddings plus cls.predictions.bias."""
    t = lambda name: torch.from_numpy(np.array(weights[name], dtype=np.float32))
    dense = nn.Linear(config["hidden_size"], config["hidden_size"])
    norm = nn.LayerNorm(config["hidden_size"], eps=config["layer_norm_eps"])
    with torch.no_grad():
        dense.weight.copy_(t("cls.predictions.transform.dense.weight"))
        dense.bias.copy_(t("cls.predictions.transform.dense.bias"))
        norm.weight.copy_(t("cls.predictions.transform.LayerNorm.weight"))
        norm.bias.copy_(t("cls.predictions.transform.LayerNorm.bias"))
        x = norm(F.gelu(dense(hidden)))
        decoder = t("cls.predictions.decoder.weight") if "cls.predictions.decoder.weight" in weights \
            else t("bert.embeddings.word_embeddings.weight")
        return x @ decoder.T + t("cls.predictions.bias")


def reference_for(model_dir: str, out_path: str) -> None:
    config = json.load(open(os.path.join(model_dir, "config.json")))
    weights, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    # BertForMaskedLM names -> BertModel names; the MLM head is not part of the encoder.
    hf = {name[len("bert."):]: value for name, value in weights.items() if name.startswith("bert.")}
    processor = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "tokenizer.model"))
    rows = [tokenize(processor, text) for text in SENTENCES]
    longest = max(len(row) for row in rows)
    config = dict(config)
    config["max_position_embeddings"] = max(config["max_position_embeddings"], longest)
    inputs = {
        "input_ids": np.zeros((len(rows), longest), dtype=np.int64),
        "attention_mask": np.zeros((len(rows), longest), dtype=np.int64),
        "token_type_ids": np.zeros((len(rows), longest), dtype=np.int64),
    }
    for b, row in enumerate(rows):
        inputs["input_ids"][b, :len(row)] = row
        inputs["attention_mask"][b, :len(row)] = 1
    def forward(batch):
        if config["position_embedding_type"] in INSIDE_ATTENTION:
            torch_weights = {name: torch.from_numpy(np.array(value, dtype=np.float32))
                             for name, value in hf.items()}
            return encoder_forward(config, torch_weights, "", batch)
        return run_reference(build_reference(config, hf), batch)

    out = forward(inputs)
    tensors = {name: ("I64", value) for name, value in inputs.items()}
    tensors["last_hidden_state"] = ("F32", out["last_hidden_state"])

    # The MLM head on each masked sentence, run alone (batch of one).
    logits = []
    for b, text in enumerate(MASKED):
        ids = masked_ids(processor, text)
        one = {"input_ids": np.array([ids], dtype=np.int64),
               "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
               "token_type_ids": np.zeros((1, len(ids)), dtype=np.int64)}
        config["max_position_embeddings"] = max(config["max_position_embeddings"], len(ids))
        hidden = forward(one)["last_hidden_state"][0]
        positions = [i for i, token in enumerate(ids) if token == processor.piece_to_id("[MASK]")]
        logits.append(mlm_logits(config, weights, torch.from_numpy(hidden[positions])).numpy())
        tensors[f"mlm_input_ids_{b}"] = ("I64", one["input_ids"])
    tensors["mlm_logits"] = ("F32", np.concatenate(logits).astype(np.float32))
    write_safetensors(out_path, tensors, metadata={
        "sentences": json.dumps(SENTENCES, ensure_ascii=False),
        "masked_sentences": json.dumps(MASKED, ensure_ascii=False),
        "model": os.path.basename(model_dir),
        "generator": "tools/make_bundled_reference.py",
    })
    print(f"{out_path}: {len(rows)} sentences, longest {longest} tokens")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=os.path.join(ROOT, "models"))
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "fixtures", "bundled"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names = sorted(name for name in os.listdir(args.models) if name.startswith("ordo-")
                   and os.path.exists(os.path.join(args.models, name, "config.json")))
    for name in names:
        reference_for(os.path.join(args.models, name), os.path.join(args.out, name + ".safetensors"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
