// sentence-transformers prompts (config_sentence_transformers.json) and Matryoshka truncation,
// through the CLI and the C++ API, against references computed here independently: a prompt
// must give exactly what encoding the concatenated text gives, and --dim N what cutting the
// full vector to N components and L2-normalising it by hand gives.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "ordo/model.h"
#include "test_util.h"

namespace ordo::test {
namespace {

// The tiny tokenized model (hidden 32) with tests/fixtures/sentence_prompts's modules.json,
// mean Pooling and config_sentence_transformers.json (nomic's four prompts, default
// search_query). `edit` changes the prompts file before it is written.
class PromptModel {
 public:
  explicit PromptModel(const std::function<void(nlohmann::json&)>& edit = {}) {
    for (const char* file : {"config.json", "model.safetensors", "tokenizer.model"})
      std::filesystem::copy_file(fixture("tiny_tokenized") / file, scratch_.path() / file);
    const auto source = fixture("sentence_prompts");
    std::filesystem::copy(source / "modules.json", scratch_.path() / "modules.json");
    std::filesystem::create_directories(scratch_.path() / "1_Pooling");
    std::filesystem::copy(source / "1_Pooling" / "config.json",
                          scratch_.path() / "1_Pooling" / "config.json");
    nlohmann::json prompts =
        nlohmann::json::parse(std::ifstream(source / "config_sentence_transformers.json"));
    if (edit) edit(prompts);
    std::ofstream(scratch_.path() / "config_sentence_transformers.json") << prompts.dump();
  }
  std::string path() const { return scratch_.path().string(); }

