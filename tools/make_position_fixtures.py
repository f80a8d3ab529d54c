#!/usr/bin/python3
"""Golden fixtures for positional encodings applied INSIDE attention: rotary
(RoPE), ALiBi, Hugging Face BERT's relative_key / relative_key_query, and the
T5/MPNet bucketed relative attention bias.

Usage (Debian's python3-torch + python3-numpy; no network, no `transformers`,
no `safetensors` package):

    /usr/bin/python3 tools/make_position_fixtures.py tests/fixtures/positions
    /usr/bin/python3 tools/make_position_fixtures.py tests/fixtures/positions --self-check

(--self-check writes, then re-reads everything and runs the checks below.)

Deterministic: fixed seeds, torch.set_num_threads(1), sorted tensor names (the
writer is write_safetensors of tools/py/ordo_tools/safetensors.py); re-running
on the same machine gives byte-identical files.

Each fixture directory holds (same format as tests/fixtures/*, see
tests/fixtures/README.md):
  config.json           Hugging Face BERT config; "position_embedding_type"
                        names the kind, plus that kind's keys (below)
  model.safetensors     F32 weights under HF BertModel names, [out][in]
                        (fixture relative_bias: every name prefixed "bert.")
  reference.safetensors input_ids, attention_mask, token_type_ids (I64 [B,T],
                        right-padded with id 0) and F32 last_hidden_state
                        [B,T,H], hidden_states [L+1,B,T,H] (0 = after the
                        embedding LayerNorm), attentions [L,B,heads,T,T]
and buckets.json holds the bucket function's value for relative positions
-300..300 for four (num_buckets, max_distance) pairs.

Reference encoder (float32 torch ops, eval mode, dropout 0)
-----------------------------------------------------------
Post-LN Hugging Face BERT (BertModel), written out with torch.nn.functional:

  x = LayerNorm(word_emb[ids] + token_type_emb[types])        eps 1e-12
      NO absolute position term: the checkpoint carries a random
      embeddings.position_embeddings.weight [P, H] (every HF BERT checkpoint
      has one) and the reference ignores it, as HF BertEmbeddings does when
      position_embedding_type != "absolute".
  per layer, heads h = 0..n-1 of size d = H/n:
      q, k, v = x Wq^T + bq, x Wk^T + bk, x Wv^T + bv      split into heads
      scores  = kind-specific (below), [B, n, T, T]
      scores[..., j] = -inf for padded keys j;  p = softmax(scores, -1)
      a = LayerNorm(x + (p v, heads concatenated) Wo^T + bo)
      x = LayerNorm(a + W2 gelu(W1 a + b1) + b2)        gelu = exact erf GELU
Positions are 0..len-1 in every sequence (right padding shifts nothing).
Outputs at padded positions (hidden rows, attention rows of padded queries)
are set to exactly 0; attention columns of padded keys are exactly 0 from the
-inf mask.

Kinds (config "position_embedding_type"; key defaults in parentheses)
--------------------------------------------------------------------
rotary   Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary Position
         Embedding", arXiv:2104.09864, in the form of NomicBERT (nomic-ai
         contrastors `nomic_bert`, flash-attn's RotaryEmbedding) and GPT-NeoX.
         Keys rotary_emb_base (10000), rotary_emb_fraction (1.0),
         rotary_emb_interleaved (false).
           rot = int(d * fraction)            (even; dims >= rot unchanged)
           inv_freq[i] = 1 / base^(2i / rot),  i = 0..rot/2-1
           angle[p, i] = p * inv_freq[i]       p = 0..len-1
         inv_freq, angle, cos and sin are computed in float64 and then rounded
         to float32 (flash-attn/NomicBERT compute them in float32; the
         difference is < 1e-5 at these lengths and is reported by --self-check).
         Non-interleaved (GPT-NeoX, rotate_half), pairs (i, i + rot/2):
           x'[i]         = x[i] cos(angle[p,i]) - x[i+rot/2] sin(angle[p,i])
           x'[i + rot/2] = x[i+rot/2] cos(angle[p,i]) + x[i] sin(angle[p,i])
         Interleaved (GPT-J), pairs (2i, 2i+1), same angle[p, i]:
           x'[2i]   = x[2i] cos - x[2i+1] sin,  x'[2i+1] = x[2i+1] cos + x[2i] sin
         Applied to q and k of every head after the projection (biases
         included); scores = q' k'^T / sqrt(d).
alibi    Press et al. 2022, "Train Short, Test Long: Attention with Linear
         Biases", ICLR 2022 (github.com/ofirpress/attention_with_linear_biases),
         bidirectional as JinaBERT-v2 (jinaai/jina-bert-implementation):
           scores[h,i,j] = q_i k_j^T / sqrt(d) + (-(m_h * |i - j|))
         Slopes, the paper's get_slopes(n), in Python float64, then float32:
           n a power of 2: start = 2^(-2^-(log2(n) - 3)), m_h = start^(h+1)
           otherwise p = 2^floor(log2 n):
             get_slopes(p) + get_slopes(2p)[0::2][:n-p]
         (8 heads: 2^-1..2^-8; 6 heads: 2^-2,2^-4,2^-6,2^-8,2^-1,2^-3.)
         The bias m_h * |i-j| is a float32 product.
relative_key, relative_key_query
         Hugging Face BertSelfAttention (transformers
         models/bert/modeling_bert.py), after Shaw et al. 2018 ("Self-Attention
         with Relative Position Representations") and Huang et al. 2020
         ("Improve Transformer Models with Better Relative Position
         Embeddings", method 4). Per layer table
         encoder.layer.{i}.attention.self.distance_embedding.weight
         [2P - 1, d], P = max_position_embeddings:
           E[l, r] = table[(l - r) + P - 1]     l query index, r key index
           relative_key:       scores = (q k^T + einsum("bhld,lrd->bhlr", q, E)) / sqrt(d)
           relative_key_query: scores = (q k^T + einsum("bhld,lrd->bhlr", q, E)
                                               + einsum("bhrd,lrd->bhlr", k, E)) / sqrt(d)
         (the division comes after the sum, as in HF). Lengths <= P.
relative_bias
         T5 (Raffel et al. 2020) bucketed bias as Hugging Face MPNet
         (models/mpnet/modeling_mpnet.py, MPNetEncoder.compute_position_bias
         and relative_position_bucket, copied in hf_mpnet_relative_position_bucket
         of tools/py/ordo_tools/positions.py). ONE table for all layers, encoder.relative_attention_bias.weight
         [num_buckets, n]. Keys relative_attention_num_buckets (32),
         relative_attention_max_distance (128).
           relative_position[i, j] = j - i        (memory - context)
           scores[h,i,j] = q_i k_j^T / sqrt(d) + table[bucket(j - i), h]
         bucket(rp): ret = 0; n = -rp; nb = num_buckets // 2;
           ret += (n < 0) * nb; n = |n|; max_exact = nb // 2;
           large = max_exact + long(log_f32(float32(n) / max_exact)
                                    / ln(max_distance / max_exact) * (nb - max_exact))
           large = min(large, nb - 1); ret += (n < max_exact ? n : large)
         The log is torch float32 as in HF (the Python double ln(max_distance /
         max_exact) is applied to the float32 tensor, result float32). Exact
         boundaries exist (e.g. (32, 128): n = 16, 32, 64 give log ratios of
         exactly 2, 4, 6 in real arithmetic), so the rounding matters in
         principle; --self-check reports that a float64 computation and an
         all-float32 one (ln of the ratio also float32) give the same buckets
         as HF's for every case in buckets.json.
         Differences from the real models, on purpose: HF MPNet calls the
         bucket function with its defaults (32, 128) whatever the config says
         (config.relative_attention_num_buckets only sizes the table); here
         the two keys drive both. MPNet also adds learned absolute positions
         (RoBERTa-style, from padding_idx + 1); this kind adds none. HF T5
         buckets identically but does not divide q k^T by sqrt(d).

Weights: torch.Generator(seed) normals. Word embeddings std 1, ignored
absolute position table std 1, token types std 0.5, LayerNorm gains 1 + N(0,
0.1^2) and biases N(0, 0.05^2); query/key weights std 1.5/sqrt(H) (so q.k is
large enough that rotation matters), other matrices std 1/sqrt(fan_in),
biases std 0.1; distance_embedding std 0.5, relative_attention_bias std 1.0.
Inputs: ids uniform in [1, vocab), token type 1 from position len//2 on.

--self-check re-reads every file and verifies, per fixture: bit-exact replay
from the stored weights; padding independence (each sequence alone,
unpadded, within 1e-5); exact zeros at pads and softmax rows summing to 1;
with the positional term removed the output changes by > 1e-2, that
position-free encoder agrees with make_fixtures' torch.nn reference (kind
"none") within 1e-5 and is permutation-equivariant within 1e-5, while with
it a permutation changes the output by > 1e-2; adding the (ignored)
absolute position table would change the output by > 1e-2, and so would
each plausible wrong implementation in confusions() (the other pair layout,
an ignored fraction or base, mis-copied or reordered ALiBi slopes, r - l
instead of l - r, the other relative_key kind, a bias or term scaled
differently, i - j instead of j - i, an ignored max_distance). Rotary
fixtures also report the difference to flash-attn's float32 angles. Plus
unit checks of each positional function against loop versions (ALiBi slopes,
RoPE shift invariance and the interleaved/NeoX layouts, the einsums, the
bucket table against buckets.json) and a comparison of HF's float32 bucket
log with float64 and all-float32 formulations.
"""

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))  # tools/py: the ordo_tools package
from ordo_tools.checkpoint import write_json  # noqa: E402
from ordo_tools.reference import build_reference, run_reference  # noqa: E402
from ordo_tools.positions import (alibi_bias_press2022, alibi_slopes_press2022,  # noqa: E402
                                  hf_mpnet_relative_position_bucket,
                                  relative_key_scores_hf_bert, rope_su2021,
                                  t5_relative_bias_raffel2020)
