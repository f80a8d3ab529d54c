#pragma once
// The numbers behind `ordo pair`: which tokens two inputs share, and how far each shared
// token's vector and attention row moved between them.
#include <cstdint>
#include <string>
#include <vector>

#include "core/encoder.h"

namespace ordo::cli {

struct TokenMatch {
  size_t a = 0, b = 0;  // positions in A and B
};

// Tokens with the same id, the k-th occurrence in A matched to the k-th occurrence in B.
std::vector<TokenMatch> match_shared_tokens(const std::vector<int32_t>& a,
                                            const std::vector<int32_t>& b);
// Same multiset of ids in another order.
bool is_permutation_of(const std::vector<int32_t>& a, const std::vector<int32_t>& b);

double cosine_similarity(const float* x, const float* y, int64_t size);
double l2_distance(const float* x, const float* y, int64_t size);

struct TokenDrift {
  TokenMatch match;
  double cosine = 0, l2 = 0;                      // hidden vector at the chosen layer
  double attention_cosine = 0, attention_l2 = 0;  // attention row over keys aligned by identity
};

// `output` holds sequences A (index 0) and B (index 1) with hidden states and attentions.
// `layer` 0 is the embedding output; attention comes from block max(layer, 1); `head` -1
// averages the heads.
std::vector<TokenDrift> token_drift(const EncoderOutput& output,
                                    const std::vector<TokenMatch>& matches, int64_t layer,
                                    int64_t head);

// One sequence (index 0) holding both texts, as `pair --joint` encodes them: `matches` are
// positions in that sequence, and attention rows are compared over all its keys.
std::vector<TokenDrift> token_drift_within(const EncoderOutput& output,
                                           const std::vector<TokenMatch>& matches, int64_t layer,
                                           int64_t head);

// The [n, n] attention probabilities of sequence `sequence` (n = its length) at block
// max(layer, 1), head `head` or the mean over heads when -1.
std::vector<float> attention_matrix(const EncoderOutput& output, int64_t sequence, int64_t layer,
                                    int64_t head);

}  // namespace ordo::cli