 private:
  ScratchDir scratch_;
};

const std::string kText = "The cat chases the mouse.";

// `ordo encode --jsonl --output pooled` of one text: {"ids", "pooled"}.
nlohmann::json encoded(const std::string& model, const std::vector<std::string>& extra,
                       const std::string& text) {
  std::vector<std::string> arguments = {"encode",  "--model",  model,
                                        "--jsonl", "--output", "pooled"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  arguments.push_back(text);
  const CliRun run = ordo(arguments);
  EXPECT_EQ(run.status, 0) << run.err;
  return run.status == 0 ? nlohmann::json::parse(run.out) : nlohmann::json::object();
}

std::vector<double> cut_and_normalise(std::vector<double> vector, size_t n, bool normalise) {
  vector.resize(n);
  double norm = 0.0;
  for (double v : vector) norm += v * v;
  if (normalise)
    for (double& v : vector) v /= std::sqrt(norm);
  return vector;
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << "component " << i;
}

TEST(Prompts, APromptIsItsPrefixPrependedToTheText) {
  const PromptModel model;
  // The default prompt, a named one, and none: each equals the concatenated text unprompted.
  const nlohmann::json by_default = encoded(model.path(), {}, kText);
  const nlohmann::json query = encoded(model.path(), {"--no-prompt"}, "search_query: " + kText);
  EXPECT_EQ(by_default["ids"], query["ids"]);
  EXPECT_EQ(by_default["pooled"], query["pooled"]);
  const nlohmann::json document = encoded(model.path(), {"--prompt", "search_document"}, kText);
  const nlohmann::json concatenated =
      encoded(model.path(), {"--prompt", ""}, "search_document: " + kText);
  EXPECT_EQ(document["ids"], concatenated["ids"]);
  EXPECT_EQ(document["pooled"], concatenated["pooled"]);
  // --prompt "" and --no-prompt turn the default off; the prompt does change the vector.
  const nlohmann::json plain = encoded(model.path(), {"--no-prompt"}, kText);
  EXPECT_EQ(encoded(model.path(), {"--prompt", ""}, kText)["pooled"], plain["pooled"]);
  EXPECT_NE(plain["pooled"], by_default["pooled"]);
  EXPECT_LT(plain["ids"].size(), by_default["ids"].size());

  // --json reports the prompt in effect.
  const CliRun run = ordo({"encode", "--model", model.path(), "--json", kText});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out)["prompt"], "search_query");
}

TEST(Prompts, UnknownNamesAndMisuseAreErrors) {
  const PromptModel model;
  expect_error({"encode", "--model", model.path(), "--jsonl", "--prompt", "query", kText}, 2,
               "--prompt \"query\" is not a prompt of");
  expect_error({"encode", "--model", model.path(), "--jsonl", "--prompt", "query", kText}, 2,
               "(available: classification, clustering, search_document, search_query)");
  expect_error({"encode", "--model", model.path(), "--jsonl", "--prompt", "search_query",
                "--no-prompt", kText},
               2, "--prompt or --no-prompt, not both");
  expect_error(
      {"encode", "--model", model.path(), "--jsonl", "--prompt", "search_query", "--ids", "5,6,7"},
      2, "--prompt applies to texts");
  // A model without prompts: any name is unknown.
  expect_error({"encode", "--model", fixture("tiny_tokenized").string(), "--jsonl", "--prompt",
                "search_query", kText},
               2, "(it defines none)");
  // A default that names no prompt, and a Pooling module that leaves the prompt out.
  const PromptModel wrong_default([](auto& c) { c["default_prompt_name"] = "missing"; });
  expect_error({"encode", "--model", wrong_default.path(), "--jsonl", kText}, 1,
               "config_sentence_transformers.json: default_prompt_name \"missing\"");
  const PromptModel excluded;
  nlohmann::json pooling = {{"pooling_mode_mean_tokens", true}, {"include_prompt", false}};
  std::ofstream(excluded.path() + "/1_Pooling/config.json") << pooling.dump();
  expect_error({"encode", "--model", excluded.path(), "--jsonl", kText}, 2, "include_prompt");
  // Without a prompt in effect, include_prompt false changes nothing.
  EXPECT_EQ(encoded(excluded.path(), {"--no-prompt"}, kText)["pooled"],
            encoded(model.path(), {"--no-prompt"}, kText)["pooled"]);
}

// ordo pair prefixes both sentences: its cosine is that of the concatenated texts.
TEST(Prompts, PairPrefixesBothSentences) {
  const PromptModel model;
  const auto pair = [&](const std::vector<std::string>& extra, const std::string& a,
                        const std::string& b) {
    std::vector<std::string> arguments = {"pair", "--model", model.path(), "--json"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    arguments.insert(arguments.end(), {a, b});
    const CliRun run = ordo(arguments);
    EXPECT_EQ(run.status, 0) << run.err;
    return run.status == 0 ? nlohmann::json::parse(run.out) : nlohmann::json::object();
  };
  const std::string other = "The mouse chases the cat.";
  const nlohmann::json prompted = pair({"--prompt", "clustering"}, kText, other);
  const nlohmann::json concatenated =
      pair({"--no-prompt"}, "clustering: " + kText, "clustering: " + other);
  EXPECT_EQ(prompted["prompt"], "clustering");
  EXPECT_EQ(prompted["a"]["ids"], concatenated["a"]["ids"]);
  EXPECT_EQ(prompted["cosine"], concatenated["cosine"]);
  EXPECT_EQ(pair({}, kText, other)["cosine"],
            pair({"--no-prompt"}, "search_query: " + kText, "search_query: " + other)["cosine"]);
  EXPECT_NE(pair({"--no-prompt"}, kText, other)["cosine"], prompted["cosine"]);
  expect_error({"pair", "--model", model.path(), "--joint", "--prompt", "clustering", kText, other},
               2, "--prompt prefixes separate sentences, not --joint");
}

TEST(Matryoshka, DimCutsThePooledVectorThenNormalises) {
  const PromptModel model;
  const std::vector<double> full = encoded(model.path(), {"--no-prompt"}, kText)["pooled"];
  ASSERT_EQ(full.size(), 32u);
  expect_near(encoded(model.path(), {"--no-prompt", "--dim", "8"}, kText)["pooled"],
              cut_and_normalise(full, 8, false));
  expect_near(encoded(model.path(), {"--no-prompt", "--dim", "8", "--normalize"}, kText)["pooled"],
              cut_and_normalise(full, 8, true));
  expect_near(encoded(model.path(), {"--no-prompt", "--dim", "32", "--normalize"}, kText)["pooled"],
              cut_and_normalise(full, 32, true));

  ScratchDir out;
  const std::string npy = (out.path() / "v.npy").string();
  const CliRun run = ordo({"encode", "--model", model.path(), "--npy", npy, "--output", "pooled",
                           "--dim", "5", kText, kText});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(read_npy(npy).shape, "(2, 5)");

  expect_error(
      {"encode", "--model", model.path(), "--jsonl", "--output", "pooled", "--dim", "0", kText}, 2,
      "option '--dim' must be between 1");
  expect_error(
      {"encode", "--model", model.path(), "--jsonl", "--output", "pooled", "--dim", "33", kText}, 2,
      "--dim 33 exceeds the hidden size 32");
  expect_error({"encode", "--model", model.path(), "--jsonl", "--dim", "8", kText}, 2,
               "--dim cuts sentence vectors: add --output pooled");
}

TEST(PromptsApi, OptionsPromptAndDimensions) {
  const PromptModel directory;
  Options plain_options;
  plain_options.prompt = "";
  const Model plain = Model::load(directory.path(), plain_options);
  EXPECT_EQ(plain.prompt(), "");
  const Model by_default = Model::load(directory.path());
  EXPECT_EQ(by_default.prompt(), "search_query");
  EXPECT_EQ(by_default.encode({kText}).pooled.values(),
            plain.encode({"search_query: " + kText}).pooled.values());
  // The texts as the file writes them, whatever prompt the model was loaded with.
  EXPECT_EQ(plain.prompt_text("search_document"), "search_document: ");
  EXPECT_EQ(by_default.prompt_text("clustering"), "clustering: ");
  EXPECT_EQ(by_default.prompt_text(""), "");
  expect_contains(error_message([&] { by_default.prompt_text("query"); }),
                  {"\"query\" is not a prompt of", "config_sentence_transformers.json",
                   "available: classification"});
  Options named;
  named.prompt = "clustering";
  EXPECT_EQ(Model::load(directory.path(), named).encode({kText}).pooled.values(),
            plain.encode({"clustering: " + kText}).pooled.values());

  Options cut = plain_options;
  cut.dimensions = 12;
  cut.normalize = true;
  const Model matryoshka = Model::load(directory.path(), cut);
  EXPECT_EQ(matryoshka.dimensions(), 12);
  const Result result = matryoshka.encode({kText});
  EXPECT_EQ(result.pooled.shape(), (std::vector<int64_t>{1, 12}));
  const std::vector<float> full = plain.encode({kText}).pooled.values();
  const std::vector<double> expected =
      cut_and_normalise(std::vector<double>(full.begin(), full.end()), 12, true);
  expect_near(std::vector<double>(result.pooled.values().begin(), result.pooled.values().end()),
              expected);
  EXPECT_EQ(matryoshka.encode({}).pooled.shape(), (std::vector<int64_t>{0, 12}));

  Options unknown;
  unknown.prompt = "query";
  expect_contains(error_message([&] { Model::load(directory.path(), unknown); }),
                  {"Options::prompt \"query\" is not a prompt of", "available: classification"});
  Options too_wide;
  too_wide.dimensions = 33;
  expect_contains(error_message([&] { Model::load(directory.path(), too_wide); }),
                  {"Options::dimensions is 33", "hidden size 32"});
  Options negative;
  negative.dimensions = -1;
  expect_contains(error_message([&] { Model::load(directory.path(), negative); }),
                  {"Options::dimensions is -1"});
}

// Model::embed applies the model's prompt and dimensions as encode() does, and a call's own
// prompt and dimensions replace them.
TEST(PromptsApi, EmbedTakesTheModelsPromptAndDimensionsUnlessTheCallSaysOtherwise) {
  const PromptModel directory;
  Options plain_options;
  plain_options.prompt = "";
  const Model plain = Model::load(directory.path(), plain_options);
  const Model by_default = Model::load(directory.path());
  const auto near = [](const Array& a, const Array& b) {
    ASSERT_EQ(a.shape(), b.shape());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a.values()[i], b.values()[i], 1e-5f);
  };
  EXPECT_EQ(by_default.info().prompt, "search_query");
  near(by_default.embed({kText, "a mouse"}), by_default.encode({kText, "a mouse"}).pooled);
  EmbedOptions literal;
  literal.prompt = "clustering: ";
  near(by_default.embed({kText}, literal), plain.encode({"clustering: " + kText}).pooled);

  Options cut = plain_options;
  cut.dimensions = 12;
  cut.normalize = true;
  const Model matryoshka = Model::load(directory.path(), cut);
  EXPECT_EQ(matryoshka.info().dimensions, 12);
  near(matryoshka.embed({kText}), matryoshka.encode({kText}).pooled);
  EmbedOptions wider;
  wider.dimensions = 20;
  EXPECT_EQ(matryoshka.embed({kText}, wider).shape(), (std::vector<int64_t>{1, 20}));

  // A Pooling module that leaves the prompt's tokens out: a literal prompt is refused too.
  const PromptModel excluded;
  nlohmann::json pooling = {{"pooling_mode_mean_tokens", true}, {"include_prompt", false}};
  std::ofstream(excluded.path() + "/1_Pooling/config.json") << pooling.dump();
  const Model no_prompt = Model::load(excluded.path(), plain_options);
  try {
    no_prompt.embed({kText}, literal);
    ADD_FAILURE() << "embed took a prompt that the Pooling module leaves out";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "Model::embed: EmbedOptions::prompt is set, but the Pooling module of " +
                  excluded.path() +
                  " sets include_prompt false (the prompt's tokens left out of the pooling), "
                  "which ordo does not do");
  }
}

}  // namespace
}  // namespace ordo::test
