// The property ordo exists to show: self-attention without a positional encoding is
// permutation-equivariant (permuting the tokens permutes the outputs and changes nothing
// else); with a positional encoding the same token's vector changes when the order changes.
#include <gtest/gtest.h>

#include "test_util.h"

namespace ordo::test {
namespace {

const std::vector<int32_t> kSentence = {11, 42, 7, 33, 25, 50, 3, 58};
const std::vector<size_t> kPermutation = {5, 2, 7, 0, 3, 6, 1, 4};  // new[i] = old[perm[i]]

std::vector<int32_t> permuted(const std::vector<int32_t>& ids) {
  std::vector<int32_t> out;
  for (size_t index : kPermutation) out.push_back(ids[index]);
  return out;
}

// Largest change of any token's vector after undoing the permutation.
float drift_after_unpermuting(const Encoder& encoder) {
  const EncoderOutput original = encoder.forward({{kSentence}, {}});
  const EncoderOutput shuffled = encoder.forward({{permuted(kSentence)}, {}});
  const int64_t hidden = encoder.hidden_size();
  float worst = 0.0f;
  for (size_t i = 0; i < kPermutation.size(); ++i) {
    const float* moved = shuffled.last_hidden_state.data() + static_cast<int64_t>(i) * hidden;
    const float* source =
        original.last_hidden_state.data() + static_cast<int64_t>(kPermutation[i]) * hidden;
    worst = std::max(worst, max_abs_difference(moved, source, hidden));
  }
  return worst;
}

TEST(WordOrder, WithoutPositionalEncodingAttentionIsPermutationEquivariant) {
  EXPECT_LE(drift_after_unpermuting(load_fixture("none_gelu")), 1e-5f);
}

TEST(WordOrder, AnyCheckpointRunWithPeNoneIsEquivariant) {
  for (const char* name : {"learned_gelu", "sinusoidal_gelu", "odd_shape_blocked_gelu"}) {
    EXPECT_LE(drift_after_unpermuting(load_fixture(name, {PositionKind::none})), 1e-5f) << name;
  }
}

TEST(WordOrder, EveryPositionalEncodingMakesOrderMatter) {
  struct Case {
    const char* fixture;
    PositionKind kind;
  };
  for (const Case& c :
       {Case{"learned_gelu", PositionKind::learned}, Case{"learned_gelu", PositionKind::sinusoidal},
        Case{"learned_gelu", PositionKind::sinusoidal_blocked},
        Case{"sinusoidal_gelu", PositionKind::sinusoidal},
        Case{"blocked_relu", PositionKind::sinusoidal_blocked}}) {
    EXPECT_GT(drift_after_unpermuting(load_fixture(c.fixture, {c.kind})), 0.05f)
        << c.fixture << " under " << to_string(c.kind);
  }
}

TEST(WordOrder, AttentionProbabilitiesPermuteWithTheTokensWithoutPositionalEncoding) {
  const Encoder encoder = load_fixture("none_gelu");
  ForwardOptions options;
  options.output_attentions = true;
  const EncoderOutput original = encoder.forward({{kSentence}, {}}, options);
  const EncoderOutput shuffled = encoder.forward({{permuted(kSentence)}, {}}, options);
  const auto n = static_cast<int64_t>(kSentence.size());
  float worst = 0.0f;
  for (size_t layer = 0; layer < original.attentions.size(); ++layer) {
    for (int64_t head = 0; head < encoder.num_heads(); ++head) {
      for (int64_t q = 0; q < n; ++q) {
        for (int64_t k = 0; k < n; ++k) {
          const float a = shuffled.attentions[layer].data()[(head * n + q) * n + k];
          const float b = original.attentions[layer]
                              .data()[(head * n + static_cast<int64_t>(kPermutation[q])) * n +
                                      static_cast<int64_t>(kPermutation[k])];
          worst = std::max(worst, std::fabs(a - b));
        }
      }
    }
  }
  EXPECT_LE(worst, 1e-6f);
}

TEST(WordOrder, OverridingWithLearnedNeedsATable) {
  EXPECT_THROW(load_fixture("sinusoidal_gelu", {PositionKind::learned}), Error);
}

}  // namespace
}  // namespace ordo::test
