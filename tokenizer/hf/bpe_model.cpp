// BPE as tokenizers/src/models/bpe: each character looked up (with the continuing-subword
// prefix and end-of-word suffix; byte fallback or the unknown token, fused when asked), then
// merges applied lowest rank first (leftmost on ties) on a linked list of symbols. Words are
// cached, as tokenizers does, since the same words recur.
#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

#include "json_node.h"
#include "models.h"
#include "ordo/error.h"

namespace ordo::tokenizer::hf {

std::unique_ptr<Model> make_bpe(const JsonNode& node);

namespace {

struct Symbol {
  int32_t id;
  int32_t prev, next;
  size_t length;  // bytes; 0 once merged into its left neighbour
};

struct Merge {
  uint32_t rank;
  int32_t position;
  int32_t new_id;
  int32_t left_id, right_id;  // the pair when queued: unchanged, the rule still holds
  bool operator>(const Merge& other) const {
    return rank != other.rank ? rank > other.rank : position > other.position;
  }
};

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

// Merge rules by pair of ids: open addressing with a multiplicative hash, since the lookup runs
// for every pair of neighbours in every word (std::unordered_map was a tenth of the time).
class MergeTable {
 public:
  struct Entry {
    uint64_t key = kEmpty;
    uint32_t rank = 0;
    int32_t merged = 0;
  };
  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < 2 * count) capacity *= 2;
    entries_.assign(capacity, Entry{});
  }
  // At most as many keys as reserved for.
  void set(uint64_t key, uint32_t rank, int32_t merged) {
    entries_[slot(key)] = {key, rank, merged};
  }
  const Entry* find(uint64_t key) const {
    const Entry& entry = entries_[slot(key)];
    return entry.key == kEmpty ? nullptr : &entry;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are below 2^24: never a key
  size_t slot(uint64_t key) const {
    const size_t mask = entries_.size() - 1;
    size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
    while (entries_[i].key != kEmpty && entries_[i].key != key) i = (i + 1) & mask;
    return i;
  }
  std::vector<Entry> entries_;
};

class Bpe : public Model {
 public:
  explicit Bpe(const JsonNode& node) {
    if (node.has("dropout")) {
      const double dropout = node.at("dropout").number();
      if (dropout != 0.0)
        node.at("dropout").fail("BPE dropout (" + std::to_string(dropout) +
                                ") makes tokenization random; only null or 0 is supported");
    }
    unknown_ = node.optional_string("unk_token");
    prefix_ = node.optional_string("continuing_subword_prefix").value_or("");
    suffix_ = node.optional_string("end_of_word_suffix").value_or("");
    fuse_unknown_ = node.boolean("fuse_unk", false);
    byte_fallback_ = node.boolean("byte_fallback", false);
    ignore_merges_ = node.boolean("ignore_merges", false);
    const JsonNode vocab = node.at("vocab");
    vocab.require_object();
    for (const auto& [token, id] : vocab.value().items()) {
      const JsonNode entry = vocab.member(token, id);
      vocab_.add(token, entry.integer(0, kMaxVocabularyId), entry);
    }
    read_merges(node.at("merges"));
    // Without a prefix or suffix an ASCII character's piece is the character itself.
    ascii_ids_.fill(-1);
    if (prefix_.empty() && suffix_.empty()) {
      for (int c = 0; c < 0x80; ++c) {
        if (const auto id = vocab_.find(std::string(1, static_cast<char>(c))))
          ascii_ids_[static_cast<size_t>(c)] = *id;
      }
    }
  }

