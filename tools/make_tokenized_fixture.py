#!/usr/bin/env python3
"""A tiny random-weight model directory WITH a tokenizer, for testing the text commands
(`ordo pair`, `encode TEXT`, `fill`) without depending on trained weights.

    /usr/bin/python3 tools/make_tokenized_fixture.py tests/fixtures/tiny_tokenized

Trains a small SentencePiece unigram model (python3-sentencepiece) on the committed tricky
strings, with ordo's special pieces ([PAD]=0 [UNK]=1 [CLS] [SEP] [MASK]) and byte fallback,
then writes random BERT weights (ordo_tools.checkpoint) sized to that vocabulary, with the
interleaved sinusoidal encoding and a random BertForMaskedLM head. Random weights still show
what the CLI must show: word order moves tokens under a positional encoding and not without.
"""
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))  # tools/py: the ordo_tools package
from ordo_tools.checkpoint import Spec, bert_config, random_bert_weights  # noqa: E402
from ordo_tools.safetensors import write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train_tokenizer(out_dir: str) -> int:
    corpus = os.path.join(ROOT, "tests", "fixtures", "tokenizer", "tricky_strings.txt")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        input=corpus, model_writer=model, model_type="unigram", vocab_size=700,
        hard_vocab_limit=False, character_coverage=1.0, byte_fallback=True,
        pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, pad_piece="[PAD]", unk_piece="[UNK]",
        control_symbols=["[CLS]", "[SEP]", "[MASK]"], num_threads=1,
        minloglevel=2)
    with open(os.path.join(out_dir, "tokenizer.model"), "wb") as f:
        f.write(model.getvalue())
    return spm.SentencePieceProcessor(model_proto=model.getvalue()).get_piece_size()


def main() -> int:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures", "tiny_tokenized")
    os.makedirs(out_dir, exist_ok=True)
    vocab = train_tokenizer(out_dir)
    spec = Spec("tiny_tokenized", 201, "sinusoidal", vocab_size=vocab, max_position_embeddings=128,
                about="random weights with a real tokenizer and an MLM head")
    weights = random_bert_weights(spec)
    rng = np.random.default_rng([spec.seed, 2])
    H = spec.hidden_size
    weights["cls.predictions.transform.dense.weight"] = rng.normal(0, 0.3, (H, H)).astype(np.float32)
    weights["cls.predictions.transform.dense.bias"] = rng.normal(0, 0.1, H).astype(np.float32)
    weights["cls.predictions.transform.LayerNorm.weight"] = rng.uniform(0.8, 1.2, H).astype(np.float32)
    weights["cls.predictions.transform.LayerNorm.bias"] = rng.uniform(-0.1, 0.1, H).astype(np.float32)
    weights["cls.predictions.bias"] = rng.normal(0, 0.1, vocab).astype(np.float32)
    names = {("bert." + k if not k.startswith("cls.") else k): ("F32", v) for k, v in weights.items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), names,
                      metadata={"format": "pt", "generator": "tools/make_tokenized_fixture.py"})
    config = bert_config(spec)
    config["architectures"] = ["BertForMaskedLM"]
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"{out_dir}: vocabulary {vocab}, hidden {H}, {spec.num_hidden_layers} layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
