#pragma once
// The numbers behind `ordo pair` and Model::compare: which tokens two inputs share, how far
// each shared token's vector and attention row moved between them, and what that says about
// the positional encoding. Internal to libordo; the CLI uses it too.
#include <cstdint>
#include <string>
#include <vector>

#include "core/encoder.h"
#include "tokenizer.h"

namespace ordo {

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

// Drift at or below this is float rounding (~1e-6 in practice), not a moved token.
constexpr double kZeroDrift = 1e-4;

// A token's text without SentencePiece's word-boundary marker "▁" in front ("" for "▁" alone).
std::string surface_text(const std::string& token);

// Everything `ordo pair` concludes about two separately encoded texts.
struct PairAnalysis {
  double sentence_cosine = 0;  // of the two pooled vectors
  std::vector<TokenDrift> drift;
  double max_drift = 0;      // largest L2 drift of a shared token's vector
  bool permutation = false;  // B's ids are A's in another order
  bool identical = false;
  // Not a permutation, but the same words: the pieces differ only by the "▁" marker.
  bool marker_only = false;
  std::string verdict;      // one sentence, as `ordo pair` prints it
  std::string marker_note;  // when marker_only: why the pieces differ ("" otherwise)
};

// `output` holds A (sequence 0) and B (sequence 1) with hidden states and attentions, from
// `encoder`. `layer` and `head` as token_drift; `align_surface` matches tokens by their text
// without "▁" instead of by id.
PairAnalysis analyse_pair(const Encoder& encoder, const tokenizer::Encoding& a,
                          const tokenizer::Encoding& b, const EncoderOutput& output, int64_t layer,
                          int64_t head, bool align_surface);

}  // namespace ordo
