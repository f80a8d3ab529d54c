"""Positional terms applied inside attention, one function per kind, as the published
implementations compute them: rotary (RoPE), ALiBi, Hugging Face BERT's relative_key(_query)
and the T5/MPNet bucketed relative bias. tools/make_position_fixtures.py documents each
formula and checks these functions against loop versions; tools/train uses them to train
ordo's bundled twins, so that the engine runs exactly what was trained.
"""
import math
from typing import List

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def rope_su2021(x: Tensor, base: float, fraction: float, interleaved: bool) -> Tensor:
    """Rotary position embedding (Su et al. 2021, arXiv:2104.09864, eq. 34),
    on x [B, heads, T, d] with positions p = 0..T-1 (index along dim 2).
    Layouts: GPT-NeoX / NomicBERT non-interleaved (rotate_half: pairs (i,
    i+rot/2)) or GPT-J interleaved (pairs (2i, 2i+1)); as flash-attn's
    apply_rotary_emb_torch. Angles and cos/sin in float64, then float32."""
    T, d = x.shape[-2], x.shape[-1]
    rot = int(d * fraction)
    assert rot % 2 == 0 and 0 < rot <= d
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))  # [rot/2]
    angle = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]  # [T, rot/2]
    cos, sin = torch.cos(angle).float(), torch.sin(angle).float()
    x_rot, x_pass = x[..., :rot], x[..., rot:]
    if interleaved:
        x1, x2 = x_rot[..., 0::2], x_rot[..., 1::2]
    else:
        x1, x2 = x_rot[..., :rot // 2], x_rot[..., rot // 2:]
    y1 = x1 * cos - x2 * sin
    y2 = x2 * cos + x1 * sin
    if interleaved:
        y = torch.stack((y1, y2), dim=-1).flatten(-2)
    else:
        y = torch.cat((y1, y2), dim=-1)
    return torch.cat((y, x_pass), dim=-1)


def alibi_slopes_press2022(n: int) -> List[float]:
    """get_slopes from the ALiBi paper's code (ofirpress/attention_with_linear_biases,
    fairseq/models/transformer.py), Python float64; JinaBERT-v2 uses the same."""
    def get_slopes_power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        ratio = start
        return [start * ratio ** i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return (get_slopes_power_of_2(closest_power_of_2)
            + alibi_slopes_press2022(2 * closest_power_of_2)[0::2][:n - closest_power_of_2])


def alibi_bias_press2022(heads: int, T: int) -> Tensor:
    """Bidirectional ALiBi (JinaBERT-v2): bias[h, i, j] = -(m_h * |i - j|), float32."""
    m = torch.tensor(alibi_slopes_press2022(heads), dtype=torch.float64).float()  # [heads]
    pos = torch.arange(T)
    distance = (pos[None, :] - pos[:, None]).abs().float()  # [T, T]
    return -(m[:, None, None] * distance[None])  # [heads, T, T]


def relative_key_scores_hf_bert(q: Tensor, k: Tensor, table: Tensor, max_pos: int,
                                with_key_term: bool) -> Tensor:
    """HF BertSelfAttention, position_embedding_type relative_key(_query)
    (Shaw et al. 2018; Huang et al. 2020): returns the scaled scores."""
    T, d = q.shape[-2], q.shape[-1]
    attention_scores = torch.matmul(q, k.transpose(-1, -2))
    position_ids_l = torch.arange(T, dtype=torch.long).view(-1, 1)
    position_ids_r = torch.arange(T, dtype=torch.long).view(1, -1)
    distance = position_ids_l - position_ids_r
    positional_embedding = F.embedding(distance + max_pos - 1, table)  # [T, T, d]
    if not with_key_term:
        relative_position_scores = torch.einsum("bhld,lrd->bhlr", q, positional_embedding)
        attention_scores = attention_scores + relative_position_scores
    else:
        relative_position_scores_query = torch.einsum("bhld,lrd->bhlr", q, positional_embedding)
        relative_position_scores_key = torch.einsum("bhrd,lrd->bhlr", k, positional_embedding)
        attention_scores = attention_scores + relative_position_scores_query + relative_position_scores_key
    return attention_scores / math.sqrt(d)


def hf_mpnet_relative_position_bucket(relative_position: Tensor, num_buckets: int = 32,
                                      max_distance: int = 128) -> Tensor:
    """Verbatim HF MPNetEncoder.relative_position_bucket (T5's bidirectional
    bucketing, Raffel et al. 2020; transformers models/mpnet/modeling_mpnet.py)."""
    ret = 0
    n = -relative_position

    num_buckets //= 2
    ret += (n < 0).to(torch.long) * num_buckets
    n = torch.abs(n)

    max_exact = num_buckets // 2
    is_small = n < max_exact

    val_if_large = max_exact + (
        torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)

    val_if_large = torch.min(val_if_large, torch.full_like(val_if_large, num_buckets - 1))
    ret += torch.where(is_small, n, val_if_large)
    return ret


def t5_relative_bias_raffel2020(table: Tensor, T: int, num_buckets: int,
                                max_distance: int) -> Tensor:
    """HF MPNetEncoder.compute_position_bias: bias[h, i, j] = table[bucket(j - i), h]."""
    context_position = torch.arange(T, dtype=torch.long)[:, None]
    memory_position = torch.arange(T, dtype=torch.long)[None, :]
    relative_position = memory_position - context_position
    rp_bucket = hf_mpnet_relative_position_bucket(relative_position, num_buckets, max_distance)
    return F.embedding(rp_bucket, table).permute(2, 0, 1)  # [heads, T, T]
