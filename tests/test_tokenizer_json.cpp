// Hugging Face tokenizer.json files (and GPT-2's vocab.json + merges.txt) against what Hugging
// Face's Rust tokenizers makes of 475 hostile strings, alone and in pairs, with and without
// special tokens (tests/fixtures/tokenizer_json/, written by tools/tokenizer_reference.mjs).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "hf/aligned_text.h"
#include "hf/json_node.h"
#include "hf/precompiled.h"
#include "ordo/error.h"
#include "safetensors_test_util.h"
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

TEST(TokenizerJson, XlmrPrecompiledUnigramAgreesWithTokenizersOnEveryLine) {
  EXPECT_EQ(check_fixture("xlmr_precompiled_unigram").mismatches, 0u);
}

std::vector<nlohmann::json> json_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The Precompiled normalizer alone on every string of strings.json, against its two references
// in normalized.jsonl (tools/make_precompiled_tokenizer_fixture.py): the Rust tokenizers, and
// SentencePiece's own C++ normalizer on the same charsmap, which agrees with the Rust library
// except where tokenizers' grapheme rule differs from SentencePiece's longest match (the
// fixture's README explains those strings).
TEST(TokenizerJson, PrecompiledNormalizesAsTokenizersAndSentencePiece) {
  const auto directory = fixture("tokenizer_json/xlmr_precompiled_unigram");
  std::ifstream in(directory / "tokenizer.json");
  const nlohmann::json document = nlohmann::json::parse(in);
  const tokenizer::hf::JsonNode root(document, "tokenizer.json");
  const tokenizer::hf::PrecompiledCharsmap charsmap(
      root.at("normalizer").at("normalizers").at(size_t{0}).at("precompiled_charsmap"));
  size_t lines = 0, with_sentencepiece = 0, sentencepiece_differs = 0;
  for (const nlohmann::json& line : json_lines(directory / "normalized.jsonl")) {
    ++lines;
    const std::string text = line["text"];
    tokenizer::hf::AlignedText normalized(text);
    charsmap.normalize(normalized);
    EXPECT_EQ(normalized.text(), line["tokenizers"].get<std::string>()) << "text: " << text;
    if (line["sentencepiece"].is_null()) continue;
    ++with_sentencepiece;
    const std::string sentencepiece = line["sentencepiece"];
    if (sentencepiece != line["tokenizers"].get<std::string>())
      ++sentencepiece_differs;
    else
      EXPECT_EQ(normalized.text(), sentencepiece) << "text: " << text;
  }
  std::ifstream strings(fixture("tokenizer_json/strings.json"));
  EXPECT_EQ(lines, nlohmann::json::parse(strings).size());
  EXPECT_GT(with_sentencepiece, lines * 9 / 10);
  std::cout << "Precompiled: " << lines << " strings as tokenizers; "
            << with_sentencepiece - sentencepiece_differs << " of " << with_sentencepiece
            << " also as SentencePiece, " << sentencepiece_differs
            << " where tokenizers' graphemes differ from it\n";
}

// Offsets through Precompiled (and Replace, Metaspace, Unigram): the Rust tokenizers' offsets,
// in characters, of every string encoded without special tokens.
TEST(TokenizerJson, PrecompiledOffsetsAreTokenizers) {
  const auto directory = fixture("tokenizer_json/xlmr_precompiled_unigram");
  const Tokenizer tokenizer = Tokenizer::from_directory(directory);
  size_t compared = 0;
  for (const nlohmann::json& line : json_lines(directory / "normalized.jsonl")) {
    const std::string text = line["text"];
    if (text.find('\0') != std::string::npos) continue;  // refused by design
    const Encoding encoding = tokenizer.encode(text, 0, Truncation::longest_first, false);
    // Byte offsets to character offsets.
    std::vector<size_t> characters(text.size() + 1, 0);
    for (size_t i = 0; i < text.size(); ++i)
      characters[i + 1] = characters[i] + ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80);
    std::vector<std::vector<size_t>> offsets;
    for (size_t k = 0; k < encoding.ids.size(); ++k)
      offsets.push_back({characters[encoding.begin[k]], characters[encoding.end[k]]});
    EXPECT_EQ(nlohmann::json(offsets), line["offsets"]) << "text: " << text;
    ++compared;
  }
  EXPECT_GT(compared, 450u);
}

}  // namespace
}  // namespace ordo::test

