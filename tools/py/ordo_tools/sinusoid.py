"""Sinusoidal position tables, exactly as Hugging Face computes them (float64, then rounded
once to float32)."""

import numpy as np


def hf_angles(n_pos: int, dim: int) -> np.ndarray:
    # Verbatim expression of HF create_sinusoidal_embeddings (DistilBERT) and
    # MarianSinusoidalPositionalEmbedding._init_weight, float64.
    return np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]
                     for pos in range(n_pos)])


def sinusoidal_table(n_pos: int, dim: int, blocked: bool) -> np.ndarray:
    """[n_pos, dim] float32. Interleaved (DistilBERT create_sinusoidal_embeddings):
    PE[p, 2i] = sin(p / 10000^(2i/dim)), PE[p, 2i+1] = cos(same). Blocked
    (MarianSinusoidalPositionalEmbedding): columns [0, ceil(dim/2)) sin, the rest cos."""
    angles = hf_angles(n_pos, dim)
    out = np.zeros((n_pos, dim), dtype=np.float32)
    if blocked:
        sentinel = dim // 2 if dim % 2 == 0 else dim // 2 + 1
        out[:, :sentinel] = np.sin(angles[:, 0::2])
        out[:, sentinel:] = np.cos(angles[:, 1::2])
    else:
        out[:, 0::2] = np.sin(angles[:, 0::2])
        out[:, 1::2] = np.cos(angles[:, 1::2])
    return out  # float64 -> float32 rounding, as torch.FloatTensor(...) does
