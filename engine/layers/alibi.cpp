// ALiBi (Press et al. 2022, "Train Short, Test Long") in the bidirectional form encoders use
// (JinaBERT-v2): no position vector anywhere, only score[h, i, j] -= m_h |i - j|, with one fixed
// slope m_h per head. Nothing is learned, so it runs on any checkpoint and any length.
#include <cmath>

#include "layers/alibi.h"
#include "layers/attention_position.h"

namespace ordo::layers {
namespace {

// The paper's slopes for a power of two n: the geometric sequence starting at 2^(-8/n) with
// that ratio (2^-1 ... 2^-8 for 8 heads).
void power_of_two_slopes(int64_t n, std::vector<double>& out) {
  const double start = std::pow(2.0, -8.0 / static_cast<double>(n));
  for (int64_t h = 0; h < n; ++h) out.push_back(std::pow(start, static_cast<double>(h + 1)));
}

class AlibiBias final : public DistanceBias {
 public:
  explicit AlibiBias(int64_t heads) : slopes_(alibi_slopes(heads)) {}

  PositionKind kind() const override { return PositionKind::alibi; }

  std::vector<float> by_distance(const LayerWeights&, int64_t count) const override {
    std::vector<float> out;
    out.reserve(slopes_.size() * static_cast<size_t>(2 * count - 1));
    for (const float slope : slopes_) {
      for (int64_t distance = -(count - 1); distance < count; ++distance) {
        out.push_back(0.0f - slope * static_cast<float>(std::abs(distance)));  // +0 at 0
      }
    }
    return out;
  }

 private:
  std::vector<float> slopes_;
};

}  // namespace

std::vector<float> alibi_slopes(int64_t heads) {
  // Not a power of two: the slopes of the power of two p below, then every other slope of 2p.
  int64_t power = 1;
  while (power * 2 <= heads) power *= 2;
  std::vector<double> slopes;
  power_of_two_slopes(power, slopes);
  if (power < heads) {
    std::vector<double> doubled;
    power_of_two_slopes(2 * power, doubled);
    for (int64_t i = 0; static_cast<int64_t>(slopes.size()) < heads; i += 2) {
      slopes.push_back(doubled[static_cast<size_t>(i)]);
    }
  }
  return std::vector<float>(slopes.begin(), slopes.end());
}

std::unique_ptr<AttentionPosition> make_alibi(const EncoderSpec& spec) {
  return std::make_unique<AlibiBias>(spec.num_heads);
}

}  // namespace ordo::layers
