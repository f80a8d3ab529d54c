#!/usr/bin/python3
"""Fixtures for the Hugging Face model families beyond BERT: tiny random checkpoints in each
family's exact layout (config.json as Hugging Face writes it, weights under its names) and
PyTorch references of what Hugging Face's modeling code computes on them.

Usage (Debian's python3-torch + python3-numpy; no `transformers` needed or used):

    /usr/bin/python3 tools/make_family_fixtures.py tests/fixtures/families

Writes one directory per fixture:
  roberta_mlm/          model_type roberta, RobertaForMaskedLM names (roberta.*, lm_head.*),
                        pad_token_id 1 so positions start at 2, type_vocab_size 1, eps 1e-5
  xlm_roberta/          model_type xlm-roberta, XLMRobertaModel names without a prefix
  distilbert_mlm/       DistilBertForMaskedLM names (distilbert.*, vocab_*), learned positions
  distilbert_sinusoidal/ sinusoidal_pos_embds true (the table is stored, as HF stores it, but
                        must be recomputed), relu
  marian/               MarianMTModel encoder names (model.shared, model.encoder.layers.*),
                        swish, scale_embedding, blocked sinusoidal positions from 0
  bert_pooler/          BertModel names with the bert. prefix (as task-head checkpoints save
                        them), two token types, and pooler.dense: reference pooler_output
  albert/               AlbertForMaskedLM names, embedding_size 24 < hidden 48, 4 layers from
                        2 groups of 2 shared layers (8 applications), token types of a pair;
                        references for the MLM head (at embedding_size) and the pooler
each with config.json, model.safetensors and reference.safetensors holding input_ids (padded
with the family's pad id), attention_mask, token_type_ids, last_hidden_state [B, T, H] (zero at
padding) and, for the MLM fixtures, mlm_logits [B, T, vocab] (zero at padding).

The references below follow Hugging Face's modeling files line by line (roberta, distilbert,
marian as of transformers 4.4x), written with torch.nn.functional; they share nothing with
ordo's C++ code. Each fixture is also checked to be sensitive to what its family does
differently (position offset, embedding scale, the sinusoidal layout): the reference with the
BERT default instead must differ by more than 1e-2, so a loader that ignored it would fail.
"""

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))  # tools/py: the ordo_tools package
from ordo_tools.checkpoint import write_json  # noqa: E402
from ordo_tools.safetensors import write_safetensors  # noqa: E402
from ordo_tools.sinusoid import sinusoidal_table  # noqa: E402

ACT = {"gelu": lambda x: F.gelu(x), "relu": F.relu, "swish": F.silu, "silu": F.silu,
       "gelu_new": lambda x: F.gelu(x, approximate="tanh")}


class Weights:
    """Deterministic random weights, recorded under their Hugging Face names."""

    def __init__(self, seed: int):
        self.gen = torch.Generator().manual_seed(seed)
        self.tensors: Dict[str, torch.Tensor] = {}

    def normal(self, name, shape, std=0.05, mean=0.0):
        t = torch.randn(*shape, generator=self.gen) * std + mean
        self.tensors[name] = t
        return t

    def linear(self, base, n_out, n_in):
        return self.normal(base + ".weight", (n_out, n_in), 1 / math.sqrt(n_in)), \
            self.normal(base + ".bias", (n_out,), 0.05)

    def norm(self, base, n):
        return self.normal(base + ".weight", (n,), 0.1, 1.0), self.normal(base + ".bias", (n,))


def attention(h, mask, q, k, v, o, heads, fill):
    """Eager self-attention as HF writes it; `fill` is what masked scores become."""
    B, T, H = h.shape
    d = H // heads
    split = lambda x: x.view(B, T, heads, d).transpose(1, 2)
    qh, kh, vh = split(F.linear(h, *q)), split(F.linear(h, *k)), split(F.linear(h, *v))
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(d)
    scores = scores.masked_fill(mask[:, None, None, :] == 0, fill)
    context = (scores.softmax(-1) @ vh).transpose(1, 2).reshape(B, T, H)
    return F.linear(context, *o)


