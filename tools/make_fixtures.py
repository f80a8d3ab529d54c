#!/usr/bin/python3
"""Generate ordo's golden test fixtures: tiny random BERT checkpoints plus a
PyTorch reference of what an encoder must compute on them.

Usage (needs torch + numpy; no network, no `safetensors`/`transformers`):

    /usr/bin/python3 tools/make_fixtures.py tests/fixtures
    /usr/bin/python3 tools/make_fixtures.py tests/fixtures --self-check

The output is deterministic: fixed seeds, one torch thread, sorted tensor
names; re-running on the same machine gives byte-identical files.

The code shared with the other generators is in tools/py/ordo_tools: the
torch.nn reference below (reference.py), the random checkpoints (checkpoint.py),
the safetensors writer and checked reader (safetensors.py) and the sinusoidal
tables (sinusoid.py). This script holds the fixture list, the F16/BF16
rounding, the inputs, the README and the self-check.

Each fixture directory holds
  config.json           Hugging Face BERT config (+ "ordo_pre_layer_norm")
  model.safetensors     weights under HF BertModel names, [out][in] order
  reference.safetensors input_ids, attention_mask, token_type_ids (I64) and
                        last_hidden_state, hidden_states, attentions (F32)

Reference formulas (computed in float32, eval mode, dropout 0)
--------------------------------------------------------------
The reference is NOT a hand-written encoder. It is torch.nn modules:

  x = LayerNorm_emb(Embedding_word(ids) + Embedding_type(types) + PE[pos])
      pos = 0..len-1 for every sequence
  per layer: torch.nn.TransformerEncoderLayer(batch_first=True,
             norm_first=pre_ln, dropout=0, activation=act)
      post-LN: x = norm1(x + MHA(x));  x = norm2(x + W2 act(W1 x + b1) + b2)
      pre-LN:  x = x + MHA(norm1(x));  x = x + W2 act(W1 norm2(x) + b1) + b2
      MHA = torch.nn.MultiheadAttention: softmax(q k^T / sqrt(d_head)) v,
            keys at padded positions masked (src_key_padding_mask, True=pad)
  pre-LN only: last_hidden_state = final LayerNorm(x after the last layer),
            as torch.nn.TransformerEncoder(norm=...) does. As in Hugging
            Face pre-LN models, hidden_states[L] is the last layer's output
            BEFORE that final norm.
  act: "gelu" = exact erf GELU, "gelu_new" = F.gelu(approximate="tanh"),
       "relu", "silu".

The only glue from Hugging Face names to torch modules:
  in_proj_weight = cat(query.weight, key.weight, value.weight)  (bias alike)
  out_proj = attention.output.dense     norm1 = attention.output.LayerNorm
  linear1  = intermediate.dense         linear2 = output.dense
  norm2    = output.LayerNorm           final norm = encoder.final_layer_norm

Positional encodings (config "position_embedding_type"):
  absolute            learned table embeddings.position_embeddings.weight
  sinusoidal          PE[p,2i] = sin(p/10000^(2i/d)), PE[p,2i+1] = cos(same)
                      (HF DistilBERT create_sinusoidal_embeddings)
  sinusoidal-blocked  columns [0,ceil(d/2)) sin, [ceil(d/2),d) cos, same
                      angles (HF MarianSinusoidalPositionalEmbedding)
  none                no positional term (attention is then permutation-
                      equivariant; the self-check verifies it)
Sinusoidal tables are computed in float64 with HF's own expression and then
rounded to float32; they are not stored in the checkpoint.

F16/BF16 fixtures store rounded weights (BF16: round-to-nearest-even from
the f32 bits); the reference runs in f32 on those rounded values.

Pad positions: hidden states and attention rows at padded query positions
are set to exactly 0 (the engine writes zeros there). Attention columns at
padded keys are exactly 0 by the -inf mask.

Fast path: in eval mode under torch.no_grad(), TransformerEncoderLayer and
MultiheadAttention may dispatch to fused kernels (torch 1.13:
_transformer_encoder_layer_fwd, _native_multi_head_attention; only for an
even head count and relu/gelu). The stored reference comes from the plain
module code path instead: the forward runs in eval mode with autograd
enabled and the parameters requiring grad, which is exactly the condition
under which torch skips the fused kernels; outputs are then detached. Every
fixture is also run under torch.no_grad() (fused path where eligible) and
the two must agree to 1e-5 at real positions.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))  # tools/py: the ordo_tools package
from ordo_tools.checkpoint import Spec, bert_config, random_bert_weights, write_json  # noqa: E402
from ordo_tools.reference import build_reference, run_reference  # noqa: E402
from ordo_tools.safetensors import read_safetensors, write_safetensors  # noqa: E402
from ordo_tools.sinusoid import sinusoidal_table  # noqa: E402


# ---------------------------------------------------------------------------
# Fixture specifications
# ---------------------------------------------------------------------------

ODD = dict(num_hidden_layers=3, hidden_size=40, num_attention_heads=5,
           intermediate_size=72, vocab_size=61, max_position_embeddings=30)

SPECS: List[Spec] = [
    Spec("learned_gelu", 101, about="baseline BERT: learned absolute positions, exact GELU"),
    Spec("sinusoidal_gelu", 102, "sinusoidal", about="interleaved Vaswani sinusoids (DistilBERT layout)"),
    Spec("blocked_relu", 103, "sinusoidal-blocked", "relu", layer_norm_eps=1e-5,
         about="Marian's blocked sin-then-cos layout, ReLU, eps 1e-5"),
    Spec("none_gelu", 104, "none", about="no positional term: the permutation-equivariant control"),
    Spec("learned_gelu_f16", 101, dtype="F16", about="learned_gelu's weights stored as F16"),
    Spec("sinusoidal_relu_bf16", 102, "sinusoidal", "relu", dtype="BF16",
         about="sinusoidal_gelu's weights stored as BF16 (RNE), ReLU"),
    Spec("odd_shape_learned_relu", 107, "absolute", "relu", lengths=(5, 9, 1), **ODD,
         about="H=40, 5 heads of 8, FFN 72, 3 layers; a length-1 sequence"),
    Spec("odd_shape_blocked_gelu", 108, "sinusoidal-blocked", "gelu", lengths=(4, 8), **ODD,
         about="odd shapes with the blocked sinusoidal layout"),
    Spec("gelu_new_sinusoidal", 109, "sinusoidal", "gelu_new", about="tanh-approximate GELU"),
    Spec("silu_learned", 110, "absolute", "silu", about="SiLU activation"),
    Spec("preln_learned_gelu", 111, pre_layer_norm=True,
         about="pre-LN blocks + final LayerNorm (encoder.final_layer_norm)"),
    Spec("single_type_none", 112, "none", type_vocab_size=1, lengths=(10,),
         about="type_vocab_size 1, one unpadded sequence, no positions"),
]


# ---------------------------------------------------------------------------
# Reduced-precision rounding
# ---------------------------------------------------------------------------

def f32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even from f32 bits (inputs are finite)."""
    bits = x.astype("<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def bf16_bits_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype("<u4") << 16).view("<f4")


def to_storage(x: np.ndarray, tag: str) -> Tuple[np.ndarray, np.ndarray]:
    """Returns (array to store, the f32 values the reference must use)."""
    if tag == "F32":
        return x, x
    if tag == "F16":
        half = x.astype("<f2")
        return half, half.astype(np.float32)
    if tag == "BF16":
        bits = f32_to_bf16_bits(x)
        return bits, bf16_bits_to_f32(bits)
    raise ValueError(tag)


# ---------------------------------------------------------------------------
# Random inputs
# ---------------------------------------------------------------------------

def random_inputs(spec: Spec) -> Dict[str, np.ndarray]:
    """Right-padded batch; real ids >= 1, pads 0; token types: a BERT-style
    segment A (0) then segment B (1) split at a random point."""
    rng = np.random.default_rng([spec.seed, 1])
    B, T = len(spec.lengths), max(spec.lengths)
    input_ids = np.zeros((B, T), dtype=np.int64)
    attention_mask = np.zeros((B, T), dtype=np.int64)
    token_type_ids = np.zeros((B, T), dtype=np.int64)
    for b, n in enumerate(spec.lengths):
        input_ids[b, :n] = rng.integers(1, spec.vocab_size, size=n)
        attention_mask[b, :n] = 1
        if spec.type_vocab_size >= 2 and n >= 2:
            split = int(rng.integers(1, n))
            token_type_ids[b, split:n] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "token_type_ids": token_type_ids}


