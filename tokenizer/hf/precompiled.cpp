// The Precompiled normalizer, ported from:
//   huggingface/spm_precompiled src/lib.rs (crate 0.1.4, what tokenizers 0.23 links): the blob
//     layout, DoubleArray::common_prefix_search, Precompiled::transform and normalize_string;
//   huggingface/tokenizers tokenizers/src/normalizers/precompiled.rs: the normalizer itself and
//     its alignments (replace(), then NormalizedString::transform in tokenizer/normalizer.rs);
//   google/sentencepiece src/normalizer.cc (DecodePrecompiledCharsMap) and
//     third_party/darts_clone/darts.h: the charsmap format the two above read.
// Where the Rust library would index past its arrays and panic (a malformed charsmap), ordo
// refuses the charsmap at load or, past the keys it checks there, finds no rule.
#include "precompiled.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/utext.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <memory>

#include "json_node.h"
#include "ordo/error.h"
#include "utf8.h"

namespace ordo::tokenizer::hf {
namespace {

// A chunk is looked up whole when it is a grapheme of fewer than 6 bytes, otherwise character by
// character: no lookup reads more than 5 bytes.
constexpr size_t kLongestChunk = 5;

// darts.h's DoubleArrayUnit, as spm_precompiled reads it.
bool has_leaf(uint32_t unit) {
  return ((unit >> 8) & 1) != 0;
}
uint32_t value_of(uint32_t unit) {
  return unit & ((1U << 31) - 1);
}
uint32_t label(uint32_t unit) {
  return unit & ((1U << 31) | 0xFF);
}
size_t offset(uint32_t unit) {
  return static_cast<size_t>(unit >> 10) << ((unit & (1U << 9)) >> 6);
}

std::string describe_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7F) return std::string("'") + c + "'";
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", byte);
  return text;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The base64 crate's STANDARD engine (0.22), as spm_precompiled decodes with it: the standard
// alphabet; '=' padding optional but never more than completes the last group of four; no bits
// set past the data in the last symbol.
std::string decode_base64(std::string_view text, const JsonNode& node) {
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  const size_t padding = text.size() - end;
  std::string out;
  out.reserve(end / 4 * 3 + 2);
  uint32_t bits = 0;
  for (size_t i = 0; i < end; ++i) {
    const int value = base64_value(text[i]);
    if (value < 0)
      node.fail("not base64: " + describe_byte(text[i]) + " at offset " + std::to_string(i));
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if (i % 4 == 3) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>((bits >> 8) & 0xFF);
      out += static_cast<char>(bits & 0xFF);
      bits = 0;
    }
  }
  const size_t rest = end % 4;
  if (rest == 1) node.fail("not base64: a lone 6-bit symbol at the end");
  if (padding > 0 && (rest == 0 || rest + padding > 4))
    node.fail("not base64: " + std::to_string(padding) + " '=' after a group of " +
              std::to_string(rest) + " symbols");
  if ((rest == 2 && (bits & 0xF) != 0) || (rest == 3 && (bits & 0x3) != 0))
    node.fail("not base64: the last symbol has bits set past the data");
  if (rest == 2) out += static_cast<char>(bits >> 4);
  if (rest == 3) {
    out += static_cast<char>(bits >> 10);
    out += static_cast<char>((bits >> 2) & 0xFF);
  }
  return out;
}

uint32_t read_u32(std::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t k = 0; k < 4; ++k)
    value |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + k])) << (8 * k);
  return value;
}

