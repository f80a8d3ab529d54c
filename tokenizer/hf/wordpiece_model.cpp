// WordPiece as tokenizers/src/models/wordpiece: the longest vocabulary prefix, then the longest
// "##"-prefixed continuation, and the whole word as the unknown token when any part fails.
// Words split into several pieces are cached as BPE's are (tokenizers does not, but the result
// is the same): running text repeats its words, and a hit skips the longest-match probes.
#include <algorithm>
#include <mutex>
#include <unordered_map>

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
    // Most words are tokens themselves: split()'s first probe, answered without the cache.
    if (word.size() <= longest_ && word.size() <= max_chars_) {
      if (const auto id = vocab_.find(word)) {
        out.push_back({*id, std::string(word), {0, word.size()}});
        return;
      }
    }
    const bool cacheable = word.size() < kCacheWordBytes;
    if (cacheable) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      thread_local std::string key;  // reused: no allocation per lookup
      key.assign(word);
      const auto hit = cache_.find(key);
      if (hit != cache_.end()) {
        for (const auto& [id, span] : hit->second) out.push_back({id, *vocab_.token(id), span});
        return;
      }
    }
    const size_t first = out.size();
    split(word, out);
    if (!cacheable) return;
    std::vector<std::pair<int32_t, Span>> tokens;
    tokens.reserve(out.size() - first);
    for (size_t k = first; k < out.size(); ++k) tokens.push_back({out[k].id, out[k].span});
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::string(word), std::move(tokens));
  }

 private:
  static constexpr size_t kCacheCapacity = 10000;
  static constexpr size_t kCacheWordBytes = 256;

  void split(std::string_view word, std::vector<Token>& out) const {
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

  std::string unknown_;
  std::string prefix_;
  size_t max_chars_;
  size_t longest_ = 0;  // bytes of the longest token
  int32_t unknown_id_ = 0;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::pair<int32_t, Span>>> cache_;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const JsonNode& node) {
  return std::make_unique<WordPiece>(node);
}

}  // namespace ordo::tokenizer::hf
