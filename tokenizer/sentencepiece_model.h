#pragma once
// A SentencePiece model over Debian's libsentencepiece: text to pieces with their ids and the
// byte span each covers in the input, and ids back to text. Nothing is reimplemented.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace ordo::tokenizer {

struct Piece {
  std::string text;  // the piece as in the vocabulary, e.g. "▁word"
  int id = 0;        // SentencePiece's own id
  size_t begin = 0;  // byte span [begin, end) of the input it came from
  size_t end = 0;
};

class SentencePieceModel {
 public:
  // Throws ordo::Error naming the file if it is missing or not a SentencePiece model.
  explicit SentencePieceModel(const std::filesystem::path& path);
  ~SentencePieceModel();
  SentencePieceModel(SentencePieceModel&&) noexcept;
  SentencePieceModel& operator=(SentencePieceModel&&) noexcept;

  // `text` must be valid UTF-8 without NUL bytes (checked; throws ordo::Error otherwise).
  std::vector<Piece> encode(std::string_view text) const;
  // The pieces `text` would get in the middle of a longer text, after a word: as encode(), but
  // leading whitespace marks the first word ("▁files") even in a model without a dummy prefix,
  // where encode() drops it (a text's first word has no "▁" there). For text that follows a
  // special token such as [MASK].
  std::vector<Piece> encode_continuation(std::string_view text) const;
  std::string decode(const std::vector<int>& ids) const;

  int size() const;
  int piece_to_id(std::string_view piece) const;  // unk_id() when absent
  const std::string& id_to_piece(int id) const;
  int unk_id() const;
  bool is_control(int id) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  bool dummy_prefix_ = true;  // the model marks a text's first word with "▁" (add_dummy_prefix)
};

}  // namespace ordo::tokenizer
