#!/usr/bin/python3
"""Fixtures for GTE-v1.5 / gte-multilingual (`model_type: new`): tiny random checkpoints under
the names NewModel and NewForMaskedLM save, and a PyTorch port of their forward pass.

Source of the port: the remote code the checkpoints name in auto_map, Alibaba-NLP/new-impl
(Hugging Face hub repository), modeling.py (NewModel, NewEmbeddings, RotaryEmbedding,
NTKScalingRotaryEmbedding, rotate_half, apply_rotary_pos_emb, NewAttention._attention,
NewGatedMLP, NewLayer, NewLMPredictionHead) and configuration.py (NewConfig's defaults), read
from a public copy of the file (the hub commit is not recorded in that copy). A second,
independent reading agrees on every point used here: Text Embeddings Inference
(huggingface/text-embeddings-inference, commit 0d124dc), backends/candle/src/models/gte.rs and
backends/candle/src/layers/rotary.rs (get_inv_freqs, RopeScaling::Ntk). Written with
torch.nn.functional; nothing is shared with ordo's C++.

Usage (Debian's python3-torch; no `transformers`):

    /usr/bin/python3 tools/make_gte_fixture.py tests/fixtures/families

Writes, each with config.json, model.safetensors and reference.safetensors (input_ids,
attention_mask, token_type_ids, last_hidden_state [B, T, H] zero at padding, mean_pooled [B, H]),
for a ragged batch of 9, 70, 23 and 2 tokens:
  gte/           as gte-base-en-v1.5: rope_scaling {"type": "ntk", "factor": 2.0}, rope_theta
                 500000, no token types, gelu, NewModel names without a prefix
  gte_mlm/       as gte-multilingual-base without scaling: rope_theta 160000, one token type,
                 NewForMaskedLM names (`new.` prefix, lm_head.*): also mlm_logits [B, T, vocab]
  gte_unpacked/  pack_qkv false (q_proj, k_proj, v_proj), two token types, gelu_new, eps and
                 rope_theta absent (NewConfig's 1e-12 and 10000), NTK factor 4
Each fixture also checks that the reference is sensitive to what it tests (up and gate halves
swapped; for the scaled ones, the unscaled rotary and the other common NTK reading, base x
f^(dim / (dim - 2)), which is not what NTKScalingRotaryEmbedding computes): a loader that got
it wrong fails.
"""

import argparse
import math
import os
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_family_fixtures import ACT, Weights, finish, padded_ids  # noqa: E402

LENGTHS = [9, 70, 23, 2]
GENERATOR = "tools/make_gte_fixture.py"


# ------------------------------------------------------------------ the port of the source

def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def inv_freqs(dim, base, scaling, reading):
    """RotaryEmbedding / NTKScalingRotaryEmbedding.__init__: the latter rebuilds its cache for
    max_position_embeddings x factor positions, which exceeds max_position_embeddings whenever
    factor > 1, so its scaled frequencies are always the ones used."""
    exponent = torch.arange(0, dim, 2).float() / dim
    if scaling is None or reading == "unscaled" or scaling["factor"] <= 1:
        return 1.0 / (base ** exponent)
    factor = scaling["factor"]
    if reading == "code-llama":  # the other NTK-aware reading; used only to check sensitivity
        return 1.0 / ((base * factor ** (dim / (dim - 2))) ** exponent)
    inv_freq = 1.0 / ((base * factor) ** exponent)  # mixed_b is None
    return inv_freq / factor ** (2 / dim)  # (6)


def rope_cos_sin(dim, base, scaling, T, reading):
    t = torch.arange(T, dtype=torch.float32)
    freqs = torch.einsum("i,j->ij", t, inv_freqs(dim, base, scaling, reading))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]  # [1, T, 1, dim]


def gte_forward(cfg, p, ids, mask, types, swap_gate=False, reading="source"):
    H, heads, I = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"]
    d = H // heads
    eps = cfg.get("layer_norm_eps", 1e-12)
    act = ACT[cfg.get("hidden_act", "gelu")]
    B, T = ids.shape
    # NewEmbeddings (unpad_inputs false): word + token type, LayerNorm; rope instead of positions.
    x = p["word"][ids]
    if cfg.get("type_vocab_size", 1) > 0:
        x = x + p["types"][types]
    x = F.layer_norm(x, (H,), *p["emb_ln"], eps)
    cos, sin = rope_cos_sin(d, cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling"), T,
                            reading)
    # get_extended_attention_mask: (1 - mask) * finfo.min, broadcast over heads and queries.
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for layer in p["layers"]:
        if "qkv" in layer:  # pack_qkv: split(all_head_size)
            q, k, v = F.linear(x, *layer["qkv"]).split(H, dim=-1)
        else:
            q, k, v = (F.linear(x, *layer[n]) for n in ("q", "k", "v"))
        q, k, v = (t.view(B, T, heads, d) for t in (q, k, v))
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + bias
        context = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        x = F.layer_norm(x + F.linear(context, *layer["o"]), (H,), *layer["attn_ln"], eps)
        up, gate = F.linear(x, layer["up_gate"]).split(I, dim=-1)  # NewGatedMLP
        if swap_gate:
            up, gate = gate, up
        mlp = F.linear(act(gate) * up, *layer["down"])
        x = F.layer_norm(x + mlp, (H,), *layer["mlp_ln"], eps)
    return x


