#include "sentencepiece_model.h"

#include <sentencepiece_processor.h>

#include "ordo/error.h"
#include "utf8.h"

namespace ordo::tokenizer {

SentencePieceModel::SentencePieceModel(const std::filesystem::path& path)
    : path_(path), processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  if (!std::filesystem::is_regular_file(path))
    throw Error(path.string() + ": tokenizer file not found");
  const auto status = processor_->Load(path.string());
  if (!status.ok()) {
    throw Error(path.string() + ": not a SentencePiece model (" + status.ToString() + ")");
  }
  // Read from behaviour rather than the trainer spec: only a dummy prefix can give the
  // whitespace-free text "a" a piece starting with "▁".
  const std::vector<Piece> probe = encode("a");
  dummy_prefix_ = !probe.empty() && probe.front().text.rfind("\u2581", 0) == 0;
}

SentencePieceModel::~SentencePieceModel() = default;
SentencePieceModel::SentencePieceModel(SentencePieceModel&&) noexcept = default;
SentencePieceModel& SentencePieceModel::operator=(SentencePieceModel&&) noexcept = default;

std::vector<Piece> SentencePieceModel::encode(std::string_view text) const {
  require_valid_utf8(text, "input text");
  const auto proto = processor_->EncodeAsImmutableProto(text);
  std::vector<Piece> pieces;
  pieces.reserve(proto.pieces_size());
  for (const auto& piece : proto.pieces()) {
    pieces.push_back(
        Piece{piece.piece(), static_cast<int>(piece.id()), piece.begin(), piece.end()});
  }
  return pieces;
}

std::vector<Piece> SentencePieceModel::encode_continuation(std::string_view text) const {
  const bool leading_space = !text.empty() && (text.front() == ' ' || text.front() == '\t' ||
                                               text.front() == '\n' || text.front() == '\r');
  if (dummy_prefix_ || !leading_space) return encode(text);
  // Encode behind a one-letter word: whitespace splits pieces (SentencePiece's default
  // split_by_whitespace), so the letter's pieces end at byte 1 and the rest are exactly the
  // pieces `text` has after a word. A model whose pieces cross that boundary keeps encode().
  std::string behind_a_word = "a";
  behind_a_word.append(text);
  std::vector<Piece> pieces = encode(behind_a_word);
  size_t first = 0;
  while (first < pieces.size() && pieces[first].end <= 1) ++first;
  if (first == 0 || first == pieces.size() || pieces[first].begin < 1) return encode(text);
  pieces.erase(pieces.begin(), pieces.begin() + static_cast<std::ptrdiff_t>(first));
  for (Piece& piece : pieces) {
    piece.begin -= 1;
    piece.end -= 1;
  }
  return pieces;
}

std::string SentencePieceModel::decode(const std::vector<int>& ids) const {
  for (int id : ids) {
    if (id < 0 || id >= size()) {
      throw Error(path_.string() + ": cannot decode id " + std::to_string(id) +
                  " (vocabulary has " + std::to_string(size()) + " pieces)");
    }
  }
  std::string text;
  const auto status = processor_->Decode(ids, &text);
  if (!status.ok()) throw Error(path_.string() + ": decode failed (" + status.ToString() + ")");
  return text;
}

int SentencePieceModel::size() const {
  return processor_->GetPieceSize();
}
int SentencePieceModel::piece_to_id(std::string_view piece) const {
  return processor_->PieceToId(piece);
}
const std::string& SentencePieceModel::id_to_piece(int id) const {
  return processor_->IdToPiece(id);
}
int SentencePieceModel::unk_id() const {
  return processor_->unk_id();
}
bool SentencePieceModel::is_control(int id) const {
  return processor_->IsControl(id);
}

}  // namespace ordo::tokenizer
