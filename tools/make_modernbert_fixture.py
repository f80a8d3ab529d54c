#!/usr/bin/python3
"""Fixtures for ModernBERT (`model_type: modernbert`): tiny random checkpoints under the names
ModernBertForMaskedLM and ModernBertModel save, and a PyTorch port of their forward pass.

Source of the port: Hugging Face transformers (commit 000c33f),
src/transformers/models/modernbert/modeling_modernbert.py (ModernBertEmbeddings, ModernBertMLP,
ModernBertRotaryEmbedding, rotate_half, apply_rotary_pos_emb, eager_attention_forward,
ModernBertAttention, ModernBertEncoderLayer, ModernBertModel and its _update_attention_mask,
ModernBertPredictionHead, ModernBertForMaskedLM) and configuration_modernbert.py
(ModernBertConfig: defaults, the layer pattern from global_attn_every_n_layers, the global and
local rope_theta). Written from those files with torch.nn.functional (the eager attention path,
padded batch and masks as the source builds them); nothing is shared with ordo's C++.

Usage (Debian's python3-torch; no `transformers`):

    /usr/bin/python3 tools/make_modernbert_fixture.py tests/fixtures/families

Writes, each with config.json, model.safetensors and reference.safetensors (input_ids,
attention_mask, token_type_ids, last_hidden_state [B, T, H] zero at padding, mean_pooled [B, H]
and, with a head, mlm_logits [B, T, vocab]), for a ragged batch of 9, 70, 23 and 2 tokens, the
longer ones far past the local window:
  modernbert/          as answerdotai/ModernBERT-base (ModernBertForMaskedLM, `model.` prefix,
                       head.* and decoder.bias, decoder tied to tok_embeddings and not stored):
                       no biases in linears or norms, exact GELU, 3 layers with
                       global_attn_every_n_layers 2 (layers 0 and 2 global, 1 local),
                       local_attention 16 (|i - j| <= 8), thetas 160000 / 10000; with a
                       tokenizer.json in ModernBERT's layout (byte-level BPE, [CLS] $A [SEP],
                       [MASK] with lstrip) over 48 characters, ids 48-52 its special tokens, so
                       that `ordo fill` and `ordo encode` run on it end to end; its
                       reference adds fill_ids (FILL_TEXT tokenized by hand: one id per
                       character, a space as \u0120, [MASK] taking the space before it) and
                       fill_logits [tokens, vocab]
  modernbert_variant/  ModernBertModel names (no prefix), norm_bias, attention_bias and
                       mlp_bias true, gelu_pytorch_tanh, 4 layers every 3rd global (0 and 3),
                       local_attention 10 (|i - j| <= 5), thetas 1000 / 50, norm_eps 1e-6
Each fixture also checks that the reference is sensitive to what it tests: local attention
turned off, the two thetas swapped, Wi's halves swapped, each must change the output.
"""

import argparse
import math
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_family_fixtures import Weights, finish, padded_ids, write_json  # noqa: E402

LENGTHS = [9, 70, 23, 2]
FILL_TEXT = "the cat [MASK] on the mat, far from the door."

GENERATOR = "tools/make_modernbert_fixture.py"
# ACT2FN: "gelu" is GELUActivation (exact erf), "gelu_pytorch_tanh" the tanh approximation.
ACT = {"gelu": F.gelu, "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh")}


# ------------------------------------------------------------------ the port of the source

def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotary_cos_sin(head_dim, base, seqlen):
    """ModernBertRotaryEmbedding: compute_default_rope_parameters and forward, in float32."""
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    positions = torch.arange(seqlen)[None, :].float()
    freqs = (inv_freq[None, :, None].float() @ positions[:, None, :]).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()  # [1, seqlen, head_dim]


def layer_norm(x, params, eps):
    weight, bias = params
    return F.layer_norm(x, (weight.shape[0],), weight, bias, eps)  # a constant size: exportable


def is_global(cfg, layer_id):
    return layer_id % cfg["global_attn_every_n_layers"] == 0