def max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0


# ---------------------------------------------------------------------------
# Writing one fixture
# ---------------------------------------------------------------------------

def make_fixture(spec: Spec, out_dir: str) -> Dict[str, float]:
    directory = os.path.join(out_dir, spec.name)
    os.makedirs(directory, exist_ok=True)
    config = bert_config(spec)

    stored: Dict[str, Tuple[str, np.ndarray]] = {}
    effective: Dict[str, np.ndarray] = {}  # what the reference sees (rounded)
    for name, value in random_bert_weights(spec).items():
        array, as_f32 = to_storage(value, spec.dtype)
        stored[name] = (spec.dtype, array)
        effective[name] = as_f32
    if spec.position_embedding_type == "absolute":
        # Real HF checkpoints often carry this buffer; the engine must ignore it.
        stored["embeddings.position_ids"] = (
            "I64", np.arange(spec.max_position_embeddings, dtype=np.int64)[None, :])
    write_json(os.path.join(directory, "config.json"), config)
    write_safetensors(os.path.join(directory, "model.safetensors"), stored, {"format": "pt"})

    inputs = random_inputs(spec)
    model = build_reference(config, effective)
    reference = run_reference(model, inputs)
    fused = run_reference(model, inputs, fused_fast_path=True)
    # Zeroed pads are identical in both, so a plain max is a real-position max.
    fast_vs_slow = max(max_abs_diff(reference[k], fused[k]) for k in reference)
    assert fast_vs_slow <= 1e-5, (spec.name, fast_vs_slow)

    tensors = {k: ("I64", v) for k, v in inputs.items()}
    tensors.update({k: ("F32", v) for k, v in reference.items()})
    write_safetensors(os.path.join(directory, "reference.safetensors"), tensors,
                      {"format": "pt", "generator": "tools/make_fixtures.py",
                       "torch_version": torch.__version__})
    att = reference["attentions"]
    return {"fast_vs_slow": fast_vs_slow, "max_attention": float(att.max()),
            "mean_top_attention": float(att.max(axis=-1)[att.max(axis=-1) > 0].mean())}