namespace ordo::test {
namespace {

using tokenizer::Encoding;
using tokenizer::Tokenizer;
using tokenizer::Truncation;

std::vector<std::string> strings_fixture() {
  std::ifstream in(fixture("tokenizer_json/strings.json"));
  return nlohmann::json::parse(in).get<std::vector<std::string>>();
}

// Where Python's slow BertTokenizer (ordo's vocab.txt reader) and the fast one knowingly differ
// (tests/fixtures/tokenizer_json/README.md): a final sigma (ς against σ), bare combining marks
// (composed first by the slow one), U+FFFE/U+FFFF (dropped as Cn by the slow one); and NUL,
// which ordo refuses. And special tokens written in the text ("[MASK]"): tokenizer.json matches
// them as added tokens, ordo's vocab.txt reader spells them out as WordPiece pieces.
bool comparable(const std::string& text) {
  for (const char* special : {"[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]"})
    if (text.find(special) != std::string::npos) return false;
  if (text.find("\xCE\xA3") != std::string::npos || text.find('\0') != std::string::npos ||
      text.find("\xEF\xBF\xBE") != std::string::npos ||
      text.find("\xEF\xBF\xBF") != std::string::npos)
    return false;
  for (size_t k = 0; k + 1 < text.size(); ++k) {
    const auto a = static_cast<unsigned char>(text[k]), b = static_cast<unsigned char>(text[k + 1]);
    if (a == 0xCC || (a == 0xCD && b < 0xB0)) return false;  // U+0300..U+036F
  }
  return true;
}

TEST(TokenizerJson, MiniLmVocabTxtAndTokenizerJsonGiveTheSameIds) {
  const Tokenizer from_vocab = Tokenizer::from_directory(fixture("minilm_vocab_txt"));
  const Tokenizer from_json = Tokenizer::from_directory(fixture("tokenizer_json/minilm_wordpiece"));
  ASSERT_TRUE(from_vocab.is_wordpiece());
  ASSERT_TRUE(from_json.is_tokenizer_json());
  size_t compared = 0;
  const auto strings = strings_fixture();
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& text = strings[i];
    const std::string& pair = strings[(i + 1) % strings.size()];
    if (!comparable(text) || !comparable(pair)) continue;
    EXPECT_EQ(from_json.encode(text).ids, from_vocab.encode(text).ids) << text;
    EXPECT_EQ(from_json.encode_pair(text, pair).token_types,
              from_vocab.encode_pair(text, pair).token_types)
        << text;
    ++compared;
  }
  EXPECT_GT(compared, 400u);
}

// A tokenizer.json written by the test: `parts` are its top-level fields.
struct Written {
  ScratchDir scratch;
  Tokenizer tokenizer;
  explicit Written(const nlohmann::json& document)
      : tokenizer(Tokenizer::from_path(scratch.write("tokenizer.json", document.dump()))) {}
};

// A BPE model that keeps every word found in `vocab` whole (ignore_merges) and spells the rest
// as characters (each a token), or [UNK].
nlohmann::json whole_words(const std::vector<std::string>& words) {
  nlohmann::json vocab = {{"[UNK]", 0}};
  for (const std::string& word : words)
    if (!vocab.contains(word)) vocab[word] = vocab.size();
  return {{"type", "BPE"},
          {"vocab", vocab},
          {"merges", nlohmann::json::array()},
          {"unk_token", "[UNK]"},
          {"ignore_merges", true}};
}

std::vector<std::string> tokens_of(const nlohmann::json& document, const std::string& text) {
  const Written written(document);
  return written.tokenizer.encode(text, 0, Truncation::longest_first, false).tokens;
}

using Strings = std::vector<std::string>;

// Expected values below are worked out by hand from tokenizers' source (normalizer.rs split,
// pre_tokenizers/*.rs), not taken from ordo's output.
TEST(TokenizerJsonPipeline, SplitBehaviorsCutAsTokenizersDoes) {
  const Strings words = {"a", "b", "c", "-", "--", "a-", "b-", "-b", "-c"};
  auto split = [&](const std::string& behavior, bool invert) {
    return tokens_of({{"pre_tokenizer",
                       {{"type", "Split"},
                        {"pattern", {{"String", "-"}}},
                        {"behavior", behavior},
                        {"invert", invert}}},
                      {"model", whole_words(words)}},
                     "a-b--c");
  };
  EXPECT_EQ(split("Removed", false), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split("Isolated", false), (Strings{"a", "-", "b", "-", "-", "c"}));
  EXPECT_EQ(split("MergedWithPrevious", false), (Strings{"a-", "b-", "-", "c"}));
  EXPECT_EQ(split("MergedWithNext", false), (Strings{"a", "-b", "-", "-c"}));
  EXPECT_EQ(split("Contiguous", false), (Strings{"a", "-", "b", "--", "c"}));
  EXPECT_EQ(split("Removed", true), (Strings{"-", "-", "-"}));
  const auto regex = tokens_of({{"pre_tokenizer",
                                 {{"type", "Split"},
                                  {"pattern", {{"Regex", "\\s+"}}},
                                  {"behavior", "Removed"},
                                  {"invert", false}}},
                                {"model", whole_words(words)}},
                               "a  b\tc");
  EXPECT_EQ(regex, (Strings{"a", "b", "c"}));
}

TEST(TokenizerJsonPipeline, PreTokenizers) {
  const Strings words = {"hi",
                         ",",
                         "you",
                         "!!",
                         "!",
                         "?",
                         "1",
                         "2",
                         "3",
                         "123",
                         "abc",
                         "\xE6\x97\xA5\xE6\x9C\xAC\xE3\x82\xAB",  // 日本カ
                         "ab cd",
                         "ab"};
  auto run = [&](const nlohmann::json& pre_tokenizer, const std::string& text) {
    return tokens_of({{"pre_tokenizer", pre_tokenizer}, {"model", whole_words(words)}}, text);
  };
  EXPECT_EQ(run({{"type", "Whitespace"}}, "hi, you!!"), (Strings{"hi", ",", "you", "!!"}));
  EXPECT_EQ(run({{"type", "WhitespaceSplit"}}, " hi\t you "), (Strings{"hi", "you"}));
  EXPECT_EQ(run({{"type", "Punctuation"}}, "hi!?"), (Strings{"hi", "!", "?"}));
  EXPECT_EQ(run({{"type", "BertPreTokenizer"}}, "hi, you!!"),
            (Strings{"hi", ",", "you", "!", "!"}));
  EXPECT_EQ(run({{"type", "Digits"}, {"individual_digits", true}}, "hi123"),
            (Strings{"hi", "1", "2", "3"}));
  EXPECT_EQ(run({{"type", "Digits"}, {"individual_digits", false}}, "hi123"),
            (Strings{"hi", "123"}));
  // Kana count as Han; a space belongs to no script, so it never cuts, and a leading one is
  // lost with the text before the first cut.
  EXPECT_EQ(run({{"type", "UnicodeScripts"}}, "abc\xE6\x97\xA5\xE6\x9C\xAC\xE3\x82\xAB"),
            (Strings{"abc", "\xE6\x97\xA5\xE6\x9C\xAC\xE3\x82\xAB"}));
  EXPECT_EQ(run({{"type", "UnicodeScripts"}}, "ab cd"), (Strings{"ab cd"}));
  EXPECT_EQ(run({{"type", "UnicodeScripts"}}, " ab"), (Strings{"ab"}));
  EXPECT_EQ(run({{"type", "Sequence"},
                 {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Digits"}}}}},
                "hi 123"),
            (Strings{"hi", "123"}));
}

TEST(TokenizerJsonPipeline, MetaspaceAndByteLevel) {
  const std::string bar = "\xE2\x96\x81";  // ▁
  const Strings words = {bar + "hello",  bar + "world", "hello",    bar + "hello" + bar + "world",
                         "<x>",          "hi",          bar + "hi", "\xC4\xA0hi",
                         "\xC4\xA0there"};
  auto metaspace = [&](const std::string& scheme, bool split, const std::string& text) {
    return tokens_of(
        {{"added_tokens",
          {{{"id", 100}, {"content", "<x>"}, {"special", true}, {"normalized", false}}}},
         {"pre_tokenizer",
          {{"type", "Metaspace"},
           {"replacement", bar},
           {"prepend_scheme", scheme},
           {"split", split}}},
         {"model", whole_words(words)}},
        text);
  };
  EXPECT_EQ(metaspace("always", true, "hello world"), (Strings{bar + "hello", bar + "world"}));
  EXPECT_EQ(metaspace("never", true, "hello world"), (Strings{"hello", bar + "world"}));
  EXPECT_EQ(metaspace("always", false, "hello world"), (Strings{bar + "hello" + bar + "world"}));
  // "first": only a piece that starts the original text gets the prefix.
  EXPECT_EQ(metaspace("first", true, "<x>hi"), (Strings{"<x>", "hi"}));
  EXPECT_EQ(metaspace("always", true, "<x>hi"), (Strings{"<x>", bar + "hi"}));
  // ByteLevel with add_prefix_space: " hi there", GPT-2's regex, each byte a character (Ġ = ' ').
  EXPECT_EQ(tokens_of({{"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", true}}},
                       {"model", whole_words(words)}},
                      "hi there"),
            (Strings{"\xC4\xA0hi", "\xC4\xA0there"}));
}

TEST(TokenizerJsonPipeline, Normalizers) {
  const Strings words = {"fi", "ab", "xab", "i\xCC\x87", "a b", "a_b", "e"};
  auto run = [&](const nlohmann::json& normalizer, const std::string& text) {
    return tokens_of({{"normalizer", normalizer}, {"model", whole_words(words)}}, text);
  };
  EXPECT_EQ(run({{"type", "NFKC"}}, "\xEF\xAC\x81"), (Strings{"fi"}));  // the ligature ﬁ
  EXPECT_EQ(run({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}, "  ab \t"),
            (Strings{"ab"}));
  EXPECT_EQ(run({{"type", "Prepend"}, {"prepend", "x"}}, "ab"), (Strings{"xab"}));
  EXPECT_EQ(run({{"type", "Prepend"}, {"prepend", "x"}}, ""), (Strings{}));
  // İ lowercases to i + combining dot above (Rust's char::to_lowercase).
  EXPECT_EQ(run({{"type", "Lowercase"}}, "\xC4\xB0"), (Strings{"i\xCC\x87"}));
  EXPECT_EQ(run({{"type", "Replace"}, {"pattern", {{"Regex", " +"}}}, {"content", "_"}}, "a   b"),
            (Strings{"a_b"}));
  EXPECT_EQ(
      run({{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}}}},
          "\xC3\xA9"),  // é
      (Strings{"e"}));
}

