// The tokenizer against Debian's `spm_encode` (an independent front end to the same library)
// on committed tricky strings, for the bundled unigram model and for a BPE model trained here;
// id schemes and templates against hand-checked expectations; hostile input.
#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "ordo/error.h"
#include "safetensors_test_util.h"
#include "spm_parity.h"
#include "tokenizer.h"
#include "utf8.h"

namespace ordo::test {
namespace {

using tokenizer::Encoding;
using tokenizer::IdScheme;
using tokenizer::Piece;
using tokenizer::SentencePieceModel;
using tokenizer::Template;
using tokenizer::Tokenizer;
using tokenizer::Truncation;

// A small unigram model with ordo's special pieces and byte fallback, like the bundled one
// (tools/make_tokenized_fixture.py); the bundled model itself is checked in
// test_bundled_models.cpp.
const std::filesystem::path kUnigramModel =
    std::filesystem::path(ORDO_FIXTURES_DIR) / "tiny_tokenized" / "tokenizer.model";

// A second SentencePiece model of another type (BPE), trained on the tricky strings.
class BpeModel : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ =
        std::filesystem::temp_directory_path() / ("ordo_bpe_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
    const std::string options = "--input=" + (kTokenizerFixtures / "tricky_strings.txt").string() +
                                " --model_prefix=" + (directory_ / "bpe").string() +
                                " --model_type=bpe --vocab_size=300 --hard_vocab_limit=false"
                                " --character_coverage=1.0 --num_threads=1 --minloglevel=2";
    const auto status = sentencepiece::SentencePieceTrainer::Train(options);
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(directory_); }
  static std::filesystem::path model() { return directory_ / "bpe.model"; }
  static std::filesystem::path directory_;
};
std::filesystem::path BpeModel::directory_;

TEST(SpmParity, UnigramModelMatchesSpmEncode) {
  expect_matches_spm_encode(kUnigramModel);
}

TEST_F(BpeModel, MatchesSpmEncode) {
  expect_matches_spm_encode(model());
}

TEST_F(BpeModel, DecodeInvertsEncode) {
  const SentencePieceModel bpe(model());
  auto round_trip = [&](const std::string& text) {
    std::vector<int> ids;
    for (const Piece& piece : bpe.encode(text)) ids.push_back(piece.id);
    return bpe.decode(ids);
  };
  for (const std::string text : {"The cat chases the mouse.", "猫追老鼠", "one two"}) {
    EXPECT_EQ(round_trip(text), text);
  }
  // SentencePiece's default normaliser folds runs of spaces: documented, not lost by ordo.
  EXPECT_EQ(round_trip("two  spaces"), "two spaces");
  EXPECT_EQ(round_trip("tab\tseparated"), "tab separated");
}

// valid_prefix against Unicode's definition written out another way: the bytes read so far are
// a valid prefix when the code points they can still become, [lowest, highest], hold a scalar
// value of their length's range (no overlong form, no surrogate, nothing past U+10FFFF).
size_t reference_valid_prefix(const unsigned char* bytes) {
  const unsigned char lead = bytes[0];
  const size_t length = (lead & 0x80) == 0      ? 1
                        : (lead & 0xE0) == 0xC0 ? 2
                        : (lead & 0xF0) == 0xE0 ? 3
                        : (lead & 0xF8) == 0xF0 ? 4
                                                : 0;
  if (length <= 1) return length;
  const uint32_t first = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  const uint32_t last = length == 2 ? 0x7FF : length == 3 ? 0xFFFF : 0x10FFFF;
  size_t valid = 0;
  for (size_t k = 1; k <= length; ++k) {  // k bytes read
    if (k > 1 && (bytes[k - 1] & 0xC0) != 0x80) break;
    uint32_t lowest = lead & (0x7F >> length), highest = lowest;
    for (size_t j = 1; j < length; ++j) {
      lowest = (lowest << 6) | (j < k ? bytes[j] & 0x3F : 0x00);
      highest = (highest << 6) | (j < k ? bytes[j] & 0x3F : 0x3F);
    }
    lowest = std::max(lowest, first);
    highest = std::min(highest, last);
    const bool only_surrogates = lowest >= 0xD800 && highest <= 0xDFFF;
    if (lowest > highest || only_surrogates) break;
    valid = k;
  }
  return valid;
}

TEST(Utf8, ValidPrefixAndSequenceLengthFollowTheStandard) {
  const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  size_t checked = 0, whole = 0;
  for (unsigned lead = 0; lead < 256; ++lead) {
    for (unsigned second = 0; second < 256; ++second) {
      for (const unsigned char third : tails) {
        for (const unsigned char fourth : tails) {
          const unsigned char bytes[] = {static_cast<unsigned char>(lead),
                                         static_cast<unsigned char>(second), third, fourth};
          const std::string_view text(reinterpret_cast<const char*>(bytes), 4);
          const size_t expected = reference_valid_prefix(bytes);
          ASSERT_EQ(tokenizer::valid_prefix(text, 0), expected)
              << std::hex << lead << " " << second << " " << unsigned(third) << " "
              << unsigned(fourth);
          if (expected == 0) continue;
          EXPECT_GE(tokenizer::utf8_sequence_length(bytes[0]), expected);
          if (expected == tokenizer::utf8_sequence_length(bytes[0])) {
            ++whole;
            EXPECT_EQ(tokenizer::find_invalid_utf8(text.substr(0, expected)), std::string::npos);
          }
          // Cut short, the text ends the prefix: nothing is read past its end.
          for (size_t size = 1; size < 4; ++size)
            EXPECT_EQ(tokenizer::valid_prefix(text.substr(0, size), 0), std::min(expected, size));
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 1000000u);
  EXPECT_GT(whole, 100000u);
  // The lengths the lead bytes announce, by their bit patterns.
  for (unsigned lead = 0; lead < 256; ++lead) {
    const size_t expected = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    EXPECT_EQ(tokenizer::utf8_sequence_length(static_cast<unsigned char>(lead)), expected);
  }
}

TEST(Tokenizer, BertTemplateForPairs) {
  const Tokenizer tokenizer(std::make_unique<SentencePieceModel>(kUnigramModel), IdScheme::native,
                            Template::bert);
  const Encoding single = tokenizer.encode("the cat");
  const Encoding pair = tokenizer.encode_pair("the cat", "a mouse");
  const int32_t cls = tokenizer.model().piece_to_id("[CLS]"),
                sep = tokenizer.model().piece_to_id("[SEP]");
  ASSERT_GE(single.ids.size(), 3u);
  EXPECT_EQ(single.ids.front(), cls);
  EXPECT_EQ(single.ids.back(), sep);
  EXPECT_EQ(single.tokens.front(), "[CLS]");
  const size_t a = single.ids.size() - 2;
  const size_t b = pair.ids.size() - a - 3;
  ASSERT_GE(b, 1u);
  // [CLS] A [SEP] B [SEP], token types 0 for the first three parts and 1 for the rest.
  EXPECT_EQ(pair.ids[a + 1], sep);
  EXPECT_EQ(pair.ids.back(), sep);
  for (size_t i = 0; i < pair.ids.size(); ++i)
    EXPECT_EQ(pair.token_types[i], i <= a + 1 ? 0 : 1) << i;
  EXPECT_EQ(pair.sequence[1], 0);
  EXPECT_EQ(pair.sequence[a + 2], 1);
}

TEST(Tokenizer, ByteSpansPointIntoTheInput) {
  const Tokenizer tokenizer(std::make_unique<SentencePieceModel>(kUnigramModel), IdScheme::native,
                            Template::bert);
  const std::string text = "老鼠 chases cats";
  const Encoding encoding = tokenizer.encode(text);
  std::string covered;
  for (size_t i = 0; i < encoding.ids.size(); ++i) {
    if (encoding.sequence[i] < 0) continue;
    covered += text.substr(encoding.begin[i], encoding.end[i] - encoding.begin[i]);
  }
  // Spans cover every non-space byte of the input in order (the space before a word is part
  // of the next piece's "▁", which SentencePiece maps to an empty or a leading-space span).
  std::string compact_text, compact_covered;
  for (char c : text)
    if (c != ' ') compact_text += c;
  for (char c : covered)
    if (c != ' ') compact_covered += c;
  EXPECT_EQ(compact_covered, compact_text);
}

TEST(Tokenizer, TruncationIsLongestFirst) {
  const Tokenizer tokenizer(std::make_unique<SentencePieceModel>(kUnigramModel), IdScheme::native,
                            Template::bert);
  const std::string longer = "one two three four five six seven eight nine ten";
  const std::string shorter = "cat";
  const size_t a = tokenizer.encode(longer).ids.size() - 2,
               b = tokenizer.encode(shorter).ids.size() - 2;
  ASSERT_GT(a, b + 4);
  const size_t limit = b + 3 + 4;  // room for 4 tokens of the longer text
  const Encoding pair = tokenizer.encode_pair(longer, shorter, limit);
  EXPECT_EQ(pair.ids.size(), limit);
  EXPECT_EQ(pair.truncated, a - 4);
  EXPECT_EQ(std::count(pair.sequence.begin(), pair.sequence.end(), 1), static_cast<long>(b));
  // Both equally long: they shrink alternately, the second first on ties.
  const Encoding even = tokenizer.encode_pair(longer, longer, 2 * 3 + 3 + 1);
  EXPECT_EQ(std::count(even.sequence.begin(), even.sequence.end(), 0), 4);
  EXPECT_EQ(std::count(even.sequence.begin(), even.sequence.end(), 1), 3);
  EXPECT_THROW(tokenizer.encode(longer, 5, Truncation::error), Error);
  EXPECT_EQ(tokenizer.encode(longer, 5).ids.size(), 5u);
}

TEST(Tokenizer, HostileInput) {
  const Tokenizer tokenizer(std::make_unique<SentencePieceModel>(kUnigramModel), IdScheme::native,
                            Template::bert);
  auto expect_error = [&](const std::string& text, const std::string& words) {
    try {
      tokenizer.encode(text);
      ADD_FAILURE() << "accepted: " << words;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error(std::string("ab\xff", 3),
               "not valid UTF-8: ill-formed sequence starting with byte 0xff at byte offset 2");
  expect_error(std::string("\xc0\xaf", 2), "byte offset 0");          // overlong '/'
  expect_error(std::string("\xed\xa0\x80", 3), "byte offset 0");      // UTF-16 surrogate
  expect_error(std::string("\xf4\x90\x80\x80", 4), "byte offset 0");  // past U+10FFFF
  expect_error(std::string("abc\xe4\xb8", 5), "byte offset 3");       // truncated sequence
  expect_error(std::string("a\0b", 3), "NUL byte at byte offset 1");
  // Empty text is the template alone.
  EXPECT_EQ(tokenizer.encode("").ids.size(), 2u);
  // A megabyte on one line finishes quickly and truncates to the limit.
  std::string huge;
  while (huge.size() < (1u << 20)) huge += "word 猫 ";
  const auto start = std::chrono::steady_clock::now();
  const Encoding encoding = tokenizer.encode(huge, 128);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(encoding.ids.size(), 128u);
  EXPECT_GT(encoding.truncated, 100000u);
  EXPECT_LT(seconds, 30.0) << "1 MB took " << seconds << " s";  // a hang guard, not a benchmark
}

// fairseq / XLM-R numbering, checked by hand against HF XLMRobertaTokenizer's rules.
TEST_F(BpeModel, FairseqOffsetScheme) {
  const Tokenizer xlmr(std::make_unique<SentencePieceModel>(model()), IdScheme::fairseq,
                       Template::xlmr);
  const SentencePieceModel& spm = xlmr.model();
  const auto pieces = spm.encode("the cat");
  const Encoding encoding = xlmr.encode_pair("the cat", "the cat");
  ASSERT_EQ(encoding.ids.size(), 2 * pieces.size() + 4);
  EXPECT_EQ(encoding.ids.front(), 0);             // <s>
  EXPECT_EQ(encoding.ids[pieces.size() + 1], 2);  // </s>
  EXPECT_EQ(encoding.ids[pieces.size() + 2], 2);  // </s>
  EXPECT_EQ(encoding.ids.back(), 2);
  for (size_t i = 0; i < pieces.size(); ++i) EXPECT_EQ(encoding.ids[1 + i], pieces[i].id + 1);
  for (int32_t type : encoding.token_types) EXPECT_EQ(type, 0);
  EXPECT_EQ(xlmr.ids().special_id("<pad>"), 1);
  EXPECT_EQ(xlmr.ids().special_id("<unk>"), 3);
  EXPECT_EQ(xlmr.mask_id(), spm.size() + 1);
  // An unknown character maps to <unk> = 3, not to SentencePiece's unk id + 1.
  const Encoding unknown = xlmr.encode("\xe4\xb9\x80");  // U+4E40, absent from the training text
  ASSERT_EQ(spm.encode("\xe4\xb9\x80").back().id, spm.unk_id());
  EXPECT_EQ(unknown.ids[unknown.ids.size() - 2], 3);
  EXPECT_EQ(xlmr.decode(encoding.ids), "the cat the cat");
}

// Marian: each piece looked up by its string in vocab.json, unknown pieces -> <unk>.
TEST_F(BpeModel, VocabJsonScheme) {
  ScratchDir scratch;
  std::filesystem::copy_file(model(), scratch.path() / "source.spm");
  const auto pieces = SentencePieceModel(model()).encode("the cat");
  ASSERT_GE(pieces.size(), 2u);
  // Give the first piece id 7, leave the rest out of the vocabulary.
  scratch.write("vocab.json",
                "{\"</s>\": 0, \"<unk>\": 1, \"<pad>\": 58, \"" + pieces[0].text + "\": 7}");
  const Tokenizer marian = Tokenizer::from_directory(scratch.path());
  EXPECT_EQ(marian.family(), Template::marian);
  const Encoding encoding = marian.encode("the cat");
  ASSERT_EQ(encoding.ids.size(), pieces.size() + 1);
  EXPECT_EQ(encoding.ids[0], 7);
  for (size_t i = 1; i < pieces.size(); ++i) EXPECT_EQ(encoding.ids[i], 1) << pieces[i].text;
  EXPECT_EQ(encoding.ids.back(), 0);  // A </s>
}

TEST(Tokenizer, FoundByFileNameInAModelDirectory) {
  ScratchDir scratch;
  EXPECT_THROW(Tokenizer::from_directory(scratch.path()), Error);
  try {
    Tokenizer::from_directory(scratch.path());
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no tokenizer found"), std::string::npos) << e.what();
  }
  scratch.write("spiece.model", "this is not a SentencePiece model");
  try {
    Tokenizer::from_directory(scratch.path());
    ADD_FAILURE() << "a text file loaded as a SentencePiece model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("spiece.model: not a SentencePiece model"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::copy_file(kUnigramModel, scratch.path() / "sentencepiece.bpe.model");
  EXPECT_EQ(Tokenizer::from_directory(scratch.path()).family(),
            Template::xlmr);  // first match wins
  std::filesystem::copy_file(kUnigramModel, scratch.path() / "tokenizer.model");
  scratch.write("tokenizer_config.json",
                "{\"model_max_length\": 64, \"cls_token\": {\"content\": \"[SEP]\"}}");
  const Tokenizer configured = Tokenizer::from_directory(scratch.path());
  EXPECT_EQ(configured.family(), Template::bert);
  EXPECT_EQ(configured.model_max_length(), 64u);
  EXPECT_EQ(configured.encode("x").tokens.front(), "[SEP]");
}

}  // namespace
}  // namespace ordo::test