def sinusoidal(n_pos, dim, blocked):
    """Marian's blocked layout or DistilBERT's interleaved one, as a torch tensor."""
    return torch.from_numpy(sinusoidal_table(n_pos, dim, blocked))


def padded_ids(lengths, vocab, pad, seed, low=3):
    rng = np.random.default_rng(seed)
    T = max(lengths)
    ids = np.full((len(lengths), T), pad, dtype=np.int64)
    mask = np.zeros((len(lengths), T), dtype=np.int64)
    for b, n in enumerate(lengths):
        row = rng.integers(low, vocab, size=n)
        row[row == pad] = low  # a real token never equals the pad id
        ids[b, :n], mask[b, :n] = row, 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


# --------------------------------------------------------------------------- RoBERTa

def roberta(out, model_type, prefix, with_head, seed, H=48, L=2, heads=4, I=96, V=67, P=40,
            act="gelu", offset_override=None, bert_with_pooler=False):
    """RoBERTa / XLM-R (modeling_roberta.py); with bert_with_pooler, BertModel instead
    (modeling_bert.py: positions from 0, two token types, eps 1e-12) with its BertPooler:
    pooler_output = tanh(dense(hidden_states[:, 0]))."""
    pad, eps, n_types = (0, 1e-12, 2) if bert_with_pooler else (1, 1e-5, 1)
    w = Weights(seed)
    word = w.normal(f"{prefix}embeddings.word_embeddings.weight", (V, H))
    pos_table = w.normal(f"{prefix}embeddings.position_embeddings.weight", (P, H))
    types = w.normal(f"{prefix}embeddings.token_type_embeddings.weight", (n_types, H))
    emb_norm = w.norm(f"{prefix}embeddings.LayerNorm", H)
    layers = []
    for i in range(L):
        base = f"{prefix}encoder.layer.{i}."
        layers.append(dict(
            q=w.linear(base + "attention.self.query", H, H),
            k=w.linear(base + "attention.self.key", H, H),
            v=w.linear(base + "attention.self.value", H, H),
            o=w.linear(base + "attention.output.dense", H, H),
            n1=w.norm(base + "attention.output.LayerNorm", H),
            f1=w.linear(base + "intermediate.dense", I, H),
            f2=w.linear(base + "output.dense", H, I),
            n2=w.norm(base + "output.LayerNorm", H)))
    if bert_with_pooler:
        pooler = w.linear(f"{prefix}pooler.dense", H, H)
    if with_head:
        dense = w.linear("lm_head.dense", H, H)
        head_norm = w.norm("lm_head.layer_norm", H)
        bias = w.normal("lm_head.bias", (V,))
    # HF also saves the tied decoder weight under lm_head.decoder.weight; ordo must accept both.
    if with_head:
        w.tensors["lm_head.decoder.weight"] = word.clone()

    ids, mask = padded_ids([9, 5, 12], V, pad, seed)
    # A pair's second segment has token type 1 (BERT only: RoBERTa has one type).
    type_ids = ((torch.arange(ids.shape[1]) >= 4).long()[None, :] * mask if bert_with_pooler
                else torch.zeros_like(ids))

    # create_position_ids_from_input_ids: real tokens pad+1, pad+2, ...; padding pad.
    # BERT: position_ids = arange(seq_len), whatever the padding.
    m = (ids != pad).long()
    positions = (torch.arange(ids.shape[1])[None, :].expand_as(ids) if bert_with_pooler
                 else torch.cumsum(m, dim=1) * m + pad)

    def run(positions):
        h = word[ids] + pos_table[positions] + types[type_ids]
        h = F.layer_norm(h, (H,), *emb_norm, eps)
        fill = torch.finfo(torch.float32).min
        for p in layers:
            a = attention(h, mask, p["q"], p["k"], p["v"], p["o"], heads, fill)
            h = F.layer_norm(a + h, (H,), *p["n1"], eps)
            f = F.linear(ACT[act](F.linear(h, *p["f1"])), *p["f2"])
            h = F.layer_norm(f + h, (H,), *p["n2"], eps)
        return h

    hidden = run(positions)
    refs = {"last_hidden_state": hidden}
    if bert_with_pooler:
        refs["pooler_output"] = torch.tanh(F.linear(hidden[:, 0], *pooler))
        config = {"architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
                  "hidden_act": act, "hidden_dropout_prob": 0.1, "hidden_size": H,
                  "initializer_range": 0.02, "intermediate_size": I, "layer_norm_eps": eps,
                  "max_position_embeddings": P, "model_type": "bert", "num_attention_heads": heads,
                  "num_hidden_layers": L, "pad_token_id": pad, "position_embedding_type": "absolute",
                  "type_vocab_size": n_types, "vocab_size": V}
        # A loader that ignored the pooler (plain first-token pooling) must fail.
        sensitivity = float((refs["pooler_output"] - hidden[:, 0]).abs().max())
        return finish(out, config, w, ids, mask, refs, sensitivity, type_ids)
    if with_head:
        x = F.layer_norm(F.gelu(F.linear(hidden, *dense)), (H,), *head_norm, eps)
        refs["mlm_logits"] = F.linear(x, word, bias)
    config = {"architectures": ["RobertaForMaskedLM" if with_head else "XLMRobertaModel"],
              "attention_probs_dropout_prob": 0.1, "bos_token_id": 0, "eos_token_id": 2,
              "hidden_act": act, "hidden_dropout_prob": 0.1, "hidden_size": H,
              "initializer_range": 0.02, "intermediate_size": I, "layer_norm_eps": eps,
              "max_position_embeddings": P, "model_type": model_type,
              "num_attention_heads": heads, "num_hidden_layers": L, "pad_token_id": pad,
              "position_embedding_type": "absolute", "type_vocab_size": 1, "use_cache": True,
              "vocab_size": V}
    # Positions from 0 (BERT's way) instead of pad + 1 must change the output.
    from_zero = (torch.cumsum(m, dim=1) - 1) * m
    sensitivity = float(((run(from_zero) - hidden) * m[..., None]).abs().max())
    return finish(out, config, w, ids, mask, refs, sensitivity)


