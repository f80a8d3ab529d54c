#pragma once
// tokenizer.json "added_tokens": found in the text before the model sees it, as tokenizers'
// AddedVocabulary does: tokens with normalized=false are matched in the raw text first, the
// rest is normalised, then tokens with normalized=true are matched in the normalised text.
// Matching is leftmost-longest; single_word, lstrip and rstrip as there.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "normalizers.h"
#include "pre_tokenizers.h"
#include "vocabulary.h"

namespace ordo::tokenizer::hf {

class JsonNode;
class Model;

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false, single_word = false, lstrip = false, rstrip = false, normalized = true;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `node` is the "added_tokens" array (or null); `normalizer` normalises the contents of
  // tokens with normalized=true, as tokenizers does when it builds its matcher.
  AddedVocabulary(const JsonNode& node, const Normalizer* normalizer);

  // The text split around added tokens, every other part normalised.
  Segments extract_and_normalize(std::string_view text, const Normalizer* normalizer) const;

  const AddedToken* find(int32_t id) const;
  const AddedToken* find(std::string_view content) const;
  bool is_special(std::string_view content) const;
  int32_t largest_id() const { return largest_id_; }  // -1 when there are none
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  void split(Segments& segments, const ByteTrie& trie) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, size_t> by_content_;
  ByteTrie raw_, normalized_;  // content -> index in tokens_
  int32_t largest_id_ = -1;
};

}  // namespace ordo::tokenizer::hf
