#include "pair_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace ordo {

std::vector<TokenMatch> match_shared_tokens(const std::vector<int32_t>& a,
                                            const std::vector<int32_t>& b) {
  std::map<int32_t, std::vector<size_t>> positions_in_b;
  for (size_t j = 0; j < b.size(); ++j) positions_in_b[b[j]].push_back(j);
  std::map<int32_t, size_t> used;
  std::vector<TokenMatch> matches;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto found = positions_in_b.find(a[i]);
    if (found == positions_in_b.end()) continue;
    size_t& next = used[a[i]];
    if (next < found->second.size()) matches.push_back({i, found->second[next++]});
  }
  return matches;
}

bool is_permutation_of(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  return a.size() == b.size() && std::is_permutation(a.begin(), a.end(), b.begin());
}

double cosine_similarity(const float* x, const float* y, int64_t size) {
  double dot = 0, xx = 0, yy = 0;
  for (int64_t i = 0; i < size; ++i) {
    dot += double{x[i]} * y[i];
    xx += double{x[i]} * x[i];
    yy += double{y[i]} * y[i];
  }
  return xx == 0 || yy == 0 ? 0.0 : dot / std::sqrt(xx * yy);
}

double l2_distance(const float* x, const float* y, int64_t size) {
  double sum = 0;
  for (int64_t i = 0; i < size; ++i) sum += (double{x[i]} - y[i]) * (double{x[i]} - y[i]);
  return std::sqrt(sum);
}

namespace {

// Attention row of query `query` in sequence `sequence`, over keys `keys`.
std::vector<float> attention_row(const Tensor& attentions, int64_t sequence, int64_t query,
                                 const std::vector<size_t>& keys, int64_t head) {
  const int64_t heads = attentions.dim(1), longest = attentions.dim(2);
  std::vector<float> row(keys.size(), 0.0f);
  const int64_t first = head < 0 ? 0 : head, last = head < 0 ? heads : head + 1;
  for (int64_t h = first; h < last; ++h) {
    const float* values = attentions.data() + ((sequence * heads + h) * longest + query) * longest;
    for (size_t k = 0; k < keys.size(); ++k)
      row[k] += values[keys[k]] / static_cast<float>(last - first);
  }
  return row;
}

}  // namespace

namespace {

// Drift between token `a` of sequence `sequence_a` and token `b` of `sequence_b`: their hidden
// vectors, and their attention rows over the given (aligned) keys.
TokenDrift drift_between(const Tensor& hidden, const Tensor& attentions, int64_t head,
                         TokenMatch match, int64_t sequence_a, const std::vector<size_t>& keys_a,
                         int64_t sequence_b, const std::vector<size_t>& keys_b) {
  const int64_t longest = hidden.dim(1), size = hidden.dim(2);
  TokenDrift d;
  d.match = match;
  const float* va = hidden.data() + (sequence_a * longest + static_cast<int64_t>(match.a)) * size;
  const float* vb = hidden.data() + (sequence_b * longest + static_cast<int64_t>(match.b)) * size;
  d.cosine = cosine_similarity(va, vb, size);
  d.l2 = l2_distance(va, vb, size);
  const auto row_a =
      attention_row(attentions, sequence_a, static_cast<int64_t>(match.a), keys_a, head);
  const auto row_b =
      attention_row(attentions, sequence_b, static_cast<int64_t>(match.b), keys_b, head);
  const auto n = static_cast<int64_t>(row_a.size());
  d.attention_cosine = cosine_similarity(row_a.data(), row_b.data(), n);
  d.attention_l2 = l2_distance(row_a.data(), row_b.data(), n);
  return d;
}

const Tensor& attentions_of_layer(const EncoderOutput& output, int64_t layer) {
  return output.attentions.at(static_cast<size_t>(std::max<int64_t>(layer, 1) - 1));
}

}  // namespace

std::vector<TokenDrift> token_drift(const EncoderOutput& output,
                                    const std::vector<TokenMatch>& matches, int64_t layer,
                                    int64_t head) {
  const Tensor& hidden = output.hidden_states.at(static_cast<size_t>(layer));
  std::vector<size_t> keys_a, keys_b;
  keys_a.reserve(matches.size());
  keys_b.reserve(matches.size());
  for (const TokenMatch& m : matches) {
    keys_a.push_back(m.a);
    keys_b.push_back(m.b);
  }
  std::vector<TokenDrift> drift;
  drift.reserve(matches.size());
  for (const TokenMatch& m : matches) {
    drift.push_back(
        drift_between(hidden, attentions_of_layer(output, layer), head, m, 0, keys_a, 1, keys_b));
  }
  return drift;
}

std::vector<TokenDrift> token_drift_within(const EncoderOutput& output,
                                           const std::vector<TokenMatch>& matches, int64_t layer,
                                           int64_t head) {
  const Tensor& hidden = output.hidden_states.at(static_cast<size_t>(layer));
  std::vector<size_t> keys(static_cast<size_t>(output.lengths.at(0)));
  for (size_t k = 0; k < keys.size(); ++k) keys[k] = k;
  std::vector<TokenDrift> drift;
  drift.reserve(matches.size());
  for (const TokenMatch& m : matches) {
    drift.push_back(
        drift_between(hidden, attentions_of_layer(output, layer), head, m, 0, keys, 0, keys));
  }
  return drift;
}

