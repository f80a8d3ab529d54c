// The CLI commands beyond `pair`: encode from files and stdin, attention, pe, compare-pe and
// `pair --joint`, run as the built binary.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "test_util.h"

namespace ordo::test {
namespace {

// Random weights with a real tokenizer and an MLM head (tools/make_tokenized_fixture.py).
const std::string kTiny = fixture("tiny_tokenized").string();
const std::string kBundled = std::string(ORDO_MODELS_DIR) + "/ordo-sinusoidal";
const std::string kBundledLearned = std::string(ORDO_MODELS_DIR) + "/ordo-learned";

nlohmann::json run_json(const std::vector<std::string>& arguments,
                        const std::optional<std::string>& stdin_text = std::nullopt) {
  const CliRun run = ordo(arguments, stdin_text);
  EXPECT_EQ(run.status, 0) << run.err;
  return nlohmann::json::parse(run.out);
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Empty input is no error (grep ... | ordo encode --input - may pass nothing); options that
// cannot apply are usage errors; --json honours --output pooled.
TEST(CliEncode, EmptyInputAndOptionsThatDoNotApply) {
  const CliRun jsonl = ordo({"encode", "--model", kTiny, "--input", "-", "--jsonl"}, "");
  ASSERT_EQ(jsonl.status, 0) << jsonl.err;
  EXPECT_EQ(jsonl.out, "");
  const auto empty = run_json({"encode", "--model", kTiny, "--input", "-", "--json"}, "");
  EXPECT_EQ(empty["pooled"].size(), 0u);
  ScratchDir scratch;
  const auto npy = scratch.path() / "empty.npy";
  const CliRun to_npy = ordo(
      {"encode", "--model", kTiny, "--input", "-", "--npy", npy.string(), "--output", "pooled"},
      "");
  ASSERT_EQ(to_npy.status, 0) << to_npy.err;
  EXPECT_TRUE(std::filesystem::exists(npy));
  expect_error({"encode", "--model", kTiny, "--npy", npy.string(), "--normalize", "a"}, 2,
               "--output pooled");
  const auto pooled = run_json({"encode", "--model", kTiny, "--json", "--output", "pooled", "a b"});
  EXPECT_FALSE(pooled.contains("last_hidden_state"));
  EXPECT_EQ(pooled["shape"], nlohmann::json::array({1, 32}));
  EXPECT_EQ(pooled["pooled"][0].size(), 32u);
}

// --max-tokens lifts or lowers the cap, up to what the positional encoding allows: the bundled
// sinusoid declares 128 but runs any length; a learned table stops at its rows.
TEST(CliEncode, MaxTokensWithinWhatTheEncodingAllows) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "word ";
  const auto longer =
      run_json({"encode", "--jsonl", "--output", "pooled", "--max-tokens", "400", text});
  EXPECT_EQ(longer["ids"].size(), 302u);  // 300 words, [CLS] and [SEP]: nothing dropped
  const CliRun shorter =
      ordo({"encode", "--jsonl", "--output", "pooled", "--max-tokens", "50", text});
  ASSERT_EQ(shorter.status, 0) << shorter.err;
  EXPECT_EQ(nlohmann::json::parse(shorter.out)["ids"].size(), 50u);
  EXPECT_NE(shorter.err.find("the 50 tokens"), std::string::npos) << shorter.err;
  expect_error({"encode", "--jsonl", "--model", kBundledLearned, "--max-tokens", "200", text}, 2,
               "has 128 positions");
  expect_error({"encode", "--jsonl", "--max-tokens", "5000", text}, 2, "--max-tokens");
  expect_error({"pe", "--max-tokens", "10"}, 2, "--max-tokens");  // not a text command
}

TEST(CliEncode, InputFileAndStdinGiveWhatTextArgumentsGive) {
  const std::vector<std::string> texts = {"The cat chases the mouse.", "", "老鼠追猫"};
  const auto expected =
      run_json({"encode", "--model", kTiny, "--json", texts[0], texts[1], texts[2]});
  ScratchDir scratch;
  const auto file = scratch.path() / "lines.txt";
  std::ofstream(file, std::ios::binary) << texts[0] << "\r\n" << texts[1] << "\n" << texts[2];
  for (const std::string& source : {file.string(), std::string("-")}) {
    const std::string stdin_text = source == "-" ? read_file(file) : "";
    const CliRun run =
        ordo({"encode", "--model", kTiny, "--input", source, "--jsonl", "--batch-size", "2"},
             stdin_text);
    ASSERT_EQ(run.status, 0) << run.err;
    const auto lines = json_lines(run.out);
    ASSERT_EQ(lines.size(), 3u) << source;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i]["index"], i);
      EXPECT_EQ(lines[i]["tokens"], expected["tokens"][i]);
      const auto& pooled = lines[i]["pooled"];
      ASSERT_EQ(pooled.size(), 32u);
      for (size_t k = 0; k < pooled.size(); ++k) {
        // Another batch split changes GEMM blocking: equal up to float rounding.
        EXPECT_NEAR(pooled[k].get<double>(), expected["pooled"][i][k].get<double>(), 1e-5);
      }
      ASSERT_EQ(lines[i]["last_hidden_state"].size(), lines[i]["ids"].size());
    }
  }
}

