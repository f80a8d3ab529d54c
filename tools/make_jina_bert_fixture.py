#!/usr/bin/python3
"""Fixtures for JinaBERT-v2 (jina-embeddings-v2-*-en: `model_type: bert`, JinaBertModel):
tiny random checkpoints under the names the real checkpoints use, and a PyTorch port of the
forward pass.

Sources of the port. The remote code itself (huggingface.co/jinaai/jina-bert-implementation,
modeling_bert.py) is not reachable from this machine; the port is written from the two
independent readings of it that load jina-embeddings-v2-base-en:
  - Hugging Face text-embeddings-inference (commit 0d124dc), backends/candle/src/models/jina.rs
    (JinaEmbeddings, JinaAttention, JinaBertLayer: gated = first intermediate_size columns of
    gated_layers, act(gated) * non_gated, wo, then mlp.layernorm over the residual) and
    backends/candle/src/alibi.rs (the slopes);
  - huggingface/candle, candle-transformers/src/models/jina_bert.rs (BertGLUMLP);
and from the structure of JinaBertLayer / JinaBertGLUMLP in that remote code (feed_forward_type
ending in "glu" selects the GLU MLP, geglu -> nn.GELU(), reglu -> nn.ReLU(); "original" keeps
BERT's intermediate/output) and JinaBertEncoder.rebuild_alibi_tensor (slopes of Press et al.,
times -1, times |i - j|, added to the scores after the 1/sqrt(d) scaling).
Written with torch.nn.functional; nothing is shared with ordo's C++.

Usage (Debian's python3-torch; no `transformers`):

    /usr/bin/python3 tools/make_jina_bert_fixture.py tests/fixtures/families

Writes, each with config.json, model.safetensors and reference.safetensors (input_ids,
attention_mask, token_type_ids, last_hidden_state [B, T, H] zero at padding, mean_pooled [B, H],
mlm_logits for the MLM fixture) for a ragged batch of 9, 70, 23 and 2 tokens:
  jina_bert/        as jina-embeddings-v2-base-en: JinaBertModel names without a prefix, geglu,
                    alibi, hidden_act gelu, emb_pooler mean; 6 heads (not a power of two, so
                    the slopes interleave two geometric series)
  jina_bert_reglu/  JinaBertForMaskedLM names (bert. and cls.predictions.*), reglu, 4 heads of 16
Each is checked to be sensitive to what it tests (gate and up halves swapped; ReLU vs GELU).
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
GENERATOR = "tools/make_jina_bert_fixture.py"


def alibi_slopes(n_heads):
    """JinaBertEncoder.rebuild_alibi_tensor's _get_alibi_head_slopes."""
    def power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]
    if math.log2(n_heads).is_integer():
        return power_of_2(n_heads)
    closest = 2 ** math.floor(math.log2(n_heads))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][: n_heads - closest]


def alibi_bias(n_heads, T):
    position = torch.arange(T)
    relative = (position[None, :] - position[:, None]).abs()  # |j - i|
    slopes = torch.tensor(alibi_slopes(n_heads), dtype=torch.float32) * -1
    return (slopes[:, None, None] * relative[None]).unsqueeze(0)  # [1, heads, T, T]