# --------------------------------------------------------------------------- DistilBERT

def distilbert(out, with_head, sinusoidal_positions, act, seed, H=48, L=2, heads=4, I=96, V=59,
               P=40):
    eps, pad = 1e-12, 0
    prefix = "distilbert." if with_head else ""
    w = Weights(seed)
    word = w.normal(f"{prefix}embeddings.word_embeddings.weight", (V, H))
    if sinusoidal_positions:
        pos_table = sinusoidal(P, H, blocked=False)
        w.tensors[f"{prefix}embeddings.position_embeddings.weight"] = pos_table
    else:
        pos_table = w.normal(f"{prefix}embeddings.position_embeddings.weight", (P, H))
    emb_norm = w.norm(f"{prefix}embeddings.LayerNorm", H)
    layers = []
    for i in range(L):
        base = f"{prefix}transformer.layer.{i}."
        layers.append(dict(
            q=w.linear(base + "attention.q_lin", H, H), k=w.linear(base + "attention.k_lin", H, H),
            v=w.linear(base + "attention.v_lin", H, H),
            o=w.linear(base + "attention.out_lin", H, H), n1=w.norm(base + "sa_layer_norm", H),
            f1=w.linear(base + "ffn.lin1", I, H), f2=w.linear(base + "ffn.lin2", H, I),
            n2=w.norm(base + "output_layer_norm", H)))
    if with_head:
        transform = w.linear("vocab_transform", H, H)
        head_norm = w.norm("vocab_layer_norm", H)
        bias = w.normal("vocab_projector.bias", (V,))

    ids, mask = padded_ids([7, 11, 4], V, pad, seed)
    T = ids.shape[1]
    h = word[ids] + pos_table[torch.arange(T)][None]
    h = F.layer_norm(h, (H,), *emb_norm, eps)
    fill = torch.finfo(torch.float32).min
    for p in layers:
        sa = attention(h, mask, p["q"], p["k"], p["v"], p["o"], heads, fill)
        sa = F.layer_norm(sa + h, (H,), *p["n1"], eps)
        f = F.linear(ACT[act](F.linear(sa, *p["f1"])), *p["f2"])
        h = F.layer_norm(f + sa, (H,), *p["n2"], eps)
    refs = {"last_hidden_state": h}
    if with_head:
        x = F.layer_norm(ACT[act](F.linear(h, *transform)), (H,), *head_norm, eps)
        refs["mlm_logits"] = F.linear(x, word, bias)
    config = {"activation": act, "architectures": ["DistilBertForMaskedLM" if with_head
                                                   else "DistilBertModel"],
              "attention_dropout": 0.1, "dim": H, "dropout": 0.1, "hidden_dim": I,
              "initializer_range": 0.02, "max_position_embeddings": P,
              "model_type": "distilbert", "n_heads": heads, "n_layers": L, "pad_token_id": pad,
              "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
              "sinusoidal_pos_embds": sinusoidal_positions, "tie_weights_": True,
              "vocab_size": V}
    sensitivity = 1.0
    if sinusoidal_positions:  # the blocked layout instead must differ
        sensitivity = float((sinusoidal(P, H, True) - pos_table).abs().max())
    return finish(out, config, w, ids, mask, refs, sensitivity)


