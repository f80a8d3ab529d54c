// ordo::Model as applications use it (issue 26): embed, per-call options, info, tokenizer and
// MLM access, similarity and top_k. Each against an independent reference: encode()'s pooled
// rows one text at a time, truncation and normalisation by hand, cosines by hand loops and
// `ordo fill --json`. Then the bad arguments, each with its message.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_test_util.h"
#include "error_message.h"
#include "ordo/model.h"

namespace ordo::test {
namespace {

const std::filesystem::path kBundled = std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal";

const Model& bundled() {
  static const Model model = Model::load(kBundled);
  return model;
}

// The first `count` lines of models/heldout.txt: texts of many lengths.
std::vector<std::string> heldout(size_t count) {
  std::ifstream file(std::filesystem::path(ORDO_MODELS_DIR) / "heldout.txt");
  std::vector<std::string> lines;
  for (std::string line; lines.size() < count && std::getline(file, line);) lines.push_back(line);
  return lines;
}

float max_difference(FloatSpan a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float largest = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::fabs(a[i] - b[i]));
  return largest;
}

std::vector<float> unit(std::vector<float> v) {
  double squares = 0.0;
  for (float x : v) squares += double{x} * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(squares));
  return v;
}

// encode()'s sentence vector of one text alone, under `call`.
std::vector<float> alone(const std::string& text, const EncodeOptions& call = {}) {
  const Result result = bundled().encode({text}, call);
  return std::vector<float>(result.sentence_vector(0).begin(), result.sentence_vector(0).end());
}

TEST(Embed, EachRowIsEncodesSentenceVectorOfThatTextAlone) {
  std::vector<std::string> texts = heldout(40);
  texts.push_back("");  // the template alone
  EmbedOptions options;
  options.batch_size = 7;  // batches that mix lengths and a last, partial one
  const Array vectors = bundled().embed(texts, options);
  ASSERT_EQ(vectors.shape(), (std::vector<int64_t>{41, bundled().hidden_size()}));
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_LE(max_difference(vectors.slice(i), alone(texts[i])), 1e-4f) << "text " << i;
}

TEST(Embed, PoolingAndNormalizePerCall) {
  const std::vector<std::string> texts = heldout(9);
  EmbedOptions options;
  options.pooling = PoolingMode::cls;
  options.normalize = true;
  const Array vectors = bundled().embed(texts, options);
  EncodeOptions call;
  call.pooling = PoolingMode::cls;
  call.normalize = true;
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_LE(max_difference(vectors.slice(i), alone(texts[i], call)), 1e-4f) << "text " << i;
}

TEST(Embed, DimensionsTruncateThenNormalise) {
  const std::vector<std::string> texts = heldout(5);
  EmbedOptions options;
  options.dimensions = 16;
  options.normalize = true;
  const Array vectors = bundled().embed(texts, options);
  ASSERT_EQ(vectors.shape(), (std::vector<int64_t>{5, 16}));
  EncodeOptions raw;
  raw.normalize = false;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> full = alone(texts[i], raw);
    full.resize(16);
    EXPECT_LE(max_difference(vectors.slice(i), unit(full)), 1e-5f) << "text " << i;
  }
  options.normalize = false;  // truncation alone
  const Array cut = bundled().embed(texts, options);
  std::vector<float> full = alone(texts[0], raw);
  full.resize(16);
  EXPECT_LE(max_difference(cut.slice(0), full), 1e-4f);
}

TEST(Embed, PromptIsPutBeforeEveryText) {
  EmbedOptions options;
  options.prompt = "query: ";
  const Array vectors = bundled().embed({"the cat", "a mouse"}, options);
  EXPECT_LE(max_difference(vectors.slice(1), alone("query: a mouse")), 1e-4f);
}

TEST(Embed, ProgressAndCancellation) {
  const std::vector<std::string> texts = heldout(5);
  EmbedOptions options;
  options.batch_size = 2;
  std::vector<std::pair<size_t, size_t>> calls;
  std::atomic<bool> cancel{false};
  options.progress = [&](size_t done, size_t total) { calls.emplace_back(done, total); };
  bundled().embed(texts, options);
  EXPECT_EQ(calls, (std::vector<std::pair<size_t, size_t>>{{2, 5}, {4, 5}, {5, 5}}));

  options.cancel = &cancel;
  options.progress = [&](size_t, size_t) { cancel = true; };  // stop after the first batch
  EXPECT_EQ(error_message([&] { bundled().embed(texts, options); }),
            "Model::embed: cancelled after 2 of 5 texts");
}

