#!/usr/bin/python3
"""Reference numbers for `ordo pe --decompose`, computed independently with numpy (float64,
numpy.linalg.svd / eigh) from the fixture model's files.

    /usr/bin/python3 tools/make_decompose_reference.py tests/fixtures/decompose

Model: tests/fixtures/tiny_tokenized (random weights, hidden 32, interleaved sinusoid).
Text: OUT/text.txt. Writes OUT/expected.json for --positions 64 --tokens 40:
  tokens      the first 40 distinct ordinary pieces of the text (SentencePiece ids, not
              [PAD] [UNK] or control pieces), in text order
  recovery    for x = E[t] + T[0] + P[p] over those tokens and p = 0..63: the share of
              (t, p) where argmax_v cos(x, E[v] + T[0]) = t and argmax_q cos(x, P[q]) = p,
              overall and for positions 0-31, 32-63
  ranks       smallest k whose top-k squared singular values hold >= 90% of the total, for
              P and for E
  cosines     singular values of Bp^T Bw (Bp, Bw: the top-k right singular vectors of P, E):
              cosines of the principal angles, largest first
  energies    ||P Bw||^2 / ||P||^2 and ||E Bp||^2 / ||E||^2
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).resolve().parent / "py"))  # tools/py: the ordo_tools package
from ordo_tools.safetensors import read_safetensors  # noqa: E402
from ordo_tools.sinusoid import sinusoidal_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests" / "fixtures" / "tiny_tokenized"
POSITIONS, TOKENS = 64, 40


def rank_90(singular):
    energy = singular ** 2
    return int(np.searchsorted(np.cumsum(energy), 0.9 * energy.sum()) + 1)


def main(out_dir):
    weights, _ = read_safetensors(str(MODEL / "model.safetensors"))
    find = lambda suffix: next(v for k, v in weights.items() if k.endswith(suffix))  # noqa: E731
    E = find("embeddings.word_embeddings.weight").astype(np.float64)
    T0 = find("embeddings.token_type_embeddings.weight")[0].astype(np.float64)
    P = sinusoidal_table(POSITIONS, E.shape[1], blocked=False).astype(np.float64)

    sp = spm.SentencePieceProcessor(model_file=str(MODEL / "tokenizer.model"))
    tokens = []
    with open(os.path.join(out_dir, "text.txt"), encoding="utf-8") as f:
        for line in f:
            for i in sp.encode(line.rstrip("\n")):
                if len(tokens) < TOKENS and i not in tokens and not sp.is_control(i) \
                        and not sp.is_unknown(i) and sp.id_to_piece(i) != "[PAD]":
                    tokens.append(i)

    words = E + T0
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    hits = {"all": [0, 0, 0], "0-31": [0, 0, 0], "32-63": [0, 0, 0]}
    for p in range(POSITIONS):
        x = words[tokens] + P[p]  # [tokens, hidden]
        token_ok = (unit(x) @ unit(words).T).argmax(1) == np.array(tokens)
        position_ok = (unit(x) @ unit(P).T).argmax(1) == p
        for name in ("all", "0-31" if p < 32 else "32-63"):
            hits[name][0] += len(tokens)
            hits[name][1] += int(token_ok.sum())
            hits[name][2] += int(position_ok.sum())

    _, sp_, vt_p = np.linalg.svd(P, full_matrices=False)
    _, sw, vt_w = np.linalg.svd(E, full_matrices=False)
    kp, kw = rank_90(sp_), rank_90(sw)
    Bp, Bw = vt_p[:kp].T, vt_w[:kw].T
    cosines = np.linalg.svd(Bp.T @ Bw, compute_uv=False)[:min(kp, kw)]
    expected = {
        "model": "tests/fixtures/tiny_tokenized", "positions": POSITIONS, "tokens": tokens,
        "recovery": {k: {"trials": v[0], "token_recovered": v[1] / v[0],
                         "position_recovered": v[2] / v[0]} for k, v in hits.items()},
        "position_rank_90": kp, "word_rank_90": kw,
        "principal_angle_cosines": [float(c) for c in cosines],
        "position_energy_in_word_subspace": float(np.sum((P @ Bw) ** 2) / np.sum(P ** 2)),
        "word_energy_in_position_subspace": float(np.sum((E @ Bp) ** 2) / np.sum(E ** 2)),
    }
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(json.dumps(expected)[:400])


if __name__ == "__main__":
    main(sys.argv[1])