std::string base64(const std::string& bytes) {
  static const char* const digits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k)
      group = (group << 8) | (i + k < bytes.size() ? static_cast<unsigned char>(bytes[i + k]) : 0U);
    const size_t symbols = std::min<size_t>(4, (bytes.size() - i) * 4 / 3 + 1);
    for (size_t k = 0; k < 4; ++k) out += k < symbols ? digits[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

// A hand-built charsmap (SentencePiece's layout: trie size, Darts units, replacements): 256 units
// holding the one key "a", whose leaf sits `leaf_offset` units away and points at byte `value`
// of `replacements`.
std::string tiny_charsmap(uint32_t value, const std::string& replacements,
                          uint32_t leaf_offset = 1) {
  std::vector<uint32_t> units(256, 0);
  units['a'] = (leaf_offset << 10) | (1U << 8) | 'a';  // label 'a', has a leaf
  if (('a' ^ leaf_offset) < units.size()) units['a' ^ leaf_offset] = (1U << 31) | value;
  std::string blob;
  const auto put = [&](uint32_t word) {
    for (int k = 0; k < 4; ++k) blob += static_cast<char>((word >> (8 * k)) & 0xFF);
  };
  put(static_cast<uint32_t>(units.size() * 4));
  for (const uint32_t unit : units) put(unit);
  return blob + replacements;
}

nlohmann::json precompiled(const std::string& blob) {
  return {{"type", "Precompiled"}, {"precompiled_charsmap", base64(blob)}};
}

using Spans = std::vector<std::pair<size_t, size_t>>;

// The byte spans of `text` encoded by `document` with a model that makes every character its
// own [UNK] token, so that they show each character's span.
Spans spans_of(nlohmann::json document, const std::string& text) {
  document["model"] = {{"type", "BPE"},
                       {"vocab", {{"[UNK]", 0}}},
                       {"merges", nlohmann::json::array()},
                       {"unk_token", "[UNK]"}};
  const Written written(document);
  const Encoding encoding = written.tokenizer.encode(text, 0, Truncation::longest_first, false);
  Spans out;
  for (size_t k = 0; k < encoding.ids.size(); ++k)
    out.emplace_back(encoding.begin[k], encoding.end[k]);
  return out;
}

// NormalizedString::replace and prepend: the inserted characters take the span of the match's
// last character, or of the text's first. Expected values from the Rust tokenizers 0.23.2 (npm).
TEST(TokenizerJsonPipeline, ReplaceAndPrependSpansAsTokenizers) {
  EXPECT_EQ(spans_of({{"normalizer",
                       {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", "_"}}}},
                     "a   b"),
            (Spans{{0, 1}, {3, 4}, {4, 5}}));
  EXPECT_EQ(spans_of({{"normalizer",
                       {{"type", "Replace"}, {"pattern", {{"String", "ab"}}}, {"content", "xyz"}}}},
                     "cabd"),
            (Spans{{0, 1}, {2, 3}, {2, 3}, {2, 3}, {3, 4}}));
  EXPECT_EQ(spans_of({{"normalizer", {{"type", "Prepend"}, {"prepend", "xy"}}}}, "ab"),
            (Spans{{0, 1}, {0, 1}, {0, 1}, {1, 2}}));
  EXPECT_EQ(spans_of({{"pre_tokenizer",
                       {{"type", "Metaspace"},
                        {"replacement", "\xE2\x96\x81"},
                        {"prepend_scheme", "always"},
                        {"split", false}}}},
                     "ab"),
            (Spans{{0, 1}, {0, 1}, {1, 2}}));
  EXPECT_EQ(spans_of({{"pre_tokenizer",
                       {{"type", "ByteLevel"},
                        {"add_prefix_space", true},
                        {"trim_offsets", false},
                        {"use_regex", false}}}},
                     "ab"),
            (Spans{{0, 1}, {0, 1}, {1, 2}}));
}

// Expected values from the Rust tokenizers 0.23.2 (npm) on the same charsmaps: precompiled(bytes)
// .normalizeString(text), and the offsets of spans_of().
TEST(TokenizerJsonPipeline, PrecompiledRulesGraphemesAndAlignments) {
  const Strings words = {"cbt", "b", "bb", "ct", "x", "cxyzt"};
  auto normalized = [&](const std::string& blob, const std::string& text) {
    return tokens_of({{"normalizer", precompiled(blob)}, {"model", whole_words(words)}}, text);
  };
  const std::string a_to_b = tiny_charsmap(0, std::string("b\0", 2));
  EXPECT_EQ(normalized(a_to_b, "cat"), (Strings{"cbt"}));
  // "a" + U+0301 is one grapheme of 3 bytes: the key "a" starts it, and the whole grapheme goes.
  EXPECT_EQ(normalized(a_to_b,
                       "a"
                       "a\xCC\x81"),
            (Strings{"bb"}));
  // A value at the end of the replacements is the empty string: "a" is removed.
  const std::string a_removed = tiny_charsmap(2, std::string("b\0", 2));
  EXPECT_EQ(normalized(a_removed, "cat"), (Strings{"ct"}));
  EXPECT_EQ(normalized(a_removed, "xa"), (Strings{"x"}));
  // Padding is optional, as for the base64 crate's STANDARD engine.
  nlohmann::json unpadded = precompiled(a_to_b);
  std::string text = unpadded["precompiled_charsmap"];
  ASSERT_EQ(text.substr(text.size() - 2), "==");
  unpadded["precompiled_charsmap"] = text.substr(0, text.size() - 2);
  EXPECT_EQ(tokens_of({{"normalizer", unpadded}, {"model", whole_words(words)}}, "cat"),
            (Strings{"cbt"}));

  auto spans = [&](const std::string& blob, const std::string& text) {
    return spans_of({{"normalizer", precompiled(blob)}}, text);
  };
  EXPECT_EQ(spans(a_to_b, "cat"), (Spans{{0, 1}, {1, 2}, {2, 3}}));
  // A removal joins the previous character's span...
  EXPECT_EQ(spans(a_removed, "cat"), (Spans{{0, 1}, {2, 3}}));
  // ...but at the very start nothing takes it, and every later character shifts by one.
  EXPECT_EQ(spans(a_removed, "aXa"), (Spans{{0, 1}}));
  // Inserted characters take the span of the one they come from.
  const std::string a_to_xyz = tiny_charsmap(0, std::string("xyz\0", 4));
  EXPECT_EQ(spans(a_to_xyz, "cat"), (Spans{{0, 1}, {1, 2}, {1, 2}, {1, 2}, {2, 3}}));
  EXPECT_EQ(spans(a_to_xyz, "aXa"),
            (Spans{{0, 1}, {0, 1}, {0, 1}, {1, 2}, {2, 3}, {2, 3}, {2, 3}}));
}

TEST(TokenizerJsonPipeline, AddedTokensStripSingleWordAndNormalized) {
  const Strings words = {"a", "b", "x", "ab", "abc", "hello", "HELLO"};
  auto run = [&](const nlohmann::json& token, const nlohmann::json& normalizer,
                 const std::string& text) {
    return tokens_of({{"added_tokens", {token}},
                      {"normalizer", normalizer},
                      {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                      {"model", whole_words(words)}},
                     text);
  };
  nlohmann::json mask = {{"id", 50}, {"content", "<m>"}, {"special", true}, {"normalized", false}};
  EXPECT_EQ(run(mask, nullptr, "a <m> b"), (Strings{"a", "<m>", "b"}));
  mask["lstrip"] = true;  // the token takes the spaces before it
  EXPECT_EQ(run(mask, nullptr, "a  <m> b"), (Strings{"a", "  <m>", "b"}));
  mask["lstrip"] = false;
  mask["rstrip"] = true;
  EXPECT_EQ(run(mask, nullptr, "a <m>  b"), (Strings{"a", "<m>  ", "b"}));
  // single_word: only where no word character touches it.
  const nlohmann::json word = {{"id", 60},
                               {"content", "ab"},
                               {"single_word", true},
                               {"special", false},
                               {"normalized", false}};
  const Written single({{"added_tokens", {word}},
                        {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                        {"model", whole_words(words)}});
  EXPECT_EQ(single.tokenizer.encode("ab abc xab ab", 0, Truncation::longest_first, false).ids,
            (std::vector<int32_t>{60, 5, 3, 1, 2, 60}));  // "xab": no merges, so x a b
  // normalized=true tokens are found in the normalised text, normalized=false in the raw one.
  const nlohmann::json lower = {{"type", "Lowercase"}};
  nlohmann::json hello = {
      {"id", 70}, {"content", "hello"}, {"special", false}, {"normalized", true}};
  const Written normalized(
      {{"added_tokens", {hello}}, {"normalizer", lower}, {"model", whole_words(words)}});
  EXPECT_EQ(normalized.tokenizer.encode("HELLO", 0, Truncation::longest_first, false).ids,
            (std::vector<int32_t>{70}));
  hello["normalized"] = false;
  hello["content"] = "HeLLo";
  const Written raw({{"added_tokens", {hello}},
                     {"normalizer", lower},
                     {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
                     {"model", whole_words(words)}});
  EXPECT_EQ(raw.tokenizer.encode("HELLO HeLLo", 0, Truncation::longest_first, false).ids,
            (std::vector<int32_t>{6, 70}));
}

nlohmann::json letters_model() {
  return {{"type", "BPE"},
          {"vocab", {{"[CLS]", 0}, {"[SEP]", 1}, {"a", 2}, {"b", 3}, {"<s>", 4}, {"</s>", 5}}},
          {"merges", nlohmann::json::array()}};
}

TEST(TokenizerJsonPipeline, PostProcessorsAndTokenTypes) {
  const nlohmann::json pre = {{"type", "WhitespaceSplit"}};
  const Written bert(
      {{"pre_tokenizer", pre},
       {"model", letters_model()},
       {"post_processor",
        {{"type", "BertProcessing"}, {"sep", {"[SEP]", 1}}, {"cls", {"[CLS]", 0}}}}});
  Encoding pair = bert.tokenizer.encode_pair("a", "b");
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{0, 2, 1, 3, 1}));
  EXPECT_EQ(pair.token_types, (std::vector<int32_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(pair.sequence, (std::vector<int>{-1, 0, -1, 1, -1}));
  pair = bert.tokenizer.encode_pair("a", "b", 0, Truncation::longest_first, false);
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(pair.token_types, (std::vector<int32_t>{0, 1}));  // as encoded: the pair is 1

  const Written roberta(
      {{"pre_tokenizer", pre},
       {"model", letters_model()},
       {"post_processor",
        {{"type", "RobertaProcessing"}, {"sep", {"</s>", 5}}, {"cls", {"<s>", 4}}}}});
  pair = roberta.tokenizer.encode_pair("a", "b");
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{4, 2, 5, 5, 3, 5}));
  EXPECT_EQ(pair.token_types, (std::vector<int32_t>(6, 0)));

  const nlohmann::json cls = {{"SpecialToken", {{"id", "[CLS]"}, {"type_id", 0}}}};
  const nlohmann::json sep = {{"SpecialToken", {{"id", "[SEP]"}, {"type_id", 1}}}};
  const nlohmann::json a = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
  const nlohmann::json b = {{"Sequence", {{"id", "B"}, {"type_id", 2}}}};
  const Written templated(
      {{"pre_tokenizer", pre},
       {"model", letters_model()},
       {"post_processor",
        {{"type", "Sequence"},
         {"processors",
          {{{"type", "ByteLevel"}, {"trim_offsets", false}},
           {{"type", "TemplateProcessing"},
            {"single", {cls, a, sep}},
            {"pair", {cls, a, sep, b, sep}},
            {"special_tokens",
             {{"[CLS]", {{"id", "[CLS]"}, {"ids", {0}}, {"tokens", {"[CLS]"}}}},
              {"[SEP]", {{"id", "[SEP]"}, {"ids", {1}}, {"tokens", {"[SEP]"}}}}}}}}}}}});
  pair = templated.tokenizer.encode_pair("a a", "b");
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{0, 2, 2, 1, 3, 1}));
  EXPECT_EQ(pair.token_types, (std::vector<int32_t>{0, 0, 0, 1, 2, 1}));
  pair = templated.tokenizer.encode_pair("a a", "b", 0, Truncation::longest_first, false);
  EXPECT_EQ(pair.token_types, (std::vector<int32_t>{0, 0, 2}));  // the template's types stay
  // Truncation keeps room for the template's 3 special tokens: longest first.
  pair = templated.tokenizer.encode_pair("a a a", "b", 5);
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{0, 2, 1, 3, 1}));
  EXPECT_EQ(pair.truncated, 2u);
}

TEST(TokenizerJsonPipeline, BpeModelOptions) {
  // Merges as "a b" strings and as pairs are the same merges.
  nlohmann::json model = {
      {"type", "BPE"},
      {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"abc", 4}, {"bc", 5}}},
      {"merges", {"b c", "a b", "ab c"}}};
  EXPECT_EQ(tokens_of({{"model", model}}, "abc"), (Strings{"a", "bc"}));  // rank 0 first
  model["merges"] = nlohmann::json::array(
      {nlohmann::json::array({"a", "b"}), nlohmann::json::array({"ab", "c"})});
  EXPECT_EQ(tokens_of({{"model", model}}, "abc"), (Strings{"abc"}));
  // Unknown characters: each [UNK], or one fused; or bytes when byte_fallback has them.
  nlohmann::json unknown = {{"type", "BPE"},
                            {"vocab", {{"[UNK]", 0}, {"a", 1}, {"<0xC3>", 2}, {"<0xA9>", 3}}},
                            {"merges", nlohmann::json::array()},
                            {"unk_token", "[UNK]"}};
  const Written plain(nlohmann::json{{"model", unknown}});
  EXPECT_EQ(plain.tokenizer.encode("xya", 0, Truncation::longest_first, false).ids,
            (std::vector<int32_t>{0, 0, 1}));
  unknown["fuse_unk"] = true;
  const Written fused(nlohmann::json{{"model", unknown}});
  EXPECT_EQ(fused.tokenizer.encode("xya", 0, Truncation::longest_first, false).ids,
            (std::vector<int32_t>{0, 1}));
  unknown["byte_fallback"] = true;
  const Written bytes(nlohmann::json{{"model", unknown}});
  EXPECT_EQ(bytes.tokenizer.encode("\xC3\xA9x", 0, Truncation::longest_first, false).tokens,
            (Strings{"<0xC3>", "<0xA9>", "[UNK]"}));
  // continuing_subword_prefix and end_of_word_suffix decorate the characters looked up.
  const nlohmann::json decorated = {{"type", "BPE"},
                                    {"vocab", {{"a", 0}, {"##b", 1}, {"##c</w>", 2}}},
                                    {"merges", nlohmann::json::array()},
                                    {"continuing_subword_prefix", "##"},
                                    {"end_of_word_suffix", "</w>"}};
  EXPECT_EQ(tokens_of({{"model", decorated}}, "abc"), (Strings{"a", "##b", "##c</w>"}));
}