TEST(Embed, BadArgumentsAreNamed) {
  const int64_t hidden = bundled().hidden_size();
  EmbedOptions options;
  const Array none = bundled().embed({}, options);
  EXPECT_EQ(none.shape(), (std::vector<int64_t>{0, hidden}));
  options.batch_size = 0;
  EXPECT_EQ(error_message([&] { bundled().embed({"a"}, options); }),
            "Model::embed: EmbedOptions::batch_size is 0 (expected 1 to 4096)");
  options.batch_size = 32;
  options.dimensions = static_cast<size_t>(hidden) + 1;
  const std::string h = std::to_string(hidden);
  EXPECT_EQ(error_message([&] { bundled().embed({"a"}, options); }),
            "Model::embed: EmbedOptions::dimensions is " + std::to_string(hidden + 1) +
                " (expected 0 for the model's " + h + ", or 1 to " + h + ")");
  options.dimensions = 0;
  options.pooling = PoolingMode::pooler;
  expect_contains(error_message([&] { bundled().embed({"a"}, options); }),
                  {"Model::embed: pooling is \"pooler\"", "has no pooler"});
}

TEST(Embed, ThreadsSharingOneModelGetTheSerialResult) {
  const std::vector<std::string> texts = heldout(60);
  EmbedOptions options;
  options.batch_size = 8;
  const std::vector<float> serial = bundled().embed(texts, options).values();
  std::vector<std::vector<float>> results(3);
  std::vector<std::thread> threads;
  for (auto& result : results)
    threads.emplace_back([&] { result = bundled().embed(texts, options).values(); });
  for (std::thread& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, serial);
}

TEST(EncodeOptions, OverrideTheLoadTimeSettingsForOneCall) {
  Options with_outputs;
  with_outputs.output_attentions = true;
  with_outputs.output_hidden_states = true;
  const Model loaded_with = Model::load(kBundled, with_outputs);
  const Result reference = loaded_with.encode({"The cat chases the mouse."});
  EncodeOptions call;
  call.output_attentions = true;
  call.output_hidden_states = true;
  const Result result = bundled().encode({"The cat chases the mouse."}, call);
  ASSERT_EQ(result.attentions.size(), reference.attentions.size());
  ASSERT_EQ(result.hidden_states.size(), reference.hidden_states.size());
  EXPECT_EQ(result.attentions.back().values(), reference.attentions.back().values());
  EXPECT_EQ(result.hidden_states[1].values(), reference.hidden_states[1].values());
  // The load-time settings are untouched by the call, and a call can turn them off.
  EXPECT_TRUE(bundled().encode({"x"}).attentions.empty());
  EncodeOptions off;
  off.output_attentions = false;
  EXPECT_TRUE(loaded_with.encode_pair("a", "b", off).attentions.empty());

  Options max_pooling;
  max_pooling.pooling = "max";
  EncodeOptions max_call;
  max_call.pooling = PoolingMode::max;
  EXPECT_EQ(bundled().encode_ids({{2, 50, 60, 3}}, {}, max_call).pooled.values(),
            Model::load(kBundled, max_pooling).encode_ids({{2, 50, 60, 3}}).pooled.values());
  EncodeOptions pooler;
  pooler.pooling = PoolingMode::pooler;
  expect_contains(error_message([&] {
                    bundled().encode_pairs({{"a", "b"}}, pooler);
                  }),
                  {"Model::encode_pairs: pooling is \"pooler\"", "has no pooler"});
}

