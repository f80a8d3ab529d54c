// `ordo tokenize`, run as the built binary: JSON Lines against the tokenizers reference
// fixtures, pairs, --no-special, --decode, --input, and its errors.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_util.h"
#include "test_util.h"

namespace ordo::test {
namespace {

const std::string kMiniLm = fixture("tokenizer_json/minilm_wordpiece").string();
const std::string kMiniLmJson = kMiniLm + "/tokenizer.json";

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The reference's line for (text, pair, add_special_tokens) in a fixture's expected.jsonl.
nlohmann::json reference(const std::string& directory, const std::string& text,
                         const nlohmann::json& pair, bool special) {
  std::ifstream in(fixture("tokenizer_json/" + directory) / "expected.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto expected = nlohmann::json::parse(line);
    if (expected["text"] == text && expected["pair"] == pair &&
        expected["add_special_tokens"] == special)
      return expected;
  }
  ADD_FAILURE() << "no reference line for '" << text << "'";
  return {};
}

TEST(CliTokenize, JsonLinesMatchTheTokenizersReference) {
  const std::vector<std::string> texts = {"Hello, world!", "\xC3\xA9", ""};  // strings.json's
  for (const auto& [directory, special] : std::vector<std::pair<std::string, bool>>{
           {"minilm_wordpiece", true}, {"gpt2_bytelevel_bpe", false}, {"albert_unigram", true}}) {
    std::vector<std::string> arguments = {
        "tokenize", "--tokenizer", fixture("tokenizer_json/" + directory).string(), "--json"};
    if (!special) arguments.push_back("--no-special");
    arguments.push_back("--");
    for (const auto& text : texts) arguments.push_back(text);
    const CliRun run = ordo(arguments);
    ASSERT_EQ(run.status, 0) << run.err;
    const auto lines = json_lines(run.out);
    ASSERT_EQ(lines.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto expected = reference(directory, texts[i], nullptr, special);
      EXPECT_EQ(lines[i]["index"], i);
      EXPECT_EQ(lines[i]["ids"], expected["ids"]) << directory << " " << texts[i];
      EXPECT_EQ(lines[i]["tokens"], expected["tokens"]) << directory << " " << texts[i];
      EXPECT_EQ(lines[i]["type_ids"], expected["type_ids"]) << directory << " " << texts[i];
      EXPECT_EQ(lines[i]["offsets"].size(), lines[i]["ids"].size());
    }
  }
}

TEST(CliTokenize, PairsFromArgumentsAndTabSeparatedLines) {
  const std::string first = "Hello, world!", second = "hello world";
  const auto expected = reference("minilm_wordpiece", first, second, true);
  const CliRun args =
      ordo({"tokenize", "--tokenizer", kMiniLmJson, "--pair", "--json", first, second});
  ASSERT_EQ(args.status, 0) << args.err;
  const CliRun lines =
      ordo({"tokenize", "--tokenizer", kMiniLmJson, "--pair", "--json", "--input", "-"},
           first + "\t" + second + "\r\n");
  ASSERT_EQ(lines.status, 0) << lines.err;
  for (const CliRun* run : {&args, &lines}) {
    const auto got = json_lines(run->out);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["ids"], expected["ids"]);
    EXPECT_EQ(got[0]["type_ids"], expected["type_ids"]);
  }
  // Offsets are bytes of each text: [CLS] hello , world ! [SEP] hello world [SEP].
  EXPECT_EQ(json_lines(args.out)[0]["offsets"],
            nlohmann::json::parse("[[0,0],[0,5],[5,6],[7,12],[12,13],[0,0],[0,5],[6,11],[0,0]]"));
}

TEST(CliTokenize, ReadableOutputDecodeAndStats) {
  const CliRun run = ordo({"tokenize", "--tokenizer", kMiniLmJson, "Hello, world!"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out,
            "[CLS]  hello  ,     world  !    [SEP]\n101    7592   1010  2088   999  102\n\n");
  const CliRun decoded =
      ordo({"tokenize", "--tokenizer", kMiniLm, "--decode", "101,7592,1010,2088,999,102"});
  ASSERT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_EQ(decoded.out, "hello, world!\n");  // the reference's "decoded" for this text
  EXPECT_EQ(reference("minilm_wordpiece", "Hello, world!", nullptr, true)["decoded"],
            "hello, world!");
  const CliRun stats = ordo({"tokenize", "--tokenizer", kMiniLm, "--stats", "--json", "a b", "c"});
  ASSERT_EQ(stats.status, 0) << stats.err;
  EXPECT_NE(stats.err.find("2 inputs, 4 bytes, 7 tokens"), std::string::npos) << stats.err;
  EXPECT_NE(stats.err.find("tokens/s"), std::string::npos) << stats.err;
}

TEST(CliTokenize, DefaultModelAndModelDirectory) {
  const CliRun bundled = ordo({"tokenize", "--json", "The cat chases the mouse."});
  ASSERT_EQ(bundled.status, 0) << bundled.err;
  const auto line = json_lines(bundled.out).at(0);
  EXPECT_EQ(line["tokens"].front(), "[CLS]");
  const CliRun dir = ordo(
      {"tokenize", "--model", fixture("minilm_vocab_txt").string(), "--json", "Hello, world!"});
  ASSERT_EQ(dir.status, 0) << dir.err;
  EXPECT_EQ(json_lines(dir.out).at(0)["ids"],
            reference("minilm_wordpiece", "Hello, world!", nullptr, true)["ids"]);
}

TEST(CliTokenize, EmptyStdinIsNoOutputAndErrorsAreNamed) {
  const CliRun empty = ordo({"tokenize", "--tokenizer", kMiniLmJson, "--input", "-"}, "");
  EXPECT_EQ(empty.status, 0) << empty.err;
  EXPECT_TRUE(empty.out.empty());
  expect_error({"tokenize", "--tokenizer", kMiniLmJson}, 2, "no input");
  expect_error({"tokenize", "--tokenizer", kMiniLmJson, "--pair", "one"}, 2,
               "--pair takes texts two by two");
  expect_error({"tokenize", "--tokenizer", kMiniLmJson, "--model", kMiniLm, "x"}, 2,
               "give --model or --tokenizer, not both");
  expect_error({"tokenize", "--tokenizer", "/nonexistent/tokenizer.json", "x"}, 1,
               "/nonexistent/tokenizer.json: file not found");
  expect_error({"tokenize", "--tokenizer", kMiniLmJson, "--decode", "1,x"}, 2, "--decode");
  ScratchDir scratch;
  const auto bad = scratch.write("tokenizer.json", R"({"model": {"type": "Nope"}})");
  expect_error({"tokenize", "--tokenizer", bad.string(), "x"}, 1,
               "tokenizer.json: /model/type: unsupported model type 'Nope'");
  const CliRun utf8 =
      ordo({"tokenize", "--tokenizer", kMiniLmJson, "--input", "-"}, "ok\nbad\xFF\n");
  EXPECT_EQ(utf8.status, 1);
  EXPECT_NE(utf8.err.find("--input line 2: text is not valid UTF-8"), std::string::npos)
      << utf8.err;
  const CliRun no_tab =
      ordo({"tokenize", "--tokenizer", kMiniLmJson, "--pair", "--input", "-"}, "a b\n");
  EXPECT_EQ(no_tab.status, 1);
  EXPECT_NE(no_tab.err.find("line 1: --pair needs two texts separated by a tab"), std::string::npos)
      << no_tab.err;
  const CliRun help = ordo({"tokenize", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: ordo tokenize"), std::string::npos);
}

}  // namespace
}  // namespace ordo::test