// A Unigram vocabulary: [[piece, score], ...].
nlohmann::json pieces(const std::vector<std::pair<std::string, double>>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [piece, score] : list) out.push_back(nlohmann::json::array({piece, score}));
  return out;
}

TEST(TokenizerJsonPipeline, UnigramViterbiUnknownsAndByteFallback) {
  // log-probabilities: "ab" (-1) beats "a" + "b" (-1.5 + -1.5); "c" has no piece: unknown, two
  // in a row fused into one token that keeps its text.
  nlohmann::json model = {
      {"type", "Unigram"},
      {"unk_id", 0},
      {"vocab", pieces({{"<unk>", 0.0}, {"a", -1.5}, {"b", -1.5}, {"ab", -1.0}})}};
  const Written unigram(nlohmann::json{{"model", model}});
  Encoding encoding = unigram.tokenizer.encode("abccab", 0, Truncation::longest_first, false);
  EXPECT_EQ(encoding.tokens, (Strings{"ab", "cc", "ab"}));
  EXPECT_EQ(encoding.ids, (std::vector<int32_t>{3, 0, 3}));
  model["vocab"] = pieces({{"<unk>", 0.0}, {"<0x63>", -5.0}, {"ab", -1.0}});
  model["byte_fallback"] = true;
  const Written fallback(nlohmann::json{{"model", model}});
  encoding = fallback.tokenizer.encode("cab", 0, Truncation::longest_first, false);
  EXPECT_EQ(encoding.tokens, (Strings{"<0x63>", "ab"}));
}

