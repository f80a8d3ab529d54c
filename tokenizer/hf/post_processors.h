#pragma once
// tokenizer.json "post_processor": TemplateProcessing, BertProcessing, RobertaProcessing,
// ByteLevel (offsets only) and Sequence: special tokens around one text or a pair, and the
// token type of each token.
#include <memory>
#include <string>
#include <vector>

#include "models.h"

namespace ordo::tokenizer::hf {

class JsonNode;

// One text's tokens (or, once processed, any part of the result); `sequence` -1 = special.
struct Part {
  std::vector<Token> tokens;
  std::vector<int32_t> type_ids;
  std::vector<int> sequence;
  std::vector<bool> special;
  void add(Token token, int32_t type_id, int which, bool is_special);
  void reserve(size_t count);
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Special tokens this processor adds for a single text or a pair.
  virtual size_t added_tokens(bool pair) const = 0;
  // `parts` holds one Part per text on entry; on return the parts to concatenate.
  virtual void process(std::vector<Part>& parts, bool add_special_tokens) const = 0;
};

// null -> nullptr. Unknown types and bad fields throw ordo::Error naming the JSON path.
std::unique_ptr<PostProcessor> make_post_processor(const JsonNode& node);

}  // namespace ordo::tokenizer::hf