TEST(CliEncode, TenThousandLinesOnStdinStreamToOneNpyInOrder) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "line " + std::to_string(i) + (i % 7 ? " cat\n" : "\n");
  ScratchDir scratch;
  const auto path = scratch.path() / "vectors.npy";
  const CliRun run = ordo({"encode", "--model", kTiny, "--input", "-", "--output", "pooled",
                           "--normalize", "--npy", path.string()},
                          text);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(run.out.empty());
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << "no progress bar when stderr is a file";
  const NpyFile npy = read_npy(path);
  EXPECT_EQ(npy.shape, "(10000, 32)");
  ASSERT_EQ(npy.values.size(), 10000u * 32u);
  for (int line : {0, 1, 4321, 9999}) {
    const std::string sentence = "line " + std::to_string(line) + (line % 7 ? " cat" : "");
    const auto single = run_json({"encode", "--model", kTiny, "--json", "--normalize", sentence});
    for (size_t k = 0; k < 32; ++k) {
      EXPECT_NEAR(npy.values[line * 32 + k], single["pooled"][0][k].get<float>(), 1e-6) << line;
    }
  }
}

TEST(CliEncode, HiddenStatesNpyIsPaddedToTheLongestLine) {
  ScratchDir scratch;
  const auto path = scratch.path() / "hidden.npy";
  const CliRun run =
      ordo({"encode", "--model", kTiny, "--npy", path.string(), "a", "a much longer line here"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto expected =
      run_json({"encode", "--model", kTiny, "--json", "a", "a much longer line here"});
  const auto shape = expected["shape"];
  const NpyFile npy = read_npy(path);
  EXPECT_EQ(npy.shape, "(2, " + std::to_string(shape[1].get<int>()) + ", 32)");
  size_t index = 0;
  for (const auto& sequence : expected["last_hidden_state"])
    for (const auto& row : sequence)
      for (const auto& value : row) EXPECT_NEAR(npy.values[index++], value.get<float>(), 1e-6);
  EXPECT_EQ(index, npy.values.size());
}

TEST(CliEncode, InputErrors) {
  expect_error({"encode", "--model", kTiny, "--input", "/nonexistent/lines.txt", "--jsonl"}, 1,
               "/nonexistent/lines.txt");
  expect_error({"encode", "--model", kTiny, "--input", "-", "--jsonl", "text"}, 2, "only one");
  expect_error({"encode", "--model", kTiny, "--jsonl", "--json", "text"}, 2, "choose one output");
  expect_error({"encode", "--model", kTiny, "--jsonl", "--output", "all", "text"}, 2, "--output");
  expect_error({"encode", "--model", kTiny, "--jsonl", "--batch-size", "0", "text"}, 2,
               "--batch-size");
}

TEST(CliAttention, EveryLayerAndHeadAsJsonNpyAndSvg) {
  ScratchDir scratch;
  const auto npy_path = scratch.path() / "att.npy", svg_path = scratch.path() / "att.svg";
  const auto document =
      run_json({"attention", "--model", kTiny, "--json", "--npy", npy_path.string(), "--svg",
                svg_path.string(), "--layer", "2", "--head", "3", "The cat chases the mouse."});
  const size_t tokens = document["tokens"].size();
  EXPECT_EQ(document["shape"], nlohmann::json({2, 4, tokens, tokens}));
  const NpyFile npy = read_npy(npy_path);
  size_t index = 0;
  for (const auto& layer : document["attentions"]) {
    for (const auto& head : layer) {
      for (const auto& row : head) {
        double total = 0;
        for (const auto& p : row) {
          total += p.get<double>();
          EXPECT_EQ(npy.values.at(index++), p.get<float>());
        }
        EXPECT_NEAR(total, 1.0, 1e-5);  // each query's probabilities sum to one
      }
    }
  }
  EXPECT_EQ(index, npy.values.size());
  EXPECT_EQ(std::system(("xmllint --noout " + quote(svg_path.string())).c_str()), 0);
  EXPECT_NE(read_file(svg_path).find("block 2, head 3"), std::string::npos);
  expect_error({"attention", "--model", kTiny, "--layer", "0", "text"}, 2, "--layer");
  expect_error({"attention", "--model", kTiny}, 2, "expected one text");
}

// The top of the colour scale beside the map: the first 10-pixel label after the map's frame.
double colour_scale_top(const std::string& svg) {
  const size_t frame = svg.find("fill=\"none\" stroke=\"#888\"");
  const std::string label = "font-size=\"10.0\">";
  const size_t at = svg.find(label, frame);
  EXPECT_NE(at, std::string::npos);
  return std::stod(svg.substr(at + label.size()));
}

TEST(CliAttention, ColourScaleReachesTheLargestValueDrawn) {
  ScratchDir scratch;
  const auto svg_path = scratch.path() / "att.svg";
  for (const std::string scale : {"own", "shared", "fixed"}) {
    const auto document =
        run_json({"attention", "--model", kTiny, "--json", "--svg", svg_path.string(), "--layer",
                  "1", "--head", "2", "--scale", scale, "The cat chases the mouse."});
    double largest = 0;
    for (const auto& row : document["attentions"][0][2]) {
      for (const auto& p : row) largest = std::max(largest, p.get<double>());
    }
    const double top = colour_scale_top(read_file(svg_path));
    if (scale == "fixed") {
      EXPECT_EQ(top, 1.0);
    } else {
      // One map: shared and own agree. A round number at most 25% above the largest value
      // (steps 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8).
      EXPECT_GE(top, largest - 1e-6) << scale;
      EXPECT_LE(top, 1.25 * largest + 1e-6) << scale;
    }
  }
  expect_error({"attention", "--model", kTiny, "--svg", (scratch.path() / "x.svg").string(),
                "--scale", "loud", "text"},
               2, "--scale");
}

TEST(CliPair, LongCaptionsWrapWithNothingLost) {
  ScratchDir scratch;
  const auto svg_path = scratch.path() / "pair.svg";
  const auto document = run_json(
      {"pair", "--model", kBundled, "--json", "--svg", svg_path.string(), "猫追老鼠", "老鼠追猫"});
  const std::string svg = read_file(svg_path);
  // The caption (13 px, grey) is the verdict, broken at spaces into lines: joined again, it
  // is the verdict whole. (tests/browser/check_pictures.py measures that each line fits.)
  const std::string marker = "font-size=\"13.0\" fill=\"#444\">";
  std::vector<std::string> lines;
  for (size_t at = svg.find(marker); at != std::string::npos; at = svg.find(marker, at + 1)) {
    const size_t begin = at + marker.size();
    lines.push_back(svg.substr(begin, svg.find("</text>", begin) - begin));
  }
  ASSERT_GE(lines.size(), 2u);
  std::string joined;
  for (const auto& line : lines) joined += (joined.empty() ? "" : " ") + line;
  std::string verdict = document["verdict"].get<std::string>();
  EXPECT_EQ(joined, verdict);
  // Before wrapping, this caption made the drawing 1,115 pixels wide.
  EXPECT_LT(std::stod(svg.substr(svg.find("width=\"") + 7)), 900.0);
}

TEST(CliPe, SinusoidalMatrixIsTheFormulaAndSimilarityIsACosine) {
  const auto document = run_json({"pe", "--model", kBundled, "--positions", "50", "--json"});
  EXPECT_EQ(document["pe"], "sinusoidal");
  const auto& encoding = document["encoding"];
  const int hidden = document["hidden"].get<int>();
  ASSERT_EQ(encoding.size(), 50u);
  // "Attention Is All You Need", section 3.5, computed here by hand in double precision.
  for (int p : {0, 1, 17, 49}) {
    for (int i = 0; i < hidden / 2; i += 7) {
      const double angle = p / std::pow(10000.0, 2.0 * i / hidden);
      EXPECT_NEAR(encoding[p][2 * i].get<double>(), std::sin(angle), 2e-6) << p << ' ' << i;
      EXPECT_NEAR(encoding[p][2 * i + 1].get<double>(), std::cos(angle), 2e-6) << p << ' ' << i;
    }
  }
  const auto& similarity = document["similarity"];
  for (int i : {0, 9, 33}) {
    EXPECT_NEAR(similarity[i][i].get<double>(), 1.0, 1e-6);
    for (int j : {4, 40}) EXPECT_EQ(similarity[i][j], similarity[j][i]);
  }
  EXPECT_GT(document["mean_similarity_by_distance"][1].get<double>(),
            document["mean_similarity_by_distance"][30].get<double>());
}

TEST(CliPe, LearnedTableLimitsAndNone) {
  const auto document = run_json({"pe", "--model", kBundledLearned, "--json"});
  EXPECT_EQ(document["pe"], "learned");
  EXPECT_EQ(document["positions"], 128);  // the whole table by default
  expect_error({"pe", "--model", kBundledLearned, "--positions", "129"}, 2, "--positions");
  const CliRun none = ordo({"pe", "--model", kBundled, "--pe", "none"});
  EXPECT_EQ(none.status, 0);
  EXPECT_NE(none.out.find("adds nothing"), std::string::npos) << none.out;
}

// Inside attention, `ordo pe` gives what position alone does to a score at each distance j - i,
// The decomposition of x = E[token] + T[0] + P[p] against numpy's (float64 SVDs and arg-maxes,
// tools/make_decompose_reference.py) on the tiny fixture.
TEST(CliPe, DecomposeMatchesNumpy) {
  std::ifstream file(fixture("decompose/expected.json"));
  const auto expected = nlohmann::json::parse(file);
  const auto got =
      run_json({"pe", "--decompose", "--json", "--model", kTiny, "--text",
                fixture("decompose/text.txt").string(), "--positions", "64", "--tokens", "40"});
  EXPECT_EQ(got["tokens"], expected["tokens"].size());
  for (const auto& bucket : got["recovery"]) {
    const auto& want = expected["recovery"][bucket["bucket"].get<std::string>()];
    EXPECT_EQ(bucket["trials"], want["trials"]);
    for (const char* key : {"token_recovered", "position_recovered"}) {
      // A near-tie may round the other way in float: at most one trial of difference.
      EXPECT_NEAR(bucket[key].get<double>(), want[key].get<double>(),
                  1.0 / want["trials"].get<double>() + 1e-12)
          << bucket["bucket"] << ' ' << key;
    }
  }
  EXPECT_EQ(got["position_rank_90"], expected["position_rank_90"]);
  EXPECT_EQ(got["word_rank_90"], expected["word_rank_90"]);
  ASSERT_EQ(got["principal_angle_cosines"].size(), expected["principal_angle_cosines"].size());
  for (size_t i = 0; i < got["principal_angle_cosines"].size(); ++i) {
    EXPECT_NEAR(got["principal_angle_cosines"][i].get<double>(),
                expected["principal_angle_cosines"][i].get<double>(), 1e-6);
  }
  for (const char* key : {"position_energy_in_word_subspace", "word_energy_in_position_subspace"}) {
    EXPECT_NEAR(got[key].get<double>(), expected[key].get<double>(), 1e-6) << key;
  }
  expect_error({"pe", "--decompose", "--model", kTiny, "--pe", "rotary"}, 1,
               "rotary adds nothing to the input");
  expect_error({"pe", "--model", kTiny, "--tokens", "5"}, 2, "--decompose");
}

// ALiBi's -m_h |j - i| with the paper's slopes, rotary's
// q.k / head_dim for q = k = ones, and T5/MPNet's learned bias at Hugging Face's buckets.
TEST(CliPe, KindsInsideAttentionByDistance) {
  const auto alibi =
      run_json({"pe", "--model", kBundled, "--pe", "alibi", "--positions", "20", "--json"});
  EXPECT_EQ(alibi["place"], "attention");
  ASSERT_EQ(alibi["distances"].size(), 39u);
  EXPECT_EQ(alibi["distances"][0], -19);
  const auto& by_layer = alibi["score_by_distance"];
  const auto heads = static_cast<int>(by_layer[0].size());
  ASSERT_EQ(heads & (heads - 1), 0) << "the bundled model's head count is a power of two";
  for (const auto& layer : by_layer) {
    for (int h = 0; h < heads; ++h) {
      const double slope = std::pow(2.0, -8.0 * (h + 1) / heads);
      for (int d = -19; d <= 19; ++d) {
        EXPECT_NEAR(layer[h][d + 19].get<double>(), -slope * std::abs(d), 1e-6) << h << ' ' << d;
      }
    }
  }

  const auto rotary =
      run_json({"pe", "--model", kBundled, "--pe", "rotary", "--positions", "20", "--json"});
  const auto& one_head = rotary["score_by_distance"][0][0];
  const int head_dim = 128 / heads;  // the bundled model: hidden 128
  for (int d = -19; d <= 19; ++d) {
    double sum = 0.0;  // pairs (i, i + head_dim / 2), each rotated by d 10000^(-2i / head_dim)
    for (int i = 0; i < head_dim / 2; ++i)
      sum += 2.0 * std::cos(d * std::pow(1e4, -2.0 * i / head_dim));
    EXPECT_NEAR(one_head[d + 19].get<double>(), sum / head_dim, 1e-5) << d;
  }

  const std::string bias_fixture = fixture("positions/relative_bias").string();
  const auto relative = run_json({"pe", "--model", bias_fixture, "--positions", "30", "--json"});
  EXPECT_EQ(relative["pe"], "relative_bias");
  const io::SafetensorsFile weights(fixture("positions/relative_bias") / "model.safetensors");
  const TensorView table = weights.f32("bert.encoder.relative_attention_bias.weight");
  std::ifstream file(fixture("positions/buckets.json"));
  const auto cases = nlohmann::json::parse(file)["cases"];
  const auto& buckets = cases[1];  // 32 buckets, max distance 16, as the fixture's config
  ASSERT_EQ(buckets["max_distance"], 16);
  for (int h = 0; h < 4; ++h) {
    for (int d = -29; d <= 29; ++d) {
      const int bucket = buckets["buckets"][d - buckets["first"].get<int>()].get<int>();
      EXPECT_EQ(relative["score_by_distance"][1][h][d + 29].get<float>(),
                table.data[bucket * 4 + h])
          << h << ' ' << d;
    }
  }
  // relative_key's table covers 24 positions.
  expect_error({"pe", "--model", fixture("positions/relative_key").string(), "--positions", "25"},
               2, "--positions");
  const CliRun text = ordo({"pe", "--model", fixture("positions/relative_key").string()});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("inside attention"), std::string::npos) << text.out;
}

// A sliding window (ModernBERT's local layers) makes word order matter with no positional
// encoding at all: the verdict must say so instead of blaming an encoding that is not there.
TEST(CliPair, WindowedAttentionSeesOrderWithoutAPositionalEncoding) {
  const std::string model = fixture("families/modernbert").string();
  std::string forward, backward;
  for (char c = 'a'; c <= 'z'; ++c) {
    forward += std::string(forward.empty() ? "" : " ") + c;
    backward += std::string(backward.empty() ? "" : " ") + static_cast<char>('a' + 'z' - c);
  }
  const auto document =
      run_json({"pair", "--model", model, "--pe", "none", "--json", forward, backward});
  ASSERT_TRUE(document["permutation"].get<bool>());
  EXPECT_GT(document["max_drift_l2"].get<double>(), 1e-2);
  EXPECT_NE(document["verdict"].get<std::string>().find("sliding-window attention"),
            std::string::npos)
      << document["verdict"];
}

TEST(CliPairJoint, OnePairInputWithTokenTypesAndCrossAttention) {
  const auto document = run_json(
      {"pair", "--joint", "--json", "--model", kTiny, "The cat chases.", "The dog chases."});
  EXPECT_EQ(document["mode"], "joint");
  const auto& types = document["token_types"];
  const auto& segments = document["segments"];
  ASSERT_EQ(types.size(), document["tokens"].size());
  EXPECT_EQ(document["tokens"].front(), "[CLS]");
  for (size_t t = 0; t < segments.size(); ++t) {
    if (segments[t] >= 0) {
      EXPECT_EQ(types[t], segments[t]);
    }
  }
  ASSERT_GE(document["shared_tokens"].size(), 2u);
  for (const auto& token : document["shared_tokens"]) {
    EXPECT_EQ(segments[token["index_a"].get<size_t>()], 0);
    EXPECT_EQ(segments[token["index_b"].get<size_t>()], 1);
    EXPECT_GT(token["l2"].get<double>(), 0.0);  // position and token type differ
  }
  for (const char* direction : {"a_to_b", "b_to_a"}) {
    const double mass = document["cross_attention"][direction].get<double>();
    EXPECT_GT(mass, 0.0);
    EXPECT_LT(mass, 1.0);
  }
  expect_error({"pair", "--joint", "--model", kTiny, "--pooling", "cls", "a", "b"}, 2, "--joint");
}

double accuracy_in(const nlohmann::json& block, const std::string& bucket) {
  return block.at(bucket).at("accuracy").get<double>();
}

// The engine's own evaluation must reproduce what PyTorch measured for the model card
// (tools/train/evaluate.py wrote each model's eval.json from the same files).
TEST(CliComparePe, ReproducesTheModelCardFromPyTorch) {
  // Every bundled twin at the training length and 4x past it (the card's 2x and 8x columns
  // come from the same code; leaving them out keeps the sanitizer runs short).
  const auto document =
      run_json({"compare-pe", "--json", "--sentences", "60", "--lengths", "128,512"});
  ASSERT_GE(document["models"].size(), 4u);
  for (const auto& model : document["models"]) {
    const std::string directory = model["directory"].get<std::string>();
    std::ifstream card_file(directory + "/eval.json");
    ASSERT_TRUE(card_file) << directory;
    const auto card = nlohmann::json::parse(card_file);
    EXPECT_EQ(model["mlm"]["pieces"], card["heldout_pieces"]);
    bool compared_training_length = false;
    for (const auto& result : model["mlm"]["lengths"]) {
      const std::string key = "L" + std::to_string(result["length"].get<int>());
      if (!card.contains(key)) continue;  // a card written with fewer lengths
      compared_training_length = compared_training_length || key == "L128";
      if (result.contains("skipped")) {
        EXPECT_TRUE(card[key].contains("note")) << key;
        continue;
      }
      for (const std::string bucket :
           {"overall", "0-31", "32-63", "64-127", "128-255", "256-511", "512-1023"}) {
        if (!card[key]["model"].contains(bucket)) continue;
        EXPECT_EQ(result["model"][bucket]["scored"], card[key]["model"][bucket]["scored"]);
        // eval.json rounds to 4 decimals.
        EXPECT_NEAR(accuracy_in(result["model"], bucket), accuracy_in(card[key]["model"], bucket),
                    5.1e-5)
            << directory << ' ' << key << ' ' << bucket;
      }
    }
    EXPECT_TRUE(compared_training_length) << directory;
    if (model["pe"] != "none") {
      EXPECT_GT(model["order_sensitivity"]["mean_l2"].get<double>(), 1e-2);
    }
    EXPECT_GE(model["order_sensitivity"]["sentences"].get<int>(), 50);
    // A shuffle of the pieces cannot move a mean-pooled vector without positions.
    EXPECT_LT(model["order_sensitivity_without_pe"]["mean_l2"].get<double>(), 1e-4);
    if (model["place"] == "attention") {  // the mean over layers and heads of the per-head data
      const auto& mean = model["score_by_distance"];
      const auto& by_head = model["score_by_distance_by_head"];
      ASSERT_EQ(mean.size(), 2 * document["positions"].get<size_t>() - 1);
      for (size_t d = 0; d < mean.size(); ++d) {
        double sum = 0, count = 0;
        for (const auto& layer : by_head) {
          for (const auto& head : layer) sum += head[d].get<double>(), ++count;
        }
        EXPECT_NEAR(mean[d].get<double>(), sum / count, 1e-6) << directory << " d " << d;
      }
    }
  }
  for (const auto& model : document["models"]) {
    if (model["pe"] != "learned") continue;
    EXPECT_TRUE(model["mlm"]["lengths"][1].contains("skipped"));  // 256 > the table's 128 rows
    EXPECT_EQ(model["place"], "input");
  }
}

// Any number of models, each reported on its own.
TEST(CliComparePe, OneModelOrMore) {
  const auto one = run_json({"compare-pe", "--json", "--lengths", "128", "--sentences", "20",
                             "--positions", "16", kBundled});
  ASSERT_EQ(one["models"].size(), 1u);
  EXPECT_EQ(one["models"][0]["place"], "input");
  EXPECT_EQ(one["models"][0]["position_similarity_by_distance"].size(), 16u);
  EXPECT_TRUE(one["models"][0]["score_by_distance"].is_null());
  const auto three = run_json({"compare-pe", "--json", "--lengths", "64", "--sentences", "5",
                               "--positions", "8", kBundled, kTiny, kBundled});
  ASSERT_EQ(three["models"].size(), 3u);
  EXPECT_EQ(three["models"][0]["mlm"], three["models"][2]["mlm"]);  // same model, same answer
  EXPECT_NE(three["models"][0]["mlm"], three["models"][1]["mlm"]);
}

// Without positions every head is permutation-equivariant: after a shuffle it puts exactly the
// same weight on the same tokens (follows content = 1). With them, some heads follow offsets.
TEST(CliHeads, NoneFollowsContentExactlyAndPositionsMakePositionalHeads) {
  const auto none = run_json({"heads", "--json", "--pe", "none", "--sentences", "40"});
  ASSERT_EQ(none["heads"].size(), 16u);  // 4 layers x 4 heads
  EXPECT_EQ(none["sentences"], 40);
  for (const auto& head : none["heads"]) {
    EXPECT_NEAR(head["follows_content"].get<double>(), 1.0, 1e-5) << head;
    EXPECT_LT(head["follows_position"].get<double>(), 0.9) << head;
    EXPECT_EQ(head["label"], "content") << head;
  }
  const auto with = run_json({"heads", "--json", "--sentences", "40"});
  int positional = 0;
  for (const auto& head : with["heads"]) {
    const auto share = [&](const char* key) { return head[key].get<double>(); };
    for (const char* key : {"previous", "self", "next", "first", "last"}) {
      EXPECT_GE(share(key), 0.0) << key;
    }
    // Shares of disjoint keys add up to at most 1. The others overlap: the first word's
    // previous token is [CLS] (first), the last word's next one is [SEP] (last).
    EXPECT_LE(share("previous") + share("self") + share("next"), 1.0 + 1e-5) << head;
    EXPECT_LE(share("first") + share("self") + share("last"), 1.0 + 1e-5) << head;
    EXPECT_NEAR(head["score"].get<double>(),
                head["follows_position"].get<double>() - head["follows_content"].get<double>(),
                1e-12);
    positional += head["label"].get<std::string>().rfind("positional", 0) == 0;
  }
  EXPECT_GE(positional, 1) << "the bundled sinusoidal model should have position-following heads";
  const CliRun text = ordo({"heads", "--sentences", "5", "the cat sat on the mat today"});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("1 texts"), std::string::npos) << text.out;
  expect_error({"heads", "two words"}, 1, "three or more words");
  expect_error({"heads", "--text", "/nonexistent/t.txt"}, 1, "/nonexistent/t.txt");
}

