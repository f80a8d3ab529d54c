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

// Permuting the tokens reorders the sums of every matmul, so the probabilities agree to float
// rounding, not bit for bit, and the bound must hold on every path (ORDO_ISA: the panel kernel
// and brgemm, or gemm:jit at AVX2 or at SSE4.1; this fixture's head_dim of 8 always runs
// oneDNN's attention primitives). The first layer's probabilities differ by a few ulps of 1
// (measured 6e-8 AVX-512, 1.8e-7 avx2, 1.2e-7 generic). The second layer's are computed from
// hidden states that already differ by rounding, which the drift tests above bound by 1e-5 on
// every path, so they get that bound rather than one of a few ulps (softmax moves a probability
// by at most half the largest change of a score). Measured there: 8.9e-7 AVX-512, 6.0e-7 avx2,
// 6.9e-7 generic (Zen 4); the former 1e-6 was met with 11% to spare, by chance.
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
  EXPECT_LE(worst, 1e-5f);
}

// Under `none` the engine runs the tokens after the first in a canonical order, so a reordering
// that keeps the first token ([CLS]) gives bit-identical vectors, attentions and sentence vectors,
// not equal to rounding: `ordo pair --pe none` shows exactly zero drift. Checked on both
// attention paths, for two sequences in one batch (as `pair` runs them) and with token types.
TEST(WordOrder, WithoutPositionsAReorderingKeepingTheFirstTokenIsBitIdentical) {
  const std::vector<int32_t> original = {2, 42, 7, 33, 25, 7, 50, 3};  // 7 twice
  const std::vector<int32_t> types = {0, 0, 0, 0, 1, 1, 1, 1};
  const std::vector<size_t> order = {0, 6, 3, 5, 1, 7, 2, 4};  // new[i] = old[order[i]]
  std::vector<int32_t> reordered, reordered_types;
  for (size_t index : order) {
    reordered.push_back(original[index]);
    reordered_types.push_back(types[index]);
  }
  for (bool onednn : {false, true}) {
    EncoderOptions options{PositionKind::none};
    options.onednn_attention = onednn;
    const Encoder encoder = load_fixture("learned_gelu", options);
    ForwardOptions forward;
    forward.output_attentions = true;
    forward.output_hidden_states = true;
    const EncoderOutput out =
        encoder.forward({{original, reordered}, {types, reordered_types}}, forward);
    const int64_t hidden = encoder.hidden_size(), n = 8, heads = encoder.num_heads();
    for (size_t i = 0; i < order.size(); ++i) {
      for (int64_t c = 0; c < hidden; ++c) {
        ASSERT_EQ(out.last_hidden_state.data()[(n + static_cast<int64_t>(i)) * hidden + c],
                  out.last_hidden_state.data()[static_cast<int64_t>(order[i]) * hidden + c])
            << "token " << i << (onednn ? " (oneDNN attention)" : "");
      }
    }
    for (const Tensor& attention : out.attentions) {  // [2, heads, 8, 8]
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t q = 0; q < n; ++q) {
          for (int64_t k = 0; k < n; ++k) {
            ASSERT_EQ(attention.data()[((heads + h) * n + q) * n + k],
                      attention.data()[(h * n + static_cast<int64_t>(order[q])) * n +
                                       static_cast<int64_t>(order[k])]);
          }
        }
      }
    }
    for (int64_t c = 0; c < hidden; ++c) {  // mean pooling
      ASSERT_EQ(out.pooled.data()[hidden + c], out.pooled.data()[c]);
    }
  }
}

TEST(WordOrder, OverridingWithLearnedNeedsATable) {
  EXPECT_THROW(load_fixture("sinusoidal_gelu", {PositionKind::learned}), Error);
}

// Position inside attention: every kind on its own checkpoint makes order matter, and the same
// checkpoint under --pe none is exactly equivariant again, on both attention paths.
struct InsideCase {
  const char* fixture;
  PositionKind kind;
};
const InsideCase kInsideCases[] = {
    {"positions/rotary_neox", PositionKind::rotary},
    {"positions/rotary_interleaved_half_base1000", PositionKind::rotary},
    {"positions/alibi_6_heads", PositionKind::alibi},
    {"positions/relative_key", PositionKind::relative_key},
    {"positions/relative_key_query", PositionKind::relative_key_query},
    {"positions/relative_bias", PositionKind::relative_bias},
};

TEST(WordOrder, EveryKindInsideAttentionMakesOrderMatterAndNoneRemovesIt) {
  for (const bool onednn : {false, true}) {
    for (const InsideCase& c : kInsideCases) {
      SCOPED_TRACE(std::string(c.fixture) + (onednn ? ", oneDNN attention" : ""));
      EncoderOptions own;
      own.onednn_attention = onednn;
      const Encoder with_position = load_fixture(c.fixture, own);
      ASSERT_EQ(with_position.position_kind(), c.kind);
      EXPECT_GT(drift_after_unpermuting(with_position), 0.05f);
      EncoderOptions none = own;
      none.position_kind = PositionKind::none;
      EXPECT_LE(drift_after_unpermuting(load_fixture(c.fixture, none)), 1e-5f);
    }
  }
}

// rotary and alibi have no weights, so they run on any checkpoint; relative_key and
// relative_bias need tables, and a checkpoint without them is refused by the tensor's name.
TEST(WordOrder, KindsWithoutWeightsRunOnAnyCheckpoint) {
  for (const PositionKind kind : {PositionKind::rotary, PositionKind::alibi}) {
    const Encoder encoder = load_fixture("learned_gelu", {kind});
    EXPECT_EQ(encoder.position_kind(), kind);
    EXPECT_EQ(encoder.max_positions(), 0) << "no table, no limit";
    EXPECT_GT(drift_after_unpermuting(encoder), 0.05f) << to_string(kind);
    // Nothing is added to the input.
    const Tensor added = encoder.position_encodings(4);
    for (int64_t i = 0; i < added.numel(); ++i) ASSERT_EQ(added.data()[i], 0.0f);
  }
  // A checkpoint of an inside kind can run under an input kind whose table it has.
  EXPECT_GT(
      drift_after_unpermuting(load_fixture("positions/alibi_6_heads", {PositionKind::learned})),
      0.05f);
}

TEST(WordOrder, KindsWithWeightsNameTheMissingTensor) {
  const auto message = [](const char* fixture, PositionKind kind) {
    return error_message([&] { load_fixture(fixture, {kind}); });
  };
  expect_contains(message("learned_gelu", PositionKind::relative_key),
                  {"relative_key", "encoder.layer.0.attention.self.distance_embedding.weight"});
  expect_contains(message("positions/rotary_neox", PositionKind::relative_bias),
                  {"relative_bias", "encoder.relative_attention_bias.weight"});
  expect_contains(message("sinusoidal_gelu", PositionKind::learned), {"learned", "position"});
}

// Shaw et al.'s table covers distances below P: longer inputs are refused, by kind and limit.
TEST(WordOrder, RelativeKeysRefuseInputsLongerThanTheirTable) {
  const Encoder encoder = load_fixture("positions/relative_key");
  ASSERT_EQ(encoder.max_positions(), 24);
  EXPECT_NO_THROW(encoder.forward({{std::vector<int32_t>(24, 5)}, {}}));
  expect_contains(error_message([&] {
                    encoder.forward({{std::vector<int32_t>(25, 5)}, {}});
                  }),
                  {"25 tokens", "relative_key", "24 positions"});
}

}  // namespace
}  // namespace ordo::test
