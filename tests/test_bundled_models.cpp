// The two bundled models against PyTorch: tools/make_bundled_reference.py tokenized the
// sentences with Python's sentencepiece and ran the torch.nn reference on the F16 weights
// widened to F32. ordo's tokenizer must produce the same ids and its engine the same hidden
// states.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace ordo::test {
namespace {

class BundledModel : public testing::TestWithParam<std::string> {};

TEST_P(BundledModel, TokenizerAndEngineMatchPyTorch) {
  const std::string name = GetParam();
  const auto directory = std::filesystem::path(ORDO_MODELS_DIR) / name;
  const io::SafetensorsFile reference(fixture("bundled") / (name + ".safetensors"));
  const auto sentences =
      nlohmann::json::parse(reference.metadata().at("sentences")).get<std::vector<std::string>>();
  const ReferenceBatch batch = reference_batch(reference);
  ASSERT_EQ(static_cast<size_t>(batch.batch), sentences.size());

  const models::LoadedModel model = models::load_model(directory);
  ASSERT_NE(model.tokenizer, nullptr);
  EncoderInput input;
  for (size_t i = 0; i < sentences.size(); ++i) {
    const auto encoding = model.tokenizer->encode(sentences[i]);
    EXPECT_EQ(encoding.ids, batch.input.ids[i]) << "sentence " << i << ": " << sentences[i];
    input.ids.push_back(encoding.ids);
    input.token_types.push_back(encoding.token_types);
  }
  const Encoder encoder(model.spec);
  const EncoderOutput output = encoder.forward(input);
  const TensorView expected = reference.f32("last_hidden_state");
  ASSERT_EQ(output.last_hidden_state.shape(), expected.shape);
  const float worst =
      max_abs_difference(output.last_hidden_state.data(), expected.data, expected.numel());
  EXPECT_LE(worst, 1e-4f);
  std::cout << "[parity] " << name << ": last_hidden_state " << worst << '\n';
}

INSTANTIATE_TEST_SUITE_P(Models, BundledModel, testing::Values("ordo-sinusoidal", "ordo-learned"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param == "ordo-sinusoidal" ? std::string("sinusoidal")
                                                                  : std::string("learned");
                         });

}  // namespace
}  // namespace ordo::test
