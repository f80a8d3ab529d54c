#!/usr/bin/python3
"""Fixtures for NomicBERT (`model_type: nomic_bert`): tiny random checkpoints under the names
NomicBertModel saves, and a PyTorch port of its forward pass.

Source of the port: Nomic's remote code, nomic-ai/contrastors (commit 613ddfd),
src/contrastors/models/huggingface/modeling_hf_nomic_bert.py (NomicBertModel, NomicBertEmbeddings,
NomicBertBlock, NomicBertAttention, NomicBertRotaryEmbedding, apply_rotary_emb, rotate_half,
NomciBertGatedMLP, NomicBertMLP) and configuration_hf_nomic_bert.py (NomicBertConfig, a
GPT2Config). Written from those files with torch.nn.functional; nothing is shared with ordo's C++.

Usage (Debian's python3-torch; no `transformers`, no `einops`):

    /usr/bin/python3 tools/make_nomic_bert_fixture.py tests/fixtures/families

Writes, each with config.json, model.safetensors and reference.safetensors (input_ids,
attention_mask, token_type_ids, last_hidden_state [B, T, H] zero at padding, mean_pooled [B, H]),
for a ragged batch of 9, 70, 23 and 2 tokens:
  nomic_bert/          as nomic-embed-text-v1.5: swiglu, rotary on all of each head with base
                       1000, NeoX halves, no attention or MLP biases, eps 1e-12, no prefix;
                       n_inner 200 (the gated MLP rounds it up to 256), vocab padded to a
                       multiple of 8, two token types
  nomic_bert_variant/  geglu, every bias, rotary on half of each head (GPT-J pairs, base 10000
                       by default), layer_norm_epsilon and n_inner absent (GPT-2's 1e-5, and
                       8/3 n_embd rounded to 256), `bert.` prefix (NomicBertForPreTraining)
  nomic_bert_learned/  rotary_emb_fraction 0: a learned position table; activation gelu_new,
                       which NomicBertMLP still computes as exact GELU; no token types
Each fixture also checks that the reference is sensitive to what it tests (gate and up swapped,
the other rotary pair layout, positions from another row): a loader that got it wrong fails.
"""

import argparse
import math
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_family_fixtures import Weights, finish, padded_ids  # noqa: E402

LENGTHS = [9, 70, 23, 2]
GENERATOR = "tools/make_nomic_bert_fixture.py"


# ------------------------------------------------------------------ the port of the source

def rotate_half(x, interleaved):
    if not interleaved:
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)  # "... d two -> ... (d two)"


def apply_rotary_emb(x, cos, sin, interleaved):
    """x (batch, seqlen, nheads, headdim); cos, sin (seqlen, rotary_dim / 2)."""
    ro_dim = cos.shape[-1] * 2
    seqlen = x.shape[1]
    cos, sin = cos[:seqlen], sin[:seqlen]
    if interleaved:  # "... d -> ... 1 (d 2)"
        cos, sin = cos.repeat_interleave(2, dim=-1), sin.repeat_interleave(2, dim=-1)
    else:  # "... d -> ... 1 (2 d)"
        cos, sin = torch.cat((cos, cos), dim=-1), torch.cat((sin, sin), dim=-1)
    cos, sin = cos[:, None, :], sin[:, None, :]
    rotated = x[..., :ro_dim] * cos + rotate_half(x[..., :ro_dim], interleaved) * sin
    return torch.cat([rotated, x[..., ro_dim:]], dim=-1)


def rotary_cos_sin(dim, base, seqlen):
    """NomicBertRotaryEmbedding._update_cos_sin_cache with pos_idx_in_fp32: all in float32."""
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    t = torch.arange(seqlen, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)
    return torch.cos(freqs), torch.sin(freqs)


