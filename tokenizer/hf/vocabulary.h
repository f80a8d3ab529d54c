#pragma once
// Token strings <-> ids for the models, looked up by string_view without building a string
// per lookup, and a byte trie for prefix searches (Unigram's lattice, added tokens).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ordo::tokenizer::hf {

class JsonNode;

// Far above any real vocabulary (the largest are ~260k); a file claiming more is refused.
constexpr int64_t kMaxVocabularyId = (int64_t{1} << 24) - 1;

class Vocabulary {
 public:
  // Adds `token` as `id`; throws at `where` when the id or the token is already taken or the
  // id is outside [0, kMaxVocabularyId].
  void add(std::string token, int64_t id, const JsonNode& where);
  // Ids may leave holes (tokens defined only among the added tokens); size() is the largest+1.
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t count() const { return count_; }
  std::optional<int32_t> find(std::string_view token) const;
  const std::string* token(int32_t id) const;  // nullptr for unknown ids

 private:
  void grow();
  static uint64_t hash(std::string_view text);
  std::vector<std::string> tokens_;  // by id; "" with present_ false for holes
  std::vector<bool> present_;
  std::vector<int32_t> slots_;  // open addressing: id + 1, 0 = empty
  int32_t count_ = 0;
};

class ByteTrie {
 public:
  ByteTrie() : nodes_(1) {}
  void insert(std::string_view key, int32_t value);
  // Calls on_match(length, value) for every key that is a prefix of `text`, shortest first.
  template <typename OnMatch>
  void prefixes(std::string_view text, OnMatch on_match) const {
    int32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<uint8_t>(text[i]));
      if (node < 0) return;
      if (nodes_[static_cast<size_t>(node)].value >= 0)
        on_match(i + 1, nodes_[static_cast<size_t>(node)].value);
    }
  }
  bool empty() const { return nodes_.size() == 1; }
  // False when no key starts with `byte`: most positions of a text are skipped at once.
  bool may_start(uint8_t byte) const { return first_bytes_[byte]; }

 private:
  struct Node {
    int32_t value = -1;
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
  };
  int32_t child(int32_t node, uint8_t byte) const;
  std::vector<Node> nodes_;
  std::array<bool, 256> first_bytes_{};
};

}  // namespace ordo::tokenizer::hf
