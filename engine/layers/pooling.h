#pragma once
// Sentence vectors from packed hidden states, over each sequence's real tokens only.
#include "layers/batch.h"

namespace ordo::layers {

// x [total_tokens, hidden] -> pooled [batch, hidden]; `normalize` scales each to unit L2 norm.
void pool(const float* x, const BatchLayout& layout, int64_t hidden, Pooling pooling,
          bool normalize, float* pooled);

// Scales each of `rows` vectors to unit L2 norm (a zero vector stays zero).
void normalize_rows(float* vectors, int64_t rows, int64_t hidden);

// x [total_tokens, hidden] -> padded [batch, longest, hidden] (padded rows stay zero).
void unpack(const float* x, const BatchLayout& layout, int64_t hidden, float* padded);

}  // namespace ordo::layers