def jina_forward(cfg, p, ids, mask, types, swap_halves=False, glu_act=None):
    H, heads, I = cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"]
    d, eps = H // heads, cfg["layer_norm_eps"]
    B, T = ids.shape
    # JinaBertEmbeddings with alibi: word + token type, LayerNorm (no position table).
    x = F.layer_norm(p["word"][ids] + p["types"][types], (H,), *p["emb_ln"], eps)
    extended = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    bias = alibi_bias(heads, T)
    act = glu_act or {"geglu": F.gelu, "reglu": F.relu}[cfg["feed_forward_type"]]
    split = lambda t: t.view(B, T, heads, d).permute(0, 2, 1, 3)
    for layer in p["layers"]:
        q, k, v = (split(F.linear(x, *layer[n])) for n in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + extended
        context = ((scores + bias).softmax(-1) @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        x = F.layer_norm(F.linear(context, *layer["dense"]) + x, (H,), *layer["attn_ln"], eps)
        # JinaBertGLUMLP: gated = first half, non_gated = second; layernorm(wo(.) + residual).
        g = F.linear(x, layer["gated_layers"])
        gated, non_gated = g[..., :I], g[..., I:]
        if swap_halves:
            gated, non_gated = non_gated, gated
        x = F.layer_norm(F.linear(act(gated) * non_gated, *layer["wo"]) + x, (H,),
                         *layer["mlp_ln"], eps)
    return x


def make_weights(cfg, prefix, seed, with_head):
    """Random weights under JinaBertModel's (with_head: JinaBertForMaskedLM's) names:
    (Weights, the port's parameters)."""
    w = Weights(seed)
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    p = {"word": w.normal(prefix + "embeddings.word_embeddings.weight", (V, H)),
         "types": w.normal(prefix + "embeddings.token_type_embeddings.weight",
                           (cfg["type_vocab_size"], H)),
         "emb_ln": w.norm(prefix + "embeddings.LayerNorm", H), "layers": []}
    for i in range(cfg["num_hidden_layers"]):
        base = f"{prefix}encoder.layer.{i}."
        p["layers"].append({
            "query": w.linear(base + "attention.self.query", H, H),
            "key": w.linear(base + "attention.self.key", H, H),
            "value": w.linear(base + "attention.self.value", H, H),
            "dense": w.linear(base + "attention.output.dense", H, H),
            "attn_ln": w.norm(base + "attention.output.LayerNorm", H),
            "gated_layers": w.normal(base + "mlp.gated_layers.weight", (2 * I, H),
                                     1 / math.sqrt(H)),
            "wo": w.linear(base + "mlp.wo", H, I),
            "mlp_ln": w.norm(base + "mlp.layernorm", H)})
    if with_head:  # BertOnlyMLMHead, decoder tied to the word embeddings
        p["dense"] = w.linear("cls.predictions.transform.dense", H, H)
        p["head_norm"] = w.norm("cls.predictions.transform.LayerNorm", H)
        p["head_bias"] = w.normal("cls.predictions.bias", (V,))
    return w, p


def make(out, cfg, prefix, seed, with_head):
    w, p = make_weights(cfg, prefix, seed, with_head)
    H, V = cfg["hidden_size"], cfg["vocab_size"]
    ids, mask = padded_ids(LENGTHS, V, cfg["pad_token_id"], seed)
    types = torch.zeros_like(ids)
    types[:, 4:] = 1
    types *= mask
    with torch.no_grad():
        hidden = jina_forward(cfg, p, ids, mask, types)
        if cfg["feed_forward_type"] == "geglu":
            other = jina_forward(cfg, p, ids, mask, types, swap_halves=True)
        else:
            other = jina_forward(cfg, p, ids, mask, types, glu_act=F.gelu)
        refs = {"last_hidden_state": hidden}
        m = mask[..., None].float()
        refs["mean_pooled"] = (hidden * m).sum(1) / m.sum(1)
        if with_head:
            x = F.layer_norm(F.gelu(F.linear(hidden, *p["dense"])), (H,), *p["head_norm"],
                             cfg["layer_norm_eps"])
            refs["mlm_logits"] = F.linear(x, p["word"], p["head_bias"])
    sensitivity = float(((other - hidden) * mask[..., None]).abs().max())
    finish(out, cfg, w, ids, mask, refs, sensitivity, types, generator=GENERATOR)


def config(**overrides):
    """jina-embeddings-v2-base-en's config.json, at fixture size."""
    cfg = {"_name_or_path": "jinaai/jina-bert-implementation",
           "architectures": ["JinaBertForMaskedLM"], "attention_probs_dropout_prob": 0.0,
           "auto_map": {
               "AutoConfig": "jinaai/jina-bert-implementation--configuration_bert.JinaBertConfig",
               "AutoModel": "jinaai/jina-bert-implementation--modeling_bert.JinaBertModel",
               "AutoModelForMaskedLM":
                   "jinaai/jina-bert-implementation--modeling_bert.JinaBertForMaskedLM"},
           "classifier_dropout": None, "emb_pooler": "mean", "feed_forward_type": "geglu",
           "gradient_checkpointing": False, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
           "hidden_size": 96, "initializer_range": 0.02, "intermediate_size": 80,
           "layer_norm_eps": 1e-12, "max_position_embeddings": 8192, "model_max_length": 8192,
           "model_type": "bert", "num_attention_heads": 6, "num_hidden_layers": 2,
           "pad_token_id": 0, "position_embedding_type": "alibi", "torch_dtype": "float32",
           "transformers_version": "4.26.0", "type_vocab_size": 2, "use_cache": True,
           "vocab_size": 67}
    cfg.update(overrides)
    return cfg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    torch.set_num_threads(1)
    j = lambda name: os.path.join(args.out_dir, name)
    make(j("jina_bert"), config(), "", seed=41, with_head=False)
    make(j("jina_bert_reglu"),
         config(feed_forward_type="reglu", hidden_size=64, num_attention_heads=4,
                intermediate_size=72),
         "bert.", seed=42, with_head=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