TEST(TokenizerJsonPipeline, Decoders) {
  auto decode = [](const nlohmann::json& decoder, const nlohmann::json& vocab,
                   const std::vector<int32_t>& ids) {
    const Written written(
        {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}},
         {"decoder", decoder},
         {"added_tokens", {{{"id", 0}, {"content", "[CLS]"}, {"special", true}}}}});
    return written.tokenizer.decode(ids);
  };
  const nlohmann::json words = {{"[CLS]", 0}, {"hello", 1}, {"##s", 2},
                                {".", 3},     {"do", 4},    {"not", 5}};
  EXPECT_EQ(decode({{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}, words,
                   {0, 1, 2, 3, 4, 5}),
            "hellos. do not");  // cleanup is per token: " do not" spans two
  const std::string bar = "\xE2\x96\x81";
  const nlohmann::json pieces = {{"[CLS]", 0},  {bar + "hi", 1}, {bar + "there", 2}, {"<0xE2>", 3},
                                 {"<0x82>", 4}, {"<0xAC>", 5},   {"x</w>", 6}};
  EXPECT_EQ(decode({{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "always"}},
                   pieces, {1, 2}),
            "hi there");
  EXPECT_EQ(decode({{"type", "Sequence"},
                    {"decoders",
                     {{{"type", "Replace"}, {"pattern", {{"String", bar}}}, {"content", " "}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}},
                      {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}},
                   pieces, {1, 3, 4, 5}),
            "hi\xE2\x82\xAC");  // the euro sign from three byte tokens
  // An incomplete byte sequence: one U+FFFD per byte.
  EXPECT_EQ(decode({{"type", "ByteFallback"}}, pieces, {3, 4}), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(decode({{"type", "BPEDecoder"}, {"suffix", "</w>"}}, pieces, {6, 6}), "x x");
  EXPECT_EQ(decode({{"type", "ByteLevel"}}, {{"[CLS]", 0}, {"\xC4\xA0hi", 1}}, {0, 1}), " hi");
}

// Every load error names the file and the JSON path of the field at fault.
void expect_load_error(const nlohmann::json& document, const std::vector<std::string>& words) {
  ScratchDir scratch;
  const auto path = scratch.write("tokenizer.json", document.dump());
  try {
    Tokenizer::from_path(path);
    ADD_FAILURE() << "loaded: " << document.dump().substr(0, 300);
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("tokenizer.json: "), std::string::npos) << message;
    for (const std::string& word : words)
      EXPECT_NE(message.find(word), std::string::npos) << "'" << word << "' not in: " << message;
  }
}

TEST(TokenizerJsonErrors, MalformedFilesFailAtLoadNamingTheJsonPath) {
  const nlohmann::json ok = {{"model", letters_model()}};
  auto with = [&](const char* field, const nlohmann::json& value) {
    nlohmann::json document = ok;
    document[field] = value;
    return document;
  };
  expect_load_error(with("model", {{"type", "WordLevel"}, {"vocab", nlohmann::json::object()}}),
                    {"/model/type: unsupported model type 'WordLevel'"});
  expect_load_error(with("normalizer", {{"type", "Nope"}}),
                    {"/normalizer/type: unknown normalizer type 'Nope'"});
  expect_load_error(
      with("pre_tokenizer", {{"type", "Sequence"},
                             {"pretokenizers",
                              {{{"type", "WhitespaceSplit"}},
                               {{"type", "Split"},
                                {"pattern", {{"Regex", "(unclosed"}}},
                                {"behavior", "Removed"}}}}}),
      {"/pre_tokenizer/pretokenizers/1/pattern/Regex: the regular expression does not compile"});
  expect_load_error(
      with("pre_tokenizer",
           {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "Sideways"}}),
      {"/pre_tokenizer/behavior: unknown split behavior 'Sideways'"});
  expect_load_error(with("post_processor", {{"type", "Templ"}}),
                    {"/post_processor/type: unknown post_processor type 'Templ'"});
  expect_load_error(with("decoder", {{"type", "CTCX"}}), {"/decoder/type: unknown decoder type"});
  nlohmann::json model = letters_model();
  model["merges"] = {"a zz"};
  expect_load_error(with("model", model),
                    {"/model/merges/0: the piece 'zz' is not in the vocabulary"});
  model["merges"] = nlohmann::json::array({nlohmann::json::array({"a", "b"})});
  expect_load_error(with("model", model),
                    {"/model/merges/0: the merged piece 'ab' is not in the vocabulary"});
  model = letters_model();
  model["vocab"]["c"] = 2;  // "a" has id 2 already
  expect_load_error(with("model", model), {"/model/vocab/c: id 2 is given to both"});
  model["vocab"]["c"] = -1;
  expect_load_error(with("model", model), {"/model/vocab/c: must be between 0 and"});
  model["vocab"]["c"] = "seven";
  expect_load_error(with("model", model), {"/model/vocab/c: expected an integer, got string"});
  model = letters_model();
  model["dropout"] = 0.1;
  expect_load_error(with("model", model), {"/model/dropout: BPE dropout"});
  expect_load_error(
      with("model", {{"type", "Unigram"}, {"unk_id", 9}, {"vocab", pieces({{"a", 0.0}})}}),
      {"/model/unk_id: unk_id 9 is outside the vocabulary"});
  expect_load_error(
      with("model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"}, {"vocab", {{"a", 0}}}}),
      {"/model/unk_token: '[UNK]' is not in the vocabulary"});
  expect_load_error(with("added_tokens", {{{"id", "x"}, {"content", "<m>"}}}),
                    {"/added_tokens/0/id: expected an integer, got string"});
  expect_load_error(
      with("added_tokens", {{{"id", 3}, {"content", "<m>"}}, {{"id", 3}, {"content", "<n>"}}}),
      {"/added_tokens/1/id: id 3 is already the added token '<m>'"});
  expect_load_error(
      with("post_processor", {{"type", "TemplateProcessing"},
                              {"single", {{{"SpecialToken", {{"id", "[X]"}, {"type_id", 0}}}}}},
                              {"pair", nlohmann::json::array()},
                              {"special_tokens", nlohmann::json::object()}}),
      {"/post_processor/single/0/SpecialToken/id: special token '[X]'"});
  expect_load_error(with("normalizer", "lowercase"),
                    {"/normalizer: expected an object, got string"});
  expect_load_error(nlohmann::json::array(), {"/: expected an object, got array"});
  expect_load_error({{"normalizer", nullptr}}, {"/model: missing"});
  expect_load_error(with("extra_field", 1), {"/extra_field: unknown top-level field"});
}

