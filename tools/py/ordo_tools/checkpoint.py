"""Random BERT checkpoints in the Hugging Face BertModel layout, and config.json.

A Spec names a tiny model; bert_config gives its config.json and random_bert_weights its
float32 weights under Hugging Face's names. Used by tools/make_fixtures.py and
tools/make_tokenized_fixture.py; write_json also by tools/make_family_fixtures.py and
tools/make_position_fixtures.py.
"""

import json
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np


@dataclass(frozen=True)
class Spec:
    name: str
    seed: int  # twins (f16/bf16 of an f32 fixture) share the seed, so share the f32 weights
    position_embedding_type: str = "absolute"
    hidden_act: str = "gelu"
    dtype: str = "F32"  # storage dtype of the floating-point weights
    num_hidden_layers: int = 2
    hidden_size: int = 32
    num_attention_heads: int = 4
    intermediate_size: int = 64
    vocab_size: int = 97
    max_position_embeddings: int = 40
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    pre_layer_norm: bool = False
    lengths: Tuple[int, ...] = (7, 12, 3)
    about: str = ""


TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def write_json(path: str, obj: object) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2) + "\n")


def random_bert_weights(spec: Spec) -> Dict[str, np.ndarray]:
    """f32 weights under HF names. Scales keep every sublayer non-trivial:
    embeddings ~N(0,1) so positions matter, matrices std 0.2-0.3, LayerNorm
    gains 1 +- 0.2 and biases +- 0.1."""
    rng = np.random.default_rng([spec.seed, 0])
    H, FF = spec.hidden_size, spec.intermediate_size

    def normal(shape, std):
        return rng.normal(0.0, std, size=shape).astype(np.float32)

    def layer_norm(prefix):
        w[prefix + ".weight"] = rng.uniform(0.8, 1.2, size=H).astype(np.float32)
        w[prefix + ".bias"] = rng.uniform(-0.1, 0.1, size=H).astype(np.float32)

    def linear(prefix, n_out, n_in, std):
        w[prefix + ".weight"] = normal((n_out, n_in), std)
        w[prefix + ".bias"] = normal((n_out,), 0.1)

    w: Dict[str, np.ndarray] = {}
    w["embeddings.word_embeddings.weight"] = normal((spec.vocab_size, H), 1.0)
    if spec.position_embedding_type == "absolute":
        w["embeddings.position_embeddings.weight"] = normal((spec.max_position_embeddings, H), 1.0)
    w["embeddings.token_type_embeddings.weight"] = normal((spec.type_vocab_size, H), 0.5)
    layer_norm("embeddings.LayerNorm")
    for i in range(spec.num_hidden_layers):
        p = f"encoder.layer.{i}."
        for proj in ("query", "key", "value"):
            linear(p + "attention.self." + proj, H, H, 0.3)
        linear(p + "attention.output.dense", H, H, 0.3)
        layer_norm(p + "attention.output.LayerNorm")
        linear(p + "intermediate.dense", FF, H, 0.3)
        linear(p + "output.dense", H, FF, 0.2)
        layer_norm(p + "output.LayerNorm")
    if spec.pre_layer_norm:
        layer_norm("encoder.final_layer_norm")
    return w


def bert_config(spec: Spec) -> Dict[str, object]:
    config = {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "hidden_size": spec.hidden_size,
        "num_hidden_layers": spec.num_hidden_layers,
        "num_attention_heads": spec.num_attention_heads,
        "intermediate_size": spec.intermediate_size,
        "hidden_act": spec.hidden_act,
        "layer_norm_eps": spec.layer_norm_eps,
        "max_position_embeddings": spec.max_position_embeddings,
        "type_vocab_size": spec.type_vocab_size,
        "vocab_size": spec.vocab_size,
        "pad_token_id": 0,
        "position_embedding_type": spec.position_embedding_type,
        "torch_dtype": TORCH_DTYPE_NAME[spec.dtype],
    }
    if spec.pre_layer_norm:
        config["ordo_pre_layer_norm"] = True
    return config

