// Rotary position embedding (Su et al. 2021, RoFormer), as NomicBERT, GTE-v1.5 and ModernBERT
// use it: in every head, the first `rot` = fraction x head_dim dimensions form rot / 2 pairs,
// and pair i of the token at position t is rotated by the angle t s / base^(2i / rot) (s: the
// frequency scale, 1 unless a scaling such as GTE's NTK sets it). q . k then
// depends on the positions only through their difference.
#include <cmath>
#include <string>
#include <vector>

#include "layers/attention_position.h"
#include "ordo/error.h"

namespace ordo::layers {
namespace {

class RotaryEmbedding final : public AttentionPosition {
 public:
  // Angles for the first positions are tabulated at load; longer sequences get theirs per call.
  static constexpr int64_t kTabulatedPositions = 4096;

  RotaryEmbedding(const RotarySettings& settings, int64_t heads, int64_t head_dim)
      : settings_(settings),
        heads_(heads),
        head_dim_(head_dim),
        pairs_(rotated_pairs(settings, head_dim)) {
    for (int64_t i = 0; i < pairs_; ++i) {
      frequencies_.push_back(
          settings_.frequency_scale *
          std::pow(settings_.base, -2.0 * static_cast<double>(i) / (2.0 * pairs_)));
    }
    fill(kTabulatedPositions, cos_, sin_);
  }

  PositionKind kind() const override { return PositionKind::rotary; }
  bool biases_scores() const override { return false; }

  ops::AttentionPositions prepare(ForwardContext& context, const LayerWeights&,
                                  const BatchLayout::Run& run, const float*) const override {
    ops::AttentionPositions positions;
    positions.rotation.pairs = pairs_;
    positions.rotation.interleaved = settings_.interleaved;
    if (run.length <= kTabulatedPositions) {
      positions.rotation.cos = cos_.data();
      positions.rotation.sin = sin_.data();
      return positions;
    }
    std::vector<float>& cos = context.workspace.rotary_cos;
    std::vector<float>& sin = context.workspace.rotary_sin;
    if (static_cast<int64_t>(cos.size()) < run.length * pairs_) fill(run.length, cos, sin);
    positions.rotation.cos = cos.data();
    positions.rotation.sin = sin.data();
    return positions;
  }

  // q . k / head_dim for q = k = ones: pair i contributes 2 cos((j - i) angle_i), the pairs
  // that do not rotate contribute 1 per dimension.
  std::vector<float> by_distance(const LayerWeights&, int64_t count) const override {
    std::vector<float> one_head(static_cast<size_t>(2 * count - 1));
    for (int64_t distance = -(count - 1); distance < count; ++distance) {
      auto sum = static_cast<double>(head_dim_ - 2 * pairs_);
      for (int64_t i = 0; i < pairs_; ++i) {
        sum += 2.0 * std::cos(static_cast<double>(distance) * frequency(i));
      }
      one_head[static_cast<size_t>(distance + count - 1)] = static_cast<float>(sum / head_dim_);
    }
    std::vector<float> out;
    for (int64_t h = 0; h < heads_; ++h) out.insert(out.end(), one_head.begin(), one_head.end());
    return out;
  }

 private:
  static int64_t rotated_pairs(const RotarySettings& settings, int64_t head_dim) {
    if (!(settings.base > 0.0) || !std::isfinite(settings.base)) {
      throw Error("rotary: rotary_emb_base must be a positive number, got " +
                  std::to_string(settings.base));
    }
    if (!(settings.fraction > 0.0 && settings.fraction <= 1.0)) {
      throw Error("rotary: rotary_emb_fraction must be in (0, 1], got " +
                  std::to_string(settings.fraction));
    }
    // As NomicBERT: int(head_dim * fraction) dimensions rotate, in pairs.
    const auto rotated = static_cast<int64_t>(static_cast<double>(head_dim) * settings.fraction);
    if (rotated < 2 || rotated % 2 != 0) {
      throw Error("rotary: rotary_emb_fraction " + std::to_string(settings.fraction) +
                  " of head size " + std::to_string(head_dim) + " rotates " +
                  std::to_string(rotated) + " dimensions; it must be an even number of at least 2");
    }
    if (!(settings.frequency_scale > 0.0) || !std::isfinite(settings.frequency_scale)) {
      throw Error("rotary: the frequency scale must be a positive number, got " +
                  std::to_string(settings.frequency_scale));
    }
    return rotated / 2;
  }

  // base^(-2i / rot) of pair i.
  double frequency(int64_t pair) const { return frequencies_[static_cast<size_t>(pair)]; }

  // Angles in double precision, rounded to float once.
  void fill(int64_t positions, std::vector<float>& cos, std::vector<float>& sin) const {
    cos.resize(static_cast<size_t>(positions * pairs_));
    sin.resize(cos.size());
    for (int64_t t = 0; t < positions; ++t) {
      for (int64_t i = 0; i < pairs_; ++i) {
        const double angle = static_cast<double>(t) * frequency(i);
        cos[static_cast<size_t>(t * pairs_ + i)] = static_cast<float>(std::cos(angle));
        sin[static_cast<size_t>(t * pairs_ + i)] = static_cast<float>(std::sin(angle));
      }
    }
  }

  RotarySettings settings_;
  int64_t heads_, head_dim_, pairs_;
  std::vector<double> frequencies_;
  std::vector<float> cos_, sin_;  // [kTabulatedPositions][pairs]
};

}  // namespace

std::unique_ptr<AttentionPosition> make_rotary(const EncoderSpec& spec) {
  return std::make_unique<RotaryEmbedding>(spec.rotary, spec.num_heads,
                                           spec.hidden_size / spec.num_heads);
}

}  // namespace ordo::layers
