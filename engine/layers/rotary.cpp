// Rotary position embedding (Su et al. 2021, RoFormer), as NomicBERT, GTE-v1.5 and ModernBERT
// use it: in every head, the first `rot` = fraction x head_dim dimensions form rot / 2 pairs,
// and pair i of the token at position t is rotated by the angle t s / base^(2i / rot) (s: the
// frequency scale, 1 unless a scaling such as GTE's NTK sets it). q . k then depends on the
// positions only through their difference. A layer may have its own base
// (LayerWeights::rotary_base: ModernBERT's local layers); each base has its own tables, and
// the encoder's frequency scale applies to all of them.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "layers/attention_position.h"
#include "ordo/error.h"

namespace ordo::layers {
namespace {

// The angles of one base: frequencies s x base^(-2i / rot) and, for the first positions, their
// cosines and sines.
class RotaryTables {
 public:
  // Angles for the first positions are tabulated at load; longer sequences get theirs per call.
  static constexpr int64_t kTabulatedPositions = 4096;

  RotaryTables(double base, double frequency_scale, int64_t pairs)
      : base_(base), frequency_scale_(frequency_scale) {
    for (int64_t i = 0; i < pairs; ++i) {
      frequencies_.push_back(frequency_scale *
                             std::pow(base, -2.0 * static_cast<double>(i) / (2.0 * pairs)));
    }
    fill(kTabulatedPositions, cos_, sin_);
  }

  double base() const { return base_; }
  double frequency_scale() const { return frequency_scale_; }
  int64_t pairs() const { return static_cast<int64_t>(frequencies_.size()); }
  // s x base^(-2i / rot) of pair i.
  double frequency(int64_t pair) const { return frequencies_[static_cast<size_t>(pair)]; }
  const float* cos() const { return cos_.data(); }
  const float* sin() const { return sin_.data(); }

  // Angles in double precision, rounded to float once.
  void fill(int64_t positions, std::vector<float>& cos, std::vector<float>& sin) const {
    const int64_t n = pairs();
    cos.resize(static_cast<size_t>(positions * n));
    sin.resize(cos.size());
    for (int64_t t = 0; t < positions; ++t) {
      for (int64_t i = 0; i < n; ++i) {
        const double angle = static_cast<double>(t) * frequency(i);
        cos[static_cast<size_t>(t * n + i)] = static_cast<float>(std::cos(angle));
        sin[static_cast<size_t>(t * n + i)] = static_cast<float>(std::sin(angle));
      }
    }
  }

 private:
  double base_;
  double frequency_scale_;
  std::vector<double> frequencies_;
  std::vector<float> cos_, sin_;  // [kTabulatedPositions][pairs]
};

class RotaryEmbedding final : public AttentionPosition {
 public:
  RotaryEmbedding(const EncoderSpec& spec, int64_t head_dim)
      : settings_(spec.rotary),
        heads_(spec.num_heads),
        head_dim_(head_dim),
        pairs_(rotated_pairs(settings_, head_dim)) {
    tables_.emplace(settings_.base,
                    RotaryTables(settings_.base, settings_.frequency_scale, pairs_));
    for (const LayerWeights& layer : spec.layers) {
      const double base = base_of(layer);
      check_base(base);
      // try_emplace builds the tables only for a base not seen yet.
      tables_.try_emplace(base, base, settings_.frequency_scale, pairs_);
    }
  }

  PositionKind kind() const override { return PositionKind::rotary; }
  bool biases_scores() const override { return false; }

  ops::AttentionPositions prepare(ForwardContext& context, const LayerWeights& layer,
                                  const BatchLayout::Run& run, const float*) const override {
    const RotaryTables& tables = tables_.at(base_of(layer));
    ops::AttentionPositions positions;
    positions.rotation.pairs = pairs_;
    positions.rotation.interleaved = settings_.interleaved;
    if (run.length <= RotaryTables::kTabulatedPositions) {
      positions.rotation.cos = tables.cos();
      positions.rotation.sin = tables.sin();
      return positions;
    }
    // The workspace is the calling thread's, shared by every model: its angles are reused only
    // when they were filled for the same base, frequency scale and number of pairs.
    Workspace& ws = context.workspace;
    if (static_cast<int64_t>(ws.rotary_cos.size()) < run.length * pairs_ ||
        ws.rotary_base != tables.base() || ws.rotary_frequency_scale != tables.frequency_scale() ||
        ws.rotary_pairs != pairs_) {
      tables.fill(run.length, ws.rotary_cos, ws.rotary_sin);
      ws.rotary_base = tables.base();
      ws.rotary_frequency_scale = tables.frequency_scale();
      ws.rotary_pairs = pairs_;
    }
    positions.rotation.cos = ws.rotary_cos.data();
    positions.rotation.sin = ws.rotary_sin.data();
    return positions;
  }

  // q . k / head_dim for q = k = ones: pair i contributes 2 cos((j - i) angle_i), the pairs
  // that do not rotate contribute 1 per dimension.
  std::vector<float> by_distance(const LayerWeights& layer, int64_t count) const override {
    const RotaryTables& tables = tables_.at(base_of(layer));
    std::vector<float> one_head(static_cast<size_t>(2 * count - 1));
    for (int64_t distance = -(count - 1); distance < count; ++distance) {
      auto sum = static_cast<double>(head_dim_ - 2 * pairs_);
      for (int64_t i = 0; i < pairs_; ++i) {
        sum += 2.0 * std::cos(static_cast<double>(distance) * tables.frequency(i));
      }
      one_head[static_cast<size_t>(distance + count - 1)] = static_cast<float>(sum / head_dim_);
    }
    std::vector<float> out;
    for (int64_t h = 0; h < heads_; ++h) out.insert(out.end(), one_head.begin(), one_head.end());
    return out;
  }

 private:
  double base_of(const LayerWeights& layer) const {
    return layer.rotary_base > 0.0 ? layer.rotary_base : settings_.base;
  }

  static void check_base(double base) {
    if (!(base > 0.0) || !std::isfinite(base)) {
      throw Error("rotary: rotary_emb_base must be a positive number, got " + std::to_string(base));
    }
  }

  static int64_t rotated_pairs(const RotarySettings& settings, int64_t head_dim) {
    check_base(settings.base);
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

  RotarySettings settings_;
  int64_t heads_, head_dim_, pairs_;
  std::map<double, RotaryTables> tables_;  // by base: the encoder's, and each layer's own
};

}  // namespace

std::unique_ptr<AttentionPosition> make_rotary(const EncoderSpec& spec) {
  return std::make_unique<RotaryEmbedding>(spec, spec.hidden_size / spec.num_heads);
}

}  // namespace ordo::layers
