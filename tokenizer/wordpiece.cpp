#include "wordpiece.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <fstream>

#include "ordo/error.h"
#include "utf8.h"

namespace ordo::tokenizer {
namespace {

struct CodePoint {
  char32_t value;
  size_t begin, end;  // bytes in the input
};

std::vector<CodePoint> decode_utf8(std::string_view text) {
  std::vector<CodePoint> out;
  for (size_t i = 0; i < text.size();) {
    const size_t begin = i;
    const char32_t value = next_code_point(text, i);
    out.push_back({value, begin, i});
  }
  return out;
}

// Hugging Face's _is_whitespace, _is_control, _is_punctuation and _is_chinese_char.
bool is_whitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || u_charType(c) == U_SPACE_SEPARATOR;
}

// Python's str.split() also breaks at U+2028 and U+2029, which _clean_text keeps.
bool splits_words(char32_t c) {
  return is_whitespace(c) || u_charType(c) == U_LINE_SEPARATOR ||
         u_charType(c) == U_PARAGRAPH_SEPARATOR;
}

bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (u_charType(c)) {  // every category starting with "C"
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
      (c >= 123 && c <= 126))
    return true;
  switch (u_charType(c)) {  // every category starting with "P"
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

bool is_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

icu::UnicodeString to_icu(const std::u32string& text) {
  return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(text.data()),
                                       static_cast<int32_t>(text.size()));
}

std::u32string from_icu(const icu::UnicodeString& text) {
  std::u32string out;
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    out += static_cast<char32_t>(c);
    i += U16_LENGTH(c);
  }
  return out;
}

const icu::Normalizer2& normalizer(bool decompose) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* instance = decompose ? icu::Normalizer2::getNFDInstance(status)
                                               : icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || instance == nullptr)
    throw Error(std::string("ICU: cannot load the normalizer: ") + u_errorName(status));
  return *instance;
}

std::u32string normalize(const std::u32string& text, bool decompose) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString result = normalizer(decompose).normalize(to_icu(text), status);
  if (U_FAILURE(status))
    throw Error(std::string("ICU normalisation failed: ") + u_errorName(status));
  return from_icu(result);
}

}  // namespace

WordPieceModel::WordPieceModel(const std::filesystem::path& vocab_txt, WordPieceOptions options)
    : path_(vocab_txt), options_(std::move(options)) {
  std::ifstream in(vocab_txt, std::ios::binary);
  if (!in) throw Error(vocab_txt.string() + ": cannot open the WordPiece vocabulary");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A repeated token keeps its first id, as in Hugging Face's load_vocab (the last wins
    // there for the token -> id map; both agree on real vocabularies, which have no repeats).
    ids_.emplace(line, static_cast<int>(tokens_.size()));
    tokens_.push_back(line);
  }
  if (tokens_.empty()) throw Error(vocab_txt.string() + ": the WordPiece vocabulary is empty");
  const int unknown = id(options_.unknown);
  if (unknown < 0)
    throw Error(vocab_txt.string() + ": the unknown token '" + options_.unknown +
                "' is not in the vocabulary");
  unknown_id_ = unknown;
}

