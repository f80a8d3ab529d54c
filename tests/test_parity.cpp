// Parity with PyTorch: every fixture under tests/fixtures was written by tools/make_fixtures.py
// from torch.nn.TransformerEncoderLayer / MultiheadAttention / Embedding / LayerNorm, and every
// fixture under tests/fixtures/positions by tools/make_position_fixtures.py from the papers and
// Hugging Face's code for position inside attention: implementations independent of ours. The
// engine must reproduce hidden states, every layer's hidden state and every attention
// probability to 1e-4, on ordo's attention kernel and on oneDNN's.
#include <gtest/gtest.h>

#include <iostream>

#include "test_util.h"

namespace ordo::test {
namespace {

constexpr float kTolerance = 1e-4f;

// Our per-layer tensors against the reference's stacked [layers, ...] tensor; +inf when the
// layer count or sizes disagree.
float max_difference_per_layer(const std::vector<Tensor>& ours, const TensorView& stacked) {
  if (ours.empty() || static_cast<int64_t>(ours.size()) != stacked.shape[0]) return INFINITY;
  float worst = 0.0f;
  for (size_t l = 0; l < ours.size(); ++l) {
    const int64_t count = ours[l].numel();
    if (count * stacked.shape[0] != stacked.numel()) return INFINITY;
    worst = std::max(
        worst,
        max_abs_difference(ours[l].data(), stacked.data + static_cast<int64_t>(l) * count, count));
  }
  return worst;
}

void expect_parity(const std::string& name, const EncoderOptions& encoder_options) {
  const io::SafetensorsFile reference(fixture(name) / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  const Encoder encoder = load_fixture(name, encoder_options);
  ForwardOptions options;
  options.output_hidden_states = true;
  options.output_attentions = true;
  const EncoderOutput output = encoder.forward(batch.input, options);

  const TensorView expected = reference.f32("last_hidden_state");
  ASSERT_EQ(output.last_hidden_state.shape(), expected.shape);
  const float last =
      max_abs_difference(output.last_hidden_state.data(), expected.data, expected.numel());
  EXPECT_LE(last, kTolerance) << name << " last_hidden_state";

  const float worst_hidden =
      max_difference_per_layer(output.hidden_states, reference.f32("hidden_states"));
  EXPECT_LE(worst_hidden, kTolerance) << name << " hidden_states";
  const float worst_attention =
      max_difference_per_layer(output.attentions, reference.f32("attentions"));
  EXPECT_LE(worst_attention, kTolerance) << name << " attentions";
  // Printed so that every run shows the agreement each fixture reaches, not only that it is
  // within kTolerance.
  std::cout << "[parity] " << name << (encoder_options.onednn_attention ? " (oneDNN)" : "")
            << ": last_hidden_state " << last << ", hidden_states " << worst_hidden
            << ", attentions " << worst_attention << '\n';
}

class Parity : public testing::TestWithParam<std::string> {};

TEST_P(Parity, MatchesPyTorch) {
  expect_parity(GetParam(), {});
}

// Position inside attention, on both attention paths: ordo's kernel where the head size allows
// it (a multiple of 16 on AVX-512), and oneDNN's primitives, forced.
class PositionParity : public testing::TestWithParam<std::string> {};

TEST_P(PositionParity, MatchesPyTorchOnBothAttentionPaths) {
  EncoderOptions onednn;
  onednn.onednn_attention = true;
  for (const EncoderOptions& options : {EncoderOptions{}, onednn}) {
    SCOPED_TRACE(options.onednn_attention ? "oneDNN attention" : "fastest attention");
    expect_parity(GetParam(), options);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PositionParity, testing::ValuesIn(kPositionFixtures),
                         fixture_test_name);

INSTANTIATE_TEST_SUITE_P(Fixtures, Parity, testing::ValuesIn(kReferenceFixtures),
                         fixture_test_name);

// Padding removal must be invisible: a sequence alone and inside a ragged batch agree.
TEST(Batching, SequenceAloneEqualsSequenceInPaddedBatch) {
  const Encoder encoder = load_fixture("odd_shape_learned_relu");
  const EncoderInput batch{{{3, 9, 4, 1, 7}, {5, 6, 7, 8, 9, 10, 11, 12, 13}, {2}, {3, 9, 4, 1, 7}},
                           {}};
  const EncoderOutput together = encoder.forward(batch);
  const int64_t hidden = encoder.hidden_size(), longest = 9;
  for (size_t s = 0; s < batch.ids.size(); ++s) {
    const EncoderOutput alone = encoder.forward(EncoderInput{{batch.ids[s]}, {}});
    const int64_t count = static_cast<int64_t>(batch.ids[s].size()) * hidden;
    EXPECT_LE(
        max_abs_difference(
            alone.last_hidden_state.data(),
            together.last_hidden_state.data() + static_cast<int64_t>(s) * longest * hidden, count),
        1e-5f)
        << "sequence " << s;
    // Padded rows are exactly zero.
    for (int64_t i = count; i < longest * hidden; ++i) {
      ASSERT_EQ(together.last_hidden_state.data()[static_cast<int64_t>(s) * longest * hidden + i],
                0.0f);
    }
  }
}

}  // namespace
}  // namespace ordo::test
