// Relative position representations (Shaw et al. 2018) as Hugging Face's BertSelfAttention
// implements them for position_embedding_type relative_key, and the key term Huang et al. 2020
// add for relative_key_query. Each layer learns a vector r(d) per distance d = i - j (query
// minus key) for |d| < P, and the scores become
//   relative_key:        (q_i . k_j + q_i . r(i - j)) / sqrt(d_head)
//   relative_key_query:  (q_i . k_j + q_i . r(i - j) + k_j . r(i - j)) / sqrt(d_head)
// The term depends on the text, so it is a full [sequences, heads, length, length] bias.
#include <cmath>
#include <string>

#include "layers/attention_position.h"
#include "layers/profile.h"
#include "ordo/error.h"

namespace ordo::layers {
namespace {

std::string layer_name(const std::string& pattern, size_t layer) {
  std::string name = pattern;
  const size_t at = name.find("{}");
  if (at != std::string::npos) name.replace(at, 2, std::to_string(layer));
  return name;
}

class RelativeKey final : public AttentionPosition {
 public:
  RelativeKey(const EncoderSpec& spec, bool with_keys)
      : with_keys_(with_keys),
        heads_(spec.num_heads),
        head_dim_(spec.hidden_size / spec.num_heads) {
    const std::string kind_name = to_string(kind());
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      const TensorView& table = spec.layers[i].distance_embedding;
      const std::string name = layer_name(spec.position_weight_names.distance_embedding, i);
      if (table.empty()) {
        throw Error("positional encoding '" + kind_name + "' needs each layer's distance table (" +
                    name + "), and this checkpoint has none");
      }
      if (table.shape.size() != 2 || table.shape[1] != head_dim_ || table.shape[0] % 2 == 0) {
        throw Error(kind_name + ": " + name + " has shape " + shape_string(table.shape) +
                    ", expected [2 max_position_embeddings - 1, head size " +
                    std::to_string(head_dim_) + "]");
      }
      const int64_t positions = (table.shape[0] + 1) / 2;
      if (i > 0 && positions != positions_) {
        throw Error(kind_name + ": " + name + " has " + std::to_string(table.shape[0]) +
                    " rows, layer 0's has " + std::to_string(2 * positions_ - 1));
      }
      positions_ = positions;
    }
  }

  PositionKind kind() const override {
    return with_keys_ ? PositionKind::relative_key_query : PositionKind::relative_key;
  }
  int64_t max_positions() const override { return positions_; }
  bool biases_scores() const override { return true; }

  ops::AttentionPositions prepare(ForwardContext& context, const LayerWeights& layer,
                                  const BatchLayout::Run& run, const float* qkv) const override {
    const int64_t length = run.length, count = run.count, hidden = heads_ * head_dim_;
    if (length > positions_) {
      throw Error(std::string(to_string(kind())) + ": a sequence of " + std::to_string(length) +
                  " tokens is longer than the distance table allows (" +
                  std::to_string(positions_) + " positions)");
    }
    // The table's rows for i - j = -(length - 1) .. length - 1: r(i - j) is window row
    // m = i - j + length - 1 (table row i - j + P - 1, as Hugging Face indexes it).
    const float* window = layer.distance_embedding.data + (positions_ - length) * head_dim_;
    const auto op = context.ops.distance_scores(count, length, heads_, head_dim_);
    float* scores = context.workspace.distance_scores.reserve(
        static_cast<size_t>((with_keys_ ? 2 : 1) * op->out_size()));
    float* query_scores = scores;
    float* key_scores = scores + op->out_size();
    {
      ProfileScope timed(context, "relative keys",
                         2.0 * (with_keys_ ? 2 : 1) * op->out_size() * head_dim_);
      (*op)(context.stream, context.workspace.scratchpad, qkv, window, query_scores);
      if (with_keys_) {
        (*op)(context.stream, context.workspace.scratchpad, qkv + hidden, window, key_scores);
      }
      context.stream.wait();
    }
    // Q carries 1/sqrt(d_head) from the load; K does not, so its term is scaled here.
    const float key_scale = 1.0f / std::sqrt(static_cast<float>(head_dim_));
    const int64_t window_size = op->window(), pairs = count * heads_;
    float* bias =
        context.workspace.position_bias.reserve(static_cast<size_t>(pairs * length * length));
#pragma omp parallel for schedule(static)
    for (int64_t pair = 0; pair < pairs; ++pair) {
      const float* q_rows = query_scores + pair * length * window_size;
      const float* k_rows = key_scores + pair * length * window_size;
      for (int64_t i = 0; i < length; ++i) {
        float* row = bias + (pair * length + i) * length;
        for (int64_t j = 0; j < length; ++j) {
          const int64_t m = i - j + length - 1;
          row[j] = q_rows[i * window_size + m];
          if (with_keys_) row[j] += key_scale * k_rows[j * window_size + m];
        }
      }
    }
    ops::AttentionPositions positions;
    positions.bias = ops::ScoreBias{bias, heads_ * length * length, length * length, length};
    return positions;
  }

  // |r(i - j)| for j - i = -(count - 1) .. count - 1, the same for every head.
  std::vector<float> by_distance(const LayerWeights& layer, int64_t count) const override {
    if (count > positions_) {
      throw Error(std::string(to_string(kind())) + ": " + std::to_string(count) +
                  " positions requested, the distance table has " + std::to_string(positions_));
    }
    std::vector<float> one_head;
    for (int64_t distance = -(count - 1); distance < count; ++distance) {
      // j - i = distance, so i - j = -distance, at row -distance + P - 1.
      const float* r = layer.distance_embedding.data + (positions_ - 1 - distance) * head_dim_;
      double squares = 0.0;
      for (int64_t d = 0; d < head_dim_; ++d) squares += static_cast<double>(r[d]) * r[d];
      one_head.push_back(static_cast<float>(std::sqrt(squares)));
    }
    std::vector<float> out;
    for (int64_t h = 0; h < heads_; ++h) out.insert(out.end(), one_head.begin(), one_head.end());
    return out;
  }

 private:
  bool with_keys_;
  int64_t heads_, head_dim_;
  int64_t positions_ = 0;  // P: the table covers distances -(P-1) .. P-1
};

}  // namespace

std::unique_ptr<AttentionPosition> make_relative_key(const EncoderSpec& spec, bool with_keys) {
  return std::make_unique<RelativeKey>(spec, with_keys);
}

}  // namespace ordo::layers