from ordo_tools.safetensors import read_safetensors, write_safetensors  # noqa: E402

Tensor = torch.Tensor


# ---------------------------------------------------------------------------
# Fixture specifications
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    name: str
    seed: int
    kind: str                       # config "position_embedding_type"
    hidden: int
    heads: int
    lengths: Tuple[int, ...]
    max_pos: int = 40               # max_position_embeddings (P)
    keys: Tuple[Tuple[str, object], ...] = ()  # extra config keys, in this order
    prefix: str = ""                # tensor-name prefix ("bert." for task checkpoints)
    about: str = ""
    layers: int = 2
    vocab: int = 97


SPECS: List[Spec] = [
    Spec("rotary_neox", 201, "rotary", 64, 4, (7, 12, 3, 12),
         about="RoPE, full head, GPT-NeoX halves, base 10000 from the defaults (keys absent)"),
    Spec("rotary_interleaved_half_base1000", 202, "rotary", 64, 1, (9, 20, 5, 9),
         keys=(("rotary_emb_base", 1000), ("rotary_emb_fraction", 0.5),
               ("rotary_emb_interleaved", True)),
         about="GPT-J interleaved pairs, rotary on the first 32 of 64 dims, base 1000"),
    Spec("rotary_half_neox", 203, "rotary", 64, 4, (11, 4, 11),
         keys=(("rotary_emb_fraction", 0.5), ("rotary_emb_interleaved", False)),
         about="NeoX halves over a partial rotary dim (8 of 16): pairs (i, i+4), dims 8..15 untouched"),
    Spec("alibi_12_heads", 204, "alibi", 96, 12, (7, 12, 3, 12),
         about="ALiBi, 12 heads of 8: non-power-of-two slopes (8 + every other of 16)"),
    Spec("alibi_6_heads", 205, "alibi", 96, 6, (10, 33, 10),
         about="ALiBi, 6 heads (4 + 2 interleaved slopes), distances up to 32"),
    Spec("relative_key", 206, "relative_key", 64, 4, (24, 10, 3, 10), max_pos=24,
         about="HF BERT relative_key: per-layer distance table, a sequence of length P uses both ends"),
    Spec("relative_key_query", 207, "relative_key_query", 64, 1, (20, 6, 6, 13), max_pos=20,
         about="HF BERT relative_key_query: query and key terms, head_dim 64, length = P"),
    Spec("relative_bias", 208, "relative_bias", 64, 4, (40, 25, 3, 25), max_pos=64,
         keys=(("relative_attention_num_buckets", 32), ("relative_attention_max_distance", 16)),
         prefix="bert.",
         about="T5/MPNet buckets, max_distance 16 < length (log buckets saturate), "
               "one table for all layers, all tensors under bert."),
    Spec("relative_bias_defaults", 209, "relative_bias", 64, 1, (140, 30, 30), max_pos=160,
         about="T5/MPNet buckets from the defaults (keys absent: 32 / 128), length 140 > 128"),
]

