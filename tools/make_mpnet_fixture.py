#!/usr/bin/python3
"""Fixture for the MPNet family: a tiny random MPNetForMaskedLM checkpoint in Hugging Face's
exact layout and a PyTorch reference of what Hugging Face's modeling code computes on it.

    /usr/bin/python3 tools/make_mpnet_fixture.py tests/fixtures/families

Source ported: transformers/src/transformers/models/mpnet/modeling_mpnet.py (MPNetEmbeddings,
MPNetSelfAttention, MPNetAttention, MPNetLayer, MPNetEncoder.compute_position_bias and
relative_position_bucket, MPNetLMHead), written out with torch.nn.functional; it shares nothing
with ordo's C++ code or with tools/py/ordo_tools/positions.py. What the port keeps from the
source, on purpose:
  - positions: create_position_ids_from_input_ids with padding_idx 1 (hard-coded in
    MPNetEmbeddings): real tokens 2, 3, ...; no token type embeddings;
  - the bias: compute_position_bias(x) calls relative_position_bucket with its defaults
    (num_buckets 32, max_distance 128), one [32, heads] table for all layers, added to
    q k^T / sqrt(d) before the mask;
  - post-LN blocks: LayerNorm(attn.o(...) + x), LayerNorm(output.dense(gelu(...)) + a);
  - the LM head: dense, exact GELU, layer_norm, decoder tied to the word table, + bias.
Writes families/mpnet_mlm/ (config.json as MPNetConfig saves it, model.safetensors,
reference.safetensors with last_hidden_state and mlm_logits) for a ragged batch whose longest
sequence (150 tokens) reaches past the 128-token bucket range.
"""
import math
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/: the family fixture helpers
from make_family_fixtures import Weights, finish, padded_ids  # noqa: E402


def relative_position_bucket(relative_position, num_buckets=32, max_distance=128):
    """modeling_mpnet.py MPNetEncoder.relative_position_bucket, transcribed."""
    ret = 0
    n = -relative_position
    num_buckets //= 2
    ret += (n < 0).to(torch.long) * num_buckets
    n = torch.abs(n)
    max_exact = num_buckets // 2
    is_small = n < max_exact
    val_if_large = max_exact + (torch.log(n.float() / max_exact) / math.log(max_distance / max_exact)
                                * (num_buckets - max_exact)).to(torch.long)
    val_if_large = torch.min(val_if_large, torch.full_like(val_if_large, num_buckets - 1))
    return ret + torch.where(is_small, n, val_if_large)


def config(H=48, L=2, heads=4, I=96, V=61, P=200, eps=1e-5):
    """MPNetConfig as it saves it (MPNetForMaskedLM), at the given size."""
    return {"architectures": ["MPNetForMaskedLM"], "attention_probs_dropout_prob": 0.1,
            "bos_token_id": 0, "eos_token_id": 2, "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1, "hidden_size": H, "initializer_range": 0.02,
            "intermediate_size": I, "layer_norm_eps": eps, "max_position_embeddings": P,
            "model_type": "mpnet", "num_attention_heads": heads, "num_hidden_layers": L,
            "pad_token_id": 1, "relative_attention_num_buckets": 32, "vocab_size": V}


