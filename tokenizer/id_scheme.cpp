#include "id_scheme.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "ordo/error.h"

namespace ordo::tokenizer {
namespace {

// fairseq's dictionary puts four specials first; <mask> comes after every piece.
const std::map<std::string, int32_t> kFairseqSpecials = {
    {"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
constexpr int32_t kFairseqOffset = 1;

}  // namespace

IdMapper::IdMapper(const SentencePieceModel& model, IdScheme scheme,
                   const std::filesystem::path& vocab_json)
    : model_(model), scheme_(scheme) {
  if (scheme != IdScheme::vocab_json) return;
  std::ifstream in(vocab_json);
  if (!in) throw Error(vocab_json.string() + ": cannot open file");
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(vocab_json.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!document.is_object()) throw Error(vocab_json.string() + ": must map token strings to ids");
  for (const auto& [token, id] : document.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      throw Error(vocab_json.string() + ": token '" + token + "' has id " + id.dump() +
                  ", expected a non-negative integer");
    }
    vocab_[token] = id.get<int32_t>();
    vocab_by_id_[id.get<int32_t>()] = token;
  }
  const auto unknown = vocab_.find("<unk>");
  if (unknown == vocab_.end()) throw Error(vocab_json.string() + ": has no <unk> token");
  unknown_ = unknown->second;
}

int32_t IdMapper::to_model_id(const Piece& piece) const {
  switch (scheme_) {
    case IdScheme::native:
      return piece.id;
    case IdScheme::fairseq: {
      if (piece.id == model_.unk_id()) return kFairseqSpecials.at("<unk>");
      const auto special = kFairseqSpecials.find(piece.text);
      if (special != kFairseqSpecials.end()) return special->second;
      return piece.id + kFairseqOffset;
    }
    case IdScheme::vocab_json: {
      const auto found = vocab_.find(piece.text);
      return found == vocab_.end() ? unknown_ : found->second;
    }
  }
  return piece.id;
}

bool IdMapper::has_token(const std::string& token) const {
  switch (scheme_) {
    case IdScheme::native:
      return model_.piece_to_id(token) != model_.unk_id() ||
             token == model_.id_to_piece(model_.unk_id());
    case IdScheme::fairseq:
      return token == "<mask>" || kFairseqSpecials.count(token) ||
             model_.piece_to_id(token) != model_.unk_id();
    case IdScheme::vocab_json:
      return vocab_.count(token) != 0;
  }
  return false;
}

int32_t IdMapper::special_id(const std::string& token) const {
  if (!has_token(token))
    throw Error(model_.path().string() + ": the tokenizer has no token '" + token + "'");
  switch (scheme_) {
    case IdScheme::native:
      return model_.piece_to_id(token);
    case IdScheme::fairseq: {
      if (token == "<mask>") return model_.size() + kFairseqOffset;
      const auto special = kFairseqSpecials.find(token);
      return special != kFairseqSpecials.end() ? special->second
                                               : model_.piece_to_id(token) + kFairseqOffset;
    }
    case IdScheme::vocab_json:
      return vocab_.at(token);
  }
  return 0;
}

int IdMapper::to_piece_id(int32_t model_id) const {
  switch (scheme_) {
    case IdScheme::native:
      return model_id >= 0 && model_id < model_.size() ? model_id : -1;
    case IdScheme::fairseq: {
      if (model_id == kFairseqSpecials.at("<unk>")) return model_.unk_id();
      const int piece = model_id - kFairseqOffset;
      return model_id > 3 && piece < model_.size() ? piece : -1;
    }
    case IdScheme::vocab_json: {
      const auto found = vocab_by_id_.find(model_id);
      if (found == vocab_by_id_.end()) return -1;
      const int piece = model_.piece_to_id(found->second);
      return piece == model_.unk_id() && found->second != "<unk>" ? -1 : piece;
    }
  }
  return -1;
}

std::string IdMapper::token(int32_t model_id) const {
  if (scheme_ == IdScheme::vocab_json) {
    const auto found = vocab_by_id_.find(model_id);
    return found == vocab_by_id_.end() ? "" : found->second;
  }
  if (scheme_ == IdScheme::fairseq) {
    for (const auto& [name, id] : kFairseqSpecials) {
      if (id == model_id) return name;
    }
    if (model_id == model_.size() + kFairseqOffset) return "<mask>";
  }
  const int piece = to_piece_id(model_id);
  return piece < 0 ? "" : model_.id_to_piece(piece);
}

int32_t IdMapper::vocab_size() const {
  switch (scheme_) {
    case IdScheme::native:
      return model_.size();
    case IdScheme::fairseq:
      return model_.size() + kFairseqOffset + 1;
    case IdScheme::vocab_json:
      return vocab_by_id_.empty() ? 0 : vocab_by_id_.rbegin()->first + 1;
  }
  return 0;
}

}  // namespace ordo::tokenizer
