#pragma once
// Text as the tokenizers library's NormalizedString keeps it: the current (normalised) UTF-8
// bytes and, for each of them, the byte span of the original text it came from. Normalisers
// rewrite it, pre-tokenizers cut it, and token offsets are read back through it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "utf8.h"  // next_code_point, utf8_length, append_utf8

namespace ordo::tokenizer::hf {

struct Span {
  size_t begin = 0, end = 0;
};

class AlignedText {
 public:
  AlignedText() = default;
  // The original text itself: byte i comes from byte i (plus `shift`).
  explicit AlignedText(std::string_view original, size_t shift = 0);

  const std::string& text() const { return text_; }
  size_t size() const { return text_.size(); }
  bool empty() const { return text_.empty(); }
  // The original span of bytes [begin, end) of the text; an empty range maps to a point.
  Span original(size_t begin, size_t end) const;
  Span original() const { return original(0, text_.size()); }

  AlignedText slice(size_t begin, size_t end) const;
  // Appends one code point that came from `source`.
  void push(char32_t c, Span source);
  void push_bytes(std::string_view utf8, Span source);
  // Appends bytes [begin, end) of `other` with their spans.
  void append(const AlignedText& other, size_t begin, size_t end);
  void reserve(size_t bytes);
  // The span of the code point starting at byte i.
  Span source_at(size_t i) const { return compact_ ? compact_span(i) : source_[i]; }
  // Rewrites the code point at byte i as c, of the same UTF-8 length; the spans stay.
  void overwrite(size_t i, char32_t c);

 private:
  // Compact: the bytes are still the original's (shifted by shift_) code point by code point, so
  // their spans are computed when asked instead of stored: most words never need a vector.
  Span compact_span(size_t i) const;
  void materialize();

  std::string text_;
  std::vector<Span> source_;  // one per byte of text_, unless compact_
  bool compact_ = false;
  size_t shift_ = 0;
};

// Rebuilds `text` code point by code point: `map(c, emit)` emits what c becomes (up to four
// characters; none drops it), every output character keeping c's original span. The text is
// rewritten in place while each character becomes one of the same UTF-8 length (lowercasing
// ASCII), and copied only from the first one that does not.
template <typename Map>
void transform(AlignedText& text, Map map) {
  AlignedText out;
  bool changed = false;
  const std::string& bytes = text.text();
  for (size_t i = 0; i < bytes.size();) {
    if (!changed) {  // in place while each character becomes one of the same length
      const size_t begin = i;
      const char32_t c = next_code_point(bytes, i);
      char32_t produced[4];
      size_t count = 0;
      map(c, [&](char32_t p) {
        if (count < 4) produced[count++] = p;
      });
      if (count == 1 && i <= bytes.size() && utf8_length(produced[0]) == i - begin) {
        if (produced[0] != c) text.overwrite(begin, produced[0]);
        continue;
      }
      changed = true;
      out.reserve(bytes.size() + 8);
      out.append(text, 0, begin);
      const Span source = text.source_at(begin);
      for (size_t k = 0; k < count; ++k) out.push(produced[k], source);
      continue;
    }
    const size_t begin = i;
    const Span source = text.source_at(i);
    const char32_t c = next_code_point(bytes, i);
    char32_t produced[4];
    size_t count = 0;
    map(c, [&](char32_t p) {
      if (count < 4) produced[count++] = p;
    });
    const bool same = count == 1 && produced[0] == c;
    if (!changed) {
      if (same) continue;
      changed = true;
      out.reserve(bytes.size() + 8);
      out.append(text, 0, begin);
    } else if (same) {
      out.append(text, begin, i);  // the bytes and spans as they were
      continue;
    }
    for (size_t k = 0; k < count; ++k) out.push(produced[k], source);
  }
  if (changed) text = std::move(out);
}

}  // namespace ordo::tokenizer::hf