def nomic_forward(cfg, p, ids, mask, types, swap_gate=False, flip_interleave=False):
    H, heads = cfg["n_embd"], cfg["n_head"]
    d = H // heads
    eps = cfg.get("layer_norm_epsilon", 1e-5)  # GPT2Config's default
    B, T = ids.shape
    fraction = cfg.get("rotary_emb_fraction", 0.0)
    # NomicBertEmbeddings: word + token type (+ position when rotary is off), then emb_ln.
    x = p["word"][ids]
    if cfg.get("type_vocab_size", 2) > 0:
        x = x + p["types"][types]
    if fraction <= 0:
        x = x + p["positions"][torch.arange(T)][None]
    x = F.layer_norm(x, (H,), *p["emb_ln"], eps)
    # get_extended_attention_mask: (1 - mask) * finfo.min, broadcast over heads and queries.
    extended = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    act = {"swiglu": F.silu, "geglu": F.gelu}.get(cfg["activation_function"])
    interleaved = cfg.get("rotary_emb_interleaved", False) != flip_interleave
    for layer in p["layers"]:
        qkv = F.linear(x, *layer["Wqkv"]).view(B, T, 3, heads, d)  # "(three h d)"
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        if fraction > 0:
            cos, sin = rotary_cos_sin(d * fraction, float(cfg.get("rotary_emb_base", 10000)), T)
            q = apply_rotary_emb(q, cos, sin, interleaved)
            k = apply_rotary_emb(k, cos, sin, interleaved)
        q, k, v = (t.permute(0, 2, 1, 3) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + extended
        attn = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        x = F.layer_norm(F.linear(attn, *layer["out_proj"]) + x, (H,), *layer["norm1"], eps)
        if act is not None:  # NomciBertGatedMLP: y = fc11(x) * act(fc12(x))
            y, gate = F.linear(x, *layer["fc11"]), F.linear(x, *layer["fc12"])
            if swap_gate:
                y, gate = gate, y
            mlp = F.linear(y * act(gate), *layer["fc2"])
        else:  # NomicBertMLP, handed F.gelu: exact GELU for every gelu name
            mlp = F.linear(F.gelu(F.linear(x, *layer["fc1"])), *layer["fc2"])
        x = F.layer_norm(mlp + x, (H,), *layer["norm2"], eps)
    return x


# ------------------------------------------------------------------ checkpoints

def linear(w, base, n_out, n_in, bias):
    weight = w.normal(base + ".weight", (n_out, n_in), 1 / math.sqrt(n_in))
    return (weight, w.normal(base + ".bias", (n_out,), 0.05)) if bias else (weight, None)


def make_weights(cfg, prefix, seed):
    """Random weights under NomicBertModel's names: (Weights, the port's parameters)."""
    w = Weights(seed)
    H = cfg["n_embd"]
    gated = cfg["activation_function"] in ("swiglu", "geglu")
    inner = cfg.get("n_inner") or (int(8 * H / 3) if gated else 4 * H)
    if gated:
        inner = (inner + 255) // 256 * 256  # NomciBertGatedMLP's multiple_of
    multiple = cfg.get("pad_vocab_size_multiple", 1)
    vocab = (cfg["vocab_size"] + multiple - 1) // multiple * multiple
    qkv_bias = cfg.get("qkv_proj_bias", True)
    fc1_bias, fc2_bias = cfg.get("mlp_fc1_bias", True), cfg.get("mlp_fc2_bias", True)
    p = {"word": w.normal(prefix + "embeddings.word_embeddings.weight", (vocab, H))}
    if cfg.get("type_vocab_size", 2) > 0:
        p["types"] = w.normal(prefix + "embeddings.token_type_embeddings.weight",
                              (cfg["type_vocab_size"], H))
    if cfg.get("rotary_emb_fraction", 0.0) <= 0:
        p["positions"] = w.normal(prefix + "embeddings.position_embeddings.weight",
                                  (cfg["n_positions"], H))
    p["emb_ln"] = w.norm(prefix + "emb_ln", H)
    p["layers"] = []
    for i in range(cfg["n_layer"]):
        base = f"{prefix}encoder.layers.{i}."
        layer = {"Wqkv": linear(w, base + "attn.Wqkv", 3 * H, H, qkv_bias),
                 "out_proj": linear(w, base + "attn.out_proj", H, H, qkv_bias),
                 "norm1": w.norm(base + "norm1", H)}
        if gated:
            layer["fc11"] = linear(w, base + "mlp.fc11", inner, H, fc1_bias)
            layer["fc12"] = linear(w, base + "mlp.fc12", inner, H, fc1_bias)
        else:
            layer["fc1"] = linear(w, base + "mlp.fc1", inner, H, fc1_bias)
        layer["fc2"] = linear(w, base + "mlp.fc2", H, inner, fc2_bias)
        layer["norm2"] = w.norm(base + "norm2", H)
        p["layers"].append(layer)
    return w, p


def make(out, cfg, prefix, seed):
    w, p = make_weights(cfg, prefix, seed)
    gated = cfg["activation_function"] in ("swiglu", "geglu")
    ids, mask = padded_ids(LENGTHS, cfg["vocab_size"], 0, seed)
    types = torch.zeros_like(ids)
    if cfg.get("type_vocab_size", 2) > 1:
        types[:, 5:] = 1  # a pair's second segment from the sixth token on
        types *= mask
    with torch.no_grad():
        hidden = nomic_forward(cfg, p, ids, mask, types)
        if gated:
            other = nomic_forward(cfg, p, ids, mask, types, swap_gate=True)
        elif cfg.get("rotary_emb_fraction", 0.0) > 0:
            other = nomic_forward(cfg, p, ids, mask, types, flip_interleave=True)
        else:  # positions read from the next row of the table
            shifted = dict(p, positions=p["positions"].roll(-1, 0))
            other = nomic_forward(cfg, shifted, ids, mask, types)
        if gated and cfg.get("rotary_emb_interleaved", False):
            flipped = nomic_forward(cfg, p, ids, mask, types, flip_interleave=True)
            other_pairs = float(((flipped - hidden) * mask[..., None]).abs().max())
            assert other_pairs > 1e-2, f"{out}: pair layout not tested ({other_pairs})"
    sensitivity = float(((other - hidden) * mask[..., None]).abs().max())
    m = mask[..., None].float()
    mean_pooled = (hidden * m).sum(1) / m.sum(1)
    finish(out, cfg, w, ids, mask, {"last_hidden_state": hidden, "mean_pooled": mean_pooled},
           sensitivity, types, generator=GENERATOR)


def base_config(**overrides):
    """The keys nomic-embed-text-v1.5's config.json has, at fixture size."""
    cfg = {"activation_function": "swiglu", "architectures": ["NomicBertModel"],
           "attn_pdrop": 0.0,
           "auto_map": {
               "AutoConfig": "nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig",
               "AutoModel": "nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel"},
           "bos_token_id": None, "causal": False, "dense_seq_output": True, "embd_pdrop": 0.0,
           "eos_token_id": None, "fused_bias_fc": True, "fused_dropout_add_ln": True,
           "initializer_range": 0.02, "layer_norm_epsilon": 1e-12, "max_trained_positions": 2048,
           "mlp_fc1_bias": False, "mlp_fc2_bias": False, "model_type": "nomic_bert",
           "n_embd": 64, "n_head": 4, "n_inner": 200, "n_layer": 2, "n_positions": 8192,
           "pad_vocab_size_multiple": 8, "parallel_block": False,
           "parallel_block_tied_norm": False, "prenorm": False, "qkv_proj_bias": False,
           "reorder_and_upcast_attn": False, "resid_pdrop": 0.0, "rotary_emb_base": 1000,
           "rotary_emb_fraction": 1.0, "rotary_emb_interleaved": False,
           "rotary_emb_scale_base": None, "rotary_scaling_factor": None,
           "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
           "torch_dtype": "float32", "type_vocab_size": 2, "use_cache": True,
           "use_flash_attn": True, "use_rms_norm": False, "use_xentropy": True, "vocab_size": 61}
    for key, value in overrides.items():
        if value is None and key in cfg and key not in ("rotary_scaling_factor",):
            del cfg[key]
        else:
            cfg[key] = value
    return cfg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    torch.set_num_threads(1)
    j = lambda name: os.path.join(args.out_dir, name)
    make(j("nomic_bert"), base_config(), "", seed=31)
    make(j("nomic_bert_variant"),
         base_config(activation_function="geglu", qkv_proj_bias=True, mlp_fc1_bias=True,
                     mlp_fc2_bias=True, rotary_emb_fraction=0.5, rotary_emb_interleaved=True,
                     rotary_emb_base=None, layer_norm_epsilon=None, n_inner=None,
                     pad_vocab_size_multiple=None, architectures=["NomicBertForPreTraining"]),
         "bert.", seed=32)
    make(j("nomic_bert_learned"),
         base_config(activation_function="gelu_new", rotary_emb_fraction=0.0, n_inner=96,
                     n_positions=128, type_vocab_size=0, qkv_proj_bias=True,
                     mlp_fc1_bias=True, mlp_fc2_bias=True),
         "", seed=33)
    return 0


if __name__ == "__main__":
    sys.exit(main())