# --------------------------------------------------------------------------- Marian

def marian(out, seed, H=48, L=2, heads=4, I=96, V=61, P=64):
    eps, pad = 1e-5, V - 1
    w = Weights(seed)
    shared = w.normal("model.shared.weight", (V, H), 0.2)
    # HF stores the tied copies too; the encoder's must be the one read when present.
    w.tensors["model.encoder.embed_tokens.weight"] = shared.clone()
    w.tensors["model.decoder.embed_tokens.weight"] = shared.clone()
    table = sinusoidal(P, H, blocked=True)
    w.tensors["model.encoder.embed_positions.weight"] = table
    layers = []
    for i in range(L):
        base = f"model.encoder.layers.{i}."
        layers.append(dict(
            q=w.linear(base + "self_attn.q_proj", H, H), k=w.linear(base + "self_attn.k_proj", H, H),
            v=w.linear(base + "self_attn.v_proj", H, H),
            o=w.linear(base + "self_attn.out_proj", H, H),
            n1=w.norm(base + "self_attn_layer_norm", H), f1=w.linear(base + "fc1", I, H),
            f2=w.linear(base + "fc2", H, I), n2=w.norm(base + "final_layer_norm", H)))
    w.normal("final_logits_bias", (1, V))  # the decoder side, present in real checkpoints

    ids, mask = padded_ids([6, 10, 3], V, pad, seed)
    ids[:, :] = torch.where(mask.bool(), ids, torch.full_like(ids, pad))
    T = ids.shape[1]
    scale = math.sqrt(H)

    def run(embed_scale):
        h = shared[ids] * embed_scale + table[torch.arange(T)][None]
        fill = torch.finfo(torch.float32).min
        for p in layers:
            # MarianAttention scales q by head_dim^-0.5 before the product: same math.
            a = attention(h, mask, p["q"], p["k"], p["v"], p["o"], heads, fill)
            h = F.layer_norm(h + a, (H,), *p["n1"], eps)
            f = F.linear(F.silu(F.linear(h, *p["f1"])), *p["f2"])
            h = F.layer_norm(h + f, (H,), *p["n2"], eps)
        return h

    hidden = run(scale)
    sensitivity = float(((run(1.0) - hidden) * mask[..., None]).abs().max())
    config = {"activation_dropout": 0.0, "activation_function": "swish",
              "architectures": ["MarianMTModel"], "attention_dropout": 0.0, "bos_token_id": 0,
              "d_model": H, "decoder_attention_heads": heads, "decoder_ffn_dim": I,
              "decoder_layers": L, "decoder_start_token_id": pad, "dropout": 0.1,
              "encoder_attention_heads": heads, "encoder_ffn_dim": I, "encoder_layers": L,
              "eos_token_id": 0, "is_encoder_decoder": True, "max_position_embeddings": P,
              "model_type": "marian", "normalize_embedding": False, "pad_token_id": pad,
              "scale_embedding": True, "static_position_embeddings": True,
              "share_encoder_decoder_embeddings": True, "vocab_size": V}
    return finish(out, config, w, ids, mask, {"last_hidden_state": hidden}, sensitivity)