// Charsmaps the Rust tokenizers refuses at load, or loads and then panics on (an index past its
// arrays), fail at load, naming the field.
TEST(TokenizerJsonErrors, MalformedPrecompiledCharsmapsFailAtLoad) {
  const nlohmann::json model = letters_model();
  auto charsmap = [&](const std::string& base64_text) {
    return nlohmann::json{
        {"normalizer", {{"type", "Precompiled"}, {"precompiled_charsmap", base64_text}}},
        {"model", model}};
  };
  const std::string field = "/normalizer/precompiled_charsmap: ";
  expect_load_error(charsmap("AAAA\nAAAA"), {field + "not base64: 0x0a at offset 4"});
  expect_load_error(charsmap("AAAA-AAA"), {field + "not base64: '-' at offset 4"});
  expect_load_error(charsmap("AA=A"), {field + "not base64: '=' at offset 2"});
  expect_load_error(charsmap("AAAAA"), {field + "not base64: a lone 6-bit symbol"});
  expect_load_error(charsmap("AAAAAA==="), {field + "not base64: 3 '=' after a group of 2"});
  expect_load_error(charsmap("AAAA="), {field + "not base64: 1 '=' after a group of 0"});
  expect_load_error(charsmap("AAAAAB=="), {field + "not base64: the last symbol has bits set"});
  expect_load_error(charsmap(""), {field + "the charsmap is 0 bytes, too short"});
  expect_load_error(charsmap(base64(std::string("\x10\x00\x00", 3))),
                    {field + "the charsmap is 3 bytes"});
  std::string blob = tiny_charsmap(0, std::string("b\0", 2));
  std::string wrong_size = blob;
  wrong_size[1] = 0x08;  // 2048 bytes of trie in a 1030-byte charsmap
  expect_load_error(charsmap(base64(wrong_size)),
                    {field + "the trie size (2048 bytes) runs past the end of the 1030-byte"});
  expect_load_error(charsmap(base64(std::string("\x03\x00\x00\x00xyz", 7))),
                    {field + "the trie is empty"});
  expect_load_error(charsmap(base64(tiny_charsmap(0, "b\xFF"))),
                    {field + "the replacement strings are not UTF-8 (byte 1 of 2)"});
  expect_load_error(charsmap(base64(tiny_charsmap(3, std::string("b\0", 2)))),
                    {field + "a rule's replacement starts at byte 3, past the end of the 2-byte"});
  expect_load_error(charsmap(base64(tiny_charsmap(1, std::string("\xC3\xA9\0", 3)))),
                    {field + "a rule's replacement starts inside a UTF-8 sequence (byte 1)"});
  expect_load_error(charsmap(base64(tiny_charsmap(0, std::string("b\0", 2), 256))),
                    {field + "a rule's value lies past the end of the trie (unit 353 of 256)"});
  // Inside a Sequence, the path names the step.
  expect_load_error(
      {{"normalizer",
        {{"type", "Sequence"},
         {"normalizers",
          {{{"type", "NFC"}}, {{"type", "Precompiled"}, {"precompiled_charsmap", 7}}}}}},
       {"model", model}},
      {"/normalizer/normalizers/1/precompiled_charsmap: expected a string, got number"});
  expect_load_error({{"normalizer", {{"type", "Precompiled"}}}, {"model", model}},
                    {"/normalizer/precompiled_charsmap: missing"});
}