int WordPieceModel::id(std::string_view token) const {
  const auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

const std::string& WordPieceModel::token(int id) const {
  if (id < 0 || id >= size())
    throw Error(path_.string() + ": id " + std::to_string(id) + " is outside the vocabulary (" +
                std::to_string(size()) + " tokens)");
  return tokens_[static_cast<size_t>(id)];
}

std::vector<WordPieceModel::Word> WordPieceModel::basic_tokens(std::string_view text) const {
  // Clean, space out CJK ideographs and split on whitespace, keeping byte spans.
  std::vector<std::vector<CodePoint>> raw_words(1);
  for (const CodePoint& c : decode_utf8(text)) {
    if (c.value == 0 || c.value == 0xFFFD || is_control(c.value)) continue;
    if (splits_words(c.value)) {
      if (!raw_words.back().empty()) raw_words.emplace_back();
    } else if (options_.split_chinese && is_chinese(c.value)) {
      if (!raw_words.back().empty()) raw_words.emplace_back();
      raw_words.back().push_back(c);
      raw_words.emplace_back();
    } else {
      raw_words.back().push_back(c);
    }
  }
  std::vector<Word> words;
  for (const auto& raw : raw_words) {
    if (raw.empty()) continue;
    std::u32string original;
    for (const CodePoint& c : raw) original += c.value;
    std::u32string text32 = normalize(original, false);  // NFC, as BasicTokenizer does first
    if (options_.lower_case) {
      icu::UnicodeString lowered = to_icu(text32);
      lowered.toLower(icu::Locale::getRoot());
      text32 = from_icu(lowered);
    }
    if (options_.strip_accents) {
      std::u32string stripped;
      for (char32_t c : normalize(text32, true))
        if (u_charType(c) != U_NON_SPACING_MARK) stripped += c;
      text32 = stripped;
    }
    // Split off punctuation; character-aligned spans only when nothing changed the length.
    const bool aligned = text32.size() == raw.size();
    Word current;
    auto flush = [&] {
      if (!current.text.empty()) words.push_back(std::move(current));
      current = Word{};
    };
    for (size_t i = 0; i < text32.size(); ++i) {
      const size_t begin = aligned ? raw[i].begin : raw.front().begin;
      const size_t end = aligned ? raw[i].end : raw.back().end;
      if (is_punctuation(text32[i])) {
        flush();
        current = Word{std::u32string(1, text32[i]), {}, begin, end};
        if (aligned) current.ends.push_back(end);
        flush();
        continue;
      }
      if (current.text.empty()) current.begin = begin;
      current.text += text32[i];
      current.end = end;
      if (aligned) current.ends.push_back(end);
    }
    flush();
  }
  return words;
}

void WordPieceModel::word_pieces(const Word& word, std::vector<Piece>& out) const {
  const size_t first = out.size();
  auto unknown = [&] {
    out.resize(first);
    out.push_back(Piece{options_.unknown, unknown_id_, word.begin, word.end});
  };
  if (word.text.size() > options_.max_word_characters) return unknown();
  for (size_t start = 0; start < word.text.size();) {
    int found = -1;
    size_t end = word.text.size();
    std::string candidate;
    for (; end > start; --end) {
      candidate = start > 0 ? "##" : "";
      for (size_t i = start; i < end; ++i) append_utf8(candidate, word.text[i]);
      found = id(candidate);
      if (found >= 0) break;
    }
    if (found < 0) return unknown();
    const bool aligned = !word.ends.empty();
    const size_t begin = aligned ? (start == 0 ? word.begin : word.ends[start - 1]) : word.begin;
    out.push_back(Piece{candidate, found, begin, aligned ? word.ends[end - 1] : word.end});
    start = end;
  }
}

std::vector<Piece> WordPieceModel::encode(std::string_view text) const {
  require_valid_utf8(text, "text");
  std::vector<Piece> pieces;
  for (const Word& word : basic_tokens(text)) word_pieces(word, pieces);
  return pieces;
}

std::string WordPieceModel::decode(const std::vector<int>& ids) const {
  std::string out;
  for (int id : ids) {
    const std::string& piece = token(id);
    if (piece.rfind("##", 0) == 0) {
      out += piece.substr(2);
    } else {
      if (!out.empty()) out += ' ';
      out += piece;
    }
  }
  // clean_up_tokenization_spaces, on by default for BERT tokenizers.
  static const std::pair<const char*, const char*> kCleanups[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kCleanups) {
    const std::string needle = from;
    for (size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at)) {
      out.replace(at, needle.size(), to);
      at += std::string(to).size();
    }
  }
  return out;
}

}  // namespace ordo::tokenizer