// Calls visit(begin, end) for each extended grapheme cluster of `text` (UAX #29), as the
// unicode-segmentation crate's graphemes(true) cuts it. ICU's rules are those of its Unicode
// version (15.0 in Debian 12's ICU 72); the crate's 16.0 also joins Indic conjuncts (rule GB9c),
// which can change only the lookup of a rewritten consonant after a virama.
template <typename Visit>
void for_each_grapheme(const std::string& text, Visit visit) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return (c & 0x80) == 0; })) {
    // One ASCII character a grapheme, but for CR LF (rule GB3).
    for (size_t i = 0; i < text.size();) {
      const size_t end =
          text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? i + 2 : i + 1;
      visit(i, end);
      i = end;
    }
    return;
  }
  if (text.size() > static_cast<size_t>(INT32_MAX))
    throw Error("text too long for grapheme segmentation (2 GiB or more)");
  thread_local std::unique_ptr<icu::BreakIterator> iterator;
  UErrorCode status = U_ZERO_ERROR;
  if (!iterator) {
    iterator.reset(icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status) || !iterator) {
      iterator.reset();
      throw Error(std::string("ICU cannot create a grapheme iterator: ") + u_errorName(status));
    }
  }
  thread_local std::vector<size_t> boundaries;
  boundaries.clear();
  UText utext = UTEXT_INITIALIZER;
  utext_openUTF8(&utext, text.data(), static_cast<int64_t>(text.size()), &status);
  iterator->setText(&utext, status);
  if (U_SUCCESS(status)) {
    for (int32_t at = iterator->first(); at != icu::BreakIterator::DONE; at = iterator->next())
      boundaries.push_back(static_cast<size_t>(at));
  }
  static const icu::UnicodeString kNothing;
  iterator->setText(kNothing);  // drop the reference to `text` before it goes away
  utext_close(&utext);
  if (U_FAILURE(status))
    throw Error(std::string("ICU grapheme segmentation failed: ") + u_errorName(status));
  for (size_t k = 1; k < boundaries.size(); ++k) visit(boundaries[k - 1], boundaries[k]);
}

size_t count_chars(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// One entry of tokenizers' transformations: a character of the output and how many characters
// of the input it stands for besides one (1: inserted after the previous one; -n: it also takes
// the n input characters after its own).
struct Change {
  char32_t c;
  ptrdiff_t change;
};

// precompiled.rs replace(): the new characters replace the old ones in turn; the extra new ones
// are insertions, and the last new one takes the old ones left over. With no new character at
// all, the previous entry takes them (nothing does at the very start, so the characters of the
// text all shift by one: what the Rust library does).
void replace(std::vector<Change>& changes, std::string_view old_part, std::string_view new_part) {
  const size_t old_count = count_chars(old_part), new_count = count_chars(new_part);
  for (size_t i = 0; i < new_part.size();) changes.push_back({next_code_point(new_part, i), 0});
  if (new_count > old_count) {
    for (size_t k = 0; k < new_count - old_count; ++k) changes[changes.size() - 1 - k].change = 1;
  } else if (new_count < old_count && !changes.empty()) {
    changes.back().change -= static_cast<ptrdiff_t>(old_count - new_count);
  }
}

// NormalizedString::transform over the whole text: each output character takes the original
// span of the input character it replaces, or of the one before when it is inserted.
void apply_changes(AlignedText& text, const std::vector<Change>& changes) {
  const std::string& bytes = text.text();
  AlignedText out;
  out.reserve(bytes.size() + 8);
  size_t at = 0;  // the next input character
  const auto skip = [&] {
    if (at < bytes.size()) next_code_point(bytes, at);
  };
  for (const Change& change : changes) {
    Span source;
    if (change.change > 0)
      source = at > 0 ? text.source_at(at - 1) : text.original(0, 0);
    else
      source = at < bytes.size() ? text.source_at(at) : text.original(bytes.size(), bytes.size());
    if (change.change <= 0) skip();
    for (ptrdiff_t k = 0; k < -change.change; ++k) skip();
    out.push(change.c, source);
  }
  text = std::move(out);
}

}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(const JsonNode& node) {
  const std::string blob = decode_base64(node.string(), node);
  // <trie size in bytes: u32 little-endian><trie: u32 units><replacements, NUL-separated>
  if (blob.size() < 4)
    node.fail("the charsmap is " + std::to_string(blob.size()) +
              " bytes, too short for its 4-byte trie size");
  const uint32_t trie_bytes = read_u32(blob, 0);
  // spm_precompiled reads trie_bytes / 4 units: the bytes of a size that is not a multiple of 4
  // begin the replacements.
  const size_t units = trie_bytes / 4;
  if (units > (blob.size() - 4) / 4)
    node.fail("the trie size (" + std::to_string(trie_bytes) + " bytes) runs past the end of the " +
              std::to_string(blob.size()) + "-byte charsmap");
  if (units == 0)
    node.fail("the trie is empty (tokenizers loads it, then panics on the first character)");
  units_.resize(units);
  for (size_t k = 0; k < units; ++k) units_[k] = read_u32(blob, 4 + 4 * k);
  normalized_ = blob.substr(4 + 4 * units);
  const size_t bad = find_invalid_utf8(normalized_);
  if (bad != std::string::npos)
    node.fail("the replacement strings are not UTF-8 (byte " + std::to_string(bad) + " of " +
              std::to_string(normalized_.size()) + ")");
  check_reachable_rules(node);
}