TEST(TokenizerJsonErrors, NotJsonAndMissingFilesAreNamed) {
  ScratchDir scratch;
  const auto path = scratch.write("tokenizer.json", "{\"model\": ");
  try {
    Tokenizer::from_path(path);
    ADD_FAILURE() << "loaded a truncated file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.json: not valid JSON"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Tokenizer::from_path(scratch.path() / "absent.json"), Error);
}

TEST(TokenizerJsonErrors, TextThatIsNotUtf8IsRefusedAsEverywhere) {
  const Tokenizer tokenizer =
      Tokenizer::from_directory(fixture("tokenizer_json/gpt2_bytelevel_bpe"));
  try {
    tokenizer.encode("ab\xFF");
    ADD_FAILURE() << "encoded invalid UTF-8";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tokenizer.encode_pair("ok", std::string("a\0b", 3)), Error);
}

TEST(TokenizerJson, OffsetsPointIntoTheOriginalText) {
  const Tokenizer minilm = Tokenizer::from_directory(fixture("tokenizer_json/minilm_wordpiece"));
  const std::string text = "H\xC3\xA9llo, World";  // Héllo: the accent stripped
  const Encoding encoding = minilm.encode(text);
  ASSERT_EQ(encoding.tokens, (Strings{"[CLS]", "hello", ",", "world", "[SEP]"}));
  EXPECT_EQ(encoding.begin, (std::vector<size_t>{0, 0, 6, 8, 0}));
  EXPECT_EQ(encoding.end, (std::vector<size_t>{0, 6, 7, 13, 0}));
  const Tokenizer gpt2 = Tokenizer::from_directory(fixture("tokenizer_json/gpt2_bytelevel_bpe"));
  const Encoding bytes = gpt2.encode("a \xE2\x82\xAC");  // "a €": the euro is three bytes
  ASSERT_FALSE(bytes.ids.empty());
  EXPECT_EQ(bytes.begin.front(), 0u);
  EXPECT_EQ(bytes.end.back(), 5u);
}