def write_readme(out_dir: str) -> None:
    rows = []
    for s in SPECS:
        rows.append(
            f"| `{s.name}` | {s.num_hidden_layers} | {s.hidden_size} | {s.num_attention_heads} "
            f"| {s.intermediate_size} | {s.vocab_size} | {s.max_position_embeddings} "
            f"| {s.type_vocab_size} | {s.layer_norm_eps:g} | `{s.position_embedding_type}` "
            f"| `{s.hidden_act}` | {s.dtype} | {'pre' if s.pre_layer_norm else 'post'} "
            f"| {', '.join(map(str, s.lengths))} | {s.about} |")
    text = f"""# Golden fixtures

Generated by `tools/make_fixtures.py` (read its docstring for the exact
reference formulas). Do not edit by hand; regenerate with

    /usr/bin/python3 tools/make_fixtures.py tests/fixtures
    /usr/bin/python3 tools/make_fixtures.py tests/fixtures --self-check   # optional checks

Generated with torch {torch.__version__}, numpy {np.__version__}, one torch thread.
Re-running on the same machine reproduces every file byte for byte.

Each directory is a tiny random-weight checkpoint in the Hugging Face
`BertModel` layout plus a reference computed with `torch.nn` modules
(`Embedding`, `LayerNorm`, `TransformerEncoderLayer(batch_first=True)`,
`MultiheadAttention`), in float32, eval mode:

- `config.json` — HF BERT config; `position_embedding_type` is one of
  `absolute`, `sinusoidal` (interleaved), `sinusoidal-blocked` (Marian), `none`;
  pre-LN adds `"ordo_pre_layer_norm": true`.
- `model.safetensors` — HF tensor names, weights `[out][in]`. Absolute
  fixtures also carry an I64 `embeddings.position_ids` [1, P] that must be
  ignored. Sinusoidal tables are not stored. Pre-LN adds
  `encoder.final_layer_norm.{{weight,bias}}`.
- `reference.safetensors` — inputs `input_ids`, `attention_mask`,
  `token_type_ids` (I64 [B,T], right-padded with id 0, positions 0..len-1)
  and outputs `last_hidden_state` [B,T,H], `hidden_states` [L+1,B,T,H]
  (0 = after the embedding LayerNorm, then after each layer), `attentions`
  [L,B,heads,T,T] (softmax probabilities). Everything at padded positions,
  including attention rows of padded queries, is exactly 0.
- Pre-LN: `hidden_states[L]` is the last layer's output before the final
  LayerNorm; `last_hidden_state` is after it (Hugging Face convention). For
  post-LN fixtures `last_hidden_state == hidden_states[L]`.
- F16 / BF16 fixtures: the reference uses the rounded weights widened to f32;
  `learned_gelu_f16` shares `learned_gelu`'s f32 weights and inputs before
  rounding, `sinusoidal_relu_bf16` shares `sinusoidal_gelu`'s.

| fixture | L | H | heads | FFN | vocab | P | types | eps | PE | act | dtype | LN | lengths | what it guards |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + "\n"
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# --self-check: re-read every file (ordo_tools.safetensors' checked reader), property tests
# ---------------------------------------------------------------------------

def permute_sequence(inputs: Dict[str, np.ndarray], row: int, perm: np.ndarray):
    permuted = {k: v.copy() for k, v in inputs.items()}
    n = len(perm)
    for k in ("input_ids", "token_type_ids"):
        permuted[k][row, :n] = inputs[k][row, perm]
    return permuted


def permutation_delta(model, inputs, reference, row: int, perm: np.ndarray) -> float:
    """max |out(permuted input) - permute(out(input))| over real positions of row."""
    out = run_reference(model, permute_sequence(inputs, row, perm))
    deltas = [
        max_abs_diff(out["last_hidden_state"][row, :len(perm)],
                            reference["last_hidden_state"][row, perm]),
        max_abs_diff(out["hidden_states"][:, row, :len(perm)],
                            reference["hidden_states"][:, row, perm]),
        max_abs_diff(out["attentions"][:, row, :, :len(perm), :len(perm)],
                            reference["attentions"][:, row][:, :, perm][:, :, :, perm]),
    ]
    return max(deltas)


def self_check(out_dir: str) -> bool:
    ok = True
    print("\nself-check")
    for spec in SPECS:
        directory = os.path.join(out_dir, spec.name)
        config = json.load(open(os.path.join(directory, "config.json")))
        weights, tags = read_safetensors(os.path.join(directory, "model.safetensors"))
        ref, _ = read_safetensors(os.path.join(directory, "reference.safetensors"))
        expected = {name: spec.dtype for name in random_bert_weights(spec)}
        if spec.position_embedding_type == "absolute":
            expected["embeddings.position_ids"] = "I64"
        assert tags == expected, f"{spec.name}: unexpected tensor names or dtypes"
        inputs = {k: ref[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
        reference = {k: ref[k] for k in ("last_hidden_state", "hidden_states", "attentions")}
        model = build_reference(config, {k: v for k, v in weights.items() if v.dtype == np.float32})

        # 1. The reference recomputed from the file's weights matches bit for bit.
        recomputed = run_reference(model, inputs)
        replay = max(max_abs_diff(recomputed[k], reference[k]) for k in reference)

        # 2. Padding changes nothing: each sequence alone, unpadded.
        alone = 0.0
        for b, n in enumerate(spec.lengths):
            single = {k: v[b:b + 1, :n].copy() for k, v in inputs.items()}
            o = run_reference(model, single)
            alone = max(alone,
                        max_abs_diff(o["hidden_states"], reference["hidden_states"][:, b:b + 1, :n]),
                        max_abs_diff(o["last_hidden_state"], reference["last_hidden_state"][b:b + 1, :n]),
                        max_abs_diff(o["attentions"], reference["attentions"][:, b:b + 1, :, :n, :n]))

        # 3. Structural facts about pads and probabilities.
        mask = inputs["attention_mask"].astype(bool)
        att = reference["attentions"]
        pads_zero = (not reference["hidden_states"][:, ~mask].any()
                     and not reference["last_hidden_state"][~mask].any()
                     and not att[np.broadcast_to(~mask[None, :, None, None, :], att.shape)].any()  # keys
                     and not att[np.broadcast_to(~mask[None, :, None, :, None], att.shape)].any())  # queries
        row_sums = att.sum(-1)[np.broadcast_to(mask[None, :, None, :], att.shape[:-1])]
        sums_ok = np.abs(row_sums - 1).max() < 1e-5

        # 4. Word order: permute the longest sequence's tokens (fixed, non-trivial).
        row = int(np.argmax(spec.lengths))
        n = spec.lengths[row]
        perm = np.roll(np.arange(n), 3)[::-1].copy() if n > 1 else np.arange(n)
        perm_delta = permutation_delta(model, inputs, reference, row, perm)

        line_ok = replay == 0.0 and alone <= 1e-5 and pads_zero and sums_ok
        if spec.position_embedding_type == "none":
            line_ok &= perm_delta <= 1e-5
        elif spec.name in ("learned_gelu", "sinusoidal_gelu"):
            line_ok &= perm_delta > 1e-2
        ok &= bool(line_ok)
        print(f"  {spec.name:24s} replay {replay:.1e}  padded-vs-alone {alone:.1e}  "
              f"pads-zero {pads_zero}  rows-sum-1 {bool(sums_ok)}  "
              f"permutation max|d| {perm_delta:.3e}  {'ok' if line_ok else 'FAIL'}")

    # 5. The sinusoidal tables against an independent vectorised formula.
    for d in (32, 40, 7):
        p = np.arange(64, dtype=np.float64)[:, None]
        interleaved = np.zeros((64, d))
        i = np.arange(0, d, 2)
        interleaved[:, 0::2] = np.sin(p / 10000 ** (i / d))
        interleaved[:, 1::2] = np.cos(p / 10000 ** (i[: d // 2] / d))
        half = (d + 1) // 2
        blocked = np.concatenate([np.sin(p / 10000 ** (2 * np.arange(half) / d)),
                                  np.cos(p / 10000 ** (2 * np.arange(d - half) / d))], axis=1)
        e1 = max_abs_diff(sinusoidal_table(64, d, False), interleaved)
        e2 = max_abs_diff(sinusoidal_table(64, d, True), blocked)
        ok &= e1 < 1e-6 and e2 < 1e-6
        print(f"  sinusoid d={d}: interleaved max|d| {e1:.1e}, blocked max|d| {e2:.1e}")

    # 6. Our BF16 rounding agrees with torch's (round-to-nearest-even).
    x = np.random.default_rng(7).normal(0, 3, 100000).astype(np.float32)
    x[:4] = [1.00390625, 1.01171875, -1.00390625, 3.0]  # exact ties both ways
    ours = f32_to_bf16_bits(x).view(np.int16)
    theirs = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy()
    bf16_ok = bool((ours == theirs).all())
    ok &= bf16_ok
    print(f"  bf16 rounding matches torch: {bf16_ok}")
    print("self-check:", "PASS" if ok else "FAIL")
    return ok


# ---------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", help="e.g. tests/fixtures")
    parser.add_argument("--self-check", action="store_true",
                        help="after writing, re-read every file and run property checks")
    args = parser.parse_args()

    torch.manual_seed(0)  # module construction draws random init we overwrite anyway
    torch.set_num_threads(1)  # thread count can change float summation order
    os.makedirs(args.out_dir, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}")
    for spec in SPECS:
        stats = make_fixture(spec, args.out_dir)
        print(f"  {spec.name:24s} fused-vs-plain max|d| {stats['fast_vs_slow']:.1e}  "
              f"mean top attention prob {stats['mean_top_attention']:.2f}")
    write_readme(args.out_dir)
    if args.self_check and not self_check(args.out_dir):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
