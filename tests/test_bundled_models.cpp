// Every bundled model against PyTorch: tools/make_bundled_reference.py tokenized the
// sentences with Python's sentencepiece and ran a PyTorch reference (not the training code) on
// the F16 weights widened to F32. ordo's tokenizer must produce the same ids and its engine the
// same hidden states.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "spm_parity.h"
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

  // The MLM head, on masked sentences that went through both tokenizers.
  const auto masked = nlohmann::json::parse(reference.metadata().at("masked_sentences"))
                          .get<std::vector<std::string>>();
  const TensorView expected_logits = reference.f32("mlm_logits");  // [masks, vocab]
  const int64_t vocab = expected_logits.shape.at(1);
  int64_t mask_row = 0;
  float worst_logit = 0.0f;
  for (size_t i = 0; i < masked.size(); ++i) {
    const auto encoding = model.tokenizer->encode_masked(masked[i]);
    const auto reference_ids = reference.i64("mlm_input_ids_" + std::to_string(i));
    EXPECT_EQ(std::vector<int64_t>(encoding.ids.begin(), encoding.ids.end()), reference_ids)
        << masked[i];
    const EncoderOutput one = encoder.forward({{encoding.ids}, {encoding.token_types}});
    std::vector<std::pair<int64_t, int64_t>> rows;
    for (size_t t = 0; t < encoding.ids.size(); ++t) {
      if (encoding.ids[t] == *model.tokenizer->mask_id())
        rows.emplace_back(0, static_cast<int64_t>(t));
    }
    ASSERT_FALSE(rows.empty()) << masked[i];
    const Tensor logits = encoder.masked_lm_logits(one, rows);
    ASSERT_EQ(logits.dim(1), vocab);
    worst_logit = std::max(
        worst_logit,
        max_abs_difference(logits.data(), expected_logits.data + mask_row * vocab, logits.numel()));
    mask_row += logits.dim(0);
  }
  EXPECT_EQ(mask_row, expected_logits.shape.at(0));
  EXPECT_LE(worst_logit, 1e-3f);  // logits reach ~±20; 1e-3 is ~1e-4 relative
  std::cout << "[parity] " << name << ": last_hidden_state " << worst << ", mlm logits "
            << worst_logit << '\n';
}

// Every models/ordo-* directory: a bundled model without a reference fails (no fixture file).
std::vector<std::string> bundled_models() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(ORDO_MODELS_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ordo-", 0) == 0 && std::filesystem::exists(entry.path() / "config.json")) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Models, BundledModel, testing::ValuesIn(bundled_models()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(5);  // after "ordo-"
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(BundledModels, AtLeastTheDefaultAndItsLearnedTwin) {
  const auto names = bundled_models();
  for (const char* required : {"ordo-sinusoidal", "ordo-learned"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
}

TEST(BundledTokenizer, MatchesSpmEncode) {
  expect_matches_spm_encode(std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal" /
                            "tokenizer.model");
}

// `ordo pair` on the project's founding examples, each a clean permutation at the token level
// (the bundled tokenizer has no dummy prefix): every trained encoding makes word order matter,
// and --pe none, self-attention alone, gives the shared tokens exactly the same vectors.
const std::vector<std::pair<std::string, std::string>> kPermutedPairs = {
    {"我吃饭了", "吃饭了我"},
    {"猫追老鼠", "老鼠追猫"},
    {"The cat chases the mouse.", "The mouse chases the cat."},
};

nlohmann::json run_pair(const std::string& extra,
                        const std::pair<std::string, std::string>& texts) {
  ScratchDir scratch;
  const auto out = scratch.path() / "out.json";
  const std::string command = std::string("'") + ORDO_CLI_PATH + "' pair --json " + extra + " '" +
                              texts.first + "' '" + texts.second + "' > '" + out.string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(out);
  return nlohmann::json::parse(in);
}

double max_drift(const nlohmann::json& document) {
  double worst = 0;
  for (const auto& token : document["shared_tokens"])
    worst = std::max(worst, token["l2"].get<double>());
  return worst;
}

TEST(BundledModels, TheDefaultIsTheSinusoidalTwin) {
  const auto document = run_pair("", kPermutedPairs[0]);
  EXPECT_EQ(document["pe"], "sinusoidal");
  EXPECT_NE(document["model"].get<std::string>().find("ordo-sinusoidal"), std::string::npos);
}

TEST_P(BundledModel, WordOrderMattersUnlessThereIsNoPositionalEncoding) {
  const std::string model =
      "--model '" + (std::filesystem::path(ORDO_MODELS_DIR) / GetParam()).string() + "' ";
  for (const auto& texts : kPermutedPairs) {
    const auto trained = run_pair(model, texts);
    // Every piece of one text is a piece of the other: all of them are compared.
    EXPECT_TRUE(trained["permutation"].get<bool>()) << texts.first;
    if (trained["pe"] == "none") {
      EXPECT_EQ(max_drift(trained), 0.0) << texts.first;
    } else {
      EXPECT_GT(max_drift(trained), 1e-2) << texts.first;
    }
    EXPECT_EQ(max_drift(run_pair(model + "--pe none", texts)), 0.0) << texts.first;
  }
}

}  // namespace
}  // namespace ordo::test
