#pragma once
// WordPiece for `vocab.txt` models (bert-base-uncased, all-MiniLM-L6-v2, ...), as Hugging Face's
// BertTokenizer does it: BasicTokenizer (drop NUL, U+FFFD and control characters, whitespace to
// spaces, a space around every CJK ideograph, NFC, split on whitespace, lowercase and strip
// accents (NFD, drop Mn) when configured, split off every punctuation character) then greedy
// longest-match WordPiece with `##` continuations. Unicode categories, case mapping and
// normalisation come from ICU.
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sentencepiece_model.h"  // Piece

namespace ordo::tokenizer {

struct WordPieceOptions {
  bool lower_case = true;         // tokenizer_config.json do_lower_case
  bool strip_accents = true;      // strip_accents; null there means "as lower_case"
  bool split_chinese = true;      // tokenize_chinese_chars
  std::string unknown = "[UNK]";  // unk_token
  size_t max_word_characters = 100;
};

class WordPieceModel {
 public:
  // Reads one token per line; throws ordo::Error naming the file when it is unreadable, empty,
  // or lacks the unknown token.
  WordPieceModel(const std::filesystem::path& vocab_txt, WordPieceOptions options);

  // `text` must be valid UTF-8 without NUL bytes (checked). Piece::id is the vocabulary id;
  // spans are bytes of `text`. When lowercasing or accent stripping changed a word's length in
  // code points, each of its pieces spans the whole word.
  std::vector<Piece> encode(std::string_view text) const;
  // Tokens joined by spaces with " ##" continuations glued back, as Hugging Face decodes.
  std::string decode(const std::vector<int>& ids) const;

  int size() const { return static_cast<int>(tokens_.size()); }
  int id(std::string_view token) const;  // -1 when absent
  const std::string& token(int id) const;
  const std::filesystem::path& path() const { return path_; }
  const WordPieceOptions& options() const { return options_; }

 private:
  struct Word {
    std::u32string text;       // after normalisation
    std::vector<size_t> ends;  // byte end of each code point, or empty when not aligned
    size_t begin = 0, end = 0;
  };
  std::vector<Word> basic_tokens(std::string_view text) const;
  void word_pieces(const Word& word, std::vector<Piece>& out) const;

  std::filesystem::path path_;
  WordPieceOptions options_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> ids_;
  int unknown_id_ = 0;
};

}  // namespace ordo::tokenizer
