// ALBERT's spiece.model: the text is rewritten as AlbertTokenizer.preprocess_text does (collapse
// whitespace, `` and '' to ", NFKD without combining marks, lowercase) before SentencePiece;
// expected pieces from Python's sentencepiece after a transcription of that function
// (tools/make_albert_tokenizer_fixture.py).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ordo/error.h"
#include "safetensors_test_util.h"
#include "tokenizer.h"

namespace ordo::test {
namespace {

const std::filesystem::path kSpm =
    std::filesystem::path(ORDO_MODELS_DIR) / "ordo-sinusoidal" / "tokenizer.model";

TEST(AlbertTokenizer, PreprocessesAsAlbertTokenizerThenSentencePiece) {
  ScratchDir scratch;
  std::filesystem::copy_file(kSpm, scratch.path() / "spiece.model");
  const auto tokenizer = tokenizer::Tokenizer::from_directory(scratch.path());
  const auto expected = nlohmann::json::parse(
      std::ifstream(std::filesystem::path(ORDO_FIXTURES_DIR) / "albert_tokenizer.json"));
  ASSERT_GE(expected["results"].size(), 15u);
  for (const auto& result : expected["results"]) {
    const std::string text = result["text"];
    const auto encoding = tokenizer.encode(text);
    // [CLS] pieces [SEP], native ids.
    ASSERT_GE(encoding.tokens.size(), 2u);
    const std::vector<std::string> pieces(encoding.tokens.begin() + 1, encoding.tokens.end() - 1);
    const std::vector<int32_t> ids(encoding.ids.begin() + 1, encoding.ids.end() - 1);
    EXPECT_EQ(pieces, result["pieces"].get<std::vector<std::string>>()) << text;
    EXPECT_EQ(ids, result["ids"].get<std::vector<int32_t>>()) << text;
    for (size_t i = 0; i < encoding.end.size(); ++i) EXPECT_LE(encoding.end[i], text.size());
  }
}

TEST(AlbertTokenizer, TokenizerConfigTurnsThePreprocessingOff) {
  ScratchDir scratch;
  std::filesystem::copy_file(kSpm, scratch.path() / "spiece.model");
  std::ofstream(scratch.path() / "tokenizer_config.json")
      << R"({"do_lower_case": false, "keep_accents": true, "remove_space": false})";
  const auto plain = tokenizer::Tokenizer::from_directory(scratch.path());
  const tokenizer::SentencePieceModel spm(kSpm);
  for (const std::string text : {"Hello World", "naïve  Café"}) {
    std::vector<std::string> direct;
    for (const auto& piece : spm.encode(text)) direct.push_back(piece.text);
    const auto encoding = plain.encode(text);
    EXPECT_EQ(std::vector<std::string>(encoding.tokens.begin() + 1, encoding.tokens.end() - 1),
              direct)
        << text;
  }
  std::ofstream(scratch.path() / "tokenizer_config.json") << R"({"do_lower_case": "yes"})";
  EXPECT_THROW(tokenizer::Tokenizer::from_directory(scratch.path()), Error);
}

}  // namespace
}  // namespace ordo::test