TEST(CliComparePe, Errors) {
  expect_error({"compare-pe", "/nonexistent/model"}, 1, "/nonexistent/model");
  expect_error({"compare-pe", kBundled, kTiny, "--text", "/nonexistent/text"}, 1,
               "/nonexistent/text");
  expect_error({"compare-pe", "--lengths", "2"}, 2, "--lengths");
}

// `fill` on held-out text the bundled model never saw: the first " the " of each of the first
// 30 held-out lines that have one becomes [MASK]. "the" is the most frequent English word, but
// an MLM that learned nothing ranks the whole 8000-piece vocabulary by chance.
TEST(CliFill, BundledModelRanksHeldOutMaskedWords) {
  std::ifstream heldout(std::string(ORDO_MODELS_DIR) + "/heldout.txt");
  int lines = 0, in_top5 = 0;
  for (std::string line; lines < 30 && std::getline(heldout, line);) {
    const size_t at = line.find(" the ");
    if (at == std::string::npos || line.size() > 300) continue;
    ++lines;
    const std::string masked = line.substr(0, at) + " [MASK]" + line.substr(at + 4);
    const auto document = run_json({"fill", "--model", kBundled, "--json", masked});
    const auto& predictions = document["masks"].at(0)["predictions"];
    for (const auto& prediction : predictions) {
      if (prediction["token"] == "▁the") ++in_top5;
    }
  }
  ASSERT_EQ(lines, 30);
  EXPECT_GE(in_top5, 15) << "'the' in the top 5 for " << in_top5 << " of 30 held-out lines";
}

}  // namespace
}  // namespace ordo::test
