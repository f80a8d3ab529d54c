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