def make_weights(cfg, seed):
    """Random weights under MPNetForMaskedLM's names: (Weights, the port's parameters)."""
    H, L, heads = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    I, V, P = cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"]
    w = Weights(seed)
    p = {"word": w.normal("mpnet.embeddings.word_embeddings.weight", (V, H)),
         "positions": w.normal("mpnet.embeddings.position_embeddings.weight", (P, H)),
         "emb_norm": w.norm("mpnet.embeddings.LayerNorm", H),
         "bias_table": w.normal("mpnet.encoder.relative_attention_bias.weight", (32, heads),
                                std=1.0),
         "layers": []}
    for i in range(L):
        base = f"mpnet.encoder.layer.{i}."
        p["layers"].append(dict(
            q=w.linear(base + "attention.attn.q", H, H), k=w.linear(base + "attention.attn.k", H, H),
            v=w.linear(base + "attention.attn.v", H, H), o=w.linear(base + "attention.attn.o", H, H),
            n1=w.norm(base + "attention.LayerNorm", H),
            f1=w.linear(base + "intermediate.dense", I, H), f2=w.linear(base + "output.dense", H, I),
            n2=w.norm(base + "output.LayerNorm", H)))
    p["dense"] = w.linear("lm_head.dense", H, H)
    p["head_norm"] = w.norm("lm_head.layer_norm", H)
    p["head_bias"] = w.normal("lm_head.bias", (V,))
    w.tensors["lm_head.decoder.weight"] = p["word"].clone()  # HF saves the tied decoder too
    return w, p


def position_ids(ids, pad=1, from_zero=False):
    """create_position_ids_from_input_ids: real tokens pad + 1, pad + 2, ...; padding pad.
    from_zero: BERT's count instead (only to check the fixture's sensitivity)."""
    m = (ids != pad).long()
    return (torch.cumsum(m, dim=1) - 1) * m if from_zero else torch.cumsum(m, dim=1) * m + pad


def mpnet_forward(cfg, p, ids, mask, positions, with_bias=True):
    """MPNetModel's last_hidden_state."""
    H, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    B, T = ids.shape
    d = H // heads
    h = F.layer_norm(p["word"][ids] + p["positions"][positions], (H,), *p["emb_norm"], eps)
    rp = torch.arange(T)[None, :] - torch.arange(T)[:, None]  # memory - context
    buckets = relative_position_bucket(rp)
    position_bias = F.embedding(buckets, p["bias_table"]).permute(2, 0, 1)[None]
    extended = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    split = lambda x: x.view(B, T, heads, d).transpose(1, 2)  # noqa: E731
    for layer in p["layers"]:
        q, k, v = (split(F.linear(h, *layer[n])) for n in ("q", "k", "v"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)
        if with_bias:
            scores = scores + position_bias
        probs = (scores + extended).softmax(-1)
        c = (probs @ v).transpose(1, 2).reshape(B, T, H)
        a = F.layer_norm(F.linear(c, *layer["o"]) + h, (H,), *layer["n1"], eps)
        h = F.layer_norm(F.linear(F.gelu(F.linear(a, *layer["f1"])), *layer["f2"]) + a, (H,),
                         *layer["n2"], eps)
    return h


def mpnet(out, seed):
    cfg = config()
    w, p = make_weights(cfg, seed)
    ids, mask = padded_ids([9, 5, 150], cfg["vocab_size"], cfg["pad_token_id"], seed)
    m = (ids != cfg["pad_token_id"]).long()
    positions = position_ids(ids)
    hidden = mpnet_forward(cfg, p, ids, mask, positions)
    H, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
    x = F.layer_norm(F.gelu(F.linear(hidden, *p["dense"])), (H,), *p["head_norm"], eps)
    refs = {"last_hidden_state": hidden, "mlm_logits": F.linear(x, p["word"], p["head_bias"])}
    # A loader that dropped the bias, or counted positions from 0, must fail.
    no_bias = mpnet_forward(cfg, p, ids, mask, positions, with_bias=False)
    from_zero = mpnet_forward(cfg, p, ids, mask, position_ids(ids, from_zero=True))
    sensitivity = min(float(((no_bias - hidden) * m[..., None]).abs().max()),
                      float(((from_zero - hidden) * m[..., None]).abs().max()))
    finish(out, cfg, w, ids, mask, refs, sensitivity)


def main():
    torch.set_num_threads(1)
    mpnet(os.path.join(sys.argv[1], "mpnet_mlm"), seed=21)
    return 0


if __name__ == "__main__":
    sys.exit(main())
