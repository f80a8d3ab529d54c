// Hugging Face tokenizer.json files (and GPT-2's vocab.json + merges.txt) against what Hugging
// Face's Rust tokenizers makes of 467 hostile strings, alone and in pairs, with and without
// special tokens (tests/fixtures/tokenizer_json/, written by tools/tokenizer_reference.mjs).
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ordo/error.h"
#include "test_util.h"
#include "tokenizer.h"

namespace ordo::test {
namespace {

using tokenizer::Encoding;
using tokenizer::Tokenizer;
using tokenizer::Truncation;

struct Agreement {
  size_t lines = 0, mismatches = 0;
  size_t refused = 0;  // texts with a NUL byte, which ordo refuses by design (bad-inputs.md)
};

// Encodes every line of DIRECTORY/expected.jsonl with the tokenizer found in DIRECTORY and
// compares ids, tokens, type ids and the decoded text; reports the first few differences.
Agreement check_fixture(const std::string& name) {
  const auto directory = fixture("tokenizer_json/" + name);
  const Tokenizer tokenizer = Tokenizer::from_directory(directory);
  EXPECT_TRUE(tokenizer.is_tokenizer_json());
  std::ifstream in(directory / "expected.jsonl");
  Agreement agreement;
  for (std::string line; std::getline(in, line);) {
    const auto expected = nlohmann::json::parse(line);
    ++agreement.lines;
    const std::string text = expected["text"];
    const bool special = expected["add_special_tokens"];
    const std::string pair = expected["pair"].is_null() ? "" : expected["pair"].get<std::string>();
    if (text.find('\0') != std::string::npos || pair.find('\0') != std::string::npos) {
      EXPECT_THROW(tokenizer.encode_pair(text, pair), Error) << name << " line " << agreement.lines;
      ++agreement.refused;
      continue;
    }
    Encoding encoding;
    try {
      encoding = expected["pair"].is_null()
                     ? tokenizer.encode(text, 0, Truncation::longest_first, special)
                     : tokenizer.encode_pair(text, pair, 0, Truncation::longest_first, special);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << " line " << agreement.lines << ": " << e.what();
      ++agreement.mismatches;
      continue;
    }
    const bool same = encoding.ids == expected["ids"].get<std::vector<int32_t>>() &&
                      encoding.tokens == expected["tokens"].get<std::vector<std::string>>() &&
                      encoding.token_types == expected["type_ids"].get<std::vector<int32_t>>();
    const bool same_text = !expected.contains("decoded") ||
                           tokenizer.decode(expected["ids"].get<std::vector<int32_t>>()) ==
                               expected["decoded"].get<std::string>();
    if (same && same_text) continue;
    if (++agreement.mismatches <= 5) {
      nlohmann::json got = {
          {"ids", encoding.ids},
          {"tokens", encoding.tokens},
          {"type_ids", encoding.token_types},
          {"decoded", tokenizer.decode(expected["ids"].get<std::vector<int32_t>>())}};
      ADD_FAILURE() << name << " line " << agreement.lines << "\n expected: " << line
                    << "\n got:      "
                    << got.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  EXPECT_GT(agreement.lines, 1000u) << name;
  EXPECT_LT(agreement.refused, 10u) << name;
  std::cout << name << ": " << agreement.lines - agreement.refused - agreement.mismatches << " of "
            << agreement.lines << " lines identical, " << agreement.refused
            << " refused (NUL bytes)\n";
  return agreement;
}

TEST(TokenizerJson, MiniLmWordPieceAgreesWithTokenizersOnEveryLine) {
  EXPECT_EQ(check_fixture("minilm_wordpiece").mismatches, 0u);
}

TEST(TokenizerJson, Gpt2ByteLevelBpeAgreesWithTokenizersOnEveryLine) {
  EXPECT_EQ(check_fixture("gpt2_bytelevel_bpe").mismatches, 0u);
}

TEST(TokenizerJson, Gpt2VocabAndMergesFilesAgreeWithTokenizersOnEveryLine) {
  const Agreement agreement = check_fixture("gpt2_vocab_merges");
  EXPECT_EQ(agreement.mismatches, 0u);
}

TEST(TokenizerJson, YiByteFallbackBpeAgreesWithTokenizersOnEveryLine) {
  EXPECT_EQ(check_fixture("yi_byte_fallback_bpe").mismatches, 0u);
}

TEST(TokenizerJson, AlbertUnigramAgreesWithTokenizersOnEveryLine) {
  EXPECT_EQ(check_fixture("albert_unigram").mismatches, 0u);
}

}  // namespace
}  // namespace ordo::test
