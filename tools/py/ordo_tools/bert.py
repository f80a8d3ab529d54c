"""A BERT encoder under Hugging Face's names, for training, export and ONNX Runtime.

The module tree and parameter names ARE Hugging Face's BertModel / BertForMaskedLM ones
(`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, ...), so
`state_dict()` keys are checkpoint names and a checkpoint loads with load_state_dict. It is
written from plain torch.nn pieces (Embedding, Linear, LayerNorm, GELU, softmax) in the order
of Hugging Face's modeling_bert.py, so that torch.onnx.export gives a graph ONNX Runtime's
BERT fusions recognise. Post-LN, exact (erf) GELU. position_embedding_type: added to the input
"absolute" (a learned table) or "sinusoidal" (the fixed interleaved table, never in the state
dict); inside attention "rotary", "alibi" or "relative_bias" (T5 buckets, one table
encoder.relative_attention_bias [buckets, heads] for all layers), as ordo_tools.positions
computes them; or "none" (no position information at all).

Used by tools/bench/make_synthetic.py (Bert: the benchmark's random checkpoint and its ONNX
export) and tools/train (BertForMaskedLM: the bundled models). This is not the fixtures'
reference: that one, ordo_tools.reference, is built from nn.TransformerEncoderLayer instead.
"""

import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from .positions import alibi_bias_press2022, rope_su2021, t5_relative_bias_raffel2020
from .safetensors import read_safetensors
from .sinusoid import sinusoidal_table

ADDED_TO_INPUT = ("absolute", "sinusoidal")
INSIDE_ATTENTION = ("rotary", "alibi", "relative_bias")
POSITION_KINDS = ADDED_TO_INPUT + INSIDE_ATTENTION + ("none",)


class Embeddings(nn.Module):
    """word + token type + position, then LayerNorm.

    Float addition is not associative, so the order of the sum is part of a model's recipe:
    Hugging Face adds the token type before the position, ordo's bundled models were trained
    adding the position first (position_before_type=True, set by BertForMaskedLM).
    """

    def __init__(self, cfg, position_before_type=False):
        super().__init__()
        h = cfg["hidden_size"]
        self.position_embedding_type = cfg["position_embedding_type"]
        self.position_before_type = position_before_type
        self.word_embeddings = nn.Embedding(cfg["vocab_size"], h)
        if self.position_embedding_type == "absolute":
            self.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], h)
        elif self.position_embedding_type not in POSITION_KINDS:
            raise ValueError(f"unknown position_embedding_type {self.position_embedding_type}")
        self.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        if self.position_embedding_type == "absolute":
            # As in HF: a buffer sliced to the sequence length (not a checkpoint tensor).
            self.register_buffer("position_ids",
                                 torch.arange(cfg["max_position_embeddings"]).expand((1, -1)),
                                 persistent=False)
        self._sinusoid = torch.zeros(0, h)  # plain attribute: never part of state_dict

    def positions(self, position_ids, length):
        """[1, length, hidden]: the learned rows at position_ids, or the sinusoid."""
        if position_ids is not None:
            return self.position_embeddings(position_ids)
        if self._sinusoid.shape[0] < length:
            self._sinusoid = torch.from_numpy(sinusoidal_table(
                max(length, 512), self.word_embeddings.embedding_dim, blocked=False))
        return self._sinusoid[:length][None]

    def forward(self, input_ids, token_type_ids):
        # Ops in HF's order (slice, word, type, add, position, add): the ONNX graph depends on it.
        length = input_ids.size(1)
        position_ids = (self.position_ids[:, :length]
                        if self.position_embedding_type == "absolute" else None)
        words = self.word_embeddings(input_ids)
        types = self.token_type_embeddings(token_type_ids)
        if self.position_embedding_type not in ADDED_TO_INPUT:
            return self.LayerNorm(words + types)
        if self.position_before_type:
            x = words + self.positions(position_ids, length) + types
        else:
            x = words + types + self.positions(position_ids, length)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.heads = cfg["num_attention_heads"]
        self.head_size = cfg["hidden_size"] // self.heads
        self.query = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.key = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.value = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])

    def split_heads(self, x):  # [B, T, H*D] -> [B, H, T, D]
        x = x.view(x.size()[:-1] + (self.heads, self.head_size))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, mask_bias, rotary=None):
        """mask_bias: the padding mask plus any position bias; rotary: rope_su2021's keyword
        arguments when q and k are rotated."""
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        if rotary is not None:
            q, k = rope_su2021(q, **rotary), rope_su2021(k, **rotary)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        probs = torch.softmax(scores + mask_bias, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size()[:-2] + (self.heads * self.head_size,))