def modernbert_forward(cfg, p, ids, mask, window=True, swap_thetas=False, swap_halves=False):
    H, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    d = H // heads
    eps = cfg["norm_eps"]
    B, T = ids.shape
    act = ACT[cfg["hidden_activation"]]
    # ModernBertEmbeddings: norm(tok_embeddings(ids)); dropout is the identity at inference.
    x = layer_norm(p["tok_embeddings"][ids], p["emb_norm"], eps)
    # _update_attention_mask: the 4-d padding mask (0 or finfo.min), and the sliding-window
    # mask, the same with finfo.min where |i - j| > local_attention // 2.
    lowest = torch.finfo(torch.float32).min
    global_mask = (1.0 - mask[:, None, None, :].float()) * lowest
    rows = torch.arange(T).unsqueeze(0)
    distance = torch.abs(rows - rows.T)
    window_mask = (distance <= cfg["local_attention"] // 2).unsqueeze(0).unsqueeze(0)
    sliding_mask = global_mask.masked_fill(~window_mask, lowest)
    thetas = {"full_attention": cfg["global_rope_theta"],
              "sliding_attention": cfg["local_rope_theta"]}
    if swap_thetas:
        thetas = {"full_attention": thetas["sliding_attention"],
                  "sliding_attention": thetas["full_attention"]}
    for layer_id, layer in enumerate(p["layers"]):
        layer_type = "full_attention" if is_global(cfg, layer_id) else "sliding_attention"
        # ModernBertEncoderLayer: attn_norm is nn.Identity in layer 0.
        normed = x if layer["attn_norm"] is None else layer_norm(x, layer["attn_norm"], eps)
        qkv = F.linear(normed, *layer["Wqkv"]).view(B, T, 3, heads, d)
        query, key, value = qkv.transpose(3, 1).unbind(dim=2)  # [B, heads, T, d]
        cos, sin = rotary_cos_sin(d, thetas[layer_type], T)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        query = query * cos + rotate_half(query) * sin
        key = key * cos + rotate_half(key) * sin
        scores = torch.matmul(query, key.transpose(2, 3)) * d ** -0.5
        local = not is_global(cfg, layer_id)  # ModernBertAttention.local_attention != (-1, -1)
        scores = scores + (sliding_mask if local and window else global_mask)
        probs = F.softmax(scores, dim=-1, dtype=torch.float32)
        attn = torch.matmul(probs, value).transpose(1, 2).contiguous().view(B, -1, H)
        x = x + F.linear(attn, *layer["attn_Wo"])
        # ModernBertMLP: input, gate = Wi(x).chunk(2); Wo(act(input) * gate).
        inputs, gate = F.linear(layer_norm(x, layer["mlp_norm"], eps), *layer["Wi"]).chunk(2, -1)
        if swap_halves:
            inputs, gate = gate, inputs
        x = x + F.linear(act(inputs) * gate, *layer["mlp_Wo"])
    return layer_norm(x, p["final_norm"], eps)


def masked_lm_logits(cfg, p, hidden):
    """ModernBertForMaskedLM: decoder(head(x)), head = norm(act(dense(x))), decoder tied."""
    act = ACT[cfg["classifier_activation"]]
    x = layer_norm(act(F.linear(hidden, *p["head_dense"])), p["head_norm"], cfg["norm_eps"])
    return F.linear(x, p["tok_embeddings"], p["decoder_bias"])


# ------------------------------------------------------------------ checkpoints

def linear(w, base, n_out, n_in, bias):
    weight = w.normal(base + ".weight", (n_out, n_in), 1 / math.sqrt(n_in))
    return (weight, w.normal(base + ".bias", (n_out,), 0.05)) if bias else (weight, None)


def norm(w, base, n, bias):
    weight = w.normal(base + ".weight", (n,), 0.1, 1.0)
    return (weight, w.normal(base + ".bias", (n,))) if bias else (weight, None)


def fill_ids(cfg, text):
    """tokenizer_json()'s tokenizer by hand: [CLS], a character each (space: \u0120), [MASK]
    with lstrip (the space before it is its own), [SEP]."""
    vocab = tokenizer_json(cfg)["model"]["vocab"]
    before, after = text.split(" [MASK]")
    chars = lambda part: [vocab["\u0120" if c == " " else c] for c in part]
    return [cfg["cls_token_id"]] + chars(before) + [49] + chars(after) + [cfg["sep_token_id"]]


def make_weights(cfg, prefix, with_head, seed):
    """Random weights under ModernBertModel's (with_head: ModernBertForMaskedLM's) names:
    (Weights, the port's parameters)."""
    w = Weights(seed)
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    norm_bias, attention_bias, mlp_bias = cfg["norm_bias"], cfg["attention_bias"], cfg["mlp_bias"]
    # Embeddings of std 1, as nn.Embedding's init: the embedding norm then sees real spread.
    p = {"tok_embeddings": w.normal(prefix + "embeddings.tok_embeddings.weight", (V, H), 1.0),
         "emb_norm": norm(w, prefix + "embeddings.norm", H, norm_bias), "layers": []}
    for i in range(cfg["num_hidden_layers"]):
        base = f"{prefix}layers.{i}."
        p["layers"].append({
            "attn_norm": None if i == 0 else norm(w, base + "attn_norm", H, norm_bias),
            "Wqkv": linear(w, base + "attn.Wqkv", 3 * H, H, attention_bias),
            "attn_Wo": linear(w, base + "attn.Wo", H, H, attention_bias),
            "mlp_norm": norm(w, base + "mlp_norm", H, norm_bias),
            "Wi": linear(w, base + "mlp.Wi", 2 * I, H, mlp_bias),
            "mlp_Wo": linear(w, base + "mlp.Wo", H, I, mlp_bias)})
    p["final_norm"] = norm(w, prefix + "final_norm", H, norm_bias)
    if with_head:
        p["head_dense"] = linear(w, "head.dense", H, H, cfg["classifier_bias"])
        p["head_norm"] = norm(w, "head.norm", H, norm_bias)
        p["decoder_bias"] = w.normal("decoder.bias", (V,), 0.05)
    return w, p


def make(out, cfg, prefix, with_head, seed):
    w, p = make_weights(cfg, prefix, with_head, seed)
    V = cfg["vocab_size"]
    ids, mask = padded_ids(LENGTHS, V, cfg["pad_token_id"], seed)
    refs = {}
    with torch.no_grad():
        hidden = modernbert_forward(cfg, p, ids, mask)
        m = mask[..., None].float()
        changes = {
            "window off": modernbert_forward(cfg, p, ids, mask, window=False),
            "thetas swapped": modernbert_forward(cfg, p, ids, mask, swap_thetas=True),
            "Wi halves swapped": modernbert_forward(cfg, p, ids, mask, swap_halves=True)}
        sensitivities = {name: float(((other - hidden) * m).abs().max())
                         for name, other in changes.items()}
        # The window acts only past local_attention / 2 tokens: the short rows must not change.
        short = [b for b, n in enumerate(LENGTHS) if n <= cfg["local_attention"] // 2 + 1]
        unchanged = float(((changes["window off"] - hidden) * m)[short].abs().max())
        assert unchanged < 1e-6, f"{out}: the window changed a row shorter than it ({unchanged})"
        refs["last_hidden_state"] = hidden
        refs["mean_pooled"] = (hidden * m).sum(1) / m.sum(1)
        if with_head:
            refs["mlm_logits"] = masked_lm_logits(cfg, p, hidden)
            ids_fill = torch.tensor([fill_ids(cfg, FILL_TEXT)])
            hidden_fill = modernbert_forward(cfg, p, ids_fill, torch.ones_like(ids_fill))
            refs["fill_ids"] = ids_fill[0]
            refs["fill_logits"] = masked_lm_logits(cfg, p, hidden_fill)[0]
    print(f"{out}: " + ", ".join(f"{k} {v:.3g}" for k, v in sensitivities.items()))
    finish(out, cfg, w, ids, mask, refs, min(sensitivities.values()), generator=GENERATOR)


def tokenizer_json(cfg):
    """ModernBERT's tokenizer.json layout (answerdotai/ModernBERT-base) at fixture size:
    single characters only (no merges), the special tokens at the top of the vocabulary."""
    chars = ["\u0120"] + list("abcdefghijklmnopqrstuvwxyz0123456789.,!?'-:;()\"")
    assert len(chars) == 48
    specials = {"[UNK]": 48, "[MASK]": 49, "[CLS]": cfg["cls_token_id"],
                "[SEP]": cfg["sep_token_id"], "[PAD]": cfg["pad_token_id"]}
    added = [{"id": i, "content": t, "single_word": False, "lstrip": t == "[MASK]",
              "rstrip": False, "normalized": False, "special": True}
             for t, i in sorted(specials.items(), key=lambda item: item[1])]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": True}
    special = lambda t: {"SpecialToken": {"id": t, "type_id": 0}}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "NFC"}, "pre_tokenizer": byte_level,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [special("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}},
                           special("[SEP]")],
                "pair": [special("[CLS]"), {"Sequence": {"id": "A", "type_id": 0}},
                         special("[SEP]"), {"Sequence": {"id": "B", "type_id": 0}},
                         special("[SEP]")],
                "special_tokens": {t: {"id": t, "ids": [specials[t]], "tokens": [t]}
                                   for t in ("[CLS]", "[SEP]")}},
            "decoder": byte_level,
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": "", "end_of_word_suffix": "",
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": {c: i for i, c in enumerate(chars)}, "merges": []}}


def base_config(**overrides):
    """The keys answerdotai/ModernBERT-base's config.json has, at fixture size."""
    cfg = {"architectures": ["ModernBertForMaskedLM"], "attention_bias": False,
           "attention_dropout": 0.0, "bos_token_id": 50, "classifier_activation": "gelu",
           "classifier_bias": False, "classifier_dropout": 0.0, "classifier_pooling": "mean",
           "cls_token_id": 50, "decoder_bias": True, "deterministic_flash_attn": False,
           "embedding_dropout": 0.0, "eos_token_id": 51, "global_attn_every_n_layers": 2,
           "global_rope_theta": 160000.0, "gradient_checkpointing": False,
           "hidden_activation": "gelu", "hidden_size": 32, "initializer_cutoff_factor": 2.0,
           "initializer_range": 0.02, "intermediate_size": 40, "layer_norm_eps": 1e-05,
           "local_attention": 16, "local_rope_theta": 10000.0, "max_position_embeddings": 8192,
           "mlp_bias": False, "mlp_dropout": 0.0, "model_type": "modernbert",
           "norm_bias": False, "norm_eps": 1e-05, "num_attention_heads": 2,
           "num_hidden_layers": 3, "pad_token_id": 52, "position_embedding_type": "absolute",
           "sep_token_id": 51, "tie_word_embeddings": True, "torch_dtype": "float32",
           "transformers_version": "4.48.0", "vocab_size": 53}
    cfg.update(overrides)
    return cfg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    torch.set_num_threads(1)
    j = lambda name: os.path.join(args.out_dir, name)
    make(j("modernbert"), base_config(), "model.", True, seed=41)
    write_json(j("modernbert/tokenizer.json"), tokenizer_json(base_config()))
    make(j("modernbert_variant"),
         base_config(architectures=["ModernBertModel"], norm_bias=True, attention_bias=True,
                     mlp_bias=True, hidden_activation="gelu_pytorch_tanh", num_hidden_layers=4,
                     global_attn_every_n_layers=3, local_attention=10, global_rope_theta=1000.0,
                     local_rope_theta=50.0, norm_eps=1e-6),
         "", False, seed=42)
    return 0


if __name__ == "__main__":
    sys.exit(main())