std::vector<float> attention_matrix(const EncoderOutput& output, int64_t sequence, int64_t layer,
                                    int64_t head) {
  const Tensor& attentions = attentions_of_layer(output, layer);
  const int64_t n = output.lengths.at(static_cast<size_t>(sequence));
  std::vector<size_t> keys(static_cast<size_t>(n));
  for (size_t k = 0; k < keys.size(); ++k) keys[k] = k;
  std::vector<float> matrix;
  matrix.reserve(static_cast<size_t>(n * n));
  for (int64_t q = 0; q < n; ++q) {
    const auto row = attention_row(attentions, sequence, q, keys, head);
    matrix.insert(matrix.end(), row.begin(), row.end());
  }
  return matrix;
}

namespace {

std::string verdict(bool permutation, bool identical, double max_drift, PositionKind kind,
                    bool windowed) {
  if (identical) return "A and B are the same token sequence: nothing can move.";
  if (permutation && max_drift <= kZeroDrift) {
    return std::string("B is a permutation of A and no shared token moved: ") +
           (kind == PositionKind::none
                ? "without a positional encoding, self-attention is permutation-equivariant."
                : "this encoding did not distinguish the orders.");
  }
  if (permutation && kind == PositionKind::none && windowed) {
    return "B is a permutation of A, yet shared tokens moved (max L2 " + std::to_string(max_drift) +
           ") with no positional encoding: this model's sliding-window attention lets a token "
           "reach only its neighbours, so word order matters through the window.";
  }
  if (permutation) {
    return "B is a permutation of A, yet shared tokens moved (max L2 " + std::to_string(max_drift) +
           "): the " + to_string(kind) + " positional encoding makes word order matter.";
  }
  return "A and B differ in their tokens, so the drift mixes content and order; compare a "
         "reordering to isolate order.";
}

// One number per distinct surface text across both token lists, so that the id-based matching
// and permutation test can run on surfaces.
std::pair<std::vector<int32_t>, std::vector<int32_t>> surface_keys(
    const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::map<std::string, int32_t> keys;
  const auto key_of = [&](const std::vector<std::string>& tokens) {
    std::vector<int32_t> out;
    out.reserve(tokens.size());
    for (const std::string& token : tokens) {
      out.push_back(
          keys.emplace(surface_text(token), static_cast<int32_t>(keys.size())).first->second);
    }
    return out;
  };
  auto ka = key_of(a);
  auto kb = key_of(b);
  return {ka, kb};
}

// The pieces' texts without "▁", sorted; a lone "▁" carries no text and is left out.
std::vector<std::string> sorted_words(const std::vector<std::string>& tokens) {
  std::vector<std::string> out;
  for (const std::string& token : tokens) {
    if (!surface_text(token).empty()) out.push_back(surface_text(token));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string surface_text(const std::string& token) {
  static const std::string kMarker = "\xE2\x96\x81";
  return token.rfind(kMarker, 0) == 0 ? token.substr(kMarker.size()) : token;
}

PairAnalysis analyse_pair(const Encoder& encoder, const tokenizer::Encoding& a,
                          const tokenizer::Encoding& b, const EncoderOutput& output, int64_t layer,
                          int64_t head, bool align_surface) {
  PairAnalysis result;
  const int64_t width = output.pooled.shape()[1];
  result.sentence_cosine =
      cosine_similarity(output.pooled.data(), output.pooled.data() + width, width);
  const auto [surface_a, surface_b] = surface_keys(a.tokens, b.tokens);
  const auto& keys_a = align_surface ? surface_a : a.ids;
  const auto& keys_b = align_surface ? surface_b : b.ids;
  result.drift = token_drift(output, match_shared_tokens(keys_a, keys_b), layer, head);
  for (const auto& d : result.drift) result.max_drift = std::max(result.max_drift, d.l2);
  result.permutation = is_permutation_of(a.ids, b.ids);
  result.identical = a.ids == b.ids;
  // Same words, different pieces: SentencePiece marks a word's start with "▁", which a text's
  // first word may lack (我吃饭了: 我 vs 吃饭了我: ▁我 with a dummy prefix).
  result.marker_only = !result.permutation && sorted_words(a.tokens) == sorted_words(b.tokens);
  if (result.marker_only) {
    result.marker_note =
        "A and B hold the same words, but not the same pieces: they differ by the "
        "word-boundary marker \xE2\x96\x81 (a piece with it and one without are different "
        "tokens to the model)" +
        std::string(align_surface ? "; tokens are matched by their text without it"
                                  : "; --align surface matches tokens by their text without it");
  }
  result.verdict = verdict(result.permutation, result.identical, result.max_drift,
                           encoder.position_kind(), encoder.has_attention_window());
  return result;
}

}  // namespace ordo
