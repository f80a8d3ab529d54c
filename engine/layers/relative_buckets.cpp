// The T5 / MPNet relative attention bias (Raffel et al. 2020; Song et al. 2020): one learned
// scalar per head and per bucket of the distance j - i, one table shared by every layer, added
// to the scaled scores. The buckets are log-spaced beyond a short exact range, so any length
// runs, and distances past max_distance share the last bucket.
#include "layers/relative_buckets.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "layers/attention_position.h"
#include "ordo/error.h"

namespace ordo::layers {
namespace {

class RelativeBucketBias final : public DistanceBias {
 public:
  RelativeBucketBias(const EncoderSpec& spec)
      : settings_(spec.relative_buckets), table_(spec.relative_attention_bias) {
    const std::string& name = spec.position_weight_names.relative_attention_bias;
    if (settings_.num_buckets < 4 || settings_.num_buckets > 4096) {
      throw Error("relative_bias: relative_attention_num_buckets must be between 4 and 4096, got " +
                  std::to_string(settings_.num_buckets));
    }
    if (settings_.max_distance <= settings_.num_buckets / 4 || settings_.max_distance > (1 << 24)) {
      throw Error("relative_bias: relative_attention_max_distance (" +
                  std::to_string(settings_.max_distance) +
                  ") must exceed a quarter of relative_attention_num_buckets (" +
                  std::to_string(settings_.num_buckets / 4) + ") and be at most 2^24");
    }
    if (table_.empty()) {
      throw Error("positional encoding 'relative_bias' needs the relative attention bias table (" +
                  name + "), and this checkpoint has none");
    }
    if (table_.shape != std::vector<int64_t>{settings_.num_buckets, spec.num_heads}) {
      throw Error("relative_bias: " + name + " has shape " + shape_string(table_.shape) +
                  ", expected [relative_attention_num_buckets " +
                  std::to_string(settings_.num_buckets) + ", heads " +
                  std::to_string(spec.num_heads) + "]");
    }
  }

  PositionKind kind() const override { return PositionKind::relative_bias; }

  std::vector<float> by_distance(const LayerWeights&, int64_t count) const override {
    const int64_t heads = table_.shape[1];
    std::vector<float> out(static_cast<size_t>(heads * (2 * count - 1)));
    for (int64_t distance = -(count - 1); distance < count; ++distance) {
      const float* row = table_.data + relative_position_bucket(distance, settings_) * heads;
      for (int64_t h = 0; h < heads; ++h) {
        out[static_cast<size_t>(h * (2 * count - 1) + distance + count - 1)] = row[h];
      }
    }
    return out;
  }

 private:
  RelativeBucketSettings settings_;
  TensorView table_;  // [num_buckets, heads]
};

}  // namespace

int64_t relative_position_bucket(int64_t relative_position,
                                 const RelativeBucketSettings& settings) {
  const int64_t half = settings.num_buckets / 2;
  int64_t bucket = relative_position > 0 ? half : 0;  // keys after the query: upper half
  const int64_t distance = std::abs(relative_position);
  const int64_t max_exact = half / 2;
  if (distance < max_exact) return bucket + distance;
  // float throughout, as torch.log(n.float() / max_exact) / math.log(...) * (...) computes it.
  const float scaled = std::log(static_cast<float>(distance) / static_cast<float>(max_exact)) /
                       static_cast<float>(std::log(static_cast<double>(settings.max_distance) /
                                                   static_cast<double>(max_exact))) *
                       static_cast<float>(half - max_exact);
  const int64_t large = max_exact + static_cast<int64_t>(scaled);
  return bucket + std::min(large, half - 1);
}

std::unique_ptr<AttentionPosition> make_relative_buckets(const EncoderSpec& spec) {
  return std::make_unique<RelativeBucketBias>(spec);
}

}  // namespace ordo::layers
