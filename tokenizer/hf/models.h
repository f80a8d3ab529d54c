#pragma once
// tokenizer.json "model": WordPiece, BPE and Unigram, each following the tokenizers library's
// algorithm (greedy longest match; rank-ordered merges over a linked list of symbols;
// Viterbi in double precision), turning one pre-tokenized word into tokens.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aligned_text.h"
#include "vocabulary.h"

namespace ordo::tokenizer::hf {

class JsonNode;

struct Token {
  int32_t id = 0;
  std::string value;
  Span span;  // bytes of the word the model saw (model output) or of the original text
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of `word` (not empty), with spans in `word`'s bytes.
  virtual void tokenize(std::string_view word, std::vector<Token>& out) const = 0;
  std::optional<int32_t> token_to_id(std::string_view token) const { return vocab_.find(token); }
  const std::string* id_to_token(int32_t id) const { return vocab_.token(id); }
  int32_t vocab_size() const { return vocab_.size(); }

 protected:
  Vocabulary vocab_;
};

// Unknown types, a dropout above 0, merges naming unknown pieces, duplicated or out-of-range
// ids throw ordo::Error naming the JSON path.
std::unique_ptr<Model> make_model(const JsonNode& node);

}  // namespace ordo::tokenizer::hf