def mlm_logits(cfg, p, hidden):
    """NewLMPredictionHead: decoder(norm(act(dense(h)))), the decoder tied to word_embeddings."""
    h = ACT[cfg.get("hidden_act", "gelu")](F.linear(hidden, *p["lm_dense"]))
    h = F.layer_norm(h, (cfg["hidden_size"],), *p["lm_norm"], cfg.get("layer_norm_eps", 1e-12))
    return F.linear(h, p["word"], p["lm_bias"])


# ------------------------------------------------------------------ checkpoints

def make_weights(cfg, prefix, seed, with_head=False):
    """Random weights under NewModel's (with_head: NewForMaskedLM's) names: (Weights, the
    port's parameters)."""
    w = Weights(seed)
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    n_types = cfg.get("type_vocab_size", 1)
    p = {"word": w.normal(prefix + "embeddings.word_embeddings.weight", (cfg["vocab_size"], H))}
    if n_types > 0:
        p["types"] = w.normal(prefix + "embeddings.token_type_embeddings.weight", (n_types, H))
    p["emb_ln"] = w.norm(prefix + "embeddings.LayerNorm", H)
    p["layers"] = []
    for i in range(cfg["num_hidden_layers"]):
        base = f"{prefix}encoder.layer.{i}."
        layer = {}
        if cfg.get("pack_qkv", True):
            layer["qkv"] = w.linear(base + "attention.qkv_proj", 3 * H, H)
        else:
            for n in "qkv":
                layer[n] = w.linear(base + f"attention.{n}_proj", H, H)
        layer["o"] = w.linear(base + "attention.o_proj", H, H)
        layer["attn_ln"] = w.norm(base + "attn_ln", H)
        layer["up_gate"] = w.normal(base + "mlp.up_gate_proj.weight", (2 * I, H), 1 / math.sqrt(H))
        layer["down"] = w.linear(base + "mlp.down_proj", H, I)
        layer["mlp_ln"] = w.norm(base + "mlp_ln", H)
        p["layers"].append(layer)
    if with_head:
        p["lm_dense"] = w.linear("lm_head.dense", H, H)
        p["lm_norm"] = w.norm("lm_head.norm", H)
        p["lm_bias"] = w.normal("lm_head.decoder.bias", (cfg["vocab_size"],))
    return w, p


def make(out, cfg, prefix, seed, with_head=False):
    w, p = make_weights(cfg, prefix, seed, with_head)
    n_types = cfg.get("type_vocab_size", 1)
    ids, mask = padded_ids(LENGTHS, cfg["vocab_size"], cfg.get("pad_token_id", 0), seed)
    types = torch.zeros_like(ids)
    if n_types > 1:
        types[:, 5:] = 1  # a pair's second segment from the sixth token on
        types *= mask
    masked = lambda t: float((t * mask[..., None]).abs().max())
    with torch.no_grad():
        hidden = gte_forward(cfg, p, ids, mask, types)
        sensitivity = masked(gte_forward(cfg, p, ids, mask, types, swap_gate=True) - hidden)
        if cfg.get("rope_scaling"):
            for reading in ("unscaled", "code-llama"):
                other = masked(gte_forward(cfg, p, ids, mask, types, reading=reading) - hidden)
                print(f"{out}: {reading} rotary differs by {other:.3g}")
                sensitivity = min(sensitivity, other)
        refs = {"last_hidden_state": hidden}
        m = mask[..., None].float()
        refs["mean_pooled"] = (hidden * m).sum(1) / m.sum(1)
        if with_head:
            refs["mlm_logits"] = mlm_logits(cfg, p, hidden)
    finish(out, cfg, w, ids, mask, refs, sensitivity, types, generator=GENERATOR)


def base_config(**overrides):
    """The keys gte-base-en-v1.5's config.json has, at fixture size."""
    cfg = {"architectures": ["NewModel"], "attention_probs_dropout_prob": 0.0,
           "auto_map": {"AutoConfig": "Alibaba-NLP/new-impl--configuration.NewConfig",
                        "AutoModel": "Alibaba-NLP/new-impl--modeling.NewModel",
                        "AutoModelForMaskedLM": "Alibaba-NLP/new-impl--modeling.NewForMaskedLM"},
           "classifier_dropout": None, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
           "hidden_size": 64, "initializer_range": 0.02, "intermediate_size": 96,
           "layer_norm_eps": 1e-12, "layer_norm_type": "layer_norm",
           "logn_attention_clip1": False, "logn_attention_scale": False,
           "max_position_embeddings": 8192, "model_type": "new", "num_attention_heads": 4,
           "num_hidden_layers": 2, "pack_qkv": True, "pad_token_id": 0,
           "position_embedding_type": "rope", "rope_scaling": {"factor": 2.0, "type": "ntk"},
           "rope_theta": 500000, "torch_dtype": "float32", "transformers_version": "4.39.1",
           "type_vocab_size": 0, "unpad_inputs": False, "use_memory_efficient_attention": False,
           "vocab_size": 61}
    for key, value in overrides.items():
        if value is None and key != "rope_scaling":
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
    make(j("gte"), base_config(), "", seed=41)
    make(j("gte_mlm"),
         base_config(architectures=["NewForMaskedLM"], rope_scaling=None, rope_theta=160000,
                     type_vocab_size=1, vocab_size=67),
         "new.", seed=42, with_head=True)
    make(j("gte_unpacked"),
         base_config(pack_qkv=False, type_vocab_size=2, hidden_act="gelu_new",
                     layer_norm_eps=None, rope_theta=None, intermediate_size=80,
                     rope_scaling={"type": "ntk", "factor": 4}),
         "", seed=43)
    return 0


if __name__ == "__main__":
    sys.exit(main())