  void tokenize(std::string_view word, std::vector<Token>& out) const override {
    if (ignore_merges_) {
      if (const auto id = vocab_.find(word)) {
        out.push_back({*id, std::string(word), {0, word.size()}});
        return;
      }
    }
    if (word.size() < kCacheWordBytes) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      thread_local std::string key;  // reused: no allocation per lookup
      key.assign(word);
      const auto hit = cache_.find(key);
      if (hit != cache_.end()) {
        for (const auto& [id, span] : hit->second) out.push_back({id, *vocab_.token(id), span});
        return;
      }
    }
    thread_local std::vector<Symbol> symbols;
    merge_word(word, symbols);
    // Spans add up the symbols' lengths, as tokenizers' Word does (byte-fallback symbols count
    // one byte each), kept inside the word.
    std::vector<std::pair<int32_t, Span>> tokens;
    size_t offset = 0;
    for (const Symbol& symbol : symbols) {
      if (symbol.length == 0) continue;
      const Span span{std::min(offset, word.size()), std::min(offset + symbol.length, word.size())};
      offset += symbol.length;
      tokens.push_back({symbol.id, span});
      out.push_back({symbol.id, *vocab_.token(symbol.id), span});
    }
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity && word.size() < kCacheWordBytes)
      cache_.emplace(std::string(word), std::move(tokens));
  }

 private:
  static constexpr size_t kCacheCapacity = 10000;  // as tokenizers' DEFAULT_CACHE_CAPACITY
  // Words of up to 256 characters (1,024 bytes), as far as the limits of tokenizers (256 bytes)
  // and transformers.js (256 UTF-16 units) reach at most: with no pre-tokenizer (Yi) a whole
  // line is one word, and "▁" for each space takes 3 bytes. Invisible in the result.
  static constexpr size_t kCacheWordBytes = 1024;

  void read_merges(const JsonNode& merges) {
    const size_t count = merges.size();
    merges_.reserve(std::max<size_t>(count, 1));
    for (size_t rank = 0; rank < count; ++rank) {
      const JsonNode merge = merges.at(rank);
      std::string left, right;
      if (merge.value().is_string()) {  // "a b", the older format
        const std::string text = merge.string();
        const size_t space = text.find(' ', 1);
        if (space == std::string::npos) merge.fail("expected two pieces separated by a space");
        left = text.substr(0, space);
        right = text.substr(space + 1);
      } else {
        if (merge.size() != 2) merge.fail("expected a pair of pieces");
        left = merge.at(size_t{0}).string();
        right = merge.at(size_t{1}).string();
      }
      const auto left_id = vocab_.find(left);
      const auto right_id = vocab_.find(right);
      if (!left_id) merge.fail("the piece '" + left + "' is not in the vocabulary");
      if (!right_id) merge.fail("the piece '" + right + "' is not in the vocabulary");
      const std::string merged =
          left + (right.size() >= prefix_.size() ? right.substr(prefix_.size()) : right);
      const auto merged_id = vocab_.find(merged);
      if (!merged_id) merge.fail("the merged piece '" + merged + "' is not in the vocabulary");
      // A repeated pair: the later entry wins, as when tokenizers collects them into a map.
      merges_.set(pair_key(*left_id, *right_id), static_cast<uint32_t>(rank), *merged_id);
    }
  }

  int32_t unknown_id() const {
    const auto id = vocab_.find(*unknown_);
    if (!id) throw Error("BPE: the unknown token '" + *unknown_ + "' is not in the vocabulary");
    return *id;
  }

  static void add_symbol(std::vector<Symbol>& symbols, int32_t id, size_t length) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, index - 1, -1, length});
    if (index > 0) symbols[static_cast<size_t>(index) - 1].next = index;
  }

  void merge_word(std::string_view word, std::vector<Symbol>& symbols) const {
    symbols.clear();
    std::string piece;
    std::optional<std::pair<int32_t, size_t>> pending_unknown;  // (id, bytes) of unknowns
    auto flush_unknown = [&] {
      if (!pending_unknown) return;
      add_symbol(symbols, pending_unknown->first, pending_unknown->second);
      pending_unknown.reset();
    };
    for (size_t i = 0; i < word.size();) {
      const size_t begin = i;
      next_code_point(word, i);
      const size_t length = i - begin;
      const auto byte = static_cast<unsigned char>(word[begin]);
      if (byte < 0x80 && ascii_ids_[byte] >= 0) {  // the common case, without a string
        flush_unknown();
        add_symbol(symbols, ascii_ids_[byte], 1);
        continue;
      }
      piece.clear();
      if (begin > 0) piece += prefix_;
      piece.append(word.substr(begin, length));
      if (i >= word.size()) piece += suffix_;
      if (const auto id = vocab_.find(piece)) {
        flush_unknown();
        add_symbol(symbols, *id, length);
        continue;
      }
      if (byte_fallback_ && add_bytes(symbols, piece)) continue;
      if (!unknown_) continue;  // no unknown token: the character is dropped
      if (pending_unknown && fuse_unknown_) {
        pending_unknown->second += length;
      } else {
        flush_unknown();
        pending_unknown = std::make_pair(unknown_id(), length);
      }
    }
    flush_unknown();
    apply_merges(symbols);
  }

  // tokenizers looks the bytes of the whole piece up (prefix and suffix included), each a
  // one-byte symbol <0xXX>; all or none.
  bool add_bytes(std::vector<Symbol>& symbols, const std::string& piece) const {
    int32_t ids[64] = {};
    if (piece.size() > 64) return false;
    for (size_t k = 0; k < piece.size(); ++k) {
      static const char* const kHex = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(piece[k]);
      const char name[7] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>', 0};
      const auto id = vocab_.find(std::string_view(name, 6));
      if (!id) return false;
      ids[k] = *id;
    }
    for (size_t k = 0; k < piece.size(); ++k) add_symbol(symbols, ids[k], 1);
    return true;
  }

  void apply_merges(std::vector<Symbol>& symbols) const {
    thread_local std::vector<Merge> queue;  // a min-heap on (rank, position)
    queue.clear();
    const auto later = [](const Merge& a, const Merge& b) { return a > b; };
    auto consider = [&](int32_t position) {
      const Symbol& left = symbols[static_cast<size_t>(position)];
      if (left.next < 0) return;
      const auto* found =
          merges_.find(pair_key(left.id, symbols[static_cast<size_t>(left.next)].id));
      if (found == nullptr) return;
      queue.push_back({found->rank, position, found->merged, left.id,
                       symbols[static_cast<size_t>(left.next)].id});
      std::push_heap(queue.begin(), queue.end(), later);
    };
    for (size_t i = 0; i + 1 < symbols.size(); ++i) consider(static_cast<int32_t>(i));
    while (!queue.empty()) {
      std::pop_heap(queue.begin(), queue.end(), later);
      const Merge top = queue.back();
      queue.pop_back();
      Symbol& left = symbols[static_cast<size_t>(top.position)];
      if (left.length == 0 || left.next < 0) continue;
      const Symbol right = symbols[static_cast<size_t>(left.next)];
      // tokenizers looks the current pair up again; when neither id changed since the merge was
      // queued the answer is the same, which saves a probe of the large table per merge.
      if (left.id != top.left_id || right.id != top.right_id) {
        const auto* current = merges_.find(pair_key(left.id, right.id));
        if (current == nullptr || current->merged != top.new_id) continue;  // stale
      }
      left.id = top.new_id;
      left.length += right.length;
      symbols[static_cast<size_t>(left.next)].length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.position;
      if (left.prev >= 0) consider(left.prev);
      consider(top.position);
    }
  }

  std::optional<std::string> unknown_;
  std::string prefix_, suffix_;
  bool fuse_unknown_ = false, byte_fallback_ = false, ignore_merges_ = false;
  MergeTable merges_;
  std::array<int32_t, 0x80> ascii_ids_{};  // -1: not a token by itself
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::pair<int32_t, Span>>> cache_;
};

}  // namespace

std::unique_ptr<Model> make_bpe(const JsonNode& node) {
  return std::make_unique<Bpe>(node);
}

}  // namespace ordo::tokenizer::hf