class DenseLayerNorm(nn.Module):
    """x -> LayerNorm(dense(x) + residual): BertSelfOutput and BertOutput."""

    def __init__(self, n_in, n_out, eps):
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        self.LayerNorm = nn.LayerNorm(n_out, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self = SelfAttention(cfg)
        self.output = DenseLayerNorm(cfg["hidden_size"], cfg["hidden_size"], cfg["layer_norm_eps"])

    def forward(self, x, mask_bias, rotary=None):
        return self.output(self.self(x, mask_bias, rotary), x)


class Intermediate(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.dense = nn.Linear(cfg["hidden_size"], cfg["intermediate_size"])
        self.act = nn.GELU()  # exact (erf) GELU: hidden_act "gelu"

    def forward(self, x):
        return self.act(self.dense(x))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention = Attention(cfg)
        self.intermediate = Intermediate(cfg)
        self.output = DenseLayerNorm(cfg["intermediate_size"], cfg["hidden_size"],
                                     cfg["layer_norm_eps"])

    def forward(self, x, mask_bias, rotary=None):
        a = self.attention(x, mask_bias, rotary)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.kind = cfg["position_embedding_type"]
        self.layer = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))
        if self.kind == "relative_bias":
            self.relative_attention_bias = nn.Embedding(
                cfg.get("relative_attention_num_buckets", 32), cfg["num_attention_heads"])

    def position_terms(self, length):
        """(score bias [heads, T, T] or None, rotary arguments or None) for this kind."""
        heads = self.cfg["num_attention_heads"]
        if self.kind == "alibi":
            return alibi_bias_press2022(heads, length), None
        if self.kind == "relative_bias":
            return t5_relative_bias_raffel2020(
                self.relative_attention_bias.weight, length,
                self.cfg.get("relative_attention_num_buckets", 32),
                self.cfg.get("relative_attention_max_distance", 128)), None
        if self.kind == "rotary":
            return None, dict(base=float(self.cfg.get("rotary_emb_base", 10000)),
                              fraction=float(self.cfg.get("rotary_emb_fraction", 1.0)),
                              interleaved=bool(self.cfg.get("rotary_emb_interleaved", False)))
        return None, None

    def forward(self, x, mask_bias):
        bias, rotary = self.position_terms(x.shape[1])
        if bias is not None:
            mask_bias = mask_bias + bias[None]
        for layer in self.layer:
            x = layer(x, mask_bias, rotary)
        return x


class Bert(nn.Module):
    """BertModel without the pooler: returns last_hidden_state [batch, seq, hidden]."""

    def __init__(self, cfg, position_before_type=False):
        super().__init__()
        self.embeddings = Embeddings(cfg, position_before_type)
        self.encoder = Encoder(cfg)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        # HF's extended mask: 0 where attended, dtype-min where padded, broadcast over heads
        # and query rows.
        mask = attention_mask[:, None, None, :].to(torch.float32)
        mask_bias = (1.0 - mask) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(input_ids, token_type_ids), mask_bias)


class PredictionHead(nn.Module):
    """HF BertLMPredictionHead: transform (dense, gelu, LayerNorm), tied decoder, bias."""

    def __init__(self, cfg):
        super().__init__()
        self.transform = nn.Module()
        self.transform.dense = nn.Linear(cfg["hidden_size"], cfg["hidden_size"])
        self.transform.LayerNorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        self.bias = nn.Parameter(torch.zeros(cfg["vocab_size"]))

    def forward(self, x, word_embeddings):
        x = self.transform.LayerNorm(F.gelu(self.transform.dense(x)))
        return x @ word_embeddings.t() + self.bias


class BertForMaskedLM(nn.Module):
    """The bundled models: Bert (position added before token type) and the MLM head."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.bert = Bert(cfg, position_before_type=True)
        self.cls = nn.Module()
        self.cls.predictions = PredictionHead(cfg)

    def mlm_logits(self, hidden):
        return self.cls.predictions(hidden, self.bert.embeddings.word_embeddings.weight)

    def init_weights(self, seed, embed_std=0.02, position_init="sinusoid"):
        """BERT init (normal std 0.02, zero bias, unit LayerNorm) except for the tables.

        Position parameters (the learned table, the relative bias table) come from their own
        generator, so every twin draws identical shared weights whatever its kind.

        The word table is drawn with `embed_std`. With an unscaled sinusoid (RMS 0.707) added
        to N(0, 0.02^2) word vectors, the word signal is 3% of the input and MLM sat on the
        unigram plateau; a larger `embed_std` fixes that. The learned position table starts
        as the sinusoid (`position_init="sinusoid"`), so that both models start as the same
        function, or is drawn with `embed_std` (`"normal"`). From random values its rows
        32-127, which get no gradient in the 32-token phase, had to be learned from scratch
        in the 128-token phase, and 3000 steps were not enough (models/README.md). The MLM
        head's LayerNorm gain starts at 1/(embed_std*sqrt(H)) (capped at 1) so the tied
        decoder's initial logits have unit scale.

        Every parameter except the learned position table is drawn, in name order, from one
        generator seeded with `seed`; the position table from its own generator. So the
        sinusoidal and the learned model start from identical shared weights.
        """
        shared = torch.Generator().manual_seed(seed)
        positions = torch.Generator().manual_seed(seed + 1)
        head_gain = min(1.0, 1.0 / (embed_std * math.sqrt(self.cfg["hidden_size"])))
        tables = ("bert.embeddings.word_embeddings.weight",
                  "bert.embeddings.position_embeddings.weight")
        position_params = (tables[1], "bert.encoder.relative_attention_bias.weight")
        with torch.no_grad():
            for name, p in sorted(self.named_parameters()):
                gen = positions if name in position_params else shared
                if name == position_params[1]:
                    p.normal_(0.0, 0.02, generator=gen)
                elif name == "cls.predictions.transform.LayerNorm.weight":
                    p.fill_(head_gain)
                elif "LayerNorm.weight" in name:
                    p.fill_(1.0)
                elif name.endswith("bias"):
                    p.zero_()
                elif name == tables[1] and position_init == "sinusoid":
                    p.copy_(torch.from_numpy(sinusoidal_table(*p.shape, blocked=False)))
                elif name in tables:
                    p.normal_(0.0, embed_std, generator=gen)
                else:
                    p.normal_(0.0, 0.02, generator=gen)


def load_model_dir(model_dir):
    """config.json and model.safetensors (F16/F32 weights, widened to f32) -> (config, model),
    the model in eval mode."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    model = BertForMaskedLM(cfg)
    arrays, _ = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    weights = {name: torch.from_numpy(array) for name, array in arrays.items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ValueError(f"{model_dir}: missing {missing}, unexpected {unexpected}")
    model.eval()
    return cfg, model
