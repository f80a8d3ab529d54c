#include "pair_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace ordo::cli {

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

}  // namespace ordo::cli