TEST(Info, ReportsTheSettingsInEffect) {
  Options options;
  options.threads = 1;
  options.dtype = "int8";
  options.pooling = "cls";
  const Model model = Model::load(kBundled, options);
  const ModelInfo info = model.info();
  EXPECT_EQ(info.family, "bert");
  EXPECT_EQ(info.positional_encoding, PositionalEncoding::sinusoidal);
  EXPECT_EQ(info.hidden_size, model.hidden_size());
  EXPECT_EQ(info.num_layers, model.num_layers());
  EXPECT_EQ(info.num_heads, model.num_heads());
  EXPECT_EQ(info.vocab_size, model.vocab_size());
  EXPECT_EQ(info.max_tokens, model.max_tokens());
  EXPECT_EQ(info.pooling, PoolingMode::cls);
  EXPECT_FALSE(info.normalize);
  EXPECT_EQ(info.dimensions, model.hidden_size());
  EXPECT_EQ(info.prompt, "");
  EXPECT_EQ(info.dtype, DType::int8);
  EXPECT_EQ(info.threads, 1);
  EXPECT_FALSE(info.isa.empty());
  EXPECT_TRUE(info.has_tokenizer);
  EXPECT_TRUE(info.has_masked_lm_head);
  EXPECT_EQ(bundled().info().pooling, PoolingMode::mean);  // no declaration: mean
}

TEST(Enums, StringFormsRoundTrip) {
  for (PoolingMode p : {PoolingMode::mean, PoolingMode::cls, PoolingMode::max,
                        PoolingMode::mean_sqrt_len, PoolingMode::pooler})
    EXPECT_EQ(parse_pooling_mode(to_string(p)), p);
  for (DType d : {DType::f32, DType::bf16, DType::int8}) EXPECT_EQ(parse_dtype(to_string(d)), d);
  EXPECT_STREQ(to_string(PositionalEncoding::sinusoidal_blocked), "sinusoidal-blocked");
  EXPECT_STREQ(to_string(PositionalEncoding::relative_key_query), "relative_key_query");
  EXPECT_STREQ(to_string(PositionalEncoding::relative_bias), "relative_bias");
  EXPECT_STREQ(to_string(PoolingMode::mean_sqrt_len), "mean_sqrt_len");
  EXPECT_EQ(parse_positional_encoding("alibi"), PositionalEncoding::alibi);
  expect_contains(error_message([] { parse_pooling_mode("avg"); }), {"'avg'", "mean_sqrt_len"});
  expect_contains(error_message([] { parse_dtype("fp16"); }), {"'fp16'", "f32, bf16 or int8"});
}

TEST(Tokenizer, TokenizeIsWhatEncodeRuns) {
  const std::string text = "The cat chases the mouse.";
  const std::vector<Token> tokens = bundled().tokenize(text);
  const Result result = bundled().encode({text});
  ASSERT_EQ(tokens.size(), result.tokens[0].size());
  std::vector<int32_t> ids;
  for (size_t t = 0; t < tokens.size(); ++t) {
    EXPECT_EQ(tokens[t].id, result.tokens[0][t].id);
    EXPECT_EQ(tokens[t].text, result.tokens[0][t].text);
    EXPECT_EQ(text.substr(tokens[t].begin, tokens[t].end - tokens[t].begin).empty(),
              tokens[t].source == -1);
    ids.push_back(tokens[t].id);
  }
  EXPECT_EQ(bundled().count_tokens(text), tokens.size());
  EXPECT_EQ(bundled().decode(ids), text);
  const std::vector<Token> pair = bundled().tokenize("a cat", "a mouse");
  EXPECT_EQ(pair.back().type, 1);
  // Longer than the model takes: tokenize truncates as encode does, count_tokens does not.
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "cat ";
  if (bundled().max_tokens() > 0) {
    EXPECT_EQ(bundled().tokenize(long_text).size(), bundled().max_tokens());
    EXPECT_GT(bundled().count_tokens(long_text), bundled().max_tokens());
  }
  const std::string last = std::to_string(bundled().vocab_size() - 1);
  EXPECT_EQ(error_message([&] {
              bundled().decode({5, static_cast<int32_t>(bundled().vocab_size())});
            }),
            "Model::decode: ids[1] is " + std::to_string(bundled().vocab_size()) +
                " (the vocabulary has ids 0 to " + last + ")");
  EXPECT_EQ(error_message([&] { bundled().decode({-1}); }),
            "Model::decode: ids[0] is -1 (the vocabulary has ids 0 to " + last + ")");
}

