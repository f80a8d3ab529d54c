"""The torch.nn reference encoder of ordo's golden fixtures: what a BERT-style encoder must
compute, built from torch.nn modules (Embedding, LayerNorm, TransformerEncoderLayer,
MultiheadAttention) rather than written by hand.

Used by tools/make_fixtures.py (the fixtures), tools/make_bundled_reference.py (the bundled
models) and tools/make_position_fixtures.py --self-check. tools/make_fixtures.py's docstring
states the formulas, the glue from Hugging Face names to the torch modules, the positional
encodings, the zeroed pads and why the stored reference avoids torch's fused fast path.
"""

import functools
from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .sinusoid import sinusoidal_table


def activation_fn(name: str):
    # Strings "gelu"/"relu" map to F.gelu/F.relu inside torch (erf GELU).
    return {"gelu": "gelu", "relu": "relu", "silu": F.silu,
            "gelu_new": functools.partial(F.gelu, approximate="tanh")}[name]


class TorchReference(nn.Module):
    def __init__(self, config: Dict[str, object]):
        super().__init__()
        H = config["hidden_size"]
        eps = config["layer_norm_eps"]
        self.pre_ln = bool(config.get("ordo_pre_layer_norm", False))
        self.word_embeddings = nn.Embedding(config["vocab_size"], H)
        self.token_type_embeddings = nn.Embedding(config["type_vocab_size"], H)
        self.position_embeddings = (None if config["position_embedding_type"] == "none"
                                    else nn.Embedding(config["max_position_embeddings"], H))
        self.embeddings_norm = nn.LayerNorm(H, eps=eps)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                H, config["num_attention_heads"], config["intermediate_size"], dropout=0.0,
                activation=activation_fn(config["hidden_act"]), layer_norm_eps=eps,
                batch_first=True, norm_first=self.pre_ln)
            for _ in range(config["num_hidden_layers"]))
        self.final_norm = nn.LayerNorm(H, eps=eps) if self.pre_ln else None


def hf_to_torch_state_dict(config: Dict[str, object],
                           hf: Dict[str, np.ndarray]) -> Dict[str, torch.Tensor]:
    """The only glue between the HF checkpoint and the torch.nn modules."""
    t = lambda name: torch.from_numpy(np.array(hf[name], dtype=np.float32))
    sd = {
        "word_embeddings.weight": t("embeddings.word_embeddings.weight"),
        "token_type_embeddings.weight": t("embeddings.token_type_embeddings.weight"),
        "embeddings_norm.weight": t("embeddings.LayerNorm.weight"),
        "embeddings_norm.bias": t("embeddings.LayerNorm.bias"),
    }
    kind = config["position_embedding_type"]
    if kind == "absolute":
        sd["position_embeddings.weight"] = t("embeddings.position_embeddings.weight")
    elif kind in ("sinusoidal", "sinusoidal-blocked"):
        sd["position_embeddings.weight"] = torch.from_numpy(sinusoidal_table(
            config["max_position_embeddings"], config["hidden_size"],
            blocked=(kind == "sinusoidal-blocked")))
    for i in range(config["num_hidden_layers"]):
        p, q = f"encoder.layer.{i}.", f"layers.{i}."
        for part in ("weight", "bias"):
            sd[q + "self_attn.in_proj_" + part] = torch.cat(
                [t(p + f"attention.self.{proj}.{part}") for proj in ("query", "key", "value")])
            sd[q + "self_attn.out_proj." + part] = t(p + "attention.output.dense." + part)
            sd[q + "norm1." + part] = t(p + "attention.output.LayerNorm." + part)
            sd[q + "linear1." + part] = t(p + "intermediate.dense." + part)
            sd[q + "linear2." + part] = t(p + "output.dense." + part)
            sd[q + "norm2." + part] = t(p + "output.LayerNorm." + part)
    if config.get("ordo_pre_layer_norm", False):
        sd["final_norm.weight"] = t("encoder.final_layer_norm.weight")
        sd["final_norm.bias"] = t("encoder.final_layer_norm.bias")
    return sd


def build_reference(config: Dict[str, object], hf: Dict[str, np.ndarray]) -> TorchReference:
    model = TorchReference(config)
    model.load_state_dict(hf_to_torch_state_dict(config, hf), strict=True)
    return model.eval()


def run_reference(model: TorchReference, inputs: Dict[str, np.ndarray],
                  fused_fast_path: bool = False) -> Dict[str, np.ndarray]:
    """Forward pass; returns last_hidden_state, hidden_states, attentions with
    padded positions zeroed. fused_fast_path=False (the stored reference)
    keeps autograd on so torch takes the plain module code path."""
    ids = torch.from_numpy(inputs["input_ids"])
    types = torch.from_numpy(inputs["token_type_ids"])
    real = torch.from_numpy(inputs["attention_mask"]).bool()
    pad = ~real  # key_padding_mask convention: True = ignore
    B, T = ids.shape
    with (torch.no_grad() if fused_fast_path else torch.enable_grad()):
        x = model.word_embeddings(ids) + model.token_type_embeddings(types)
        if model.position_embeddings is not None:
            x = x + model.position_embeddings(torch.arange(T).expand(B, T))
        x = model.embeddings_norm(x)
        assert x.requires_grad != fused_fast_path  # what selects torch's code path
        hidden, attentions = [x], []
        for layer in model.layers:
            attn_in = layer.norm1(x) if model.pre_ln else x
            _, probs = layer.self_attn(attn_in, attn_in, attn_in, key_padding_mask=pad,
                                       need_weights=True, average_attn_weights=False)
            x = layer(x, src_key_padding_mask=pad)
            hidden.append(x)
            attentions.append(probs)
        last = model.final_norm(x) if model.final_norm is not None else x

    keep = real.float()[:, :, None]  # [B,T,1]
    out = {
        "last_hidden_state": last.detach() * keep,
        "hidden_states": torch.stack([h.detach() for h in hidden]) * keep,
        "attentions": torch.stack([a.detach() for a in attentions]) * keep[None, :, None],
    }
    # Multiplying by 1/0 would turn a NaN/inf into NaN; assert there is none
    # and make the zeros exact (no -0.0).
    result = {}
    for name, tensor in out.items():
        array = tensor.numpy().astype(np.float32)
        assert np.isfinite(array).all(), name
        array[array == 0] = 0.0
        result[name] = array
    return result