// RoBERTa's vocab.json + merges.txt as transformers' RobertaConverter reads them: byte-level
// BPE without a prefix space, <s> A </s></s> B </s> all of type 0, <mask> taking the spaces
// before it (lstrip). Expected ids worked out by hand.
TEST(TokenizerJson, RobertaVocabAndMergesFiles) {
  ScratchDir scratch;
  scratch.write("vocab.json", R"({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4,
                                  "\u0120": 5, "\u0120a": 6, "<mask>": 7})");
  scratch.write("merges.txt", "#version: 0.2\n\u0120 a\n");
  const Tokenizer roberta = Tokenizer::from_directory(scratch.path());
  ASSERT_TRUE(roberta.is_tokenizer_json());
  const Encoding pair = roberta.encode_pair("a", "a a");
  EXPECT_EQ(pair.ids, (std::vector<int32_t>{0, 4, 2, 2, 4, 6, 2}));
  EXPECT_EQ(pair.token_types, (std::vector<int32_t>(7, 0)));
  const Encoding masked = roberta.encode_masked("a  <mask>");
  EXPECT_EQ(masked.ids, (std::vector<int32_t>{0, 4, 7, 2}));
  EXPECT_EQ(roberta.mask_id(), std::optional<int32_t>(7));
  EXPECT_EQ(roberta.decode(pair.ids), "aa a");
}

TEST(TokenizerJson, DiscoveryPrefersTokenizerJsonAndListsTheFileNames) {
  ScratchDir scratch;
  for (const char* name : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    std::filesystem::copy_file(fixture("minilm_vocab_txt") / name, scratch.path() / name);
  EXPECT_TRUE(Tokenizer::from_directory(scratch.path()).is_wordpiece());
  std::filesystem::copy_file(fixture("tokenizer_json/minilm_wordpiece/tokenizer.json"),
                             scratch.path() / "tokenizer.json");
  const Tokenizer both = Tokenizer::from_directory(scratch.path());
  EXPECT_TRUE(both.is_tokenizer_json());
  EXPECT_EQ(both.model_max_length(), 256u);  // tokenizer_config.json says 256, as the file
  EXPECT_EQ(both.mask_id(), std::optional<int32_t>(103));
  const auto& names = tokenizer::tokenizer_file_names();
  EXPECT_EQ(names.front(), "tokenizer.json");
  EXPECT_NE(std::find(names.begin(), names.end(), "merges.txt"), names.end());
}

}  // namespace
}  // namespace ordo::test
