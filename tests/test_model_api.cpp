// ordo::Model, the installed API, against the same independent references the engine is held
// to: the PyTorch fixtures (tools/make_fixtures.py) and the bundled models' PyTorch reference
// (tools/make_bundled_reference.py). Pooled vectors are recomputed here from the reference
// hidden states. Then the errors an application can meet, each with its message.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ops/bf16_linear.h"
#include "ordo/model.h"
#include "test_util.h"

namespace ordo::test {
namespace {

constexpr float kTolerance = 1e-4f;

// +inf when the shapes differ.
float max_difference(const Array& ours, const TensorView& expected) {
  if (ours.shape() != expected.shape) return INFINITY;
  return max_abs_difference(ours.values().data(), expected.data, expected.numel());
}

// Pools row `b` (its first `length` tokens) of reference hidden states [B, T, H] by hand.
std::vector<float> reference_pooled(const TensorView& states, int64_t b, int64_t length,
                                    const std::string& pooling, bool normalize) {
  const int64_t longest = states.shape[1], hidden = states.shape[2];
  const float* rows = states.data + b * longest * hidden;
  std::vector<float> out(static_cast<size_t>(hidden));
  for (int64_t c = 0; c < hidden; ++c) {
    double value = pooling == "max" ? -INFINITY : 0.0;
    for (int64_t t = 0; t < (pooling == "cls" ? 1 : length); ++t) {
      const double x = rows[t * hidden + c];
      value = pooling == "max" ? std::max(value, x) : value + x;
    }
    out[static_cast<size_t>(c)] = static_cast<float>(pooling == "mean" ? value / length : value);
  }
  if (normalize) {
    double squares = 0;
    for (float x : out) squares += double{x} * x;
    for (float& x : out) x = static_cast<float>(x / std::sqrt(squares));
  }
  return out;
}

class ModelParity : public testing::TestWithParam<std::string> {};

TEST_P(ModelParity, EncodeIdsMatchesPyTorch) {
  const std::string name = GetParam();
  const io::SafetensorsFile reference(fixture(name) / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  Options options;
  options.output_hidden_states = true;
  options.output_attentions = true;
  const Model model = Model::load(fixture(name), options);
  const Result result = model.encode_ids(batch.input.ids, batch.input.token_types);

  ASSERT_EQ(result.size(), static_cast<size_t>(batch.batch));
  const TensorView expected = reference.f32("last_hidden_state");
  EXPECT_LE(max_difference(result.last_hidden_state, expected), kTolerance);
  const TensorView hidden_states = reference.f32("hidden_states");  // [L + 1, B, T, H]
  const TensorView attentions = reference.f32("attentions");        // [L, B, heads, T, T]
  ASSERT_EQ(static_cast<int64_t>(result.hidden_states.size()), hidden_states.shape[0]);
  ASSERT_EQ(static_cast<int64_t>(result.attentions.size()), attentions.shape[0]);
  for (size_t l = 0; l < result.hidden_states.size(); ++l) {
    const std::vector<int64_t> shape(hidden_states.shape.begin() + 1, hidden_states.shape.end());
    const TensorView layer{hidden_states.data + l * result.hidden_states[l].size(), shape};
    EXPECT_LE(max_difference(result.hidden_states[l], layer), kTolerance) << "hidden state " << l;
  }
  for (size_t l = 0; l < result.attentions.size(); ++l) {
    const std::vector<int64_t> shape(attentions.shape.begin() + 1, attentions.shape.end());
    const TensorView layer{attentions.data + l * result.attentions[l].size(), shape};
    EXPECT_LE(max_difference(result.attentions[l], layer), kTolerance) << "attention " << l;
  }
  for (size_t b = 0; b < result.size(); ++b) {
    const auto length = static_cast<int64_t>(batch.input.ids[b].size());
    const std::vector<float> pooled =
        reference_pooled(expected, static_cast<int64_t>(b), length, "mean", false);
    EXPECT_LE(max_abs_difference(result.sentence_vector(b).data(), pooled.data(),
                                 static_cast<int64_t>(pooled.size())),
              kTolerance)
        << "pooled " << b;
    ASSERT_EQ(result.tokens[b].size(), batch.input.ids[b].size());
    for (size_t t = 0; t < result.tokens[b].size(); ++t) {
      EXPECT_EQ(result.tokens[b][t].id, batch.input.ids[b][t]);
      EXPECT_EQ(result.tokens[b][t].type, batch.input.token_types[b][t]);
    }
    EXPECT_EQ(result.truncated.at(b), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelParity, testing::ValuesIn(kReferenceFixtures),
                         fixture_test_name);
// Position inside attention through the API, as the parity test checks it through the engine.
INSTANTIATE_TEST_SUITE_P(PositionFixtures, ModelParity, testing::ValuesIn(kPositionFixtures),
                         fixture_test_name);

TEST(ModelPooling, EveryPoolingEqualsTheHandPooledReference) {
  const io::SafetensorsFile reference(fixture("learned_gelu") / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  const TensorView states = reference.f32("last_hidden_state");
  for (const std::string pooling : {"cls", "mean", "max"}) {
    for (const bool normalize : {false, true}) {
      Options options;
      options.pooling = pooling;
      options.normalize = normalize;
      const Result result = Model::load(fixture("learned_gelu"), options)
                                .encode_ids(batch.input.ids, batch.input.token_types);
      ASSERT_EQ(result.pooled.shape(), (std::vector<int64_t>{batch.batch, states.shape[2]}));
      for (int64_t b = 0; b < batch.batch; ++b) {
        const auto length = static_cast<int64_t>(batch.input.ids[static_cast<size_t>(b)].size());
        const auto expected = reference_pooled(states, b, length, pooling, normalize);
        EXPECT_LE(max_abs_difference(result.pooled.slice(static_cast<size_t>(b)).data(),
                                     expected.data(), states.shape[2]),
                  kTolerance)
            << pooling << (normalize ? " normalized" : "") << ", input " << b;
      }
    }
  }
}

// The bundled models: text in, through ordo's tokenizer, against Python's sentencepiece ids and
// the torch.nn reference.
class ModelBundled : public testing::TestWithParam<std::string> {};

TEST_P(ModelBundled, EncodeMatchesPyTorch) {
  const std::string name = GetParam();
  const io::SafetensorsFile reference(fixture("bundled") / (name + ".safetensors"));
  const auto sentences =
      nlohmann::json::parse(reference.metadata().at("sentences")).get<std::vector<std::string>>();
  const ReferenceBatch batch = reference_batch(reference);
  const Model model = Model::load(std::filesystem::path(ORDO_MODELS_DIR) / name);
  EXPECT_EQ(model.positional_encoding(), name == "ordo-learned" ? "learned" : "sinusoidal");
  EXPECT_EQ(model.max_tokens(), 128u);  // the table's size, and both tokenizers' declared limit
  EXPECT_EQ(model.hidden_size(), 128);
  EXPECT_TRUE(model.has_tokenizer());

  const Result result = model.encode(sentences);
  ASSERT_EQ(result.size(), sentences.size());
  EXPECT_LE(max_difference(result.last_hidden_state, reference.f32("last_hidden_state")),
            kTolerance);
  for (size_t i = 0; i < sentences.size(); ++i) {
    const std::vector<Token>& tokens = result.tokens[i];
    std::vector<int32_t> ids;
    for (const Token& token : tokens) ids.push_back(token.id);
    EXPECT_EQ(ids, batch.input.ids[i]) << sentences[i];
    ASSERT_GE(tokens.size(), 2u);
    EXPECT_EQ(tokens.front().text, "[CLS]");
    EXPECT_EQ(tokens.back().text, "[SEP]");
    EXPECT_EQ(tokens.front().source, -1);
    size_t previous_end = 0;
    for (size_t t = 1; t + 1 < tokens.size(); ++t) {
      EXPECT_EQ(tokens[t].source, 0);
      EXPECT_FALSE(tokens[t].text.empty());
      EXPECT_LE(previous_end, tokens[t].begin) << sentences[i] << ", token " << t;
      EXPECT_LE(tokens[t].end, sentences[i].size());
      previous_end = tokens[t].end;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelBundled, testing::Values("ordo-sinusoidal", "ordo-learned"),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param == "ordo-sinusoidal" ? std::string("sinusoidal")
                                                                  : std::string("learned");
                         });

// A pair is [CLS] A [SEP] B [SEP] with token types 0 then 1, built here from the two texts'
// reference ids; its hidden states are the engine's on exactly those ids.
TEST(ModelBundledPair, PairIsBothTextsInTheTemplate) {
  const auto directory = std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal";
  const io::SafetensorsFile reference(fixture("bundled") / "ordo-sinusoidal.safetensors");
  const auto sentences =
      nlohmann::json::parse(reference.metadata().at("sentences")).get<std::vector<std::string>>();
  const ReferenceBatch batch = reference_batch(reference);
  const std::vector<int32_t>& a = batch.input.ids[2];  // "The cat chases the mouse."
  const std::vector<int32_t>& b = batch.input.ids[5];  // "Use apt-get to install ..."
  std::vector<int32_t> expected_ids(a), expected_types(a.size(), 0);
  expected_ids.insert(expected_ids.end(), b.begin() + 1, b.end());  // B [SEP], without B's [CLS]
  expected_types.resize(expected_ids.size(), 1);

  const Model model = Model::load(directory);
  const Result pair = model.encode_pair(sentences[2], sentences[5]);
  ASSERT_EQ(pair.size(), 1u);
  std::vector<int32_t> ids, types;
  for (const Token& token : pair.tokens[0]) {
    ids.push_back(token.id);
    types.push_back(token.type);
  }
  EXPECT_EQ(ids, expected_ids);
  EXPECT_EQ(types, expected_types);
  EXPECT_EQ(pair.tokens[0][a.size()].source, 1);  // the first piece of B

  const Encoder encoder(models::load_model(directory).spec);
  const EncoderOutput engine = encoder.forward({{expected_ids}, {expected_types}});
  EXPECT_LE(max_difference(pair.last_hidden_state, engine.last_hidden_state.view()), 1e-5f);

  // A batch of pairs gives each pair's own result (up to the rounding of another batch shape).
  const Result pairs =
      model.encode_pairs({{sentences[0], sentences[1]}, {sentences[2], sentences[5]}});
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_LE(max_abs_difference(pairs.sentence_vector(1).data(), pair.sentence_vector(0).data(),
                               model.hidden_size()),
            1e-5f);
}

// With no positional encoding self-attention is permutation-equivariant: permuting the ids
// permutes the token vectors. With the checkpoint's own sinusoids, or rotary or ALiBi inside
// attention, it does not.
TEST(ModelOptions, PositionalEncodingOverride) {
  const std::vector<int32_t> ids = {5, 9, 14, 3, 27}, permuted = {27, 14, 5, 3, 9};
  const size_t from[] = {4, 2, 0, 3, 1};  // permuted[t] = ids[from[t]]
  // The kinds inside attention need no weights, so they run on the sinusoidal checkpoint too.
  for (const std::string pe : {"none", "", "rotary", "alibi"}) {
    Options options;
    options.positional_encoding = pe;
    const Model model = Model::load(fixture("sinusoidal_gelu"), options);
    EXPECT_EQ(model.positional_encoding(), pe.empty() ? "sinusoidal" : pe);
    const Result result = model.encode_ids({ids, permuted});
    float worst = 0.0f;
    for (size_t t = 0; t < ids.size(); ++t) {
      worst = std::max(
          worst, max_abs_difference(result.token_vector(1, t).data(),
                                    result.token_vector(0, from[t]).data(), model.hidden_size()));
    }
    if (pe == "none") {
      EXPECT_LE(worst, 1e-5f);
    } else {
      EXPECT_GT(worst, 1e-2f);
    }
  }
}

// Each approximate compute type against f32 on trained weights: close, and not f32's bits.
class ModelComputeType : public testing::TestWithParam<std::string> {};

TEST_P(ModelComputeType, StaysWithinCosine0999OfF32) {
  const auto directory = std::filesystem::path(ORDO_MODELS_DIR) / "ordo-learned";
  Options approximate;
  approximate.dtype = GetParam();
  if (approximate.dtype == "bf16" && !ops::bf16_unavailable_reason().empty()) {
    expect_contains(error_message([&] { Model::load(directory, approximate); }),
                    {"Options::dtype is \"bf16\": ", ops::bf16_unavailable_reason()});
    return;
  }
  const Model fast = Model::load(directory, approximate), reference = Model::load(directory);
  const std::vector<std::string> texts = {"猫追老鼠",
                                          "The quick brown fox jumps over the lazy dog.",
                                          "数字形式的组 ID", "man 1 ls: list directory contents"};
  const Result a = fast.encode(texts), b = reference.encode(texts);
  bool any_difference = false;
  for (size_t i = 0; i < texts.size(); ++i) {
    const FloatSpan x = a.sentence_vector(i), y = b.sentence_vector(i);
    double dot = 0.0, nx = 0.0, ny = 0.0;
    for (size_t k = 0; k < x.size(); ++k) {
      dot += x[k] * y[k], nx += x[k] * x[k], ny += y[k] * y[k];
      any_difference = any_difference || x[k] != y[k];
    }
    EXPECT_GE(dot / std::sqrt(nx * ny), 0.999) << texts[i];
  }
  EXPECT_TRUE(any_difference) << GetParam() << " gave f32's exact bits: it did not run";
}

INSTANTIATE_TEST_SUITE_P(Types, ModelComputeType, testing::Values("int8", "bf16"));

TEST(ModelOptions, ThreadCountIsTheModelsAndTheCallersIsRestored) {
  const io::SafetensorsFile reference(fixture("odd_shape_learned_relu") / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  const int callers_own = omp_get_max_threads();
  omp_set_num_threads(3);
  Options one_thread;
  one_thread.threads = 1;
  const Model single = Model::load(fixture("odd_shape_learned_relu"), one_thread);
  EXPECT_EQ(single.threads(), 1);
  EXPECT_EQ(omp_get_max_threads(), 3);
  const Result alone = single.encode_ids(batch.input.ids, batch.input.token_types);
  EXPECT_EQ(omp_get_max_threads(), 3);
  // 0 takes the loading thread's OpenMP setting.
  const Model default_threads = Model::load(fixture("odd_shape_learned_relu"));
  EXPECT_EQ(default_threads.threads(), 3);
  const Result teamed = default_threads.encode_ids(batch.input.ids, batch.input.token_types);
  // Different thread counts agree to float rounding.
  EXPECT_LE(
      max_difference(teamed.last_hidden_state, TensorView{alone.last_hidden_state.values().data(),
                                                          alone.last_hidden_state.shape()}),
      1e-5f);
  EXPECT_LE(max_difference(alone.last_hidden_state, reference.f32("last_hidden_state")),
            kTolerance);
  omp_set_num_threads(callers_own);
}

TEST(ModelTruncation, LongTextIsCutOrRejected) {
  const auto directory = std::filesystem::path(ORDO_MODELS_DIR) / "ordo-learned";
  std::string text;
  for (int i = 0; i < 200; ++i) text += "word" + std::to_string(i) + " ";
  const Result cut = Model::load(directory).encode({text, "short"});
  ASSERT_EQ(cut.tokens[0].size(), 128u);
  EXPECT_GT(cut.truncated[0], 0u);
  EXPECT_EQ(cut.truncated[1], 0u);
  EXPECT_EQ(cut.tokens[0].back().text, "[SEP]");
  EXPECT_EQ(cut.last_hidden_state.shape(), (std::vector<int64_t>{2, 128, 128}));

  Options strict;
  strict.truncate = false;
  const std::string message = error_message([&] {
    Model::load(directory, strict).encode({"short", text});
  });
  EXPECT_NE(message.find("Model::encode: input 1: "), std::string::npos) << message;
  EXPECT_NE(message.find("the limit is 128"), std::string::npos) << message;
}

TEST(ModelInputs, NoInputsGiveAnEmptyResult) {
  const Model model = Model::load(std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal");
  const Result result = model.encode({});
  EXPECT_EQ(result.size(), 0u);
  EXPECT_EQ(result.last_hidden_state.shape(), (std::vector<int64_t>{0, 0, 128}));
  EXPECT_EQ(result.pooled.shape(), (std::vector<int64_t>{0, 128}));
  EXPECT_EQ(model.encode_ids({}).size(), 0u);
}

TEST(ModelErrors, LoadNamesTheDirectoryOrOption) {
  const auto missing = fixture("no_such_model");
  expect_contains(error_message([&] { Model::load(missing); }),
                  {missing.string(), "model directory not found"});
  const auto good = fixture("learned_gelu");
  auto with = [&](const std::function<void(Options&)>& set) {
    Options options;
    set(options);
    return error_message([&] { Model::load(good, options); });
  };
  expect_contains(with([](Options& o) { o.pooling = "avg"; }),
                  {"Options::pooling is \"avg\"", "mean, cls, max, mean_sqrt_len or pooler"});
  expect_contains(with([](Options& o) { o.dtype = "fp16"; }),
                  {"Options::dtype is \"fp16\"", "\"f32\", \"bf16\" or \"int8\""});
  expect_contains(with([](Options& o) { o.threads = -1; }), {"Options::threads is -1"});
  expect_contains(with([](Options& o) { o.pooling = "pooler"; }),
                  {"Options::pooling is \"pooler\"", "has no pooler (pooler.dense.weight)"});
  expect_contains(with([](Options& o) { o.positional_encoding = "xpos"; }),
                  {"Options::positional_encoding is \"xpos\"", "sinusoidal-blocked", "alibi"});
  // Options are checked before any file is read.
  Options bad;
  bad.pooling = "avg";
  expect_contains(error_message([&] { Model::load(missing, bad); }), {"Options::pooling"});
  // `learned` needs a table the sinusoidal checkpoint does not have.
  Options learned;
  learned.positional_encoding = "learned";
  expect_contains(error_message([&] { Model::load(fixture("sinusoidal_gelu"), learned); }),
                  {"learned"});
}

TEST(ModelErrors, CallsNameTheInput) {
  const Model no_tokenizer = Model::load(fixture("learned_gelu"));
  EXPECT_FALSE(no_tokenizer.has_tokenizer());
  expect_contains(error_message([&] { no_tokenizer.encode({"text"}); }),
                  {"Model::encode: ", fixture("learned_gelu").string(), "no tokenizer"});
  expect_contains(error_message([&] { no_tokenizer.encode_pair("a", "b"); }),
                  {"Model::encode_pair: ", "no tokenizer"});
  expect_contains(error_message([&] {
                    no_tokenizer.encode_ids({{1, 2, 3}, {4, 5, 1000}});
                  }),
                  {"Model::encode_ids: ", "input sequence 1, token 2: id 1000",
                   "outside the vocabulary [0, 97)"});
  expect_contains(error_message([&] {
                    no_tokenizer.encode_ids({{1, 2}}, {{0, 7}});
                  }),
                  {"input sequence 0, token 1: token type 7"});
  expect_contains(error_message([&] {
                    no_tokenizer.encode_ids({{1, 2}, {}});
                  }),
                  {"input sequence 1 has no tokens"});
  expect_contains(
      error_message([&] { no_tokenizer.encode_ids({std::vector<int32_t>(41, 1)}); }),
      {"Model::encode_ids: input 0 has 41 tokens; the learned position table holds 40"});

  const Model bundled = Model::load(std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal");
  expect_contains(error_message([&] {
                    bundled.encode({"fine", "bad \xff byte"});
                  }),
                  {"Model::encode: input 1: "});
  expect_contains(error_message([&] { bundled.encode_pair("fine", std::string("nul\0", 4)); }),
                  {"Model::encode_pair: input 0: "});
  // An ordo::Error is a std::runtime_error too.
  EXPECT_THROW(bundled.encode({"\xc3"}), std::runtime_error);
}

TEST(ModelResult, SlicesCheckTheirIndices) {
  const Array array({2, 3, 4}, std::vector<float>(24, 1.0f));
  EXPECT_EQ(array.slice(1).size(), 12u);
  EXPECT_EQ(array.slice(1, 2).size(), 4u);
  EXPECT_EQ(array.slice(1, 2).data(), array.values().data() + 20);
  EXPECT_EQ(array.slice(1, 2, 3).size(), 1u);
  expect_contains(error_message([&] { array.slice(1, 3); }), {"index 3 on axis 1", "[2, 3, 4]"});
  expect_contains(error_message([&] { array.dim(3); }), {"axis 3"});
  expect_contains(error_message([&] { Array({2, 2}, {1.0f}); }), {"holds 4 values, 1 given"});
  const Array matrix({2, 2}, {1, 2, 3, 4});
  expect_contains(error_message([&] { matrix.slice(0, 0, 0); }), {"3 indices"});

  const Model model = Model::load(fixture("learned_gelu"));
  const Result result = model.encode_ids({{1, 2, 3}, {4, 5}});
  EXPECT_EQ(result.token_vector(1, 1).size(), 32u);
  // Token 2 of input 1 is padding: a row of the array, but not a token.
  EXPECT_EQ(result.last_hidden_state.slice(1, 2).size(), 32u);
  expect_contains(error_message([&] { result.token_vector(1, 2); }),
                  {"input 1 has 2 tokens, token 2"});
}

TEST(Version, LibraryHeadersCMakeAndChangelogAgree) {
  EXPECT_STREQ(version(), ORDO_VERSION_STRING);
  EXPECT_STREQ(version(), ORDO_PROJECT_VERSION);  // project(ordo VERSION ...) in CMakeLists.txt
  EXPECT_EQ(std::to_string(ORDO_VERSION_MAJOR) + "." + std::to_string(ORDO_VERSION_MINOR) + "." +
                std::to_string(ORDO_VERSION_PATCH),
            std::string(version()));
  std::ifstream changelog(std::filesystem::path(ORDO_SOURCE_DIR) / "CHANGELOG.md");
  std::stringstream text;
  text << changelog.rdbuf();
  EXPECT_NE(text.str().find("## " + std::string(version())), std::string::npos)
      << "CHANGELOG.md has no section for " << version();
}

}  // namespace
}  // namespace ordo::test
