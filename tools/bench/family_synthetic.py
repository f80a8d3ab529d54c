"""Base-size random checkpoints of the model families beyond BERT, for make_synthetic.py.

Not run by itself: `make_synthetic.py OUT_DIR --shape NAME` calls family(NAME, seed) for
NAME in FAMILIES. Each family is built by its fixture script's own code, imported from tools/
(the same writer of the Hugging Face names and config keys that tests/fixtures come from, and
the same PyTorch port of the family's forward pass), at the size of the real base checkpoint
and of the `ordo bench --shape` of the same name (tools/ordo/synthetic_model.cpp):

  mpnet-base       all-mpnet-base-v2: 12 x 768, 12 heads, FFN 3072, vocab 30527, 514 positions,
                   relative bias (make_mpnet_fixture.py; MPNetForMaskedLM names)
  nomic-v1.5       nomic-embed-text-v1.5: 12 x 768, SwiGLU 3072, rotary base 1000, no linear
                   biases, vocab 30528, two token types (make_nomic_bert_fixture.py)
  jina-v2-base     jina-embeddings-v2-base-en: 12 x 768, GeGLU 3072, ALiBi, vocab 30528, two
                   token types (make_jina_bert_fixture.py)
  gte-base         gte-base-en-v1.5: 12 x 768, GLU 3072, NTK rotary (theta 500000, factor 2),
                   vocab 30528, no token types (make_gte_fixture.py)
  modernbert-base  ModernBERT-base: 22 x 768, 12 heads, GeGLU 1152, every 3rd layer global,
                   local_attention 128, thetas 160000 / 10000, vocab 50368
                   (make_modernbert_fixture.py; ModernBertForMaskedLM names)
  modernbert-base-global  the same weights (same seed), global_attn_every_n_layers 1

Weights are the fixture scripts' (Weights of make_family_fixtures.py: linear weights
normal(0, 1/sqrt(fan_in)), biases normal(0, 0.05), norms 1 + normal(0, 0.1)), seeded by --seed.
The exported module calls the port's functional forward; its weights are constants of the
traced graph, so ONNX Runtime gets them as initializers. ModernBERT's graph computes full
attention with the sliding-window mask added to the scores, as the port (the source's eager
path) does.
"""

import sys
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tools/: the fixture scripts
import make_gte_fixture as gte  # noqa: E402
import make_jina_bert_fixture as jina  # noqa: E402
import make_modernbert_fixture as modernbert  # noqa: E402
import make_mpnet_fixture as mpnet  # noqa: E402
import make_nomic_bert_fixture as nomic  # noqa: E402

BASE = dict(hidden_size=768, num_attention_heads=12, num_hidden_layers=12, intermediate_size=3072)


class Family(NamedTuple):
    config: Dict[str, object]  # config.json
    tensors: Dict[str, np.ndarray]  # model.safetensors, F32, Hugging Face names
    module: nn.Module  # forward(*inputs) -> last_hidden_state
    inputs: List[str]  # the ONNX inputs, in forward's order


class Port(nn.Module):
    """A family's functional forward as a module, for torch.onnx.export."""

    def __init__(self, forward: Callable[..., torch.Tensor]):
        super().__init__()
        self.port = forward

    def forward(self, *inputs):  # pylint: disable=arguments-differ
        return self.port(*inputs)


def _mpnet(seed):
    cfg = mpnet.config(H=768, L=12, heads=12, I=3072, V=30527, P=514)
    w, p = mpnet.make_weights(cfg, seed)
    def forward(ids, mask):
        return mpnet.mpnet_forward(cfg, p, ids, mask, mpnet.position_ids(ids))
    return cfg, w, forward, ["input_ids", "attention_mask"]


def _nomic(seed):
    cfg = nomic.base_config(n_embd=768, n_head=12, n_layer=12, n_inner=3072, vocab_size=30528)
    w, p = nomic.make_weights(cfg, "", seed)
    return cfg, w, lambda ids, mask, types: nomic.nomic_forward(cfg, p, ids, mask, types), \
        ["input_ids", "attention_mask", "token_type_ids"]


def _jina(seed):
    cfg = jina.config(vocab_size=30528, **BASE)
    w, p = jina.make_weights(cfg, "", seed, with_head=False)
    return cfg, w, lambda ids, mask, types: jina.jina_forward(cfg, p, ids, mask, types), \
        ["input_ids", "attention_mask", "token_type_ids"]


def _gte(seed):
    cfg = gte.base_config(vocab_size=30528, **BASE)
    w, p = gte.make_weights(cfg, "", seed)
    return cfg, w, lambda ids, mask: gte.gte_forward(cfg, p, ids, mask, None), \
        ["input_ids", "attention_mask"]


def _modernbert(seed, every):
    # answerdotai/ModernBERT-base's sizes and special ids.
    cfg = modernbert.base_config(
        hidden_size=768, intermediate_size=1152, num_attention_heads=12, num_hidden_layers=22,
        global_attn_every_n_layers=every, local_attention=128, vocab_size=50368,
        bos_token_id=50281, cls_token_id=50281, eos_token_id=50282, sep_token_id=50282,
        pad_token_id=50283)
    w, p = modernbert.make_weights(cfg, "model.", True, seed)
    return cfg, w, lambda ids, mask: modernbert.modernbert_forward(cfg, p, ids, mask), \
        ["input_ids", "attention_mask"]


FAMILIES = {
    "mpnet-base": _mpnet,
    "nomic-v1.5": _nomic,
    "jina-v2-base": _jina,
    "gte-base": _gte,
    "modernbert-base": lambda seed: _modernbert(seed, 3),
    "modernbert-base-global": lambda seed: _modernbert(seed, 1),
}


def family(shape: str, seed: int) -> Family:
    cfg, w, forward, inputs = FAMILIES[shape](seed)
    cfg = dict(cfg, ordo_synthetic_shape=shape)
    tensors = {name: t.detach().numpy().astype("<f4") for name, t in w.tensors.items()}
    return Family(cfg, tensors, Port(forward).eval(), inputs)