BUCKET_CASES = [(32, 128), (32, 16), (16, 20), (64, 256)]
BUCKET_FIRST, BUCKET_LAST = -300, 300


def config_value(config: Dict[str, object], key: str, default):
    return config.get(key, default)


def bert_config(spec: Spec) -> Dict[str, object]:
    config: Dict[str, object] = {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "hidden_size": spec.hidden,
        "num_hidden_layers": spec.layers,
        "num_attention_heads": spec.heads,
        "intermediate_size": 2 * spec.hidden,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": spec.max_pos,
        "type_vocab_size": 2,
        "vocab_size": spec.vocab,
        "pad_token_id": 0,
        "position_embedding_type": spec.kind,
        "torch_dtype": "float32",
    }
    for key, value in spec.keys:
        config[key] = value
    return config


# ---------------------------------------------------------------------------
# Random checkpoint (HF BertModel names) and inputs
# ---------------------------------------------------------------------------

def random_weights(spec: Spec) -> Dict[str, Tensor]:
    """Unprefixed HF names -> float32 tensors; see the docstring for scales."""
    gen = torch.Generator().manual_seed(spec.seed)
    H, FF, d = spec.hidden, 2 * spec.hidden, spec.hidden // spec.heads
    w: Dict[str, Tensor] = {}

    def normal(name, shape, std, mean=0.0):
        w[name] = (torch.randn(*shape, generator=gen, dtype=torch.float32) * std + mean)

    def linear(base, n_out, n_in, std):
        normal(base + ".weight", (n_out, n_in), std)
        normal(base + ".bias", (n_out,), 0.1)

    def layer_norm(base):
        normal(base + ".weight", (H,), 0.1, 1.0)
        normal(base + ".bias", (H,), 0.05)

    normal("embeddings.word_embeddings.weight", (spec.vocab, H), 1.0)
    normal("embeddings.position_embeddings.weight", (spec.max_pos, H), 1.0)  # ignored
    normal("embeddings.token_type_embeddings.weight", (2, H), 0.5)
    layer_norm("embeddings.LayerNorm")
    for i in range(spec.layers):
        p = f"encoder.layer.{i}."
        linear(p + "attention.self.query", H, H, 1.5 / math.sqrt(H))
        linear(p + "attention.self.key", H, H, 1.5 / math.sqrt(H))
        linear(p + "attention.self.value", H, H, 1.0 / math.sqrt(H))
        if spec.kind in ("relative_key", "relative_key_query"):
            normal(p + "attention.self.distance_embedding.weight", (2 * spec.max_pos - 1, d), 0.5)
        linear(p + "attention.output.dense", H, H, 1.0 / math.sqrt(H))
        layer_norm(p + "attention.output.LayerNorm")
        linear(p + "intermediate.dense", FF, H, 1.0 / math.sqrt(H))
        linear(p + "output.dense", H, FF, 1.0 / math.sqrt(FF))
        layer_norm(p + "output.LayerNorm")
    if spec.kind == "relative_bias":
        buckets = dict(spec.keys).get("relative_attention_num_buckets", 32)
        normal("encoder.relative_attention_bias.weight", (buckets, spec.heads), 1.0)
    return w