// Walks every key a lookup can reach (up to kLongestChunk bytes, breadth first so that each
// trie node is expanded once) and checks each rule's replacement offset, which the Rust library
// would otherwise slice with and panic on.
void PrecompiledCharsmap::check_reachable_rules(const JsonNode& node) const {
  const size_t size = units_.size();
  // A node at or past size + 256 has no child inside the array (node ^ label >= node - 255).
  std::vector<bool> seen(size + 256, false);
  std::vector<size_t> level, next;
  const size_t root = offset(units_[0]);
  if (root >= seen.size()) return;  // no key at all
  seen[root] = true;
  level.push_back(root);
  for (size_t depth = 0; depth < kLongestChunk && !level.empty(); ++depth) {
    next.clear();
    for (const size_t parent : level) {
      for (uint32_t c = 1; c < 256; ++c) {
        const size_t child = parent ^ c;
        if (child >= size || label(units_[child]) != c) continue;
        const size_t node_pos = child ^ offset(units_[child]);
        if (has_leaf(units_[child])) {
          if (node_pos >= size)
            node.fail("a rule's value lies past the end of the trie (unit " +
                      std::to_string(node_pos) + " of " + std::to_string(size) + ")");
          const size_t begin = value_of(units_[node_pos]);
          if (begin > normalized_.size())
            node.fail("a rule's replacement starts at byte " + std::to_string(begin) +
                      ", past the end of the " + std::to_string(normalized_.size()) +
                      "-byte replacement strings");
          if (begin < normalized_.size() &&
              (static_cast<unsigned char>(normalized_[begin]) & 0xC0) == 0x80)
            node.fail("a rule's replacement starts inside a UTF-8 sequence (byte " +
                      std::to_string(begin) + ")");
        }
        if (node_pos < seen.size() && !seen[node_pos]) {
          seen[node_pos] = true;
          next.push_back(node_pos);
        }
      }
    }
    level.swap(next);
  }
}

std::optional<std::string_view> PrecompiledCharsmap::value(size_t unit_index) const {
  if (unit_index >= units_.size()) return std::nullopt;
  const size_t begin = value_of(units_[unit_index]);
  if (begin > normalized_.size()) return std::nullopt;
  const size_t end = std::min(normalized_.find('\0', begin), normalized_.size());
  return std::string_view(normalized_).substr(begin, end - begin);
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  size_t node_pos = offset(units_[0]);
  for (const char byte : chunk) {
    const auto c = static_cast<unsigned char>(byte);
    if (c == 0) break;
    node_pos ^= c;
    if (node_pos >= units_.size()) return std::nullopt;
    const uint32_t unit = units_[node_pos];
    if (label(unit) != c) return std::nullopt;
    node_pos ^= offset(unit);
    // The first match is the shortest key: transform() takes results[0].
    if (has_leaf(unit)) return value(node_pos);
  }
  return std::nullopt;
}

void PrecompiledCharsmap::normalize(AlignedText& text) const {
  const std::string& bytes = text.text();
  if (bytes.empty()) return;
  std::vector<Change> changes;
  changes.reserve(bytes.size());
  bool modified = false;
  for_each_grapheme(bytes, [&](size_t begin, size_t end) {
    const std::string_view grapheme = std::string_view(bytes).substr(begin, end - begin);
    if (grapheme.size() <= kLongestChunk) {
      if (const auto replacement = transform(grapheme)) {
        // The whole grapheme, even when the key covers only its first characters.
        replace(changes, grapheme, *replacement);
        modified = true;
        return;
      }
    }
    for (size_t i = 0; i < grapheme.size();) {
      const size_t from = i;
      const char32_t c = next_code_point(grapheme, i);
      const std::string_view part = grapheme.substr(from, i - from);
      if (const auto replacement = transform(part)) {
        replace(changes, part, *replacement);
        modified = true;
      } else {
        changes.push_back({c, 0});
      }
    }
  });
  if (modified) apply_changes(text, changes);
}

}  // namespace ordo::tokenizer::hf