TEST(FillMask, AgreesWithTheCli) {
  const std::string text = "The [MASK] chases the [MASK].";
  const std::vector<MaskFill> fills = bundled().fill_mask(text, 4);
  const CliRun run = ordo({"fill", "--json", "--top-k", "4", text});
  ASSERT_EQ(run.status, 0) << run.err;
  const nlohmann::json cli = nlohmann::json::parse(run.out);
  ASSERT_EQ(fills.size(), cli["masks"].size());
  for (size_t m = 0; m < fills.size(); ++m) {
    const nlohmann::json& mask = cli["masks"][m];
    EXPECT_EQ(fills[m].position, mask["position"].get<size_t>());
    ASSERT_EQ(fills[m].predictions.size(), 4u);
    for (size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(fills[m].predictions[k].token, mask["predictions"][k]["token"]);
      EXPECT_EQ(fills[m].predictions[k].id, mask["predictions"][k]["id"]);
      EXPECT_NEAR(fills[m].predictions[k].probability,
                  mask["predictions"][k]["probability"].get<double>(), 1e-6);
    }
  }
  // The raw scores: softmax of the mask's row gives fill_mask's probability.
  const Array logits = bundled().masked_lm_logits(text);
  const std::vector<Token> tokens = bundled().tokenize_masked(text);
  ASSERT_EQ(logits.shape(),
            (std::vector<int64_t>{static_cast<int64_t>(tokens.size()), bundled().vocab_size()}));
  const FloatSpan row = logits.slice(fills[0].position);
  double total = 0.0;
  for (float x : row) total += std::exp(double{x});
  EXPECT_NEAR(std::exp(double{row[fills[0].predictions[0].id]}) / total,
              fills[0].predictions[0].probability, 1e-6);

  EXPECT_EQ(error_message([&] { bundled().fill_mask("no mask here"); }),
            "Model::fill_mask: the text has no mask token (write it as [MASK])");
  EXPECT_EQ(error_message([&] { bundled().fill_mask("The [MASK].", 0); }),
            "Model::fill_mask: top_k is 0 (expected 1 or more)");
}

TEST(Similarity, CosinesAndTopKByHand) {
  const Array a({2, 3}, {1, 0, 0, 1, 1, 0});
  const Array b({3, 3}, {2, 0, 0, 0, 3, 0, 0, 0, 0});
  const Array s = similarity(a, b);
  ASSERT_EQ(s.shape(), (std::vector<int64_t>{2, 3}));
  const float r = static_cast<float>(1.0 / std::sqrt(2.0));
  const std::vector<float> expected = {1, 0, 0, r, r, 0};  // a zero row: cosine 0
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(s.values()[i], expected[i], 1e-6f);

  // top_k over real sentence vectors against a hand loop.
  const Array corpus = bundled().embed(heldout(30));
  const Array queries = bundled().embed({"the cat", "date(1)"});
  const auto hits = top_k(queries, corpus, 3);
  ASSERT_EQ(hits.size(), 2u);
  const auto width = static_cast<size_t>(corpus.dim(1));
  for (size_t q = 0; q < 2; ++q) {
    std::vector<std::pair<double, size_t>> scores;
    for (size_t c = 0; c < 30; ++c) {
      double dot = 0, qq = 0, cc = 0;
      for (size_t d = 0; d < width; ++d) {
        dot += double{queries.slice(q)[d]} * corpus.slice(c)[d];
        qq += double{queries.slice(q)[d]} * queries.slice(q)[d];
        cc += double{corpus.slice(c)[d]} * corpus.slice(c)[d];
      }
      scores.emplace_back(-dot / std::sqrt(qq * cc), c);
    }
    std::sort(scores.begin(), scores.end());
    ASSERT_EQ(hits[q].size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(hits[q][k].index, scores[k].second) << "query " << q << " rank " << k;
      EXPECT_NEAR(hits[q][k].score, -scores[k].first, 1e-5);
    }
  }
  EXPECT_EQ(error_message([&] { top_k(queries, corpus, 31); }),
            "top_k: k is 31 (expected 1 to the 30 rows of corpus)");
  EXPECT_EQ(error_message([&] { top_k(queries, corpus, 0); }),
            "top_k: k is 0 (expected 1 to the 30 rows of corpus)");
  EXPECT_EQ(error_message([&] {
              similarity(a, Array({1, 2}, {1, 2}));
            }),
            "similarity: a has shape [2, 3] and b [1, 2] (the widths must agree)");
  EXPECT_EQ(error_message([&] {
              similarity(Array({3}, {1, 2, 3}), b);
            }),
            "similarity: a has shape [3] (expected [rows, dimensions])");
}

