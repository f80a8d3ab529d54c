#include "vocabulary.h"

#include <algorithm>

#include "json_node.h"

namespace ordo::tokenizer::hf {

uint64_t Vocabulary::hash(std::string_view text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h ^ (h >> 29);
}

void Vocabulary::add(std::string token, int64_t id, const JsonNode& where) {
  if (id < 0 || id > kMaxVocabularyId)
    where.fail("id " + std::to_string(id) + " is outside [0, " + std::to_string(kMaxVocabularyId) +
               "]");
  if (const auto existing = find(token))
    where.fail("token '" + token + "' appears twice (ids " + std::to_string(*existing) + " and " +
               std::to_string(id) + ")");
  const auto index = static_cast<size_t>(id);
  if (index >= tokens_.size()) {
    tokens_.resize(index + 1);
    present_.resize(index + 1, false);
  }
  if (present_[index])
    where.fail("id " + std::to_string(id) + " is given to both '" + tokens_[index] + "' and '" +
               token + "'");
  tokens_[index] = std::move(token);
  present_[index] = true;
  ++count_;
  if (slots_.size() < 2 * static_cast<size_t>(count_) + 2) {
    grow();
  } else {
    size_t slot = hash(tokens_[index]) & (slots_.size() - 1);
    while (slots_[slot] != 0) slot = (slot + 1) & (slots_.size() - 1);
    slots_[slot] = static_cast<int32_t>(index) + 1;
  }
}

void Vocabulary::grow() {
  size_t capacity = 16;
  while (capacity < 4 * static_cast<size_t>(count_)) capacity *= 2;
  slots_.assign(capacity, 0);
  for (size_t id = 0; id < tokens_.size(); ++id) {
    if (!present_[id]) continue;
    size_t slot = hash(tokens_[id]) & (capacity - 1);
    while (slots_[slot] != 0) slot = (slot + 1) & (capacity - 1);
    slots_[slot] = static_cast<int32_t>(id) + 1;
  }
}

std::optional<int32_t> Vocabulary::find(std::string_view token) const {
  if (slots_.empty()) return std::nullopt;
  for (size_t slot = hash(token) & (slots_.size() - 1); slots_[slot] != 0;
       slot = (slot + 1) & (slots_.size() - 1)) {
    const int32_t id = slots_[slot] - 1;
    if (tokens_[static_cast<size_t>(id)] == token) return id;
  }
  return std::nullopt;
}

const std::string* Vocabulary::token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !present_[static_cast<size_t>(id)])
    return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

int32_t ByteTrie::child(int32_t node, uint8_t byte) const {
  const auto& children = nodes_[static_cast<size_t>(node)].children;
  const auto it = std::lower_bound(children.begin(), children.end(), byte,
                                   [](const auto& entry, uint8_t b) { return entry.first < b; });
  return it != children.end() && it->first == byte ? it->second : -1;
}

void ByteTrie::insert(std::string_view key, int32_t value) {
  if (!key.empty()) first_bytes_[static_cast<uint8_t>(key[0])] = true;
  int32_t node = 0;
  for (char c : key) {
    const auto byte = static_cast<uint8_t>(c);
    int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      auto& children = nodes_[static_cast<size_t>(node)].children;
      children.insert(
          std::lower_bound(children.begin(), children.end(), byte,
                           [](const auto& entry, uint8_t b) { return entry.first < b; }),
          {byte, next});
      nodes_.emplace_back();
    }
    node = next;
  }
  if (nodes_[static_cast<size_t>(node)].value < 0) nodes_[static_cast<size_t>(node)].value = value;
}

}  // namespace ordo::tokenizer::hf
