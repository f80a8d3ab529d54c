#pragma once
// How a checkpoint numbers SentencePiece's pieces. Real checkpoints disagree:
//   native      the SentencePiece ids as they are (ordo's models, ALBERT)
//   fairseq     XLM-R and every model using its tokenizer: <s>=0 <pad>=1 </s>=2 <unk>=3, every
//               other piece at its SentencePiece id + 1, <mask> last (HF XLMRobertaTokenizer)
//   vocab_json  Marian: each piece looked up by its string in vocab.json, unknown -> <unk>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>

#include "sentencepiece_model.h"

namespace ordo::tokenizer {

enum class IdScheme { native, fairseq, vocab_json };

class IdMapper {
 public:
  IdMapper(const SentencePieceModel& model, IdScheme scheme,
           const std::filesystem::path& vocab_json = {});

  IdScheme scheme() const { return scheme_; }
  int32_t to_model_id(const Piece& piece) const;
  // Id of a special token given by its string, e.g. "[CLS]" or "</s>"; throws if unknown.
  int32_t special_id(const std::string& token) const;
  bool has_token(const std::string& token) const;
  // Model id -> SentencePiece id, or -1 for ids with no piece (fairseq <pad>, <mask>, ...).
  int to_piece_id(int32_t model_id) const;
  // Model id -> token string.
  std::string token(int32_t model_id) const;
  int32_t vocab_size() const;

 private:
  const SentencePieceModel& model_;
  IdScheme scheme_;
  std::unordered_map<std::string, int32_t> vocab_;  // vocab_json only
  std::map<int32_t, std::string> vocab_by_id_;
  int32_t unknown_ = 0;
};

}  // namespace ordo::tokenizer
