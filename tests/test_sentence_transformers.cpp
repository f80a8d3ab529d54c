// sentence-transformers directories: modules.json + 1_Pooling/config.json (+ Normalize) decide
// what `ordo encode --output pooled` returns, checked against the hidden states by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "test_util.h"

namespace ordo::test {
namespace {

// The tiny tokenized fixture as a sentence-transformers directory with the given pooling.
class SentenceModel {
 public:
  SentenceModel(const std::string& pooling_mode, bool normalize) {
    for (const char* file : {"config.json", "model.safetensors", "tokenizer.model"})
      std::filesystem::copy_file(fixture("tiny_tokenized") / file, scratch_.path() / file);
    nlohmann::json modules =
        nlohmann::json::array({{{"idx", 0},
                                {"name", "0"},
                                {"path", ""},
                                {"type", "sentence_transformers.models.Transformer"}},
                               {{"idx", 1},
                                {"name", "1"},
                                {"path", "1_Pooling"},
                                {"type", "sentence_transformers.models.Pooling"}}});
    if (normalize)
      modules.push_back({{"idx", 2},
                         {"name", "2"},
                         {"path", "2_Normalize"},
                         {"type", "sentence_transformers.models.Normalize"}});
    std::ofstream(scratch_.path() / "modules.json") << modules.dump();
    std::filesystem::create_directories(scratch_.path() / "1_Pooling");
    nlohmann::json pooling = {{"word_embedding_dimension", 32},
                              {"pooling_mode_cls_token", false},
                              {"pooling_mode_mean_tokens", false},
                              {"pooling_mode_max_tokens", false},
                              {"pooling_mode_mean_sqrt_len_tokens", false}};
    if (!pooling_mode.empty()) pooling[pooling_mode] = true;
    std::ofstream(scratch_.path() / "1_Pooling" / "config.json") << pooling.dump();
  }
  std::string path() const { return scratch_.path().string(); }

 private:
  ScratchDir scratch_;
};

std::vector<std::vector<double>> hidden_states(const std::string& model, const std::string& text) {
  const CliRun run = ordo({"encode", "--model", model, "--jsonl", text});
  EXPECT_EQ(run.status, 0) << run.err;
  return nlohmann::json::parse(run.out)["last_hidden_state"];
}

std::vector<double> pooled(const std::string& model, const std::string& text,
                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> arguments = {"encode",  "--model",  model,
                                        "--jsonl", "--output", "pooled"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  arguments.push_back(text);
  const CliRun run = ordo(arguments);
  EXPECT_EQ(run.status, 0) << run.err;
  return nlohmann::json::parse(run.out)["pooled"];
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << "component " << i;
}

const std::string kText = "The cat chases the mouse.";

TEST(SentenceTransformers, DeclaredPoolingIsTheDefault) {
  const auto rows = hidden_states(fixture("tiny_tokenized").string(), kText);
  const size_t n = rows.size(), width = rows[0].size();
  std::vector<double> sum(width, 0.0), max = rows[0];
  for (const auto& row : rows)
    for (size_t c = 0; c < width; ++c) sum[c] += row[c], max[c] = std::max(max[c], row[c]);

  expect_near(pooled(SentenceModel("pooling_mode_cls_token", false).path(), kText), rows[0]);
  expect_near(pooled(SentenceModel("pooling_mode_max_tokens", false).path(), kText), max);
  std::vector<double> sqrt_len(width);
  for (size_t c = 0; c < width; ++c) sqrt_len[c] = sum[c] / std::sqrt(static_cast<double>(n));
  expect_near(pooled(SentenceModel("pooling_mode_mean_sqrt_len_tokens", false).path(), kText),
              sqrt_len);
  // An explicit --pooling still wins over the declared one.
  std::vector<double> mean(width);
  for (size_t c = 0; c < width; ++c) mean[c] = sum[c] / static_cast<double>(n);
  expect_near(
      pooled(SentenceModel("pooling_mode_cls_token", false).path(), kText, {"--pooling", "mean"}),
      mean);
}

TEST(SentenceTransformers, NormalizeModuleGivesUnitVectors) {
  const auto rows = hidden_states(fixture("tiny_tokenized").string(), kText);
  const auto vector = pooled(SentenceModel("pooling_mode_mean_tokens", true).path(), kText);
  double norm = 0.0;
  for (double v : vector) norm += v * v;
  EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-6);
  // Same direction as the plain mean.
  std::vector<double> mean(rows[0].size(), 0.0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) mean[c] += row[c] / static_cast<double>(rows.size());
  double mean_norm = 0.0;
  for (double v : mean) mean_norm += v * v;
  for (auto& v : mean) v /= std::sqrt(mean_norm);
  expect_near(vector, mean);
}

TEST(SentenceTransformers, ModulesOrdoCannotReproduceAreErrors) {
  {
    SentenceModel none("", false);  // no mode set
    const CliRun run = ordo({"encode", "--model", none.path(), "--jsonl", "x"});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find("1_Pooling/config.json: expected exactly one pooling mode"),
              std::string::npos)
        << run.err;
  }
  {
    SentenceModel weighted("pooling_mode_weightedmean_tokens", false);
    const CliRun run = ordo({"encode", "--model", weighted.path(), "--jsonl", "x"});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find("pooling_mode_weightedmean_tokens is not supported"), std::string::npos)
        << run.err;
  }
  {
    SentenceModel dense("pooling_mode_mean_tokens", false);
    nlohmann::json modules = nlohmann::json::parse(std::ifstream(dense.path() + "/modules.json"));
    modules.push_back(
        {{"idx", 2}, {"path", "2_Dense"}, {"type", "sentence_transformers.models.Dense"}});
    std::ofstream(dense.path() + "/modules.json") << modules.dump();
    const CliRun run = ordo({"encode", "--model", dense.path(), "--jsonl", "x"});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find("modules.json: module 'sentence_transformers.models.Dense' is not "
                           "supported"),
              std::string::npos)
        << run.err;
    EXPECT_TRUE(run.out.empty());
  }
}

}  // namespace
}  // namespace ordo::test
