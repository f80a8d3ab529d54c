// WordPiece as tokenizers/src/models/wordpiece: the longest vocabulary prefix, then the longest
// "##"-prefixed continuation, and the whole word as the unknown token when any part fails.
#include <algorithm>

#include "json_node.h"
#include "models.h"
#include "ordo/error.h"

namespace ordo::tokenizer::hf {

std::unique_ptr<Model> make_wordpiece(const JsonNode& node);

namespace {

class WordPiece : public Model {
 public:
  explicit WordPiece(const JsonNode& node)
      : unknown_(node.at("unk_token").string()),
        prefix_(node.has("continuing_subword_prefix")
                    ? node.at("continuing_subword_prefix").string()
                    : "##"),
        max_chars_(static_cast<size_t>(
            node.integer("max_input_chars_per_word", 100, 0, int64_t{1} << 40))) {
    const JsonNode vocab = node.at("vocab");
    vocab.require_object();
    for (const auto& [token, id] : vocab.value().items()) {
      const JsonNode entry = vocab.member(token, id);
      vocab_.add(token, entry.integer(0, kMaxVocabularyId), entry);
      longest_ = std::max(longest_, token.size());
    }
    const auto unknown = vocab_.find(unknown_);
    if (!unknown) node.at("unk_token").fail("'" + unknown_ + "' is not in the vocabulary");
    unknown_id_ = *unknown;
  }

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    size_t chars = 0;
    for (char c : word) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    const size_t first = out.size();
    if (chars > max_chars_) {
      out.push_back({unknown_id_, unknown_, {0, word.size()}});
      return;
    }
    std::string candidate;
    for (size_t start = 0; start < word.size();) {
      // No piece is longer than the longest token: start there (same result, fewer lookups).
      size_t end = std::min(word.size(), start + longest_);
      while (end > start && end < word.size() &&
             (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80)
        --end;
      std::optional<int32_t> found;
      while (start < end) {
        candidate.clear();
        if (start > 0) candidate += prefix_;
        candidate.append(word.substr(start, end - start));
        found = vocab_.find(candidate);
        if (found) break;
        do --end;  // back to the previous code point boundary
        while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
      }
      if (!found) {
        out.resize(first);
        out.push_back({unknown_id_, unknown_, {0, word.size()}});
        return;
      }
      out.push_back({*found, candidate, {start, end}});
      start = end;
    }
  }

 private:
  std::string unknown_;
  std::string prefix_;
  size_t max_chars_;
  size_t longest_ = 0;  // bytes of the longest token
  int32_t unknown_id_ = 0;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const JsonNode& node) {
  return std::make_unique<WordPiece>(node);
}

}  // namespace ordo::tokenizer::hf
