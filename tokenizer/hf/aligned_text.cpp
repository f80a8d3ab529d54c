#include "aligned_text.h"

#include <algorithm>

namespace ordo::tokenizer::hf {

char32_t next_code_point(std::string_view text, size_t& i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  const size_t length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
  char32_t value = length == 1 ? byte : byte & (0xFF >> (length + 1));
  for (size_t k = 1; k < length && i + k < text.size(); ++k)
    value = (value << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  i += length;
  return value;
}

size_t utf8_length(char32_t c) {
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

AlignedText::AlignedText(std::string_view original, size_t shift) : text_(original) {
  source_.resize(original.size());
  for (size_t i = 0; i < original.size();) {
    const size_t begin = i;
    next_code_point(original, i);
    i = std::min(i, original.size());
    for (size_t k = begin; k < i; ++k) source_[k] = {shift + begin, shift + i};
  }
}

Span AlignedText::original(size_t begin, size_t end) const {
  if (source_.empty()) return {};
  if (begin >= end) {
    const size_t point = begin < source_.size() ? source_[begin].begin : source_.back().end;
    return {point, point};
  }
  return {source_[begin].begin, std::max(source_[begin].begin, source_[end - 1].end)};
}

AlignedText AlignedText::slice(size_t begin, size_t end) const {
  AlignedText out;
  out.text_.assign(text_, begin, end - begin);
  out.source_.assign(source_.begin() + static_cast<ptrdiff_t>(begin),
                     source_.begin() + static_cast<ptrdiff_t>(end));
  return out;
}

void AlignedText::push(char32_t c, Span source) {
  append_utf8(text_, c);
  while (source_.size() < text_.size()) source_.push_back(source);
}

void AlignedText::push_bytes(std::string_view utf8, Span source) {
  text_ += utf8;
  while (source_.size() < text_.size()) source_.push_back(source);
}

void AlignedText::append(const AlignedText& other, size_t begin, size_t end) {
  text_.append(other.text_, begin, end - begin);
  source_.insert(source_.end(), other.source_.begin() + static_cast<ptrdiff_t>(begin),
                 other.source_.begin() + static_cast<ptrdiff_t>(end));
}

void AlignedText::reserve(size_t bytes) {
  text_.reserve(bytes);
  source_.reserve(bytes);
}

}  // namespace ordo::tokenizer::hf