def random_inputs(spec: Spec) -> Dict[str, np.ndarray]:
    """Right-padded batch: ids in [1, vocab), pads 0; type 1 from len//2 on."""
    gen = torch.Generator().manual_seed(spec.seed + 1000)
    B, T = len(spec.lengths), max(spec.lengths)
    ids = np.zeros((B, T), dtype=np.int64)
    mask = np.zeros((B, T), dtype=np.int64)
    types = np.zeros((B, T), dtype=np.int64)
    for b, n in enumerate(spec.lengths):
        ids[b, :n] = torch.randint(1, spec.vocab, (n,), generator=gen).numpy()
        mask[b, :n] = 1
        if n >= 2:
            types[b, n // 2:n] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


# ---------------------------------------------------------------------------
# The encoder
# ---------------------------------------------------------------------------

def attention_scores(config: Dict[str, object], w, layer: int, q: Tensor, k: Tensor,
                     positional: bool) -> Tensor:
    """Pre-mask scores [B, heads, T, T] for this config's kind. positional=False
    drops the positional term (the self-check's control)."""
    kind = config["position_embedding_type"]
    heads, T, d = q.shape[1], q.shape[2], q.shape[3]
    if not positional:
        return torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
    if kind == "rotary":
        rope = dict(base=float(config_value(config, "rotary_emb_base", 10000)),
                    fraction=float(config_value(config, "rotary_emb_fraction", 1.0)),
                    interleaved=bool(config_value(config, "rotary_emb_interleaved", False)))
        q, k = rope_su2021(q, **rope), rope_su2021(k, **rope)
        return torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
    if kind == "alibi":
        return torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + alibi_bias_press2022(heads, T)
    if kind in ("relative_key", "relative_key_query"):
        table = w(f"encoder.layer.{layer}.attention.self.distance_embedding.weight")
        return relative_key_scores_hf_bert(q, k, table, int(config["max_position_embeddings"]),
                                           with_key_term=(kind == "relative_key_query"))
    if kind == "relative_bias":
        bias = t5_relative_bias_raffel2020(
            w("encoder.relative_attention_bias.weight"), T,
            int(config_value(config, "relative_attention_num_buckets", 32)),
            int(config_value(config, "relative_attention_max_distance", 128)))
        scores = torch.matmul(q, k.transpose(-1, -2))
        scores = scores / math.sqrt(d)
        return scores + bias
    raise ValueError(kind)


def encoder_forward(config: Dict[str, object], weights: Dict[str, Tensor], prefix: str,
                    inputs: Dict[str, np.ndarray], positional: bool = True,
                    add_absolute: bool = False) -> Dict[str, np.ndarray]:
    """Post-LN HF BERT with the kind's attention. add_absolute=True adds the
    (normally ignored) learned absolute table: a self-check control."""
    w = lambda name: weights[prefix + name]
    H, n_heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    d, eps = H // n_heads, float(config["layer_norm_eps"])
    ids = torch.from_numpy(inputs["input_ids"])
    types = torch.from_numpy(inputs["token_type_ids"])
    real = torch.from_numpy(inputs["attention_mask"]).bool()
    B, T = ids.shape
    ln = lambda x, base: F.layer_norm(x, (H,), w(base + ".weight"), w(base + ".bias"), eps)
    dense = lambda x, base: F.linear(x, w(base + ".weight"), w(base + ".bias"))
    heads = lambda x: x.view(B, T, n_heads, d).transpose(1, 2)  # [B, heads, T, d]

    with torch.no_grad():
        x = F.embedding(ids, w("embeddings.word_embeddings.weight")) \
            + F.embedding(types, w("embeddings.token_type_embeddings.weight"))
        if add_absolute:
            x = x + w("embeddings.position_embeddings.weight")[:T][None]
        x = ln(x, "embeddings.LayerNorm")
        hidden, attentions = [x], []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            q = heads(dense(x, p + "attention.self.query"))
            k = heads(dense(x, p + "attention.self.key"))
            v = heads(dense(x, p + "attention.self.value"))
            scores = attention_scores(config, w, i, q, k, positional)
            scores = scores.masked_fill(~real[:, None, None, :], float("-inf"))
            probs = torch.softmax(scores, dim=-1)
            context = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, H)
            a = ln(x + dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            ffn = dense(F.gelu(dense(a, p + "intermediate.dense")), p + "output.dense")
            x = ln(a + ffn, p + "output.LayerNorm")
            hidden.append(x)
            attentions.append(probs)

    keep = real[:, :, None]
    out = {
        "last_hidden_state": torch.where(keep, x, torch.zeros(())),
        "hidden_states": torch.where(keep[None], torch.stack(hidden), torch.zeros(())),
        "attentions": torch.where(keep[None, :, None], torch.stack(attentions), torch.zeros(())),
    }
    result = {}
    for name, tensor in out.items():
        array = tensor.numpy().astype(np.float32)
        assert np.isfinite(array).all(), name
        array[array == 0] = 0.0  # no -0.0
        result[name] = array
    return result


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def stored_weights(spec: Spec) -> Dict[str, Tensor]:
    return {spec.prefix + k: v for k, v in random_weights(spec).items()}


def make_fixture(spec: Spec, out_dir: str) -> None:
    directory = os.path.join(out_dir, spec.name)
    os.makedirs(directory, exist_ok=True)
    config = bert_config(spec)
    weights = stored_weights(spec)
    inputs = random_inputs(spec)
    reference = encoder_forward(config, weights, spec.prefix, inputs)

    write_json(os.path.join(directory, "config.json"), config)
    write_safetensors(os.path.join(directory, "model.safetensors"),
                      {k: ("F32", v.numpy().astype("<f4")) for k, v in weights.items()},
                      {"format": "pt"})
    tensors = {k: ("I64", v) for k, v in inputs.items()}
    tensors.update({k: ("F32", v) for k, v in reference.items()})
    write_safetensors(os.path.join(directory, "reference.safetensors"), tensors,
                      {"format": "pt", "generator": "tools/make_position_fixtures.py",
                       "torch_version": torch.__version__})
    print(f"wrote {directory}")


def bucket_cases() -> Dict[str, object]:
    rp = torch.arange(BUCKET_FIRST, BUCKET_LAST + 1, dtype=torch.long)
    cases = []
    for num_buckets, max_distance in BUCKET_CASES:
        buckets = hf_mpnet_relative_position_bucket(rp, num_buckets, max_distance)
        cases.append({"num_buckets": num_buckets, "max_distance": max_distance,
                      "first": BUCKET_FIRST, "buckets": [int(b) for b in buckets]})
    return {"cases": cases}


def write_buckets(out_dir: str) -> None:
    path = os.path.join(out_dir, "buckets.json")
    with open(path, "w", encoding="utf-8") as f:
        # One case per line keeps the file small and diffable.
        cases = bucket_cases()["cases"]
        f.write('{"cases": [\n')
        f.write(",\n".join(json.dumps(c, separators=(", ", ": ")) for c in cases))
        f.write("\n]}\n")
    print(f"wrote {path}")


def keys_text(spec: Spec) -> str:
    if not spec.keys:
        return "(defaults)"
    return ", ".join(f"`{k}: {json.dumps(v)}`" for k, v in spec.keys)


def write_readme(out_dir: str) -> None:
    rows = []
    for s in SPECS:
        rows.append(
            f"| `{s.name}` | {s.layers} | {s.hidden} | {s.heads} | {s.hidden // s.heads} "
            f"| {2 * s.hidden} | {s.vocab} | {s.max_pos} | `{s.kind}` | {keys_text(s)} "
            f"| {('`' + s.prefix + '`') if s.prefix else '-'} "
            f"| {', '.join(map(str, s.lengths))} | {s.about} |")
    cases = ", ".join(f"({nb}, {md})" for nb, md in BUCKET_CASES)
    text = f"""# Positional-encoding-in-attention fixtures

Generated by `tools/make_position_fixtures.py` (its docstring states every
formula and its source). Do not edit by hand; regenerate with

    /usr/bin/python3 tools/make_position_fixtures.py tests/fixtures/positions
    /usr/bin/python3 tools/make_position_fixtures.py tests/fixtures/positions --self-check

Generated with torch {torch.__version__}, numpy {np.__version__}, one torch thread;
re-running reproduces every file byte for byte.

Same format as `tests/fixtures/*` (see `tests/fixtures/README.md`): post-LN
Hugging Face BERT checkpoints (F32, HF names, exact GELU, eps 1e-12, two
token types: type 1 from position len//2 on) and `reference.safetensors`
with `input_ids`, `attention_mask`, `token_type_ids` (I64, right-padded with
0, positions 0..len-1 per sequence), `last_hidden_state`, `hidden_states`
(0 = after the embedding LayerNorm), `attentions` (softmax probabilities);
exactly 0 at padded positions.

Every checkpoint carries a random non-zero
`embeddings.position_embeddings.weight` [P, H] that must be IGNORED: none of
these kinds adds an absolute position vector (adding it changes the output
by more than 1e-2). The positional term lives in attention:

- `rotary` — q and k of each head rotated after the projection (keys
  `rotary_emb_base` 10000, `rotary_emb_fraction` 1.0,
  `rotary_emb_interleaved` false; no extra tensors).
- `alibi` — `-m_h |i - j|` added to the scaled scores (no keys, no tensors).
- `relative_key`, `relative_key_query` — per layer
  `encoder.layer.{{i}}.attention.self.distance_embedding.weight` [2P-1, head_dim].
- `relative_bias` — one `encoder.relative_attention_bias.weight`
  [num_buckets, heads] for all layers (keys `relative_attention_num_buckets`
  32, `relative_attention_max_distance` 128), added after the 1/sqrt(d)
  scaling, `bias[h,i,j] = table[bucket(j - i), h]`. Unlike HF MPNet (which
  always buckets with 32 / 128 and also adds absolute positions), both keys
  drive the buckets and there is no absolute term.

`buckets.json`: Hugging Face's (MPNet's) bucket for every relative position
(key index - query index) in [{BUCKET_FIRST}, {BUCKET_LAST}] for (num_buckets,
max_distance) in {cases}:
`{{"cases": [{{"num_buckets", "max_distance", "first": {BUCKET_FIRST}, "buckets": [...]}}]}}`;
`buckets[k]` is the bucket of relative position `first + k`.

| fixture | L | H | heads | head_dim | FFN | vocab | P | kind | keys | prefix | lengths | what it guards |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + "\n"
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# --self-check
# ---------------------------------------------------------------------------

def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def unit_checks(out_dir: str) -> None:
    gen = torch.Generator().manual_seed(7)

    # ALiBi slopes: the paper's published values.
    s8 = alibi_slopes_press2022(8)
    check(s8 == [2.0 ** -i for i in range(1, 9)], f"8-head slopes {s8}")
    s6 = alibi_slopes_press2022(6)
    check(s6 == [2.0 ** -2, 2.0 ** -4, 2.0 ** -6, 2.0 ** -8, 2.0 ** -1, 2.0 ** -3], f"6-head {s6}")
    s12 = alibi_slopes_press2022(12)
    expect12 = [2.0 ** -i for i in range(1, 9)] + [2.0 ** -(i + 0.5) for i in range(4)]
    check(max(abs(a - b) for a, b in zip(s12, expect12)) < 1e-15, f"12-head {s12}")
    bias = alibi_bias_press2022(6, 9)
    loop = torch.tensor([[[-(np.float32(s6[h]) * np.float32(abs(i - j))) for j in range(9)]
                          for i in range(9)] for h in range(6)])
    check(torch.equal(bias, loop), "alibi bias vs loop")
    print("  alibi slopes: 8 heads 2^-1..2^-8, 6 heads 2^-2,2^-4,2^-6,2^-8,2^-1,2^-3, "
          "12 heads 2^-1..2^-8 + 2^-0.5,2^-1.5,2^-2.5,2^-3.5: ok")

    # RoPE: rotation preserves norms, leaves dims >= rot alone, scores depend
    # only on relative position, and interleaved = permuted NeoX.
    for d, frac, base in ((16, 1.0, 10000.0), (16, 0.5, 10000.0), (64, 0.5, 1000.0)):
        rot = int(d * frac)
        x = torch.randn(1, 1, 30, d, generator=gen, dtype=torch.float64).float()
        for inter in (False, True):
            y = rope_su2021(x, base, frac, inter)
            check(torch.equal(y[..., rot:], x[..., rot:]), "pass-through dims")
            check(torch.allclose(y.norm(dim=-1), x.norm(dim=-1), atol=1e-5), "norm")
        # Constant q and k at every position: q'_i.k'_j must depend on i-j only.
        q = torch.randn(d, generator=gen).expand(1, 1, 30, d)
        k = torch.randn(d, generator=gen).expand(1, 1, 30, d)
        for inter in (False, True):
            s = rope_su2021(q, base, frac, inter) @ rope_su2021(k, base, frac, inter).transpose(-1, -2)
            s = s[0, 0]
            worst = max(float((s.diagonal(o)[1:] - s.diagonal(o)[0]).abs().max())
                        for o in range(-29, 30) if s.diagonal(o).numel() > 1)
            check(worst < 1e-4, f"rope shift invariance {worst}")
            check(not torch.allclose(s.diagonal(0)[0], s.diagonal(3)[0]), "rope inert")
        # Interleaved layout = NeoX layout after moving dim 2i -> i, 2i+1 -> i + rot/2.
        perm = torch.cat((torch.arange(0, rot, 2), torch.arange(1, rot, 2), torch.arange(rot, d)))
        a = rope_su2021(x, base, frac, True)[..., perm]
        b = rope_su2021(x[..., perm], base, frac, False)
        check(torch.equal(a, b), "interleaved vs neox layout")
        # Explicit per-pair formula at one position.
        p, i = 7, 1
        ang = p / base ** (2 * i / rot)
        c, sn = np.float32(math.cos(ang)), np.float32(math.sin(ang))
        y = rope_su2021(x, base, frac, False)[0, 0, p]
        xi, xj = x[0, 0, p, i], x[0, 0, p, i + rot // 2]
        check(abs(float(y[i] - (xi * c - xj * sn))) < 1e-6
              and abs(float(y[i + rot // 2] - (xj * c + xi * sn))) < 1e-6, "neox pair formula")
        y = rope_su2021(x, base, frac, True)[0, 0, p]
        xi, xj = x[0, 0, p, 2 * i], x[0, 0, p, 2 * i + 1]
        check(abs(float(y[2 * i] - (xi * c - xj * sn))) < 1e-6
              and abs(float(y[2 * i + 1] - (xj * c + xi * sn))) < 1e-6, "interleaved pair formula")
    print("  rope: norms kept, dims >= rot untouched, q'.k' depends on i-j only, "
          "interleaved = permuted NeoX, pair formulas: ok")

    # relative_key(_query): einsums against loops.
    P, T, d = 6, 5, 4
    q = torch.randn(1, 2, T, d, generator=gen)
    k = torch.randn(1, 2, T, d, generator=gen)
    table = torch.randn(2 * P - 1, d, generator=gen)
    for with_key in (False, True):
        got = relative_key_scores_hf_bert(q, k, table, P, with_key)
        want = torch.zeros(1, 2, T, T)
        for h in range(2):
            for l in range(T):
                for r in range(T):
                    e = table[l - r + P - 1]
                    s = q[0, h, l] @ k[0, h, r] + q[0, h, l] @ e
                    if with_key:
                        s = s + k[0, h, r] @ e
                    want[0, h, l, r] = s / math.sqrt(d)
        check(torch.allclose(got, want, atol=1e-5), "relative_key einsum vs loop")
    print("  relative_key / relative_key_query: einsum vs loop (E[l-r+P-1]): ok")

    # Buckets: the stored file, spot values, and the bias assembly.
    stored = json.load(open(os.path.join(out_dir, "buckets.json")))
    check(stored == bucket_cases(), "buckets.json differs from the function")
    by_cfg = {(c["num_buckets"], c["max_distance"]): c["buckets"] for c in stored["cases"]}
    b = lambda nb, md, rp: by_cfg[(nb, md)][rp - BUCKET_FIRST]
    check([b(32, 128, r) for r in (0, -1, -7, -8, 1, 7, 8)] == [0, 1, 7, 8, 17, 23, 24], "spots")
    check(b(32, 128, -300) == 15 and b(32, 128, 300) == 31, "saturation")
    for (nb, md), values in by_cfg.items():
        half = nb // 2
        left = values[:-BUCKET_FIRST + 1]  # rp <= 0 (key before query): buckets [0, half)
        right = values[-BUCKET_FIRST + 1:]  # rp > 0: buckets [half, nb)
        check(all(0 <= v < half for v in left) and all(half <= v < nb for v in right), "range")
        check(all(x >= y for x, y in zip(left, left[1:])), "monotone")
        check(all(x <= y for x, y in zip(right, right[1:])), "monotone")
    table = torch.randn(32, 3, generator=gen)
    bias = t5_relative_bias_raffel2020(table, 40, 32, 16)
    want = torch.tensor([[[float(table[b(32, 16, j - i), h]) for j in range(40)]
                          for i in range(40)] for h in range(3)])
    check(torch.equal(bias, want), "relative bias vs buckets.json lookup")
    print("  buckets.json = HF function; spot values, ranges, monotone; bias[h,i,j] = "
          "table[bucket(j-i), h]: ok")

    # Do other float formulations of the log give other buckets than HF's?
    for nb, md in BUCKET_CASES:
        half, max_exact = nb // 2, nb // 4
        rp = torch.arange(BUCKET_FIRST, BUCKET_LAST + 1)
        n = rp.abs()
        hf = torch.tensor(by_cfg[(nb, md)])

        def assemble(large):
            large = torch.minimum(large, torch.full_like(large, half - 1))
            return (rp > 0).long() * half + torch.where(n < max_exact, n, large)

        f64 = assemble(max_exact + (torch.log(n.double() / max_exact) / math.log(md / max_exact)
                                    * (half - max_exact)).long())
        all_f32 = assemble(max_exact + (torch.log(n.float() / max_exact)
                                        / torch.log(torch.tensor(md / max_exact, dtype=torch.float32))
                                        * (half - max_exact)).long())
        report = []
        for name, other in (("float64", f64), ("all-float32", all_f32)):
            where = rp[other != hf].tolist()
            report.append(f"{name} differs at {where if where else 'none'}")
        print(f"  buckets ({nb}, {md}) vs HF's float32 log: " + "; ".join(report))


def confusions(spec: Spec, config: Dict[str, object], weights: Dict[str, Tensor]):
    """Plausible wrong implementations of this fixture's kind, as (label,
    config, weights, {module global: replacement}); each must change the
    output by > 1e-2, so the fixture tells them apart from the right one."""
    d = spec.hidden // spec.heads
    out = []
    with_cfg = lambda **kw: dict(config, **kw)
    if spec.kind == "rotary":
        inter = bool(config.get("rotary_emb_interleaved", False))
        out.append(("other pair layout", with_cfg(rotary_emb_interleaved=not inter), weights, {}))
        if config.get("rotary_emb_fraction", 1.0) != 1.0:
            out.append(("fraction ignored", with_cfg(rotary_emb_fraction=1.0), weights, {}))
        if "rotary_emb_base" in config:
            out.append(("base ignored", with_cfg(rotary_emb_base=10000), weights, {}))
        else:
            out.append(("base 1000", with_cfg(rotary_emb_base=1000), weights, {}))
    elif spec.kind == "alibi":
        original = alibi_slopes_press2022

        def no_stride(n):  # a common mis-copy: get_slopes(2p)[:n-p] without [0::2]
            p = 2 ** math.floor(math.log2(n))
            return original(p) + original(2 * p)[:n - p]
        out.append(("slopes without [0::2]", config, weights, {"alibi_slopes_press2022": no_stride}))
        out.append(("slopes in reverse head order", config, weights,
                    {"alibi_slopes_press2022": lambda n: original(n)[::-1]}))
        bias = alibi_bias_press2022
        out.append(("bias scaled by 1/sqrt(d)", config, weights,
                    {"alibi_bias_press2022": lambda h, T: bias(h, T) / math.sqrt(d)}))
    elif spec.kind in ("relative_key", "relative_key_query"):
        flipped = dict(weights)
        for name in weights:
            if name.endswith("distance_embedding.weight"):
                flipped[name] = weights[name].flip(0)  # table[r - l + P - 1]
        out.append(("distance r - l", config, flipped, {}))
        other = "relative_key" if spec.kind == "relative_key_query" else "relative_key_query"
        out.append((other, with_cfg(position_embedding_type=other), weights, {}))
        rel = relative_key_scores_hf_bert

        def scaled_first(q, k, table, max_pos, with_key_term):
            both = rel(q, k, table, max_pos, with_key_term)
            plain = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            return plain + (both - plain) * math.sqrt(q.shape[-1])
        out.append(("term not divided by sqrt(d)", config, weights,
                    {"relative_key_scores_hf_bert": scaled_first}))
    elif spec.kind == "relative_bias":
        bias = t5_relative_bias_raffel2020
        out.append(("relative position i - j", config, weights,
                    {"t5_relative_bias_raffel2020":
                     lambda table, T, nb, md: bias(table, T, nb, md).transpose(1, 2)}))
        out.append(("bias scaled by 1/sqrt(d)", config, weights,
                    {"t5_relative_bias_raffel2020":
                     lambda table, T, nb, md: bias(table, T, nb, md) / math.sqrt(d)}))
        if "relative_attention_max_distance" in config:
            out.append(("max_distance ignored (128)",
                        {k: v for k, v in config.items() if k != "relative_attention_max_distance"},
                        weights, {}))
        else:
            out.append(("max_distance 16", with_cfg(relative_attention_max_distance=16), weights, {}))
    return out


def run_patched(patches: Dict[str, object], fn):
    g = globals()
    saved = {k: g[k] for k in patches}
    g.update(patches)
    try:
        return fn()
    finally:
        g.update(saved)


def self_check(out_dir: str) -> bool:
    print("\nself-check")
    unit_checks(out_dir)
    ok = True
    for spec in SPECS:
        directory = os.path.join(out_dir, spec.name)
        config = json.load(open(os.path.join(directory, "config.json")))
        check(config == bert_config(spec), f"{spec.name}: config.json")
        weights_np, tags = read_safetensors(os.path.join(directory, "model.safetensors"))
        ref, _ = read_safetensors(os.path.join(directory, "reference.safetensors"))
        check(set(tags) == set(stored_weights(spec)) and set(tags.values()) == {"F32"},
              f"{spec.name}: tensor names")
        check(all(k.startswith(spec.prefix) for k in tags), "prefix")
        pe = weights_np[spec.prefix + "embeddings.position_embeddings.weight"]
        check(pe.shape == (spec.max_pos, spec.hidden) and np.abs(pe).min() > 0, "absolute table")
        weights = {k: torch.from_numpy(v) for k, v in weights_np.items()}
        inputs = {k: ref[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
        reference = {k: ref[k] for k in ("last_hidden_state", "hidden_states", "attentions")}
        run = lambda inp, **kw: encoder_forward(config, weights, spec.prefix, inp, **kw)

        # 1. Bit-exact replay from the stored weights.
        replay = max(max_abs_diff(run(inputs)[k], reference[k]) for k in reference)
        # 2. Padding changes nothing: each sequence alone, unpadded.
        alone = 0.0
        for b, n in enumerate(spec.lengths):
            o = run({k: v[b:b + 1, :n].copy() for k, v in inputs.items()})
            alone = max(alone,
                        max_abs_diff(o["hidden_states"], reference["hidden_states"][:, b:b + 1, :n]),
                        max_abs_diff(o["attentions"], reference["attentions"][:, b:b + 1, :, :n, :n]))
        # 3. Exact zeros at pads; rows sum to 1.
        mask = inputs["attention_mask"].astype(bool)
        att = reference["attentions"]
        pads_zero = (not reference["hidden_states"][:, ~mask].any()
                     and not reference["last_hidden_state"][~mask].any()
                     and not att[np.broadcast_to(~mask[None, :, None, None, :], att.shape)].any()
                     and not att[np.broadcast_to(~mask[None, :, None, :, None], att.shape)].any())
        row_sums = att.sum(-1)[np.broadcast_to(mask[None, :, None, :], att.shape[:-1])]
        sums_ok = bool(np.abs(row_sums - 1).max() < 1e-5)
        # 4. The positional term matters; without it, the encoder is the torch.nn
        #    reference (ordo_tools.reference) with kind "none" and is permutation-equivariant.
        bare = run(inputs, positional=False)
        sensitivity = max_abs_diff(bare["last_hidden_state"], reference["last_hidden_state"])
        none_config = dict(config, position_embedding_type="none")
        nn_model = build_reference(none_config, {k[len(spec.prefix):]: v for k, v in weights_np.items()})
        nn_out = run_reference(nn_model, inputs)
        vs_nn = max(max_abs_diff(nn_out[k], bare[k]) for k in bare)
        row = int(np.argmax(spec.lengths))
        n = spec.lengths[row]
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(spec.seed)).numpy()
        permuted = {k: v.copy() for k, v in inputs.items()}
        for k in ("input_ids", "token_type_ids"):
            permuted[k][row, :n] = inputs[k][row, perm]
        pb = run(permuted, positional=False)
        equivariance = max(
            max_abs_diff(pb["hidden_states"][:, row, :n], bare["hidden_states"][:, row, perm]),
            max_abs_diff(pb["attentions"][:, row, :, :n, :n],
                         bare["attentions"][:, row][:, :, perm][:, :, :, perm]))
        pp = run(permuted)
        with_pos = max_abs_diff(pp["hidden_states"][:, row, :n], reference["hidden_states"][:, row, perm])
        # 5. The absolute table is ignored: adding it would be visible.
        absolute = max_abs_diff(run(inputs, add_absolute=True)["last_hidden_state"],
                                reference["last_hidden_state"])
        # 6. Plausible wrong implementations are told apart.
        confused = []
        for label, cfg, wts, patches in confusions(spec, config, weights):
            o = run_patched(patches, lambda: encoder_forward(cfg, wts, spec.prefix, inputs))
            confused.append((label, max_abs_diff(o["last_hidden_state"], reference["last_hidden_state"])))
        extra = ""
        if spec.kind == "rotary":
            # flash-attn / NomicBERT compute the angles in float32.
            f32 = rotary_float32_angles_output(config, weights, spec.prefix, inputs)
            extra = f"  f32-angles max|d| {max(max_abs_diff(f32[k], reference[k]) for k in f32):.1e}"
        line_ok = (replay == 0.0 and alone <= 1e-5 and pads_zero and sums_ok
                   and sensitivity > 1e-2 and vs_nn <= 1e-5 and equivariance <= 1e-5
                   and with_pos > 1e-2 and absolute > 1e-2
                   and all(delta > 1e-2 for _, delta in confused))
        ok &= line_ok
        print(f"  {spec.name:33s} replay {replay:.0e} alone {alone:.1e} pads0 {pads_zero} "
              f"sum1 {sums_ok} | no-pos: d {sensitivity:.3f} vs-nn {vs_nn:.1e} "
              f"perm {equivariance:.1e} | pos perm d {with_pos:.2f} | +abs d {absolute:.2f}"
              f"{extra}  {'ok' if line_ok else 'FAIL'}")
        print("      wrong variants: " + ", ".join(f"{label} d {delta:.2f}" for label, delta in confused))
    return ok


def rotary_float32_angles_output(config, weights, prefix, inputs):
    """The encoder with flash-attn's float32 inv_freq / angles (for the report only)."""
    def rope_f32(x, base, fraction, interleaved):
        T, d = x.shape[-2], x.shape[-1]
        rot = int(d * fraction)
        inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float32) / rot))
        angle = torch.outer(torch.arange(T, dtype=torch.float32), inv_freq)
        cos, sin = torch.cos(angle), torch.sin(angle)
        x1, x2 = ((x[..., 0:rot:2], x[..., 1:rot:2]) if interleaved
                  else (x[..., :rot // 2], x[..., rot // 2:rot]))
        y1, y2 = x1 * cos - x2 * sin, x2 * cos + x1 * sin
        y = torch.stack((y1, y2), -1).flatten(-2) if interleaved else torch.cat((y1, y2), -1)
        return torch.cat((y, x[..., rot:]), -1)

    return run_patched({"rope_su2021": rope_f32},
                       lambda: encoder_forward(config, weights, prefix, inputs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--self-check", action="store_true",
                        help="after writing, re-read every file and run the checks")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    os.makedirs(args.out_dir, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    for spec in SPECS:
        make_fixture(spec, args.out_dir)
    write_buckets(args.out_dir)
    write_readme(args.out_dir)
    if args.self_check:
        ok = self_check(args.out_dir)
        print("self-check:", "PASS" if ok else "FAIL")
        if not ok:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