# --------------------------------------------------------------------------- ALBERT

def albert(out, seed, E=24, H=48, L=4, groups=2, inner=2, heads=4, I=96, V=53, P=40):
    """modeling_albert.py: AlbertEmbeddings (word + position + token type at embedding_size,
    LayerNorm), AlbertTransformer (embedding_hidden_mapping_in, then for i in range(L) the group
    int(i / (L / groups)) runs its `inner` AlbertLayers: attention with its own dense +
    LayerNorm(x + dense), ffn -> gelu_new -> ffn_output, full_layer_layer_norm)."""
    eps, pad = 1e-12, 0
    w = Weights(seed)
    word = w.normal("albert.embeddings.word_embeddings.weight", (V, E))
    pos_table = w.normal("albert.embeddings.position_embeddings.weight", (P, E))
    type_table = w.normal("albert.embeddings.token_type_embeddings.weight", (2, E))
    emb_norm = w.norm("albert.embeddings.LayerNorm", E)
    mapping = w.linear("albert.encoder.embedding_hidden_mapping_in", H, E)
    group_layers = []
    for g in range(groups):
        layers = []
        for k in range(inner):
            base = f"albert.encoder.albert_layer_groups.{g}.albert_layers.{k}."
            layers.append(dict(
                q=w.linear(base + "attention.query", H, H), k=w.linear(base + "attention.key", H, H),
                v=w.linear(base + "attention.value", H, H),
                o=w.linear(base + "attention.dense", H, H), n1=w.norm(base + "attention.LayerNorm", H),
                f1=w.linear(base + "ffn", I, H), f2=w.linear(base + "ffn_output", H, I),
                n2=w.norm(base + "full_layer_layer_norm", H)))
        group_layers.append(layers)
    # AlbertForMaskedLM's head (AlbertMLMHead) and AlbertModel's pooler; the decoder is tied to
    # the word embeddings and saved under its own names too, as Hugging Face saves it.
    head_dense = w.linear("predictions.dense", E, H)
    head_norm = w.norm("predictions.LayerNorm", E)
    head_bias = w.normal("predictions.bias", (V,))
    pooler = w.linear("albert.pooler", H, H)
    w.tensors["predictions.decoder.weight"] = word.clone()
    w.tensors["predictions.decoder.bias"] = head_bias.clone()

    ids, mask = padded_ids([8, 13, 5], V, pad, seed)
    types = torch.zeros_like(ids)
    for b, n in enumerate(mask.sum(1).tolist()):  # a pair: second segment from the middle on
        types[b, n // 2:n] = 1
    T = ids.shape[1]
    fill = torch.finfo(torch.float32).min

    def run(share_layers):
        h = word[ids] + pos_table[torch.arange(T)][None] + type_table[types]
        h = F.linear(F.layer_norm(h, (E,), *emb_norm, eps), *mapping)
        for i in range(L):
            group = int(i / (L / groups)) if share_layers else 0
            for p in group_layers[group]:
                a = attention(h, mask, p["q"], p["k"], p["v"], p["o"], heads, fill)
                h = F.layer_norm(h + a, (H,), *p["n1"], eps)
                f = F.linear(ACT["gelu_new"](F.linear(h, *p["f1"])), *p["f2"])
                h = F.layer_norm(f + h, (H,), *p["n2"], eps)
        return h

    hidden = run(True)
    sensitivity = float(((run(False) - hidden) * mask[..., None]).abs().max())
    config = {"architectures": ["AlbertForMaskedLM"], "attention_probs_dropout_prob": 0,
              "bos_token_id": 2, "classifier_dropout_prob": 0.1, "embedding_size": E,
              "eos_token_id": 3, "hidden_act": "gelu_new", "hidden_dropout_prob": 0,
              "hidden_size": H, "initializer_range": 0.02, "inner_group_num": inner,
              "intermediate_size": I, "layer_norm_eps": eps, "max_position_embeddings": P,
              "model_type": "albert", "num_attention_heads": heads, "num_hidden_groups": groups,
              "num_hidden_layers": L, "pad_token_id": pad, "position_embedding_type": "absolute",
              "type_vocab_size": 2, "vocab_size": V}
    head = F.layer_norm(ACT["gelu_new"](F.linear(hidden, *head_dense)), (E,), *head_norm, eps)
    refs = {"last_hidden_state": hidden, "mlm_logits": F.linear(head, word, head_bias),
            "pooler_output": torch.tanh(F.linear(hidden[:, 0], *pooler))}
    return finish(out, config, w, ids, mask, refs, sensitivity, types=types)


# --------------------------------------------------------------------------- output

def finish(out, config, w, ids, mask, refs, sensitivity, types=None,
           generator="tools/make_family_fixtures.py"):
    if not sensitivity > 1e-2:
        raise RuntimeError(f"{out}: the fixture does not test what its family does differently "
                           f"(sensitivity {sensitivity})")
    os.makedirs(out, exist_ok=True)
    write_json(os.path.join(out, "config.json"), config)
    write_safetensors(os.path.join(out, "model.safetensors"),
                      {k: ("F32", v.detach().numpy().astype("<f4")) for k, v in w.tensors.items()},
                      {"format": "pt"})
    tensors = {"input_ids": ("I64", ids.numpy()), "attention_mask": ("I64", mask.numpy()),
               "token_type_ids": ("I64", (types if types is not None
                                          else torch.zeros_like(ids)).numpy())}
    for name, value in refs.items():
        if value.dim() == 3:
            value = value.detach() * mask[..., None]  # zero at padding, as ordo writes it
        if not value.is_floating_point():  # ids, as the inputs are stored
            tensors[name] = ("I64", value.numpy())
            continue
        tensors[name] = ("F32", value.detach().numpy().astype("<f4"))
    write_safetensors(os.path.join(out, "reference.safetensors"), tensors,
                      {"generator": generator})
    print(f"wrote {out} (sensitivity {sensitivity:.3g})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    j = lambda name: os.path.join(args.out_dir, name)
    roberta(j("roberta_mlm"), "roberta", "roberta.", True, seed=11)
    roberta(j("xlm_roberta"), "xlm-roberta", "", False, seed=12, act="gelu_new")
    distilbert(j("distilbert_mlm"), True, False, "gelu", seed=13)
    distilbert(j("distilbert_sinusoidal"), False, True, "relu", seed=14)
    marian(j("marian"), seed=15)
    roberta(j("bert_pooler"), "bert", "bert.", False, seed=17, bert_with_pooler=True)
    albert(j("albert"), seed=16)
    return 0


if __name__ == "__main__":
    sys.exit(main())