// Model::compare against quantities computed here from encode()'s outputs: the sentence
// cosine by a hand loop over the pooled rows, each shared token's L2 drift from the two
// last-layer token vectors, and without a positional encoding the founding example's zero
// drift (a permutation of the tokens gives the same vectors in another order).
TEST(Compare, DriftAndCosineFromEncodesOwnOutputs) {
  const std::string a = "猫追老鼠", b = "老鼠追猫";
  const PairComparison pair = bundled().compare(a, b);
  const Result result = bundled().encode({a, b});
  double dot = 0, aa = 0, bb = 0;
  for (size_t d = 0; d < result.sentence_vector(0).size(); ++d) {
    dot += double{result.sentence_vector(0)[d]} * result.sentence_vector(1)[d];
    aa += double{result.sentence_vector(0)[d]} * result.sentence_vector(0)[d];
    bb += double{result.sentence_vector(1)[d]} * result.sentence_vector(1)[d];
  }
  EXPECT_NEAR(pair.cosine, dot / std::sqrt(aa * bb), 1e-6);
  EXPECT_TRUE(pair.permutation);
  EXPECT_EQ(pair.layer, bundled().num_layers());
  ASSERT_EQ(pair.shared_tokens.size(), 6u);  // [CLS] 猫 追 老 鼠 [SEP]
  double largest = 0;
  for (const SharedToken& shared : pair.shared_tokens) {
    EXPECT_EQ(pair.a[shared.index_a].text, shared.token);
    EXPECT_EQ(pair.b[shared.index_b].id, pair.a[shared.index_a].id);
    const FloatSpan x = result.token_vector(0, shared.index_a);
    const FloatSpan y = result.token_vector(1, shared.index_b);
    double squares = 0;
    for (size_t d = 0; d < x.size(); ++d) squares += (double{x[d]} - y[d]) * (x[d] - y[d]);
    EXPECT_NEAR(shared.l2, std::sqrt(squares), 1e-4) << shared.token;
    largest = std::max(largest, shared.l2);
  }
  EXPECT_DOUBLE_EQ(pair.max_drift_l2, largest);
  EXPECT_GT(pair.max_drift_l2, 1e-2);
  expect_contains(pair.verdict, {"permutation", "sinusoidal positional encoding"});

  Options blind_options;
  blind_options.positional_encoding = "none";
  const Model blind = Model::load(kBundled, blind_options);
  const PairComparison none = blind.compare("我吃饭了", "吃饭了我");
  EXPECT_TRUE(none.permutation);
  EXPECT_LT(none.max_drift_l2, 1e-4);
  expect_contains(none.verdict, {"permutation-equivariant"});
}

TEST(Compare, LayerHeadAndBadArguments) {
  PairOptions options;
  options.layer = 0;  // the embedding output: the word vector plus its position's
  options.head = 1;
  const PairComparison pair =
      bundled().compare("The cat chases the mouse.", "The mouse chases the cat.", options);
  EXPECT_EQ(pair.layer, 0);
  EXPECT_EQ(pair.attention_block, 1);
  EXPECT_EQ(pair.head, 1);
  EXPECT_TRUE(pair.permutation);
  options.layer = 5;
  EXPECT_EQ(error_message([&] { bundled().compare("a", "b", options); }),
            "Model::compare: layer 5 is out of range (0 is the embedding output, 1..4 the "
            "blocks, -1 the last)");
  options.layer = -1;
  options.head = 4;
  EXPECT_EQ(error_message([&] { bundled().compare("a", "b", options); }),
            "Model::compare: head 4 is out of range (0..3, -1 for the mean)");
}

}  // namespace
}  // namespace ordo::test
