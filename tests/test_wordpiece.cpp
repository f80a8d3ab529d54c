// WordPiece against a transcription of Hugging Face's BertTokenizer on Python's unicodedata
// (tools/make_wordpiece_fixture.py): 68 tricky strings under four option sets.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "safetensors_test_util.h"
#include "test_util.h"
#include "tokenizer.h"

namespace ordo::test {
namespace {

using tokenizer::Tokenizer;
using tokenizer::WordPieceModel;
using tokenizer::WordPieceOptions;

const auto kVocab = fixture("wordpiece") / "vocab.txt";

nlohmann::json expected() {
  return nlohmann::json::parse(std::ifstream(fixture("wordpiece") / "expected.json"));
}

WordPieceOptions options_from(const nlohmann::json& settings) {
  WordPieceOptions options;
  options.lower_case = settings["do_lower_case"];
  options.split_chinese = settings["tokenize_chinese_chars"];
  options.strip_accents = settings["strip_accents"].is_null()
                              ? options.lower_case
                              : settings["strip_accents"].get<bool>();
  return options;
}

TEST(WordPiece, MatchesHuggingFaceBertTokenizerOnTrickyStrings) {
  const nlohmann::json reference = expected();
  const auto& strings = reference["strings"];
  ASSERT_GE(strings.size(), 50u);
  int compared = 0;
  for (const auto& [name, set] : reference["options"].items()) {
    const WordPieceModel model(kVocab, options_from(set["settings"]));
    for (size_t i = 0; i < strings.size(); ++i) {
      const std::string text = strings[i];
      if (text.find('\0') != std::string::npos) {
        // Hugging Face drops NUL; ordo refuses it everywhere, with the byte offset.
        EXPECT_THROW(model.encode(text), Error);
        continue;
      }
      std::vector<std::string> tokens;
      std::vector<int> ids;
      for (const auto& piece : model.encode(text)) {
        tokens.push_back(piece.text);
        ids.push_back(piece.id);
      }
      EXPECT_EQ(tokens, set["results"][i]["tokens"].get<std::vector<std::string>>())
          << name << ": '" << text << "'";
      EXPECT_EQ(ids, set["results"][i]["ids"].get<std::vector<int>>()) << name;
      ++compared;
    }
  }
  EXPECT_GE(compared, 4 * 67);
}

TEST(WordPiece, SpansPointIntoTheInputBytes) {
  const WordPieceModel model(kVocab, WordPieceOptions{});
  const std::string text = "Hello, 猫 unaffable!";
  std::vector<std::string> covered;
  for (const auto& piece : model.encode(text))
    covered.push_back(text.substr(piece.begin, piece.end - piece.begin));
  EXPECT_EQ(covered,
            (std::vector<std::string>{"Hello", ",", "猫", "un", "af", "fa", "b", "le", "!"}));
  // Accent stripping shortens "Crème" by nothing in code points: still character spans. "ß"
  // would be [UNK] over the whole word.
  const auto pieces = model.encode("naïve");
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].text, "naive");
  EXPECT_EQ(pieces[0].end, std::string("naïve").size());
}

TEST(WordPiece, DecodeGluesContinuationsAndCleansSpaces) {
  const WordPieceModel model(kVocab, WordPieceOptions{});
  std::vector<int> ids;
  for (const auto& piece : model.encode("Unaffable cats, running!")) ids.push_back(piece.id);
  EXPECT_EQ(model.decode(ids), "unaffable cats, running!");
}

TEST(WordPiece, VocabularyErrorsNameTheFile) {
  ScratchDir scratch;
  const auto empty = scratch.path() / "vocab.txt";
  std::ofstream(empty).close();
  try {
    WordPieceModel model(empty, WordPieceOptions{});
    ADD_FAILURE() << "an empty vocabulary loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.txt"), std::string::npos) << e.what();
  }
  std::ofstream(empty) << "[CLS]\n[SEP]\nhello\n";
  try {
    WordPieceModel model(empty, WordPieceOptions{});
    ADD_FAILURE() << "a vocabulary without [UNK] loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'[UNK]'"), std::string::npos) << e.what();
  }
}

TEST(WordPiece, ModelDirectoryReadsTokenizerConfigAndSentenceTransformersSettings) {
  ScratchDir scratch;
  std::filesystem::copy_file(kVocab, scratch.path() / "vocab.txt");
  std::ofstream(scratch.path() / "tokenizer_config.json")
      << R"({"do_lower_case": false, "model_max_length": 512, "unk_token": "[UNK]"})";
  const Tokenizer cased = Tokenizer::from_directory(scratch.path());
  ASSERT_TRUE(cased.is_wordpiece());
  EXPECT_EQ(cased.model_max_length(), 512u);
  const auto encoding = cased.encode("Hello world");
  EXPECT_EQ(encoding.tokens, (std::vector<std::string>{"[CLS]", "Hello", "world", "[SEP]"}));
  EXPECT_EQ(encoding.ids.front(), 2);  // [CLS] is line 3 of vocab.txt
  EXPECT_EQ(cased.token(encoding.ids[1]), "Hello");
  EXPECT_EQ(cased.decode(encoding.ids), "Hello world");
  EXPECT_THROW(cased.model(), Error);  // no SentencePiece behind it

  // sentence-transformers lowercases the text itself and sets its own length limit.
  std::ofstream(scratch.path() / "sentence_bert_config.json")
      << R"({"max_seq_length": 4, "do_lower_case": true})";
  const Tokenizer sentence = Tokenizer::from_directory(scratch.path());
  EXPECT_EQ(sentence.model_max_length(), 4u);
  EXPECT_EQ(sentence.encode("Hello world").tokens,
            (std::vector<std::string>{"[CLS]", "hello", "world", "[SEP]"}));
  const auto masked = sentence.encode_masked("the [MASK] chases");
  EXPECT_EQ(masked.tokens, (std::vector<std::string>{"[CLS]", "the", "[MASK]", "chases", "[SEP]"}));
  EXPECT_EQ(masked.ids[2], 4);
}

}  // namespace
}  // namespace ordo::test
