#pragma once
// What a positional scheme inside attention hands the attention op (ops/attention.h) for one
// run of equal-length sequences: a rotation of q and k, a bias on the scores, or both. The
// schemes themselves (which angles, which bias) live in engine/layers/; the op only applies.
#include <cstdint>

namespace ordo::ops {

// Rotary position embedding: in every head, pair p of dimensions of the token at position t is
// rotated by the angle whose cosine and sine are cos[t * pairs + p], sin[t * pairs + p].
struct Rotation {
  int64_t pairs = 0;           // pairs of dimensions rotated per head; 0 = no rotation
  bool interleaved = false;    // pairs (2p, 2p+1) (GPT-J) instead of (p, p + pairs) (GPT-NeoX)
  const float* cos = nullptr;  // [positions][pairs], position 0 first
  const float* sin = nullptr;
  bool empty() const { return pairs == 0; }
};

// Rotates `length` rows of one head in place, row t at position t; row t starts at x + t * stride.
void rotate_rows(float* x, int64_t stride, int64_t length, const Rotation& rotation);

// A bias added to the scores before the softmax: row(s, h, i)[j] is added to the score of query
// i against key j in head h of sequence s of the run. A bias that depends only on j - i is one
// vector per head read along a sliding window (query_stride -1); one that depends on the text
// is a full [sequences, heads, length, length] tensor.
struct ScoreBias {
  const float* origin = nullptr;  // row(0, 0, 0); null = no bias
  int64_t sequence_stride = 0, head_stride = 0, query_stride = 0;
  bool empty() const { return origin == nullptr; }
  const float* row(int64_t sequence, int64_t head, int64_t query) const {
    return origin + sequence * sequence_stride + head * head_stride + query * query_stride;
  }
};

struct AttentionPositions {
  Rotation rotation;
  ScoreBias bias;
};

}  // namespace ordo::ops
